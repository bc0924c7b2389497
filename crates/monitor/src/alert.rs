//! Alerts, de-duplicated: one message when a condition starts, one when it
//! ends, optionally a reminder while it lasts.
//!
//! Every check (SLO, drift, feed liveness, budget) reports the conditions
//! that hold now as [`Alert`]s. [`reconcile`] compares them with the alerts
//! already fired and not yet resolved, and says what changed. The runtime
//! stores each [`AlertChange`] as an event and sends it; [`replay`] rebuilds
//! the active alerts from those events, so a restart neither repeats nor
//! loses an alert.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::liveness::ConfigError;

/// What condition an alert reports. The snake_case name is part of the
/// alert's key: renaming one re-fires every alert of that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Accuracy below the SLO target (the window rule or the SPRT decided).
    SloBreach,
    /// Accuracy heading for a breach (error budget burning fast).
    SloWarning,
    /// A source's documents moved away from its reference window.
    Drift,
    /// A feed silent beyond its cadence.
    FeedSilent,
    /// The month's forecast exceeds the budget.
    BudgetOverrun,
    /// The month's spend already exceeds the budget.
    OverBudget,
}

impl AlertKind {
    pub const ALL: [AlertKind; 6] = [
        AlertKind::SloBreach,
        AlertKind::SloWarning,
        AlertKind::Drift,
        AlertKind::FeedSilent,
        AlertKind::BudgetOverrun,
        AlertKind::OverBudget,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::SloBreach => "slo_breach",
            AlertKind::SloWarning => "slo_warning",
            AlertKind::Drift => "drift",
            AlertKind::FeedSilent => "feed_silent",
            AlertKind::BudgetOverrun => "budget_overrun",
            AlertKind::OverBudget => "over_budget",
        }
    }
}

impl fmt::Display for AlertKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A key that does not parse as `kind/workflow/subject`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("alert key {key:?}: {problem}")]
pub struct AlertKeyError {
    pub key: String,
    pub problem: &'static str,
}

/// Identifies one condition: two alerts with the same key are the same
/// alert, whatever their figures.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AlertKey {
    pub kind: AlertKind,
    /// Workflow name as in config; contains no `/`.
    pub workflow: String,
    /// What the condition is about: a source group, a feed, a customer; may
    /// be empty (a workflow's budget) and may contain `/`.
    pub subject: String,
}

impl AlertKey {
    pub fn new(kind: AlertKind, workflow: impl Into<String>, subject: impl Into<String>) -> AlertKey {
        AlertKey { kind, workflow: workflow.into(), subject: subject.into() }
    }
}

/// The stable string form `kind/workflow/subject`, e.g.
/// `feed_silent/orders/edi:acme`.
impl fmt::Display for AlertKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.kind, self.workflow, self.subject)
    }
}

impl FromStr for AlertKey {
    type Err = AlertKeyError;

    /// Parses the [`Display`](fmt::Display) form; the subject is everything
    /// after the second `/`.
    fn from_str(text: &str) -> Result<AlertKey, AlertKeyError> {
        let error = |problem| AlertKeyError { key: text.to_string(), problem };
        let mut parts = text.splitn(3, '/');
        let (Some(kind), Some(workflow), Some(subject)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(error("expected kind/workflow/subject"));
        };
        let kind = AlertKind::ALL.into_iter().find(|k| k.as_str() == kind).ok_or_else(|| error("unknown kind"))?;
        Ok(AlertKey::new(kind, workflow, subject))
    }
}

/// How urgent an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

/// A condition that holds now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub key: AlertKey,
    pub severity: Severity,
    /// One line, for a subject or a chat message.
    pub summary: String,
    /// A few lines with the figures behind it.
    pub detail: String,
    /// When the condition began, as the check knows it (e.g. the instant a
    /// feed became overdue), which can be before the alert fires.
    pub since: DateTime<Utc>,
}

/// An alert fired and not yet resolved, rebuilt from the stored changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveAlert {
    pub key: AlertKey,
    pub fired_at: DateTime<Utc>,
    /// The last time it was sent: when fired, or the last reminder.
    pub notified_at: DateTime<Utc>,
}

