//! The second half of `prodline demo`: the whole loop. The generated
//! documents arrive, a day at a time and in received order, at a deployment
//! scaffolded in `<out>/plant/`, each through the intake of its channel: a
//! document with a sender (e-mail, portal) is uploaded with it to the plant's
//! HTTP upload API (`POST /api/v1/documents`, served in-process on
//! 127.0.0.1), anything else (EDI, uploads without a sender) is dropped into
//! the folder inbox. The runtime's passes take them through the store and the
//! pipeline into the review queue or, through the outbox, into a SQLite
//! "legacy ERP"; then the store and the ERP are asked what happened.
//!
//! It lives in the binary, not in `crates/demo`: that crate is a pure,
//! deterministic generator (no clock, no store, no database), while this loop
//! needs the runtime, the store, sqlx and the wall clock.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use prodline_api::ApiState;
use prodline_config::{Config, DecisionPolicy, PlantScaffold, SourceConfig, TargetConfig};
use prodline_core::CanonicalOrder;
use prodline_eval::{Dataset, DatasetDocument};
use prodline_runtime::{Clock, RunSummary, Runner};
use prodline_store::{DocumentRecord, DocumentState, EventKind, SqliteStore, Store, StoreClock};
use serde_json::Value;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AssertSqlSafe, Connection, SqliteConnection};

/// The plant's folder under `--out`.
pub const PLANT_DIR: &str = "plant";
/// The plant's one workflow.
pub(crate) const WORKFLOW: &str = "order-entry";
/// A batch that still moves after this many passes is left to `prodline run`
/// (a delivery waiting for its retry moves nothing, so this is a safety net).
pub(crate) const MAX_PASSES_PER_BATCH: usize = 20;
/// More documents than any demo writes: `Store::list` takes a limit.
const ALL: u32 = u32::MAX;
/// Where the scaffolded config ends its sources: the http source goes before it.
const AFTER_SOURCES: &str = "[workflow.extractor]";
/// The plant samples a tenth of what would go straight to the ERP for audit:
/// three months of the demo give about 120 labels of auto-approve accuracy.
const AUDIT_RATE: &str = "audit_rate = 0.10";
/// The days at the end of the replay whose review queue the demo's reviewer
/// leaves to a person at the web UI.
const DAYS_LEFT_FOR_A_PERSON: i64 = 3;
/// The monitor's story of the loop, as JSON, under `--out`.
pub const STORY_FILE: &str = "story.json";
/// Who reviews in the demo: a person played from the generated truth.
pub const REVIEWER: &str = "demo reviewer (answers from the generated truth)";

/// The demo's clock: the received time of the document being fed, so three
/// months of history replay in seconds with their own dates in the store,
/// the audit trail and every figure by date.
#[derive(Debug, Clone)]
pub struct DemoClock(Arc<Mutex<DateTime<Utc>>>);

impl DemoClock {
    fn new(at: DateTime<Utc>) -> DemoClock {
        DemoClock(Arc::new(Mutex::new(at)))
    }

    /// Moves the clock to `at`; it never goes back.
    pub(crate) fn set(&self, at: DateTime<Utc>) {
        if let Ok(mut now) = self.0.lock()
            && at > *now
        {
            *now = at;
        }
    }

    fn store_clock(&self) -> StoreClock {
        let clock = self.clone();
        Arc::new(move || clock.now())
    }
}

impl Clock for DemoClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.lock().map_or_else(|poisoned| *poisoned.into_inner(), |now| *now)
    }
}

/// What the loop did, from the store and the ERP, not from its own tallies.
#[derive(Debug, Clone, Default)]
pub struct LoopReport {
    /// The deployment folder, `<out>/plant`.
    pub plant: PathBuf,
    /// Files received: dropped into the inbox or uploaded.
    pub files: usize,
    /// Of those, files uploaded with their sender to the HTTP API.
    pub uploads: usize,
    /// The upload URL the loop posted to (`http://127.0.0.1:<port>/api/v1/documents`).
    pub upload_url: String,
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
    /// Documents the demo's reviewer answered: approved or corrected, rejected.
    pub reviewed: usize,
    pub rejected: usize,
    /// The monitor's story: SLO, drift, the dead feed, cost and KPI.
    pub story: Option<crate::demo_story::Story>,
    /// The loop's decision (`auto`/`review`) per stored file name.
    decisions: HashMap<String, String>,
    /// Stored file names decided auto but routed to review (a revision of a posted order).
    held: HashSet<String>,
}

