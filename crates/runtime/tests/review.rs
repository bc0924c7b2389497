//! The review queue and the outbox, as a person uses them, on a scaffolded
//! deployment (`prodline_config::init`) with its SQLite ERP: correct a
//! document (the ERP gets the corrected order, the memory learns the
//! customer's part so the next document resolves it alone), approve, reject,
//! and replay a dead letter once the ERP's refusal is fixed. Memory is shared
//! through the store: a second runner sees the first one's orders.

use std::path::PathBuf;

use prodline_config::{CONFIG_FILE, Config, StoreConfig};
use prodline_core::CanonicalOrder;
use prodline_runtime::review::{self, ReviewError};
use prodline_runtime::{RunSummary, Runner, SystemClock, outbox, run_once};
use prodline_store::{
    DeliveryFilter, DeliveryStatus, DocumentId, DocumentState, EventKind, SqliteStore, Store, StoreError,
};
use sqlx::{Connection, Row, SqliteConnection};

use prodline_testkit::orders::{VALVE_3_4, x12_850};

const CLOCK: SystemClock = SystemClock;

/// Acme's own part number for the stainless elbow FT-050-SS: in no cross-reference.
const ELBOW_BY_ACME_PART: &str = "50*EA*4.20*PE*BP*77-0050";

struct Deployment {
    _dir: tempfile::TempDir,
    root: PathBuf,
    config: Config,
}

impl Deployment {
    /// `prodline init` with the given decision policy, files taken at once.
    async fn new(policy: &str) -> Deployment {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("deployment");
        prodline_config::init(&root).await.expect("init");
        let config_path = root.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&config_path).expect("config text");
        let text = text
            .replace("policy = \"shadow\"", &format!("policy = \"{policy}\""))
            .replace("stable_seconds = 2", "stable_seconds = 0");
        assert!(text.contains(&format!("policy = \"{policy}\"")), "the example config changed");
        std::fs::write(&config_path, text).expect("write config");
        let config = Config::load(&config_path).expect("config loads");
        Deployment { _dir: dir, root, config }
    }

    fn drop_file(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.root.join("inbox").join(name), bytes).expect("write inbox file");
    }

    async fn open_store(&self) -> SqliteStore {
        let StoreConfig::Sqlite { path } = &self.config.store else { panic!("init writes a sqlite store") };
        SqliteStore::open(path).await.expect("open store")
    }

    async fn erp(&self) -> SqliteConnection {
        let url = format!("sqlite:{}", self.root.join("erp.sqlite").display());
        SqliteConnection::connect(&url).await.expect("open ERP")
    }

    /// Each ERP order as (PO, [(item, qty)]), by PO.
    async fn erp_orders(&self) -> Vec<(String, Vec<(String, String)>)> {
        let mut erp = self.erp().await;
        let headers = sqlx::query("SELECT so_id, cust_po_2 FROM SO_HDR ORDER BY cust_po_2")
            .fetch_all(&mut erp)
            .await
            .expect("read SO_HDR");
        let mut orders = Vec::new();
        for header in headers {
            let so_id: i64 = header.get(0);
            let lines = sqlx::query("SELECT item_no, CAST(qty AS TEXT) FROM SO_LIN WHERE so_id = ? ORDER BY ln_no")
                .bind(so_id)
                .fetch_all(&mut erp)
                .await
                .expect("read SO_LIN");
            orders.push((header.get(1), lines.iter().map(|line| (line.get(0), line.get(1))).collect()));
        }
        orders
    }
}

fn quiet() -> RunSummary {
    RunSummary::default()
}

async fn only_in(store: &SqliteStore, state: DocumentState) -> DocumentId {
    let documents = store.list(state, 10).await.expect("list");
    let [document] = documents.as_slice() else { panic!("one document {state}, not {}", documents.len()) };
    document.id
}

async fn state_of(store: &SqliteStore, id: DocumentId) -> DocumentState {
    store.document(id).await.expect("read").expect("document").state
}

