//! The real-world conformance corpus (shared/corpus/realworld, see its
//! MANIFEST.md): every X12 file is read without a panic and gives what the
//! manifest says; families give identical orders; peers' expected outputs agree.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use prodline_core::{Decimal, ItemIdKind, NaiveDate, ParsedDocument, ParsedOrder, Position, Severity};
use prodline_x12::parse;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/realworld")
}

fn read(rel: &str) -> ParsedDocument {
    let path = corpus().join(rel);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse(&bytes)
}

fn files_in(dir: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(corpus().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// What MANIFEST.md says a file holds.
struct Expect {
    file: &'static str,
    /// BEG03 of every 850, in file order.
    pos: &'static [&'static str],
    /// PO1 lines over all orders.
    lines: usize,
    /// ST01 of every non-850 set.
    skipped: &'static [&'static str],
    /// A diagnostic code the file must produce (Errors for malformed files).
    finding: Option<(&'static str, Severity)>,
}

const fn e(file: &'static str, pos: &'static [&'static str], lines: usize) -> Expect {
    Expect { file, pos, lines, skipped: &[], finding: None }
}

const THERMA_TRU: &[&str] = &["801104", "PONUM-1234567"];
const DUPLICATE_95018017: &[&str] = &["95018017", "95018017", "95018017", "95018017"];
const THREE_ISA: &[&str] = &["4167427123", "1234567890", "1234567890"];
const W: Severity = Severity::Warning;
const E: Severity = Severity::Error;

const X12_850: &[Expect] = &[
    e("bots__850-004010-01.x12", &["91393058"], 8),
    e("bots__850-004010-02.x12", DUPLICATE_95018017, 4),
    e("bots__850-004010-03.x12", &["0123456789123"], 3),
    Expect { finding: Some(("ctt_count_mismatch", W)), ..e("bots__850-004010-04.x12", &["548177"], 5) },
    e("bots__850-004010-05.x12", THERMA_TRU, 11),
    Expect { finding: Some(("ctt_count_mismatch", W)), ..e("bots__850-004010-06.x12", &["2619003"], 6) },
    e("bots__850-004010-07.x12", THERMA_TRU, 11),
    e("bots__850-004010-07_supplier-variant.x12", THERMA_TRU, 11),
    e("bots__850-004010-08.x12", THERMA_TRU, 11),
    e("bots__850-004010-10.x12", &["3768856", "3769108"], 2),
    e("bots__850-004010-11.x12", &["1234512345"], 1),
    e("bots__850-004010-12.x12", THREE_ISA, 10),
    e("bots__850-004010-18.x12", &["520981"], 2),
    e("bots__850-004010-ascii-lf.x12", &["12345678"], 4),
    e("bots__850-004010-ascii1.x12", &["12345678"], 4),
    e("bots__850-004010.13.x12", &["1234512345"], 1),
    e("bots__850-004010.14.x12", THREE_ISA, 10),
    e("bots__850-004010.15.x12", &["P1234567", "Q1234567", "V1234567", "W1234567"], 19),
    e("bots__850-004010.16.x12", THERMA_TRU, 11),
    e("bots__850-004010.17.x12", DUPLICATE_95018017, 4),
    e("bots__850-004010VICS-01.x12", &["15918851602", "15918861602", "15918871602", "15918881602"], 169),
    e("bots__850-004010VICS-02.x12", &["520981"], 2),
    e("bots__850-004030-01.x12", &["587852"], 2),
    e("bots__850-004030-03.x12", &["520981"], 2),
    e("bots__850_01.x12", &["333333333333"], 1),
    e("ediengine__850.Composite.SLN.OK.edi", &["08292233294"], 2),
    e("ediengine__850.OK.edi", &["08292233294"], 6),
    Expect { finding: Some(("missing_element", W)), ..e("ediengine__850.SyntaxNotes.ERR.edi", &["08292233294"], 6) },
    Expect { finding: Some(("bad_isa", E)), ..e("edifabric__CorruptIsa.txt", &[], 0) },
    Expect { finding: Some(("bad_st", E)), ..e("edifabric__CorruptSt.txt", &["XX-1234"], 1) },
    e("edifabric__PurchaseOrder.txt", &["XX-1234"], 1),
    e("edifabric__PurchaseOrderCSV.txt", &["10000234500"], 6),
    Expect { finding: Some(("se_count_mismatch", W)), ..e("edifabric__PurchaseOrderInvalid.txt", &["XX-1234"], 1) },
    Expect { finding: Some(("isa_not_fixed_width", W)), ..e("edinet__x12.850.edi", &["1000012"], 1) },
    Expect { finding: Some(("missing_terminator", W)), ..e("edinet__x12.850.issue135.edi", &["740150", "740151"], 21) },
    e("nodex12__850.edi", &["08292233294"], 6),
    e("nodex12__850_3.edi", &["----------"], 1),
    e("stedi__README_850_5010_excerpt.edi", &["365465413"], 2),
];

const fn other(file: &'static str, skipped: &'static [&'static str]) -> Expect {
    Expect { file, pos: &[], lines: 0, skipped, finding: None }
}

const X12_OTHER: &[Expect] = &[
    other("bots__810-004010-01.x12", &["810", "810"]),
    other("bots__855-004010UCS-01.x12", &["855"; 6]),
    other("bots__856_1.x12", &["856"]),
    Expect { finding: Some(("isa_not_fixed_width", W)), ..other("edinet__x12.810a.edi", &["810"]) },
    Expect {
        finding: Some(("bad_isa", E)),
        ..other("gtlogistics__inconsistent-element-separator-isa-heading.edi", &[])
    },
    Expect { finding: Some(("se_count_mismatch", W)), ..other("gtlogistics__no-matching-segment-count.edi", &["204"]) },
    Expect { finding: Some(("isa_not_fixed_width", W)), ..other("gtlogistics__trimmed-isa-heading.edi", &[]) },
    other("nodex12__855.edi", &["855"]),
    other("nodex12__856.edi", &["856"]),
    other("stedi__855_5010_inbound.edi", &["855"]),
];

fn check(dir: &str, expect: &Expect) {
    let rel = format!("{dir}/{}", expect.file);
    let doc = read(&rel);
    let pos: Vec<&str> = doc.orders.iter().map(|o| o.po_number.as_deref().unwrap_or("")).collect();
    assert_eq!(pos, expect.pos, "{rel}: PO numbers");
    let lines: usize = doc.orders.iter().map(|o| o.lines.len()).sum();
    assert_eq!(lines, expect.lines, "{rel}: PO1 lines");
    let skipped: Vec<&str> = doc.skipped.iter().map(|s| s.kind.as_str()).collect();
    assert_eq!(skipped, expect.skipped, "{rel}: skipped sets");
    for d in &doc.diagnostics {
        assert!(d.position.byte_offset.is_some(), "{rel}: {d} has no byte offset");
    }
    match expect.finding {
        Some((code, severity)) => {
            let found = doc.diagnostics.iter().find(|d| d.code == code);
            let found = found.unwrap_or_else(|| panic!("{rel}: no {code} in {:?}", doc.diagnostics));
            assert_eq!(found.severity, severity, "{rel}: {found}");
        }
        None => assert!(!doc.has_errors(), "{rel}: unexpected errors {:?}", doc.diagnostics),
    }
    for order in &doc.orders {
        assert!(order.position.segment.is_some(), "{rel}: order without position");
        assert!(order.lines.iter().all(|l| l.position.segment.is_some()), "{rel}: line without position");
    }
}

fn check_dir(dir: &str, table: &[Expect]) {
    let listed: BTreeSet<&str> = table.iter().map(|e| e.file).collect();
    let present = files_in(dir);
    let present: BTreeSet<&str> = present.iter().map(String::as_str).collect();
    assert_eq!(present, listed, "{dir}: every corpus file has an expectation");
    for expect in table {
        check(dir, expect);
    }
}

#[test]
fn every_x12_850_file_reads_as_the_manifest_says() {
    check_dir("x12_850", X12_850);
}

#[test]
fn every_x12_other_file_reads_as_the_manifest_says() {
    check_dir("x12_other", X12_OTHER);
}

#[test]
fn every_bots_supplier_input_reads_without_errors() {
    let dir = "expected/bots_supplier_850/input";
    let files = files_in(dir);
    assert_eq!(files.len(), 17);
    for file in files {
        let doc = read(&format!("{dir}/{file}"));
        assert!(!doc.has_errors(), "{file}: {:?}", doc.diagnostics);
        assert!(!doc.orders.is_empty(), "{file}: no orders");
    }
}

#[test]
fn malformed_files_name_the_position() {
    let corrupt_isa = read("x12_850/edifabric__CorruptIsa.txt");
    let error = corrupt_isa.errors().next().unwrap();
    assert_eq!((error.code.as_str(), error.position.byte_offset), ("bad_isa", Some(3)), "after the BOM");

    let bad_separator = read("x12_other/gtlogistics__inconsistent-element-separator-isa-heading.edi");
    let error = bad_separator.errors().next().unwrap();
    assert_eq!(error.position.byte_offset, Some(0));
    assert!(error.message.contains("element separator"), "{error}");

    let corrupt_st = read("x12_850/edifabric__CorruptSt.txt");
    let error = corrupt_st.errors().next().unwrap();
    assert_eq!((error.position.segment, error.position.segment_id.as_deref()), (Some(3), Some("T")));
    let order = &corrupt_st.orders[0];
    assert_eq!(order.position.segment, Some(18), "the second, valid set is read");
    assert!(order.diagnostics.iter().all(|d| d.severity == Severity::Warning), "{:?}", order.diagnostics);

    let segment_count = read("x12_other/gtlogistics__no-matching-segment-count.edi");
    let warning = &segment_count.diagnostics[0];
    assert_eq!((warning.position.segment, warning.position.message), (Some(4), Some(1)), "{warning}");
}

#[test]
fn envelope_findings_reach_the_order() {
    let nbsp = read("x12_850/edinet__x12.850.edi");
    let codes: Vec<&str> = nbsp.orders[0].diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["isa_not_fixed_width", "control_number_mismatch"], "IEA02 000000001 vs ISA13 000000055");
    assert_eq!(nbsp.orders[0].sender.as_ref().map(|s| s.value.as_str()), Some("000123456"), "NBSP padding trimmed");

    let issue135 = read("x12_850/edinet__x12.850.issue135.edi");
    let missing = issue135.orders[0].diagnostics.iter().find(|d| d.code == "missing_terminator").unwrap();
    assert_eq!(missing.position.segment, Some(23));
    assert_eq!(issue135.orders[0].lines[1].dates.len(), 2, "the unterminated DTM still counts");
    assert_eq!(issue135.orders[0].purpose.as_deref(), Some("05"));
    assert!(issue135.orders[0].is_revision());

    let clean = read("x12_850/bots__850-004010-05.x12");
    assert!(clean.diagnostics.is_empty(), "{:?}", clean.diagnostics);
}

// ---------------------------------------------------------------- families

/// Orders without positions and diagnostics (and without envelope ids when the family was anonymised).
fn comparable(doc: &ParsedDocument, clear_ids: bool) -> Vec<ParsedOrder> {
    doc.orders
        .iter()
        .cloned()
        .map(|mut o| {
            o.position = Position::default();
            o.diagnostics.clear();
            o.lines.iter_mut().for_each(|l| l.position = Position::default());
            if clear_ids {
                o.sender = None;
                o.receiver = None;
                o.group_sender = None;
            }
            o
        })
        .collect()
}

fn same_family(files: &[&str], clear_ids: bool) {
    let first = comparable(&read(files[0]), clear_ids);
    assert!(!first.is_empty());
    for other in &files[1..] {
        assert_eq!(comparable(&read(other), clear_ids), first, "{other} vs {}", files[0]);
    }
}

#[test]
fn therma_tru_family_reads_the_same_in_every_wrapping() {
    // -08 and .16 carry other sender ids (MANIFEST), so ids are not compared.
    same_family(
        &[
            "x12_850/bots__850-004010-05.x12",
            "x12_850/bots__850-004010-07.x12",
            "x12_850/bots__850-004010-07_supplier-variant.x12",
            "x12_850/bots__850-004010-08.x12",
            "x12_850/bots__850-004010.16.x12",
        ],
        true,
    );
    let order = &read("x12_850/bots__850-004010-08.x12").orders[0];
    assert_eq!(order.party(prodline_core::PartyRole::ShipTo).unwrap().name.as_deref(), Some("THERMA TRU INDIANA DOOR"));
}

#[test]
fn lf_terminator_and_tilde_terminator_read_the_same() {
    same_family(&["x12_850/bots__850-004010-ascii-lf.x12", "x12_850/bots__850-004010-ascii1.x12"], false);
}

#[test]
fn three_interchanges_read_the_same_with_tilde_or_cr() {
    // -12 anonymised ISA06 differently from .14, and the source files differ
    // in PO102 of lines 2-4 of the third set (96, 72, 96 in -12; 82, 58, 94 in .14).
    let tilde = comparable(&read("x12_850/bots__850-004010-12.x12"), true);
    let cr = comparable(&read("x12_850/bots__850-004010.14.x12"), true);
    assert_eq!(tilde.len(), 3);
    assert_eq!(tilde[..2], cr[..2]);
    let quantities = |o: &ParsedOrder| o.lines.iter().map(|l| l.qty.unwrap()).collect::<Vec<_>>();
    assert_eq!(quantities(&tilde[2]), [dec("60"), dec("96"), dec("72"), dec("96")]);
    assert_eq!(quantities(&cr[2]), [dec("60"), dec("82"), dec("58"), dec("94")]);
    let without_qty = |mut o: ParsedOrder| {
        o.lines.iter_mut().for_each(|l| l.qty = None);
        o
    };
    assert_eq!(without_qty(tilde[2].clone()), without_qty(cr[2].clone()));
}

#[test]
fn one_line_and_line_per_segment_read_the_same() {
    same_family(&["x12_850/bots__850-004010-02.x12", "x12_850/bots__850-004010.17.x12"], false);
}

// ---------------------------------------------------------------- peers

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s.trim()).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

/// `<tag>value</tag>` occurrences in `xml`, in order.
fn xml_values<'a>(xml: &'a str, tag: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    xml.split(open.as_str()).skip(1).filter_map(|rest| rest.split(close.as_str()).next()).collect()
}

