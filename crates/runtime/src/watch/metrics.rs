//! The monitor's figures in the Prometheus text exposition format (0.0.4),
//! for `GET /metrics`: the same [`WorkflowStatus`] `prodline status` shows,
//! as gauges labelled by `workflow` and `scope` (SLO) or `feed` (drift).
//!
//! Written by hand rather than through a metrics registry: every scrape
//! recomputes the figures from the audit trail, so there is no state to
//! keep between scrapes, and the format is a few lines of HELP/TYPE and
//! `name{labels} value` with three escapes in label values.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use prodline_monitor::slo::DayFigures;

use super::render::signal_name;
use super::{SloStatus, WorkflowStatus};

/// The `Content-Type` of the exposition.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What a metric is, in the `# TYPE` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Gauge,
    Counter,
}

/// One metric's name, type and help text.
struct Metric {
    name: &'static str,
    kind: Kind,
    help: &'static str,
}

const fn gauge(name: &'static str, help: &'static str) -> Metric {
    Metric { name, kind: Kind::Gauge, help }
}

const fn counter(name: &'static str, help: &'static str) -> Metric {
    Metric { name, kind: Kind::Counter, help }
}

const DECIDED: Metric = counter("prodline_documents_decided_total", "Documents decided by the pipeline.");
const TOUCHLESS: Metric =
    counter("prodline_documents_touchless_total", "Documents posted to the ERP without a person touching them.");
const ACCURACY: Metric =
    gauge("prodline_slo_accuracy", "Auto-approve accuracy from the audit sample (correct labels / labels).");
const ACCURACY_LOW: Metric = gauge("prodline_slo_accuracy_lower", "Lower end of the 95 % Wilson interval.");
const ACCURACY_HIGH: Metric = gauge("prodline_slo_accuracy_upper", "Upper end of the 95 % Wilson interval.");
const TARGET: Metric = gauge("prodline_slo_target", "Auto-approve accuracy the workflow promises.");
const LABELS: Metric = counter("prodline_slo_labels_total", "Audit labels known (reviewed audit-sample documents).");
const BREACHED: Metric = gauge("prodline_slo_breached", "1 when the sequential test's last verdict is an alarm.");
const WINDOW_FALSE_ALARM: Metric = gauge(
    "prodline_slo_window_false_alarm_probability",
    "Probability that the window rule fires within a month of labels although accuracy is at the target.",
);
const WINDOW_FIRING: Metric =
    gauge("prodline_slo_window_firing", "1 when a full window is below the rule's threshold.");
const LLR: Metric = gauge("prodline_slo_sprt_llr", "Log-likelihood ratio of the current sequential test.");
const ALARM_BOUND: Metric = gauge("prodline_slo_sprt_alarm_bound", "The sequential test alarms at this llr.");
const ACCEPT_BOUND: Metric = gauge("prodline_slo_sprt_accept_bound", "The sequential test accepts at this llr.");
const BUDGET_ALLOWED: Metric =
    gauge("prodline_error_budget_allowed", "Wrong auto-posted orders the target allows this month.");
const BUDGET_USED: Metric =
    gauge("prodline_error_budget_used", "Wrong auto-posted orders this month, estimated from the audit sample.");
const COMPLETENESS: Metric = gauge(
    "prodline_label_completeness",
    "Labelled / decided would-be auto-approvals of the latest full day with decisions.",
);
const DRIFT_SIGNAL: Metric = gauge("prodline_drift_signal", "A drift signal's figure for a feed.");
const DRIFTING: Metric = gauge("prodline_drift_drifting", "1 when any drift signal of the feed fired.");
const ALERTS: Metric = gauge("prodline_alerts_firing", "Alert conditions firing now.");
const HOLDS: Metric = gauge("prodline_holds", "Feeds and groups held in review.");
const PAUSED: Metric = gauge(
    "prodline_auto_approve_paused",
    "1 for each workflow (subject all) or feed whose auto-approve a person paused (also counted in prodline_holds).",
);
const FEED_SILENT: Metric = gauge("prodline_feed_silent", "1 when the feed is silent past its cadence.");
const FEED_SILENCE: Metric =
    gauge("prodline_feed_silent_business_seconds", "Working seconds since the feed's last document.");
const FEED_THRESHOLD: Metric =
    gauge("prodline_feed_threshold_business_seconds", "Working seconds of silence at which the feed alarms.");
const COST_MTD: Metric = gauge("prodline_cost_month_to_date", "Run cost this month, in the budget's currency.");
const COST_FORECAST: Metric = gauge("prodline_cost_forecast", "Run cost forecast to the end of the month.");
const COST_BUDGET: Metric = gauge("prodline_cost_budget", "The monthly budget line.");
const COST_PER_ORDER: Metric = gauge("prodline_cost_per_order", "Run cost this month per order posted.");
const KPI_HOURS: Metric = gauge("prodline_kpi_hours_saved", "KPI: hours saved this month (gross, and net of review).");
const KPI_FTE: Metric = gauge("prodline_kpi_fte_saved", "KPI: FTE saved this month (net of review).");

