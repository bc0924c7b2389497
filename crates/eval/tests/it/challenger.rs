//! `--challenger`: a second extractor decides every document in shadow,
//! with its own memory; both are scored and compared.

use std::cell::RefCell;
use std::rc::Rc;

use prodline_core::{CanonicalLine, CanonicalOrder, Decimal, Decision, Format};
use prodline_eval::{
    Agent, Dataset, EvalOptions, Verdict, agreement, challenger_predictions_path, evaluate_shadow, run, score_shadow,
};
use prodline_extract::{Context, Extractors};

use crate::common::{write_files, write_master, x12_850};

/// Reads `PO <po> QTY <n>`; with `misread`, takes a 7 for a 1 as a poor
/// OCR would (and calls the document a scan). Learns nothing but logs
/// every call under its name.
struct LineReader {
    name: &'static str,
    misread: bool,
    log: Rc<RefCell<Vec<String>>>,
}

impl LineReader {
    fn read(&self, bytes: &[u8]) -> CanonicalOrder {
        let text = String::from_utf8_lossy(bytes);
        let words: Vec<&str> = text.split_whitespace().collect();
        let po = words.get(1).map(|s| s.to_string());
        let mut qty = words.get(3).cloned().unwrap_or_default().to_string();
        if self.misread {
            qty = qty.replace('1', "7");
        }
        let qty = qty.parse::<i64>().map(Decimal::from).unwrap_or_default();
        let line = CanonicalLine { sku: Some("HV-075-BR".into()), qty, uom: Some("EA".into()), ..Default::default() };
        CanonicalOrder { customer_id: Some("C0042".into()), customer_po: po, lines: vec![line], ..Default::default() }
    }
}

impl Agent for LineReader {
    type Decided = String;

    fn decide(&mut self, bytes: &[u8], ctx: &Context) -> (Verdict, String) {
        let name = ctx.file_name.clone().unwrap_or_default();
        self.log.borrow_mut().push(format!("{} decides {name}", self.name));
        let order = self.read(bytes);
        let verdict = Verdict {
            // The challenger takes every document for a scanned PDF.
            format: if self.misread { Format::Pdf } else { Format::Text },
            scanned: self.misread,
            decision: if self.misread { Decision::Review } else { Decision::Auto },
            confidence: 0.9,
            reasons: vec![],
            orders: vec![order],
            usage: None,
        };
        (verdict, format!("{} decided {name}", self.name))
    }

    fn learn(&mut self, decided: &String, ctx: &Context, _truth: &[CanonicalOrder]) {
        let name = ctx.file_name.clone().unwrap_or_default();
        self.log.borrow_mut().push(format!("{} learns {name} ({decided})", self.name));
    }
}

/// Three documents; the challenger misreads the two with a 1 in the qty.
fn text_dataset() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    write_master(&dir.path().join("master"));
    let truth = |po: &str, qty: u32| {
        format!(
            r#"{{"doc":"docs/{po}.txt","orders":[{{"customer_id":"C0042","customer_po":"{po}","lines":[{{"sku":"HV-075-BR","qty":{qty},"uom":"EA"}}]}}]}}"#
        )
    };
    write_files(
        dir.path(),
        &[
            ("docs/a.txt", "PO a QTY 10"),
            ("docs/b.txt", "PO b QTY 5"),
            ("docs/c.txt", "PO c QTY 12"),
            ("truth.jsonl", &format!("{}\n{}\n{}\n", truth("a", 10), truth("b", 5), truth("c", 12))),
        ],
    );
    dir
}

