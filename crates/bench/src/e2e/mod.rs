//! `prodline bench e2e`: structured orders per second end to end, from
//! receipt in the store to the commit in a SQLite "legacy ERP", durable (the
//! store's own settings: SQLite `synchronous=FULL`, PostgreSQL's default
//! fsync; the ERP commits each order), with p50/p99 latency receipt → ERP
//! commit per order.
//!
//! Each scenario scaffolds `prodline init`'s example in a temporary folder
//! (policy `auto`), starts its workers, then receives N generated orders
//! through `Store::receive` (what an upload or a folder intake does) as fast
//! as the store takes them, while the workers process, route and deliver.
//! It ends when every document is posted, in review or otherwise settled.
//! Figures come from the audit trail (receipt and posting times), the ERP's
//! rows and `/proc`, not from the workers' own tallies:
//!
//! - SQLite store: one in-process `Runner`, passes back to back;
//! - PostgreSQL store (a fresh schema): 1 and 3 `prodline run` child
//!   processes (this very binary), as deployed.
//!
//! The extraction alone (read, resolve, validate, decide) is timed
//! separately on the same documents, on one thread, so the pipeline's own
//! cost per document can be told from the runtime's.

mod measure;
mod orders;
mod plant;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::Utc;
use prodline_core::Decision;
use prodline_extract::{Context, MasterData, Memory};
use prodline_runtime::{Runner, SystemClock};
use prodline_store::{DocumentState, PgConfig, PostgresStore, Received, SqliteStore, Store};
use serde::Serialize;
use serde_json::json;

use orders::BenchDocument;
use plant::{Plant, WORKFLOW, Worker};

/// The PostgreSQL of the test services (`scripts/services.sh`).
pub const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";
/// A run that settles nothing for this long is reported as stalled.
const STALL_AFTER: Duration = Duration::from_secs(300);
/// How often the PostgreSQL runs look whether everything settled.
const LOOK_EVERY: Duration = Duration::from_millis(50);
/// Worker exits tolerated in one run (each is started again and counted).
const MAX_RESTARTS: usize = 500;
/// The extraction alone is repeated over the documents for at least this long.
const EXTRACTION_AT_LEAST: Duration = Duration::from_millis(500);

/// One measured setup: the store and how many workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "store")]
pub enum Scenario {
    /// The SQLite store, one in-process runner.
    Sqlite,
    /// The PostgreSQL store, this many `prodline run` processes.
    Postgres { workers: usize },
}

impl Scenario {
    /// What `bench e2e` measures without `--scenario`: SQLite, then PostgreSQL with 1 and 3 workers.
    pub const DEFAULT: [Scenario; 3] =
        [Scenario::Sqlite, Scenario::Postgres { workers: 1 }, Scenario::Postgres { workers: 3 }];
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scenario::Sqlite => f.write_str("sqlite"),
            Scenario::Postgres { workers } => write!(f, "postgres:{workers}"),
        }
    }
}

fn parse_scenario(text: &str) -> Result<Scenario, String> {
    let text = text.trim().to_ascii_lowercase();
    if text == "sqlite" {
        return Ok(Scenario::Sqlite);
    }
    let workers = text.strip_prefix("postgres:").and_then(|n| n.parse::<usize>().ok()).filter(|n| (1..=16).contains(n));
    match workers {
        Some(workers) => Ok(Scenario::Postgres { workers }),
        None => Err(format!("unknown scenario {text:?}: expected sqlite or postgres:N (N workers, 1 to 16)")),
    }
}