/// Every metric, in the order of the exposition.
const METRICS: [&Metric; 30] = [
    &DECIDED,
    &TOUCHLESS,
    &ACCURACY,
    &ACCURACY_LOW,
    &ACCURACY_HIGH,
    &TARGET,
    &LABELS,
    &BREACHED,
    &WINDOW_FALSE_ALARM,
    &WINDOW_FIRING,
    &LLR,
    &ALARM_BOUND,
    &ACCEPT_BOUND,
    &BUDGET_ALLOWED,
    &BUDGET_USED,
    &COMPLETENESS,
    &DRIFT_SIGNAL,
    &DRIFTING,
    &ALERTS,
    &HOLDS,
    &PAUSED,
    &FEED_SILENT,
    &FEED_SILENCE,
    &FEED_THRESHOLD,
    &COST_MTD,
    &COST_FORECAST,
    &COST_BUDGET,
    &COST_PER_ORDER,
    &KPI_HOURS,
    &KPI_FTE,
];

/// Samples grouped by metric: the format wants each family's lines together.
struct Exposition {
    samples: Vec<Vec<String>>,
}

impl Exposition {
    fn new() -> Exposition {
        Exposition { samples: vec![Vec::new(); METRICS.len()] }
    }

    fn sample(&mut self, metric: &Metric, labels: &[(&str, &str)], value: f64) {
        let Some(index) = METRICS.iter().position(|known| known.name == metric.name) else { return };
        let labels: Vec<String> =
            labels.iter().map(|(name, value)| format!("{name}=\"{}\"", escape_label(value))).collect();
        let line = format!("{}{{{}}} {}", metric.name, labels.join(","), number(value));
        self.samples[index].push(line);
    }

    fn render(&self) -> String {
        let mut out = String::new();
        for (metric, samples) in METRICS.iter().zip(&self.samples) {
            let kind = match metric.kind {
                Kind::Gauge => "gauge",
                Kind::Counter => "counter",
            };
            let _ = writeln!(out, "# HELP {} {}", metric.name, escape_help(metric.help));
            let _ = writeln!(out, "# TYPE {} {kind}", metric.name);
            for sample in samples {
                let _ = writeln!(out, "{sample}");
            }
        }
        out
    }
}

/// Every workflow's figures as a Prometheus text exposition.
pub fn prometheus(statuses: &[WorkflowStatus]) -> String {
    let mut exposition = Exposition::new();
    for status in statuses {
        workflow_samples(&mut exposition, status);
    }
    exposition.render()
}

fn workflow_samples(out: &mut Exposition, status: &WorkflowStatus) {
    let workflow = [("workflow", status.workflow.as_str())];
    out.sample(&DECIDED, &workflow, status.decided as f64);
    out.sample(&TOUCHLESS, &workflow, status.touchless as f64);
    for slo in &status.slo {
        slo_samples(out, &status.workflow, slo, status.as_of);
    }
    for feed in &status.drift {
        let labels = [("workflow", status.workflow.as_str()), ("feed", feed.feed.as_str())];
        out.sample(&DRIFTING, &labels, flag(feed.report.drifting));
        for signal in &feed.report.signals {
            let labels = [
                ("workflow", status.workflow.as_str()),
                ("feed", feed.feed.as_str()),
                ("signal", signal_name(signal.kind)),
            ];
            out.sample(&DRIFT_SIGNAL, &labels, signal.value);
        }
    }
    out.sample(&ALERTS, &workflow, status.alerts.len() as f64);
    out.sample(&HOLDS, &workflow, status.holds.len() as f64);
    for pause in &status.pauses {
        out.sample(&PAUSED, &[("workflow", status.workflow.as_str()), ("subject", pause.subject())], 1.0);
    }
    for feed in &status.liveness {
        let labels = [("workflow", status.workflow.as_str()), ("feed", feed.feed.as_str())];
        out.sample(&FEED_SILENT, &labels, flag(feed.status.silent));
        out.sample(&FEED_SILENCE, &labels, feed.status.silent_business_seconds as f64);
        out.sample(&FEED_THRESHOLD, &labels, feed.status.threshold_seconds as f64);
    }
    if let Some(cost) = &status.cost {
        let labels = [("workflow", status.workflow.as_str()), ("currency", cost.currency.as_str())];
        out.sample(&COST_MTD, &labels, decimal(cost.month_to_date));
        out.sample(&COST_FORECAST, &labels, decimal(cost.forecast));
        out.sample(&COST_BUDGET, &labels, decimal(cost.budget));
        if let Some(per_order) = cost.cost_per_order {
            out.sample(&COST_PER_ORDER, &labels, decimal(per_order));
        }
    }
    if let Some(kpi) = &status.kpi {
        let figures = &kpi.month_to_date;
        let gross = [("workflow", status.workflow.as_str()), ("basis", "gross")];
        let net = [("workflow", status.workflow.as_str()), ("basis", "net")];
        out.sample(&KPI_HOURS, &gross, decimal(figures.hours_saved_gross));
        out.sample(&KPI_HOURS, &net, decimal(figures.hours_saved_net));
        out.sample(&KPI_FTE, &workflow, decimal(kpi.fte_net));
    }
}

