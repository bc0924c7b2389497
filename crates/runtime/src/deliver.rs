//! The outbox: due deliveries to the workflow's target, retried with
//! back-off when the failure is transient, dead-lettered when the ERP refuses.
//! A document is `posted` once none of its deliveries is pending.
//!
//! The target's circuit breaker decides whether a due delivery is tried at
//! all: while it is open, deliveries stay due and their attempt count does not
//! move, so an outage does not use up the dead-letter budget. Its opening and
//! closing are events in the audit trail (kind `OutcomeRecorded`, details
//! `{"circuit": "open" | "closed", ...}`, no document).

use std::collections::HashSet;

use chrono::TimeDelta;
use prodline_connect::{Delivery as Posting, DeliveryError};
use prodline_core::CanonicalOrder;
use prodline_store::{Delivery, DeliveryDone, DeliveryStatus, DocumentId, DocumentState, EventKind, Store, StoreError};
use serde_json::{Value, json};

use crate::backoff::{MAX_ATTEMPTS, retry_delay};
use crate::breaker::{CircuitState, Permit, Transition};
use crate::process::workflow_name;
use crate::{CircuitReport, Clock, RunSummary, RuntimeError, Workflow};

const OUTBOX: &str = "outbox";
/// Deliveries attempted per pass.
const BATCH: u32 = 1000;
/// Pending deliveries read to tell which approved documents are done; with
/// more pending than this, settling waits for a later pass.
const PENDING_SNAPSHOT: u32 = 10_000;
/// Deliveries claimed at a time, and posted to a SQL target in one ERP
/// transaction (one commit for the chunk): large enough that the commit is
/// a small share of each order, small enough that a stalled target holds up
/// only this many.
const CLAIM_CHUNK: u32 = 64;
/// How long claimed deliveries are this worker's; a worker killed holding
/// them leaves them due again after this (the document lease is as long).
const DELIVERY_LEASE: TimeDelta = TimeDelta::minutes(5);
/// "Every pending delivery, however far its next attempt."
const FAR_AHEAD: TimeDelta = TimeDelta::days(36_500);

pub(crate) async fn deliver_due<S: Store>(
    workflow: &mut Workflow,
    store: &S,
    clock: &dyn Clock,
    summary: &mut RunSummary,
) -> Result<(), RuntimeError> {
    if let Err(problem) = workflow.target.ensure_connected().await {
        let due = store.due_deliveries(workflow.target_name(), clock.now(), BATCH).await?;
        summary.deferred += u64::try_from(due.len()).unwrap_or(u64::MAX);
        summary.problems.push(format!("workflow {}: {problem}", workflow.config.name));
        return settle_approved(workflow, store, clock, summary).await;
    }
    let mut taken = 0;
    while taken < BATCH {
        if workflow.breaker.holds(clock.now()) {
            let due = store.due_deliveries(workflow.target_name(), clock.now(), BATCH - taken).await?;
            summary.deferred += u64::try_from(due.len()).unwrap_or(u64::MAX);
            break;
        }
        let chunk = CLAIM_CHUNK.min(BATCH - taken);
        let claimed = store.claim_deliveries(workflow.target_name(), clock.now(), DELIVERY_LEASE, chunk).await?;
        taken += u32::try_from(claimed.len()).unwrap_or(u32::MAX);
        let last_chunk = claimed.len() < chunk as usize;
        attempt_claimed(workflow, store, clock, &claimed, summary).await?;
        if last_chunk {
            break;
        }
    }
    let state = workflow.breaker.state();
    if state != CircuitState::Closed {
        summary.circuits.push(CircuitReport { target: workflow.target_name().to_owned(), state });
    }
    settle_approved(workflow, store, clock, summary).await
}

