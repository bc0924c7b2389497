//! Bytes in, a [`ParsedDocument`] out, whatever the format; never a panic.
//!
//! Architecture Invariant: readers do no I/O; the caller hands them bytes.

use prodline_core::{Diagnostic, Format, ParsedDocument, Position};

/// Tell a document's format by its content first and its file name second
/// (SPEC §3).
pub fn detect(bytes: &[u8], file_name: Option<&str>) -> Format {
    let head = strip_bom(bytes);
    let head = &head[..head.len().min(4096)];
    let trimmed: &[u8] = {
        let start = head.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(head.len());
        &head[start..]
    };
    if trimmed.starts_with(b"ISA") {
        return Format::X12;
    }
    if trimmed.starts_with(b"UNA") || trimmed.starts_with(b"UNB") || trimmed.starts_with(b"UNH") {
        return Format::Edifact;
    }
    if trimmed.starts_with(b"%PDF") {
        return Format::Pdf;
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Format::Xlsx;
    }
    if bytes.starts_with(&[0x89, b'P', b'N', b'G'])
        || bytes.starts_with(&[0xFF, 0xD8, 0xFF])
        || bytes.starts_with(b"II*\0")
        || bytes.starts_with(b"MM\0*")
    {
        return Format::Image;
    }
    let ext = file_name.and_then(|n| n.rsplit_once('.')).map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "x12" | "edi" | "850" if contains(head, b"ISA") => Format::X12,
        "edi" | "edifact" if contains(head, b"UNB") || contains(head, b"UNH") => Format::Edifact,
        "xml" | "ubl" => Format::Ubl,
        "csv" | "tsv" => Format::Csv,
        "xlsx" | "xlsm" => Format::Xlsx,
        "eml" | "msg" => Format::Email,
        "pdf" => Format::Pdf,
        "png" | "jpg" | "jpeg" | "tif" | "tiff" => Format::Image,
        "txt" => Format::Text,
        _ if contains(head, b"<Order") => Format::Ubl,
        _ if contains(head, b"ISA*") => Format::X12,
        _ if contains(head, b"UNB+") || contains(head, b"UNH+") => Format::Edifact,
        _ => Format::Unknown,
    }
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Read a document of any structured format. Formats without a reader yet
/// come back with no orders and an `unsupported_format` error.
pub fn parse(bytes: &[u8], file_name: Option<&str>) -> ParsedDocument {
    let format = detect(bytes, file_name);
    match format {
        Format::X12 => prodline_x12::parse(bytes),
        Format::Edifact => prodline_edifact::parse(bytes),
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