/// What to send and store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "change")]
pub enum AlertChange {
    /// A condition not active before.
    Fire { alert: Alert, fired_at: DateTime<Utc> },
    /// An active condition that no longer holds.
    Resolve { key: AlertKey, fired_at: DateTime<Utc>, resolved_at: DateTime<Utc> },
    /// An active condition still holding after the reminder interval, with
    /// its current figures.
    Remind { alert: Alert, fired_at: DateTime<Utc>, reminded_at: DateTime<Utc> },
}

impl AlertChange {
    pub fn key(&self) -> &AlertKey {
        match self {
            AlertChange::Fire { alert, .. } | AlertChange::Remind { alert, .. } => &alert.key,
            AlertChange::Resolve { key, .. } => key,
        }
    }
}

/// Alerting policy (`[monitor.alerts]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertPolicy {
    /// Re-send an alert that has lasted this long since it was last sent;
    /// none when absent. 24 reminds once a day.
    pub remind_every_hours: Option<u32>,
}

impl AlertPolicy {
    pub fn validate(&self) -> Result<(), Vec<ConfigError>> {
        match self.remind_every_hours {
            Some(0) => Err(vec![ConfigError::new("monitor.alerts.remind_every_hours", 0, "hours > 0, or absent")]),
            _ => Ok(()),
        }
    }
}

/// What changed between the alerts fired (`active`) and the conditions
/// holding `now` (`current`), without reminders: see [`reconcile_with`].
pub fn reconcile(active: &[ActiveAlert], current: &[Alert], now: DateTime<Utc>) -> Vec<AlertChange> {
    reconcile_with(active, current, now, &AlertPolicy::default())
}

/// What changed, in this order: a `Fire` for each current key not active
/// (the first alert of a key repeated in `current`), a `Resolve` for each
/// active key not current, and with a reminder interval a `Remind` for each
/// key active and current that was last sent at least that long ago. A key
/// both active and current gives nothing else, even if its figures changed:
/// an alert that updates its numbers every pass must not page every pass.
pub fn reconcile_with(
    active: &[ActiveAlert],
    current: &[Alert],
    now: DateTime<Utc>,
    policy: &AlertPolicy,
) -> Vec<AlertChange> {
    let active_by_key: BTreeMap<&AlertKey, &ActiveAlert> = active.iter().map(|a| (&a.key, a)).collect();
    let mut seen: BTreeSet<&AlertKey> = BTreeSet::new();
    let mut changes = Vec::new();
    let mut reminders = Vec::new();
    let remind_after = policy.remind_every_hours.map(|h| Duration::hours(i64::from(h)));
    for alert in current {
        if !seen.insert(&alert.key) {
            continue;
        }
        match active_by_key.get(&alert.key) {
            None => changes.push(AlertChange::Fire { alert: alert.clone(), fired_at: now }),
            Some(was) => {
                if remind_after.is_some_and(|every| now - was.notified_at >= every) {
                    reminders.push(AlertChange::Remind {
                        alert: alert.clone(),
                        fired_at: was.fired_at,
                        reminded_at: now,
                    });
                }
            }
        }
    }
    let mut resolved: BTreeSet<&AlertKey> = BTreeSet::new();
    for was in active.iter().filter(|a| !seen.contains(&a.key)) {
        if resolved.insert(&was.key) {
            changes.push(AlertChange::Resolve { key: was.key.clone(), fired_at: was.fired_at, resolved_at: now });
        }
    }
    changes.extend(reminders);
    changes
}

/// The active alerts after the stored changes, applied in order: a `Fire`
/// adds (or replaces) its key, a `Resolve` removes it, a `Remind` moves its
/// `notified_at`. Sorted by key.
pub fn replay<'a>(changes: impl IntoIterator<Item = &'a AlertChange>) -> Vec<ActiveAlert> {
    let mut active: BTreeMap<AlertKey, ActiveAlert> = BTreeMap::new();
    for change in changes {
        match change {
            AlertChange::Fire { alert, fired_at } => {
                let key = alert.key.clone();
                active.insert(key.clone(), ActiveAlert { key, fired_at: *fired_at, notified_at: *fired_at });
            }
            AlertChange::Resolve { key, .. } => {
                active.remove(key);
            }
            AlertChange::Remind { alert, reminded_at, .. } => {
                if let Some(a) = active.get_mut(&alert.key) {
                    a.notified_at = *reminded_at;
                }
            }
        }
    }
    active.into_values().collect()
}
