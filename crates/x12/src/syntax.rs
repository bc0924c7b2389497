//! The X12 syntax layer: delimiters read from each ISA, and segments with
//! their positions. Knows nothing about transaction sets.
//!
//! Real files bend the standard in many ways; this layer absorbs the ones
//! that do not change meaning:
//! - delimiters are found by counting the 16 element separators of the ISA,
//!   not by fixed offsets (NBSP-padded or trimmed ISAs, a missing ISA16);
//! - CR and LF that are not the segment terminator are dropped wherever they
//!   occur (files re-wrapped at 80 columns split segments and elements);
//! - blanks (space, tab, CR, LF) before a segment id are skipped;
//! - in a file that puts one segment per line, a line break followed by a
//!   segment id ends a segment whose terminator was forgotten (with a warning);
//! - a UTF-8 BOM is skipped, EBCDIC (cp037) is decoded.
//!
//! The file is read in one pass into a [`SegmentTable`]: a record per
//! segment and a byte range per element, pointing into the input. Reading a
//! segment allocates nothing; only segments that must be rewritten (line
//! breaks inside, bytes that are not UTF-8, EBCDIC) are copied, into one
//! spill buffer. Callers build `String`s only for the values they keep.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use prodline_core::{Diagnostic, Position};

use crate::ebcdic;
use crate::value::trim;

/// Length of a standard ISA segment, terminator included.
pub const ISA_FIXED_LENGTH: usize = 106;

/// How far past "ISA" we look for its 16 element separators. A standard ISA
/// needs 103 bytes; NBSP padding doubles some, so leave room.
const ISA_SCAN_LIMIT: usize = 400;

/// The four delimiters of one interchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Delimiters {
    pub element: u8,
    /// ISA11 in versions 00402 and later; `None` where ISA11 is the 'U' of older versions.
    pub repetition: Option<u8>,
    /// ISA16. When ISA16 is missing this equals `segment`, so nothing splits.
    pub component: u8,
    pub segment: u8,
}

impl Delimiters {
    /// The usual `*`, `^`, `>`, `~`.
    pub const STANDARD: Delimiters =
        Delimiters { element: b'*', repetition: Some(b'^'), component: b'>', segment: b'~' };

    /// Whether `byte` is one of the four delimiters.
    pub fn contains(&self, byte: u8) -> bool {
        byte == self.element || byte == self.component || byte == self.segment || self.repetition == Some(byte)
    }
}

/// Every segment of a file in file order, with the findings of the syntax layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentTable<'a> {
    /// The longest UTF-8 prefix of the input (after a BOM); empty for EBCDIC.
    input: &'a str,
    /// Text of the segments that could not be borrowed from `input`.
    spill: String,
    records: Vec<Record>,
    /// Id, then element 1, 2... of every segment.
    fields: Vec<Field>,
    /// Delimiters of each interchange: `delimiters[0]` is interchange 1's.
    delimiters: Vec<Delimiters>,
    diagnostics: Vec<Diagnostic>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Record {
    /// Where the segment's id and elements are in `SegmentTable::fields`.
    fields: Range<usize>,
    /// Where the segment's text starts in `input`, or in `spill` when `spilled`.
    text_start: usize,
    spilled: bool,
    byte_offset: usize,
    interchange: usize,
    /// `diagnostics[..diagnostics_end]` were found by the time this segment was read.
    diagnostics_end: usize,
}

/// A field's bytes, relative to its segment's `text_start`. Half the size of a
/// `Range<usize>`, which matters: the table holds one per element of the file.
/// A segment longer than 4 GiB (no terminator in a huge file) reads as empty values past that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Field {
    start: u32,
    end: u32,
}

impl Field {
    fn new(start: usize, end: usize) -> Field {
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Field { start: clamp(start), end: clamp(end) }
    }

    fn range(self, text_start: usize) -> Range<usize> {
        // u32 to usize is lossless on every target this crate builds for (32 and 64 bits).
        text_start + self.start as usize..text_start + self.end as usize
    }
}

