//! The ORDERS message: segments in, a [`ParsedOrder`] out.
//!
//! The reader walks the segments once, keeping track of the segment group it
//! is in (header, a NAD group, a LIN group, the summary after UNS), because
//! EDIFACT says what a segment is about by where it stands: an RFF after a
//! NAD belongs to that party, one inside a LIN group to that line.

use prodline_core::{
    Charge, Diagnostic, Distribution, ItemId, ItemIdKind, ParsedLine, ParsedOrder, Party, PartyId, Position,
    QualifiedDate, Reference,
};
use rust_decimal::Decimal;

use crate::syntax::SegmentRef;
use crate::values::{parse_date, parse_decimal};

/// The segment tags the reader acts on: matched once per segment, as bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Unh,
    Bgm,
    Dtm,
    Nad,
    Rff,
    Cux,
    Ftx,
    Lin,
    Pia,
    Imd,
    Qty,
    Pri,
    Loc,
    Alc,
    Pcd,
    Moa,
    Cnt,
    Uns,
    Fii,
    Ali,
    Rng,
    Other,
}

impl Tag {
    fn of(tag: &str) -> Tag {
        let Ok(code) = <[u8; 3]>::try_from(tag.as_bytes()) else { return Tag::Other };
        match &code {
            b"UNH" => Tag::Unh,
            b"BGM" => Tag::Bgm,
            b"DTM" => Tag::Dtm,
            b"NAD" => Tag::Nad,
            b"RFF" => Tag::Rff,
            b"CUX" => Tag::Cux,
            b"FTX" => Tag::Ftx,
            b"LIN" => Tag::Lin,
            b"PIA" => Tag::Pia,
            b"IMD" => Tag::Imd,
            b"QTY" => Tag::Qty,
            b"PRI" => Tag::Pri,
            b"LOC" => Tag::Loc,
            b"ALC" => Tag::Alc,
            b"PCD" => Tag::Pcd,
            b"MOA" => Tag::Moa,
            b"CNT" => Tag::Cnt,
            b"UNS" => Tag::Uns,
            b"FII" => Tag::Fii,
            b"ALI" => Tag::Ali,
            b"RNG" => Tag::Rng,
            _ => Tag::Other,
        }
    }
}

/// Where the reader stands in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Group {
    #[default]
    Header,
    /// After a NAD at header level: RFF/DTM/LOC/FII still belong to it.
    Party(usize),
    Line,
    /// After UNS.
    Summary,
}

/// Which list the charge being read (ALC, then PCD/MOA) lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChargeTarget {
    Order,
    Line,
}

/// What the reader keeps about the open line besides the line itself,
/// which is the last of `order.lines` while a LIN group is open.
#[derive(Debug, Default)]
struct LineState {
    /// The price kept so far and whether it is a net (AAA) price.
    price_is_net: bool,
    has_price: bool,
    /// Inside a LOC sub-group: quantities are per location.
    location: Option<String>,
}

/// Reads one ORDERS message (UNH..UNT) a segment at a time, so the message
/// is never held: feed it every segment from UNH on, then [`OrderReader::finish`].
#[derive(Debug, Default)]
pub struct OrderReader {
    order: ParsedOrder,
    group: Group,
    line: Option<LineState>,
    charge: Option<ChargeTarget>,
    saw_bgm: bool,
}

impl OrderReader {
    /// `sender`/`receiver` come from the UNB.
    pub fn new(sender: Option<PartyId>, receiver: Option<PartyId>) -> OrderReader {
        let mut reader = OrderReader::default();
        reader.order.sender = sender;
        reader.order.receiver = receiver;
        reader
    }

    pub fn segment(&mut self, s: &SegmentRef<'_>) {
        let tag = Tag::of(s.tag);
        self.leave_subgroups(tag);
        match tag {
            Tag::Unh => self.order.control_number = s.value(0, 0).map(str::to_string),
            Tag::Bgm => self.bgm(s),
            Tag::Dtm => self.dtm(s),
            Tag::Nad => self.nad(s),
            Tag::Rff => self.rff(s),
            Tag::Cux => self.cux(s),
            Tag::Ftx => self.ftx(s),
            Tag::Lin => self.lin(s),
            Tag::Pia => self.pia(s),
            Tag::Imd => self.imd(s),
            Tag::Qty => self.qty(s),
            Tag::Pri => self.pri(s),
            Tag::Loc => self.loc(s),
            Tag::Alc => self.alc(s),
            Tag::Pcd => self.pcd(s),
            Tag::Moa => self.moa(s),
            Tag::Cnt => self.cnt(s),
            Tag::Uns => self.uns(),
            Tag::Fii | Tag::Ali | Tag::Rng | Tag::Other => {}
        }
    }

