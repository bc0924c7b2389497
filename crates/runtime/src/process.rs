//! Processing (`received` → `decided`) and routing (`decided` → `approved`
//! with outbox rows, or → `in_review`). Two steps, each from what the store
//! holds, so a document decided before a crash is routed after the restart.

use std::panic::{AssertUnwindSafe, catch_unwind};

use chrono::TimeDelta;
use prodline_config::DecisionPolicy;
use prodline_connect::idempotency_key;
use prodline_core::{CanonicalOrder, Decision, ReasonCode};
use prodline_extract::{Context, Memory, Outcome};
use prodline_store::{
    Claimed, DocumentChange, DocumentId, DocumentRecord, DocumentState, NewDelivery, Store, StoreError,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::watch::{Holds, Watch};
use crate::{Clock, RunSummary, RuntimeError, Workflow, memory};

/// How long a worker holds a claimed document.
const LEASE: TimeDelta = TimeDelta::minutes(5);
/// Documents one step takes per pass, so one pass always ends; small
/// enough that routing and delivery follow soon (a document's latency is
/// about two passes), large enough that the memory saved once per pass is a
/// small share of it.
const BATCH: usize = 256;
/// Documents claimed, and their changes written, per store transaction:
/// one commit (one fsync) for the chunk instead of four per document.
const CHUNK: u32 = 64;
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
    /// What the monitor keeps of the document (drift, liveness, cost);
    /// absent from decisions stored before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watch: Option<Watch>,
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
    let mut taken = 0;
    while taken < BATCH {
        let claimed = store.claim_batch(worker, DocumentState::Received, clock.now(), LEASE, CHUNK).await?;
        if claimed.is_empty() {
            return Ok(());
        }
        taken += claimed.len();
        let mut changes = Vec::with_capacity(claimed.len());
        // Per change: the workflow and what it observed, handed to the memory save once stored.
        let mut seen: Vec<Option<(usize, Outcome, Context)>> = Vec::with_capacity(claimed.len());
        for Claimed { document, .. } in claimed {
            let Some(index) = workflow_index(workflows, &document) else {
                changes.push(quarantine_change(&document, DocumentState::Received, &unknown_workflow(&document)));
                seen.push(None);
                continue;
            };
            let Some(workflow) = workflows.get_mut(index) else { continue };
            let Some(bytes) = store.blob(&document.sha256).await? else {
                let error = format!("the stored bytes {} are missing", document.sha256);
                changes.push(quarantine_change(&document, DocumentState::Received, &error));
                seen.push(None);
                continue;
            };
            crate::ack::acknowledge_received(workflow, store, clock, &document, &bytes, summary).await?;
            match decide(workflow, &document, &bytes) {
                Ok((outcome, context)) => {
                    let watch =
                        Watch::of(&workflow.config.name, &outcome, &document.source, document.received_at, clock.now());
                    changes.push(decision_change(&document, &outcome, watch));
                    seen.push(Some((index, outcome, context)));
                }
                Err(error) => {
                    changes.push(quarantine_change(&document, DocumentState::Received, &error));
                    seen.push(None);
                }
            }
        }
        let results = apply(store, changes, summary).await?;
        for (stored, seen) in results.into_iter().zip(seen) {
            if let (true, Some((index, outcome, context))) = (stored, seen)
                && let Some(observed) = observed.get_mut(index)
            {
                observed.push((outcome, context));
            }
        }
    }
    Ok(())
}

/// Writes a batch of changes in one transaction and counts them in the
/// summary; returns, per change, whether it was stored. A change that lost
/// its compare-and-set (another worker moved the document after this one's
/// lease ran out) is skipped: the document is where the other left it.
async fn apply<S: Store>(
    store: &S,
    changes: Vec<DocumentChange>,
    summary: &mut RunSummary,
) -> Result<Vec<bool>, RuntimeError> {
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    let targets: Vec<DocumentState> = changes.iter().map(|change| change.to).collect();
    let results = store.apply_changes(changes).await?;
    let mut stored = Vec::with_capacity(results.len());
    for (result, to) in results.into_iter().zip(targets) {
        match result {
            Ok(_) => {
                match to {
                    DocumentState::Decided => summary.decided += 1,
                    DocumentState::Approved => summary.auto += 1,
                    DocumentState::InReview => summary.review += 1,
                    DocumentState::Quarantined => summary.quarantined += 1,
                    _ => {}
                }
                stored.push(true);
            }
            Err(StoreError::Conflict { .. } | StoreError::Terminal { .. }) => stored.push(false),
            Err(error) => return Err(error.into()),
        }
    }
    Ok(stored)
}