/// Tries claimed deliveries: together in one ERP transaction when the
/// target can and its circuit is closed, else in order while the circuit
/// lets it; those left untried when it opens are released, due again at once
/// (the open circuit holds them, not their lease). What the ERP confirmed is
/// recorded in one store transaction at the end.
async fn attempt_claimed<S: Store>(
    workflow: &mut Workflow,
    store: &S,
    clock: &dyn Clock,
    claimed: &[Delivery],
    summary: &mut RunSummary,
) -> Result<(), RuntimeError> {
    if claimed.len() > 1
        && workflow.breaker.state() == CircuitState::Closed
        && let Some(orders) = orders_of(claimed)
        && deliver_together(workflow, store, clock, claimed, orders, summary).await?
    {
        return Ok(());
    }
    let mut posted = Vec::new();
    for (index, delivery) in claimed.iter().enumerate() {
        if workflow.breaker.permit(clock.now()) == Permit::Wait {
            release(store, clock, claimed.get(index..).unwrap_or_default(), summary).await?;
            break;
        }
        let transition = match attempt(workflow, store, clock, delivery, &mut posted, summary).await? {
            Attempt::Answered => workflow.breaker.succeeded().map(|transition| (transition, None)),
            Attempt::Transient(error) => {
                workflow.breaker.failed(clock.now()).map(|transition| (transition, Some(error)))
            }
            Attempt::NotTried => {
                workflow.breaker.untried(clock.now());
                None
            }
        };
        if let Some((transition, error)) = transition {
            record_circuit(workflow, store, transition, error.as_deref()).await?;
        }
    }
    record_postings(workflow, store, clock, posted, summary).await
}

/// The chunk's orders, when every payload is one (else the one-by-one path
/// dead-letters the unreadable ones).
fn orders_of(claimed: &[Delivery]) -> Option<Vec<CanonicalOrder>> {
    claimed.iter().map(|delivery| order_of(delivery).ok()).collect()
}

fn order_of(delivery: &Delivery) -> Result<CanonicalOrder, String> {
    let payload = delivery.payload.get("order").cloned().unwrap_or(Value::Null);
    serde_json::from_value(payload).map_err(|error| format!("the outbox payload is not an order: {error}"))
}

/// The whole chunk in one ERP transaction (one commit for all, each order
/// with its own idempotency row). True when that settled the chunk: every
/// order posted, or no answer, which counts a failed attempt for each order
/// and feeds the breaker as if each had been sent alone. False when the
/// target cannot batch or the ERP refused something: the caller then posts
/// them one by one, so only the refused order is dead-lettered.
async fn deliver_together<S: Store>(
    workflow: &mut Workflow,
    store: &S,
    clock: &dyn Clock,
    claimed: &[Delivery],
    orders: Vec<CanonicalOrder>,
    summary: &mut RunSummary,
) -> Result<bool, RuntimeError> {
    let batch: Vec<(&CanonicalOrder, &str)> =
        orders.iter().zip(claimed).map(|(order, delivery)| (order, delivery.idempotency_key.as_str())).collect();
    let answer = workflow.target.deliver_batch(&batch).await;
    match answer {
        None => Ok(false),
        Some(Ok(postings)) => {
            let posted =
                claimed.iter().zip(orders).zip(postings).map(|((delivery, order), posting)| (delivery, order, posting));
            record_postings(workflow, store, clock, posted.collect(), summary).await?;
            if let Some(transition) = workflow.breaker.succeeded() {
                record_circuit(workflow, store, transition, None).await?;
            }
            Ok(true)
        }
        Some(Err(error)) if error.is_transient() => {
            for (index, delivery) in claimed.iter().enumerate() {
                if workflow.breaker.permit(clock.now()) == Permit::Wait {
                    release(store, clock, claimed.get(index..).unwrap_or_default(), summary).await?;
                    break;
                }
                retry_later(store, clock, delivery, &error, summary).await?;
                if let Some(transition) = workflow.breaker.failed(clock.now()) {
                    record_circuit(workflow, store, transition, Some(&error.to_string())).await?;
                }
            }
            Ok(true)
        }
        Some(Err(_)) => Ok(false),
    }
}

/// Gives claimed deliveries back untried, due at once, counted as deferred.
async fn release<S: Store>(
    store: &S,
    clock: &dyn Clock,
    untried: &[Delivery],
    summary: &mut RunSummary,
) -> Result<(), RuntimeError> {
    let ids: Vec<_> = untried.iter().map(|delivery| delivery.id).collect();
    store.release_deliveries(&ids, clock.now()).await?;
    summary.deferred += u64::try_from(ids.len()).unwrap_or(u64::MAX);
    Ok(())
}

