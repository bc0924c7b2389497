//! The monitor's part of `prodline demo`: the plant watches itself while
//! three months replay, and the story is told from its audit trail — the
//! customer whose new system changes its orders, caught by drift before its
//! labels show the damage; the EDI feed that goes silent, caught within its
//! cadence; the SLO with its error budget, the run cost and the KPI.

use std::path::Path;

use anyhow::{Context as _, bail};
use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use prodline_config::Config;
use prodline_core::scoring::document_correct;
use prodline_demo::DemoSummary;
use prodline_eval::Dataset;
use prodline_monitor::cost::{CostReport, money};
use prodline_monitor::kpi::KpiReport;
use prodline_runtime::watch::{HoldReason, Ledger, Route, SloStatus, WorkflowStatus, assess};
use prodline_runtime::{Clock, Runner};
use prodline_store::{SqliteStore, Store};
use serde::Serialize;

use crate::demo_loop::{LoopReport, Replay, Truth, WORKFLOW};

/// What the plant's monitor saw, from its audit trail.
#[derive(Debug, Clone, Serialize)]
pub struct Story {
    pub as_of: DateTime<Utc>,
    /// The last full month of the replay: the SLO's error budget, the cost
    /// and the KPI are shown for it (as judged at its last second).
    pub month: String,
    pub drift: DriftFinding,
    pub dead_feed: DeadFeedFinding,
    /// The workflow's SLO (scope `all`) at the end.
    pub slo: Option<SloStatus>,
    pub cost: Option<CostReport>,
    pub kpi: Option<KpiReport>,
    /// Every alert change in order: `FIRING`/`resolved`, key, monitor time.
    pub alerts: Vec<(String, String, Option<DateTime<Utc>>)>,
}

/// The customer whose system changed.
#[derive(Debug, Clone, Serialize)]
pub struct DriftFinding {
    pub customer_id: String,
    pub feed: String,
    pub changed_from: NaiveDate,
    /// Arrival of the first document in the new layout.
    pub first_changed_at: Option<DateTime<Utc>>,
    /// When the monitor raised the feed's drift alert.
    pub alert_at: Option<DateTime<Utc>>,
    /// Documents of the feed that arrived from the change to the alert.
    pub documents_until_alert: usize,
    /// Documents of the feed since the change, and how many of them the
    /// pipeline read wrong (by the generated truth).
    pub documents_after_change: usize,
    pub read_wrong_after_change: usize,
    /// The first moment the labels of the feed's documents since the change
    /// put its accuracy under the SLO target: the earliest the damage could
    /// be seen without drift detection. `None`: it never fell.
    pub accuracy_below_slo_at: Option<DateTime<Utc>>,
    /// Documents held in review because the feed was drifting.
    pub held_for_drift: usize,
    /// Wrong orders that went to the ERP untouched after the change.
    pub posted_wrong_after_change: usize,
}

/// The EDI feed that went silent.
#[derive(Debug, Clone, Serialize)]
pub struct DeadFeedFinding {
    pub customer_id: String,
    pub feed: String,
    pub last_before_gap: Option<DateTime<Utc>>,
    pub resumed_at: Option<DateTime<Utc>>,
    pub alert_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// The configured cadence's alarm threshold, and how long (business
    /// hours of the plant's calendar) after the last document the alarm came.
    pub threshold_hours: f64,
    pub alert_after_hours: Option<f64>,
    /// Hours between the alarm threshold and the monitor pass that saw it:
    /// the monitor runs when documents arrive, so this is at most the gap to
    /// the next arrival of any feed.
    pub pass_delay_hours: Option<f64>,
}

/// The dead feed's configured cadence: the feed delivers most working days.
pub const DEAD_FEED_EXPECTED_HOURS: u32 = 48;

