//! The public corpus read end to end (issue 4, item 8): on the PDFs and
//! scans of ../shared/corpus/realworld (read in place, never copied),
//! `prodline extract --json` with the built-in text extractor reads the PO
//! number, order date, ship-to and lines a person reads on the page, against
//! the master data in tests/fixtures/corpus_master (SPEC §2).
//!
//! Who the customer is:
//! - Contoso's POs: Contoso Electronics is the buyer (it issues the PO and is
//!   the ship-to); each vendor (Adatum, Fabrikam...) plays "us". The PO is
//!   sent from the requisitioner's printed address, so `--from` is that.
//! - OCA's so1/so2: "YourCompany" is the seller; the customer is the
//!   invoice-and-shipping address (Millennium Industries, Agrolait). No
//!   address of theirs is printed, so there is no `--from`.
//! - The AI-102 forms: the letterhead "Hero Limited" is labelled `Merchant`
//!   in expected/msai102_po_labels, i.e. the seller's side, and the "Shipped
//!   From" company signs the form and promises refunds to "you"; the buyer
//!   is the "Shipped To" company block (labelled `CompanyName`: Higgly
//!   Wiggly Books, Buzz Clothing, Tish's Wishes). No address of theirs is
//!   printed, so there is no `--from`.
//!
//! Items the documents print a code for keep that code as SKU (MM4-4010,
//! [A1090]...); items printed only as a description get an invented SKU
//! with the printed description as alias. Dates are read as printed by the
//! US-format templates (M/D/Y: each template also prints a day above 12).
//!
//! Every miss of every document is collected before the test fails, so
//! one run lists all of them.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

use prodline_core::Decimal;
use serde_json::Value;
use support::corpus;

fn master() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus_master")
}

/// An order date the document prints in a day/month order it does not settle.
const AMBIGUOUS: &str = "";

/// What a person reads on one order document of the corpus.
struct Readable {
    /// Path relative to the corpus root.
    doc: &'static str,
    /// The sender, where the document prints one of the buyer's addresses.
    from: Option<&'static str>,
    customer: &'static str,
    po: &'static str,
    order_date: &'static str,
    ship_to: &'static str,
    /// (sku, qty, unit price) in the order printed.
    lines: &'static [(&'static str, &'static str, &'static str)],
}

