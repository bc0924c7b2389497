//! Processing (`received` → `decided`) and routing (`decided` → `approved`
//! with outbox rows, or → `in_review`). Two steps, each from what the store
//! holds, so a document decided before a crash is routed after the restart.

use std::panic::{AssertUnwindSafe, catch_unwind};

use chrono::TimeDelta;
use prodline_config::DecisionPolicy;
use prodline_connect::idempotency_key;
use prodline_core::{CanonicalOrder, Decision, ReasonCode};
use prodline_extract::{Context, Memory, Outcome};
use prodline_store::{DocumentId, DocumentRecord, DocumentState, NewDelivery, Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{Clock, RunSummary, RuntimeError, Workflow, memory};

/// How long a worker holds a claimed document.
const LEASE: TimeDelta = TimeDelta::minutes(5);
/// Documents one step takes per pass, so one pass always ends.
const BATCH: usize = 1000;
const PIPELINE: &str = "pipeline";
/// The revision number of the idempotency key: revisions go to review (see `review_reason`).
const ORIGINAL: u32 = 0;

/// What routing (and a reviewer) needs from a decision, stored with `set_decision`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredDecision {
    /// `auto` or `review`, as the pipeline decided.
    pub decision: String,
    pub confidence: f64,
    pub reasons: Vec<prodline_core::Reason>,
    /// The enterable orders.
    pub orders: Vec<PlannedOrder>,
}

/// One order to enter, as decided.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlannedOrder {
    pub order: CanonicalOrder,
    /// A replacement or change of an earlier PO (the SQL target cannot amend).
    pub revision: bool,
}

/// One processing step: each workflow's memory is refreshed from the store
/// first (lessons and orders from other processes), and saved after with
/// what this step observed, even when the step stopped on an error.
pub(crate) async fn process_received<S: Store>(
    workflows: &mut [Workflow],
    store: &S,
    clock: &dyn Clock,
    worker: &str,
    summary: &mut RunSummary,
) -> Result<(), RuntimeError> {
    for workflow in workflows.iter_mut() {
        memory::refresh(store, &workflow.config.name, &mut workflow.memory, &mut workflow.memory_version).await?;
    }
    let mut observed: Vec<Vec<(Outcome, Context)>> = workflows.iter().map(|_| Vec::new()).collect();
    let step = decide_received(workflows, store, clock, worker, summary, &mut observed).await;
    for (workflow, seen) in workflows.iter_mut().zip(&observed) {
        if seen.is_empty() {
            continue;
        }
        let reobserve = |memory: &mut Memory| {
            for (outcome, context) in seen {
                memory.observe(outcome, context);
            }
        };
        let name = &workflow.config.name;
        memory::save(store, name, &mut workflow.memory, &mut workflow.memory_version, reobserve).await?;
    }
    step
}

async fn decide_received<S: Store>(
    workflows: &mut [Workflow],
    store: &S,
    clock: &dyn Clock,
    worker: &str,
    summary: &mut RunSummary,
    observed: &mut [Vec<(Outcome, Context)>],
) -> Result<(), RuntimeError> {
    for _ in 0..BATCH {
        let Some(claimed) = store.claim(worker, DocumentState::Received, clock.now(), LEASE).await? else {
            return Ok(());
        };
        let document = claimed.document;
        let found =
            workflow_index(workflows, &document).and_then(|i| Some((workflows.get_mut(i)?, observed.get_mut(i)?)));
        let Some((workflow, observed)) = found else {
            let error = unknown_workflow(&document);
            quarantine(store, &document, DocumentState::Received, &error, summary).await?;
            continue;
        };
        let Some(bytes) = store.blob(&document.sha256).await? else {
            let error = format!("the stored bytes {} are missing", document.sha256);
            quarantine(store, &document, DocumentState::Received, &error, summary).await?;
            continue;
        };
        crate::ack::acknowledge_received(workflow, store, clock, &document, &bytes, summary).await?;
        match decide(workflow, &document, &bytes) {
            Ok((outcome, context)) => {
                record_decision(store, &document, &outcome, summary).await?;
                observed.push((outcome, context));
            }
            Err(error) => quarantine(store, &document, DocumentState::Received, &error, summary).await?,
        }
    }
    Ok(())
}