fn order(po: &str, lines: &[(&str, &str)]) -> (String, Vec<(String, String)>) {
    (po.to_owned(), lines.iter().map(|(sku, qty)| ((*sku).to_owned(), (*qty).to_owned())).collect())
}

#[tokio::test]
async fn a_correction_is_delivered_labelled_and_teaches_the_next_document() {
    let deployment = Deployment::new("auto").await;
    deployment.drop_file("po-3.x12", x12_850("4500000003", 103, &[VALVE_3_4, ELBOW_BY_ACME_PART]).as_bytes());
    let store = deployment.open_store().await;
    let summary = run_once(&deployment.config, &store, &CLOCK).await.expect("first pass");
    assert_eq!(summary, RunSummary { received: 1, decided: 1, review: 1, ..quiet() }, "{summary}");

    let queue = review::list(&store, 10).await.expect("queue");
    let [item] = queue.as_slice() else { panic!("one document in review, not {}", queue.len()) };
    assert_eq!((item.file_name.as_str(), item.reason.as_deref()), ("po-3.x12", Some("decision_review")));
    assert!(!item.reasons.is_empty(), "the queue says why: {item:?}");

    // The reviewer's correction: the planned order with the elbow's SKU filled in.
    let shown = review::show(&store, item.id).await.expect("show");
    let decision = shown.decision.expect("a stored decision");
    let mut corrected: Vec<CanonicalOrder> = decision.orders.into_iter().map(|planned| planned.order).collect();
    let elbow = corrected[0].lines.iter_mut().find(|line| line.customer_part.as_deref() == Some("77-0050"));
    let elbow = elbow.expect("the elbow line");
    assert_eq!(elbow.sku, None, "the pipeline could not know the part");
    elbow.sku = Some("FT-050-SS".to_owned());
    let correction = review::correct(&store, &deployment.config, item.id, "alice", corrected).await.expect("correct");
    assert_eq!(correction.approval.idempotency_keys.len(), 1);
    assert!(
        correction.learned.iter().any(|l| l.key == "77-0050" && l.value == "FT-050-SS"),
        "{:?}",
        correction.learned
    );
    assert_eq!(state_of(&store, item.id).await, DocumentState::Approved);

    // The label and the lesson are events with their actor.
    let events = store.events(item.id).await.expect("events");
    let edited = events.iter().find(|e| e.kind == EventKind::ReviewEdited).expect("ReviewEdited");
    assert_eq!(edited.actor, "alice");
    assert_eq!(edited.details["orders"][0]["lines"][1]["sku"], "FT-050-SS", "{}", edited.details);
    let actors = |kind| events.iter().filter(move |e| e.kind == kind).map(|e| e.actor.clone()).collect::<Vec<_>>();
    assert_eq!(actors(EventKind::MemoryLearned), ["alice"]);
    assert_eq!(actors(EventKind::ReviewApproved), ["alice"]);

    // The runtime delivers the corrected order.
    let summary = run_once(&deployment.config, &store, &CLOCK).await.expect("delivery pass");
    assert_eq!(summary, RunSummary { posted: 1, ..quiet() }, "{summary}");
    let expected = order("4500000003", &[("HV-075-BR", "200"), ("FT-050-SS", "50")]);
    assert_eq!(deployment.erp_orders().await, std::slice::from_ref(&expected));

    // The next PO with the same part is resolved from what was learned, and goes in alone.
    deployment.drop_file("po-4.x12", x12_850("4500000004", 104, &[ELBOW_BY_ACME_PART]).as_bytes());
    let summary = run_once(&deployment.config, &store, &CLOCK).await.expect("taught pass");
    assert_eq!(summary, RunSummary { received: 1, decided: 1, auto: 1, posted: 1, ..quiet() }, "{summary}");
    assert_eq!(deployment.erp_orders().await, [expected, order("4500000004", &[("FT-050-SS", "50")])]);

    // A document no longer in review cannot be acted on; the error names it and its state.
    let again = review::reject(&store, item.id, "bob", "too late").await;
    let Err(error @ ReviewError::NotInReview { .. }) = again else { panic!("{again:?}") };
    let message = error.to_string();
    assert!(message.contains(&format!("document {}", item.id)) && message.contains("posted"), "{message}");
}

