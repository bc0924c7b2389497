//! E-mail (RFC 5322, MIME) through `mail-parser`.
//!
//! The body is the newest message's own text: the text/plain part when
//! there is one with text, else the HTML part laid out as text (tables as
//! columns); quoted and forwarded history goes to [`Email::quoted`], the
//! signature and disclaimers are dropped. Every other part is an
//! attachment for the caller to read again, a forwarded message included
//! (as `NAME.eml`); logos are not.

mod html;
mod quote;

use chrono::{DateTime, Utc};
use mail_parser::{Message, MessageParser, MessagePart, MimeHeaders, PartType};
use prodline_core::{Diagnostic, DocumentText, Position, TextSource};

/// An inline image referenced by a Content-ID and smaller than this is a
/// logo or a signature picture, not an order.
const LOGO_MAX_BYTES: usize = 20 * 1024;

/// One e-mail, read.
#[derive(Debug, Clone, Default)]
pub struct Email {
    /// The sender's address (`From`), lower-cased.
    pub from: Option<String>,
    pub subject: Option<String>,
    pub date: Option<DateTime<Utc>>,
    /// The newest message's text: quoted replies, forwarded history,
    /// signatures and disclaimers left out. Its `subject` is set.
    pub body: DocumentText,
    /// What the newest message quotes or forwards (older messages), for a
    /// body that says the order is below.
    pub quoted: Option<DocumentText>,
    /// Every attachment, a forwarded message (`message/rfc822`) included.
    pub attachments: Vec<Attachment>,
    /// What could not be read, with positions.
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Debug, Clone)]
pub struct Attachment {
    pub name: Option<String>,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// mail-parser, with its one known panic contained: on some broken multipart
/// nesting it reaches a `debug_assert!` (found by `fuzz/fuzz_targets/email.rs`;
/// builds with debug assertions panic there, release builds do not). A panic
/// is an unreadable message, like any other.
pub fn parse_mime(bytes: &[u8]) -> Option<Message<'_>> {
    std::panic::catch_unwind(|| MessageParser::default().parse(bytes)).ok().flatten()
}

/// Read an e-mail. Never fails: what cannot be read is a diagnostic.
pub fn read_email(bytes: &[u8]) -> Email {
    let Some(message) = parse_mime(bytes) else {
        return Email {
            body: DocumentText::new(TextSource::Email, Vec::new()),
            diagnostics: vec![Diagnostic::error(
                "email_unreadable",
                "no e-mail header could be read",
                Position::default(),
            )],
            ..Email::default()
        };
    };
    let subject = message.subject().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let body_parts = body_parts(&message);
    let split = quote::split(&body_text(&message, &body_parts));
    let text = |text: String| DocumentText {
        source: Some(TextSource::Email),
        pages: vec![text],
        subject: subject.clone(),
        ocr: None,
    };
    let mut email = Email {
        from: sender(&message),
        subject: subject.clone(),
        date: message.date().and_then(|date| DateTime::from_timestamp(date.to_timestamp(), 0)),
        body: text(split.newest),
        quoted: (!split.quoted.trim().is_empty()).then(|| text(split.quoted)),
        attachments: Vec::new(),
        diagnostics: Vec::new(),
    };
    read_attachments(&message, &body_parts, &mut email);
    email
}

/// The sender's address, lower-cased: `From`, else `Sender`.
fn sender(message: &Message<'_>) -> Option<String> {
    let address = message.from().or_else(|| message.sender())?;
    address.iter().find_map(|addr| addr.address()).map(|a| a.trim().to_lowercase()).filter(|a| !a.is_empty())
}

/// The parts that make the body: the text/plain ones when any has text,
/// else the HTML ones.
fn body_parts(message: &Message<'_>) -> Vec<u32> {
    let of_kind = |ids: &[u32], html: bool| -> Vec<u32> {
        ids.iter()
            .copied()
            .filter(|id| match message.part(*id).map(|part| &part.body) {
                Some(PartType::Text(text)) => !html && !text.trim().is_empty(),
                Some(PartType::Html(_)) => html,
                _ => false,
            })
            .collect()
    };
    let plain = of_kind(&message.text_body, false);
    if plain.is_empty() { of_kind(&message.html_body, true) } else { plain }
}

