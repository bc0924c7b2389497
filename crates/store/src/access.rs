//! Who may use the web UI and the API: people (local users with an argon2
//! password hash), their login sessions, and API tokens for machines. The
//! store keeps only hashes of session and API tokens (SHA-256 of the random
//! token, hex), never a token or a password.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{DocumentRecord, DocumentState};

/// What a person or machine may do; each role may do everything the one
/// before it may: reviewer (the review queue, documents, search) ⊂ owner
/// (the dashboard's switches: pause auto-approve, release holds) ⊂ admin
/// (users and API tokens).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Reviewer,
    Owner,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Self::Reviewer, Self::Owner, Self::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reviewer => "reviewer",
            Self::Owner => "owner",
            Self::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == text)
    }

    /// Whether this role may do what `needed` may.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A person who may log in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Unique login name.
    pub name: String,
    pub role: Role,
    /// The argon2 PHC string (`$argon2id$v=19$...`); never shown.
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
}

/// A logged-in browser: the cookie carries the random token, the store its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 (hex) of the cookie's token.
    pub token_hash: String,
    pub user: String,
    pub role: Role,
    /// The session's CSRF token, put in every form and checked on every POST.
    pub csrf: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A machine's credential for the API (`Authorization: Bearer <token>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    /// What the machine is, e.g. `edi-gateway`; actions are recorded as `token:<name>`.
    pub name: String,
    pub role: Role,
    /// SHA-256 (hex) of the token.
    pub token_hash: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What `Store::search_documents` looks for; every given field must match.
/// A text filter that is empty or only blanks is no filter, and its
/// surrounding blanks are ignored (a search form sends empty fields).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentSearch {
    /// `meta.workflow` equals this.
    pub workflow: Option<String>,
    pub state: Option<DocumentState>,
    /// Case-insensitive substring of a planned order's `customer_id` or of the
    /// sender (`from`).
    pub customer: Option<String>,
    /// Case-insensitive substring of a planned order's `customer_po`, or of the file name.
    pub po: Option<String>,
    /// Received at or after.
    pub received_from: Option<DateTime<Utc>>,
    /// Received before.
    pub received_before: Option<DateTime<Utc>>,
}

impl DocumentSearch {
    /// Whether `document` matches every given filter. This is the rule; the
    /// back ends' SQL only narrows the rows it is applied to, so a substring
    /// found in the raw decision text (a key name, another field) never
    /// counts.
    pub fn matches(&self, document: &DocumentRecord) -> bool {
        self.workflow.as_ref().is_none_or(|workflow| workflow_of(document) == Some(workflow.as_str()))
            && self.state.is_none_or(|state| document.state == state)
            && self.received_from.is_none_or(|from| document.received_at >= from)
            && self.received_before.is_none_or(|before| document.received_at < before)
            && self.customer_needle().is_none_or(|needle| matches_customer(document, &needle))
            && self.po_needle().is_none_or(|needle| matches_po(document, &needle))
    }

    /// The customer filter, trimmed and lowercased; `None` when blank.
    pub(crate) fn customer_needle(&self) -> Option<String> {
        needle(self.customer.as_deref())
    }

    /// The PO filter, trimmed and lowercased; `None` when blank.
    pub(crate) fn po_needle(&self) -> Option<String> {
        needle(self.po.as_deref())
    }
}

fn needle(text: Option<&str>) -> Option<String> {
    let text = text?.trim();
    (!text.is_empty()).then(|| text.to_lowercase())
}

fn workflow_of(document: &DocumentRecord) -> Option<&str> {
    document.meta.get("workflow").and_then(Value::as_str)
}

fn matches_customer(document: &DocumentRecord, needle: &str) -> bool {
    document.from.as_deref().is_some_and(|from| contains(from, needle))
        || planned(document, "customer_id").any(|customer| contains(customer, needle))
}

fn matches_po(document: &DocumentRecord, needle: &str) -> bool {
    contains(&document.file_name, needle) || planned(document, "customer_po").any(|po| contains(po, needle))
}

/// `field` of every planned order in the stored decision (`orders[*].order.<field>`).
fn planned<'a>(document: &'a DocumentRecord, field: &'a str) -> impl Iterator<Item = &'a str> {
    let orders = document.decision.as_ref().and_then(|decision| decision.get("orders")).and_then(Value::as_array);
    orders.into_iter().flatten().filter_map(move |planned| planned.get("order")?.get(field)?.as_str())
}

/// Case-insensitive substring; `needle` is already lowercase.
fn contains(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(needle)
}
