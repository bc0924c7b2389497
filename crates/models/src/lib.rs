//! Pluggable models: the team's own extractor behind prodline's [`Model`]
//! trait, measured, gated and owned like the built-in one.
//!
//! - [`CommandModel`]: an external program (the pilot a team already has)
//!   gets the document and answers canonical orders as JSON;
//! - [`OpenAiModel`]: an OpenAI-compatible chat-completions endpoint
//!   (Ollama, vLLM, llama.cpp's server, a hosted API) with a JSON-schema
//!   response format; tokens and cost recorded per document.
//!
//! Architecture Invariant: a model's answer is data, never a decision: it is
//! turned into orders here and then resolved, validated and decided by
//! `prodline_extract::process_with` like any reader's output.

pub mod command;
pub mod openai;
pub mod schema;

pub use command::CommandModel;
pub use openai::{OpenAiModel, OpenAiSettings};
pub use prodline_extract::{Model, ModelError, ModelInput, ModelOutput};

use prodline_core::{CanonicalOrder, Usage};
use rust_decimal::Decimal;
use serde::Deserialize;

/// What a model answers: `{"orders": [ORDER...], "usage": {...}}`.
#[derive(Debug, Clone, Deserialize)]
pub struct OrdersAnswer {
    pub orders: Vec<CanonicalOrder>,
    #[serde(default)]
    pub usage: Option<AnswerUsage>,
}

/// The optional usage a command reports about itself.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AnswerUsage {
    #[serde(default)]
    pub prompt_tokens: u64,
    #[serde(default)]
    pub completion_tokens: u64,
    /// Money, in the workflow's budget currency.
    #[serde(default, with = "prodline_core::decimal_json::option")]
    pub cost: Option<Decimal>,
}

/// Parse an answer; the error says where the JSON went wrong and shows the
/// start of what came.
pub fn parse_answer(text: &str) -> Result<OrdersAnswer, String> {
    serde_json::from_str::<OrdersAnswer>(text).map_err(|error| {
        let head: String = text.chars().take(200).collect();
        format!(
            "the answer is not {{\"orders\": [...]}} JSON: {error} (line {}, column {}); it began: {head:?}",
            error.line(),
            error.column()
        )
    })
}

fn model_error(extractor: &str, message: impl Into<String>, usage: Usage) -> ModelError {
    ModelError { extractor: extractor.to_owned(), message: message.into(), usage }
}
