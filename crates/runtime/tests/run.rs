//! `prodline run` end to end on a scaffolded deployment (`prodline_config::init`):
//! inbox files in, SQLite ERP rows out, through the store and the outbox; then
//! again (nothing new), after a restart on the same database (still once),
//! and against an ERP that refuses one order (dead letter, the other posted).

use std::path::{Path, PathBuf};

use prodline_config::{CONFIG_FILE, Config, StoreConfig};
use prodline_runtime::{RunSummary, SystemClock, run_once};
use prodline_store::{DocumentRecord, DocumentState, EventKind, SqliteStore, Store};
use sqlx::{Connection, Row, SqliteConnection};

use prodline_testkit::orders::{UNKNOWN_PART, VALVE_1_CASES, VALVE_3_4, x12_850};

const CLOCK: SystemClock = SystemClock;

struct Deployment {
    _dir: tempfile::TempDir,
    root: PathBuf,
    config: Config,
}

impl Deployment {
    /// `prodline init`, with policy `auto` and files taken at once.
    async fn new() -> Deployment {
        Deployment::with(|text| text).await
    }

    /// The same, the config text changed by `edit` before it is loaded.
    async fn with(edit: impl Fn(String) -> String) -> Deployment {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("deployment");
        prodline_config::init(&root).await.expect("init");
        let config_path = root.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&config_path).expect("config text");
        let text = text
            .replace("policy = \"shadow\"", "policy = \"auto\"")
            .replace("stable_seconds = 2", "stable_seconds = 0");
        assert!(
            text.contains("policy = \"auto\"") && text.contains("stable_seconds = 0"),
            "the example config changed"
        );
        std::fs::write(&config_path, edit(text)).expect("write config");
        let config = Config::load(&config_path).expect("config loads");
        Deployment { _dir: dir, root, config }
    }

    fn inbox(&self) -> PathBuf {
        self.root.join("inbox")
    }

    fn drop_file(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.inbox().join(name), bytes).expect("write inbox file");
    }

    async fn open_store(&self) -> SqliteStore {
        let StoreConfig::Sqlite { path } = &self.config.store else { panic!("init writes a sqlite store") };
        SqliteStore::open(path).await.expect("open store")
    }

    async fn erp(&self) -> SqliteConnection {
        let url = format!("sqlite:{}", self.root.join("erp.sqlite").display());
        SqliteConnection::connect(&url).await.expect("open ERP")
    }

    /// Each ERP order as (PO, [(line, item, qty, unit)]), by PO.
    async fn erp_orders(&self) -> Vec<(String, Vec<(String, String, String, String)>)> {
        let mut erp = self.erp().await;
        let headers = sqlx::query("SELECT so_id, cust_po_2, cust_no, ship_cd FROM SO_HDR ORDER BY cust_po_2")
            .fetch_all(&mut erp)
            .await
            .expect("read SO_HDR");
        let mut orders = Vec::new();
        for header in headers {
            let so_id: i64 = header.get(0);
            assert_eq!(header.get::<String, _>(2), "C0001");
            assert_eq!(header.get::<String, _>(3), "ST-0001-01");
            let lines = sqlx::query(
                "SELECT ln_no, item_no, CAST(qty AS TEXT), uom_cd FROM SO_LIN WHERE so_id = ? ORDER BY ln_no",
            )
            .bind(so_id)
            .fetch_all(&mut erp)
            .await
            .expect("read SO_LIN");
            let lines = lines.iter().map(|l| (l.get(0), l.get(1), l.get(2), l.get(3))).collect();
            orders.push((header.get(1), lines));
        }
        orders
    }
}

