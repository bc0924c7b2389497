//! The syntax layer: delimiters, segments and where each one is.
//!
//! [`Segments`] walks bytes and yields decoded [`Segment`]s with their
//! position; it knows UNA, infers delimiters from a UNB without UNA, skips
//! junk before the first interchange, drops line breaks that are not the
//! terminator and undoes release-character escapes. It reports what it
//! noticed in [`Segments::diagnostics`] and never fails.

use prodline_core::{Diagnostic, Position};

use crate::charset::Charset;

/// The service characters of an interchange (UNA, or the defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delimiters {
    pub component: u8,
    pub element: u8,
    pub decimal: u8,
    /// `None` when the interchange declares no release character.
    pub release: Option<u8>,
    /// Repetition separator (syntax version 4); `None` when reserved (a space).
    pub repetition: Option<u8>,
    pub segment: u8,
}

impl Default for Delimiters {
    /// `UNA:+.? '`: the delimiters an interchange without UNA uses.
    fn default() -> Self {
        Delimiters {
            component: b':',
            element: b'+',
            decimal: b'.',
            release: Some(b'?'),
            repetition: None,
            segment: b'\'',
        }
    }
}

impl Delimiters {
    /// Read the six characters after `UNA`.
    pub fn from_una(advice: [u8; 6]) -> Delimiters {
        let [component, element, decimal, release, repetition, segment] = advice;
        Delimiters {
            component,
            element,
            decimal,
            release: (release != b' ').then_some(release),
            repetition: (repetition != b' ').then_some(repetition),
            segment,
        }
    }

    /// The service string advice (`UNA` and six characters).
    pub fn to_una(&self) -> [u8; 9] {
        [
            b'U',
            b'N',
            b'A',
            self.component,
            self.element,
            self.decimal,
            self.release.unwrap_or(b' '),
            self.repetition.unwrap_or(b' '),
            self.segment,
        ]
    }

    /// Whether `byte` has a syntactic meaning and must be released in a value.
    pub fn is_special(&self, byte: u8) -> bool {
        byte == self.component
            || byte == self.element
            || byte == self.segment
            || Some(byte) == self.release
            || Some(byte) == self.repetition
    }

    fn is_delimiter(&self, byte: u8) -> bool {
        byte == self.component || byte == self.element || byte == self.segment || Some(byte) == self.repetition
    }
}

/// Where a segment is. Counts are 1-based, the byte offset 0-based.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SegmentPosition {
    /// Segment number in the file (UNA and empty segments count).
    pub number: usize,
    pub byte_offset: usize,
    /// Interchange number in the file, `None` outside any UNB..UNZ.
    pub interchange: Option<usize>,
    /// Message number within its interchange (or the file, for bare messages).
    pub message: Option<usize>,
}

impl SegmentPosition {
    pub fn to_position(&self, segment_id: &str) -> Position {
        Position {
            interchange: self.interchange,
            message: self.message,
            segment: Some(self.number),
            segment_id: (!segment_id.is_empty()).then(|| segment_id.to_string()),
            byte_offset: Some(self.byte_offset),
            ..Position::default()
        }
    }
}

/// One segment: its tag and its elements, each a list of components, with
/// release escapes undone and values decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Segment {
    pub tag: String,
    pub elements: Vec<Vec<String>>,
    pub position: SegmentPosition,
}

impl Segment {
    /// A segment to write: `Segment::new("QTY", [["21", "5", "PCE"]])`.
    pub fn new<E, C, S>(tag: &str, elements: E) -> Segment
    where
        E: IntoIterator<Item = C>,
        C: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Segment {
            tag: tag.to_string(),
            elements: elements.into_iter().map(|e| e.into_iter().map(Into::into).collect()).collect(),
            position: SegmentPosition::default(),
        }
    }

    /// Component `component` of element `element` (both 0-based, the tag not
    /// counted), trimmed; `None` when absent or blank.
    pub fn value(&self, element: usize, component: usize) -> Option<&str> {
        let value = self.elements.get(element)?.get(component)?.trim();
        (!value.is_empty()).then_some(value)
    }

    /// The non-blank components of an element, trimmed.
    pub fn components(&self, element: usize) -> impl Iterator<Item = &str> {
        self.elements.get(element).into_iter().flatten().map(|c| c.trim()).filter(|c| !c.is_empty())
    }

    pub fn to_position(&self) -> Position {
        self.position.to_position(&self.tag)
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Iterator over the segments of a file. UNA is consumed, not yielded.
pub struct Segments<'a> {
    bytes: &'a [u8],
    pos: usize,
    delimiters: Delimiters,
    charset: Charset,
    /// A UNA was read and its delimiters apply to the next UNB.
    una_pending: bool,
    at_start: bool,
    number: usize,
    interchange_count: usize,
    in_interchange: bool,
    message_count: usize,
    in_message: bool,
    /// What the iterator noticed (junk, empty segments). Drain it as you go.
    pub diagnostics: Vec<Diagnostic>,
}

