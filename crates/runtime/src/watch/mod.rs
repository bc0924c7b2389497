//! Watching each workflow: accuracy SLO from the audit sample, drift and
//! liveness per feed, cost against the budget line, the KPI; alerts to the
//! owner and holds that send documents to review, the owner's pauses of
//! auto-approve among them.
//!
//! The monitor is a reader of the audit trail ([`Ledger`]) plus the pure
//! statistics of `prodline-monitor`; what it decides (an alert fired or
//! resolved) is itself written to the trail, so `prodline status`, the
//! `/metrics` endpoint and every runtime process compute the same figures
//! from the same events.

mod drift;
mod ledger;
pub mod metrics;
mod pass;
mod record;
pub mod render;
mod slo;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use prodline_config::{BreachPolicy, Config, DriftPolicy, WorkflowConfig};
use prodline_monitor::alert::{Alert, AlertKey, AlertKind, Severity};
use prodline_monitor::cost::{CostReport, DocumentUsage, cost_report};
use prodline_monitor::kpi::{KpiReport, kpi_report};
use prodline_monitor::liveness::{Cadence, Calendar, FeedStatus, check_feed};
use rust_decimal::Decimal;
use serde::Serialize;

pub use crate::pause::Pause;
pub use drift::FeedDrift;
pub use ledger::{AlertRecord, Entry, Ledger, Route, Verdict};
pub use pass::{AlertChange, MONITOR, notify, watch_step};
pub use record::Watch;
pub use slo::{SequentialState, SloStatus, WindowState};

/// Everything known about one workflow at one instant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkflowStatus {
    pub workflow: String,
    pub owner: String,
    pub as_of: DateTime<Utc>,
    /// Documents decided so far, and how many went straight through.
    pub decided: u64,
    pub touchless: u64,
    /// The SLO for the workflow (`all`) and each group with audit labels;
    /// empty without `[workflow.slo]`.
    pub slo: Vec<SloStatus>,
    pub drift: Vec<FeedDrift>,
    /// Each feed with a cadence (configured or learned), and whether it is silent.
    pub liveness: Vec<FeedLiveness>,
    /// This month's run cost against the budget line; `None` without `[workflow.budget]`.
    pub cost: Option<CostReport>,
    /// The KPI, daily and month to date; `None` without `[workflow.kpi]`.
    pub kpi: Option<KpiReport>,
    /// Conditions that need the owner now, de-duplicated by key.
    pub alerts: Vec<Condition>,
    /// Feeds and groups whose documents go to review whatever their decision.
    pub holds: Vec<Hold>,
    /// Auto-approve paused by a person (each also a hold, `paused`): who, when, why.
    pub pauses: Vec<Pause>,
}

/// One feed's liveness.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedLiveness {
    pub feed: String,
    pub cadence: Cadence,
    pub status: FeedStatus,
}

/// An alert condition as the monitor sees it now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Condition {
    /// `kind/workflow/subject`, stable: the de-duplication key.
    pub key: String,
    pub kind: &'static str,
    pub subject: String,
    pub severity: &'static str,
    pub summary: String,
    pub detail: String,
}

/// Why a feed or group is held: the routing reason its documents get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldReason {
    /// A drifting feed.
    Drift,
    /// A group whose SLO is breached, under `on_breach = "review_all"`.
    SloBreach,
    /// A person paused auto-approve of the workflow (`all`) or of a feed.
    Paused,
}

impl HoldReason {
    pub fn as_str(self) -> &'static str {
        match self {
            HoldReason::Drift => "drift",
            HoldReason::SloBreach => "slo_breach",
            HoldReason::Paused => "paused",
        }
    }
}

/// A feed or group held in review.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Hold {
    /// `drift/<workflow>/<feed>` or `slo_breach/<workflow>/<group>`: what `prodline
    /// release` takes; `paused/<workflow>/<feed or all>`, which only a resume lifts.
    pub key: String,
    pub reason: HoldReason,
    pub subject: String,
}

/// The status of every workflow of `config` as of `now`, with every figure
/// a status screen shows.
pub fn assess(config: &Config, ledger: &Ledger, now: DateTime<Utc>) -> Vec<WorkflowStatus> {
    judge(config, ledger, now, true)
}

/// The same judgement, with or without the exact error-rate sums of the
/// SLO's rules (`detail`), which alerts and holds do not need.
pub(crate) fn judge(config: &Config, ledger: &Ledger, now: DateTime<Utc>, detail: bool) -> Vec<WorkflowStatus> {
    config.workflow.iter().map(|workflow| assess_workflow(workflow, &config.calendar, ledger, now, detail)).collect()
}