fn file_names(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The (from, to) pairs of a document's state changes, in order.
async fn state_trail(store: &SqliteStore, document: &DocumentRecord) -> Vec<(String, String)> {
    let events = store.events(document.id).await.expect("events");
    assert_eq!(events.first().map(|event| event.kind), Some(EventKind::DocumentReceived), "{}", document.file_name);
    events
        .iter()
        .filter(|event| event.kind == EventKind::DocumentStateChanged)
        .map(|event| {
            (
                event.details["from"].as_str().unwrap_or("?").to_owned(),
                event.details["to"].as_str().unwrap_or("?").to_owned(),
            )
        })
        .collect()
}

fn trail(states: &[&str]) -> Vec<(String, String)> {
    states.windows(2).map(|pair| (pair[0].to_owned(), pair[1].to_owned())).collect()
}

async fn names_in(store: &SqliteStore, state: DocumentState) -> Vec<String> {
    let mut names: Vec<String> =
        store.list(state, 100).await.expect("list").into_iter().map(|document| document.file_name).collect();
    names.sort();
    names
}

fn quiet() -> RunSummary {
    RunSummary::default()
}

#[tokio::test]
async fn inbox_to_erp_exactly_once_across_passes_and_a_restart() {
    let deployment = Deployment::new().await;
    deployment.drop_file("po-1.x12", x12_850("4500000001", 101, &[VALVE_3_4, VALVE_1_CASES]).as_bytes());
    deployment.drop_file("po-2.x12", x12_850("4500000002", 102, &[VALVE_3_4]).as_bytes());
    deployment.drop_file("po-3-unknown-item.x12", x12_850("4500000003", 103, &[VALVE_3_4, UNKNOWN_PART]).as_bytes());
    deployment.drop_file("garbage.bin", &[0xff, 0x00, 0x13, 0x37, b'x', 0xfe, b'\n', 0x80]);
    let store = deployment.open_store().await;

    let summary = run_once(&deployment.config, &store, &CLOCK).await.expect("first pass");
    let expected = RunSummary { received: 4, decided: 4, auto: 2, review: 2, posted: 2, ..quiet() };
    assert_eq!(summary, expected, "{summary}");

    let orders = deployment.erp_orders().await;
    let line =
        |n: &str, item: &str, qty: &str, unit: &str| (n.to_owned(), item.to_owned(), qty.to_owned(), unit.to_owned());
    assert_eq!(
        orders,
        [
            (
                "4500000001".to_owned(),
                vec![line("001", "HV-075-BR", "200", "PCS"), line("002", "HV-100-BR", "5", "CASE")]
            ),
            ("4500000002".to_owned(), vec![line("001", "HV-075-BR", "200", "PCS")]),
        ]
    );
    assert!(file_names(&deployment.inbox()).is_empty(), "inbox: {:?}", file_names(&deployment.inbox()));
    assert_eq!(
        file_names(&deployment.inbox().join("processed")),
        ["garbage.bin", "po-1.x12", "po-2.x12", "po-3-unknown-item.x12"]
    );
    assert_eq!(names_in(&store, DocumentState::InReview).await, ["garbage.bin", "po-3-unknown-item.x12"]);
    assert_eq!(names_in(&store, DocumentState::Posted).await, ["po-1.x12", "po-2.x12"]);
    for document in store.list(DocumentState::Posted, 10).await.expect("posted") {
        assert_eq!(state_trail(&store, &document).await, trail(&["received", "decided", "approved", "posted"]));
    }
    for document in store.list(DocumentState::InReview, 10).await.expect("in review") {
        let states = state_trail(&store, &document).await;
        assert_eq!(states, trail(&["received", "decided", "in_review"]), "{}", document.file_name);
        assert!(document.outcome.is_some() && document.decision.is_some(), "{} kept its outcome", document.file_name);
    }

    // Again: nothing new. The same bytes under a new name are the same document.
    deployment.drop_file("po-1-again.x12", x12_850("4500000001", 101, &[VALVE_3_4, VALVE_1_CASES]).as_bytes());
    let summary = run_once(&deployment.config, &store, &CLOCK).await.expect("second pass");
    assert_eq!(summary, quiet(), "{summary}");
    assert_eq!(deployment.erp_orders().await.len(), 2);
    assert!(file_names(&deployment.inbox()).is_empty());

    // Restart on the same database file.
    store.close().await;
    drop(store);
    let store = deployment.open_store().await;
    let summary = run_once(&deployment.config, &store, &CLOCK).await.expect("pass after restart");
    assert_eq!(summary, quiet(), "{summary}");
    assert_eq!(deployment.erp_orders().await.len(), 2);
    assert_eq!(names_in(&store, DocumentState::Posted).await, ["po-1.x12", "po-2.x12"]);
}

#[tokio::test]
async fn an_order_the_erp_refuses_is_dead_lettered_and_the_other_is_posted() {
    let deployment = Deployment::new().await;
    let mut erp = deployment.erp().await;
    let rule = "CREATE TRIGGER credit_hold BEFORE INSERT ON SO_HDR WHEN NEW.cust_po_2 = '4500000002' \
                BEGIN SELECT RAISE(ABORT, 'PO 4500000002: customer on credit hold'); END";
    sqlx::query(rule).execute(&mut erp).await.expect("create the ERP rule");
    erp.close().await.expect("close ERP");
    deployment.drop_file("po-1.x12", x12_850("4500000001", 101, &[VALVE_3_4]).as_bytes());
    deployment.drop_file("po-2.x12", x12_850("4500000002", 102, &[VALVE_3_4]).as_bytes());
    let store = deployment.open_store().await;

    let summary = run_once(&deployment.config, &store, &CLOCK).await.expect("pass");
    let expected = RunSummary { received: 2, decided: 2, auto: 2, posted: 1, dead_lettered: 1, ..quiet() };
    assert_eq!(summary, expected, "{summary}");
    let orders = deployment.erp_orders().await;
    assert_eq!(orders.iter().map(|(po, _)| po.as_str()).collect::<Vec<_>>(), ["4500000001"]);

    let dead = store.list(DocumentState::DeadLettered, 10).await.expect("dead letters");
    let [document] = dead.as_slice() else { panic!("one dead-lettered document, not {}", dead.len()) };
    assert_eq!(document.file_name, "po-2.x12");
    let events = store.events(document.id).await.expect("events");
    let dead_letter =
        events.iter().find(|event| event.kind == EventKind::DeliveryDeadLettered).expect("dead letter event");
    let error = dead_letter.details["error"].as_str().unwrap_or_default();
    assert!(error.contains("customer on credit hold"), "the ERP's message is kept: {error}");
    assert_eq!(state_trail(&store, document).await, trail(&["received", "decided", "approved", "dead_lettered"]));

    // A dead letter is not retried.
    let summary = run_once(&deployment.config, &store, &CLOCK).await.expect("second pass");
    assert_eq!(summary, quiet(), "{summary}");
}

/// A clock that stands still, so a test can step past a back-off.
struct At(chrono::DateTime<chrono::Utc>);

impl prodline_runtime::Clock for At {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.0
    }
}

