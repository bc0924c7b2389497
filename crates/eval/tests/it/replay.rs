//! Replay hands each truth to the agent only after that document's decision:
//! a cross-reference learnable only from a document's own truth must not
//! resolve that document, and must resolve the next one with the same part.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use prodline_core::{CanonicalLine, CanonicalOrder, Decimal, Decision, Format, ReasonCode};
use prodline_eval::{Agent, Dataset, EvalOptions, Verdict, evaluate, run};
use prodline_extract::Context;

use crate::common::{reason, write_files, write_master, x12_850};

/// A stand-in agent that reads `PART <part> QTY <n>` and knows a part's SKU
/// only once it has been taught it; it logs every call.
struct CrossRefAgent {
    learned: BTreeMap<String, String>,
    log: Rc<RefCell<Vec<String>>>,
}

fn read_part(bytes: &[u8]) -> (String, Decimal) {
    let text = String::from_utf8_lossy(bytes);
    let words: Vec<&str> = text.split_whitespace().collect();
    let part = words.get(1).map(|s| s.to_string()).unwrap_or_default();
    let qty = words.get(3).and_then(|q| q.parse::<i64>().ok()).map(Decimal::from).unwrap_or_default();
    (part, qty)
}

impl Agent for CrossRefAgent {
    /// Its own predicted orders: all it needs to learn from.
    type Decided = Vec<CanonicalOrder>;

    fn decide(&mut self, bytes: &[u8], ctx: &Context) -> (Verdict, Vec<CanonicalOrder>) {
        let name = ctx.file_name.clone().unwrap_or_default();
        self.log.borrow_mut().push(format!("decide {name}"));
        let (part, qty) = read_part(bytes);
        let sku = self.learned.get(&part).cloned();
        let reasons = if sku.is_some() { vec![] } else { vec![reason(ReasonCode::UnknownItem)] };
        let line = CanonicalLine { sku, customer_part: Some(part), qty, uom: Some("EA".into()), ..Default::default() };
        let order = CanonicalOrder {
            customer_id: Some("C1".into()),
            customer_po: Some(name),
            lines: vec![line],
            ..Default::default()
        };
        let verdict = Verdict {
            format: Format::Text,
            scanned: false,
            usage: None,
            decision: if reasons.is_empty() { Decision::Auto } else { Decision::Review },
            confidence: if reasons.is_empty() { 0.95 } else { 0.4 },
            reasons,
            orders: vec![order.clone()],
        };
        (verdict, vec![order])
    }

    fn learn(&mut self, decided: &Vec<CanonicalOrder>, ctx: &Context, truth: &[CanonicalOrder]) {
        let name = ctx.file_name.clone().unwrap_or_default();
        self.log.borrow_mut().push(format!("learn {name} ({} orders decided)", decided.len()));
        for line in truth.iter().flat_map(|o| &o.lines) {
            if let (Some(part), Some(sku)) = (&line.customer_part, &line.sku) {
                self.learned.insert(part.clone(), sku.clone());
            }
        }
    }
}

/// Two documents with the same unknown part; `b.txt` is received first.
fn cross_ref_dataset() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    write_master(&dir.path().join("master"));
    let truth = |po: &str, qty: u32| {
        format!(
            r#"{{"doc":"docs/{po}","orders":[{{"customer_id":"C1","customer_po":"{po}","lines":[{{"sku":"HV-075-BR","customer_part":"ZZ-77","qty":{qty},"uom":"EA"}}]}}]}}"#
        )
    };
    let truth_jsonl = format!("{}\n{}\n", truth("a.txt", 7), truth("b.txt", 5));
    let meta = "{\"doc\":\"docs/a.txt\",\"received_at\":\"2026-03-02T10:00:00Z\"}\n\
                {\"doc\":\"docs/b.txt\",\"received_at\":\"2026-03-02T09:00:00Z\"}\n";
    write_files(
        dir.path(),
        &[
            ("docs/a.txt", "PART ZZ-77 QTY 7"),
            ("docs/b.txt", "PART ZZ-77 QTY 5"),
            ("truth.jsonl", &truth_jsonl),
            ("meta.jsonl", meta),
        ],
    );
    dir
}