impl<'a> SegmentTable<'a> {
    /// Read every segment of `bytes`.
    pub fn read(bytes: &'a [u8]) -> SegmentTable<'a> {
        let mut reader = Reader::new(bytes);
        while reader.read_segment() {}
        reader.table
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The segment at `index` (0-based; its number is `index + 1`).
    pub fn get(&self, index: usize) -> Option<Segment<'_>> {
        self.records.get(index).map(|record| Segment { table: self, record, index })
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = Segment<'_>> + ExactSizeIterator {
        self.slice(0..self.records.len())
    }

    /// The segments at `range` (0-based indices); empty when out of bounds.
    pub fn slice(&self, range: Range<usize>) -> impl DoubleEndedIterator<Item = Segment<'_>> + ExactSizeIterator {
        let first = range.start;
        let records = self.records.get(range).unwrap_or(&[]);
        records.iter().enumerate().map(move |(i, record)| Segment { table: self, record, index: first + i })
    }

    /// Delimiters of interchange `interchange` (1-based), repetition separator included.
    pub fn delimiters(&self, interchange: usize) -> Option<Delimiters> {
        interchange.checked_sub(1).and_then(|i| self.delimiters.get(i)).copied()
    }

    /// Findings of the syntax layer (bad ISA, missing terminator...), in file order.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    fn text(&self, record: &Record, field: Field) -> &str {
        let text = if record.spilled { self.spill.as_str() } else { self.input };
        text.get(field.range(record.text_start)).unwrap_or("")
    }

    /// A segment whose text is `input[start..start + raw.len()]`, split at `element`.
    fn push_borrowed(&mut self, raw: &[u8], start: usize, element: u8, at: SegmentAt) {
        let first = self.fields.len();
        let mut from = 0;
        // A plain loop: elements are a few bytes long, too short for memchr to pay off.
        for (end, &b) in raw.iter().enumerate() {
            if b == element {
                self.fields.push(Field::new(from, end));
                from = end + 1;
            }
        }
        self.fields.push(Field::new(from, raw.len()));
        self.push_record(first, start, false, at);
    }

    /// A segment that cannot be borrowed: each element is decoded on its own,
    /// as UTF-8 when it is valid UTF-8, else as Latin-1.
    fn push_spilled(&mut self, raw: &[u8], element: u8, latin1_only: bool, at: SegmentAt) {
        let first = self.fields.len();
        let text_start = self.spill.len();
        for part in raw.split(|&b| b == element) {
            let from = self.spill.len() - text_start;
            match std::str::from_utf8(part) {
                Ok(text) if !latin1_only => self.spill.push_str(text),
                _ => self.spill.extend(part.iter().map(|&b| char::from(b))),
            }
            self.fields.push(Field::new(from, self.spill.len() - text_start));
        }
        self.push_record(first, text_start, true, at);
    }

    fn push_record(&mut self, first: usize, text_start: usize, spilled: bool, at: SegmentAt) {
        let SegmentAt { byte_offset, interchange } = at;
        let diagnostics_end = self.diagnostics.len();
        let record =
            Record { fields: first..self.fields.len(), text_start, spilled, byte_offset, interchange, diagnostics_end };
        // The id is read trimmed: blanks before it were skipped, blanks after it are padding.
        if let Some(id) = self.fields.get(first).copied() {
            let trimmed = trimmed(self.text(&record, id), id.start);
            if let Some(slot) = self.fields.get_mut(first) {
                *slot = trimmed;
            }
        }
        self.records.push(record);
    }

    fn last(&self) -> Option<Segment<'_>> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }

    /// Count the diagnostics pushed since the last segment as found with it.
    fn close_last(&mut self) {
        let found = self.diagnostics.len();
        if let Some(record) = self.records.last_mut() {
            record.diagnostics_end = found;
        }
    }
}

/// The field of `text` (which starts at `start`) without leading and trailing whitespace.
fn trimmed(text: &str, start: u32) -> Field {
    let kept = trim(text);
    let lead = if kept.len() == text.len() { 0 } else { text.len() - text.trim_start().len() };
    let from = usize::try_from(start).unwrap_or(usize::MAX).saturating_add(lead);
    Field::new(from, from.saturating_add(kept.len()))
}

/// Where a segment being pushed is.
#[derive(Debug, Clone, Copy)]
struct SegmentAt {
    byte_offset: usize,
    interchange: usize,
}

