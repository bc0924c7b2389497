//! The review queue: what a person sees and does with documents the
//! pipeline sent to `in_review`. Plain async functions over a [`Store`] and
//! the loaded [`Config`], returning serialisable results, so the CLI (and
//! later the HTTP API) are thin glue.
//!
//! Every action is an event naming its actor: `ReviewApproved`,
//! `ReviewEdited` (the correction itself: the label), `MemoryLearned`,
//! `ReviewRejected`, next to the `DocumentStateChanged` of the move.
//!
//! [`inspect`] is what the review desk shows of one document: the pipeline
//! run again on the stored bytes, so a person sees how each field was
//! matched and which items the line could have meant.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use prodline_config::{Config, WorkflowConfig};
use prodline_core::{CanonicalLine, CanonicalOrder, Reason, ReasonCode};
use prodline_extract::normalize::compact_key;
use prodline_extract::resolve::{CustomerMatch, ItemMatch, ItemMethod, ShipToMatch};
use prodline_extract::{Learned, LearnedKind, MasterData, MasterDataError, Memory, Outcome, ResolvedOrder};
use prodline_store::{
    Delivery, DeliveryFilter, DocumentId, DocumentRecord, DocumentState, Event, EventKind, Sha256, Store, StoreError,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::memory;
pub use crate::process::{PlannedOrder, StoredDecision};
use crate::process::{approve_orders, context_of, has_key, workflow_name};

/// Deliveries and events shown for one document at most.
const SHOW_LIMIT: u32 = 1000;
/// Item candidates offered per line: a short list to pick from, the whole
/// item master follows it in the desk's list.
const CANDIDATES: usize = 8;

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

/// Which lessons a correction teaches the memory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "remember", content = "lessons")]
pub enum Remember {
    /// Everything the correction implies: cross-references, customer
    /// aliases, a sender's layout (what [`correct`] does).
    #[default]
    All,
    /// Only the lessons named; the others are not saved.
    Only(Vec<Lesson>),
}

/// A lesson as a reviewer names it: its kind, the customer a
/// cross-reference belongs to, and its key as written on the document (the
/// customer's part number, else the line's description).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lesson {
    pub kind: LearnedKind,
    pub customer_id: Option<String>,
    pub key: String,
}

impl Lesson {
    /// "Remember that this customer's `part` is the SKU I entered."
    pub fn cross_reference(customer_id: &str, part: &str) -> Lesson {
        Lesson { kind: LearnedKind::CrossReference, customer_id: Some(customer_id.to_owned()), key: part.to_owned() }
    }

    /// Whether this names `learned`: same kind and customer, and the key
    /// equal ignoring case (codes also ignoring spaces and dashes, as the
    /// memory compares them).
    pub fn names(&self, learned: &Learned) -> bool {
        if self.kind != learned.kind || self.customer_id != learned.customer_id {
            return false;
        }
        let (ours, theirs) = (self.key.trim(), learned.key.trim());
        let codes = matches!(self.kind, LearnedKind::CrossReference | LearnedKind::CustomerId);
        ours.to_lowercase() == theirs.to_lowercase()
            || (codes && !ours.is_empty() && compact_key(ours) == compact_key(theirs))
    }
}

impl From<&Learned> for Lesson {
    fn from(learned: &Learned) -> Lesson {
        Lesson { kind: learned.kind, customer_id: learned.customer_id.clone(), key: learned.key.clone() }
    }
}

/// Everything the review desk shows of one document.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    pub view: DocumentView,
    /// The pipeline run again on the stored bytes; `None` for a document
    /// without a workflow of this configuration or without a decision.
    pub outcome: Option<Outcome>,
    /// Each order the pipeline would enter, field by field, as matched.
    pub orders: Vec<OrderInspection>,
    /// Routed to review as part of the random audit sample (reason `audit`):
    /// the reviewer's verdict is a label of auto-approve accuracy.
    pub audit_sample: bool,
    /// Why routing sent it to the queue (its last move there).
    pub review_reason: Option<ReviewReason>,
    /// The text the extractor read (e-mail body, PDF text, OCR); `None` for structured formats.
    pub text: Option<String>,
    /// The workflow's whole item master as (SKU, description), for a pick list.
    pub items: Vec<(String, String)>,
}

