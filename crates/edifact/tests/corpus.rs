//! The real-world conformance corpus (shared/corpus/realworld, see its
//! MANIFEST.md): every EDIFACT file read without a panic, per-file
//! expectations, families that must agree, and peers' expected output.

use std::path::PathBuf;
use std::str::FromStr;

use prodline_core::{ParsedDocument, ParsedOrder, Severity};
use prodline_edifact::parse;
use rust_decimal::Decimal;

fn corpus() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/realworld"))
}

fn read(relative: &str) -> Vec<u8> {
    let path = corpus().join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("corpus file {} unreadable: {e}", path.display()))
}

fn doc(name: &str) -> ParsedDocument {
    parse(&read(&format!("edifact_orders/{name}")))
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap_or_else(|e| panic!("test decimal {text}: {e}"))
}

fn po_numbers(doc: &ParsedDocument) -> Vec<&str> {
    doc.orders.iter().map(|o| o.po_number.as_deref().unwrap_or("-")).collect()
}

fn line_counts(doc: &ParsedDocument) -> Vec<usize> {
    doc.orders.iter().map(|o| o.lines.len()).collect()
}

fn codes(doc: &ParsedDocument, severity: Severity) -> Vec<&str> {
    doc.diagnostics.iter().filter(|d| d.severity == severity).map(|d| d.code.as_str()).collect()
}

/// Every EDIFACT file in the corpus, plus the bots csv2edi output.
#[test]
fn every_corpus_file_is_read_without_panic_and_yields_orders() {
    let dir = corpus().join("edifact_orders");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    files.push(corpus().join("expected/bots_csvdemo__csv2edi_expected_1.edi"));
    assert!(files.len() >= 19, "corpus has {} EDIFACT files", files.len());
    for path in files {
        let bytes = std::fs::read(&path).unwrap_or_default();
        let doc = parse(&bytes);
        assert!(!doc.orders.is_empty(), "{}: no order read", path.display());
        for d in &doc.diagnostics {
            assert!(!d.position.is_empty(), "{}: diagnostic without position: {d}", path.display());
        }
        // Every prefix too: truncated transfers must not panic either.
        for cut in (0..bytes.len()).step_by(7) {
            let _ = parse(bytes.get(..cut).unwrap_or_default());
        }
    }
}

/// (file, PO numbers, lines per order, error codes, warning codes) as MANIFEST.md describes each file.
#[test]
fn per_file_expectations() {
    type Case =
        (&'static str, &'static [&'static str], &'static [usize], &'static [&'static str], &'static [&'static str]);
    let cases: &[Case] = &[
        ("bots__0T0000000004_junkheader.edi", &["T0000000004-1"], &[1], &[], &["junk_before_interchange"]),
        (
            "bots__csvdemo_test.edi",
            &["BGMREF", "1-4500094289", "1-4500094290", "1-4500094291"],
            &[4, 2, 1, 1],
            &[],
            &[],
        ),
        (
            "bots__order01_3msgs.edi",
            &["ORDT0000000004-1", "ORDT0000000004-2", "ORDT0000000004-3"],
            &[1, 1, 4],
            &[],
            &[],
        ),
        ("bots__orders01_ean008.edi", &["1", "12"], &[4, 1], &[], &[]),
        ("bots__orders96.edi", &["1-4500094289", "1-4500094290"], &[4, 1], &[], &[]),
        (
            "edifabric__CorruptUnb.txt",
            &["128576", "128576"],
            &[1, 1],
            &["no_interchange"],
            &["segment_outside_message"],
        ),
        ("edifabric__MixedTransactionsNoEnvelopes.txt", &["128576"], &[1], &[], &[]),
        ("edifabric__PurchaseOrder.txt", &["128576"], &[1], &[], &[]),
        ("edifabric__PurchaseOrderCSV.txt", &["128576"], &[3], &[], &[]),
        ("edifabric__PurchaseOrderInvalid.txt", &["128576"], &[1], &[], &[]),
        ("edifabric__PurchaseOrders.txt", &["128576", "128576"], &[1, 1], &[], &[]),
        ("oboe__orders.edi", &["0123456789123"], &[3], &[], &["control_reference_mismatch"]),
        (
            "oboe__orders.missingMandatorySegments.edi",
            &["-"],
            &[3],
            &["missing_bgm"],
            &["unt_count_mismatch", "control_reference_mismatch"],
        ),
        ("oboe__orders.newdelimiters.edi", &["0123456789123"], &[3], &[], &["control_reference_mismatch"]),
        (
            "oboe__orders.withbadunbsegment.edi",
            &["0123456789123"],
            &[3],
            &[],
            &["empty_segment", "empty_segment", "empty_segment", "empty_segment", "control_reference_mismatch"],
        ),
        ("oca__Retail_EDIFACT_ORDERS_sample1.txt", &["1AA1TEST"], &[3], &[], &[]),
        ("oca__test_orders_-_no_PRI_segments.txt", &["COM-004017"], &[3], &[], &["unt_count_mismatch"]),
    ];
    for (file, pos, lines, errors, warnings) in cases {
        let doc = doc(file);
        assert_eq!(po_numbers(&doc), *pos, "{file}: PO numbers");
        assert_eq!(line_counts(&doc), *lines, "{file}: lines per order");
        assert_eq!(codes(&doc, Severity::Error), *errors, "{file}: errors {:?}", doc.diagnostics);
        assert_eq!(codes(&doc, Severity::Warning), *warnings, "{file}: warnings {:?}", doc.diagnostics);
    }
}

