//! `SqlTarget`: posts a canonical order into a legacy ERP's header and line
//! tables, at least once, made idempotent by a delivery record written in
//! the same transaction.

use std::time::Duration;

use prodline_core::CanonicalOrder;
use sqlx::{
    AssertSqlSafe, ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, MySql, Pool, Postgres, Row, Sqlite,
    Type, pool::PoolOptions,
};

use crate::config::{ConfigErrors, HeaderKey, MappingPlan, SqlTargetConfig};
use crate::dialect::Dialect;
use crate::error::{BuildError, DeliveryError, HealthcheckError, MissingObject, classify};
use crate::mapping::{ColumnPlan, RowContext, Source, render_row};

const MAX_CONNECTIONS: u32 = 4;
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// Fits a MariaDB `VARCHAR(191)` primary key under utf8mb4.
const MAX_IDEMPOTENCY_KEY_LEN: usize = 191;
/// PostgreSQL column types bound as text without a cast.
const PG_TEXT_TYPES: &[&str] = &["text", "varchar", "bpchar", "name", "char"];

/// The result of a delivery that went through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Header and lines were inserted now; `erp_key` is the header's key.
    Posted { erp_key: String },
    /// This idempotency key was delivered before; nothing was inserted.
    AlreadyPosted { erp_key: String },
}

/// A built SQL target: a connection pool and statements prepared from the mapping.
pub struct SqlTarget {
    pool: TargetPool,
    plan: MappingPlan,
    statements: Statements,
}

enum TargetPool {
    Sqlite(Pool<Sqlite>),
    Postgres(Pool<Postgres>),
    MySql(Pool<MySql>),
}

/// Runs one generic call against whichever pool the target holds.
macro_rules! on_pool {
    ($pool:expr, $db:ident => $call:expr) => {
        match $pool {
            TargetPool::Sqlite($db) => $call,
            TargetPool::Postgres($db) => $call,
            TargetPool::MySql($db) => $call,
        }
    };
}

impl std::fmt::Debug for SqlTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlTarget").field("plan", &self.plan).finish_non_exhaustive()
    }
}

/// SQL text built once at `build`, from names as the catalog spells them.
#[derive(Debug, Clone)]
struct Statements {
    find_delivery: String,
    record_delivery: String,
    insert_header: String,
    /// MariaDB reads the generated id with a second statement on the same connection.
    read_generated_id: Option<String>,
    insert_line: Option<String>,
    /// Index of the natural key among the header values.
    natural_key_index: Option<usize>,
    /// How a delivery's transaction starts. SQLite: `BEGIN IMMEDIATE`, so
    /// workers in several processes queue on the write lock (busy timeout)
    /// instead of one failing at once when its read lock cannot be upgraded.
    begin: Option<&'static str>,
}

/// A table as the database describes it.
#[derive(Debug, Clone)]
struct TableInfo {
    name: String,
    /// (column name, type name) pairs.
    columns: Vec<(String, String)>,
}

impl TableInfo {
    /// The catalog's entry for a configured column: exact spelling first, then
    /// case-insensitive (PostgreSQL folds unquoted names to lower case).
    fn column(&self, name: &str) -> Option<&(String, String)> {
        self.columns
            .iter()
            .find(|(column, _)| column == name)
            .or_else(|| self.columns.iter().find(|(column, _)| column.eq_ignore_ascii_case(name)))
    }
}

impl SqlTarget {
    /// Validates the config, connects, creates the deliveries table if missing and
    /// prepares the statements; fails naming every missing table or column.
    pub async fn build(config: &SqlTargetConfig) -> Result<SqlTarget, BuildError> {
        let plan = config.plan().map_err(BuildError::Config)?;
        let pool = connect(&plan, config.url.as_str()).await?;
        create_deliveries_table(&pool, &plan).await?;
        let (header, lines) =
            describe(&pool, &plan).await.map_err(|error| BuildError::Unreachable { message: error.to_string() })?;
        let missing = missing_objects(&plan, header.as_ref(), lines.as_ref());
        let (Some(header), Some(lines), true) = (header, lines, missing.is_empty()) else {
            return Err(BuildError::Schema(HealthcheckError::Missing(missing)));
        };
        let statements = prepare(&plan, &header, &lines);
        Ok(SqlTarget { pool, plan, statements })
    }

