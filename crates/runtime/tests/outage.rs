//! The ERP goes down and comes back: a PostgreSQL "legacy ERP" behind a fault
//! proxy (`prodline_testkit::fault_proxy`) that refuses connections, swallows
//! them (a black hole: the client times out), resets them, or loses the
//! answer to a COMMIT the server carried out. The runtime runs passes on a
//! stepped clock while the target is down, then up: every order is delivered
//! afterwards, none twice, and an outage shorter than the retry budget
//! dead-letters nothing; one longer than the budget dead-letters with the
//! last error. PostgreSQL comes from `scripts/services.sh`.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, TimeDelta, Utc};
use prodline_config::{CONFIG_FILE, Config, StoreConfig};
use prodline_runtime::{CircuitState, Clock, MAX_ATTEMPTS, RunSummary, Runner};
use prodline_store::{DocumentState, EventKind, SqliteStore, Store};
use prodline_testkit::fault_proxy::{Fault, FaultProxy};
use prodline_testkit::orders::{VALVE_1_CASES, VALVE_3_4, x12_850};
use sqlx::{AssertSqlSafe, Connection, PgConnection, Row};

const POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";
const POSTGRES_ADDR: &str = "127.0.0.1:5432";
const WORKFLOW: &str = "example_orders";

/// A clock the test moves by hand, so back-off is stepped through, not waited for.
struct SteppedClock(Mutex<DateTime<Utc>>);

impl SteppedClock {
    /// Starts a minute ahead of the store's own clock (which stamps a new
    /// delivery due "now"), in whole microseconds as the store keeps times.
    fn new() -> SteppedClock {
        SteppedClock(Mutex::new(prodline_store::to_micros_precision(Utc::now() + TimeDelta::minutes(1))))
    }

    fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = at;
    }
}

impl Clock for SteppedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A PostgreSQL schema of this test's own holding the ERP's SO_HDR and SO_LIN.
struct Erp {
    schema: String,
}

impl Erp {
    async fn connect() -> PgConnection {
        PgConnection::connect(POSTGRES).await.unwrap_or_else(|error| {
            panic!("PostgreSQL at {POSTGRES} is not reachable ({error}); start it with scripts/services.sh")
        })
    }

    async fn create() -> Erp {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let schema = format!("outage_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
        let mut db = Erp::connect().await;
        for sql in [
            format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
            format!("CREATE SCHEMA {schema}"),
            format!(
                "CREATE TABLE {schema}.SO_HDR (so_id SERIAL PRIMARY KEY, cust_po_2 VARCHAR(22) NOT NULL, \
                 cust_no CHAR(8), ord_dt CHAR(8), req_dt CHAR(8), ship_cd VARCHAR(10), src_cd CHAR(3))"
            ),
            format!(
                "CREATE TABLE {schema}.SO_LIN (so_id INTEGER NOT NULL REFERENCES {schema}.SO_HDR(so_id), \
                 ln_no CHAR(3), item_no VARCHAR(20) NOT NULL, qty DECIMAL(12,3), uom_cd VARCHAR(6), \
                 price DECIMAL(12,4))"
            ),
        ] {
            sqlx::query(AssertSqlSafe(sql)).execute(&mut db).await.expect("create the ERP schema");
        }
        Erp { schema }
    }

    /// (PO, lines) of each SO_HDR row, in insertion order.
    async fn orders(&self) -> Vec<(String, i64)> {
        let schema = &self.schema;
        let sql = format!(
            "SELECT TRIM(h.cust_po_2), (SELECT COUNT(*) FROM {schema}.SO_LIN l WHERE l.so_id = h.so_id) \
             FROM {schema}.SO_HDR h ORDER BY h.so_id"
        );
        let mut db = Erp::connect().await;
        let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(&mut db).await.expect("read the ERP");
        rows.iter().map(|row| (row.get(0), row.get(1))).collect()
    }

    async fn remove(self) {
        let mut db = Erp::connect().await;
        let sql = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema);
        sqlx::query(AssertSqlSafe(sql)).execute(&mut db).await.expect("drop the ERP schema");
    }
}

