//! Interchanges and messages: UNB..UNZ around UNH..UNT, their control
//! counts and references, and handing each message to its reader.
//!
//! Messages are read as they stream by: an ORDERS message's segments go to
//! its [`OrderReader`] one at a time and are never kept.

use prodline_core::{Diagnostic, Format, ParsedDocument, PartyId, Position, SkippedSet};

use crate::orders::OrderReader;
use crate::syntax::{SegmentBuffer, SegmentPosition, SegmentRef, Segments};

/// Read every interchange (or bare message) in `bytes`.
pub fn read_document(bytes: &[u8]) -> ParsedDocument {
    let mut reader = EnvelopeReader { doc: ParsedDocument::new(Format::Edifact), interchange: None, message: None };
    let mut segments = Segments::new(bytes);
    let mut buffer = SegmentBuffer::default();
    while let Some(segment) = segments.next_segment(&mut buffer) {
        if !segments.diagnostics.is_empty() {
            reader.doc.diagnostics.append(&mut segments.diagnostics);
        }
        reader.segment(&segment);
    }
    reader.doc.diagnostics.append(&mut segments.diagnostics);
    reader.finish()
}

struct Interchange {
    control_reference: Option<String>,
    sender: Option<PartyId>,
    receiver: Option<PartyId>,
    messages: usize,
    groups: usize,
    unb: Position,
}

struct Message {
    unh: SegmentPosition,
    /// UNH 0062, which UNT repeats.
    reference: Option<String>,
    /// UNH 0065, upper-cased.
    kind: String,
    /// Segments so far, UNH included.
    segments: usize,
    /// The reader of an ORDERS message; `None` for a message that is skipped.
    order: Option<OrderReader>,
    /// Index of the first document diagnostic raised inside this message.
    diagnostics_from: usize,
}

struct EnvelopeReader {
    doc: ParsedDocument,
    interchange: Option<Interchange>,
    message: Option<Message>,
}

impl EnvelopeReader {
    fn segment(&mut self, segment: &SegmentRef<'_>) {
        match segment.tag.as_bytes() {
            b"UNB" => self.unb(segment),
            b"UNH" => self.unh(segment),
            b"UNT" => self.unt(segment),
            b"UNZ" => self.unz(segment),
            b"UNG" | b"UNE" if self.message.is_none() => {
                if let Some(interchange) = self.interchange.as_mut().filter(|_| segment.tag == "UNG") {
                    interchange.groups += 1;
                }
            }
            _ => match self.message.as_mut() {
                Some(message) => {
                    message.segments += 1;
                    if let Some(order) = message.order.as_mut() {
                        order.segment(segment);
                    }
                }
                None => {
                    let text = format!("segment {} outside any message (UNH..UNT)", segment.tag);
                    self.warn("segment_outside_message", text, segment.to_position());
                }
            },
        }
    }

    fn warn(&mut self, code: &str, message: String, position: Position) {
        self.doc.diagnostics.push(Diagnostic::warning(code, message, position));
    }

    fn unb(&mut self, unb: &SegmentRef<'_>) {
        self.close_message(None, Some(unb));
        self.close_interchange(None, Some(unb));
        let party = |element: usize| {
            unb.value(element, 0)
                .map(|value| PartyId { qualifier: unb.value(element, 1).map(str::to_string), value: value.to_string() })
        };
        self.interchange = Some(Interchange {
            control_reference: unb.value(4, 0).map(str::to_string),
            sender: party(1),
            receiver: party(2),
            messages: 0,
            groups: 0,
            unb: unb.to_position(),
        });
    }

    fn unh(&mut self, unh: &SegmentRef<'_>) {
        self.close_message(None, Some(unh));
        if let Some(interchange) = self.interchange.as_mut() {
            interchange.messages += 1;
        }
        let kind = unh.value(1, 0).unwrap_or("").to_ascii_uppercase();
        let order = (kind == "ORDERS").then(|| {
            let (sender, receiver) = match &self.interchange {
                Some(i) => (i.sender.clone(), i.receiver.clone()),
                None => (None, None),
            };
            let mut order = OrderReader::new(sender, receiver);
            order.segment(unh);
            order
        });
        self.message = Some(Message {
            unh: unh.position,
            reference: unh.value(0, 0).map(str::to_string),
            kind,
            segments: 1,
            order,
            diagnostics_from: self.doc.diagnostics.len(),
        });
    }