/// `prodline bench e2e` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct E2eBenchArgs {
    /// Order documents received per scenario.
    #[arg(long, default_value_t = 2000)]
    pub orders: u32,
    /// `sqlite` (one in-process worker) or `postgres:N` (N `prodline run` processes); repeat the
    /// flag. Default: sqlite, postgres:1, postgres:3.
    #[arg(long = "scenario", value_parser = parse_scenario)]
    pub scenarios: Vec<Scenario>,
    /// PostgreSQL for the postgres scenarios (a fresh schema each, dropped afterwards).
    #[arg(long, default_value = DEFAULT_POSTGRES)]
    pub postgres: String,
    /// The binary the postgres scenarios run as workers (default: this one).
    #[arg(long, value_name = "PRODLINE")]
    pub worker_binary: Option<PathBuf>,
    /// Keep each scenario's deployment (config, store, ERP, worker logs) under this folder.
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Say nothing on stderr while running.
    #[arg(long)]
    pub quiet: bool,
}

/// What stops an end-to-end run.
#[derive(Debug, thiserror::Error)]
pub enum E2eError {
    #[error("setting up the deployment: {0}")]
    Setup(String),
    #[error("{}: {source}", .path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("store: {0}")]
    Store(#[from] prodline_store::StoreError),
    #[error("runtime: {0}")]
    Runtime(#[from] prodline_runtime::RuntimeError),
    #[error("reading the ERP {}: {source}", .path.display())]
    Erp { path: PathBuf, source: sqlx::Error },
    #[error("scenario {scenario}: {problem}")]
    Run { scenario: Scenario, problem: String },
    #[error("rendering the report as JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// The figures of one scenario.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioRun {
    /// The store and the number of workers.
    pub scenario: Scenario,
    /// `in-process` or `processes`.
    pub workers_are: &'static str,
    /// How many workers ran.
    pub workers: usize,
    /// Documents received, and where they ended.
    pub documents: u32,
    pub posted: u64,
    pub in_review: u64,
    pub other: u64,
    /// Orders entered: postings in the audit trail, and rows in the ERP's header table.
    pub orders_posted: usize,
    pub erp_rows: i64,
    /// First receipt to last ERP commit.
    pub wall_seconds: f64,
    pub orders_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// CPU time of the worker processes (in-process: of this process, feeder included) per order.
    pub cpu_ms_per_order: f64,
    /// The largest worker's peak resident memory (in-process: this process's).
    pub peak_rss_mb: f64,
    /// Workers that exited during the run and were started again.
    pub restarts: usize,
    /// Delivery attempts that failed and were retried later (ERP busy or silent).
    pub failed_attempts: u64,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct E2eReport {
    /// Order documents received per scenario.
    pub orders: u32,
    /// Documents per format (x12, csv, edifact).
    pub formats: BTreeMap<&'static str, usize>,
    /// Extraction alone on one thread: CPU and wall milliseconds per document, and how many it decided auto.
    pub extraction_cpu_ms: f64,
    pub extraction_wall_ms: f64,
    pub extraction_auto: usize,
    /// Processors this process may use.
    pub cores: usize,
    /// The 1-minute load average when the run started (other work on the machine).
    pub load_average: Option<f64>,
    /// One entry per scenario, in the order run.
    pub runs: Vec<ScenarioRun>,
}

impl fmt::Display for E2eReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let formats: Vec<String> = self.formats.iter().map(|(format, count)| format!("{count} {format}")).collect();
        let load = self.load_average.map(|load| format!(", load average {load:.1} at start")).unwrap_or_default();
        writeln!(
            f,
            "End to end: {} order documents ({}) → store → pipeline → outbox → SQLite ERP, durable ({} cores{load})",
            self.orders,
            formats.join(", "),
            self.cores
        )?;
        writeln!(
            f,
            "extraction alone: {:.3} ms CPU ({:.3} ms wall) per document on one thread; decided auto {} of {}",
            self.extraction_cpu_ms, self.extraction_wall_ms, self.extraction_auto, self.orders
        )?;
        writeln!(
            f,
            "{:<12} {:>7} {:>6} {:>6} {:>6} {:>8} {:>8} {:>9} {:>8} {:>8} {:>8} {:>9} {:>8}",
            "scenario",
            "workers",
            "posted",
            "review",
            "other",
            "erp rows",
            "wall s",
            "orders/s",
            "p50 ms",
            "p99 ms",
            "max ms",
            "CPU ms/o",
            "RSS MB"
        )?;
        for run in &self.runs {
            writeln!(
                f,
                "{:<12} {:>7} {:>6} {:>6} {:>6} {:>8} {:>8.2} {:>9.0} {:>8.1} {:>8.1} {:>8.1} {:>9.3} {:>8.1}",
                run.scenario.to_string(),
                format!("{} {}", run.workers, if run.workers_are == "in-process" { "in" } else { "pr" }),
                run.posted,
                run.in_review,
                run.other,
                run.erp_rows,
                run.wall_seconds,
                run.orders_per_second,
                run.p50_ms,
                run.p99_ms,
                run.max_ms,
                run.cpu_ms_per_order,
                run.peak_rss_mb
            )?;
            if run.failed_attempts > 0 {
                writeln!(f, "  {}: {} delivery attempt(s) failed and were retried", run.scenario, run.failed_attempts)?;
            }
            if run.restarts > 0 {
                writeln!(f, "  {}: {} worker restart(s) during the run", run.scenario, run.restarts)?;
            }
        }
        writeln!(
            f,
            "workers: in = in-process runner, pr = `prodline run` processes; orders/s and latency count posted orders only"
        )
    }
}

/// Runs `bench e2e` and returns what to print: the table, or JSON with `--json`.
pub fn run_e2e_command(args: &E2eBenchArgs) -> Result<String, E2eError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|source| E2eError::Io { path: PathBuf::from("tokio runtime"), source })?;
    let report = runtime.block_on(run_e2e(args))?;
    if args.json {
        return Ok(serde_json::to_string_pretty(&report)? + "\n");
    }
    Ok(report.to_string())
}

