//! SQLite back end: one file in WAL mode, `synchronous=FULL`.
//!
//! Times are INTEGER microseconds since the epoch and json is TEXT. Every
//! write transaction starts with `BEGIN IMMEDIATE`, so two stores (or
//! processes) on one file queue on the write lock (busy timeout) instead of
//! failing when a read lock would have to be upgraded.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, Sqlite, Transaction};

use crate::access::{ApiToken, DocumentSearch, Role, Session, User};
use crate::decode::Cell;
use crate::model::{
    Claimed, Delivery, DeliveryDone, DeliveryFilter, DeliveryId, DeliveryStatus, DocumentChange, DocumentId,
    DocumentRecord, DocumentState, Event, EventId, EventKind, NewDelivery, Receipt, Received, Settled, Sha256,
};
use crate::search::{self, Cursor, SearchPages, SqlFilter};
use crate::{
    Store, StoreClock, StoreError, StoreResult, access_details, all_state_counts, check_change, check_transition,
    closed_delivery, lease_end, lost_transition, migrations, receipt_event, replay_details, replay_document_state,
    state_change_details, token_conflict,
};

/// How long a writer waits for another writer's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
const MAX_CONNECTIONS: u32 = 4;

macro_rules! document_columns {
    () => {
        "id, source, file_name, sender, sha256, received_at, meta, state, claimed_by, lease_until, decision, \
         outcome, updated_at"
    };
}

macro_rules! delivery_columns {
    () => {
        "id, document_id, target, idempotency_key, payload, status, attempts, next_attempt_at, last_error"
    };
}

macro_rules! token_columns {
    () => {
        "id, name, role, token_hash, created_at, revoked_at"
    };
}