fn xml_value<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    xml_values(xml, tag).into_iter().next()
}

fn has_id(line: &prodline_core::ParsedLine, value: &str, kind: ItemIdKind) -> bool {
    line.item_ids.iter().any(|id| id.value == value && id.kind == kind)
}

fn check_bots_xml(n: usize, xml: &str, order: &ParsedOrder) {
    let at = format!("850_{n}.xml vs order {:?}", order.po_number);
    assert_eq!(order.po_number.as_deref(), xml_value(xml, "docnum"), "{at}");
    assert_eq!(order.order_type.as_deref(), xml_value(xml, "docsrt"), "{at}");
    let docdtm = xml_value(xml, "docdtm").map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap());
    assert_eq!(order.order_date, docdtm, "{at}");
    let xml_lines = xml_values(xml, "line");
    assert_eq!(order.lines.len(), xml_lines.len(), "{at}: line count");
    for (line, xml_line) in order.lines.iter().zip(&xml_lines) {
        let at = format!("{at} line {:?}", line.line_no);
        assert_eq!(line.qty, xml_value(xml_line, "ordqua").map(dec), "{at}");
        assert_eq!(line.uom.as_deref(), xml_value(xml_line, "ordunit"), "{at}");
        if let Some(price) = xml_value(xml_line, "price") {
            assert_eq!(line.unit_price, Some(dec(price)), "{at}");
        }
        if let Some(linenum) = xml_value(xml_line, "linenum") {
            assert_eq!(line.line_no.as_deref(), Some(linenum), "{at}");
        }
        for (tag, kind) in
            [("gtin", ItemIdKind::Gtin), ("byart", ItemIdKind::BuyerPart), ("suart", ItemIdKind::VendorPart)]
        {
            if let Some(value) = xml_value(xml_line, tag) {
                assert!(has_id(line, value, kind), "{at}: {tag} {value} not in {:?}", line.item_ids);
            }
        }
        if let Some(desc) = xml_value(xml_line, "desc") {
            let ours = line.description.as_deref().unwrap_or("");
            assert!(ours.starts_with(desc.trim()), "{at}: description {ours:?} vs {desc:?}");
        }
    }
}