/// The plant's monitoring sections: calendar, the dead feed's cadence,
/// budget line and rates, the KPI and whose scorecard it lands on.
pub fn add_monitoring(config_path: &Path, story: &DemoSummary) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(config_path).with_context(|| format!("reading {}", config_path.display()))?;
    if text.contains("[workflow.budget]") {
        bail!("{}: already has a [workflow.budget]", config_path.display());
    }
    let feed = format!("{}/edi", story.dead_feed.customer_id);
    let sections = format!(
        r#"
# The plant's business calendar: feed silence is counted in working hours.
[calendar]
time_zone = "UTC"
working_days = ["mon", "tue", "wed", "thu", "fri"]

# The EDI feed the plant depends on most is expected every {DEAD_FEED_EXPECTED_HOURS} working hours;
# other feeds have their cadence learned from their arrivals.
[workflow.liveness.feed."{feed}"]
expected_every_hours = {DEAD_FEED_EXPECTED_HOURS}

# The run cost's budget line, with the rates it is computed from.
[workflow.budget]
currency = "USD"
monthly = 4000
ocr_page = 0.015
compute_document = 0.004
reviewer_minutes_per_document = 3
labour_rate_hour = 42

[[workflow.budget.fixed]]
name = "operations (0.25 FTE)"
monthly = 1750

# The value, on one person's scorecard.
[workflow.kpi]
name = "order-entry hours saved"
owner = {{ name = "Head of Customer Service", email = "cs.head@example.com" }}
minutes_per_manual_order = 6
"#
    );
    std::fs::write(config_path, text + &sections).with_context(|| format!("writing {}", config_path.display()))
}

/// After the last day: the reviewer's last round, the passes it causes,
/// then the story from the audit trail as of the day after the last arrival.
pub async fn finish(
    runner: &mut Runner,
    plant: &Replay<'_>,
    dataset: &Dataset,
    summary: &DemoSummary,
    report: &mut LoopReport,
) -> anyhow::Result<()> {
    let Replay { store, clock, config, truth } = *plant;
    let last = dataset.documents.iter().filter_map(|document| document.received_at).max();
    if let Some(last) = last {
        clock.set(last + TimeDelta::days(1));
    }
    // The last day's queue is left for a person: `prodline demo` ends by
    // serving the review desk on this plant.
    for _ in 0..crate::demo_loop::MAX_PASSES_PER_BATCH {
        let pass = runner.run_once(store, clock).await?;
        report.passes += 1;
        if !pass.moved() {
            break;
        }
    }
    let ledger = Ledger::read(store).await?;
    let now = clock.now();
    let statuses = assess(config, &ledger, now);
    let status = statuses.iter().find(|status| status.workflow == WORKFLOW).context("the plant's workflow")?;
    let drift = drift_finding(store, &ledger, status, truth, summary).await?;
    let month_end = last_full_month_end(now);
    let by_month = assess(config, &ledger, month_end);
    let month = by_month.iter().find(|status| status.workflow == WORKFLOW).context("the plant's workflow")?;
    let dead_feed = dead_feed_finding(config, &ledger, summary);
    let alerts = ledger
        .history
        .iter()
        .map(|(fired, record)| {
            let state = if *fired { "FIRING" } else { "resolved" };
            (state.to_owned(), record.key.clone(), record.as_of)
        })
        .collect();
    report.story = Some(Story {
        as_of: now,
        month: month_end.format("%B %Y").to_string(),
        drift,
        dead_feed,
        slo: month.slo.iter().find(|slo| slo.scope == "all").cloned(),
        cost: month.cost.clone(),
        kpi: month.kpi.clone(),
        alerts,
    });
    Ok(())
}

/// The last second of the month before `now`'s.
fn last_full_month_end(now: DateTime<Utc>) -> DateTime<Utc> {
    let date = now.date_naive();
    let first = date.with_day(1).unwrap_or(date);
    first.and_time(chrono::NaiveTime::MIN).and_utc() - TimeDelta::seconds(1)
}

