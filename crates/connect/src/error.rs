//! Errors of the SQL target, and how a database error is classified:
//! retry it (`Transient`) or dead-letter it with the ERP's own message (`Rejected`).

use std::fmt;

use crate::config::ConfigErrors;
use crate::mapping::MappingError;

/// A table or column the mapping names and the database lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MissingObject {
    Table { table: String },
    Column { table: String, column: String, key: String },
}

impl fmt::Display for MissingObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MissingObject::Table { table } => write!(f, "table {table} does not exist"),
            MissingObject::Column { table, column, key } => {
                write!(f, "{key}: table {table} has no column {column}")
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HealthcheckError {
    #[error("sql_target_unreachable: {message}")]
    Unreachable { message: String },
    #[error("sql_target_schema_mismatch: {}", join(.0))]
    Missing(Vec<MissingObject>),
}

fn join(missing: &[MissingObject]) -> String {
    missing.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("sql_target_config_invalid:\n{0}")]
    Config(ConfigErrors),
    #[error("sql_target_unreachable: {message}")]
    Unreachable { message: String },
    #[error("sql_target_setup_failed: {message}")]
    Database { message: String },
    #[error("{0}")]
    Schema(HealthcheckError),
}

/// Why a delivery did not go through, and whether trying again can help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// Connection refused or lost, timeout, deadlock, serialization failure: retry later.
    #[error("delivery_transient: {message}")]
    Transient { message: String },
    /// The ERP refused the row (constraint, type, length): it will never go in.
    /// `duplicate_delivery` marks a clash on the deliveries table's key.
    #[error("delivery_rejected: {erp_message}")]
    Rejected { erp_message: String, duplicate_delivery: bool },
    /// The mapping has no value for this order (e.g. a unit missing from a `map`).
    #[error("delivery_unmappable: {0}")]
    Unmappable(#[from] MappingError),
    #[error("delivery_invalid_key: an idempotency key must be 1 to 191 bytes, not {length}")]
    InvalidKey { length: usize },
    /// The insert returned no header key (a natural key column left empty).
    #[error("delivery_no_header_key: the header insert yielded no key for the lines")]
    NoHeaderKey,
}

impl DeliveryError {
    /// Whether the outbox should retry rather than dead-letter.
    pub fn is_transient(&self) -> bool {
        matches!(self, DeliveryError::Transient { .. })
    }

    /// Low-cardinality code for metrics and the dead-letter queue.
    pub fn code(&self) -> &'static str {
        match self {
            DeliveryError::Transient { .. } => "delivery_transient",
            DeliveryError::Rejected { .. } => "delivery_rejected",
            DeliveryError::Unmappable(_) => "delivery_unmappable",
            DeliveryError::InvalidKey { .. } => "delivery_invalid_key",
            DeliveryError::NoHeaderKey => "delivery_no_header_key",
        }
    }
}

/// Sorts a driver error into retry or dead-letter.
pub(crate) fn classify(error: sqlx::Error) -> DeliveryError {
    match error {
        sqlx::Error::Database(database) => {
            let message = database.message().to_owned();
            if is_transient(database.as_ref()) {
                DeliveryError::Transient { message }
            } else {
                DeliveryError::Rejected { erp_message: message, duplicate_delivery: database.is_unique_violation() }
            }
        }
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => DeliveryError::Transient { message: error.to_string() },
        other => DeliveryError::Rejected { erp_message: other.to_string(), duplicate_delivery: false },
    }
}

/// The code a database error carries, by driver: each has its own numbering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ErrorCode<'a> {
    MySql(u16),
    Sqlite(u32),
    SqlState(&'a str),
}

fn is_transient(database: &dyn sqlx::error::DatabaseError) -> bool {
    let code = database.code();
    let code = code.as_deref().unwrap_or_default();
    if let Some(mysql) = database.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        return is_transient_code(ErrorCode::MySql(mysql.number()));
    }
    if database.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        return code.parse().is_ok_and(|number| is_transient_code(ErrorCode::Sqlite(number)));
    }
    is_transient_code(ErrorCode::SqlState(code))
}

/// MariaDB error numbers, SQLite result codes and SQLSTATEs that mean "try again".
fn is_transient_code(code: ErrorCode<'_>) -> bool {
    match code {
        // lock wait timeout, deadlock, too many connections, shutdown, gone away, lost.
        ErrorCode::MySql(number) => matches!(number, 1205 | 1213 | 1040 | 1053 | 2006 | 2013),
        // SQLITE_BUSY, SQLITE_LOCKED, with any extended code.
        ErrorCode::Sqlite(number) => matches!(number & 0xff, 5 | 6),
        // connection exception, resources, shutdown, serialization failure, deadlock, lock not available.
        ErrorCode::SqlState(state) => {
            state.starts_with("08")
                || state.starts_with("53")
                || state.starts_with("57P")
                || matches!(state, "40001" | "40P01" | "55P03")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_codes_cover_each_dialect() {
        assert!(is_transient_code(ErrorCode::SqlState("40P01")));
        assert!(is_transient_code(ErrorCode::SqlState("08006")));
        assert!(!is_transient_code(ErrorCode::SqlState("23502")));
        assert!(is_transient_code(ErrorCode::MySql(1205)));
        assert!(!is_transient_code(ErrorCode::MySql(1406)));
        assert!(is_transient_code(ErrorCode::Sqlite(517)));
        assert!(!is_transient_code(ErrorCode::Sqlite(1299)));
    }
}