    /// A segment that cannot be part of the open NAD/LOC/ALC sub-group closes it.
    fn leave_subgroups(&mut self, tag: Tag) {
        use Tag::{Ali, Dtm, Fii, Loc, Moa, Pcd, Qty, Rff, Rng};
        if matches!(self.group, Group::Party(_)) && !matches!(tag, Rff | Dtm | Loc | Fii) {
            self.group = Group::Header;
        }
        if let Some(state) = self.line.as_mut().filter(|_| !matches!(tag, Qty | Dtm | Loc)) {
            state.location = None;
        }
        if !matches!(tag, Pcd | Moa | Ali | Dtm | Qty | Rng) {
            self.charge = None;
        }
    }

    fn warn(&mut self, code: &str, message: String, s: &SegmentRef<'_>) {
        self.order.diagnostics.push(Diagnostic::warning(code, message, s.to_position()));
    }

    fn bgm(&mut self, s: &SegmentRef<'_>) {
        self.saw_bgm = true;
        // C002 1001 (also `220::9` or `220:::text`); 1004 is a simple element
        // in old directories and C106's first component in newer ones.
        self.order.order_type = s.value(0, 0).map(str::to_string);
        self.order.po_number = s.value(1, 0).map(str::to_string);
        self.order.purpose = s.value(2, 0).map(str::to_string);
    }

    fn dtm(&mut self, s: &SegmentRef<'_>) {
        let (Some(qualifier), Some(value)) = (s.value(0, 0), s.value(0, 1)) else { return };
        let date = match parse_date(value, s.value(0, 2)) {
            Ok(date) => date,
            Err(e) => {
                let message = format!("DTM {qualifier} value {value:?}: {e}");
                return self.warn("bad_date", message, s);
            }
        };
        let dated = QualifiedDate { qualifier: qualifier.to_string(), date };
        let in_line = self.group == Group::Line;
        match self.open_line().filter(|_| in_line) {
            Some((_, line)) => line.dates.push(dated),
            None => self.order.dates.push(dated),
        }
    }

    fn nad(&mut self, s: &SegmentRef<'_>) {
        let Some(code) = s.value(0, 0) else {
            return self.warn("missing_value", "NAD without a party qualifier (3035)".to_string(), s);
        };
        if self.group == Group::Line {
            return; // line-level parties have no place on ParsedLine; RFFs after them stay with the line
        }
        let mut party = Party::new(code);
        party.id = s.value(1, 0).map(|value| PartyId {
            qualifier: s.value(1, 2).or(s.value(1, 1)).map(str::to_string),
            value: value.to_string(),
        });
        party.name = joined(s.components(3));
        let mut address: Vec<String> = s.components(4).map(str::to_string).collect();
        if party.name.is_none() {
            // C058: unstructured name and address lines.
            let mut lines = s.components(2).map(str::to_string);
            party.name = lines.next();
            if address.is_empty() {
                address = lines.collect();
            }
        }
        party.address = address;
        party.city = s.value(5, 0).map(str::to_string);
        party.region = s.value(6, 0).map(str::to_string);
        party.postal_code = s.value(7, 0).map(str::to_string);
        party.country = s.value(8, 0).map(str::to_string);
        self.order.parties.push(party);
        self.group = Group::Party(self.order.parties.len() - 1);
    }

    fn rff(&mut self, s: &SegmentRef<'_>) {
        let (Some(qualifier), Some(value)) = (s.value(0, 0), s.value(0, 1)) else { return };
        let reference = Reference { qualifier: qualifier.to_string(), value: value.to_string() };
        match self.group {
            Group::Party(i) => {
                if let Some(party) = self.order.parties.get_mut(i) {
                    party.references.push(reference);
                }
            }
            Group::Line => {
                if let Some((_, line)) = self.open_line() {
                    line.references.push(reference);
                }
            }
            Group::Header | Group::Summary => self.order.references.push(reference),
        }
    }

