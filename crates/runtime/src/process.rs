//! Processing (`received` → `decided`) and routing (`decided` → `approved`
//! with outbox rows, or → `in_review`). Two steps, each from what the store
//! holds, so a document decided before a crash is routed after the restart.

use std::panic::{AssertUnwindSafe, catch_unwind};

use chrono::TimeDelta;
use prodline_config::DecisionPolicy;
use prodline_connect::idempotency_key;
use prodline_core::{CanonicalOrder, Decision, ReasonCode};
use prodline_extract::{Context, Outcome};
use prodline_store::{DocumentRecord, DocumentState, Store};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{Clock, RunSummary, RuntimeError, Workflow};

/// How long a worker holds a claimed document.
const LEASE: TimeDelta = TimeDelta::minutes(5);
/// Documents one step takes per pass, so one pass always ends.
const BATCH: usize = 1000;
const PIPELINE: &str = "pipeline";
/// The revision number of the idempotency key: revisions go to review (see `review_reason`).
const ORIGINAL: u32 = 0;

/// What routing needs from a decision, stored with `set_decision`.
#[derive(Debug, Serialize, Deserialize)]
struct StoredDecision {
    decision: String,
    confidence: f64,
    reasons: Vec<prodline_core::Reason>,
    orders: Vec<PlannedOrder>,
}

/// One order to enter, as decided.
#[derive(Debug, Serialize, Deserialize)]
struct PlannedOrder {
    order: CanonicalOrder,
    revision: bool,
}

pub(crate) async fn process_received<S: Store>(
    workflows: &mut [Workflow],
    store: &S,
    clock: &dyn Clock,
    worker: &str,
    summary: &mut RunSummary,
) -> Result<(), RuntimeError> {
    for _ in 0..BATCH {
        let Some(claimed) = store.claim(worker, DocumentState::Received, clock.now(), LEASE).await? else {
            return Ok(());
        };
        let document = claimed.document;
        let Some(workflow) = workflow_of(workflows, &document) else {
            let error = unknown_workflow(&document);
            quarantine(store, &document, DocumentState::Received, &error, summary).await?;
            continue;
        };
        let Some(bytes) = store.blob(&document.sha256).await? else {
            let error = format!("the stored bytes {} are missing", document.sha256);
            quarantine(store, &document, DocumentState::Received, &error, summary).await?;
            continue;
        };
        match decide(workflow, &document, &bytes) {
            Ok(outcome) => record_decision(store, &document, &outcome, summary).await?,
            Err(error) => quarantine(store, &document, DocumentState::Received, &error, summary).await?,
        }
    }
    Ok(())
}

/// Runs the extractor; a panic (none is known) quarantines the document
/// instead of stopping the pipeline.
fn decide(workflow: &mut Workflow, document: &DocumentRecord, bytes: &[u8]) -> Result<Outcome, String> {
    let context = Context {
        file_name: Some(document.file_name.clone()),
        from: document.from.clone(),
        received_at: Some(document.received_at),
    };
    let decision_config = workflow.config.decision.decision_config();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        prodline_extract::process(bytes, &context, &workflow.master, &workflow.memory, &decision_config)
    }))
    .map_err(|_| "the extractor panicked on this document".to_owned())?;
    workflow.memory.observe(&outcome, &context);
    Ok(outcome)
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
    if policy != DecisionPolicy::Auto {
        return Some(("policy", format!("the workflow's policy is {policy}: every document is reviewed")));
    }
    if stored.decision != Decision::Auto.as_str() {
        let codes: Vec<&str> = stored.reasons.iter().map(|reason| reason.code.as_str()).collect();
        return Some(("decision_review", format!("decided review: {}", codes.join(", "))));
    }
    if stored.orders.iter().any(|planned| planned.revision) {
        // The SQL target inserts orders; it cannot amend the one a revision changes.
        return Some(("revision", "a revision of an earlier PO: the target cannot amend an order".to_owned()));
    }
    if stored.orders.iter().any(|planned| planned.order.customer_id.is_none() || planned.order.customer_po.is_none()) {
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

/// Enqueues every order, then approves: a crash in between re-enqueues on
/// restart, which the outbox's key uniqueness turns into nothing.
async fn approve<S: Store>(
    workflow: &Workflow,
    store: &S,
    document: &DocumentRecord,
    stored: &StoredDecision,
    summary: &mut RunSummary,
) -> Result<(), RuntimeError> {
    let mut keys = Vec::with_capacity(stored.orders.len());
    for planned in &stored.orders {
        let order = &planned.order;
        let customer = order.customer_id.as_deref().unwrap_or_default();
        let po = order.customer_po.as_deref().unwrap_or_default();
        let key = idempotency_key(&workflow.config.name, customer, po, ORIGINAL);
        let payload = json!({ "order": order });
        store.enqueue_delivery(document.id, workflow.target_name(), &key, payload).await?;
        keys.push(key);
    }
    let details = json!({ "target": workflow.target_name(), "idempotency_keys": keys });
    store.transition(document.id, DocumentState::Decided, DocumentState::Approved, PIPELINE, details).await?;
    summary.auto += 1;
    Ok(())
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

fn workflow_of<'a>(workflows: &'a mut [Workflow], document: &DocumentRecord) -> Option<&'a mut Workflow> {
    let name = workflow_name(document)?;
    workflows.iter_mut().find(|workflow| workflow.config.name == name)
}

fn unknown_workflow(document: &DocumentRecord) -> String {
    match workflow_name(document) {
        Some(name) => format!("no workflow {name:?} in the configuration"),
        None => "the document names no workflow (meta.workflow)".to_owned(),
    }
}
