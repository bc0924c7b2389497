//! What the pipeline remembers between documents: orders received (for
//! duplicate detection), quantities per customer and item (for outliers),
//! and cross-references learned from reviewed outcomes.

#[derive(Debug, Clone, Default)]
pub struct Memory {}
