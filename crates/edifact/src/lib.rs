//! UN/EDIFACT reader: bytes in, purchase orders and diagnostics out; never a panic.
//!
//! Layers, bottom up:
//! - [`syntax`]: delimiters (UNA, defaults, or inferred from UNB), the
//!   segment reader with positions, release-character unescaping; segments
//!   are lent as spans into the input, nothing is allocated per segment;
//! - [`charset`]: the UNB syntax identifier's character set;
//! - the envelope (UNB..UNZ, UNH..UNT with their control checks) and the
//!   ORDERS reader behind [`parse`], fed one segment at a time (a message is
//!   never held); strings are built only for values that land in the order;
//! - [`write`]: segments, envelopes and ORDERS back to bytes.
//!
//! Architecture Invariant: nothing here does I/O or panics on input; what is
//! wrong with a document is a [`prodline_core::Diagnostic`] with a position.

pub mod charset;
mod envelope;
mod orders;
pub mod syntax;
pub mod values;
pub mod write;

use prodline_core::ParsedDocument;

pub use charset::Charset;
pub use syntax::{Delimiters, Segment, SegmentBuffer, SegmentPosition, SegmentRef, Segments};

/// Read every interchange (or bare message) in `bytes`; ORDERS messages become
/// orders, other messages are reported in `skipped`.
pub fn parse(bytes: &[u8]) -> ParsedDocument {
    envelope::read_document(bytes)
}
