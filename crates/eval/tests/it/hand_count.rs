//! Eleven hand-made documents whose every figure is counted by hand below
//! and asserted exactly.
//!
//! | doc | channel | format | customer | decision | conf | truth orders | matched | correct |
//! | --- | --- | --- | --- | --- | --- | --- | --- | --- |
//! | d1  | edi   | x12   | C1 | auto   | 0.95 | 1 | 1 | yes: exact |
//! | d2  | edi   | x12   | C1 | auto   | 0.92 | 1 | 0 | no: qty 12 for 10, ship_to wrong |
//! | d3  | email | csv   | C2 | auto   | 0.91 | 1 | 1 | yes: price 10.009 for 10.00 is within 0.01 |
//! | d4  | email | csv   | C2 | auto   | 0.93 | 1 | 0 | no: price 10.02 for 10.00 is outside 0.01 |
//! | d5  | email | email | C2 (predicted) | auto | 0.97 | 0 (garbage) | 0 | no: 1 invented order, AUTO |
//! | d6  | edi   | x12   | C1 (predicted) | review | 0.50 | 0 (duplicate of d1) | 0 | no: 1 predicted order |
//! | d7  | edi   | x12   | C3 | review | 0.60 | 2 | 1 | no: PO7A has sku X for D |
//! | d8  | email | email | C1 | review | 0.00 | 1 | 0 | no: nothing read (unsupported format) |
//! | d9  | email | csv   | C2 | review | 0.85 | 1 | 1 | yes: " po9 " and "ca" match "PO9" and "CA" |
//! | d10 | edi   | x12   | C1 | auto   | 1.00 | 2 | 2 | yes: two orders, predicted in reverse order |
//! | d11 | email | text  | unknown | review | 0.10 | 0 (garbage) | 0 | yes: nothing predicted |

use prodline_core::stats::Proportion;
use prodline_core::{Decision, Format, NaiveDate, ReasonCode};
use prodline_eval::{Report, ScoredDocument, score};

use crate::common::{Doc, line, order, reason};

pub fn hand_made() -> Vec<ScoredDocument> {
    let mut d1_truth =
        order("C1", "PO1", vec![line("A", "10", "EA", Some("1.00")), line("B", "5", "EA", Some("2.00"))]);
    d1_truth.requested_date = NaiveDate::from_ymd_opt(2026, 3, 16);
    let mut d2_truth = order("C1", "PO2", vec![line("A", "10", "EA", Some("1.00"))]);
    d2_truth.ship_to = Some("ST-1".into());
    let mut d2_pred = order("C1", "PO2", vec![line("A", "12", "EA", Some("1.00"))]);
    d2_pred.ship_to = Some("ST-9".into());
    let mut d9_pred = order("C2", " po9 ", vec![line("C", "5", "ca", Some("50.00"))]);
    d9_pred.currency = Some("usd".into());
    let d7_a = |sku| order("C3", "PO7A", vec![line(sku, "1", "EA", None)]);
    let d7_b = order("C3", "PO7B", vec![line("E", "2", "EA", Some("3.00"))]);
    let d10_a = order("C1", "PO10A", vec![line("A", "1", "EA", Some("1.00"))]);
    let d10_b = order("C1", "PO10B", vec![line("B", "2", "EA", Some("2.00"))]);
    let doc = |doc, channel, format, decision, confidence| Doc {
        doc,
        channel,
        format,
        decision,
        confidence,
        reasons: vec![],
        predicted: vec![],
        truth: vec![],
        duplicate_of: None,
    };
    vec![
        Doc {
            predicted: vec![d1_truth.clone()],
            truth: vec![d1_truth.clone()],
            ..doc("docs/d1.x12", "edi", Format::X12, Decision::Auto, 0.95)
        },
        Doc {
            predicted: vec![d2_pred],
            truth: vec![d2_truth],
            ..doc("docs/d2.x12", "edi", Format::X12, Decision::Auto, 0.92)
        },
        Doc {
            predicted: vec![order("C2", "PO3", vec![line("C", "100", "EA", Some("10.009"))])],
            truth: vec![order("C2", "PO3", vec![line("C", "100", "EA", Some("10.00"))])],
            ..doc("docs/d3.csv", "email", Format::Csv, Decision::Auto, 0.91)
        },
        Doc {
            predicted: vec![order("C2", "PO4", vec![line("C", "100", "EA", Some("10.02"))])],
            truth: vec![order("C2", "PO4", vec![line("C", "100", "EA", Some("10.00"))])],
            ..doc("docs/d4.csv", "email", Format::Csv, Decision::Auto, 0.93)
        },
        Doc {
            predicted: vec![order("C2", "Q-1", vec![line("C", "1", "EA", None)])],
            ..doc("docs/d5.eml", "email", Format::Email, Decision::Auto, 0.97)
        },
        Doc {
            reasons: vec![reason(ReasonCode::Duplicate)],
            predicted: vec![d1_truth],
            duplicate_of: Some("docs/d1.x12"),
            ..doc("docs/d6.x12", "edi", Format::X12, Decision::Review, 0.5)
        },
        Doc {
            // Two unknown_item reasons count as one document with that code.
            reasons: vec![
                reason(ReasonCode::UnknownItem),
                reason(ReasonCode::UnknownItem),
                reason(ReasonCode::PriceMismatch),
            ],
            predicted: vec![d7_b.clone(), d7_a("X")],
            truth: vec![d7_a("D"), d7_b],
            ..doc("docs/d7.x12", "edi", Format::X12, Decision::Review, 0.6)
        },
        Doc {
            reasons: vec![reason(ReasonCode::UnsupportedFormat)],
            truth: vec![order("C1", "PO8", vec![line("A", "3", "EA", None)])],
            ..doc("docs/d8.eml", "email", Format::Email, Decision::Review, 0.0)
        },
        Doc {
            reasons: vec![reason(ReasonCode::LowConfidence)],
            predicted: vec![d9_pred],
            truth: vec![order("C2", "PO9", vec![line("C", "5", "CA", Some("50.00"))])],
            ..doc("docs/d9.csv", "email", Format::Csv, Decision::Review, 0.85)
        },
        Doc {
            predicted: vec![d10_b.clone(), d10_a.clone()],
            truth: vec![d10_a, d10_b],
            ..doc("docs/d10.x12", "edi", Format::X12, Decision::Auto, 1.0)
        },
        Doc {
            reasons: vec![reason(ReasonCode::NotAnOrder)],
            ..doc("docs/d11.txt", "email", Format::Text, Decision::Review, 0.1)
        },
    ]
    .into_iter()
    .map(Doc::scored)
    .collect()
}

