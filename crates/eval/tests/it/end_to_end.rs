//! `run` on a tiny dataset written to a temporary folder: master CSVs, four
//! X12 850s (one a duplicate), a plain-text question, truth and meta.

use std::path::Path;

use prodline_eval::{Dataset, EvalError, EvalOptions, Report, run};
use serde_json::Value;

use crate::common::{write_files, write_master, x12_850};

const PO_1_TRUTH: &str = r#"{"customer_id":"C0042","customer_po":"4500012345","order_date":"2026-03-02","requested_date":"2026-03-16","ship_to":"ST-0042-01","currency":"USD","lines":[{"line":1,"sku":"HV-075-BR","customer_part":"88-1200","qty":200,"uom":"EA","unit_price":11.85},{"line":2,"sku":"HV-100-BR","customer_part":"88-1300","qty":50,"uom":"EA","unit_price":14.20}]}"#;
const PO_2_TRUTH: &str = r#"{"customer_id":"C0042","customer_po":"4500012346","order_date":"2026-03-03","currency":"USD","lines":[{"line":1,"sku":"HV-075-BR","customer_part":"88-1200","qty":10,"uom":"EA","unit_price":11.85}]}"#;
const PO_3_TRUTH: &str = r#"{"customer_id":"C0077","customer_po":"BP-7781","order_date":"2026-03-03","currency":"USD","lines":[{"line":1,"sku":"PG-200","customer_part":"G-200","qty":4,"uom":"EA","unit_price":19.00}]}"#;

/// Received order: po-1, po-2, the question, po-3, po-1 again; path order
/// would differ, so the predictions' order shows which one was used.
const REPLAY_ORDER: [&str; 5] = [
    "docs/edi/po-1.x12",
    "docs/edi/po-2.x12",
    "docs/mail/question.txt",
    "docs/edi/po-3.x12",
    "docs/edi/po-1-again.x12",
];

fn write_dataset(root: &Path) {
    write_master(&root.join("master"));
    let po_1 = |control| {
        x12_850(
            "ACMEBUY",
            control,
            "4500012345",
            "20260302",
            &[
                "DTM*002*20260316",
                "N1*ST*Acme Plant 1*92*0001",
                "PO1*1*200*EA*11.85**BP*88-1200",
                "PO1*2*50*EA*14.20**BP*88-1300",
            ],
        )
    };
    let po_2 = x12_850("ACMEBUY", 3, "4500012346", "20260303", &["PO1*1*10*EA*11.85**BP*88-1200"]);
    let po_3 = x12_850("BETAPUMPS", 4, "BP-7781", "20260303", &["PO1*1*4*EA*19.00**BP*G-200"]);
    let truth = format!(
        "{{\"doc\":\"docs/edi/po-1.x12\",\"orders\":[{PO_1_TRUTH}]}}\n\
         {{\"doc\":\"docs/edi/po-2.x12\",\"orders\":[{PO_2_TRUTH}]}}\n\
         \n\
         {{\"doc\":\"docs/edi/po-3.x12\",\"orders\":[{PO_3_TRUTH}]}}\n\
         {{\"doc\":\"docs/mail/question.txt\",\"orders\":[]}}\n\
         {{\"doc\":\"docs/edi/po-1-again.x12\",\"orders\":[],\"duplicate_of\":\"docs/edi/po-1.x12\"}}\n"
    );
    let meta = "{\"doc\":\"docs/edi/po-1.x12\",\"received_at\":\"2026-03-02T09:15:00Z\",\"channel\":\"edi\"}\n\
        {\"doc\":\"docs/edi/po-2.x12\",\"received_at\":\"2026-03-03T08:00:00Z\",\"channel\":\"edi\"}\n\
        {\"doc\":\"docs/mail/question.txt\",\"received_at\":\"2026-03-03T08:30:00Z\",\"channel\":\"email\",\"from\":\"buyer@acme.example\"}\n\
        {\"doc\":\"docs/edi/po-3.x12\",\"received_at\":\"2026-03-03T09:00:00Z\",\"channel\":\"edi\"}\n\
        {\"doc\":\"docs/edi/po-1-again.x12\",\"received_at\":\"2026-03-04T09:15:00Z\",\"channel\":\"edi\"}\n";
    write_files(
        root,
        &[
            ("docs/edi/po-1.x12", &po_1(1)),
            ("docs/edi/po-2.x12", &po_2),
            ("docs/edi/po-3.x12", &po_3),
            ("docs/edi/po-1-again.x12", &po_1(2)),
            ("docs/mail/question.txt", "Hello, could you send us your 2026 catalogue? Thanks, Jo"),
            ("docs/edi/stray.x12", &po_2),
            ("docs/.DS_Store", "junk"),
            ("truth.jsonl", &truth),
            ("meta.jsonl", meta),
        ],
    );
}

fn evaluated() -> (tempfile::TempDir, Report, Vec<Value>) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    write_dataset(dir.path());
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap_or_else(|e| panic!("{e}"));
    let opts = EvalOptions {
        report: Some(out.join("report.json")),
        html: Some(out.join("report.html")),
        ..EvalOptions::new(dir.path(), out.join("predictions.jsonl"))
    };
    let report = run(&opts).unwrap_or_else(|e| panic!("{e}"));
    let text = std::fs::read_to_string(out.join("predictions.jsonl")).unwrap_or_default();
    let lines = text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    (dir, report, lines)
}

