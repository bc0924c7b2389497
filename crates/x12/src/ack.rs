//! Answers to a trading partner: the 997 functional acknowledgment of every
//! interchange received, and the 855 purchase order acknowledgment of every
//! order posted. Bytes in, bytes out; the outbound folder is the caller's.
//!
//! Both are written with [`write_interchange`], addressed back to whoever sent
//! the original (sender and receiver swapped).
//!
//! The 997 says what the reader found, set by set: `A` accepted, `E` accepted
//! with the envelope findings as AK5 codes, `R` rejected (its ST was broken).
//! It acknowledges syntax and envelopes only: an 850 whose dates are bad is
//! still an `A`; the 855 is where the business answer goes.

use chrono::{NaiveDate, NaiveDateTime};
use prodline_core::units::normalize_uom;
use prodline_core::{CanonicalLine, CanonicalOrder, Diagnostic, ParsedLine, ParsedOrder, PartyId, Severity};
use rust_decimal::Decimal;
use thiserror::Error;

use crate::envelope::{self, FunctionalGroup, Interchange, TransactionSet};
use crate::syntax::{Delimiters, Segment, SegmentTable};
use crate::write::{Envelope, OutSet, Syntax, WriteError, write_interchange};

/// ISA13 and GS06 have nine digits.
const MAX_CONTROL_NUMBER: u64 = 999_999_999;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AckError {
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("control number {0} does not fit ISA13's nine digits")]
    ControlNumberOutOfRange(u64),
    #[error("the order has no {0}, which the 855 needs")]
    MissingField(&'static str),
}

/// Who we are on acknowledgments we send. `None` answers as the party the
/// partner addressed: the received ISA07/ISA08 and GS03.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AckParty {
    /// ISA05/ISA06 we send from.
    pub interchange_id: Option<PartyId>,
    /// GS02 we send from.
    pub application_id: Option<String>,
}

/// BAK02 of an 855.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckType {
    /// AD: accepted with detail, no change. Written as AC when a line changed:
    /// an 855 must not claim "no change" over a changed line.
    Accepted,
    /// AC: accepted with detail and change.
    AcceptedWithChanges,
    /// RD: rejected with detail; every line is IR.
    RejectedWithDetail,
    /// RJ: rejected, no detail (no PO1 lines).
    Rejected,
}

impl AckType {
    pub fn code(self) -> &'static str {
        match self {
            AckType::Accepted => "AD",
            AckType::AcceptedWithChanges => "AC",
            AckType::RejectedWithDetail => "RD",
            AckType::Rejected => "RJ",
        }
    }

    fn is_rejection(self) -> bool {
        matches!(self, AckType::RejectedWithDetail | AckType::Rejected)
    }
}

/// A 997 interchange for every interchange in `received` that has a group to
/// acknowledge, numbered `control`, `control + 1`...: the caller's next
/// control number is `control + returned.len()`.
///
/// Not acknowledged (so an interchange holding only these gets no 997): groups
/// without a GS (nothing to name in AK1) and FA groups (never acknowledge an
/// acknowledgment). Interchange-level problems would need a TA1, not written here.
pub fn ack_997(received: &[u8], ours: &AckParty, control: u32, now: NaiveDateTime) -> Result<Vec<Vec<u8>>, AckError> {
    let table = SegmentTable::read(received);
    let envelopes = envelope::read(&table);
    let mut out = Vec::new();
    for interchange in &envelopes.interchanges {
        let groups: Vec<GroupAck> = interchange.groups.iter().filter_map(|g| GroupAck::of(&table, g)).collect();
        if groups.is_empty() {
            continue;
        }
        let number = control_number(control, out.len())?;
        let env = envelope_997(interchange, &groups, ours, number, now);
        let sets: Vec<OutSet> = groups.iter().enumerate().map(|(i, g)| g.set_997(i + 1)).collect();
        out.push(write_reply(&env, reply_syntax(received, &table, interchange), &sets)?);
    }
    Ok(out)
}

/// `control + offset`, if ISA13 can hold it.
fn control_number(control: u32, offset: usize) -> Result<u32, AckError> {
    let n = u64::from(control).saturating_add(u64::try_from(offset).unwrap_or(u64::MAX));
    match u32::try_from(n) {
        Ok(small) if n <= MAX_CONTROL_NUMBER => Ok(small),
        _ => Err(AckError::ControlNumberOutOfRange(n)),
    }
}