/// Routing's reason (`decision_review`, `audit`, `paused`, ...) and its message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewReason {
    pub reason: String,
    pub message: String,
}

/// One order the pipeline would enter, with how its customer and ship-to were found.
#[derive(Debug, Clone, Serialize)]
pub struct OrderInspection {
    pub order: CanonicalOrder,
    pub confidence: f64,
    /// The order's own review reasons.
    pub reasons: Vec<Reason>,
    pub customer: CustomerMatch,
    pub ship_to: ShipToMatch,
    pub lines: Vec<LineInspection>,
}

/// One line: the item the pipeline chose, how, and what else it could be.
#[derive(Debug, Clone, Serialize)]
pub struct LineInspection {
    pub line: CanonicalLine,
    pub item: ItemMatch,
    /// The customer's cross-references of the line's part, then items whose
    /// description resembles the line's; best first, at most 8.
    pub candidates: Vec<ItemCandidate>,
}

/// An item a line may mean.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemCandidate {
    pub sku: String,
    pub description: String,
    /// 0–1: a cross-reference's confidence, or the description's similarity.
    pub score: f64,
    /// `cross_reference`, `learned_cross_reference` or `fuzzy` (by description).
    pub method: ItemMethod,
}

/// The review queue, oldest first, with why each document is in it.
pub async fn list<S: Store>(store: &S, limit: u32) -> Result<Vec<QueueItem>, ReviewError> {
    let mut items = Vec::new();
    for document in store.list(DocumentState::InReview, limit).await? {
        let events = store.events(document.id).await?;
        let routed = routed_to_review(&events);
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

/// The last move of a document's trail into the review queue: its details say why.
fn routed_to_review(events: &[Event]) -> Option<&Event> {
    events.iter().rev().find(|event| {
        event.kind == EventKind::DocumentStateChanged && event.details["to"] == DocumentState::InReview.as_str()
    })
}

/// One document in any state, with its decision, events and deliveries.
pub async fn show<S: Store>(store: &S, id: DocumentId) -> Result<DocumentView, ReviewError> {
    let document = store.document(id).await?.ok_or(ReviewError::NotFound(id))?;
    view_of(store, document).await
}

/// What the review desk shows of one document (any state): its record and
/// trail, the pipeline's reading again with each field's match and
/// confidence, item candidates per line, why it is in the queue, the text
/// read and the item master. Running the pipeline again costs what
/// processing cost (OCR is cached; a model extractor is asked again).
pub async fn inspect<S: Store>(store: &S, config: &Config, id: DocumentId) -> Result<Inspection, ReviewError> {
    let document = store.document(id).await?.ok_or(ReviewError::NotFound(id))?;
    let view = view_of(store, document.clone()).await?;
    let review_reason = routed_to_review(&view.events).map(|event| {
        let detail = |key: &str| event.details["details"][key].as_str().unwrap_or_default().to_owned();
        ReviewReason { reason: detail("reason"), message: detail("message") }
    });
    let workflow = workflow_name(&document).and_then(|name| config.workflow.iter().find(|w| w.name == name));
    let (outcome, orders, items) = match workflow {
        Some(workflow) if document.decision.is_some() => {
            let Rerun { outcome, master, memory } = rerun(store, workflow, &document).await?;
            let orders = planned(&outcome).map(|resolved| inspect_order(resolved, &master, &memory)).collect();
            (Some(outcome), orders, item_list(&master))
        }
        Some(workflow) => {
            let master = MasterData::load_dir(&workflow.master)
                .map_err(|source| ReviewError::MasterData { workflow: workflow.name.clone(), source })?;
            (None, Vec::new(), item_list(&master))
        }
        None => (None, Vec::new(), Vec::new()),
    };
    Ok(Inspection {
        audit_sample: review_reason.as_ref().is_some_and(|routed| routed.reason == "audit"),
        review_reason,
        text: outcome.as_ref().and_then(|outcome| outcome.text.as_ref()).map(|text| text.joined()),
        view,
        outcome,
        orders,
        items,
    })
}

/// The orders the pipeline would enter: the same rule as the stored decision's.
fn planned(outcome: &Outcome) -> impl Iterator<Item = &ResolvedOrder> {
    let readable = !outcome.has_reason(ReasonCode::UnsupportedFormat);
    outcome.orders.iter().filter(move |resolved| readable && resolved.is_enterable())
}

fn inspect_order(resolved: &ResolvedOrder, master: &MasterData, memory: &Memory) -> OrderInspection {
    let customer = resolved.order.customer_id.as_deref();
    let lines = resolved
        .order
        .lines
        .iter()
        .zip(&resolved.items)
        .map(|(line, item)| LineInspection {
            line: line.clone(),
            item: item.clone(),
            candidates: candidates(line, customer, master, memory),
        })
        .collect();
    OrderInspection {
        order: resolved.order.clone(),
        confidence: resolved.confidence,
        reasons: resolved.reasons.clone(),
        customer: resolved.customer.clone(),
        ship_to: resolved.ship_to.clone(),
        lines,
    }
}

/// The items a line may mean: the customer's cross-references (taught
/// ones too) of its part, then items by description similarity; best
/// first, each SKU once, at most [`CANDIDATES`].
fn candidates(
    line: &CanonicalLine,
    customer: Option<&str>,
    master: &MasterData,
    memory: &Memory,
) -> Vec<ItemCandidate> {
    let mut found: Vec<ItemCandidate> = Vec::new();
    let candidate = |sku: &str, score: f64, method: ItemMethod| {
        master.item(sku).map(|item| ItemCandidate {
            sku: item.sku.clone(),
            description: item.description.clone(),
            score,
            method,
        })
    };
    if let Some(customer) = customer {
        for key in [line.customer_part.as_deref(), line.description.as_deref()].into_iter().flatten() {
            let learned = ItemMethod::LearnedCrossReference;
            found.extend(
                memory.learned_cross_ref(customer, key).and_then(|sku| candidate(sku, learned.confidence(), learned)),
            );
        }
        if let Some(part) = line.customer_part.as_deref() {
            let method = ItemMethod::CrossReference;
            found.extend(
                master
                    .cross_ref(customer, part)
                    .iter()
                    .filter_map(|item| candidate(&item.sku, method.confidence(), method)),
            );
        }
    }
    if let Some(description) = line.description.as_deref().filter(|d| !d.trim().is_empty()) {
        let similar = master.fuzzy_items(description).into_iter().take(CANDIDATES);
        found.extend(similar.filter_map(|(item, score)| candidate(&item.sku, score, ItemMethod::Fuzzy)));
    }
    found.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.sku.cmp(&b.sku)));
    let mut seen = BTreeSet::new();
    found.retain(|candidate| seen.insert(candidate.sku.clone()));
    found.truncate(CANDIDATES);
    found
}

