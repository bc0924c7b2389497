//! PostgreSQL back end: several workers on several machines share one database.
//!
//! Claiming uses `SELECT ... FOR UPDATE SKIP LOCKED`, so concurrent workers
//! pass over each other's rows instead of queueing on them. An optional
//! schema (created if missing and put first on every connection's
//! `search_path`) keeps deployments, or parallel test runs, apart.

use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions, PgRow};
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, Connection, Row};

use crate::access::{ApiToken, DocumentSearch, Role, Session, User};
use crate::decode::Cell;
use crate::model::{
    Claimed, Delivery, DeliveryDone, DeliveryFilter, DeliveryId, DeliveryStatus, DocumentChange, DocumentId,
    DocumentRecord, DocumentState, Event, EventId, EventKind, NewDelivery, Receipt, Received, Settled, Sha256,
};
use crate::search::{self, Cursor, SearchPages, SqlFilter};
use crate::{
    Store, StoreError, StoreResult, access_details, all_state_counts, check_change, check_transition, closed_delivery,
    lease_end, lost_transition, migrations, now, receipt_event, replay_details, replay_document_state,
    state_change_details, token_conflict,
};

const DEFAULT_MAX_CONNECTIONS: u32 = 5;

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

/// Where the PostgreSQL store lives. `Debug` never shows the password.
#[derive(Clone)]
pub struct PgConfig {
    /// `postgres://user:password@host:port/database`.
    pub url: String,
    /// A schema of its own (created if missing); `None` uses the server's default `search_path`.
    pub schema: Option<String>,
    pub max_connections: u32,
}

impl PgConfig {
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into(), schema: None, max_connections: DEFAULT_MAX_CONNECTIONS }
    }

    pub fn with_schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }
}

impl fmt::Debug for PgConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgConfig")
            .field("url", &redact_url(&self.url))
            .field("schema", &self.schema)
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

/// The URL with the password (in the user part or a `password=` parameter) replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let mut redacted = url.to_owned();
    let authority_start = url.find("://").map_or(0, |at| at + 3);
    // Up to the query, not the first '/': an unescaped '/' in a password must not hide it.
    let authority_end = url[authority_start..].find('?').map_or(url.len(), |at| authority_start + at);
    if let Some(at) = url[authority_start..authority_end].rfind('@') {
        let user_info = &url[authority_start..authority_start + at];
        if let Some(colon) = user_info.find(':') {
            redacted.replace_range(authority_start + colon + 1..authority_start + at, "***");
        }
    }
    redact_password_parameter(&redacted)
}

fn redact_password_parameter(url: &str) -> String {
    let Some(query_start) = url.find('?') else { return url.to_owned() };
    let (head, query) = url.split_at(query_start + 1);
    let parameters: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{head}{}", parameters.join("&"))
}

