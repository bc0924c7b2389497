//! What can go wrong in the store, with the row or setting it concerns.

use crate::model::{DeliveryId, DocumentId, DocumentState};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The compare-and-set of a transition lost: someone moved the document first.
    #[error("document {document_id} is {actual}, not {expected}: it was moved by someone else")]
    Conflict { document_id: DocumentId, expected: DocumentState, actual: DocumentState },
    #[error("document {document_id} is {state}, a terminal state: it cannot move to {to}")]
    Terminal { document_id: DocumentId, state: DocumentState, to: DocumentState },
    #[error("document {document_id}: a transition from {state} to itself is not a change")]
    SameState { document_id: DocumentId, state: DocumentState },
    #[error("document {0} does not exist")]
    DocumentNotFound(DocumentId),
    #[error("delivery {0} does not exist")]
    DeliveryNotFound(DeliveryId),
    #[error("delivery {delivery_id} is {status}, no longer pending")]
    DeliveryClosed { delivery_id: DeliveryId, status: String },
    /// Only a dead-lettered delivery can be replayed.
    #[error("delivery {delivery_id} is {status}, not dead_lettered: only a dead letter can be replayed")]
    DeliveryNotDeadLettered { delivery_id: DeliveryId, status: String },
    /// A stored value the store did not write in this form (hand edits, a newer schema).
    #[error("table {table}, row {row}, column {column}: {problem}")]
    Corrupt { table: &'static str, row: i64, column: &'static str, problem: String },
    #[error("store configuration, {setting}: {problem}")]
    Config { setting: &'static str, problem: String },
    #[error("user {0:?} already exists")]
    UserExists(String),
    #[error("no user {0:?}")]
    UserNotFound(String),
    #[error("an API token named {0:?} already exists (revoke it first)")]
    TokenExists(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("schema migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}