#[test]
fn both_agents_see_every_document_in_order_and_learn_only_their_own() {
    let dir = text_dataset();
    let dataset = Dataset::load(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut champion = LineReader { name: "champion", misread: false, log: log.clone() };
    let mut challenger = LineReader { name: "challenger", misread: true, log: log.clone() };
    let (ours, theirs) =
        evaluate_shadow(&dataset, &mut champion, &mut challenger, true, false).unwrap_or_else(|e| panic!("{e}"));
    let log = log.borrow().clone();
    assert_eq!(
        &log[..4],
        [
            "champion decides a.txt",
            "champion learns a.txt (champion decided a.txt)",
            "challenger decides a.txt",
            "challenger learns a.txt (challenger decided a.txt)",
        ]
    );
    assert_eq!(log.len(), 12);
    let docs = |records: &[prodline_eval::ScoredDocument]| records.iter().map(|r| r.doc.clone()).collect::<Vec<_>>();
    assert_eq!(docs(&ours), ["docs/a.txt", "docs/b.txt", "docs/c.txt"]);
    assert_eq!(docs(&ours), docs(&theirs));

    let report = score_shadow("champion", "challenger", &ours, &theirs);
    assert_eq!(report.overall.order_accuracy.successes, 3);
    let challenger_report = report.challenger.clone().unwrap_or_else(|| panic!("challenger report"));
    // The challenger read 70 for 10 and 72 for 12: only b right.
    assert_eq!(challenger_report.overall.order_accuracy.successes, 1);
    assert_eq!(challenger_report.by_group["scan"].documents, 3, "each run keeps its own groups");
    let agreement = report.agreement.clone().unwrap_or_else(|| panic!("agreement"));
    assert_eq!((agreement.orders.successes, agreement.orders.trials), (1, 3));
    assert_eq!((agreement.decisions.successes, agreement.decisions.trials), (0, 3));
    assert_eq!(agreement.disagreeing_docs, ["docs/a.txt", "docs/c.txt"]);

    let summary = report.summary();
    assert!(summary.contains("  champion champion vs challenger challenger (shadow):"), "{summary}");
    assert!(summary.contains("agreement: same orders on 33.3 % (1/3, 95 % CI"), "{summary}");
    let row = summary.lines().find(|l| l.contains("33.3 % (1/3) [")).unwrap_or_default();
    assert!(row.trim_start().starts_with("order accuracy") && row.contains("100.0 % (3/3) ["), "{summary}");
    let html = prodline_eval::render_html(&report);
    assert!(html.contains("<h2>Champion and challenger</h2>") && html.contains("<code>docs/c.txt</code>"));
    let json = serde_json::to_value(&report).unwrap_or_default();
    assert_eq!(json["challenger"]["overall"]["order_accuracy"]["successes"], 1);
    assert_eq!(json["agreement"]["orders"]["successes"], 1);
}

#[test]
fn agreement_is_symmetric_about_prices() {
    let dir = text_dataset();
    let dataset = Dataset::load(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut a = LineReader { name: "a", misread: false, log: log.clone() };
    let mut b = LineReader { name: "b", misread: false, log };
    let (ours, mut theirs) = evaluate_shadow(&dataset, &mut a, &mut b, false, false).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(agreement("a", "b", &ours, &theirs).orders.successes, 3);
    // One side states a price the other does not: by the scoring rule that
    // passes one way only, so it is a disagreement.
    theirs[1].predicted[0].lines[0].unit_price = Some(Decimal::new(1185, 2));
    let both_ways = [agreement("a", "b", &ours, &theirs), agreement("b", "a", &theirs, &ours)];
    for agreed in both_ways {
        assert_eq!(agreed.disagreeing_docs, ["docs/b.txt"]);
    }
}

/// The built-in pipeline as champion and as challenger over clean X12:
/// the same answers, two prediction files, the challenger named.
#[test]
fn run_with_a_challenger_writes_both_predictions() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    write_master(&dir.path().join("master"));
    let truth = |po: &str| {
        format!(
            r#"{{"doc":"docs/{po}.x12","orders":[{{"customer_id":"C0042","customer_po":"{po}","lines":[{{"sku":"HV-075-BR","qty":5,"uom":"EA","unit_price":11.85}}]}}]}}"#
        )
    };
    let doc = |control, po| x12_850("ACMEBUY", control, po, "20260302", &["PO1*1*5*EA*11.85**BP*88-1200"]);
    write_files(
        dir.path(),
        &[
            ("docs/P1.x12", &doc(1, "P1")),
            ("docs/P2.x12", &doc(2, "P2")),
            ("truth.jsonl", &format!("{}\n{}\n", truth("P1"), truth("P2"))),
        ],
    );
    let predictions = dir.path().join("predictions.jsonl");
    let opts = EvalOptions {
        replay: true,
        challenger: Some(Extractors::default()),
        ..EvalOptions::new(dir.path(), &predictions)
    };
    let report = run(&opts).unwrap_or_else(|e| panic!("{e}"));
    let shadow_path = challenger_predictions_path(&predictions);
    assert_eq!(shadow_path, dir.path().join("predictions.challenger.jsonl"));
    let lines = |path: &std::path::Path| std::fs::read_to_string(path).unwrap_or_default().lines().count();
    assert_eq!((lines(&predictions), lines(&shadow_path)), (2, 2));
    let agreement = report.agreement.clone().unwrap_or_else(|| panic!("agreement"));
    assert_eq!((agreement.champion.as_str(), agreement.challenger.as_str()), ("builtin", "builtin"));
    assert_eq!((agreement.orders.successes, agreement.orders.trials), (2, 2));
    let challenger = report.challenger.clone().unwrap_or_else(|| panic!("challenger"));
    assert_eq!(challenger.overall, report.overall, "the same pipeline twice, each with its own memory");
    assert_eq!(report.run.and_then(|r| r.challenger).as_deref(), Some("builtin"));
    assert_eq!(challenger.run.map(|r| r.extractor).as_deref(), Some("builtin"));
}

#[test]
fn challenger_predictions_sit_beside_the_champions() {
    let p = |s: &str| challenger_predictions_path(std::path::Path::new(s));
    assert_eq!(p("out/preds.jsonl"), std::path::PathBuf::from("out/preds.challenger.jsonl"));
    assert_eq!(p("out/preds"), std::path::PathBuf::from("out/preds.challenger.jsonl"));
}
