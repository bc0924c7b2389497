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

use std::borrow::Cow;

use prodline_core::{Diagnostic, Position};

use crate::ebcdic;

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

/// One segment as read: its id, its elements (1-based through [`Segment::element`]),
/// and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub id: String,
    /// Element values as written, composites and repetitions unsplit; `elements[0]` is element 1.
    pub elements: Vec<String>,
    /// 1-based number of the segment in the file.
    pub number: usize,
    /// 0-based offset in the file of the segment's first byte.
    pub byte_offset: usize,
    /// 1-based number of the interchange the segment belongs to; 0 before any ISA.
    pub interchange: usize,
}

impl Segment {
    /// Element `n` (1-based) as written, `""` when absent.
    pub fn element(&self, n: usize) -> &str {
        n.checked_sub(1).and_then(|i| self.elements.get(i)).map(String::as_str).unwrap_or("")
    }

    /// Element `n` trimmed; `None` when absent or blank.
    pub fn value(&self, n: usize) -> Option<&str> {
        let v = self.element(n).trim();
        (!v.is_empty()).then_some(v)
    }

    /// The components of element `n`.
    pub fn components(&self, n: usize, delimiters: &Delimiters) -> Vec<&str> {
        self.element(n).split(char::from(delimiters.component)).collect()
    }

    /// The repetitions of element `n` (one when the interchange has no repetition separator).
    pub fn repetitions(&self, n: usize, delimiters: &Delimiters) -> Vec<&str> {
        match delimiters.repetition {
            Some(r) => self.element(n).split(char::from(r)).collect(),
            None => vec![self.element(n)],
        }
    }

    pub fn position(&self) -> Position {
        Position {
            interchange: (self.interchange > 0).then_some(self.interchange),
            segment: Some(self.number),
            segment_id: Some(self.id.clone()),
            byte_offset: Some(self.byte_offset),
            ..Position::default()
        }
    }
}

/// What reading an ISA told us.
#[derive(Debug, Clone, PartialEq, Eq)]
struct IsaLayout {
    delimiters: Delimiters,
    warnings: Vec<(&'static str, String)>,
}

/// Iterator over the segments of a file, across interchanges. Findings of
/// the syntax layer (bad ISA, missing terminator...) are collected and
/// handed out by [`Segments::take_diagnostics`].
pub struct Segments<'a> {
    bytes: Cow<'a, [u8]>,
    /// Offset of `bytes[0]` in the file (3 after a UTF-8 BOM).
    base: usize,
    /// EBCDIC input decodes to Latin-1: never guess UTF-8 there.
    latin1_only: bool,
    pos: usize,
    delimiters: Option<Delimiters>,
    /// One segment per line: a line break may end a segment that lacks its terminator.
    line_mode: bool,
    number: usize,
    interchange: usize,
    reported_no_isa: bool,
    diagnostics: Vec<Diagnostic>,
}

/// Read the segments of `bytes`.
pub fn segments(bytes: &[u8]) -> Segments<'_> {
    let (bytes, base, latin1_only) = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        (Cow::Borrowed(rest), 3, false)
    } else if ebcdic::looks_like_ebcdic_isa(bytes) {
        (Cow::Owned(ebcdic::decode_cp037(bytes)), 0, true)
    } else {
        (Cow::Borrowed(bytes), 0, false)
    };
    Segments {
        bytes,
        base,
        latin1_only,
        pos: 0,
        delimiters: None,
        line_mode: false,
        number: 0,
        interchange: 0,
        reported_no_isa: false,
        diagnostics: Vec::new(),
    }
}

impl Segments<'_> {
    /// Diagnostics found since the last call.
    pub fn take_diagnostics(&mut self) -> Vec<Diagnostic> {
        std::mem::take(&mut self.diagnostics)
    }

    /// Delimiters of the current interchange.
    pub fn delimiters(&self) -> Option<Delimiters> {
        self.delimiters
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
        let found = self.bytes.get(from..).and_then(|rest| rest.windows(3).position(|w| w == b"ISA"));
        if !self.reported_no_isa && self.number == 0 {
            self.reported_no_isa = true;
            let shown = preview(&self.bytes, from);
            let message = match found {
                Some(_) => format!("unreadable bytes before the first ISA segment: {shown}"),
                None => format!("no ISA segment: the file starts with {shown}"),
            };
            self.diagnostics.push(Diagnostic::error("bad_isa", message, self.position_at(from)));
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
                for (code, message) in layout.warnings {
                    self.diagnostics.push(Diagnostic::warning(code, message, self.position_at(self.pos)));
                }
                self.line_mode = terminator_then_line_break(&self.bytes, self.pos, layout.delimiters.segment);
                true
            }
            Err(message) => {
                self.reported_no_isa = true;
                let mut position = self.position_at(self.pos);
                position.interchange = Some(self.interchange + 1);
                position.segment_id = Some("ISA".into());
                self.diagnostics.push(Diagnostic::error("bad_isa", message, position));
                self.delimiters = None;
                self.pos += 3;
                false
            }
        }
    }

    /// Collect the bytes of one segment, dropping line breaks that are not the terminator.
    fn read_segment_bytes(&mut self, d: Delimiters) -> (Vec<u8>, bool) {
        let mut buf = Vec::new();
        while let Some(&b) = self.bytes.get(self.pos) {
            if b == d.segment {
                self.pos += 1;
                return (buf, true);
            }
            if matches!(b, b'\r' | b'\n') && !d.contains(b) {
                if self.line_mode && !buf.is_empty() && self.segment_starts_after_break(d) {
                    return (buf, false);
                }
                self.pos += 1;
                continue;
            }
            buf.push(b);
            self.pos += 1;
        }
        (buf, false)
    }

    fn segment_starts_after_break(&self, d: Delimiters) -> bool {
        let mut at = self.pos;
        while matches!(self.bytes.get(at), Some(b'\r' | b'\n' | b' ' | b'\t')) {
            at += 1;
        }
        looks_like_segment_start(&self.bytes, at, d)
    }

    fn decode(&self, bytes: &[u8]) -> String {
        if !self.latin1_only
            && let Ok(text) = std::str::from_utf8(bytes)
        {
            return text.to_string();
        }
        bytes.iter().map(|&b| char::from(b)).collect()
    }

    fn build_segment(&mut self, raw: &[u8], d: Delimiters, start: usize) -> Segment {
        let mut parts = raw.split(|&b| b == d.element);
        let id = parts.next().map(|p| self.decode(p)).unwrap_or_default().trim().to_string();
        let elements = parts.map(|p| self.decode(p)).collect();
        self.number += 1;
        Segment { id, elements, number: self.number, byte_offset: self.base + start, interchange: self.interchange }
    }

    fn set_repetition(&mut self, isa: &Segment) {
        let Some(d) = self.delimiters.as_mut() else { return };
        d.repetition = repetition_separator(isa.element(11), *d);
    }
}

