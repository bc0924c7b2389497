//! `openai`: an OpenAI-compatible chat-completions endpoint (OpenAI, Ollama,
//! vLLM, llama.cpp's server) asked for orders with a JSON-schema response
//! format.
//!
//! One POST `{base_url}/chat/completions` per attempt, each under a time-out;
//! 429, 5xx, time-outs and refused connections are retried with exponential
//! back-off. Tokens are read from the answer's `usage` and priced per
//! million (decimals), so every document carries its cost, failed attempts
//! included.
//!
//! The HTTP client is reqwest's blocking one, which must not run on an async
//! runtime's thread: each extraction runs it on a thread of its own, so a
//! caller inside tokio is safe (it should still keep its own workers free,
//! e.g. with `block_in_place`).
//!
//! Plain `http://` only for now: reqwest is built without TLS in this
//! workspace (no aws-lc); put a local proxy in front of a hosted API.

use std::time::{Duration, Instant};

use prodline_core::Usage;
use prodline_extract::{Model, ModelError, ModelInput, ModelOutput};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::{model_error, parse_answer, schema::orders_schema};

/// What the model is told: the contract of its answer and that ids come
/// from prodline's master data, never invented.
pub const SYSTEM_PROMPT: &str = "You read purchase orders for a manufacturer. From the document, \
return every purchase order it holds as JSON matching the schema: customer_po, dates as YYYY-MM-DD, \
lines with qty, uom and the unit price only when the document states one. customer_id, ship_to and \
sku must be ids from the context's master data when you are sure, else null; customer_part and \
description are what the document says. A document that is no order (a question, an invoice, an \
out-of-office reply, a newsletter) has \"orders\": [].";

#[derive(Debug, Clone)]
pub struct OpenAiSettings {
    /// `http://127.0.0.1:11434/v1` (Ollama), `http://host:8000/v1` (vLLM)...
    pub base_url: String,
    pub model: String,
    /// The bearer token; `None` for local servers that need none.
    pub api_key: Option<String>,
    /// Per attempt.
    pub timeout: Duration,
    /// Attempts after the first one.
    pub retries: u32,
    /// The first back-off; doubled per retry.
    pub backoff: Duration,
    pub prompt_price_per_million: Decimal,
    pub completion_price_per_million: Decimal,
}

#[derive(Debug, Clone)]
pub struct OpenAiModel {
    pub settings: OpenAiSettings,
}

impl OpenAiModel {
    pub fn new(settings: OpenAiSettings) -> OpenAiModel {
        OpenAiModel { settings }
    }

