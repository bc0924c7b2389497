//! Write → parse → equal, for random orders, random delimiters (whose
//! characters also appear in values and must be released), with and without
//! UNA, with and without line wrapping.

use chrono::NaiveDate;
use prodline_core::{
    Charge, Distribution, ItemId, ItemIdKind, ParsedLine, ParsedOrder, Party, PartyId, QualifiedDate, Reference,
};
use prodline_edifact::write::{WriteOptions, write_orders};
use prodline_edifact::{Delimiters, parse};
use proptest::prelude::*;
use proptest::sample::select;
use rust_decimal::Decimal;

/// Punctuation that can serve as a delimiter; values are drawn from it too.
const DELIMITER_POOL: &[u8] = b"+:'?*\"=;|!#~^@&/%$<>()[]{}";

fn text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9 +:'?*\"=;|!#~^@&/%$<>()\\[\\]{}.,éßЖ€-]{1,12}"
        .prop_map(|s| s.trim().to_string())
        .prop_filter("non-blank", |s| !s.is_empty())
}

fn opt<T: std::fmt::Debug>(s: impl Strategy<Value = T>) -> impl Strategy<Value = Option<T>> {
    proptest::option::of(s)
}

fn code(codes: &'static [&'static str]) -> impl Strategy<Value = String> {
    select(codes).prop_map(str::to_string)
}

fn decimal() -> impl Strategy<Value = Decimal> {
    (-1_000_000_000i64..1_000_000_000, 0u32..5).prop_map(|(m, s)| Decimal::new(m, s))
}

fn date() -> impl Strategy<Value = NaiveDate> {
    (0i64..30_000)
        .prop_map(|days| NaiveDate::from_ymd_opt(1990, 1, 1).unwrap_or_default() + chrono::Days::new(days as u64))
}

fn dates(qualifiers: &'static [&'static str]) -> impl Strategy<Value = Vec<QualifiedDate>> {
    proptest::collection::vec(
        (code(qualifiers), date()).prop_map(|(qualifier, date)| QualifiedDate { qualifier, date }),
        0..4,
    )
}

fn references() -> impl Strategy<Value = Vec<Reference>> {
    proptest::collection::vec(
        (code(&["CT", "ON", "BO", "VA", "PD"]), text()).prop_map(|(qualifier, value)| Reference { qualifier, value }),
        0..3,
    )
}

fn party_id() -> impl Strategy<Value = PartyId> {
    (opt(code(&["14", "ZZ", "9", "92"])), text()).prop_map(|(qualifier, value)| PartyId { qualifier, value })
}

fn party() -> impl Strategy<Value = Party> {
    let place = (opt(text()), opt(text()), opt(text()), opt(text()));
    (
        code(&["BY", "DP", "IV", "SU", "ST", "UC"]),
        opt(party_id()),
        opt(text()),
        proptest::collection::vec(text(), 0..4),
        place,
        references(),
    )
        .prop_map(|(code, id, name, address, (city, region, postal_code, country), references)| Party {
            id,
            name,
            address,
            city,
            region,
            postal_code,
            country,
            references,
            ..Party::new(&code)
        })
}

fn charges() -> impl Strategy<Value = Vec<Charge>> {
    let charge = (code(&["A", "C"]), opt(text()), opt(decimal()), opt(decimal()), opt(text())).prop_map(
        |(indicator, code, amount, percent, description)| Charge { indicator, code, amount, percent, description },
    );
    proptest::collection::vec(charge, 0..3)
}

fn item_id() -> impl Strategy<Value = ItemId> {
    (code(&["EN", "SA", "IN", "BP", "SRV", "MF", "ZZ"]), text()).prop_map(|(q, value)| ItemId {
        kind: ItemIdKind::from_edifact(&q),
        qualifier: Some(q),
        value,
    })
}