#[test]
fn sap_file_has_twelve_orders_with_three_decimal_quantities() {
    let doc = doc("bots__sap_inbound_1.edi");
    assert_eq!(doc.orders.len(), 12);
    assert!(doc.diagnostics.is_empty(), "{:?}", doc.diagnostics);
    let first = &doc.orders[0];
    assert_eq!(first.po_number.as_deref(), Some("4200000064"));
    assert_eq!(first.lines[0].qty, Some(dec("13")));
    assert_eq!(first.lines[0].id(prodline_core::ItemIdKind::BuyerPart), Some("10000029"));
    assert_eq!(first.requested_date.map(|d| d.to_string()).as_deref(), Some("2007-10-12"));
}

#[test]
fn junk_header_warning_names_the_offset_of_unb() {
    let doc = doc("bots__0T0000000004_junkheader.edi");
    let warning = &doc.diagnostics[0];
    assert!(warning.message.contains("byte 132"), "{warning}");
}

#[test]
fn corrupt_unb_is_an_error_at_its_byte_and_both_messages_are_read() {
    let doc = doc("edifabric__CorruptUnb.txt");
    let error = doc.errors().next().map(|d| (d.code.as_str(), d.position.byte_offset));
    assert_eq!(error, Some(("no_interchange", Some(3))), "after the 3-byte BOM");
    assert_eq!(doc.orders[1].control_number.as_deref(), Some("000000102"));
}

#[test]
fn bare_messages_without_envelope_are_read_and_the_invoice_skipped() {
    let doc = doc("edifabric__MixedTransactionsNoEnvelopes.txt");
    assert_eq!(doc.skipped.len(), 1);
    assert_eq!(doc.skipped[0].kind, "INVOIC");
    assert_eq!(doc.skipped[0].position.message, Some(2));
    assert_eq!(doc.orders[0].sender, None);
}

#[test]
fn empty_segments_are_warned_with_their_position() {
    let doc = doc("oboe__orders.withbadunbsegment.edi");
    let first = &doc.diagnostics[0];
    assert_eq!((first.position.segment, first.position.byte_offset), (Some(2), Some(81)));
    let order = &doc.orders[0];
    assert_eq!(order.diagnostics.iter().filter(|d| d.code == "empty_segment").count(), 2, "inside the message");
}

#[test]
fn missing_bgm_is_an_error_on_the_order_too() {
    let doc = doc("oboe__orders.missingMandatorySegments.edi");
    let order = &doc.orders[0];
    let codes: Vec<_> = order.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["missing_bgm", "unt_count_mismatch"]);
    assert_eq!(order.diagnostics[0].position.segment_id.as_deref(), Some("UNH"));
}

#[test]
fn oboe_header_parties_prices_and_discounts() {
    let doc = doc("oboe__orders.edi");
    let order = &doc.orders[0];
    assert_eq!(
        order.sender.as_ref().map(|s| (s.value.as_str(), s.qualifier.as_deref())),
        Some(("003897733", Some("01")))
    );
    assert_eq!(order.receiver.as_ref().map(|s| s.value.as_str()), Some("PARTNER ID"));
    assert_eq!(order.order_date.map(|d| d.to_string()).as_deref(), Some("1998-01-06"));
    assert_eq!(order.parties.iter().map(|p| p.code.as_str()).collect::<Vec<_>>(), ["BY", "DP", "SU"]);
    assert_eq!(order.declared_line_count, Some(3));
    let prices: Vec<_> = order.lines.iter().map(|l| l.unit_price).collect();
    assert_eq!(prices, [Some(dec("10.5")), Some(dec("9.25")), Some(dec("30"))]);
    assert_eq!(order.lines[0].charges[0].percent, Some(dec("20")));
    assert_eq!(order.lines[0].item_ids[0].value, "0835201031");
}

