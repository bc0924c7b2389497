//! Several `prodline run` processes on one PostgreSQL store share the work:
//! three workers race one inbox (intake) and then claim documents with
//! `FOR UPDATE SKIP LOCKED`. Each document is taken in once, decided once
//! (one received → decided change in its trail), every approved order is in
//! the (PostgreSQL) ERP once, and more than one worker did work: the audit
//! trail records the step ("pipeline", "outbox"), not the worker, so each
//! worker's own totals (printed when SIGTERM stops it) tell who decided what.
//! PostgreSQL comes from `scripts/services.sh`.

mod support;

use std::collections::BTreeSet;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use prodline_store::{DocumentState, PgConfig, PostgresStore, Store};
use sqlx::{AssertSqlSafe, Connection, PgConnection, Row};
use support::{ERP_TWICE_SQL, WORKFLOW};

const POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";
const DOCUMENTS: u32 = 600;
const WORKERS: usize = 3;
/// Not a timing assertion: only how long the test waits before it reports a stall.
const STALL_AFTER: Duration = Duration::from_secs(600);
const URL_ENV: &str = "PRODLINE_SCALE_STORE_URL";

fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    format!("{prefix}_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst))
}

async fn postgres() -> PgConnection {
    PgConnection::connect(POSTGRES).await.unwrap_or_else(|error| {
        panic!("PostgreSQL at {POSTGRES} is not reachable ({error}); start it with scripts/services.sh")
    })
}