/// The store in a PostgreSQL database.
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    config: PgConfig,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore").field("config", &self.config).finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects with the server's default schema and applies pending migrations.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        Self::connect_with(PgConfig::new(url)).await
    }

    /// Connects (creating the configured schema if missing) and applies pending migrations.
    pub async fn connect_with(config: PgConfig) -> StoreResult<Self> {
        let mut options: PgConnectOptions =
            config.url.parse().map_err(|error| StoreError::Config { setting: "url", problem: format!("{error}") })?;
        if let Some(schema) = &config.schema {
            check_schema_name(schema)?;
            create_schema(&options, schema).await?;
            options = options.options([("search_path", schema)]);
        }
        let pool = PgPoolOptions::new().max_connections(config.max_connections).connect_with(options).await?;
        migrations::postgres().run(&pool).await?;
        Ok(Self { pool, config })
    }

    pub fn config(&self) -> &PgConfig {
        &self.config
    }

    /// Drops the configured schema with everything in it: for tests and throwaway setups.
    /// Does nothing without a configured schema, so it never touches shared tables.
    pub async fn drop_own_schema(&self) -> StoreResult<()> {
        let Some(schema) = &self.config.schema else { return Ok(()) };
        check_schema_name(schema)?;
        sqlx::query(AssertSqlSafe(format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))).execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn set_json(&self, id: DocumentId, actor: &str, kind: EventKind, value: Value) -> StoreResult<()> {
        let sql = match kind {
            EventKind::DecisionRecorded => "UPDATE documents SET decision = $1, updated_at = $2 WHERE id = $3",
            _ => "UPDATE documents SET outcome = $1, updated_at = $2 WHERE id = $3",
        };
        let at = now();
        let mut tx = self.pool.begin().await?;
        let changed = sqlx::query(sql).bind(Json(&value)).bind(at).bind(id.0).execute(&mut *tx).await?.rows_affected();
        if changed == 0 {
            return Err(StoreError::DocumentNotFound(id));
        }
        insert_event(&mut tx, at, Some(id), kind, actor, value).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Schema names go into SQL text (DDL takes no parameters), so only plain identifiers pass.
fn check_schema_name(schema: &str) -> StoreResult<()> {
    let mut chars = schema.chars();
    let starts_well = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let plain = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if starts_well && plain && schema.len() <= 63 {
        return Ok(());
    }
    Err(StoreError::Config {
        setting: "schema",
        problem: format!("{schema:?} is not a lowercase identifier of at most 63 characters"),
    })
}

async fn create_schema(options: &PgConnectOptions, schema: &str) -> StoreResult<()> {
    let mut conn = PgConnection::connect_with(options).await?;
    sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))).execute(&mut conn).await?;
    conn.close().await?;
    Ok(())
}

impl Store for PostgresStore {
    async fn schema_version(&self) -> StoreResult<i64> {
        let version: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success")
            .fetch_one(&self.pool)
            .await?;
        Ok(version)
    }

    async fn put_blob(&self, bytes: &[u8]) -> StoreResult<Sha256> {
        let sha = Sha256::of(bytes);
        let mut conn = self.pool.acquire().await?;
        insert_blob(&mut conn, &sha, bytes).await?;
        Ok(sha)
    }