/// The store in one SQLite file (or in memory, for tests that need no restart).
#[derive(Clone)]
pub struct SqliteStore {
    /// Readers.
    pool: SqlitePool,
    /// One connection for every write transaction of this process: writers
    /// queue on it in order, instead of meeting at SQLite's file lock, whose
    /// busy handler sleeps (1, 2, 5, ... ms) before each retry.
    writer: SqlitePool,
    path: Option<PathBuf>,
    /// Where row and event times come from; the wall clock unless replaced
    /// ([`SqliteStore::with_clock`]).
    clock: Option<StoreClock>,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.path).finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// The same store, stamping rows and events with `clock` instead of the
    /// wall clock: a replay of history (the demo's three months in seconds)
    /// keeps its own time in the audit trail, so every figure by date holds.
    pub fn with_clock(mut self, clock: StoreClock) -> Self {
        self.clock = Some(clock);
        self
    }

    fn now(&self) -> DateTime<Utc> {
        match &self.clock {
            Some(clock) => crate::to_micros_precision(clock()),
            None => crate::now(),
        }
    }

    /// Opens (creating if missing) the database file and applies pending migrations.
    pub async fn open(path: impl AsRef<Path>) -> StoreResult<Self> {
        let path = path.as_ref().to_path_buf();
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL rather than NORMAL: with WAL, NORMAL can lose the last commits on
            // power loss, and intake acknowledges a document only once it is durable.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new().max_connections(MAX_CONNECTIONS).connect_with(options.clone()).await?;
        migrations::sqlite().run(&pool).await?;
        let writer = SqlitePoolOptions::new().max_connections(1).connect_with(options).await?;
        Ok(Self { pool, writer, path: Some(path), clock: None })
    }

    /// A private in-memory database: gone when the store is dropped.
    pub async fn open_in_memory() -> StoreResult<Self> {
        let options = SqliteConnectOptions::new().in_memory(true).foreign_keys(true);
        // One connection that never closes: every connection to `:memory:` is a database of its own.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        migrations::sqlite().run(&pool).await?;
        Ok(Self { writer: pool.clone(), pool, path: None, clock: None })
    }

    /// Waits for the connections to close (checkpointing the WAL on the last one).
    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }

    async fn write(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }

    async fn set_json(&self, id: DocumentId, actor: &str, column: JsonColumn, value: Value) -> StoreResult<()> {
        let sql = match column {
            JsonColumn::Decision => "UPDATE documents SET decision = ?, updated_at = ? WHERE id = ?",
            JsonColumn::Outcome => "UPDATE documents SET outcome = ?, updated_at = ? WHERE id = ?",
        };
        let at = self.now();
        let mut tx = self.write().await?;
        let changed = sqlx::query(sql)
            .bind(value.to_string())
            .bind(at.timestamp_micros())
            .bind(id.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed == 0 {
            return Err(StoreError::DocumentNotFound(id));
        }
        insert_event(&mut tx, at, Some(id), column.event(), actor, value).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum JsonColumn {
    Decision,
    Outcome,
}

impl JsonColumn {
    fn event(self) -> EventKind {
        match self {
            Self::Decision => EventKind::DecisionRecorded,
            Self::Outcome => EventKind::OutcomeRecorded,
        }
    }
}

impl Store for SqliteStore {
    async fn schema_version(&self) -> StoreResult<i64> {
        let version: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success")
            .fetch_one(&self.pool)
            .await?;
        Ok(version)
    }

    async fn put_blob(&self, bytes: &[u8]) -> StoreResult<Sha256> {
        let sha = Sha256::of(bytes);
        let mut conn = self.writer.acquire().await?;
        insert_blob(&mut conn, &sha, bytes).await?;
        Ok(sha)
    }

    async fn blob(&self, sha256: &Sha256) -> StoreResult<Option<Vec<u8>>> {
        let bytes = sqlx::query_scalar("SELECT bytes FROM blobs WHERE sha256 = ?")
            .bind(sha256.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(bytes)
    }

    async fn receive(&self, received: Received) -> StoreResult<Receipt> {
        let sha = Sha256::of(&received.bytes);
        let at = self.now();
        let mut tx = self.write().await?;
        insert_blob(&mut tx, &sha, &received.bytes).await?;
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO documents (source, file_name, sender, sha256, received_at, meta, state, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, sha256) DO NOTHING RETURNING id",
        )
        .bind(&received.source)
        .bind(&received.file_name)
        .bind(&received.from)
        .bind(sha.as_str())
        .bind(received.received_at.timestamp_micros())
        .bind(received.meta.to_string())
        .bind(DocumentState::Received.as_str())
        .bind(at.timestamp_micros())
        .fetch_optional(&mut *tx)
        .await?;
        let (id, duplicate) = match inserted {
            Some(id) => (id, false),
            None => {
                let existing = sqlx::query_scalar("SELECT id FROM documents WHERE source = ? AND sha256 = ?")
                    .bind(&received.source)
                    .bind(sha.as_str())
                    .fetch_one(&mut *tx)
                    .await?;
                (existing, true)
            }
        };
        let document_id = DocumentId(id);
        let (kind, details) = receipt_event(&received, &sha, duplicate);
        insert_event(&mut tx, at, Some(document_id), kind, &received.source, details).await?;
        tx.commit().await?;
        Ok(Receipt { document_id, sha256: sha, duplicate })
    }

    async fn document(&self, id: DocumentId) -> StoreResult<Option<DocumentRecord>> {
        let row = sqlx::query(concat!("SELECT ", document_columns!(), " FROM documents WHERE id = ?"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(document_from_row).transpose()
    }

    async fn list(&self, state: DocumentState, limit: u32) -> StoreResult<Vec<DocumentRecord>> {
        let rows =
            sqlx::query(concat!("SELECT ", document_columns!(), " FROM documents WHERE state = ? ORDER BY id LIMIT ?"))
                .bind(state.as_str())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(document_from_row).collect()
    }

    async fn transition(
        &self,
        id: DocumentId,
        from: DocumentState,
        to: DocumentState,
        actor: &str,
        details: Value,
    ) -> StoreResult<()> {
        check_transition(id, from, to)?;
        let at = self.now();
        let mut tx = self.write().await?;
        move_document(&mut tx, id, from, to, at).await?;
        let details = state_change_details(from, to, details);
        insert_event(&mut tx, at, Some(id), EventKind::DocumentStateChanged, actor, details).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn record_event(
        &self,
        document_id: Option<DocumentId>,
        kind: EventKind,
        actor: &str,
        details: Value,
    ) -> StoreResult<EventId> {
        let mut tx = self.write().await?;
        let id = insert_event(&mut tx, self.now(), document_id, kind, actor, details).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn events(&self, document_id: DocumentId) -> StoreResult<Vec<Event>> {
        let rows = sqlx::query(
            "SELECT id, at, document_id, kind, actor, details FROM events WHERE document_id = ? ORDER BY id",
        )
        .bind(document_id.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    async fn events_since(&self, after: EventId, limit: u32) -> StoreResult<Vec<Event>> {
        let rows = sqlx::query(
            "SELECT id, at, document_id, kind, actor, details FROM events WHERE id > ? ORDER BY id LIMIT ?",
        )
        .bind(after.0)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    async fn claim(
        &self,
        worker: &str,
        state: DocumentState,
        now: DateTime<Utc>,
        lease: TimeDelta,
    ) -> StoreResult<Option<Claimed>> {
        let until = lease_end(now, lease)?;
        let mut tx = self.write().await?;
        let row = sqlx::query(concat!(
            "UPDATE documents SET claimed_by = ?, lease_until = ? WHERE id = (SELECT id FROM documents \
             WHERE state = ? AND (lease_until IS NULL OR lease_until <= ?) ORDER BY id LIMIT 1) RETURNING ",
            document_columns!()
        ))
        .bind(worker)
        .bind(until.timestamp_micros())
        .bind(state.as_str())
        .bind(now.timestamp_micros())
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        let Some(row) = row else { return Ok(None) };
        let document = document_from_row(&row)?;
        Ok(Some(Claimed { document, worker: worker.to_owned(), lease_until: until }))
    }

    async fn claim_batch(
        &self,
        worker: &str,
        state: DocumentState,
        now: DateTime<Utc>,
        lease: TimeDelta,
        limit: u32,
    ) -> StoreResult<Vec<Claimed>> {
        let until = lease_end(now, lease)?;
        let mut tx = self.write().await?;
        let rows = sqlx::query(concat!(
            "UPDATE documents SET claimed_by = ?, lease_until = ? WHERE id IN (SELECT id FROM documents \
             WHERE state = ? AND (lease_until IS NULL OR lease_until <= ?) ORDER BY id LIMIT ?) RETURNING ",
            document_columns!()
        ))
        .bind(worker)
        .bind(until.timestamp_micros())
        .bind(state.as_str())
        .bind(now.timestamp_micros())
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut claimed = rows
            .iter()
            .map(|row| Ok(Claimed { document: document_from_row(row)?, worker: worker.to_owned(), lease_until: until }))
            .collect::<StoreResult<Vec<Claimed>>>()?;
        // RETURNING gives no order: oldest first, as `claim` takes them.
        claimed.sort_by_key(|claimed| claimed.document.id);
        Ok(claimed)
    }

    async fn apply_changes(&self, changes: Vec<DocumentChange>) -> StoreResult<Vec<StoreResult<u32>>> {
        let at = self.now();
        let mut tx = self.write().await?;
        let mut results = Vec::with_capacity(changes.len());
        for change in changes {
            results.push(apply_change(&mut tx, at, change).await?);
        }
        tx.commit().await?;
        Ok(results)
    }

    async fn record_deliveries(&self, done: Vec<DeliveryDone>, actor: &str) -> StoreResult<Vec<Settled>> {
        let at = self.now();
        let mut tx = self.write().await?;
        let mut documents: Vec<(DocumentId, String)> = Vec::new();
        for delivery in done {
            let row = sqlx::query(
                "UPDATE deliveries SET attempts = attempts + 1, status = ?, delivered_at = ?, last_error = NULL \
                 WHERE id = ? AND status = 'pending' RETURNING document_id, target",
            )
            .bind(DeliveryStatus::Delivered.as_str())
            .bind(at.timestamp_micros())
            .bind(delivery.id.0)
            .fetch_optional(&mut *tx)
            .await?;
            // Not pending: another worker recorded it (the ERP saw it once, by its key).
            let Some(row) = row else { continue };
            let document_id = DocumentId(row.try_get("document_id")?);
            insert_event(&mut tx, at, Some(document_id), EventKind::DeliveryPosted, actor, delivery.details).await?;
            if !documents.iter().any(|(id, _)| *id == document_id) {
                documents.push((document_id, row.try_get("target")?));
            }
        }
        let mut settled = Vec::new();
        for (document_id, target) in documents {
            let (pending, dead): (i64, i64) = sqlx::query_as(
                "SELECT COALESCE(SUM(status = 'pending'), 0), COALESCE(SUM(status = 'dead_lettered'), 0) \
                 FROM deliveries WHERE document_id = ?",
            )
            .bind(document_id.0)
            .fetch_one(&mut *tx)
            .await?;
            if pending > 0 {
                continue;
            }
            let to = if dead > 0 { DocumentState::DeadLettered } else { DocumentState::Posted };
            let moved = sqlx::query(
                "UPDATE documents SET state = ?, claimed_by = NULL, lease_until = NULL, updated_at = ? \
                 WHERE id = ? AND state = ?",
            )
            .bind(to.as_str())
            .bind(at.timestamp_micros())
            .bind(document_id.0)
            .bind(DocumentState::Approved.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if moved == 1 {
                let details = state_change_details(DocumentState::Approved, to, json!({ "target": target }));
                insert_event(&mut tx, at, Some(document_id), EventKind::DocumentStateChanged, actor, details).await?;
                settled.push(Settled { document_id, state: to });
            }
        }
        tx.commit().await?;
        Ok(settled)
    }

    async fn release(&self, id: DocumentId, worker: &str) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let changed =
            sqlx::query("UPDATE documents SET claimed_by = NULL, lease_until = NULL WHERE id = ? AND claimed_by = ?")
                .bind(id.0)
                .bind(worker)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        tx.commit().await?;
        Ok(changed == 1)
    }

    async fn set_decision(&self, id: DocumentId, actor: &str, decision: Value) -> StoreResult<()> {
        self.set_json(id, actor, JsonColumn::Decision, decision).await
    }

    async fn set_outcome(&self, id: DocumentId, actor: &str, outcome: Value) -> StoreResult<()> {
        self.set_json(id, actor, JsonColumn::Outcome, outcome).await
    }

    async fn enqueue_delivery(
        &self,
        document_id: DocumentId,
        target: &str,
        idempotency_key: &str,
        payload: Value,
    ) -> StoreResult<bool> {
        let at = self.now();
        let mut tx = self.write().await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM documents WHERE id = ?")
            .bind(document_id.0)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::DocumentNotFound(document_id));
        }
        let new = insert_delivery(&mut tx, at, document_id, target, idempotency_key, &payload).await?;
        tx.commit().await?;
        Ok(new)
    }

    async fn approve(
        &self,
        id: DocumentId,
        from: DocumentState,
        actor: &str,
        details: Value,
        deliveries: Vec<NewDelivery>,
    ) -> StoreResult<u32> {
        check_transition(id, from, DocumentState::Approved)?;
        let at = self.now();
        let mut tx = self.write().await?;
        move_document(&mut tx, id, from, DocumentState::Approved, at).await?;
        let mut new = 0;
        for delivery in &deliveries {
            if insert_delivery(&mut tx, at, id, &delivery.target, &delivery.idempotency_key, &delivery.payload).await? {
                new += 1;
            }
        }
        let details = state_change_details(from, DocumentState::Approved, details);
        insert_event(&mut tx, at, Some(id), EventKind::DocumentStateChanged, actor, details).await?;
        tx.commit().await?;
        Ok(new)
    }

    async fn due_deliveries(&self, target: &str, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<Delivery>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            delivery_columns!(),
            " FROM deliveries WHERE target = ? AND status = ? AND next_attempt_at <= ? \
             ORDER BY next_attempt_at, id LIMIT ?"
        ))
        .bind(target)
        .bind(DeliveryStatus::Pending.as_str())
        .bind(now.timestamp_micros())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(delivery_from_row).collect()
    }

    async fn claim_deliveries(
        &self,
        target: &str,
        now: DateTime<Utc>,
        lease: TimeDelta,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>> {
        let until = lease_end(now, lease)?;
        let mut tx = self.write().await?;
        let rows = sqlx::query(concat!(
            "SELECT ",
            delivery_columns!(),
            " FROM deliveries WHERE target = ? AND status = ? AND next_attempt_at <= ? \
             ORDER BY next_attempt_at, id LIMIT ?"
        ))
        .bind(target)
        .bind(DeliveryStatus::Pending.as_str())
        .bind(now.timestamp_micros())
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        let mut claimed = rows.iter().map(delivery_from_row).collect::<StoreResult<Vec<_>>>()?;
        for delivery in &mut claimed {
            sqlx::query("UPDATE deliveries SET next_attempt_at = ? WHERE id = ?")
                .bind(until.timestamp_micros())
                .bind(delivery.id.0)
                .execute(&mut *tx)
                .await?;
            delivery.next_attempt_at = until;
        }
        tx.commit().await?;
        Ok(claimed)
    }

    async fn release_deliveries(&self, ids: &[DeliveryId], at: DateTime<Utc>) -> StoreResult<()> {
        let mut tx = self.write().await?;
        for id in ids {
            sqlx::query("UPDATE deliveries SET next_attempt_at = ? WHERE id = ? AND status = 'pending'")
                .bind(at.timestamp_micros())
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn record_attempt(
        &self,
        id: DeliveryId,
        result: Result<(), String>,
        next_attempt_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let at = self.now();
        let mut tx = self.write().await?;
        let query = match &result {
            Ok(()) => sqlx::query(
                "UPDATE deliveries SET attempts = attempts + 1, status = ?, delivered_at = ?, last_error = NULL \
                 WHERE id = ? AND status = 'pending'",
            )
            .bind(DeliveryStatus::Delivered.as_str())
            .bind(at.timestamp_micros()),
            Err(error) => sqlx::query(
                "UPDATE deliveries SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? \
                 WHERE id = ? AND status = 'pending'",
            )
            .bind(error.as_str())
            .bind(next_attempt_at.timestamp_micros()),
        };
        let changed = query.bind(id.0).execute(&mut *tx).await?.rows_affected();
        if changed == 0 {
            return Err(delivery_not_pending(&mut tx, id).await);
        }
        tx.commit().await?;
        Ok(())
    }

    async fn dead_letter(&self, id: DeliveryId, error: &str) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let row = sqlx::query(
            "UPDATE deliveries SET status = ?, last_error = ? WHERE id = ? AND status = 'pending' \
             RETURNING document_id, target",
        )
        .bind(DeliveryStatus::DeadLettered.as_str())
        .bind(error)
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Err(delivery_not_pending(&mut tx, id).await);
        };
        let document_id: i64 = row.try_get("document_id")?;
        let target: String = row.try_get("target")?;
        let details = json!({ "delivery_id": id.0, "target": target, "error": error });
        insert_event(
            &mut tx,
            self.now(),
            Some(DocumentId(document_id)),
            EventKind::DeliveryDeadLettered,
            "outbox",
            details,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
    async fn delivery(&self, id: DeliveryId) -> StoreResult<Option<Delivery>> {
        let row = sqlx::query(concat!("SELECT ", delivery_columns!(), " FROM deliveries WHERE id = ?"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(delivery_from_row).transpose()
    }

    async fn deliveries(&self, filter: &DeliveryFilter, limit: u32) -> StoreResult<Vec<Delivery>> {
        // NULL parameters match every row, so one statement serves every filter.
        let rows = sqlx::query(concat!(
            "SELECT ",
            delivery_columns!(),
            " FROM deliveries WHERE (?1 IS NULL OR target = ?1) AND (?2 IS NULL OR status = ?2) \
             AND (?3 IS NULL OR document_id = ?3) ORDER BY id LIMIT ?4"
        ))
        .bind(filter.target.as_deref())
        .bind(filter.status.map(DeliveryStatus::as_str))
        .bind(filter.document_id.map(|id| id.0))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(delivery_from_row).collect()
    }

    async fn retry_delivery_now(&self, id: DeliveryId, now: DateTime<Utc>, actor: &str) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let row = sqlx::query(
            "UPDATE deliveries SET next_attempt_at = ? WHERE id = ? AND status = 'pending' \
             RETURNING document_id, target",
        )
        .bind(now.timestamp_micros())
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Err(delivery_not_pending(&mut tx, id).await);
        };
        let document_id: i64 = row.try_get("document_id")?;
        let target: String = row.try_get("target")?;
        let details = json!({ "delivery_id": id.0, "target": target, "due_at": now });
        insert_event(&mut tx, self.now(), Some(DocumentId(document_id)), EventKind::DeliveryRetried, actor, details)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn replay_delivery(&self, id: DeliveryId, actor: &str) -> StoreResult<()> {
        let at = self.now();
        let mut tx = self.write().await?;
        let row = sqlx::query(concat!("SELECT ", delivery_columns!(), " FROM deliveries WHERE id = ?"))
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(delivery) = row.as_ref().map(delivery_from_row).transpose()? else {
            return Err(StoreError::DeliveryNotFound(id));
        };
        if delivery.status != DeliveryStatus::DeadLettered {
            return Err(StoreError::DeliveryNotDeadLettered { delivery_id: id, status: delivery.status.to_string() });
        }
        sqlx::query(
            "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, last_error = NULL \
             WHERE id = ?",
        )
        .bind(at.timestamp_micros())
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
        let moved = sqlx::query(
            "UPDATE documents SET state = ?, claimed_by = NULL, lease_until = NULL, updated_at = ? \
             WHERE id = ? AND state = ?",
        )
        .bind(DocumentState::Approved.as_str())
        .bind(at.timestamp_micros())
        .bind(delivery.document_id.0)
        .bind(DocumentState::DeadLettered.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !moved {
            let actual: Option<String> = sqlx::query_scalar("SELECT state FROM documents WHERE id = ?")
                .bind(delivery.document_id.0)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(error) = replay_document_state(&delivery, actual.as_deref())? {
                return Err(error);
            }
        }
        let document_id = Some(delivery.document_id);
        insert_event(&mut tx, at, document_id, EventKind::DeliveryReplayed, actor, replay_details(&delivery, moved))
            .await?;
        if moved {
            let details = state_change_details(
                DocumentState::DeadLettered,
                DocumentState::Approved,
                json!({ "delivery_id": id.0, "replay": true }),
            );
            insert_event(&mut tx, at, document_id, EventKind::DocumentStateChanged, actor, details).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn count_by_state(&self) -> StoreResult<Vec<(DocumentState, u64)>> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT state, COUNT(*) FROM documents GROUP BY state").fetch_all(&self.pool).await?;
        all_state_counts(rows)
    }

    async fn load_memory(&self, workflow: &str) -> StoreResult<Option<(i64, Value)>> {
        let row: Option<(i64, String)> = sqlx::query_as("SELECT version, memory FROM memories WHERE workflow = ?")
            .bind(workflow)
            .fetch_optional(&self.pool)
            .await?;
        let Some((version, text)) = row else { return Ok(None) };
        Ok(Some((version, json_text(Cell::new("memories", version, "memory"), &text)?)))
    }

    async fn save_memory(&self, workflow: &str, expected_version: i64, memory: Value) -> StoreResult<bool> {
        let at = self.now().timestamp_micros();
        let mut tx = self.write().await?;
        let changed = if expected_version == 0 {
            sqlx::query(
                "INSERT INTO memories (workflow, version, memory, updated_at) VALUES (?, 1, ?, ?) \
                 ON CONFLICT (workflow) DO NOTHING",
            )
            .bind(workflow)
            .bind(memory.to_string())
            .bind(at)
            .execute(&mut *tx)
            .await?
        } else {
            sqlx::query(
                "UPDATE memories SET version = version + 1, memory = ?, updated_at = ? \
                 WHERE workflow = ? AND version = ?",
            )
            .bind(memory.to_string())
            .bind(at)
            .bind(workflow)
            .bind(expected_version)
            .execute(&mut *tx)
            .await?
        };
        tx.commit().await?;
        Ok(changed.rows_affected() == 1)
    }

    async fn add_user(&self, user: &User, actor: &str) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let added = sqlx::query(
            "INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(&user.name)
        .bind(user.role.as_str())
        .bind(&user.password_hash)
        .bind(user.created_at.timestamp_micros())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if added == 0 {
            return Err(StoreError::UserExists(user.name.clone()));
        }
        let details = access_details(&user.name, user.role);
        insert_event(&mut tx, self.now(), None, EventKind::UserAdded, actor, details).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_password(&self, name: &str, password_hash: &str, actor: &str) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let role: Option<String> =
            sqlx::query_scalar("UPDATE users SET password_hash = ? WHERE name = ? RETURNING role")
                .bind(password_hash)
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(role) = role else { return Err(StoreError::UserNotFound(name.to_owned())) };
        let role = Cell::new("users", 0, "role").role_of(name, &role)?;
        sqlx::query("DELETE FROM sessions WHERE user_name = ?").bind(name).execute(&mut *tx).await?;
        insert_event(&mut tx, self.now(), None, EventKind::UserPasswordChanged, actor, access_details(name, role))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn user(&self, name: &str) -> StoreResult<Option<User>> {
        let row = sqlx::query("SELECT name, role, password_hash, created_at FROM users WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn users(&self) -> StoreResult<Vec<User>> {
        let rows = sqlx::query("SELECT name, role, password_hash, created_at FROM users ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn create_session(&self, session: &Session) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM sessions WHERE expires_at <= ?")
            .bind(session.created_at.timestamp_micros())
            .execute(&mut *tx)
            .await?;
        let added = sqlx::query(
            "INSERT INTO sessions (token_hash, user_name, role, csrf, created_at, expires_at) \
             SELECT ?, name, role, ?, ?, ? FROM users WHERE name = ?",
        )
        .bind(&session.token_hash)
        .bind(&session.csrf)
        .bind(session.created_at.timestamp_micros())
        .bind(session.expires_at.timestamp_micros())
        .bind(&session.user)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if added == 0 {
            return Err(StoreError::UserNotFound(session.user.clone()));
        }
        tx.commit().await?;
        Ok(())
    }

    async fn session(&self, token_hash: &str, now: DateTime<Utc>) -> StoreResult<Option<Session>> {
        let row = sqlx::query(
            "SELECT token_hash, user_name, role, csrf, created_at, expires_at FROM sessions \
             WHERE token_hash = ? AND expires_at > ?",
        )
        .bind(token_hash)
        .bind(now.timestamp_micros())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(session_from_row).transpose()
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?").bind(token_hash).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn add_api_token(&self, name: &str, role: Role, token_hash: &str, actor: &str) -> StoreResult<ApiToken> {
        let at = self.now();
        let mut tx = self.write().await?;
        // No conflict target: either the hash or the one unrevoked token per name may be taken.
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO api_tokens (name, role, token_hash, created_at) VALUES (?, ?, ?, ?) \
             ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(name)
        .bind(role.as_str())
        .bind(token_hash)
        .bind(at.timestamp_micros())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else {
            let taken: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM api_tokens WHERE name = ? AND revoked_at IS NULL)")
                    .bind(name)
                    .fetch_one(&mut *tx)
                    .await?;
            return Err(token_conflict(name, taken));
        };
        insert_event(&mut tx, at, None, EventKind::ApiTokenAdded, actor, access_details(name, role)).await?;
        tx.commit().await?;
        let token_hash = token_hash.to_owned();
        Ok(ApiToken { id, name: name.to_owned(), role, token_hash, created_at: at, revoked_at: None })
    }

    async fn api_token(&self, token_hash: &str) -> StoreResult<Option<ApiToken>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            token_columns!(),
            " FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(token_from_row).transpose()
    }

    async fn api_tokens(&self) -> StoreResult<Vec<ApiToken>> {
        let rows = sqlx::query(concat!("SELECT ", token_columns!(), " FROM api_tokens ORDER BY id"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(token_from_row).collect()
    }

    async fn revoke_api_token(&self, name: &str, actor: &str) -> StoreResult<bool> {
        let at = self.now();
        let mut tx = self.write().await?;
        let row: Option<(i64, String)> = sqlx::query_as(
            "UPDATE api_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL RETURNING id, role",
        )
        .bind(at.timestamp_micros())
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((id, role)) = row else { return Ok(false) };
        let role = Cell::new("api_tokens", id, "role").role(&role)?;
        insert_event(&mut tx, at, None, EventKind::ApiTokenRevoked, actor, access_details(name, role)).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn search_documents(&self, search: &DocumentSearch, limit: u32) -> StoreResult<Vec<DocumentRecord>> {
        search::search(self, search, limit).await
    }
}

impl SearchPages for SqliteStore {
    async fn search_page(
        &self,
        filter: &SqlFilter,
        after: Option<Cursor>,
        size: u32,
    ) -> StoreResult<Vec<DocumentRecord>> {
        // `fullkey` keeps json_extract on the decision itself, whatever the
        // array holds (json_extract on a bare string element would fail).
        let rows = sqlx::query(concat!(
            "SELECT ",
            document_columns!(),
            " FROM documents WHERE (?1 IS NULL OR json_extract(meta, '$.workflow') = ?1) \
             AND (?2 IS NULL OR state = ?2) AND (?3 IS NULL OR received_at >= ?3) \
             AND (?4 IS NULL OR received_at < ?4) \
             AND (?5 IS NULL OR sender LIKE ?5 ESCAPE '\\' OR EXISTS (SELECT 1 FROM \
             json_each(documents.decision, '$.orders') AS o \
             WHERE json_extract(documents.decision, o.fullkey || '.order.customer_id') LIKE ?5 ESCAPE '\\')) \
             AND (?6 IS NULL OR file_name LIKE ?6 ESCAPE '\\' OR EXISTS (SELECT 1 FROM \
             json_each(documents.decision, '$.orders') AS o \
             WHERE json_extract(documents.decision, o.fullkey || '.order.customer_po') LIKE ?6 ESCAPE '\\')) \
             AND (?7 IS NULL OR received_at < ?7 OR (received_at = ?7 AND id < ?8)) \
             ORDER BY received_at DESC, id DESC LIMIT ?9"
        ))
        .bind(filter.workflow.as_deref())
        .bind(filter.state)
        .bind(filter.received_from.map(|at| at.timestamp_micros()))
        .bind(filter.received_before.map(|at| at.timestamp_micros()))
        .bind(filter.customer.as_deref())
        .bind(filter.po.as_deref())
        .bind(after.map(|cursor| cursor.received_at.timestamp_micros()))
        .bind(after.map(|cursor| cursor.id.0))
        .bind(i64::from(size))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(document_from_row).collect()
    }
}

/// One change of `apply_changes`, inside its transaction: `Ok(Err(..))` when
/// this change loses its compare-and-set (nothing of it is stored).
async fn apply_change(
    conn: &mut SqliteConnection,
    at: DateTime<Utc>,
    change: DocumentChange,
) -> StoreResult<StoreResult<u32>> {
    if let Err(error) = check_change(&change) {
        return Ok(Err(error));
    }
    let DocumentChange { id, from, to, actor, details, outcome, decision, deliveries } = change;
    let changed = sqlx::query(
        "UPDATE documents SET state = ?, claimed_by = NULL, lease_until = NULL, updated_at = ?, \
         outcome = COALESCE(?, outcome), decision = COALESCE(?, decision) WHERE id = ? AND state = ?",
    )
    .bind(to.as_str())
    .bind(at.timestamp_micros())
    .bind(outcome.as_ref().map(Value::to_string))
    .bind(decision.as_ref().map(Value::to_string))
    .bind(id.0)
    .bind(from.as_str())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if changed == 0 {
        let actual: Option<String> = sqlx::query_scalar("SELECT state FROM documents WHERE id = ?")
            .bind(id.0)
            .fetch_optional(&mut *conn)
            .await?;
        return Ok(Err(lost_transition(id, from, actual.as_deref())?));
    }
    if let Some(outcome) = outcome {
        insert_event(conn, at, Some(id), EventKind::OutcomeRecorded, &actor, outcome).await?;
    }
    if let Some(decision) = decision {
        insert_event(conn, at, Some(id), EventKind::DecisionRecorded, &actor, decision).await?;
    }
    let mut new = 0;
    for delivery in &deliveries {
        if insert_delivery(conn, at, id, &delivery.target, &delivery.idempotency_key, &delivery.payload).await? {
            new += 1;
        }
    }
    let details = state_change_details(from, to, details);
    insert_event(conn, at, Some(id), EventKind::DocumentStateChanged, &actor, details).await?;
    Ok(Ok(new))
}

/// Adds one pending delivery with its `DeliveryEnqueued` event; false when
/// the target already has the key.
/// The compare-and-set move of one document from `from` to `to`, claim
/// cleared; `Conflict` (or `DocumentNotFound`) when it is no longer in `from`.
async fn move_document(
    conn: &mut SqliteConnection,
    id: DocumentId,
    from: DocumentState,
    to: DocumentState,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let changed = sqlx::query(
        "UPDATE documents SET state = ?, claimed_by = NULL, lease_until = NULL, updated_at = ? \
         WHERE id = ? AND state = ?",
    )
    .bind(to.as_str())
    .bind(at.timestamp_micros())
    .bind(id.0)
    .bind(from.as_str())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if changed == 0 {
        let actual: Option<String> = sqlx::query_scalar("SELECT state FROM documents WHERE id = ?")
            .bind(id.0)
            .fetch_optional(&mut *conn)
            .await?;
        return Err(lost_transition(id, from, actual.as_deref())?);
    }
    Ok(())
}

async fn insert_delivery(
    conn: &mut SqliteConnection,
    at: DateTime<Utc>,
    document_id: DocumentId,
    target: &str,
    idempotency_key: &str,
    payload: &Value,
) -> StoreResult<bool> {
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO deliveries (document_id, target, idempotency_key, payload, status, next_attempt_at, \
             created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (target, idempotency_key) DO NOTHING RETURNING id",
    )
    .bind(document_id.0)
    .bind(target)
    .bind(idempotency_key)
    .bind(payload.to_string())
    .bind(DeliveryStatus::Pending.as_str())
    .bind(at.timestamp_micros())
    .bind(at.timestamp_micros())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(delivery_id) = inserted else { return Ok(false) };
    let details = json!({ "delivery_id": delivery_id, "target": target, "idempotency_key": idempotency_key });
    insert_event(conn, at, Some(document_id), EventKind::DeliveryEnqueued, "outbox", details).await?;
    Ok(true)
}

async fn insert_blob(conn: &mut SqliteConnection, sha: &Sha256, bytes: &[u8]) -> StoreResult<()> {
    sqlx::query("INSERT INTO blobs (sha256, size, bytes) VALUES (?, ?, ?) ON CONFLICT (sha256) DO NOTHING")
        .bind(sha.as_str())
        .bind(i64::try_from(bytes.len()).unwrap_or(i64::MAX))
        .bind(bytes)
        .execute(conn)
        .await?;
    Ok(())
}

async fn insert_event(
    conn: &mut SqliteConnection,
    at: DateTime<Utc>,
    document_id: Option<DocumentId>,
    kind: EventKind,
    actor: &str,
    details: Value,
) -> StoreResult<EventId> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO events (at, document_id, kind, actor, details) VALUES (?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(at.timestamp_micros())
    .bind(document_id.map(|id| id.0))
    .bind(kind.as_str())
    .bind(actor)
    .bind(details.to_string())
    .fetch_one(conn)
    .await?;
    Ok(EventId(id))
}

async fn delivery_not_pending(conn: &mut SqliteConnection, id: DeliveryId) -> StoreError {
    let status: Result<Option<String>, sqlx::Error> =
        sqlx::query_scalar("SELECT status FROM deliveries WHERE id = ?").bind(id.0).fetch_optional(conn).await;
    closed_delivery(id, status)
}

fn time(cell: Cell, micros: i64) -> StoreResult<DateTime<Utc>> {
    DateTime::from_timestamp_micros(micros).ok_or_else(|| cell.corrupt(format!("{micros} µs is out of range")))
}

fn json_text(cell: Cell, text: &str) -> StoreResult<Value> {
    serde_json::from_str(text).map_err(|error| cell.corrupt(format!("not json: {error}")))
}

fn document_from_row(row: &SqliteRow) -> StoreResult<DocumentRecord> {
    let id: i64 = row.try_get("id")?;
    let cell = |column| Cell::new("documents", id, column);
    let lease_until: Option<i64> = row.try_get("lease_until")?;
    let decision: Option<String> = row.try_get("decision")?;
    let outcome: Option<String> = row.try_get("outcome")?;
    Ok(DocumentRecord {
        id: DocumentId(id),
        source: row.try_get("source")?,
        file_name: row.try_get("file_name")?,
        from: row.try_get("sender")?,
        sha256: cell("sha256").sha256(row.try_get("sha256")?)?,
        received_at: time(cell("received_at"), row.try_get("received_at")?)?,
        meta: json_text(cell("meta"), row.try_get("meta")?)?,
        state: cell("state").state(row.try_get("state")?)?,
        claimed_by: row.try_get("claimed_by")?,
        lease_until: lease_until.map(|micros| time(cell("lease_until"), micros)).transpose()?,
        decision: decision.map(|text| json_text(cell("decision"), &text)).transpose()?,
        outcome: outcome.map(|text| json_text(cell("outcome"), &text)).transpose()?,
        updated_at: time(cell("updated_at"), row.try_get("updated_at")?)?,
    })
}

fn event_from_row(row: &SqliteRow) -> StoreResult<Event> {
    let id: i64 = row.try_get("id")?;
    let cell = |column| Cell::new("events", id, column);
    let document_id: Option<i64> = row.try_get("document_id")?;
    Ok(Event {
        id: EventId(id),
        at: time(cell("at"), row.try_get("at")?)?,
        document_id: document_id.map(DocumentId),
        kind: cell("kind").kind(row.try_get("kind")?)?,
        actor: row.try_get("actor")?,
        details: json_text(cell("details"), row.try_get("details")?)?,
    })
}

fn user_from_row(row: &SqliteRow) -> StoreResult<User> {
    let name: String = row.try_get("name")?;
    let cell = |column| Cell::new("users", 0, column);
    Ok(User {
        role: cell("role").role_of(&name, row.try_get("role")?)?,
        password_hash: row.try_get("password_hash")?,
        created_at: time(cell("created_at"), row.try_get("created_at")?)?,
        name,
    })
}

fn session_from_row(row: &SqliteRow) -> StoreResult<Session> {
    let user: String = row.try_get("user_name")?;
    let cell = |column| Cell::new("sessions", 0, column);
    Ok(Session {
        token_hash: row.try_get("token_hash")?,
        role: cell("role").role_of(&user, row.try_get("role")?)?,
        csrf: row.try_get("csrf")?,
        created_at: time(cell("created_at"), row.try_get("created_at")?)?,
        expires_at: time(cell("expires_at"), row.try_get("expires_at")?)?,
        user,
    })
}

fn token_from_row(row: &SqliteRow) -> StoreResult<ApiToken> {
    let id: i64 = row.try_get("id")?;
    let cell = |column| Cell::new("api_tokens", id, column);
    let revoked_at: Option<i64> = row.try_get("revoked_at")?;
    Ok(ApiToken {
        id,
        name: row.try_get("name")?,
        role: cell("role").role(row.try_get("role")?)?,
        token_hash: row.try_get("token_hash")?,
        created_at: time(cell("created_at"), row.try_get("created_at")?)?,
        revoked_at: revoked_at.map(|micros| time(cell("revoked_at"), micros)).transpose()?,
    })
}

fn delivery_from_row(row: &SqliteRow) -> StoreResult<Delivery> {
    let id: i64 = row.try_get("id")?;
    let cell = |column| Cell::new("deliveries", id, column);
    Ok(Delivery {
        id: DeliveryId(id),
        document_id: DocumentId(row.try_get("document_id")?),
        target: row.try_get("target")?,
        idempotency_key: row.try_get("idempotency_key")?,
        payload: json_text(cell("payload"), row.try_get("payload")?)?,
        status: cell("status").status(row.try_get("status")?)?,
        attempts: row.try_get("attempts")?,
        next_attempt_at: time(cell("next_attempt_at"), row.try_get("next_attempt_at")?)?,
        last_error: row.try_get("last_error")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn events_cannot_be_updated_or_deleted_even_with_raw_sql() -> StoreResult<()> {
        let store = SqliteStore::open_in_memory().await?;
        store.record_event(None, EventKind::ReviewEdited, "bob", json!({})).await?;
        let update = sqlx::query("UPDATE events SET actor = 'mallory'").execute(&store.pool).await;
        let delete = sqlx::query("DELETE FROM events").execute(&store.pool).await;
        for attempt in [update, delete] {
            let Err(error) = attempt else { panic!("the audit trail was changed") };
            assert!(error.to_string().contains("append-only"), "{error}");
        }
        assert_eq!(store.events_since(EventId(0), 10).await?.len(), 1);
        Ok(())
    }
}
