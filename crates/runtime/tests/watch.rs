//! The monitor inside `prodline run`: a customer's EDI feed changes its
//! interchange id; the runtime raises a drift alert (an event), tells the
//! owner by e-mail through the real SMTP server of scripts/smtp.sh and by a
//! Slack-compatible webhook, holds the feed's documents in review, and
//! resolves the alert — with a second, threaded e-mail — once the owner
//! accepts the new layout. And the owner's own switch: auto-approve paused
//! for the workflow or one feed, held in review until resumed.

use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use prodline_config::{CONFIG_FILE, Config, StoreConfig};
use prodline_runtime::pause::{self, PauseError};
use prodline_runtime::watch::{HoldReason, Ledger, assess, metrics, render};
use prodline_runtime::{RunSummary, Runner, SystemClock};
use prodline_store::{DocumentId, DocumentState, EventKind, SqliteStore, Store};
use prodline_testkit::orders::{VALVE_3_4, edifact_orders, x12_850};
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
    /// The example deployment (policy `auto`) telling `owner` by mail and `hook` by webhook.
    async fn new(owner: &str, hook: &str) -> Plant {
        let channels = format!(
            "\n[[workflow.alert]]\ntype = \"smtp\"\nname = \"owner mail\"\nhost = \"127.0.0.1\"\nport = {SMTP_PORT}\n\
             security = \"none\"\nfrom = \"prodline@plant.test\"\n\n\
             [[workflow.alert]]\ntype = \"slack\"\nname = \"ops channel\"\nurl = \"{hook}\"\n"
        );
        Plant::with_channels(owner, &channels).await
    }

    async fn with_channels(owner: &str, channels: &str) -> Plant {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("plant");
        prodline_config::init(&root).await.expect("init");
        let path = root.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path)
            .expect("config text")
            .replace("policy = \"shadow\"", "policy = \"auto\"")
            .replace("stable_seconds = 2", "stable_seconds = 0")
            .replace("email = \"orders@example.com\"", &format!("email = \"{owner}\""));
        std::fs::write(&path, text + channels).expect("write config");
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

const WORKFLOW: &str = "example_orders";

/// Where the pipeline's routing sent a document, as (reason, message).
async fn routed(store: &SqliteStore, id: DocumentId) -> (String, String) {
    let trail = store.events(id).await.expect("trail");
    let routed = trail.iter().rev().find(|e| e.details.pointer("/to") == Some(&json!("in_review"))).expect("routed");
    let text = |key: &str| routed.details.pointer(key).and_then(Value::as_str).unwrap_or_default().to_owned();
    (text("/details/reason"), text("/details/message"))
}

async fn in_review(store: &SqliteStore) -> Vec<(String, DocumentId)> {
    let held = store.list(DocumentState::InReview, 100).await.expect("review queue");
    held.into_iter().map(|document| (document.file_name, document.id)).collect()
}

