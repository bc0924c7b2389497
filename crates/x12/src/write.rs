//! Writing X12: segments with given delimiters, whole interchanges (ISA/GS/ST
//! counted and numbered for you), and the 850 from a `ParsedOrder`.
//!
//! The writer refuses values it cannot write faithfully (a delimiter or a line
//! break inside a value, an ISA field too long, an amount with more than the
//! two implied decimals of SAC05) instead of producing a file that reads back
//! differently.

use chrono::NaiveDate;
use prodline_core::{Charge, ParsedLine, ParsedOrder, Party, PartyId};
use rust_decimal::Decimal;
use thiserror::Error;

use crate::syntax::Delimiters;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WriteError {
    #[error("{segment}{element:02} {value:?} contains a delimiter or a line break")]
    DelimiterInValue { segment: String, element: usize, value: String },
    #[error("ISA{element:02} {value:?} is longer than its {width} characters")]
    IsaFieldTooLong { element: usize, value: String, width: usize },
    #[error("delimiters must be distinct and not letters, digits or blanks: {0:?}")]
    BadDelimiters(Delimiters),
    #[error("SAC05 amount {0} has more than two decimals")]
    AmountNotRepresentable(Decimal),
}

/// How segments are written: the delimiters, and bytes written after every
/// terminator (nothing, CR, LF, CRLF, a space).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Syntax {
    pub delimiters: Delimiters,
    pub after_segment: Vec<u8>,
}

impl Default for Syntax {
    fn default() -> Self {
        Syntax { delimiters: Delimiters::STANDARD, after_segment: b"\n".to_vec() }
    }
}

/// ISA and GS values of an interchange with one functional group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// ISA05/ISA06.
    pub sender: PartyId,
    /// ISA07/ISA08.
    pub receiver: PartyId,
    /// GS02, GS03.
    pub group_sender: String,
    pub group_receiver: String,
    pub date: NaiveDate,
    /// HHMM.
    pub time: String,
    /// ISA13.
    pub control_number: u32,
    /// GS06.
    pub group_control_number: u32,
    /// ISA12, e.g. 00401.
    pub version: String,
    /// GS08, e.g. 004010.
    pub group_version: String,
    /// GS01: PO (850), PR (855), FA (997)...
    pub functional_id: String,
    /// ISA15 T instead of P.
    pub test: bool,
}

impl Envelope {
    /// An envelope that carries the order's own sender, receiver and GS02.
    pub fn for_order(order: &ParsedOrder) -> Envelope {
        let id = |p: &Option<PartyId>, fallback: &str| {
            p.clone().unwrap_or(PartyId { qualifier: Some("ZZ".into()), value: fallback.into() })
        };
        let sender = id(&order.sender, "SENDER");
        let receiver = id(&order.receiver, "RECEIVER");
        Envelope {
            group_sender: order.group_sender.clone().unwrap_or_else(|| sender.value.clone()),
            group_receiver: receiver.value.clone(),
            sender,
            receiver,
            date: order.order_date.unwrap_or_default(),
            time: "1200".into(),
            control_number: 1,
            group_control_number: 1,
            version: "00401".into(),
            group_version: "004010".into(),
            functional_id: "PO".into(),
            test: false,
        }
    }
}

/// One transaction set to write: ST01, ST02 and the segments between ST and
/// SE, each as `[id, element 1, element 2, ...]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutSet {
    pub kind: String,
    pub control_number: String,
    pub segments: Vec<Vec<String>>,
}

/// Append one segment; trailing empty elements are left out.
pub fn write_segment(out: &mut Vec<u8>, fields: &[String], syntax: &Syntax) -> Result<(), WriteError> {
    emit(out, fields, syntax, fields.len())
}

/// Write `fields`, checking the first `checked` of them for delimiters.
fn emit(out: &mut Vec<u8>, fields: &[String], syntax: &Syntax, checked: usize) -> Result<(), WriteError> {
    let d = &syntax.delimiters;
    let used = fields.iter().rposition(|f| !f.is_empty()).map_or(0, |i| i + 1);
    let id = fields.first().map(String::as_str).unwrap_or_default();
    for (n, field) in fields.iter().take(used).enumerate() {
        if n < checked && field.bytes().any(|b| d.contains(b) || b == b'\r' || b == b'\n') {
            return Err(WriteError::DelimiterInValue { segment: id.into(), element: n, value: field.clone() });
        }
        if n > 0 {
            out.push(d.element);
        }
        out.extend_from_slice(field.as_bytes());
    }
    out.push(d.segment);
    out.extend_from_slice(&syntax.after_segment);
    Ok(())
}

fn check_delimiters(d: &Delimiters) -> Result<(), WriteError> {
    let mut all = vec![d.element, d.component, d.segment];
    all.extend(d.repetition);
    let bad_byte = |b: &u8| b.is_ascii_alphanumeric() || *b == b' ' || *b == 0;
    let element_or_component_blank = d.element.is_ascii_whitespace() || d.component.is_ascii_whitespace();
    let mut distinct = all.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if all.iter().any(bad_byte) || element_or_component_blank || distinct.len() != all.len() {
        return Err(WriteError::BadDelimiters(*d));
    }
    Ok(())
}

