//! One story of the store, told against SQLite and PostgreSQL alike, plus the
//! concurrent-claim tests. PostgreSQL tests need a server: start it with
//! `scripts/services.sh`; they fail (never skip) when it is not reachable.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use prodline_store::{
    AnyStore, DeliveryDone, DeliveryFilter, DeliveryId, DeliveryStatus, DocumentChange, DocumentId, DocumentSearch,
    DocumentState, EventId, EventKind, NewDelivery, PgConfig, PostgresStore, Received, Role, Session, Settled, Sha256,
    SqliteStore, Store, StoreError, User, to_micros_precision,
};
use serde_json::json;

type TestResult = Result<(), StoreError>;

const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

fn received(source: &str, file_name: &str, bytes: &[u8]) -> Received {
    Received {
        source: source.to_owned(),
        file_name: file_name.to_owned(),
        received_at: Utc.with_ymd_and_hms(2026, 11, 25, 9, 30, 0).single().unwrap_or_default(),
        from: Some("buyer@acme.example".to_owned()),
        bytes: bytes.to_vec(),
        meta: json!({ "content_type": "application/edi-x12" }),
    }
}

/// Every byte value, twice, plus a lone UTF-8 continuation byte: not text.
fn binary_bytes() -> Vec<u8> {
    let mut bytes: Vec<u8> = (0..=255u8).chain(0..=255u8).collect();
    bytes.push(0x80);
    bytes
}

/// The story every back end must tell the same way. `open` opens the same
/// database again: for a restart, and for a second handle (a second worker).
async fn story<S: Store>(open: impl AsyncFn() -> S, close: impl AsyncFn(S)) -> TestResult {
    let store = open().await;
    assert_eq!(store.schema_version().await?, 3);

    // Blobs: binary bytes round-trip under their SHA-256.
    let bytes = binary_bytes();
    let sha = store.put_blob(&bytes).await?;
    assert_eq!(sha, Sha256::of(&bytes));
    assert_eq!(store.put_blob(&bytes).await?, sha, "storing twice is a no-op");
    assert_eq!(store.blob(&sha).await?, Some(bytes));
    assert_eq!(store.blob(&Sha256::of(b"never stored")).await?, None);

    // Receive, then receive the same bytes again: idempotent per source.
    let edi = b"ISA*00*          *00*          *ZZ*ACME~ST*850*0001~BEG*00*SA*PO-1001**20261125~";
    let first = store.receive(received("upload", "po-1001.edi", edi)).await?;
    assert!(!first.duplicate);
    assert_eq!(first.sha256, Sha256::of(edi));
    let again = store.receive(received("upload", "renamed.edi", edi)).await?;
    assert!(again.duplicate);
    assert_eq!(again.document_id, first.document_id);
    let other_source = store.receive(received("sftp:acme", "po-1001.edi", edi)).await?;
    assert!(!other_source.duplicate);
    assert_ne!(other_source.document_id, first.document_id);

    // Restart: everything acknowledged is still there.
    close(store).await;
    let store = open().await;
    let document = store.document(first.document_id).await?;
    let Some(document) = document else { panic!("document {} lost across restart", first.document_id) };
    assert_eq!(document.state, DocumentState::Received);
    assert_eq!(document.file_name, "po-1001.edi", "a duplicate does not overwrite the original");
    assert_eq!(document.source, "upload");
    assert_eq!(document.from.as_deref(), Some("buyer@acme.example"));
    assert_eq!(document.received_at, received("upload", "", b"").received_at);
    assert_eq!(document.meta, json!({ "content_type": "application/edi-x12" }));
    assert_eq!(store.blob(&first.sha256).await?.as_deref(), Some(&edi[..]));
    assert_eq!(store.document(DocumentId(i64::MAX)).await?, None);

    walk_the_state_machine(&store, first.document_id).await?;
    check_events_since(&store).await?;

    // Quarantine the second document so the claim story below sees only its own.
    let sftp = other_source.document_id;
    store.transition(sftp, DocumentState::Received, DocumentState::Quarantined, "pipeline", json!({})).await?;
    assert_eq!(store.list(DocumentState::Quarantined, 10).await?.len(), 1);

    let second = open().await;
    claim_story(&store, &second).await?;
    close(second).await;

    outbox_story(&store, first.document_id).await?;
    let second = open().await;
    delivery_claim_story(&store, &second).await?;
    close(second).await;
    replay_story(&store).await?;
    count_story(&store).await?;

    let second = open().await;
    memory_story(&store, &second).await?;
    batch_story(&store, &second).await?;
    access_story(&store, &second).await?;
    close(second).await;
    search_story(&store).await?;
    close(store).await;
    Ok(())
}

async fn walk_the_state_machine<S: Store>(store: &S, id: DocumentId) -> TestResult {
    use DocumentState::*;
    store.transition(id, Received, Parsed, "worker-1", json!({ "format": "x12" })).await?;

    // A stale `from` loses the compare-and-set and leaves no event.
    let stale = store.transition(id, Received, Decided, "worker-2", json!({})).await;
    assert!(matches!(stale, Err(StoreError::Conflict { expected: Received, actual: Parsed, .. })), "{stale:?}");
    let missing = store.transition(DocumentId(i64::MAX), Received, Parsed, "worker-1", json!({})).await;
    assert!(matches!(missing, Err(StoreError::DocumentNotFound(_))), "{missing:?}");

    store.transition(id, Parsed, Decided, "worker-1", json!({})).await?;
    store.set_decision(id, "worker-1", json!({ "decision": "review", "reasons": ["price_mismatch"] })).await?;
    store.transition(id, Decided, InReview, "worker-1", json!({})).await?;
    store.record_event(Some(id), EventKind::ReviewApproved, "alice", json!({ "note": "price agreed" })).await?;
    store.transition(id, InReview, Approved, "alice", json!({})).await?;
    store.transition(id, Approved, Posted, "worker-1", json!({ "erp_order": "SO-77" })).await?;
    store.set_outcome(id, "worker-1", json!({ "erp_order": "SO-77" })).await?;

    // Terminal means terminal.
    assert!(Posted.is_terminal());
    let after_end = store.transition(id, Posted, InReview, "alice", json!({})).await;
    assert!(matches!(after_end, Err(StoreError::Terminal { state: Posted, .. })), "{after_end:?}");

    let Some(document) = store.document(id).await? else { panic!("document {id} vanished") };
    assert_eq!(document.state, Posted);
    assert_eq!(document.decision, Some(json!({ "decision": "review", "reasons": ["price_mismatch"] })));
    assert_eq!(document.outcome, Some(json!({ "erp_order": "SO-77" })));
    let posted = store.list(Posted, 10).await?;
    assert_eq!(posted.iter().map(|d| d.id).collect::<Vec<_>>(), [id]);

    check_audit_trail(store, id).await
}

