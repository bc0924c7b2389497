//! The monitor inside `prodline run`: a customer's EDI feed changes its
//! interchange id; the runtime raises a drift alert (an event), tells the
//! owner by e-mail through the real SMTP server of scripts/smtp.sh and by a
//! Slack-compatible webhook, holds the feed's documents in review, and
//! resolves the alert — with a second, threaded e-mail — once the owner
//! accepts the new layout.

use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use prodline_config::{CONFIG_FILE, Config, StoreConfig};
use prodline_runtime::{Runner, SystemClock};
use prodline_store::{DocumentState, EventKind, SqliteStore, Store};
use prodline_testkit::orders::{VALVE_3_4, x12_850};
use serde_json::{Value, json};

const SMTP_PORT: u16 = 10025;

fn smtp_dir() -> PathBuf {
    std::env::var_os("PRODLINE_SMTP_DIR").map(PathBuf::from).unwrap_or_else(|| "/tmp/prodline-smtp".into())
}

fn require_smtp() {
    let address = SocketAddr::from(([127, 0, 0, 1], SMTP_PORT));
    assert!(
        TcpStream::connect_timeout(&address, Duration::from_secs(2)).is_ok(),
        "no SMTP server on {address}: start it with scripts/smtp.sh"
    );
}

/// Every message the SMTP server stored for `recipient`, as text.
fn mail_to(recipient: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(smtp_dir().join("mail/new")) else { return Vec::new() };
    let mut messages: Vec<(std::time::SystemTime, String)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let text = std::fs::read_to_string(entry.path()).ok()?;
            let modified = entry.metadata().ok()?.modified().ok()?;
            text.lines()
                .any(|line| line.starts_with("X-RcptTo:") && line.contains(recipient))
                .then_some((modified, text))
        })
        .collect();
    messages.sort();
    messages.into_iter().map(|(_, text)| text).collect()
}

/// A webhook receiver on 127.0.0.1 recording every JSON body posted to it.
async fn webhook() -> (String, Arc<Mutex<Vec<Value>>>) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let record = |State(bodies): State<Arc<Mutex<Vec<Value>>>>, Json(body): Json<Value>| async move {
        if let Ok(mut bodies) = bodies.lock() {
            bodies.push(body);
        }
        "ok"
    };
    let app = Router::new().route("/hook", post(record)).with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind webhook");
    let address = listener.local_addr().expect("webhook address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/hook"), received)
}

struct Plant {
    _dir: tempfile::TempDir,
    root: PathBuf,
    config: Config,
}

impl Plant {
    async fn new(owner: &str, hook: &str) -> Plant {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("plant");
        prodline_config::init(&root).await.expect("init");
        let path = root.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path)
            .expect("config text")
            .replace("policy = \"shadow\"", "policy = \"auto\"")
            .replace("stable_seconds = 2", "stable_seconds = 0")
            .replace("email = \"orders@example.com\"", &format!("email = \"{owner}\""));
        let channels = format!(
            "\n[[workflow.alert]]\ntype = \"smtp\"\nname = \"owner mail\"\nhost = \"127.0.0.1\"\nport = {SMTP_PORT}\n\
             security = \"none\"\nfrom = \"prodline@plant.test\"\n\n\
             [[workflow.alert]]\ntype = \"slack\"\nname = \"ops channel\"\nurl = \"{hook}\"\n"
        );
        std::fs::write(&path, text + &channels).expect("write config");
        let config = Config::load(&path).expect("config loads");
        Plant { _dir: dir, root, config }
    }

    fn drop_order(&self, name: &str, text: &str) {
        std::fs::write(self.root.join("inbox").join(name), text).expect("write inbox file");
    }

    async fn store(&self) -> SqliteStore {
        let StoreConfig::Sqlite { path } = &self.config.store else { panic!("init writes a sqlite store") };
        SqliteStore::open(path).await.expect("open store")
    }
}

/// The same order from the customer's new system: a new interchange sender id.
fn from_new_system(po: &str, control: u32) -> String {
    x12_850(po, control, &[VALVE_3_4]).replace("ACMEEDI01", "ACMENEWSY")
}

