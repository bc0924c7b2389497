//! Interchanges and messages: UNB..UNZ around UNH..UNT, their control
//! counts and references, and handing each message to its reader.

use prodline_core::{Diagnostic, Format, ParsedDocument, PartyId, Position, SkippedSet};

use crate::orders::read_order;
use crate::syntax::{Segment, Segments};

/// Read every interchange (or bare message) in `bytes`.
pub fn read_document(bytes: &[u8]) -> ParsedDocument {
    let mut reader = EnvelopeReader { doc: ParsedDocument::new(Format::Edifact), interchange: None, message: None };
    let mut segments = Segments::new(bytes);
    while let Some(segment) = segments.next() {
        reader.doc.diagnostics.append(&mut segments.diagnostics);
        reader.segment(segment);
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
    segments: Vec<Segment>,
    /// Index of the first document diagnostic raised inside this message.
    diagnostics_from: usize,
}

struct EnvelopeReader {
    doc: ParsedDocument,
    interchange: Option<Interchange>,
    message: Option<Message>,
}

impl EnvelopeReader {
    fn segment(&mut self, segment: Segment) {
        match segment.tag.as_str() {
            "UNB" => self.unb(segment),
            "UNH" => self.unh(segment),
            "UNT" => self.unt(segment),
            "UNZ" => self.unz(&segment),
            "UNG" | "UNE" if self.message.is_none() => {
                if let Some(interchange) = self.interchange.as_mut().filter(|_| segment.tag == "UNG") {
                    interchange.groups += 1;
                }
            }
            _ => match self.message.as_mut() {
                Some(message) => message.segments.push(segment),
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

    fn unb(&mut self, unb: Segment) {
        self.close_message(None, &unb);
        self.close_interchange(None, &unb);
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

    fn unh(&mut self, unh: Segment) {
        self.close_message(None, &unh);
        if let Some(interchange) = self.interchange.as_mut() {
            interchange.messages += 1;
        }
        self.message = Some(Message { segments: vec![unh], diagnostics_from: self.doc.diagnostics.len() });
    }

    fn unt(&mut self, unt: Segment) {
        if self.message.is_none() {
            return self.warn("segment_outside_message", "UNT without a UNH".to_string(), unt.to_position());
        }
        self.close_message(Some(unt), &Segment::default());
    }

    fn unz(&mut self, unz: &Segment) {
        self.close_message(None, unz);
        if self.interchange.is_none() {
            return self.warn("segment_outside_message", "UNZ without a UNB".to_string(), unz.to_position());
        }
        self.close_interchange(Some(unz), unz);
    }

    /// Check the interchange trailer (or its absence, noticed at `next`).
    fn close_interchange(&mut self, unz: Option<&Segment>, next: &Segment) {
        let Some(interchange) = self.interchange.take() else { return };
        let Some(unz) = unz else {
            let text = format!("interchange {} has no UNZ trailer", interchange.control_reference.unwrap_or_default());
            let position = if next.tag.is_empty() { interchange.unb } else { next.to_position() };
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

    /// Check the message trailer, then read or skip the message.
    fn close_message(&mut self, unt: Option<Segment>, next: &Segment) {
        let Some(mut message) = self.message.take() else { return };
        let Some(unh) = message.segments.first().cloned() else { return };
        let mut envelope = Vec::new();
        match &unt {
            Some(unt) => envelope.extend(check_unt(&unh, unt, message.segments.len() + 1)),
            None => {
                let text = format!("message {} has no UNT trailer", unh.value(0, 0).unwrap_or(""));
                let position = if next.tag.is_empty() { unh.to_position() } else { next.to_position() };
                envelope.push(Diagnostic::warning("missing_trailer", text, position));
            }
        }
        message.segments.extend(unt);
        let raised_inside = self.doc.diagnostics.get(message.diagnostics_from..).unwrap_or_default().to_vec();
        self.doc.diagnostics.extend(envelope.iter().cloned());
        let kind = unh.value(1, 0).unwrap_or("").to_ascii_uppercase();
        if kind != "ORDERS" {
            let kind = if kind.is_empty() { "UNKNOWN".to_string() } else { kind };
            self.doc.skipped.push(SkippedSet { kind, position: unh.to_position() });
            return;
        }
        let (sender, receiver) = match &self.interchange {
            Some(i) => (i.sender.clone(), i.receiver.clone()),
            None => (None, None),
        };
        let mut order = read_order(&message.segments, sender, receiver);
        self.doc.diagnostics.extend(order.diagnostics.iter().cloned());
        let mut diagnostics = raised_inside;
        diagnostics.append(&mut order.diagnostics);
        diagnostics.extend(envelope);
        order.diagnostics = diagnostics;
        self.doc.orders.push(order);
    }

    fn finish(mut self) -> ParsedDocument {
        let end = Segment::default();
        self.close_message(None, &end);
        self.close_interchange(None, &end);
        self.doc
    }
}

/// UNT 0074 counts UNH..UNT inclusive; UNT 0062 repeats UNH 0062.
fn check_unt(unh: &Segment, unt: &Segment, actual: usize) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let declared = unt.value(0, 0).unwrap_or("");
    if declared.parse::<usize>().ok() != Some(actual) {
        let text = format!("UNT says {declared:?} segments, the message has {actual}");
        found.push(Diagnostic::warning("unt_count_mismatch", text, unt.to_position()));
    }
    if unt.value(1, 0) != unh.value(0, 0) {
        let text = format!(
            "UNT message reference {:?} differs from UNH's {:?}",
            unt.value(1, 0).unwrap_or(""),
            unh.value(0, 0).unwrap_or("")
        );
        found.push(Diagnostic::warning("control_reference_mismatch", text, unt.to_position()));
    }
    found
}
