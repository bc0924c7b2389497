//! The review queue and the outbox, as a person uses them, on a scaffolded
//! deployment (`prodline_config::init`) with its SQLite ERP: correct a
//! document (the ERP gets the corrected order, the memory learns the
//! customer's part so the next document resolves it alone), approve, reject,
//! and replay a dead letter once the ERP's refusal is fixed. Memory is shared
//! through the store: a second runner sees the first one's orders. A
//! correction teaches only the lessons the reviewer keeps; the desk's
//! inspection shows how each field of an e-mailed order was matched.

use std::path::PathBuf;

use prodline_config::{CONFIG_FILE, Config, StoreConfig};
use prodline_core::CanonicalOrder;
use prodline_extract::LearnedKind;
use prodline_extract::resolve::{CustomerMethod, ItemMethod};
use prodline_runtime::review::{self, Lesson, Remember, ReviewError};
use prodline_runtime::{RunSummary, Runner, SystemClock, learned, outbox, run_once};
use prodline_store::{
    DeliveryFilter, DeliveryStatus, DocumentId, DocumentState, EventKind, SqliteStore, Store, StoreError,
};
use sqlx::{Connection, Row, SqliteConnection};

use prodline_testkit::orders::{UNKNOWN_PART, VALVE_3_4, x12_850};

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
        Deployment::audited(policy, 0.0).await
    }

    /// With `audit_rate` of the would-be auto-approvals reviewed as the audit sample.
    async fn audited(policy: &str, audit_rate: f64) -> Deployment {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("deployment");
        prodline_config::init(&root).await.expect("init");
        let config_path = root.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&config_path).expect("config text");
        let text = text
            .replace("policy = \"shadow\"", &format!("policy = \"{policy}\""))
            .replace("stable_seconds = 2", "stable_seconds = 0")
            .replace("# audit_rate = 0.05", &format!("audit_rate = {audit_rate:?}"));
        assert!(text.contains(&format!("\naudit_rate = {audit_rate:?}")), "the example config changed");
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

/// The reviewed order with the SKUs the reviewer gives each customer part.
fn corrected(view: &review::DocumentView, skus: &[(&str, &str)]) -> Vec<CanonicalOrder> {
    let decision = view.decision.clone().expect("a stored decision");
    let mut orders: Vec<CanonicalOrder> = decision.orders.into_iter().map(|planned| planned.order).collect();
    for line in &mut orders[0].lines {
        if let Some((_, sku)) = skus.iter().find(|(part, _)| line.customer_part.as_deref() == Some(*part)) {
            line.sku = Some((*sku).to_owned());
        }
    }
    orders
}

