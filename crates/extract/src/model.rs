//! Pluggable models: anything that turns a document into canonical orders.
//!
//! prodline treats every model the same: its output is turned into a
//! [`ParsedDocument`] and resolved, validated and decided by the same
//! pipeline as the built-in extractor's, never trusted as is.

use std::sync::Arc;

use prodline_core::{CanonicalOrder, DocumentText, Usage};
use serde_json::Value;

/// What a model is given about one document.
#[derive(Debug, Clone, Copy)]
pub struct ModelInput<'a> {
    pub file_name: Option<&'a str>,
    /// The document's bytes (a model may read the original).
    pub bytes: &'a [u8],
    /// Its text as prodline read it (e-mail body, PDF text, OCR).
    pub text: &'a DocumentText,
    /// `{"file_name", "from", "received_at", "format"}`.
    pub context: &'a Value,
}

/// A model's answer: orders in the canonical shape (SPEC §1, ids as the model
/// believes them) and what the call cost.
#[derive(Debug, Clone, Default)]
pub struct ModelOutput {
    pub orders: Vec<CanonicalOrder>,
    pub usage: Usage,
}

#[derive(Debug, thiserror::Error)]
#[error("{extractor}: {message}")]
pub struct ModelError {
    pub extractor: String,
    pub message: String,
    /// What the failed attempts cost all the same.
    pub usage: Usage,
}

/// An extractor other than the built-in one (`command`, `openai`).
pub trait Model: Send + Sync + std::fmt::Debug {
    /// `command`, `openai:MODEL`...: named in usage, reports and reasons.
    fn name(&self) -> String;
    fn extract(&self, input: &ModelInput<'_>) -> Result<ModelOutput, ModelError>;
}

/// Which extractors run on documents without a structure of their own.
/// Structured formats (EDI, spreadsheets, UBL) are always read by their
/// readers.
#[derive(Debug, Clone, Default)]
pub struct Extractors {
    /// The model that decides; `None` is the built-in text extractor.
    pub champion: Option<Arc<dyn Model>>,
    /// Where poppler and tesseract are.
    pub tools: prodline_textin::Tools,
}