/// The owner pauses auto-approve of the workflow: an order that would go
/// straight to the ERP goes to review with reason `paused`, naming who
/// paused it and why; `prodline release` does not lift it, a resume does.
/// Then only Acme's EDI feed is paused: Bergmann's EDIFACT still goes through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_workflow_or_feed_is_reviewed_until_resumed() {
    let plant = Plant::with_channels("owner@plant.test", "").await;
    let (store, config) = (plant.store().await, &plant.config);
    let mut runner = Runner::new(config).await.expect("runner");
    let clock = SystemClock;
    let quiet = RunSummary::default;

    let refused = pause::pause(&store, config, "no_such_flow", None, "Olga", "").await;
    assert!(matches!(refused, Err(PauseError::UnknownWorkflow(_))), "{refused:?}");
    let refused = pause::pause(&store, config, WORKFLOW, None, "  ", "").await;
    assert!(matches!(refused, Err(PauseError::NoActor)), "{refused:?}");
    for feed in ["C0001", "C0001/fax", "/edi"] {
        let refused = pause::pause(&store, config, WORKFLOW, Some(feed), "Olga", "").await;
        assert!(matches!(refused, Err(PauseError::InvalidFeed { .. })), "{feed}: {refused:?}");
    }
    let refused = pause::resume(&store, config, WORKFLOW, None, "Olga").await;
    let Err(error @ PauseError::NotPaused { .. }) = refused else { panic!("{refused:?}") };
    assert_eq!(
        error.to_string(),
        "auto-approve of all in workflow example_orders is not paused: there is nothing to resume"
    );
    assert!(events(&store, EventKind::AutoApprovePaused).await.is_empty(), "a refusal recorded a pause");

    let paused = pause::pause(&store, config, WORKFLOW, Some(""), "Olga Owner", " ERP cut-over tonight ").await;
    let paused = paused.expect("pause");
    assert_eq!(
        (paused.subject(), paused.by.as_str(), paused.reason.as_str()),
        ("all", "Olga Owner", "ERP cut-over tonight")
    );
    let twice = pause::pause(&store, config, WORKFLOW, None, "Otto", "me too").await;
    assert!(matches!(&twice, Err(PauseError::AlreadyPaused { by, .. }) if by == "Olga Owner"), "{twice:?}");
    let recorded = store.events_since(prodline_store::EventId(0), 1000).await.expect("events");
    let recorded: Vec<_> = recorded.iter().filter(|e| e.kind == EventKind::AutoApprovePaused).collect();
    let [recorded] = recorded.as_slice() else { panic!("one pause event, not {}", recorded.len()) };
    assert_eq!((recorded.document_id, recorded.actor.as_str()), (None, "Olga Owner"));
    assert_eq!(recorded.details, json!({ "workflow": WORKFLOW, "feed": null, "reason": "ERP cut-over tonight" }));

    // An order the pipeline approves goes to review instead.
    plant.drop_order("po-01.x12", &x12_850("PO-01", 1, &[VALVE_3_4]));
    let pass = runner.run_once(&store, &clock).await.expect("pass");
    assert_eq!(pass, RunSummary { received: 1, decided: 1, review: 1, ..quiet() }, "{pass}");
    let queue = in_review(&store).await;
    assert_eq!(queue.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>(), ["po-01.x12"]);
    let (reason, message) = routed(&store, queue[0].1).await;
    assert_eq!(reason, "paused");
    assert!(message.contains("paused by Olga Owner") && message.contains("ERP cut-over tonight"), "{message}");

    // Status, /metrics and the holds show it; a release of its key does not lift it.
    let release = json!({ "hold": paused.key(), "workflow": WORKFLOW });
    store.record_event(None, EventKind::HoldReleased, "Otto", release).await.expect("release");
    let statuses = assess(config, &Ledger::read(&store).await.expect("ledger"), chrono::Utc::now());
    let [status] = statuses.as_slice() else { panic!("one workflow") };
    let holds: Vec<(&str, HoldReason)> = status.holds.iter().map(|hold| (hold.key.as_str(), hold.reason)).collect();
    assert_eq!(holds, [("paused/example_orders/all", HoldReason::Paused)]);
    assert_eq!(status.pauses, std::slice::from_ref(&paused));
    let text = render::status_text(&statuses);
    assert!(text.contains("\nholds: none\n"), "a pause is not a hold release lifts:\n{text}");
    let since = paused.at.format("%Y-%m-%d %H:%M UTC");
    let line = format!(
        "\nauto-approve paused: 1 (its documents go to review until resumed)\n  all by Olga Owner since {since}: ERP cut-over tonight\n"
    );
    assert!(text.contains(&line), "{line:?} not in:\n{text}");
    let exposition = metrics::prometheus(&statuses);
    assert!(
        exposition.contains("\nprodline_auto_approve_paused{workflow=\"example_orders\",subject=\"all\"} 1\n"),
        "{exposition}"
    );
    assert!(exposition.contains("\nprodline_holds{workflow=\"example_orders\"} 1\n"), "{exposition}");
    plant.drop_order("po-02.x12", &x12_850("PO-02", 2, &[VALVE_3_4]));
    let pass = runner.run_once(&store, &clock).await.expect("pass");
    assert_eq!((pass.auto, pass.review), (0, 1), "released, yet the pause must stand: {pass}");

    // Resumed: the next order goes straight through again.
    let lifted = pause::resume(&store, config, WORKFLOW, None, "Olga Owner").await.expect("resume");
    assert_eq!(lifted, paused);
    assert!(pause::list(&store).await.expect("pauses").is_empty());
    plant.drop_order("po-03.x12", &x12_850("PO-03", 3, &[VALVE_3_4]));
    let pass = runner.run_once(&store, &clock).await.expect("pass");
    assert_eq!((pass.auto, pass.review, pass.posted), (1, 0, 1), "{pass}");
    let resumed = events(&store, EventKind::AutoApproveResumed).await;
    assert_eq!(resumed, [json!({ "workflow": WORKFLOW, "feed": null })]);

    // Only Acme's EDI feed paused: its order is held, Bergmann's goes through.
    let ledger = Ledger::read(&store).await.expect("ledger");
    let feed = ledger.of_workflow(WORKFLOW).last().map(|(_, watch)| watch.feed.clone()).expect("a feed");
    assert_eq!(feed, "C0001/edi");
    let paused = pause::pause(&store, config, WORKFLOW, Some(&feed), "Olga Owner", "new EDI provider").await;
    assert_eq!(paused.expect("pause the feed").key(), "paused/example_orders/C0001/edi");
    plant.drop_order("po-04.x12", &x12_850("PO-04", 4, &[VALVE_3_4]));
    plant.drop_order("orders-05.edi", &edifact_orders("BHG-05", 5, 250));
    let pass = runner.run_once(&store, &clock).await.expect("pass");
    assert_eq!((pass.auto, pass.review), (1, 1), "{pass}");
    let queue = in_review(&store).await;
    let held = queue.iter().find(|(name, _)| name == "po-04.x12").expect("Acme's order held");
    let (reason, message) = routed(&store, held.1).await;
    assert_eq!(reason, "paused");
    assert!(message.starts_with("auto-approve of C0001/edi paused by Olga Owner"), "{message}");
    assert!(!queue.iter().any(|(name, _)| name == "orders-05.edi"), "Bergmann's feed was held: {queue:?}");
    let standing = pause::list(&store).await.expect("pauses");
    assert_eq!(
        standing.iter().map(|p| (p.workflow.as_str(), p.subject())).collect::<Vec<_>>(),
        [(WORKFLOW, "C0001/edi")]
    );
    runner.close().await;
}
