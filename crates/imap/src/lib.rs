//! The IMAP mailbox source of prodline: each message of a folder is stored
//! whole (its raw RFC 5322 bytes) and each of its attachments as a document of
//! its own, through `Store::receive`; only then is the message flagged
//! (`\Seen` and our keyword `$ProdlineStored`) or moved to a processed folder.
//!
//! Architecture Invariant: a message is flagged or moved only after every one
//! of its documents is committed in the store. A crash in between leaves it
//! untaken; the next poll stores it again (`receive` is idempotent on source
//! and SHA-256, so no second document appears) and then flags it.
//!
//! Which messages are taken: without a processed folder, those not carrying
//! `$ProdlineStored`. Not `UNSEEN`: a person reading the shared mailbox in a
//! mail client marks messages `\Seen` before we get to them, and those orders
//! would be lost. With a processed folder, every message still in the folder
//! (and not deleted) is taken, so that a crash between flagging and moving is
//! also followed by a move.

mod connect;

use std::fmt;
use std::path::PathBuf;

use async_imap::types::Flag;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use mail_parser::MimeHeaders;
use prodline_store::{Received, Sha256, Store, StoreError};
use prodline_textin::email::{file_name_part, parse_mime};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::connect::{ImapSession, login, step};

/// The keyword a message carries once all its documents are stored.
pub const STORED_KEYWORD: &str = "$ProdlineStored";

/// How the connection is secured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    /// TLS from the first byte (IMAPS, port 993).
    #[default]
    Tls,
    /// Plain connect, then `STARTTLS` before the login (port 143).
    Starttls,
    /// No TLS at all: the password crosses the network in clear. Only for a
    /// server on the same machine or a trusted network.
    Plain,
}

impl Security {
    /// The usual port: 993 for TLS, 143 for STARTTLS and plain.
    pub fn default_port(self) -> u16 {
        match self {
            Security::Tls => 993,
            Security::Starttls | Security::Plain => 143,
        }
    }
}

impl fmt::Display for Security {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Security::Tls => "tls",
            Security::Starttls => "starttls",
            Security::Plain => "plain",
        })
    }
}

/// One mailbox folder to poll, with the password already read from its variable.
#[derive(Clone)]
pub struct MailboxConfig {
    /// Host name (checked against the certificate) or IP address.
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// The login name.
    pub user: String,
    /// Read from the config's `password_env`; never printed by `Debug`.
    pub password: String,
    /// The folder polled, e.g. `INBOX`.
    pub folder: String,
    /// When set, stored messages are moved here (created if missing) instead
    /// of staying in `folder` with `\Seen $ProdlineStored`.
    pub processed_folder: Option<String>,
    /// PEM file of the CA (or the self-signed certificate) to trust instead of
    /// Mozilla's roots, for a server with a private certificate.
    pub ca_file: Option<PathBuf>,
}

impl MailboxConfig {
    /// `host:port`, as errors name the server.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// The password is never printed.
impl fmt::Debug for MailboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailboxConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("folder", &self.folder)
            .field("processed_folder", &self.processed_folder)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

/// Everything that stops a poll or a probe, naming the server, folder and message.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    /// The TCP connection failed (refused, no route, unknown host).
    #[error("IMAP: cannot connect to {address}: {source}")]
    Connect { address: String, source: std::io::Error },
    /// Connecting and logging in did not finish in time.
    #[error("IMAP {address}: {what} took more than {seconds} seconds")]
    Timeout { address: String, what: &'static str, seconds: u64 },
    /// The TLS handshake or STARTTLS failed, e.g. an untrusted certificate.
    #[error("IMAP {address}: TLS: {message}")]
    Tls { address: String, message: String },
    /// The `ca_file` cannot be read or holds no usable certificate.
    #[error("IMAP ca_file {}: {message}", .path.display())]
    CaFile { path: PathBuf, message: String },
    /// The server closed or garbled the connection before greeting.
    #[error("IMAP {address}: no greeting: {message}")]
    Greeting { address: String, message: String },
    /// The server refused the user and password.
    #[error("IMAP {address}: login as {user} refused (check the user and the password variable): {message}")]
    Login { address: String, user: String, message: String },
    /// A command failed or timed out (a missing folder, a refused MOVE).
    #[error("IMAP {address} folder {folder}{}: {what}: {message}", uid_text(*.uid))]
    Command { address: String, folder: String, uid: Option<u32>, what: String, message: String },
    /// `Store::receive` failed for a part of this message; it stays untaken.
    #[error("IMAP {address} folder {folder} UID {uid}: storing it failed, so it stays untaken: {source}")]
    Store { address: String, folder: String, uid: u32, source: StoreError },
}

fn uid_text(uid: Option<u32>) -> String {
    uid.map(|uid| format!(" UID {uid}")).unwrap_or_default()
}

/// What one poll did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailboxPass {
    /// Messages stored and then flagged or moved.
    pub messages: u64,
    /// New documents stored (attachments, and messages without any); repeats are not counted.
    pub stored: u64,
    /// Documents the store already had (a message stored before a crash, polled again).
    pub duplicates: u64,
    /// Things that did not stop the poll, e.g. a message that is not valid MIME
    /// (stored raw all the same), each naming server, folder and UID.
    pub problems: Vec<String>,
}

