//! `prodline run` survives kill -9: 2,000 documents in the inbox of a
//! deployment `prodline init` scaffolded (SQLite store, SQLite ERP), the
//! runtime SIGKILLed at seeded random moments and restarted, twenty times,
//! then run until nothing moves. No document is lost, each ends where its
//! content sends it (posted or in review) with a sound audit trail, and every
//! approved order is in the ERP exactly once.
//!
//! Kill moments are spread over the whole run by progress, not by time, so
//! that intake, processing, routing and delivery are each interrupted on
//! any machine: kill k comes once k/21 of the work is done (files taken,
//! documents decided, routed, ERP orders written), after a further seeded
//! random 0–500 ms. Each moment is printed with the state it hit;
//! `PRODLINE_CRASH_SEED=<seed>` replays the random part.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use prodline_config::{Config, StoreConfig};
use prodline_runtime::Clock;
use prodline_store::{DocumentState, SqliteStore, Store};
use prodline_testkit::orders::Expected;
use sqlx::{Connection, Row, SqliteConnection};
use support::{ERP_HEADERS_SQL, ERP_TWICE_SQL, Rng};

const DOCUMENTS: u32 = 2_000;
const KILLS: usize = 20;
const DEFAULT_SEED: u64 = 20_261_125;
/// The random part of a kill moment, in milliseconds after its progress mark.
const KILL_JITTER_MS: (u64, u64) = (0, 500);
/// Not a timing assertion: only how long the test waits before it reports a stall.
const STALL_AFTER: Duration = Duration::from_secs(600);
/// `run --once` passes allowed to bring the rest home before the test fails.
const MAX_FINAL_PASSES: usize = 10;

async fn erp(root: &Path) -> SqliteConnection {
    let url = format!("sqlite:{}", root.join("erp.sqlite").display());
    SqliteConnection::connect(&url).await.expect("open the ERP")
}

async fn erp_headers(root: &Path) -> Vec<(String, String, i64)> {
    let mut erp = erp(root).await;
    let rows = sqlx::query(ERP_HEADERS_SQL).fetch_all(&mut erp).await.expect("read SO_HDR");
    rows.iter().map(|row| (row.get(0), row.get(1), row.get(2))).collect()
}

/// How far the run is, straight from the inbox and the two database files.
#[derive(Debug, Default)]
struct Progress {
    inbox: usize,
    states: Vec<(String, i64)>,
    erp_orders: i64,
}

impl Progress {
    async fn read(root: &Path, store_path: &Path) -> Progress {
        let inbox = support::files_in(&root.join("inbox")).len();
        let url = format!("sqlite:{}", store_path.display());
        let states = match SqliteConnection::connect(&url).await {
            Ok(mut store) => sqlx::query("SELECT state, COUNT(*) FROM documents GROUP BY state ORDER BY state")
                .fetch_all(&mut store)
                .await
                .map(|rows| rows.iter().map(|row| (row.get(0), row.get(1))).collect())
                .unwrap_or_default(),
            Err(_) => Vec::new(), // Not created yet.
        };
        let mut erp = erp(root).await;
        let erp_orders = sqlx::query("SELECT COUNT(*) FROM SO_HDR").fetch_one(&mut erp).await.map_or(0, |r| r.get(0));
        Progress { inbox, states, erp_orders }
    }

    fn count(&self, states: &[&str]) -> i64 {
        self.states.iter().filter(|(state, _)| states.contains(&state.as_str())).map(|(_, n)| n).sum()
    }

    /// Steps done: files taken, documents decided, documents routed, orders written.
    fn work(&self, documents: usize) -> i64 {
        let taken = i64::try_from(documents.saturating_sub(self.inbox)).unwrap_or(0);
        let routed = self.count(&["approved", "in_review", "posted", "dead_lettered"]);
        let decided = routed + self.count(&["decided", "quarantined"]);
        taken + decided + routed + self.erp_orders
    }
}

impl std::fmt::Display for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let states: Vec<String> = self.states.iter().map(|(state, n)| format!("{state} {n}")).collect();
        write!(f, "inbox {}, store [{}], ERP orders {}", self.inbox, states.join(", "), self.erp_orders)
    }
}

/// "Now", five minutes and a bit ahead: what a restart sees once the leases
/// a killed worker held have run out.
struct AfterTheLeases(chrono::DateTime<chrono::Utc>);

impl Clock for AfterTheLeases {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.0
    }
}

