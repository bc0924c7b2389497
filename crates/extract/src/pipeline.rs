//! parse → resolve → validate → decide.

use chrono::{DateTime, Utc};
use prodline_core::{CanonicalOrder, Decision, Format, ParsedDocument, Reason};
use serde::Serialize;

use crate::{MasterData, Memory};

/// What is known about a document besides its bytes.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub file_name: Option<String>,
    /// The sender's address (e-mail `From`, meta.jsonl `from`).
    pub from: Option<String>,
    pub received_at: Option<DateTime<Utc>>,
}

/// The decision policy's knobs.
#[derive(Debug, Clone)]
pub struct DecisionConfig {
    /// Confidence at or above which a clean document is auto-approved.
    pub auto_threshold: f64,
    /// Relative tolerance of a stated price against the contract price.
    pub price_tolerance: rust_decimal::Decimal,
}

impl Default for DecisionConfig {
    fn default() -> Self {
        DecisionConfig { auto_threshold: 0.9, price_tolerance: rust_decimal::Decimal::new(2, 2) }
    }
}

/// One order after resolution.
#[derive(Debug, Clone, Serialize)]
pub struct ResolvedOrder {
    pub order: CanonicalOrder,
    pub confidence: f64,
    pub reasons: Vec<Reason>,
}

/// Everything the pipeline decided about one document.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub format: Format,
    pub parsed: ParsedDocument,
    pub orders: Vec<ResolvedOrder>,
    pub decision: Decision,
    pub reasons: Vec<Reason>,
    pub confidence: f64,
}

pub fn process(bytes: &[u8], ctx: &Context, master: &MasterData, memory: &Memory, config: &DecisionConfig) -> Outcome {
    let _ = (master, memory, config);
    let parsed = prodline_formats::parse(bytes, ctx.file_name.as_deref());
    Outcome {
        format: parsed.format.unwrap_or(Format::Unknown),
        parsed,
        orders: Vec::new(),
        decision: Decision::Review,
        reasons: Vec::new(),
        confidence: 0.0,
    }
}
