//! Running an agent over a dataset, one document at a time, in replay order.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::Path;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use prodline_core::{CanonicalOrder, Decision, Format, Group, Reason, Usage};
use prodline_extract::{Context, DecisionConfig, Extractors, MasterData, Memory, Outcome, process_with};
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
    /// OCR read some of the document: it counts in the `scan` group whatever
    /// its container (a PDF of a fax is a scan).
    pub scanned: bool,
    pub decision: Decision,
    pub confidence: f64,
    pub reasons: Vec<Reason>,
    /// The orders to enter (SPEC §5 `orders`).
    pub orders: Vec<CanonicalOrder>,
    /// What the extractor cost; `None` when no extractor reported any (a
    /// structured reader).
    pub usage: Option<Usage>,
}

impl Verdict {
    pub fn of(outcome: &Outcome) -> Verdict {
        Verdict {
            format: outcome.format,
            scanned: outcome.parsed.ocr.is_some(),
            decision: outcome.decision,
            confidence: outcome.confidence,
            reasons: outcome.reasons.clone(),
            orders: outcome.predicted_orders(),
            usage: outcome.usage.clone(),
        }
    }

    /// The report group (`prodline_core::Group::of`).
    pub fn group(&self) -> Group {
        Group::of(self.format, self.scanned)
    }
}

/// The pipeline (`prodline_extract::process_with`) with its memory and the
/// extractors it runs on documents without a structure of their own.
#[derive(Debug)]
pub struct BuiltinAgent {
    master: MasterData,
    memory: Memory,
    config: DecisionConfig,
    extractors: Extractors,
}

impl BuiltinAgent {
    /// The built-in text extractor as champion.
    pub fn new(master: MasterData, config: DecisionConfig) -> BuiltinAgent {
        BuiltinAgent::with_extractors(master, config, Extractors::default())
    }

    /// The given extractors (a model as champion, say), with a memory of
    /// its own: a challenger learns only from what it decided itself.
    pub fn with_extractors(master: MasterData, config: DecisionConfig, extractors: Extractors) -> BuiltinAgent {
        BuiltinAgent { master, memory: Memory::default(), config, extractors }
    }
}

/// The name an extractor set goes by in reports: its champion model's
/// (`command`, `openai:MODEL`), or `builtin`.
pub fn extractor_name(extractors: &Extractors) -> String {
    extractors.champion.as_ref().map(|m| m.name()).unwrap_or_else(|| "builtin".into())
}

impl Agent for BuiltinAgent {
    type Decided = Outcome;

    fn decide(&mut self, bytes: &[u8], ctx: &Context) -> (Verdict, Outcome) {
        let outcome = process_with(bytes, ctx, &self.master, &self.memory, &self.config, &self.extractors);
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
    let mut records = Vec::with_capacity(dataset.documents.len());
    for_each_document(dataset, progress, |doc, bytes, ctx| {
        records.push(decide_and_learn(agent, doc, bytes, ctx, replay));
    })?;
    Ok(records)
}

/// Run a champion and a challenger in shadow over the same documents in
/// the same order: each document is read once and given to both, each
/// agent learns (in replay) only into its own memory, and neither sees the
/// other's answer. Returns (champion's records, challenger's records).
pub fn evaluate_shadow<A: Agent, B: Agent>(
    dataset: &Dataset,
    champion: &mut A,
    challenger: &mut B,
    replay: bool,
    progress: bool,
) -> Result<(Vec<ScoredDocument>, Vec<ScoredDocument>), EvalError> {
    let mut first = Vec::with_capacity(dataset.documents.len());
    let mut second = Vec::with_capacity(dataset.documents.len());
    for_each_document(dataset, progress, |doc, bytes, ctx| {
        first.push(decide_and_learn(champion, doc, bytes, ctx, replay));
        second.push(decide_and_learn(challenger, doc, bytes, ctx, replay));
    })?;
    Ok((first, second))
}

/// Read each document in replay order and hand it on with its context.
fn for_each_document(
    dataset: &Dataset,
    progress: bool,
    mut each: impl FnMut(&DatasetDocument, &[u8], &Context),
) -> Result<(), EvalError> {
    let bar = progress_bar(dataset.documents.len() as u64, progress);
    for doc in &dataset.documents {
        let bytes = fs::read(&doc.path).map_err(|e| EvalError::io(&doc.path, e))?;
        each(doc, &bytes, &context_of(doc));
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(())
}

/// One decision, recorded before the truth (in replay) is handed back.
fn decide_and_learn<A: Agent>(
    agent: &mut A,
    doc: &DatasetDocument,
    bytes: &[u8],
    ctx: &Context,
    replay: bool,
) -> ScoredDocument {
    let (verdict, decided) = agent.decide(bytes, ctx);
    let record = record_of(doc, verdict);
    if replay {
        agent.learn(&decided, ctx, &doc.truth);
    }
    record
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
        group: verdict.group(),
        curated: doc.curated,
        usage: verdict.usage,
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

/// One line of the predictions file (SPEC §5), plus `format`, `group`,
/// `channel` and, where an extractor reported it, `usage`.
#[derive(Serialize)]
struct PredictionLine<'a> {
    doc: &'a str,
    decision: Decision,
    confidence: f64,
    reasons: &'a [Reason],
    orders: &'a [CanonicalOrder],
    format: Format,
    group: Group,
    channel: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<&'a Usage>,
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
            group: record.group,
            channel: &record.channel,
            usage: record.usage.as_ref(),
        };
        serde_json::to_writer(&mut out, &line).map_err(|e| EvalError::io(path, e.into()))?;
        out.write_all(b"\n").map_err(|e| EvalError::io(path, e))?;
    }
    out.flush().map_err(|e| EvalError::io(path, e))
}

/// Where the challenger's predictions go beside the champion's:
/// `out/predictions.jsonl` → `out/predictions.challenger.jsonl`.
pub fn challenger_predictions_path(predictions: &Path) -> std::path::PathBuf {
    match predictions.extension() {
        Some(ext) => predictions.with_extension(format!("challenger.{}", ext.to_string_lossy())),
        None => predictions.with_extension("challenger.jsonl"),
    }
}