async fn check_audit_trail<S: Store>(store: &S, id: DocumentId) -> TestResult {
    use EventKind::*;
    let events = store.events(id).await?;
    let trail: Vec<(EventKind, &str)> = events.iter().map(|e| (e.kind, e.actor.as_str())).collect();
    assert_eq!(
        trail,
        [
            (DocumentReceived, "upload"),
            (DuplicateReceived, "upload"),
            (DocumentStateChanged, "worker-1"),
            (DocumentStateChanged, "worker-1"),
            (DecisionRecorded, "worker-1"),
            (DocumentStateChanged, "worker-1"),
            (ReviewApproved, "alice"),
            (DocumentStateChanged, "alice"),
            (DocumentStateChanged, "worker-1"),
            (OutcomeRecorded, "worker-1"),
        ]
    );
    let moves: Vec<(String, String)> = events
        .iter()
        .filter(|e| e.kind == DocumentStateChanged)
        .map(|e| (e.details["from"].to_string(), e.details["to"].to_string()))
        .collect();
    let expected = [
        ("received", "parsed"),
        ("parsed", "decided"),
        ("decided", "in_review"),
        ("in_review", "approved"),
        ("approved", "posted"),
    ];
    let expected: Vec<(String, String)> =
        expected.iter().map(|(f, t)| (format!("\"{f}\""), format!("\"{t}\""))).collect();
    assert_eq!(moves, expected);
    assert!(events.windows(2).all(|pair| pair[0].id < pair[1].id && pair[0].at <= pair[1].at));
    assert!(events.iter().all(|e| e.document_id == Some(id)));
    assert_eq!(events[0].details["file_name"], json!("po-1001.edi"));
    assert_eq!(events[1].details["file_name"], json!("renamed.edi"), "the repeat is logged as it arrived");
    Ok(())
}

async fn check_events_since<S: Store>(store: &S) -> TestResult {
    let all = store.events_since(EventId(0), 1000).await?;
    assert_eq!(all.len(), 11, "10 events of the walked document, 1 of the sftp one");
    let tail = store.events_since(all[1].id, 3).await?;
    assert_eq!(tail.iter().map(|e| e.id).collect::<Vec<_>>(), all[2..5].iter().map(|e| e.id).collect::<Vec<_>>());
    let free = store.record_event(None, EventKind::ReviewEdited, "bob", json!({ "setting": "threshold" })).await?;
    let last = store.events_since(EventId(free.0 - 1), 10).await?;
    assert_eq!(last.len(), 1);
    assert_eq!(last[0].document_id, None);
    Ok(())
}

async fn claim_story<S: Store>(one: &S, two: &S) -> TestResult {
    let t0 = to_micros_precision(Utc::now());
    let lease = TimeDelta::seconds(60);
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(one.receive(received("claims", &format!("{n}.csv"), format!("po,{n}").as_bytes())).await?.document_id);
    }

    // Two workers on two handles never get the same document while leases hold.
    let a = one.claim("w1", DocumentState::Received, t0, lease).await?;
    let b = two.claim("w2", DocumentState::Received, t0, lease).await?;
    let c = one.claim("w1", DocumentState::Received, t0, lease).await?;
    let taken: Vec<DocumentId> = [&a, &b, &c].iter().filter_map(|c| c.as_ref().map(|c| c.document.id)).collect();
    assert_eq!(taken, ids, "each claim takes the oldest free document");
    assert_eq!(two.claim("w2", DocumentState::Received, t0, lease).await?, None);
    let Some(a) = a else { panic!("first claim got nothing") };
    assert_eq!(a.lease_until, t0 + lease);
    let Some(stored) = two.document(a.document.id).await? else { panic!("claimed document vanished") };
    assert_eq!(stored.claimed_by.as_deref(), Some("w1"));
    assert_eq!(stored.lease_until, Some(t0 + lease));

    // Release: only the holder can; then the document is free again.
    assert!(!two.release(a.document.id, "w2").await?);
    assert!(one.release(a.document.id, "w1").await?);
    let again = two.claim("w2", DocumentState::Received, t0, lease).await?;
    assert_eq!(again.map(|c| c.document.id), Some(a.document.id));

    // After expiry every document can be claimed again, oldest first.
    let later = t0 + lease + TimeDelta::seconds(1);
    let expired = one.claim("w3", DocumentState::Received, later, lease).await?;
    assert_eq!(expired.map(|c| (c.document.id, c.worker)), Some((ids[0], "w3".to_owned())));

    // A transition ends the claim: the next stage sees the document free.
    one.transition(ids[1], DocumentState::Received, DocumentState::Parsed, "w2", json!({})).await?;
    let next_stage = two.claim("w4", DocumentState::Parsed, t0, lease).await?;
    assert_eq!(next_stage.map(|c| c.document.id), Some(ids[1]));

    let bad_lease = one.claim("w1", DocumentState::Received, t0, TimeDelta::zero()).await;
    assert!(matches!(bad_lease, Err(StoreError::Config { setting: "lease", .. })), "{bad_lease:?}");
    Ok(())
}

