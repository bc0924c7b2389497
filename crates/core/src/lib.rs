//! prodline's domain model: what a document is, what an order is, what a
//! decision is, and the one scoring rule every figure is computed with.
//!
//! Architecture Invariant: this crate does no I/O and knows nothing about
//! file formats, storage or the network.

pub mod decimal_json;
pub mod decision;
pub mod diagnostic;
pub mod format;
pub mod order;
pub mod parsed;
pub mod scoring;
pub mod stats;
pub mod text;
pub mod units;

pub use chrono::NaiveDate;
pub use decision::{Decision, Reason, ReasonCode};
pub use diagnostic::{Diagnostic, Position, Severity};
pub use format::Format;
pub use order::{CanonicalLine, CanonicalOrder};
pub use parsed::{
    Charge, Distribution, ItemId, ItemIdKind, ParsedDocument, ParsedLine, ParsedOrder, Party, PartyId, PartyRole,
    QualifiedDate, Reference, SkippedSet,
};
pub use rust_decimal::Decimal;
pub use text::{DocumentText, Group, OcrStats, TextSource, Usage};