fn assess_workflow(
    workflow: &WorkflowConfig,
    calendar: &Calendar,
    ledger: &Ledger,
    now: DateTime<Utc>,
    detail: bool,
) -> WorkflowStatus {
    let name = workflow.name.as_str();
    let documents: Vec<(&Entry, &Watch)> =
        ledger.of_workflow(name).filter(|(_, watch)| watch.decided_at <= now).collect();
    let accepted = released_under(ledger, &format!("drift/{name}/"));
    let drift = drift::assess(&workflow.watch.drift, &documents, &accepted, now);
    let slo = match &workflow.watch.slo {
        Some(settings) => {
            slo::assess(settings, &documents, &released_under(ledger, &format!("slo_breach/{name}/")), now, detail)
        }
        None => Vec::new(),
    };
    let mut alerts = Vec::new();
    let mut holds = Vec::new();
    for feed in drift.iter().filter(|feed| feed.report.drifting) {
        let signals: Vec<String> = feed
            .report
            .fired()
            .map(|s| format!("{:?} {:.3} > {:.3}: {}", s.kind, s.value, s.threshold, s.detail))
            .collect();
        let alert = Alert {
            key: AlertKey::new(AlertKind::Drift, name, feed.feed.as_str()),
            severity: Severity::Warning,
            summary: format!("{} changed: its documents no longer look like before", feed.feed),
            detail: signals.join("\n"),
            since: feed.last_decided,
        };
        if workflow.watch.drift.on_drift == DriftPolicy::Review {
            holds.push(Hold { key: alert.key.to_string(), reason: HoldReason::Drift, subject: feed.feed.clone() });
        }
        alerts.push(condition(&alert));
    }
    for status in slo.iter().filter(|status| status.breached) {
        let alert = Alert {
            key: AlertKey::new(AlertKind::SloBreach, name, status.scope.as_str()),
            severity: Severity::Critical,
            summary: format!(
                "auto-approve accuracy of {} is below its SLO of {:.0} %",
                status.scope,
                status.target * 100.0
            ),
            detail: format!(
                "audit sample: {}/{} correct; the sequential test (false-alarm rate {}) raised the alarm",
                status.accuracy.successes, status.accuracy.trials, status.sequential.alpha
            ),
            since: now,
        };
        if status.on_breach == BreachPolicy::ReviewAll {
            holds.push(Hold {
                key: alert.key.to_string(),
                reason: HoldReason::SloBreach,
                subject: status.scope.clone(),
            });
        }
        alerts.push(condition(&alert));
    }
    let pauses: Vec<Pause> = ledger.pauses.values().filter(|pause| pause.workflow == name).cloned().collect();
    for pause in &pauses {
        holds.push(Hold { key: pause.key(), reason: HoldReason::Paused, subject: pause.subject().to_owned() });
    }
    let liveness = liveness(workflow, calendar, &documents, now);
    for feed in &liveness {
        if let Some(alert) = feed.status.alert(name, &feed.feed) {
            alerts.push(condition(&alert));
        }
    }
    let usage = usage(&documents);
    let zone = calendar.zone();
    let cost = workflow.watch.budget.as_ref().and_then(|budget| cost_report(budget, &usage, zone, now));
    if let Some(cost) = &cost {
        alerts.extend(cost.alerts(name).iter().map(condition));
    }
    let review_minutes =
        workflow.watch.budget.as_ref().map_or(Decimal::ZERO, |budget| budget.reviewer_minutes_per_document);
    let kpi = workflow.watch.kpi.as_ref().and_then(|kpi| kpi_report(kpi, &usage, review_minutes, zone, now));
    holds.sort();
    WorkflowStatus {
        workflow: name.to_owned(),
        owner: format!("{} <{}>", workflow.owner.name, workflow.owner.email),
        as_of: now,
        decided: documents.len() as u64,
        touchless: documents.iter().filter(|(entry, _)| entry.touchless()).count() as u64,
        slo,
        drift,
        liveness,
        cost,
        kpi,
        alerts,
        holds,
        pauses,
    }
}

/// Each feed's cadence (configured, else learned from its arrivals) and
/// silence as of `now`; a feed with neither is not judged.
fn liveness(
    workflow: &WorkflowConfig,
    calendar: &Calendar,
    documents: &[(&Entry, &Watch)],
    now: DateTime<Utc>,
) -> Vec<FeedLiveness> {
    let settings = &workflow.watch.liveness;
    let mut arrivals: BTreeMap<&str, Vec<DateTime<Utc>>> = BTreeMap::new();
    for (_, watch) in documents.iter().filter(|(_, watch)| watch.received_at <= now) {
        arrivals.entry(watch.feed.as_str()).or_default().push(watch.received_at);
    }
    arrivals
        .into_iter()
        .filter_map(|(feed, times)| {
            let configured = settings.feed.get(feed).and_then(|config| config.cadence().ok().flatten());
            let cadence = configured.or_else(|| settings.learn.then(|| Cadence::learn(&times, calendar)).flatten())?;
            let last = times.iter().max().copied()?;
            let status = check_feed(last, now, &cadence, calendar);
            Some(FeedLiveness { feed: feed.to_owned(), cadence, status })
        })
        .collect()
}

