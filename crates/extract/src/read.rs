//! Reading any document into a [`ParsedDocument`]: structured formats by
//! their readers, everything else as text (e-mail body, PDF text layer, OCR,
//! plain text) by an extractor: the built-in text extractor, or a model with
//! the built-in beside it.
//!
//! Architecture Invariant: reading never fails. A tool that is missing or
//! fails, a model that errs, bytes nobody can read: each is a diagnostic
//! (`extractor_failed`, `parse_error`) that sends the document to review.

use std::time::Instant;

use prodline_core::{
    CanonicalOrder, Diagnostic, DocumentText, Format, ItemId, ItemIdKind, ParsedDocument, ParsedLine, ParsedOrder,
    Party, PartyId, Position, Usage,
};
use prodline_textin::ToolError;
use prodline_textin::email::{Attachment, Email};
use serde_json::json;

use crate::model::{Extractors, ModelInput};
use crate::pipeline::{Context, DecisionConfig};
use crate::resolve::MODEL_QUALIFIER;
use crate::{MasterData, Memory};

/// How deep attachments are followed (a forwarded e-mail's attachment's...).
const MAX_DEPTH: usize = 4;
/// The name in [`Usage::extractor`] of the built-in text extractor.
pub const BUILTIN: &str = "builtin";

/// What reading a document gave.
#[derive(Debug, Clone, Default)]
pub struct Reading {
    /// The deciding extractor's reading (the champion's).
    pub parsed: ParsedDocument,
    /// The built-in extractor's reading of the same document, when a model
    /// was the champion and read text: what agreement is measured against.
    pub builtin: Option<ParsedDocument>,
    /// The text that was read (the part that gave orders, else the first).
    pub text: Option<DocumentText>,
    /// What the extractors cost; `None` when only structured readers ran.
    pub usage: Option<Usage>,
    /// The sender that was used: an e-mail's own `From`, else the context's.
    pub from: Option<String>,
}

/// Everything reading needs besides the bytes.
#[derive(Clone, Copy)]
pub struct Readers<'a> {
    pub master: &'a MasterData,
    pub memory: &'a Memory,
    pub config: &'a DecisionConfig,
    pub extractors: &'a Extractors,
}

/// Read a document of any format.
pub fn read_document(bytes: &[u8], ctx: &Context, readers: Readers<'_>) -> Reading {
    read_at(bytes, ctx, readers, 0)
}

fn read_at(bytes: &[u8], ctx: &Context, readers: Readers<'_>, depth: usize) -> Reading {
    let format = prodline_formats::detect(bytes, ctx.file_name.as_deref());
    let tools = &readers.extractors.tools;
    let from = ctx.from.clone();
    match format {
        Format::X12 | Format::Edifact | Format::Csv | Format::Xlsx | Format::Ubl => {
            Reading { parsed: prodline_formats::parse(bytes, ctx.file_name.as_deref()), from, ..Reading::default() }
        }
        Format::Email => read_email(bytes, ctx, readers, depth),
        Format::Pdf => from_tool(prodline_textin::pdf_text(bytes, tools), format, "pdftotext", bytes, ctx, readers),
        Format::Image => from_tool(prodline_textin::ocr_image(bytes, tools), format, "tesseract", bytes, ctx, readers),
        Format::Text => read_text(&prodline_textin::plain_text(bytes), Format::Text, bytes, ctx, readers),
        Format::Unknown if looks_like_text(bytes) => {
            read_text(&prodline_textin::plain_text(bytes), Format::Text, bytes, ctx, readers)
        }
        Format::Unknown => Reading { parsed: unreadable(bytes), from, ..Reading::default() },
    }
}

/// Bytes that are no format we know and no text: a `parse_error` rather
/// than `not_an_order`, because nobody looked inside (it may be an order in
/// a word processor's file); a person says what it is.
fn unreadable(bytes: &[u8]) -> ParsedDocument {
    let mut parsed = ParsedDocument::new(Format::Unknown);
    let message = format!("unreadable binary document ({} bytes): no reader and no text in it", bytes.len());
    parsed.diagnostics.push(Diagnostic::error("unreadable_document", message, Position::default()));
    parsed
}

