//! Writing EDIFACT: segments with given delimiters (values escaped with the
//! release character), envelopes around messages, and an ORDERS message
//! from a [`ParsedOrder`] that [`crate::parse`] reads back to the same order.

use prodline_core::{Charge, ParsedLine, ParsedOrder, Party, PartyId, QualifiedDate, Reference};
use rust_decimal::Decimal;

use crate::charset::Charset;
use crate::syntax::{Delimiters, Segment};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    #[error("segment {tag}: value {value:?} contains a delimiter and the interchange has no release character")]
    Unescapable { tag: String, value: String },
    #[error("segment {tag}: value {value:?} contains a line break, which readers drop")]
    LineBreak { tag: String, value: String },
}

/// How an interchange is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOptions {
    pub delimiters: Delimiters,
    /// Write the UNA service string advice. Without it a reader assumes the
    /// default delimiters, so leave it on unless they are the defaults.
    pub una: bool,
    /// UNB S001: syntax identifier (UNOA..UNOW) and version.
    pub syntax_id: String,
    pub syntax_version: String,
    /// CR LF after every segment terminator.
    pub line_per_segment: bool,
    /// Insert CR LF every this many bytes after the UNA, inside segments too
    /// (the fixed-record wrapping some networks do). At least 4.
    pub wrap_at: Option<usize>,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            delimiters: Delimiters::default(),
            una: true,
            syntax_id: "UNOW".to_string(),
            syntax_version: "4".to_string(),
            line_per_segment: false,
            wrap_at: None,
        }
    }
}

/// The UNB/UNZ fields of an interchange.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    pub sender: Option<PartyId>,
    pub recipient: Option<PartyId>,
    /// YYMMDD and HHMM.
    pub prepared: (String, String),
    pub control_reference: String,
}

/// Serialize segments (and the UNA when asked).
pub fn write_segments(segments: &[Segment], options: &WriteOptions) -> Result<Vec<u8>, WriteError> {
    let charset = Charset::from_syntax_id(&options.syntax_id);
    let mut body = Vec::new();
    for segment in segments {
        write_segment(&mut body, segment, &options.delimiters, charset)?;
        if options.line_per_segment {
            body.extend_from_slice(b"\r\n");
        }
    }
    let mut out = Vec::with_capacity(body.len() + 16);
    if options.una {
        out.extend_from_slice(&options.delimiters.to_una());
    }
    match options.wrap_at {
        Some(width) => {
            for (i, chunk) in body.chunks(width.max(4)).enumerate() {
                if i > 0 {
                    out.extend_from_slice(b"\r\n");
                }
                out.extend_from_slice(chunk);
            }
        }
        None => out.extend_from_slice(&body),
    }
    Ok(out)
}

/// One segment with its terminator. Trailing empty elements and components are left out.
pub fn write_segment(out: &mut Vec<u8>, segment: &Segment, d: &Delimiters, charset: Charset) -> Result<(), WriteError> {
    out.extend_from_slice(segment.tag.as_bytes());
    let last_element = segment.elements.iter().rposition(|e| e.iter().any(|c| !c.is_empty()));
    for element in segment.elements.iter().take(last_element.map_or(0, |i| i + 1)) {
        out.push(d.element);
        let last_component = element.iter().rposition(|c| !c.is_empty()).map_or(0, |i| i + 1);
        for (i, component) in element.iter().take(last_component).enumerate() {
            if i > 0 {
                out.push(d.component);
            }
            write_value(out, &segment.tag, component, d, charset)?;
        }
    }
    out.push(d.segment);
    Ok(())
}

fn write_value(out: &mut Vec<u8>, tag: &str, value: &str, d: &Delimiters, charset: Charset) -> Result<(), WriteError> {
    let error = |make: fn(String, String) -> WriteError| make(tag.to_string(), value.to_string());
    for byte in charset.encode(value) {
        if d.is_special(byte) {
            let release = d.release.ok_or_else(|| error(|tag, value| WriteError::Unescapable { tag, value }))?;
            out.push(release);
        } else if byte == b'\r' || byte == b'\n' {
            return Err(error(|tag, value| WriteError::LineBreak { tag, value }));
        }
        out.push(byte);
    }
    Ok(())
}

/// UNH + body + UNT, the count filled in.
pub fn message(reference: &str, message_type: &[&str], body: Vec<Segment>) -> Vec<Segment> {
    let mut segments = Vec::with_capacity(body.len() + 2);
    segments.push(Segment::new("UNH", [vec![reference], message_type.to_vec()]));
    segments.extend(body);
    let count = (segments.len() + 1).to_string();
    segments.push(Segment::new("UNT", [[count.as_str()], [reference]]));
    segments
}

