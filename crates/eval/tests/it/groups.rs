//! Figures by group (`prodline_core::Group`): the format, with anything OCR
//! read counted as a scan; the Wilson lower bound of auto precision spelled
//! out in the summary, the JSON and the HTML.

use prodline_core::stats::Proportion;
use prodline_core::{Decision, Format, Group};
use prodline_eval::{EvalOptions, Report, Verdict, run, score};
use serde_json::Value;

use crate::common::{write_files, write_master, x12_850};
use crate::hand_count::hand_made;

fn counts(p: &Proportion) -> (u64, u64) {
    (p.successes, p.trials)
}

/// (documents, [order accuracy, auto precision, stp]) of one group.
fn group(report: &Report, name: &str) -> (u64, [(u64, u64); 3]) {
    let f = &report.by_group[name];
    (f.documents, [counts(&f.order_accuracy), counts(&f.auto_precision), counts(&f.stp_rate)])
}

#[test]
fn figures_by_group_match_the_hand_count() {
    let report = score(&hand_made());
    // The five groups of the issue are always there; text because d11 is.
    assert_eq!(report.by_group.keys().collect::<Vec<_>>(), ["edi", "email", "pdf", "scan", "spreadsheet", "text"]);
    // edi: the x12 documents d1 d2 d6 d7 d10 (see hand_count's table).
    assert_eq!(group(&report, "edi"), (5, [(4, 6), (3, 4), (3, 6)]));
    // spreadsheet: the csv documents d3 d4 d9.
    assert_eq!(group(&report, "spreadsheet"), (3, [(2, 3), (1, 2), (1, 3)]));
    // email: d5 (garbage, auto) and d8 (unread).
    assert_eq!(group(&report, "email"), (2, [(0, 1), (0, 1), (0, 1)]));
    assert_eq!(group(&report, "text"), (1, [(0, 0), (0, 0), (0, 0)]));
    // No PDF and no scan in this set: present, empty, and saying so.
    for empty in ["pdf", "scan"] {
        assert_eq!(group(&report, empty), (0, [(0, 0), (0, 0), (0, 0)]));
        assert_eq!(report.by_group[empty].stp_rate.rate, None);
    }
    // Groups partition the documents.
    let total: u64 = report.by_group.values().map(|f| f.documents).sum();
    assert_eq!(total, report.documents);
}

fn verdict(format: Format, scanned: bool) -> Verdict {
    Verdict {
        format,
        scanned,
        decision: Decision::Review,
        confidence: 0.0,
        reasons: vec![],
        orders: vec![],
        usage: None,
    }
}

#[test]
fn a_pdf_read_by_ocr_is_a_scan() {
    assert_eq!(verdict(Format::Pdf, true).group(), Group::Scan);
    assert_eq!(verdict(Format::Pdf, false).group(), Group::Pdf);
    assert_eq!(verdict(Format::Image, false).group(), Group::Scan);
    assert_eq!(
        verdict(Format::Email, true).group(),
        Group::Email,
        "OCR of an attachment does not make an e-mail a scan"
    );
}

#[test]
fn the_lower_bound_of_auto_precision_is_stated() {
    let report = score(&hand_made());
    // Auto precision 4 of 7: Wilson 25.0–84.2 %.
    let p = report.overall.auto_precision;
    assert_eq!(counts(&p), (4, 7));
    assert_eq!(report.auto_precision_lower_bound, Some(p.low));
    assert!((p.low - 0.2504).abs() < 1e-3, "{p:?}");
    let summary = report.summary();
    let line = summary.lines().find(|l| l.trim_start().starts_with("auto precision")).unwrap_or_default();
    assert_eq!(line, "  auto precision     57.1 % (4/7, 95 % Wilson 25.0–84.2 %, lower bound 25.0 %)", "{summary}");
    let json = serde_json::to_value(&report).unwrap_or_default();
    assert_eq!(json["auto_precision_lower_bound"].as_f64(), Some(p.low));
    let html = prodline_eval::render_html(&report);
    assert!(html.contains("<strong>lower bound 25.0&nbsp;%</strong>"), "{html}");
    // Nothing auto-approved: no bound at all rather than a bound of 0.
    let reviewed: Vec<_> = hand_made().into_iter().filter(|r| r.decision == Decision::Review).collect();
    assert_eq!(score(&reviewed).auto_precision_lower_bound, None);
}