    /// Checks, without writing, that every mapped table and column still exists.
    pub async fn healthcheck(&self) -> Result<(), HealthcheckError> {
        let (header, lines) = describe(&self.pool, &self.plan)
            .await
            .map_err(|error| HealthcheckError::Unreachable { message: error.to_string() })?;
        let missing = missing_objects(&self.plan, header.as_ref(), lines.as_ref());
        if missing.is_empty() { Ok(()) } else { Err(HealthcheckError::Missing(missing)) }
    }

    /// Inserts the header and its lines in one transaction, with the delivery
    /// record; a key delivered before yields `AlreadyPosted` and inserts nothing.
    pub async fn deliver(&self, order: &CanonicalOrder, idempotency_key: &str) -> Result<Delivery, DeliveryError> {
        if idempotency_key.is_empty() || idempotency_key.len() > MAX_IDEMPOTENCY_KEY_LEN {
            return Err(DeliveryError::InvalidKey { length: idempotency_key.len() });
        }
        let rows = self.render(order, idempotency_key)?;
        let outcome = on_pool!(&self.pool, pool => post(pool, &self.statements, &rows, idempotency_key).await);
        match outcome {
            Err(DeliveryError::Rejected { erp_message, duplicate_delivery: true }) => {
                // A concurrent delivery of the same key committed first.
                let found = on_pool!(&self.pool, pool => fetch(pool, &self.statements.find_delivery, &[Some(idempotency_key.to_owned())]).await)
                    .map_err(classify)?;
                match first_value(found) {
                    Some(erp_key) => Ok(Delivery::AlreadyPosted { erp_key }),
                    None => Err(DeliveryError::Rejected { erp_message, duplicate_delivery: false }),
                }
            }
            other => other,
        }
    }

    /// Several orders in one transaction, each with its own delivery record
    /// (a key delivered before is `AlreadyPosted`): one commit for all, which
    /// is what an ERP on a disk that must sync pays per transaction. All or
    /// nothing: on any error the transaction is rolled back and the error
    /// returned, so the caller can post the orders one by one with
    /// [`SqlTarget::deliver`] to learn which one the ERP refuses.
    pub async fn deliver_batch(&self, orders: &[(&CanonicalOrder, &str)]) -> Result<Vec<Delivery>, DeliveryError> {
        let mut rendered = Vec::with_capacity(orders.len());
        for (order, idempotency_key) in orders {
            if idempotency_key.is_empty() || idempotency_key.len() > MAX_IDEMPOTENCY_KEY_LEN {
                return Err(DeliveryError::InvalidKey { length: idempotency_key.len() });
            }
            rendered.push((self.render(order, idempotency_key)?, *idempotency_key));
        }
        on_pool!(&self.pool, pool => post_all(pool, &self.statements, &rendered).await)
    }

    /// Closes the pool, waiting for connections in use.
    pub async fn close(&self) {
        on_pool!(&self.pool, pool => pool.close().await);
    }

    fn render(&self, order: &CanonicalOrder, idempotency_key: &str) -> Result<RenderedOrder, DeliveryError> {
        let header_context = RowContext { order, line: None, idempotency_key, header_key: None };
        let header = render_row(&self.plan.header, &header_context)?;
        let mut lines = Vec::with_capacity(order.lines.len());
        for line in &order.lines {
            let context = RowContext { order, line: Some(line), idempotency_key, header_key: None };
            lines.push(render_row(&self.plan.lines, &context)?);
        }
        let header_key_slots = self
            .plan
            .lines
            .iter()
            .enumerate()
            .filter(|(_, column)| column.source == Source::HeaderKey)
            .map(|(index, _)| index)
            .collect();
        Ok(RenderedOrder { header, lines, header_key_slots })
    }
}