fn item_list(master: &MasterData) -> Vec<(String, String)> {
    master.items.iter().map(|item| (item.sku.clone(), item.description.clone())).collect()
}

async fn view_of<S: Store>(store: &S, document: DocumentRecord) -> Result<DocumentView, ReviewError> {
    let id = document.id;
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
/// as `ReviewEdited` (the label), teaches the workflow's memory everything
/// they imply (saved with compare-and-set, so a running runtime picks the
/// lesson up), then approves the corrected orders.
pub async fn correct<S: Store>(
    store: &S,
    config: &Config,
    id: DocumentId,
    actor: &str,
    orders: Vec<CanonicalOrder>,
) -> Result<Correction, ReviewError> {
    correct_with(store, config, id, actor, orders, Remember::All).await
}

/// [`correct`], teaching the memory only what `remember` names: a one-off
/// substitution ("out of the 3/4in, send the 1in this time") is a correct
/// label but no cross-reference. What is not chosen is not saved; the
/// correction is the label either way.
pub async fn correct_with<S: Store>(
    store: &S,
    config: &Config,
    id: DocumentId,
    actor: &str,
    orders: Vec<CanonicalOrder>,
    remember: Remember,
) -> Result<Correction, ReviewError> {
    let document = in_review(store, id, "corrected").await?;
    let workflow = workflow_config(config, &document)?;
    check_corrected(id, &orders)?;
    let previous = stored_decision(&document)?.map(|decision| decision.orders);
    let details = json!({ "orders": orders, "previous": previous });
    store.record_event(Some(id), EventKind::ReviewEdited, actor, details).await?;

    let outcome = outcome_again(store, workflow, &document).await?;
    let learned = teach(store, &workflow.name, &outcome, &orders, &remember).await?;
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
    Ok(rerun(store, workflow, document).await?.outcome)
}

/// The outcome again, with the master data and memory it was resolved against.
struct Rerun {
    outcome: Outcome,
    master: MasterData,
    memory: Memory,
}

async fn rerun<S: Store>(
    store: &S,
    workflow: &WorkflowConfig,
    document: &DocumentRecord,
) -> Result<Rerun, ReviewError> {
    let bytes = store
        .blob(&document.sha256)
        .await?
        .ok_or_else(|| ReviewError::MissingBytes { id: document.id, sha256: document.sha256.clone() })?;
    let (memory, _) = memory::load(store, &workflow.name).await?;
    let decision_config = workflow.decision.decision_config();
    let extractors = crate::build_extractors(&workflow.extractor)
        .map_err(|problem| ReviewError::Workflow { id: document.id, problem: format!("extractor: {problem}") })?;
    let context = context_of(document);
    let dir = workflow.master.clone();
    // Reading master data is file I/O and a model may take seconds: off the async threads.
    let rerun = tokio::task::spawn_blocking(move || {
        let master = MasterData::load_dir(&dir)?;
        let outcome = prodline_extract::process_with(&bytes, &context, &master, &memory, &decision_config, &extractors);
        Ok::<_, MasterDataError>(Rerun { outcome, master, memory })
    })
    .await
    .map_err(|error| ReviewError::Workflow { id: document.id, problem: format!("the extractor failed: {error}") })?;
    rerun.map_err(|source| ReviewError::MasterData { workflow: workflow.name.clone(), source })
}

/// Teaches the workflow's stored memory (compare-and-set loop) what
/// `remember` keeps of the correction; returns what is new.
async fn teach<S: Store>(
    store: &S,
    workflow: &str,
    outcome: &Outcome,
    orders: &[CanonicalOrder],
    remember: &Remember,
) -> Result<Vec<Learned>, ReviewError> {
    let (mut memory, mut version) = memory::load(store, workflow).await?;
    let before = memory.learned();
    let apply = |memory: &mut Memory| match remember {
        Remember::All => memory.learn(outcome, orders),
        Remember::Only(chosen) => {
            memory.learn_only(outcome, orders, |item| chosen.iter().any(|lesson| lesson.names(item)));
        }
    };
    apply(&mut memory);
    let after = memory.learned();
    if after == before {
        // Nothing to teach: no save, so running runtimes need not reload the memory.
        return Ok(Vec::new());
    }
    memory::save(store, workflow, &mut memory, &mut version, apply).await?;
    Ok(memory.learned().into_iter().filter(|learned| !before.contains(learned)).collect())
}
