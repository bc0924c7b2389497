//! The review queue: what a person sees and does with documents the
//! pipeline sent to `in_review`. Plain async functions over a [`Store`] and
//! the loaded [`Config`], returning serialisable results, so the CLI (and
//! later the HTTP API) are thin glue.
//!
//! Every action is an event naming its actor: `ReviewApproved`,
//! `ReviewEdited` (the correction itself: the label), `MemoryLearned`,
//! `ReviewRejected`, next to the `DocumentStateChanged` of the move.

use chrono::{DateTime, Utc};
use prodline_config::{Config, WorkflowConfig};
use prodline_core::CanonicalOrder;
use prodline_extract::{Learned, MasterData, MasterDataError, Outcome};
use prodline_store::{
    Delivery, DeliveryFilter, DocumentId, DocumentRecord, DocumentState, Event, EventKind, Sha256, Store, StoreError,
};
use serde::Serialize;
use serde_json::{Value, json};

use crate::memory;
pub use crate::process::{PlannedOrder, StoredDecision};
use crate::process::{approve_orders, context_of, has_key, workflow_name};

/// Deliveries and events shown for one document at most.
const SHOW_LIMIT: u32 = 1000;

/// Why a review action was refused; each names the document.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("document {0} does not exist")]
    NotFound(DocumentId),
    #[error("document {id} is {state}, not in_review: only a document in the review queue can be {action}")]
    NotInReview { id: DocumentId, state: DocumentState, action: &'static str },
    #[error("document {id}: {problem}")]
    Workflow { id: DocumentId, problem: String },
    #[error("document {id}: the stored decision cannot be read: {problem}")]
    Decision { id: DocumentId, problem: String },
    #[error("document {id}: nothing to approve: {problem}")]
    NothingToApprove { id: DocumentId, problem: String },
    #[error("document {id}: corrected order {index}: {problem}")]
    InvalidOrder { id: DocumentId, index: usize, problem: String },
    #[error("document {id}: a rejection needs a reason")]
    NoReason { id: DocumentId },
    #[error("document {id}: the stored bytes {sha256} are missing")]
    MissingBytes { id: DocumentId, sha256: Sha256 },
    #[error("workflow {workflow}: master data: {source}")]
    MasterData { workflow: String, source: MasterDataError },
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

impl ReviewError {
    /// A stable snake_case code for the API and logs (the message is for people).
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "document_not_found",
            Self::NotInReview { .. } => "document_not_in_review",
            Self::Workflow { .. } => "workflow_unknown",
            Self::Decision { .. } => "decision_unreadable",
            Self::NothingToApprove { .. } => "nothing_to_approve",
            Self::InvalidOrder { .. } => "order_invalid",
            Self::NoReason { .. } => "reason_missing",
            Self::MissingBytes { .. } => "document_bytes_missing",
            Self::MasterData { .. } => "master_data_unreadable",
            Self::Store(_) => "store_error",
        }
    }
}

/// One document waiting for a person.
#[derive(Debug, Clone, Serialize)]
pub struct QueueItem {
    pub id: DocumentId,
    pub workflow: Option<String>,
    pub source: String,
    pub file_name: String,
    pub from: Option<String>,
    pub received_at: DateTime<Utc>,
    /// Why routing sent it here (`policy`, `decision_review`, `revision`, ...).
    pub reason: Option<String>,
    pub message: Option<String>,
    pub confidence: Option<f64>,
    /// The pipeline's reason codes.
    pub reasons: Vec<String>,
    /// Orders the pipeline would enter.
    pub orders: usize,
}

/// Everything about one document: the record, the decision, the audit trail and the outbox rows.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentView {
    pub id: DocumentId,
    pub state: DocumentState,
    pub workflow: Option<String>,
    pub source: String,
    pub file_name: String,
    pub from: Option<String>,
    pub sha256: Sha256,
    pub received_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The decision with its reasons and planned orders; `None` before processing.
    pub decision: Option<StoredDecision>,
    pub events: Vec<Event>,
    pub deliveries: Vec<Delivery>,
}

