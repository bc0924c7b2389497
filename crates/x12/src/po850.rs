//! The 850 purchase order: one transaction set in, one `ParsedOrder` out.
//!
//! Loops are followed by segment id: N1 opens a party loop (N2, N3, N4, REF,
//! PER belong to it), PO1 opens a line loop (PID, PO4, REF, DTM, SAC, SDQ,
//! SCH...), CTT opens the summary. N1 loops inside a line loop are read
//! past (ParsedLine has no parties).

use chrono::NaiveDate;
use prodline_core::{
    Charge, Diagnostic, Distribution, ItemId, ItemIdKind, ParsedLine, ParsedOrder, Party, PartyId, QualifiedDate,
    Reference,
};
use rust_decimal::Decimal;

use crate::envelope::{Interchange, TransactionSet};
use crate::syntax::Segment;
use crate::value;

/// DTM qualifiers that state when the goods are wanted, most specific first:
/// 002 delivery requested, 010 requested ship, 064 do not deliver before,
/// 037 ship not before, 038 ship no later, 063 do not deliver after.
pub const REQUESTED_DATE_QUALIFIERS: [&str; 6] = ["002", "010", "064", "037", "038", "063"];

/// PO106/PO107 ... PO124/PO125: up to ten qualifier/id pairs.
const PO1_FIRST_ID_QUALIFIER: usize = 6;
const PO1_LAST_ID_QUALIFIER: usize = 24;

/// SDQ03/SDQ04 ... SDQ21/SDQ22: up to ten location/quantity pairs.
const SDQ_FIRST_LOCATION: usize = 3;
const SDQ_LAST_LOCATION: usize = 21;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Loop {
    Header,
    Party(usize),
    Line(usize),
    /// An N1 loop inside a line loop.
    LineParty(usize),
    Summary,
}

struct OrderReader<'s, 't> {
    set: &'s TransactionSet<'t>,
    order: ParsedOrder,
    at: Loop,
    seen_beg: bool,
}

/// Read one 850 set. `group_sender` is GS02 of the set's group.
pub fn read_order(set: &TransactionSet<'_>, interchange: &Interchange<'_>, group_sender: Option<&str>) -> ParsedOrder {
    let isa = &interchange.header;
    let mut order = ParsedOrder {
        sender: party_id(isa.value(5), isa.value(6)),
        receiver: party_id(isa.value(7), isa.value(8)),
        group_sender: group_sender.map(str::trim).filter(|s| !s.is_empty()).map(String::from),
        control_number: set.header.value(2).map(String::from),
        position: set.position_of(&set.header),
        ..ParsedOrder::default()
    };
    order.diagnostics = Vec::new();
    // Sized up front: growing a Vec of lines copies them several times over.
    order.lines.reserve_exact(set.body().filter(|s| s.id() == "PO1").count());
    let mut reader = OrderReader { set, order, at: Loop::Header, seen_beg: false };
    for segment in set.body() {
        reader.segment(&segment);
    }
    reader.finish()
}

fn party_id(qualifier: Option<&str>, value: Option<&str>) -> Option<PartyId> {
    value.map(|v| PartyId { qualifier: qualifier.map(String::from), value: v.to_string() })
}

fn text(segment: &Segment<'_>, n: usize) -> Option<String> {
    segment.value(n).map(String::from)
}

impl OrderReader<'_, '_> {
    fn warn(&mut self, code: &str, message: String, segment: &Segment<'_>) {
        let position = self.set.position_of(segment);
        self.order.diagnostics.push(Diagnostic::warning(code, message, position));
    }

    fn number(&mut self, segment: &Segment<'_>, n: usize) -> Option<Decimal> {
        let raw = segment.value(n)?;
        let parsed = value::decimal(raw);
        if parsed.is_none() {
            self.warn("bad_number", format!("{}{n:02} {raw:?} is not a number", segment.id()), segment);
        }
        parsed
    }

    fn date(&mut self, segment: &Segment<'_>, n: usize) -> Option<NaiveDate> {
        let raw = segment.value(n)?;
        let parsed = value::date(raw);
        if parsed.is_none() {
            self.warn("bad_date", format!("{}{n:02} {raw:?} is not a CCYYMMDD or YYMMDD date", segment.id()), segment);
        }
        parsed
    }

    fn qualified_date(&mut self, segment: &Segment<'_>, qualifier: usize, date: usize) -> Option<QualifiedDate> {
        let date = self.date(segment, date)?;
        Some(QualifiedDate { qualifier: segment.value(qualifier).unwrap_or_default().to_string(), date })
    }

    fn line(&mut self) -> Option<&mut ParsedLine> {
        match self.at {
            Loop::Line(i) => self.order.lines.get_mut(i),
            _ => None,
        }
    }

    fn party(&mut self) -> Option<&mut Party> {
        match self.at {
            Loop::Party(i) => self.order.parties.get_mut(i),
            _ => None,
        }
    }