/// The eval and the loop run the same pipeline on the same documents; this
/// says where their decisions part and why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvalGap {
    /// Documents the eval decided auto, of the `eval_documents` it saw.
    pub eval_auto: usize,
    pub eval_documents: usize,
    /// Decided auto by the eval and by the loop, but held for review by the
    /// routing (a revised PO of an order already posted needs a person).
    pub auto_held: usize,
    /// Decided auto by the eval, review by the loop.
    pub auto_to_review: usize,
    /// Of those, documents whose meta.jsonl names a sender (uploaded with it,
    /// so the sender is no longer a cause).
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
        println!(
            "\nThe whole loop, in {plant}: folder inbox or HTTP upload → store → pipeline → review queue or outbox → SQLite ERP"
        );
        println!(
            "  received        {} files in received order, a day at a time ({} batches, {} passes):",
            self.files, self.batches, self.passes
        );
        println!(
            "                  {} without a sender (EDI, sender-less uploads) dropped into inbox/, {} with their sender (e-mail, portal)",
            self.files.saturating_sub(self.uploads),
            self.uploads
        );
        println!("                  POSTed to {}", self.upload_url);
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
        let routed: usize = self.review_routes.values().sum();
        println!("  sent to review  {routed} documents: {}", join(&self.review_routes));
        if !self.review_reasons.is_empty() {
            println!("                  decided review for: {}", join(&self.review_reasons));
        }
        println!(
            "  reviewed        {} corrected or approved and {} rejected by the demo's reviewer, from the truth, the day after",
            self.reviewed, self.rejected
        );
        println!("  still in review {in_review}");
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
            "  vs the eval     the eval decided auto for {} of {} documents; of those, here {} were decided auto but routed",
            gap.eval_auto, gap.eval_documents, gap.auto_held
        );
        println!(
            "                  to review (revisions, the audit sample, drift holds: the eval scores the decision, not the routing),"
        );
        println!(
            "                  {} were decided review ({} of them came with a sender): the eval learns each reviewed",
            gap.auto_to_review, gap.with_sender
        );
        println!(
            "                  document's truth (--replay) before the next one; the loop's reviewer answers a day later"
        );
        if gap.review_to_auto > 0 {
            println!("                  {} decided review by the eval were decided auto here", gap.review_to_auto);
        }
        for problem in &self.problems {
            println!("  problem: {problem}");
        }
        if let Some(story) = &self.story {
            story.print();
        }
        let config = self.plant.join(prodline_config::CONFIG_FILE);
        println!("\nWhere to look next:");
        println!("  prodline review list -c {}   the review queue, each with its reasons", config.display());
        println!(
            "  prodline status -c {} --at {}   SLO, drift, liveness, cost and KPI as the plant saw them",
            config.display(),
            self.story.as_ref().map_or_else(String::new, |story| story.as_of.to_rfc3339())
        );
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
        println!("  curl -F file=@<document> -F from=<sender> {}   uploads one while it runs", self.upload_url);
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