async fn drift_finding(
    store: &SqliteStore,
    ledger: &Ledger,
    status: &WorkflowStatus,
    truth: &Truth,
    summary: &DemoSummary,
) -> anyhow::Result<DriftFinding> {
    let customer = &summary.drift.customer_id;
    let feed = format!("{customer}/edi");
    let changed = summary.drift.from;
    let target = status.slo.iter().find(|slo| slo.scope == "all").map_or(0.92, |slo| slo.target);
    let mut after: Vec<(&prodline_runtime::watch::Entry, &prodline_runtime::watch::Watch, prodline_store::DocumentId)> =
        Vec::new();
    for (id, entry) in &ledger.documents {
        if let Some(watch) = &entry.watch
            && watch.workflow == WORKFLOW
            && watch.feed == feed
            && watch.received_at.date_naive() >= changed
        {
            after.push((entry, watch, *id));
        }
    }
    after.sort_by_key(|(_, watch, _)| watch.received_at);
    let first_changed_at = after.first().map(|(_, watch, _)| watch.received_at);
    let alert_at = ledger
        .history
        .iter()
        .filter(|(fired, record)| *fired && record.key == format!("drift/{WORKFLOW}/{feed}"))
        .filter_map(|(_, record)| record.as_of)
        .find(|at| first_changed_at.is_some_and(|first| *at >= first));
    let documents_until_alert =
        alert_at.map_or(after.len(), |at| after.iter().filter(|(_, watch, _)| watch.received_at <= at).count());

    let mut read_wrong = 0;
    let mut posted_wrong = 0;
    for (entry, _, id) in &after {
        let Some(document) = store.document(*id).await? else { continue };
        let right = truth.orders(&document.file_name).is_some_and(|orders| document_correct(&entry.planned, orders));
        if !right {
            read_wrong += 1;
            if entry.route == Route::Auto {
                posted_wrong += 1;
            }
        }
    }
    // The labels as they arrived: the first instant they put the feed under target.
    let mut labels: Vec<(DateTime<Utc>, bool)> =
        after.iter().filter_map(|(entry, _, _)| entry.verdict.map(|v| (v.at, v.correct))).collect();
    labels.sort();
    let (mut seen, mut right) = (0u32, 0u32);
    let mut accuracy_below_slo_at = None;
    for (at, correct) in labels {
        seen += 1;
        right += u32::from(correct);
        if f64::from(right) < target * f64::from(seen) {
            accuracy_below_slo_at = Some(at);
            break;
        }
    }
    Ok(DriftFinding {
        customer_id: customer.clone(),
        feed,
        changed_from: changed,
        first_changed_at,
        alert_at,
        documents_until_alert,
        documents_after_change: after.len(),
        read_wrong_after_change: read_wrong,
        accuracy_below_slo_at,
        held_for_drift: after
            .iter()
            .filter(|(entry, _, _)| entry.route == Route::Review(HoldReason::Drift.as_str().to_owned()))
            .count(),
        posted_wrong_after_change: posted_wrong,
    })
}