    /// Leave a party loop when a segment that does not belong to it comes.
    fn leave_party_loop(&mut self, id: &str) {
        if matches!(id, "N2" | "N3" | "N4" | "REF" | "PER" | "SI" | "FOB" | "TD1" | "TD3" | "TD4" | "TD5") {
            return;
        }
        self.at = match self.at {
            Loop::Party(_) => Loop::Header,
            Loop::LineParty(i) => Loop::Line(i),
            other => other,
        };
    }

    fn segment(&mut self, segment: &Segment<'_>) {
        self.leave_party_loop(segment.id());
        if matches!(self.at, Loop::LineParty(_)) && segment.id() != "N1" {
            return;
        }
        match segment.id() {
            "BEG" => self.beg(segment),
            "CUR" => self.cur(segment),
            "REF" => self.reference(segment),
            "PER" => self.per(segment),
            "DTM" => self.dtm(segment),
            "N1" => self.n1(segment),
            "N2" => self.n2(segment),
            "N3" => self.n3(segment),
            "N4" => self.n4(segment),
            "PO1" => self.po1(segment),
            "PID" => self.pid(segment),
            "PO4" => self.po4(segment),
            "SAC" => self.sac(segment),
            "SDQ" => self.sdq(segment),
            "SCH" => self.sch(segment),
            "CTT" => self.ctt(segment),
            "MSG" => self.note(segment, 1),
            "MTX" => self.note(segment, 2),
            "N9" => self.n9(segment),
            _ => {}
        }
    }

    fn beg(&mut self, s: &Segment<'_>) {
        if self.seen_beg {
            self.warn("unexpected_segment", "second BEG in one order; ignored".into(), s);
            return;
        }
        self.seen_beg = true;
        self.order.purpose = text(s, 1);
        self.order.order_type = text(s, 2);
        self.order.po_number = text(s, 3);
        self.order.revision = text(s, 4);
        self.order.order_date = self.date(s, 5);
    }

    /// CUR02; a CUR inside a line loop sets the order currency only if the header had none.
    fn cur(&mut self, s: &Segment<'_>) {
        let in_line = matches!(self.at, Loop::Line(_));
        if !in_line || self.order.currency.is_none() {
            self.order.currency = text(s, 2).or(self.order.currency.take());
        }
    }

    /// REF02, or REF03 (description) when the sender put the value there.
    fn reference(&mut self, s: &Segment<'_>) {
        let Some(qualifier) = text(s, 1) else { return };
        let Some(value) = text(s, 2).or_else(|| text(s, 3)) else { return };
        let reference = Reference { qualifier, value };
        if let Some(party) = self.party() {
            party.references.push(reference);
        } else if let Some(line) = self.line() {
            line.references.push(reference);
        } else {
            self.order.references.push(reference);
        }
    }

    /// A contact inside a party loop becomes a reference named by its function (PER01).
    fn per(&mut self, s: &Segment<'_>) {
        let (Some(function), Some(name)) = (text(s, 1), text(s, 2)) else { return };
        if let Some(party) = self.party() {
            party.references.push(Reference { qualifier: function, value: name });
        }
    }

    fn dtm(&mut self, s: &Segment<'_>) {
        let Some(date) = self.qualified_date(s, 1, 2) else { return };
        match self.line() {
            Some(line) => line.dates.push(date),
            None => self.order.dates.push(date),
        }
    }

    fn sch(&mut self, s: &Segment<'_>) {
        let Some(date) = self.qualified_date(s, 5, 6) else { return };
        if let Some(line) = self.line() {
            line.dates.push(date);
        }
    }

    fn n1(&mut self, s: &Segment<'_>) {
        if let Loop::Line(i) | Loop::LineParty(i) = self.at {
            self.at = Loop::LineParty(i);
            return;
        }
        let mut party = Party::new(s.element(1));
        party.name = text(s, 2);
        party.id = party_id(s.value(3), s.value(4));
        self.order.parties.push(party);
        self.at = Loop::Party(self.order.parties.len() - 1);
    }

    fn n2(&mut self, s: &Segment<'_>) {
        let extra: Vec<&str> = [s.value(1), s.value(2)].into_iter().flatten().collect();
        let Some(party) = self.party() else { return };
        if extra.is_empty() {
            return;
        }
        let mut name = party.name.take().unwrap_or_default();
        for part in extra {
            if !name.is_empty() {
                name.push(' ');
            }
            name.push_str(part);
        }
        party.name = Some(name);
    }

    fn n3(&mut self, s: &Segment<'_>) {
        let lines: Vec<String> = [s.value(1), s.value(2)].into_iter().flatten().map(String::from).collect();
        if let Some(party) = self.party() {
            party.address.extend(lines);
        }
    }

    fn n4(&mut self, s: &Segment<'_>) {
        let Some(party) = self.party() else { return };
        party.city = text(s, 1);
        party.region = text(s, 2);
        party.postal_code = text(s, 3);
        party.country = text(s, 4);
    }