/// An order's values, before the header key is known.
struct RenderedOrder {
    header: Vec<Option<String>>,
    lines: Vec<Vec<Option<String>>>,
    /// Line value positions that receive the header key.
    header_key_slots: Vec<usize>,
}

async fn connect(plan: &MappingPlan, url: &str) -> Result<TargetPool, BuildError> {
    let unreachable = |error: sqlx::Error| BuildError::Unreachable { message: error.to_string() };
    Ok(match plan.dialect {
        Dialect::Sqlite => TargetPool::Sqlite(pool_options().connect(url).await.map_err(unreachable)?),
        Dialect::Postgres => TargetPool::Postgres(pool_options().connect(url).await.map_err(unreachable)?),
        Dialect::MySql => TargetPool::MySql(pool_options().connect(url).await.map_err(unreachable)?),
    })
}

fn pool_options<DB: Database>() -> PoolOptions<DB> {
    PoolOptions::new().max_connections(MAX_CONNECTIONS).acquire_timeout(ACQUIRE_TIMEOUT)
}

fn qualified(plan: &MappingPlan, table: &str) -> String {
    let table = plan.dialect.quote(table);
    match &plan.schema {
        Some(schema) => format!("{}.{table}", plan.dialect.quote(schema)),
        None => table,
    }
}

/// Creates the deliveries table if missing. Two workers starting together can
/// both miss it, and PostgreSQL then fails the slower `CREATE TABLE IF NOT
/// EXISTS` on its catalog's unique key; by the next try the table exists.
async fn create_deliveries_table(pool: &TargetPool, plan: &MappingPlan) -> Result<(), BuildError> {
    const TRIES: u32 = 3;
    let create = create_deliveries_sql(plan);
    let mut tries = 0;
    loop {
        tries += 1;
        match on_pool!(pool, pool => execute(pool, &create, &[]).await) {
            Ok(_) => return Ok(()),
            Err(_) if tries < TRIES => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            Err(error) => return Err(BuildError::Database { message: error.to_string() }),
        }
    }
}

fn create_deliveries_sql(plan: &MappingPlan) -> String {
    let table = qualified(plan, &plan.deliveries_table);
    let columns = match plan.dialect {
        Dialect::Sqlite => {
            "idempotency_key TEXT PRIMARY KEY, erp_key TEXT NOT NULL, \
             delivered_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"
        }
        Dialect::Postgres => {
            "idempotency_key TEXT PRIMARY KEY, erp_key TEXT NOT NULL, delivered_at TIMESTAMPTZ NOT NULL DEFAULT now()"
        }
        Dialect::MySql => {
            "idempotency_key VARCHAR(191) PRIMARY KEY, erp_key VARCHAR(191) NOT NULL, \
             delivered_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
        }
    };
    format!("CREATE TABLE IF NOT EXISTS {table} ({columns})")
}

/// Catalog queries: (find a table case-insensitively, list its columns and types).
fn catalog_sql(dialect: Dialect) -> (&'static str, &'static str) {
    match dialect {
        Dialect::Sqlite => (
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND ?1 IS NULL AND lower(name) = lower(?2)",
            "SELECT name, type FROM pragma_table_info(?2) WHERE ?1 IS NULL",
        ),
        Dialect::Postgres => (
            "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
             WHERE CAST(table_schema AS TEXT) = COALESCE($1, CAST(current_schema() AS TEXT)) \
             AND lower(CAST(table_name AS TEXT)) = lower($2)",
            "SELECT CAST(column_name AS TEXT), CAST(udt_name AS TEXT) FROM information_schema.columns \
             WHERE CAST(table_schema AS TEXT) = COALESCE($1, CAST(current_schema() AS TEXT)) \
             AND CAST(table_name AS TEXT) = $2 ORDER BY ordinal_position",
        ),
        Dialect::MySql => (
            "SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND lower(TABLE_NAME) = lower(?)",
            "SELECT CAST(COLUMN_NAME AS CHAR), CAST(DATA_TYPE AS CHAR) FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
        ),
    }
}