async fn outbox_story<S: Store>(store: &S, id: DocumentId) -> TestResult {
    let payload = json!({ "order": "PO-1001", "lines": [{ "sku": "A-1", "qty": "12.5" }] });
    assert!(store.enqueue_delivery(id, "erp", "PO-1001/acme", payload.clone()).await?);
    assert!(
        !store.enqueue_delivery(id, "erp", "PO-1001/acme", json!({ "other": true })).await?,
        "same key, same target"
    );
    assert!(store.enqueue_delivery(id, "archive", "PO-1001/acme", payload.clone()).await?, "same key, other target");
    let missing = store.enqueue_delivery(DocumentId(i64::MAX), "erp", "k", json!({})).await;
    assert!(matches!(missing, Err(StoreError::DocumentNotFound(_))), "{missing:?}");

    let now = Utc::now() + TimeDelta::seconds(1);
    let due = store.due_deliveries("erp", now, 10).await?;
    assert_eq!(due.len(), 1);
    let delivery = &due[0];
    assert_eq!((delivery.status, delivery.attempts, delivery.payload.clone()), (DeliveryStatus::Pending, 0, payload));

    let retry_at: DateTime<Utc> = to_micros_precision(now + TimeDelta::hours(1));
    store.record_attempt(delivery.id, Err("ERP timed out".to_owned()), retry_at).await?;
    assert!(store.due_deliveries("erp", now, 10).await?.is_empty(), "not due before its retry time");
    let retried = store.due_deliveries("erp", retry_at, 10).await?;
    assert_eq!(retried.len(), 1);
    assert_eq!((retried[0].attempts, retried[0].last_error.as_deref()), (1, Some("ERP timed out")));
    assert_eq!(retried[0].next_attempt_at, retry_at);

    store.record_attempt(delivery.id, Ok(()), retry_at).await?;
    assert!(store.due_deliveries("erp", retry_at, 10).await?.is_empty());
    let closed = store.record_attempt(delivery.id, Ok(()), retry_at).await;
    assert!(matches!(closed, Err(StoreError::DeliveryClosed { .. })), "{closed:?}");

    let archive = store.due_deliveries("archive", now, 10).await?;
    let Some(archive) = archive.first() else { panic!("archive delivery not due") };
    store.dead_letter(archive.id, "archive rejected the payload").await?;
    assert!(store.due_deliveries("archive", retry_at, 10).await?.is_empty());
    let kinds: Vec<EventKind> = store.events(id).await?.iter().map(|e| e.kind).collect();
    assert_eq!(kinds.iter().filter(|k| **k == EventKind::DeliveryEnqueued).count(), 2);
    assert_eq!(kinds.last(), Some(&EventKind::DeliveryDeadLettered));
    Ok(())
}

/// Claimed deliveries are one worker's until their lease ends or they are released.
async fn delivery_claim_story<S: Store>(one: &S, two: &S) -> TestResult {
    let id = one.receive(received("claims", "po-3003.edi", b"ST*850*3003~")).await?.document_id;
    for key in ["PO-3003/a", "PO-3004/a", "PO-3005/a"] {
        assert!(one.enqueue_delivery(id, "claims-erp", key, json!({ "order": key })).await?);
    }
    let now = to_micros_precision(Utc::now() + TimeDelta::seconds(1));
    let lease = TimeDelta::minutes(5);
    let first = one.claim_deliveries("claims-erp", now, lease, 2).await?;
    let keys: Vec<&str> = first.iter().map(|d| d.idempotency_key.as_str()).collect();
    assert_eq!(keys, ["PO-3003/a", "PO-3004/a"], "earliest first, at most the limit");
    assert!(first.iter().all(|d| d.next_attempt_at == now + lease), "leased until now + lease");
    let rest = two.claim_deliveries("claims-erp", now, lease, 10).await?;
    assert_eq!(rest.len(), 1, "the other worker gets only the unclaimed one");
    assert!(two.claim_deliveries("claims-erp", now, lease, 10).await?.is_empty());
    assert!(two.due_deliveries("claims-erp", now, 10).await?.is_empty(), "claimed rows are not due");

    // Released untried: due again at once; a delivered one is not touched by a release.
    one.record_attempt(first[0].id, Ok(()), now).await?;
    one.release_deliveries(&[first[0].id, first[1].id], now).await?;
    let again = two.claim_deliveries("claims-erp", now, lease, 10).await?;
    assert_eq!(again.iter().map(|d| d.id).collect::<Vec<_>>(), [first[1].id]);

    // A worker that dies holding a claim: its rows are due again when the lease ends.
    let after_lease = now + lease;
    let expired = one.claim_deliveries("claims-erp", after_lease, lease, 10).await?;
    assert_eq!(expired.len(), 2, "both still-pending claims came back: {expired:?}");
    let invalid = one.claim_deliveries("claims-erp", now, TimeDelta::zero(), 1).await;
    assert!(matches!(invalid, Err(StoreError::Config { .. })), "{invalid:?}");
    for delivery in expired {
        one.dead_letter(delivery.id, "story over").await?;
    }
    Ok(())
}