#[test]
fn bots_expected_xml_agrees() {
    // 850_1..36 number the 850 sets of the inputs sorted by file name (MANIFEST).
    let dir = "expected/bots_supplier_850/input";
    let orders: Vec<ParsedOrder> = files_in(dir).iter().flat_map(|f| read(&format!("{dir}/{f}")).orders).collect();
    assert_eq!(orders.len(), 36);
    for (i, order) in orders.iter().enumerate() {
        let n = i + 1;
        let path = corpus().join(format!("expected/bots_supplier_850/expected_xml/850_{n}.xml"));
        let xml = std::fs::read_to_string(&path).unwrap();
        check_bots_xml(n, &xml, order);
    }
}

fn json(rel: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(corpus().join(rel)).unwrap()).unwrap()
}

#[test]
fn node_x12_mapping_result_agrees() {
    // nodex12__850_map_result.json reads nodex12__850.edi.
    let expected = json("expected/nodex12__850_map_result.json");
    let order = &read("x12_850/nodex12__850.edi").orders[0];
    assert_eq!(order.po_number.as_deref(), expected["OrderNumber"].as_str());
    assert_eq!(order.control_number.as_deref(), expected["ControlNumber"].as_str());
    let ship_to = order.party(prodline_core::PartyRole::ShipTo).unwrap();
    assert_eq!(ship_to.name.as_deref(), expected["ShipTo"]["Name"].as_str());
    assert_eq!(ship_to.id.as_ref().map(|i| i.value.as_str()), expected["ShipTo"]["Destination"].as_str());
    assert_eq!(ship_to.address.first().map(String::as_str), expected["ShipTo"]["Address"].as_str());
    assert_eq!(ship_to.city.as_deref(), expected["ShipTo"]["City"].as_str());
    assert_eq!(ship_to.region.as_deref(), expected["ShipTo"]["State"].as_str());
    assert_eq!(ship_to.postal_code.as_deref(), expected["ShipTo"]["Zip"].as_str());
    let quantities: Vec<Decimal> =
        expected["OrderLines"].as_array().unwrap().iter().map(|l| dec(l["Quantity"].as_str().unwrap())).collect();
    let ours: Vec<Decimal> = order.lines.iter().map(|l| l.qty.unwrap()).collect();
    assert_eq!(ours, quantities);
}

