//! The syntax layer: delimiters, segments and where each one is.
//!
//! [`Segments`] walks bytes and lends decoded [`SegmentRef`]s with their
//! position; it knows UNA, infers delimiters from a UNB without UNA, skips
//! junk before the first interchange, drops line breaks that are not the
//! terminator and undoes release-character escapes. It reports what it
//! noticed in [`Segments::diagnostics`] and never fails.
//!
//! Speed comes from not allocating per segment or value: each segment is
//! split once, by a byte-class table, into component spans kept in a reused
//! [`SegmentBuffer`]. When the segment's bytes already are its text (no
//! escape or line break, in a stretch of input known to be UTF-8, and ASCII
//! or a UTF-8-reading character set), values are slices of the input;
//! otherwise that one segment is unescaped and decoded into the buffer.
//! Owned [`Segment`]s remain for the writer and for callers that keep segments.

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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
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

/// One segment, owned: its tag and its elements, each a list of components,
/// with release escapes undone and values decoded. The writer's input; the
/// reader lends [`SegmentRef`]s instead.
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

/// A byte range in the text of a segment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
}

/// Storage behind the [`SegmentRef`]s a reader lends, reused from one
/// segment to the next: once it has grown, splitting allocates nothing.
#[derive(Debug, Default)]
pub struct SegmentBuffer {
    /// Every component's span; element `k` (the tag's is 0) owns
    /// `components[elements[k]..elements[k + 1]]`.
    components: Vec<Span>,
    elements: Vec<usize>,
    /// Decoded values, for a segment whose bytes cannot be lent as they are
    /// (escapes, line breaks, bytes its character set decodes differently).
    text: String,
    /// One value with its escapes undone, before decoding.
    raw: Vec<u8>,
}

/// One segment as [`Segments::next_segment`] lends it: values borrowed from
/// the input or the [`SegmentBuffer`], release escapes undone, decoded.
#[derive(Debug, Clone, Copy)]
pub struct SegmentRef<'s> {
    pub tag: &'s str,
    pub position: SegmentPosition,
    text: &'s str,
    components: &'s [Span],
    elements: &'s [usize],
}

impl<'s> SegmentRef<'s> {
    /// Number of elements after the tag.
    pub fn element_count(&self) -> usize {
        self.elements.len().saturating_sub(2)
    }

    /// Component `component` of element `element` (both 0-based, the tag not
    /// counted), trimmed; `None` when absent or blank.
    pub fn value(&self, element: usize, component: usize) -> Option<&'s str> {
        // Element 0 holds the tag.
        let &[_, first, end, ..] = self.elements.get(element..)? else { return None };
        let span = self.components.get(first.checked_add(component).filter(|&c| c < end)?)?;
        let value = trim(self.text.get(span.start..span.end)?);
        (!value.is_empty()).then_some(value)
    }

    /// The non-blank components of an element, trimmed.
    pub fn components(&self, element: usize) -> impl Iterator<Item = &'s str> + use<'s> {
        let this = *self;
        this.element(element).iter().map(move |&span| trim(this.span_text(span))).filter(|c| !c.is_empty())
    }

    pub fn to_position(&self) -> Position {
        self.position.to_position(self.tag)
    }

    /// An owned copy, for callers that keep segments.
    pub fn to_segment(&self) -> Segment {
        let element = |e| self.element(e).iter().map(|&span| self.span_text(span).to_string()).collect();
        Segment {
            tag: self.tag.to_string(),
            elements: (0..self.element_count()).map(element).collect(),
            position: self.position,
        }
    }

    fn element(&self, element: usize) -> &'s [Span] {
        let index = element.saturating_add(1); // element 0 holds the tag
        let bounds = self.elements.get(index).zip(self.elements.get(index.saturating_add(1)));
        bounds.and_then(|(&from, &to)| self.components.get(from..to)).unwrap_or_default()
    }

    fn span_text(&self, span: Span) -> &'s str {
        self.text.get(span.start..span.end).unwrap_or_default()
    }
}

/// What a byte means inside a segment under the delimiters in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ByteClass {
    Plain,
    Release,
    Terminator,
    Element,
    Repetition,
    Component,
    LineBreak,
}

/// The [`ByteClass`] of every byte: one table look-up per byte while splitting.
#[derive(Debug, Clone)]
struct ByteClasses([ByteClass; 256]);