/// Runs the extractor; a panic (none is known) quarantines the document
/// instead of stopping the pipeline. A model may take seconds (an HTTP
/// call, a program): on a multi-thread runtime the wait is announced with
/// `block_in_place`, so the other tasks move to another worker; on a
/// current-thread runtime it simply blocks this pass.
/// Observes the outcome in the workflow's memory at once, so later documents
/// of the same step see it; returns it with its context for the save.
fn decide(workflow: &mut Workflow, document: &DocumentRecord, bytes: &[u8]) -> Result<(Outcome, Context), String> {
    let context = context_of(document);
    let decision_config = workflow.config.decision.decision_config();
    let run = || {
        catch_unwind(AssertUnwindSafe(|| {
            let (master, memory, extractors) = (&workflow.master, &workflow.memory, &workflow.extractors);
            prodline_extract::process_with(bytes, &context, master, memory, &decision_config, extractors)
        }))
    };
    let multi_thread = tokio::runtime::Handle::try_current()
        .is_ok_and(|handle| handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    let outcome =
        if multi_thread && workflow.extractors.champion.is_some() { tokio::task::block_in_place(run) } else { run() }
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

/// The move to `decided`, with the outcome and the decision stored by the
/// same write; an outcome that cannot be written as JSON quarantines instead.
fn decision_change(document: &DocumentRecord, outcome: &Outcome, watch: Watch) -> DocumentChange {
    let outcome_json = match serde_json::to_value(outcome) {
        Ok(json) => json,
        Err(error) => {
            let error = format!("the outcome cannot be stored as JSON: {error}");
            return quarantine_change(document, DocumentState::Received, &error);
        }
    };
    let stored = StoredDecision {
        decision: outcome.decision.as_str().to_owned(),
        confidence: outcome.confidence,
        reasons: outcome.reasons.clone(),
        orders: planned_orders(outcome),
        watch: Some(watch),
    };
    let decision_json = serde_json::to_value(&stored).unwrap_or_else(|error| json!({ "error": error.to_string() }));
    let details = json!({ "decision": stored.decision, "confidence": stored.confidence });
    let mut change =
        DocumentChange::new(document.id, DocumentState::Received, DocumentState::Decided, PIPELINE, details);
    change.outcome = Some(outcome_json);
    change.decision = Some(decision_json);
    change
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
    holds: &Holds,
    store: &S,
    clock: &dyn Clock,
    worker: &str,
    summary: &mut RunSummary,
) -> Result<(), RuntimeError> {
    let mut taken = 0;
    while taken < BATCH {
        let claimed = store.claim_batch(worker, DocumentState::Decided, clock.now(), LEASE, CHUNK).await?;
        if claimed.is_empty() {
            return Ok(());
        }
        taken += claimed.len();
        let changes = claimed.iter().map(|claimed| route(workflows, holds, &claimed.document)).collect();
        apply(store, changes, summary).await?;
    }
    Ok(())
}

/// Where one decided document goes: to the review queue with the reason, or
/// to `approved` with one outbox delivery per order.
fn route(workflows: &[Workflow], holds: &Holds, document: &DocumentRecord) -> DocumentChange {
    let from = DocumentState::Decided;
    let Some(workflow) = workflows.iter().find(|w| Some(w.config.name.as_str()) == workflow_name(document)) else {
        return quarantine_change(document, from, &unknown_workflow(document));
    };
    let stored = match document.decision.clone().map(serde_json::from_value::<StoredDecision>) {
        Some(Ok(stored)) => stored,
        Some(Err(error)) => {
            return quarantine_change(document, from, &format!("the stored decision cannot be read: {error}"));
        }
        None => return quarantine_change(document, from, "no decision is stored"),
    };
    let held = || stored.watch.as_ref().and_then(|watch| holds.reason(&workflow.config.name, watch));
    let reason = review_reason(workflow.config.decision.policy, &stored)
        .or_else(held)
        .or_else(|| audit_reason(workflow.config.decision.audit_rate, document));
    match reason {
        Some((code, message)) => {
            let details = json!({ "reason": code, "message": message });
            DocumentChange::new(document.id, from, DocumentState::InReview, PIPELINE, details)
        }
        None => {
            let orders: Vec<&CanonicalOrder> = stored.orders.iter().map(|planned| &planned.order).collect();
            let (details, deliveries, _) = approval(&workflow.config.name, workflow.target_name(), &orders, json!({}));
            let mut change = DocumentChange::new(document.id, from, DocumentState::Approved, PIPELINE, details);
            change.deliveries = deliveries;
            change
        }
    }
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

/// A document that would go straight to the ERP is reviewed instead when
/// its audit draw falls under the workflow's `audit_rate`: a person's verdict
/// on it is an unbiased label of auto-approve accuracy.
fn audit_reason(rate: f64, document: &DocumentRecord) -> Option<(&'static str, String)> {
    (audit_draw(document) < rate).then(|| {
        (
            "audit",
            format!(
                "random audit sample ({:.1} % of auto-approved documents): check it as if it were new",
                rate * 100.0
            ),
        )
    })
}

/// A uniform draw in [0, 1) fixed by the document: the first 64 bits of its
/// SHA-256 mixed with its id (splitmix64). A routing repeated after a crash
/// draws the same, and byte-identical documents from two sources draw apart.
fn audit_draw(document: &DocumentRecord) -> f64 {
    let hex = document.sha256.as_str().get(..16).unwrap_or_default();
    let bits = u64::from_str_radix(hex, 16).unwrap_or_default();
    let mut z = bits ^ (document.id.0 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
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
    details: Value,
) -> Result<Vec<String>, StoreError> {
    let (details, deliveries, keys) = approval(workflow, target, orders, details);
    store.approve(document, from, actor, details, deliveries).await?;
    Ok(keys)
}

/// What an approval writes: the event details (with the target and the
/// keys), one delivery per order, and the keys.
fn approval(
    workflow: &str,
    target: &str,
    orders: &[&CanonicalOrder],
    mut details: Value,
) -> (Value, Vec<NewDelivery>, Vec<String>) {
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
    (details, deliveries, keys)
}

/// Whether each order has the customer and PO its idempotency key needs.
pub(crate) fn has_key(order: &CanonicalOrder) -> bool {
    let present = |value: &Option<String>| value.as_deref().is_some_and(|v| !v.trim().is_empty());
    present(&order.customer_id) && present(&order.customer_po)
}

/// The move to `quarantined` with the error, from where the document was.
fn quarantine_change(document: &DocumentRecord, from: DocumentState, error: &str) -> DocumentChange {
    DocumentChange::new(document.id, from, DocumentState::Quarantined, PIPELINE, json!({ "error": error }))
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

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use prodline_store::{DocumentId, Sha256};

    use super::*;

    fn record(id: i64, bytes: &[u8]) -> DocumentRecord {
        DocumentRecord {
            id: DocumentId(id),
            source: "folder:test".to_owned(),
            file_name: format!("{id}.x12"),
            from: None,
            sha256: Sha256::of(bytes),
            received_at: Utc::now(),
            meta: json!({}),
            state: DocumentState::Decided,
            claimed_by: None,
            lease_until: None,
            decision: None,
            outcome: None,
            updated_at: Utc::now(),
        }
    }

    /// The audit draw is the document's own (the same on every routing) and
    /// spread evenly: of 20,000 documents, a 5 % rate audits 4.4–5.6 % (the
    /// binomial's 99.99 % band is about ±0.6 points), and byte-identical
    /// documents under two ids draw apart.
    #[test]
    fn the_audit_draw_is_fixed_per_document_and_uniform() {
        let records: Vec<DocumentRecord> = (0..20_000).map(|i| record(i, format!("PO {i}").as_bytes())).collect();
        for r in records.iter().take(100) {
            assert_eq!(audit_draw(r).to_bits(), audit_draw(r).to_bits());
            assert!((0.0..1.0).contains(&audit_draw(r)));
        }
        let audited = records.iter().filter(|r| audit_reason(0.05, r).is_some()).count();
        assert!((880..=1120).contains(&audited), "{audited} of 20000 audited at 5 %");
        assert!(records.iter().all(|r| audit_reason(0.0, r).is_none()));
        assert!(records.iter().all(|r| audit_reason(1.0, r).is_some()));
        assert_ne!(audit_draw(&record(1, b"same")).to_bits(), audit_draw(&record(2, b"same")).to_bits());
    }
}