/// Listing, retry-now and replay: the only way out of `dead_lettered`.
async fn replay_story<S: Store>(store: &S) -> TestResult {
    use DocumentState::*;
    let id = store.receive(received("replay", "po-2002.edi", b"ST*850*2002~")).await?.document_id;
    store.transition(id, Received, Decided, "pipeline", json!({})).await?;
    store.transition(id, Decided, InReview, "pipeline", json!({})).await?;
    // Approval and its deliveries are one write; a lost compare-and-set stores no delivery.
    let delivery = |key: &str| NewDelivery {
        target: "erp".to_owned(),
        idempotency_key: key.to_owned(),
        payload: json!({ "order": key }),
    };
    let deliveries = vec![delivery("PO-2002/acme"), delivery("PO-2003/acme"), delivery("PO-2002/acme")];
    let stale = store.approve(id, Decided, "dave", json!({}), deliveries.clone()).await;
    assert!(matches!(stale, Err(StoreError::Conflict { actual: InReview, .. })), "{stale:?}");
    let mine = DeliveryFilter { document_id: Some(id), ..DeliveryFilter::default() };
    assert!(store.deliveries(&mine, 10).await?.is_empty(), "a lost approval enqueues nothing");
    assert_eq!(store.approve(id, InReview, "dave", json!({ "note": "ok" }), deliveries).await?, 2, "one key once");
    let approved = store.events(id).await?;
    let Some(last) = approved.last() else { panic!("no events for {id}") };
    assert_eq!(
        (last.kind, last.actor.as_str(), &last.details["to"]),
        (EventKind::DocumentStateChanged, "dave", &json!("approved"))
    );
    assert_eq!(approved.iter().filter(|e| e.kind == EventKind::DeliveryEnqueued).count(), 2);
    let rows = store.deliveries(&mine, 10).await?;
    let [refused, other] = rows.as_slice() else { panic!("two deliveries of document {id}, not {}", rows.len()) };
    assert_eq!(store.delivery(refused.id).await?.as_ref(), Some(refused));
    assert_eq!(store.delivery(DeliveryId(i64::MAX)).await?, None);

    // Retry now: a pending delivery scheduled far ahead becomes due at once, with an event naming who asked.
    let far = to_micros_precision(Utc::now() + TimeDelta::days(1));
    store.record_attempt(other.id, Err("ERP locked".to_owned()), far).await?;
    let soon = to_micros_precision(Utc::now());
    assert!(!store.due_deliveries("erp", soon, 10).await?.iter().any(|d| d.id == other.id));
    store.retry_delivery_now(other.id, soon, "carol").await?;
    assert!(store.due_deliveries("erp", soon, 10).await?.iter().any(|d| d.id == other.id));
    let missing = store.retry_delivery_now(DeliveryId(i64::MAX), soon, "carol").await;
    assert!(matches!(missing, Err(StoreError::DeliveryNotFound(_))), "{missing:?}");

    // Refused, dead-lettered, and the document with it.
    store.record_attempt(refused.id, Err("credit hold".to_owned()), soon).await?;
    store.dead_letter(refused.id, "credit hold").await?;
    store.transition(id, Approved, DeadLettered, "outbox", json!({})).await?;
    let closed = store.retry_delivery_now(refused.id, soon, "carol").await;
    assert!(matches!(closed, Err(StoreError::DeliveryClosed { .. })), "{closed:?}");
    let by_status = DeliveryFilter { status: Some(DeliveryStatus::DeadLettered), ..DeliveryFilter::default() };
    let dead: Vec<DeliveryId> = store.deliveries(&by_status, 10).await?.iter().map(|d| d.id).collect();
    assert!(dead.contains(&refused.id) && !dead.contains(&other.id), "{dead:?}");
    let by_target = DeliveryFilter { target: Some("archive".to_owned()), ..DeliveryFilter::default() };
    assert!(store.deliveries(&by_target, 10).await?.iter().all(|d| d.target == "archive"));
    assert_eq!(store.deliveries(&by_target, 10).await?.len(), 1);
    assert_eq!(store.deliveries(&DeliveryFilter::default(), 2).await?.len(), 2, "the limit holds");

    // `transition` cannot leave dead_lettered; replay can, for delivery and document together.
    let refused_exit = store.transition(id, DeadLettered, Approved, "carol", json!({})).await;
    assert!(matches!(refused_exit, Err(StoreError::Terminal { .. })), "{refused_exit:?}");
    let not_dead = store.replay_delivery(other.id, "carol").await;
    assert!(matches!(not_dead, Err(StoreError::DeliveryNotDeadLettered { .. })), "{not_dead:?}");
    store.replay_delivery(refused.id, "carol").await?;
    let Some(replayed) = store.delivery(refused.id).await? else { panic!("delivery vanished") };
    assert_eq!(
        (replayed.status, replayed.attempts, replayed.last_error.as_deref()),
        (DeliveryStatus::Pending, 0, None)
    );
    let Some(document) = store.document(id).await? else { panic!("document {id} vanished") };
    assert_eq!(document.state, Approved);
    let events = store.events(id).await?;
    let tail: Vec<(EventKind, &str)> = events.iter().rev().take(2).rev().map(|e| (e.kind, e.actor.as_str())).collect();
    assert_eq!(tail, [(EventKind::DeliveryReplayed, "carol"), (EventKind::DocumentStateChanged, "carol")]);
    assert_eq!(events[events.len() - 2].details["previous_error"], json!("credit hold"));
    assert!(events.iter().any(|e| e.kind == EventKind::DeliveryRetried && e.actor == "carol"));
    let twice = store.replay_delivery(refused.id, "carol").await;
    assert!(matches!(twice, Err(StoreError::DeliveryNotDeadLettered { .. })), "{twice:?}");

    // A dead letter whose document was posted meanwhile is refused, and nothing changes.
    let archive = store.deliveries(&by_target, 10).await?;
    let posted = store.replay_delivery(archive[0].id, "carol").await;
    assert!(matches!(posted, Err(StoreError::Conflict { actual: Posted, .. })), "{posted:?}");
    let Some(still) = store.delivery(archive[0].id).await? else { panic!("archive delivery vanished") };
    assert_eq!(still.status, DeliveryStatus::DeadLettered, "a refused replay rolls back");
    Ok(())
}

async fn count_story<S: Store>(store: &S) -> TestResult {
    let counts = store.count_by_state().await?;
    assert_eq!(counts.iter().map(|(state, _)| *state).collect::<Vec<_>>(), DocumentState::ALL);
    for (state, count) in counts {
        let listed = store.list(state, 10_000).await?.len() as u64;
        assert_eq!(count, listed, "{state}");
    }
    Ok(())
}

/// Two handles (two processes) share one memory per workflow through compare-and-set.
async fn memory_story<S: Store>(one: &S, two: &S) -> TestResult {
    assert_eq!(one.load_memory("orders").await?, None);
    assert!(one.save_memory("orders", 0, json!({ "learned": ["a"] })).await?);
    assert!(!two.save_memory("orders", 0, json!({ "learned": ["b"] })).await?, "a second first save loses");
    assert_eq!(two.load_memory("orders").await?, Some((1, json!({ "learned": ["a"] }))));
    assert!(two.save_memory("orders", 1, json!({ "learned": ["a", "b"] })).await?);
    assert!(!one.save_memory("orders", 1, json!({ "learned": ["a", "c"] })).await?, "a stale version loses");
    assert_eq!(one.load_memory("orders").await?, Some((2, json!({ "learned": ["a", "b"] }))));
    assert!(one.save_memory("orders", 2, json!({ "learned": ["a", "b", "c"] })).await?);
    assert_eq!(one.load_memory("other").await?, None, "memories are per workflow");
    assert_eq!(two.load_memory("orders").await?.map(|(version, _)| version), Some(3));
    Ok(())
}

/// People, sessions and API tokens: refusals, expiry, revocation, and an
/// audit event for each change that never holds a secret.
async fn access_story<S: Store>(one: &S, two: &S) -> TestResult {
    let before = last_event(one).await?;
    assert_eq!(one.users().await?, []);
    let t0 = at(2026, 12, 1, 8);
    let alice = person("alice", Role::Admin, t0);
    let bob = person("bob", Role::Reviewer, t0);
    one.add_user(&bob, "setup").await?;
    one.add_user(&alice, "setup").await?;
    let taken = two.add_user(&person("alice", Role::Reviewer, t0), "bob").await;
    assert!(matches!(&taken, Err(StoreError::UserExists(name)) if name == "alice"), "{taken:?}");
    assert_eq!(two.user("alice").await?, Some(alice.clone()), "the refused add changed nothing");
    assert_eq!(two.user("nobody").await?, None);
    assert_eq!(two.users().await?, [alice.clone(), bob.clone()], "by name");

    session_story(one, two, t0).await?;
    token_story(one, two).await?;
    check_access_events(one, before).await
}