/// What an approval (plain or after a correction) enqueued.
#[derive(Debug, Clone, Serialize)]
pub struct Approval {
    pub id: DocumentId,
    pub actor: String,
    pub target: String,
    /// One per order, in order; an order already in the outbox under its key is not added twice.
    pub idempotency_keys: Vec<String>,
}

/// What a correction did: the approval of the corrected orders and what the memory learned.
#[derive(Debug, Clone, Serialize)]
pub struct Correction {
    pub approval: Approval,
    /// New or changed cross-references and customer aliases.
    pub learned: Vec<Learned>,
}

/// A rejected document.
#[derive(Debug, Clone, Serialize)]
pub struct Rejection {
    pub id: DocumentId,
    pub actor: String,
    pub reason: String,
}

/// The review queue, oldest first, with why each document is in it.
pub async fn list<S: Store>(store: &S, limit: u32) -> Result<Vec<QueueItem>, ReviewError> {
    let mut items = Vec::new();
    for document in store.list(DocumentState::InReview, limit).await? {
        let events = store.events(document.id).await?;
        let routed = events.iter().rev().find(|event| {
            event.kind == EventKind::DocumentStateChanged && event.details["to"] == DocumentState::InReview.as_str()
        });
        let detail = |key: &str| routed.and_then(|event| event.details["details"][key].as_str()).map(str::to_owned);
        let decision = stored_decision(&document).ok().flatten();
        items.push(QueueItem {
            id: document.id,
            workflow: workflow_name(&document).map(str::to_owned),
            reason: detail("reason"),
            message: detail("message"),
            confidence: decision.as_ref().map(|d| d.confidence),
            reasons: decision
                .as_ref()
                .map_or_else(Vec::new, |d| d.reasons.iter().map(|reason| reason.code.as_str().to_owned()).collect()),
            orders: decision.as_ref().map_or(0, |d| d.orders.len()),
            source: document.source,
            file_name: document.file_name,
            from: document.from,
            received_at: document.received_at,
        });
    }
    Ok(items)
}

/// One document in any state, with its decision, events and deliveries.
pub async fn show<S: Store>(store: &S, id: DocumentId) -> Result<DocumentView, ReviewError> {
    let document = store.document(id).await?.ok_or(ReviewError::NotFound(id))?;
    let decision = stored_decision(&document)?;
    let events = store.events(id).await?;
    let filter = DeliveryFilter { document_id: Some(id), ..DeliveryFilter::default() };
    let deliveries = store.deliveries(&filter, SHOW_LIMIT).await?;
    Ok(DocumentView {
        id,
        state: document.state,
        workflow: workflow_name(&document).map(str::to_owned),
        source: document.source,
        file_name: document.file_name,
        from: document.from,
        sha256: document.sha256,
        received_at: document.received_at,
        updated_at: document.updated_at,
        decision,
        events,
        deliveries,
    })
}

/// Approves the orders as the pipeline planned them: `in_review` →
/// `approved`, one outbox row per order (the same key rule as routing).
pub async fn approve<S: Store>(
    store: &S,
    config: &Config,
    id: DocumentId,
    actor: &str,
) -> Result<Approval, ReviewError> {
    let document = in_review(store, id, "approved").await?;
    let workflow = workflow_config(config, &document)?;
    let Some(decision) = stored_decision(&document)? else {
        return Err(ReviewError::NothingToApprove { id, problem: "no decision is stored".to_owned() });
    };
    let orders: Vec<CanonicalOrder> = decision.orders.into_iter().map(|planned| planned.order).collect();
    if orders.is_empty() {
        let problem = "the pipeline found no order to enter; correct it with the orders, or reject it".to_owned();
        return Err(ReviewError::NothingToApprove { id, problem });
    }
    if let Some(index) = orders.iter().position(|order| !has_key(order)) {
        let problem = format!("order {index} lacks its customer or PO; correct it with the complete orders");
        return Err(ReviewError::NothingToApprove { id, problem });
    }
    let approval = enqueue(store, workflow, id, actor, &orders, json!({ "review": "approved" })).await?;
    let details = json!({ "orders": orders.len(), "idempotency_keys": approval.idempotency_keys });
    store.record_event(Some(id), EventKind::ReviewApproved, actor, details).await?;
    Ok(approval)
}

