//! Delivers an alert that was decided elsewhere (an SLO breach, a drifting
//! customer, a silent feed, a budget overrun) to the owner of its workflow,
//! and the message that says it resolved.
//!
//! This crate only renders and delivers: a [`Notice`] in, one message per
//! [`Channel`] out. Channels are e-mail over SMTP ([`SmtpChannel`]), Slack and
//! Microsoft Teams incoming webhooks and a generic JSON webhook
//! ([`WebhookChannel`]). Delivery is at-least-once: a webhook is retried once
//! on a time-out, a refused connection or a 5xx answer, an SMTP send once on a
//! time-out or a 4xx reply; e-mail carries a `Message-ID` derived from the
//! alert, so a repeated send is recognisable as the same message.
//!
//! Plain `http://` only for webhooks: reqwest is built without TLS in this
//! workspace. SMTP has STARTTLS and implicit TLS through rustls (ring).

mod error;
pub mod render;
mod smtp;
mod webhook;

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use error::AlertError;

/// What happened to an alert: the input of every channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    pub workflow: String,
    pub owner_name: String,
    pub owner_email: String,
    /// The kind of alert: `slo`, `drift`, `liveness`, `budget`...
    pub kind: String,
    /// What the alert is about within its workflow and kind, e.g. a customer id `C0005`.
    pub key: String,
    pub state: NoticeState,
    pub severity: String,
    /// One line, with the figures.
    pub summary: String,
    /// A few lines.
    pub detail: String,
    /// When this notice's state was reached (fired, resolved, or reminded).
    pub at: DateTime<Utc>,
    /// When the alert fired; the same as `at` on the fired notice. Together with the
    /// workflow, kind and key it identifies one firing, so e-mails thread on it.
    pub fired_at: DateTime<Utc>,
    /// Where the owner sees more (prodline's page of the alert).
    pub link: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeState {
    Fired,
    Resolved,
    /// Still firing, said again.
    Reminder,
}

/// One place alerts go, decoded from `[[alerts.channel]]` with `type = "smtp" | "slack" |
/// "teams" | "webhook"`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Channel {
    Smtp(SmtpChannel),
    /// A Slack incoming webhook (or one that speaks its JSON: Mattermost, Rocket.Chat).
    Slack(WebhookChannel),
    /// A Microsoft Teams incoming webhook (Office 365 connector `MessageCard`).
    Teams(WebhookChannel),
    /// Any HTTP endpoint: the [`Notice`] as JSON.
    Webhook(WebhookChannel),
}

/// E-mail to the owner of the workflow through an SMTP server.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpChannel {
    pub name: String,
    pub host: String,
    /// 25, or 465 with `security = "tls"`.
    pub port: Option<u16>,
    /// `starttls` unless said otherwise: credentials and mail are never sent in clear by accident.
    #[serde(default)]
    pub security: SmtpSecurity,
    /// `prodline <alerts@example.com>`; its domain also names the Message-IDs.
    pub from: String,
    /// Login; needs `password_env` and TLS.
    pub username: Option<String>,
    /// The environment variable holding the password (never the password itself).
    pub password_env: Option<String>,
    /// Replaces the workflow owner as recipient when not empty.
    #[serde(default)]
    pub to: Vec<String>,
    /// Copied on every message, besides the owner.
    #[serde(default)]
    pub cc: Vec<String>,
    /// A PEM file of extra trusted roots (a private CA, a test server's own certificate).
    pub ca_file: Option<PathBuf>,
    /// The EHLO name; the address literal `[127.0.0.1]` when absent.
    pub helo_name: Option<String>,
    #[serde(default = "default_timeout_seconds")]
    pub timeout_seconds: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// Plain SMTP (a relay on the same host or a test server).
    None,
    /// Plain connection upgraded with STARTTLS; refused if the server does not offer it.
    #[default]
    Starttls,
    /// TLS from the first byte (SMTPS, port 465).
    Tls,
}

/// An HTTP endpoint that takes one JSON POST per notice.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookChannel {
    pub name: String,
    /// `http://...` only (no TLS in this build).
    pub url: String,
    /// Per attempt.
    #[serde(default = "default_timeout_seconds")]
    pub timeout_seconds: u64,
}

fn default_timeout_seconds() -> u64 {
    10
}

impl Channel {
    pub fn name(&self) -> &str {
        match self {
            Channel::Smtp(smtp) => &smtp.name,
            Channel::Slack(hook) | Channel::Teams(hook) | Channel::Webhook(hook) => &hook.name,
        }
    }

    /// Every problem of the configuration at once, without sending anything (for `prodline
    /// check`); `send` refuses the same problems.
    pub fn validate(&self) -> Vec<AlertError> {
        match self {
            Channel::Smtp(smtp) => smtp::validate(smtp),
            Channel::Slack(hook) | Channel::Teams(hook) | Channel::Webhook(hook) => webhook::validate(hook),
        }
    }
}

/// Renders `notice` for `channel` and delivers it (with the one retry described above).
pub async fn send(channel: &Channel, notice: &Notice) -> Result<(), AlertError> {
    match channel {
        Channel::Smtp(smtp) => smtp::send(smtp, notice).await,
        Channel::Slack(hook) => webhook::post(hook, &render::slack(notice)).await,
        Channel::Teams(hook) => webhook::post(hook, &render::teams(notice)).await,
        Channel::Webhook(hook) => webhook::post(hook, &render::generic(notice)).await,
    }
}

/// Sends `notice` on every channel at once; one failing channel does not stop the others.
/// The results are in the order of `channels`, each with its channel's name.
pub async fn send_all(channels: &[Channel], notice: &Notice) -> Vec<(String, Result<(), AlertError>)> {
    let sends = channels.iter().map(|channel| async move { (channel.name().to_owned(), send(channel, notice).await) });
    futures_util::future::join_all(sends).await
}
