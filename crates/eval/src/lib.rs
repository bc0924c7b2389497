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
//! Every figure is also reported by group (edi, email, pdf, spreadsheet,
//! scan...), with the cost the extractors reported ([`cost_report`]); with
//! `--curated` the report compares the clean samples with a random sample
//! of everything ([`curated_gap`]); with `--challenger` a second extractor
//! runs in shadow ([`evaluate_shadow`], [`score_shadow`]).
//!
//! Architecture Invariant: in replay mode the agent never sees a document's
//! truth before it has decided that document.
//!
//! Architecture Invariant: a challenger never influences the champion: each
//! has its own memory and neither sees the other's answers.

mod cost;
mod dataset;
mod gap;
mod html;
mod report;
mod runner;
mod score;
mod shadow;
mod summary;
pub mod teardown;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use prodline_extract::{DecisionConfig, Extractors, MasterDataError};

pub use cost::{CostFigures, CostReport, NO_EXTRACTOR, cost_report};
pub use dataset::{Dataset, DatasetDocument};
pub use gap::{CuratedGap, GapPoints, curated_gap};
pub use html::render_html;
pub use report::{CalibrationBin, DecisionCounts, FieldAccuracy, Figures, GarbageFigures, Report, RunInfo};
pub use runner::{
    Agent, BuiltinAgent, Verdict, challenger_predictions_path, evaluate, evaluate_shadow, extractor_name,
    write_predictions,
};
pub use score::{Field, REPORTED_GROUPS, ScoredDocument, document_customer, pair_for_fields, score};
pub use shadow::{Agreement, agreement, score_shadow};
pub use summary::{format_proportion, format_wilson};

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
    /// `--curated`: add the curated-versus-live `gap` to the report (the
    /// live sample is drawn with `seed`). An error when no evaluated
    /// document is marked `"curated": true` in meta.jsonl.
    pub curated: bool,
    /// The champion: the extractors that decide (default: built-in).
    pub extractors: Extractors,
    /// `--challenger`: extractors run in shadow beside the champion, scored
    /// alike; predictions to `PREDICTIONS.challenger.jsonl`.
    pub challenger: Option<Extractors>,
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

/// Load the dataset, optionally sample it, run the champion (and a
/// challenger in shadow, when asked) over it, write the predictions (and the
/// report JSON/HTML when asked) and return the report.
pub fn run(opts: &EvalOptions) -> Result<Report, EvalError> {
    let loaded = Dataset::load(&opts.dataset)?;
    let available = loaded.documents.len();
    let without_truth = loaded.without_truth.len();
    let dataset = match opts.sample {
        Some(n) => loaded.sample(n, opts.seed),
        None => loaded,
    };
    if opts.curated {
        ensure_curated(&dataset, opts)?;
    }
    let champion_name = extractor_name(&opts.extractors);
    let challenger_name = opts.challenger.as_ref().map(extractor_name);
    let agent = |extractors: &Extractors| {
        BuiltinAgent::with_extractors(dataset.master.clone(), opts.decision.clone(), extractors.clone())
    };
    let mut champion = agent(&opts.extractors);
    let (records, shadow) = match &opts.challenger {
        None => (evaluate(&dataset, &mut champion, opts.replay, opts.progress)?, None),
        Some(extractors) => {
            let mut challenger = agent(extractors);
            let (ours, theirs) = evaluate_shadow(&dataset, &mut champion, &mut challenger, opts.replay, opts.progress)?;
            (ours, Some(theirs))
        }
    };
    write_predictions(&opts.predictions, &records)?;

    let run_info = RunInfo {
        dataset: opts.dataset.display().to_string(),
        documents_available: available as u64,
        documents_without_truth: without_truth as u64,
        sample: opts.sample,
        seed: opts.sample.map(|_| opts.seed),
        replay: opts.replay,
        auto_threshold: opts.decision.auto_threshold,
        extractor: champion_name.clone(),
        challenger: challenger_name.clone(),
        curated: opts.curated,
    };
    let mut report = score(&records);
    report.run = Some(run_info.clone());
    report.gap = if opts.curated { curated_gap(&records, opts.seed) } else { None };
    if let (Some(theirs), Some(name)) = (shadow, challenger_name) {
        write_predictions(&challenger_predictions_path(&opts.predictions), &theirs)?;
        let mut challenger = score(&theirs);
        challenger.run = Some(RunInfo { extractor: name.clone(), challenger: None, ..run_info });
        challenger.gap = if opts.curated { curated_gap(&theirs, opts.seed) } else { None };
        report.agreement = Some(agreement(&champion_name, &name, &records, &theirs));
        report.challenger = Some(Box::new(challenger));
    }
    if let Some(path) = &opts.report {
        let json = serde_json::to_vec_pretty(&report).map_err(|e| EvalError::io(path, std::io::Error::other(e)))?;
        write_file(path, &json)?;
    }
    if let Some(path) = &opts.html {
        write_file(path, render_html(&report).as_bytes())?;
    }
    Ok(report)
}

/// `--curated` needs curated documents among those evaluated: say so
/// before spending a run on it.
fn ensure_curated(dataset: &Dataset, opts: &EvalOptions) -> Result<(), EvalError> {
    if dataset.documents.iter().any(|d| d.curated) {
        return Ok(());
    }
    let sampled = match opts.sample {
        Some(n) => format!(" among the {n} sampled (seed {}); evaluate without --sample", opts.seed),
        None => String::new(),
    };
    Err(EvalError::Dataset {
        path: opts.dataset.join("meta.jsonl"),
        message: format!(
            "--curated needs clean samples, and no document is marked \"curated\": true{sampled} \
             (add it to their meta.jsonl lines)"
        ),
    })
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), EvalError> {
    let mut file = fs::File::create(path).map_err(|e| EvalError::io(path, e))?;
    file.write_all(bytes).map_err(|e| EvalError::io(path, e))?;
    file.flush().map_err(|e| EvalError::io(path, e))
}
