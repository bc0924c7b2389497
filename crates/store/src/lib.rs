//! The durable store of prodline: raw documents (content-addressed), the
//! document state machine, the append-only audit trail, work claiming for
//! several workers, and the outbox table. One [`Store`] trait, two back ends:
//! [`SqliteStore`] (one file, the default) and [`PostgresStore`] (several
//! workers on several machines).
//!
//! Every write that changes a document appends its audit event in the same
//! transaction, and every call returns only after the commit.
//!
//! # The document state machine
//!
//! ```text
//! received ─▶ decided ─▶ approved ─▶ posted
//!    │           │   ▲       │
//!    │           ▼   │       └────▶ dead_lettered ──(replay_delivery)──▶ approved
//!    │       in_review ─▶ rejected
//!    └─▶ quarantined            (`parsed` is reserved for a separate read step)
//! ```
//!
//! [`Store::transition`] moves a document by compare-and-set and refuses to
//! move one out of a terminal state (`posted`, `rejected`, `quarantined`,
//! `dead_lettered`). The one exception is deliberate and has its own method:
//! [`Store::replay_delivery`] sends a dead-lettered delivery back to
//! `pending` and its document from `dead_lettered` back to `approved`, in one
//! transaction with a `DeliveryReplayed` event naming the person who asked.
//! It is the only way out of `dead_lettered`.
//!
//! Outbox rows go `pending` → `delivered`, or `pending` → `dead_lettered` →
//! (replay) `pending`; `retry_delivery_now` only moves a pending row's next
//! attempt to now.
//!
//! Each workflow's learning memory is one JSON snapshot with a version:
//! [`Store::save_memory`] is a compare-and-set on that version, so two
//! processes never overwrite each other's lessons unseen.

mod access;
mod any;
mod decode;
mod error;
mod migrations;
mod model;
mod postgres;
mod search;
mod sqlite;

use std::future::Future;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use crate::decode::Cell;

pub use access::{ApiToken, DocumentSearch, Role, Session, User};
pub use any::AnyStore;
pub use error::StoreError;
pub use model::{
    Claimed, Delivery, DeliveryDone, DeliveryFilter, DeliveryId, DeliveryStatus, DocumentChange, DocumentId,
    DocumentRecord, DocumentState, Event, EventId, EventKind, NewDelivery, Receipt, Received, Settled, Sha256,
    to_micros_precision,
};
pub use postgres::{PgConfig, PostgresStore, redact_url};
pub use sqlite::SqliteStore;

pub type StoreResult<T> = Result<T, StoreError>;

/// The storage contract both back ends meet; `tests/story.rs` runs the same story against each.
pub trait Store: Send + Sync {
    /// The highest applied migration version.
    fn schema_version(&self) -> impl Future<Output = StoreResult<i64>> + Send;

    /// Stores `bytes` under their SHA-256 (idempotent) and returns the hash.
    fn put_blob(&self, bytes: &[u8]) -> impl Future<Output = StoreResult<Sha256>> + Send;

    fn blob(&self, sha256: &Sha256) -> impl Future<Output = StoreResult<Option<Vec<u8>>>> + Send;

    /// Stores the bytes and the document row (state `received`) and its
    /// `DocumentReceived` event in one transaction; returns after the commit.
    /// Idempotent on (source, sha256): a repeat returns the existing document
    /// with `duplicate: true` and logs `DuplicateReceived`.
    fn receive(&self, received: Received) -> impl Future<Output = StoreResult<Receipt>> + Send;

    fn document(&self, id: DocumentId) -> impl Future<Output = StoreResult<Option<DocumentRecord>>> + Send;

    /// Documents in `state`, oldest first.
    fn list(&self, state: DocumentState, limit: u32) -> impl Future<Output = StoreResult<Vec<DocumentRecord>>> + Send;