/// Mostly printable UTF-8 (or Latin-1) text: at least 95 % of the first
/// 4 KB are printable characters or white space, and no NUL.
fn looks_like_text(bytes: &[u8]) -> bool {
    let head = bytes.get(..bytes.len().min(4096)).unwrap_or_default();
    if head.is_empty() || head.contains(&0) {
        return false;
    }
    let text = String::from_utf8_lossy(head);
    let total = text.chars().count();
    let printable = text.chars().filter(|c| !c.is_control() || c.is_whitespace()).count();
    let replaced = text.chars().filter(|c| *c == char::REPLACEMENT_CHARACTER).count();
    (printable - replaced.min(printable)) * 100 >= total * 95
}

/// A PDF or an image: its text through the tool, or `extractor_failed`
/// naming the tool's error (which names `scripts/ocr.sh` when it is missing).
fn from_tool(
    text: Result<DocumentText, ToolError>,
    format: Format,
    tool: &str,
    bytes: &[u8],
    ctx: &Context,
    readers: Readers<'_>,
) -> Reading {
    match text {
        Ok(text) => read_text(&text, format, bytes, ctx, readers),
        Err(error) => {
            let mut parsed = ParsedDocument::new(format);
            let message = format!("{tool} could not read the document: {error}");
            parsed.diagnostics.push(Diagnostic::error("extractor_failed", message, Position::default()));
            Reading { parsed, from: ctx.from.clone(), ..Reading::default() }
        }
    }
}

/// A text through the extractors: the built-in alone, or the champion model
/// with the built-in beside it.
fn read_text(text: &DocumentText, format: Format, bytes: &[u8], ctx: &Context, readers: Readers<'_>) -> Reading {
    let started = Instant::now();
    let mut builtin = crate::text::extract_text(text, format, ctx, readers.master, readers.memory);
    builtin.format = Some(format);
    let builtin_usage =
        Usage { extractor: BUILTIN.to_owned(), calls: 1, millis: elapsed_millis(started), ..Usage::default() };
    let ocr_finding = ocr_diagnostic(text, readers.config);
    let finish = |mut parsed: ParsedDocument| {
        parsed.ocr = text.ocr;
        parsed.diagnostics.extend(ocr_finding.clone());
        parsed
    };
    let Some(model) = readers.extractors.champion.as_ref() else {
        return Reading {
            parsed: finish(builtin),
            builtin: None,
            text: Some(text.clone()),
            usage: Some(builtin_usage),
            from: ctx.from.clone(),
        };
    };
    let context = json!({
        "file_name": ctx.file_name,
        "from": ctx.from,
        "received_at": ctx.received_at.map(|t| t.to_rfc3339()),
        "format": format.as_str(),
    });
    let input = ModelInput { file_name: ctx.file_name.as_deref(), bytes, text, context: &context };
    match model.extract(&input) {
        Ok(output) => Reading {
            parsed: finish(model_document(&output.orders, format)),
            builtin: Some(finish(builtin)),
            text: Some(text.clone()),
            usage: Some(output.usage),
            from: ctx.from.clone(),
        },
        Err(error) => {
            // The built-in's reading is kept for the reviewer.
            let mut parsed = finish(builtin);
            let message = format!("model {} failed: {}", model.name(), error.message);
            parsed.diagnostics.push(Diagnostic::error("extractor_failed", message, Position::default()));
            Reading {
                parsed,
                builtin: None,
                text: Some(text.clone()),
                usage: Some(error.usage),
                from: ctx.from.clone(),
            }
        }
    }
}

