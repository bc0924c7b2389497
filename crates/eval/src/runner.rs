//! Running an agent over a dataset, one document at a time, in replay order.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::Path;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use prodline_core::{CanonicalOrder, Decision, Format, Reason};
use prodline_extract::{Context, DecisionConfig, MasterData, Memory, Outcome, process};
use serde::Serialize;

use crate::score::{ScoredDocument, document_customer};
use crate::{Dataset, DatasetDocument, EvalError};

/// The agent under evaluation, seen only through two calls. prodline treats
/// every model the same; the split also lets tests check *when* the agent
/// learns.
pub trait Agent {
    /// What the agent keeps of a decision to learn from it later (the
    /// built-in pipeline keeps its whole [`Outcome`]).
    type Decided;

    /// Decide one document. The agent may remember what it has seen
    /// (orders received, quantities) but is never told the truth here.
    fn decide(&mut self, bytes: &[u8], ctx: &Context) -> (Verdict, Self::Decided);

    /// A reviewer's truth for a document already decided (replay only).
    fn learn(&mut self, decided: &Self::Decided, ctx: &Context, truth: &[CanonicalOrder]);
}

/// What an agent said about one document: all that is scored.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub format: Format,
    pub decision: Decision,
    pub confidence: f64,
    pub reasons: Vec<Reason>,
    /// The orders to enter (SPEC §5 `orders`).
    pub orders: Vec<CanonicalOrder>,
}

impl Verdict {
    pub fn of(outcome: &Outcome) -> Verdict {
        Verdict {
            format: outcome.format,
            decision: outcome.decision,
            confidence: outcome.confidence,
            reasons: outcome.reasons.clone(),
            orders: outcome.predicted_orders(),
        }
    }
}

/// The built-in pipeline: `prodline_extract::process` with its memory.
#[derive(Debug)]
pub struct BuiltinAgent {
    master: MasterData,
    memory: Memory,
    config: DecisionConfig,
}

impl BuiltinAgent {
    pub fn new(master: MasterData, config: DecisionConfig) -> BuiltinAgent {
        BuiltinAgent { master, memory: Memory::default(), config }
    }
}

impl Agent for BuiltinAgent {
    type Decided = Outcome;

    fn decide(&mut self, bytes: &[u8], ctx: &Context) -> (Verdict, Outcome) {
        let outcome = process(bytes, ctx, &self.master, &self.memory, &self.config);
        self.memory.observe(&outcome, ctx);
        (Verdict::of(&outcome), outcome)
    }

    fn learn(&mut self, outcome: &Outcome, _ctx: &Context, truth: &[CanonicalOrder]) {
        self.memory.learn(outcome, truth);
    }
}

/// Run `agent` over the dataset's documents in order. With `replay`, each
/// document's truth is handed to the agent right after its decision has been
/// recorded, never before: a correction can help the next document, not the
/// one it corrects. Every document yields one record, whatever its format.
pub fn evaluate<A: Agent>(
    dataset: &Dataset,
    agent: &mut A,
    replay: bool,
    progress: bool,
) -> Result<Vec<ScoredDocument>, EvalError> {
    let bar = progress_bar(dataset.documents.len() as u64, progress);
    let mut records = Vec::with_capacity(dataset.documents.len());
    for doc in &dataset.documents {
        let bytes = fs::read(&doc.path).map_err(|e| EvalError::io(&doc.path, e))?;
        let ctx = context_of(doc);
        let (verdict, decided) = agent.decide(&bytes, &ctx);
        records.push(record_of(doc, verdict));
        if replay {
            agent.learn(&decided, &ctx, &doc.truth);
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(records)
}

fn progress_bar(len: u64, visible: bool) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} documents {elapsed} (eta {eta})") {
        bar.set_style(style);
    }
    bar
}

fn context_of(doc: &DatasetDocument) -> Context {
    Context {
        file_name: doc.path.file_name().map(|n| n.to_string_lossy().into_owned()),
        from: doc.from.clone(),
        received_at: doc.received_at,
    }
}

fn record_of(doc: &DatasetDocument, verdict: Verdict) -> ScoredDocument {
    ScoredDocument {
        doc: doc.doc.clone(),
        channel: doc.channel.clone().unwrap_or_else(|| "unknown".into()),
        format: verdict.format,
        customer: document_customer(&doc.truth, &verdict.orders),
        decision: verdict.decision,
        confidence: verdict.confidence,
        reasons: verdict.reasons,
        predicted: verdict.orders,
        truth: doc.truth.clone(),
        duplicate_of: doc.duplicate_of.clone(),
    }
}

/// One line of the predictions file (SPEC §5), plus `format` and `channel`.
#[derive(Serialize)]
struct PredictionLine<'a> {
    doc: &'a str,
    decision: Decision,
    confidence: f64,
    reasons: &'a [Reason],
    orders: &'a [CanonicalOrder],
    format: Format,
    channel: &'a str,
}

/// Write one SPEC §5 JSON line per record, in evaluation order.
pub fn write_predictions(path: &Path, records: &[ScoredDocument]) -> Result<(), EvalError> {
    let file = fs::File::create(path).map_err(|e| EvalError::io(path, e))?;
    let mut out = BufWriter::new(file);
    for record in records {
        let line = PredictionLine {
            doc: &record.doc,
            decision: record.decision,
            confidence: record.confidence,
            reasons: &record.reasons,
            orders: &record.predicted,
            format: record.format,
            channel: &record.channel,
        };
        serde_json::to_writer(&mut out, &line).map_err(|e| EvalError::io(path, e.into()))?;
        out.write_all(b"\n").map_err(|e| EvalError::io(path, e))?;
    }
    out.flush().map_err(|e| EvalError::io(path, e))
}