fn replay_with(replay: bool) -> (Vec<prodline_eval::ScoredDocument>, Vec<String>) {
    let dir = cross_ref_dataset();
    let dataset = Dataset::load(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut agent = CrossRefAgent { learned: BTreeMap::new(), log: log.clone() };
    let records = evaluate(&dataset, &mut agent, replay, false).unwrap_or_else(|e| panic!("{e}"));
    let log = log.borrow().clone();
    (records, log)
}

#[test]
fn replay_learns_after_each_decision_never_before() {
    let (records, log) = replay_with(true);
    assert_eq!(
        log,
        ["decide b.txt", "learn b.txt (1 orders decided)", "decide a.txt", "learn a.txt (1 orders decided)"]
    );
    // b.txt's part is learnable only from b.txt's own truth: unresolved.
    assert_eq!(records[0].doc, "docs/b.txt");
    assert_eq!(records[0].predicted[0].lines[0].sku, None);
    assert_eq!(records[0].decision, Decision::Review);
    // a.txt comes after the correction: resolved and auto-approved.
    assert_eq!(records[1].doc, "docs/a.txt");
    assert_eq!(records[1].predicted[0].lines[0].sku.as_deref(), Some("HV-075-BR"));
    assert_eq!(records[1].decision, Decision::Auto);
    let report = prodline_eval::score(&records);
    assert_eq!((report.overall.order_accuracy.successes, report.overall.order_accuracy.trials), (1, 2));
}

#[test]
fn without_replay_the_agent_never_learns() {
    let (records, log) = replay_with(false);
    assert_eq!(log, ["decide b.txt", "decide a.txt"]);
    assert!(records.iter().all(|r| r.predicted[0].lines[0].sku.is_none()));
}

/// The same story with the built-in pipeline on X12: the buyer's part
/// ZZ-77 is in no cross-reference, only in the reviewers' truth.
#[test]
fn builtin_pipeline_learns_a_cross_reference_only_after_the_decision() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    write_master(&dir.path().join("master"));
    let doc = |control: u32, po: &str| {
        x12_850("ACMEBUY", control, po, "20260302", &["PO1*1*5*EA*11.85**BP*ZZ-77", "PID*F****SPECIAL ORDER ITEM"])
    };
    let truth = |po: &str| {
        format!(
            r#"{{"doc":"docs/{po}.x12","orders":[{{"customer_id":"C0042","customer_po":"{po}","order_date":"2026-03-02","currency":"USD","lines":[{{"line":1,"sku":"HV-075-BR","customer_part":"ZZ-77","qty":5,"uom":"EA","unit_price":11.85}}]}}]}}"#
        )
    };
    write_files(
        dir.path(),
        &[
            ("docs/PO-1.x12", &doc(1, "PO-1")),
            ("docs/PO-2.x12", &doc(2, "PO-2")),
            ("truth.jsonl", &format!("{}\n{}\n", truth("PO-1"), truth("PO-2"))),
        ],
    );
    let sku_of = |replay: bool| {
        let predictions = dir.path().join(format!("predictions-{replay}.jsonl"));
        let opts = EvalOptions { replay, ..EvalOptions::new(dir.path(), &predictions) };
        let report = run(&opts).unwrap_or_else(|e| panic!("{e}"));
        let text = std::fs::read_to_string(&predictions).unwrap_or_default();
        let skus: Vec<Option<String>> = text
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap_or_default())
            .map(|v| v["orders"][0]["lines"][0]["sku"].as_str().map(String::from))
            .collect();
        (skus, report.overall.order_accuracy.successes)
    };
    let (skus, matched) = sku_of(true);
    assert_eq!(skus, [None, Some("HV-075-BR".to_string())], "replay");
    assert_eq!(matched, 1);
    let (skus, matched) = sku_of(false);
    assert_eq!(skus, [None, None], "no replay");
    assert_eq!(matched, 0);
}
