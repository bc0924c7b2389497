//! `prodline eval`: run the pipeline over a dataset and measure it honestly.
//!
//! Three separate steps, so each can be tested on its own:
//! - [`Dataset::load`] reads a SPEC §3 folder (master data, documents,
//!   `truth.jsonl`, `meta.jsonl`) and puts the documents in replay order;
//! - [`evaluate`] runs an [`Agent`] over the documents, one at a time, and in
//!   replay mode hands each truth back only after that document's decision;
//! - [`score`] turns [`ScoredDocument`]s into a [`Report`] by the one scoring
//!   rule of SPEC §4 (`prodline_core::scoring`).
//!
//! [`run`] ties them together for the CLI and writes the predictions
//! (SPEC §5), the report JSON and the HTML report.
//!
//! Architecture Invariant: in replay mode the agent never sees a document's
//! truth before it has decided that document.

mod dataset;
mod html;
mod report;
mod runner;
mod score;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use prodline_extract::{DecisionConfig, MasterDataError};

pub use dataset::{Dataset, DatasetDocument};
pub use html::render_html;
pub use report::{CalibrationBin, DecisionCounts, FieldAccuracy, Figures, GarbageFigures, Report, RunInfo};
pub use runner::{Agent, BuiltinAgent, Verdict, evaluate, write_predictions};
pub use score::{Field, ScoredDocument, document_customer, pair_for_fields, score};

/// What `prodline eval` is asked to do. `Default` is a plain run: no
/// sample, no replay, no report files, no progress bar, the default policy
/// (set `dataset` and `predictions`).
#[derive(Debug, Clone, Default)]
pub struct EvalOptions {
    pub dataset: PathBuf,
    /// Evaluate a seeded random sample of this many documents.
    pub sample: Option<usize>,
    pub seed: u64,
    /// Hand each truth back after its decision, as a reviewer would.
    pub replay: bool,
    pub predictions: PathBuf,
    pub report: Option<PathBuf>,
    pub html: Option<PathBuf>,
    /// Draw a progress bar (only on a terminal).
    pub progress: bool,
    /// The decision policy under evaluation.
    pub decision: DecisionConfig,
}

impl EvalOptions {
    /// A plain run over the whole dataset (see `Default`).
    pub fn new(dataset: impl Into<PathBuf>, predictions: impl Into<PathBuf>) -> EvalOptions {
        EvalOptions { dataset: dataset.into(), predictions: predictions.into(), ..EvalOptions::default() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("{path}: {message}")]
    Dataset { path: PathBuf, message: String },
    /// A bad line in a JSONL file, e.g. `truth.jsonl:12: ...`.
    #[error("{path}:{line}: {message}")]
    Line { path: PathBuf, line: usize, message: String },
    #[error("master data: {0}")]
    Master(#[from] MasterDataError),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

impl EvalError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> EvalError {
        EvalError::Io { path: path.to_path_buf(), source }
    }
}

/// Load the dataset, optionally sample it, run the built-in pipeline over it,
/// write the predictions (and the report JSON/HTML when asked) and return the
/// report.
pub fn run(opts: &EvalOptions) -> Result<Report, EvalError> {
    let loaded = Dataset::load(&opts.dataset)?;
    let available = loaded.documents.len();
    let without_truth = loaded.without_truth.len();
    let dataset = match opts.sample {
        Some(n) => loaded.sample(n, opts.seed),
        None => loaded,
    };
    let mut agent = BuiltinAgent::new(dataset.master.clone(), opts.decision.clone());
    let records = evaluate(&dataset, &mut agent, opts.replay, opts.progress)?;
    write_predictions(&opts.predictions, &records)?;

    let mut report = score(&records);
    report.run = Some(RunInfo {
        dataset: opts.dataset.display().to_string(),
        documents_available: available as u64,
        documents_without_truth: without_truth as u64,
        sample: opts.sample,
        seed: opts.sample.map(|_| opts.seed),
        replay: opts.replay,
        auto_threshold: opts.decision.auto_threshold,
    });
    if let Some(path) = &opts.report {
        let json = serde_json::to_vec_pretty(&report).map_err(|e| EvalError::io(path, std::io::Error::other(e)))?;
        write_file(path, &json)?;
    }
    if let Some(path) = &opts.html {
        write_file(path, render_html(&report).as_bytes())?;
    }
    Ok(report)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), EvalError> {
    let mut file = fs::File::create(path).map_err(|e| EvalError::io(path, e))?;
    file.write_all(bytes).map_err(|e| EvalError::io(path, e))?;
    file.flush().map_err(|e| EvalError::io(path, e))
}