/// The store source name of a workflow's mailboxes.
pub fn source_name(workflow: &str) -> String {
    format!("imap:{workflow}")
}

/// Logs in and examines the folder (read-only) and the processed folder when
/// set, as `prodline check` does; returns the number of messages in the folder.
pub async fn probe(config: &MailboxConfig) -> Result<u32, ImapError> {
    let mut session = login(config).await?;
    let mailbox = step(config, None, "EXAMINE", session.examine(&config.folder)).await?;
    if let Some(processed) = &config.processed_folder {
        let what = format!("STATUS of processed_folder {processed}");
        step(config, None, &what, session.status(processed, "(MESSAGES)")).await?;
    }
    step(config, None, "LOGOUT", session.logout()).await?;
    Ok(mailbox.exists)
}

/// Takes every waiting message of the folder: stores it and its attachments,
/// then flags or moves it. A store failure stops the poll with that message
/// left as it was; messages before it are done.
pub async fn poll<S: Store>(
    config: &MailboxConfig,
    store: &S,
    workflow: &str,
    now: DateTime<Utc>,
) -> Result<MailboxPass, ImapError> {
    let mut session = login(config).await?;
    let mut pass = MailboxPass::default();
    if let Some(processed) = &config.processed_folder {
        // Refused when it exists already; a folder we cannot create fails the MOVE, loudly.
        let _ = session.create(processed).await;
    }
    let capabilities = step(config, None, "CAPABILITY", session.capabilities()).await?;
    let can_move = capabilities.has_str("MOVE");
    let uidplus = capabilities.has_str("UIDPLUS");
    let mailbox = step(config, None, "SELECT", session.select(&config.folder)).await?;
    let keeps_keywords = mailbox.permanent_flags.contains(&Flag::MayCreate);
    if config.processed_folder.is_none() && !keeps_keywords {
        pass.problems.push(format!(
            "IMAP {} folder {}: the server does not keep the keyword {STORED_KEYWORD}, so messages are \
             fetched again on every poll (stored once); set processed_folder",
            config.address(),
            config.folder
        ));
    }
    let query = match config.processed_folder {
        Some(_) => "UNDELETED".to_owned(),
        None => format!("UNDELETED UNKEYWORD {STORED_KEYWORD}"),
    };
    let mut uids: Vec<u32> = step(config, None, "UID SEARCH", session.uid_search(&query)).await?.into_iter().collect();
    uids.sort_unstable();
    let uid_validity = mailbox.uid_validity;
    for uid in uids {
        let Some(raw) = fetch(config, &mut session, uid).await? else { continue };
        let message = MessageMeta { workflow, uid, uid_validity, now, mailbox: &config.folder };
        store_message(config, store, &message, raw, &mut pass).await?;
        // Only now, with every document committed, is the message marked as taken.
        mark_taken(config, &mut session, uid, can_move, uidplus).await?;
        pass.messages += 1;
    }
    step(config, None, "LOGOUT", session.logout()).await?;
    Ok(pass)
}