/// `prodline init`'s deployment (SQLite store) with its target moved to the
/// PostgreSQL ERP behind the proxy, policy `auto`, files taken at once.
struct Deployment {
    _dir: tempfile::TempDir,
    config: Config,
    erp: Erp,
    proxy: FaultProxy,
    store: SqliteStore,
}

impl Deployment {
    async fn new() -> Deployment {
        let upstream: SocketAddr = POSTGRES_ADDR.parse().expect("address");
        let proxy = FaultProxy::start(upstream).expect("start the fault proxy");
        let erp = Erp::create().await;
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("deployment");
        prodline_config::init(&root).await.expect("init");
        let path = root.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path).expect("config text");
        let target =
            format!("url = \"postgres://postgres@127.0.0.1:{}/test\"\nschema = \"{}\"", proxy.port(), erp.schema);
        let edited = text
            .replace("policy = \"shadow\"", "policy = \"auto\"")
            .replace("stable_seconds = 2", "stable_seconds = 0")
            .replace("url = \"sqlite:erp.sqlite\"", &target);
        assert!(edited.contains(&target) && edited.contains("policy = \"auto\""), "the example config changed");
        std::fs::write(&path, edited).expect("write config");
        let config = Config::load(&path).expect("config loads");
        let StoreConfig::Sqlite { path: store_path } = &config.store else { panic!("init writes a sqlite store") };
        let store = SqliteStore::open(store_path).await.expect("open store");
        let inbox = root.join("inbox");
        for (index, items) in
            [&[VALVE_3_4][..], &[VALVE_3_4, VALVE_1_CASES][..], &[VALVE_1_CASES][..]].iter().enumerate()
        {
            let po = format!("45000000{index:02}");
            let control = u32::try_from(index).unwrap_or(0) + 1;
            std::fs::write(inbox.join(format!("po-{index}.x12")), x12_850(&po, control, items)).expect("inbox file");
        }
        Deployment { _dir: dir, config, erp, proxy, store }
    }

    /// The outbox rows not yet delivered, however far their next attempt.
    async fn pending(&self, now: DateTime<Utc>) -> Vec<prodline_store::Delivery> {
        self.store.due_deliveries(WORKFLOW, now + TimeDelta::days(3650), 100).await.expect("pending deliveries")
    }

    /// When the last pending delivery is next due (`now` when none is).
    async fn all_due(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.pending(now).await.iter().map(|delivery| delivery.next_attempt_at).max().unwrap_or(now).max(now)
    }

    /// Every order once in the ERP, every document posted, nothing pending, no dead letter.
    async fn assert_delivered_once(&self, now: DateTime<Utc>) {
        let orders = self.erp.orders().await;
        let pos: Vec<&str> = orders.iter().map(|(po, _)| po.as_str()).collect();
        assert_eq!(pos.len(), 3, "three orders in the ERP: {orders:?}");
        let mut sorted = pos.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, ["4500000000", "4500000001", "4500000002"], "each order once: {orders:?}");
        for (po, lines) in &orders {
            let expected = if po == "4500000001" { 2 } else { 1 };
            assert_eq!(*lines, expected, "{po}: every line, once");
        }
        assert!(self.pending(now).await.is_empty(), "nothing left in the outbox");
        assert_eq!(self.store.list(DocumentState::Posted, 10).await.expect("posted").len(), 3);
        assert!(self.store.list(DocumentState::DeadLettered, 10).await.expect("dead letters").is_empty());
    }

    async fn finish(self, runner: Runner) {
        runner.close().await;
        self.store.close().await;
        drop(self.proxy);
        self.erp.remove().await;
    }
}

/// The next moment anything can happen: the last pending delivery due and
/// the target's circuit (if the pass left it open) ready for its trial.
async fn next_moment(deployment: &Deployment, clock: &SteppedClock, summary: &RunSummary) -> DateTime<Utc> {
    let mut at = deployment.all_due(clock.now()).await;
    for circuit in &summary.circuits {
        if let CircuitState::Open { until } = circuit.state {
            at = at.max(until);
        }
    }
    at
}