/// What each decided document cost and delivered, for the budget and the KPI.
fn usage(documents: &[(&Entry, &Watch)]) -> Vec<DocumentUsage> {
    documents
        .iter()
        .filter(|(entry, _)| entry.route != Route::Pending)
        .map(|(entry, watch)| DocumentUsage {
            at: watch.decided_at,
            model_cost: watch.model_cost,
            ocr_pages: watch.ocr_pages,
            reviewed: matches!(entry.route, Route::Review(_)),
            orders_posted: entry.posted,
        })
        .collect()
}

/// A condition from the monitor crate's checks (liveness, cost).
fn condition(alert: &Alert) -> Condition {
    Condition {
        key: alert.key.to_string(),
        kind: alert.key.kind.as_str(),
        subject: alert.key.subject.clone(),
        severity: match alert.severity {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        },
        summary: alert.summary.clone(),
        detail: alert.detail.clone(),
    }
}

/// Releases recorded under `prefix`, by what follows it (the feed or group).
fn released_under(ledger: &Ledger, prefix: &str) -> BTreeMap<String, DateTime<Utc>> {
    ledger
        .released
        .iter()
        .filter_map(|(key, at)| key.strip_prefix(prefix).map(|subject| (subject.to_owned(), *at)))
        .collect()
}

/// The holds routing applies: documents of these feeds and groups go to review.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holds {
    /// (workflow, feed) held for drift.
    pub feeds: BTreeSet<(String, String)>,
    /// (workflow, group) held after an SLO breach; `all` holds the workflow.
    pub groups: BTreeSet<(String, String)>,
    /// (workflow, feed or `all`) paused by a person → who paused it, and why.
    pub paused: BTreeMap<(String, String), Pause>,
}

impl Holds {
    pub fn of(statuses: &[WorkflowStatus]) -> Holds {
        let mut holds = Holds::default();
        for status in statuses {
            for hold in &status.holds {
                let pair = (status.workflow.clone(), hold.subject.clone());
                match hold.reason {
                    HoldReason::Drift => {
                        holds.feeds.insert(pair);
                    }
                    HoldReason::SloBreach => {
                        holds.groups.insert(pair);
                    }
                    HoldReason::Paused => {
                        if let Some(pause) = status.pauses.iter().find(|pause| pause.subject() == hold.subject) {
                            holds.paused.insert(pair, pause.clone());
                        }
                    }
                }
            }
        }
        holds
    }

    /// Why a document of `workflow` with this watch record is held, if it is.
    /// A person's pause comes first: it is the owner's explicit word.
    pub fn reason(&self, workflow: &str, watch: &Watch) -> Option<(&'static str, String)> {
        let key = |subject: &str| (workflow.to_owned(), subject.to_owned());
        for subject in [crate::pause::WHOLE_WORKFLOW, watch.feed.as_str()] {
            if let Some(pause) = self.paused.get(&key(subject)) {
                return Some((HoldReason::Paused.as_str(), paused_message(pause)));
            }
        }
        if self.feeds.contains(&key(&watch.feed)) {
            return Some((
                HoldReason::Drift.as_str(),
                format!("{} is drifting: its documents are reviewed until it settles", watch.feed),
            ));
        }
        for group in ["all", watch.group.as_str()] {
            if self.groups.contains(&key(group)) {
                return Some((
                    HoldReason::SloBreach.as_str(),
                    format!("the SLO of {group} is breached: reviewed until the owner releases the hold"),
                ));
            }
        }
        None
    }
}

/// `auto-approve of C0001/edi paused by Olga since 2026-03-02 09:15 UTC: ERP migration; ...`
fn paused_message(pause: &Pause) -> String {
    let what = match &pause.feed {
        Some(feed) => format!("auto-approve of {feed}"),
        None => format!("auto-approve of workflow {}", pause.workflow),
    };
    let why = if pause.reason.is_empty() { String::new() } else { format!(": {}", pause.reason) };
    format!(
        "{what} paused by {} since {}{why}; reviewed until it is resumed",
        pause.by,
        pause.at.format("%Y-%m-%d %H:%M UTC")
    )
}