async fn describe(
    pool: &TargetPool,
    plan: &MappingPlan,
) -> Result<(Option<TableInfo>, Option<TableInfo>), sqlx::Error> {
    let header = describe_table(pool, plan, &plan.header_table).await?;
    let lines = describe_table(pool, plan, &plan.lines_table).await?;
    Ok((header, lines))
}

async fn describe_table(pool: &TargetPool, plan: &MappingPlan, table: &str) -> Result<Option<TableInfo>, sqlx::Error> {
    let (find_table, list_columns) = catalog_sql(plan.dialect);
    let found = on_pool!(pool, pool => fetch(pool, find_table, &[plan.schema.clone(), Some(table.to_owned())]).await)?;
    let names: Vec<String> = found.into_iter().filter_map(|row| row.into_iter().next().flatten()).collect();
    // Exact spelling wins when a case-sensitive catalog holds several.
    let Some(name) = names.iter().find(|name| *name == table).or_else(|| names.first()).cloned() else {
        return Ok(None);
    };
    let rows = on_pool!(pool, pool => fetch(pool, list_columns, &[plan.schema.clone(), Some(name.clone())]).await)?;
    let columns = rows
        .into_iter()
        .filter_map(|row| {
            let mut values = row.into_iter();
            let column = values.next().flatten()?;
            let data_type = values.next().flatten().unwrap_or_default();
            Some((column, data_type.to_ascii_lowercase()))
        })
        .collect();
    Ok(Some(TableInfo { name, columns }))
}

fn missing_objects(plan: &MappingPlan, header: Option<&TableInfo>, lines: Option<&TableInfo>) -> Vec<MissingObject> {
    let mut missing = Vec::new();
    let mut header_columns: Vec<(String, String)> =
        plan.header.iter().map(|column| (column.column.clone(), column.key.clone())).collect();
    if let HeaderKey::Generated(id) = &plan.header_key {
        header_columns.push((id.clone(), "target.header_key.generated".to_owned()));
    }
    let line_columns: Vec<(String, String)> =
        plan.lines.iter().map(|column| (column.column.clone(), column.key.clone())).collect();
    for (table, info, columns) in
        [(&plan.header_table, header, header_columns), (&plan.lines_table, lines, line_columns)]
    {
        let Some(info) = info else {
            missing.push(MissingObject::Table { table: table.clone() });
            continue;
        };
        for (column, key) in columns {
            if info.column(&column).is_none() {
                missing.push(MissingObject::Column { table: table.clone(), column, key });
            }
        }
    }
    missing
}

fn prepare(plan: &MappingPlan, header: &TableInfo, lines: &TableInfo) -> Statements {
    let dialect = plan.dialect;
    let deliveries = qualified(plan, &plan.deliveries_table);
    let mut insert_header = insert_sql(plan, header, &plan.header);
    let mut read_generated_id = None;
    if let HeaderKey::Generated(id) = &plan.header_key {
        let id = header.column(id).map_or(id.as_str(), |(name, _)| name.as_str());
        match dialect {
            Dialect::MySql => read_generated_id = Some("SELECT CAST(LAST_INSERT_ID() AS CHAR)".to_owned()),
            Dialect::Sqlite | Dialect::Postgres => {
                insert_header.push_str(&format!(" RETURNING CAST({} AS TEXT)", dialect.quote(id)));
            }
        }
    }
    let natural_key_index = match &plan.header_key {
        HeaderKey::Natural(column) => plan.header.iter().position(|mapped| &mapped.column == column),
        HeaderKey::Generated(_) => None,
    };
    Statements {
        find_delivery: format!("SELECT erp_key FROM {deliveries} WHERE idempotency_key = {}", dialect.placeholder(1)),
        record_delivery: format!(
            "INSERT INTO {deliveries} (idempotency_key, erp_key) VALUES ({}, {})",
            dialect.placeholder(1),
            dialect.placeholder(2)
        ),
        insert_header,
        read_generated_id,
        insert_line: (!plan.lines.is_empty()).then(|| insert_sql(plan, lines, &plan.lines)),
        natural_key_index,
        begin: (dialect == Dialect::Sqlite).then_some("BEGIN IMMEDIATE"),
    }
}

