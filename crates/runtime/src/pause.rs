//! Pausing auto-approve: the owner's switch for a workflow or one of its
//! feeds (a customer's ERP migration, a price list that is about to change,
//! a feed that looks wrong before the monitor says so). While a pause
//! stands, routing sends the documents it covers to review with reason
//! `paused`, whatever their decision.
//!
//! A pause is an audit event (`AutoApprovePaused`) and is lifted only by its
//! `AutoApproveResumed`, never by `prodline release` and never by time: the
//! monitor's holds clear when their condition does, a person's pause only
//! when a person says so. Like everything the monitor knows, pauses are read
//! back from the trail ([`Ledger`]), so every runtime process and every
//! status screen sees the same ones.

use chrono::{DateTime, Utc};
use prodline_config::Config;
use prodline_core::Group;
use prodline_store::{Event, EventKind, Store, StoreError};
use serde::Serialize;
use serde_json::{Value, json};

use crate::watch::Ledger;

/// The subject of a pause of a whole workflow (a feed's name always holds a `/`).
pub const WHOLE_WORKFLOW: &str = "all";

/// The groups a feed name may end with (`customer/group`, as `Watch::feed`).
const GROUPS: [Group; 7] =
    [Group::Edi, Group::Email, Group::Pdf, Group::Spreadsheet, Group::Scan, Group::Text, Group::Other];

/// Auto-approve paused by a person and not resumed since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pause {
    pub workflow: String,
    /// The feed paused (`customer/group`); `None`: the whole workflow.
    pub feed: Option<String>,
    /// Who paused it.
    pub by: String,
    pub at: DateTime<Utc>,
    /// Why, in the person's words (may be empty).
    pub reason: String,
}

impl Pause {
    /// What is paused: the feed, or [`WHOLE_WORKFLOW`].
    pub fn subject(&self) -> &str {
        self.feed.as_deref().unwrap_or(WHOLE_WORKFLOW)
    }

    /// `paused/<workflow>/<subject>`: the key of the hold it puts on routing.
    pub fn key(&self) -> String {
        format!("paused/{}/{}", self.workflow, self.subject())
    }

    /// The pause an `AutoApprovePaused` event records; `None` for an event without a workflow.
    pub(crate) fn of_event(event: &Event) -> Option<Pause> {
        let workflow = event.details.get("workflow").and_then(Value::as_str)?;
        Some(Pause {
            workflow: workflow.to_owned(),
            feed: event_feed(event),
            by: event.actor.clone(),
            at: event.at,
            reason: event.details.get("reason").and_then(Value::as_str).unwrap_or_default().to_owned(),
        })
    }
}

/// `(workflow, subject)` of a pause or resume event: how the ledger pairs them.
pub(crate) fn event_subject(event: &Event) -> Option<(String, String)> {
    let workflow = event.details.get("workflow").and_then(Value::as_str)?;
    let subject = event_feed(event).unwrap_or_else(|| WHOLE_WORKFLOW.to_owned());
    Some((workflow.to_owned(), subject))
}

fn event_feed(event: &Event) -> Option<String> {
    event.details.get("feed").and_then(Value::as_str).map(str::to_owned)
}

/// Why a pause or resume was refused.
#[derive(Debug, thiserror::Error)]
pub enum PauseError {
    #[error("no workflow {0:?} in the configuration")]
    UnknownWorkflow(String),
    #[error("feed {feed:?}: {problem}")]
    InvalidFeed { feed: String, problem: String },
    #[error("name the person who pauses or resumes auto-approve: the actor is empty")]
    NoActor,
    #[error("auto-approve of {subject} in workflow {workflow} is already paused, by {by} since {at}")]
    AlreadyPaused { workflow: String, subject: String, by: String, at: DateTime<Utc> },
    #[error("auto-approve of {subject} in workflow {workflow} is not paused: there is nothing to resume")]
    NotPaused { workflow: String, subject: String },
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

impl PauseError {
    /// A stable snake_case code for the API, the UI and logs (the message is for people).
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownWorkflow(_) => "workflow_unknown",
            Self::InvalidFeed { .. } => "feed_invalid",
            Self::NoActor => "actor_missing",
            Self::AlreadyPaused { .. } => "already_paused",
            Self::NotPaused { .. } => "not_paused",
            Self::Store(_) => "store_error",
        }
    }
}

