//! The accuracy SLO of a workflow and of each source group, from the audit
//! sample's labels.
//!
//! Only documents sent to review as `audit` count: they were drawn at random
//! from what would have gone straight to the ERP, so their verdicts are an
//! unbiased view of auto-approve accuracy. Documents reviewed for a reason
//! (low confidence, a fuzzy match) say how good the review queue's input
//! was, not how good the automatic orders are.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use prodline_config::{BreachPolicy, SloSettings};
use prodline_core::stats::Proportion;
use prodline_monitor::slo::{
    DayFigures, Decision, ErrorBudget, Label, Sprt, SprtFigures, SprtMonitor, WindowRule, by_decision_date,
    estimate_wrong, recommend,
};
use serde::Serialize;

use super::ledger::{Entry, Route};
use super::record::Watch;

/// Days of figures by decision date on a status screen.
const DAYS_SHOWN: i64 = 14;

/// One SLO's figures: the workflow's, or one source group's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SloStatus {
    /// `all`, or the group (`edi`, `email`, ...).
    pub scope: String,
    pub target: f64,
    /// Audit labels known as of now, with the accuracy and its 95 % interval.
    pub accuracy: Proportion,
    /// The last days by decision date: decided, labelled, accuracy, completeness.
    pub days: Vec<DayFigures>,
    pub window: WindowState,
    pub sequential: SequentialState,
    /// This month's wrong auto-posted orders against what the target allows
    /// (wrong ones estimated from the audit sample's error rate).
    pub budget: Option<ErrorBudget>,
    /// The sequential test's last verdict was an alarm.
    pub breached: bool,
    pub on_breach: BreachPolicy,
}

/// The window rule as configured, where it stands and what it costs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowState {
    /// `below 90 % over the last 100 labelled`.
    pub rule: String,
    /// Labels in the current window and their accuracy.
    pub labelled: u64,
    pub accuracy: Option<f64>,
    /// The rule fires now (a full window below its threshold).
    pub firing: bool,
    /// Probability that the rule fires at least once within a month of
    /// labels although accuracy is exactly at the target.
    pub false_alarm_at_target: Option<f64>,
    /// Labels a month, the horizon of that probability.
    pub horizon: u32,
    pub advice: String,
}

/// Wald's SPRT, repeated: where the current test stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SequentialState {
    /// H0 accuracy (the target) and H1 (target − drop).
    pub p0: f64,
    pub p1: f64,
    pub alpha: f64,
    pub beta: f64,
    pub llr: f64,
    pub alarm_at: f64,
    pub accept_at: f64,
    /// Labels in the current test.
    pub labels: u64,
    /// The last completed test's verdict: `alarm`, `accept` or `none`.
    pub last: &'static str,
    pub figures: Option<SprtFigures>,
}

/// The workflow's SLO and one per source group that has audit labels.
/// With `detail`, the window rule's exact false-alarm probability and the
/// sequential test's exact error rates are computed too (what a status
/// screen shows); the runtime's own step, which only needs breaches, skips
/// those sums.
pub fn assess(
    settings: &SloSettings,
    documents: &[(&Entry, &Watch)],
    released: &BTreeMap<String, DateTime<Utc>>,
    now: DateTime<Utc>,
    detail: bool,
) -> Vec<SloStatus> {
    let mut scopes: BTreeMap<String, Vec<&(&Entry, &Watch)>> = BTreeMap::new();
    for document in documents {
        scopes.entry("all".to_owned()).or_default().push(document);
        scopes.entry(document.1.group.as_str().to_owned()).or_default().push(document);
    }
    let mut statuses = Vec::new();
    for (scope, docs) in scopes {
        let audited = docs.iter().filter(|(entry, _)| entry.audited()).count();
        if scope != "all" && audited == 0 {
            continue;
        }
        let released = released.get(&scope).copied();
        statuses.push(scope_status(settings, &scope, &docs, released, now, detail));
    }
    statuses
}