/// Takes a reviewer's corrected orders (SPEC canonical orders): records them
/// as `ReviewEdited` (the label), teaches the workflow's memory with them
/// (saved with compare-and-set, so a running runtime picks the lesson up),
/// then approves the corrected orders.
pub async fn correct<S: Store>(
    store: &S,
    config: &Config,
    id: DocumentId,
    actor: &str,
    orders: Vec<CanonicalOrder>,
) -> Result<Correction, ReviewError> {
    let document = in_review(store, id, "corrected").await?;
    let workflow = workflow_config(config, &document)?;
    check_corrected(id, &orders)?;
    let previous = stored_decision(&document)?.map(|decision| decision.orders);
    let details = json!({ "orders": orders, "previous": previous });
    store.record_event(Some(id), EventKind::ReviewEdited, actor, details).await?;

    let outcome = outcome_again(store, workflow, &document).await?;
    let learned = teach(store, &workflow.name, &outcome, &orders).await?;
    if !learned.is_empty() {
        let details = json!({ "workflow": workflow.name, "learned": learned });
        store.record_event(Some(id), EventKind::MemoryLearned, actor, details).await?;
    }
    let approval = enqueue(store, workflow, id, actor, &orders, json!({ "review": "corrected" })).await?;
    let details = json!({ "orders": orders.len(), "idempotency_keys": approval.idempotency_keys, "corrected": true });
    store.record_event(Some(id), EventKind::ReviewApproved, actor, details).await?;
    Ok(Correction { approval, learned })
}

/// Rejects the document: `in_review` → `rejected`, nothing is entered.
pub async fn reject<S: Store>(store: &S, id: DocumentId, actor: &str, reason: &str) -> Result<Rejection, ReviewError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ReviewError::NoReason { id });
    }
    in_review(store, id, "rejected").await?;
    let details = json!({ "reason": reason });
    store.transition(id, DocumentState::InReview, DocumentState::Rejected, actor, details.clone()).await?;
    store.record_event(Some(id), EventKind::ReviewRejected, actor, details).await?;
    Ok(Rejection { id, actor: actor.to_owned(), reason: reason.to_owned() })
}

async fn in_review<S: Store>(store: &S, id: DocumentId, action: &'static str) -> Result<DocumentRecord, ReviewError> {
    let document = store.document(id).await?.ok_or(ReviewError::NotFound(id))?;
    if document.state != DocumentState::InReview {
        return Err(ReviewError::NotInReview { id, state: document.state, action });
    }
    Ok(document)
}

fn workflow_config<'a>(config: &'a Config, document: &DocumentRecord) -> Result<&'a WorkflowConfig, ReviewError> {
    let id = document.id;
    let Some(name) = workflow_name(document) else {
        return Err(ReviewError::Workflow { id, problem: "the document names no workflow (meta.workflow)".to_owned() });
    };
    config
        .workflow
        .iter()
        .find(|workflow| workflow.name == name)
        .ok_or_else(|| ReviewError::Workflow { id, problem: format!("no workflow {name:?} in the configuration") })
}

fn stored_decision(document: &DocumentRecord) -> Result<Option<StoredDecision>, ReviewError> {
    let Some(decision) = document.decision.clone() else { return Ok(None) };
    serde_json::from_value(decision)
        .map(Some)
        .map_err(|error| ReviewError::Decision { id: document.id, problem: error.to_string() })
}