    /// The request body of one document.
    pub fn request(&self, input: &ModelInput<'_>) -> Value {
        let user = format!(
            "Context (JSON): {}\n\nDocument{}:\n{}",
            input.context,
            input.file_name.map(|n| format!(" {n}")).unwrap_or_default(),
            input.text.joined()
        );
        json!({
            "model": self.settings.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": user},
            ],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "purchase_orders", "strict": true, "schema": orders_schema()},
            },
        })
    }

    fn cost(&self, prompt_tokens: u64, completion_tokens: u64) -> Decimal {
        let million = Decimal::from(1_000_000u32);
        (Decimal::from(prompt_tokens) * self.settings.prompt_price_per_million
            + Decimal::from(completion_tokens) * self.settings.completion_price_per_million)
            / million
    }

    /// All attempts of one document, on the calling thread (no async runtime there).
    fn call(&self, body: &Value) -> Result<ModelOutput, ModelError> {
        let started = Instant::now();
        let mut usage = Usage { extractor: self.name(), ..Usage::default() };
        let url = format!("{}/chat/completions", self.settings.base_url.trim_end_matches('/'));
        let client = reqwest::blocking::Client::builder().timeout(self.settings.timeout).build();
        let client = match client {
            Ok(client) => client,
            Err(error) => {
                return Err(model_error(&self.name(), format!("cannot build an HTTP client: {error}"), usage));
            }
        };
        let mut last_error = String::new();
        for attempt in 0..=self.settings.retries {
            if attempt > 0 {
                std::thread::sleep(self.settings.backoff.saturating_mul(1 << (attempt - 1).min(10)));
            }
            usage.calls += 1;
            match self.attempt(&client, &url, body) {
                Ok((answer, prompt_tokens, completion_tokens)) => {
                    usage.prompt_tokens += prompt_tokens;
                    usage.completion_tokens += completion_tokens;
                    usage.cost = self.cost(usage.prompt_tokens, usage.completion_tokens);
                    usage.millis = millis(started);
                    return answer
                        .map(|orders| ModelOutput { orders, usage: usage.clone() })
                        .map_err(|message| model_error(&self.name(), format!("{url}: {message}"), usage.clone()));
                }
                Err(Attempt::Retry(message)) => last_error = message,
                Err(Attempt::Fatal(message)) => {
                    usage.millis = millis(started);
                    return Err(model_error(&self.name(), format!("{url}: {message}"), usage));
                }
            }
        }
        usage.millis = millis(started);
        let attempts = self.settings.retries + 1;
        Err(model_error(&self.name(), format!("{url}: gave up after {attempts} attempts; last: {last_error}"), usage))
    }

    /// One POST. `Ok` carries the parsed orders (or why the content is not
    /// orders, which a retry would not change) and the tokens the server
    /// counted.
    fn attempt(&self, client: &reqwest::blocking::Client, url: &str, body: &Value) -> Result<Answer, Attempt> {
        let mut request = client.post(url).json(body);
        if let Some(key) = self.settings.api_key.as_deref().filter(|k| !k.is_empty()) {
            request = request.bearer_auth(key);
        }
        let response = request.send().map_err(|error| {
            if error.is_timeout() {
                Attempt::Retry(format!("no answer within {} s", self.settings.timeout.as_secs_f64()))
            } else if error.is_connect() {
                Attempt::Retry(format!("cannot connect: {error}"))
            } else {
                Attempt::Fatal(format!("request failed: {error}"))
            }
        })?;
        let status = response.status();
        let text = response.text().map_err(|error| {
            if error.is_timeout() {
                Attempt::Retry(format!("the answer did not arrive within {} s", self.settings.timeout.as_secs_f64()))
            } else {
                Attempt::Fatal(format!("cannot read the answer: {error}"))
            }
        })?;
        if status.as_u16() == 429 || status.is_server_error() {
            return Err(Attempt::Retry(format!("HTTP {status}: {}", head(&text))));
        }
        if !status.is_success() {
            return Err(Attempt::Fatal(format!("HTTP {status}: {}", head(&text))));
        }
        let completion: Value = serde_json::from_str(&text).map_err(|error| {
            Attempt::Fatal(format!(
                "the answer is not JSON: {error} (line {}, column {})",
                error.line(),
                error.column()
            ))
        })?;
        let tokens = |key: &str| completion.pointer(&format!("/usage/{key}")).and_then(Value::as_u64).unwrap_or(0);
        let (prompt_tokens, completion_tokens) = (tokens("prompt_tokens"), tokens("completion_tokens"));
        let content = completion.pointer("/choices/0/message/content").and_then(Value::as_str);
        let orders = match content {
            Some(content) => parse_answer(content).map(|answer| answer.orders),
            None => Err(format!("no choices[0].message.content in the answer: {}", head(&text))),
        };
        Ok((orders, prompt_tokens, completion_tokens))
    }
}

type Answer = (Result<Vec<prodline_core::CanonicalOrder>, String>, u64, u64);

enum Attempt {
    Retry(String),
    Fatal(String),
}

fn millis(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

fn head(text: &str) -> String {
    text.chars().take(300).collect()
}

impl Model for OpenAiModel {
    fn name(&self) -> String {
        format!("openai:{}", self.settings.model)
    }

    fn extract(&self, input: &ModelInput<'_>) -> Result<ModelOutput, ModelError> {
        let body = self.request(input);
        // reqwest's blocking client panics on an async runtime's thread: run
        // it on one of its own.
        std::thread::scope(|scope| scope.spawn(|| self.call(&body)).join()).unwrap_or_else(|_| {
            Err(model_error(
                &self.name(),
                "the HTTP call panicked",
                Usage { extractor: self.name(), ..Usage::default() },
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_is_tokens_times_price_per_million() {
        let model = OpenAiModel::new(OpenAiSettings {
            base_url: "http://127.0.0.1:1".into(),
            model: "m".into(),
            api_key: None,
            timeout: Duration::from_secs(1),
            retries: 0,
            backoff: Duration::from_millis(1),
            prompt_price_per_million: Decimal::new(15, 2),
            completion_price_per_million: Decimal::new(60, 2),
        });
        assert_eq!(model.cost(1_000_000, 500_000), Decimal::new(45, 2));
        assert_eq!(model.cost(0, 0), Decimal::ZERO);
    }
}