/// Passes, each at the next moment anything can happen, until every order is
/// posted (or `limit` passes); returns the totals.
async fn run_until_posted(
    deployment: &Deployment,
    runner: &mut Runner,
    clock: &SteppedClock,
    after: &RunSummary,
) -> RunSummary {
    let mut total = RunSummary::default();
    let mut last = after.clone();
    for _ in 0..20 {
        clock.set(next_moment(deployment, clock, &last).await);
        last = runner.run_once(&deployment.store, clock).await.expect("pass with the ERP back");
        total.posted += last.posted;
        total.dead_lettered += last.dead_lettered;
        if total.posted >= 3 || total.dead_lettered > 0 {
            break;
        }
    }
    total
}

/// The target down in `fault` for `down_passes` passes, then up; returns
/// how many of the down passes ended with the target's circuit open.
async fn outage_then_recovery(fault: Fault, down_passes: u32) -> u32 {
    let deployment = Deployment::new().await;
    let clock = SteppedClock::new();
    let mut runner = Runner::new(&deployment.config).await.expect("runner (target up)");

    deployment.proxy.set(fault).expect("switch the proxy");
    let mut summary = runner.run_once(&deployment.store, &clock).await.expect("pass while the ERP is down");
    let taken = (summary.received, summary.decided, summary.auto, summary.posted, summary.dead_lettered);
    assert_eq!(taken, (3, 3, 3, 0, 0), "{summary}");
    let mut open_passes = u32::from(!summary.circuits.is_empty());
    for pass in 2..=down_passes {
        clock.set(next_moment(&deployment, &clock, &summary).await);
        summary = runner.run_once(&deployment.store, &clock).await.expect("pass while the ERP is down");
        assert_eq!((summary.posted, summary.dead_lettered), (0, 0), "pass {pass}: {summary}");
        open_passes += u32::from(!summary.circuits.is_empty());
    }
    let pending = deployment.pending(clock.now()).await;
    assert_eq!(pending.len(), 3, "every order waits in the outbox");
    for delivery in &pending {
        let error = delivery.last_error.as_deref().unwrap_or_default();
        assert!(delivery.attempts < MAX_ATTEMPTS, "the outage spent the retry budget: {delivery:?}");
        assert!(delivery.attempts == 0 || error.contains("delivery_transient"), "a {fault:?} is transient: {error}");
    }
    assert!(deployment.erp.orders().await.is_empty(), "nothing reached the ERP");

    // With the ERP back, passes at each next due moment bring everything home.
    deployment.proxy.set(Fault::Pass).expect("switch the proxy");
    let total = run_until_posted(&deployment, &mut runner, &clock, &summary).await;
    assert_eq!((total.posted, total.dead_lettered), (3, 0), "{total}");
    deployment.assert_delivered_once(clock.now()).await;

    // Nothing is delivered twice later either.
    clock.set(clock.now() + TimeDelta::hours(2));
    let summary = runner.run_once(&deployment.store, &clock).await.expect("later pass");
    assert_eq!((summary.posted, summary.dead_lettered, summary.deferred), (0, 0, 0), "{summary}");
    deployment.assert_delivered_once(clock.now()).await;
    deployment.finish(runner).await;
    open_passes
}

/// Each attempt waits out the SQL target's connect time-out (the pool's
/// acquire time-out, 10 s) while the kernel refuses the port.
#[tokio::test]
async fn connection_refused_then_up_delivers_every_order_once() {
    outage_then_recovery(Fault::Refuse, 1).await;
}

/// Connecting into a black hole is bounded by the same acquire time-out.
#[tokio::test]
async fn a_black_hole_times_out_then_up_delivers_every_order_once() {
    outage_then_recovery(Fault::BlackHole, 1).await;
}

/// Long enough for the circuit breaker to open and a half-open trial to fail.
#[tokio::test]
async fn connections_reset_for_many_passes_then_up_delivers_every_order_once() {
    let open_passes = outage_then_recovery(Fault::Reset, 8).await;
    assert!(open_passes > 0, "the outage opened the circuit breaker");
}

