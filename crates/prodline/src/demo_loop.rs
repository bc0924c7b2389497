//! The second half of `prodline demo`: the whole loop. The generated
//! documents are dropped, a day at a time and in received order, into the
//! folder inbox of a deployment scaffolded in `<out>/plant/`; the runtime's
//! passes take them through the store and the pipeline into the review queue
//! or, through the outbox, into a SQLite "legacy ERP"; then the store and the
//! ERP are asked what happened.
//!
//! It lives in the binary, not in `crates/demo`: that crate is a pure,
//! deterministic generator (no clock, no store, no database), while this loop
//! needs the runtime, the store, sqlx and the wall clock.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use chrono::NaiveDate;
use prodline_config::{Config, DecisionPolicy, PlantScaffold, SourceConfig, TargetConfig};
use prodline_eval::{Dataset, DatasetDocument};
use prodline_runtime::{RunSummary, Runner, SystemClock};
use prodline_store::{DocumentRecord, DocumentState, EventKind, SqliteStore, Store};
use serde_json::Value;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AssertSqlSafe, Connection, SqliteConnection};

/// The plant's folder under `--out`.
pub const PLANT_DIR: &str = "plant";
/// The plant's one workflow.
const WORKFLOW: &str = "order-entry";
/// A batch that still moves after this many passes is left to `prodline run`
/// (a delivery waiting for its retry moves nothing, so this is a safety net).
const MAX_PASSES_PER_BATCH: usize = 20;
/// More documents than any demo writes: `Store::list` takes a limit.
const ALL: u32 = u32::MAX;

/// What the loop did, from the store and the ERP, not from its own tallies.
#[derive(Debug, Clone, Default)]
pub struct LoopReport {
    /// The deployment folder, `<out>/plant`.
    pub plant: PathBuf,
    /// Files dropped into the inbox.
    pub files: usize,
    /// Batches (received days) and the runtime passes they took.
    pub batches: usize,
    pub passes: usize,
    /// Documents the store holds (byte-identical repeats of a file are one document).
    pub documents: usize,
    /// Files whose bytes the store already held: recorded as `DuplicateReceived`, no new document.
    pub repeats: usize,
    /// Documents per state.
    pub states: BTreeMap<&'static str, usize>,
    /// Documents in review by the routing reason (`decision_review`, `nothing_to_enter`, ...).
    pub review_routes: BTreeMap<String, usize>,
    /// Documents decided review, by the pipeline's reason codes (a document may have several).
    pub review_reasons: BTreeMap<String, usize>,
    /// Rows in the ERP's header table (one per posted order) and line table.
    pub erp_headers: i64,
    pub erp_lines: i64,
    /// Problems the passes reported (a file that could not be moved), each naming its path.
    pub problems: Vec<String>,
    /// Wall time of feeding the inbox and the passes (not of counting afterwards).
    pub elapsed: Duration,
    /// Where the loop's decisions differ from the eval's on the same documents.
    pub gap: EvalGap,
    /// The loop's decision (`auto`/`review`) per stored file name.
    decisions: HashMap<String, String>,
}

/// The eval and the loop run the same pipeline on the same documents; this
/// says where their decisions part and why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvalGap {
    /// Documents the eval decided auto, of the `eval_documents` it saw.
    pub eval_auto: usize,
    pub eval_documents: usize,
    /// Decided auto by the eval, review by the loop.
    pub auto_to_review: usize,
    /// Of those, documents whose meta.jsonl names a sender: the eval passes it
    /// to the pipeline, a folder inbox cannot.
    pub with_sender: usize,
    /// Decided review by the eval, auto by the loop.
    pub review_to_auto: usize,
}

impl LoopReport {
    fn state(&self, state: DocumentState) -> usize {
        self.states.get(state.as_str()).copied().unwrap_or(0)
    }

