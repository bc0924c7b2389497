//! The SLO half of the measured computation: what a monitor works out from
//! the labels at one instant, for all sources and for each group.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use prodline_monitor::slo::{
    DayFigures, Decision, ErrorBudget, Label, SloError, Sprt, SprtFigures, SprtMonitor, WindowAlarm, WindowRule,
    by_decision_date, estimate_wrong, window_rule_false_alarm,
};
use serde::Serialize;

use super::dataset::{GROUPS, MonitorData, RECENT_DAYS};

/// The SLO as configured: target, the window rule people wrote, the
/// sequential test, and the horizon the false-alarm figure is stated for.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SloParams {
    pub target: f64,
    pub rule: WindowRule,
    pub sprt: Sprt,
    /// Labels over which the window rule's false-alarm probability is stated.
    pub horizon: u32,
}

impl SloParams {
    /// 92 % target; "alert below 90 % over the last 100 labelled"; an SPRT
    /// for a 3-point drop at α = 1 %, β = 10 %; over 1,000 labels.
    pub fn standard() -> Result<SloParams, SloError> {
        Ok(SloParams {
            target: 0.92,
            rule: WindowRule::new(100, 0.90)?,
            sprt: Sprt::new(0.92, 0.03, 0.01, 0.1)?,
            horizon: 1000,
        })
    }
}

/// The figures of one population (all sources, or one group).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScopeFigures {
    /// `all` or the group's name.
    pub scope: String,
    pub decided: u64,
    /// Labels known at the instant of the figures.
    pub labelled: u64,
    pub correct: u64,
    /// Labelled / decided over the recent days: how much of the recent
    /// accuracy is still unknown.
    pub recent_completeness: Option<f64>,
    /// The lowest daily accuracy's Wilson lower bound, with its day.
    pub worst_day: Option<(NaiveDate, f64)>,
    pub window: WindowRun,
    pub sprt: SprtRun,
    /// The error budget of the last calendar month, wrong orders estimated
    /// from its labels (which are a random sample here).
    pub budget: ErrorBudget,
}

/// The window rule re-evaluated after every label, in arrival order.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct WindowRun {
    pub evaluations: u64,
    pub firing: u64,
    pub first_firing: Option<DateTime<Utc>>,
}

/// The repeated SPRT fed every label, in arrival order.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct SprtRun {
    pub alarms: u64,
    pub accepts: u64,
    pub first_alarm: Option<DateTime<Utc>>,
}

/// Everything the SLO half computes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SloFigures {
    /// `all` first, then each group.
    pub scopes: Vec<ScopeFigures>,
    /// The configured rule's false-alarm probability at the target.
    pub rule_false_alarm: WindowAlarm,
    pub sprt_figures: SprtFigures,
}

/// Compute the SLO figures as they stand at `data.as_of`.
pub fn measure_slo(data: &MonitorData, params: &SloParams) -> Result<SloFigures, SloError> {
    let decided = decided_per_day(data);
    let sequence = arrival_order(&data.labels, data.as_of);
    let mut scopes = Vec::with_capacity(GROUPS.len() + 1);
    let all_days = decided.iter().fold(BTreeMap::new(), |mut sum, group| {
        for (day, n) in group {
            *sum.entry(*day).or_insert(0) += n;
        }
        sum
    });
    scopes.push(scope(data, params, "all", &data.labels, &all_days, sequence.iter())?);
    let none = BTreeMap::new();
    for (group, range) in data.group_ranges.iter().enumerate() {
        let in_group = sequence.iter().filter(|a| range.contains(&arrival_index(a)));
        let days = decided.get(group).unwrap_or(&none);
        let labels = data.labels.get(range.clone()).unwrap_or_default();
        scopes.push(scope(data, params, data.group_name(group), labels, days, in_group)?);
    }
    Ok(SloFigures {
        scopes,
        rule_false_alarm: window_rule_false_alarm(params.target, params.rule, params.horizon)?,
        sprt_figures: params.sprt.figures(),
    })
}

/// Documents decided per day, per group.
fn decided_per_day(data: &MonitorData) -> Vec<BTreeMap<NaiveDate, u64>> {
    let days = (data.as_of.date_naive() - data.start).num_days().max(0) as usize;
    let mut counts = vec![vec![0u64; days]; GROUPS.len()];
    for t in &data.transactions {
        let day = (t.decided_at.date_naive() - data.start).num_days();
        let group = data.sources.get(usize::from(t.source)).map_or(0, |s| s.group);
        if let Some(slot) = counts.get_mut(group).and_then(|g| g.get_mut(day as usize)) {
            *slot += 1;
        }
    }
    counts
        .into_iter()
        .map(|group| {
            (0..).zip(group).filter(|(_, n)| *n > 0).map(|(d, n)| (data.start + chrono::Days::new(d), n)).collect()
        })
        .collect()
}