fn fixed(element: usize, value: &str, width: usize) -> Result<String, WriteError> {
    if value.chars().count() > width {
        return Err(WriteError::IsaFieldTooLong { element, value: value.into(), width });
    }
    Ok(format!("{value:<width$}"))
}

fn isa_fields(env: &Envelope, d: &Delimiters) -> Result<Vec<String>, WriteError> {
    let qualifier = |p: &PartyId| p.qualifier.clone().unwrap_or_else(|| "ZZ".into());
    let repetition = d.repetition.map_or('U', char::from);
    Ok(vec![
        "ISA".into(),
        "00".into(),
        fixed(2, "", 10)?,
        "00".into(),
        fixed(4, "", 10)?,
        fixed(5, &qualifier(&env.sender), 2)?,
        fixed(6, &env.sender.value, 15)?,
        fixed(7, &qualifier(&env.receiver), 2)?,
        fixed(8, &env.receiver.value, 15)?,
        env.date.format("%y%m%d").to_string(),
        fixed(10, &env.time, 4)?,
        repetition.to_string(),
        fixed(12, &env.version, 5)?,
        format!("{:09}", env.control_number),
        "0".into(),
        if env.test { "T" } else { "P" }.into(),
        char::from(d.component).to_string(),
    ])
}

/// A whole interchange with one functional group holding `sets`.
pub fn write_interchange(env: &Envelope, syntax: &Syntax, sets: &[OutSet]) -> Result<Vec<u8>, WriteError> {
    check_delimiters(&syntax.delimiters)?;
    let mut out = Vec::new();
    let isa = isa_fields(env, &syntax.delimiters)?;
    // ISA11 and ISA16 are the repetition and component separators themselves.
    emit(&mut out, &isa, syntax, 11)?;
    let gcn = env.group_control_number.to_string();
    let gs = [
        "GS",
        &env.functional_id,
        &env.group_sender,
        &env.group_receiver,
        &env.date.format("%Y%m%d").to_string(),
        &env.time,
        &gcn,
        "X",
        &env.group_version,
    ];
    write_segment(&mut out, &strings(&gs), syntax)?;
    for set in sets {
        write_set(&mut out, set, syntax)?;
    }
    write_segment(&mut out, &strings(&["GE", &sets.len().to_string(), &gcn]), syntax)?;
    write_segment(&mut out, &strings(&["IEA", "1", &format!("{:09}", env.control_number)]), syntax)?;
    Ok(out)
}

fn write_set(out: &mut Vec<u8>, set: &OutSet, syntax: &Syntax) -> Result<(), WriteError> {
    write_segment(out, &strings(&["ST", &set.kind, &set.control_number]), syntax)?;
    for segment in &set.segments {
        write_segment(out, segment, syntax)?;
    }
    let count = (set.segments.len() + 2).to_string();
    write_segment(out, &strings(&["SE", &count, &set.control_number]), syntax)
}

fn strings(fields: &[&str]) -> Vec<String> {
    fields.iter().map(|f| f.to_string()).collect()
}

/// An 850 interchange for `order`.
pub fn write_850(order: &ParsedOrder, env: &Envelope, syntax: &Syntax) -> Result<Vec<u8>, WriteError> {
    write_interchange(env, syntax, &[set_850(order)?])
}

/// The 850 transaction set of `order`, ready for [`write_interchange`].
pub fn set_850(order: &ParsedOrder) -> Result<OutSet, WriteError> {
    let mut segments = Vec::new();
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let date = |d: Option<NaiveDate>| d.map(|d| d.format("%Y%m%d").to_string()).unwrap_or_default();
    segments.push(vec![
        "BEG".into(),
        opt(&order.purpose),
        opt(&order.order_type),
        opt(&order.po_number),
        opt(&order.revision),
        date(order.order_date),
    ]);
    if let Some(currency) = &order.currency {
        segments.push(strings(&["CUR", "BY", currency]));
    }
    for r in &order.references {
        segments.push(strings(&["REF", &r.qualifier, &r.value]));
    }
    for d in &order.dates {
        segments.push(strings(&["DTM", &d.qualifier, &date(Some(d.date))]));
    }
    for note in &order.notes {
        segments.push(strings(&["MSG", note]));
    }
    for charge in &order.charges {
        segments.push(sac(charge)?);
    }
    for party in &order.parties {
        party_segments(&mut segments, party);
    }
    for line in &order.lines {
        line_segments(&mut segments, line)?;
    }
    segments.push(strings(&["CTT", &order.lines.len().to_string()]));
    let control_number = order.control_number.clone().unwrap_or_else(|| "0001".into());
    Ok(OutSet { kind: "850".into(), control_number, segments })
}