/// Write with the partner's delimiters; when they cannot be written back
/// faithfully, with the standard ones rather than not at all.
fn write_reply(env: &Envelope, syntax: Syntax, sets: &[OutSet]) -> Result<Vec<u8>, AckError> {
    match write_interchange(env, &syntax, sets) {
        Err(WriteError::BadDelimiters(_)) => {
            let standard = Syntax { delimiters: Delimiters::STANDARD, ..syntax };
            Ok(write_interchange(env, &standard, sets)?)
        }
        written => Ok(written?),
    }
}

/// AK5 or AK9 status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AckStatus {
    Accepted,
    AcceptedWithErrors,
    PartiallyAccepted,
    Rejected,
}

impl AckStatus {
    fn code(self) -> &'static str {
        match self {
            AckStatus::Accepted => "A",
            AckStatus::AcceptedWithErrors => "E",
            AckStatus::PartiallyAccepted => "P",
            AckStatus::Rejected => "R",
        }
    }

    fn accepted(self) -> bool {
        matches!(self, AckStatus::Accepted | AckStatus::AcceptedWithErrors)
    }
}

/// What the 997 says about one received set.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SetAck {
    /// Where the set starts in the file: AK2s follow file order.
    at: usize,
    /// AK2: ST01 and ST02; `None` for a broken set that names neither.
    id: Option<(String, String)>,
    status: AckStatus,
    /// AK502...: X12 code list 718.
    codes: Vec<&'static str>,
}

/// What the 997 says about one received group.
#[derive(Debug, Clone, PartialEq, Eq)]
struct GroupAck {
    functional_id: String,
    control_number: String,
    /// GS02, GS03, GS08.
    sender: String,
    receiver: String,
    version: String,
    sets: Vec<SetAck>,
    /// GE01 as declared (the sets received when it is not a count).
    included: usize,
    /// AK905...: X12 code list 716.
    codes: Vec<&'static str>,
    has_findings: bool,
}

impl GroupAck {
    fn of(table: &SegmentTable<'_>, group: &FunctionalGroup<'_>) -> Option<GroupAck> {
        let gs = group.header.as_ref()?;
        let functional_id = gs.element(1).trim().to_string();
        if functional_id == "FA" {
            return None;
        }
        let mut sets: Vec<SetAck> = group.sets.iter().map(set_ack).collect();
        let broken = group.diagnostics.iter().filter(|d| d.code == "bad_st");
        sets.extend(broken.map(|d| broken_set_ack(table, d)));
        sets.sort_by_key(|s| s.at);
        // A broken set whose ST was never found is counted but cannot be named.
        sets.extend((sets.len()..group.sets.len() + group.broken_sets).map(|_| unnamed_rejection(usize::MAX)));
        let findings: Vec<&Diagnostic> = group.diagnostics.iter().filter(|d| d.code != "bad_st").collect();
        let received = sets.len();
        let included = group.trailer.as_ref().and_then(|ge| ge.element(1).trim().parse().ok()).unwrap_or(received);
        Some(GroupAck {
            functional_id,
            control_number: gs.element(6).trim().to_string(),
            sender: gs.element(2).trim().to_string(),
            receiver: gs.element(3).trim().to_string(),
            version: gs.element(8).trim().to_string(),
            sets,
            included,
            codes: codes(&findings, group_code),
            has_findings: !findings.is_empty(),
        })
    }

    fn accepted(&self) -> usize {
        self.sets.iter().filter(|s| s.status.accepted()).count()
    }

    fn status(&self) -> AckStatus {
        let accepted = self.accepted();
        if accepted == 0 && !self.sets.is_empty() {
            AckStatus::Rejected
        } else if accepted < self.sets.len() {
            AckStatus::PartiallyAccepted
        } else if self.has_findings || self.sets.iter().any(|s| s.status != AckStatus::Accepted) {
            AckStatus::AcceptedWithErrors
        } else {
            AckStatus::Accepted
        }
    }

    /// The 997 set acknowledging this group, as set number `n` of the reply.
    fn set_997(&self, n: usize) -> OutSet {
        let mut segments = vec![strings(&["AK1", &self.functional_id, &self.control_number])];
        for set in &self.sets {
            let Some((kind, control)) = &set.id else { continue };
            segments.push(strings(&["AK2", kind, control]));
            let mut ak5 = strings(&["AK5", set.status.code()]);
            ak5.extend(set.codes.iter().map(|c| c.to_string()));
            segments.push(ak5);
        }
        let counts = [self.included, self.sets.len(), self.accepted()].map(|c| c.to_string());
        let mut ak9 = strings(&["AK9", self.status().code(), &counts[0], &counts[1], &counts[2]]);
        ak9.extend(self.codes.iter().map(|c| c.to_string()));
        segments.push(ak9);
        OutSet { kind: "997".into(), control_number: format!("{n:04}"), segments }
    }
}

