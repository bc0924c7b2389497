//! write_850 -> parse gives the same order back, whatever the delimiters
//! (control characters, LF as terminator) and whatever follows terminators.

use prodline_core::{
    Charge, Decimal, Distribution, ItemId, ItemIdKind, NaiveDate, ParsedLine, ParsedOrder, Party, PartyId, Position,
    QualifiedDate, Reference,
};
use prodline_x12::write::{Envelope, Syntax, write_850};
use prodline_x12::{Delimiters, parse};
use proptest::prelude::*;
use proptest::sample::select;

const SEPARATORS: &[u8] = &[0x1C, 0x1D, 0x1F, 0x7F, b'~', b'*', b'|', b'^', b'>', b':'];
const SUFFIXES: &[&[u8]] = &[b"", b"\r", b"\n", b"\r\n", b" "];

fn syntax() -> impl Strategy<Value = Syntax> {
    let terminators: Vec<u8> = SEPARATORS.iter().copied().chain([b'\n']).collect();
    (select(SEPARATORS), select(SEPARATORS), select(SEPARATORS), select(terminators), any::<bool>(), select(SUFFIXES))
        .prop_filter("distinct delimiters", |(e, c, r, s, _, _)| {
            let all = [*e, *c, *r, *s];
            all.iter().enumerate().all(|(i, a)| all[i + 1..].iter().all(|b| a != b))
        })
        .prop_map(|(element, component, repetition, segment, has_repetition, suffix)| Syntax {
            delimiters: Delimiters { element, repetition: has_repetition.then_some(repetition), component, segment },
            after_segment: suffix.to_vec(),
        })
}

/// Words over an alphabet without any delimiter, single inner spaces only
/// (values are trimmed on read).
fn words(max_words: usize) -> impl Strategy<Value = String> {
    prop::collection::vec("[A-Z0-9][A-Za-z0-9./#-]{0,9}", 1..=max_words).prop_map(|w| w.join(" "))
}

fn code() -> impl Strategy<Value = String> {
    "[A-Z0-9]{2,3}"
}

fn id() -> impl Strategy<Value = String> {
    "[A-Z0-9][A-Z0-9-]{0,11}"
}

fn decimal() -> impl Strategy<Value = Decimal> {
    (0i64..10_000_000, 0u32..4).prop_map(|(m, s)| Decimal::new(m, s))
}

fn date() -> impl Strategy<Value = NaiveDate> {
    (1990i32..2060, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap())
}

fn reference() -> impl Strategy<Value = Reference> {
    (code(), words(3)).prop_map(|(qualifier, value)| Reference { qualifier, value })
}

fn item_id() -> impl Strategy<Value = ItemId> {
    (select(&["BP", "VP", "UP", "EN", "IN", "VN", "SK", "CB", "UA", "ZZ"][..]), id()).prop_map(|(q, value)| ItemId {
        kind: ItemIdKind::from_x12(q),
        qualifier: Some(q.to_string()),
        value,
    })
}

fn charge() -> impl Strategy<Value = Charge> {
    (
        select(&["A", "C", "N"][..]),
        prop::option::of("[A-Z][0-9]{3}"),
        prop::option::of((0i64..1_000_000).prop_map(|c| Decimal::new(c, 2))),
        prop::option::of(decimal()),
        prop::option::of(words(3)),
    )
        .prop_map(|(indicator, code, amount, percent, description)| Charge {
            indicator: indicator.into(),
            code,
            amount,
            percent,
            description,
        })
}

fn line() -> impl Strategy<Value = ParsedLine> {
    (
        prop::option::of("[0-9]{1,4}"),
        prop::collection::vec(item_id(), 1..=5),
        prop::option::of(words(5)),
        decimal(),
        select(&["EA", "CA", "BX", "PCE", "LB", "KI"][..]),
        prop::option::of(decimal()),
        prop::option::of(select(&["PE", "CP", "UM"][..])),
        prop::collection::vec((select(&["002", "010", "037"][..]), date()), 0..=2),
        prop::collection::vec(reference(), 0..=2),
        prop::option::of((1i64..500).prop_map(Decimal::from)),
        prop::collection::vec(charge(), 0..=2),
        prop::collection::vec((id(), (1i64..1000).prop_map(Decimal::from)), 0..=12),
    )
        .prop_map(
            |(line_no, item_ids, description, qty, uom, unit_price, basis, dates, refs, pack, charges, sdq)| {
                ParsedLine {
                    line_no,
                    item_ids,
                    description,
                    qty: Some(qty),
                    uom: Some(uom.into()),
                    unit_price,
                    price_basis: basis.map(String::from),
                    dates: dates.into_iter().map(|(q, date)| QualifiedDate { qualifier: q.into(), date }).collect(),
                    references: refs,
                    pack_size: pack,
                    charges,
                    distribution: sdq.into_iter().map(|(location, qty)| Distribution { location, qty }).collect(),
                    position: Position::default(),
                }
            },
        )
}

