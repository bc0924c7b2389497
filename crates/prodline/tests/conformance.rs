//! Conformance over the real-world corpus (../shared/corpus/realworld, read
//! in place, never copied): every order document is read by `prodline parse`
//! (PDFs and images: to their text, which holds the printed PO number), or
//! rejected with a message that names the file and a position; documents of
//! one family read to the same orders across formats. tests/corpus_text.rs
//! reads the orders in the PDFs and images against master data.

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use support::corpus;

/// What `prodline parse` must do with a file.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Read: exit 0, this many orders.
    Orders(usize),
    /// Read: exit 0, no orders, this many non-order sets or messages skipped.
    Skipped(usize),
    /// Rejected: exit non-zero, a message naming the file and a position.
    Rejected,
    /// A document without a structure of its own (PDF, image): exit 0, and
    /// the text the extractors read (`--json`: the DocumentText) holds this
    /// PO number as printed.
    Text(&'static str),
    /// Such a document that holds no order (the trade confirmation): exit 0
    /// and some text read.
    TextOnly,
}

use Expect::*;

/// Every order document of the corpus, by path relative to its root.
const FILES: &[(&str, Expect)] = &[
    ("csv/bots__csvdemo_orders_test.csv", Orders(4)),
    ("csv/edifabric_edifact__PurchaseOrder.csv", Orders(1)),
    ("csv/edifabric_x12__PurchaseOrder.csv", Orders(1)),
    ("csv/oca__order_file_test1.csv", Orders(1)),
    ("edifact_orders/bots__0T0000000004_junkheader.edi", Orders(1)),
    ("edifact_orders/bots__csvdemo_test.edi", Orders(4)),
    ("edifact_orders/bots__order01_3msgs.edi", Orders(3)),
    ("edifact_orders/bots__orders01_ean008.edi", Orders(2)),
    ("edifact_orders/bots__orders96.edi", Orders(2)),
    ("edifact_orders/bots__sap_inbound_1.edi", Orders(12)),
    ("edifact_orders/edifabric__CorruptUnb.txt", Rejected),
    ("edifact_orders/edifabric__MixedTransactionsNoEnvelopes.txt", Orders(1)),
    ("edifact_orders/edifabric__PurchaseOrder.txt", Orders(1)),
    ("edifact_orders/edifabric__PurchaseOrderCSV.txt", Orders(1)),
    ("edifact_orders/edifabric__PurchaseOrderInvalid.txt", Orders(1)),
    ("edifact_orders/edifabric__PurchaseOrders.txt", Orders(2)),
    ("edifact_orders/oboe__orders.edi", Orders(1)),
    ("edifact_orders/oboe__orders.missingMandatorySegments.edi", Rejected),
    ("edifact_orders/oboe__orders.newdelimiters.edi", Orders(1)),
    ("edifact_orders/oboe__orders.withbadunbsegment.edi", Orders(1)),
    ("edifact_orders/oca__Retail_EDIFACT_ORDERS_sample1.txt", Orders(1)),
    ("edifact_orders/oca__test_orders_-_no_PRI_segments.txt", Orders(1)),
    ("expected/bots_csvdemo__csv2edi_expected_1.edi", Orders(5)),
    ("expected/bots_csvdemo__edi2csv_expected_1.csv", Orders(4)),
    ("expected/bots_supplier_850/input/850-004010-01.x12", Orders(1)),
    ("expected/bots_supplier_850/input/850-004010-02.x12", Orders(4)),
    ("expected/bots_supplier_850/input/850-004010-04.x12", Orders(1)),
    ("expected/bots_supplier_850/input/850-004010-05.x12", Orders(2)),
    ("expected/bots_supplier_850/input/850-004010-06.x12", Orders(1)),
    ("expected/bots_supplier_850/input/850-004010-07.x12", Orders(2)),
    ("expected/bots_supplier_850/input/850-004010-10.x12", Orders(2)),
    ("expected/bots_supplier_850/input/850-004010-11.x12", Orders(1)),
    ("expected/bots_supplier_850/input/850-004010-12.x12", Orders(3)),
    ("expected/bots_supplier_850/input/850-004010-18.x12", Orders(1)),
    ("expected/bots_supplier_850/input/850-004010.13.x12", Orders(1)),
    ("expected/bots_supplier_850/input/850-004010.14.x12", Orders(3)),
    ("expected/bots_supplier_850/input/850-004010.17.x12", Orders(4)),
    ("expected/bots_supplier_850/input/850-004010VICS-01.x12", Orders(4)),
    ("expected/bots_supplier_850/input/850-004010VICS-02.x12", Orders(1)),
    ("expected/bots_supplier_850/input/850-02.x12", Orders(4)),
    ("expected/bots_supplier_850/input/850_01.x12", Orders(1)),
    ("pdf/oca__so1.pdf", Text("SO004")),
    ("pdf/oca__so2.pdf", Text("SO008")),
    ("pdf/pnp__Contoso-PO-Adatum-Adel.pdf", Text("190122")),
    ("pdf/pnp__Contoso-PO-Adatum-Grady.pdf", Text("190324")),
    ("pdf/pnp__Contoso-PO-Adatum-Johanna.pdf", Text("190200")),
    ("pdf/pnp__Contoso-PO-Fabrikam-Adel.pdf", Text("190434")),
    ("pdf/pnp__Contoso-PO-Fabrikam-Christie.pdf", Text("190555")),
    ("pdf/pnp__Contoso-PO-Fabrikam-Lee.pdf", Text("190220")),
    ("pdf/pnp__Contoso-PO-Relecloud-Isaiah.pdf", Text("190189")),
    ("pdf/pnp__Contoso-PO-Relecloud-Johanna.pdf", Text("190195")),
    ("pdf/pnp__Contoso-PO-VanArsdel-Irvin.pdf", Text("190403")),
    ("pdf/pnp__NEGATIVE_TradeConfirmation125865.pdf", TextOnly),
    ("po_images/msai102__Form_1.jpg", Text("948284")),
    ("po_images/msai102__Form_2.jpg", Text("942448")),
    ("po_images/msai102__Form_3.jpg", Text("9328424")),
    ("ubl_orders/oca__UBL-Order-2.0-Example.xml", Orders(1)),
    ("ubl_orders/oca__UBL-Order-2.1-Example.xml", Orders(1)),
    ("x12_850/bots__850-004010-01.x12", Orders(1)),
    ("x12_850/bots__850-004010-02.x12", Orders(4)),
    ("x12_850/bots__850-004010-03.x12", Orders(1)),
    ("x12_850/bots__850-004010-04.x12", Orders(1)),
    ("x12_850/bots__850-004010-05.x12", Orders(2)),
    ("x12_850/bots__850-004010-06.x12", Orders(1)),
    ("x12_850/bots__850-004010-07.x12", Orders(2)),
    ("x12_850/bots__850-004010-07_supplier-variant.x12", Orders(2)),
    ("x12_850/bots__850-004010-08.x12", Orders(2)),
    ("x12_850/bots__850-004010-10.x12", Orders(2)),
    ("x12_850/bots__850-004010-11.x12", Orders(1)),
    ("x12_850/bots__850-004010-12.x12", Orders(3)),
    ("x12_850/bots__850-004010-18.x12", Orders(1)),
    ("x12_850/bots__850-004010-ascii-lf.x12", Orders(1)),
    ("x12_850/bots__850-004010-ascii1.x12", Orders(1)),
    ("x12_850/bots__850-004010.13.x12", Orders(1)),
    ("x12_850/bots__850-004010.14.x12", Orders(3)),
    ("x12_850/bots__850-004010.15.x12", Orders(4)),
    ("x12_850/bots__850-004010.16.x12", Orders(2)),
    ("x12_850/bots__850-004010.17.x12", Orders(4)),
    ("x12_850/bots__850-004010VICS-01.x12", Orders(4)),
    ("x12_850/bots__850-004010VICS-02.x12", Orders(1)),
    ("x12_850/bots__850-004030-01.x12", Orders(1)),
    ("x12_850/bots__850-004030-03.x12", Orders(1)),
    ("x12_850/bots__850_01.x12", Orders(1)),
    ("x12_850/ediengine__850.Composite.SLN.OK.edi", Orders(1)),
    ("x12_850/ediengine__850.OK.edi", Orders(1)),
    ("x12_850/ediengine__850.SyntaxNotes.ERR.edi", Orders(1)),
    ("x12_850/edifabric__CorruptIsa.txt", Rejected),
    ("x12_850/edifabric__CorruptSt.txt", Rejected),
    ("x12_850/edifabric__PurchaseOrder.txt", Orders(1)),
    ("x12_850/edifabric__PurchaseOrderCSV.txt", Orders(1)),
    ("x12_850/edifabric__PurchaseOrderInvalid.txt", Orders(1)),
    ("x12_850/edinet__x12.850.edi", Orders(1)),
    ("x12_850/edinet__x12.850.issue135.edi", Orders(2)),
    ("x12_850/nodex12__850.edi", Orders(1)),
    ("x12_850/nodex12__850_3.edi", Orders(1)),
    ("x12_850/stedi__README_850_5010_excerpt.edi", Orders(1)),
    ("x12_other/bots__810-004010-01.x12", Skipped(2)),
    ("x12_other/bots__855-004010UCS-01.x12", Skipped(6)),
    ("x12_other/bots__856_1.x12", Skipped(1)),
    ("x12_other/edinet__x12.810a.edi", Skipped(1)),
    ("x12_other/gtlogistics__inconsistent-element-separator-isa-heading.edi", Rejected),
    ("x12_other/gtlogistics__no-matching-segment-count.edi", Skipped(1)),
    ("x12_other/gtlogistics__trimmed-isa-heading.edi", Skipped(0)),
    ("x12_other/nodex12__855.edi", Skipped(1)),
    ("x12_other/nodex12__856.edi", Skipped(1)),
    ("x12_other/stedi__855_5010_inbound.edi", Skipped(1)),
];