    /// Prints what happened and where to look next.
    pub fn print(&self, html_report: &Path) {
        let plant = self.plant.display();
        let posted = self.state(DocumentState::Posted);
        let in_review = self.state(DocumentState::InReview);
        println!("\nThe whole loop, in {plant}: folder inbox → store → pipeline → review queue or outbox → SQLite ERP");
        println!(
            "  received        {} files dropped into inbox/ in received order, a day at a time ({} batches, {} passes)",
            self.files, self.batches, self.passes
        );
        println!(
            "                  {} documents stored, {} byte-identical repeats recognised at intake",
            self.documents, self.repeats
        );
        println!(
            "  auto-posted     {posted} documents → {} orders in SO_HDR, {} lines in SO_LIN ({} of the documents stored)",
            self.erp_headers,
            self.erp_lines,
            percent(posted, self.documents)
        );
        println!("  sent to review  {in_review} documents: {}", join(&self.review_routes));
        if !self.review_reasons.is_empty() {
            println!("                  decided review for: {}", join(&self.review_reasons));
        }
        println!("  quarantined     {}", self.state(DocumentState::Quarantined));
        println!("  dead-lettered   {}", self.state(DocumentState::DeadLettered));
        let unsettled: Vec<String> = self
            .states
            .iter()
            .filter(|(state, count)| **count > 0 && !is_settled(state))
            .map(|(state, count)| format!("{state} {count}"))
            .collect();
        if !unsettled.is_empty() {
            println!("  still moving    {} (prodline run finishes them)", unsettled.join(", "));
        }
        let seconds = self.elapsed.as_secs_f64();
        let rate = if seconds > 0.0 { self.files as f64 / seconds } else { 0.0 };
        println!("  time            {seconds:.1} s for {} files, {rate:.0} documents/s", self.files);
        let gap = &self.gap;
        println!(
            "  vs the eval     the eval decided auto for {} of {} documents; {} of those were decided review here:",
            gap.eval_auto, gap.eval_documents, gap.auto_to_review
        );
        println!(
            "                  {} came with a sender (e-mail, portal) the eval hands the pipeline and a folder inbox cannot;",
            gap.with_sender
        );
        println!(
            "                  {} because the eval learns each reviewed truth (--replay) and the loop does not yet",
            gap.auto_to_review.saturating_sub(gap.with_sender)
        );
        if gap.review_to_auto > 0 {
            println!("                  {} decided review by the eval were decided auto here", gap.review_to_auto);
        }
        for problem in &self.problems {
            println!("  problem: {problem}");
        }
        let config = self.plant.join(prodline_config::CONFIG_FILE);
        println!("\nWhere to look next:");
        println!("  prodline review list -c {}   the review queue, each with its reasons", config.display());
        println!(
            "  sqlite3 {} 'SELECT * FROM SO_HDR LIMIT 5'   the orders in the legacy ERP",
            self.plant.join("erp.sqlite").display()
        );
        println!("  {}   the eval's HTML report", html_report.display());
        println!(
            "  prodline run -c {}   keeps the plant running: drop files into {}",
            config.display(),
            self.plant.join("inbox").display()
        );
    }
}

/// In review or terminal: where the loop leaves a document.
fn is_settled(state: &str) -> bool {
    DocumentState::parse(state).is_some_and(|state| state.is_terminal() || state == DocumentState::InReview)
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 { "n/a".to_owned() } else { format!("{:.1} %", part as f64 * 100.0 / whole as f64) }
}

fn join(counts: &BTreeMap<String, usize>) -> String {
    let mut sorted: Vec<(&String, &usize)> = counts.iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    sorted.iter().map(|(key, count)| format!("{key} {count}")).collect::<Vec<_>>().join(", ")
}

/// Scaffolds `<out>/plant/` (removing an earlier one), feeds it the dataset in
/// received order and reports what the store and the ERP hold.
pub async fn run(out: &Path, dataset_dir: &Path) -> anyhow::Result<LoopReport> {
    let plant = out.join(PLANT_DIR);
    if plant.exists() {
        std::fs::remove_dir_all(&plant).with_context(|| format!("clearing {}", plant.display()))?;
    }
    let scaffold = PlantScaffold {
        master: dataset_dir.join("master"),
        workflow: WORKFLOW.to_owned(),
        policy: DecisionPolicy::Auto,
        stable_seconds: 0,
    };
    prodline_config::init_plant(&plant, &scaffold).await?;
    let config_path = plant.join(prodline_config::CONFIG_FILE);
    let config = Config::load(&config_path).map_err(|errors| anyhow::anyhow!("{errors}"))?;
    let inbox = plant_inbox(&config)?;
    let dataset = Dataset::load(dataset_dir)?;
    let batches = batches(&dataset.documents)?;

    let store = SqliteStore::open(&plant.join("prodline.sqlite"))
        .await
        .with_context(|| format!("opening the store in {}", plant.display()))?;
    let mut runner = Runner::new(&config).await?;
    let started = Instant::now();
    let mut report = LoopReport { plant: plant.clone(), batches: batches.len(), ..LoopReport::default() };
    let fed = feed(&mut runner, &store, &inbox, &batches, &mut report).await;
    runner.close().await;
    report.elapsed = started.elapsed();
    let counted = match fed {
        Ok(()) => count_store(&store, &mut report).await,
        Err(error) => Err(error),
    };
    store.close().await;
    counted?;
    count_erp(&config, &mut report).await?;
    report.gap = compare_with_eval(&out.join("predictions.jsonl"), &dataset.documents, &report.decisions)?;
    Ok(report)
}

