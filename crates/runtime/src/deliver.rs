//! The outbox: due deliveries to the workflow's SQL target, retried with
//! back-off when the failure is transient, dead-lettered when the ERP refuses.
//! A document is `posted` once none of its deliveries is pending.

use std::collections::HashSet;

use chrono::TimeDelta;
use prodline_connect::{Delivery as Posting, DeliveryError};
use prodline_core::CanonicalOrder;
use prodline_store::{Delivery, DocumentId, DocumentState, EventKind, Store, StoreError};
use serde_json::{Value, json};

use crate::backoff::{MAX_ATTEMPTS, retry_delay};
use crate::process::workflow_name;
use crate::{Clock, RunSummary, RuntimeError, Workflow};

const OUTBOX: &str = "outbox";
/// Deliveries attempted per pass.
const BATCH: u32 = 1000;
/// Pending deliveries read to tell which approved documents are done; with
/// more pending than this, settling waits for a later pass.
const PENDING_SNAPSHOT: u32 = 10_000;
/// "Every pending delivery, however far its next attempt."
const FAR_AHEAD: TimeDelta = TimeDelta::days(36_500);

pub(crate) async fn deliver_due<S: Store>(
    workflow: &Workflow,
    store: &S,
    clock: &dyn Clock,
    summary: &mut RunSummary,
) -> Result<(), RuntimeError> {
    let due = store.due_deliveries(workflow.target_name(), clock.now(), BATCH).await?;
    for delivery in &due {
        attempt(workflow, store, clock, delivery, summary).await?;
    }
    settle_approved(workflow, store, clock, summary).await
}

async fn attempt<S: Store>(
    workflow: &Workflow,
    store: &S,
    clock: &dyn Clock,
    delivery: &Delivery,
    summary: &mut RunSummary,
) -> Result<(), RuntimeError> {
    let payload = delivery.payload.get("order").cloned().unwrap_or(Value::Null);
    let order = match serde_json::from_value::<CanonicalOrder>(payload) {
        Ok(order) => order,
        Err(error) => {
            let error = format!("the outbox payload is not an order: {error}");
            return give_up(store, delivery, &error, summary).await;
        }
    };
    match workflow.target.deliver(&order, &delivery.idempotency_key).await {
        Ok(posting) => record_posting(store, clock, delivery, &posting).await,
        Err(error) if error.is_transient() => retry_later(store, clock, delivery, &error, summary).await,
        Err(error) => give_up(store, delivery, &error.to_string(), summary).await,
    }
}

async fn record_posting<S: Store>(
    store: &S,
    clock: &dyn Clock,
    delivery: &Delivery,
    posting: &Posting,
) -> Result<(), RuntimeError> {
    let (erp_key, already_posted) = match posting {
        Posting::Posted { erp_key } => (erp_key, false),
        Posting::AlreadyPosted { erp_key } => (erp_key, true),
    };
    store.record_attempt(delivery.id, Ok(()), clock.now()).await?;
    // The store has no `DeliveryPosted` kind yet; the ERP's key belongs in the trail.
    let details = json!({
        "delivery_id": delivery.id,
        "target": delivery.target,
        "erp_key": erp_key,
        "already_posted": already_posted,
    });
    store.record_event(Some(delivery.document_id), EventKind::OutcomeRecorded, OUTBOX, details).await?;
    Ok(())
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
    store.record_attempt(delivery.id, Err(error.to_string()), next).await?;
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
    store.dead_letter(delivery.id, error).await?;
    let details = json!({ "delivery_id": delivery.id, "error": error });
    finish(store, delivery.document_id, DocumentState::DeadLettered, details, summary).await
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
        let events = store.events(document.id).await?;
        let dead_lettered = events.iter().any(|event| event.kind == EventKind::DeliveryDeadLettered);
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