/// Pauses auto-approve of `workflow`, or of one of its feeds (`customer/group`,
/// as status shows feeds; `None` or blank: the whole workflow): records
/// `AutoApprovePaused` with `actor`. A subject already paused is refused.
pub async fn pause<S: Store>(
    store: &S,
    config: &Config,
    workflow: &str,
    feed: Option<&str>,
    actor: &str,
    reason: &str,
) -> Result<Pause, PauseError> {
    let (actor, feed) = check(config, workflow, feed, actor)?;
    let mut ledger = Ledger::read(store).await?;
    let subject = (workflow.to_owned(), feed.clone().unwrap_or_else(|| WHOLE_WORKFLOW.to_owned()));
    if let Some(standing) = ledger.pauses.get(&subject) {
        let (workflow, subject) = subject;
        return Err(PauseError::AlreadyPaused { workflow, subject, by: standing.by.clone(), at: standing.at });
    }
    let details = json!({ "workflow": workflow, "feed": feed, "reason": reason.trim() });
    store.record_event(None, EventKind::AutoApprovePaused, actor, details).await?;
    ledger.catch_up(store).await?;
    // Read back, so the time is the store's (a replayed clock in the demo).
    let recorded = ledger.pauses.get(&subject).cloned();
    Ok(recorded.unwrap_or_else(|| Pause {
        workflow: workflow.to_owned(),
        feed,
        by: actor.to_owned(),
        at: Utc::now(),
        reason: reason.trim().to_owned(),
    }))
}

/// Lifts the pause of `workflow` or of its feed: records `AutoApproveResumed`
/// with `actor`; returns the pause lifted. Nothing paused is refused.
pub async fn resume<S: Store>(
    store: &S,
    config: &Config,
    workflow: &str,
    feed: Option<&str>,
    actor: &str,
) -> Result<Pause, PauseError> {
    let (actor, feed) = check(config, workflow, feed, actor)?;
    let ledger = Ledger::read(store).await?;
    let subject = (workflow.to_owned(), feed.clone().unwrap_or_else(|| WHOLE_WORKFLOW.to_owned()));
    let Some(standing) = ledger.pauses.get(&subject).cloned() else {
        let (workflow, subject) = subject;
        return Err(PauseError::NotPaused { workflow, subject });
    };
    let details = json!({ "workflow": workflow, "feed": feed });
    store.record_event(None, EventKind::AutoApproveResumed, actor, details).await?;
    Ok(standing)
}

/// Every pause standing in `ledger`, by workflow and subject.
pub fn paused(ledger: &Ledger) -> Vec<Pause> {
    ledger.pauses.values().cloned().collect()
}

/// Every pause standing now, read from the store's trail.
pub async fn list<S: Store>(store: &S) -> Result<Vec<Pause>, StoreError> {
    Ok(paused(&Ledger::read(store).await?))
}

/// The trimmed actor and the feed (`None` for the whole workflow), or why not.
fn check<'a>(
    config: &Config,
    workflow: &str,
    feed: Option<&str>,
    actor: &'a str,
) -> Result<(&'a str, Option<String>), PauseError> {
    if !config.workflow.iter().any(|known| known.name == workflow) {
        return Err(PauseError::UnknownWorkflow(workflow.to_owned()));
    }
    let actor = actor.trim();
    if actor.is_empty() {
        return Err(PauseError::NoActor);
    }
    let Some(feed) = feed.map(str::trim).filter(|feed| !feed.is_empty()) else { return Ok((actor, None)) };
    let invalid = |problem: String| PauseError::InvalidFeed { feed: feed.to_owned(), problem };
    let Some((sender, group)) = feed.rsplit_once('/') else {
        return Err(invalid("a feed is customer/group, as prodline status lists it (C0001/edi)".to_owned()));
    };
    if sender.trim().is_empty() {
        return Err(invalid("the customer (or sender) before the / is empty".to_owned()));
    }
    if !GROUPS.iter().any(|known| known.as_str() == group) {
        let known: Vec<&str> = GROUPS.iter().map(|group| group.as_str()).collect();
        return Err(invalid(format!("{group:?} is not a group; one of {}", known.join(", "))));
    }
    Ok((actor, Some(feed.to_owned())))
}