fn scope_status(
    settings: &SloSettings,
    scope: &str,
    docs: &[&(&Entry, &Watch)],
    released: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    detail: bool,
) -> SloStatus {
    let mut labels: Vec<Label> = docs
        .iter()
        .filter(|(entry, _)| entry.audited())
        .filter_map(|(entry, watch)| {
            let verdict = entry.verdict?;
            (verdict.at <= now).then(|| Label {
                decided_at: watch.decided_at,
                labelled_at: verdict.at,
                correct: verdict.correct,
                group: scope.to_owned(),
            })
        })
        .collect();
    labels.sort_by_key(|label| label.labelled_at);
    let correct = labels.iter().filter(|label| label.correct).count() as u64;
    let accuracy = Proportion::new(correct, labels.len() as u64);

    // Would-be auto-approvals by decision date: the audit sample's population.
    let mut decided: BTreeMap<NaiveDate, u64> = BTreeMap::new();
    for (entry, watch) in docs.iter().filter(|(entry, _)| entry.touchless() || entry.audited()) {
        if watch.decided_at <= now && !matches!(entry.route, Route::Pending) {
            *decided.entry(watch.decided_at.date_naive()).or_default() += 1;
        }
    }
    let since = (now - TimeDelta::days(DAYS_SHOWN)).date_naive();
    let recent: BTreeMap<NaiveDate, u64> = decided.range(since..).map(|(d, n)| (*d, *n)).collect();
    let days = by_decision_date(&labels, &recent, now);

    let horizon = labels_a_month(&labels, now).max(settings.window);
    let window = window_state(settings, &labels, horizon, detail);
    let after_release: Vec<bool> =
        labels.iter().filter(|label| released.is_none_or(|at| label.labelled_at > at)).map(|l| l.correct).collect();
    let sequential = sequential_state(settings, &after_release, detail);
    let breached = sequential.last == "alarm";
    SloStatus {
        scope: scope.to_owned(),
        target: settings.target,
        accuracy,
        days,
        window,
        sequential,
        budget: month_budget(settings.target, docs, &labels, now),
        breached,
        on_breach: settings.on_breach,
    }
}

/// Labels that arrived over the last 30 days (the false-alarm horizon).
fn labels_a_month(labels: &[Label], now: DateTime<Utc>) -> u32 {
    let since = now - TimeDelta::days(30);
    labels.iter().filter(|label| label.labelled_at > since).count() as u32
}

fn window_state(settings: &SloSettings, labels: &[Label], horizon: u32, detail: bool) -> WindowState {
    let rule_text = format!("below {:.0} % over the last {} labelled", settings.below * 100.0, settings.window);
    let last: Vec<&Label> = labels.iter().rev().take(settings.window as usize).collect();
    let correct = last.iter().filter(|label| label.correct).count() as u64;
    let labelled = last.len() as u64;
    let accuracy = (labelled > 0).then(|| correct as f64 / labelled as f64);
    let rule = WindowRule::new(settings.window, settings.below);
    let firing = match &rule {
        Ok(rule) => labelled == u64::from(rule.n) && rule.fires(correct as u32),
        Err(_) => false,
    };
    let (false_alarm_at_target, advice) = match (detail, rule) {
        (false, _) => (None, String::new()),
        (true, rule) => match rule.and_then(|rule| recommend(settings.target, rule, horizon, settings.false_alarm)) {
            Ok(recommendation) => (Some(recommendation.current.probability), recommendation.advice),
            Err(error) => (None, error.to_string()),
        },
    };
    WindowState { rule: rule_text, labelled, accuracy, firing, false_alarm_at_target, horizon, advice }
}

fn sequential_state(settings: &SloSettings, labels: &[bool], detail: bool) -> SequentialState {
    let test = Sprt::new(settings.target, settings.drop, settings.false_alarm, settings.miss);
    let Ok(test) = test else {
        return SequentialState {
            p0: settings.target,
            p1: settings.target - settings.drop,
            alpha: settings.false_alarm,
            beta: settings.miss,
            llr: 0.0,
            alarm_at: f64::NAN,
            accept_at: f64::NAN,
            labels: 0,
            last: "none",
            figures: None,
        };
    };
    let mut monitor = SprtMonitor::new(test);
    let mut last = "none";
    for &correct in labels {
        match monitor.observe(correct) {
            Decision::Alarm => last = "alarm",
            Decision::Accept => last = "accept",
            Decision::Continue => {}
        }
    }
    SequentialState {
        p0: test.p0,
        p1: test.p1,
        alpha: test.alpha,
        beta: test.beta,
        llr: monitor.llr(),
        alarm_at: test.upper(),
        accept_at: test.lower(),
        labels: monitor.labels,
        last,
        figures: detail.then(|| test.figures()),
    }
}

/// This month's error budget: orders auto-posted this month, wrong ones
/// estimated from the month's audit sample.
fn month_budget(target: f64, docs: &[&(&Entry, &Watch)], labels: &[Label], now: DateTime<Utc>) -> Option<ErrorBudget> {
    let in_month = |at: DateTime<Utc>| at.year() == now.year() && at.month() == now.month() && at <= now;
    let orders: u64 = docs
        .iter()
        .filter(|(entry, watch)| entry.touchless() && in_month(watch.decided_at))
        .map(|(_, watch)| u64::from(watch.orders))
        .sum();
    let month_labels: Vec<&Label> = labels.iter().filter(|label| in_month(label.decided_at)).collect();
    let wrong = month_labels.iter().filter(|label| !label.correct).count() as u64;
    let estimated = estimate_wrong(orders, month_labels.len() as u64, wrong).unwrap_or(0);
    ErrorBudget::new(target, orders, estimated).ok()
}