/// The whole message, without setting `\Seen` (`BODY.PEEK`); `None` when it
/// vanished since the search (another client took it).
async fn fetch(config: &MailboxConfig, session: &mut ImapSession, uid: u32) -> Result<Option<Vec<u8>>, ImapError> {
    let fetches = step(config, Some(uid), "UID FETCH", async {
        let stream = session.uid_fetch(uid.to_string(), "(UID BODY.PEEK[])").await?;
        stream.try_collect::<Vec<_>>().await
    })
    .await?;
    Ok(fetches.iter().find(|fetch| fetch.uid == Some(uid)).and_then(|fetch| fetch.body()).map(<[u8]>::to_vec))
}

/// Where a message came from, for its documents' meta.
struct MessageMeta<'a> {
    workflow: &'a str,
    uid: u32,
    uid_validity: Option<u32>,
    now: DateTime<Utc>,
    mailbox: &'a str,
}

/// Stores the raw message, then each attachment; all before anything is flagged.
async fn store_message<S: Store>(
    config: &MailboxConfig,
    store: &S,
    message: &MessageMeta<'_>,
    raw: Vec<u8>,
    pass: &mut MailboxPass,
) -> Result<(), ImapError> {
    let store_error = |source: StoreError| ImapError::Store {
        address: config.address(),
        folder: config.folder.clone(),
        uid: message.uid,
        source,
    };
    // The same parse as the pipeline's e-mail reader, its known panic contained.
    let parsed = parse_mime(&raw);
    let problem = parsed.as_ref().map_or_else(|| Some("no message header could be read".to_owned()), mime_problem);
    let message_id = parsed.as_ref().and_then(|parsed| parsed.message_id()).map(str::to_owned);
    let subject = parsed.as_ref().and_then(|parsed| parsed.subject()).map(str::to_owned);
    let from = parsed
        .as_ref()
        .and_then(|parsed| parsed.from())
        .and_then(|from| from.first())
        .and_then(|address| address.address())
        .map(str::to_owned);
    let base_name = subject.as_deref().map(file_name_part).filter(|name| !name.is_empty());
    let file_name = format!("{}.eml", base_name.unwrap_or_else(|| format!("uid-{}", message.uid)));
    let message_sha = Sha256::of(&raw);
    // A broken structure yields no trustworthy parts: such a message is kept raw only.
    let attachments: Vec<(String, Vec<u8>)> = parsed
        .as_ref()
        .filter(|_| problem.is_none())
        .map(|parsed| {
            parsed
                .attachments()
                .enumerate()
                .map(|(index, part)| (attachment_file_name(part, index), part.contents().to_vec()))
                .collect()
        })
        .unwrap_or_default();
    if let Some(problem) = &problem {
        pass.problems.push(format!(
            "IMAP {} folder {} UID {}: not valid MIME ({problem}); stored raw as {file_name}",
            config.address(),
            config.folder,
            message.uid
        ));
    }
    let meta = json!({
        "workflow": message.workflow,
        "message_id": message_id,
        "subject": subject,
        "uid": message.uid,
        "uid_validity": message.uid_validity,
        "mailbox": message.mailbox,
        "attachments": attachments.len(),
        "mime_problem": problem,
    });
    if attachments.is_empty() {
        // The message itself is the order (a body, or MIME too broken to split).
        let received = document(message, file_name, from.clone(), raw, meta);
        count(pass, store.receive(received).await.map_err(store_error)?.duplicate);
        return Ok(());
    }
    // The attachments are the documents; the message is kept whole beside them
    // (content-addressed, named in each attachment's meta) so nothing received
    // is lost, without a second review item for the envelope around them.
    store.put_blob(&raw).await.map_err(store_error)?;
    for (part, (part_name, bytes)) in attachments.into_iter().enumerate() {
        let meta = json!({
            "workflow": message.workflow,
            "message_id": message_id,
            "subject": subject,
            "message_file_name": file_name,
            "message_sha256": message_sha.as_str(),
            "part": part,
            "uid": message.uid,
            "mailbox": message.mailbox,
        });
        let received = document(message, part_name, from.clone(), bytes, meta);
        count(pass, store.receive(received).await.map_err(store_error)?.duplicate);
    }
    Ok(())
}

fn document(
    message: &MessageMeta<'_>,
    file_name: String,
    from: Option<String>,
    bytes: Vec<u8>,
    meta: Value,
) -> Received {
    Received { source: source_name(message.workflow), file_name, received_at: message.now, from, bytes, meta }
}