/// One segment of a [`SegmentTable`]: its id, its elements (1-based through
/// [`Segment::element`]) and where it is. A cheap copyable view.
#[derive(Clone, Copy)]
pub struct Segment<'t> {
    table: &'t SegmentTable<'t>,
    record: &'t Record,
    index: usize,
}

impl<'t> Segment<'t> {
    /// The segment id, trimmed.
    pub fn id(&self) -> &'t str {
        self.field(0)
    }

    /// Element `n` (1-based) as written, composites and repetitions unsplit; `""` when absent.
    pub fn element(&self, n: usize) -> &'t str {
        if n == 0 {
            return "";
        }
        self.field(n)
    }

    fn field(&self, n: usize) -> &'t str {
        let at = self.record.fields.start.saturating_add(n);
        if at >= self.record.fields.end {
            return "";
        }
        self.table.fields.get(at).map_or("", |&field| self.table.text(self.record, field))
    }

    /// How many elements the segment has (trailing empty ones included).
    pub fn element_count(&self) -> usize {
        self.record.fields.len().saturating_sub(1)
    }

    /// Elements 1, 2... as written.
    pub fn elements(&self) -> impl Iterator<Item = &'t str> + use<'t> {
        let segment = *self;
        (1..=self.element_count()).map(move |n| segment.element(n))
    }

    /// Element `n` trimmed; `None` when absent or blank.
    pub fn value(&self, n: usize) -> Option<&'t str> {
        let v = trim(self.element(n));
        (!v.is_empty()).then_some(v)
    }

    /// The components of element `n`.
    pub fn components(&self, n: usize, delimiters: &Delimiters) -> Vec<&'t str> {
        self.element(n).split(char::from(delimiters.component)).collect()
    }

    /// The repetitions of element `n` (one when the interchange has no repetition separator).
    pub fn repetitions(&self, n: usize, delimiters: &Delimiters) -> Vec<&'t str> {
        match delimiters.repetition {
            Some(r) => self.element(n).split(char::from(r)).collect(),
            None => vec![self.element(n)],
        }
    }

    /// 0-based index in the [`SegmentTable`].
    pub fn index(&self) -> usize {
        self.index
    }

    /// 1-based number of the segment in the file.
    pub fn number(&self) -> usize {
        self.index + 1
    }

    /// 0-based offset in the file of the segment's first byte.
    pub fn byte_offset(&self) -> usize {
        self.record.byte_offset
    }

    /// 1-based number of the interchange the segment belongs to.
    pub fn interchange(&self) -> usize {
        self.record.interchange
    }

    /// How many of the table's diagnostics were found by the time this segment was read.
    pub(crate) fn diagnostics_end(&self) -> usize {
        self.record.diagnostics_end
    }

    pub fn position(&self) -> Position {
        Position {
            interchange: (self.interchange() > 0).then_some(self.interchange()),
            segment: Some(self.number()),
            segment_id: Some(self.id().to_string()),
            byte_offset: Some(self.byte_offset()),
            ..Position::default()
        }
    }
}

impl fmt::Debug for Segment<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Segment")
            .field("id", &self.id())
            .field("elements", &self.elements().collect::<Vec<_>>())
            .field("number", &self.number())
            .field("byte_offset", &self.byte_offset())
            .field("interchange", &self.interchange())
            .finish()
    }
}

impl PartialEq for Segment<'_> {
    fn eq(&self, other: &Self) -> bool {
        (self.number(), self.byte_offset(), self.interchange(), self.id())
            == (other.number(), other.byte_offset(), other.interchange(), other.id())
            && self.elements().eq(other.elements())
    }
}

impl Eq for Segment<'_> {}