    /// Moves the document from `from` to `to` if it is still in `from`
    /// (compare-and-set), clears its claim, and appends `DocumentStateChanged`
    /// with `{"from", "to", "details"}`. Fails with `Conflict` on a stale
    /// `from` and `Terminal` when `from` is terminal.
    fn transition(
        &self,
        id: DocumentId,
        from: DocumentState,
        to: DocumentState,
        actor: &str,
        details: Value,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Appends an event that is not a state change, e.g. a reviewer's edit.
    fn record_event(
        &self,
        document_id: Option<DocumentId>,
        kind: EventKind,
        actor: &str,
        details: Value,
    ) -> impl Future<Output = StoreResult<EventId>> + Send;

    /// The audit trail of one document, in order.
    fn events(&self, document_id: DocumentId) -> impl Future<Output = StoreResult<Vec<Event>>> + Send;

    /// Events with an id greater than `after`, in order (a tail of the log).
    fn events_since(&self, after: EventId, limit: u32) -> impl Future<Output = StoreResult<Vec<Event>>> + Send;

    /// Takes the oldest document in `state` whose lease is free or expired at
    /// `now`, and leases it to `worker` until `now + lease`.
    fn claim(
        &self,
        worker: &str,
        state: DocumentState,
        now: DateTime<Utc>,
        lease: TimeDelta,
    ) -> impl Future<Output = StoreResult<Option<Claimed>>> + Send;

    /// Takes up to `limit` of the oldest documents in `state` whose lease is
    /// free or expired at `now`, in one transaction, and leases each to
    /// `worker` until `now + lease`, as [`Store::claim`] takes one.
    fn claim_batch(
        &self,
        worker: &str,
        state: DocumentState,
        now: DateTime<Utc>,
        lease: TimeDelta,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<Claimed>>> + Send;

    /// Applies several documents' changes in one transaction: one commit
    /// for the batch. Each change is a compare-and-set of its own, exactly as
    /// [`Store::transition`] (or [`Store::approve`] with deliveries) would make
    /// it, storing its outcome and decision first (`OutcomeRecorded`,
    /// `DecisionRecorded`); one that loses (`Conflict`, `Terminal`, ...)
    /// stores nothing and reports its error in its slot while the others are
    /// applied. Returns per change, in order, how many deliveries were new.
    /// A database error rolls the whole batch back.
    fn apply_changes(
        &self,
        changes: Vec<DocumentChange>,
    ) -> impl Future<Output = StoreResult<Vec<StoreResult<u32>>>> + Send;

    /// Marks confirmed deliveries delivered in one transaction, each with
    /// its `DeliveryPosted` event (`actor`, the given details), and moves
    /// each document whose last pending delivery this closed from `approved`
    /// to `posted` (`dead_lettered` when a sibling delivery was
    /// dead-lettered), logging the change with `{"target": ...}`. A delivery
    /// no longer pending (another worker recorded it) is skipped. Returns the
    /// documents moved.
    fn record_deliveries(
        &self,
        done: Vec<DeliveryDone>,
        actor: &str,
    ) -> impl Future<Output = StoreResult<Vec<Settled>>> + Send;

    /// Gives the lease back; false when `worker` did not hold it.
    fn release(&self, id: DocumentId, worker: &str) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Stores the decision json and logs `DecisionRecorded` with it.
    fn set_decision(
        &self,
        id: DocumentId,
        actor: &str,
        decision: Value,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Stores the outcome json (e.g. the ERP's answer) and logs `OutcomeRecorded` with it.
    fn set_outcome(&self, id: DocumentId, actor: &str, outcome: Value) -> impl Future<Output = StoreResult<()>> + Send;

    /// Adds a pending write to the outbox; false (and nothing stored) when
    /// `target` already has `idempotency_key`.
    fn enqueue_delivery(
        &self,
        document_id: DocumentId,
        target: &str,
        idempotency_key: &str,
        payload: Value,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Approves a document and enqueues its deliveries in one transaction:
    /// moves it from `from` to `approved` (compare-and-set, as `transition`,
    /// logging `DocumentStateChanged` with `actor` and `details`) and adds each
    /// delivery (`DeliveryEnqueued`), skipping a (target, key) already present.
    /// Returns how many were new. Nothing is stored when the move loses, so a
    /// document rejected meanwhile never gets deliveries.
    fn approve(
        &self,
        id: DocumentId,
        from: DocumentState,
        actor: &str,
        details: Value,
        deliveries: Vec<NewDelivery>,
    ) -> impl Future<Output = StoreResult<u32>> + Send;

    /// Pending deliveries to `target` due at `now`, earliest first.
    fn due_deliveries(
        &self,
        target: &str,
        now: DateTime<Utc>,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<Delivery>>> + Send;

    /// Takes up to `limit` pending deliveries to `target` due at `now`,
    /// earliest first, and leases them: their next attempt moves to `now +
    /// lease`, so no other worker takes them meanwhile (a target that checks
    /// before it creates, like Tryton, must not see one order twice at once).
    /// A worker that dies holding them leaves them due again when the lease ends.
    fn claim_deliveries(
        &self,
        target: &str,
        now: DateTime<Utc>,
        lease: TimeDelta,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<Delivery>>> + Send;

    /// Makes claimed deliveries that are still pending and untried due at `at`
    /// again (a worker that claimed them but did not try them, e.g. because
    /// the target's circuit opened).
    fn release_deliveries(&self, ids: &[DeliveryId], at: DateTime<Utc>)
    -> impl Future<Output = StoreResult<()>> + Send;

    /// Counts an attempt: `Ok` marks the delivery delivered; `Err` keeps it
    /// pending with the error until `next_attempt_at`.
    fn record_attempt(
        &self,
        id: DeliveryId,
        result: Result<(), String>,
        next_attempt_at: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Gives up on a delivery and logs `DeliveryDeadLettered`.
    fn dead_letter(&self, id: DeliveryId, error: &str) -> impl Future<Output = StoreResult<()>> + Send;

    /// One outbox row.
    fn delivery(&self, id: DeliveryId) -> impl Future<Output = StoreResult<Option<Delivery>>> + Send;

    /// Outbox rows matching `filter`, oldest first.
    fn deliveries(
        &self,
        filter: &DeliveryFilter,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<Delivery>>> + Send;

    /// Makes a pending delivery due at `now` (a person's "retry now") and logs
    /// `DeliveryRetried` with `actor`. `DeliveryClosed` when it is not pending.
    fn retry_delivery_now(
        &self,
        id: DeliveryId,
        now: DateTime<Utc>,
        actor: &str,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// The only way out of `dead_lettered`: the delivery goes back to pending
    /// (attempts 0, due now) and its document, when dead-lettered, back to
    /// `approved`, in one transaction that logs `DeliveryReplayed` and the
    /// `DocumentStateChanged` with `actor`. `DeliveryNotDeadLettered` for a
    /// delivery in any other status; `Conflict` when the document is neither
    /// `dead_lettered` nor `approved`.
    fn replay_delivery(&self, id: DeliveryId, actor: &str) -> impl Future<Output = StoreResult<()>> + Send;

    /// Documents per state, every state listed (zeros included), in `DocumentState::ALL` order.
    fn count_by_state(&self) -> impl Future<Output = StoreResult<Vec<(DocumentState, u64)>>> + Send;

    /// The workflow's memory snapshot and its version; `None` before the first save.
    fn load_memory(&self, workflow: &str) -> impl Future<Output = StoreResult<Option<(i64, Value)>>> + Send;

    /// Saves the workflow's memory if its stored version is still
    /// `expected_version` (0: none saved yet); the new version is
    /// `expected_version + 1`. False, and nothing stored, on a lost race.
    fn save_memory(
        &self,
        workflow: &str,
        expected_version: i64,
        memory: Value,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Adds a person who may log in, with a `UserAdded` event by `actor`
    /// (name and role only) in the same transaction. `UserExists` when the
    /// name is taken.
    fn add_user(&self, user: &User, actor: &str) -> impl Future<Output = StoreResult<()>> + Send;

    /// Sets a person's password hash again, with a `UserPasswordChanged`
    /// event by `actor`; also ends every session of the person. `UserNotFound`
    /// when there is no such person.
    fn set_password(
        &self,
        name: &str,
        password_hash: &str,
        actor: &str,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// The person with this login name.
    fn user(&self, name: &str) -> impl Future<Output = StoreResult<Option<User>>> + Send;

    /// Every person, by name.
    fn users(&self) -> impl Future<Output = StoreResult<Vec<User>>> + Send;

    /// Stores a new login session (the caller records `UserLoggedIn`) and
    /// deletes the sessions that expired by its `created_at`. The role stored
    /// is the person's role in the store at this moment, whatever
    /// `session.role` says, so a session never carries a role its person
    /// does not have. `UserNotFound` when there is no such person.
    fn create_session(&self, session: &Session) -> impl Future<Output = StoreResult<()>> + Send;

    /// The session with this token hash, if it has not expired at `now`
    /// (expired ones are left for `create_session` to delete: a lookup on
    /// every request stays a read).
    fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<Option<Session>>> + Send;

    /// Ends a session (logout); nothing happens for an unknown hash.
    fn delete_session(&self, token_hash: &str) -> impl Future<Output = StoreResult<()>> + Send;

    /// Issues an API token (its hash is stored), with an `ApiTokenAdded`
    /// event by `actor` (name and role only). `TokenExists` when an
    /// unrevoked token has this name; `Config { setting: "token_hash" }`
    /// when another token has this hash (a token that was not random).
    fn add_api_token(
        &self,
        name: &str,
        role: Role,
        token_hash: &str,
        actor: &str,
    ) -> impl Future<Output = StoreResult<ApiToken>> + Send;

    /// The unrevoked token with this hash.
    fn api_token(&self, token_hash: &str) -> impl Future<Output = StoreResult<Option<ApiToken>>> + Send;

    /// Every token (revoked ones too), by id.
    fn api_tokens(&self) -> impl Future<Output = StoreResult<Vec<ApiToken>>> + Send;

    /// Revokes a token by name, with an `ApiTokenRevoked` event by `actor`;
    /// false when no unrevoked token has that name.
    fn revoke_api_token(&self, name: &str, actor: &str) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Documents matching `search` ([`DocumentSearch::matches`] is the
    /// rule), newest received first, at most `limit`.
    fn search_documents(
        &self,
        search: &DocumentSearch,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<DocumentRecord>>> + Send;
}

/// Fills in the states no row has, in `DocumentState::ALL` order.
fn all_state_counts(counted: Vec<(String, i64)>) -> StoreResult<Vec<(DocumentState, u64)>> {
    let mut counts: Vec<(DocumentState, u64)> = DocumentState::ALL.into_iter().map(|state| (state, 0)).collect();
    for (state, count) in counted {
        let state = Cell::new("documents", 0, "state").state(&state)?;
        if let Some(slot) = counts.iter_mut().find(|(s, _)| *s == state) {
            slot.1 = u64::try_from(count).unwrap_or_default();
        }
    }
    Ok(counts)
}

/// The details of an access event (`UserAdded`, `ApiTokenRevoked`, ...):
/// the name and role only, never a hash or a token.
fn access_details(name: &str, role: Role) -> Value {
    json!({ "name": name, "role": role.as_str() })
}

/// Why an API token was not inserted: an unrevoked token has the name, or
/// (a caller that did not draw a random token) another token has the hash.
fn token_conflict(name: &str, name_taken: bool) -> StoreError {
    if name_taken {
        return StoreError::TokenExists(name.to_owned());
    }
    StoreError::Config {
        setting: "token_hash",
        problem: format!("another API token has the hash of the one issued for {name:?}: draw a new random token"),
    }
}

/// The details of a `DeliveryReplayed` event.
fn replay_details(delivery: &Delivery, document_moved: bool) -> Value {
    json!({
        "delivery_id": delivery.id,
        "target": delivery.target,
        "previous_attempts": delivery.attempts,
        "previous_error": delivery.last_error,
        "document_moved": document_moved,
    })
}

/// Why a replay finds the document in a state it cannot take back.
fn replay_document_state(delivery: &Delivery, actual: Option<&str>) -> StoreResult<Option<StoreError>> {
    let Some(actual) = actual else { return Ok(Some(StoreError::DocumentNotFound(delivery.document_id))) };
    let actual = Cell::new("documents", delivery.document_id.0, "state").state(actual)?;
    if actual == DocumentState::Approved {
        return Ok(None);
    }
    Ok(Some(StoreError::Conflict { document_id: delivery.document_id, expected: DocumentState::DeadLettered, actual }))
}

/// The details of a `DocumentStateChanged` event.
fn state_change_details(from: DocumentState, to: DocumentState, details: Value) -> Value {
    json!({ "from": from.as_str(), "to": to.as_str(), "details": details })
}

/// Refuses transitions the state machine never allows, before touching the database.
fn check_transition(id: DocumentId, from: DocumentState, to: DocumentState) -> StoreResult<()> {
    if from.is_terminal() {
        return Err(StoreError::Terminal { document_id: id, state: from, to });
    }
    if from == to {
        return Err(StoreError::SameState { document_id: id, state: from });
    }
    Ok(())
}

/// Refuses a change the state machine never allows, before touching the database.
fn check_change(change: &DocumentChange) -> StoreResult<()> {
    check_transition(change.id, change.from, change.to)?;
    if !change.deliveries.is_empty() && change.to != DocumentState::Approved {
        return Err(StoreError::Config {
            setting: "deliveries",
            problem: format!("document {}: deliveries are added only with a move to approved", change.id),
        });
    }
    Ok(())
}

/// A replacement for the wall clock of a store's row and event times.
pub type StoreClock = std::sync::Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The store's own clock for row times (received times come from intake).
fn now() -> DateTime<Utc> {
    to_micros_precision(Utc::now())
}

/// The event `receive` logs: a new document or a repeat of one.
fn receipt_event(received: &Received, sha: &Sha256, duplicate: bool) -> (EventKind, Value) {
    let kind = if duplicate { EventKind::DuplicateReceived } else { EventKind::DocumentReceived };
    let details = json!({
        "source": received.source,
        "file_name": received.file_name,
        "from": received.from,
        "sha256": sha.as_str(),
        "size": received.bytes.len(),
        "received_at": received.received_at,
    });
    (kind, details)
}

/// Why an UPDATE guarded by `state = from` changed nothing.
fn lost_transition(id: DocumentId, expected: DocumentState, actual: Option<&str>) -> StoreResult<StoreError> {
    let Some(actual) = actual else { return Ok(StoreError::DocumentNotFound(id)) };
    let actual = Cell::new("documents", id.0, "state").state(actual)?;
    Ok(StoreError::Conflict { document_id: id, expected, actual })
}

fn lease_end(now: DateTime<Utc>, lease: TimeDelta) -> StoreResult<DateTime<Utc>> {
    let positive = lease > TimeDelta::zero();
    positive
        .then(|| now.checked_add_signed(lease))
        .flatten()
        .ok_or_else(|| StoreError::Config { setting: "lease", problem: format!("{lease} is not a usable lease") })
}

fn closed_delivery(id: DeliveryId, status: Result<Option<String>, sqlx::Error>) -> StoreError {
    match status {
        Err(error) => StoreError::Database(error),
        Ok(None) => StoreError::DeliveryNotFound(id),
        Ok(Some(status)) => StoreError::DeliveryClosed { delivery_id: id, status },
    }
}