impl<'a> Segments<'a> {
    pub fn new(bytes: &'a [u8]) -> Segments<'a> {
        Segments {
            bytes,
            pos: 0,
            delimiters: Delimiters::default(),
            charset: Charset::default(),
            una_pending: false,
            at_start: true,
            number: 0,
            interchange_count: 0,
            in_interchange: false,
            message_count: 0,
            in_message: false,
            diagnostics: Vec::new(),
        }
    }

    /// The delimiters in force at the current position.
    pub fn delimiters(&self) -> Delimiters {
        self.delimiters
    }

    pub fn charset(&self) -> Charset {
        self.charset
    }

    fn skip_filler(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            // Line breaks, blanks, NUL padding and a DOS end-of-file mark between segments.
            let filler = matches!(b, b'\r' | b'\n' | b' ' | b'\t' | 0 | 0x1a);
            if !filler || self.delimiters.is_delimiter(b) {
                break;
            }
            self.pos += 1;
        }
    }

    /// At the start of the file: skip a BOM, then anything before the first
    /// UNA/UNB (or, failing that, UNH), reporting what was skipped.
    fn find_first_header(&mut self) {
        self.at_start = false;
        if self.bytes.get(self.pos..).is_some_and(|rest| rest.starts_with(BOM)) {
            self.pos += BOM.len();
        }
        self.skip_filler();
        let start = self.pos;
        let rest = self.bytes.get(start..).unwrap_or_default();
        if rest.is_empty() {
            let message = "the document is empty: no UNA, UNB or UNH segment";
            self.diagnostics.push(Diagnostic::error("no_interchange", message, byte_position(start)));
            return;
        }
        if starts_with_tag(rest, b"UNA") || starts_with_tag(rest, b"UNB") || starts_with_tag(rest, b"UNH") {
            return;
        }
        let found = |tags: &[&[u8]]| (0..rest.len()).find(|&i| tags.iter().any(|t| starts_with_tag(&rest[i..], t)));
        if let Some(skip) = found(&[b"UNA", b"UNB"]) {
            let message = format!(
                "skipped {skip} bytes before the interchange header at byte {} ({})",
                start + skip,
                preview(rest, skip)
            );
            self.diagnostics.push(Diagnostic::warning("junk_before_interchange", message, byte_position(start)));
            self.pos = start + skip;
        } else if let Some(skip) = found(&[b"UNH"]) {
            let message = format!(
                "no UNA or UNB interchange header: found {} at byte {start}; reading the messages from UNH at byte {}",
                preview(rest, skip.min(24)),
                start + skip
            );
            self.diagnostics.push(Diagnostic::error("no_interchange", message, byte_position(start)));
            self.pos = start + skip;
        } else {
            let message = format!("no UNA, UNB or UNH segment found; the document starts with {}", preview(rest, 24));
            self.diagnostics.push(Diagnostic::error("no_interchange", message, byte_position(start)));
            self.pos = self.bytes.len();
        }
    }

    /// `UNA` plus six characters: new delimiters for the next interchange.
    fn read_una(&mut self) -> bool {
        let advice = self.bytes.get(self.pos + 3..self.pos + 9).and_then(|s| <[u8; 6]>::try_from(s).ok());
        let Some(advice) = advice else { return false };
        self.delimiters = Delimiters::from_una(advice);
        self.una_pending = true;
        self.number += 1;
        self.pos += 9;
        true
    }

    /// Before a UNB without UNA: the delimiters are the ones it uses.
    fn infer_from_unb(&mut self) {
        if std::mem::take(&mut self.una_pending) {
            return;
        }
        self.delimiters = infer_delimiters(self.bytes.get(self.pos..).unwrap_or_default());
    }