fn set_ack(set: &TransactionSet<'_>) -> SetAck {
    let diagnostics = &set.diagnostics;
    let all: Vec<&Diagnostic> = diagnostics.iter().collect();
    let status = if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        AckStatus::Rejected
    } else if diagnostics.is_empty() {
        AckStatus::Accepted
    } else {
        AckStatus::AcceptedWithErrors
    };
    let id = Some((set.kind().to_string(), set.control_number().to_string()));
    SetAck { at: set.header.index(), id, status, codes: codes(&all, set_code) }
}

fn unnamed_rejection(at: usize) -> SetAck {
    SetAck { at, id: None, status: AckStatus::Rejected, codes: vec!["6"] }
}

/// A set whose ST is broken, named from the damaged ST (`T*850*0001`) and
/// its SE when they can be read.
fn broken_set_ack(table: &SegmentTable<'_>, bad_st: &Diagnostic) -> SetAck {
    let first = bad_st.position.segment.and_then(|n| table.get(n.saturating_sub(1)));
    let Some(first) = first else { return unnamed_rejection(usize::MAX) };
    let rejected = unnamed_rejection(first.index());
    let looks_like_st = first.id().len() <= 3 && first.id().contains(['S', 'T']);
    let kind = first.element(1).trim();
    let is_kind = kind.len() == 3 && kind.bytes().all(|b| b.is_ascii_digit());
    if !(looks_like_st && is_kind) {
        return rejected;
    }
    let written = first.element(2).trim();
    let control = if written.is_empty() { trailer_control_number(table, &first) } else { Some(written) };
    match control {
        Some(control) => SetAck { id: Some((kind.into(), control.into())), ..rejected },
        None => rejected,
    }
}

/// SE02 of the set that starts at `first`, if an SE ends it.
fn trailer_control_number<'t>(table: &'t SegmentTable<'_>, first: &Segment<'_>) -> Option<&'t str> {
    let mut rest = table.slice(first.index() + 1..table.len());
    let end = rest.find(|s| matches!(s.id(), "SE" | "ST" | "GE" | "GS" | "IEA" | "ISA"))?;
    (end.id() == "SE").then(|| end.element(2).trim()).filter(|c| !c.is_empty())
}

/// Distinct codes of `findings`, at most five (AK502-AK506, AK905-AK909).
fn codes(findings: &[&Diagnostic], code_of: fn(&str) -> Option<&'static str>) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for code in findings.iter().filter_map(|d| code_of(&d.code)) {
        if !out.contains(&code) && out.len() < 5 {
            out.push(code);
        }
    }
    out
}

/// Code list 718 (AK502) for a set finding.
fn set_code(code: &str) -> Option<&'static str> {
    Some(match code {
        "missing_trailer" => "2",
        "control_number_mismatch" => "3",
        "se_count_mismatch" | "bad_number" => "4",
        _ => "5",
    })
}

/// Code list 716 (AK905) for a group finding; other findings only make it `E`.
fn group_code(code: &str) -> Option<&'static str> {
    match code {
        "missing_trailer" => Some("3"),
        "control_number_mismatch" => Some("4"),
        "ge_count_mismatch" | "bad_number" => Some("5"),
        _ => None,
    }
}

fn envelope_997(
    interchange: &Interchange<'_>,
    groups: &[GroupAck],
    ours: &AckParty,
    control: u32,
    now: NaiveDateTime,
) -> Envelope {
    let isa = &interchange.header;
    let party = |qualifier: usize, id: usize| PartyId {
        qualifier: Some(isa.element(qualifier).trim().to_string()).filter(|q| !q.is_empty()),
        value: isa.element(id).trim().to_string(),
    };
    let sender = ours.interchange_id.clone().unwrap_or_else(|| party(7, 8));
    let receiver = party(5, 6);
    let first = groups.first();
    let non_empty = |v: Option<&String>| v.filter(|v| !v.is_empty()).cloned();
    let version = isa.element(12).trim();
    Envelope {
        group_sender: ours
            .application_id
            .clone()
            .or_else(|| non_empty(first.map(|g| &g.receiver)))
            .unwrap_or_else(|| sender.value.clone()),
        group_receiver: non_empty(first.map(|g| &g.sender)).unwrap_or_else(|| receiver.value.clone()),
        sender,
        receiver,
        date: now.date(),
        time: now.format("%H%M").to_string(),
        control_number: control,
        group_control_number: control,
        version: if version.len() == 5 { version.to_string() } else { "00401".into() },
        group_version: non_empty(first.map(|g| &g.version)).unwrap_or_else(|| "004010".into()),
        functional_id: "FA".into(),
        test: isa.element(15).trim() == "T",
    }
}

