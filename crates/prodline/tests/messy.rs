//! The gate on the hand-labelled regression set of messy documents
//! (`fixtures/messy`: e-mails, PDFs, scans, spreadsheets and text written by
//! hand for this purpose, not by the demo generator).
//!
//! `prodline eval` runs over it through the binary; the test fails when a
//! change lowers the auto-approve precision or the straight-through rate
//! below what `fixtures/messy/gate.json` records, auto-approves a document
//! that holds no order, or lets precision fall under 97 %. A change that
//! improves the figures raises the gate in the same commit (the failure
//! message says how).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/messy")
}

fn tools_present() {
    for tool in ["pdftotext", "pdftoppm", "tesseract"] {
        let found = Command::new(tool).arg("-v").output().is_ok();
        assert!(found, "{tool} is missing: the messy set has PDFs and scans; install it with scripts/ocr.sh");
    }
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// (successes, trials) of a report proportion.
fn counts(p: &Value) -> (u64, u64) {
    (p["successes"].as_u64().unwrap_or(0), p["trials"].as_u64().unwrap_or(0))
}

#[test]
fn messy_set_keeps_its_precision_and_straight_through_rate() {
    tools_present();
    let dir = tempfile::tempdir().expect("temp dir");
    let report_path = dir.path().join("report.json");
    let predictions = dir.path().join("predictions.jsonl");
    let run = Command::new(env!("CARGO_BIN_EXE_prodline"))
        .arg("eval")
        .arg("--dataset")
        .arg(fixtures())
        .arg("--predictions")
        .arg(&predictions)
        .arg("--report")
        .arg(&report_path)
        .output()
        .unwrap_or_else(|e| panic!("running prodline eval: {e}"));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "eval failed: {stdout}{}", String::from_utf8_lossy(&run.stderr));
    let report = read_json(&report_path);
    let gate = read_json(&fixtures().join("gate.json"));

    let documents = report["documents"].as_u64().unwrap_or(0);
    assert!(documents >= 40, "the messy set must hold at least 40 documents, found {documents}");
    let predictions = std::fs::read_to_string(&predictions).expect("predictions");
    assert!(
        !predictions.contains("unsupported_format"),
        "no document of the messy set may be unsupported_format any more"
    );

    let garbage = counts(&report["garbage"]["auto_approved"]);
    assert_eq!(
        garbage.0, 0,
        "documents holding no order were auto-approved: {}",
        report["garbage"]["auto_approved_docs"]
    );

    let (matched, auto) = counts(&report["overall"]["auto_precision"]);
    let (stp, truth) = counts(&report["overall"]["stp_rate"]);
    let current = format!(
        "{{\"auto_precision\": [{matched}, {auto}], \"stp\": [{stp}, {truth}]}} (wrong auto: {})",
        report["auto_wrong_docs"]
    );
    let want = |key: &str| (gate[key][0].as_u64().unwrap_or(0), gate[key][1].as_u64().unwrap_or(1));
    let (gate_matched, gate_auto) = want("auto_precision");
    let (gate_stp, gate_truth) = want("stp");
    // Cross-multiplied: matched/auto >= gate_matched/gate_auto without floats.
    assert!(
        u128::from(matched) * u128::from(gate_auto) >= u128::from(gate_matched) * u128::from(auto),
        "auto-approve precision fell below the gate {gate_matched}/{gate_auto}: now {current}"
    );
    assert!(
        u128::from(stp) * u128::from(gate_truth) >= u128::from(gate_stp) * u128::from(truth),
        "straight-through rate fell below the gate {gate_stp}/{gate_truth}: now {current}; \
         a change that raises the figures updates fixtures/messy/gate.json with them"
    );
    assert!(auto == 0 || matched * 100 >= auto * 97, "auto-approve precision under 97 %: {current}");
}