#[test]
fn the_summary_has_a_by_group_table() {
    let summary = score(&hand_made()).summary();
    let lines: Vec<&str> = summary.lines().collect();
    let start = lines.iter().position(|l| *l == "  by group:").unwrap_or_else(|| panic!("{summary}"));
    let header = lines.get(start + 1).copied().unwrap_or_default();
    for column in ["group", "docs", "order accuracy", "auto precision [95 % Wilson]", "straight-through"] {
        assert!(header.contains(column), "{header}");
    }
    let row = |name: &str| {
        lines[start + 2..].iter().find(|l| l.split_whitespace().next() == Some(name)).copied().unwrap_or_default()
    };
    let edi: Vec<&str> = row("edi").split_whitespace().collect();
    // edi  5  66.7 % (4/6)  75.0 % (3/4) [30.1–95.4]  50.0 % (3/6)
    assert_eq!(edi.get(1), Some(&"5"), "{summary}");
    assert!(row("edi").contains("66.7 % (4/6)") && row("edi").contains("75.0 % (3/4) [30.1–95.4]"), "{summary}");
    assert!(row("edi").trim_end().ends_with("50.0 % (3/6)"), "{summary}");
    assert!(row("scan").contains("n/a"), "{summary}");
    let html = prodline_eval::render_html(&score(&hand_made()));
    assert!(html.contains("<h2>By group</h2>") && html.contains("group spreadsheet"), "by-group table and plot row");
}

/// One X12, one CSV and one plain-text document through `run`: each lands
/// in its group, in the report and in the predictions.
#[test]
fn run_reports_each_document_under_its_group() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let root = dir.path();
    write_master(&root.join("master"));
    let x12 = x12_850("ACMEBUY", 1, "4500012345", "20260302", &["PO1*1*200*EA*11.85**BP*88-1200"]);
    let truth = r#"{"customer_id":"C0042","customer_po":"4500012345","lines":[{"sku":"HV-075-BR","qty":200,"uom":"EA","unit_price":11.85}]}"#;
    write_files(
        root,
        &[
            ("docs/po.x12", &x12),
            ("docs/po.csv", "PO,Item,Qty\nB1,G-200,4\n"),
            ("docs/note.txt", "Hello, are you open on Friday? Jo"),
            (
                "truth.jsonl",
                &format!(
                    "{{\"doc\":\"docs/po.x12\",\"orders\":[{truth}]}}\n\
                     {{\"doc\":\"docs/po.csv\",\"orders\":[{{\"customer_id\":\"C0077\",\"customer_po\":\"B1\",\"lines\":[{{\"sku\":\"PG-200\",\"qty\":4,\"uom\":\"EA\"}}]}}]}}\n\
                     {{\"doc\":\"docs/note.txt\",\"orders\":[]}}\n"
                ),
            ),
            ("meta.jsonl", "{\"doc\":\"docs/po.csv\",\"from\":\"buyer@beta.example\",\"channel\":\"email\"}\n"),
        ],
    );
    let predictions = root.join("predictions.jsonl");
    let report = run(&EvalOptions::new(root, &predictions)).unwrap_or_else(|e| panic!("{e}"));
    let docs = |name: &str| report.by_group.get(name).map(|f| f.documents);
    assert_eq!((docs("edi"), docs("spreadsheet"), docs("text")), (Some(1), Some(1), Some(1)));
    assert_eq!((docs("email"), docs("pdf"), docs("scan")), (Some(0), Some(0), Some(0)));
    assert_eq!(report.garbage.auto_approved.successes, 0, "the question is never auto-approved");
    let text = std::fs::read_to_string(&predictions).unwrap_or_default();
    let groups: Vec<(String, String)> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_default())
        .map(|v| {
            (v["doc"].as_str().unwrap_or_default().to_string(), v["group"].as_str().unwrap_or_default().to_string())
        })
        .collect();
    let expected = [("docs/note.txt", "text"), ("docs/po.csv", "spreadsheet"), ("docs/po.x12", "edi")];
    assert_eq!(groups, expected.map(|(d, g)| (d.to_string(), g.to_string())));
    let run_info = report.run.clone().unwrap_or_else(|| panic!("run info"));
    assert_eq!((run_info.extractor.as_str(), run_info.challenger, run_info.curated), ("builtin", None, false));
}