/// An event without a document: the circuit of this workflow's target opened or closed.
async fn record_circuit<S: Store>(
    workflow: &Workflow,
    store: &S,
    transition: Transition,
    error: Option<&str>,
) -> Result<(), RuntimeError> {
    let details = match transition {
        Transition::Opened { until, failures } => json!({
            "circuit": "open",
            "target": workflow.target_name(),
            "until": until,
            "failures_in_a_row": failures,
            "last_error": error,
        }),
        Transition::Closed => json!({ "circuit": "closed", "target": workflow.target_name() }),
    };
    store.record_event(None, EventKind::OutcomeRecorded, OUTBOX, details).await?;
    Ok(())
}

/// What one delivery told about the target, for its circuit breaker.
enum Attempt {
    /// The target answered: posted, already posted, or refused the order.
    Answered,
    /// No answer, or one that says "later"; the error.
    Transient(String),
    /// The order never reached the target (unreadable payload, unmappable order).
    NotTried,
}

/// Tries one delivery and records a failure at once; what the target
/// confirmed joins `posted`, recorded with the rest of the chunk.
async fn attempt<'d, S: Store>(
    workflow: &Workflow,
    store: &S,
    clock: &dyn Clock,
    delivery: &'d Delivery,
    posted: &mut Vec<(&'d Delivery, CanonicalOrder, Posting)>,
    summary: &mut RunSummary,
) -> Result<Attempt, RuntimeError> {
    let order = match order_of(delivery) {
        Ok(order) => order,
        Err(error) => {
            give_up(store, delivery, &error, summary).await?;
            return Ok(Attempt::NotTried);
        }
    };
    match workflow.target.deliver(&order, &delivery.idempotency_key).await {
        Ok(posting) => {
            posted.push((delivery, order, posting));
            Ok(Attempt::Answered)
        }
        Err(error) if error.is_transient() => {
            retry_later(store, clock, delivery, &error, summary).await?;
            Ok(Attempt::Transient(error.to_string()))
        }
        Err(error) => {
            give_up(store, delivery, &error.to_string(), summary).await?;
            let answered = matches!(error, DeliveryError::Rejected { .. });
            Ok(if answered { Attempt::Answered } else { Attempt::NotTried })
        }
    }
}

/// Records what the target confirmed in one store transaction (each
/// delivery delivered with its `DeliveryPosted` event; each document whose
/// last delivery this was settles with it), then sends the 855s.
async fn record_postings<S: Store>(
    workflow: &Workflow,
    store: &S,
    clock: &dyn Clock,
    posted: Vec<(&Delivery, CanonicalOrder, Posting)>,
    summary: &mut RunSummary,
) -> Result<(), RuntimeError> {
    if posted.is_empty() {
        return Ok(());
    }
    let done = posted
        .iter()
        .map(|(delivery, _, posting)| DeliveryDone { id: delivery.id, details: posting_details(delivery, posting) })
        .collect();
    for settled in store.record_deliveries(done, OUTBOX).await? {
        match settled.state {
            DocumentState::Posted => summary.posted += 1,
            DocumentState::DeadLettered => summary.dead_lettered += 1,
            _ => {}
        }
    }
    for (delivery, order, posting) in &posted {
        let erp_key = match posting {
            Posting::Posted { erp_key } | Posting::AlreadyPosted { erp_key } => erp_key,
        };
        crate::ack::acknowledge_posted(workflow, store, clock, delivery, order, erp_key, summary).await?;
    }
    Ok(())
}

/// The details of a `DeliveryPosted` event: the ERP's key belongs in the trail.
fn posting_details(delivery: &Delivery, posting: &Posting) -> Value {
    let (erp_key, already_posted) = match posting {
        Posting::Posted { erp_key } => (erp_key, false),
        Posting::AlreadyPosted { erp_key } => (erp_key, true),
    };
    json!({
        "delivery_id": delivery.id,
        "target": delivery.target,
        "erp_key": erp_key,
        "already_posted": already_posted,
    })
}