/// Two customer parts no cross-reference knows, corrected on two POs: kept
/// by nothing, the lesson is not learned (the second PO is reviewed for the
/// same parts); keeping only the elbow's cross-reference learns exactly that
/// one, listed in the `MemoryLearned` event, and the third PO resolves the
/// elbow alone while the other part is still unknown.
#[tokio::test]
async fn a_correction_teaches_only_the_lessons_the_reviewer_keeps() {
    let deployment = Deployment::new("auto").await;
    let store = deployment.open_store().await;
    let skus = [("77-0050", "FT-050-SS"), ("99-9999", "HV-100-BR")];
    let lines = [ELBOW_BY_ACME_PART, UNKNOWN_PART];

    deployment.drop_file("po-5.x12", x12_850("4500000005", 105, &lines).as_bytes());
    run_once(&deployment.config, &store, &CLOCK).await.expect("first pass");
    let first = only_in(&store, DocumentState::InReview).await;
    let orders = corrected(&review::show(&store, first).await.expect("show"), &skus);
    let nothing = Remember::Only(Vec::new());
    let correction = review::correct_with(&store, &deployment.config, first, "alice", orders, nothing).await;
    let correction = correction.expect("correct");
    assert!(correction.learned.is_empty(), "{:?}", correction.learned);
    assert_eq!(correction.approval.idempotency_keys.len(), 1);
    assert_eq!(state_of(&store, first).await, DocumentState::Approved);
    let kinds: Vec<EventKind> = store.events(first).await.expect("events").iter().map(|e| e.kind).collect();
    assert!(kinds.contains(&EventKind::ReviewEdited) && !kinds.contains(&EventKind::MemoryLearned), "{kinds:?}");
    assert!(learned::list(&store, "example_orders").await.expect("learned").is_empty());

    deployment.drop_file("po-6.x12", x12_850("4500000006", 106, &lines).as_bytes());
    let summary = run_once(&deployment.config, &store, &CLOCK).await.expect("second pass");
    assert_eq!((summary.posted, summary.review), (1, 1), "nothing was learned, so the parts are unknown again");
    let second = only_in(&store, DocumentState::InReview).await;
    let orders = corrected(&review::show(&store, second).await.expect("show"), &skus);
    let elbow = Remember::Only(vec![Lesson::cross_reference("C0001", " 77-0050 ")]);
    let correction = review::correct_with(&store, &deployment.config, second, "bob", orders, elbow).await;
    let learned_now = correction.expect("correct").learned;
    let taught: Vec<(LearnedKind, Option<&str>, &str, &str)> =
        learned_now.iter().map(|l| (l.kind, l.customer_id.as_deref(), l.key.as_str(), l.value.as_str())).collect();
    assert_eq!(taught, [(LearnedKind::CrossReference, Some("C0001"), "77-0050", "FT-050-SS")]);
    assert_eq!(learned::list(&store, "example_orders").await.expect("learned"), learned_now);
    let events = store.events(second).await.expect("events");
    let lesson = events.iter().find(|e| e.kind == EventKind::MemoryLearned).expect("MemoryLearned");
    assert_eq!(lesson.actor, "bob");
    let listed = lesson.details["learned"].as_array().expect("learned list");
    assert_eq!(listed.len(), 1, "{}", lesson.details);
    assert_eq!((listed[0]["key"].as_str(), listed[0]["value"].as_str()), (Some("77-0050"), Some("FT-050-SS")));

    deployment.drop_file("po-7.x12", x12_850("4500000007", 107, &lines).as_bytes());
    run_once(&deployment.config, &store, &CLOCK).await.expect("third pass");
    let third = only_in(&store, DocumentState::InReview).await;
    let inspection = review::inspect(&store, &deployment.config, third).await.expect("inspect");
    let methods: Vec<ItemMethod> = inspection.orders[0].lines.iter().map(|line| line.item.method).collect();
    assert_eq!(methods, [ItemMethod::LearnedCrossReference, ItemMethod::Unresolved]);
    let elbow = &inspection.orders[0].lines[0].candidates;
    assert_eq!(
        elbow.iter().map(|c| (c.sku.as_str(), c.method)).collect::<Vec<_>>(),
        [("FT-050-SS", ItemMethod::LearnedCrossReference)]
    );
}