/// UNB + messages + UNZ.
pub fn interchange(envelope: &Envelope, options: &WriteOptions, messages: Vec<Vec<Segment>>) -> Vec<Segment> {
    let party = |p: &Option<PartyId>| match p {
        Some(p) => vec![p.value.clone(), p.qualifier.clone().unwrap_or_default()],
        None => vec![String::new()],
    };
    let count = messages.len().to_string();
    let mut segments = vec![Segment::new(
        "UNB",
        [
            vec![options.syntax_id.clone(), options.syntax_version.clone()],
            party(&envelope.sender),
            party(&envelope.recipient),
            vec![envelope.prepared.0.clone(), envelope.prepared.1.clone()],
            vec![envelope.control_reference.clone()],
        ],
    )];
    segments.extend(messages.into_iter().flatten());
    segments.push(Segment::new("UNZ", [[count], [envelope.control_reference.clone()]]));
    segments
}

/// An interchange holding `order` as one ORDERS D.96A message.
pub fn write_orders(order: &ParsedOrder, options: &WriteOptions) -> Result<Vec<u8>, WriteError> {
    let envelope = Envelope {
        sender: order.sender.clone(),
        recipient: order.receiver.clone(),
        prepared: ("260101".to_string(), "0000".to_string()),
        control_reference: "1".to_string(),
    };
    let decimal = char::from(options.delimiters.decimal);
    let reference = order.control_number.as_deref().unwrap_or("");
    let body = OrdersWriter { decimal, segments: Vec::new() }.order(order);
    let message = message(reference, &["ORDERS", "D", "96A", "UN", "EAN008"], body);
    write_segments(&interchange(&envelope, options, vec![message]), options)
}

struct OrdersWriter {
    decimal: char,
    segments: Vec<Segment>,
}