async fn retry_later<S: Store>(
    store: &S,
    clock: &dyn Clock,
    delivery: &Delivery,
    error: &DeliveryError,
    summary: &mut RunSummary,
) -> Result<(), RuntimeError> {
    let attempts = delivery.attempts.saturating_add(1);
    let now = clock.now();
    let next = now.checked_add_signed(retry_delay(delivery.id.0, attempts)).unwrap_or(now);
    if closed_elsewhere(store.record_attempt(delivery.id, Err(error.to_string()), next).await)? {
        return Ok(());
    }
    if attempts >= MAX_ATTEMPTS {
        let error = format!("gave up after {attempts} attempts; last error: {error}");
        return give_up(store, delivery, &error, summary).await;
    }
    Ok(())
}

/// Dead-letters the delivery and its document, with the error the ERP gave.
async fn give_up<S: Store>(
    store: &S,
    delivery: &Delivery,
    error: &str,
    summary: &mut RunSummary,
) -> Result<(), RuntimeError> {
    if closed_elsewhere(store.dead_letter(delivery.id, error).await)? {
        return Ok(());
    }
    let details = json!({ "delivery_id": delivery.id, "error": error });
    finish(store, delivery.document_id, DocumentState::DeadLettered, details, summary).await
}

/// True when the delivery was closed by another worker meanwhile (its lease
/// ran out while this one still held it): that worker's record stands.
fn closed_elsewhere(result: Result<(), StoreError>) -> Result<bool, RuntimeError> {
    match result {
        Ok(()) => Ok(false),
        Err(StoreError::DeliveryClosed { .. }) => Ok(true),
        Err(error) => Err(error.into()),
    }
}

/// Moves an approved document to `posted` once none of its deliveries is
/// pending; also finishes documents whose last delivery was done by a pass
/// that crashed before it could move them.
async fn settle_approved<S: Store>(
    workflow: &Workflow,
    store: &S,
    clock: &dyn Clock,
    summary: &mut RunSummary,
) -> Result<(), RuntimeError> {
    let now = clock.now();
    let horizon = now.checked_add_signed(FAR_AHEAD).unwrap_or(now);
    let pending = store.due_deliveries(workflow.target_name(), horizon, PENDING_SNAPSHOT).await?;
    if pending.len() >= PENDING_SNAPSHOT as usize {
        return Ok(());
    }
    let waiting: HashSet<DocumentId> = pending.iter().map(|delivery| delivery.document_id).collect();
    for document in store.list(DocumentState::Approved, BATCH).await? {
        if workflow_name(&document) != Some(workflow.config.name.as_str()) || waiting.contains(&document.id) {
            continue;
        }
        // By the deliveries' status, not the events: a replayed dead letter (review's
        // `outbox replay`) is pending again and, once delivered, settles as posted.
        let mine = prodline_store::DeliveryFilter { document_id: Some(document.id), ..Default::default() };
        let deliveries = store.deliveries(&mine, PENDING_SNAPSHOT).await?;
        let dead_lettered = deliveries.iter().any(|delivery| delivery.status == DeliveryStatus::DeadLettered);
        let to = if dead_lettered { DocumentState::DeadLettered } else { DocumentState::Posted };
        finish(store, document.id, to, json!({ "target": workflow.target_name() }), summary).await?;
    }
    Ok(())
}

/// Moves an approved document to a terminal state; one another worker (or an
/// earlier dead letter of a sibling order) already moved is left alone.
async fn finish<S: Store>(
    store: &S,
    id: DocumentId,
    to: DocumentState,
    details: Value,
    summary: &mut RunSummary,
) -> Result<(), RuntimeError> {
    match store.transition(id, DocumentState::Approved, to, OUTBOX, details).await {
        Ok(()) => {}
        Err(StoreError::Conflict { .. } | StoreError::Terminal { .. }) => return Ok(()),
        Err(error) => return Err(error.into()),
    }
    match to {
        DocumentState::Posted => summary.posted += 1,
        DocumentState::DeadLettered => summary.dead_lettered += 1,
        _ => {}
    }
    Ok(())
}
