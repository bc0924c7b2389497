//! Bytes in, a [`ParsedDocument`] out, whatever the format; never a panic.
//!
//! Spreadsheets (CSV, XLSX) go through one table interpreter
//! ([`interpret`]): header detection in six languages, multi-row headers,
//! several orders per file, listed items in one cell, decimal commas, date
//! order inference, headerless files. UBL XML has its own reader ([`ubl`]).
//! X12 and EDIFACT are dispatched to their crates.
//!
//! Architecture Invariant: readers do no I/O; the caller hands them bytes.

pub mod csv;
pub mod header;
pub mod headerless;
pub mod interpret;
pub mod items;
pub mod layout;
pub mod table;
pub mod ubl;
pub mod value;
pub mod xlsx;

use prodline_core::{Diagnostic, Format, ParsedDocument, Position};

/// How much of the start of a file detection looks at.
const HEAD_BYTES: usize = 8192;

/// Tell a document's format by its content first and its file name second
/// (SPEC §3).
pub fn detect(bytes: &[u8], file_name: Option<&str>) -> Format {
    let head_text = head_as_utf8(bytes);
    let head = head_text.as_bytes();
    let trimmed = trim_start(head);
    if let Some(format) = leading_signature(bytes, trimmed) {
        return format;
    }
    if starts_like_email(&head_text) {
        return Format::Email;
    }
    if let Some(format) = edi_inside(head) {
        return format;
    }
    let ext = file_name.and_then(|n| n.rsplit_once('.')).map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "xml" | "ubl" => Format::Ubl,
        "csv" | "tsv" => Format::Csv,
        "xlsx" | "xlsm" => Format::Xlsx,
        "eml" | "msg" => Format::Email,
        "pdf" => Format::Pdf,
        "png" | "jpg" | "jpeg" | "tif" | "tiff" | "gif" | "bmp" | "webp" => Format::Image,
        "txt" => Format::Text,
        _ if contains(head, b"<Order") => Format::Ubl,
        _ if looks_delimited(&head_text) => Format::Csv,
        _ => Format::Unknown,
    }
}

/// The first bytes as text: UTF-8 after a BOM, UTF-16 decoded.
fn head_as_utf8(bytes: &[u8]) -> String {
    let head = bytes.get(..bytes.len().min(HEAD_BYTES)).unwrap_or_default();
    match encoding_rs::Encoding::for_bom(head) {
        Some((encoding, bom_len)) => {
            encoding.decode_without_bom_handling(head.get(bom_len..).unwrap_or_default()).0.into_owned()
        }
        None => String::from_utf8_lossy(head).into_owned(),
    }
}

fn trim_start(head: &[u8]) -> &[u8] {
    let start = head.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(head.len());
    head.get(start..).unwrap_or_default()
}

/// Formats told by their first bytes.
fn leading_signature(bytes: &[u8], trimmed: &[u8]) -> Option<Format> {
    let tag_then_separator =
        |tag: &[u8]| trimmed.starts_with(tag) && trimmed.get(tag.len()).is_some_and(|b| !b.is_ascii_alphanumeric());
    if tag_then_separator(b"ISA") {
        return Some(Format::X12);
    }
    if tag_then_separator(b"UNA") || tag_then_separator(b"UNB") || tag_then_separator(b"UNH") {
        return Some(Format::Edifact);
    }
    if trimmed.starts_with(b"%PDF") {
        return Some(Format::Pdf);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        let zip_head = bytes.get(..bytes.len().min(1 << 16)).unwrap_or_default();
        return (contains(zip_head, b"xl/") || contains(zip_head, b"[Content_Types].xml")).then_some(Format::Xlsx);
    }
    if is_image(bytes) {
        return Some(Format::Image);
    }
    if trimmed.starts_with(b"<") {
        return xml_root(trimmed).map(|root| if root == "Order" { Format::Ubl } else { Format::Unknown });
    }
    None
}

fn is_image(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x89, b'P', b'N', b'G'])
        || bytes.starts_with(&[0xFF, 0xD8, 0xFF])
        || bytes.starts_with(b"II*\0")
        || bytes.starts_with(b"MM\0*")
        || bytes.starts_with(b"GIF8")
        || bytes.starts_with(b"BM") && bytes.len() > 26 && bytes.get(6..10) == Some(&[0, 0, 0, 0])
        || (bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP"))
}

/// Local name of the root element, past the declaration, comments and DOCTYPE.
fn xml_root(text: &[u8]) -> Option<String> {
    let mut rest = text;
    loop {
        rest = trim_start(rest);
        if rest.starts_with(b"<?") || rest.starts_with(b"<!") {
            let close: &[u8] = if rest.starts_with(b"<!--") { b"-->" } else { b">" };
            let end = rest.windows(close.len()).position(|w| w == close)?;
            rest = rest.get(end + close.len()..)?;
            continue;
        }
        let tag = rest.strip_prefix(b"<")?;
        let name_len =
            tag.iter().position(|b| b.is_ascii_whitespace() || matches!(b, b'>' | b'/')).unwrap_or(tag.len());
        let name = String::from_utf8_lossy(tag.get(..name_len)?).into_owned();
        return Some(name.rsplit(':').next().unwrap_or_default().to_string());
    }
}