fn elapsed_millis(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// `low_ocr_confidence` (a warning: the text may be misread) when OCR's mean
/// word confidence is below the configured minimum.
fn ocr_diagnostic(text: &DocumentText, config: &DecisionConfig) -> Option<Diagnostic> {
    let ocr = text.ocr?;
    if ocr.mean_confidence >= config.ocr_min_confidence {
        return None;
    }
    let message = format!(
        "OCR read {} words with a mean confidence of {:.1} (below {:.1}); {} words below 60",
        ocr.words, ocr.mean_confidence, config.ocr_min_confidence, ocr.low_confidence_words
    );
    Some(Diagnostic::warning("low_ocr_confidence", message, Position::default()))
}

/// A model's canonical orders as a reader's orders, so that they are
/// resolved and validated like any other: ids become qualified ids the
/// resolver checks against the master data.
pub fn model_document(orders: &[CanonicalOrder], format: Format) -> ParsedDocument {
    let mut parsed = ParsedDocument::new(format);
    parsed.orders = orders.iter().map(model_order).collect();
    parsed
}

fn model_order(order: &CanonicalOrder) -> ParsedOrder {
    let party = |code: &str, id: &Option<String>| {
        id.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(|value| {
            let mut party = Party::new(code);
            party.id = Some(PartyId { qualifier: Some(MODEL_QUALIFIER.to_owned()), value: value.to_owned() });
            party
        })
    };
    ParsedOrder {
        po_number: order.customer_po.clone(),
        order_date: order.order_date,
        requested_date: order.requested_date,
        currency: order.currency.clone(),
        parties: party("BY", &order.customer_id).into_iter().chain(party("ST", &order.ship_to)).collect(),
        lines: order.lines.iter().map(model_line).collect(),
        ..ParsedOrder::default()
    }
}

fn model_line(line: &prodline_core::CanonicalLine) -> ParsedLine {
    let id = |kind: ItemIdKind, value: &Option<String>| {
        value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(|value| ItemId {
            kind,
            qualifier: None,
            value: value.to_owned(),
        })
    };
    ParsedLine {
        line_no: line.line.map(|n| n.to_string()),
        // The customer's part first: it is what the document said.
        item_ids: id(ItemIdKind::BuyerPart, &line.customer_part)
            .into_iter()
            .chain(id(ItemIdKind::Sku, &line.sku))
            .collect(),
        description: line.description.clone(),
        qty: Some(line.qty),
        uom: line.uom.clone(),
        unit_price: line.unit_price,
        ..ParsedLine::default()
    }
}

/// An e-mail: its sender, its attachments read recursively, then its body,
/// then what it quotes when the body points below.
fn read_email(bytes: &[u8], ctx: &Context, readers: Readers<'_>, depth: usize) -> Reading {
    let email = prodline_textin::email::read_email(bytes);
    // The e-mail's own From is the truth of who sent it.
    let ctx = Context { from: email.from.clone().or_else(|| ctx.from.clone()), ..ctx.clone() };
    let mut reading =
        Reading { parsed: ParsedDocument::new(Format::Email), from: ctx.from.clone(), ..Reading::default() };
    reading.parsed.diagnostics.extend(email.diagnostics.iter().cloned());
    let mut quiet: Vec<Diagnostic> = Vec::new();
    if depth < MAX_DEPTH {
        for (index, attachment) in email.attachments.iter().enumerate() {
            let part = read_attachment(attachment, index, &ctx, readers, depth);
            merge_part(&mut reading, part, &attachment_label(attachment, index), &mut quiet);
        }
    } else if !email.attachments.is_empty() {
        let message = format!("attachments nested deeper than {MAX_DEPTH} levels are not read");
        reading.parsed.diagnostics.push(Diagnostic::warning("attachments_too_deep", message, Position::default()));
    }
    if reading.parsed.orders.is_empty() {
        read_body(&email, &ctx, readers, &mut reading, &mut quiet);
    }
    if reading.parsed.orders.is_empty() {
        // Nothing gave an order: every finding of every part is worth a look.
        reading.parsed.diagnostics.append(&mut quiet);
    }
    if reading.text.is_none() {
        reading.text = Some(email.body.clone());
    }
    reading
}

fn attachment_label(attachment: &Attachment, index: usize) -> String {
    match attachment.name.as_deref().filter(|n| !n.trim().is_empty()) {
        Some(name) => format!("attachment {name:?}"),
        None => format!("attachment {} ({})", index + 1, attachment.content_type),
    }
}

/// An attachment by the same flow; its format told by its bytes and name
/// (a name from the content type when it has none).
fn read_attachment(
    attachment: &Attachment,
    index: usize,
    ctx: &Context,
    readers: Readers<'_>,
    depth: usize,
) -> Reading {
    let name = attachment.name.clone().unwrap_or_else(|| {
        let content_type = attachment.content_type.to_ascii_lowercase();
        let ext = match content_type.as_str() {
            "message/rfc822" => "eml",
            "application/pdf" => "pdf",
            "text/csv" => "csv",
            "text/plain" => "txt",
            t if t.starts_with("image/") => t.trim_start_matches("image/"),
            _ => "bin",
        };
        format!("attachment-{}.{ext}", index + 1)
    });
    let ctx = Context { file_name: Some(name), ..ctx.clone() };
    read_at(&attachment.bytes, &ctx, readers, depth + 1)
}

/// Adds one part's reading to the e-mail's. Findings of a part that gave no
/// order are held back (`quiet`) unless its extractor failed: a logo or a
/// terms-and-conditions PDF beside the order should not send it to review.
fn merge_part(reading: &mut Reading, part: Reading, label: &str, quiet: &mut Vec<Diagnostic>) {
    let prefixed = |d: &Diagnostic| Diagnostic { message: format!("{label}: {}", d.message), ..d.clone() };
    let gave_orders = !part.parsed.orders.is_empty();
    for diagnostic in &part.parsed.diagnostics {
        if gave_orders || diagnostic.code == "extractor_failed" {
            reading.parsed.diagnostics.push(prefixed(diagnostic));
        } else {
            quiet.push(prefixed(diagnostic));
        }
    }
    if reading.builtin.is_some() || part.builtin.is_some() {
        let base = reading.builtin.take().unwrap_or_else(|| reading.parsed.clone());
        let mut merged = base;
        let part_builtin = part.builtin.as_ref().unwrap_or(&part.parsed);
        merged.orders.extend(part_builtin.orders.iter().cloned());
        reading.builtin = Some(merged);
    }
    reading.parsed.orders.extend(part.parsed.orders);
    reading.parsed.skipped.extend(part.parsed.skipped);
    if reading.parsed.ocr.is_none() {
        reading.parsed.ocr = part.parsed.ocr;
    }
    if let Some(usage) = part.usage {
        add_usage(&mut reading.usage, &usage);
    }
    if gave_orders && reading.text.is_none() {
        reading.text = part.text;
    }
}

fn add_usage(total: &mut Option<Usage>, usage: &Usage) {
    match total {
        Some(total) => {
            total.add(usage);
            if total.extractor != usage.extractor && usage.extractor != BUILTIN {
                total.extractor.clone_from(&usage.extractor);
            }
        }
        None => *total = Some(usage.clone()),
    }
}

/// The body, when no attachment gave an order; then what it quotes or
/// forwards, when the body gave none and points to it.
fn read_body(email: &Email, ctx: &Context, readers: Readers<'_>, reading: &mut Reading, quiet: &mut Vec<Diagnostic>) {
    let body_text = email.body.joined();
    let body = read_text(&email.body, Format::Email, &[], ctx, readers);
    if !body.parsed.orders.is_empty() {
        merge_part(reading, body, "body", quiet);
        return;
    }
    if let Some(quoted) = email.quoted.as_ref().filter(|_| points_below(&body_text, email)) {
        // "Please enter the order below. PO number is PB-1042": the newest
        // message's PO and ship-to with the lines it forwards, read as one.
        let together = with_quoted(&email.body, quoted);
        let both = read_text(&together, Format::Email, &[], ctx, readers);
        if both.parsed.orders.iter().any(|o| o.po_number.is_some() && !o.lines.is_empty()) {
            merge_part(reading, both, "message with the one it forwards", quiet);
            return;
        }
        let older = read_text(&without_forward_header(quoted), Format::Email, &[], ctx, readers);
        if !older.parsed.orders.is_empty() {
            // The body's own findings (often `not_an_order`) do not apply.
            merge_part(reading, older, "quoted message", quiet);
            return;
        }
    }
    if email.attachments.is_empty() && refers_to_attachment(&body_text) {
        let message = "the e-mail says the order is attached, but nothing is attached";
        reading.parsed.diagnostics.push(Diagnostic::warning("not_an_order", message, Position::default()));
    }
    merge_part(reading, body, "body", quiet);
}

/// The quoted message without the block that introduces it (a rule such as
/// `-----Original Message-----`, its `From:`/`Sent:`/`Subject:` lines, an
/// "On ... wrote:" attribution): what the extractor reads is the message.
fn without_forward_header(quoted: &DocumentText) -> DocumentText {
    const HEADERS: &[&str] = &["from", "sent", "date", "to", "cc", "subject", "reply-to"];
    let text = quoted.joined();
    let lines: Vec<&str> = text.lines().collect();
    let is_intro = |line: &str| {
        let line = line.trim();
        let lower = line.to_lowercase();
        line.is_empty()
            || (line.starts_with("--") && (lower.contains("original") || lower.contains("forward")))
            || lower.starts_with("begin forwarded message")
            || (lower.starts_with("on ") && lower.ends_with("wrote:"))
            || line.split_once(':').is_some_and(|(name, _)| HEADERS.contains(&name.trim().to_lowercase().as_str()))
    };
    let start = lines.iter().position(|line| !is_intro(line)).unwrap_or(lines.len());
    let rest = lines.get(start..).unwrap_or_default().join("\n");
    DocumentText { pages: vec![rest], ..quoted.clone() }
}

/// The newest message followed by the one it quotes or forwards (without
/// its header block), as one text.
fn with_quoted(body: &DocumentText, quoted: &DocumentText) -> DocumentText {
    let older = without_forward_header(quoted).joined();
    DocumentText { pages: vec![format!("{}\n\n{older}", body.joined())], ..body.clone() }
}

/// A short body that only points at an attachment ("see attached", "PO
/// attached", "please find attached").
fn refers_to_attachment(body: &str) -> bool {
    let lower = body.to_lowercase();
    let words = lower.split_whitespace().count();
    words <= 30 && (lower.contains("attached") || lower.contains("attachment") || lower.contains("enclosed"))
}

/// A newest message that hands over an older one: "see below", "please
/// process the order below", "FYI", or a forward.
fn points_below(body: &str, email: &Email) -> bool {
    const POINTERS: &[&str] = &["below", "fyi", "fwd", "forward", "see order", "please process", "trailing"];
    let lower = body.to_lowercase();
    let subject = email.subject.as_deref().unwrap_or_default().to_lowercase();
    POINTERS.iter().any(|p| lower.contains(p))
        || subject.starts_with("fw:")
        || subject.starts_with("fwd:")
        || lower.split_whitespace().count() <= 12
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_told_from_binary() {
        assert!(looks_like_text(b"Please send 200 valves, PO 4711\r\nThanks"));
        assert!(looks_like_text("Grüße, 12 Stück".as_bytes()));
        assert!(!looks_like_text(b"\x00\x01\x02binary"));
        assert!(!looks_like_text(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0x03, 0x04, 0x05, 0x06]));
        assert!(!looks_like_text(b""));
    }

    #[test]
    fn a_forwarded_messages_header_block_is_left_out() {
        let quoted = DocumentText::new(
            prodline_core::TextSource::Email,
            vec![
                "-----Original Message-----\nFrom: Bob <b@a.example>\nSent: Monday\nSubject: PO 1\n\nShip 2 x A-1\nBob"
                    .into(),
            ],
        );
        assert_eq!(without_forward_header(&quoted).joined(), "Ship 2 x A-1\nBob");
    }

    #[test]
    fn a_short_body_pointing_at_an_attachment_is_told() {
        assert!(refers_to_attachment("Hi, please see attached PO. Thanks, Bob"));
        assert!(!refers_to_attachment("Please send 200 of HV-075-BR, PO 4711"));
    }

    #[test]
    fn model_orders_become_qualified_ids() {
        let order = CanonicalOrder {
            customer_id: Some("C0042".into()),
            customer_po: Some("4711".into()),
            ship_to: Some("ST-1".into()),
            lines: vec![prodline_core::CanonicalLine {
                line: Some(1),
                sku: Some("HV-075-BR".into()),
                customer_part: Some("88-1200".into()),
                qty: prodline_core::Decimal::new(200, 0),
                uom: Some("EA".into()),
                ..Default::default()
            }],
            ..Default::default()
        };
        let parsed = model_document(&[order], Format::Text);
        let read = parsed.orders.first().cloned().unwrap_or_default();
        let buyer = read.parties.iter().find(|p| p.role == prodline_core::PartyRole::Buyer);
        assert_eq!(buyer.and_then(|p| p.id.as_ref()).map(|i| i.value.as_str()), Some("C0042"));
        assert_eq!(read.lines.first().and_then(|l| l.id(ItemIdKind::Sku)), Some("HV-075-BR"));
        assert_eq!(read.lines.first().and_then(|l| l.id(ItemIdKind::BuyerPart)), Some("88-1200"));
    }
}