struct Parsed {
    ok: bool,
    json: Value,
    stderr: String,
}

fn parse(path: &Path) -> Parsed {
    let out = Command::new(env!("CARGO_BIN_EXE_prodline"))
        .arg("parse")
        .arg("--json")
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("running prodline parse {}: {e}", path.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    // stderr says why, e.g. "pdftotext is not installed (run scripts/ocr.sh)".
    let json = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{}: parse --json printed no JSON ({e}): {stdout}\n{stderr}", path.display()));
    Parsed { ok: out.status.success(), json, stderr }
}

/// Order documents in the corpus: everything but the peers' expected outputs
/// (which are JSON/XML/YAML renderings, not documents), plus the inputs and
/// EDI/CSV files kept under expected/.
fn order_documents(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.retain(|p| {
        p != "MANIFEST.md"
            && (!p.starts_with("expected/") || p.contains("/input/") || p.ends_with(".edi") || p.ends_with(".csv"))
    });
    out.sort();
    out
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(root, &path, out);
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.to_string_lossy().into_owned());
        }
    }
}

#[test]
fn every_corpus_document_is_listed() {
    let root = corpus();
    let listed: Vec<&str> = FILES.iter().map(|(p, _)| *p).collect();
    let missing: Vec<String> = order_documents(&root).into_iter().filter(|p| !listed.contains(&p.as_str())).collect();
    assert!(missing.is_empty(), "corpus documents without an expectation: {missing:#?}");
}