fn dead_feed_finding(config: &Config, ledger: &Ledger, summary: &DemoSummary) -> DeadFeedFinding {
    let customer = &summary.dead_feed.customer_id;
    let feed = format!("{customer}/edi");
    let gap_start = summary.dead_feed.last_document;
    let arrivals: Vec<DateTime<Utc>> = ledger
        .documents
        .values()
        .filter_map(|entry| entry.watch.as_ref())
        .filter(|watch| watch.workflow == WORKFLOW && watch.feed == feed)
        .map(|watch| watch.received_at)
        .collect();
    let last_before_gap = arrivals.iter().filter(|at| at.date_naive() <= gap_start).max().copied();
    let resumed_at = arrivals.iter().filter(|at| at.date_naive() > gap_start).min().copied();
    let key = format!("feed_silent/{WORKFLOW}/{feed}");
    let after_gap = |at: &DateTime<Utc>| last_before_gap.is_some_and(|last| *at > last);
    let alert_at = ledger
        .history
        .iter()
        .filter(|(fired, record)| *fired && record.key == key)
        .filter_map(|(_, record)| record.as_of)
        .find(after_gap);
    let resolved_at = ledger
        .history
        .iter()
        .filter(|(fired, record)| !*fired && record.key == key)
        .filter_map(|(_, record)| record.as_of)
        .find(|at| alert_at.is_some_and(|fired| *at > fired));
    let threshold_hours = f64::from(DEAD_FEED_EXPECTED_HOURS) * 2.0;
    let hours = |from: DateTime<Utc>, to: DateTime<Utc>| config.calendar.business_seconds(from, to) as f64 / 3600.0;
    let alert_after_hours = match (last_before_gap, alert_at) {
        (Some(last), Some(alert)) => Some(hours(last, alert)),
        _ => None,
    };
    DeadFeedFinding {
        customer_id: customer.clone(),
        feed,
        last_before_gap,
        resumed_at,
        alert_at,
        resolved_at,
        threshold_hours,
        alert_after_hours,
        pass_delay_hours: alert_after_hours.map(|after| after - threshold_hours),
    }
}

impl Story {
    /// The story as the demo prints it.
    pub fn print(&self) {
        println!("\nThe plant watched itself (prodline status -c <plant>/prodline.toml shows the same):");
        let d = &self.drift;
        println!(
            "  drift           {} changed its orders on {} ({} documents since, {} read wrong by the pipeline)",
            d.feed, d.changed_from, d.documents_after_change, d.read_wrong_after_change
        );
        match d.alert_at {
            Some(at) => println!(
                "                  drift alert at {at}, after {} documents in the new layout; {} held for review",
                d.documents_until_alert, d.held_for_drift
            ),
            None => println!("                  no drift alert was raised"),
        }
        match d.accuracy_below_slo_at {
            Some(at) => println!("                  its labels first showed accuracy under the SLO at {at}"),
            None => println!("                  its labels never showed accuracy under the SLO"),
        }
        println!("                  wrong orders posted untouched after the change: {}", d.posted_wrong_after_change);
        let f = &self.dead_feed;
        match (f.last_before_gap, f.alert_at) {
            (Some(last), Some(alert)) => println!(
                "  dead feed       {} silent after {last}; alarm at {alert}, {:.0} working hours later (threshold {:.0} h){}",
                f.feed,
                f.alert_after_hours.unwrap_or_default(),
                f.threshold_hours,
                f.resolved_at.map(|at| format!(", resolved at {at}")).unwrap_or_default()
            ),
            _ => println!("  dead feed       {}: no silence alarm was raised", f.feed),
        }
        if let Some(slo) = &self.slo {
            println!(
                "  SLO             {}: auto-approve accuracy {}/{} on the audit sample (target {:.0} %), sequential test: {}",
                self.month,
                slo.accuracy.successes,
                slo.accuracy.trials,
                slo.target * 100.0,
                slo.sequential.last
            );
            if let Some(budget) = &slo.budget {
                println!(
                    "                  error budget: {} wrong orders used of {} allowed",
                    budget.used, budget.allowed
                );
            }
        }
        if let Some(cost) = &self.cost {
            println!(
                "  cost            {}: {} {} of {} budgeted; per order {}",
                self.month,
                cost.currency,
                money(cost.month_to_date),
                money(cost.budget),
                cost.cost_per_order.map_or("n/a".to_owned(), money)
            );
        }
        if let Some(kpi) = &self.kpi {
            println!("  KPI             {}: {}", self.month, kpi.summary());
        }
        let firing = self.alerts.iter().filter(|(state, _, _)| state == "FIRING").count();
        println!("  alerts          {} raised over the three months ({} resolved)", firing, self.alerts.len() - firing);
    }
}