/// Scaffolds `<out>/plant/` (removing an earlier one) with a folder inbox and
/// an http source, feeds it the dataset in received order and reports what
/// the store and the ERP hold.
pub async fn run(out: &Path, dataset_dir: &Path, summary: &prodline_demo::DemoSummary) -> anyhow::Result<LoopReport> {
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
    // Bound before it is written down, so the config names the port the demo serves.
    let listener = prodline_api::bind("127.0.0.1:0").await?;
    let address = listener.local_addr().context("the upload listener on 127.0.0.1 has no address")?;
    add_http_source(&config_path, &address.to_string())?;
    sample_for_audit(&config_path)?;
    crate::demo_story::add_monitoring(&config_path, summary)?;
    let config = Config::load(&config_path).map_err(|errors| anyhow::anyhow!("{errors}"))?;
    let (inbox, listen) = plant_sources(&config)?;
    let dataset = Dataset::load(dataset_dir)?;
    let batches = batches(&dataset.documents)?;
    let start = dataset.documents.iter().filter_map(|document| document.received_at).min().unwrap_or_else(Utc::now);
    let clock = DemoClock::new(start - TimeDelta::minutes(1));

    let store = SqliteStore::open(&plant.join("prodline.sqlite"))
        .await
        .with_context(|| format!("opening the store in {}", plant.display()))?
        .with_clock(clock.store_clock());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        let _ = stopped.await;
    };
    let api = ApiState::new(store.clone(), WORKFLOW).with_clock(clock.store_clock());
    let server = tokio::spawn(prodline_api::serve_on(listener, api, shutdown));
    let intake = Intake {
        inbox,
        upload_url: format!("http://{listen}/api/v1/documents"),
        // A proxy from the environment must not see the plant's own loopback uploads.
        client: reqwest::Client::builder().no_proxy().build().context("building the HTTP client")?,
    };
    let started = Instant::now();
    let mut report = LoopReport {
        plant: plant.clone(),
        batches: batches.len(),
        upload_url: intake.upload_url.clone(),
        ..LoopReport::default()
    };
    let fed = match Runner::new(&config).await {
        Ok(mut runner) => {
            let truth = Truth::of(&dataset.documents);
            let plant = Replay { store: &store, clock: &clock, config: &config, truth: &truth };
            let mut fed = feed(&mut runner, &plant, &intake, &batches, &mut report).await;
            if fed.is_ok() {
                fed = crate::demo_story::finish(&mut runner, &plant, &dataset, summary, &mut report).await;
            }
            runner.close().await;
            fed
        }
        Err(error) => Err(error.into()),
    };
    report.elapsed = started.elapsed();
    let _ = stop.send(());
    let served = match server.await {
        Ok(served) => served.with_context(|| format!("the upload API on {listen}")),
        Err(error) => Err(anyhow::anyhow!("the upload API on {listen} stopped abnormally: {error}")),
    };
    let counted = match fed.and(served) {
        Ok(()) => count_store(&store, &mut report).await,
        Err(error) => Err(error),
    };
    store.close().await;
    counted?;
    count_erp(&config, &mut report).await?;
    report.gap =
        compare_with_eval(&out.join("predictions.jsonl"), &dataset.documents, &report.decisions, &report.held)?;
    if let Some(story) = &report.story {
        let path = out.join(STORY_FILE);
        let json = serde_json::to_string_pretty(story).context("writing the story as JSON")?;
        std::fs::write(&path, json).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(report)
}

/// Turns the scaffold's commented audit rate into the plant's.
fn sample_for_audit(config_path: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(config_path).with_context(|| format!("reading {}", config_path.display()))?;
    let commented = "# audit_rate = 0.05";
    if !text.contains(commented) {
        bail!("{}: no `{commented}` line to set the plant's audit rate on", config_path.display());
    }
    std::fs::write(config_path, text.replacen(commented, AUDIT_RATE, 1))
        .with_context(|| format!("writing {}", config_path.display()))
}

/// Adds an http source listening on `listen` to the scaffolded config, after
/// its folder source, so `prodline run` serves uploads where the demo did.
fn add_http_source(config_path: &Path, listen: &str) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(config_path).with_context(|| format!("reading {}", config_path.display()))?;
    if !text.contains(AFTER_SOURCES) {
        bail!("{}: no {AFTER_SOURCES} table to put the http source before", config_path.display());
    }
    let http = format!(
        "# Documents with a sender (e-mail, portal) are POSTed here with it (prodline demo did so).\n\
         [[workflow.sources]]\ntype = \"http\"\nlisten = \"{listen}\"\n\n{AFTER_SOURCES}"
    );
    std::fs::write(config_path, text.replacen(AFTER_SOURCES, &http, 1))
        .with_context(|| format!("writing {}", config_path.display()))
}

/// The folder the scaffolded workflow takes files from, checked to be taken
/// at once, and the address its http source listens on.
fn plant_sources(config: &Config) -> anyhow::Result<(PathBuf, String)> {
    let sources = config.workflow.first().map(|workflow| &workflow.sources[..]).unwrap_or_default();
    match sources {
        [SourceConfig::Folder { path, stable_seconds: 0, .. }, SourceConfig::Http { listen }] => {
            Ok((path.clone(), listen.clone()))
        }
        _ => bail!(
            "{}: the plant should have one folder source with stable_seconds = 0, then one http source",
            config.path.display()
        ),
    }
}

/// Where the loop's documents go in: the inbox folder or the upload API.
struct Intake {
    inbox: PathBuf,
    upload_url: String,
    client: reqwest::Client,
}

/// One document on its way in: its file, its (unique) file name, and its
/// sender when it has one (then it is uploaded with it).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Arrival<'a> {
    path: &'a Path,
    name: String,
    from: Option<&'a str>,
    received_at: Option<DateTime<Utc>>,
}

