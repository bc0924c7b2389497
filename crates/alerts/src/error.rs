//! Why an alert was not delivered: every variant names the channel and where it was going.

/// A failed delivery or an unusable channel. Messages never contain a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlertError {
    /// The channel's configuration cannot work; `key` is the option at fault.
    #[error("alert channel \"{channel}\": {key}: {message}")]
    Config { channel: String, key: &'static str, message: String },
    /// The notice names a recipient that is no e-mail address.
    #[error("alert channel \"{channel}\": recipient \"{address}\" of workflow \"{workflow}\": {message}")]
    Recipient { channel: String, workflow: String, address: String, message: String },
    /// The SMTP server could not be reached or refused the message.
    #[error("alert channel \"{channel}\": SMTP {server}: {message} (after {attempts} attempt(s))")]
    Smtp { channel: String, server: String, attempts: u32, message: String },
    /// The webhook could not be reached or did not answer in time.
    #[error("alert channel \"{channel}\": POST {url}: {message} (after {attempts} attempt(s))")]
    Http { channel: String, url: String, attempts: u32, message: String },
    /// The webhook answered with a status other than 2xx.
    #[error("alert channel \"{channel}\": POST {url}: HTTP {status}: {body} (after {attempts} attempt(s))")]
    Status { channel: String, url: String, status: u16, attempts: u32, body: String },
}

impl AlertError {
    pub(crate) fn config(channel: &str, key: &'static str, message: impl Into<String>) -> AlertError {
        AlertError::Config { channel: channel.to_owned(), key, message: message.into() }
    }
}

/// The libraries' own messages name the kind of failure ("error sending request", "Connection
/// error"); the cause (refused, reset, certificate) is in the sources. A cause the text
/// already shows (lettre prints its source itself) is not repeated.
pub(crate) fn source_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(&format!(": {cause_text}"));
        }
        source = cause.source();
    }
    text
}
