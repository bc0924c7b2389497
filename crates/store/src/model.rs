//! The records the store keeps: documents, their states, events and deliveries.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Digest;

/// Lowercase hex SHA-256 of a raw document: the key of the blob store.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sha256(String);

impl Sha256 {
    /// The hash of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        let digest = sha2::Sha256::digest(bytes);
        let mut hex = String::with_capacity(64);
        for byte in digest {
            hex.push(hex_digit(byte >> 4));
            hex.push(hex_digit(byte & 0x0f));
        }
        Self(hex)
    }

    /// Accepts 64 hex digits in either case; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let valid = text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit());
        valid.then(|| Self(text.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn hex_digit(nibble: u8) -> char {
    char::from(b"0123456789abcdef"[usize::from(nibble & 0x0f)])
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Sha256 {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text).ok_or_else(|| format!("not a SHA-256 hex digest: {text:?}"))
    }
}

impl From<Sha256> for String {
    fn from(sha: Sha256) -> Self {
        sha.0
    }
}

macro_rules! row_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

row_id!(
    /// Identity of a received document, assigned by the store.
    DocumentId
);
row_id!(
    /// Position of an event in the audit log; later events have larger ids.
    EventId
);
row_id!(
    /// Identity of one outbox row.
    DeliveryId
);

/// Where a document is in the pipeline. Stored as its snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentState {
    Received,
    Parsed,
    Decided,
    InReview,
    Approved,
    Rejected,
    Posted,
    DeadLettered,
    Quarantined,
}

impl DocumentState {
    pub const ALL: [DocumentState; 9] = [
        Self::Received,
        Self::Parsed,
        Self::Decided,
        Self::InReview,
        Self::Approved,
        Self::Rejected,
        Self::Posted,
        Self::DeadLettered,
        Self::Quarantined,
    ];

    /// A terminal document never moves again: the store refuses transitions out of it.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Rejected | Self::Posted | Self::DeadLettered | Self::Quarantined)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Parsed => "parsed",
            Self::Decided => "decided",
            Self::InReview => "in_review",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Posted => "posted",
            Self::DeadLettered => "dead_lettered",
            Self::Quarantined => "quarantined",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == text)
    }
}

