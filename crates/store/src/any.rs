//! One type for "whichever back end the configuration chose": the `Store`
//! trait returns `impl Future`, so it cannot be a `dyn` object.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

use crate::access::{ApiToken, DocumentSearch, Role, Session, User};
use crate::model::{
    Claimed, Delivery, DeliveryDone, DeliveryFilter, DeliveryId, DocumentChange, DocumentId, DocumentRecord,
    DocumentState, Event, EventId, EventKind, NewDelivery, Receipt, Received, Settled, Sha256,
};
use crate::{PostgresStore, SqliteStore, Store, StoreResult};

#[derive(Debug, Clone)]
pub enum AnyStore {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl From<SqliteStore> for AnyStore {
    fn from(store: SqliteStore) -> Self {
        Self::Sqlite(store)
    }
}

impl From<PostgresStore> for AnyStore {
    fn from(store: PostgresStore) -> Self {
        Self::Postgres(store)
    }
}

impl AnyStore {
    pub async fn close(&self) {
        match self {
            Self::Sqlite(store) => store.close().await,
            Self::Postgres(store) => store.close().await,
        }
    }
}

/// Forwards one `Store` method to the back end in use.
macro_rules! forward {
    ($self:ident.$method:ident($($arg:expr),*)) => {
        match $self {
            AnyStore::Sqlite(store) => store.$method($($arg),*).await,
            AnyStore::Postgres(store) => store.$method($($arg),*).await,
        }
    };
}

impl Store for AnyStore {
    async fn schema_version(&self) -> StoreResult<i64> {
        forward!(self.schema_version())
    }

    async fn put_blob(&self, bytes: &[u8]) -> StoreResult<Sha256> {
        forward!(self.put_blob(bytes))
    }

    async fn blob(&self, sha256: &Sha256) -> StoreResult<Option<Vec<u8>>> {
        forward!(self.blob(sha256))
    }

    async fn receive(&self, received: Received) -> StoreResult<Receipt> {
        forward!(self.receive(received))
    }

    async fn document(&self, id: DocumentId) -> StoreResult<Option<DocumentRecord>> {
        forward!(self.document(id))
    }

    async fn list(&self, state: DocumentState, limit: u32) -> StoreResult<Vec<DocumentRecord>> {
        forward!(self.list(state, limit))
    }

    async fn transition(
        &self,
        id: DocumentId,
        from: DocumentState,
        to: DocumentState,
        actor: &str,
        details: Value,
    ) -> StoreResult<()> {
        forward!(self.transition(id, from, to, actor, details))
    }

    async fn record_event(
        &self,
        document_id: Option<DocumentId>,
        kind: EventKind,
        actor: &str,
        details: Value,
    ) -> StoreResult<EventId> {
        forward!(self.record_event(document_id, kind, actor, details))
    }

    async fn events(&self, document_id: DocumentId) -> StoreResult<Vec<Event>> {
        forward!(self.events(document_id))
    }

    async fn events_since(&self, after: EventId, limit: u32) -> StoreResult<Vec<Event>> {
        forward!(self.events_since(after, limit))
    }

    async fn claim(
        &self,
        worker: &str,
        state: DocumentState,
        now: DateTime<Utc>,
        lease: TimeDelta,
    ) -> StoreResult<Option<Claimed>> {
        forward!(self.claim(worker, state, now, lease))
    }

    async fn release(&self, id: DocumentId, worker: &str) -> StoreResult<bool> {
        forward!(self.release(id, worker))
    }

    async fn set_decision(&self, id: DocumentId, actor: &str, decision: Value) -> StoreResult<()> {
        forward!(self.set_decision(id, actor, decision))
    }

    async fn set_outcome(&self, id: DocumentId, actor: &str, outcome: Value) -> StoreResult<()> {
        forward!(self.set_outcome(id, actor, outcome))
    }

    async fn enqueue_delivery(
        &self,
        document_id: DocumentId,
        target: &str,
        idempotency_key: &str,
        payload: Value,
    ) -> StoreResult<bool> {
        forward!(self.enqueue_delivery(document_id, target, idempotency_key, payload))
    }

    async fn approve(
        &self,
        id: DocumentId,
        from: DocumentState,
        actor: &str,
        details: Value,
        deliveries: Vec<NewDelivery>,
    ) -> StoreResult<u32> {
        forward!(self.approve(id, from, actor, details, deliveries))
    }