async fn session_story<S: Store>(one: &S, two: &S, t0: DateTime<Utc>) -> TestResult {
    let hour = TimeDelta::hours(1);
    // Bob claims admin: the store keeps his role at login.
    let bobs = session("hash-bob-1", "bob", Role::Admin, t0, t0 + hour);
    one.create_session(&bobs).await?;
    let found = two.session("hash-bob-1", t0 + TimeDelta::minutes(30)).await?;
    assert_eq!(found, Some(Session { role: Role::Reviewer, ..bobs.clone() }));
    assert_eq!(two.session("hash-bob-1", t0 + hour).await?, None, "expired at expires_at");
    assert_eq!(two.session("hash-unknown", t0).await?, None);
    let nobody = one.create_session(&session("hash-x", "nobody", Role::Admin, t0, t0 + hour)).await;
    assert!(matches!(&nobody, Err(StoreError::UserNotFound(name)) if name == "nobody"), "{nobody:?}");

    one.delete_session("hash-bob-1").await?;
    assert_eq!(two.session("hash-bob-1", t0).await?, None, "logged out");
    one.delete_session("hash-bob-1").await?;

    // A new login clears sessions that expired by its time.
    one.create_session(&session("hash-bob-short", "bob", Role::Reviewer, t0, t0 + TimeDelta::minutes(1))).await?;
    assert!(two.session("hash-bob-short", t0).await?.is_some());
    let later = t0 + TimeDelta::hours(2);
    one.create_session(&session("hash-bob-2", "bob", Role::Reviewer, later, later + hour)).await?;
    one.create_session(&session("hash-alice-1", "alice", Role::Admin, later, later + hour)).await?;
    assert_eq!(two.session("hash-bob-short", t0).await?, None, "deleted by the later login");

    // A new password ends every session of its person, and only theirs.
    two.set_password("bob", "$argon2id$v=19$new-secret-of-bob", "alice").await?;
    let Some(bob) = one.user("bob").await? else { panic!("bob vanished") };
    assert_eq!(bob.password_hash, "$argon2id$v=19$new-secret-of-bob");
    assert_eq!(one.session("hash-bob-2", later).await?, None, "bob's sessions ended");
    assert!(one.session("hash-alice-1", later).await?.is_some(), "alice's session stays");
    let missing = one.set_password("nobody", "$argon2id$x", "alice").await;
    assert!(matches!(&missing, Err(StoreError::UserNotFound(name)) if name == "nobody"), "{missing:?}");
    Ok(())
}

async fn token_story<S: Store>(one: &S, two: &S) -> TestResult {
    let issued = one.add_api_token("edi-gateway", Role::Owner, "token-hash-1", "alice").await?;
    assert_eq!((issued.name.as_str(), issued.role, issued.revoked_at), ("edi-gateway", Role::Owner, None));
    assert_eq!(two.api_token("token-hash-1").await?, Some(issued.clone()));
    assert_eq!(two.api_token("token-hash-unknown").await?, None);
    let twice = two.add_api_token("edi-gateway", Role::Admin, "token-hash-2", "alice").await;
    assert!(matches!(&twice, Err(StoreError::TokenExists(name)) if name == "edi-gateway"), "{twice:?}");
    let same_hash = two.add_api_token("portal", Role::Reviewer, "token-hash-1", "alice").await;
    assert!(matches!(&same_hash, Err(StoreError::Config { setting: "token_hash", .. })), "{same_hash:?}");
    assert_eq!(one.api_tokens().await?, std::slice::from_ref(&issued), "refused tokens are not stored");

    assert!(two.revoke_api_token("edi-gateway", "alice").await?);
    assert!(!one.revoke_api_token("edi-gateway", "alice").await?, "already revoked");
    assert!(!one.revoke_api_token("never-issued", "alice").await?);
    assert_eq!(one.api_token("token-hash-1").await?, None, "a revoked token no longer opens anything");

    let again = one.add_api_token("edi-gateway", Role::Reviewer, "token-hash-2", "alice").await?;
    assert!(again.id > issued.id);
    assert_eq!(two.api_token("token-hash-2").await?, Some(again.clone()));
    let all = two.api_tokens().await?;
    assert_eq!(
        all.iter().map(|t| (t.id, t.revoked_at.is_some())).collect::<Vec<_>>(),
        [(issued.id, true), (again.id, false)]
    );
    Ok(())
}

async fn check_access_events<S: Store>(store: &S, before: EventId) -> TestResult {
    use EventKind::*;
    let events = store.events_since(before, 100).await?;
    let trail: Vec<(EventKind, &str, serde_json::Value)> =
        events.iter().map(|e| (e.kind, e.actor.as_str(), e.details.clone())).collect();
    let named = |name: &str, role: &str| json!({ "name": name, "role": role });
    assert_eq!(
        trail,
        [
            (UserAdded, "setup", named("bob", "reviewer")),
            (UserAdded, "setup", named("alice", "admin")),
            (UserPasswordChanged, "alice", named("bob", "reviewer")),
            (ApiTokenAdded, "alice", named("edi-gateway", "owner")),
            (ApiTokenRevoked, "alice", named("edi-gateway", "owner")),
            (ApiTokenAdded, "alice", named("edi-gateway", "reviewer")),
        ]
    );
    assert!(events.iter().all(|e| e.document_id.is_none()));
    for event in &events {
        let details = event.details.to_string();
        assert!(!details.contains("secret") && !details.contains("hash"), "a secret in {details}");
    }
    Ok(())
}

async fn last_event<S: Store>(store: &S) -> Result<EventId, StoreError> {
    let mut last = EventId(0);
    loop {
        let page = store.events_since(last, 1000).await?;
        let Some(event) = page.last() else { return Ok(last) };
        last = event.id;
    }
}

fn at(year: i32, month: u32, day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, hour, 0, 0).single().unwrap_or_default()
}

fn person(name: &str, role: Role, created_at: DateTime<Utc>) -> User {
    let password_hash = format!("$argon2id$v=19$m=19456,t=2,p=1$secret-of-{name}");
    User { name: name.to_owned(), role, password_hash, created_at }
}

fn session(hash: &str, user: &str, role: Role, created_at: DateTime<Utc>, expires_at: DateTime<Utc>) -> Session {
    let (token_hash, user, csrf) = (hash.to_owned(), user.to_owned(), format!("csrf-{hash}"));
    Session { token_hash, user, role, csrf, created_at, expires_at }
}

/// A searchable document: received at `received_at` for `workflow`, its
/// decision planning `orders` (customer id, PO).
struct Searchable<'a> {
    file_name: &'a str,
    from: Option<&'a str>,
    workflow: &'a str,
    day: u32,
    orders: &'a [(&'a str, &'a str)],
    state: DocumentState,
}