fn line() -> impl Strategy<Value = ParsedLine> {
    let quantities = (opt((decimal(), opt(code(&["PCE", "KGM", "CT", "EA"])))), opt(decimal()), opt(decimal()));
    let distribution =
        proptest::collection::vec((text(), decimal()).prop_map(|(location, qty)| Distribution { location, qty }), 0..3);
    (
        opt("[0-9]{1,6}"),
        proptest::collection::vec(item_id(), 0..8),
        opt(text()),
        quantities,
        dates(&["2", "64", "171"]),
        references(),
        charges(),
        distribution,
    )
        .prop_map(
            |(
                line_no,
                item_ids,
                description,
                (qty, unit_price, pack_size),
                dates,
                references,
                charges,
                distribution,
            )| {
                ParsedLine {
                    line_no,
                    item_ids,
                    description,
                    qty: qty.as_ref().map(|q| q.0),
                    uom: qty.and_then(|q| q.1),
                    unit_price,
                    pack_size,
                    dates,
                    references,
                    charges,
                    distribution,
                    ..ParsedLine::default()
                }
            },
        )
}

fn order() -> impl Strategy<Value = ParsedOrder> {
    let envelope = (opt(party_id()), opt(party_id()), opt(text()));
    let header =
        (opt(code(&["9", "5", "1", "4"])), opt(code(&["220", "50E", "105"])), opt(text()), opt(code(&["EUR", "GBP"])));
    let body = (
        dates(&["137", "2", "64", "63", "61"]),
        references(),
        proptest::collection::vec(party(), 0..4),
        charges(),
        proptest::collection::vec(line(), 0..5),
        opt(0u32..10_000),
        proptest::collection::vec(text(), 0..3),
    );
    (envelope, header, body).prop_map(
        |((sender, receiver, control_number), (purpose, order_type, po_number, currency), body)| {
            let (dates, references, parties, charges, lines, declared_line_count, notes) = body;
            let first = |q: &str| dates.iter().find(|d| d.qualifier == q).map(|d| d.date);
            ParsedOrder {
                sender,
                receiver,
                control_number,
                purpose,
                order_type,
                po_number,
                order_date: first("137"),
                requested_date: first("2").or_else(|| first("64")).or_else(|| first("63")),
                dates,
                currency,
                references,
                parties,
                charges,
                lines,
                declared_line_count,
                notes,
                ..ParsedOrder::default()
            }
        },
    )
}

fn options() -> impl Strategy<Value = WriteOptions> {
    let custom = (Just(DELIMITER_POOL.to_vec()).prop_shuffle(), any::<bool>(), select(&[b'.', b','][..])).prop_map(
        |(pool, repetition, decimal)| Delimiters {
            component: pool[0],
            element: pool[1],
            release: Some(pool[2]),
            segment: pool[3],
            repetition: repetition.then_some(pool[4]),
            decimal,
        },
    );
    let delimiters = prop_oneof![Just(None), custom.prop_map(Some)];
    (delimiters, opt(4usize..90), any::<bool>()).prop_map(|(delimiters, wrap_at, line_per_segment)| WriteOptions {
        una: delimiters.is_some(),
        delimiters: delimiters.unwrap_or_default(),
        wrap_at,
        line_per_segment,
        ..WriteOptions::default()
    })
}

fn without_positions(mut order: ParsedOrder) -> ParsedOrder {
    order.position = Default::default();
    order.diagnostics.clear();
    for line in &mut order.lines {
        line.position = Default::default();
    }
    order
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn write_then_parse_gives_the_same_order(order in order(), options in options()) {
        let bytes = write_orders(&order, &options).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let doc = parse(&bytes);
        prop_assert!(doc.diagnostics.is_empty(), "{:?}\n{}", doc.diagnostics, String::from_utf8_lossy(&bytes));
        prop_assert_eq!(doc.orders.len(), 1);
        let read = doc.orders.into_iter().next().map(without_positions);
        prop_assert_eq!(read.as_ref(), Some(&order), "{}", String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse(&bytes);
    }

    #[test]
    fn mutated_orders_never_panic(order in order(), cut in 0usize..2000, byte in any::<u8>()) {
        let mut bytes = write_orders(&order, &WriteOptions::default()).unwrap_or_default();
        if let Some(b) = bytes.get_mut(cut) {
            *b = byte;
        }
        let _ = parse(&bytes);
    }
}