/// Same order, other delimiters (no UNA): identical once positions and diagnostics are cleared.
#[test]
fn oboe_family_reads_to_identical_orders() {
    let clear = |mut doc: ParsedDocument| {
        for order in &mut doc.orders {
            strip_positions(order);
        }
        doc.orders
    };
    let plain = clear(doc("oboe__orders.edi"));
    assert_eq!(plain, clear(doc("oboe__orders.newdelimiters.edi")));
    assert_eq!(plain, clear(doc("oboe__orders.withbadunbsegment.edi")));
    let unenveloped = |mut doc: ParsedDocument| {
        for order in &mut doc.orders {
            (order.sender, order.receiver) = (None, None);
        }
        clear(doc)
    };
    assert_eq!(
        unenveloped(doc("edifabric__PurchaseOrder.txt")),
        unenveloped(doc("edifabric__MixedTransactionsNoEnvelopes.txt"))
    );
}

fn strip_positions(order: &mut ParsedOrder) {
    order.position = Default::default();
    order.diagnostics.clear();
    for line in &mut order.lines {
        line.position = Default::default();
    }
}

/// OCA base_edifact test expectations (MANIFEST.md).
#[test]
fn oca_amazon_sample_agrees_with_oca_tests() {
    let doc = doc("oca__Retail_EDIFACT_ORDERS_sample1.txt");
    let order = &doc.orders[0];
    assert_eq!(order.po_number.as_deref(), Some("1AA1TEST"));
    assert_eq!(order.order_date.map(|d| d.to_string()).as_deref(), Some("2023-06-06"));
    assert_eq!(order.currency.as_deref(), Some("EUR"));
    let qty: Vec<_> = order.lines.iter().map(|l| l.qty).collect();
    assert_eq!(qty, [Some(dec("5")), Some(dec("1")), Some(dec("3"))]);
    let prices: Vec<_> = order.lines.iter().map(|l| l.unit_price).collect();
    assert_eq!(prices, [Some(dec("27.5")), Some(dec("10.87")), Some(dec("3.85"))]);
    let gtins: Vec<_> = order.lines.iter().map(|l| l.id(prodline_core::ItemIdKind::Gtin)).collect();
    assert_eq!(gtins, [Some("9783898307529"), Some("9783898307538"), Some("9783898307645")]);
    let invoicee = order.party(prodline_core::PartyRole::BillTo);
    assert_eq!(invoicee.and_then(|p| p.name.as_deref()), Some("AMAZON EU SARL"));
    assert_eq!(
        invoicee.map(|p| (p.city.as_deref(), p.postal_code.as_deref(), p.country.as_deref())),
        Some((Some("Luxembourg"), Some("1855"), Some("LU")))
    );
    assert_eq!(invoicee.map(|p| p.references[0].value.as_str()), Some("LU20260743"));
    assert_eq!(order.references[0].value, "ABCD5");
}

#[test]
fn oca_order_without_prices_agrees_with_oca_tests() {
    let doc = doc("oca__test_orders_-_no_PRI_segments.txt");
    let order = &doc.orders[0];
    assert_eq!(order.po_number.as_deref(), Some("COM-004017"));
    assert_eq!(order.order_date.map(|d| d.to_string()).as_deref(), Some("2023-03-20"));
    assert_eq!(order.requested_date.map(|d| d.to_string()).as_deref(), Some("2023-03-21"));
    assert!(order.lines.iter().all(|l| l.unit_price.is_none()));
    let parts: Vec<_> = order.lines.iter().map(|l| l.id(prodline_core::ItemIdKind::BuyerPart)).collect();
    assert_eq!(parts, [Some("30007"), Some("38812"), Some("30008")]);
    let vendor: Vec<_> = order.lines.iter().map(|l| l.id(prodline_core::ItemIdKind::VendorPart)).collect();
    assert_eq!(vendor, [Some("7076"), Some("7065"), Some("7056")]);
    let by = order.parties.iter().filter(|p| p.code == "BY").nth(1);
    assert_eq!(by.and_then(|p| p.id.as_ref()).and_then(|i| i.qualifier.as_deref()), Some("92"));
    assert_eq!(order.diagnostics[0].message, "UNT says \"267\" segments, the message has 21");
}

