//! The Python peer: `scripts/peers/evidently_drift.py` runs Evidently's
//! drift metrics per source on the same observations, written once to a CSV
//! file. The script travels inside the binary, so the command works from any
//! directory.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use super::dataset::{MonitorData, Transaction};
use crate::BenchError;
use crate::peer::{PythonReply, run_python};

/// The peer script, as `scripts/peers/evidently_drift.py` in the repository.
const EVIDENTLY_SCRIPT: &str = include_str!("../../../../scripts/peers/evidently_drift.py");
pub const EVIDENTLY_SCRIPT_NAME: &str = "evidently_drift.py";

/// How to run the peer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidentlyConfig {
    /// The interpreter that has Evidently installed (the venv's python).
    pub python: PathBuf,
    /// Timed runs over all sources; the script reports the median.
    pub repeat: usize,
    /// Only the first N sources (0: all).
    pub sources: usize,
}

/// The venv `scripts/bench-monitor` creates (`$PRODLINE_EVIDENTLY_VENV`, else
/// `~/.cache/prodline/venv-evidently`) if it exists, else `python3` from PATH.
pub fn default_evidently_python() -> PathBuf {
    let venv = std::env::var_os("PRODLINE_EVIDENTLY_VENV")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache/prodline/venv-evidently")));
    venv.map(|dir| dir.join("bin").join("python"))
        .filter(|python| python.exists())
        .unwrap_or_else(|| PathBuf::from("python3"))
}

/// Evidently's two values for one source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidentlySource {
    pub source: String,
    pub reference: u64,
    pub current: u64,
    /// scipy's Jensen–Shannon *distance*, natural log: √(JS in nats).
    pub fingerprint_js_distance: f64,
    pub confidence_psi: f64,
}

/// What the script measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidentlyMeasurement {
    /// Median seconds of one run over the sources (CSV loading excluded).
    pub seconds: f64,
    pub runs: Vec<f64>,
    /// Reading the CSV into pandas, not in `seconds`.
    pub load_seconds: f64,
    /// Importing Evidently, not in `seconds`.
    pub import_seconds: f64,
    pub rows: u64,
    /// Package and version, e.g. `evidently 0.7.23`.
    pub package: String,
    pub sources: Vec<EvidentlySource>,
}

/// How the peer run ended; only `Measured` gives a ratio.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum EvidentlyOutcome {
    Measured(EvidentlyMeasurement),
    /// No interpreter, or Evidently is not installed in it.
    Missing {
        reason: String,
    },
    /// The script failed in another way.
    Failed {
        reason: String,
    },
    /// Not asked to run.
    Skipped,
}

/// Write the peer's input: one row per document of the first `sources`
/// sources, `source,window,fingerprint,confidence`. Confidences are written
/// in Rust's shortest round-trip form, so Python reads the same numbers.
pub(crate) fn write_csv(path: &Path, data: &MonitorData, transactions: &[Transaction]) -> Result<(), BenchError> {
    let error = |source| BenchError::WriteFile { path: path.to_path_buf(), source };
    let file = std::fs::File::create(path).map_err(error)?;
    let mut out = BufWriter::new(file);
    writeln!(out, "source,window,fingerprint,confidence").map_err(error)?;
    let recent_from = data.recent_from();
    for t in transactions {
        let source = data.sources.get(usize::from(t.source)).map_or("", |s| s.name.as_str());
        let fingerprint = data.fingerprints.get(usize::from(t.fingerprint)).map_or("", String::as_str);
        let window = if t.decided_at >= recent_from { "current" } else { "reference" };
        writeln!(out, "{source},{window},{fingerprint},{}", t.confidence).map_err(error)?;
    }
    out.flush().map_err(error)
}

/// Write the embedded script into `dir` and return its path.
pub(crate) fn install_script(dir: &Path) -> Result<PathBuf, BenchError> {
    let path = dir.join(EVIDENTLY_SCRIPT_NAME);
    std::fs::write(&path, EVIDENTLY_SCRIPT).map_err(|source| BenchError::WriteFile { path: path.clone(), source })?;
    Ok(path)
}

/// Run the script on `csv` and read its one JSON line.
pub(crate) fn run(
    config: &EvidentlyConfig,
    script: &Path,
    csv: &Path,
    js_distance_threshold: f64,
    psi_threshold: f64,
) -> EvidentlyOutcome {
    let mut command = Command::new(&config.python);
    command
        .arg(script)
        .arg(csv)
        .args(["--repeat", &config.repeat.max(1).to_string(), "--sources", &config.sources.to_string()])
        .args(["--js-threshold", &js_distance_threshold.to_string(), "--psi-threshold", &psi_threshold.to_string()]);
    match run_python(&config.python, command) {
        PythonReply::Reply(outcome) => outcome,
        PythonReply::Missing(reason) => EvidentlyOutcome::Missing { reason },
        PythonReply::Failed(reason) => EvidentlyOutcome::Failed { reason },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_of_the_script_are_read() {
        let measured = r#"{"status": "measured", "seconds": 2.5, "runs": [2.5], "load_seconds": 0.4, "import_seconds": 3.0, "rows": 10, "package": "evidently 0.7.23", "sources": [{"source": "C0001", "reference": 8, "current": 2, "fingerprint_js_distance": 0.3, "confidence_psi": 0.01}]}"#;
        let outcome: EvidentlyOutcome = serde_json::from_str(measured).unwrap();
        let EvidentlyOutcome::Measured(m) = outcome else { panic!("{outcome:?}") };
        assert_eq!(m.sources[0].source, "C0001");
        let missing: EvidentlyOutcome =
            serde_json::from_str(r#"{"status": "missing", "reason": "no evidently"}"#).unwrap();
        assert_eq!(missing, EvidentlyOutcome::Missing { reason: "no evidently".into() });
    }

    #[test]
    fn a_missing_interpreter_is_reported_not_raised() {
        let config = EvidentlyConfig { python: PathBuf::from("/nonexistent/python"), repeat: 1, sources: 0 };
        let outcome = run(&config, Path::new("x.py"), Path::new("x.csv"), 0.26, 0.2);
        assert!(matches!(outcome, EvidentlyOutcome::Missing { .. }), "{outcome:?}");
    }
}
