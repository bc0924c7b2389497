//! `--curated`: the curated documents against a seeded random sample of all
//! documents of the same size, both scored from one run.

use std::path::PathBuf;

use prodline_eval::{
    Dataset, DatasetDocument, EvalError, EvalOptions, Figures, ScoredDocument, curated_gap, run, score,
};
use prodline_extract::MasterData;

use crate::common::{write_files, write_master, x12_850};
use crate::hand_count::hand_made;

fn curate(mut records: Vec<ScoredDocument>, docs: &[&str]) -> Vec<ScoredDocument> {
    for record in &mut records {
        record.curated = docs.contains(&record.doc.as_str());
    }
    records
}

fn counts(f: &Figures) -> [(u64, u64); 3] {
    [f.order_accuracy, f.auto_precision, f.stp_rate].map(|p| (p.successes, p.trials))
}

/// The documents `Dataset::sample(n, seed)` would draw from these records:
/// the live side must be the same draw as `--sample`.
fn sampled_docs(records: &[ScoredDocument], n: usize, seed: u64) -> Vec<String> {
    let documents = records
        .iter()
        .map(|r| DatasetDocument {
            doc: r.doc.clone(),
            path: PathBuf::from(&r.doc),
            truth: vec![],
            duplicate_of: None,
            received_at: None,
            channel: None,
            from: None,
            curated: false,
        })
        .collect();
    let dataset =
        Dataset { root: PathBuf::from("/nowhere"), master: MasterData::default(), documents, without_truth: vec![] };
    dataset.sample(n, seed).documents.into_iter().map(|d| d.doc).collect()
}

#[test]
fn curated_side_matches_the_hand_count_and_live_is_the_seeded_sample() {
    // The clean ones: d1, d3 and d10 (all right, all auto-approved).
    let records = curate(hand_made(), &["docs/d1.x12", "docs/d3.csv", "docs/d10.x12"]);
    let gap = curated_gap(&records, 5).unwrap_or_else(|| panic!("curated documents exist"));
    assert_eq!(gap.curated.documents, 3);
    assert_eq!(counts(&gap.curated), [(4, 4), (4, 4), (4, 4)]);
    let live_docs = sampled_docs(&records, 3, 5);
    let live: Vec<ScoredDocument> = records.iter().filter(|r| live_docs.contains(&r.doc)).cloned().collect();
    assert_eq!(gap.live, score(&live).overall, "live = the seeded sample of everything, {live_docs:?}");
    assert_eq!(gap.live.documents, 3);
    assert_eq!(gap.overlap, live.iter().filter(|r| r.curated).count() as u64);
    let expected = gap.live.order_accuracy.rate.map(|live| (1.0 - live) * 100.0);
    assert_eq!(gap.difference_points.order_accuracy, expected);
    assert_eq!(curated_gap(&records, 5), Some(gap), "same seed, same gap");
}

#[test]
fn curating_everything_closes_the_gap() {
    let all: Vec<String> = hand_made().iter().map(|r| r.doc.clone()).collect();
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let records = curate(hand_made(), &all);
    let gap = curated_gap(&records, 1).unwrap_or_else(|| panic!("curated"));
    assert_eq!(gap.curated, gap.live);
    assert_eq!(gap.curated, score(&records).overall);
    assert_eq!(gap.overlap, 11);
    // auto precision 4/7 on both sides: a gap of exactly 0 points.
    assert_eq!(gap.difference_points.auto_precision, Some(0.0));
}

#[test]
fn no_curated_documents_no_gap() {
    assert_eq!(curated_gap(&hand_made(), 1), None);
}

#[test]
fn the_gap_is_in_the_summary_and_html() {
    let mut report = score(&hand_made());
    let records = curate(hand_made(), &["docs/d1.x12", "docs/d3.csv", "docs/d10.x12"]);
    report.gap = curated_gap(&records, 5);
    let summary = report.summary();
    assert!(summary.contains("  curated vs live (live: random sample of all, seed 5; 3 documents each"), "{summary}");
    let line = summary.lines().find(|l| l.contains("order accuracy") && l.contains("curated 100.0 % (4/4)"));
    assert!(line.is_some_and(|l| l.contains(" points")), "{summary}");
    let html = prodline_eval::render_html(&report);
    assert!(html.contains("<h2>Curated versus live</h2>"), "{html}");
}

/// Four X12 orders, two marked curated in meta.jsonl.
fn curated_dataset(mark: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    write_master(&dir.path().join("master"));
    let mut files = Vec::new();
    let mut truth = String::new();
    let mut meta = String::new();
    for i in 1..=4u32 {
        let po = format!("PO-{i}");
        files.push((
            format!("docs/{po}.x12"),
            x12_850("ACMEBUY", i, &po, "20260302", &["PO1*1*5*EA*11.85**BP*88-1200"]),
        ));
        truth.push_str(&format!(
            "{{\"doc\":\"docs/{po}.x12\",\"orders\":[{{\"customer_id\":\"C0042\",\"customer_po\":\"{po}\",\"lines\":[{{\"sku\":\"HV-075-BR\",\"qty\":5,\"uom\":\"EA\",\"unit_price\":11.85}}]}}]}}\n"
        ));
        let curated = mark && i <= 2;
        meta.push_str(&format!(
            "{{\"doc\":\"docs/{po}.x12\",\"received_at\":\"2026-03-0{i}T09:00:00Z\",\"curated\":{curated}}}\n"
        ));
    }
    files.push(("truth.jsonl".into(), truth));
    files.push(("meta.jsonl".into(), meta));
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    write_files(dir.path(), &borrowed);
    dir
}

#[test]
fn run_with_curated_reads_meta_and_reports_the_gap() {
    let dir = curated_dataset(true);
    let dataset = Dataset::load(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let curated: Vec<&str> = dataset.documents.iter().filter(|d| d.curated).map(|d| d.doc.as_str()).collect();
    assert_eq!(curated, ["docs/PO-1.x12", "docs/PO-2.x12"]);
    let opts = EvalOptions { curated: true, seed: 3, ..EvalOptions::new(dir.path(), dir.path().join("p.jsonl")) };
    let report = run(&opts).unwrap_or_else(|e| panic!("{e}"));
    let gap = report.gap.clone().unwrap_or_else(|| panic!("a gap section: {}", report.summary()));
    assert_eq!((gap.curated.documents, gap.live.documents, gap.seed), (2, 2, 3));
    assert_eq!(gap.curated.order_accuracy.trials, 2);
    assert!(report.run.is_some_and(|r| r.curated));
    // Without --curated, no gap even though meta marks some.
    let plain = run(&EvalOptions::new(dir.path(), dir.path().join("q.jsonl"))).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(plain.gap, None);
}

#[test]
fn run_with_curated_and_nothing_curated_is_a_clear_error() {
    let dir = curated_dataset(false);
    let opts = EvalOptions { curated: true, ..EvalOptions::new(dir.path(), dir.path().join("p.jsonl")) };
    match run(&opts) {
        Err(e @ EvalError::Dataset { .. }) => {
            let text = e.to_string();
            assert!(text.contains("meta.jsonl") && text.contains("\"curated\": true"), "{text}");
        }
        other => panic!("expected a dataset error, got {other:?}"),
    }
    assert!(!dir.path().join("p.jsonl").exists(), "nothing run, nothing written");
}