/// One known label in the arrival sequence: when it arrived, and its index
/// (into `MonitorData::labels`) times two plus 1 if it was correct. A flat
/// key, so the sort and the replays read memory in order instead of
/// chasing a million labels in arrival order.
type Arrival = (i64, u32, u32);

fn arrival_index(a: &Arrival) -> usize {
    (a.2 >> 1) as usize
}

fn arrival_correct(a: &Arrival) -> bool {
    a.2 & 1 == 1
}

fn arrival_instant(a: &Arrival) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(a.0, a.1)
}

/// The labels known at `as_of` in the order they arrived; ties in index order.
fn arrival_order(labels: &[Label], as_of: DateTime<Utc>) -> Vec<Arrival> {
    let mut keys: Vec<Arrival> = (0u32..)
        .zip(labels)
        .filter(|(_, l)| l.labelled_at <= as_of)
        .map(|(i, l)| {
            (l.labelled_at.timestamp(), l.labelled_at.timestamp_subsec_nanos(), i << 1 | u32::from(l.correct))
        })
        .collect();
    keys.sort_unstable();
    keys
}

fn scope<'a>(
    data: &MonitorData,
    params: &SloParams,
    name: &str,
    labels: &[Label],
    decided: &BTreeMap<NaiveDate, u64>,
    sequence: impl Iterator<Item = &'a Arrival>,
) -> Result<ScopeFigures, SloError> {
    let days = by_decision_date(labels, decided, data.as_of);
    let recent_start = data.as_of.date_naive() - chrono::Days::new(RECENT_DAYS as u64);
    let (mut recent_decided, mut recent_labelled) = (0, 0);
    for day in days.iter().filter(|d| d.date >= recent_start) {
        recent_decided += day.decided;
        recent_labelled += day.labelled;
    }
    let worst_day =
        days.iter().filter(|d| d.labelled > 0).map(|d| (d.date, d.accuracy.low)).min_by(|a, b| a.1.total_cmp(&b.1));
    let budget = month_budget(&days, decided, data.as_of, params.target)?;
    let (window, sprt) = replay(params, sequence);
    Ok(ScopeFigures {
        scope: name.to_string(),
        decided: decided.values().sum(),
        labelled: days.iter().map(|d| d.labelled).sum(),
        correct: days.iter().map(|d| d.accuracy.successes).sum(),
        recent_completeness: (recent_decided > 0).then(|| recent_labelled as f64 / recent_decided as f64),
        worst_day,
        window,
        sprt,
        budget,
    })
}

/// The window rule and the SPRT over the labels in arrival order.
fn replay<'a>(params: &SloParams, sequence: impl Iterator<Item = &'a Arrival>) -> (WindowRun, SprtRun) {
    let n = params.rule.n as usize;
    let mut window: VecDeque<bool> = VecDeque::with_capacity(n + 1);
    let mut correct_in_window = 0u32;
    let mut monitor = SprtMonitor::new(params.sprt);
    let (mut w, mut s) = (WindowRun::default(), SprtRun::default());
    for arrival in sequence {
        let correct = arrival_correct(arrival);
        window.push_back(correct);
        correct_in_window += u32::from(correct);
        if window.len() > n {
            correct_in_window -= window.pop_front().map_or(0, u32::from);
        }
        if window.len() == n {
            w.evaluations += 1;
            if params.rule.fires(correct_in_window) {
                w.firing += 1;
                if w.first_firing.is_none() {
                    w.first_firing = arrival_instant(arrival);
                }
            }
        }
        match monitor.observe(correct) {
            Decision::Alarm => {
                s.alarms += 1;
                if s.first_alarm.is_none() {
                    s.first_alarm = arrival_instant(arrival);
                }
            }
            Decision::Accept => s.accepts += 1,
            Decision::Continue => {}
        }
    }
    (w, s)
}

/// The budget of the calendar month before `as_of`, wrong orders estimated
/// from the month's labels known at `as_of` (read off the daily figures).
fn month_budget(
    days: &[DayFigures],
    decided: &BTreeMap<NaiveDate, u64>,
    as_of: DateTime<Utc>,
    target: f64,
) -> Result<ErrorBudget, SloError> {
    let last_day = as_of.date_naive().pred_opt().unwrap_or(as_of.date_naive());
    let month_start = last_day.with_day(1).unwrap_or(last_day);
    let orders: u64 = decided.range(month_start..=last_day).map(|(_, n)| n).sum();
    let (mut audited, mut wrong) = (0, 0);
    for day in days.iter().filter(|d| d.date >= month_start && d.date <= last_day) {
        audited += day.labelled;
        wrong += day.labelled - day.accuracy.successes;
    }
    ErrorBudget::new(target, orders, estimate_wrong(orders, audited, wrong).unwrap_or(0))
}
