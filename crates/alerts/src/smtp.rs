//! Alert e-mail through an SMTP server with lettre: one plain-text message per notice to the
//! workflow's owner (or the channel's `to`), threaded on the firing by `Message-ID`,
//! `In-Reply-To` and `References`.

use std::time::{Duration, SystemTime};

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::error::source_chain;
use crate::{AlertError, Notice, NoticeState, SmtpChannel, SmtpSecurity, render};

const ATTEMPTS: u32 = 2;
const RETRY_DELAY: Duration = Duration::from_secs(1);
/// Used when `from` is not an address (validation reports that first).
const FALLBACK_DOMAIN: &str = "prodline.invalid";
/// RFC 3834: an automatic message, so auto-responders (out of office) do not answer it.
const AUTO_SUBMITTED: HeaderName = HeaderName::new_from_ascii_str("Auto-Submitted");

type Transport = AsyncSmtpTransport<Tokio1Executor>;

pub(crate) fn validate(smtp: &SmtpChannel) -> Vec<AlertError> {
    let mut errors = Vec::new();
    let mut check = |ok: bool, key: &'static str, message: String| {
        if !ok {
            errors.push(AlertError::config(&smtp.name, key, message));
        }
    };
    check(!smtp.name.trim().is_empty(), "name", "must not be empty".into());
    check(!smtp.host.trim().is_empty(), "host", "must not be empty".into());
    check(smtp.port != Some(0), "port", "must be between 1 and 65535".into());
    check(smtp.timeout_seconds > 0, "timeout_seconds", "must be at least 1".into());
    if let Err(error) = smtp.from.parse::<Mailbox>() {
        check(false, "from", format!("\"{}\" is not an e-mail address: {error}", smtp.from));
    }
    for (key, addresses) in [("to", &smtp.to), ("cc", &smtp.cc)] {
        for address in addresses {
            if let Err(error) = address.parse::<Mailbox>() {
                check(false, key, format!("\"{address}\" is not an e-mail address: {error}"));
            }
        }
    }
    check(
        smtp.username.is_some() == smtp.password_env.is_some(),
        if smtp.username.is_some() { "password_env" } else { "username" },
        "username and password_env go together (the password is read from that environment variable)".into(),
    );
    check(
        smtp.username.is_none() || smtp.security != SmtpSecurity::None,
        "security",
        "credentials are only sent over TLS: set security = \"starttls\" or \"tls\"".into(),
    );
    if let Some(ca_file) = &smtp.ca_file {
        check(ca_file.is_file(), "ca_file", format!("{} is not a readable file", ca_file.display()));
    }
    errors
}

pub(crate) async fn send(smtp: &SmtpChannel, notice: &Notice) -> Result<(), AlertError> {
    if let Some(error) = validate(smtp).into_iter().next() {
        return Err(error);
    }
    let message = message(smtp, notice)?;
    let transport = transport(smtp)?;
    let mut attempt = 1;
    loop {
        match transport.send(message.clone()).await {
            Ok(_) => return Ok(()),
            Err(error) if (error.is_transient() || error.is_timeout()) && attempt < ATTEMPTS => {
                attempt += 1;
                tokio::time::sleep(RETRY_DELAY).await;
            }
            Err(error) => {
                return Err(AlertError::Smtp {
                    channel: smtp.name.clone(),
                    server: server(smtp),
                    attempts: attempt,
                    message: source_chain(&error),
                });
            }
        }
    }
}

/// `host:port` as errors name it.
fn server(smtp: &SmtpChannel) -> String {
    format!("{}:{}", smtp.host, port(smtp))
}

fn port(smtp: &SmtpChannel) -> u16 {
    smtp.port.unwrap_or(if smtp.security == SmtpSecurity::Tls { 465 } else { 25 })
}