#[test]
fn edifabric_json_agrees() {
    // edifabric_x12__PurchaseOrderNs.json is the 850 of edifabric__PurchaseOrder.txt.
    let expected = json("expected/edifabric_x12__PurchaseOrderNs.json");
    let order = &read("x12_850/edifabric__PurchaseOrder.txt").orders[0];
    let beg = &expected["BEG"];
    assert_eq!(order.po_number.as_deref(), beg["PurchaseOrderNumber_03"].as_str());
    assert_eq!(order.order_date, NaiveDate::parse_from_str(beg["Date_05"].as_str().unwrap(), "%Y%m%d").ok());
    let loops = expected["PO1Loop"].as_array().unwrap();
    assert_eq!(order.lines.len(), loops.len());
    for (line, po1loop) in order.lines.iter().zip(loops) {
        let po1 = &po1loop["PO1"];
        assert_eq!(line.qty, po1["QuantityOrdered_02"].as_str().map(dec));
        assert_eq!(line.uom.as_deref(), po1["UnitorBasisforMeasurementCode_03"].as_str());
        assert_eq!(line.unit_price, po1["UnitPrice_04"].as_str().map(dec));
        assert_eq!(line.price_basis.as_deref(), po1["BasisofUnitPriceCode_05"].as_str());
        let ids: Vec<(String, String)> = (6..=24)
            .step_by(2)
            .filter_map(|n| {
                let q = po1[format!("ProductServiceIDQualifier_{n:02}")].as_str()?;
                let v = po1[format!("ProductServiceID_{:02}", n + 1)].as_str()?;
                Some((q.to_string(), v.to_string()))
            })
            .collect();
        let ours: Vec<(String, String)> =
            line.item_ids.iter().map(|i| (i.qualifier.clone().unwrap_or_default(), i.value.clone())).collect();
        assert_eq!(ours, ids);
    }
    // N2 is appended to the N1 name.
    let name = expected["N1Loop"][0]["N1"]["Name_02"].as_str().unwrap();
    let ours = order.party(prodline_core::PartyRole::Buyer).and_then(|p| p.name.as_deref()).unwrap_or("");
    assert_eq!(ours, format!("{name} AIRCRAFT DIVISION"));
}