#[test]
fn every_corpus_document_is_read_or_rejected_with_a_position() {
    let root = corpus();
    let mut failures = Vec::new();
    for (rel, expect) in FILES {
        let path = root.join(rel);
        let parsed = parse(&path);
        let orders = parsed.json["orders"].as_array().map_or(0, Vec::len);
        let skipped = parsed.json["skipped"].as_array().map_or(0, Vec::len);
        let problem = match expect {
            Orders(n) if !parsed.ok || orders != *n => {
                Some(format!("expected {n} orders and exit 0, got {orders}, ok={}", parsed.ok))
            }
            Skipped(n) if !parsed.ok || orders != 0 || skipped != *n => {
                Some(format!("expected {n} skipped sets, got {skipped} (orders {orders}), ok={}", parsed.ok))
            }
            Rejected if parsed.ok => Some("expected a non-zero exit".to_string()),
            Rejected if !names_file_and_position(&parsed.stderr, rel) => {
                Some(format!("the error does not name the file and a position: {}", parsed.stderr))
            }
            Text(_) | TextOnly if !parsed.ok => Some(format!("expected the text read and exit 0: {}", parsed.stderr)),
            Text(po) if !page_text(&parsed.json).contains(po) => {
                Some(format!("the text read does not hold PO {po}: {:?}", page_text(&parsed.json)))
            }
            TextOnly if page_text(&parsed.json).trim().is_empty() => Some("no text read".to_string()),
            _ => None,
        };
        if let Some(problem) = problem {
            failures.push(format!("{rel}: {problem}"));
        }
    }
    assert!(failures.is_empty(), "{} of {} files:\n{}", failures.len(), FILES.len(), failures.join("\n"));
}