fn count(pass: &mut MailboxPass, duplicate: bool) {
    if duplicate {
        pass.duplicates += 1;
    } else {
        pass.stored += 1;
    }
}

/// What is wrong with a message mail-parser could read, if anything: a
/// multipart body whose boundary never occurs.
fn mime_problem(parsed: &mail_parser::Message<'_>) -> Option<String> {
    let root = parsed.root_part();
    let content_type = root.content_type()?;
    if !content_type.ctype().eq_ignore_ascii_case("multipart") {
        return None;
    }
    let Some(boundary) = content_type.attribute("boundary") else {
        return Some("a multipart body without a boundary parameter".to_owned());
    };
    let parts = root.sub_parts().map_or(0, <[u32]>::len);
    (parts == 0).then(|| format!("the multipart boundary \"{boundary}\" never occurs in the body"))
}

/// The attachment's own name, made safe as a file name, or `part-<n>`.
fn attachment_file_name(part: &mail_parser::MessagePart<'_>, index: usize) -> String {
    let named = part.attachment_name().map(file_name_part).filter(|name| !name.is_empty());
    named.unwrap_or_else(|| {
        let extension = if part.is_message() { "eml" } else { "bin" };
        format!("part-{index}.{extension}")
    })
}

/// Flags the message as taken, and moves it when a processed folder is set
/// (UID MOVE, or COPY + `\Deleted` + EXPUNGE on a server without MOVE).
async fn mark_taken(
    config: &MailboxConfig,
    session: &mut ImapSession,
    uid: u32,
    can_move: bool,
    uidplus: bool,
) -> Result<(), ImapError> {
    let uid_set = uid.to_string();
    let flags = format!("+FLAGS.SILENT (\\Seen {STORED_KEYWORD})");
    store_flags(config, session, uid, &flags).await?;
    let Some(processed) = &config.processed_folder else { return Ok(()) };
    if can_move {
        return step(config, Some(uid), &format!("UID MOVE to {processed}"), session.uid_mv(&uid_set, processed)).await;
    }
    step(config, Some(uid), &format!("UID COPY to {processed}"), session.uid_copy(&uid_set, processed)).await?;
    store_flags(config, session, uid, "+FLAGS.SILENT (\\Deleted)").await?;
    step(config, Some(uid), "EXPUNGE", async {
        if uidplus {
            session.uid_expunge(&uid_set).await?.try_collect::<Vec<_>>().await
        } else {
            session.expunge().await?.try_collect::<Vec<_>>().await.map(|_| Vec::new())
        }
    })
    .await?;
    Ok(())
}

async fn store_flags(
    config: &MailboxConfig,
    session: &mut ImapSession,
    uid: u32,
    flags: &str,
) -> Result<(), ImapError> {
    step(config, Some(uid), "UID STORE", async {
        session.uid_store(uid.to_string(), flags).await?.try_collect::<Vec<_>>().await
    })
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_separators_and_leading_dots() {
        assert_eq!(file_name_part("PO 4711 / Acme: urgent"), "PO 4711 _ Acme_ urgent");
        assert_eq!(file_name_part("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(file_name_part("  \r\n "), "__");
        assert_eq!(file_name_part(&"x".repeat(300)).len(), 100);
    }

    #[test]
    fn a_multipart_without_its_boundary_is_a_problem() {
        let raw = b"From: a@example.com\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=\"zz\"\r\n\r\nno parts here\r\n";
        let parsed = parse_mime(raw);
        let problem = parsed.as_ref().and_then(mime_problem);
        assert!(problem.as_deref().is_some_and(|problem| problem.contains("zz")), "{problem:?}");
        let plain = b"From: a@example.com\r\nSubject: x\r\n\r\nhello\r\n";
        assert_eq!(parse_mime(plain).as_ref().and_then(mime_problem), None);
    }

    #[test]
    fn the_password_is_not_in_debug_output() {
        let config = MailboxConfig {
            host: "imap.example.com".to_owned(),
            port: 993,
            security: Security::Tls,
            user: "orders".to_owned(),
            password: "hunter2".to_owned(),
            folder: "INBOX".to_owned(),
            processed_folder: None,
            ca_file: None,
        };
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