fn counts(p: &Proportion) -> (u64, u64) {
    (p.successes, p.trials)
}

/// (order accuracy, auto precision, stp, document accuracy, auto rate) as
/// (successes, trials) pairs, and the document count.
fn figures(report: &Report, segment: Option<(&str, &str)>) -> (u64, [(u64, u64); 5]) {
    let f = match segment {
        None => &report.overall,
        Some(("channel", k)) => &report.by_channel[k],
        Some(("format", k)) => &report.by_format[k],
        Some((_, k)) => &report.by_customer[k],
    };
    let all = [&f.order_accuracy, &f.auto_precision, &f.stp_rate, &f.document_accuracy, &f.auto_rate];
    (f.documents, all.map(counts))
}

#[test]
fn overall_figures_match_the_hand_count() {
    let report = score(&hand_made());
    // Truth orders: d1 1 + d2 1 + d3 1 + d4 1 + d7 2 + d8 1 + d9 1 + d10 2 = 10.
    // Matched: d1 1, d3 1, d7 1 (PO7B), d9 1, d10 2 = 6.
    // Auto documents d1 d2 d3 d4 d5 d10 = 6 of 11; their predicted orders
    // 1+1+1+1+1+2 = 7, of which matched d1 1 + d3 1 + d10 2 = 4 (d5's invented
    // order counts wrong). STP = those 4 / 10 truth orders.
    // Correct documents: d1 d3 d9 d10 d11 = 5 of 11.
    assert_eq!(figures(&report, None), (11, [(6, 10), (4, 7), (4, 10), (5, 11), (6, 11)]));
    assert_eq!(report.documents, 11);
    assert_eq!((report.decisions.auto, report.decisions.review), (6, 5));
}

#[test]
fn figures_by_channel_match_the_hand_count() {
    let report = score(&hand_made());
    assert_eq!(report.by_channel.keys().collect::<Vec<_>>(), ["edi", "email"]);
    // edi: d1 d2 d6 d7 d10. Truth 1+1+0+2+2 = 6, matched 1+0+0+1+2 = 4.
    // Auto d1 d2 d10: orders 1+1+2 = 4, matched 1+0+2 = 3. Correct d1 d10.
    assert_eq!(figures(&report, Some(("channel", "edi"))), (5, [(4, 6), (3, 4), (3, 6), (2, 5), (3, 5)]));
    // email: d3 d4 d5 d8 d9 d11. Truth 1+1+0+1+1+0 = 4, matched d3 d9 = 2.
    // Auto d3 d4 d5: orders 3, matched d3 = 1. Correct d3 d9 d11.
    assert_eq!(figures(&report, Some(("channel", "email"))), (6, [(2, 4), (1, 3), (1, 4), (3, 6), (3, 6)]));
}