impl ByteClasses {
    fn new(d: &Delimiters) -> ByteClasses {
        let mut table = [ByteClass::Plain; 256];
        // Lowest precedence first: a byte with two roles keeps the one checked
        // first (release, terminator, element, repetition, component, line break).
        let mut set = |byte: u8, class| table[usize::from(byte)] = class;
        set(b'\r', ByteClass::LineBreak);
        set(b'\n', ByteClass::LineBreak);
        set(d.component, ByteClass::Component);
        if let Some(repetition) = d.repetition {
            set(repetition, ByteClass::Repetition);
        }
        set(d.element, ByteClass::Element);
        set(d.segment, ByteClass::Terminator);
        if let Some(release) = d.release {
            set(release, ByteClass::Release);
        }
        ByteClasses(table)
    }

    fn of(&self, byte: u8) -> ByteClass {
        self.0[usize::from(byte)]
    }
}

/// Input bytes known to be UTF-8 (and whether they are ASCII), checked a
/// window at a time so that segments inside it are lent without a check each.
#[derive(Debug, Default)]
struct Utf8Window<'a> {
    from: usize,
    text: &'a str,
    ascii: bool,
}

const UTF8_WINDOW_BYTES: usize = 64 * 1024;

impl<'a> Utf8Window<'a> {
    /// `bytes[start..end]` as text if it is UTF-8, and whether it is ASCII.
    fn get(&mut self, bytes: &'a [u8], start: usize, end: usize) -> Option<(&'a str, bool)> {
        if start < self.from || end > self.from + self.text.len() {
            *self = Utf8Window::starting_at(bytes, start);
        }
        let text = self.text.get(start.checked_sub(self.from)?..end.checked_sub(self.from)?)?;
        Some((text, self.ascii))
    }

    fn starting_at(bytes: &'a [u8], start: usize) -> Utf8Window<'a> {
        let rest = bytes.get(start..).unwrap_or_default();
        let mut len = rest.len().min(UTF8_WINDOW_BYTES);
        // End on a character boundary, so a window cut does not look like an encoding error.
        for _ in 0..3 {
            if len > 0 && rest.get(len).is_some_and(|b| b & 0xC0 == 0x80) {
                len -= 1;
            }
        }
        let chunk = rest.get(..len).unwrap_or_default();
        let text = match std::str::from_utf8(chunk) {
            Ok(text) => text,
            // Up to the first byte that is not UTF-8; segments after it get a window of their own.
            Err(e) => std::str::from_utf8(chunk.get(..e.valid_up_to()).unwrap_or_default()).unwrap_or_default(),
        };
        Utf8Window { from: start, text, ascii: text.is_ascii() }
    }
}

/// How [`Segments::split`] found a segment.
struct Split {
    /// The terminator's index, or the end of the input.
    end: usize,
    terminated: bool,
    /// No release character or line break: values are the bytes as they stand.
    plain: bool,
}

/// Where a decoded segment's text lives.
enum Decoded<'a> {
    /// Lent from the input: `text` starts at the segment, spans index it.
    Input { text: &'a str, tag: &'a str },
    /// In the buffer's text, which starts with the tag.
    Buffer { tag_len: usize },
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reader of the segments of a file. UNA is consumed, not yielded.
///
/// [`Segments::next_segment`] lends each segment without allocating; the
/// [`Iterator`] implementation yields owned [`Segment`]s for convenience.
pub struct Segments<'a> {
    bytes: &'a [u8],
    pos: usize,
    delimiters: Delimiters,
    classes: ByteClasses,
    /// Every delimiter is ASCII, so splitting UTF-8 at them leaves UTF-8.
    ascii_delimiters: bool,
    charset: Charset,
    utf8: Utf8Window<'a>,
    /// A UNA was read and its delimiters apply to the next UNB.
    una_pending: bool,
    at_start: bool,
    number: usize,
    interchange_count: usize,
    in_interchange: bool,
    message_count: usize,
    in_message: bool,
    /// Storage for the owned segments of the [`Iterator`] implementation.
    buffer: SegmentBuffer,
    /// What the iterator noticed (junk, empty segments). Drain it as you go.
    pub diagnostics: Vec<Diagnostic>,
}