async fn receive_searchable<S: Store>(store: &S, doc: &Searchable<'_>) -> Result<DocumentId, StoreError> {
    let received = Received {
        source: "search".to_owned(),
        file_name: doc.file_name.to_owned(),
        received_at: at(2027, 1, doc.day, 12),
        from: doc.from.map(str::to_owned),
        bytes: format!("search story: {}", doc.file_name).into_bytes(),
        meta: json!({ "workflow": doc.workflow, "content_type": "text/plain" }),
    };
    let id = store.receive(received).await?.document_id;
    if !doc.orders.is_empty() {
        let orders: Vec<_> = doc
            .orders
            .iter()
            .map(|(customer, po)| json!({ "order": { "customer_id": customer, "customer_po": po }, "revision": false }))
            .collect();
        // A top-level field and the key names themselves must never match a filter.
        let decision = json!({ "decision": "review", "orders": orders, "note": "NORDWIND called", "reasons": [] });
        store.set_decision(id, "pipeline", decision).await?;
    }
    if doc.state != DocumentState::Received {
        store.transition(id, DocumentState::Received, doc.state, "pipeline", json!({})).await?;
    }
    Ok(id)
}

/// Search by workflow, state, received time, customer and PO; every filter
/// alone and combined, matched against the parsed decision, not its text.
async fn search_story<S: Store>(store: &S) -> TestResult {
    use DocumentState::*;
    let docs = [
        Searchable {
            file_name: "zenith-order.pdf",
            from: Some("orders@zenith-tools.example"),
            workflow: "wf-north",
            day: 1,
            orders: &[("ZENITH", "ZX-4711")],
            state: Decided,
        },
        Searchable {
            file_name: "scan 50%_off.pdf",
            from: Some("buyer@nordwind.example"),
            workflow: "wf-north",
            day: 2,
            orders: &[("NORDWIND", "NW-100%"), ("NORDWIND", "NW-200")],
            state: InReview,
        },
        Searchable {
            file_name: "edi-batch.x12",
            from: None,
            workflow: "wf-south",
            day: 3,
            orders: &[("ZENITH", "ZX-4712")],
            state: InReview,
        },
        Searchable {
            file_name: "portal.json",
            from: Some("noreply@portal.example"),
            workflow: "wf-south",
            day: 4,
            orders: &[("ACME-7", "zenith-ref")],
            state: Received,
        },
        Searchable {
            file_name: "ZX-4711-copy.csv",
            from: Some("Einkauf@Müller.example"),
            workflow: "wf-south",
            day: 5,
            orders: &[],
            state: Received,
        },
    ];
    let mut ids = Vec::new();
    for doc in &docs {
        ids.push(receive_searchable(store, doc).await?);
    }
    let [d1, d2, d3, d4, d5] = ids[..] else { panic!("five documents") };
    let find = async |search: DocumentSearch| -> Result<Vec<DocumentId>, StoreError> {
        Ok(store.search_documents(&search, 100).await?.iter().map(|d| d.id).collect())
    };
    let text = |value: &str| Some(value.to_owned());
    let all = DocumentSearch::default();

    // Each filter alone.
    assert_eq!(find(DocumentSearch { workflow: text("wf-north"), ..all.clone() }).await?, [d2, d1], "newest first");
    assert_eq!(find(DocumentSearch { workflow: text("wf-south"), ..all.clone() }).await?, [d5, d4, d3]);
    let in_review = find(DocumentSearch { state: Some(InReview), ..all.clone() }).await?;
    let listed: BTreeSet<DocumentId> = store.list(InReview, 10_000).await?.iter().map(|d| d.id).collect();
    assert_eq!(in_review.iter().copied().collect::<BTreeSet<_>>(), listed);
    assert_eq!(in_review[..2], [d3, d2]);
    let range = DocumentSearch {
        received_from: Some(at(2027, 1, 2, 0)),
        received_before: Some(at(2027, 1, 4, 0)),
        ..all.clone()
    };
    assert_eq!(find(range.clone()).await?, [d3, d2]);
    let since = DocumentSearch { received_from: Some(at(2027, 1, 1, 12)), ..all.clone() };
    assert_eq!(find(since).await?, [d5, d4, d3, d2, d1], "the start is inclusive");
    let until = DocumentSearch { received_before: Some(at(2027, 1, 1, 12)), ..all.clone() };
    assert!(!find(until).await?.contains(&d1), "the end is exclusive");

    let customer = |value: &str| DocumentSearch { customer: text(value), ..all.clone() };
    assert_eq!(find(customer("zenith")).await?, [d3, d1], "a PO naming zenith (d4) is no customer");
    assert_eq!(find(customer("  Zenith ")).await?, [d3, d1], "blanks around are ignored");
    assert_eq!(find(customer("nordwind")).await?, [d2], "another field of the decision (d4's note) never counts");
    assert_eq!(find(customer("customer_id")).await?, [], "a key name is no value");
    assert_eq!(find(customer("MÜLLER")).await?, [d5], "the sender, case folded beyond ASCII");
    assert_eq!(find(customer("zx-4711")).await?, [], "a PO is no customer");

    let po = |value: &str| DocumentSearch { po: text(value), ..all.clone() };
    assert_eq!(find(po("zx-4711")).await?, [d5, d1], "the file name or a planned PO");
    assert_eq!(find(po("ZENITH")).await?, [d4, d1], "a customer id (d3) is no PO");
    assert_eq!(find(po("nw-200")).await?, [d2], "any planned order");
    assert_eq!(find(po("100%")).await?, [d2]);
    assert_eq!(find(po("%_")).await?, [d2], "% and _ match literally");
    assert_eq!(find(po("1%")).await?, [], "not as wildcards");
    assert_eq!(find(po("customer_po")).await?, []);
    let blank = DocumentSearch { workflow: text("wf-north"), po: text("  "), customer: text(""), ..all.clone() };
    assert_eq!(find(blank).await?, [d2, d1], "blank text filters are no filters");

    // Combined.
    let south_zenith = DocumentSearch { workflow: text("wf-south"), customer: text("zenith"), ..all.clone() };
    assert_eq!(find(south_zenith).await?, [d3]);
    assert_eq!(find(DocumentSearch { state: Some(Decided), ..customer("zenith") }).await?, [d1]);
    assert_eq!(find(DocumentSearch { po: text("4712"), ..customer("zenith") }).await?, [d3]);
    let narrow = DocumentSearch { workflow: text("wf-north"), state: Some(InReview), po: text("NW"), ..range };
    assert_eq!(find(narrow).await?, [d2]);
    assert_eq!(find(DocumentSearch { state: Some(Posted), ..customer("zenith") }).await?, []);

    // Limits, and pages beyond the first when Rust decides alone.
    let south = DocumentSearch { workflow: text("wf-south"), ..all.clone() };
    let first_two: Vec<DocumentId> = store.search_documents(&south, 2).await?.iter().map(|d| d.id).collect();
    assert_eq!(first_two, [d5, d4]);
    assert!(store.search_documents(&south, 0).await?.is_empty());
    search_pages_story(store).await
}