/// The pages of a `parse --json` DocumentText, joined; empty for anything else.
fn page_text(json: &Value) -> String {
    json["pages"]
        .as_array()
        .map(|pages| pages.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("\n"))
        .unwrap_or_default()
}

fn names_file_and_position(stderr: &str, rel: &str) -> bool {
    let file_name = rel.rsplit('/').next().unwrap_or(rel);
    stderr.lines().any(|l| {
        l.contains(file_name)
            && l.contains("error")
            && (l.contains("byte ") || l.contains("line ") || l.contains("segment "))
    })
}

/// One order reduced to what must agree across formats: PO number, order
/// date, and each line's quantity, unit (as a SPEC §1 code), price and GTIN.
fn essence(order: &Value) -> String {
    let mut lines: Vec<String> = order["lines"]
        .as_array()
        .map(|ls| {
            ls.iter()
                .map(|l| {
                    let gtin = l["item_ids"]
                        .as_array()
                        .and_then(|ids| ids.iter().find(|i| i["kind"] == "gtin"))
                        .and_then(|i| i["value"].as_str())
                        .map(|v| v.trim_start_matches('0').to_string())
                        .unwrap_or_default();
                    let uom = l["uom"].as_str().and_then(prodline_core::units::normalize_uom).unwrap_or_default();
                    format!("{gtin} qty={} {uom} price={}", l["qty"], l["unit_price"])
                })
                .collect()
        })
        .unwrap_or_default();
    lines.sort();
    format!("PO {} of {}: {}", order["po_number"], order["order_date"], lines.join(" | "))
}

fn essences(root: &Path, rel: &str) -> Vec<String> {
    let parsed = parse(&root.join(rel));
    let mut out: Vec<String> =
        parsed.json["orders"].as_array().map(|os| os.iter().map(essence).collect()).unwrap_or_default();
    out.sort();
    out
}

#[test]
fn one_order_in_several_formats_reads_the_same() {
    let root = corpus();
    let families: &[&[&str]] = &[
        &["csv/edifabric_x12__PurchaseOrder.csv", "x12_850/edifabric__PurchaseOrderCSV.txt"],
        &["csv/edifabric_edifact__PurchaseOrder.csv", "edifact_orders/edifabric__PurchaseOrderCSV.txt"],
        &["csv/bots__csvdemo_orders_test.csv", "expected/bots_csvdemo__edi2csv_expected_1.csv"],
    ];
    for family in families {
        let first = essences(&root, family[0]);
        assert!(!first.is_empty(), "{}: no orders", family[0]);
        for other in &family[1..] {
            assert_eq!(essences(&root, other), first, "{other} reads differently from {}", family[0]);
        }
    }
}