/// What reading an ISA told us.
#[derive(Debug, Clone, PartialEq, Eq)]
struct IsaLayout {
    delimiters: Delimiters,
    warnings: Vec<(&'static str, String)>,
}

/// Walks the bytes of a file and fills a [`SegmentTable`].
struct Reader<'a> {
    bytes: Cow<'a, [u8]>,
    /// Offset of `bytes[0]` in the file (3 after a UTF-8 BOM).
    base: usize,
    /// EBCDIC input decodes to Latin-1: never guess UTF-8 there.
    latin1_only: bool,
    pos: usize,
    delimiters: Option<Delimiters>,
    /// One segment per line: a line break may end a segment that lacks its terminator.
    line_mode: bool,
    interchange: usize,
    reported_no_isa: bool,
    /// The bytes of a segment being rewritten; reused from segment to segment.
    scratch: Vec<u8>,
    table: SegmentTable<'a>,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Reader<'a> {
        let (bytes, base, latin1_only) = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
            (Cow::Borrowed(rest), 3, false)
        } else if ebcdic::looks_like_ebcdic_isa(bytes) {
            (Cow::Owned(ebcdic::decode_cp037(bytes)), 0, true)
        } else {
            (Cow::Borrowed(bytes), 0, false)
        };
        let input = match &bytes {
            Cow::Borrowed(borrowed) => utf8_prefix(borrowed),
            Cow::Owned(_) => "",
        };
        // Sized for ordinary files (segments of 32 bytes or more, elements of 4
        // or more) so the big vectors are rarely copied while they grow.
        let table = SegmentTable {
            input,
            spill: String::new(),
            records: Vec::with_capacity(bytes.len() / 32),
            fields: Vec::with_capacity(bytes.len() / 4),
            delimiters: Vec::new(),
            diagnostics: Vec::new(),
        };
        Reader {
            bytes,
            base,
            latin1_only,
            pos: 0,
            delimiters: None,
            line_mode: false,
            interchange: 0,
            reported_no_isa: false,
            scratch: Vec::new(),
            table,
        }
    }

    fn at_isa(&self, at: usize) -> bool {
        self.bytes.get(at..at + 3) == Some(&b"ISA"[..])
    }

    fn skip_blanks(&mut self) {
        let delimiters = self.delimiters;
        while let Some(&b) = self.bytes.get(self.pos) {
            let blank = matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0x00 | 0x1A);
            if !blank || delimiters.is_some_and(|d| d.contains(b)) {
                break;
            }
            self.pos += 1;
        }
    }

    fn position_at(&self, at: usize) -> Position {
        Position {
            interchange: (self.interchange > 0).then_some(self.interchange),
            byte_offset: Some(self.base + at),
            ..Position::default()
        }
    }

    /// With no usable delimiters, move to the next "ISA"; report the first time
    /// the file does not start with one.
    fn resync(&mut self) -> bool {
        let from = self.pos;
        let found = self.bytes.get(from..).and_then(|rest| memchr::memmem::find(rest, b"ISA"));
        if !self.reported_no_isa && self.table.is_empty() {
            self.reported_no_isa = true;
            let shown = preview(&self.bytes, from);
            let message = match found {
                Some(_) => format!("unreadable bytes before the first ISA segment: {shown}"),
                None => format!("no ISA segment: the file starts with {shown}"),
            };
            let diagnostic = Diagnostic::error("bad_isa", message, self.position_at(from));
            self.table.diagnostics.push(diagnostic);
        }
        match found {
            Some(offset) => {
                self.pos = from + offset;
                true
            }
            None => {
                self.pos = self.bytes.len();
                false
            }
        }
    }

    /// Read the ISA at `self.pos` and switch to its delimiters.
    fn enter_isa(&mut self) -> bool {
        match read_isa(&self.bytes, self.pos) {
            Ok(layout) => {
                self.interchange += 1;
                self.delimiters = Some(layout.delimiters);
                self.table.delimiters.push(layout.delimiters);
                for (code, message) in layout.warnings {
                    let diagnostic = Diagnostic::warning(code, message, self.position_at(self.pos));
                    self.table.diagnostics.push(diagnostic);
                }
                self.line_mode = terminator_then_line_break(&self.bytes, self.pos, layout.delimiters.segment);
                true
            }
            Err(message) => {
                self.reported_no_isa = true;
                let mut position = self.position_at(self.pos);
                position.interchange = Some(self.interchange + 1);
                position.segment_id = Some("ISA".into());
                self.table.diagnostics.push(Diagnostic::error("bad_isa", message, position));
                self.delimiters = None;
                self.pos += 3;
                false
            }
        }
    }

    /// Read the next segment into the table; `false` at the end of the input.
    fn read_segment(&mut self) -> bool {
        loop {
            self.skip_blanks();
            if self.pos >= self.bytes.len() {
                return false;
            }
            let is_isa = self.at_isa(self.pos);
            if is_isa && !self.enter_isa() {
                continue;
            }
            let Some(d) = self.delimiters else {
                if !self.resync() {
                    return false;
                }
                continue;
            };
            let Some(terminated) = self.push_segment(d) else { continue };
            if is_isa {
                self.set_repetition();
            }
            if !terminated {
                self.report_missing_terminator(d);
            }
            self.table.close_last();
            return true;
        }
    }

    /// Push the segment at `self.pos` and move past it: `Some(terminated)`,
    /// or `None` when it was blank (nothing pushed).
    fn push_segment(&mut self, d: Delimiters) -> Option<bool> {
        let start = self.pos;
        let rest = self.bytes.get(start..).unwrap_or(&[]);
        let (len, terminated) = match memchr::memchr(d.segment, rest) {
            Some(at) => (at, true),
            None => (rest.len(), false),
        };
        let raw = rest.get(..len).unwrap_or(&[]);
        if has_line_break(raw, d) {
            return self.push_rewritten(d);
        }
        self.pos = start + len + usize::from(terminated);
        if raw.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        let at = SegmentAt { byte_offset: self.base + start, interchange: self.interchange };
        let borrowable = d.element.is_ascii() && self.table.input.get(start..start + len).is_some();
        if borrowable {
            self.table.push_borrowed(raw, start, d.element, at);
        } else {
            self.table.push_spilled(raw, d.element, self.latin1_only, at);
        }
        Some(terminated)
    }

    /// The slow path: a segment with line breaks inside, copied without them.
    fn push_rewritten(&mut self, d: Delimiters) -> Option<bool> {
        let start = self.pos;
        let mut raw = std::mem::take(&mut self.scratch);
        raw.clear();
        let terminated = self.read_segment_bytes(d, &mut raw);
        let blank = raw.iter().all(u8::is_ascii_whitespace);
        if !blank {
            let at = SegmentAt { byte_offset: self.base + start, interchange: self.interchange };
            self.table.push_spilled(&raw, d.element, self.latin1_only, at);
        }
        self.scratch = raw;
        (!blank).then_some(terminated)
    }

    /// Collect the bytes of one segment into `buf`, dropping line breaks that
    /// are not the terminator; whether the terminator ended it.
    fn read_segment_bytes(&mut self, d: Delimiters, buf: &mut Vec<u8>) -> bool {
        while let Some(&b) = self.bytes.get(self.pos) {
            if b == d.segment {
                self.pos += 1;
                return true;
            }
            if matches!(b, b'\r' | b'\n') && !d.contains(b) {
                if self.line_mode && !buf.is_empty() && self.segment_starts_after_break(d) {
                    return false;
                }
                self.pos += 1;
                continue;
            }
            buf.push(b);
            self.pos += 1;
        }
        false
    }

    fn segment_starts_after_break(&self, d: Delimiters) -> bool {
        let mut at = self.pos;
        while matches!(self.bytes.get(at), Some(b'\r' | b'\n' | b' ' | b'\t')) {
            at += 1;
        }
        looks_like_segment_start(&self.bytes, at, d)
    }

    /// ISA11 of the ISA just pushed sets the interchange's repetition separator.
    fn set_repetition(&mut self) {
        let Some(d) = self.delimiters.as_mut() else { return };
        let isa11 = self.table.last().map(|isa| isa.element(11)).unwrap_or("");
        d.repetition = repetition_separator(isa11, *d);
        if let Some(slot) = self.table.delimiters.last_mut() {
            *slot = *d;
        }
    }

    fn report_missing_terminator(&mut self, d: Delimiters) {
        let Some(segment) = self.table.last() else { return };
        let message = format!("segment {} has no terminator {:?}", segment.id(), char::from(d.segment));
        let diagnostic = Diagnostic::warning("missing_terminator", message, segment.position());
        self.table.diagnostics.push(diagnostic);
    }
}