#[test]
fn stedi_guide_json_agrees() {
    // stedi__850_5010_outbound.json generated stedi__README_850_5010_excerpt.edi.
    let expected = json("expected/stedi__850_5010_outbound.json");
    let order = &read("x12_850/stedi__README_850_5010_excerpt.edi").orders[0];
    let beg = &expected["payload"]["heading"]["beginning_segment_for_purchase_order_BEG"];
    assert_eq!(order.po_number.as_deref(), beg["purchase_order_number_03"].as_str());
    assert_eq!(order.order_date, NaiveDate::parse_from_str(beg["date_05"].as_str().unwrap(), "%Y-%m-%d").ok());
    let loops = expected["payload"]["detail"]["baseline_item_data_PO1_loop"].as_array().unwrap();
    assert_eq!(order.lines.len(), loops.len());
    for (line, po1loop) in order.lines.iter().zip(loops) {
        let po1 = &po1loop["baseline_item_data_PO1"];
        assert_eq!(line.line_no.as_deref(), po1["assigned_identification_01"].as_str());
        assert_eq!(line.qty, po1["quantity_02"].as_str().map(dec), "'0008' is 8");
        assert_eq!(line.uom.as_deref(), po1["unit_or_basis_for_measurement_code_03"].as_str());
        assert_eq!(line.unit_price, po1["unit_price_04"].as_i64().map(Decimal::from));
        for n in [6, 8] {
            let value = po1[format!("product_service_id_{:02}", n + 1)].as_str().unwrap();
            assert!(line.item_ids.iter().any(|i| i.value == value), "{value} in {:?}", line.item_ids);
        }
        let pid = &po1loop["product_item_description_PID_loop"][0]["product_item_description_PID"];
        assert_eq!(line.description.as_deref(), pid["description_05"].as_str());
    }
}