/// Money and hours are decimals; Prometheus samples are floats.
fn decimal(value: rust_decimal::Decimal) -> f64 {
    use rust_decimal::prelude::ToPrimitive;
    value.to_f64().unwrap_or(f64::NAN)
}

fn slo_samples(out: &mut Exposition, workflow: &str, slo: &SloStatus, as_of: DateTime<Utc>) {
    let labels = [("workflow", workflow), ("scope", slo.scope.as_str())];
    if let Some(rate) = slo.accuracy.rate {
        out.sample(&ACCURACY, &labels, rate);
        out.sample(&ACCURACY_LOW, &labels, slo.accuracy.low);
        out.sample(&ACCURACY_HIGH, &labels, slo.accuracy.high);
    }
    out.sample(&TARGET, &labels, slo.target);
    out.sample(&LABELS, &labels, slo.accuracy.trials as f64);
    out.sample(&BREACHED, &labels, flag(slo.breached));
    if let Some(probability) = slo.window.false_alarm_at_target {
        out.sample(&WINDOW_FALSE_ALARM, &labels, probability);
    }
    out.sample(&WINDOW_FIRING, &labels, flag(slo.window.firing));
    out.sample(&LLR, &labels, slo.sequential.llr);
    out.sample(&ALARM_BOUND, &labels, slo.sequential.alarm_at);
    out.sample(&ACCEPT_BOUND, &labels, slo.sequential.accept_at);
    if let Some(budget) = &slo.budget {
        out.sample(&BUDGET_ALLOWED, &labels, budget.allowed as f64);
        out.sample(&BUDGET_USED, &labels, budget.used as f64);
    }
    if let Some(completeness) = latest_full_day(&slo.days, as_of).and_then(|day| day.completeness) {
        out.sample(&COMPLETENESS, &labels, completeness);
    }
}

/// The last day before `as_of`'s date that had decisions: today is still
/// being labelled, so its completeness would always look low.
pub fn latest_full_day(days: &[DayFigures], as_of: DateTime<Utc>) -> Option<&DayFigures> {
    let today = as_of.date_naive();
    days.iter().rev().find(|day| day.date < today && day.completeness.is_some())
}

fn flag(on: bool) -> f64 {
    if on { 1.0 } else { 0.0 }
}

/// A sample value as the format writes it (`NaN`, `+Inf`, `-Inf`).
fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_owned()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        value.to_string()
    }
}

/// Label values escape backslash, double quote and line feed.
fn escape_label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// HELP texts escape backslash and line feed.
fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone};
    use prodline_core::stats::Proportion;

    use super::*;

    #[test]
    fn label_values_and_numbers_are_written_as_the_format_wants() {
        assert_eq!(escape_label("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
        assert_eq!(escape_help("x\\y\nz"), "x\\\\y\\nz");
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(number(f64::INFINITY), "+Inf");
        assert_eq!(number(f64::NEG_INFINITY), "-Inf");
        assert_eq!(number(3.0), "3");
        assert_eq!(number(0.25), "0.25");
    }

    #[test]
    fn a_family_is_written_once_with_its_samples_together() {
        let mut exposition = Exposition::new();
        exposition.sample(&HOLDS, &[("workflow", "a")], 1.0);
        exposition.sample(&ALERTS, &[("workflow", "a")], 2.0);
        exposition.sample(&HOLDS, &[("workflow", "b\"q")], 0.0);
        let text = exposition.render();
        let holds = "# HELP prodline_holds Feeds and groups held in review.\n# TYPE prodline_holds gauge\n\
                     prodline_holds{workflow=\"a\"} 1\nprodline_holds{workflow=\"b\\\"q\"} 0\n";
        assert!(text.contains(holds), "{text}");
        assert!(text.contains("prodline_alerts_firing{workflow=\"a\"} 2\n"), "{text}");
        assert_eq!(text.matches("# TYPE prodline_holds ").count(), 1);
    }

    #[test]
    fn completeness_is_the_latest_full_day_with_decisions() {
        let day = |d: u32, decided: u64, labelled: u64| DayFigures {
            date: NaiveDate::from_ymd_opt(2026, 11, d).unwrap(),
            decided,
            labelled,
            accuracy: Proportion::new(labelled, labelled),
            completeness: (decided > 0).then(|| labelled as f64 / decided as f64),
        };
        let days = [day(22, 10, 9), day(23, 0, 1), day(24, 4, 1)];
        let as_of = Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap();
        // 24 Nov: 1 of 4 labelled.
        assert_eq!(latest_full_day(&days, as_of).and_then(|d| d.completeness), Some(0.25));
        // On the 24th itself, the 23rd has no decisions: the 22nd, 9 of 10.
        let as_of = Utc.with_ymd_and_hms(2026, 11, 24, 18, 0, 0).unwrap();
        assert_eq!(latest_full_day(&days, as_of).and_then(|d| d.completeness), Some(0.9));
    }
}