/// The whole benchmark: the extraction alone, then every scenario.
pub async fn run_e2e(args: &E2eBenchArgs) -> Result<E2eReport, E2eError> {
    let documents: Vec<BenchDocument> = (0..args.orders).map(orders::document).collect();
    let mut formats = BTreeMap::new();
    for document in &documents {
        *formats.entry(document.format).or_insert(0) += 1;
    }
    let scratch = tempfile::tempdir().map_err(|source| E2eError::Io { path: std::env::temp_dir(), source })?;
    let base = args.keep.clone().unwrap_or_else(|| scratch.path().to_path_buf());
    let reference = Plant::create(&base.join("extraction"), false).await?;
    let (extraction_cpu_ms, extraction_wall_ms, extraction_auto) = extraction(&reference, &documents)?;
    let mut report = E2eReport {
        orders: args.orders,
        formats,
        extraction_cpu_ms,
        extraction_wall_ms,
        extraction_auto,
        cores: std::thread::available_parallelism().map(usize::from).unwrap_or(1),
        load_average: load_average(),
        runs: Vec::new(),
    };
    let scenarios = if args.scenarios.is_empty() { Scenario::DEFAULT.to_vec() } else { args.scenarios.clone() };
    for scenario in scenarios {
        if !args.quiet {
            eprintln!("bench e2e: {scenario}, {} documents ...", args.orders);
        }
        let dir = base.join(scenario.to_string().replace(':', "-"));
        let run = match scenario {
            Scenario::Sqlite => run_sqlite(&dir, &documents).await?,
            Scenario::Postgres { workers } => run_postgres(args, &dir, workers, &documents).await?,
        };
        if !args.quiet {
            eprintln!("  {:.0} orders/s, p50 {:.1} ms, p99 {:.1} ms", run.orders_per_second, run.p50_ms, run.p99_ms);
        }
        report.runs.push(run);
    }
    Ok(report)
}

