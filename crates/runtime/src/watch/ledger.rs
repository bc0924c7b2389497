//! The ledger: what the monitor knows, read from the store's audit trail.
//!
//! Everything the monitor reports is rebuilt from events, never kept on the
//! side: a decision (`DecisionRecorded`, with its [`Watch`] record), where
//! routing sent it (`DocumentStateChanged` by the pipeline), a reviewer's
//! verdict (the label: `ReviewApproved`, `ReviewEdited`, `ReviewRejected`),
//! deliveries posted, the monitor's own alerts, the holds an owner
//! released, and the pauses of auto-approve an owner set and lifted.
//! [`Ledger::ingest`] takes events in log order and can be fed again with
//! the newer ones, so a running runtime reads each event once.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use prodline_core::CanonicalOrder;
use prodline_core::scoring::document_correct;
use prodline_store::{DocumentId, Event, EventId, EventKind, Store, StoreError};
use serde::Serialize;
use serde_json::Value;

use super::record::Watch;
use crate::pause::{Pause, event_subject};
use crate::process::StoredDecision;

/// Events read per store call.
const PAGE: u32 = 5_000;

/// Where routing sent a decided document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "route", content = "reason")]
pub enum Route {
    /// Not routed yet.
    Pending,
    /// Straight to the ERP, untouched.
    Auto,
    /// To the review queue, with routing's reason (`audit`, `drift`,
    /// `decision_review`, ...).
    Review(String),
}

/// A person's verdict on a reviewed document: was the pipeline's reading right?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub at: DateTime<Utc>,
    /// The orders approved are the orders planned (SPEC §4 scoring rule);
    /// a rejection is right when the pipeline planned no order.
    pub correct: bool,
}

/// One document as the ledger knows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub watch: Option<Watch>,
    /// The orders the pipeline planned, what a reviewer's correction is compared with.
    #[serde(skip)]
    pub planned: Vec<CanonicalOrder>,
    pub route: Route,
    pub verdict: Option<Verdict>,
    /// Deliveries the ERP took for it.
    pub posted: u32,
}

impl Entry {
    fn new() -> Entry {
        Entry { watch: None, planned: Vec::new(), route: Route::Pending, verdict: None, posted: 0 }
    }

    /// Sent to review as part of the random audit sample of would-be auto-approvals.
    pub fn audited(&self) -> bool {
        matches!(&self.route, Route::Review(reason) if reason == "audit")
    }

    /// Posted without a person touching it: what the KPI counts.
    pub fn touchless(&self) -> bool {
        self.route == Route::Auto
    }
}

/// An alert as last recorded: fired (and not resolved since) or resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertRecord {
    pub key: String,
    pub fired_at: DateTime<Utc>,
    /// The instant the monitor judged it (the monitor's clock, which in a
    /// replay is not the wall clock of the event).
    pub as_of: Option<DateTime<Utc>>,
    pub details: Value,
}

/// Everything read from the audit trail so far.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    after: Option<EventId>,
    pub documents: BTreeMap<DocumentId, Entry>,
    /// Alerts firing now, by key.
    pub active: BTreeMap<String, AlertRecord>,
    /// Every alert change in order: `(fired?, record)`.
    pub history: Vec<(bool, AlertRecord)>,
    /// Holds released by an owner: hold key → when.
    pub released: BTreeMap<String, DateTime<Utc>>,
    /// Auto-approve paused and not resumed: (workflow, feed or `all`) → the pause.
    pub pauses: BTreeMap<(String, String), Pause>,
}

impl Ledger {
    pub fn new() -> Ledger {
        Ledger::default()
    }

    /// The whole trail read into a new ledger (what `prodline status`, `audit`,
    /// `/metrics` and the demo's story judge from).
    pub async fn read<S: Store>(store: &S) -> Result<Ledger, StoreError> {
        let mut ledger = Ledger::new();
        ledger.catch_up(store).await?;
        Ok(ledger)
    }

    /// Reads every event newer than what was read before.
    pub async fn catch_up<S: Store>(&mut self, store: &S) -> Result<(), StoreError> {
        loop {
            let events = store.events_since(self.after.unwrap_or(EventId(0)), PAGE).await?;
            let Some(last) = events.last().map(|event| event.id) else {
                return Ok(());
            };
            self.ingest(&events);
            self.after = Some(last);
            if events.len() < PAGE as usize {
                return Ok(());
            }
        }
    }

    /// Takes events in log order.
    pub fn ingest(&mut self, events: &[Event]) {
        for event in events {
            self.ingest_one(event);
        }
    }