    fn unt(&mut self, unt: &SegmentRef<'_>) {
        if self.message.is_none() {
            return self.warn("segment_outside_message", "UNT without a UNH".to_string(), unt.to_position());
        }
        self.close_message(Some(unt), None);
    }

    fn unz(&mut self, unz: &SegmentRef<'_>) {
        self.close_message(None, Some(unz));
        if self.interchange.is_none() {
            return self.warn("segment_outside_message", "UNZ without a UNB".to_string(), unz.to_position());
        }
        self.close_interchange(Some(unz), Some(unz));
    }

    /// Check the interchange trailer (or its absence, noticed at `next`).
    fn close_interchange(&mut self, unz: Option<&SegmentRef<'_>>, next: Option<&SegmentRef<'_>>) {
        let Some(interchange) = self.interchange.take() else { return };
        let Some(unz) = unz else {
            let text = format!("interchange {} has no UNZ trailer", interchange.control_reference.unwrap_or_default());
            let position = next.map_or(interchange.unb, SegmentRef::to_position);
            return self.warn("missing_trailer", text, position);
        };
        // With functional groups, UNZ counts groups; without, messages.
        let (actual, what) =
            if interchange.groups > 0 { (interchange.groups, "groups") } else { (interchange.messages, "messages") };
        let declared = unz.value(0, 0).unwrap_or("");
        if declared.parse::<usize>().ok() != Some(actual) {
            let text = format!("UNZ says {declared:?} {what}, the interchange has {actual}");
            self.warn("unz_count_mismatch", text, unz.to_position());
        }
        if unz.value(1, 0) != interchange.control_reference.as_deref() {
            let text = format!(
                "UNZ control reference {:?} differs from UNB's {:?}",
                unz.value(1, 0).unwrap_or(""),
                interchange.control_reference.as_deref().unwrap_or("")
            );
            self.warn("control_reference_mismatch", text, unz.to_position());
        }
    }

    /// Check the message trailer (or its absence, noticed at `next`), then
    /// finish the order or record the skipped message.
    fn close_message(&mut self, unt: Option<&SegmentRef<'_>>, next: Option<&SegmentRef<'_>>) {
        let Some(mut message) = self.message.take() else { return };
        let unh = message.unh.to_position("UNH");
        let mut envelope = Vec::new();
        match unt {
            Some(unt) => envelope.extend(check_unt(message.reference.as_deref(), unt, message.segments + 1)),
            None => {
                let text = format!("message {} has no UNT trailer", message.reference.as_deref().unwrap_or(""));
                let position = next.map_or_else(|| unh.clone(), SegmentRef::to_position);
                envelope.push(Diagnostic::warning("missing_trailer", text, position));
            }
        }
        if let (Some(order), Some(unt)) = (message.order.as_mut(), unt) {
            order.segment(unt);
        }
        let raised_inside = message.diagnostics_from..self.doc.diagnostics.len();
        self.doc.diagnostics.extend(envelope.iter().cloned());
        let Some(order) = message.order else {
            let kind = if message.kind.is_empty() { "UNKNOWN".to_string() } else { message.kind };
            self.doc.skipped.push(SkippedSet { kind, position: unh });
            return;
        };
        let mut order = order.finish(Some(unh));
        let mut diagnostics = self.doc.diagnostics.get(raised_inside).unwrap_or_default().to_vec();
        self.doc.diagnostics.extend(order.diagnostics.iter().cloned());
        diagnostics.append(&mut order.diagnostics);
        diagnostics.extend(envelope);
        order.diagnostics = diagnostics;
        self.doc.orders.push(order);
    }

    fn finish(mut self) -> ParsedDocument {
        self.close_message(None, None);
        self.close_interchange(None, None);
        self.doc
    }
}

/// UNT 0074 counts UNH..UNT inclusive; UNT 0062 repeats UNH 0062.
fn check_unt(reference: Option<&str>, unt: &SegmentRef<'_>, actual: usize) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let declared = unt.value(0, 0).unwrap_or("");
    if declared.parse::<usize>().ok() != Some(actual) {
        let text = format!("UNT says {declared:?} segments, the message has {actual}");
        found.push(Diagnostic::warning("unt_count_mismatch", text, unt.to_position()));
    }
    if unt.value(1, 0) != reference {
        let text = format!(
            "UNT message reference {:?} differs from UNH's {:?}",
            unt.value(1, 0).unwrap_or(""),
            reference.unwrap_or("")
        );
        found.push(Diagnostic::warning("control_reference_mismatch", text, unt.to_position()));
    }
    found
}
