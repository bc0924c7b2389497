//! One JSON POST per notice, retried once when the failure may pass (a time-out, a refused
//! connection, a 5xx answer).

use std::time::Duration;

use serde_json::Value;

use crate::error::source_chain;
use crate::{AlertError, WebhookChannel};

const ATTEMPTS: u32 = 2;
/// Between the two attempts: long enough for a restarting receiver, short enough for a sender
/// that has other channels and other alerts waiting.
const RETRY_DELAY: Duration = Duration::from_secs(1);
/// How much of an error answer's body an error keeps.
const BODY_HEAD: usize = 200;

pub(crate) fn validate(hook: &WebhookChannel) -> Vec<AlertError> {
    let mut errors = Vec::new();
    if hook.name.trim().is_empty() {
        errors.push(AlertError::config(&hook.name, "name", "must not be empty"));
    }
    if let Some(message) = url_problem(&hook.url) {
        errors.push(AlertError::config(&hook.name, "url", message));
    }
    if hook.timeout_seconds == 0 {
        errors.push(AlertError::config(&hook.name, "timeout_seconds", "must be at least 1"));
    }
    errors
}

/// The same wording as the model endpoints' `base_url` check in prodline-config.
fn url_problem(url: &str) -> Option<String> {
    if url.starts_with("https://") {
        Some(format!(
            "\"{url}\": https is not supported yet (no TLS in prodline's HTTP client); use a local http proxy"
        ))
    } else if !url.starts_with("http://") || url.len() <= "http://".len() {
        Some(format!("\"{url}\" is not an http URL; expected e.g. \"http://127.0.0.1:8080/hooks/alerts\""))
    } else {
        None
    }
}

pub(crate) async fn post(hook: &WebhookChannel, body: &Value) -> Result<(), AlertError> {
    if let Some(error) = validate(hook).into_iter().next() {
        return Err(error);
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(hook.timeout_seconds))
        .build()
        .map_err(|error| AlertError::config(&hook.name, "url", format!("cannot build an HTTP client: {error}")))?;
    let mut attempt = 1;
    loop {
        match post_once(&client, hook, body).await {
            Ok(()) => return Ok(()),
            Err(failure) if failure.retry && attempt < ATTEMPTS => {
                attempt += 1;
                tokio::time::sleep(RETRY_DELAY).await;
            }
            Err(failure) => return Err(failure.into_error(hook, attempt)),
        }
    }
}

/// One attempt's failure, before it is known whether another follows.
struct Failure {
    retry: bool,
    status: Option<u16>,
    message: String,
}

impl Failure {
    fn into_error(self, hook: &WebhookChannel, attempts: u32) -> AlertError {
        let (channel, url) = (hook.name.clone(), hook.url.clone());
        match self.status {
            Some(status) => AlertError::Status { channel, url, status, attempts, body: self.message },
            None => AlertError::Http { channel, url, attempts, message: self.message },
        }
    }
}

async fn post_once(client: &reqwest::Client, hook: &WebhookChannel, body: &Value) -> Result<(), Failure> {
    let response = client.post(&hook.url).json(body).send().await.map_err(|error| transport_failure(hook, &error))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    // The body only explains the failure: an unreadable one is no reason to fail differently.
    let text = response.text().await.unwrap_or_default();
    Err(Failure { retry: status.is_server_error(), status: Some(status.as_u16()), message: head(&text) })
}

fn transport_failure(hook: &WebhookChannel, error: &reqwest::Error) -> Failure {
    let (retry, message) = if error.is_timeout() {
        (true, format!("no answer within {} s", hook.timeout_seconds))
    } else if error.is_connect() {
        (true, format!("cannot connect: {}", source_chain(error)))
    } else {
        (false, format!("request failed: {}", source_chain(error)))
    };
    Failure { retry, status: None, message }
}

fn head(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(BODY_HEAD) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}