/// The texts of every `<tag>` in a bots one-to-one XML, in document order.
fn xml_texts<'a>(xml: &'a str, tag: &str) -> Vec<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    xml.split(open.as_str()).skip(1).filter_map(|rest| rest.split(close.as_str()).next()).collect()
}

/// bots' one-to-one XML of messages 1 and 2 of bots__orders01_ean008.edi.
#[test]
fn bots_xml_of_orders01_agrees() {
    let doc = doc("bots__orders01_ean008.edi");
    for (i, file) in ["1.xml", "2.xml"].into_iter().enumerate() {
        let xml = String::from_utf8_lossy(&read(&format!("expected/bots_edifactorder2xml/{file}"))).into_owned();
        let order = &doc.orders[i];
        assert_eq!(order.control_number.as_deref(), xml_texts(&xml, "_0062").first().copied(), "{file}");
        assert_eq!(order.po_number.as_deref(), xml_texts(&xml, "_1004").first().copied(), "{file}");
        let qualifiers = xml_texts(&xml, "_C507.2005");
        let dates: Vec<String> =
            xml_texts(&xml, "_C507.2380").iter().map(|d| format!("{}-{}-{}", &d[..4], &d[4..6], &d[6..8])).collect();
        let ours: Vec<(String, String)> =
            order.dates.iter().map(|d| (d.qualifier.clone(), d.date.to_string())).collect();
        let theirs: Vec<(String, String)> = qualifiers.iter().map(|q| q.to_string()).zip(dates).collect();
        assert_eq!(ours, theirs, "{file}: dates");
        assert_eq!(order.lines.len(), xml_texts(&xml, "_1082").len(), "{file}: LIN count");
        let items: Vec<&str> = order.lines.iter().flat_map(|l| l.item_ids.iter().map(|i| i.value.as_str())).collect();
        assert_eq!(items, xml_texts(&xml, "_C212.7140"), "{file}: item ids");
        let qty: Vec<Option<Decimal>> = order.lines.iter().map(|l| l.qty).collect();
        let expected: Vec<Option<Decimal>> = xml_texts(&xml, "_C186.6060").iter().map(|q| Some(dec(q))).collect();
        assert_eq!(qty, expected, "{file}: QTY");
        assert_eq!(xml_texts(&xml, "_C509.5118").len(), 0, "{file}: no PRI in the XML");
        assert!(order.lines.iter().all(|l| l.unit_price.is_none()), "{file}: no PRI read");
    }
}

/// EdiFabric's JSON model of edifabric__PurchaseOrder.txt.
#[test]
fn edifabric_json_agrees() {
    let json: serde_json::Value = serde_json::from_slice(&read("expected/edifabric_edifact__PurchaseOrderNs.json"))
        .unwrap_or_else(|e| panic!("expected JSON: {e}"));
    let doc = doc("edifabric__PurchaseOrder.txt");
    let order = &doc.orders[0];
    let text = |v: &serde_json::Value| v.as_str().map(str::to_string);
    assert_eq!(order.po_number, text(&json["BGM"]["Documentmessagenumber_02"]));
    assert_eq!(order.order_type, text(&json["BGM"]["DOCUMENTMESSAGENAME_01"]["Documentmessagenamecoded_01"]));
    assert_eq!(order.purpose, text(&json["BGM"]["Messagefunctioncoded_03"]));
    assert_eq!(
        order.order_date.map(|d| d.format("%Y%m%d").to_string()),
        text(&json["DTM"][0]["DATETIMEPERIOD_01"]["Datetimeperiod_02"])
    );
    assert_eq!(order.currency, text(&json["CUXLoop"][0]["CUX"]["CURRENCYDETAILS_01"]["Currencycoded_02"]));
    let lines = json["LINLoop"].as_array().map(Vec::as_slice).unwrap_or_default();
    assert_eq!(order.lines.len(), lines.len());
    for (ours, theirs) in order.lines.iter().zip(lines) {
        assert_eq!(ours.line_no, text(&theirs["LIN"]["Lineitemnumber_01"]));
        assert_eq!(
            Some(ours.item_ids[0].value.clone()),
            text(&theirs["LIN"]["ITEMNUMBERIDENTIFICATION_03"]["Itemnumber_01"])
        );
        assert_eq!(
            Some(ours.item_ids[1].value.clone()),
            text(&theirs["PIA"][0]["ITEMNUMBERIDENTIFICATION_02"]["Itemnumber_01"])
        );
        let qty = text(&theirs["QTY"][0]["QUANTITYDETAILS_01"]["Quantity_02"]).map(|q| dec(&q));
        assert_eq!(ours.qty, qty);
        let price = &theirs["PRILoop"][0]["PRI"]["PRICEINFORMATION_01"];
        assert_eq!(ours.unit_price, text(&price["Price_02"]).map(|p| dec(&p)));
        assert_eq!(ours.price_basis.as_deref(), Some("AAE 1 KGM"), "basis 1 KGM kept, price not divided");
        let split: Vec<_> = ours.distribution.iter().map(|d| (d.location.as_str(), d.qty)).collect();
        assert_eq!(split, [("3312345502000", dec("24")), ("3312345501003", dec("24"))]);
    }
    let by = &json["NADLoop"][0];
    assert_eq!(
        order.parties[0].id.as_ref().map(|i| i.value.clone()),
        text(&by["NAD"]["PARTYIDENTIFICATIONDETAILS_02"]["Partyididentification_01"])
    );
    assert_eq!(
        Some(order.parties[0].references[0].value.clone()),
        text(&by["RFFLoop"][0]["RFF"]["REFERENCE_01"]["Referencenumber_02"])
    );
    let declared = json["CNT"][0]["CONTROL_01"]["Controlvalue_02"].as_str().and_then(|c| c.parse().ok());
    assert_eq!((order.declared_line_count, declared), (Some(1), Some(1)));
}