// ---------------------------------------------------------------- hand-written fixtures

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/x12").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn full_850_fixture_maps_every_segment() {
    use prodline_core::PartyRole;
    let doc = parse(&fixture("full_850.edi"));
    assert!(doc.diagnostics.is_empty(), "{:?}", doc.diagnostics);
    let order = &doc.orders[0];
    assert_eq!(
        order.sender.as_ref().map(|s| (s.qualifier.as_deref(), s.value.as_str())),
        Some((Some("ZZ"), "ACMEBUYER"))
    );
    assert_eq!(order.receiver.as_ref().map(|s| s.value.as_str()), Some("5551234567"));
    assert_eq!(order.group_sender.as_deref(), Some("ACMEAPP"));
    assert_eq!(order.control_number.as_deref(), Some("0042"));
    assert_eq!(order.revision.as_deref(), Some("2"));
    assert_eq!(order.order_date, NaiveDate::from_ymd_opt(2026, 3, 2), "6-digit BEG05");
    assert_eq!(order.requested_date, NaiveDate::from_ymd_opt(2026, 3, 16), "002 before 010");
    assert_eq!(order.currency.as_deref(), Some("USD"));
    let refs: Vec<(&str, &str)> = order.references.iter().map(|r| (r.qualifier.as_str(), r.value.as_str())).collect();
    assert_eq!(refs, [("DP", "042")]);
    assert_eq!(order.notes, ["DELIVERY NOTES", "DOCK 4 ONLY", "PLEASE CALL"]);
    assert_eq!(order.charges[0].amount, Some(dec("12.50")), "SAC05 has two implied decimals");
    assert_eq!(order.charges[0].description.as_deref(), Some("FREIGHT"));
    assert_eq!(order.parties.len(), 2, "the N1 inside the PO1 loop is not an order party");
    let buyer = order.party(PartyRole::Buyer).unwrap();
    assert_eq!(buyer.name.as_deref(), Some("ACME MANUFACTURING PURCHASING DEPT"));
    assert_eq!(buyer.address, ["1 MAIN ST", "BUILDING 7"]);
    assert_eq!((buyer.city.as_deref(), buyer.country.as_deref()), (Some("DAYTON"), Some("US")));
    assert_eq!(buyer.references[0].value, "JANE ROE");
    let ship_to = order.party(PartyRole::ShipTo).unwrap();
    assert_eq!(ship_to.id.as_ref().map(|i| i.value.as_str()), Some("ST-0042-01"));
    assert_eq!(ship_to.references[0].value, "GATE B");

    let line = &order.lines[0];
    assert_eq!((line.qty, line.uom.as_deref(), line.unit_price), (Some(dec("200")), Some("EA"), Some(dec("11.85"))));
    assert_eq!(line.price_basis.as_deref(), Some("PE"));
    assert_eq!(line.id(ItemIdKind::BuyerPart), Some("88-1200"));
    assert_eq!(line.id(ItemIdKind::VendorPart), Some("HV-075-BR"));
    assert_eq!(line.id(ItemIdKind::Gtin), Some("012345678905"));
    assert_eq!(line.description.as_deref(), Some("3/4IN BRASS BALL VALVE"));
    assert_eq!(line.pack_size, Some(dec("12")));
    assert_eq!(line.references[0].value, "0001");
    assert_eq!(line.dates[0].date, NaiveDate::from_ymd_opt(2026, 3, 20).unwrap());
    assert_eq!((line.charges[0].amount, line.charges[0].percent), (Some(dec("-5.00")), Some(dec("2.5"))));
    let sdq: Vec<(&str, Decimal)> = line.distribution.iter().map(|d| (d.location.as_str(), d.qty)).collect();
    assert_eq!(sdq, [("STORE1", dec("120")), ("STORE2", dec("80"))]);
    assert_eq!(order.lines[1].qty, Some(dec("5.5")), "leading '+'");
    assert_eq!(order.lines[1].unit_price, Some(dec("0.57")), "no leading zero");
    assert_eq!(order.declared_line_count, Some(2));
}

#[test]
fn ebcdic_850_reads_like_its_ascii_original() {
    let ascii = fixture("full_850.edi");
    let ebcdic = prodline_x12::ebcdic::encode_cp037(&ascii);
    assert_eq!(ebcdic.get(..3), Some(&[0xC9, 0xE2, 0xC1][..]), "ISA in cp037");
    assert_eq!(parse(&ebcdic), parse(&ascii));
}

#[test]
fn bad_numbers_and_dates_are_warnings_with_positions() {
    let text = String::from_utf8(fixture("full_850.edi")).unwrap();
    let broken = text.replace("PO1*2*+5.5*CS", "PO1*2*5,5*CS").replace("DTM*010*20260314", "DTM*010*20261399");
    let doc = parse(broken.as_bytes());
    let order = &doc.orders[0];
    assert_eq!(order.lines[1].qty, None);
    let found: Vec<(&str, Option<usize>)> =
        order.diagnostics.iter().map(|d| (d.code.as_str(), d.position.segment)).collect();
    assert_eq!(found, [("bad_date", Some(7)), ("bad_number", Some(31))]);
}