/// An order e-mailed as prose by Acme's buyer with one line the item master
/// only resembles: the desk sees the customer found by the sender's domain,
/// each line's item with its method and confidence, the candidates for the
/// guessed line, the e-mail's text and the whole item list. A clean EDI
/// order drawn into the audit sample is marked as such.
#[tokio::test]
async fn the_desk_inspects_an_emailed_order_field_by_field() {
    let deployment = Deployment::audited("auto", 1.0).await;
    let email = "From: Bob Miller <bob.miller@acme.example>\r\nTo: orders@northwind.example\r\n\
                 Subject: PO 4500012345\r\nDate: Mon, 2 Mar 2026 09:15:00 +0000\r\n\
                 Message-ID: <po-4500012345@acme.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
                 Hello,\r\n\r\nplease ship our PO 4500012345:\r\n\r\n200 x HV-075-BR @ 11.85\r\n\
                 50 x stainless elbow\r\n\r\nThanks,\r\nBob Miller\r\n";
    deployment.drop_file("po-4500012345.eml", email.as_bytes());
    deployment.drop_file("po-8.x12", x12_850("4500000008", 108, &[VALVE_3_4]).as_bytes());
    let store = deployment.open_store().await;
    let summary = run_once(&deployment.config, &store, &CLOCK).await.expect("pass");
    assert_eq!(summary, RunSummary { received: 2, decided: 2, review: 2, ..quiet() }, "{summary}");
    let queue = review::list(&store, 10).await.expect("queue");
    let id_of = |name: &str| queue.iter().find(|item| item.file_name == name).map(|item| item.id).expect(name);

    let inspection = review::inspect(&store, &deployment.config, id_of("po-4500012345.eml")).await.expect("inspect");
    assert_eq!(inspection.view.state, DocumentState::InReview);
    let routed = inspection.review_reason.as_ref().map(|r| (r.reason.as_str(), r.message.as_str()));
    assert_eq!(routed, Some(("decision_review", "decided review: fuzzy_item_match")));
    assert!(!inspection.audit_sample);
    let text = inspection.text.as_deref().unwrap_or_default();
    assert!(text.contains("please ship our PO 4500012345") && text.contains("50 x stainless elbow"), "{text}");
    assert!(
        inspection.outcome.as_ref().is_some_and(|outcome| outcome.from.as_deref() == Some("bob.miller@acme.example"))
    );
    let [order] = inspection.orders.as_slice() else { panic!("one order, not {}", inspection.orders.len()) };
    assert_eq!(order.order.customer_po.as_deref(), Some("4500012345"));
    let customer = &order.customer;
    assert_eq!(
        (customer.customer_id.as_deref(), customer.method, customer.confidence),
        (Some("C0001"), CustomerMethod::EmailDomain, 0.97)
    );
    assert_eq!(customer.evidence, "e-mail domain \"acme.example\"");
    let items: Vec<(Option<&str>, ItemMethod, f64)> =
        order.lines.iter().map(|line| (line.item.sku.as_deref(), line.item.method, line.item.confidence)).collect();
    // A guess: 0.6 × the description's similarity 0.8.
    assert_eq!(items, [(Some("HV-075-BR"), ItemMethod::Sku, 0.99), (Some("FT-050-SS"), ItemMethod::Fuzzy, 0.6 * 0.8)]);
    let guessed = &order.lines[1].candidates;
    let offered: Vec<(&str, &str, f64, ItemMethod)> =
        guessed.iter().map(|c| (c.sku.as_str(), c.description.as_str(), c.score, c.method)).collect();
    assert_eq!(offered, [("FT-050-SS", "1/2in stainless elbow", 0.8, ItemMethod::Fuzzy)]);
    assert!(order.lines.iter().all(|line| line.candidates.len() <= 8));
    let master: Vec<(&str, &str)> = inspection.items.iter().map(|(sku, d)| (sku.as_str(), d.as_str())).collect();
    assert_eq!(
        master,
        [
            ("HV-075-BR", "3/4in brass ball valve"),
            ("HV-100-BR", "1in brass ball valve"),
            ("FT-050-SS", "1/2in stainless elbow")
        ]
    );
    let json = serde_json::to_value(&inspection).expect("an inspection is JSON");
    assert_eq!(json["orders"][0]["lines"][1]["candidates"][0]["method"], "fuzzy");
    assert_eq!(json["review_reason"]["reason"], "decision_review");

    let audited = review::inspect(&store, &deployment.config, id_of("po-8.x12")).await.expect("inspect");
    assert!(audited.audit_sample, "{:?}", audited.review_reason);
    assert_eq!(audited.review_reason.map(|r| r.reason), Some("audit".to_owned()));
    assert_eq!((audited.text, audited.orders[0].customer.method), (None, CustomerMethod::SenderId));

    // A document of no workflow has nothing to run again, and is still shown.
    let received = prodline_store::Received {
        source: "http:elsewhere".to_owned(),
        file_name: "stray.txt".to_owned(),
        received_at: chrono::Utc::now(),
        from: None,
        bytes: b"stray".to_vec(),
        meta: serde_json::json!({}),
    };
    let stray = store.receive(received).await.expect("receive").document_id;
    let shown = review::inspect(&store, &deployment.config, stray).await.expect("inspect");
    assert!(
        shown.outcome.is_none() && shown.orders.is_empty() && shown.items.is_empty() && shown.review_reason.is_none()
    );
    assert_eq!(shown.view.file_name, "stray.txt");
}