/// Every corrected order needs the customer and PO its idempotency key is made of, and a line.
fn check_corrected(id: DocumentId, orders: &[CanonicalOrder]) -> Result<(), ReviewError> {
    if orders.is_empty() {
        let problem = "no orders given; reject the document if it holds none".to_owned();
        return Err(ReviewError::InvalidOrder { id, index: 0, problem });
    }
    for (index, order) in orders.iter().enumerate() {
        let problem = if order.customer_id.as_deref().is_none_or(|c| c.trim().is_empty()) {
            "customer_id is missing"
        } else if order.customer_po.as_deref().is_none_or(|po| po.trim().is_empty()) {
            "customer_po is missing"
        } else if order.lines.is_empty() {
            "the order has no lines"
        } else {
            continue;
        };
        return Err(ReviewError::InvalidOrder { id, index, problem: problem.to_owned() });
    }
    Ok(())
}

async fn enqueue<S: Store>(
    store: &S,
    workflow: &WorkflowConfig,
    id: DocumentId,
    actor: &str,
    orders: &[CanonicalOrder],
    details: Value,
) -> Result<Approval, ReviewError> {
    let refs: Vec<&CanonicalOrder> = orders.iter().collect();
    let target = workflow.name.as_str();
    let result =
        approve_orders(store, &workflow.name, target, id, DocumentState::InReview, actor, &refs, details).await;
    let idempotency_keys = match result {
        Ok(keys) => keys,
        // Someone else acted first: say what the document is now.
        Err(StoreError::Conflict { actual, .. }) => {
            return Err(ReviewError::NotInReview { id, state: actual, action: "approved" });
        }
        Err(error) => return Err(error.into()),
    };
    Ok(Approval { id, actor: actor.to_owned(), target: target.to_owned(), idempotency_keys })
}

/// The pipeline's outcome for the document again (deterministic over the
/// same bytes and master data), which `Memory::learn` compares the correction with.
async fn outcome_again<S: Store>(
    store: &S,
    workflow: &WorkflowConfig,
    document: &DocumentRecord,
) -> Result<Outcome, ReviewError> {
    let bytes = store
        .blob(&document.sha256)
        .await?
        .ok_or_else(|| ReviewError::MissingBytes { id: document.id, sha256: document.sha256.clone() })?;
    let master = MasterData::load_dir(&workflow.master)
        .map_err(|source| ReviewError::MasterData { workflow: workflow.name.clone(), source })?;
    let (memory, _) = memory::load(store, &workflow.name).await?;
    let decision_config = workflow.decision.decision_config();
    let extractors = crate::build_extractors(&workflow.extractor)
        .map_err(|problem| ReviewError::Workflow { id: document.id, problem: format!("extractor: {problem}") })?;
    let context = context_of(document);
    // A model may take seconds: off the async threads.
    let outcome = tokio::task::spawn_blocking(move || {
        prodline_extract::process_with(&bytes, &context, &master, &memory, &decision_config, &extractors)
    })
    .await
    .map_err(|error| ReviewError::Workflow { id: document.id, problem: format!("the extractor failed: {error}") })?;
    Ok(outcome)
}

/// Teaches the workflow's stored memory (compare-and-set loop); returns what is new.
async fn teach<S: Store>(
    store: &S,
    workflow: &str,
    outcome: &Outcome,
    orders: &[CanonicalOrder],
) -> Result<Vec<Learned>, ReviewError> {
    let (mut memory, mut version) = memory::load(store, workflow).await?;
    let before = memory.learned();
    memory.learn(outcome, orders);
    memory::save(store, workflow, &mut memory, &mut version, |memory| memory.learn(outcome, orders)).await?;
    Ok(memory.learned().into_iter().filter(|learned| !before.contains(learned)).collect())
}
