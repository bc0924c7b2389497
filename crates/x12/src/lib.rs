//! ANSI X12 reader: bytes in, purchase orders and diagnostics out; never a panic.
//!
//! Layers, each usable alone:
//! - [`syntax`]: delimiters read from each ISA, segments with their positions,
//!   read in one pass into a [`SegmentTable`] that borrows the input;
//! - [`envelope`]: interchanges, groups and sets, with envelope checks;
//! - [`parse`]: 850 sets become [`ParsedOrder`]s, other sets are listed as skipped;
//! - [`write`]: interchanges from segments, and the 850 from a [`ParsedOrder`].
//!
//! Architecture Invariant: this crate does no I/O; it reads and writes bytes.

pub mod ack;
pub mod ebcdic;
pub mod envelope;
pub mod po850;
pub mod syntax;
pub mod value;
pub mod write;

use prodline_core::{Diagnostic, Format, ParsedDocument, ParsedOrder, SkippedSet};

pub use envelope::{Envelopes, FunctionalGroup, Interchange, TransactionSet};
pub use syntax::{Delimiters, Segment, SegmentTable};

/// Read every interchange in `bytes`; 850 sets become orders, other sets are
/// reported in `skipped`.
///
/// Every diagnostic is in `ParsedDocument::diagnostics`. An order also carries
/// the ones that concern it: its set's (SE checks, bad numbers and dates, a
/// missing terminator inside it) and its group's and interchange's (GE/IEA
/// checks, ISA layout), so the pipeline can send it to review.
pub fn parse(bytes: &[u8]) -> ParsedDocument {
    let table = SegmentTable::read(bytes);
    let envelopes = envelope::read(&table);
    let mut doc = ParsedDocument::new(Format::X12);
    doc.orders.reserve_exact(count_850_sets(&envelopes));
    doc.diagnostics.extend(envelopes.diagnostics.iter().cloned());
    for interchange in &envelopes.interchanges {
        doc.diagnostics.extend(interchange.diagnostics.iter().cloned());
        for group in &interchange.groups {
            doc.diagnostics.extend(group.diagnostics.iter().cloned());
            let group_sender = group.header.as_ref().map(|gs| gs.element(2));
            for set in &group.sets {
                doc.diagnostics.extend(set.diagnostics.iter().cloned());
                if set.kind() != "850" {
                    doc.skipped
                        .push(SkippedSet { kind: set.kind().to_string(), position: set.position_of(&set.header) });
                    continue;
                }
                let order = po850::read_order(set, interchange, group_sender);
                doc.diagnostics.extend(order.diagnostics.iter().cloned());
                doc.orders.push(with_envelope_findings(order, interchange, group, set));
            }
        }
    }
    doc.diagnostics.sort_by_key(|d| (d.position.segment.unwrap_or(0), d.position.byte_offset.unwrap_or(0)));
    doc
}

fn count_850_sets(envelopes: &Envelopes<'_>) -> usize {
    let groups = envelopes.interchanges.iter().flat_map(|i| &i.groups);
    groups.flat_map(|g| &g.sets).filter(|s| s.kind() == "850").count()
}

fn with_envelope_findings(
    mut order: ParsedOrder,
    interchange: &Interchange<'_>,
    group: &FunctionalGroup<'_>,
    set: &TransactionSet<'_>,
) -> ParsedOrder {
    // Another set's broken ST is that set's error, not this order's.
    let group_findings = group.diagnostics.iter().filter(|d| d.code != "bad_st");
    let envelope: Vec<Diagnostic> =
        interchange.diagnostics.iter().chain(group_findings).chain(&set.diagnostics).cloned().collect();
    order.diagnostics.splice(0..0, envelope);
    order
}