    fn po1(&mut self, s: &Segment<'_>) {
        let mut line = ParsedLine {
            line_no: text(s, 1),
            qty: self.number(s, 2),
            uom: text(s, 3),
            unit_price: self.number(s, 4),
            price_basis: text(s, 5),
            position: self.set.position_of(s),
            ..ParsedLine::default()
        };
        // Pairs past the last element are absent: stop there rather than look up ten.
        let last = PO1_LAST_ID_QUALIFIER.min(s.element_count());
        for n in (PO1_FIRST_ID_QUALIFIER..=last).step_by(2) {
            match (s.value(n), s.value(n + 1)) {
                (qualifier, Some(value)) => line.item_ids.push(ItemId {
                    kind: qualifier.map(ItemIdKind::from_x12).unwrap_or(ItemIdKind::Other),
                    qualifier: qualifier.map(String::from),
                    value: value.to_string(),
                }),
                (Some(qualifier), None) => {
                    self.warn("missing_element", format!("PO1{n:02} {qualifier:?} has no id in PO1{:02}", n + 1), s)
                }
                (None, None) => {}
            }
        }
        self.order.lines.push(line);
        self.at = Loop::Line(self.order.lines.len() - 1);
    }

    /// PID05 free-form descriptions; several PIDs are joined with a space.
    fn pid(&mut self, s: &Segment<'_>) {
        let Some(description) = s.value(5) else { return };
        let Some(line) = self.line() else { return };
        match &mut line.description {
            Some(existing) => {
                existing.push(' ');
                existing.push_str(description);
            }
            None => line.description = Some(description.to_string()),
        }
    }

    fn po4(&mut self, s: &Segment<'_>) {
        if !matches!(self.at, Loop::Line(_)) {
            return;
        }
        let pack = self.number(s, 1);
        if let Some(line) = self.line() {
            line.pack_size = pack;
        }
    }

    /// SAC05 is N2 (implied 2 decimals), SAC07 a percent (R).
    fn sac(&mut self, s: &Segment<'_>) {
        let Some(indicator) = text(s, 1) else { return };
        let amount = s.value(5).and_then(|raw| {
            let parsed = value::implied_decimal(raw, 2);
            if parsed.is_none() {
                self.warn("bad_number", format!("SAC05 {raw:?} is not an amount"), s);
            }
            parsed
        });
        let percent = self.number(s, 7);
        let charge = Charge { indicator, code: text(s, 2), amount, percent, description: text(s, 15) };
        match self.line() {
            Some(line) => line.charges.push(charge),
            None => self.order.charges.push(charge),
        }
    }

    fn sdq(&mut self, s: &Segment<'_>) {
        if !matches!(self.at, Loop::Line(_)) {
            return;
        }
        let mut found = Vec::new();
        for n in (SDQ_FIRST_LOCATION..=SDQ_LAST_LOCATION).step_by(2) {
            let Some(location) = s.value(n) else { continue };
            if let Some(qty) = self.number(s, n + 1) {
                found.push(Distribution { location: location.to_string(), qty });
            }
        }
        if let Some(line) = self.line() {
            line.distribution.extend(found);
        }
    }

    fn ctt(&mut self, s: &Segment<'_>) {
        self.at = Loop::Summary;
        let Some(raw) = s.value(1) else { return };
        match raw.parse::<u32>() {
            Ok(count) => self.order.declared_line_count = Some(count),
            Err(_) => self.warn("bad_number", format!("CTT01 {raw:?} is not a line count"), s),
        }
    }

    fn note(&mut self, s: &Segment<'_>, n: usize) {
        if let Some(note) = text(s, n) {
            self.order.notes.push(note);
        }
    }

    /// N9 is a reference (N901/N902) whose N903 may carry a free-text heading.
    fn n9(&mut self, s: &Segment<'_>) {
        if let (Some(qualifier), Some(value)) = (text(s, 1), text(s, 2)) {
            let reference = Reference { qualifier, value };
            match self.line() {
                Some(line) => line.references.push(reference),
                None => self.order.references.push(reference),
            }
        }
        self.note(s, 3);
    }

    fn finish(mut self) -> ParsedOrder {
        if !self.seen_beg {
            let header = self.set.header;
            self.warn("missing_segment", "850 without a BEG segment: no PO number or date".into(), &header);
        }
        self.order.requested_date = requested_date(&self.order);
        if let Some(declared) = self.order.declared_line_count
            && usize::try_from(declared).ok() != Some(self.order.lines.len())
        {
            let at = self.set.body().rev().find(|s| s.id() == "CTT").unwrap_or(self.set.header);
            let message = format!("CTT01 says {declared} lines, the order has {} PO1", self.order.lines.len());
            self.warn("ctt_count_mismatch", message, &at);
        }
        self.order
    }
}

/// The header date with the most specific requested-date qualifier; when the
/// header has none, the earliest such date on the lines (the first delivery wanted).
pub fn requested_date(order: &ParsedOrder) -> Option<NaiveDate> {
    let by_priority = |dates: &[QualifiedDate]| {
        REQUESTED_DATE_QUALIFIERS.iter().find_map(|q| dates.iter().find(|d| d.qualifier == *q).map(|d| d.date))
    };
    by_priority(&order.dates).or_else(|| order.lines.iter().filter_map(|l| by_priority(&l.dates)).min())
}