    async fn due_deliveries(&self, target: &str, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<Delivery>> {
        forward!(self.due_deliveries(target, now, limit))
    }

    async fn claim_deliveries(
        &self,
        target: &str,
        now: DateTime<Utc>,
        lease: TimeDelta,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>> {
        forward!(self.claim_deliveries(target, now, lease, limit))
    }

    async fn release_deliveries(&self, ids: &[DeliveryId], at: DateTime<Utc>) -> StoreResult<()> {
        forward!(self.release_deliveries(ids, at))
    }

    async fn claim_batch(
        &self,
        worker: &str,
        state: DocumentState,
        now: DateTime<Utc>,
        lease: TimeDelta,
        limit: u32,
    ) -> StoreResult<Vec<Claimed>> {
        forward!(self.claim_batch(worker, state, now, lease, limit))
    }

    async fn apply_changes(&self, changes: Vec<DocumentChange>) -> StoreResult<Vec<StoreResult<u32>>> {
        forward!(self.apply_changes(changes))
    }

    async fn record_deliveries(&self, done: Vec<DeliveryDone>, actor: &str) -> StoreResult<Vec<Settled>> {
        forward!(self.record_deliveries(done, actor))
    }

    async fn record_attempt(
        &self,
        id: DeliveryId,
        result: Result<(), String>,
        next_attempt_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        forward!(self.record_attempt(id, result, next_attempt_at))
    }

    async fn dead_letter(&self, id: DeliveryId, error: &str) -> StoreResult<()> {
        forward!(self.dead_letter(id, error))
    }

    async fn delivery(&self, id: DeliveryId) -> StoreResult<Option<Delivery>> {
        forward!(self.delivery(id))
    }

    async fn deliveries(&self, filter: &DeliveryFilter, limit: u32) -> StoreResult<Vec<Delivery>> {
        forward!(self.deliveries(filter, limit))
    }

    async fn retry_delivery_now(&self, id: DeliveryId, now: DateTime<Utc>, actor: &str) -> StoreResult<()> {
        forward!(self.retry_delivery_now(id, now, actor))
    }

    async fn replay_delivery(&self, id: DeliveryId, actor: &str) -> StoreResult<()> {
        forward!(self.replay_delivery(id, actor))
    }

    async fn count_by_state(&self) -> StoreResult<Vec<(DocumentState, u64)>> {
        forward!(self.count_by_state())
    }

    async fn load_memory(&self, workflow: &str) -> StoreResult<Option<(i64, Value)>> {
        forward!(self.load_memory(workflow))
    }

    async fn save_memory(&self, workflow: &str, expected_version: i64, memory: Value) -> StoreResult<bool> {
        forward!(self.save_memory(workflow, expected_version, memory))
    }

    async fn add_user(&self, user: &User, actor: &str) -> StoreResult<()> {
        forward!(self.add_user(user, actor))
    }

    async fn set_password(&self, name: &str, password_hash: &str, actor: &str) -> StoreResult<()> {
        forward!(self.set_password(name, password_hash, actor))
    }

    async fn user(&self, name: &str) -> StoreResult<Option<User>> {
        forward!(self.user(name))
    }

    async fn users(&self) -> StoreResult<Vec<User>> {
        forward!(self.users())
    }

    async fn create_session(&self, session: &Session) -> StoreResult<()> {
        forward!(self.create_session(session))
    }

    async fn session(&self, token_hash: &str, now: DateTime<Utc>) -> StoreResult<Option<Session>> {
        forward!(self.session(token_hash, now))
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        forward!(self.delete_session(token_hash))
    }

    async fn add_api_token(&self, name: &str, role: Role, token_hash: &str, actor: &str) -> StoreResult<ApiToken> {
        forward!(self.add_api_token(name, role, token_hash, actor))
    }

    async fn api_token(&self, token_hash: &str) -> StoreResult<Option<ApiToken>> {
        forward!(self.api_token(token_hash))
    }

    async fn api_tokens(&self) -> StoreResult<Vec<ApiToken>> {
        forward!(self.api_tokens())
    }

    async fn revoke_api_token(&self, name: &str, actor: &str) -> StoreResult<bool> {
        forward!(self.revoke_api_token(name, actor))
    }

    async fn search_documents(&self, search: &DocumentSearch, limit: u32) -> StoreResult<Vec<DocumentRecord>> {
        forward!(self.search_documents(search, limit))
    }
}