#[test]
fn predictions_have_one_spec_line_per_document_in_received_order() {
    let (_dir, _report, lines) = evaluated();
    let docs: Vec<&str> = lines.iter().map(|l| l["doc"].as_str().unwrap_or_default()).collect();
    assert_eq!(docs, REPLAY_ORDER);
    for line in &lines {
        assert!(matches!(line["decision"].as_str(), Some("auto" | "review")), "{line}");
        assert!(line["confidence"].is_number(), "{line}");
        assert!(line["orders"].is_array(), "{line}");
        let reasons = line["reasons"].as_array().cloned().unwrap_or_default();
        assert!(line["reasons"].is_array(), "{line}");
        for reason in reasons {
            assert!(reason["code"].is_string() && reason["message"].is_string(), "{line}");
        }
    }
}

#[test]
fn report_counts_the_tiny_dataset() {
    let (dir, report, _lines) = evaluated();
    let run_info = report.run.clone().unwrap_or_else(|| panic!("run info"));
    assert_eq!((report.documents, run_info.documents_available, run_info.documents_without_truth), (5, 5, 1));
    assert_eq!(report.decisions.auto + report.decisions.review, 5);
    assert_eq!(report.overall.order_accuracy.trials, 3);
    assert_eq!((report.garbage.documents, report.garbage.duplicates), (2, 1));
    assert_eq!(report.garbage.auto_approved.successes, 0, "garbage must never be auto-approved");
    assert_eq!(report.by_channel["edi"].documents, 4);
    assert_eq!(report.by_format["x12"].documents, 4);
    // The file is exactly the report (compared as text: floats do not
    // round-trip bit for bit through serde_json).
    let written = std::fs::read_to_string(dir.path().join("out/report.json")).unwrap_or_default();
    assert_eq!(written, serde_json::to_string_pretty(&report).unwrap_or_default());
    let back: Report = serde_json::from_str(&written).unwrap_or_else(|e| panic!("report.json: {e}"));
    assert_eq!(back.overall.order_accuracy.trials, 3);
    let html = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap_or_default();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<svg"), "{html}");
}

/// Plain text is read now (issue 4): a question is `not_an_order`, not an
/// `unsupported_format`, and goes to review.
#[test]
fn the_question_goes_to_review_as_not_an_order() {
    let (_dir, report, lines) = evaluated();
    let question = &lines[2];
    assert_eq!(question["decision"], "review");
    assert_eq!(question["group"], "text");
    let codes: Vec<&str> =
        question["reasons"].as_array().into_iter().flatten().filter_map(|r| r["code"].as_str()).collect();
    assert!(codes.contains(&"not_an_order"), "{question}");
    assert!(!report.reasons.contains_key("unsupported_format"), "{}", report.summary());
}

/// Needs the X12 reader and the extract pipeline: clean EDI from known
/// customers with cross-referenced parts is read right, and the duplicate
/// is caught.
#[test]
fn the_builtin_pipeline_gets_the_clean_edi_right() {
    let (_dir, report, lines) = evaluated();
    assert_eq!(report.overall.order_accuracy.successes, 3, "{}", report.summary());
    let again = &lines[4];
    assert_eq!(again["decision"], "review");
    let codes: Vec<&str> =
        again["reasons"].as_array().into_iter().flatten().filter_map(|r| r["code"].as_str()).collect();
    assert!(codes.contains(&"duplicate"), "{again}");
}

fn load_error(truth: &str, meta: Option<&str>) -> String {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    write_master(&dir.path().join("master"));
    write_files(dir.path(), &[("docs/a.x12", "ISA"), ("truth.jsonl", truth)]);
    if let Some(meta) = meta {
        write_files(dir.path(), &[("meta.jsonl", meta)]);
    }
    match Dataset::load(dir.path()) {
        Ok(_) => String::from("loaded"),
        Err(e @ EvalError::Line { .. }) => e.to_string().replace(&format!("{}/", dir.path().display()), ""),
        Err(e) => format!("other error: {e}"),
    }
}

#[test]
fn dataset_errors_name_the_file_and_line() {
    let ok = "{\"doc\":\"docs/a.x12\",\"orders\":[]}\n";
    assert_eq!(load_error(ok, None), "loaded");
    let missing = format!("{ok}\n{{\"doc\":\"docs/b.x12\",\"orders\":[]}}\n");
    assert_eq!(load_error(&missing, None), "truth.jsonl:3: \"docs/b.x12\" is not a file under docs/");
    let broken = format!("{ok}{{\"doc\":\"docs/a.x12\",\"orders\":[{{\"lines\":[{{\"qty\":\"many\"}}]}}]}}\n");
    assert!(load_error(&broken, None).starts_with("truth.jsonl:2: "), "{}", load_error(&broken, None));
    let twice = format!("{ok}{ok}");
    assert_eq!(load_error(&twice, None), "truth.jsonl:2: \"docs/a.x12\" already has a truth line (line 1)");
    let bad_time = "{\"doc\":\"docs/a.x12\",\"received_at\":\"soon\"}\n";
    assert_eq!(load_error(ok, Some(bad_time)), "meta.jsonl:1: received_at \"soon\" is not an RFC 3339 time");
}