impl<'a> Segments<'a> {
    pub fn new(bytes: &'a [u8]) -> Segments<'a> {
        let delimiters = Delimiters::default();
        Segments {
            bytes,
            pos: 0,
            delimiters,
            classes: ByteClasses::new(&delimiters),
            ascii_delimiters: true,
            charset: Charset::default(),
            utf8: Utf8Window::default(),
            una_pending: false,
            at_start: true,
            number: 0,
            interchange_count: 0,
            in_interchange: false,
            message_count: 0,
            in_message: false,
            buffer: SegmentBuffer::default(),
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

    /// The next segment, its values in `buffer` or borrowed from the input.
    /// Diagnostics raised on the way are in [`Segments::diagnostics`].
    #[inline]
    pub fn next_segment<'s>(&mut self, buffer: &'s mut SegmentBuffer) -> Option<SegmentRef<'s>>
    where
        'a: 's,
    {
        if self.at_start {
            self.find_first_header();
        }
        loop {
            self.skip_filler();
            let rest = self.bytes.get(self.pos..).unwrap_or_default();
            if rest.is_empty() {
                return None;
            }
            // Most segments are not service segments: one byte tells.
            if rest.first() == Some(&b'U') {
                if starts_with_tag(rest, b"UNA") && self.read_una() {
                    continue;
                }
                if starts_with_tag(rest, b"UNB") {
                    self.infer_from_unb();
                }
            }
            let start = self.pos;
            let split = self.split(buffer);
            self.pos = split.end.saturating_add(1);
            self.number += 1;
            if self.is_blank(start, split.plain, buffer) {
                self.report_empty(start, split.terminated);
                continue;
            }
            let decoded = self.decode(start, &split, buffer);
            let buffer: &'s SegmentBuffer = buffer;
            let (text, tag) = match decoded {
                Decoded::Input { text, tag } => (text, tag),
                Decoded::Buffer { tag_len } => (buffer.text.as_str(), buffer.text.get(..tag_len).unwrap_or_default()),
            };
            let (interchange, message) = self.track_envelope(tag);
            let position = SegmentPosition { number: self.number, byte_offset: start, interchange, message };
            let segment =
                SegmentRef { tag, position, text, components: &buffer.components, elements: &buffer.elements };
            if !split.terminated {
                let message = format!("segment {tag} has no terminator before the end of the document");
                self.diagnostics.push(Diagnostic::warning("missing_terminator", message, segment.to_position()));
            }
            return Some(segment);
        }
    }

    fn set_delimiters(&mut self, delimiters: Delimiters) {
        self.delimiters = delimiters;
        self.classes = ByteClasses::new(&delimiters);
        let Delimiters { component, element, decimal: _, release, repetition, segment } = delimiters;
        self.ascii_delimiters = [Some(component), Some(element), release, repetition, Some(segment)]
            .into_iter()
            .flatten()
            .all(|b| b.is_ascii());
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
        self.set_delimiters(Delimiters::from_una(advice));
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
        self.set_delimiters(infer_delimiters(self.bytes.get(self.pos..).unwrap_or_default()));
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

    /// Split the segment starting at `self.pos` into component spans
    /// (relative to its start) in one pass, up to its terminator.
    fn split(&self, buffer: &mut SegmentBuffer) -> Split {
        let start = self.pos;
        let SegmentBuffer { components, elements, .. } = buffer;
        components.clear();
        elements.clear();
        elements.push(0);
        let mut plain = true;
        // After a repetition separator the rest of the element is skipped:
        // only the first repeat of an element is kept.
        let mut repeated = false;
        let mut value_start = 0;
        let rest = self.bytes.get(start..).unwrap_or_default();
        let mut i = 0;
        loop {
            // Most bytes are plain: step over a run of them in a tight loop.
            let run = rest.get(i..).unwrap_or_default();
            i += run.iter().position(|&b| self.classes.of(b) != ByteClass::Plain).unwrap_or(run.len());
            let Some(&byte) = rest.get(i) else { break };
            match self.classes.of(byte) {
                ByteClass::Plain => {}
                ByteClass::Release => {
                    plain = false;
                    i = self.after_released(start + i + 1) - start; // the escaped byte, stepped over below
                }
                ByteClass::LineBreak => plain = false,
                ByteClass::Terminator => {
                    if !repeated {
                        components.push(Span { start: value_start, end: i });
                    }
                    elements.push(components.len());
                    return Split { end: start + i, terminated: true, plain };
                }
                ByteClass::Element => {
                    if !repeated {
                        components.push(Span { start: value_start, end: i });
                    }
                    elements.push(components.len());
                    repeated = false;
                    value_start = i + 1;
                }
                ByteClass::Repetition | ByteClass::Component if repeated => {}
                ByteClass::Repetition => {
                    components.push(Span { start: value_start, end: i });
                    repeated = true;
                }
                ByteClass::Component => {
                    components.push(Span { start: value_start, end: i });
                    value_start = i + 1;
                }
            }
            i += 1;
        }
        if !repeated {
            components.push(Span { start: value_start.min(rest.len()), end: rest.len() });
        }
        elements.push(components.len());
        Split { end: self.bytes.len(), terminated: false, plain }
    }

    /// Whether every value of the split segment is blank: a terminator with
    /// nothing but spaces before it.
    fn is_blank(&self, start: usize, plain: bool, buffer: &mut SegmentBuffer) -> bool {
        let SegmentBuffer { components, raw, .. } = buffer;
        components.iter().all(|span| {
            if plain {
                let bytes = self.bytes.get(start + span.start..start + span.end).unwrap_or_default();
                return bytes.iter().all(u8::is_ascii_whitespace);
            }
            self.unescape_span(start, *span, raw);
            raw.iter().all(u8::is_ascii_whitespace)
        })
    }

    /// The bytes of one value with release escapes undone and wrapping line breaks dropped.
    fn unescape(&self, from: usize, to: usize, out: &mut Vec<u8>) {
        let mut i = from;
        while let Some(&b) = self.bytes.get(i).filter(|_| i < to) {
            if Some(b) == self.delimiters.release {
                i = self.after_released(i + 1);
                if let Some(&escaped) = self.bytes.get(i).filter(|_| i < to) {
                    out.push(escaped);
                }
            } else if !is_line_break(b) {
                out.push(b);
            }
            i += 1;
        }
    }

    /// The tag and values of the split segment: lent from the input when its
    /// bytes are already the decoded text, else decoded into the buffer. A
    /// UNB sets the character set before its own values are decoded.
    fn decode(&mut self, start: usize, split: &Split, buffer: &mut SegmentBuffer) -> Decoded<'a> {
        let lent =
            if split.plain && self.ascii_delimiters { self.utf8.get(self.bytes, start, split.end) } else { None };
        if let Some((text, ascii)) = lent {
            let component = |index: usize| buffer.components.get(index).and_then(|s| text.get(s.start..s.end));
            let tag = trim(component(0).unwrap_or_default());
            if tag == "UNB" {
                let syntax_id = buffer.elements.get(1).and_then(|&first| component(first));
                self.charset = Charset::from_syntax_id(syntax_id.unwrap_or_default());
            }
            // Valid UTF-8 is its own decoding in these sets; ASCII is in every set.
            if ascii || matches!(self.charset, Charset::Ascii | Charset::Utf8) || text.is_ascii() {
                return Decoded::Input { text, tag };
            }
        }
        self.decode_into_buffer(start, buffer)
    }

    fn decode_into_buffer(&mut self, start: usize, buffer: &mut SegmentBuffer) -> Decoded<'a> {
        let SegmentBuffer { components, elements, text, raw } = buffer;
        text.clear();
        self.unescape_span(start, components.first().copied().unwrap_or_default(), raw);
        text.push_str(String::from_utf8_lossy(raw).trim());
        let tag_len = text.len();
        let first_value = elements.get(1).copied().unwrap_or(components.len());
        if text.as_str() == "UNB" {
            let syntax_id = components.get(first_value).copied().unwrap_or_default();
            self.unescape_span(start, syntax_id, raw);
            self.charset = Charset::from_syntax_id(&String::from_utf8_lossy(raw));
        }
        for span in components.iter_mut().skip(first_value) {
            self.unescape_span(start, *span, raw);
            let from = text.len();
            self.charset.decode_into(raw, text);
            *span = Span { start: from, end: text.len() };
        }
        Decoded::Buffer { tag_len }
    }

    /// [`Segments::unescape`] of a span of the segment starting at `start`, into a cleared `raw`.
    fn unescape_span(&self, start: usize, span: Span, raw: &mut Vec<u8>) {
        raw.clear();
        self.unescape(start + span.start, start + span.end, raw);
    }

    /// Interchange and message numbers move with the envelope segments.
    fn track_envelope(&mut self, tag: &str) -> (Option<usize>, Option<usize>) {
        match tag.as_bytes() {
            b"UNB" => {
                self.interchange_count += 1;
                self.in_interchange = true;
                self.message_count = 0;
                self.in_message = false;
            }
            b"UNH" => {
                self.message_count += 1;
                self.in_message = true;
            }
            _ => {}
        }
        let numbers =
            (self.in_interchange.then_some(self.interchange_count), self.in_message.then_some(self.message_count));
        match tag.as_bytes() {
            b"UNT" => self.in_message = false,
            b"UNZ" => {
                self.in_interchange = false;
                self.in_message = false;
                self.message_count = 0;
            }
            _ => {}
        }
        numbers
    }

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

impl Iterator for Segments<'_> {
    type Item = Segment;

    fn next(&mut self) -> Option<Segment> {
        let mut buffer = std::mem::take(&mut self.buffer);
        let segment = self.next_segment(&mut buffer).map(|s| s.to_segment());
        self.buffer = buffer;
        segment
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

/// `str::trim`, with a shortcut for the usual value: one that starts and
/// ends with a visible ASCII character.
fn trim(value: &str) -> &str {
    let visible = |b: Option<&u8>| b.is_some_and(|b| (b'!'..=b'~').contains(b));
    let bytes = value.as_bytes();
    if bytes.is_empty() || (visible(bytes.first()) && visible(bytes.last())) { value } else { value.trim() }
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

    /// Every segment's values, lent by `next_segment`, as owned strings.
    fn lent_values(bytes: &[u8], element: usize, component: usize) -> Vec<Option<String>> {
        let (mut segments, mut buffer) = (Segments::new(bytes), SegmentBuffer::default());
        let mut values = Vec::new();
        while let Some(segment) = segments.next_segment(&mut buffer) {
            values.push(segment.value(element, component).map(str::to_string));
        }
        values
    }

    #[test]
    fn values_read_alike_whether_lent_from_the_input_or_decoded() {
        // UNOC: ASCII segments are lent as they stand; Latin-1, escapes and wrapping are decoded.
        let text =
            b"UNB+UNOC:3+A+B+1'LIN+1+plain+ST'NAD+BY+M\xfcller+ST'FTX+AAI+a?+b+ST'RFF+ON+x\r\ny+ST'DTM+1+ S  +ST'";
        let expected = ["plain", "Müller", "a+b", "xy", "S"].map(|v| Some(v.to_string()));
        assert_eq!(lent_values(text, 1, 0)[1..], expected);
        assert_eq!(lent_values(text, 2, 0)[1..], [(); 5].map(|_| Some("ST".to_string())));
    }

    #[test]
    fn a_delimiter_outside_ascii_splits_bytes_not_characters() {
        // \xa7 is the component separator and also a UTF-8 continuation byte.
        let text = b"UNA\xa7+.? 'UNB+UNOW\xa74+A+B+1'FTX+AAI+++\xc3\xa9\xa7z'";
        let ftx = Segments::new(text).nth(1).map(|s| s.elements);
        assert_eq!(ftx.and_then(|e| e.get(3).cloned()), Some(vec!["\u{e9}".to_string(), "z".to_string()]));
    }

    #[test]
    fn utf8_values_survive_the_checked_window_ending_inside_a_character() {
        let mut text = b"UNA:+.? 'UNB+UNOW:4+A+B+1'".to_vec();
        let expected: Vec<String> = (0..40_000).map(|n| format!("{n}{}", "é".repeat(n % 7))).collect();
        for value in &expected {
            text.extend_from_slice(format!("FTX+AAI+++{value}'").as_bytes());
        }
        assert!(text.len() > 3 * UTF8_WINDOW_BYTES);
        let read: Vec<_> = lent_values(&text, 3, 0).into_iter().skip(1).map(Option::unwrap_or_default).collect();
        assert_eq!(read, expected);
    }

    #[test]
    fn bytes_that_are_not_utf8_do_not_stop_later_segments_being_lent() {
        let text = b"UNB+UNOA:1+A+B+1'FTX+AAI+++\xff'FTX+AAI+++\xc3\xa9'FTX+AAI+++e'";
        assert_eq!(lent_values(text, 3, 0)[1..], [Some("\u{ff}".into()), Some("\u{e9}".into()), Some("e".into())]);
    }

    #[test]
    fn only_the_first_repeat_of_an_element_is_kept() {
        let mut segments = Segments::new(b"UNA:+.?*'UNH+1+X'RFF+A:1*B:2?*+C'");
        let rff = segments.nth(1).map(|s| s.elements);
        assert_eq!(rff, Some(vec![vec!["A".to_string(), "1".to_string()], vec!["C".to_string()]]));
    }

    #[test]
    fn garbage_never_panics() {
        for bytes in [&b""[..], b"UNA", b"UNA:+.? ", b"UNB", b"UNB+", b"?", b"UNH+?", b"'''", b"\xEF\xBB"] {
            let _ = Segments::new(bytes).count();
        }
    }
}