#[tokio::test]
async fn approve_delivers_the_planned_order_and_reject_enters_nothing() {
    let deployment = Deployment::new("shadow").await;
    deployment.drop_file("po-1.x12", x12_850("4500000001", 101, &[VALVE_3_4]).as_bytes());
    deployment.drop_file("garbage.bin", &[0xff, 0x00, 0x13, 0x37, b'x', 0xfe, b'\n', 0x80]);
    let store = deployment.open_store().await;
    let summary = run_once(&deployment.config, &store, &CLOCK).await.expect("first pass");
    assert_eq!(summary, RunSummary { received: 2, decided: 2, review: 2, ..quiet() }, "{summary}");
    let queue = review::list(&store, 10).await.expect("queue");
    let id_of = |name: &str| queue.iter().find(|item| item.file_name == name).map(|item| item.id).expect(name);
    let (po, garbage) = (id_of("po-1.x12"), id_of("garbage.bin"));
    assert_eq!(queue.iter().find(|item| item.id == po).and_then(|item| item.reason.as_deref()), Some("policy"));

    // Nothing to approve in garbage: a clear refusal, and the document stays in review.
    let refused = review::approve(&store, &deployment.config, garbage, "bob").await;
    assert!(matches!(refused, Err(ReviewError::NothingToApprove { .. })), "{refused:?}");
    let no_reason = review::reject(&store, garbage, "bob", "  ").await;
    assert!(matches!(no_reason, Err(ReviewError::NoReason { .. })), "{no_reason:?}");
    let rejection = review::reject(&store, garbage, "bob", "not an order").await.expect("reject");
    assert_eq!(rejection.reason, "not an order");
    assert_eq!(state_of(&store, garbage).await, DocumentState::Rejected);
    let events = store.events(garbage).await.expect("events");
    let last_two: Vec<(EventKind, &str)> = events.iter().rev().take(2).map(|e| (e.kind, e.actor.as_str())).collect();
    assert_eq!(last_two, [(EventKind::ReviewRejected, "bob"), (EventKind::DocumentStateChanged, "bob")]);

    let approval = review::approve(&store, &deployment.config, po, "carol").await.expect("approve");
    assert_eq!((approval.actor.as_str(), approval.idempotency_keys.len()), ("carol", 1));
    let twice = review::approve(&store, &deployment.config, po, "carol").await;
    assert!(matches!(twice, Err(ReviewError::NotInReview { state: DocumentState::Approved, .. })), "{twice:?}");
    let summary = run_once(&deployment.config, &store, &CLOCK).await.expect("delivery pass");
    assert_eq!(summary, RunSummary { posted: 1, ..quiet() }, "{summary}");
    assert_eq!(deployment.erp_orders().await, [order("4500000001", &[("HV-075-BR", "200")])]);
    let shown = review::show(&store, po).await.expect("show");
    assert_eq!(shown.state, DocumentState::Posted);
    assert_eq!(shown.deliveries.iter().map(|d| d.status).collect::<Vec<_>>(), [DeliveryStatus::Delivered]);
    assert!(shown.events.iter().any(|e| e.kind == EventKind::ReviewApproved && e.actor == "carol"));
    let missing = review::show(&store, DocumentId(i64::MAX)).await;
    assert!(matches!(missing, Err(ReviewError::NotFound(_))), "{missing:?}");
}