/// More candidates than one page, all received at the same time (so the
/// page cursor's id tie-break matters): the SQL takes `Zoe@Bulk` for
/// `zoë@bülk` (a letter beyond ASCII matches any one character there), and
/// the exact rule drops them.
async fn search_pages_story<S: Store>(store: &S) -> TestResult {
    let mut ids = Vec::new();
    for n in 0..120 {
        let received = Received {
            source: "search-bulk".to_owned(),
            file_name: format!("bulk-{n}.csv"),
            received_at: at(2026, 12, 24, 12),
            from: Some(if n % 2 == 0 { "Zoë@Bülk.example" } else { "Zoe@Bulk.example" }.to_owned()),
            bytes: format!("bulk {n}").into_bytes(),
            meta: json!({}),
        };
        ids.push(store.receive(received).await?.document_id);
    }
    let wanted: Vec<DocumentId> = ids.iter().step_by(2).rev().copied().collect();
    let search = DocumentSearch { customer: Some("ZOË@BÜLK".to_owned()), ..DocumentSearch::default() };
    let found: Vec<DocumentId> = store.search_documents(&search, 1000).await?.iter().map(|d| d.id).collect();
    assert_eq!(found, wanted, "every match over several pages, newest (highest id) first");
    let some: Vec<DocumentId> = store.search_documents(&search, 55).await?.iter().map(|d| d.id).collect();
    assert_eq!(some, wanted[..55]);
    Ok(())
}

// ---- SQLite ----

/// The batch writes the runtime uses: claim several, apply several changes
/// in one transaction (each its own compare-and-set), record several
/// deliveries and settle their documents.
async fn batch_story<S: Store>(one: &S, two: &S) -> TestResult {
    use DocumentState::*;
    let now = to_micros_precision(Utc::now());
    let lease = TimeDelta::minutes(5);
    // Earlier chapters left documents in `received`: lease them away first.
    one.claim_batch("earlier", Received, now, lease, 100).await?;
    let mut ids = Vec::new();
    for n in 1..=3 {
        ids.push(
            one.receive(received("batch", &format!("po-{n}.edi"), format!("ST*850*700{n}~").as_bytes()))
                .await?
                .document_id,
        );
    }
    let first = one.claim_batch("w1", Received, now, lease, 2).await?;
    assert_eq!(
        first.iter().map(|c| c.document.id).collect::<Vec<_>>(),
        ids[..2],
        "the oldest first, at most the limit"
    );
    assert!(first.iter().all(|c| c.worker == "w1" && c.lease_until == now + lease));
    let rest = two.claim_batch("w2", Received, now, lease, 10).await?;
    assert_eq!(rest.iter().map(|c| c.document.id).collect::<Vec<_>>(), ids[2..], "the other worker gets the rest");
    assert!(one.claim_batch("w1", Received, now, lease, 10).await?.is_empty());

    let mut decided = DocumentChange::new(ids[0], Received, Decided, "pipeline", json!({ "decision": "auto" }));
    decided.outcome = Some(json!({ "format": "x12" }));
    decided.decision = Some(json!({ "decision": "auto" }));
    let mut approved = DocumentChange::new(ids[1], Received, Approved, "pipeline", json!({}));
    approved.deliveries = ["PO-7002/a", "PO-7002/b"]
        .map(|key| NewDelivery { target: "batch-erp".to_owned(), idempotency_key: key.to_owned(), payload: json!({}) })
        .to_vec();
    let stale = DocumentChange::new(ids[2], Decided, InReview, "pipeline", json!({}));
    let mut misplaced = DocumentChange::new(ids[2], Received, InReview, "pipeline", json!({}));
    misplaced.deliveries = approved.deliveries.clone();
    let terminal = DocumentChange::new(ids[2], Posted, Approved, "pipeline", json!({}));
    let results = one.apply_changes(vec![decided, approved, stale, misplaced, terminal]).await?;
    let [
        Ok(0),
        Ok(2),
        Err(StoreError::Conflict { actual: Received, .. }),
        Err(StoreError::Config { .. }),
        Err(StoreError::Terminal { .. }),
    ] = results.as_slice()
    else {
        panic!("one batch, each change its own compare-and-set: {results:?}")
    };
    let Some(document) = one.document(ids[0]).await? else { panic!("document {} lost", ids[0]) };
    assert_eq!((document.state, document.claimed_by), (Decided, None), "moved, claim cleared");
    assert_eq!(document.outcome, Some(json!({ "format": "x12" })));
    assert_eq!(document.decision, Some(json!({ "decision": "auto" })));
    let kinds: Vec<EventKind> = one.events(ids[0]).await?.iter().map(|e| e.kind).collect();
    use EventKind::*;
    assert_eq!(kinds, [DocumentReceived, OutcomeRecorded, DecisionRecorded, DocumentStateChanged]);
    let kinds: Vec<EventKind> = one.events(ids[1]).await?.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [DocumentReceived, DeliveryEnqueued, DeliveryEnqueued, DocumentStateChanged]);
    let kinds: Vec<EventKind> = one.events(ids[2]).await?.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [DocumentReceived], "a lost change stores nothing");
    assert_eq!(one.document(ids[2]).await?.map(|d| d.state), Some(Received));

    // Deliveries: a document settles with its last pending delivery, once.
    let filter = DeliveryFilter { document_id: Some(ids[1]), ..DeliveryFilter::default() };
    let deliveries = one.deliveries(&filter, 10).await?;
    let done =
        |index: usize| DeliveryDone { id: deliveries[index].id, details: json!({ "erp_key": format!("SO-{index}") }) };
    assert_eq!(one.record_deliveries(vec![done(0)], "outbox").await?, [], "one still pending");
    assert_eq!(one.document(ids[1]).await?.map(|d| d.state), Some(Approved));
    let settled = two.record_deliveries(vec![done(0), done(1)], "outbox").await?;
    assert_eq!(settled, [Settled { document_id: ids[1], state: Posted }], "the first, recorded before, is skipped");
    assert!(one.record_deliveries(vec![done(1)], "outbox").await?.is_empty(), "recorded twice: nothing more");
    let events = one.events(ids[1]).await?;
    let posted: Vec<&str> =
        events.iter().filter(|e| e.kind == DeliveryPosted).filter_map(|e| e.details["erp_key"].as_str()).collect();
    assert_eq!(posted, ["SO-0", "SO-1"]);
    let last = events
        .last()
        .map(|e| (e.kind, e.actor.clone(), e.details["to"].clone(), e.details["details"]["target"].clone()));
    assert_eq!(last, Some((DocumentStateChanged, "outbox".to_owned(), json!("posted"), json!("batch-erp"))));
    let statuses: Vec<DeliveryStatus> = one.deliveries(&filter, 10).await?.iter().map(|d| d.status).collect();
    assert_eq!(statuses, [DeliveryStatus::Delivered, DeliveryStatus::Delivered]);

    // A sibling dead-lettered: the document settles as dead-lettered.
    let mut approved = DocumentChange::new(ids[2], Received, Approved, "pipeline", json!({}));
    approved.deliveries = ["PO-7003/a", "PO-7003/b"]
        .map(|key| NewDelivery { target: "batch-erp".to_owned(), idempotency_key: key.to_owned(), payload: json!({}) })
        .to_vec();
    let [Ok(2)] = one.apply_changes(vec![approved]).await?.as_slice() else { panic!("approve in a batch of one") };
    let filter = DeliveryFilter { document_id: Some(ids[2]), ..DeliveryFilter::default() };
    let deliveries = one.deliveries(&filter, 10).await?;
    one.dead_letter(deliveries[0].id, "refused").await?;
    let settled =
        one.record_deliveries(vec![DeliveryDone { id: deliveries[1].id, details: json!({}) }], "outbox").await?;
    assert_eq!(settled, [Settled { document_id: ids[2], state: DeadLettered }]);
    Ok(())
}