const DOCUMENTS: &[Readable] = &[
    Readable {
        doc: "pdf/oca__so1.pdf",
        from: None,
        customer: "C-MILLENNIUM",
        po: "SO004",
        order_date: "2017-01-23",
        ship_to: "ST-MILLENNIUM-LON",
        lines: &[
            ("SVC-ONDEMAND", "16", "75.00"),
            ("WEBCAM", "10", "45.00"),
            ("SPK-MM", "3", "150.00"),
            ("SW-24P", "2", "70.00"),
        ],
    },
    Readable {
        doc: "pdf/oca__so2.pdf",
        from: None,
        customer: "C-AGROLAIT",
        po: "SO008",
        // 04/06/2017: this document alone cannot tell April 6th from June 4th
        // (no day above 12 anywhere in it), so the date is left empty and
        // flagged `ambiguous_date`, as issue 4 asks; a person would ask too.
        order_date: AMBIGUOUS,
        ship_to: "ST-AGROLAIT-WAV",
        lines: &[("A1090", "1", "1799.00"), ("ADPT", "1", "18.00"), ("DC", "1", "40.00")],
    },
    Readable {
        doc: "pdf/pnp__Contoso-PO-Adatum-Adel.pdf",
        from: Some("AdelV@Contoso.com"),
        customer: "C-CONTOSO",
        po: "190122",
        order_date: "2019-07-27",
        ship_to: "ST-CONTOSO-ISS",
        lines: &[("MM4-4010", "89", "62.00"), ("SH-L2216", "11", "22.00")],
    },
    Readable {
        doc: "pdf/pnp__Contoso-PO-Adatum-Grady.pdf",
        from: Some("GradyA@Contoso.com"),
        customer: "C-CONTOSO",
        po: "190324",
        order_date: "2019-08-29",
        ship_to: "ST-CONTOSO-ISS",
        lines: &[("MM5-1121", "35", "89.00"), ("TH-S0155", "4", "55.00")],
    },
    Readable {
        doc: "pdf/pnp__Contoso-PO-Adatum-Johanna.pdf",
        from: Some("JohannaL@Contoso.com"),
        customer: "C-CONTOSO",
        po: "190200",
        order_date: "2019-08-01",
        ship_to: "ST-CONTOSO-ISS",
        lines: &[("MM32-006", "12", "121.00"), ("TH-S0003", "5", "48.00")],
    },
    Readable {
        doc: "pdf/pnp__Contoso-PO-Fabrikam-Adel.pdf",
        from: Some("AdelV@Contoso.com"),
        customer: "C-CONTOSO",
        po: "190434",
        order_date: "2019-09-25",
        ship_to: "ST-CONTOSO-ISS",
        lines: &[("GB45-555", "28", "67.00"), ("CBG-BS452", "15", "45.00"), ("CP-00043", "30", "22")],
    },
    Readable {
        doc: "pdf/pnp__Contoso-PO-Fabrikam-Christie.pdf",
        from: Some("ChristieC@Contoso.com"),
        customer: "C-CONTOSO",
        po: "190555",
        order_date: "2019-10-04",
        ship_to: "ST-CONTOSO-ISS",
        lines: &[("GB3-1022", "24", "123.00"), ("CBG-BS306", "8", "65.00"), ("CP-00111", "25", "17")],
    },
    Readable {
        doc: "pdf/pnp__Contoso-PO-Fabrikam-Lee.pdf",
        from: Some("LeeG@Contoso.com"),
        customer: "C-CONTOSO",
        po: "190220",
        order_date: "2019-08-19",
        ship_to: "ST-CONTOSO-ISS",
        lines: &[("GB45-555", "28", "67.00"), ("CBG-BS452", "15", "45.00"), ("CP-00043", "30", "22")],
    },
    Readable {
        doc: "pdf/pnp__Contoso-PO-Relecloud-Isaiah.pdf",
        from: Some("IsaiahL@Contoso.com"),
        customer: "C-CONTOSO",
        po: "190189",
        order_date: "2019-08-18",
        ship_to: "ST-CONTOSO-ISS",
        lines: &[("LA-10004", "66", "15.00"), ("LAR-1004", "66", "18.00"), ("SS2-1001", "58", "4.00")],
    },
    Readable {
        doc: "pdf/pnp__Contoso-PO-Relecloud-Johanna.pdf",
        from: Some("JohannaL@Contoso.com"),
        customer: "C-CONTOSO",
        po: "190195",
        order_date: "2019-08-12",
        ship_to: "ST-CONTOSO-ISS",
        lines: &[("LA-10002", "100", "8.00"), ("LAR-1007", "100", "13.00"), ("SS1-1005", "112", "3.00")],
    },
    Readable {
        doc: "pdf/pnp__Contoso-PO-VanArsdel-Irvin.pdf",
        from: Some("IrvinS@Contoso.com"),
        customer: "C-CONTOSO",
        po: "190403",
        order_date: "2019-09-21",
        ship_to: "ST-CONTOSO-ISS",
        // One item number printed on three lines (Sub1..Sub3), each its own price.
        lines: &[
            ("APA-M011", "12", "215.00"),
            ("APA-S118", "12", "388.00"),
            ("APA-S118", "15", "164.00"),
            ("APA-S118", "12", "11.00"),
        ],
    },
    Readable {
        doc: "po_images/msai102__Form_1.jpg",
        from: None,
        customer: "C-HIGGLY",
        po: "948284",
        order_date: "2020-12-20",
        ship_to: "ST-HIGGLY-BC",
        lines: &[
            ("BK-BIND", "20", "1.00"),
            ("BK-COVER-S", "20", "1.00"),
            ("BK-FEATHER", "20", "5.00"),
            ("BK-COPPER", "20", "5.00"),
        ],
    },
    Readable {
        doc: "po_images/msai102__Form_2.jpg",
        from: None,
        customer: "C-BUZZ",
        po: "942448",
        order_date: "2020-02-20",
        ship_to: "ST-BUZZ-DEN",
        lines: &[
            ("KC-CROW", "10", "10.00"),
            ("KC-BATMAN", "10", "10.00"),
            ("KC-SKULL", "10", "10.00"),
            ("KC-MOOSE", "10", "10.00"),
            ("KC-SODAPOP", "10", "10.00"),
        ],
    },
    Readable {
        doc: "po_images/msai102__Form_3.jpg",
        from: None,
        customer: "C-TISH",
        po: "9328424",
        order_date: "2020-02-10",
        ship_to: "ST-TISH-SEA",
        lines: &[
            ("PT-FAVOR-PU", "20", "5.00"),
            ("PT-HAT-BL", "20", "5.00"),
            ("PT-CLOTH-WH", "20", "5.00"),
            ("PT-MARACA-WH", "20", "5.00"),
        ],
    },
];