/// The ERP is down when the runtime starts: it starts all the same, takes in
/// and decides the documents, and delivers them once the ERP is back.
#[tokio::test]
async fn an_erp_down_at_start_does_not_stop_the_runtime() {
    let deployment = Deployment::new().await;
    let clock = SteppedClock::new();
    deployment.proxy.set(Fault::Refuse).expect("switch the proxy");
    let mut runner = Runner::new(&deployment.config).await.expect("the runtime starts with the ERP down");

    let summary = runner.run_once(&deployment.store, &clock).await.expect("pass while the ERP is down");
    let taken = (summary.received, summary.decided, summary.auto, summary.posted, summary.deferred);
    assert_eq!(taken, (3, 3, 3, 0, 3), "{summary}");
    assert!(summary.problems.iter().any(|problem| problem.contains("unreachable")), "{summary}");
    let pending = deployment.pending(clock.now()).await;
    assert!(pending.iter().all(|delivery| delivery.attempts == 0), "no attempt is counted: {pending:?}");

    deployment.proxy.set(Fault::Pass).expect("switch the proxy");
    clock.set(clock.now() + TimeDelta::seconds(30));
    let summary = runner.run_once(&deployment.store, &clock).await.expect("pass with the ERP back");
    assert_eq!((summary.posted, summary.dead_lettered), (3, 0), "{summary}");
    deployment.assert_delivered_once(clock.now()).await;
    deployment.finish(runner).await;
}

/// The ERP committed, the runtime never heard: the retry finds the
/// idempotency key and posts nothing new.
#[tokio::test]
async fn a_commit_whose_answer_is_lost_is_not_posted_twice() {
    let deployment = Deployment::new().await;
    let clock = SteppedClock::new();
    let mut runner = Runner::new(&deployment.config).await.expect("runner (target up)");

    deployment.proxy.set(Fault::LoseCommitReply).expect("switch the proxy");
    let summary = runner.run_once(&deployment.store, &clock).await.expect("pass losing the answers");
    let taken = (summary.received, summary.decided, summary.auto, summary.posted, summary.dead_lettered);
    assert_eq!(taken, (3, 3, 3, 0, 0), "{summary}");
    assert_eq!(deployment.erp.orders().await.len(), 3, "the ERP committed every order");
    assert_eq!(deployment.pending(clock.now()).await.len(), 3, "the runtime does not know it");

    deployment.proxy.set(Fault::Pass).expect("switch the proxy");
    let total = run_until_posted(&deployment, &mut runner, &clock, &summary).await;
    assert_eq!((total.posted, total.dead_lettered), (3, 0), "{total}");
    deployment.assert_delivered_once(clock.now()).await;
    for document in deployment.store.list(DocumentState::Posted, 10).await.expect("posted") {
        let events = deployment.store.events(document.id).await.expect("events");
        let recorded = events
            .iter()
            .filter(|event| event.kind == EventKind::DeliveryPosted && event.details.get("erp_key").is_some())
            .collect::<Vec<_>>();
        let [posting] = recorded.as_slice() else {
            panic!("{}: one posting recorded: {recorded:?}", document.file_name)
        };
        assert_eq!(posting.details["already_posted"], true, "{}: found by its key", document.file_name);
    }
    deployment.finish(runner).await;
}

/// An outage that outlasts the retry budget: the circuit breaker lets one
/// trial through per cool-down, and a delivery whose attempts run out is
/// dead-lettered with the last error; nothing reaches the ERP afterwards.
#[tokio::test]
async fn an_outage_longer_than_the_retry_budget_dead_letters_with_the_last_error() {
    let deployment = Deployment::new().await;
    let clock = SteppedClock::new();
    let mut runner = Runner::new(&deployment.config).await.expect("runner (target up)");
    deployment.proxy.set(Fault::Reset).expect("switch the proxy");
    let mut total = RunSummary::default();
    let mut summary = RunSummary::default();
    for _ in 0..500 {
        summary = runner.run_once(&deployment.store, &clock).await.expect("pass while the ERP is down");
        total.received += summary.received;
        total.posted += summary.posted;
        total.dead_lettered += summary.dead_lettered;
        if total.dead_lettered == 3 {
            break;
        }
        clock.set(next_moment(&deployment, &clock, &summary).await);
    }
    assert_eq!((total.received, total.posted, total.dead_lettered), (3, 0, 3), "{total}");
    assert!(deployment.pending(clock.now()).await.is_empty());
    for document in deployment.store.list(DocumentState::DeadLettered, 10).await.expect("dead letters") {
        let events = deployment.store.events(document.id).await.expect("events");
        let dead = events.iter().find(|event| event.kind == EventKind::DeliveryDeadLettered).expect("dead letter");
        let error = dead.details["error"].as_str().unwrap_or_default();
        assert!(error.contains(&format!("gave up after {MAX_ATTEMPTS} attempts")), "{error}");
        assert!(error.contains("delivery_transient"), "{error}");
    }
    deployment.proxy.set(Fault::Pass).expect("switch the proxy");
    clock.set(next_moment(&deployment, &clock, &summary).await + TimeDelta::days(1));
    let summary = runner.run_once(&deployment.store, &clock).await.expect("pass with the ERP back");
    assert_eq!((summary.posted, summary.dead_lettered), (0, 0), "a dead letter waits for a person: {summary}");
    assert!(deployment.erp.orders().await.is_empty());
    deployment.finish(runner).await;
}