/// The pipeline alone on one thread, with the workflow's master data and decision settings.
fn extraction(plant: &Plant, documents: &[BenchDocument]) -> Result<(f64, f64, usize), E2eError> {
    let master = MasterData::load_dir(&plant.master()).map_err(|error| E2eError::Setup(error.to_string()))?;
    let settings =
        plant.config.workflow.first().map(|workflow| workflow.decision.decision_config()).unwrap_or_default();
    let pid = std::process::id();
    let cpu_before = measure::cpu_seconds(pid).unwrap_or(0.0);
    let started = Instant::now();
    let mut auto = 0;
    let mut rounds = 0;
    // Rounds over the same documents, each with a fresh memory (a second
    // round would otherwise be all duplicates), until the clock's and the
    // CPU accounting's resolution no longer matter.
    while rounds == 0 || started.elapsed() < EXTRACTION_AT_LEAST {
        let mut memory = Memory::default();
        auto = 0;
        for document in documents {
            let context =
                Context { file_name: Some(document.file_name.clone()), from: None, received_at: Some(Utc::now()) };
            let outcome = prodline_extract::process(&document.bytes, &context, &master, &memory, &settings);
            memory.observe(&outcome, &context);
            auto += usize::from(outcome.decision == Decision::Auto);
        }
        rounds += 1;
    }
    let wall = started.elapsed().as_secs_f64();
    let cpu = measure::cpu_seconds(pid).unwrap_or(0.0) - cpu_before;
    let count = (documents.len() * rounds).max(1) as f64;
    Ok((cpu * 1e3 / count, wall * 1e3 / count, auto))
}

fn load_average() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// Receives every document through the store, as fast as it commits them.
async fn feed<S: Store>(store: S, documents: Vec<BenchDocument>) -> Result<(), prodline_store::StoreError> {
    for document in documents {
        let received = Received {
            source: format!("bench:{WORKFLOW}"),
            file_name: document.file_name,
            received_at: Utc::now(),
            from: None,
            bytes: document.bytes,
            meta: json!({ "workflow": WORKFLOW }),
        };
        store.receive(received).await?;
    }
    Ok(())
}

/// Documents per end state: (posted, in review, other settled), and whether all `total` settled.
async fn settled<S: Store>(store: &S, total: u32) -> Result<((u64, u64, u64), bool), prodline_store::StoreError> {
    let mut counts = (0, 0, 0);
    for (state, count) in store.count_by_state().await? {
        match state {
            DocumentState::Posted => counts.0 += count,
            DocumentState::InReview => counts.1 += count,
            state if state.is_terminal() => counts.2 += count,
            _ => {}
        }
    }
    Ok((counts, counts.0 + counts.1 + counts.2 >= u64::from(total)))
}

/// SQLite store, one in-process runner: passes back to back while the feeder receives.
async fn run_sqlite(dir: &Path, documents: &[BenchDocument]) -> Result<ScenarioRun, E2eError> {
    let scenario = Scenario::Sqlite;
    let plant = Plant::create(dir, false).await?;
    let store = SqliteStore::open(plant.store()).await?;
    let mut runner = Runner::new(&plant.config).await?;
    let pid = std::process::id();
    let cpu_before = measure::cpu_seconds(pid).unwrap_or(0.0);
    let total = u32::try_from(documents.len()).unwrap_or(u32::MAX);
    let feeder = tokio::spawn(feed(store.clone(), documents.to_vec()));
    let mut last_change = Instant::now();
    let mut last_counts = (0, 0, 0);
    let counts = loop {
        let summary = runner.run_once(&store, &SystemClock).await;
        let summary = match summary {
            Ok(summary) => summary,
            Err(error) => {
                feeder.abort();
                runner.close().await;
                return Err(error.into());
            }
        };
        let (counts, done) = settled(&store, total).await?;
        if done && feeder.is_finished() {
            break counts;
        }
        if counts != last_counts {
            (last_counts, last_change) = (counts, Instant::now());
        } else if last_change.elapsed() > STALL_AFTER {
            feeder.abort();
            runner.close().await;
            return Err(stalled(scenario, counts, &summary.to_string()));
        }
        if summary.received + summary.decided + summary.auto + summary.review + summary.posted == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    };
    runner.close().await;
    feeder.await.map_err(|error| E2eError::Run { scenario, problem: format!("the feeder failed: {error}") })??;
    let cpu = measure::cpu_seconds(pid).unwrap_or(0.0) - cpu_before;
    let trail = measure::trail(&store).await?;
    let failed = measure::failed_attempts(&store).await?;
    store.close().await;
    let peak = measure::peak_rss_mb(pid).unwrap_or(0.0);
    let usage = Usage { cpu_seconds: cpu, peak_rss_mb: peak, restarts: 0, failed_attempts: failed };
    finish(scenario, "in-process", 1, &plant, total, counts, trail, usage).await
}