/// The longest prefix of `bytes` that is UTF-8: segments inside it are borrowed as text.
fn utf8_prefix(bytes: &[u8]) -> &str {
    match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => bytes.get(..e.valid_up_to()).and_then(|valid| std::str::from_utf8(valid).ok()).unwrap_or(""),
    }
}

/// Whether `raw` holds a CR or LF that is not a delimiter (a wrapped line).
fn has_line_break(raw: &[u8], d: Delimiters) -> bool {
    match (d.contains(b'\r'), d.contains(b'\n')) {
        (false, false) => memchr::memchr2(b'\r', b'\n', raw).is_some(),
        (false, true) => memchr::memchr(b'\r', raw).is_some(),
        (true, false) => memchr::memchr(b'\n', raw).is_some(),
        (true, true) => false,
    }
}

/// `[A-Z][A-Z0-9]{1,2}` followed by the element separator or the terminator.
fn looks_like_segment_start(bytes: &[u8], at: usize, d: Delimiters) -> bool {
    let Some(first) = bytes.get(at) else { return false };
    if !first.is_ascii_uppercase() {
        return false;
    }
    let id_len = bytes.iter().skip(at).take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit()).count();
    (2..=3).contains(&id_len) && bytes.get(at + id_len).is_some_and(|&b| b == d.element || b == d.segment)
}