/// The folder the scaffolded workflow takes files from, checked to be taken at once.
fn plant_inbox(config: &Config) -> anyhow::Result<PathBuf> {
    let sources = config.workflow.first().map(|workflow| &workflow.sources[..]).unwrap_or_default();
    match sources {
        [SourceConfig::Folder { path, stable_seconds: 0, .. }] => Ok(path.clone()),
        _ => bail!("{}: the plant should have one folder source with stable_seconds = 0", config.path.display()),
    }
}

/// Consecutive documents of one received day, split wherever the inbox's
/// name order would differ from received order (the runtime takes a pass's
/// files in name order). File names must be unique: they share one inbox.
fn batches(documents: &[DatasetDocument]) -> anyhow::Result<Vec<Vec<(&Path, String)>>> {
    let mut names = HashSet::new();
    let mut batches: Vec<Vec<(&Path, String)>> = Vec::new();
    let mut day: Option<Option<NaiveDate>> = None;
    for document in documents {
        let Some(name) = document.path.file_name().and_then(|name| name.to_str()).map(str::to_owned) else {
            bail!("{}: the file name is not UTF-8", document.path.display());
        };
        if !names.insert(name.clone()) {
            bail!("{}: another document has the file name {name}; the inbox needs unique names", document.doc);
        }
        let this_day = document.received_at.map(|at| at.date_naive());
        let in_order = batches.last().and_then(|batch| batch.last()).is_some_and(|(_, last)| *last < name);
        match batches.last_mut() {
            Some(batch) if day == Some(this_day) && in_order => batch.push((&document.path, name)),
            _ => batches.push(vec![(&document.path, name)]),
        }
        day = Some(this_day);
    }
    Ok(batches)
}

/// Each batch: copy its files into the inbox, then run passes until one moves nothing.
async fn feed(
    runner: &mut Runner,
    store: &SqliteStore,
    inbox: &Path,
    batches: &[Vec<(&Path, String)>],
    report: &mut LoopReport,
) -> anyhow::Result<()> {
    let clock = SystemClock;
    for batch in batches {
        for (path, name) in batch {
            let target = inbox.join(name);
            std::fs::copy(path, &target)
                .with_context(|| format!("copying {} into {}", path.display(), target.display()))?;
            report.files += 1;
        }
        for _ in 0..MAX_PASSES_PER_BATCH {
            let summary = runner.run_once(store, &clock).await?;
            report.passes += 1;
            report.problems.extend(summary.problems.iter().cloned());
            if moved_nothing(&summary) {
                break;
            }
        }
    }
    Ok(())
}

fn moved_nothing(summary: &RunSummary) -> bool {
    // Deferred deliveries and open circuits are waiting, not moving.
    let RunSummary {
        received,
        decided,
        auto,
        review,
        posted,
        dead_lettered,
        quarantined,
        deferred: _,
        circuits: _,
        problems: _,
    } = summary;
    [received, decided, auto, review, posted, dead_lettered, quarantined].iter().all(|count| **count == 0)
}

/// Documents per state, review reasons and repeats, as the store records them.
async fn count_store(store: &SqliteStore, report: &mut LoopReport) -> anyhow::Result<()> {
    for state in DocumentState::ALL {
        let documents = store.list(state, ALL).await?;
        report.documents += documents.len();
        report.states.insert(state.as_str(), documents.len());
        for document in &documents {
            let decision = document.decision.as_ref().and_then(|decision| decision.get("decision"));
            if let Some(decision) = decision.and_then(Value::as_str) {
                report.decisions.insert(document.file_name.clone(), decision.to_owned());
            }
            let events = store.events(document.id).await?;
            report.repeats += events.iter().filter(|event| event.kind == EventKind::DuplicateReceived).count();
            if state == DocumentState::InReview {
                count_review(document, &events, report);
            }
        }
    }
    Ok(())
}

/// The routing reason of the move into review, and the pipeline's reasons when it decided review.
fn count_review(document: &DocumentRecord, events: &[prodline_store::Event], report: &mut LoopReport) {
    let into_review = events.iter().rev().find(|event| {
        event.kind == EventKind::DocumentStateChanged
            && event.details.get("to").and_then(Value::as_str) == Some(DocumentState::InReview.as_str())
    });
    let route = into_review
        .and_then(|event| event.details.pointer("/details/reason"))
        .and_then(Value::as_str)
        .unwrap_or("unknown");
    *report.review_routes.entry(route.to_owned()).or_default() += 1;
    if route != "decision_review" {
        return;
    }
    let reasons = document.decision.as_ref().and_then(|decision| decision.get("reasons")).and_then(Value::as_array);
    let codes: HashSet<&str> =
        reasons.into_iter().flatten().filter_map(|reason| reason.get("code").and_then(Value::as_str)).collect();
    for code in codes {
        *report.review_reasons.entry(code.to_owned()).or_default() += 1;
    }
}