/// The rendered e-mail; `Date` is the notice's time, not the sending time, so a retried
/// send is the same message.
fn message(smtp: &SmtpChannel, notice: &Notice) -> Result<Message, AlertError> {
    let from: Mailbox =
        smtp.from.parse().map_err(|error| AlertError::config(&smtp.name, "from", format!("{error}")))?;
    let domain = from.email.domain().to_owned();
    let domain = if domain.is_empty() { FALLBACK_DOMAIN.to_owned() } else { domain };
    let mut builder = Message::builder()
        .from(from)
        .subject(render::subject(notice))
        .date(SystemTime::from(notice.at))
        .message_id(Some(render::message_id(notice, &domain)))
        .header(ContentType::TEXT_PLAIN)
        .raw_header(HeaderValue::new(AUTO_SUBMITTED, "auto-generated".to_owned()));
    if notice.state != NoticeState::Fired {
        let thread = render::thread_message_id(notice, &domain);
        builder = builder.in_reply_to(thread.clone()).references(thread);
    }
    for recipient in recipients(smtp, notice)? {
        builder = builder.to(recipient);
    }
    for address in &smtp.cc {
        builder =
            builder.cc(address.parse().map_err(|error| AlertError::config(&smtp.name, "cc", format!("{error}")))?);
    }
    builder.body(render::text_body(notice)).map_err(|error| AlertError::Recipient {
        channel: smtp.name.clone(),
        workflow: notice.workflow.clone(),
        address: notice.owner_email.clone(),
        message: format!("cannot build the message: {error}"),
    })
}

/// The channel's `to` when it has one, else the workflow's owner by name.
fn recipients(smtp: &SmtpChannel, notice: &Notice) -> Result<Vec<Mailbox>, AlertError> {
    if !smtp.to.is_empty() {
        return smtp
            .to
            .iter()
            .map(|address| {
                address.parse().map_err(|error| AlertError::config(&smtp.name, "to", format!("{address}: {error}")))
            })
            .collect();
    }
    let email = notice.owner_email.trim().parse().map_err(|error| AlertError::Recipient {
        channel: smtp.name.clone(),
        workflow: notice.workflow.clone(),
        address: notice.owner_email.clone(),
        message: format!("the owner's e-mail is not an address: {error}"),
    })?;
    let name = notice.owner_name.trim();
    Ok(vec![Mailbox::new((!name.is_empty()).then(|| name.to_owned()), email)])
}

fn transport(smtp: &SmtpChannel) -> Result<Transport, AlertError> {
    let mut builder = Transport::builder_dangerous(smtp.host.trim())
        .port(port(smtp))
        .timeout(Some(Duration::from_secs(smtp.timeout_seconds)));
    match smtp.security {
        SmtpSecurity::None => {}
        SmtpSecurity::Starttls => builder = builder.tls(Tls::Required(tls_parameters(smtp)?)),
        SmtpSecurity::Tls => builder = builder.tls(Tls::Wrapper(tls_parameters(smtp)?)),
    }
    if let Some(name) = &smtp.helo_name {
        builder = builder.hello_name(ClientId::Domain(name.clone()));
    }
    if let (Some(username), Some(password_env)) = (&smtp.username, &smtp.password_env) {
        builder = builder.credentials(Credentials::new(username.clone(), password(smtp, password_env)?));
    }
    Ok(builder.build())
}

/// Mozilla's roots, plus the certificates of `ca_file`.
fn tls_parameters(smtp: &SmtpChannel) -> Result<TlsParameters, AlertError> {
    let mut parameters = TlsParameters::builder(smtp.host.trim().to_owned());
    if let Some(ca_file) = &smtp.ca_file {
        let error = |message: String| AlertError::config(&smtp.name, "ca_file", message);
        let pem = std::fs::read(ca_file).map_err(|e| error(format!("cannot read {}: {e}", ca_file.display())))?;
        let certificate = Certificate::from_pem(&pem)
            .map_err(|e| error(format!("{} holds no PEM certificate: {e}", ca_file.display())))?;
        parameters = parameters.add_root_certificate(certificate);
    }
    parameters.build_rustls().map_err(|error| AlertError::config(&smtp.name, "security", format!("TLS: {error}")))
}

/// Read at each send, so a rotated secret is picked up; errors name the variable, never its value.
fn password(smtp: &SmtpChannel, variable: &str) -> Result<String, AlertError> {
    match std::env::var(variable) {
        Ok(password) if !password.is_empty() => Ok(password),
        Ok(_) => {
            Err(AlertError::config(&smtp.name, "password_env", format!("environment variable {variable} is empty")))
        }
        Err(_) => {
            Err(AlertError::config(&smtp.name, "password_env", format!("environment variable {variable} is not set")))
        }
    }
}