/// A few bytes from `at`, for error messages.
fn preview(bytes: &[u8], at: usize) -> String {
    let end = bytes.len().min(at.saturating_add(16));
    let shown = bytes.get(at..end).unwrap_or(&[]);
    format!("{:?}", String::from_utf8_lossy(shown))
}

fn is_line_break(b: u8) -> bool {
    matches!(b, b'\r' | b'\n')
}

fn usable_element_separator(b: u8) -> bool {
    !(b.is_ascii_alphanumeric() || b.is_ascii_whitespace() || b == 0)
}

/// Find the delimiters of the ISA starting at `start` ("ISA" is there).
fn read_isa(bytes: &[u8], start: usize) -> Result<IsaLayout, String> {
    let element = *bytes.get(start + 3).ok_or("the file ends right after 'ISA'")?;
    if !usable_element_separator(element) {
        return Err(format!("byte {:?} after 'ISA' cannot be an element separator", char::from(element)));
    }
    let sep16 = sixteenth_separator(bytes, start, element)?;
    let mut warnings = Vec::new();
    let (component, segment, terminator_at) = isa_tail(bytes, sep16, &mut warnings)?;
    if segment == element || component == element || segment.is_ascii_alphanumeric() {
        return Err(format!(
            "ISA delimiters are inconsistent: element {:?}, component {:?}, segment {:?}",
            char::from(element),
            char::from(component),
            char::from(segment)
        ));
    }
    let length = isa_length(bytes, start, terminator_at);
    if length != ISA_FIXED_LENGTH {
        warnings.push(("isa_not_fixed_width", format!("ISA is {length} bytes long, not {ISA_FIXED_LENGTH}")));
    }
    Ok(IsaLayout { delimiters: Delimiters { element, repetition: None, component, segment }, warnings })
}

/// Offset of the 16th element separator after "ISA", line breaks ignored.
fn sixteenth_separator(bytes: &[u8], start: usize, element: u8) -> Result<usize, String> {
    let end = bytes.len().min(start + ISA_SCAN_LIMIT);
    let mut seen = 0;
    for (i, &b) in bytes.iter().enumerate().take(end).skip(start + 3) {
        if b == element {
            seen += 1;
            if seen == 16 {
                return Ok(i);
            }
        }
    }
    Err(format!("ISA has {seen} of its 16 element separators {:?}", char::from(element)))
}