/// Runs the extractor; a panic (none is known) quarantines the document
/// instead of stopping the pipeline.
/// Observes the outcome in the workflow's memory at once, so later documents
/// of the same step see it; returns it with its context for the save.
fn decide(workflow: &mut Workflow, document: &DocumentRecord, bytes: &[u8]) -> Result<(Outcome, Context), String> {
    let context = context_of(document);
    let decision_config = workflow.config.decision.decision_config();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        prodline_extract::process(bytes, &context, &workflow.master, &workflow.memory, &decision_config)
    }))
    .map_err(|_| "the extractor panicked on this document".to_owned())?;
    workflow.memory.observe(&outcome, &context);
    Ok((outcome, context))
}

/// What the pipeline is told about a stored document.
pub(crate) fn context_of(document: &DocumentRecord) -> Context {
    Context {
        file_name: Some(document.file_name.clone()),
        from: document.from.clone(),
        received_at: Some(document.received_at),
    }
}

async fn record_decision<S: Store>(
    store: &S,
    document: &DocumentRecord,
    outcome: &Outcome,
    summary: &mut RunSummary,
) -> Result<(), RuntimeError> {
    let outcome_json = match serde_json::to_value(outcome) {
        Ok(json) => json,
        Err(error) => {
            let error = format!("the outcome cannot be stored as JSON: {error}");
            return quarantine(store, document, DocumentState::Received, &error, summary).await;
        }
    };
    let stored = StoredDecision {
        decision: outcome.decision.as_str().to_owned(),
        confidence: outcome.confidence,
        reasons: outcome.reasons.clone(),
        orders: planned_orders(outcome),
    };
    let decision_json = serde_json::to_value(&stored).unwrap_or_else(|error| json!({ "error": error.to_string() }));
    store.set_outcome(document.id, PIPELINE, outcome_json).await?;
    store.set_decision(document.id, PIPELINE, decision_json).await?;
    let details = json!({ "decision": stored.decision, "confidence": stored.confidence });
    store.transition(document.id, DocumentState::Received, DocumentState::Decided, PIPELINE, details).await?;
    summary.decided += 1;
    Ok(())
}

/// The enterable orders, with their revision flag (`Outcome::predicted_orders` drops it).
fn planned_orders(outcome: &Outcome) -> Vec<PlannedOrder> {
    // Same rule as `Outcome::predicted_orders`: nothing from a document without a reader.
    if outcome.has_reason(ReasonCode::UnsupportedFormat) {
        return Vec::new();
    }
    outcome
        .orders
        .iter()
        .filter(|resolved| resolved.is_enterable())
        .map(|resolved| PlannedOrder { order: resolved.order.clone(), revision: resolved.revision })
        .collect()
}

pub(crate) async fn route_decided<S: Store>(
    workflows: &[Workflow],
    store: &S,
    clock: &dyn Clock,
    worker: &str,
    summary: &mut RunSummary,
) -> Result<(), RuntimeError> {
    for _ in 0..BATCH {
        let Some(claimed) = store.claim(worker, DocumentState::Decided, clock.now(), LEASE).await? else {
            return Ok(());
        };
        let document = claimed.document;
        let Some(workflow) = workflows.iter().find(|w| Some(w.config.name.as_str()) == workflow_name(&document)) else {
            let error = unknown_workflow(&document);
            quarantine(store, &document, DocumentState::Decided, &error, summary).await?;
            continue;
        };
        let stored = document.decision.clone().map(serde_json::from_value::<StoredDecision>);
        let stored = match stored {
            Some(Ok(stored)) => stored,
            Some(Err(error)) => {
                let error = format!("the stored decision cannot be read: {error}");
                quarantine(store, &document, DocumentState::Decided, &error, summary).await?;
                continue;
            }
            None => {
                quarantine(store, &document, DocumentState::Decided, "no decision is stored", summary).await?;
                continue;
            }
        };
        match review_reason(workflow.config.decision.policy, &stored) {
            Some((code, message)) => send_to_review(store, &document, code, &message, summary).await?,
            None => approve(workflow, store, &document, &stored, summary).await?,
        }
    }
    Ok(())
}