    async fn blob(&self, sha256: &Sha256) -> StoreResult<Option<Vec<u8>>> {
        let bytes = sqlx::query_scalar("SELECT bytes FROM blobs WHERE sha256 = $1")
            .bind(sha256.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(bytes)
    }

    async fn receive(&self, received: Received) -> StoreResult<Receipt> {
        let sha = Sha256::of(&received.bytes);
        let at = now();
        let mut tx = self.pool.begin().await?;
        insert_blob(&mut tx, &sha, &received.bytes).await?;
        // ON CONFLICT waits for a concurrent insert of the same (source, sha256)
        // to commit, after which the SELECT below sees its row.
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO documents (source, file_name, sender, sha256, received_at, meta, state, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (source, sha256) DO NOTHING RETURNING id",
        )
        .bind(&received.source)
        .bind(&received.file_name)
        .bind(&received.from)
        .bind(sha.as_str())
        .bind(received.received_at)
        .bind(Json(&received.meta))
        .bind(DocumentState::Received.as_str())
        .bind(at)
        .fetch_optional(&mut *tx)
        .await?;
        let (id, duplicate) = match inserted {
            Some(id) => (id, false),
            None => {
                let existing = sqlx::query_scalar("SELECT id FROM documents WHERE source = $1 AND sha256 = $2")
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
        let row = sqlx::query(concat!("SELECT ", document_columns!(), " FROM documents WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(document_from_row).transpose()
    }

    async fn list(&self, state: DocumentState, limit: u32) -> StoreResult<Vec<DocumentRecord>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            document_columns!(),
            " FROM documents WHERE state = $1 ORDER BY id LIMIT $2"
        ))
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
        let at = now();
        let mut tx = self.pool.begin().await?;
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
        let mut conn = self.pool.acquire().await?;
        insert_event(&mut conn, now(), document_id, kind, actor, details).await
    }

    async fn events(&self, document_id: DocumentId) -> StoreResult<Vec<Event>> {
        let rows = sqlx::query(
            "SELECT id, at, document_id, kind, actor, details FROM events WHERE document_id = $1 ORDER BY id",
        )
        .bind(document_id.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    async fn events_since(&self, after: EventId, limit: u32) -> StoreResult<Vec<Event>> {
        let rows = sqlx::query(
            "SELECT id, at, document_id, kind, actor, details FROM events WHERE id > $1 ORDER BY id LIMIT $2",
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
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(concat!(
            "UPDATE documents SET claimed_by = $1, lease_until = $2 WHERE id = (SELECT id FROM documents \
             WHERE state = $3 AND (lease_until IS NULL OR lease_until <= $4) ORDER BY id LIMIT 1 \
             FOR UPDATE SKIP LOCKED) RETURNING ",
            document_columns!()
        ))
        .bind(worker)
        .bind(until)
        .bind(state.as_str())
        .bind(now)
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
        let mut tx = self.pool.begin().await?;
        let rows = sqlx::query(concat!(
            "UPDATE documents SET claimed_by = $1, lease_until = $2 WHERE id IN (SELECT id FROM documents \
             WHERE state = $3 AND (lease_until IS NULL OR lease_until <= $4) ORDER BY id LIMIT $5 \
             FOR UPDATE SKIP LOCKED) RETURNING ",
            document_columns!()
        ))
        .bind(worker)
        .bind(until)
        .bind(state.as_str())
        .bind(now)
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
        let at = now();
        let mut tx = self.pool.begin().await?;
        let mut results = Vec::with_capacity(changes.len());
        for change in changes {
            results.push(apply_change(&mut tx, at, change).await?);
        }
        tx.commit().await?;
        Ok(results)
    }

    async fn record_deliveries(&self, done: Vec<DeliveryDone>, actor: &str) -> StoreResult<Vec<Settled>> {
        let at = now();
        let mut tx = self.pool.begin().await?;
        let mut documents: Vec<(DocumentId, String)> = Vec::new();
        for delivery in done {
            let row = sqlx::query(
                "UPDATE deliveries SET attempts = attempts + 1, status = $1, delivered_at = $2, last_error = NULL \
                 WHERE id = $3 AND status = 'pending' RETURNING document_id, target",
            )
            .bind(DeliveryStatus::Delivered.as_str())
            .bind(at)
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
            // Locks the document first, so two workers settling siblings see each other's rows.
            let state: Option<String> = sqlx::query_scalar("SELECT state FROM documents WHERE id = $1 FOR UPDATE")
                .bind(document_id.0)
                .fetch_optional(&mut *tx)
                .await?;
            if state.as_deref() != Some(DocumentState::Approved.as_str()) {
                continue;
            }
            let (pending, dead): (i64, i64) = sqlx::query_as(
                "SELECT COUNT(*) FILTER (WHERE status = 'pending'), COUNT(*) FILTER (WHERE status = 'dead_lettered') \
                 FROM deliveries WHERE document_id = $1",
            )
            .bind(document_id.0)
            .fetch_one(&mut *tx)
            .await?;
            if pending > 0 {
                continue;
            }
            let to = if dead > 0 { DocumentState::DeadLettered } else { DocumentState::Posted };
            sqlx::query(
                "UPDATE documents SET state = $1, claimed_by = NULL, lease_until = NULL, updated_at = $2 WHERE id = $3",
            )
            .bind(to.as_str())
            .bind(at)
            .bind(document_id.0)
            .execute(&mut *tx)
            .await?;
            let details = state_change_details(DocumentState::Approved, to, json!({ "target": target }));
            insert_event(&mut tx, at, Some(document_id), EventKind::DocumentStateChanged, actor, details).await?;
            settled.push(Settled { document_id, state: to });
        }
        tx.commit().await?;
        Ok(settled)
    }

    async fn release(&self, id: DocumentId, worker: &str) -> StoreResult<bool> {
        let changed =
            sqlx::query("UPDATE documents SET claimed_by = NULL, lease_until = NULL WHERE id = $1 AND claimed_by = $2")
                .bind(id.0)
                .bind(worker)
                .execute(&self.pool)
                .await?
                .rows_affected();
        Ok(changed == 1)
    }

    async fn set_decision(&self, id: DocumentId, actor: &str, decision: Value) -> StoreResult<()> {
        self.set_json(id, actor, EventKind::DecisionRecorded, decision).await
    }

    async fn set_outcome(&self, id: DocumentId, actor: &str, outcome: Value) -> StoreResult<()> {
        self.set_json(id, actor, EventKind::OutcomeRecorded, outcome).await
    }

    async fn enqueue_delivery(
        &self,
        document_id: DocumentId,
        target: &str,
        idempotency_key: &str,
        payload: Value,
    ) -> StoreResult<bool> {
        let at = now();
        let mut tx = self.pool.begin().await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM documents WHERE id = $1")
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
        let at = now();
        let mut tx = self.pool.begin().await?;
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
            " FROM deliveries WHERE target = $1 AND status = $2 AND next_attempt_at <= $3 \
             ORDER BY next_attempt_at, id LIMIT $4"
        ))
        .bind(target)
        .bind(DeliveryStatus::Pending.as_str())
        .bind(now)
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
        let mut tx = self.pool.begin().await?;
        let rows = sqlx::query(concat!(
            "SELECT ",
            delivery_columns!(),
            " FROM deliveries WHERE target = $1 AND status = $2 AND next_attempt_at <= $3 \
             ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED"
        ))
        .bind(target)
        .bind(DeliveryStatus::Pending.as_str())
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        let mut claimed = rows.iter().map(delivery_from_row).collect::<StoreResult<Vec<_>>>()?;
        let ids: Vec<i64> = claimed.iter().map(|delivery| delivery.id.0).collect();
        sqlx::query("UPDATE deliveries SET next_attempt_at = $1 WHERE id = ANY($2)")
            .bind(until)
            .bind(ids)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        for delivery in &mut claimed {
            delivery.next_attempt_at = until;
        }
        Ok(claimed)
    }

    async fn release_deliveries(&self, ids: &[DeliveryId], at: DateTime<Utc>) -> StoreResult<()> {
        let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
        sqlx::query("UPDATE deliveries SET next_attempt_at = $1 WHERE id = ANY($2) AND status = 'pending'")
            .bind(at)
            .bind(ids)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn record_attempt(
        &self,
        id: DeliveryId,
        result: Result<(), String>,
        next_attempt_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let query = match &result {
            Ok(()) => sqlx::query(
                "UPDATE deliveries SET attempts = attempts + 1, status = $1, delivered_at = $2, last_error = NULL \
                 WHERE id = $3 AND status = 'pending'",
            )
            .bind(DeliveryStatus::Delivered.as_str())
            .bind(now()),
            Err(error) => sqlx::query(
                "UPDATE deliveries SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 \
                 WHERE id = $3 AND status = 'pending'",
            )
            .bind(error.as_str())
            .bind(next_attempt_at),
        };
        let changed = query.bind(id.0).execute(&self.pool).await?.rows_affected();
        if changed == 0 {
            let mut conn = self.pool.acquire().await?;
            return Err(delivery_not_pending(&mut conn, id).await);
        }
        Ok(())
    }

    async fn dead_letter(&self, id: DeliveryId, error: &str) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "UPDATE deliveries SET status = $1, last_error = $2 WHERE id = $3 AND status = 'pending' \
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
        insert_event(&mut tx, now(), Some(DocumentId(document_id)), EventKind::DeliveryDeadLettered, "outbox", details)
            .await?;
        tx.commit().await?;
        Ok(())
    }
    async fn delivery(&self, id: DeliveryId) -> StoreResult<Option<Delivery>> {
        let row = sqlx::query(concat!("SELECT ", delivery_columns!(), " FROM deliveries WHERE id = $1"))
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
            " FROM deliveries WHERE ($1::TEXT IS NULL OR target = $1) AND ($2::TEXT IS NULL OR status = $2) \
             AND ($3::BIGINT IS NULL OR document_id = $3) ORDER BY id LIMIT $4"
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
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "UPDATE deliveries SET next_attempt_at = $1 WHERE id = $2 AND status = 'pending' \
             RETURNING document_id, target",
        )
        .bind(now)
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Err(delivery_not_pending(&mut tx, id).await);
        };
        let document_id: i64 = row.try_get("document_id")?;
        let target: String = row.try_get("target")?;
        let details = json!({ "delivery_id": id.0, "target": target, "due_at": now });
        insert_event(&mut tx, crate::now(), Some(DocumentId(document_id)), EventKind::DeliveryRetried, actor, details)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn replay_delivery(&self, id: DeliveryId, actor: &str) -> StoreResult<()> {
        let at = now();
        let mut tx = self.pool.begin().await?;
        // Row locks in the same order as `transition` users take them never deadlock with it:
        // the delivery first, then its document.
        let row = sqlx::query(concat!("SELECT ", delivery_columns!(), " FROM deliveries WHERE id = $1 FOR UPDATE"))
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
            "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = $1, last_error = NULL \
             WHERE id = $2",
        )
        .bind(at)
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
        let moved = sqlx::query(
            "UPDATE documents SET state = $1, claimed_by = NULL, lease_until = NULL, updated_at = $2 \
             WHERE id = $3 AND state = $4",
        )
        .bind(DocumentState::Approved.as_str())
        .bind(at)
        .bind(delivery.document_id.0)
        .bind(DocumentState::DeadLettered.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !moved {
            let actual: Option<String> = sqlx::query_scalar("SELECT state FROM documents WHERE id = $1")
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
        let row: Option<(i64, Json<Value>)> =
            sqlx::query_as("SELECT version, memory FROM memories WHERE workflow = $1")
                .bind(workflow)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(version, memory)| (version, memory.0)))
    }

    async fn save_memory(&self, workflow: &str, expected_version: i64, memory: Value) -> StoreResult<bool> {
        let at = now();
        let changed = if expected_version == 0 {
            sqlx::query(
                "INSERT INTO memories (workflow, version, memory, updated_at) VALUES ($1, 1, $2, $3) \
                 ON CONFLICT (workflow) DO NOTHING",
            )
            .bind(workflow)
            .bind(Json(&memory))
            .bind(at)
            .execute(&self.pool)
            .await?
        } else {
            sqlx::query(
                "UPDATE memories SET version = version + 1, memory = $1, updated_at = $2 \
                 WHERE workflow = $3 AND version = $4",
            )
            .bind(Json(&memory))
            .bind(at)
            .bind(workflow)
            .bind(expected_version)
            .execute(&self.pool)
            .await?
        };
        Ok(changed.rows_affected() == 1)
    }

    async fn add_user(&self, user: &User, actor: &str) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        let added = sqlx::query(
            "INSERT INTO users (name, role, password_hash, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(&user.name)
        .bind(user.role.as_str())
        .bind(&user.password_hash)
        .bind(user.created_at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if added == 0 {
            return Err(StoreError::UserExists(user.name.clone()));
        }
        let details = access_details(&user.name, user.role);
        insert_event(&mut tx, now(), None, EventKind::UserAdded, actor, details).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_password(&self, name: &str, password_hash: &str, actor: &str) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        let role: Option<String> =
            sqlx::query_scalar("UPDATE users SET password_hash = $1 WHERE name = $2 RETURNING role")
                .bind(password_hash)
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(role) = role else { return Err(StoreError::UserNotFound(name.to_owned())) };
        let role = Cell::new("users", 0, "role").role_of(name, &role)?;
        sqlx::query("DELETE FROM sessions WHERE user_name = $1").bind(name).execute(&mut *tx).await?;
        insert_event(&mut tx, now(), None, EventKind::UserPasswordChanged, actor, access_details(name, role)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn user(&self, name: &str) -> StoreResult<Option<User>> {
        let row = sqlx::query("SELECT name, role, password_hash, created_at FROM users WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn users(&self) -> StoreResult<Vec<User>> {
        // Byte order, as SQLite sorts: the server's collation would sort names differently per locale.
        let rows = sqlx::query("SELECT name, role, password_hash, created_at FROM users ORDER BY name COLLATE \"C\"")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn create_session(&self, session: &Session) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(session.created_at).execute(&mut *tx).await?;
        let added = sqlx::query(
            "INSERT INTO sessions (token_hash, user_name, role, csrf, created_at, expires_at) \
             SELECT $1, name, role, $2, $3, $4 FROM users WHERE name = $5",
        )
        .bind(&session.token_hash)
        .bind(&session.csrf)
        .bind(session.created_at)
        .bind(session.expires_at)
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
             WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(session_from_row).transpose()
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
        Ok(())
    }

    async fn add_api_token(&self, name: &str, role: Role, token_hash: &str, actor: &str) -> StoreResult<ApiToken> {
        let at = now();
        let mut tx = self.pool.begin().await?;
        // No conflict target: either the hash or the one unrevoked token per name may be taken.
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO api_tokens (name, role, token_hash, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(name)
        .bind(role.as_str())
        .bind(token_hash)
        .bind(at)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(id) = id else {
            let taken: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM api_tokens WHERE name = $1 AND revoked_at IS NULL)")
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
            " FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL"
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
        let at = now();
        let mut tx = self.pool.begin().await?;
        let row: Option<(i64, String)> = sqlx::query_as(
            "UPDATE api_tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL RETURNING id, role",
        )
        .bind(at)
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

impl SearchPages for PostgresStore {
    async fn search_page(
        &self,
        filter: &SqlFilter,
        after: Option<Cursor>,
        size: u32,
    ) -> StoreResult<Vec<DocumentRecord>> {
        // Lax jsonpath: a decision without orders, or with something else
        // there, yields nothing instead of failing the query.
        let rows = sqlx::query(concat!(
            "SELECT ",
            document_columns!(),
            " FROM documents WHERE ($1::TEXT IS NULL OR meta->>'workflow' = $1) \
             AND ($2::TEXT IS NULL OR state = $2) AND ($3::TIMESTAMPTZ IS NULL OR received_at >= $3) \
             AND ($4::TIMESTAMPTZ IS NULL OR received_at < $4) \
             AND ($5::TEXT IS NULL OR sender ILIKE $5 ESCAPE '\\' \
             OR EXISTS (SELECT 1 FROM jsonb_path_query(decision, '$.orders[*].order.customer_id') AS v(id) \
             WHERE v.id #>> '{}' ILIKE $5 ESCAPE '\\')) \
             AND ($6::TEXT IS NULL OR file_name ILIKE $6 ESCAPE '\\' \
             OR EXISTS (SELECT 1 FROM jsonb_path_query(decision, '$.orders[*].order.customer_po') AS v(po) \
             WHERE v.po #>> '{}' ILIKE $6 ESCAPE '\\')) \
             AND ($7::TIMESTAMPTZ IS NULL OR received_at < $7 OR (received_at = $7 AND id < $8::BIGINT)) \
             ORDER BY received_at DESC, id DESC LIMIT $9"
        ))
        .bind(filter.workflow.as_deref())
        .bind(filter.state)
        .bind(filter.received_from)
        .bind(filter.received_before)
        .bind(filter.customer.as_deref())
        .bind(filter.po.as_deref())
        .bind(after.map(|cursor| cursor.received_at))
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
    conn: &mut PgConnection,
    at: DateTime<Utc>,
    change: DocumentChange,
) -> StoreResult<StoreResult<u32>> {
    if let Err(error) = check_change(&change) {
        return Ok(Err(error));
    }
    let DocumentChange { id, from, to, actor, details, outcome, decision, deliveries } = change;
    let changed = sqlx::query(
        "UPDATE documents SET state = $1, claimed_by = NULL, lease_until = NULL, updated_at = $2, \
         outcome = COALESCE($3, outcome), decision = COALESCE($4, decision) WHERE id = $5 AND state = $6",
    )
    .bind(to.as_str())
    .bind(at)
    .bind(outcome.as_ref().map(Json))
    .bind(decision.as_ref().map(Json))
    .bind(id.0)
    .bind(from.as_str())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if changed == 0 {
        let actual: Option<String> = sqlx::query_scalar("SELECT state FROM documents WHERE id = $1")
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
    conn: &mut PgConnection,
    id: DocumentId,
    from: DocumentState,
    to: DocumentState,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let changed = sqlx::query(
        "UPDATE documents SET state = $1, claimed_by = NULL, lease_until = NULL, updated_at = $2 \
         WHERE id = $3 AND state = $4",
    )
    .bind(to.as_str())
    .bind(at)
    .bind(id.0)
    .bind(from.as_str())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if changed == 0 {
        let actual: Option<String> = sqlx::query_scalar("SELECT state FROM documents WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&mut *conn)
            .await?;
        return Err(lost_transition(id, from, actual.as_deref())?);
    }
    Ok(())
}

async fn insert_delivery(
    conn: &mut PgConnection,
    at: DateTime<Utc>,
    document_id: DocumentId,
    target: &str,
    idempotency_key: &str,
    payload: &Value,
) -> StoreResult<bool> {
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO deliveries (document_id, target, idempotency_key, payload, status, next_attempt_at, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (target, idempotency_key) DO NOTHING \
             RETURNING id",
    )
    .bind(document_id.0)
    .bind(target)
    .bind(idempotency_key)
    .bind(Json(payload))
    .bind(DeliveryStatus::Pending.as_str())
    .bind(at)
    .bind(at)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(delivery_id) = inserted else { return Ok(false) };
    let details = json!({ "delivery_id": delivery_id, "target": target, "idempotency_key": idempotency_key });
    insert_event(conn, at, Some(document_id), EventKind::DeliveryEnqueued, "outbox", details).await?;
    Ok(true)
}

async fn insert_blob(conn: &mut PgConnection, sha: &Sha256, bytes: &[u8]) -> StoreResult<()> {
    sqlx::query("INSERT INTO blobs (sha256, size, bytes) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING")
        .bind(sha.as_str())
        .bind(i64::try_from(bytes.len()).unwrap_or(i64::MAX))
        .bind(bytes)
        .execute(conn)
        .await?;
    Ok(())
}

async fn insert_event(
    conn: &mut PgConnection,
    at: DateTime<Utc>,
    document_id: Option<DocumentId>,
    kind: EventKind,
    actor: &str,
    details: Value,
) -> StoreResult<EventId> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO events (at, document_id, kind, actor, details) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(at)
    .bind(document_id.map(|id| id.0))
    .bind(kind.as_str())
    .bind(actor)
    .bind(Json(&details))
    .fetch_one(conn)
    .await?;
    Ok(EventId(id))
}

async fn delivery_not_pending(conn: &mut PgConnection, id: DeliveryId) -> StoreError {
    let status =
        sqlx::query_scalar("SELECT status FROM deliveries WHERE id = $1").bind(id.0).fetch_optional(conn).await;
    closed_delivery(id, status)
}

fn document_from_row(row: &PgRow) -> StoreResult<DocumentRecord> {
    let id: i64 = row.try_get("id")?;
    let cell = |column| Cell::new("documents", id, column);
    let decision: Option<Json<Value>> = row.try_get("decision")?;
    let outcome: Option<Json<Value>> = row.try_get("outcome")?;
    let meta: Json<Value> = row.try_get("meta")?;
    Ok(DocumentRecord {
        id: DocumentId(id),
        source: row.try_get("source")?,
        file_name: row.try_get("file_name")?,
        from: row.try_get("sender")?,
        sha256: cell("sha256").sha256(row.try_get("sha256")?)?,
        received_at: row.try_get("received_at")?,
        meta: meta.0,
        state: cell("state").state(row.try_get("state")?)?,
        claimed_by: row.try_get("claimed_by")?,
        lease_until: row.try_get("lease_until")?,
        decision: decision.map(|json| json.0),
        outcome: outcome.map(|json| json.0),
        updated_at: row.try_get("updated_at")?,
    })
}

fn event_from_row(row: &PgRow) -> StoreResult<Event> {
    let id: i64 = row.try_get("id")?;
    let document_id: Option<i64> = row.try_get("document_id")?;
    let details: Json<Value> = row.try_get("details")?;
    Ok(Event {
        id: EventId(id),
        at: row.try_get("at")?,
        document_id: document_id.map(DocumentId),
        kind: Cell::new("events", id, "kind").kind(row.try_get("kind")?)?,
        actor: row.try_get("actor")?,
        details: details.0,
    })
}

fn user_from_row(row: &PgRow) -> StoreResult<User> {
    let name: String = row.try_get("name")?;
    Ok(User {
        role: Cell::new("users", 0, "role").role_of(&name, row.try_get("role")?)?,
        password_hash: row.try_get("password_hash")?,
        created_at: row.try_get("created_at")?,
        name,
    })
}

fn session_from_row(row: &PgRow) -> StoreResult<Session> {
    let user: String = row.try_get("user_name")?;
    Ok(Session {
        token_hash: row.try_get("token_hash")?,
        role: Cell::new("sessions", 0, "role").role_of(&user, row.try_get("role")?)?,
        csrf: row.try_get("csrf")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        user,
    })
}

fn token_from_row(row: &PgRow) -> StoreResult<ApiToken> {
    let id: i64 = row.try_get("id")?;
    Ok(ApiToken {
        id,
        name: row.try_get("name")?,
        role: Cell::new("api_tokens", id, "role").role(row.try_get("role")?)?,
        token_hash: row.try_get("token_hash")?,
        created_at: row.try_get("created_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

fn delivery_from_row(row: &PgRow) -> StoreResult<Delivery> {
    let id: i64 = row.try_get("id")?;
    let payload: Json<Value> = row.try_get("payload")?;
    Ok(Delivery {
        id: DeliveryId(id),
        document_id: DocumentId(row.try_get("document_id")?),
        target: row.try_get("target")?,
        idempotency_key: row.try_get("idempotency_key")?,
        payload: payload.0,
        status: Cell::new("deliveries", id, "status").status(row.try_get("status")?)?,
        attempts: row.try_get("attempts")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        last_error: row.try_get("last_error")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_url_hides_the_password_in_user_info_and_parameters() {
        assert_eq!(redact_url("postgres://app:s3cr%40t@db:5432/prod"), "postgres://app:***@db:5432/prod");
        assert_eq!(
            redact_url("postgres://app@db/prod?password=x&sslmode=off"),
            "postgres://app@db/prod?password=***&sslmode=off"
        );
        assert_eq!(redact_url("postgres://postgres@127.0.0.1:5432/test"), "postgres://postgres@127.0.0.1:5432/test");
        assert_eq!(redact_url("postgres://app:pa/ss@db/prod"), "postgres://app:***@db/prod");
        assert_eq!(redact_url("app:pw@db/prod"), "app:***@db/prod");
        assert_eq!(redact_url("postgres:///test"), "postgres:///test");
    }

    #[test]
    fn debug_of_config_never_shows_the_password() {
        let config = PgConfig::new("postgres://app:hunter2@db/prod?password=hunter2").with_schema("tenant_a");
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("tenant_a"), "{shown}");
    }

    #[test]
    fn schema_names_outside_plain_identifiers_are_refused() {
        assert!(check_schema_name("prodline_test_1").is_ok());
        for bad in ["", "1abc", "Upper", "a\"; DROP TABLE x; --", "é", &"a".repeat(64)] {
            assert!(check_schema_name(bad).is_err(), "{bad:?}");
        }
    }
}
