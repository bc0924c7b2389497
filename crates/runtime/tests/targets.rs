//! `prodline run` into every kind of target, and what goes back to the
//! trading partner: a file-drop folder (one file per order, a rerun adds
//! none), a real Tryton (scripts/tryton.sh), the circuit breaker in front of a
//! target that is down (attempts not counted while open), and X12 997/855
//! acknowledgements in the outbound folder, read back with prodline_x12.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, TimeDelta, Utc};
use prodline_config::{CONFIG_FILE, Config, StoreConfig};
use prodline_runtime::{CircuitState, Clock, RunSummary, Runner, SystemClock, run_once};
use prodline_store::{DocumentState, EventId, EventKind, SqliteStore, Store};
use serde_json::Value;

use prodline_testkit::orders::{UNKNOWN_PART, VALVE_1_CASES, VALVE_3_4, x12_850_segments as interchange};

const CLOCK: SystemClock = SystemClock;

fn x12(segments: &[String]) -> Vec<u8> {
    segments.iter().map(|segment| format!("{segment}~\n")).collect::<String>().into_bytes()
}

fn x12_850(po: &str, control: u32, items: &[&str]) -> Vec<u8> {
    x12(&interchange(po, control, items))
}

/// A scaffolded deployment (`prodline init`) with policy auto, files taken at
/// once, and the `[workflow.target]` (and anything after it) replaced.
struct Deployment {
    _dir: tempfile::TempDir,
    root: PathBuf,
    config: Config,
}

impl Deployment {
    async fn new(target: &str, extra: &str, customer: &str) -> Deployment {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("deployment");
        prodline_config::init(&root).await.expect("init");
        let config_path = root.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&config_path).expect("config text");
        let text = text
            .replace("policy = \"shadow\"", "policy = \"auto\"")
            .replace("stable_seconds = 2", "stable_seconds = 0");
        let cut = text.rfind("\n[workflow.target]\n").expect("the example has a [workflow.target]");
        let text = format!("{}\n{target}\n{extra}\n", &text[..cut]);
        std::fs::write(&config_path, text).expect("write config");
        if customer != "C0001" {
            for file in ["customers.csv", "ship_tos.csv", "customer_items.csv", "prices.csv"] {
                let path = root.join("master").join(file);
                let csv = std::fs::read_to_string(&path).expect("master file");
                std::fs::write(&path, csv.replace("C0001", customer)).expect("write master file");
            }
        }
        let config = Config::load(&config_path).unwrap_or_else(|errors| panic!("config loads: {errors}"));
        Deployment { _dir: dir, root, config }
    }

    fn drop_file(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.root.join("inbox").join(name), bytes).expect("write inbox file");
    }

    async fn open_store(&self) -> SqliteStore {
        let StoreConfig::Sqlite { path } = &self.config.store else { panic!("init writes a sqlite store") };
        SqliteStore::open(path).await.expect("open store")
    }
}

fn file_drop_target(folder: &str) -> String {
    format!("[workflow.target]\ntype = \"file_drop\"\npath = \"{folder}\"\nformat = \"json\"\n")
}

/// Visible files of a folder, sorted (temporary dot-files excluded).
fn files(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('.'))
        .collect();
    names.sort();
    names
}

fn quiet() -> RunSummary {
    RunSummary::default()
}

/// A clock that stands still, so a test steps past cool-downs and back-offs.
struct At(DateTime<Utc>);