    /// The end of the segment starting at `self.pos`: the terminator's index, or the end of input.
    fn segment_end(&self) -> (usize, bool) {
        let mut i = self.pos;
        while let Some(&b) = self.bytes.get(i) {
            if Some(b) == self.delimiters.release {
                i = self.after_released(i + 1);
            } else if b == self.delimiters.segment {
                return (i, true);
            }
            i += 1;
        }
        (self.bytes.len(), false)
    }

    /// The index of the byte a release character escapes: line breaks from
    /// wrapping may sit between them.
    fn after_released(&self, mut i: usize) -> usize {
        while let Some(&b) = self.bytes.get(i) {
            if !is_line_break(b) || self.delimiters.is_delimiter(b) {
                break;
            }
            i += 1;
        }
        i
    }

    /// Split raw segment bytes into elements of components, undoing escapes.
    fn split(&self, start: usize, end: usize) -> Vec<Vec<Vec<u8>>> {
        let d = &self.delimiters;
        let mut elements = Vec::new();
        let mut components = Vec::new();
        let mut value = Vec::new();
        // After a repetition separator the rest of the element is skipped:
        // only the first repeat of an element is kept.
        let mut repeated = false;
        let mut i = start;
        while i < end {
            let Some(&b) = self.bytes.get(i) else { break };
            if Some(b) == d.release {
                i = self.after_released(i + 1);
                if let Some(&escaped) = self.bytes.get(i).filter(|_| i < end && !repeated) {
                    value.push(escaped);
                }
            } else if b == d.element {
                if !repeated {
                    components.push(std::mem::take(&mut value));
                }
                elements.push(std::mem::take(&mut components));
                repeated = false;
            } else if repeated {
                // skipped
            } else if Some(b) == d.repetition {
                components.push(std::mem::take(&mut value));
                repeated = true;
            } else if b == d.component {
                components.push(std::mem::take(&mut value));
            } else if !is_line_break(b) {
                value.push(b);
            }
            i += 1;
        }
        if !repeated {
            components.push(value);
        }
        elements.push(components);
        elements
    }

    fn decode(&mut self, raw: Vec<Vec<Vec<u8>>>, position: SegmentPosition) -> Segment {
        let mut elements = raw.into_iter();
        let tag_bytes = elements.next().and_then(|e| e.into_iter().next()).unwrap_or_default();
        let tag = String::from_utf8_lossy(&tag_bytes).trim().to_string();
        let elements: Vec<Vec<Vec<u8>>> = elements.collect();
        if tag == "UNB" {
            let syntax = elements.first().and_then(|e| e.first()).map(|id| String::from_utf8_lossy(id).into_owned());
            self.charset = Charset::from_syntax_id(syntax.as_deref().unwrap_or(""));
        }
        let charset = self.charset;
        let elements = elements.iter().map(|e| e.iter().map(|c| charset.decode(c)).collect()).collect();
        Segment { tag, elements, position }
    }

    /// Interchange and message numbers move with the envelope segments.
    fn track_envelope(&mut self, tag: &str) -> (Option<usize>, Option<usize>) {
        match tag {
            "UNB" => {
                self.interchange_count += 1;
                self.in_interchange = true;
                self.message_count = 0;
                self.in_message = false;
            }
            "UNH" => {
                self.message_count += 1;
                self.in_message = true;
            }
            _ => {}
        }
        let numbers =
            (self.in_interchange.then_some(self.interchange_count), self.in_message.then_some(self.message_count));
        match tag {
            "UNT" => self.in_message = false,
            "UNZ" => {
                self.in_interchange = false;
                self.in_message = false;
                self.message_count = 0;
            }
            _ => {}
        }
        numbers
    }
}