    fn cux(&mut self, s: &SegmentRef<'_>) {
        // C504 6345 of the first currency detail: the order's currency. CUX
        // inside a line's price group does not change it.
        if self.group != Group::Line && self.order.currency.is_none() {
            self.order.currency = s.value(0, 1).map(str::to_string);
        }
    }

    fn ftx(&mut self, s: &SegmentRef<'_>) {
        let Some(text) = joined(s.components(3)) else { return };
        let in_line = self.group == Group::Line;
        let line_no = self.open_line().filter(|_| in_line).and_then(|(_, line)| line.line_no.clone());
        self.order.notes.push(match line_no {
            Some(no) => format!("line {no}: {text}"),
            None => text,
        });
    }

    fn lin(&mut self, s: &SegmentRef<'_>) {
        self.close_line();
        self.group = Group::Line;
        let mut line = ParsedLine {
            line_no: s.value(0, 0).map(str::to_string),
            position: s.to_position(),
            ..ParsedLine::default()
        };
        push_item_id(&mut line, s, 2);
        self.order.lines.push(line);
        self.line = Some(LineState::default());
    }

    fn pia(&mut self, s: &SegmentRef<'_>) {
        let Some((_, line)) = self.open_line() else { return };
        // 4347 function, then up to five C212 item identifications.
        for element in 1..s.element_count() {
            push_item_id(line, s, element);
        }
    }

    fn imd(&mut self, s: &SegmentRef<'_>) {
        let Some((_, line)) = self.open_line() else { return };
        // C273: 7009 code, 1131, 3055, 7008 text, 7008 text, 3453 language.
        let Some(text) = joined([s.value(2, 3), s.value(2, 4)].into_iter().flatten()) else { return };
        match line.description.as_mut() {
            Some(description) => {
                if !description.is_empty() {
                    description.push(' ');
                }
                description.push_str(&text);
            }
            None => line.description = Some(text),
        }
    }

    fn qty(&mut self, s: &SegmentRef<'_>) {
        let Some(qualifier) = s.value(0, 0) else { return };
        let Some(raw) = s.value(0, 1) else { return };
        let Some(qty) = parse_decimal(raw) else {
            return self.warn("bad_number", format!("QTY {qualifier} quantity {raw:?} is not a number"), s);
        };
        if self.charge.is_some() {
            return; // the quantity an allowance or charge applies to
        }
        let Some((state, line)) = self.open_line() else { return };
        if let Some(location) = state.location.clone() {
            line.distribution.push(Distribution { location, qty });
            return;
        }
        match qualifier {
            // 21 ordered quantity; the first one counts.
            "21" if line.qty.is_none() => {
                line.qty = Some(qty);
                line.uom = s.value(0, 2).map(str::to_string);
            }
            // 59: consumer units in the traded unit.
            "59" => line.pack_size = Some(qty),
            _ => {}
        }
    }

    fn pri(&mut self, s: &SegmentRef<'_>) {
        // C509: 5125 qualifier, 5118 price, 5375 type, 5387 type qualifier,
        // 5284 unit price basis, 6411 unit.
        let (Some(qualifier), Some(raw)) = (s.value(0, 0), s.value(0, 1)) else { return };
        let Some(price) = parse_decimal(raw) else {
            return self.warn("bad_number", format!("PRI {qualifier} price {raw:?} is not a number"), s);
        };
        let basis = match s.value(0, 4) {
            None => None,
            Some(text) => match parse_decimal(text).filter(|b| !b.is_zero()) {
                Some(b) => Some(b),
                None => {
                    return self.warn("bad_number", format!("PRI price basis {text:?} is not a positive number"), s);
                }
            },
        };
        let Some((state, line)) = self.open_line() else { return };
        let is_net = qualifier == "AAA";
        if state.has_price && (state.price_is_net || !is_net) {
            return; // the first price wins, a net (AAA) one over a gross one
        }
        let per_unit = match basis.filter(|b| *b != Decimal::ONE) {
            Some(b) => price.checked_div(b).map(|p| p.normalize()),
            None => Some(price),
        };
        line.unit_price = per_unit;
        line.price_basis = joined([s.value(0, 3), s.value(0, 4), s.value(0, 5)].into_iter().flatten());
        state.has_price = true;
        state.price_is_net = is_net;
    }

    fn loc(&mut self, s: &SegmentRef<'_>) {
        if let Some(state) = self.line.as_mut().filter(|_| self.group == Group::Line) {
            state.location = s.value(1, 0).map(str::to_string);
        }
    }