/// The partner's delimiters and line breaks. A missing ISA16 (component equal
/// to the terminator) gets the first usual component separator still free.
fn reply_syntax(received: &[u8], table: &SegmentTable<'_>, interchange: &Interchange<'_>) -> Syntax {
    let mut delimiters = interchange.delimiters;
    let taken = |d: &Delimiters, b: u8| b == d.element || b == d.segment || d.repetition == Some(b);
    if taken(&delimiters, delimiters.component) {
        let free = [b'>', b':', b'^', b'\\', b'+', b'<'].into_iter().find(|&b| !taken(&delimiters, b));
        delimiters.component = free.unwrap_or(Delimiters::STANDARD.component);
    }
    Syntax { delimiters, after_segment: line_break_after_isa(received, table, &interchange.header) }
}

/// The CR/LF bytes between the ISA's terminator and the next segment.
fn line_break_after_isa(received: &[u8], table: &SegmentTable<'_>, isa: &Segment<'_>) -> Vec<u8> {
    let Some(next) = table.get(isa.index() + 1) else { return b"\n".to_vec() };
    let between = received.get(isa.byte_offset()..next.byte_offset()).unwrap_or_default();
    let breaks = between.iter().rev().take_while(|b| matches!(b, b'\r' | b'\n')).count();
    between.get(between.len() - breaks..).unwrap_or_default().to_vec()
}

/// An 855 for `order` as `posted`, addressed to the order's sender.
///
/// Each PO1 echoes the buyer's line as received; its ACK says what we did:
/// IA accepted, IQ quantity changed, IP price changed, IC several changes, IR
/// rejected (no posted line, or the whole order is rejected). Posted lines are
/// matched by line number (PO101 when it is a positive number, else position),
/// as the extraction pipeline numbers them. `our_order` goes to BAK08.
pub fn ack_855(
    order: &ParsedOrder,
    posted: &CanonicalOrder,
    ack_type: AckType,
    our_order: &str,
    ours: &AckParty,
    control: u32,
    now: NaiveDateTime,
) -> Result<Vec<u8>, AckError> {
    let control = control_number(control, 0)?;
    let po_number = order.po_number.as_deref().map(str::trim).filter(|p| !p.is_empty());
    let po_number = po_number.ok_or(AckError::MissingField("PO number (BEG03)"))?;
    let po_date = order.order_date.ok_or(AckError::MissingField("PO date (BEG05)"))?;
    let env = envelope_855(order, ours, control, now)?;
    let lines = line_acks(order, posted, ack_type);
    let any_change = lines.iter().any(|(_, _, status)| *status != LineStatus::Accepted);
    let bak02 = if ack_type == AckType::Accepted && any_change { AckType::AcceptedWithChanges } else { ack_type };
    let (po_date, today) = (ymd(po_date), ymd(now.date()));
    let bak = ["BAK", "00", bak02.code(), po_number, &po_date, "", "", "", our_order, &today];
    let mut segments = vec![strings(&bak)];
    if ack_type != AckType::Rejected {
        for (ordered, posted_line, status) in &lines {
            segments.push(po1(ordered));
            segments.push(ack(ordered, *posted_line, *status));
        }
        segments.push(strings(&["CTT", &lines.len().to_string()]));
    }
    let set = OutSet { kind: "855".into(), control_number: "0001".into(), segments };
    Ok(write_interchange(&env, &Syntax::default(), &[set])?)
}

fn envelope_855(order: &ParsedOrder, ours: &AckParty, control: u32, now: NaiveDateTime) -> Result<Envelope, AckError> {
    let receiver = order.sender.clone().ok_or(AckError::MissingField("sender (ISA06)"))?;
    let sender = match &ours.interchange_id {
        Some(id) => id.clone(),
        None => order.receiver.clone().ok_or(AckError::MissingField("receiver (ISA08)"))?,
    };
    Ok(Envelope {
        group_sender: ours.application_id.clone().unwrap_or_else(|| sender.value.clone()),
        group_receiver: order.group_sender.clone().unwrap_or_else(|| receiver.value.clone()),
        sender,
        receiver,
        date: now.date(),
        time: now.format("%H%M").to_string(),
        control_number: control,
        group_control_number: control,
        functional_id: "PR".into(),
        ..Envelope::for_order(order)
    })
}