impl Iterator for Segments<'_> {
    type Item = Segment;

    fn next(&mut self) -> Option<Segment> {
        if self.at_start {
            self.find_first_header();
        }
        loop {
            self.skip_filler();
            let rest = self.bytes.get(self.pos..).unwrap_or_default();
            if rest.is_empty() {
                return None;
            }
            if starts_with_tag(rest, b"UNA") && self.read_una() {
                continue;
            }
            if starts_with_tag(rest, b"UNB") {
                self.infer_from_unb();
            }
            let start = self.pos;
            let (end, terminated) = self.segment_end();
            self.pos = end.saturating_add(1);
            self.number += 1;
            let raw = self.split(start, end);
            if raw.iter().flatten().all(|c| c.iter().all(|b| b.is_ascii_whitespace())) {
                self.report_empty(start, terminated);
                continue;
            }
            let mut segment =
                self.decode(raw, SegmentPosition { number: self.number, byte_offset: start, ..Default::default() });
            (segment.position.interchange, segment.position.message) = self.track_envelope(&segment.tag);
            if !terminated {
                let message = format!("segment {} has no terminator before the end of the document", segment.tag);
                self.diagnostics.push(Diagnostic::warning("missing_terminator", message, segment.to_position()));
            }
            return Some(segment);
        }
    }
}

impl Segments<'_> {
    fn report_empty(&mut self, start: usize, terminated: bool) {
        if !terminated {
            self.number -= 1; // trailing blanks are not a segment
            return;
        }
        let position = SegmentPosition {
            number: self.number,
            byte_offset: start,
            interchange: self.in_interchange.then_some(self.interchange_count),
            message: self.in_message.then_some(self.message_count),
        };
        let message = format!("empty segment (a terminator with nothing before it) at byte {start}");
        self.diagnostics.push(Diagnostic::warning("empty_segment", message, position.to_position("")));
    }
}

/// Delimiters of an interchange without UNA, read from its UNB: the byte
/// after `UNB` is the element separator, the one after the syntax identifier
/// the component separator, and the byte before the first UNH/UNG the
/// terminator.
pub fn infer_delimiters(unb: &[u8]) -> Delimiters {
    let mut d = Delimiters::default();
    let Some(&element) = unb.get(3).filter(|b| !b.is_ascii_alphanumeric() && !is_line_break(**b)) else { return d };
    let syntax_id = unb.get(4..8).is_some_and(|id| id.iter().all(u8::is_ascii_alphabetic));
    // A line break there is wrapping, not a separator.
    let separator = |b: &u8| !b.is_ascii_alphanumeric() && !b.is_ascii_whitespace() && *b != element;
    if let Some(&component) = unb.get(8).filter(|b| syntax_id && separator(b)) {
        d.component = component;
    }
    if element == d.element {
        return d;
    }
    d.element = element;
    // A UNB is well under 1 KiB; a bounded look-ahead keeps many UNBs linear.
    let terminator = (4..unb.len().min(4096))
        .find(|&i| starts_with_tag(&unb[i..], b"UNH") || starts_with_tag(&unb[i..], b"UNG"))
        .and_then(|i| unb[..i].iter().rev().find(|b| !is_line_break(**b)).copied())
        .filter(|b| !b.is_ascii_alphanumeric() && *b != element && *b != d.component);
    if let Some(terminator) = terminator {
        d.segment = terminator;
    }
    if [d.component, d.element, d.segment].contains(&b'?') {
        d.release = None;
    }
    d
}

/// `tag` followed by a byte that can be a separator (not a letter or digit).
fn starts_with_tag(bytes: &[u8], tag: &[u8]) -> bool {
    bytes.starts_with(tag) && bytes.get(tag.len()).is_some_and(|b| !b.is_ascii_alphanumeric())
}

fn is_line_break(b: u8) -> bool {
    b == b'\r' || b == b'\n'
}

fn byte_position(offset: usize) -> Position {
    Position { byte_offset: Some(offset), ..Position::default() }
}