fn party() -> impl Strategy<Value = Party> {
    (
        select(&["BY", "ST", "BT", "SU", "VN", "SF", "ZZ"][..]),
        prop::option::of((select(&["92", "1", "ZZ"][..]), id())),
        prop::option::of(words(4)),
        prop::collection::vec(words(4), 0..=3),
        prop::option::of(words(2)),
        prop::option::of("[A-Z]{2}"),
        prop::option::of("[0-9]{5}"),
        prop::option::of("[A-Z]{2,3}"),
        prop::collection::vec(reference(), 0..=2),
    )
        .prop_map(|(code, id, name, address, city, region, postal_code, country, references)| {
            let mut party = Party::new(code);
            party.id = id.map(|(q, value)| PartyId { qualifier: Some(q.into()), value });
            party.name = name;
            party.address = address;
            party.city = city;
            party.region = region;
            party.postal_code = postal_code;
            party.country = country;
            party.references = references;
            party
        })
}

fn order() -> impl Strategy<Value = ParsedOrder> {
    (
        ("[A-Z0-9]{1,15}", "[A-Z0-9]{1,15}", "[0-9]{4,9}"),
        (select(&["00", "05", "01"][..]), select(&["SA", "NE", "DS"][..]), id(), prop::option::of(id())),
        (date(), prop::option::of(date()), prop::option::of(date())),
        (prop::option::of(select(&["USD", "CAD", "EUR"][..])), prop::collection::vec(reference(), 0..=3)),
        (prop::collection::vec(party(), 0..=3), prop::collection::vec(charge(), 0..=2)),
        prop::collection::vec(line(), 1..=20),
        prop::collection::vec(words(6), 0..=2),
    )
        .prop_map(|(ids, beg, dates, header, parties_charges, lines, notes)| {
            let (sender, receiver, control) = ids;
            let (purpose, order_type, po, revision) = beg;
            let (order_date, requested, cancel_after) = dates;
            let mut qualified = Vec::new();
            qualified.extend(requested.map(|date| QualifiedDate { qualifier: "002".into(), date }));
            qualified.extend(cancel_after.map(|date| QualifiedDate { qualifier: "001".into(), date }));
            let requested_date = requested.or_else(|| {
                let wanted = |l: &ParsedLine| {
                    ["002", "010", "037"]
                        .iter()
                        .find_map(|q| l.dates.iter().find(|d| d.qualifier == *q).map(|d| d.date))
                };
                lines.iter().filter_map(wanted).min()
            });
            ParsedOrder {
                sender: Some(PartyId { qualifier: Some("ZZ".into()), value: sender.clone() }),
                receiver: Some(PartyId { qualifier: Some("01".into()), value: receiver }),
                group_sender: Some(sender),
                control_number: Some(control),
                purpose: Some(purpose.into()),
                order_type: Some(order_type.into()),
                po_number: Some(po),
                revision,
                order_date: Some(order_date),
                requested_date,
                dates: qualified,
                currency: header.0.map(String::from),
                references: header.1,
                parties: parties_charges.0,
                charges: parties_charges.1,
                declared_line_count: Some(lines.len() as u32),
                lines,
                notes,
                position: Position::default(),
                diagnostics: Vec::new(),
            }
        })
}

fn without_positions(mut order: ParsedOrder) -> ParsedOrder {
    order.position = Position::default();
    order.lines.iter_mut().for_each(|l| l.position = Position::default());
    order
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn written_850_reads_back_the_same(order in order(), syntax in syntax()) {
        let bytes = write_850(&order, &Envelope::for_order(&order), &syntax).unwrap();
        let doc = parse(&bytes);
        prop_assert!(doc.diagnostics.is_empty(), "{:?}\n{}", doc.diagnostics, String::from_utf8_lossy(&bytes));
        prop_assert_eq!(doc.orders.len(), 1);
        let read = without_positions(doc.orders[0].clone());
        prop_assert_eq!(read, order);
    }
}
