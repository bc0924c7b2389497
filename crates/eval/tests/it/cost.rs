//! Cost: summed from the usage each document's extractor reported, overall,
//! per document, per auto-posted order, by group and by extractor.

use prodline_core::{Decimal, Usage};
use prodline_eval::{NO_EXTRACTOR, ScoredDocument, cost_report, score, write_predictions};
use serde_json::Value;

use crate::common::dec;
use crate::hand_count::hand_made;

fn usage(extractor: &str, calls: u32, prompt: u64, completion: u64, millis: u64, cost: &str) -> Usage {
    Usage {
        extractor: extractor.into(),
        calls,
        prompt_tokens: prompt,
        completion_tokens: completion,
        millis,
        cost: dec(cost),
    }
}

/// hand_made with usage on three documents: d5 (e-mail, auto, 1 order) and
/// d8 (e-mail, review, read after a retry) by a model, d11 (text) by the
/// built-in extractor at no cost.
fn with_usage() -> Vec<ScoredDocument> {
    let mut records = hand_made();
    for record in &mut records {
        record.usage = match record.doc.as_str() {
            "docs/d5.eml" => Some(usage("openai:small", 1, 1000, 200, 1500, "0.003")),
            "docs/d8.eml" => Some(usage("openai:small", 2, 1800, 100, 4000, "0.002")),
            "docs/d11.txt" => Some(usage("builtin", 0, 0, 0, 3, "0")),
            _ => None,
        };
    }
    records
}

#[test]
fn cost_adds_up_overall_and_per_order() {
    let cost = cost_report(&with_usage());
    let o = &cost.overall;
    assert_eq!((o.documents, o.documents_with_usage), (11, 3));
    assert_eq!((o.calls, o.prompt_tokens, o.completion_tokens, o.millis), (3, 2800, 300, 5503));
    assert_eq!(o.total, dec("0.005"));
    // 0.005 / 11 documents = 0.000454545… → 0.000455.
    assert_eq!(o.per_document, Some(dec("0.000455")));
    // Auto documents d1 d2 d3 d4 d5 d10 posted 7 orders: 0.005 / 7 → 0.000714.
    assert_eq!(o.auto_posted_orders, 7);
    assert_eq!(o.per_auto_posted_order, Some(dec("0.000714")));
}

#[test]
fn cost_by_group_and_by_extractor() {
    let cost = cost_report(&with_usage());
    let email = &cost.by_group["email"];
    assert_eq!((email.documents, email.documents_with_usage, email.total), (2, 2, dec("0.005")));
    assert_eq!(
        (email.per_document, email.auto_posted_orders, email.per_auto_posted_order),
        (Some(dec("0.0025")), 1, Some(dec("0.005")))
    );
    let edi = &cost.by_group["edi"];
    assert_eq!((edi.documents, edi.total, edi.per_document), (5, Decimal::ZERO, Some(Decimal::ZERO)));
    let names: Vec<&str> = cost.by_extractor.keys().map(String::as_str).collect();
    assert_eq!(names, ["builtin", NO_EXTRACTOR, "openai:small"]);
    let model = &cost.by_extractor["openai:small"];
    assert_eq!((model.documents, model.calls, model.total), (2, 3, dec("0.005")));
    assert_eq!(cost.by_extractor[NO_EXTRACTOR].documents, 8);
    assert_eq!(cost.by_extractor["builtin"].per_document, Some(Decimal::ZERO));
    // No documents auto-posted at all: no cost per auto-posted order.
    let reviewed: Vec<_> = with_usage().into_iter().filter(|r| r.doc == "docs/d8.eml").collect();
    assert_eq!(cost_report(&reviewed).overall.per_auto_posted_order, None);
}

#[test]
fn cost_is_in_the_report_summary_and_html() {
    let report = score(&with_usage());
    assert_eq!(report.cost, cost_report(&with_usage()));
    let json = serde_json::to_value(&report).unwrap_or_default();
    assert_eq!(json["cost"]["overall"]["total"].as_f64(), Some(0.005));
    assert_eq!(json["cost"]["by_extractor"]["openai:small"]["calls"], 3);
    let back: prodline_eval::Report = serde_json::from_value(json).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back.cost, report.cost);
    let summary = report.summary();
    assert!(
        summary.contains(
            "  cost: 0.0050 total, 0.0005 per document, 0.0007 per auto-posted order; 3 extractor calls, 2800 prompt + 300 completion tokens, 5.5 s in extractors"
        ),
        "{summary}"
    );
    assert!(summary.contains("openai:small 0.0050 (2 documents, 0.0025 per document)"), "{summary}");
    let html = prodline_eval::render_html(&report);
    assert!(html.contains("<h2>Cost</h2>") && html.contains("extractor openai:small"), "{html}");
    // Without any usage the summary says so instead of printing zeros.
    assert!(score(&hand_made()).summary().contains("  cost: no extractor reported usage"));
}

#[test]
fn predictions_carry_usage_where_there_is_some() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let path = dir.path().join("predictions.jsonl");
    write_predictions(&path, &with_usage()).unwrap_or_else(|e| panic!("{e}"));
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap_or_default()).collect();
    let d5 = lines.iter().find(|l| l["doc"] == "docs/d5.eml").cloned().unwrap_or_default();
    assert_eq!(d5["usage"]["extractor"], "openai:small");
    assert_eq!((d5["usage"]["prompt_tokens"].as_u64(), d5["usage"]["cost"].as_f64()), (Some(1000), Some(0.003)));
    let d1 = lines.iter().find(|l| l["doc"] == "docs/d1.x12").cloned().unwrap_or_default();
    assert!(d1.get("usage").is_none(), "no usage, no key: {d1}");
    assert_eq!(d1["group"], "edi");
}