async fn events(store: &SqliteStore, kind: EventKind) -> Vec<Value> {
    let all = store.events_since(prodline_store::EventId(0), 100_000).await.expect("events");
    all.into_iter().filter(|event| event.kind == kind).map(|event| event.details).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drifting_feed_is_alerted_by_mail_and_webhook_held_in_review_and_resolved_when_accepted() {
    require_smtp();
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_nanos();
    let owner = format!("owner-{nanos}@plant.test");
    let (hook, posted) = webhook().await;
    let plant = Plant::new(&owner, &hook).await;
    let store = plant.store().await;
    let mut runner = Runner::new(&plant.config).await.expect("runner");
    let clock = SystemClock;

    // Twenty orders in the layout the feed always had: auto-approved, no alert.
    for n in 1..=20 {
        plant.drop_order(&format!("po-{n:02}.x12"), &x12_850(&format!("PO-{n:02}"), n, &[VALVE_3_4]));
        runner.run_once(&store, &clock).await.expect("pass");
    }
    assert!(events(&store, EventKind::AlertFired).await.is_empty(), "a steady feed raised an alert");

    // The new system: its first document still goes through (one document is not a drift) ...
    plant.drop_order("po-21.x12", &from_new_system("PO-21", 21));
    runner.run_once(&store, &clock).await.expect("pass");
    // ... the second under the new interchange id is drift: alerted, and held for review.
    plant.drop_order("po-22.x12", &from_new_system("PO-22", 22));
    let pass = runner.run_once(&store, &clock).await.expect("pass");
    assert!(pass.problems.is_empty(), "{pass}");
    let fired = events(&store, EventKind::AlertFired).await;
    assert_eq!(fired.len(), 1, "{fired:?}");
    let key = fired[0]["key"].as_str().expect("key").to_owned();
    assert!(key.starts_with("drift/example_orders/") && key.ends_with("/edi"), "{key}");
    assert!(fired[0]["detail"].as_str().unwrap_or_default().contains("ACMENEWSY"), "{fired:?}");

    let held = store.list(DocumentState::InReview, 100).await.expect("review queue");
    assert_eq!(held.iter().map(|d| d.file_name.as_str()).collect::<Vec<_>>(), ["po-22.x12"]);
    let trail = store.events(held[0].id).await.expect("trail");
    let routed = trail.iter().find(|e| e.details.pointer("/to") == Some(&json!("in_review"))).expect("routed");
    assert_eq!(routed.details.pointer("/details/reason"), Some(&json!("drift")));

    // Told once, by mail and by webhook, although later passes still see the drift.
    plant.drop_order("po-23.x12", &from_new_system("PO-23", 23));
    runner.run_once(&store, &clock).await.expect("pass");
    assert_eq!(events(&store, EventKind::AlertFired).await.len(), 1, "the alert fired again");
    let mail = mail_to(&owner);
    assert_eq!(mail.len(), 1, "{mail:?}");
    let named = key.trim_start_matches("drift/");
    assert!(mail[0].contains(&format!("FIRING drift {named}")), "{}", mail[0]);
    let bodies = posted.lock().expect("webhook bodies").clone();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    assert!(bodies[0]["text"].as_str().unwrap_or_default().contains(named), "{bodies:?}");

    // The owner accepts the new layout: the alert resolves, in the same mail thread.
    let release = json!({ "hold": key, "workflow": "example_orders" });
    store.record_event(None, EventKind::HoldReleased, "Order Desk", release).await.expect("release");
    plant.drop_order("po-24.x12", &from_new_system("PO-24", 24));
    runner.run_once(&store, &clock).await.expect("pass");
    let resolved = events(&store, EventKind::AlertResolved).await;
    assert_eq!(resolved.iter().map(|d| d["key"].as_str()).collect::<Vec<_>>(), [Some(key.as_str())]);
    let mail = mail_to(&owner);
    assert_eq!(mail.len(), 2, "{mail:?}");
    assert!(mail[1].contains("RESOLVED drift"), "{}", mail[1]);
    assert!(mail[1].contains("In-Reply-To:"), "{}", mail[1]);
    assert_eq!(posted.lock().expect("webhook bodies").len(), 2);
    let posted_after = store.list(DocumentState::InReview, 100).await.expect("review queue");
    assert!(!posted_after.iter().any(|d| d.file_name == "po-24.x12"), "po-24 was held after the release");
    runner.close().await;
}