async fn execute(sql: String) {
    sqlx::query(AssertSqlSafe(sql.clone()))
        .execute(&mut postgres().await)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// The ERP's tables in a schema of their own, as `prodline init` shapes them.
async fn create_erp(schema: &str) {
    execute(format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await;
    execute(format!("CREATE SCHEMA {schema}")).await;
    execute(format!(
        "CREATE TABLE {schema}.SO_HDR (so_id SERIAL PRIMARY KEY, cust_po_2 VARCHAR(22) NOT NULL, \
         cust_no CHAR(8), ord_dt CHAR(8), req_dt CHAR(8), ship_cd VARCHAR(10), src_cd CHAR(3))"
    ))
    .await;
    execute(format!(
        "CREATE TABLE {schema}.SO_LIN (so_id INTEGER NOT NULL REFERENCES {schema}.SO_HDR(so_id), ln_no CHAR(3), \
         item_no VARCHAR(20) NOT NULL, qty DECIMAL(12,3), uom_cd VARCHAR(6), price DECIMAL(12,4))"
    ))
    .await;
}

/// Documents not yet where a worker leaves them (posted, in review or another end state).
async fn unfinished<S: Store>(store: &S) -> (usize, usize) {
    let mut total = 0;
    let mut open = 0;
    for state in DocumentState::ALL {
        let count = store.list(state, 100_000).await.expect("list").len();
        total += count;
        if !state.is_terminal() && state != DocumentState::InReview {
            open += count;
        }
    }
    (total, open)
}

/// SIGTERM: the worker finishes its pass, prints its totals and exits.
fn stop(child: &mut Child) {
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("run kill");
    assert!(status.success(), "kill -TERM {}", child.id());
    let status = child.wait().expect("wait for the worker");
    assert!(status.success(), "worker {} exited with {status}", child.id());
}

/// The `decided N` of a worker's totals line.
fn decided(totals: &str) -> u64 {
    let after = totals.split("decided ").nth(1).unwrap_or_else(|| panic!("no totals in {totals:?}"));
    after.split(' ').next().and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("totals: {totals:?}"))
}

#[tokio::test]
async fn three_workers_on_one_postgres_store_share_the_work_and_post_each_order_once() {
    let store_schema = unique("scale_store");
    let erp_schema = unique("scale_erp");
    let store = PostgresStore::connect_with(PgConfig::new(POSTGRES).with_schema(&store_schema))
        .await
        .unwrap_or_else(|error| panic!("PostgreSQL store ({error}); start it with scripts/services.sh"));
    create_erp(&erp_schema).await;

    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("plant");
    let store_section = format!("type = \"postgres\"\nurl_env = \"{URL_ENV}\"");
    let config = support::init_deployment(&root, Some(&store_section));
    let text = std::fs::read_to_string(&config).expect("read config");
    let erp_target = format!("url = \"{POSTGRES}\"\nschema = \"{erp_schema}\"");
    std::fs::write(&config, text.replacen("url = \"sqlite:erp.sqlite\"", &erp_target, 1)).expect("write config");
    let documents = prodline_testkit::orders::documents(DOCUMENTS);
    support::drop_documents(&root.join("inbox"), &documents);

    let store_url = format!("{POSTGRES}?options[search_path]={store_schema}");
    let started = Instant::now();
    let spawn = |index: usize| {
        let log = dir.path().join(format!("worker-{index}.log"));
        (support::spawn_run(&config, &log, &[(URL_ENV, &store_url)]), log)
    };
    // All three start at the same instant: they race on creating the SQL
    // target's deliveries table, which the target must survive.
    let mut workers: Vec<_> = (0..WORKERS).map(spawn).collect();
    // Who holds claims, sampled while the workers run: a claim is cleared by
    // the state change that ends it, so only documents in work show a worker.
    let mut claimers: BTreeSet<String> = BTreeSet::new();
    let mut sampler = postgres().await;
    let claimed = format!("SELECT DISTINCT claimed_by FROM {store_schema}.documents WHERE claimed_by IS NOT NULL");
    let mut look = 0_u32;
    loop {
        let seen: Vec<String> =
            sqlx::query_scalar(AssertSqlSafe(claimed.clone())).fetch_all(&mut sampler).await.expect("sample claims");
        claimers.extend(seen);
        look += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
        if !look.is_multiple_of(25) {
            continue;
        }
        let (total, open) = unfinished(&store).await;
        if total == documents.len() && open == 0 {
            break;
        }
        for worker in &mut workers {
            if worker.0.try_wait().expect("poll worker").is_none() {
                continue;
            }
            let output = std::fs::read_to_string(&worker.1).unwrap_or_default();
            panic!("a worker stopped: {output}");
        }
        assert!(started.elapsed() < STALL_AFTER, "stalled: {total} documents stored, {open} unfinished");
    }
    let done = started.elapsed();
    let mut shares = Vec::new();
    for (child, log) in &mut workers {
        stop(child);
        let output = std::fs::read_to_string(&*log).expect("worker log");
        let totals = output.lines().find(|line| line.starts_with("received ")).unwrap_or_default().to_owned();
        println!("worker {}: {totals}", child.id());
        shares.push(decided(&totals));
    }

    // Each document decided once: by one worker, once in its trail.
    assert_eq!(shares.iter().sum::<u64>(), u64::from(DOCUMENTS), "decisions by the workers: {shares:?}");
    let deciders = shares.iter().filter(|share| **share > 0).count();
    println!("claims seen held by {claimers:?}");
    assert!(
        deciders > 1 || claimers.len() > 1,
        "only one worker did work: decided per worker {shares:?}, claims held by {claimers:?}"
    );
    for (id, trail) in support::trails(&store).await {
        let decisions = trail.changes.iter().filter(|(from, to)| from == "received" && to == "decided").count();
        assert_eq!(decisions, 1, "document {id}: {:?}", trail.changes);
    }

    let mut erp = postgres().await;
    let twice = ERP_TWICE_SQL.replace("SO_HDR", &format!("{erp_schema}.SO_HDR"));
    let twice = sqlx::query(AssertSqlSafe(twice)).fetch_all(&mut erp).await.expect("duplicate check");
    assert!(twice.is_empty(), "{} orders in SO_HDR more than once", twice.len());
    let headers = sqlx::query(AssertSqlSafe(format!(
        "SELECT TRIM(h.cust_no), h.cust_po_2, (SELECT COUNT(*) FROM {erp_schema}.SO_LIN l WHERE l.so_id = h.so_id) \
         FROM {erp_schema}.SO_HDR h ORDER BY h.so_id"
    )))
    .fetch_all(&mut erp)
    .await
    .expect("read SO_HDR");
    let headers: Vec<(String, String, i64)> = headers.iter().map(|row| (row.get(0), row.get(1), row.get(2))).collect();
    let states = support::assert_invariants(&store, &documents, &headers).await;
    let inbox = root.join("inbox");
    assert!(support::files_in(&inbox).is_empty(), "left in the inbox");
    assert_eq!(support::files_in(&inbox.join("processed")).len(), documents.len(), "each file processed once");
    println!(
        "{DOCUMENTS} documents by {WORKERS} workers in {:.1} s: {states:?}, decided per worker {shares:?}",
        done.as_secs_f64()
    );
    assert!(store.due_deliveries(WORKFLOW, chrono::Utc::now(), 10).await.expect("outbox").is_empty());

    store.drop_own_schema().await.expect("drop the store schema");
    store.close().await;
    execute(format!("DROP SCHEMA IF EXISTS {erp_schema} CASCADE")).await;
}