#[test]
fn figures_by_format_match_the_hand_count() {
    let report = score(&hand_made());
    assert_eq!(report.by_format.keys().collect::<Vec<_>>(), ["csv", "email", "text", "x12"]);
    // x12 holds the same documents as edi.
    assert_eq!(figures(&report, Some(("format", "x12"))), (5, [(4, 6), (3, 4), (3, 6), (2, 5), (3, 5)]));
    // csv: d3 d4 d9. Truth 3, matched d3 d9. Auto d3 d4: 2 orders, 1 matched.
    assert_eq!(figures(&report, Some(("format", "csv"))), (3, [(2, 3), (1, 2), (1, 3), (2, 3), (2, 3)]));
    // email: d5 d8. Truth 1 (d8), matched 0. Auto d5: 1 order, wrong.
    assert_eq!(figures(&report, Some(("format", "email"))), (2, [(0, 1), (0, 1), (0, 1), (0, 2), (1, 2)]));
    // text: d11, garbage reviewed with nothing predicted: correct, no orders.
    assert_eq!(figures(&report, Some(("format", "text"))), (1, [(0, 0), (0, 0), (0, 0), (1, 1), (0, 1)]));
    assert_eq!(report.by_format["text"].order_accuracy.rate, None);
}

#[test]
fn figures_by_customer_match_the_hand_count() {
    let report = score(&hand_made());
    assert_eq!(report.by_customer.keys().collect::<Vec<_>>(), ["C1", "C2", "C3", "unknown"]);
    // C1: d1 d2 d6 (predicted C1) d8 d10. Truth 1+1+0+1+2 = 5, matched 1+2 = 3.
    // Auto d1 d2 d10: 4 orders, 3 matched. Correct d1 d10.
    assert_eq!(figures(&report, Some(("customer", "C1"))), (5, [(3, 5), (3, 4), (3, 5), (2, 5), (3, 5)]));
    // C2: d3 d4 d5 (predicted C2) d9. Truth 3, matched d3 d9. Auto d3 d4 d5: 3 orders, 1 matched.
    assert_eq!(figures(&report, Some(("customer", "C2"))), (4, [(2, 3), (1, 3), (1, 3), (2, 4), (3, 4)]));
    // C3: d7 alone, reviewed, one of two orders right.
    assert_eq!(figures(&report, Some(("customer", "C3"))), (1, [(1, 2), (0, 0), (0, 2), (0, 1), (0, 1)]));
    assert_eq!(figures(&report, Some(("customer", "unknown"))), (1, [(0, 0), (0, 0), (0, 0), (1, 1), (0, 1)]));
}

#[test]
fn field_accuracy_matches_the_hand_count() {
    let report = score(&hand_made());
    let f = &report.overall.field_accuracy;
    // Order fields over 10 truth orders: all right except d8's order, which
    // has no predicted partner (d9's " po9 " and "usd" count right).
    for p in [&f.customer_id, &f.customer_po, &f.order_date, &f.currency] {
        assert_eq!(counts(p), (9, 10));
    }
    // Only d1 states a requested date (right), only d2 a ship-to (wrong).
    assert_eq!(counts(&f.requested_date), (1, 1));
    assert_eq!(counts(&f.ship_to), (0, 1));
    // 11 truth lines: d1 2, d2 1, d3 1, d4 1, d7 2, d8 1, d9 1, d10 2.
    // sku: d7's PO7A line pairs by position with X (wrong), d8's has no partner.
    assert_eq!(counts(&f.sku), (9, 11));
    // qty: d2 (12 for 10) and d8 wrong.
    assert_eq!(counts(&f.qty), (9, 11));
    // uom: only d8 wrong ("ca" is CA).
    assert_eq!(counts(&f.uom), (10, 11));
    // unit_price where the truth states one: d1 2, d2 1, d3 1, d4 1, d7 1
    // (PO7B), d9 1, d10 2 = 9; d4's 10.02 is the one wrong.
    assert_eq!(counts(&f.unit_price), (8, 9));
    // By channel: edi qty d1 2 + d2 0/1 + d7 2 + d10 2 = 6/7;
    // email unit_price d3 1/1, d4 0/1, d9 1/1 = 2/3.
    assert_eq!(counts(&report.by_channel["edi"].field_accuracy.qty), (6, 7));
    assert_eq!(counts(&report.by_channel["email"].field_accuracy.unit_price), (2, 3));
}