impl Clock for At {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

#[tokio::test]
async fn a_file_drop_target_gets_one_file_per_order_and_a_rerun_adds_none() {
    let deployment = Deployment::new(&file_drop_target("drop"), "", "C0001").await;
    let drop = deployment.root.join("drop");
    deployment.drop_file("po-1.x12", &x12_850("4500000001", 101, &[VALVE_3_4, VALVE_1_CASES]));
    deployment.drop_file("po-2.x12", &x12_850("4500000002", 102, &[VALVE_3_4]));
    deployment.drop_file("po-3.x12", &x12_850("4500000003", 103, &[VALVE_3_4, UNKNOWN_PART]));
    let store = deployment.open_store().await;

    let summary = run_once(&deployment.config, &store, &CLOCK).await.expect("first pass");
    assert_eq!(summary, RunSummary { received: 3, decided: 3, auto: 2, review: 1, posted: 2, ..quiet() }, "{summary}");
    let written = files(&drop);
    assert_eq!(written.len(), 2, "{written:?}");
    assert!(written[0].starts_with("C0001_4500000001_") && written[0].ends_with(".json"), "{written:?}");
    assert!(written[1].starts_with("C0001_4500000002_"), "{written:?}");
    let order: Value = serde_json::from_slice(&std::fs::read(drop.join(&written[0])).expect("read")).expect("json");
    assert_eq!(order["customer_po"], "4500000001");
    assert_eq!(order["lines"].as_array().map(Vec::len), Some(2));

    // The same bytes again, and a restart: no new file.
    deployment.drop_file("po-1-again.x12", &x12_850("4500000001", 101, &[VALVE_3_4, VALVE_1_CASES]));
    let summary = run_once(&deployment.config, &store, &CLOCK).await.expect("second pass");
    assert_eq!(summary, quiet(), "{summary}");
    store.close().await;
    let store = deployment.open_store().await;
    let summary = run_once(&deployment.config, &store, &CLOCK).await.expect("pass after restart");
    assert_eq!(summary, quiet(), "{summary}");
    assert_eq!(files(&drop), written);
}

#[tokio::test]
async fn while_the_circuit_is_open_due_deliveries_wait_and_are_not_counted_as_attempts() {
    let deployment = Deployment::new(&file_drop_target("drop"), "", "C0001").await;
    let drop = deployment.root.join("drop");
    for n in 1..=6 {
        deployment.drop_file(&format!("po-{n}.x12"), &x12_850(&format!("450000010{n}"), 200 + n, &[VALVE_3_4]));
    }
    let store = deployment.open_store().await;
    let mut runner = Runner::new(&deployment.config).await.expect("runner");
    // The target goes away after it was built: every write fails transiently.
    std::fs::remove_dir(&drop).expect("remove the drop folder");
    let start = prodline_store::to_micros_precision(Utc::now() + TimeDelta::minutes(1));

    let summary = runner.run_once(&store, &At(start)).await.expect("pass while down");
    let open = CircuitState::Open { until: start + TimeDelta::seconds(60) };
    assert_eq!((summary.auto, summary.posted, summary.deferred), (6, 0, 1), "{summary}");
    assert_eq!(summary.circuits.iter().map(|c| c.state).collect::<Vec<_>>(), [open], "{summary}");
    let attempts = |pending: &[prodline_store::Delivery]| {
        let mut attempts: Vec<i32> = pending.iter().map(|delivery| delivery.attempts).collect();
        attempts.sort();
        attempts
    };
    let far = start + TimeDelta::days(1);
    let pending = store.due_deliveries("example_orders", far, 100).await.expect("pending");
    assert_eq!(attempts(&pending), [0, 1, 1, 1, 1, 1], "five failed, the sixth was not tried");

    // The retries are due (about 30 s), the circuit is still open (60 s): nothing is tried or counted.
    let summary = runner.run_once(&store, &At(start + TimeDelta::seconds(45))).await.expect("pass while open");
    assert_eq!((summary.posted, summary.deferred), (0, 6), "{summary}");
    let pending = store.due_deliveries("example_orders", far, 100).await.expect("pending");
    assert_eq!(attempts(&pending), [0, 1, 1, 1, 1, 1]);

    // Back up; after the cool-down one trial goes through, the circuit closes, the rest follow.
    std::fs::create_dir(&drop).expect("restore the drop folder");
    let summary = runner.run_once(&store, &At(start + TimeDelta::seconds(61))).await.expect("pass after cool-down");
    assert_eq!(summary, RunSummary { posted: 6, ..quiet() }, "{summary}");
    assert_eq!(files(&drop).len(), 6);
    runner.close().await;

    let events = store.events_since(EventId(0), 10_000).await.expect("events");
    let circuit: Vec<&str> = events
        .iter()
        .filter(|event| event.document_id.is_none() && event.kind == EventKind::OutcomeRecorded)
        .filter_map(|event| event.details["circuit"].as_str())
        .collect();
    assert_eq!(circuit, ["open", "closed"]);
}

#[tokio::test]
async fn x12_documents_get_a_997_per_interchange_and_an_855_per_posted_order() {
    let acknowledgements =
        "[workflow.acknowledgements]\noutbound = \"outbound\"\nsender_id = \"NORTHWIND\"\nsender_qualifier = \"ZZ\"\n";
    let deployment = Deployment::new(&file_drop_target("drop"), acknowledgements, "C0001").await;
    let outbound = deployment.root.join("outbound");
    // Two interchanges in one file, each one order; one order that goes to review;
    // one interchange whose envelope count is wrong (still acknowledged, with the error).
    let mut two = interchange("4500000011", 111, &[VALVE_3_4]);
    two.extend(interchange("4500000012", 112, &[VALVE_1_CASES]));
    deployment.drop_file("two.x12", &x12(&two));
    deployment.drop_file("review.x12", &x12_850("4500000013", 113, &[UNKNOWN_PART]));
    let mut miscounted = interchange("4500000014", 114, &[VALVE_3_4]);
    let se = miscounted.iter().position(|segment| segment.starts_with("SE*")).expect("SE");
    miscounted[se] = "SE*99*0001".to_owned();
    deployment.drop_file("miscounted.x12", &x12(&miscounted));
    deployment.drop_file("orders.csv", b"customer_po,sku,qty\n4500000015,HV-075-BR,3\n");
    let store = deployment.open_store().await;

    let summary = run_once(&deployment.config, &store, &CLOCK).await.expect("pass");
    assert!(summary.problems.is_empty(), "{summary}");
    let written = files(&outbound);
    let acks_997: Vec<&String> = written.iter().filter(|name| name.starts_with("997-")).collect();
    let acks_855: Vec<&String> = written.iter().filter(|name| name.starts_with("855-")).collect();
    assert_eq!(acks_997.len(), 4, "one per X12 interchange, none for the CSV: {written:?}");
    let posted_x12 = files(&deployment.root.join("drop")).iter().filter(|name| !name.contains("4500000015")).count();
    assert_eq!(acks_855.len(), posted_x12, "one 855 per posted X12 order: {written:?}");
    assert!(posted_x12 >= 1, "{summary}");

    let mut acknowledged = String::new();
    for name in acks_997.iter().chain(&acks_855) {
        let bytes = std::fs::read(outbound.join(name)).expect("read ack");
        let parsed = prodline_x12::parse(&bytes);
        let errors: Vec<_> = parsed.errors().collect();
        assert!(errors.is_empty(), "{name} reads back clean: {errors:?}");
        assert!(parsed.diagnostics.is_empty(), "{name}: {:?}", parsed.diagnostics);
        let text = String::from_utf8(bytes).expect("ASCII");
        assert!(text.starts_with("ISA*00*          *00*          *ZZ*NORTHWIND      *ZZ*ACMEEDI01      *"), "{text}");
        acknowledged.push_str(&text);
    }
    for control in [111, 112, 113, 114] {
        assert!(acknowledged.contains(&format!("AK1*PO*{control}")), "997 for group {control}:\n{acknowledged}");
    }
    assert!(acknowledged.contains("AK5*E"), "the miscounted set is accepted with errors:\n{acknowledged}");
    assert!(acknowledged.contains("BAK*00*AD*4500000011*20260302"), "855 for the posted PO:\n{acknowledged}");
    assert!(!acknowledged.contains("BAK*00*AD*4500000013"), "no 855 for an order in review");

    // Nothing new on a rerun; the names are stable.
    let summary = run_once(&deployment.config, &store, &CLOCK).await.expect("second pass");
    assert_eq!(summary, quiet(), "{summary}");
    assert_eq!(files(&outbound), written);
    let posted = store.list(DocumentState::Posted, 10).await.expect("posted");
    assert!(!posted.is_empty());
}

/// The port scripts/tryton.sh serves on (its default unless PRODLINE_TRYTON_PORT says otherwise).
fn tryton_port() -> String {
    std::env::var("PRODLINE_TRYTON_PORT").unwrap_or_else(|_| "8765".to_owned())
}

/// Starts trytond on a fresh copy of its seeded template database (parties
/// C0042 and C0077, goods HV-075-BR, HV-100-BR); fails naming the script.
fn start_tryton() -> PathBuf {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/tryton.sh");
    let output = Command::new("bash")
        .arg(&script)
        .arg("start")
        .env("PRODLINE_TRYTON_PORT", tryton_port())
        .output()
        .unwrap_or_else(|error| panic!("cannot run scripts/tryton.sh: {error}"));
    assert!(
        output.status.success(),
        "scripts/tryton.sh start failed (it sets up the Tryton venv and server):\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let home = match std::env::var_os("PRODLINE_TRYTON_HOME") {
        Some(home) => PathBuf::from(home),
        None => PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/prodline/tryton"),
    };
    home.join("admin.password")
}

#[tokio::test]
async fn a_tryton_target_gets_each_order_once_and_recognises_it_after_the_store_is_lost() {
    let password_file = start_tryton();
    let target = format!(
        "[workflow.target]\ntype = \"tryton\"\nurl = \"http://127.0.0.1:{}\"\ndatabase = \"prodline\"\n\
         user = \"admin\"\npassword_env = \"{}\"\ncompany = \"Prodline Test Co\"\ntimeout_seconds = 60\n",
        tryton_port(),
        password_file.display()
    );
    let deployment = Deployment::new(&target, "", "C0042").await;
    deployment.drop_file("po-1.x12", &x12_850("TR-4500000021", 121, &[VALVE_3_4]));
    deployment.drop_file("po-2.x12", &x12_850("TR-4500000022", 122, &[VALVE_3_4]));
    let store = deployment.open_store().await;

    let summary = run_once(&deployment.config, &store, &CLOCK).await.expect("pass");
    assert_eq!(summary, RunSummary { received: 2, decided: 2, auto: 2, posted: 2, ..quiet() }, "{summary}");
    let posted = posting_events(&store).await;
    assert_eq!(posted.len(), 2);
    assert!(posted.iter().all(|(erp_key, already)| !erp_key.is_empty() && !already), "{posted:?}");

    // A second deployment store (the first one lost): the same POs are found in Tryton, not entered again.
    store.close().await;
    let StoreConfig::Sqlite { path } = &deployment.config.store else { panic!("sqlite store") };
    std::fs::remove_file(path).expect("lose the store");
    for name in ["po-1.x12", "po-2.x12"] {
        let processed = deployment.root.join("inbox/processed").join(name);
        std::fs::rename(&processed, deployment.root.join("inbox").join(name)).expect("back into the inbox");
    }
    let store = deployment.open_store().await;
    let summary = run_once(&deployment.config, &store, &CLOCK).await.expect("pass on a new store");
    assert_eq!(summary.posted, 2, "{summary}");
    let again = posting_events(&store).await;
    assert_eq!(again.len(), 2);
    assert!(again.iter().all(|(_, already)| *already), "recognised as posted: {again:?}");
    let mut first: Vec<&String> = posted.iter().map(|(key, _)| key).collect();
    let mut second: Vec<&String> = again.iter().map(|(key, _)| key).collect();
    first.sort();
    second.sort();
    assert_eq!(first, second, "the same Tryton sales");
}

/// (ERP key, already posted) of every delivery recorded in the store.
async fn posting_events(store: &SqliteStore) -> Vec<(String, bool)> {
    let events = store.events_since(EventId(0), 10_000).await.expect("events");
    events
        .iter()
        .filter(|event| event.actor == "outbox" && event.details.get("erp_key").is_some())
        .map(|event| {
            let key = event.details["erp_key"].as_str().unwrap_or_default().to_owned();
            (key, event.details["already_posted"].as_bool().unwrap_or(false))
        })
        .collect()
}
