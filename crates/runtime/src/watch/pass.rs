//! The monitor's step of a pass: read the new events, judge every workflow,
//! and write what changed — an alert that starts firing, one that stopped —
//! to the audit trail, once per condition however many passes see it.

use chrono::{DateTime, Utc};
use prodline_config::Config;
use prodline_store::{EventKind, Store, StoreError};
use serde::Serialize;
use serde_json::json;

use prodline_alerts::{Notice, NoticeState};

use super::{AlertRecord, Condition, Ledger, WorkflowStatus, judge};

/// The monitor's actor in the audit trail.
pub const MONITOR: &str = "monitor";

/// An alert that started or stopped firing in this step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertChange {
    pub workflow: String,
    pub key: String,
    /// `true`: fired; `false`: resolved.
    pub fired: bool,
    pub kind: String,
    pub subject: String,
    pub severity: String,
    pub summary: String,
    pub detail: String,
    pub as_of: DateTime<Utc>,
    /// When the alert fired (`as_of` of the firing; the same as `as_of` when fired now).
    pub fired_at: DateTime<Utc>,
}

/// Reads the trail, judges, records alert changes; returns the statuses and
/// the changes (for the notifiers).
pub async fn watch_step<S: Store>(
    config: &Config,
    ledger: &mut Ledger,
    store: &S,
    now: DateTime<Utc>,
) -> Result<(Vec<WorkflowStatus>, Vec<AlertChange>), StoreError> {
    ledger.catch_up(store).await?;
    let statuses = judge(config, ledger, now, false);
    let mut changes = Vec::new();
    for status in &statuses {
        for condition in &status.alerts {
            if !ledger.active.contains_key(&condition.key) {
                changes.push(fired(&status.workflow, condition, now));
            }
        }
        let prefix_of = |key: &str| key.split('/').nth(1).map(str::to_owned);
        for (key, record) in &ledger.active {
            let ours = prefix_of(key).as_deref() == Some(status.workflow.as_str());
            if ours && !status.alerts.iter().any(|condition| &condition.key == key) {
                changes.push(resolved(&status.workflow, key, record, now));
            }
        }
    }
    for change in &changes {
        let kind = if change.fired { EventKind::AlertFired } else { EventKind::AlertResolved };
        let details = json!({
            "key": change.key,
            "workflow": change.workflow,
            "kind": change.kind,
            "subject": change.subject,
            "severity": change.severity,
            "summary": change.summary,
            "detail": change.detail,
            "as_of": change.as_of,
        });
        store.record_event(None, kind, MONITOR, details).await?;
    }
    if !changes.is_empty() {
        ledger.catch_up(store).await?;
    }
    Ok((statuses, changes))
}

fn fired(workflow: &str, condition: &Condition, now: DateTime<Utc>) -> AlertChange {
    AlertChange {
        workflow: workflow.to_owned(),
        key: condition.key.clone(),
        fired: true,
        kind: condition.kind.to_owned(),
        subject: condition.subject.clone(),
        severity: condition.severity.to_owned(),
        summary: condition.summary.clone(),
        detail: condition.detail.clone(),
        as_of: now,
        fired_at: now,
    }
}

fn resolved(workflow: &str, key: &str, record: &AlertRecord, now: DateTime<Utc>) -> AlertChange {
    let details = &record.details;
    let text = |name: &str| details.get(name).and_then(serde_json::Value::as_str).unwrap_or_default().to_owned();
    AlertChange {
        workflow: workflow.to_owned(),
        key: key.to_owned(),
        fired: false,
        kind: text("kind"),
        subject: text("subject"),
        severity: text("severity"),
        summary: format!("resolved: {}", text("summary")),
        detail: String::new(),
        as_of: now,
        fired_at: record.as_of.unwrap_or(record.fired_at),
    }
}

/// Tells each changed alert's workflow owner through the workflow's
/// channels; a channel that fails is a problem of the pass, named, and the
/// alert stays recorded in the audit trail either way.
pub async fn notify(config: &Config, changes: &[AlertChange]) -> Vec<String> {
    let mut problems = Vec::new();
    for change in changes {
        let Some(workflow) = config.workflow.iter().find(|workflow| workflow.name == change.workflow) else {
            continue;
        };
        if workflow.watch.alerts.is_empty() {
            continue;
        }
        let notice = Notice {
            workflow: change.workflow.clone(),
            owner_name: workflow.owner.name.clone(),
            owner_email: workflow.owner.email.clone(),
            kind: change.kind.clone(),
            // Within its workflow and kind: the feed or group.
            key: change.subject.clone(),
            state: if change.fired { NoticeState::Fired } else { NoticeState::Resolved },
            severity: change.severity.clone(),
            summary: change.summary.clone(),
            detail: change.detail.clone(),
            at: change.as_of,
            fired_at: change.fired_at,
            link: None,
        };
        for (channel, sent) in prodline_alerts::send_all(&workflow.watch.alerts, &notice).await {
            if let Err(error) = sent {
                problems.push(format!("alert {} to channel {channel}: {error}", change.key));
            }
        }
    }
    problems
}