#[tokio::test]
async fn a_locked_erp_is_retried_after_the_back_off_and_then_posted() {
    let deployment = Deployment::new().await;
    deployment.drop_file("po-1.x12", x12_850("4500000001", 101, &[VALVE_3_4]).as_bytes());
    let store = deployment.open_store().await;
    let mut runner = prodline_runtime::Runner::new(&deployment.config).await.expect("runner");
    // Ahead of the store's own clock, which stamps a new delivery due "now".
    // Whole microseconds, as the store keeps times.
    let start = prodline_store::to_micros_precision(chrono::Utc::now() + chrono::TimeDelta::minutes(1));

    // Another ERP session holds the write lock: SQLite answers "database is locked".
    let mut erp = deployment.erp().await;
    sqlx::query("BEGIN EXCLUSIVE").execute(&mut erp).await.expect("lock the ERP");
    let summary = runner.run_once(&store, &At(start)).await.expect("pass while locked");
    assert_eq!(summary, RunSummary { received: 1, decided: 1, auto: 1, ..quiet() }, "{summary}");
    sqlx::query("ROLLBACK").execute(&mut erp).await.expect("unlock the ERP");
    erp.close().await.expect("close ERP");

    let far = start + chrono::TimeDelta::hours(2);
    let pending = store.due_deliveries("example_orders", far, 10).await.expect("pending");
    let [delivery] = pending.as_slice() else { panic!("one pending delivery, not {}", pending.len()) };
    assert_eq!(delivery.attempts, 1);
    assert!(delivery.last_error.as_deref().unwrap_or_default().contains("delivery_transient"), "{delivery:?}");
    let wait = delivery.next_attempt_at - start;
    assert!((30..=38).contains(&wait.num_seconds()), "first retry after {wait}");

    // Not yet due: nothing happens; once due, the order goes in.
    let summary = runner.run_once(&store, &At(start + chrono::TimeDelta::seconds(10))).await.expect("early pass");
    assert_eq!(summary, quiet(), "{summary}");
    assert!(deployment.erp_orders().await.is_empty());
    let summary = runner.run_once(&store, &At(start + chrono::TimeDelta::seconds(40))).await.expect("due pass");
    assert_eq!(summary, RunSummary { posted: 1, ..quiet() }, "{summary}");
    assert_eq!(deployment.erp_orders().await.len(), 1);
    runner.close().await;
}