#[tokio::test]
async fn story_on_sqlite() -> TestResult {
    let dir = tempfile::tempdir().map_err(|e| StoreError::Config { setting: "tempdir", problem: e.to_string() })?;
    let path = dir.path().join("prodline.db");
    // Told through `AnyStore`, so the forwarding the runtime will use is covered too.
    let open = async || match SqliteStore::open(&path).await {
        Ok(store) => AnyStore::from(store),
        Err(error) => panic!("cannot open {}: {error}", path.display()),
    };
    story(open, async |store: AnyStore| store.close().await).await
}

#[tokio::test]
async fn story_on_sqlite_in_memory_needs_no_file() -> TestResult {
    let store = SqliteStore::open_in_memory().await?;
    let receipt = store.receive(received("upload", "a.edi", b"ST*850~")).await?;
    assert_eq!(store.list(DocumentState::Received, 10).await?.len(), 1);
    assert_eq!(store.events(receipt.document_id).await?.len(), 1);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sqlite_stores_on_one_file_claim_each_document_once() -> TestResult {
    let dir = tempfile::tempdir().map_err(|e| StoreError::Config { setting: "tempdir", problem: e.to_string() })?;
    let path = dir.path().join("claims.db");
    let store = SqliteStore::open(&path).await?;
    let ids = receive_many(&store, 60).await?;
    let other = SqliteStore::open(&path).await?;
    let claimed = claim_concurrently(vec![store, other]).await?;
    assert_eq!(claimed, ids);
    Ok(())
}

// ---- PostgreSQL ----

static SCHEMA_COUNTER: AtomicU32 = AtomicU32::new(0);

/// A schema no other test (or test run) uses.
fn fresh_schema() -> String {
    let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
    let n = SCHEMA_COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("prodline_test_{}_{nanos}_{n}", std::process::id())
}

fn pg_config(schema: &str) -> PgConfig {
    let url = std::env::var("PRODLINE_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned());
    PgConfig::new(url).with_schema(schema)
}

async fn pg_open(schema: &str) -> PostgresStore {
    let config = pg_config(schema);
    match PostgresStore::connect_with(config.clone()).await {
        Ok(store) => store,
        Err(error) => panic!(
            "PostgreSQL is not usable at {config:?} ({error}); start it with scripts/services.sh \
             or point PRODLINE_TEST_PG_URL at a server"
        ),
    }
}

#[tokio::test]
async fn story_on_postgres() -> TestResult {
    let schema = fresh_schema();
    let cleanup = pg_open(&schema).await;
    story(async || pg_open(&schema).await, async |store: PostgresStore| store.close().await).await?;
    cleanup.drop_own_schema().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 3)]
async fn three_postgres_workers_claim_300_documents_exactly_once() -> TestResult {
    let schema = fresh_schema();
    let setup = pg_open(&schema).await;
    let ids = receive_many(&setup, 300).await?;
    let workers = vec![pg_open(&schema).await, pg_open(&schema).await, pg_open(&schema).await];
    let claimed = claim_concurrently(workers).await?;
    assert_eq!(claimed, ids);
    setup.drop_own_schema().await
}

async fn receive_many<S: Store>(store: &S, count: usize) -> Result<BTreeSet<DocumentId>, StoreError> {
    let mut ids = BTreeSet::new();
    for n in 0..count {
        let receipt = store.receive(received("bulk", &format!("{n}.csv"), format!("po,{n}").as_bytes())).await?;
        ids.insert(receipt.document_id);
    }
    assert_eq!(ids.len(), count);
    Ok(ids)
}

/// Each store claims in its own task until nothing is left; returns every
/// document claimed, failing if any was claimed twice.
async fn claim_concurrently<S: Store + 'static>(stores: Vec<S>) -> Result<BTreeSet<DocumentId>, StoreError> {
    let mut tasks = tokio::task::JoinSet::new();
    for (n, store) in stores.into_iter().enumerate() {
        tasks.spawn(async move {
            let worker = format!("worker-{n}");
            let mut mine = Vec::new();
            let now = Utc::now();
            while let Some(claimed) = store.claim(&worker, DocumentState::Received, now, TimeDelta::minutes(10)).await?
            {
                assert_eq!(claimed.worker, worker);
                mine.push(claimed.document.id);
            }
            Ok::<_, StoreError>(mine)
        });
    }
    let mut all = BTreeSet::new();
    while let Some(joined) = tasks.join_next().await {
        let mine = match joined {
            Ok(result) => result?,
            Err(error) => panic!("claim task failed: {error}"),
        };
        for id in mine {
            assert!(all.insert(id), "document {id} was claimed twice");
        }
    }
    Ok(all)
}