/// ACK01: code list 668.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineStatus {
    Accepted,
    QuantityChanged,
    PriceChanged,
    Changed,
    Rejected,
}

impl LineStatus {
    fn code(self) -> &'static str {
        match self {
            LineStatus::Accepted => "IA",
            LineStatus::QuantityChanged => "IQ",
            LineStatus::PriceChanged => "IP",
            LineStatus::Changed => "IC",
            LineStatus::Rejected => "IR",
        }
    }
}

fn line_acks<'a>(
    order: &'a ParsedOrder,
    posted: &'a CanonicalOrder,
    ack_type: AckType,
) -> Vec<(&'a ParsedLine, Option<&'a CanonicalLine>, LineStatus)> {
    let rejected = ack_type.is_rejection();
    let acks = order.lines.iter().enumerate().map(|(index, ordered)| {
        let posted_line = posted_line(posted, index, ordered);
        let status = match posted_line {
            Some(p) if !rejected => line_status(ordered, p),
            _ => LineStatus::Rejected,
        };
        (ordered, posted_line, status)
    });
    acks.collect()
}

/// The line number the pipeline gives a line: PO101 when a positive number, else its position.
fn line_number(index: usize, line: &ParsedLine) -> u32 {
    let fallback = u32::try_from(index + 1).unwrap_or(u32::MAX);
    let written = line.line_no.as_deref().map(str::trim).and_then(|raw| raw.parse::<u32>().ok());
    written.filter(|n| *n > 0).unwrap_or(fallback)
}

fn posted_line<'a>(posted: &'a CanonicalOrder, index: usize, ordered: &ParsedLine) -> Option<&'a CanonicalLine> {
    let number = line_number(index, ordered);
    let by_number = posted.lines.iter().find(|p| p.line == Some(number));
    by_number.or_else(|| posted.lines.get(index).filter(|p| p.line.is_none()))
}

fn line_status(ordered: &ParsedLine, posted: &CanonicalLine) -> LineStatus {
    let qty = ordered.qty != Some(posted.qty);
    let price = ordered.unit_price != posted.unit_price;
    let unit = unit_changed(ordered, posted);
    match (qty, price, unit) {
        (false, false, false) => LineStatus::Accepted,
        (true, false, false) => LineStatus::QuantityChanged,
        (false, true, false) => LineStatus::PriceChanged,
        _ => LineStatus::Changed,
    }
}

/// Units differ only when both are stated and normalise differently.
fn unit_changed(ordered: &ParsedLine, posted: &CanonicalLine) -> bool {
    let ordered = ordered.uom.as_deref().and_then(normalize_uom);
    let posted = posted.uom.as_deref().and_then(normalize_uom);
    matches!((ordered, posted), (Some(a), Some(b)) if a != b)
}

/// PO1 as the buyer sent it.
fn po1(line: &ParsedLine) -> Vec<String> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut po1 = vec!["PO1".into(), opt(&line.line_no), number(line.qty), opt(&line.uom), number(line.unit_price)];
    po1.push(opt(&line.price_basis));
    for id in &line.item_ids {
        po1.push(id.qualifier.clone().unwrap_or_default());
        po1.push(id.value.clone());
    }
    po1
}

/// ACK with the quantity we will ship, in the buyer's unit unless we changed it.
fn ack(ordered: &ParsedLine, posted: Option<&CanonicalLine>, status: LineStatus) -> Vec<String> {
    let Some(posted) = posted.filter(|_| status != LineStatus::Rejected) else {
        return strings(&["ACK", status.code()]);
    };
    let unit = if unit_changed(ordered, posted) { posted.uom.clone() } else { ordered.uom.clone() };
    let unit = unit.or_else(|| posted.uom.clone()).unwrap_or_default();
    let qty = if unit.is_empty() { String::new() } else { posted.qty.to_string() };
    strings(&["ACK", status.code(), &qty, &unit])
}

fn number(value: Option<Decimal>) -> String {
    value.map(|d| d.to_string()).unwrap_or_default()
}

fn ymd(date: NaiveDate) -> String {
    date.format("%Y%m%d").to_string()
}

fn strings(fields: &[&str]) -> Vec<String> {
    fields.iter().map(|f| f.to_string()).collect()
}