/// `INSERT INTO t (c1, ...) VALUES (p1, ...)`; on PostgreSQL a non-text column's
/// placeholder is cast to its type, since every value is bound as text.
fn insert_sql(plan: &MappingPlan, table: &TableInfo, columns: &[ColumnPlan]) -> String {
    let dialect = plan.dialect;
    let mut names = Vec::with_capacity(columns.len());
    let mut values = Vec::with_capacity(columns.len());
    for (index, mapped) in columns.iter().enumerate() {
        let (name, data_type) =
            table.column(&mapped.column).cloned().unwrap_or_else(|| (mapped.column.clone(), String::new()));
        let placeholder = dialect.placeholder(index + 1);
        let needs_cast = dialect == Dialect::Postgres
            && !data_type.is_empty()
            && !PG_TEXT_TYPES.contains(&data_type.as_str())
            && crate::dialect::is_identifier(&data_type);
        values.push(if needs_cast {
            format!("CAST({placeholder} AS {})", dialect.quote(&data_type))
        } else {
            placeholder
        });
        names.push(dialect.quote(&name));
    }
    format!("INSERT INTO {} ({}) VALUES ({})", qualified(plan, &table.name), names.join(", "), values.join(", "))
}

fn first_value(rows: Vec<Vec<Option<String>>>) -> Option<String> {
    rows.into_iter().next().and_then(|row| row.into_iter().next().flatten())
}

/// One transaction: refuse a delivered key, insert header, lines and the delivery record.
async fn post<DB>(
    pool: &Pool<DB>,
    statements: &Statements,
    rows: &RenderedOrder,
    idempotency_key: &str,
) -> Result<Delivery, DeliveryError>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB> + Decode<'q, DB>,
    usize: ColumnIndex<DB::Row>,
    DB::Arguments: IntoArguments<DB>,
{
    let mut tx = begin(pool, statements).await?;
    let delivery = post_in::<DB>(&mut tx, statements, rows, idempotency_key).await?;
    if matches!(delivery, Delivery::Posted { .. }) {
        tx.commit().await.map_err(classify)?;
    }
    Ok(delivery)
}

async fn begin<DB>(pool: &Pool<DB>, statements: &Statements) -> Result<sqlx::Transaction<'static, DB>, DeliveryError>
where
    DB: Database,
{
    match statements.begin {
        Some(sql) => pool.begin_with(sql).await,
        None => pool.begin().await,
    }
    .map_err(classify)
}

/// Several orders in one transaction, one commit: all or nothing.
async fn post_all<DB>(
    pool: &Pool<DB>,
    statements: &Statements,
    orders: &[(RenderedOrder, &str)],
) -> Result<Vec<Delivery>, DeliveryError>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB> + Decode<'q, DB>,
    usize: ColumnIndex<DB::Row>,
    DB::Arguments: IntoArguments<DB>,
{
    let mut tx = begin(pool, statements).await?;
    let mut deliveries = Vec::with_capacity(orders.len());
    for (rows, idempotency_key) in orders {
        deliveries.push(post_in::<DB>(&mut tx, statements, rows, idempotency_key).await?);
    }
    tx.commit().await.map_err(classify)?;
    Ok(deliveries)
}