/// Why a decided document needs a person, or `None` when it goes to the ERP.
fn review_reason(policy: DecisionPolicy, stored: &StoredDecision) -> Option<(&'static str, String)> {
    if stored.orders.is_empty() {
        return Some(("nothing_to_enter", "the document holds no order to enter".to_owned()));
    }
    // The pipeline's own reasons first: under `shadow`, "policy" then marks
    // exactly the documents that would have gone straight to the ERP.
    if stored.decision != Decision::Auto.as_str() {
        let codes: Vec<&str> = stored.reasons.iter().map(|reason| reason.code.as_str()).collect();
        return Some(("decision_review", format!("decided review: {}", codes.join(", "))));
    }
    if policy != DecisionPolicy::Auto {
        return Some(("policy", format!("the workflow's policy is {policy}: decided auto, reviewed by policy")));
    }
    if stored.orders.iter().any(|planned| planned.revision) {
        // The SQL target inserts orders; it cannot amend the one a revision changes.
        return Some(("revision", "a revision of an earlier PO: the target cannot amend an order".to_owned()));
    }
    if stored.orders.iter().any(|planned| !has_key(&planned.order)) {
        return Some(("missing_key", "an order lacks the customer or PO its idempotency key needs".to_owned()));
    }
    None
}

async fn send_to_review<S: Store>(
    store: &S,
    document: &DocumentRecord,
    code: &str,
    message: &str,
    summary: &mut RunSummary,
) -> Result<(), RuntimeError> {
    let details = json!({ "reason": code, "message": message });
    store.transition(document.id, DocumentState::Decided, DocumentState::InReview, PIPELINE, details).await?;
    summary.review += 1;
    Ok(())
}

async fn approve<S: Store>(
    workflow: &Workflow,
    store: &S,
    document: &DocumentRecord,
    stored: &StoredDecision,
    summary: &mut RunSummary,
) -> Result<(), RuntimeError> {
    let orders: Vec<&CanonicalOrder> = stored.orders.iter().map(|planned| &planned.order).collect();
    let from = DocumentState::Decided;
    approve_orders(
        store,
        &workflow.config.name,
        workflow.target_name(),
        document.id,
        from,
        PIPELINE,
        &orders,
        json!({}),
    )
    .await?;
    summary.auto += 1;
    Ok(())
}

/// The one approval rule, for routing and for a reviewer: one outbox row
/// per order, keyed by (workflow, customer, PO, revision 0), written with the
/// move to `approved` in one transaction (so a document moved meanwhile gets
/// no delivery). Returns the idempotency keys. The caller has checked that
/// every order has its customer and PO.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn approve_orders<S: Store>(
    store: &S,
    workflow: &str,
    target: &str,
    document: DocumentId,
    from: DocumentState,
    actor: &str,
    orders: &[&CanonicalOrder],
    mut details: Value,
) -> Result<Vec<String>, StoreError> {
    let mut keys = Vec::with_capacity(orders.len());
    let mut deliveries = Vec::with_capacity(orders.len());
    for order in orders {
        let customer = order.customer_id.as_deref().unwrap_or_default();
        let po = order.customer_po.as_deref().unwrap_or_default();
        let key = idempotency_key(workflow, customer, po, ORIGINAL);
        let payload = json!({ "order": order });
        deliveries.push(NewDelivery { target: target.to_owned(), idempotency_key: key.clone(), payload });
        keys.push(key);
    }
    if let Some(map) = details.as_object_mut() {
        map.insert("target".to_owned(), json!(target));
        map.insert("idempotency_keys".to_owned(), json!(keys));
    }
    store.approve(document, from, actor, details, deliveries).await?;
    Ok(keys)
}

/// Whether each order has the customer and PO its idempotency key needs.
pub(crate) fn has_key(order: &CanonicalOrder) -> bool {
    let present = |value: &Option<String>| value.as_deref().is_some_and(|v| !v.trim().is_empty());
    present(&order.customer_id) && present(&order.customer_po)
}

async fn quarantine<S: Store>(
    store: &S,
    document: &DocumentRecord,
    from: DocumentState,
    error: &str,
    summary: &mut RunSummary,
) -> Result<(), RuntimeError> {
    let details = json!({ "error": error });
    store.transition(document.id, from, DocumentState::Quarantined, PIPELINE, details).await?;
    summary.quarantined += 1;
    Ok(())
}

pub(crate) fn workflow_name(document: &DocumentRecord) -> Option<&str> {
    document.meta.get("workflow").and_then(Value::as_str)
}

fn workflow_index(workflows: &[Workflow], document: &DocumentRecord) -> Option<usize> {
    let name = workflow_name(document)?;
    workflows.iter().position(|workflow| workflow.config.name == name)
}

fn unknown_workflow(document: &DocumentRecord) -> String {
    match workflow_name(document) {
        Some(name) => format!("no workflow {name:?} in the configuration"),
        None => "the document names no workflow (meta.workflow)".to_owned(),
    }
}