impl fmt::Display for DocumentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an audit event records, named `<Noun><PastVerb>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventKind {
    DocumentReceived,
    /// The same bytes arrived again from the same source; no new document.
    DuplicateReceived,
    DocumentStateChanged,
    DecisionRecorded,
    OutcomeRecorded,
    ReviewApproved,
    ReviewRejected,
    ReviewEdited,
    DeliveryEnqueued,
    DeliveryDeadLettered,
    /// The target took the order (or already had it): details hold the ERP's key.
    DeliveryPosted,
    /// A person made a pending delivery due now.
    DeliveryRetried,
    /// A person sent a dead-lettered delivery back to pending; the only way out of `dead_lettered`.
    DeliveryReplayed,
    /// A reviewer's correction taught the workflow's memory (cross-references, aliases).
    MemoryLearned,
    /// A person removed something the memory had learned (`prodline learned forget`).
    MemoryForgotten,
    /// The monitor raised an alert (SLO, drift, silent feed, budget); details hold its key.
    AlertFired,
    /// An alert's condition no longer holds.
    AlertResolved,
    /// A workflow's owner lifted a hold the monitor put on a feed or group
    /// (review-all after an SLO breach, review after drift).
    HoldReleased,
    /// An admin added a person who may log in (name and role; never the password).
    UserAdded,
    /// A person's password was set again (`prodline user passwd`).
    UserPasswordChanged,
    /// A person logged in to the web UI.
    UserLoggedIn,
    /// A login was refused (unknown name or wrong password); details name the name tried.
    LoginFailed,
    /// A person logged out.
    UserLoggedOut,
    /// An admin issued an API token for a machine (its name and role; never the token).
    ApiTokenAdded,
    /// An admin revoked an API token.
    ApiTokenRevoked,
    /// An owner paused auto-approve for a workflow or one of its feeds: its documents go to review.
    AutoApprovePaused,
    /// An owner resumed auto-approve after a pause.
    AutoApproveResumed,
}

impl EventKind {
    pub const ALL: [EventKind; 27] = [
        Self::DocumentReceived,
        Self::DuplicateReceived,
        Self::DocumentStateChanged,
        Self::DecisionRecorded,
        Self::OutcomeRecorded,
        Self::ReviewApproved,
        Self::ReviewRejected,
        Self::ReviewEdited,
        Self::DeliveryEnqueued,
        Self::DeliveryDeadLettered,
        Self::DeliveryPosted,
        Self::DeliveryRetried,
        Self::DeliveryReplayed,
        Self::MemoryLearned,
        Self::MemoryForgotten,
        Self::AlertFired,
        Self::AlertResolved,
        Self::HoldReleased,
        Self::UserAdded,
        Self::UserPasswordChanged,
        Self::UserLoggedIn,
        Self::LoginFailed,
        Self::UserLoggedOut,
        Self::ApiTokenAdded,
        Self::ApiTokenRevoked,
        Self::AutoApprovePaused,
        Self::AutoApproveResumed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::DocumentReceived => "DocumentReceived",
            Self::DuplicateReceived => "DuplicateReceived",
            Self::DocumentStateChanged => "DocumentStateChanged",
            Self::DecisionRecorded => "DecisionRecorded",
            Self::OutcomeRecorded => "OutcomeRecorded",
            Self::ReviewApproved => "ReviewApproved",
            Self::ReviewRejected => "ReviewRejected",
            Self::ReviewEdited => "ReviewEdited",
            Self::DeliveryEnqueued => "DeliveryEnqueued",
            Self::DeliveryDeadLettered => "DeliveryDeadLettered",
            Self::DeliveryPosted => "DeliveryPosted",
            Self::DeliveryRetried => "DeliveryRetried",
            Self::DeliveryReplayed => "DeliveryReplayed",
            Self::MemoryLearned => "MemoryLearned",
            Self::MemoryForgotten => "MemoryForgotten",
            Self::AlertFired => "AlertFired",
            Self::AlertResolved => "AlertResolved",
            Self::HoldReleased => "HoldReleased",
            Self::UserAdded => "UserAdded",
            Self::UserPasswordChanged => "UserPasswordChanged",
            Self::UserLoggedIn => "UserLoggedIn",
            Self::LoginFailed => "LoginFailed",
            Self::UserLoggedOut => "UserLoggedOut",
            Self::ApiTokenAdded => "ApiTokenAdded",
            Self::ApiTokenRevoked => "ApiTokenRevoked",
            Self::AutoApprovePaused => "AutoApprovePaused",
            Self::AutoApproveResumed => "AutoApproveResumed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One document as intake hands it over.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// The intake channel, e.g. `upload`, `sftp:acme`, `mail`.
    pub source: String,
    pub file_name: String,
    pub received_at: DateTime<Utc>,
    /// The sender as the channel knows it (e-mail address, partner id), if any.
    pub from: Option<String>,
    pub bytes: Vec<u8>,
    /// Channel details (headers, content type) kept with the document.
    pub meta: Value,
}

/// The acknowledgement of `receive`: given only after the commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub document_id: DocumentId,
    pub sha256: Sha256,
    /// True when this source had already sent these bytes: the existing document is returned.
    pub duplicate: bool,
}

/// A document row as the review queue and the workers see it.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentRecord {
    pub id: DocumentId,
    pub source: String,
    pub file_name: String,
    pub from: Option<String>,
    pub sha256: Sha256,
    pub received_at: DateTime<Utc>,
    pub meta: Value,
    pub state: DocumentState,
    pub claimed_by: Option<String>,
    pub lease_until: Option<DateTime<Utc>>,
    pub decision: Option<Value>,
    pub outcome: Option<Value>,
    pub updated_at: DateTime<Utc>,
}

/// A document taken by one worker until `lease_until`.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    pub document: DocumentRecord,
    pub worker: String,
    pub lease_until: DateTime<Utc>,
}

/// One row of the audit trail.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub id: EventId,
    pub at: DateTime<Utc>,
    pub document_id: Option<DocumentId>,
    pub kind: EventKind,
    pub actor: String,
    pub details: Value,
}

/// Where an outbox row stands: `pending` → `delivered`, or `pending` →
/// `dead_lettered` → (replay) `pending`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    DeadLettered,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::DeadLettered => "dead_lettered",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::DeadLettered].into_iter().find(|status| status.as_str() == text)
    }
}

impl fmt::Display for DeliveryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One write to add to the outbox together with an approval.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDelivery {
    pub target: String,
    pub idempotency_key: String,
    pub payload: Value,
}

/// Which outbox rows `Store::deliveries` lists; `None` fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryFilter {
    pub target: Option<String>,
    pub status: Option<DeliveryStatus>,
    pub document_id: Option<DocumentId>,
}

/// One write to a target waiting in (or done from) the outbox.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delivery {
    pub id: DeliveryId,
    pub document_id: DocumentId,
    pub target: String,
    pub idempotency_key: String,
    pub payload: Value,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
}

/// Drops sub-microsecond precision: both back ends keep microseconds, so a time
/// read back equals the time written only after this.
pub fn to_micros_precision(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_empty_input_is_the_known_digest() {
        assert_eq!(Sha256::of(b"").as_str(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    #[test]
    fn sha256_parse_rejects_wrong_length_and_non_hex() {
        assert!(Sha256::parse("abc").is_none());
        assert!(Sha256::parse(&"g".repeat(64)).is_none());
        assert!(Sha256::parse(&"é".repeat(32)).is_none());
        assert_eq!(Sha256::parse(&"AB".repeat(32)).map(String::from), Some("ab".repeat(32)));
    }

    #[test]
    fn state_names_round_trip_and_terminal_set_is_exact() {
        for state in DocumentState::ALL {
            assert_eq!(DocumentState::parse(state.as_str()), Some(state));
        }
        let terminal: Vec<_> = DocumentState::ALL.into_iter().filter(|s| s.is_terminal()).collect();
        assert_eq!(
            terminal,
            [DocumentState::Rejected, DocumentState::Posted, DocumentState::DeadLettered, DocumentState::Quarantined]
        );
        assert_eq!(DocumentState::parse("Received"), None);
    }

    #[test]
    fn event_kind_names_round_trip() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        }
    }
}

/// One document's move in a batch written by `Store::apply_changes`: the
/// compare-and-set of `Store::transition` (or of `Store::approve`, with
/// deliveries), storing the outcome and decision json first when given.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentChange {
    pub id: DocumentId,
    pub from: DocumentState,
    pub to: DocumentState,
    pub actor: String,
    /// The `details` of the `DocumentStateChanged` event.
    pub details: Value,
    /// Stored in the `outcome` column, logged as `OutcomeRecorded`.
    pub outcome: Option<Value>,
    /// Stored in the `decision` column, logged as `DecisionRecorded`.
    pub decision: Option<Value>,
    /// Outbox rows added with the move, as `approve` adds them; only with `to` = `approved`.
    pub deliveries: Vec<NewDelivery>,
}

impl DocumentChange {
    /// A plain move, nothing stored with it.
    pub fn new(id: DocumentId, from: DocumentState, to: DocumentState, actor: &str, details: Value) -> Self {
        Self { id, from, to, actor: actor.to_owned(), details, outcome: None, decision: None, deliveries: Vec::new() }
    }
}

/// A delivery the target confirmed (entered now, or found entered before),
/// for `Store::record_deliveries`.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryDone {
    pub id: DeliveryId,
    /// The details of its `DeliveryPosted` event (the ERP's key, ...).
    pub details: Value,
}

/// What `Store::record_deliveries` did to one document whose last pending
/// delivery it closed: moved from `approved` to this state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settled {
    pub document_id: DocumentId,
    /// `posted`, or `dead_lettered` when a sibling delivery was dead-lettered.
    pub state: DocumentState,
}