#[test]
fn garbage_auto_approved_is_reported_prominently() {
    let report = score(&hand_made());
    // Garbage: d5, d6 (duplicate), d11; d5 was auto-approved.
    assert_eq!(report.garbage.documents, 3);
    assert_eq!(report.garbage.duplicates, 1);
    assert_eq!(counts(&report.garbage.auto_approved), (1, 3));
    assert_eq!(report.garbage.auto_approved_docs, ["docs/d5.eml"]);
    assert_eq!(report.auto_wrong_docs, ["docs/d2.x12", "docs/d4.csv", "docs/d5.eml"]);
    let summary = report.summary();
    let first_lines: Vec<&str> = summary.lines().take(2).collect();
    assert!(first_lines[1].starts_with("WARNING: 1 of 3 documents with no order"), "{summary}");
    assert!(first_lines[1].contains("docs/d5.eml"), "{summary}");
}

#[test]
fn reasons_count_documents_per_code() {
    let report = score(&hand_made());
    let reasons: Vec<(&str, u64)> = report.reasons.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(
        reasons,
        [
            ("duplicate", 1),
            ("low_confidence", 1),
            ("not_an_order", 1),
            ("price_mismatch", 1),
            ("unknown_item", 1),
            ("unsupported_format", 1)
        ]
    );
}

#[test]
fn calibration_bins_match_the_hand_count() {
    let report = score(&hand_made());
    let bins: Vec<(usize, u64, u64)> = report
        .calibration
        .iter()
        .enumerate()
        .filter(|(_, b)| b.documents > 0)
        .map(|(i, b)| (i, b.correct.successes, b.documents))
        .collect();
    // 0.0: d8 wrong; 0.1: d11 right; 0.5: d6 wrong; 0.6: d7 wrong; 0.85: d9
    // right; 0.9–1.0 (1.0 included): d1 d2 d3 d4 d5 d10, right d1 d3 d10.
    assert_eq!(bins, [(0, 0, 1), (1, 1, 1), (5, 0, 1), (6, 0, 1), (8, 1, 1), (9, 3, 6)]);
    let top_mean = (0.95 + 0.92 + 0.91 + 0.93 + 0.97 + 1.0) / 6.0;
    let top = &report.calibration[9];
    assert!(top.mean_confidence.is_some_and(|m| (m - top_mean).abs() < 1e-12));
    // ECE = (0 + 0.9 + 0.5 + 0.6 + 0.15 + 6 × |0.5 − top_mean|) / 11.
    let ece = (0.9 + 0.5 + 0.6 + 0.15 + 6.0 * (top_mean - 0.5)) / 11.0;
    assert!(report.expected_calibration_error.is_some_and(|e| (e - ece).abs() < 1e-9), "{report:?}");
}

#[test]
fn report_json_round_trips_with_stable_names() {
    let report = score(&hand_made());
    let json = serde_json::to_value(&report).unwrap_or_default();
    assert_eq!(json["overall"]["order_accuracy"]["successes"], 6);
    assert_eq!(json["by_channel"]["edi"]["auto_precision"]["trials"], 4);
    assert_eq!(json["overall"]["field_accuracy"]["unit_price"]["trials"], 9);
    assert_eq!(json["garbage"]["auto_approved_docs"][0], "docs/d5.eml");
    let back: Report = serde_json::from_value(json).unwrap_or_else(|e| panic!("report JSON reads back: {e}"));
    assert_eq!(counts(&back.by_customer["C2"].auto_precision), (1, 3));
    assert_eq!((back.reasons, back.garbage.auto_approved_docs), (report.reasons, report.garbage.auto_approved_docs));
}

#[test]
fn html_is_self_contained_and_escaped() {
    let mut records = hand_made();
    records[0].channel = "<script>alert(1)</script>".into();
    let html = prodline_eval::render_html(&score(&records));
    assert!(!html.contains("<script"), "text must be escaped");
    assert!(html.contains("&lt;script&gt;"));
    let without_svg_namespace = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!without_svg_namespace.contains("http"), "no links out");
    assert!(!html.contains("src="), "no external assets");
    assert_eq!(html.matches("<svg").count(), 2, "two plots");
    assert!(html.contains("AUTO-APPROVED"));
}