    fn alc(&mut self, s: &SegmentRef<'_>) {
        let Some(indicator) = s.value(0, 0) else { return };
        let charge = Charge {
            indicator: indicator.to_string(),
            // C214: 7161 special service code, 1131, 3055, 7160, 7160.
            code: s.value(4, 0).map(str::to_string),
            amount: None,
            percent: None,
            description: joined([s.value(4, 3), s.value(4, 4)].into_iter().flatten()),
        };
        let in_line = self.group == Group::Line;
        let target = match self.open_line().filter(|_| in_line) {
            Some((_, line)) => {
                line.charges.push(charge);
                ChargeTarget::Line
            }
            _ => {
                self.order.charges.push(charge);
                ChargeTarget::Order
            }
        };
        self.charge = Some(target);
    }

    fn open_charge(&mut self) -> Option<&mut Charge> {
        match self.charge? {
            ChargeTarget::Order => self.order.charges.last_mut(),
            ChargeTarget::Line => self.open_line()?.1.charges.last_mut(),
        }
    }

    fn pcd(&mut self, s: &SegmentRef<'_>) {
        let Some(raw) = s.value(0, 1) else { return };
        let Some(percent) = parse_decimal(raw) else {
            return self.warn("bad_number", format!("PCD percentage {raw:?} is not a number"), s);
        };
        if let Some(charge) = self.open_charge().filter(|c| c.percent.is_none()) {
            charge.percent = Some(percent);
        }
    }

    fn moa(&mut self, s: &SegmentRef<'_>) {
        // Outside an ALC group a MOA is a line or message total: not kept.
        if self.charge.is_none() {
            return;
        }
        let Some(raw) = s.value(0, 1) else { return };
        let Some(amount) = parse_decimal(raw) else {
            return self.warn("bad_number", format!("MOA amount {raw:?} is not a number"), s);
        };
        if let Some(charge) = self.open_charge().filter(|c| c.amount.is_none()) {
            charge.amount = Some(amount);
        }
    }

    fn cnt(&mut self, s: &SegmentRef<'_>) {
        // C270: 6069 qualifier (2 = number of line items), 6066 value.
        if s.value(0, 0) != Some("2") {
            return;
        }
        let Some(raw) = s.value(0, 1) else { return };
        let count = parse_decimal(raw).filter(|d| d.fract().is_zero()).and_then(|d| u32::try_from(d).ok());
        match count {
            Some(n) => self.order.declared_line_count = Some(n),
            None => self.warn("bad_number", format!("CNT 2 line count {raw:?} is not a whole number"), s),
        }
    }

    fn uns(&mut self) {
        self.close_line();
        self.group = Group::Summary;
    }

    /// The open line and what is kept about it, while a LIN group is open.
    fn open_line(&mut self) -> Option<(&mut LineState, &mut ParsedLine)> {
        Some((self.line.as_mut()?, self.order.lines.last_mut()?))
    }

    fn close_line(&mut self) {
        self.line = None;
    }

    /// The order read; `unh` is where the message starts.
    pub fn finish(mut self, unh: Option<Position>) -> ParsedOrder {
        self.close_line();
        if let Some(unh) = unh {
            if !self.saw_bgm {
                let message = "ORDERS message has no BGM segment: no order number or type";
                self.order.diagnostics.push(Diagnostic::error("missing_bgm", message, unh.clone()));
            }
            self.order.position = unh;
        }
        let first = |q: &str| self.order.dates.iter().find(|d| d.qualifier == q).map(|d| d.date);
        self.order.order_date = first("137");
        // Requested delivery: 2, else the window's start (64), else its end (63).
        self.order.requested_date = first("2").or_else(|| first("64")).or_else(|| first("63"));
        self.order
    }
}

/// Add the C212 in element `element` (7140 item number, 7143 type) as an item id.
fn push_item_id(line: &mut ParsedLine, s: &SegmentRef<'_>, element: usize) {
    let Some(value) = s.value(element, 0) else { return };
    let qualifier = s.value(element, 1);
    line.item_ids.push(ItemId {
        kind: ItemIdKind::from_edifact(qualifier.unwrap_or("")),
        qualifier: qualifier.map(str::to_string),
        value: value.to_string(),
    });
}