/// ISA16 and the segment terminator after the 16th separator: `(component, segment, terminator offset)`.
fn isa_tail(bytes: &[u8], sep16: usize, warnings: &mut Vec<(&'static str, String)>) -> Result<(u8, u8, usize), String> {
    let c1 = *bytes.get(sep16 + 1).ok_or("the file ends inside the ISA (no ISA16)")?;
    let missing = |warnings: &mut Vec<(&'static str, String)>| {
        let message = "ISA16 (component separator) is missing; composites are not split in this interchange";
        warnings.push(("missing_component_separator", message.to_string()));
        Ok((c1, c1, sep16 + 1))
    };
    if is_line_break(c1) {
        return missing(warnings);
    }
    let Some(&c2) = bytes.get(sep16 + 2) else {
        return Err("the file ends after ISA16: no segment terminator".into());
    };
    // "*T*~GS": the '~' is the terminator and ISA16 was left out.
    if c2.is_ascii_alphanumeric() {
        return missing(warnings);
    }
    // "*T*~\nGS*...~\n": the next line ends with c1 as well, so c1 terminates segments.
    if is_line_break(c2) && next_line_ends_with(bytes, sep16 + 2, c1) {
        return missing(warnings);
    }
    Ok((c1, c2, sep16 + 2))
}

fn next_line_ends_with(bytes: &[u8], from: usize, last: u8) -> bool {
    let rest = bytes.get(from..).unwrap_or(&[]);
    let Some(line_start) = rest.iter().position(|&b| !is_line_break(b)) else { return false };
    let line = rest.get(line_start..).unwrap_or(&[]);
    let line_end = line.iter().position(|&b| is_line_break(b)).unwrap_or(line.len());
    line.get(..line_end).and_then(|l| l.trim_ascii_end().last()) == Some(&last)
}

/// Length of the ISA, terminator included, not counting wrapped line breaks.
fn isa_length(bytes: &[u8], start: usize, terminator_at: usize) -> usize {
    let body = bytes.get(start..terminator_at).unwrap_or(&[]);
    body.iter().filter(|&&b| !is_line_break(b)).count() + 1
}

/// Whether the ISA's terminator is followed by a line break (one segment per line).
fn terminator_then_line_break(bytes: &[u8], start: usize, terminator: u8) -> bool {
    if is_line_break(terminator) {
        return false;
    }
    let rest = bytes.get(start..).unwrap_or(&[]);
    let Some(at) = rest.iter().position(|&b| b == terminator) else { return false };
    rest.get(at + 1).is_some_and(|&b| is_line_break(b))
}

/// ISA11 is the repetition separator from version 00402 on; older versions
/// carry 'U' there. A punctuation mark in an older version can only mean a
/// separator too, so the version is not checked.
fn repetition_separator(isa11: &str, d: Delimiters) -> Option<u8> {
    let &[b] = isa11.as_bytes() else { return None };
    if b.is_ascii_alphanumeric() || b.is_ascii_whitespace() || b == d.element || b == d.segment || b == d.component {
        return None;
    }
    Some(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISA: &str =
        "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240131*1100*^*00401*000000001*0*P*>~";

    fn ids(bytes: &[u8]) -> Vec<String> {
        SegmentTable::read(bytes).iter().map(|s| s.id().to_string()).collect()
    }

    #[test]
    fn standard_isa_has_fixed_width_and_standard_delimiters() {
        assert_eq!(ISA.len(), ISA_FIXED_LENGTH);
        let layout = read_isa(ISA.as_bytes(), 0).unwrap();
        assert_eq!(layout.delimiters, Delimiters { repetition: None, ..Delimiters::STANDARD });
        assert!(layout.warnings.is_empty());
        let table = SegmentTable::read(ISA.as_bytes());
        assert_eq!(table.delimiters(1), Some(Delimiters::STANDARD));
    }

    #[test]
    fn missing_isa16_before_line_break_makes_the_tilde_the_terminator() {
        let text = "ISA*00*x*00*x*ZZ*A*ZZ*B*190805*1134*U*00401*000000001*0*T*~\nGS*PO*A*B*20190805*1134*1*X*004010~\n";
        let layout = read_isa(text.as_bytes(), 0).unwrap();
        assert_eq!(layout.delimiters.segment, b'~');
        assert_eq!(layout.delimiters.component, b'~');
        let codes: Vec<_> = layout.warnings.iter().map(|w| w.0).collect();
        assert_eq!(codes, ["missing_component_separator", "isa_not_fixed_width"]);
    }

    #[test]
    fn lf_terminator_after_isa16_is_kept() {
        let text = ISA.replace(">~", "@\n") + "GS*PO*A*B*19971107*1220*1*X*004010\nST*850*1\n";
        let layout = read_isa(text.as_bytes(), 0).unwrap();
        assert_eq!((layout.delimiters.component, layout.delimiters.segment), (b'@', b'\n'));
        assert_eq!(ids(text.as_bytes()), ["ISA", "GS", "ST"]);
    }

    #[test]
    fn rejects_space_as_element_separator() {
        let text = ISA.replacen('*', " ", 1);
        let err = read_isa(text.as_bytes(), 0).unwrap_err();
        assert!(err.contains("element separator"), "{err}");
    }

    #[test]
    fn line_breaks_inside_segments_are_dropped() {
        let text = format!("{}\nGS*PO*A*B*20050718*17\n00*8*X*004\n010~ST*850*0001~BEG*00*SA*8011\n04~", ISA);
        let table = SegmentTable::read(text.as_bytes());
        let segs: Vec<_> = table.iter().collect();
        assert_eq!(segs[1].element(8), "004010");
        assert_eq!(segs[3].element(3), "801104");
    }

    #[test]
    fn blanks_before_segment_ids_are_skipped() {
        let text = format!("\u{feff}{ISA} GS*PO~\r\n\t\tST*850*1~ ");
        assert_eq!(ids(text.as_bytes()), ["ISA", "GS", "ST"]);
        let table = SegmentTable::read(text.as_bytes());
        assert_eq!(table.get(1).unwrap().byte_offset(), 3 + 107);
    }

    #[test]
    fn line_break_ends_a_segment_without_terminator_in_line_mode() {
        let text = format!("{ISA}\nGS*PO~\nDTM*002*20190309\nPO1*1*2*EA~\n");
        let table = SegmentTable::read(text.as_bytes());
        let segs: Vec<_> = table.iter().collect();
        assert_eq!(segs.iter().map(|s| s.id()).collect::<Vec<_>>(), ["ISA", "GS", "DTM", "PO1"]);
        assert_eq!(segs[2].element(2), "20190309");
        let diags = table.diagnostics();
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, "missing_terminator");
        assert_eq!(diags[0].position.segment, Some(3));
    }

    #[test]
    fn file_without_isa_is_an_error_with_offset() {
        let table = SegmentTable::read(b"\xEF\xBB\xBFSA*00*~GS*PO~");
        assert!(table.is_empty());
        let diags = table.diagnostics();
        assert_eq!(diags[0].code, "bad_isa");
        assert_eq!(diags[0].position.byte_offset, Some(3));
    }

    #[test]
    fn each_interchange_has_its_own_delimiters() {
        let second = ISA.replace('*', "|").replace(">~", ">\n");
        let text = format!("{ISA}IEA*1*000000001~\n{second}GS|PO\nIEA|1|000000001\n");
        let table = SegmentTable::read(text.as_bytes());
        let segs: Vec<_> = table.iter().collect();
        assert_eq!(
            segs.iter().map(|s| (s.id(), s.interchange())).collect::<Vec<_>>(),
            [("ISA", 1), ("IEA", 1), ("ISA", 2), ("GS", 2), ("IEA", 2)]
        );
        assert_eq!(segs[4].element(2), "000000001");
    }

    #[test]
    fn elements_that_are_not_utf8_read_as_latin1_with_original_offsets() {
        let mut text = format!("{ISA}N1*ST*CAF\u{e9}~N3*R").into_bytes();
        text.extend_from_slice(b"\xE9SIDENCE*\xC3\xA9~N4*X\r\nY~");
        let table = SegmentTable::read(&text);
        let segs: Vec<_> = table.iter().collect();
        assert_eq!(segs[1].element(2), "CAF\u{e9}", "UTF-8 before the first Latin-1 byte");
        assert_eq!(segs[2].elements().collect::<Vec<_>>(), ["R\u{e9}SIDENCE", "\u{e9}"], "each element on its own");
        assert_eq!(segs[3].element(1), "XY", "wrapped line joined");
        assert_eq!(segs[3].byte_offset(), text.len() - 8);
        assert_eq!(segs[3].element_count(), 1);
    }

    #[test]
    fn repetition_separator_comes_from_isa11() {
        let d = Delimiters::STANDARD;
        assert_eq!(repetition_separator("^", d), Some(b'^'));
        assert_eq!(repetition_separator("U", d), None);
        assert_eq!(repetition_separator("*", d), None);
    }
}
