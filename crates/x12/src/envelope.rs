//! Interchanges, functional groups and transaction sets, with the envelope
//! checks (counts and control numbers) as warnings that carry positions.
//!
//! A broken set (its first segment is not ST) is reported as an Error and
//! skipped up to its SE; the sets after it are still read.

use std::ops::Range;

use prodline_core::{Diagnostic, Position};

use crate::syntax::{Delimiters, Segment, SegmentTable};

/// One ISA ... IEA. Segments are views into the [`SegmentTable`] the envelopes were read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Interchange<'t> {
    /// 1-based number in the file.
    pub index: usize,
    pub delimiters: Delimiters,
    pub header: Segment<'t>,
    pub groups: Vec<FunctionalGroup<'t>>,
    pub trailer: Option<Segment<'t>>,
    /// Findings about the interchange itself (ISA layout, IEA checks).
    pub diagnostics: Vec<Diagnostic>,
}

/// One GS ... GE. `header` is `None` for sets that came without a GS.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionalGroup<'t> {
    pub header: Option<Segment<'t>>,
    pub sets: Vec<TransactionSet<'t>>,
    /// Sets whose ST was unreadable: counted for GE01, not returned.
    pub broken_sets: usize,
    pub trailer: Option<Segment<'t>>,
    pub diagnostics: Vec<Diagnostic>,
}

/// One ST ... SE.
#[derive(Debug, Clone, PartialEq)]
pub struct TransactionSet<'t> {
    /// 1-based number of the set in the file (also used as `Position::message`).
    pub ordinal: usize,
    pub header: Segment<'t>,
    /// Table indices of the segments between ST and SE: they are contiguous,
    /// since any envelope segment ends the set.
    body: Range<usize>,
    table: &'t SegmentTable<'t>,
    pub trailer: Option<Segment<'t>>,
    pub diagnostics: Vec<Diagnostic>,
}

impl<'t> TransactionSet<'t> {
    /// The segments between ST and SE.
    pub fn body(&self) -> impl DoubleEndedIterator<Item = Segment<'t>> + ExactSizeIterator + use<'t> {
        self.table.slice(self.body.clone())
    }

    /// How many segments are between ST and SE.
    pub fn body_len(&self) -> usize {
        self.body.len()
    }

    /// ST01: 850, 855, 997...
    pub fn kind(&self) -> &str {
        self.header.element(1).trim()
    }

    /// ST02.
    pub fn control_number(&self) -> &str {
        self.header.element(2).trim()
    }

    /// Position of a segment of this set, with the set's ordinal.
    pub fn position_of(&self, segment: &Segment<'_>) -> Position {
        Position { message: Some(self.ordinal), ..segment.position() }
    }
}

/// Everything in a file, plus findings that belong to no interchange.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Envelopes<'t> {
    pub interchanges: Vec<Interchange<'t>>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Split the segments of a file into interchanges, groups and sets.
pub fn read<'t>(table: &'t SegmentTable<'_>) -> Envelopes<'t> {
    let mut builder = Builder::new(table);
    let mut routed = 0;
    for segment in table.iter() {
        builder.current = segment.index();
        let delimiters = table.delimiters(segment.interchange()).unwrap_or(Delimiters::STANDARD);
        builder.handle(segment, delimiters);
        let found = table.diagnostics().get(routed..segment.diagnostics_end()).unwrap_or(&[]);
        builder.route(found);
        routed = routed.max(segment.diagnostics_end());
    }
    builder.current = table.len();
    builder.route(table.diagnostics().get(routed..).unwrap_or(&[]));
    builder.finish()
}

/// A set being read: a real one, or the segments of one whose ST is broken.
#[derive(Debug)]
enum OpenSet<'t> {
    Valid(TransactionSet<'t>),
    Broken,
}

#[derive(Debug)]
struct Builder<'t> {
    table: &'t SegmentTable<'t>,
    /// Index of the segment being handled (the table's length at the end): where an open set's body ends.
    current: usize,
    out: Envelopes<'t>,
    interchange: Option<Interchange<'t>>,
    group: Option<FunctionalGroup<'t>>,
    set: Option<OpenSet<'t>>,
    sets_seen: usize,
    /// Warn once per run of segments outside any interchange.
    warned_outside: bool,
    last: Option<Segment<'t>>,
}