fn stalled(scenario: Scenario, counts: (u64, u64, u64), last: &str) -> E2eError {
    E2eError::Run {
        scenario,
        problem: format!(
            "nothing settled for {} s (posted {}, in review {}, other {}); last pass: {last}",
            STALL_AFTER.as_secs(),
            counts.0,
            counts.1,
            counts.2
        ),
    }
}

/// PostgreSQL store in a fresh schema, `workers` `prodline run` processes.
async fn run_postgres(
    args: &E2eBenchArgs,
    dir: &Path,
    workers: usize,
    documents: &[BenchDocument],
) -> Result<ScenarioRun, E2eError> {
    let scenario = Scenario::Postgres { workers };
    let plant = Plant::create(dir, true).await?;
    let schema = format!("bench_e2e_{}_{workers}", std::process::id());
    let store = PostgresStore::connect_with(PgConfig::new(args.postgres.as_str()).with_schema(&schema)).await?;
    let separator = if args.postgres.contains('?') { '&' } else { '?' };
    let store_url = format!("{}{separator}options[search_path]={schema}", args.postgres);
    let exe = match &args.worker_binary {
        Some(exe) => exe.clone(),
        None => {
            std::env::current_exe().map_err(|source| E2eError::Io { path: PathBuf::from("current exe"), source })?
        }
    };
    let outcome = drive_workers(scenario, &exe, &plant, &store, &store_url, workers, documents).await;
    let dropped = store.drop_own_schema().await;
    store.close().await;
    let run = outcome?;
    dropped?;
    Ok(run)
}

#[allow(clippy::too_many_arguments)]
async fn drive_workers(
    scenario: Scenario,
    exe: &Path,
    plant: &Plant,
    store: &PostgresStore,
    store_url: &str,
    workers: usize,
    documents: &[BenchDocument],
) -> Result<ScenarioRun, E2eError> {
    let mut running = Vec::with_capacity(workers);
    for index in 0..workers {
        running.push(Worker::spawn(exe, plant, store_url, index)?);
    }
    // Let them connect and build their targets before the first receipt: start-up is not measured.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let outcome = watch(scenario, exe, plant, store, store_url, &mut running, documents).await;
    let mut cpu = 0.0;
    let mut peak: f64 = 0.0;
    for worker in &mut running {
        cpu += measure::cpu_seconds(worker.child.id()).unwrap_or(0.0);
        peak = peak.max(measure::peak_rss_mb(worker.child.id()).unwrap_or(0.0));
        worker.stop()?;
    }
    let (counts, restarts) = outcome?;
    let trail = measure::trail(store).await?;
    let failed = measure::failed_attempts(store).await?;
    let total = u32::try_from(documents.len()).unwrap_or(u32::MAX);
    let usage = Usage { cpu_seconds: cpu, peak_rss_mb: peak, restarts, failed_attempts: failed };
    finish(scenario, "processes", workers, plant, total, counts, trail, usage).await
}