#[tokio::test]
async fn kill_9_twenty_times_during_2000_documents_loses_nothing_and_posts_each_order_once() {
    let seed = std::env::var("PRODLINE_CRASH_SEED").ok().and_then(|seed| seed.parse().ok()).unwrap_or(DEFAULT_SEED);
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("plant");
    let config_path = support::init_deployment(&root, None);
    let config = Config::load(&config_path).expect("config loads");
    let StoreConfig::Sqlite { path: store_path } = &config.store else { panic!("init writes a sqlite store") };
    let documents = prodline_testkit::orders::documents(DOCUMENTS);
    support::drop_documents(&root.join("inbox"), &documents);
    let started = Instant::now();

    println!("kill -9 run: seed {seed} (replay with PRODLINE_CRASH_SEED={seed})");
    let mut rng = Rng::new(seed);
    let documents_count = documents.len();
    let posted = documents.iter().filter(|d| matches!(d.expected, Expected::Posted { .. })).count();
    let total_work = i64::try_from(3 * documents_count + posted).unwrap_or(i64::MAX);
    for kill in 1..=KILLS {
        let mark = total_work * i64::try_from(kill).unwrap_or(0) / i64::try_from(KILLS + 1).unwrap_or(1);
        let jitter = rng.between(KILL_JITTER_MS.0, KILL_JITTER_MS.1);
        let log = dir.path().join(format!("run-{kill}.log"));
        let mut child = support::spawn_run(&config_path, &log, &[]);
        let start = Instant::now();
        while Progress::read(&root, store_path).await.work(documents_count) < mark {
            if child.try_wait().expect("poll the run").is_some() {
                panic!(
                    "prodline run stopped by itself before kill {kill}: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            assert!(start.elapsed() < STALL_AFTER, "no progress to {mark} of {total_work} before kill {kill}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(jitter)).await;
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        let progress = Progress::read(&root, store_path).await;
        let ran = start.elapsed().as_millis();
        println!("kill {kill:2} at work {mark:4}/{total_work} + {jitter:3} ms ({ran:5} ms after start): {progress}");
    }
    let killed_for = started.elapsed();

    // Restart and let it finish: one pass after another until nothing moves.
    let config_arg = config_path.to_str().expect("utf-8 path");
    let mut quiet = false;
    for pass in 1..=MAX_FINAL_PASSES {
        let run = support::prodline(&["run", "-c", config_arg, "--once"]);
        let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
        assert!(run.status.success(), "run --once: {stdout}{}", String::from_utf8_lossy(&run.stderr));
        println!("final pass {pass}: {}", stdout.trim());
        if stdout.starts_with("received 0, decided 0 (auto 0, review 0), posted 0, dead-lettered 0, quarantined 0") {
            quiet = true;
            break;
        }
    }
    assert!(quiet, "still moving after {MAX_FINAL_PASSES} passes");
    let finished = started.elapsed();

    let store = SqliteStore::open(store_path).await.expect("open the store");
    // A document (or an outbox row) a killed worker had claimed stays leased
    // to it for the lease (5 minutes): a restart takes it once the lease has
    // run out. Approved documents wait on their deliveries' leases.
    let mut held = 0;
    for state in [DocumentState::Received, DocumentState::Decided, DocumentState::Approved] {
        held += store.list(state, 100_000).await.expect("list").len();
    }
    if held > 0 {
        println!("{held} documents still held by killed workers' leases: passes as if 6 minutes later");
        let later = AfterTheLeases(chrono::Utc::now() + chrono::TimeDelta::minutes(6));
        for pass in 1..=MAX_FINAL_PASSES {
            let summary = prodline_runtime::run_once(&config, &store, &later).await.expect("pass after the leases");
            println!("pass {pass} after the leases: {summary}");
            if !summary.moved() {
                break;
            }
        }
    }

    // Files: the inbox is empty, every input file is in processed/ once, none failed.
    let inbox = root.join("inbox");
    assert!(support::files_in(&inbox).is_empty(), "left in the inbox: {:?}", support::files_in(&inbox));
    assert!(support::files_in(&inbox.join("failed")).is_empty(), "files moved to failed/");
    let mut processed = support::hashes_in(&inbox.join("processed"));
    processed.sort();
    let mut input: Vec<_> = documents.iter().map(|document| prodline_store::Sha256::of(&document.bytes)).collect();
    input.sort();
    assert_eq!(processed, input, "processed/ holds each input file exactly once");

    let mut erp = erp(&root).await;
    let twice = sqlx::query(ERP_TWICE_SQL).fetch_all(&mut erp).await.expect("duplicate check");
    assert!(twice.is_empty(), "{} orders in SO_HDR more than once", twice.len());
    let states = support::assert_invariants(&store, &documents, &erp_headers(&root).await).await;
    println!(
        "{DOCUMENTS} documents, {KILLS} kills in {:.1} s, done after {:.1} s: {states:?}",
        killed_for.as_secs_f64(),
        finished.as_secs_f64()
    );
    store.close().await;
}