/// Consecutive documents of one received day, in the order the store must
/// receive them: a batch's uploads (stored as each is answered) come first,
/// then its inbox files (stored by the next pass, in name order, after the
/// uploads). A batch is split wherever that would change received order. File
/// names must be unique: they share one inbox.
fn batches(documents: &[DatasetDocument]) -> anyhow::Result<Vec<Vec<Arrival<'_>>>> {
    let mut names = HashSet::new();
    let mut batches: Vec<Vec<Arrival<'_>>> = Vec::new();
    let mut day: Option<Option<NaiveDate>> = None;
    for document in documents {
        let Some(name) = document.path.file_name().and_then(|name| name.to_str()).map(str::to_owned) else {
            bail!("{}: the file name is not UTF-8", document.path.display());
        };
        if !names.insert(name.clone()) {
            bail!("{}: another document has the file name {name}; the inbox needs unique names", document.doc);
        }
        let arrival =
            Arrival { path: &document.path, name, from: document.from.as_deref(), received_at: document.received_at };
        let this_day = document.received_at.map(|at| at.date_naive());
        let in_order = batches.last().and_then(|batch| batch.last()).is_some_and(|last| {
            match (last.from, arrival.from) {
                // An upload after an inbox file would be stored before it.
                (_, Some(_)) => last.from.is_some(),
                (Some(_), None) => true,
                (None, None) => last.name < arrival.name,
            }
        });
        match batches.last_mut() {
            Some(batch) if day == Some(this_day) && in_order => batch.push(arrival),
            _ => batches.push(vec![arrival]),
        }
        day = Some(this_day);
    }
    Ok(batches)
}

/// Each batch: upload its documents with a sender, copy the others into the
/// inbox, then run passes until one moves nothing.
async fn feed(
    runner: &mut Runner,
    plant: &Replay<'_>,
    intake: &Intake,
    batches: &[Vec<Arrival<'_>>],
    report: &mut LoopReport,
) -> anyhow::Result<()> {
    let Replay { store, clock, config, truth } = *plant;
    // The reviewer leaves the queue of the last days to a person: `prodline
    // demo` ends by serving the review desk, and the audit samples among
    // those documents are the labels the person watches the SLO take in.
    let last_day = batches.iter().flatten().filter_map(|arrival| arrival.received_at).max().map(|at| at.date_naive());
    let left_from = last_day.map(|day| day - TimeDelta::days(DAYS_LEFT_FOR_A_PERSON - 1));
    let mut reviewed_day = None;
    for batch in batches {
        let day = batch.first().and_then(|arrival| arrival.received_at).map(|at| at.date_naive());
        if day != reviewed_day {
            // Each day that passed without documents is watched at its
            // midnight, as `prodline run` watches an idle plant (every
            // minute): a silent feed is noticed on time, not at the next
            // arrival.
            if let (Some(previous), Some(today)) = (reviewed_day, day) {
                for midnight in previous.iter_days().skip(1).take_while(|d| *d <= today) {
                    clock.set(midnight.and_time(chrono::NaiveTime::MIN).and_utc());
                    let pass = runner.run_once(store, clock).await?;
                    report.passes += 1;
                    report.problems.extend(pass.problems.iter().cloned());
                }
            }
            // The reviewer works the queue first thing each day: yesterday's
            // documents get their labels a day after their decision.
            if let Some(at) = batch.first().and_then(|arrival| arrival.received_at) {
                clock.set(at);
            }
            if day.zip(left_from).is_none_or(|(day, left_from)| day < left_from) {
                review_queue(store, config, truth, report).await?;
            }
            reviewed_day = day;
        }
        for arrival in batch {
            if let Some(at) = arrival.received_at {
                clock.set(at);
            }
            match arrival.from {
                Some(from) => {
                    upload(intake, arrival, from).await?;
                    report.uploads += 1;
                }
                None => {
                    let target = intake.inbox.join(&arrival.name);
                    std::fs::copy(arrival.path, &target)
                        .with_context(|| format!("copying {} into {}", arrival.path.display(), target.display()))?;
                }
            }
            report.files += 1;
        }
        for _ in 0..MAX_PASSES_PER_BATCH {
            let summary = runner.run_once(store, clock).await?;
            report.passes += 1;
            report.problems.extend(summary.problems.iter().cloned());
            if moved_nothing(&summary) {
                break;
            }
        }
    }
    Ok(())
}

/// Uploads one document as a portal or mail gateway would: `POST
/// /api/v1/documents` with a `file` part and a `from` part. The API answers
/// only after the store's commit, so the document is stored on return.
async fn upload(intake: &Intake, arrival: &Arrival<'_>, from: &str) -> anyhow::Result<()> {
    let path = arrival.path;
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let (boundary, body) = multipart(&arrival.name, from, &bytes).with_context(|| path.display().to_string())?;
    let url = &intake.upload_url;
    let response = intake
        .client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .with_context(|| format!("{}: uploading to {url}", path.display()))?;
    let status = response.status();
    if !status.is_success() {
        let answer = response.text().await.unwrap_or_default();
        bail!("{}: {url} answered {status}: {answer}", path.display());
    }
    Ok(())
}

/// A `multipart/form-data` body of one `file` part and one `from` part, and
/// its boundary (one that occurs in neither).
fn multipart(name: &str, from: &str, bytes: &[u8]) -> anyhow::Result<(String, Vec<u8>)> {
    if name.contains(['"', '\r', '\n']) {
        bail!("the file name {name:?} cannot be sent in a multipart header");
    }
    if from.contains(['\r', '\n']) {
        bail!("the sender {from:?} spans lines; a multipart text part cannot carry it");
    }
    let contains = |haystack: &[u8], needle: &[u8]| haystack.windows(needle.len()).any(|window| window == needle);
    let mut boundary = "prodline-demo-boundary".to_owned();
    for attempt in 0u32.. {
        if !contains(bytes, boundary.as_bytes()) && !from.contains(&boundary) {
            break;
        }
        boundary = format!("prodline-demo-boundary-{attempt}");
    }
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"from\"\r\n\r\n{from}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: {}\r\n\r\n",
        content_type(name)
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Ok((boundary, body))
}

/// The media type a sender's client would give the file, by its extension.
fn content_type(name: &str) -> &'static str {
    let extension = name.rsplit_once('.').map(|(_, extension)| extension.to_ascii_lowercase());
    match extension.as_deref() {
        Some("csv") => "text/csv",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some("xml") => "application/xml",
        Some("x12" | "edi") => "application/edi-x12",
        Some("pdf") => "application/pdf",
        Some("txt") => "text/plain",
        _ => "application/octet-stream",
    }
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
        alerts: _,
    } = summary;
    [received, decided, auto, review, posted, dead_lettered, quarantined].iter().all(|count| **count == 0)
}