impl OrdersWriter {
    fn push<E, C, S>(&mut self, tag: &str, elements: E)
    where
        E: IntoIterator<Item = C>,
        C: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.segments.push(Segment::new(tag, elements));
    }

    fn number(&self, value: Decimal) -> String {
        value.to_string().replace('.', &self.decimal.to_string())
    }

    fn order(mut self, order: &ParsedOrder) -> Vec<Segment> {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        self.push("BGM", [[text(&order.order_type)], [text(&order.po_number)], [text(&order.purpose)]]);
        self.dates(order);
        for note in &order.notes {
            self.push("FTX", [vec!["ZZZ"], vec![], vec![], vec![note.as_str()]]);
        }
        self.references(&order.references);
        for party in &order.parties {
            self.party(party);
        }
        if let Some(currency) = &order.currency {
            self.push("CUX", [["2", currency.as_str(), "9"]]);
        }
        self.charges(&order.charges);
        for line in &order.lines {
            self.line(line);
        }
        self.push("UNS", [["S"]]);
        if let Some(count) = order.declared_line_count {
            self.push("CNT", [["2".to_string(), count.to_string()]]);
        }
        self.segments
    }

    /// Every listed date, plus order and requested dates the list lacks.
    fn dates(&mut self, order: &ParsedOrder) {
        let listed = |q: &[&str]| order.dates.iter().any(|d| q.contains(&d.qualifier.as_str()));
        let mut dates = order.dates.clone();
        if let Some(date) = order.order_date.filter(|_| !listed(&["137"])) {
            dates.push(QualifiedDate { qualifier: "137".to_string(), date });
        }
        if let Some(date) = order.requested_date.filter(|_| !listed(&["2", "64", "63"])) {
            dates.push(QualifiedDate { qualifier: "2".to_string(), date });
        }
        self.date_segments(&dates);
    }

    fn date_segments(&mut self, dates: &[QualifiedDate]) {
        for d in dates {
            self.push("DTM", [[d.qualifier.clone(), d.date.format("%Y%m%d").to_string(), "102".to_string()]]);
        }
    }

    fn references(&mut self, references: &[Reference]) {
        for r in references {
            self.push("RFF", [[r.qualifier.as_str(), r.value.as_str()]]);
        }
    }

    fn party(&mut self, party: &Party) {
        let id = match &party.id {
            Some(id) => vec![id.value.clone(), String::new(), id.qualifier.clone().unwrap_or_default()],
            None => vec![],
        };
        let one = |v: &Option<String>| vec![v.clone().unwrap_or_default()];
        self.push(
            "NAD",
            [
                vec![party.code.clone()],
                id,
                vec![],
                one(&party.name),
                party.address.clone(),
                one(&party.city),
                one(&party.region),
                one(&party.postal_code),
                one(&party.country),
            ],
        );
        self.references(&party.references);
    }

    fn charges(&mut self, charges: &[Charge]) {
        for c in charges {
            let service = vec![
                c.code.clone().unwrap_or_default(),
                String::new(),
                String::new(),
                c.description.clone().unwrap_or_default(),
            ];
            self.push("ALC", [vec![c.indicator.clone()], vec![], vec![], vec![], service]);
            if let Some(percent) = c.percent {
                self.push("PCD", [["3".to_string(), self.number(percent)]]);
            }
            if let Some(amount) = c.amount {
                self.push("MOA", [["8".to_string(), self.number(amount)]]);
            }
        }
    }

    fn line(&mut self, line: &ParsedLine) {
        let item = |i: usize| match line.item_ids.get(i) {
            Some(id) => vec![id.value.clone(), id.qualifier.clone().unwrap_or_default()],
            None => vec![],
        };
        self.push("LIN", [vec![line.line_no.clone().unwrap_or_default()], vec![], item(0)]);
        for chunk in line.item_ids.get(1..).unwrap_or_default().chunks(5) {
            let mut elements = vec![vec!["5".to_string()]];
            elements.extend(chunk.iter().map(|id| vec![id.value.clone(), id.qualifier.clone().unwrap_or_default()]));
            self.push("PIA", elements);
        }
        if let Some(description) = &line.description {
            self.push("IMD", [vec!["F"], vec![], vec!["", "", "", description.as_str()]]);
        }
        if let Some(qty) = line.qty {
            self.push("QTY", [["21".to_string(), self.number(qty), line.uom.clone().unwrap_or_default()]]);
        }
        if let Some(pack) = line.pack_size {
            self.push("QTY", [["59".to_string(), self.number(pack)]]);
        }
        self.date_segments(&line.dates);
        if let Some(price) = line.unit_price {
            self.push("PRI", [["AAA".to_string(), self.number(price)]]);
        }
        self.references(&line.references);
        for d in &line.distribution {
            self.push("LOC", [vec!["7".to_string()], vec![d.location.clone()]]);
            self.push("QTY", [["11".to_string(), self.number(d.qty)]]);
        }
        self.charges(&line.charges);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_and_trailing_empties_dropped() {
        let segment = Segment::new("FTX", [vec!["AAI"], vec![], vec![], vec!["a+b", "c'd?"], vec![""]]);
        let mut out = Vec::new();
        assert_eq!(write_segment(&mut out, &segment, &Delimiters::default(), Charset::Utf8), Ok(()));
        assert_eq!(String::from_utf8_lossy(&out), "FTX+AAI+++a?+b:c?'d??'");
    }

    #[test]
    fn without_a_release_character_a_delimiter_in_a_value_is_an_error() {
        let d = Delimiters { release: None, ..Delimiters::default() };
        let segment = Segment::new("RFF", [["ON", "1+2"]]);
        assert!(matches!(
            write_segment(&mut Vec::new(), &segment, &d, Charset::Utf8),
            Err(WriteError::Unescapable { .. })
        ));
        let segment = Segment::new("RFF", [["ON", "a\nb"]]);
        let err = write_segment(&mut Vec::new(), &segment, &Delimiters::default(), Charset::Utf8);
        assert!(matches!(err, Err(WriteError::LineBreak { .. })));
    }

    #[test]
    fn message_and_interchange_fill_in_counts() {
        let options = WriteOptions { una: false, ..WriteOptions::default() };
        let msg = message("7", &["ORDERS", "D", "96A", "UN"], vec![Segment::new("BGM", [["220"], ["PO1"]])]);
        let envelope = Envelope { control_reference: "42".to_string(), ..Envelope::default() };
        let bytes = write_segments(&interchange(&envelope, &options, vec![msg]), &options);
        assert_eq!(
            bytes.map(|b| String::from_utf8_lossy(&b).into_owned()),
            Ok("UNB+UNOW:4++++42'UNH+7+ORDERS:D:96A:UN'BGM+220+PO1'UNT+3+7'UNZ+1+42'".to_string())
        );
    }

    #[test]
    fn latin1_is_written_as_single_bytes() {
        let options = WriteOptions { una: false, syntax_id: "UNOC".to_string(), ..WriteOptions::default() };
        let bytes = write_segments(&[Segment::new("FTX", [["Müller"]])], &options);
        assert_eq!(bytes, Ok(b"FTX+M\xfcller'".to_vec()));
    }
}