impl<'t> Builder<'t> {
    fn new(table: &'t SegmentTable<'t>) -> Builder<'t> {
        Builder {
            table,
            current: 0,
            out: Envelopes::default(),
            interchange: None,
            group: None,
            set: None,
            sets_seen: 0,
            warned_outside: false,
            last: None,
        }
    }

    fn handle(&mut self, segment: Segment<'t>, delimiters: Delimiters) {
        match segment.id() {
            "ISA" => {
                self.close_interchange(None, &segment);
                self.warned_outside = false;
                self.interchange = Some(Interchange {
                    index: segment.interchange(),
                    delimiters,
                    header: segment,
                    groups: Vec::new(),
                    trailer: None,
                    diagnostics: Vec::new(),
                });
            }
            "IEA" => self.close_interchange(Some(segment), &segment),
            "GS" => {
                self.close_group(None, &segment);
                self.require_interchange(&segment);
                self.group = Some(FunctionalGroup::open(Some(segment)));
            }
            "GE" => self.close_group(Some(segment), &segment),
            "ST" => self.open_set(&segment),
            "SE" => self.close_set(Some(segment), &segment),
            _ => self.body_segment(&segment),
        }
        self.last = Some(segment);
    }

    fn open_set(&mut self, st: &Segment<'t>) {
        self.close_set(None, st);
        if self.group.is_none() {
            self.require_interchange(st);
            let message = "transaction set without a GS functional group header";
            self.push(Diagnostic::warning("missing_header", message, st.position()));
            self.group = Some(FunctionalGroup::open(None));
        }
        self.sets_seen += 1;
        self.set = Some(OpenSet::Valid(TransactionSet {
            ordinal: self.sets_seen,
            header: *st,
            body: st.index() + 1..st.index() + 1,
            table: self.table,
            trailer: None,
            diagnostics: Vec::new(),
        }));
    }

    fn body_segment(&mut self, segment: &Segment<'t>) {
        match &mut self.set {
            // The body is read off the table when the set closes.
            Some(OpenSet::Valid(_)) | Some(OpenSet::Broken) => {}
            None if self.group.is_some() => {
                // A set must start with ST: this one is unreadable up to its SE.
                self.sets_seen += 1;
                let mut position = segment.position();
                position.message = Some(self.sets_seen);
                let message = format!("expected ST to start a transaction set, found {:?}", segment.id());
                self.push(Diagnostic::error("bad_st", message, position));
                self.set = Some(OpenSet::Broken);
            }
            None if segment.id() == "TA1" && self.interchange.is_some() => {}
            None => self.unexpected(segment),
        }
    }

    fn unexpected(&mut self, segment: &Segment<'t>) {
        if self.interchange.is_none() {
            if !self.warned_outside {
                self.warned_outside = true;
                let message = format!("segment {:?} outside any interchange", segment.id());
                self.push(Diagnostic::warning("unexpected_segment", message, segment.position()));
            }
            return;
        }
        let message = format!("segment {:?} outside any functional group", segment.id());
        self.push(Diagnostic::warning("unexpected_segment", message, segment.position()));
    }

    fn require_interchange(&mut self, segment: &Segment<'t>) {
        if self.interchange.is_none() {
            self.unexpected(segment);
        }
    }

    /// Close the open set; `trailer` is its SE, or `None` when `at` shows it ended without one.
    fn close_set(&mut self, trailer: Option<Segment<'t>>, at: &Segment<'t>) {
        let Some(open) = self.set.take() else {
            if let Some(se) = trailer {
                let message = "SE without a transaction set";
                self.push(Diagnostic::warning("unexpected_segment", message, se.position()));
            }
            return;
        };
        let group = self.group.get_or_insert_with(|| FunctionalGroup::open(None));
        let OpenSet::Valid(mut set) = open else {
            group.broken_sets += 1;
            return;
        };
        set.body.end = self.current.max(set.body.start);
        match &trailer {
            Some(se) => check_set_trailer(&mut set, se),
            None => {
                let message = format!("transaction set {} {} has no SE trailer", set.kind(), set.control_number());
                let position = set.position_of(at);
                set.diagnostics.push(Diagnostic::warning("missing_trailer", message, position));
            }
        }
        set.trailer = trailer;
        group.sets.push(set);
    }

    fn close_group(&mut self, trailer: Option<Segment<'t>>, at: &Segment<'t>) {
        self.close_set(None, at);
        let Some(mut group) = self.group.take() else {
            if let Some(ge) = trailer {
                self.push(Diagnostic::warning("unexpected_segment", "GE without a functional group", ge.position()));
            }
            return;
        };
        match &trailer {
            Some(ge) => check_group_trailer(&mut group, ge),
            None => {
                let message = "functional group has no GE trailer";
                group.diagnostics.push(Diagnostic::warning("missing_trailer", message, at.position()));
            }
        }
        group.trailer = trailer;
        match &mut self.interchange {
            Some(interchange) => interchange.groups.push(group),
            None => self.out.diagnostics.append(&mut group.diagnostics),
        }
    }

    fn close_interchange(&mut self, trailer: Option<Segment<'t>>, at: &Segment<'t>) {
        self.close_group(None, at);
        let Some(mut interchange) = self.interchange.take() else {
            if let Some(iea) = trailer {
                self.push(Diagnostic::warning("unexpected_segment", "IEA without an interchange", iea.position()));
            }
            return;
        };
        match &trailer {
            Some(iea) => check_interchange_trailer(&mut interchange, iea),
            None => {
                let message = format!("interchange {} has no IEA trailer", interchange.header.element(13).trim());
                let mut position = at.position();
                position.interchange = Some(interchange.index);
                interchange.diagnostics.push(Diagnostic::warning("missing_trailer", message, position));
            }
        }
        interchange.trailer = trailer;
        self.out.interchanges.push(interchange);
    }

    /// Put diagnostics in the innermost open scope.
    fn route(&mut self, diagnostics: &[Diagnostic]) {
        for diagnostic in diagnostics {
            self.push(diagnostic.clone());
        }
    }

    fn push(&mut self, diagnostic: Diagnostic) {
        if let Some(OpenSet::Valid(set)) = &mut self.set {
            set.diagnostics.push(diagnostic);
        } else if let Some(group) = &mut self.group {
            group.diagnostics.push(diagnostic);
        } else if let Some(interchange) = &mut self.interchange {
            interchange.diagnostics.push(diagnostic);
        } else {
            self.out.diagnostics.push(diagnostic);
        }
    }

    fn finish(mut self) -> Envelopes<'t> {
        if let Some(last) = self.last.take() {
            self.close_interchange(None, &last);
        }
        self.out
    }
}