/// Feeds the store and waits until every document settled; a worker that
/// exits is started again (and counted). Returns the end states and the restarts.
async fn watch(
    scenario: Scenario,
    exe: &Path,
    plant: &Plant,
    store: &PostgresStore,
    store_url: &str,
    running: &mut [Worker],
    documents: &[BenchDocument],
) -> Result<((u64, u64, u64), usize), E2eError> {
    let total = u32::try_from(documents.len()).unwrap_or(u32::MAX);
    let feeder = tokio::spawn(feed(store.clone(), documents.to_vec()));
    let mut restarts = 0;
    let mut last_change = Instant::now();
    let mut last_counts = (0, 0, 0);
    loop {
        tokio::time::sleep(LOOK_EVERY).await;
        let count = running.len();
        for index in 0..count {
            let Some(worker) = running.get_mut(index) else { continue };
            let exited = worker.child.try_wait().map_err(|source| E2eError::Io { path: worker.log.clone(), source })?;
            if exited.is_none() {
                continue;
            }
            let output = worker.output();
            let last_line = output.lines().last().unwrap_or("(no output)").to_owned();
            restarts += 1;
            if restarts > MAX_RESTARTS {
                feeder.abort();
                return Err(E2eError::Run { scenario, problem: format!("workers keep exiting: {last_line}") });
            }
            eprintln!("bench e2e: {scenario}: worker {index} exited ({last_line}); starting it again");
            *worker = Worker::spawn(exe, plant, store_url, count + restarts)?;
        }
        let (counts, done) = settled(store, total).await?;
        if done && feeder.is_finished() {
            feeder
                .await
                .map_err(|error| E2eError::Run { scenario, problem: format!("the feeder failed: {error}") })??;
            return Ok((counts, restarts));
        }
        if counts != last_counts {
            (last_counts, last_change) = (counts, Instant::now());
        } else if last_change.elapsed() > STALL_AFTER {
            feeder.abort();
            let logs: Vec<String> = running.iter().map(|worker| worker.output()).collect();
            return Err(stalled(scenario, counts, &logs.join(" | ")));
        }
    }
}

/// What the operating system and the outbox say about a run.
struct Usage {
    cpu_seconds: f64,
    peak_rss_mb: f64,
    restarts: usize,
    failed_attempts: u64,
}

#[allow(clippy::too_many_arguments)]
async fn finish(
    scenario: Scenario,
    workers_are: &'static str,
    workers: usize,
    plant: &Plant,
    documents: u32,
    (posted, in_review, other): (u64, u64, u64),
    trail: measure::Trail,
    usage: Usage,
) -> Result<ScenarioRun, E2eError> {
    let erp = plant.erp();
    let erp_rows = measure::erp_orders(&erp, &plant.header_table())
        .await
        .map_err(|source| E2eError::Erp { path: erp.clone(), source })?;
    let orders_posted = trail.latencies_ms.len();
    let wall_seconds = trail.wall_seconds();
    let per_order = |value: f64| if orders_posted == 0 { 0.0 } else { value / orders_posted as f64 };
    Ok(ScenarioRun {
        scenario,
        workers_are,
        workers,
        documents,
        posted,
        in_review,
        other,
        orders_posted,
        erp_rows,
        wall_seconds,
        orders_per_second: if wall_seconds > 0.0 { orders_posted as f64 / wall_seconds } else { 0.0 },
        p50_ms: trail.quantile_ms(0.50),
        p99_ms: trail.quantile_ms(0.99),
        max_ms: trail.quantile_ms(1.0),
        cpu_ms_per_order: per_order(usage.cpu_seconds * 1e3),
        peak_rss_mb: usage.peak_rss_mb,
        restarts: usage.restarts,
        failed_attempts: usage.failed_attempts,
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: E2eBenchArgs,
    }

    #[test]
    fn scenarios_parse_and_default_to_the_three() {
        let cli = Cli::try_parse_from(["e2e", "--scenario", "sqlite", "--scenario", "postgres:3", "--orders", "10"])
            .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(cli.args.scenarios, vec![Scenario::Sqlite, Scenario::Postgres { workers: 3 }]);
        assert_eq!(cli.args.orders, 10);
        assert!(Cli::try_parse_from(["e2e", "--scenario", "postgres:0"]).is_err());
        assert!(Cli::try_parse_from(["e2e", "--scenario", "mysql"]).is_err());
        let cli = Cli::try_parse_from(["e2e"]).unwrap_or_else(|error| panic!("{error}"));
        assert!(cli.args.scenarios.is_empty(), "empty means Scenario::DEFAULT");
    }
}