/// One order inside an open transaction: a key delivered before is
/// `AlreadyPosted` (nothing inserted), else header, lines and the delivery record.
async fn post_in<DB>(
    connection: &mut DB::Connection,
    statements: &Statements,
    rows: &RenderedOrder,
    idempotency_key: &str,
) -> Result<Delivery, DeliveryError>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB> + Decode<'q, DB>,
    usize: ColumnIndex<DB::Row>,
    DB::Arguments: IntoArguments<DB>,
{
    let key = Some(idempotency_key.to_owned());
    let delivered =
        fetch_on(&mut *connection, &statements.find_delivery, std::slice::from_ref(&key)).await.map_err(classify)?;
    if let Some(erp_key) = first_value(delivered) {
        return Ok(Delivery::AlreadyPosted { erp_key });
    }
    let returned = fetch_on(&mut *connection, &statements.insert_header, &rows.header).await.map_err(classify)?;
    let erp_key = match (&statements.read_generated_id, statements.natural_key_index) {
        (Some(read_id), _) => first_value(fetch_on(&mut *connection, read_id, &[]).await.map_err(classify)?),
        (None, Some(index)) => rows.header.get(index).cloned().flatten(),
        (None, None) => first_value(returned),
    };
    let Some(erp_key) = erp_key else {
        return Err(DeliveryError::NoHeaderKey);
    };
    if let Some(insert_line) = &statements.insert_line {
        for line in &rows.lines {
            let mut values = line.clone();
            for slot in &rows.header_key_slots {
                if let Some(value) = values.get_mut(*slot) {
                    *value = Some(erp_key.clone());
                }
            }
            fetch_on(&mut *connection, insert_line, &values).await.map_err(classify)?;
        }
    }
    let record = [key, Some(erp_key.clone())];
    fetch_on(&mut *connection, &statements.record_delivery, &record).await.map_err(classify)?;
    Ok(Delivery::Posted { erp_key })
}

async fn fetch<DB>(
    pool: &Pool<DB>,
    sql: &str,
    binds: &[Option<String>],
) -> Result<Vec<Vec<Option<String>>>, sqlx::Error>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB> + Decode<'q, DB>,
    usize: ColumnIndex<DB::Row>,
    DB::Arguments: IntoArguments<DB>,
{
    let mut connection = pool.acquire().await?;
    fetch_on(&mut *connection, sql, binds).await
}

async fn execute<DB>(pool: &Pool<DB>, sql: &str, binds: &[Option<String>]) -> Result<(), sqlx::Error>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB> + Decode<'q, DB>,
    usize: ColumnIndex<DB::Row>,
    DB::Arguments: IntoArguments<DB>,
{
    fetch(pool, sql, binds).await.map(|_| ())
}

/// Runs a statement with text parameters and reads every column back as text.
async fn fetch_on<DB>(
    connection: &mut DB::Connection,
    sql: &str,
    binds: &[Option<String>],
) -> Result<Vec<Vec<Option<String>>>, sqlx::Error>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB> + Decode<'q, DB>,
    usize: ColumnIndex<DB::Row>,
    DB::Arguments: IntoArguments<DB>,
{
    let mut query = sqlx::query::<DB>(AssertSqlSafe(sql.to_owned()));
    for value in binds {
        query = query.bind(value.clone());
    }
    let rows = query.fetch_all(&mut *connection).await?;
    let mut table = Vec::with_capacity(rows.len());
    for row in rows {
        let mut values = Vec::with_capacity(row.len());
        for index in 0..row.len() {
            values.push(row.try_get::<Option<String>, usize>(index)?);
        }
        table.push(values);
    }
    Ok(table)
}

impl From<ConfigErrors> for BuildError {
    fn from(errors: ConfigErrors) -> Self {
        BuildError::Config(errors)
    }
}