/// Non-blank parts joined by a space; `None` when there are none.
fn joined<'a>(parts: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut text = String::new();
    for part in parts.into_iter().filter(|p| !p.is_empty()) {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(part);
    }
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{SegmentBuffer, Segments};

    fn order(text: &str) -> ParsedOrder {
        let (mut segments, mut buffer) = (Segments::new(text.as_bytes()), SegmentBuffer::default());
        let (mut reader, mut unh) = (OrderReader::default(), None);
        while let Some(segment) = segments.next_segment(&mut buffer) {
            unh.get_or_insert_with(|| segment.to_position());
            reader.segment(&segment);
        }
        reader.finish(unh)
    }

    #[test]
    fn bgm_composites_old_and_new() {
        let o = order("UNH+1+ORDERS:D:96A:UN'BGM+220::9:Order+PO-1:2+5'");
        assert_eq!(
            (o.order_type.as_deref(), o.po_number.as_deref(), o.purpose.as_deref()),
            (Some("220"), Some("PO-1"), Some("5"))
        );
    }

    #[test]
    fn rff_belongs_to_the_nad_before_it_else_to_the_header_or_line() {
        let o = order("UNH+1+ORDERS'BGM+220+1'RFF+CT:H1'NAD+SU+S::9'RFF+VA:V1'CTA+OC'RFF+ZZ:H2'LIN+1'RFF+PD:L1'");
        assert_eq!(o.references.iter().map(|r| r.value.as_str()).collect::<Vec<_>>(), ["H1", "H2"]);
        assert_eq!(o.parties[0].references[0].value, "V1");
        assert_eq!(o.lines[0].references[0].value, "L1");
    }

    #[test]
    fn net_price_wins_and_the_basis_divides() {
        let o = order(
            "UNH+1+ORDERS'BGM+220+1'LIN+1'PRI+AAB:12'PRI+AAA:250:CT:AAE:100:PCE'PRI+AAA:1'LIN+2'PRI+AAB:9'PRI+INF:1'",
        );
        assert_eq!(o.lines[0].unit_price, Some(Decimal::new(25, 1)));
        assert_eq!(o.lines[0].price_basis.as_deref(), Some("AAE 100 PCE"));
        assert_eq!(o.lines[1].unit_price, Some(Decimal::new(9, 0)));
    }

    #[test]
    fn requested_date_falls_back_to_the_delivery_window() {
        let o = order("UNH+1+ORDERS'BGM+220+1'DTM+137:20230606:102'DTM+63:20230610:102'DTM+64:20230608:102'");
        assert_eq!(o.requested_date.map(|d| d.to_string()).as_deref(), Some("2023-06-08"));
        let o = order("UNH+1+ORDERS'DTM+2:20230601:102'DTM+64:20230608:102'DTM+137:2023:102'");
        assert_eq!(o.requested_date.map(|d| d.to_string()).as_deref(), Some("2023-06-01"));
        assert_eq!(o.order_date, None);
        let codes: Vec<_> = o.diagnostics.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, ["bad_date", "missing_bgm"]);
    }

    #[test]
    fn charges_locations_and_notes() {
        let o = order(
            "UNH+1+ORDERS'BGM+220+1'ALC+C++++FC'MOA+23:120'LIN+1'QTY+21:10:PCE'LOC+7+DEPOT1'QTY+11:4'\
             ALC+A'PCD+3:20'MOA+8:5'FTX+AAI+++fragile:glass'UNS+S'CNT+2:1'",
        );
        assert_eq!(o.charges[0].amount, Some(Decimal::new(120, 0)));
        let line = &o.lines[0];
        assert_eq!((line.qty, line.uom.as_deref()), (Some(Decimal::new(10, 0)), Some("PCE")));
        assert_eq!(line.distribution[0].location, "DEPOT1");
        assert_eq!(
            (line.charges[0].percent, line.charges[0].amount),
            (Some(Decimal::new(20, 0)), Some(Decimal::new(5, 0)))
        );
        assert_eq!(o.notes, ["line 1: fragile glass"]);
        assert_eq!(o.declared_line_count, Some(1));
    }

    #[test]
    fn bad_numbers_are_warned_with_their_segment() {
        let o = order("UNH+1+ORDERS'BGM+220+1'LIN+1'QTY+21:ten'");
        assert_eq!(o.lines[0].qty, None);
        assert_eq!(o.diagnostics[0].code, "bad_number");
        assert_eq!(o.diagnostics[0].position.segment_id.as_deref(), Some("QTY"));
    }
}