/// The port scripts/tryton.sh serves on (its default unless PRODLINE_TRYTON_PORT says otherwise).
fn tryton_port() -> u16 {
    std::env::var("PRODLINE_TRYTON_PORT").ok().and_then(|port| port.parse().ok()).unwrap_or(8765)
}

/// Starts trytond on a fresh copy of its seeded template database (party
/// C0042, goods HV-075-BR, HV-100-BR); fails naming the script.
fn start_tryton() -> std::path::PathBuf {
    let script = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/tryton.sh");
    let output = std::process::Command::new("bash")
        .arg(&script)
        .arg("start")
        .env("PRODLINE_TRYTON_PORT", tryton_port().to_string())
        .output()
        .unwrap_or_else(|error| panic!("cannot run scripts/tryton.sh: {error}"));
    assert!(
        output.status.success(),
        "scripts/tryton.sh start failed (it sets up the Tryton venv and server):\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let home = match std::env::var_os("PRODLINE_TRYTON_HOME") {
        Some(home) => std::path::PathBuf::from(home),
        None => std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/prodline/tryton"),
    };
    home.join("admin.password")
}

/// One JSON-RPC call straight to trytond over HTTP/1.1 (not through the proxy,
/// not through the target): how the test reads what Tryton holds.
fn tryton_rpc(authorization: Option<&str>, method: &str, params: serde_json::Value) -> serde_json::Value {
    use std::io::{Read, Write};
    let body = serde_json::json!({ "id": 0, "method": method, "params": params }).to_string();
    let auth = authorization.map(|value| format!("Authorization: {value}\r\n")).unwrap_or_default();
    let request = format!(
        "POST /prodline/rpc/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n{auth}\r\n{body}",
        body.len()
    );
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", tryton_port())).expect("connect to trytond");
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read");
    let response = String::from_utf8_lossy(&response);
    let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    assert!(head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200"), "{method}: {head}");
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        let mut out = String::new();
        let mut rest = body;
        while let Some((size, after)) = rest.split_once("\r\n") {
            let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if size == 0 {
                break;
            }
            out.push_str(&after[..size]);
            rest = &after[size + 2..];
        }
        out
    } else {
        body.to_owned()
    };
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{method}: {e}: {body}"));
    assert!(answer.get("error").is_none_or(serde_json::Value::is_null), "{method}: {answer}");
    answer["result"].clone()
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            let c = if i <= chunk.len() { ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] } else { b'=' };
            out.push(char::from(c));
        }
    }
    out
}

/// The Tryton sales whose reference is `po`.
fn tryton_sales(password_file: &std::path::Path, po: &str) -> Vec<serde_json::Value> {
    let password = std::fs::read_to_string(password_file).expect("Tryton password").trim().to_owned();
    let login = tryton_rpc(None, "common.db.login", serde_json::json!(["admin", { "password": password }, "en"]));
    let (uid, token) = (login[0].as_i64().expect("uid"), login[1].as_str().expect("token"));
    let authorization = format!("Session {}", base64(format!("admin:{uid}:{token}").as_bytes()));
    let params = serde_json::json!([[["reference", "=", po]], 0, null, null, ["state", "reference"], {}]);
    tryton_rpc(Some(&authorization), "model.sale.sale.search_read", params).as_array().cloned().unwrap_or_default()
}