#[tokio::test]
async fn a_dead_letter_is_replayed_after_the_erp_is_fixed_and_then_posted() {
    let deployment = Deployment::new("auto").await;
    let mut erp = deployment.erp().await;
    let rule = "CREATE TRIGGER credit_hold BEFORE INSERT ON SO_HDR WHEN NEW.cust_po_2 = '4500000002' \
                BEGIN SELECT RAISE(ABORT, 'PO 4500000002: customer on credit hold'); END";
    sqlx::query(rule).execute(&mut erp).await.expect("create the ERP rule");
    deployment.drop_file("po-2.x12", x12_850("4500000002", 102, &[VALVE_3_4]).as_bytes());
    let store = deployment.open_store().await;
    let summary = run_once(&deployment.config, &store, &CLOCK).await.expect("first pass");
    assert_eq!(summary, RunSummary { received: 1, decided: 1, auto: 1, dead_lettered: 1, ..quiet() }, "{summary}");
    let document = only_in(&store, DocumentState::DeadLettered).await;

    let dead = DeliveryFilter { status: Some(DeliveryStatus::DeadLettered), ..DeliveryFilter::default() };
    let listed = outbox::list(&store, &dead, 10).await.expect("list");
    let [delivery] = listed.as_slice() else { panic!("one dead letter, not {}", listed.len()) };
    assert!(delivery.last_error.as_deref().unwrap_or_default().contains("credit hold"), "{delivery:?}");
    let not_pending = outbox::retry(&store, delivery.id, chrono::Utc::now(), "dora").await;
    assert!(matches!(not_pending, Err(StoreError::DeliveryClosed { .. })), "{not_pending:?}");

    // The credit hold is lifted in the ERP; the person replays the dead letter.
    sqlx::query("DROP TRIGGER credit_hold").execute(&mut erp).await.expect("lift the hold");
    erp.close().await.expect("close ERP");
    let replayed = outbox::replay(&store, delivery.id, "dora").await.expect("replay");
    assert_eq!((replayed.status, replayed.attempts), (DeliveryStatus::Pending, 0));
    assert_eq!(state_of(&store, document).await, DocumentState::Approved);

    let summary = run_once(&deployment.config, &store, &CLOCK).await.expect("pass after replay");
    assert_eq!(summary, RunSummary { posted: 1, ..quiet() }, "{summary}");
    assert_eq!(deployment.erp_orders().await, [order("4500000002", &[("HV-075-BR", "200")])]);
    let events = store.events(document).await.expect("events");
    let moves: Vec<(String, String)> = events
        .iter()
        .filter(|e| e.kind == EventKind::DocumentStateChanged)
        .map(|e| (e.details["from"].as_str().unwrap_or("?").to_owned(), e.actor.clone()))
        .collect();
    let expected = [
        ("received", "pipeline"),
        ("decided", "pipeline"),
        ("approved", "outbox"),
        ("dead_lettered", "dora"),
        ("approved", "outbox"),
    ];
    assert_eq!(moves, expected.map(|(from, actor)| (from.to_owned(), actor.to_owned())));
    assert!(events.iter().any(|e| e.kind == EventKind::DeliveryReplayed && e.actor == "dora"));
    assert_eq!(state_of(&store, document).await, DocumentState::Posted);
}

#[tokio::test]
async fn two_runners_share_duplicate_detection_through_the_stored_memory() {
    let deployment = Deployment::new("auto").await;
    let store = deployment.open_store().await;
    let mut first = Runner::new(&deployment.config).await.expect("first runner");
    let mut second = Runner::new(&deployment.config).await.expect("second runner");
    deployment.drop_file("po-1.x12", x12_850("4500000001", 101, &[VALVE_3_4]).as_bytes());
    let summary = first.run_once(&store, &CLOCK).await.expect("first runner's pass");
    assert_eq!(summary.posted, 1, "{summary}");

    // The same PO sent again (a new interchange, so new bytes) reaches the other runner.
    deployment.drop_file("po-1-resent.x12", x12_850("4500000001", 201, &[VALVE_3_4]).as_bytes());
    let summary = second.run_once(&store, &CLOCK).await.expect("second runner's pass");
    assert_eq!(summary, RunSummary { received: 1, decided: 1, review: 1, ..quiet() }, "{summary}");
    let queue = review::list(&store, 10).await.expect("queue");
    let [item] = queue.as_slice() else { panic!("one document in review, not {}", queue.len()) };
    assert_eq!(item.file_name, "po-1-resent.x12");
    assert!(item.reasons.iter().any(|code| code == "duplicate"), "{item:?}");
    assert_eq!(deployment.erp_orders().await.len(), 1);
    first.close().await;
    second.close().await;
}
