//! Turning stored text back into domain values, naming the cell when it fails.

use std::fmt::Display;

use crate::access::Role;
use crate::error::StoreError;
use crate::model::{DeliveryStatus, DocumentState, EventKind, Sha256};

/// Names one stored cell in errors.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cell {
    pub table: &'static str,
    pub row: i64,
    pub column: &'static str,
}

impl Cell {
    pub fn new(table: &'static str, row: i64, column: &'static str) -> Self {
        Self { table, row, column }
    }

    pub fn corrupt(self, problem: impl Display) -> StoreError {
        StoreError::Corrupt { table: self.table, row: self.row, column: self.column, problem: problem.to_string() }
    }

    pub fn state(self, text: &str) -> Result<DocumentState, StoreError> {
        DocumentState::parse(text).ok_or_else(|| self.corrupt(format!("unknown document state {text:?}")))
    }

    pub fn kind(self, text: &str) -> Result<EventKind, StoreError> {
        EventKind::parse(text).ok_or_else(|| self.corrupt(format!("unknown event kind {text:?}")))
    }

    pub fn status(self, text: &str) -> Result<DeliveryStatus, StoreError> {
        DeliveryStatus::parse(text).ok_or_else(|| self.corrupt(format!("unknown delivery status {text:?}")))
    }

    pub fn role(self, text: &str) -> Result<Role, StoreError> {
        Role::parse(text).ok_or_else(|| self.corrupt(format!("unknown role {text:?}")))
    }

    /// A role in a table keyed by text (users, sessions), whose row has no
    /// number: the problem names the key instead.
    pub fn role_of(self, key: &str, text: &str) -> Result<Role, StoreError> {
        Role::parse(text).ok_or_else(|| self.corrupt(format!("{key:?}: unknown role {text:?}")))
    }

    pub fn sha256(self, text: &str) -> Result<Sha256, StoreError> {
        Sha256::parse(text).ok_or_else(|| self.corrupt(format!("not a SHA-256 hex digest: {text:?}")))
    }
}