/// Tryton's web service answers 500 for a while (the proxy answers for it),
/// then comes back: every order is entered once, none twice.
#[tokio::test]
async fn tryton_answering_500_then_up_gets_every_order_once() {
    let password_file = start_tryton();
    let upstream: SocketAddr = format!("127.0.0.1:{}", tryton_port()).parse().expect("address");
    let proxy = FaultProxy::start(upstream).expect("start the fault proxy");
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("deployment");
    prodline_config::init(&root).await.expect("init");
    let path = root.join(CONFIG_FILE);
    let text = std::fs::read_to_string(&path).expect("config text");
    let text =
        text.replace("policy = \"shadow\"", "policy = \"auto\"").replace("stable_seconds = 2", "stable_seconds = 0");
    let cut = text.rfind("\n[workflow.target]\n").expect("the example has a [workflow.target]");
    let target = format!(
        "[workflow.target]\ntype = \"tryton\"\nurl = \"http://127.0.0.1:{}\"\ndatabase = \"prodline\"\n\
         user = \"admin\"\npassword_env = \"{}\"\ncompany = \"Prodline Test Co\"\ntimeout_seconds = 60\n",
        proxy.port(),
        password_file.display()
    );
    std::fs::write(&path, format!("{}\n{target}\n", &text[..cut])).expect("write config");
    // Tryton's seeded party is C0042: the example's customer takes its code.
    for file in ["customers.csv", "ship_tos.csv", "customer_items.csv", "prices.csv"] {
        let master = root.join("master").join(file);
        let csv = std::fs::read_to_string(&master).expect("master file");
        std::fs::write(&master, csv.replace("C0001", "C0042")).expect("write master file");
    }
    let config = Config::load(&path).unwrap_or_else(|errors| panic!("config loads: {errors}"));
    let pos: Vec<String> = (1..=2).map(|n| format!("OUT-{}-{n}", std::process::id())).collect();
    for (index, po) in pos.iter().enumerate() {
        let control = 300 + u32::try_from(index).unwrap_or(0);
        std::fs::write(root.join("inbox").join(format!("{po}.x12")), x12_850(po, control, &[VALVE_3_4])).expect("file");
    }
    let StoreConfig::Sqlite { path: store_path } = &config.store else { panic!("init writes a sqlite store") };
    let store = SqliteStore::open(store_path).await.expect("open store");
    let clock = SteppedClock::new();
    let mut runner = Runner::new(&config).await.expect("runner");

    proxy.set(Fault::Http500).expect("switch the proxy");
    let summary = runner.run_once(&store, &clock).await.expect("pass while Tryton answers 500");
    let taken = (summary.received, summary.decided, summary.auto, summary.posted, summary.dead_lettered);
    assert_eq!(taken, (2, 2, 2, 0, 0), "{summary}");
    let far = clock.now() + TimeDelta::days(3650);
    let pending = store.due_deliveries(WORKFLOW, far, 10).await.expect("pending");
    assert_eq!(pending.len(), 2);
    for delivery in &pending {
        let error = delivery.last_error.as_deref().unwrap_or_default();
        assert!(error.contains("delivery_transient") && error.contains("500"), "{error}");
    }
    for po in &pos {
        assert!(tryton_sales(&password_file, po).is_empty(), "{po} did not reach Tryton");
    }

    proxy.set(Fault::Pass).expect("switch the proxy");
    let mut posted = 0;
    let mut last = summary;
    for _ in 0..10 {
        let mut at =
            store.due_deliveries(WORKFLOW, far, 10).await.expect("pending").iter().map(|d| d.next_attempt_at).max();
        for circuit in &last.circuits {
            if let CircuitState::Open { until } = circuit.state {
                at = at.max(Some(until));
            }
        }
        clock.set(at.unwrap_or_else(|| clock.now()).max(clock.now()));
        last = runner.run_once(&store, &clock).await.expect("pass with Tryton back");
        assert_eq!(last.dead_lettered, 0, "{last}");
        posted += last.posted;
        if posted >= 2 {
            break;
        }
    }
    assert_eq!(posted, 2);
    for po in &pos {
        let sales = tryton_sales(&password_file, po);
        assert_eq!(sales.len(), 1, "{po} once in Tryton: {sales:?}");
    }
    runner.close().await;
    store.close().await;
}