fn party_segments(segments: &mut Vec<Vec<String>>, party: &Party) {
    let (qualifier, id) = match &party.id {
        Some(id) => (id.qualifier.clone().unwrap_or_default(), id.value.clone()),
        None => (String::new(), String::new()),
    };
    let name = party.name.clone().unwrap_or_default();
    segments.push(vec!["N1".into(), party.code.clone(), name, qualifier, id]);
    for pair in party.address.chunks(2) {
        let mut n3 = vec!["N3".to_string()];
        n3.extend(pair.iter().cloned());
        segments.push(n3);
    }
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    if party.city.is_some() || party.region.is_some() || party.postal_code.is_some() || party.country.is_some() {
        segments.push(vec![
            "N4".into(),
            opt(&party.city),
            opt(&party.region),
            opt(&party.postal_code),
            opt(&party.country),
        ]);
    }
    for r in &party.references {
        segments.push(strings(&["REF", &r.qualifier, &r.value]));
    }
}

fn line_segments(segments: &mut Vec<Vec<String>>, line: &ParsedLine) -> Result<(), WriteError> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let num = |v: Option<Decimal>| v.map(|d| d.to_string()).unwrap_or_default();
    let mut po1 = vec!["PO1".into(), opt(&line.line_no), num(line.qty), opt(&line.uom), num(line.unit_price)];
    po1.push(opt(&line.price_basis));
    for id in &line.item_ids {
        po1.push(id.qualifier.clone().unwrap_or_default());
        po1.push(id.value.clone());
    }
    segments.push(po1);
    if let Some(description) = &line.description {
        segments.push(strings(&["PID", "F", "", "", "", description]));
    }
    if let Some(pack) = line.pack_size {
        segments.push(strings(&["PO4", &pack.to_string()]));
    }
    for r in &line.references {
        segments.push(strings(&["REF", &r.qualifier, &r.value]));
    }
    for d in &line.dates {
        segments.push(strings(&["DTM", &d.qualifier, &d.date.format("%Y%m%d").to_string()]));
    }
    for charge in &line.charges {
        segments.push(sac(charge)?);
    }
    for chunk in line.distribution.chunks(10) {
        let mut sdq = vec!["SDQ".to_string(), opt(&line.uom), "92".into()];
        for d in chunk {
            sdq.push(d.location.clone());
            sdq.push(d.qty.to_string());
        }
        segments.push(sdq);
    }
    Ok(())
}

/// SAC05 carries two implied decimals: 12.50 is written 1250.
fn sac(charge: &Charge) -> Result<Vec<String>, WriteError> {
    let amount = match charge.amount {
        Some(a) => {
            let cents = a.checked_mul(Decimal::ONE_HUNDRED).ok_or(WriteError::AmountNotRepresentable(a))?;
            if !cents.fract().is_zero() {
                return Err(WriteError::AmountNotRepresentable(a));
            }
            cents.trunc().normalize().to_string()
        }
        None => String::new(),
    };
    let percent = charge.percent.map(|p| p.to_string()).unwrap_or_default();
    let percent_qualifier = if charge.percent.is_some() { "3" } else { "" };
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut fields = vec!["SAC".to_string(), charge.indicator.clone(), opt(&charge.code), String::new(), String::new()];
    fields.extend([amount, percent_qualifier.into(), percent]);
    fields.extend(std::iter::repeat_n(String::new(), 7));
    fields.push(opt(&charge.description));
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_empty_elements_are_left_out() {
        let mut out = Vec::new();
        write_segment(&mut out, &strings(&["N4", "CITY", "", "", ""]), &Syntax::default()).unwrap();
        assert_eq!(out, b"N4*CITY~\n");
    }

    #[test]
    fn refuses_delimiters_inside_values() {
        let mut out = Vec::new();
        let err = write_segment(&mut out, &strings(&["N1", "ST", "A*B"]), &Syntax::default()).unwrap_err();
        assert!(matches!(err, WriteError::DelimiterInValue { element: 2, .. }));
    }

    #[test]
    fn isa_is_fixed_width() {
        let order = ParsedOrder::default();
        let out = write_850(&order, &Envelope::for_order(&order), &Syntax::default()).unwrap();
        let isa_end = out.iter().position(|&b| b == b'~').unwrap();
        assert_eq!(isa_end + 1, crate::syntax::ISA_FIXED_LENGTH);
    }

    #[test]
    fn sac_amount_has_implied_decimals() {
        let charge = Charge {
            indicator: "C".into(),
            code: Some("D240".into()),
            amount: Some(Decimal::new(1250, 2)),
            percent: None,
            description: None,
        };
        assert_eq!(sac(&charge).unwrap()[5], "1250");
        let too_fine = Charge { amount: Some(Decimal::new(1, 3)), ..charge };
        assert!(sac(&too_fine).is_err());
    }
}