/// Rows in the ERP's header and line tables, read from the ERP itself.
async fn count_erp(config: &Config, report: &mut LoopReport) -> anyhow::Result<()> {
    let Some(TargetConfig::Sql(target)) = config.workflow.first().map(|workflow| &workflow.target) else {
        bail!("{}: the plant's target should be sql", config.path.display());
    };
    let erp = report.plant.join("erp.sqlite");
    let options = SqliteConnectOptions::new().filename(&erp).read_only(true);
    let mut connection =
        SqliteConnection::connect_with(&options).await.with_context(|| format!("opening {}", erp.display()))?;
    // The table names are the plant's own config, quoted as identifiers.
    let count = |table: &str| AssertSqlSafe(format!("SELECT COUNT(*) FROM \"{}\"", table.replace('"', "\"\"")));
    report.erp_headers = sqlx::query_scalar(count(&target.header_table))
        .fetch_one(&mut connection)
        .await
        .with_context(|| format!("{}: counting {}", erp.display(), target.header_table))?;
    report.erp_lines = sqlx::query_scalar(count(&target.lines_table))
        .fetch_one(&mut connection)
        .await
        .with_context(|| format!("{}: counting {}", erp.display(), target.lines_table))?;
    connection.close().await?;
    Ok(())
}

/// Pairs the eval's predictions (SPEC §5, `doc` and `decision`) with the
/// loop's decisions by file name.
fn compare_with_eval(
    predictions: &Path,
    documents: &[DatasetDocument],
    decisions: &HashMap<String, String>,
) -> anyhow::Result<EvalGap> {
    let text = std::fs::read_to_string(predictions).with_context(|| format!("reading {}", predictions.display()))?;
    let senders: HashSet<&str> = documents
        .iter()
        .filter(|document| document.from.is_some())
        .filter_map(|document| document.path.file_name().and_then(|name| name.to_str()))
        .collect();
    let mut gap = EvalGap::default();
    for (index, line) in text.lines().enumerate() {
        let prediction: Value = serde_json::from_str(line)
            .with_context(|| format!("{}:{}: not a JSON prediction", predictions.display(), index + 1))?;
        let doc = prediction.get("doc").and_then(Value::as_str).unwrap_or_default();
        let name = doc.rsplit('/').next().unwrap_or(doc);
        let eval_auto = prediction.get("decision").and_then(Value::as_str) == Some("auto");
        gap.eval_documents += 1;
        gap.eval_auto += usize::from(eval_auto);
        // A byte-identical repeat is no document of its own in the loop.
        let Some(decision) = decisions.get(name) else { continue };
        let loop_auto = decision == "auto";
        if eval_auto && !loop_auto {
            gap.auto_to_review += 1;
            gap.with_sender += usize::from(senders.contains(name));
        }
        gap.review_to_auto += usize::from(!eval_auto && loop_auto);
    }
    Ok(gap)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(path: &str, received_at: &str) -> DatasetDocument {
        DatasetDocument {
            doc: path.to_owned(),
            path: PathBuf::from(path),
            truth: Vec::new(),
            duplicate_of: None,
            received_at: chrono::DateTime::parse_from_rfc3339(received_at).ok().map(|at| at.to_utc()),
            channel: None,
            from: None,
        }
    }

    fn names(batches: &[Vec<(&Path, String)>]) -> Vec<Vec<String>> {
        batches.iter().map(|batch| batch.iter().map(|(_, name)| name.clone()).collect()).collect()
    }

    #[test]
    fn a_batch_is_one_received_day_in_name_order() {
        let documents = [
            document("docs/a/00001.edi", "2026-01-05T10:00:00Z"),
            document("docs/b/00002.csv", "2026-01-05T11:00:00Z"),
            // Received later the same day, but its name sorts first: a pass would take it first.
            document("docs/a/00000.x12", "2026-01-05T12:00:00Z"),
            document("docs/a/00003.x12", "2026-01-06T09:00:00Z"),
        ];
        let batches = batches(&documents).expect("unique names");
        assert_eq!(names(&batches), [vec!["00001.edi", "00002.csv"], vec!["00000.x12"], vec!["00003.x12"]]);
    }

    #[test]
    fn two_documents_of_one_file_name_are_refused() {
        let documents = [
            document("docs/a/00001.edi", "2026-01-05T10:00:00Z"),
            document("docs/b/00001.edi", "2026-01-05T11:00:00Z"),
        ];
        let error = batches(&documents).err().map(|error| error.to_string()).unwrap_or_default();
        assert!(error.contains("docs/b/00001.edi") && error.contains("unique"), "{error}");
    }
}