impl Iterator for Segments<'_> {
    type Item = Segment;

    fn next(&mut self) -> Option<Segment> {
        loop {
            self.skip_blanks();
            if self.pos >= self.bytes.len() {
                return None;
            }
            let is_isa = self.at_isa(self.pos);
            if is_isa && !self.enter_isa() {
                continue;
            }
            let Some(d) = self.delimiters else {
                if !self.resync() {
                    return None;
                }
                continue;
            };
            let start = self.pos;
            let (raw, terminated) = self.read_segment_bytes(d);
            if raw.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            let segment = self.build_segment(&raw, d, start);
            if is_isa {
                self.set_repetition(&segment);
            }
            if !terminated {
                let message = format!("segment {} has no terminator {:?}", segment.id, char::from(d.segment));
                self.diagnostics.push(Diagnostic::warning("missing_terminator", message, segment.position()));
            }
            return Some(segment);
        }
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
        segments(bytes).map(|s| s.id).collect()
    }

    #[test]
    fn standard_isa_has_fixed_width_and_standard_delimiters() {
        assert_eq!(ISA.len(), ISA_FIXED_LENGTH);
        let layout = read_isa(ISA.as_bytes(), 0).unwrap();
        assert_eq!(layout.delimiters, Delimiters { repetition: None, ..Delimiters::STANDARD });
        assert!(layout.warnings.is_empty());
        let mut reader = segments(ISA.as_bytes());
        reader.next();
        assert_eq!(reader.delimiters(), Some(Delimiters::STANDARD));
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
        let segs: Vec<_> = segments(text.as_bytes()).collect();
        assert_eq!(segs[1].element(8), "004010");
        assert_eq!(segs[3].element(3), "801104");
    }

    #[test]
    fn blanks_before_segment_ids_are_skipped() {
        let text = format!("\u{feff}{ISA} GS*PO~\r\n\t\tST*850*1~ ");
        assert_eq!(ids(text.as_bytes()), ["ISA", "GS", "ST"]);
        let first_gs = segments(text.as_bytes()).nth(1).unwrap();
        assert_eq!(first_gs.byte_offset, 3 + 107);
    }

    #[test]
    fn line_break_ends_a_segment_without_terminator_in_line_mode() {
        let text = format!("{ISA}\nGS*PO~\nDTM*002*20190309\nPO1*1*2*EA~\n");
        let mut reader = segments(text.as_bytes());
        let segs: Vec<_> = reader.by_ref().collect();
        assert_eq!(segs.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["ISA", "GS", "DTM", "PO1"]);
        assert_eq!(segs[2].element(2), "20190309");
        let diags = reader.take_diagnostics();
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, "missing_terminator");
        assert_eq!(diags[0].position.segment, Some(3));
    }

    #[test]
    fn file_without_isa_is_an_error_with_offset() {
        let mut reader = segments(b"\xEF\xBB\xBFSA*00*~GS*PO~");
        assert_eq!(reader.next(), None);
        let diags = reader.take_diagnostics();
        assert_eq!(diags[0].code, "bad_isa");
        assert_eq!(diags[0].position.byte_offset, Some(3));
    }

    #[test]
    fn each_interchange_has_its_own_delimiters() {
        let second = ISA.replace('*', "|").replace(">~", ">\n");
        let text = format!("{ISA}IEA*1*000000001~\n{second}GS|PO\nIEA|1|000000001\n");
        let segs: Vec<_> = segments(text.as_bytes()).collect();
        assert_eq!(
            segs.iter().map(|s| (s.id.as_str(), s.interchange)).collect::<Vec<_>>(),
            [("ISA", 1), ("IEA", 1), ("ISA", 2), ("GS", 2), ("IEA", 2)]
        );
        assert_eq!(segs[4].element(2), "000000001");
    }

    #[test]
    fn repetition_separator_comes_from_isa11() {
        let d = Delimiters::STANDARD;
        assert_eq!(repetition_separator("^", d), Some(b'^'));
        assert_eq!(repetition_separator("U", d), None);
        assert_eq!(repetition_separator("*", d), None);
    }
}