#[tokio::test]
async fn run_makes_a_pass_and_stops_when_shutdown_completes() {
    let deployment = Deployment::new().await;
    deployment.drop_file("po-1.x12", x12_850("4500000001", 101, &[VALVE_3_4]).as_bytes());
    let store = deployment.open_store().await;
    let totals = prodline_runtime::run(&deployment.config, &store, &CLOCK, async {}).await.expect("run");
    assert_eq!(totals, RunSummary { received: 1, decided: 1, auto: 1, posted: 1, ..quiet() }, "{totals}");
    assert_eq!(deployment.erp_orders().await.len(), 1);
}

#[tokio::test]
async fn a_document_of_a_workflow_no_longer_configured_is_quarantined_with_the_reason() {
    let deployment = Deployment::new().await;
    let store = deployment.open_store().await;
    let received = prodline_store::Received {
        source: "folder:retired".to_owned(),
        file_name: "old.x12".to_owned(),
        received_at: chrono::Utc::now(),
        from: None,
        bytes: x12_850("4500000009", 109, &[VALVE_3_4]).into_bytes(),
        meta: serde_json::json!({ "workflow": "retired" }),
    };
    let receipt = store.receive(received).await.expect("receive");
    let summary = run_once(&deployment.config, &store, &CLOCK).await.expect("pass");
    assert_eq!(summary, RunSummary { quarantined: 1, ..quiet() }, "{summary}");
    let document = store.document(receipt.document_id).await.expect("read").expect("document");
    assert_eq!(document.state, DocumentState::Quarantined);
    let events = store.events(document.id).await.expect("events");
    let last = events.last().expect("an event");
    assert!(
        last.details["details"]["error"].as_str().unwrap_or_default().contains("no workflow \"retired\""),
        "{last:?}"
    );
    assert!(deployment.erp_orders().await.is_empty());
}

/// A mailbox that cannot be reached is a problem of the pass naming host:port;
/// the folder intake and the rest of the pass still run.
#[tokio::test]
async fn an_unreachable_mailbox_is_a_problem_and_the_pass_goes_on() {
    let mut deployment = Deployment::new().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("free port");
    let config_path = deployment.root.join(CONFIG_FILE);
    let text = std::fs::read_to_string(&config_path).expect("config text");
    let imap = format!(
        "[[workflow.sources]]\ntype = \"imap\"\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"plain\"\n\
         user = \"orders\"\npassword_env = \"HOME\"\n\n[workflow.extractor]"
    );
    std::fs::write(&config_path, text.replacen("[workflow.extractor]", &imap, 1)).expect("write config");
    deployment.config = Config::load(&config_path).expect("config loads");
    deployment.drop_file("po-1.x12", x12_850("4500000001", 101, &[VALVE_3_4]).as_bytes());
    let store = deployment.open_store().await;

    let summary = run_once(&deployment.config, &store, &CLOCK).await.expect("the pass is not stopped");

    assert_eq!((summary.received, summary.posted), (1, 1), "{summary}");
    assert_eq!(summary.problems.len(), 1, "{summary}");
    assert!(summary.problems[0].contains(&format!("cannot connect to 127.0.0.1:{port}")), "{summary}");
}

/// With `audit_rate = 1` every document that would go straight to the ERP is
/// reviewed instead, as `audit`; what was decided review stays review for its
/// own reasons, and nothing reaches the ERP before a person looks.
#[tokio::test]
async fn an_audit_sample_sends_auto_approved_documents_to_review_as_audit() {
    let deployment = Deployment::with(|text| {
        let edited = text.replace("# audit_rate = 0.05", "audit_rate = 1.0");
        assert_ne!(edited, text, "the example config shows audit_rate");
        edited
    })
    .await;
    deployment.drop_file("po-1.x12", x12_850("4500000001", 101, &[VALVE_3_4]).as_bytes());
    deployment.drop_file("po-2.x12", x12_850("4500000002", 102, &[VALVE_3_4, UNKNOWN_PART]).as_bytes());
    let store = deployment.open_store().await;
    let summary = run_once(&deployment.config, &store, &CLOCK).await.expect("pass");
    assert_eq!(summary.posted, 0, "{summary}");
    assert!(deployment.erp_orders().await.is_empty());
    let queue = prodline_runtime::review::list(&store, 10).await.expect("review queue");
    let mut reasons = Vec::new();
    for item in queue {
        let document = store.document(item.id).await.expect("document").expect("listed document exists");
        reasons.push((document.file_name, item.reason.unwrap_or_default()));
    }
    reasons.sort();
    assert_eq!(
        reasons,
        [("po-1.x12".to_owned(), "audit".to_owned()), ("po-2.x12".to_owned(), "decision_review".to_owned())]
    );
}
