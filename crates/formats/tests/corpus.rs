//! The real-world conformance corpus: every CSV and UBL file is read without
//! a panic, and the orders agree with their EDI twins (values read by eye
//! from the twin files named in each test).

use std::path::PathBuf;
use std::str::FromStr;

use prodline_core::{Decimal, Format, ItemIdKind, NaiveDate, ParsedDocument, ParsedLine, PartyRole};

fn corpus_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/realworld"))
}

fn read(name: &str) -> Vec<u8> {
    let path = corpus_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn parse(name: &str) -> ParsedDocument {
    prodline_formats::parse(&read(name), Some(name))
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// (item id of a kind, qty, uom, unit price) of each line.
fn summary(lines: &[ParsedLine], kind: ItemIdKind) -> Vec<(String, Decimal, Option<String>, Option<Decimal>)> {
    lines
        .iter()
        .map(|l| (l.id(kind).unwrap_or("-").to_string(), l.qty.unwrap_or_default(), l.uom.clone(), l.unit_price))
        .collect()
}

fn files_in(dir: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(corpus_dir().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(|e| e.ok())
        .map(|e| format!("{dir}/{}", e.file_name().to_string_lossy()))
        .collect();
    names.sort();
    names
}

#[test]
fn every_csv_and_ubl_file_is_read_with_orders_and_no_errors() {
    let files: Vec<String> = files_in("csv").into_iter().chain(files_in("ubl_orders")).collect();
    assert_eq!(files.len(), 6, "{files:?}");
    for name in files {
        let bytes = read(&name);
        let doc = prodline_formats::parse(&bytes, Some(&name));
        let expected = if name.ends_with(".xml") { Format::Ubl } else { Format::Csv };
        assert_eq!(doc.format, Some(expected), "{name}");
        // Content alone tells the format too.
        assert_eq!(prodline_formats::detect(&bytes, None), expected, "{name}");
        assert!(!doc.orders.is_empty(), "{name}: no orders");
        assert!(!doc.has_errors(), "{name}: {:?}", doc.diagnostics);
    }
}

/// Twin: x12_850/edifabric__PurchaseOrderCSV.txt (BEG 10000234500, PO1 lines with UP codes).
#[test]
fn edifabric_x12_csv_matches_its_850_twin() {
    let doc = parse("csv/edifabric_x12__PurchaseOrder.csv");
    let [order] = doc.orders.as_slice() else { panic!("{:?}", doc.orders) };
    assert_eq!(order.po_number.as_deref(), Some("10000234500"));
    assert_eq!(order.order_date, Some(date(2017, 5, 20)));
    let ea = Some("EA".to_string());
    let expected = [
        ("555666411", "10", "15"),
        ("555666817", "20", "20"),
        ("555666908", "10", "10"),
        ("555666321", "10", "15"),
        ("555666287", "10", "20"),
        ("555666413", "20", "1"),
    ]
    .map(|(upc, qty, price)| (upc.to_string(), dec(qty), ea.clone(), Some(dec(price))));
    assert_eq!(summary(&order.lines, ItemIdKind::Gtin), expected);
    let line_numbers: Vec<_> = order.lines.iter().filter_map(|l| l.line_no.as_deref()).collect();
    assert_eq!(line_numbers.first(), Some(&"001002003"), "leading zeros kept");
    let buyer = order.party(PartyRole::Buyer).unwrap_or_else(|| panic!("{:?}", order.parties));
    assert_eq!(buyer.name.as_deref(), Some("SHIPTO NAME"));
    assert_eq!(buyer.id.as_ref().map(|i| i.value.as_str()), Some("123456"));
    assert_eq!((buyer.city.as_deref(), buyer.region.as_deref()), (Some("SHIPTOCITY"), Some("OH")));
    assert_eq!(order.lines.first().map(|l| l.position.line), Some(Some(2)));
}

/// Twin: edifact_orders/edifabric__PurchaseOrderCSV.txt (BGM 128576, NAD+BY 123456 KION GROUP AG).
#[test]
fn edifabric_edifact_csv_matches_its_orders_twin() {
    let doc = parse("csv/edifabric_edifact__PurchaseOrder.csv");
    let [order] = doc.orders.as_slice() else { panic!("{:?}", doc.orders) };
    assert_eq!(order.po_number.as_deref(), Some("128576"));
    assert_eq!(order.order_date, Some(date(2002, 8, 30)));
    let expected = [
        ("4000862141404", "48", "PCE", "5"),
        ("4000862141405", "2", "KGM", "55"),
        ("4000862141406", "17", "PCE", "15"),
    ]
    .map(|(ean, qty, uom, price)| (ean.to_string(), dec(qty), Some(uom.to_string()), Some(dec(price))));
    assert_eq!(summary(&order.lines, ItemIdKind::Gtin), expected);
    let buyer = order.party(PartyRole::Buyer).unwrap_or_else(|| panic!("{:?}", order.parties));
    assert_eq!(buyer.name.as_deref(), Some("KION GROUP AG"));
    assert_eq!(buyer.city.as_deref(), Some("Wiesbaden"));
    assert_eq!(buyer.region, None, "the STATE column is empty");
    // BOM + CRLF: the first data row is line 2, the last (no newline) line 4.
    let lines: Vec<_> = order.lines.iter().map(|l| l.position.line).collect();
    assert_eq!(lines, [Some(2), Some(3), Some(4)]);
}

/// Twin: edifact_orders/bots__csvdemo_test.edi — 4 ORDERS messages: BGMREF
/// (4 LIN, EANs ...4002/...5009/...6006/...2206, QTY 1 each, DTM 137 20050819,
/// DTM 2 199708301200), 1-4500094289 (2 LIN 8712345678901, QTY 1),
/// 1-4500094290 (QTY 1) and 1-4500094291 (QTY 9).
#[test]
fn bots_headerless_csv_matches_the_edifact_it_was_made_from() {
    let doc = parse("csv/bots__csvdemo_orders_test.csv");
    let pos: Vec<_> = doc.orders.iter().map(|o| o.po_number.as_deref().unwrap_or("-")).collect();
    assert_eq!(pos, ["BGMREF", "1-4500094289", "1-4500094290", "1-4500094291"]);
    assert_eq!(doc.orders.iter().map(|o| o.lines.len()).sum::<usize>(), 8);
    assert!(doc.diagnostics.iter().any(|d| d.code == "no_header_row"), "{:?}", doc.diagnostics);
    let one = |ean: &str, qty: &str| (ean.to_string(), dec(qty), None, None);
    let first = doc.orders.first().map(|o| summary(&o.lines, ItemIdKind::Gtin));
    assert_eq!(
        first,
        Some(vec![
            one("8712345004002", "1"),
            one("8712345005009", "1"),
            one("8712345006006", "1"),
            one("8712345002206", "1")
        ])
    );
    let last = doc.orders.last().map(|o| summary(&o.lines, ItemIdKind::Gtin));
    assert_eq!(last, Some(vec![one("8712345678901", "9")]));
    for order in &doc.orders {
        assert_eq!(order.order_date, Some(date(2005, 8, 19)), "{:?}", order.po_number);
    }
    assert_eq!(doc.orders.first().and_then(|o| o.requested_date), Some(date(1997, 8, 30)));
    assert_eq!(doc.orders.get(1).and_then(|o| o.requested_date), Some(date(2005, 8, 29)));
    let line_nos: Vec<_> =
        doc.orders.first().map(|o| o.lines.iter().filter_map(|l| l.line_no.clone()).collect()).unwrap_or_default();
    assert_eq!(line_nos, ["1", "2", "3", "4"]);
}

/// The same layout produced by bots from the EDIFACT file parses to the same orders.
#[test]
fn bots_expected_csv_reads_like_the_test_csv() {
    let test = parse("csv/bots__csvdemo_orders_test.csv");
    let expected = parse("expected/bots_csvdemo__edi2csv_expected_1.csv");
    let key = |doc: &ParsedDocument| {
        doc.orders.iter().map(|o| (o.po_number.clone(), summary(&o.lines, ItemIdKind::Gtin))).collect::<Vec<_>>()
    };
    assert_eq!(key(&test), key(&expected));
}

#[test]
fn oca_headerless_two_column_file() {
    let doc = parse("csv/oca__order_file_test1.csv");
    let [order] = doc.orders.as_slice() else { panic!("{:?}", doc.orders) };
    let expected =
        [("PROD_DEL", "2"), ("PROD_DEL02", "1"), ("E-COM11", "5")].map(|(c, q)| (c.to_string(), dec(q), None, None));
    assert_eq!(summary(&order.lines, ItemIdKind::Sku), expected);
    assert!(doc.diagnostics.iter().any(|d| d.code == "no_header_row"));
}

#[test]
fn ubl_2_0_example() {
    let doc = parse("ubl_orders/oca__UBL-Order-2.0-Example.xml");
    let [order] = doc.orders.as_slice() else { panic!("{:?}", doc.orders) };
    assert_eq!(order.po_number.as_deref(), Some("AEG012345"));
    assert_eq!(order.order_date, Some(date(2010, 6, 20)));
    assert_eq!(order.requested_date, Some(date(2005, 6, 29)));
    assert_eq!(order.currency.as_deref(), Some("GBP"), "from currencyID: the 2.0 example has no DocumentCurrencyCode");
    let [line] = order.lines.as_slice() else { panic!("{:?}", order.lines) };
    assert_eq!((line.qty, line.uom.as_deref(), line.unit_price), (Some(dec("100")), Some("KG"), Some(dec("100.00"))));
    assert_eq!(line.id(ItemIdKind::BuyerPart), Some("6578489"));
    assert_eq!(line.id(ItemIdKind::VendorPart), Some("17589683"));
    assert!(line.description.as_deref().is_some_and(|d| d.contains("beeswax")));
    let buyer = order.party(PartyRole::Buyer).unwrap_or_else(|| panic!("{:?}", order.parties));
    assert_eq!(buyer.name.as_deref(), Some("IYT Corporation"));
    assert_eq!((buyer.postal_code.as_deref(), buyer.country.as_deref()), (Some("ZZ99 1ZZ"), Some("GB")));
    assert_eq!(order.party(PartyRole::Supplier).and_then(|p| p.name.as_deref()), Some("Consortial"));
    assert_eq!(order.party(PartyRole::ShipTo).and_then(|p| p.city.as_deref()), Some("Bridgtow"));
}

#[test]
fn ubl_2_1_example() {
    let doc = parse("ubl_orders/oca__UBL-Order-2.1-Example.xml");
    let [order] = doc.orders.as_slice() else { panic!("{:?}", doc.orders) };
    assert_eq!(order.po_number.as_deref(), Some("34"));
    assert_eq!(order.order_date, Some(date(2010, 1, 20)));
    assert_eq!(order.requested_date, Some(date(2010, 2, 10)));
    assert_eq!(order.currency.as_deref(), Some("SEK"));
    let expected = [("SItemNo001", "120", "LTR", "50"), ("SItemNo011", "15", "C62", "15")]
        .map(|(id, qty, uom, price)| (id.to_string(), dec(qty), Some(uom.to_string()), Some(dec(price))));
    assert_eq!(summary(&order.lines, ItemIdKind::VendorPart), expected);
    let gtins: Vec<_> = order.lines.iter().filter_map(|l| l.id(ItemIdKind::Gtin)).collect();
    assert_eq!(gtins, ["1234567890123", "1122334455"]);
    let buyer = order.party(PartyRole::Buyer).unwrap_or_else(|| panic!("{:?}", order.parties));
    let buyer_id = buyer.id.as_ref().map(|i| (i.qualifier.as_deref(), i.value.as_str()));
    assert_eq!(buyer_id, Some((Some("GLN"), "7300070011115")));
    assert_eq!(buyer.name.as_deref(), Some("Johnssons byggvaror"));
    let ship_to = order.party(PartyRole::ShipTo).and_then(|p| p.id.as_ref()).map(|i| i.value.as_str());
    assert_eq!(ship_to, Some("1234567890123"));
    assert_eq!(order.charges.len(), 2);
    assert_eq!(order.lines.first().and_then(|l| l.line_no.as_deref()), Some("1"));
}

#[test]
fn edi_twins_are_detected_as_edi() {
    for (name, format) in [
        ("x12_850/edifabric__PurchaseOrderCSV.txt", Format::X12),
        ("edifact_orders/edifabric__PurchaseOrderCSV.txt", Format::Edifact),
        ("edifact_orders/bots__csvdemo_test.edi", Format::Edifact),
        ("edifact_orders/bots__0T0000000004_junkheader.edi", Format::Edifact),
        ("edifact_orders/edifabric__CorruptUnb.txt", Format::Edifact),
        ("x12_850/edifabric__CorruptIsa.txt", Format::X12),
        ("pdf/oca__so1.pdf", Format::Pdf),
        ("po_images/msai102__Form_1.jpg", Format::Image),
    ] {
        assert_eq!(prodline_formats::detect(&read(name), Some(name)), format, "{name}");
    }
}