/// RFC 5322 header lines at the top: `From:`, `Subject:`, `Received:`...
fn starts_like_email(head: &str) -> bool {
    const HEADERS: &[&str] = &[
        "from",
        "to",
        "subject",
        "received",
        "mime-version",
        "return-path",
        "delivered-to",
        "date",
        "message-id",
        "content-type",
        "reply-to",
        "cc",
        "x-mailer",
        "dkim-signature",
        "authentication-results",
        "sender",
    ];
    let text = head.trim_start();
    if text.starts_with("From ") && text.lines().nth(1).is_some_and(|l| l.contains(':')) {
        return true;
    }
    let header_lines = text
        .lines()
        .take(12)
        .take_while(|l| !l.trim().is_empty())
        .filter(|line| {
            line.split_once(':').is_some_and(|(name, _)| HEADERS.contains(&name.trim().to_ascii_lowercase().as_str()))
        })
        .count();
    let first_is_header = text
        .lines()
        .next()
        .and_then(|l| l.split_once(':'))
        .is_some_and(|(name, _)| HEADERS.contains(&name.to_ascii_lowercase().as_str()));
    first_is_header && header_lines >= 2
}

/// EDI after junk: a line (or segment) that opens with an envelope or a
/// typical segment tag.
fn edi_inside(head: &[u8]) -> Option<Format> {
    const X12: &[&[u8]] = &[b"ISA*", b"\nGS*", b"\nST*", b"~GS*", b"~ST*", b"\nISA"];
    const EDIFACT: &[&[u8]] = &[b"UNB+", b"UNH+", b"\nUNA", b"\nUNB", b"\nUNH", b"'UNH"];
    if EDIFACT.iter().any(|m| contains(head, m)) {
        return Some(Format::Edifact);
    }
    if X12.iter().any(|m| contains(head, m)) {
        return Some(Format::X12);
    }
    None
}

/// Several lines split by one delimiter into the same number of fields.
fn looks_delimited(head: &str) -> bool {
    let lines: Vec<&str> = head.lines().filter(|l| !l.trim().is_empty()).take(10).collect();
    if lines.len() < 2 || head.contains('\0') {
        return false;
    }
    [',', ';', '\t', '|'].iter().any(|&d| {
        let first = lines.first().map_or(0, |l| l.matches(d).count());
        first > 0 && lines.iter().all(|l| l.matches(d).count() == first)
    })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Read a document of any structured format. Formats without a reader yet
/// come back with no orders and an `unsupported_format` error.
pub fn parse(bytes: &[u8], file_name: Option<&str>) -> ParsedDocument {
    let format = detect(bytes, file_name);
    match format {
        Format::X12 => prodline_x12::parse(bytes),
        Format::Edifact => prodline_edifact::parse(bytes),
        Format::Csv => csv::parse(bytes),
        Format::Xlsx => xlsx::parse(bytes),
        Format::Ubl => ubl::parse(bytes),
        other => {
            let mut doc = ParsedDocument::new(other);
            doc.diagnostics.push(Diagnostic::error(
                "unsupported_format",
                format!("no reader for {other} documents yet"),
                Position::default(),
            ));
            doc
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_content_first() {
        assert_eq!(detect(b"\xEF\xBB\xBFISA*00*", Some("a.txt")), Format::X12);
        assert_eq!(detect(b"####\r\nUNB+UNOA:3+X'", Some("a.edi")), Format::Edifact);
        assert_eq!(detect(b"\xEF\xBB\xBFNB+UNOB:1'\nUNH+1+ORDERS'", Some("a.txt")), Format::Edifact);
        assert_eq!(detect(b"<?xml version=\"1.0\"?>\n<!-- x -->\n<ubl:Order xmlns:ubl=\"u\">", None), Format::Ubl);
        assert_eq!(detect(b"<?xml version=\"1.0\"?><Invoice/>", Some("a.xml")), Format::Unknown);
        assert_eq!(detect(b"From: a@b.example\r\nSubject: PO\r\n\r\nhi", Some("a.txt")), Format::Email);
        assert_eq!(detect(b"%PDF-1.4", None), Format::Pdf);
        assert_eq!(detect(b"\x89PNG\r\n", None), Format::Image);
        assert_eq!(detect(b"po;item;qty\n1;A-1;2\n", None), Format::Csv);
        assert_eq!(detect(b"please send 2 valves", Some("a.txt")), Format::Text);
        assert_eq!(detect(b"PK\x03\x04....[Content_Types].xml..xl/workbook.xml", None), Format::Xlsx);
        assert_eq!(detect(b"", None), Format::Unknown);
    }
}