/// Up to `len` bytes, quoted, for a message.
fn preview(bytes: &[u8], len: usize) -> String {
    let shown = bytes.get(..len.min(bytes.len()).min(40)).unwrap_or_default();
    format!("{:?}", String::from_utf8_lossy(shown))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(bytes: &[u8]) -> Vec<String> {
        Segments::new(bytes).map(|s| s.tag).collect()
    }

    #[test]
    fn una_sets_delimiters_and_is_not_yielded() {
        let mut segments = Segments::new(b"UNA|*,# ~UNB*UNOC|3~UNH*1*ORDERS~QTY*21|1,5~");
        let unb = segments.next();
        assert_eq!(unb.map(|s| s.elements), Some(vec![vec!["UNOC".to_string(), "3".to_string()]]));
        assert_eq!(segments.delimiters().component, b'|');
        let qty = segments.nth(1);
        assert_eq!(qty.as_ref().and_then(|s| s.value(0, 1)), Some("1,5"));
        assert_eq!(qty.map(|s| s.position.number), Some(4), "UNA counts as segment 1");
    }

    #[test]
    fn release_character_escapes_delimiters_even_across_a_line_break() {
        let segment = Segments::new(b"UNH+1+X'FTX+AAI+++a?+b?:c?'d??e?\r\n+f'").nth(1);
        assert_eq!(segment.and_then(|s| s.value(3, 0).map(str::to_string)), Some("a+b:c'd?e+f".to_string()));
    }

    #[test]
    fn line_breaks_inside_segments_are_dropped() {
        let segment = Segments::new(b"UNH+1+X'NAD+BY+++ACME IN\r\nDUSTRIES\n'").nth(1);
        assert_eq!(segment.and_then(|s| s.value(3, 0).map(str::to_string)), Some("ACME INDUSTRIES".to_string()));
    }

    #[test]
    fn delimiters_are_inferred_from_unb_without_una() {
        let d = infer_delimiters(b"UNB\"UNOB=1\"A=1\"B=1\"000101=1050\"1;\r\nUNH\"1\"ORDERS;");
        assert_eq!((d.element, d.component, d.segment, d.release), (b'"', b'=', b';', Some(b'?')));
        assert_eq!(infer_delimiters(b"UNB+UNOA:1+A+B+1'UNH+1"), Delimiters::default());
        assert_eq!(infer_delimiters(b"UNB+UNOW\r\n:4+A+B+1'UNH+1"), Delimiters::default(), "wrapped, not a separator");
        assert_eq!(tags(b"UNB\"UNOB=1\"A\"B;UNH\"1\"ORDERS;UNT\"2\"1;UNZ\"1\"1;"), ["UNB", "UNH", "UNT", "UNZ"]);
    }

    #[test]
    fn positions_count_segments_interchanges_and_messages() {
        let text = b"UNB+UNOA:1+A+B+1'UNH+1+ORDERS'UNT+2+1'UNZ+1+1'UNB+UNOA:1+A+B+2'UNH+9+ORDERS'UNT+2+9'UNZ+1+2'";
        let positions: Vec<_> = Segments::new(text).map(|s| (s.position.interchange, s.position.message)).collect();
        assert_eq!(positions[4..6], [(Some(2), None), (Some(2), Some(1))]);
        let offsets: Vec<_> = Segments::new(text).map(|s| s.position.byte_offset).collect();
        assert_eq!(offsets[..3], [0, 17, 30]);
    }

    #[test]
    fn junk_before_unb_is_skipped_with_a_warning() {
        let mut segments = Segments::new(b"####\r\n@@@@\r\nUNB+UNOA:1+A+B+1'");
        assert_eq!(segments.next().map(|s| (s.tag, s.position.byte_offset)), Some(("UNB".to_string(), 12)));
        assert_eq!(segments.diagnostics[0].code, "junk_before_interchange");
        assert!(segments.diagnostics[0].message.contains("byte 12"), "{}", segments.diagnostics[0].message);
    }

    #[test]
    fn a_corrupt_header_is_an_error_and_messages_are_still_read() {
        let mut segments = Segments::new(b"\xEF\xBB\xBFNB+UNOB:1+A+B+1'\r\nUNH+1+ORDERS'UNT+2+1'");
        assert_eq!(segments.next().map(|s| s.tag), Some("UNH".to_string()));
        let error = &segments.diagnostics[0];
        assert_eq!((error.code.as_str(), error.position.byte_offset), ("no_interchange", Some(3)));
    }

    #[test]
    fn empty_segments_are_warned_and_skipped() {
        let mut segments = Segments::new(b"UNH+1+ORDERS''BGM+220+1'\r\n");
        assert_eq!(segments.by_ref().map(|s| s.tag).collect::<Vec<_>>(), ["UNH", "BGM"]);
        assert_eq!(segments.diagnostics.len(), 1);
        assert_eq!(segments.diagnostics[0].position.segment, Some(2));
    }

    #[test]
    fn garbage_never_panics() {
        for bytes in [&b""[..], b"UNA", b"UNA:+.? ", b"UNB", b"UNB+", b"?", b"UNH+?", b"'''", b"\xEF\xBB"] {
            let _ = Segments::new(bytes).count();
        }
    }
}