impl<'t> FunctionalGroup<'t> {
    fn open(header: Option<Segment<'t>>) -> FunctionalGroup<'t> {
        FunctionalGroup { header, sets: Vec::new(), broken_sets: 0, trailer: None, diagnostics: Vec::new() }
    }
}

/// Control numbers agree when they are equal as numbers (leading zeros vary) or as text.
fn same_control_number(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// Compare a declared count with the actual one; `Some(warning)` when they differ.
fn count_check(code: &str, what: &str, declared: &str, actual: usize, position: Position) -> Option<Diagnostic> {
    match declared.trim().parse::<usize>() {
        Ok(n) if n == actual => None,
        Ok(n) => Some(Diagnostic::warning(code, format!("{what} says {n}, found {actual}"), position)),
        Err(_) => Some(Diagnostic::warning("bad_number", format!("{what} {declared:?} is not a count"), position)),
    }
}

fn control_check(what: &str, trailer: &str, header: &str, position: Position) -> Option<Diagnostic> {
    (!same_control_number(trailer, header)).then(|| {
        let message = format!("{what} {:?} does not match {:?}", trailer.trim(), header.trim());
        Diagnostic::warning("control_number_mismatch", message, position)
    })
}

fn check_set_trailer(set: &mut TransactionSet<'_>, se: &Segment<'_>) {
    let position = set.position_of(se);
    let actual = set.body.len() + 2;
    let found = [
        count_check("se_count_mismatch", "SE01 segment count", se.element(1), actual, position.clone()),
        control_check("SE02", se.element(2), set.header.element(2), position),
    ];
    set.diagnostics.extend(found.into_iter().flatten());
}

fn check_group_trailer(group: &mut FunctionalGroup<'_>, ge: &Segment<'_>) {
    let position = ge.position();
    let actual = group.sets.len() + group.broken_sets;
    let mut found = vec![count_check("ge_count_mismatch", "GE01 set count", ge.element(1), actual, position.clone())];
    if let Some(gs) = &group.header {
        found.push(control_check("GE02", ge.element(2), gs.element(6), position));
    }
    group.diagnostics.extend(found.into_iter().flatten());
}

fn check_interchange_trailer(interchange: &mut Interchange<'_>, iea: &Segment<'_>) {
    let position = iea.position();
    let actual = interchange.groups.iter().filter(|g| g.header.is_some()).count();
    let found = [
        count_check("iea_count_mismatch", "IEA01 group count", iea.element(1), actual, position.clone()),
        control_check("IEA02", iea.element(2), interchange.header.element(13), position),
    ];
    interchange.diagnostics.extend(found.into_iter().flatten());
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISA: &str =
        "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240131*1100*^*00401*000000007*0*P*>~";

    fn codes(diagnostics: &[Diagnostic]) -> Vec<&str> {
        diagnostics.iter().map(|d| d.code.as_str()).collect()
    }

    #[test]
    fn clean_envelope_has_no_findings() {
        let text = format!("{ISA}GS*PO*A*B*20240131*1100*5*X*004010~ST*850*0001~BEG*00~SE*3*0001~GE*1*5~IEA*1*7~");
        let table = SegmentTable::read(text.as_bytes());
        let env = read(&table);
        assert!(env.diagnostics.is_empty());
        let interchange = &env.interchanges[0];
        assert!(interchange.diagnostics.is_empty(), "{:?}", interchange.diagnostics);
        let group = &interchange.groups[0];
        assert!(group.diagnostics.is_empty());
        assert_eq!(group.sets[0].kind(), "850");
        assert_eq!(group.sets[0].body_len(), 1);
        assert!(group.sets[0].diagnostics.is_empty());
    }

    #[test]
    fn counts_and_control_numbers_are_checked() {
        let text = format!("{ISA}GS*PO*A*B*20240131*1100*5*X*004010~ST*850*0001~BEG*00~SE*4*0002~GE*2*6~IEA*3*8~");
        let table = SegmentTable::read(text.as_bytes());
        let env = read(&table);
        let interchange = &env.interchanges[0];
        let set = &interchange.groups[0].sets[0];
        assert_eq!(codes(&set.diagnostics), ["se_count_mismatch", "control_number_mismatch"]);
        assert_eq!(set.diagnostics[0].position.segment, Some(5));
        assert_eq!(set.diagnostics[0].position.message, Some(1));
        assert_eq!(codes(&interchange.groups[0].diagnostics), ["ge_count_mismatch", "control_number_mismatch"]);
        assert_eq!(codes(&interchange.diagnostics), ["iea_count_mismatch", "control_number_mismatch"]);
    }

    #[test]
    fn missing_trailers_are_reported() {
        let text = format!("{ISA}GS*PO*A*B*20240131*1100*5*X*004010~ST*850*0001~BEG*00~");
        let table = SegmentTable::read(text.as_bytes());
        let env = read(&table);
        let interchange = &env.interchanges[0];
        assert_eq!(codes(&interchange.groups[0].sets[0].diagnostics), ["missing_trailer"]);
        assert_eq!(codes(&interchange.groups[0].diagnostics), ["missing_trailer"]);
        assert_eq!(codes(&interchange.diagnostics), ["missing_trailer"]);
    }

    #[test]
    fn broken_st_is_an_error_and_the_next_set_is_read() {
        let text = format!(
            "{ISA}GS*PO*A*B*20240131*1100*5*X*004010~T*850*0001~BEG*00~SE*3*0001~ST*850*0002~BEG*00~SE*3*0002~GE*2*5~IEA*1*7~"
        );
        let table = SegmentTable::read(text.as_bytes());
        let env = read(&table);
        let group = &env.interchanges[0].groups[0];
        assert_eq!(codes(&group.diagnostics), ["bad_st"]);
        assert_eq!(group.diagnostics[0].position.segment, Some(3));
        assert_eq!(group.sets.len(), 1);
        assert_eq!(group.sets[0].control_number(), "0002");
        assert_eq!(group.broken_sets, 1);
    }
}
