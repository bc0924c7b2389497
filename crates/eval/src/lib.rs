//! `prodline eval`: run the pipeline over a dataset and measure it honestly.

use std::path::PathBuf;

#[derive(Debug, Clone)]
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
}

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("{path}: {message}")]
    Dataset { path: PathBuf, message: String },
}