    fn ingest_one(&mut self, event: &Event) {
        match event.kind {
            EventKind::AlertFired | EventKind::AlertResolved => self.alert(event),
            EventKind::HoldReleased => {
                if let Some(key) = event.details.get("hold").and_then(Value::as_str) {
                    self.released.insert(key.to_owned(), as_of(event));
                }
            }
            EventKind::AutoApprovePaused => {
                // A second pause of the same subject (two owners at once) keeps the first: "since when".
                if let (Some(subject), Some(pause)) = (event_subject(event), Pause::of_event(event)) {
                    self.pauses.entry(subject).or_insert(pause);
                }
            }
            EventKind::AutoApproveResumed => {
                if let Some(subject) = event_subject(event) {
                    self.pauses.remove(&subject);
                }
            }
            _ => {
                if let Some(id) = event.document_id {
                    self.document_event(id, event);
                }
            }
        }
    }

    fn document_event(&mut self, id: DocumentId, event: &Event) {
        match event.kind {
            EventKind::DecisionRecorded => {
                let Ok(stored) = serde_json::from_value::<StoredDecision>(event.details.clone()) else {
                    return;
                };
                let entry = self.documents.entry(id).or_insert_with(Entry::new);
                entry.watch = stored.watch;
                entry.planned = stored.orders.into_iter().map(|planned| planned.order).collect();
            }
            EventKind::DocumentStateChanged if event.actor == "pipeline" => {
                let Some(entry) = self.documents.get_mut(&id) else { return };
                let (from, to) = (state(&event.details, "from"), state(&event.details, "to"));
                if from != Some("decided") {
                    return;
                }
                entry.route = match to {
                    Some("approved") => Route::Auto,
                    Some("in_review") => Route::Review(
                        event.details.pointer("/details/reason").and_then(Value::as_str).unwrap_or("review").to_owned(),
                    ),
                    _ => return,
                };
            }
            EventKind::ReviewEdited => {
                let Some(entry) = self.documents.get_mut(&id) else { return };
                let corrected: Vec<CanonicalOrder> = event
                    .details
                    .get("orders")
                    .and_then(|orders| serde_json::from_value(orders.clone()).ok())
                    .unwrap_or_default();
                let correct = document_correct(&entry.planned, &corrected);
                entry.verdict = Some(Verdict { at: event.at, correct });
            }
            EventKind::ReviewApproved => {
                let Some(entry) = self.documents.get_mut(&id) else { return };
                // A correction is recorded as `ReviewEdited` first; its approval says nothing new.
                if entry.verdict.is_none() {
                    entry.verdict = Some(Verdict { at: event.at, correct: true });
                }
            }
            EventKind::ReviewRejected => {
                let Some(entry) = self.documents.get_mut(&id) else { return };
                entry.verdict = Some(Verdict { at: event.at, correct: entry.planned.is_empty() });
            }
            EventKind::DeliveryPosted => {
                if let Some(entry) = self.documents.get_mut(&id) {
                    entry.posted += 1;
                }
            }
            _ => {}
        }
    }

    fn alert(&mut self, event: &Event) {
        let Some(key) = event.details.get("key").and_then(Value::as_str) else { return };
        let fired = event.kind == EventKind::AlertFired;
        let record = AlertRecord {
            key: key.to_owned(),
            fired_at: event.at,
            as_of: Some(as_of(event)),
            details: event.details.clone(),
        };
        if fired {
            self.active.insert(key.to_owned(), record.clone());
        } else {
            self.active.remove(key);
        }
        self.history.push((fired, record));
    }

    /// The documents of one workflow with their watch record, in decision order.
    pub fn of_workflow<'a>(&'a self, workflow: &'a str) -> impl Iterator<Item = (&'a Entry, &'a Watch)> + 'a {
        self.documents
            .values()
            .filter_map(|entry| entry.watch.as_ref().map(|watch| (entry, watch)))
            .filter(move |(_, watch)| watch.workflow == workflow)
    }
}

fn state<'a>(details: &'a Value, key: &str) -> Option<&'a str> {
    details.get(key).and_then(Value::as_str)
}

/// The monitor's own time of a monitor event (`as_of` in its details),
/// else when it was written.
fn as_of(event: &Event) -> DateTime<Utc> {
    event
        .details
        .get("as_of")
        .and_then(|at| serde_json::from_value::<DateTime<Utc>>(at.clone()).ok())
        .unwrap_or(event.at)
}