/// The plant as the replay drives it: its store, the replayed clock, its
/// config and the truth its reviewer answers from.
#[derive(Clone, Copy)]
pub struct Replay<'a> {
    pub store: &'a SqliteStore,
    pub clock: &'a DemoClock,
    pub config: &'a Config,
    pub truth: &'a Truth,
}

/// The generated truth by file name: what the demo's reviewer answers.
pub struct Truth(HashMap<String, Vec<CanonicalOrder>>);

impl Truth {
    /// The orders a stored file holds, by its file name.
    pub fn orders(&self, file_name: &str) -> Option<&[CanonicalOrder]> {
        self.0.get(file_name).map(Vec::as_slice)
    }

    fn of(documents: &[DatasetDocument]) -> Truth {
        let by_name = documents.iter().filter_map(|document| {
            let name = document.path.file_name()?.to_str()?.to_owned();
            Some((name, document.truth.clone()))
        });
        Truth(by_name.collect())
    }
}

/// Answers every document in the review queue from the truth: the orders
/// it holds are approved as corrected (the label, and a lesson for the
/// memory), a document holding none is rejected.
async fn review_queue(
    store: &SqliteStore,
    config: &Config,
    truth: &Truth,
    report: &mut LoopReport,
) -> anyhow::Result<()> {
    for document in store.list(DocumentState::InReview, ALL).await? {
        let Some(orders) = truth.0.get(&document.file_name) else { continue };
        let answered = if orders.is_empty() {
            let rejected =
                prodline_runtime::review::reject(store, document.id, REVIEWER, "not an order to enter").await;
            rejected.map(|_| report.rejected += 1)
        } else {
            let corrected =
                prodline_runtime::review::correct(store, config, document.id, REVIEWER, orders.clone()).await;
            corrected.map(|_| report.reviewed += 1)
        };
        if let Err(error) = answered {
            report.problems.push(format!("reviewing document {} ({}): {error}", document.id, document.file_name));
        }
    }
    Ok(())
}