/// bots' flat CSV (one row per LIN) of bots__csvdemo_test.edi: column 5 the
/// order number, 26 the line number, 27 the item, 28 a line reference, 30 the quantity.
#[test]
fn bots_csv_of_csvdemo_agrees() {
    let csv = String::from_utf8_lossy(&read("expected/bots_csvdemo__edi2csv_expected_1.csv")).into_owned();
    let rows: Vec<Vec<String>> =
        csv.lines().map(|l| l.split(',').map(|c| c.trim_matches('"').to_string()).collect()).collect();
    let doc = doc("bots__csvdemo_test.edi");
    let ours: Vec<(&ParsedOrder, &prodline_core::ParsedLine)> =
        doc.orders.iter().flat_map(|o| o.lines.iter().map(move |l| (o, l))).collect();
    assert_eq!(ours.len(), rows.len());
    for ((order, line), row) in ours.into_iter().zip(&rows) {
        let col = |i: usize| row.get(i - 1).map(String::as_str).unwrap_or("");
        assert_eq!(order.po_number.as_deref(), Some(col(5)));
        assert_eq!(order.order_date.map(|d| d.format("%Y%m%d").to_string()).as_deref(), Some(col(6)));
        assert_eq!(order.order_type.as_deref(), Some(col(8)));
        assert_eq!(line.line_no.as_deref(), Some(col(26)));
        assert_eq!(line.item_ids[0].value, col(27));
        assert_eq!(line.references.first().map(|r| r.value.as_str()).unwrap_or(""), col(28));
        assert_eq!(line.qty, Some(dec(col(30))));
        let dp = order.parties.iter().find(|p| p.code == "DP").and_then(|p| p.id.as_ref()).map(|i| i.value.as_str());
        assert_eq!(dp.unwrap_or(""), col(11));
        let header_refs: Vec<&str> = order.references.iter().map(|r| r.value.as_str()).collect();
        assert_eq!(
            header_refs.join(","),
            [col(24), col(25)].iter().filter(|c| !c.is_empty()).copied().collect::<Vec<_>>().join(",")
        );
        assert!(line.unit_price.is_none());
    }
}

/// bots' csv2edi output is the same orders as the edi2csv input, so both read alike.
#[test]
fn bots_csv2edi_output_reads_like_its_source() {
    let generated = parse(&read("expected/bots_csvdemo__csv2edi_expected_1.edi"));
    assert!(generated.diagnostics.is_empty(), "{:?}", generated.diagnostics);
    let source = doc("bots__csvdemo_test.edi");
    let summary = |doc: &ParsedDocument| -> Vec<(String, Vec<(String, Decimal)>)> {
        doc.orders
            .iter()
            .map(|o| {
                let lines = o.lines.iter().map(|l| (l.item_ids[0].value.clone(), l.qty.unwrap_or_default())).collect();
                (o.po_number.clone().unwrap_or_default(), lines)
            })
            .collect()
    };
    let generated = summary(&generated);
    assert_eq!(generated[..4], summary(&source)[..], "the fifth message comes from a second CSV");
}