fn body_text(message: &Message<'_>, parts: &[u32]) -> String {
    let texts: Vec<String> = parts
        .iter()
        .filter_map(|id| match &message.part(*id)?.body {
            PartType::Text(text) => Some(text.replace("\r\n", "\n")),
            PartType::Html(html) => Some(html::html_to_text(html)),
            _ => None,
        })
        .collect();
    texts.join("\n")
}

/// Every part that is not the body, an alternative of it, a container or
/// a logo.
fn read_attachments(message: &Message<'_>, body: &[u32], email: &mut Email) {
    for (index, part) in message.parts.iter().enumerate() {
        let Ok(id) = u32::try_from(index) else { break };
        if part.is_multipart() || body.contains(&id) || is_body_alternative(message, id) || is_logo(part) {
            continue;
        }
        if part.is_encoding_problem {
            email.diagnostics.push(unreadable(part, index));
            continue;
        }
        let content_type = content_type(part);
        let bytes = part.contents().to_vec();
        if bytes.is_empty() {
            continue;
        }
        let name = attachment_name(part, index);
        email.attachments.push(Attachment { name: Some(name), content_type, bytes });
    }
}

/// A text/plain or text/html part the body was chosen over.
fn is_body_alternative(message: &Message<'_>, id: u32) -> bool {
    let listed = message.text_body.contains(&id) || message.html_body.contains(&id);
    listed && message.part(id).is_some_and(|part| matches!(part.body, PartType::Text(_) | PartType::Html(_)))
}

/// A small inline image the HTML shows by its Content-ID.
fn is_logo(part: &MessagePart<'_>) -> bool {
    let image = part.content_type().is_some_and(|ct| ct.ctype().eq_ignore_ascii_case("image"));
    image && part.content_id().is_some() && part.len() < LOGO_MAX_BYTES
}

fn content_type(part: &MessagePart<'_>) -> String {
    match part.content_type() {
        Some(ct) => match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub).to_lowercase(),
            None => ct.ctype().to_lowercase(),
        },
        None if part.is_message() => "message/rfc822".to_owned(),
        None => "text/plain".to_owned(),
    }
}

/// The part's file name, made safe; a forwarded message is `NAME.eml`,
/// named after its subject when it has no name; else `part-N.EXT`.
fn attachment_name(part: &MessagePart<'_>, index: usize) -> String {
    let named = part.attachment_name().map(file_name_part).filter(|name| !name.is_empty());
    if let PartType::Message(inner) = &part.body {
        let name = named.or_else(|| inner.subject().map(file_name_part).filter(|n| !n.is_empty()));
        let name = name.unwrap_or_else(|| format!("part-{index}"));
        return if name.to_lowercase().ends_with(".eml") { name } else { format!("{name}.eml") };
    }
    named.unwrap_or_else(|| format!("part-{index}.{}", extension(part)))
}

fn extension(part: &MessagePart<'_>) -> &'static str {
    let subtype = part.content_type().and_then(|ct| ct.subtype()).unwrap_or("").to_ascii_lowercase();
    match subtype.as_str() {
        "pdf" => "pdf",
        "csv" => "csv",
        "plain" => "txt",
        "html" => "html",
        "png" => "png",
        "jpeg" | "jpg" => "jpg",
        "tiff" => "tif",
        "vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "xlsx",
        "edi-x12" => "x12",
        "edifact" => "edi",
        "xml" => "xml",
        _ => "bin",
    }
}

/// Text made safe as one file name: no path separators or control
/// characters, no leading dots, at most 100 characters. The IMAP source
/// names the documents it stores with it too.
pub fn file_name_part(text: &str) -> String {
    let cleaned: String =
        text.chars()
            .map(|c| {
                if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                    '_'
                } else {
                    c
                }
            })
            .take(100)
            .collect();
    cleaned.trim().trim_start_matches('.').trim().to_owned()
}

fn unreadable(part: &MessagePart<'_>, index: usize) -> Diagnostic {
    let name = part.attachment_name().unwrap_or("without a name");
    Diagnostic::warning(
        "attachment_unreadable",
        format!("MIME part {index} ({}, {name}) could not be decoded; it is left out", content_type(part)),
        Position {
            segment: Some(index),
            segment_id: Some("MIME part".to_owned()),
            byte_offset: Some(part.raw_header_offset() as usize),
            ..Position::default()
        },
    )
}