/// `prodline extract --json` on one corpus document; a failed run or output
/// that is not JSON fails the test naming the document.
fn extract(rel: &str, from: Option<&str>) -> Value {
    let mut command = Command::new(env!("CARGO_BIN_EXE_prodline"));
    command.arg("extract").arg(corpus().join(rel)).arg("--master").arg(master()).arg("--json");
    if let Some(from) = from {
        command.arg("--from").arg(from);
    }
    let out = command.output().unwrap_or_else(|e| panic!("running prodline extract {rel}: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "prodline extract {rel} exited {}: {stderr}", out.status);
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{rel}: extract --json printed no JSON ({e}): {stdout}"))
}

/// A JSON number or string as a decimal, compared numerically (62 = 62.00).
fn decimal(value: &Value) -> Option<Decimal> {
    match value {
        Value::Number(n) => Decimal::from_str(&n.to_string()).ok(),
        Value::String(s) => Decimal::from_str(s).ok(),
        _ => None,
    }
}

/// The review reasons of an extract result, as "code: message".
fn reasons(got: &Value) -> Vec<String> {
    let reasons = got["reasons"].as_array().map(Vec::as_slice).unwrap_or_default();
    reasons
        .iter()
        .map(|r| format!("{}: {}", r["code"].as_str().unwrap_or("-"), r["message"].as_str().unwrap_or("-")))
        .collect()
}

/// Every field of `expected` the extractor got wrong, one line each:
/// "document: field: expected X, got Y".
fn misses(expected: &Readable, got: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut miss = |field: &str, want: &str, have: &Value| {
        out.push(format!("{}: {field}: expected {want}, got {have}", expected.doc));
    };
    let orders = got["orders"].as_array().map(Vec::as_slice).unwrap_or_default();
    let [order] = orders else {
        // The reasons say why, e.g. "pdftotext is not installed (run scripts/ocr.sh)".
        let got = format!("{} (reasons: {})", orders.len(), reasons(got).join("; "));
        miss("orders", "1 order", &Value::from(got));
        return out;
    };
    let text_fields = [
        ("customer_id", expected.customer),
        ("customer_po", expected.po),
        ("order_date", expected.order_date),
        ("ship_to", expected.ship_to),
    ];
    for (field, want) in text_fields {
        if want == AMBIGUOUS {
            let flagged = reasons(got).iter().any(|r| r.contains("ambiguous_date"));
            if !order[field].is_null() || !flagged {
                miss(field, "empty and flagged ambiguous_date", &order[field]);
            }
            continue;
        }
        if order[field].as_str() != Some(want) {
            miss(field, want, &order[field]);
        }
    }
    let lines = order["lines"].as_array().map(Vec::as_slice).unwrap_or_default();
    if lines.len() != expected.lines.len() {
        miss("lines", &format!("{} lines", expected.lines.len()), &Value::from(lines.len()));
    }
    for (i, ((sku, qty, price), line)) in expected.lines.iter().zip(lines).enumerate() {
        let n = i + 1;
        if line["sku"].as_str() != Some(sku) {
            miss(&format!("line {n} sku"), sku, &line["sku"]);
        }
        if decimal(&line["qty"]) != Decimal::from_str(qty).ok() {
            miss(&format!("line {n} qty"), qty, &line["qty"]);
        }
        if decimal(&line["unit_price"]) != Decimal::from_str(price).ok() {
            miss(&format!("line {n} unit_price"), price, &line["unit_price"]);
        }
    }
    out
}

#[test]
fn corpus_pdfs_and_scans_read_to_what_a_person_reads() {
    let mut all = Vec::new();
    for expected in DOCUMENTS {
        all.extend(misses(expected, &extract(expected.doc, expected.from)));
    }
    assert!(
        all.is_empty(),
        "{} field(s) read wrong over {} documents:\n{}",
        all.len(),
        DOCUMENTS.len(),
        all.join("\n")
    );
}

#[test]
fn every_corpus_pdf_and_scan_has_an_expectation() {
    let root = corpus();
    let mut unlisted = Vec::new();
    for dir in ["pdf", "po_images"] {
        let entries = std::fs::read_dir(root.join(dir)).unwrap_or_else(|e| panic!("{}/{dir}: {e}", root.display()));
        for entry in entries.flatten() {
            let rel = format!("{dir}/{}", entry.file_name().to_string_lossy());
            if rel != TRADE_CONFIRMATION && !DOCUMENTS.iter().any(|d| d.doc == rel) {
                unlisted.push(rel);
            }
        }
    }
    assert!(unlisted.is_empty(), "corpus documents without an expectation: {unlisted:#?}");
}

/// The NEGATIVE control of the Syntex training set: not an order.
const TRADE_CONFIRMATION: &str = "pdf/pnp__NEGATIVE_TradeConfirmation125865.pdf";

#[test]
fn the_trade_confirmation_is_not_an_order_and_not_auto_approved() {
    let got = extract(TRADE_CONFIRMATION, None);
    let orders = got["orders"].as_array().map_or(0, Vec::len);
    assert_eq!(orders, 0, "{TRADE_CONFIRMATION}: a trade confirmation read as {orders} order(s): {got:#}");
    assert_ne!(got["decision"], "auto", "{TRADE_CONFIRMATION}: auto-approved: {got:#}");
    let reasons = reasons(&got);
    assert!(
        reasons.iter().any(|r| r.starts_with("not_an_order:")),
        "{TRADE_CONFIRMATION}: reasons lack not_an_order: {reasons:#?}"
    );
}