/// Documents per state, review reasons and repeats, as the store records them.
async fn count_store(store: &SqliteStore, report: &mut LoopReport) -> anyhow::Result<()> {
    for state in DocumentState::ALL {
        let documents = store.list(state, ALL).await?;
        report.documents += documents.len();
        report.states.insert(state.as_str(), documents.len());
        for document in &documents {
            let decision = document.decision.as_ref().and_then(|decision| decision.get("decision"));
            let events = store.events(document.id).await?;
            report.repeats += events.iter().filter(|event| event.kind == EventKind::DuplicateReceived).count();
            let routed_to_review = count_review(document, &events, report);
            if let Some(decision) = decision.and_then(Value::as_str) {
                report.decisions.insert(document.file_name.clone(), decision.to_owned());
                if routed_to_review && decision == "auto" {
                    report.held.insert(document.file_name.clone());
                }
            }
        }
    }
    Ok(())
}

/// The routing reason of a move into review, and the pipeline's reasons
/// when it decided review; whether the document was routed to review at all.
fn count_review(document: &DocumentRecord, events: &[prodline_store::Event], report: &mut LoopReport) -> bool {
    let into_review = events.iter().rev().find(|event| {
        event.kind == EventKind::DocumentStateChanged
            && event.details.get("to").and_then(Value::as_str) == Some(DocumentState::InReview.as_str())
    });
    let Some(into_review) = into_review else { return false };
    let route = into_review.details.pointer("/details/reason").and_then(Value::as_str).unwrap_or("unknown");
    *report.review_routes.entry(route.to_owned()).or_default() += 1;
    if route != "decision_review" {
        return true;
    }
    let reasons = document.decision.as_ref().and_then(|decision| decision.get("reasons")).and_then(Value::as_array);
    let codes: HashSet<&str> =
        reasons.into_iter().flatten().filter_map(|reason| reason.get("code").and_then(Value::as_str)).collect();
    for code in codes {
        *report.review_reasons.entry(code.to_owned()).or_default() += 1;
    }
    true
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
/// loop's decisions by file name; `held` names the loop's documents decided
/// auto but routed to review.
fn compare_with_eval(
    predictions: &Path,
    documents: &[DatasetDocument],
    decisions: &HashMap<String, String>,
    held: &HashSet<String>,
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
        gap.auto_held += usize::from(eval_auto && loop_auto && held.contains(name));
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
            curated: false,
        }
    }

    fn sent(path: &str, received_at: &str, from: &str) -> DatasetDocument {
        DatasetDocument {
            from: Some(from.to_owned()),
            channel: Some("email".to_owned()),
            ..document(path, received_at)
        }
    }

    fn names(batches: &[Vec<Arrival<'_>>]) -> Vec<Vec<String>> {
        batches.iter().map(|batch| batch.iter().map(|arrival| arrival.name.clone()).collect()).collect()
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
    fn a_batch_uploads_first_and_drops_files_after() {
        let documents = [
            sent("docs/m/00001.csv", "2026-01-05T09:00:00Z", "buyer@acme.example"),
            sent("docs/m/00002.xlsx", "2026-01-05T09:30:00Z", "buyer@acme.example"),
            document("docs/e/00009.edi", "2026-01-05T10:00:00Z"),
            // An upload after an inbox file of the day: the pass would store the file after it.
            sent("docs/m/00003.csv", "2026-01-05T11:00:00Z", "orders@bolt.example"),
            document("docs/e/00004.edi", "2026-01-05T12:00:00Z"),
            sent("docs/m/00005.csv", "2026-01-06T08:00:00Z", "orders@bolt.example"),
        ];
        let batches = batches(&documents).expect("unique names");
        assert_eq!(
            names(&batches),
            [vec!["00001.csv", "00002.xlsx", "00009.edi"], vec!["00003.csv", "00004.edi"], vec!["00005.csv"]]
        );
        let senders: Vec<Option<&str>> = batches[0].iter().map(|arrival| arrival.from).collect();
        assert_eq!(senders, [Some("buyer@acme.example"), Some("buyer@acme.example"), None]);
    }

    #[test]
    fn the_multipart_body_carries_the_sender_and_the_bytes() {
        let bytes = b"PO,SKU\r\n--prodline-demo-boundary\r\n";
        let (boundary, body) = multipart("00001.csv", "buyer@acme.example", bytes).expect("a body");
        assert_ne!(boundary, "prodline-demo-boundary", "the boundary occurs in the file");
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains("name=\"from\"\r\n\r\nbuyer@acme.example\r\n"), "{text}");
        assert!(text.contains("filename=\"00001.csv\"\r\nContent-Type: text/csv\r\n\r\n"), "{text}");
        assert!(text.ends_with(&format!("\r\n--{boundary}--\r\n")), "{text}");
        assert!(multipart("a\"b.csv", "x@y.example", b"").is_err(), "a quote in the file name was sent");
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
