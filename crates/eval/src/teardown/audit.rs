//! `prodline audit`: one workflow scored against the five reasons pilots die
//! in production, each finding with the exact key or command that fixes it.
//!
//! The rules, area by area (a `fail` blocks, a `warn` does not):
//! - data: fail without an eval report; fail when that eval was not a
//!   seeded random sample (`--sample`), since a folder of examples is
//!   hand-picked whether anyone meant it or not; fail when any document with
//!   no order was auto-approved; warn under [`MIN_EVAL_DOCUMENTS`]
//!   documents; warn when auto precision's 95 % Wilson lower bound is under
//!   [`MIN_LOWER_BOUND`] or nothing was auto-approved; warn when curated
//!   samples read more than [`MAX_GAP_POINTS`] points better than a random
//!   sample (order accuracy or auto precision).
//! - integration: fail without a target; fail when `prodline check` has not
//!   probed it, when it is unreachable, when the mapping does not fit, and
//!   for each problem the probe reported; warn when the target has no API.
//! - accuracy ownership: fail without an SLO target, without an alarm rule
//!   (window or sequential test), with `audit_rate` 0, without an alert
//!   channel, without a named owner; warn without drift or liveness watch.
//! - operating ownership: fail without a named owner or without a monthly
//!   budget above zero; warn when the rates or the cost per order are unknown.
//! - value: fail without a KPI or without the KPI's owner; warn without the
//!   minutes a manual order takes (no hours to show).
//!
//! An area is `fail` if any finding fails, else `warn` if any warns, else
//! `pass`. Score: 20 points per passing area, 10 per warning one (0–100).

use prodline_core::Decimal;
use prodline_core::stats::Proportion;
use serde::{Deserialize, Serialize};

use super::keys;
use crate::gap::GapPoints;
use crate::report::Report;

/// Fewer documents than this leave a Wilson interval too wide to set a gate on.
pub const MIN_EVAL_DOCUMENTS: u64 = 200;
/// The go-live gate on auto precision, held by the interval's lower bound.
pub const MIN_LOWER_BOUND: f64 = 0.97;
/// Curated minus live, in percentage points, beyond which the pilot's
/// figure is not the production figure.
pub const MAX_GAP_POINTS: f64 = 5.0;

/// Everything the audit looks at, as plain data gathered by the caller.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditFacts {
    pub workflow: String,
    pub owner: Option<Owner>,
    /// From an eval report (`--eval REPORT.json`); `None` when none was given.
    pub eval: Option<EvalFacts>,
    pub integration: IntegrationFacts,
    pub accuracy: AccuracyFacts,
    pub operating: OperatingFacts,
    pub value: ValueFacts,
}

/// The person answerable for the workflow.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub name: String,
    pub email: String,
}

/// What an eval report says about how honestly the workflow was measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalFacts {
    /// Documents evaluated.
    pub documents: u64,
    pub dataset: Option<String>,
    /// The documents were a seeded random sample (`eval --sample N`).
    pub random_sample: bool,
    pub sample: Option<usize>,
    pub documents_available: Option<u64>,
    /// Share of the evaluated documents marked curated; known only from an
    /// `eval --curated` run.
    pub curated_share: Option<f64>,
    /// Curated minus live, in points (`eval --curated`).
    pub gap: Option<GapPoints>,
    pub auto_precision: Proportion,
    /// 95 % Wilson lower bound of `auto_precision`; `None` when nothing was
    /// auto-approved.
    pub auto_precision_lower_bound: Option<f64>,
    pub order_accuracy: Proportion,
    pub stp_rate: Proportion,
    /// Documents with no order that were auto-approved: must be 0 of n.
    pub garbage_auto_approved: Proportion,
}

impl EvalFacts {
    /// The facts of a `prodline eval` report; a report without `run`
    /// (scored from records directly) is not a random sample.
    pub fn from_report(report: &Report) -> EvalFacts {
        let run = report.run.as_ref();
        let overall = &report.overall;
        let curated_share = report
            .gap
            .as_ref()
            .and_then(|gap| (report.documents > 0).then(|| gap.curated.documents as f64 / report.documents as f64));
        EvalFacts {
            documents: report.documents,
            dataset: run.map(|r| r.dataset.clone()),
            random_sample: run.is_some_and(|r| r.sample.is_some()),
            sample: run.and_then(|r| r.sample),
            documents_available: run.map(|r| r.documents_available),
            curated_share,
            gap: report.gap.as_ref().map(|gap| gap.difference_points),
            auto_precision: overall.auto_precision,
            auto_precision_lower_bound: report
                .auto_precision_lower_bound
                .or_else(|| overall.auto_precision.rate.map(|_| overall.auto_precision.low)),
            order_accuracy: overall.order_accuracy,
            stp_rate: overall.stp_rate,
            garbage_auto_approved: report.garbage.auto_approved,
        }
    }
}

/// Where orders are posted, and what `prodline check` found there.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IntegrationFacts {
    /// `sql`, `tryton`, `file_drop`; `None` when no target is configured.
    pub target_kind: Option<String>,
    /// The target was probed by `prodline check`.
    pub checked: bool,
    pub reachable: Option<bool>,
    /// The configured columns exist and take the values written.
    pub mapping_ok: Option<bool>,
    /// What the probe reported, one line each.
    pub problems: Vec<String>,
    /// The ERP takes orders through an API (not a file or its database).
    pub has_api: bool,
}

/// Who watches accuracy once it drifts, and how.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccuracyFacts {
    /// `[workflow.slo] target`, e.g. 0.92.
    pub slo_target: Option<f64>,
    /// The alarm rule as written, e.g. "below 90 % over the last 100 labelled".
    pub window_rule: Option<String>,
    pub sequential_test: bool,
    pub audit_rate: f64,
    pub alert_channels: usize,
    pub owner_named: bool,
    pub drift_watch: bool,
    pub liveness_watch: bool,
}

/// Who runs the workflow and what it may cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OperatingFacts {
    pub owner_named: bool,
    #[serde(default, with = "prodline_core::decimal_json::option")]
    pub budget_monthly: Option<Decimal>,
    /// The prices that turn the extractor's usage into money are set.
    pub rates_known: bool,
    #[serde(default, with = "prodline_core::decimal_json::option")]
    pub cost_per_order: Option<Decimal>,
    pub currency: Option<String>,
}

/// Whose number moves when the workflow works.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ValueFacts {
    pub kpi_name: Option<String>,
    pub kpi_owner: Option<String>,
    #[serde(default, with = "prodline_core::decimal_json::option")]
    pub minutes_per_manual_order: Option<Decimal>,
}

/// The five areas, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Area {
    Data,
    Integration,
    AccuracyOwnership,
    OperatingOwnership,
    Value,
}

impl Area {
    pub const ALL: [Area; 5] =
        [Area::Data, Area::Integration, Area::AccuracyOwnership, Area::OperatingOwnership, Area::Value];

    pub fn title(self) -> &'static str {
        match self {
            Area::Data => "Data",
            Area::Integration => "Integration",
            Area::AccuracyOwnership => "Accuracy ownership",
            Area::OperatingOwnership => "Operating ownership",
            Area::Value => "Value",
        }
    }

    /// How pilots die here, one line.
    pub fn risk(self) -> &'static str {
        match self {
            Area::Data => "measured on curated samples, not on a random sample of production",
            Area::Integration => "nobody scoped posting into the ERP",
            Area::AccuracyOwnership => "nobody owns accuracy once it drifts",
            Area::OperatingOwnership => "no owner, no budget line, run cost unknown",
            Area::Value => "it lands on nobody's KPI",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Warn,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// One rule's outcome; `fix` names the key or command, and is `None` on a pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub status: Status,
    pub what: String,
    pub fix: Option<String>,
}

impl Finding {
    fn pass(what: impl Into<String>) -> Finding {
        Finding { status: Status::Pass, what: what.into(), fix: None }
    }

    fn warn(what: impl Into<String>, fix: impl Into<String>) -> Finding {
        Finding { status: Status::Warn, what: what.into(), fix: Some(fix.into()) }
    }

    fn fail(what: impl Into<String>, fix: impl Into<String>) -> Finding {
        Finding { status: Status::Fail, what: what.into(), fix: Some(fix.into()) }
    }

    /// A rule that either holds or fails (or warns) with its fix.
    fn rule(holds: bool, status: Status, ok: impl Into<String>, bad: impl Into<String>, fix: &str) -> Finding {
        if holds { Finding::pass(ok) } else { Finding { status, what: bad.into(), fix: Some(fix.to_owned()) } }
    }

    pub fn is_blocker(&self) -> bool {
        self.status == Status::Fail
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaScore {
    pub area: Area,
    pub status: Status,
    pub findings: Vec<Finding>,
}

impl AreaScore {
    fn of(area: Area, findings: Vec<Finding>) -> AreaScore {
        let status = findings.iter().map(|f| f.status).max().unwrap_or(Status::Pass);
        AreaScore { area, status, findings }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditReport {
    pub workflow: String,
    pub owner: Option<Owner>,
    /// Data, integration, accuracy ownership, operating ownership, value.
    pub areas: [AreaScore; 5],
    /// 20 points per passing area, 10 per warning one: 0–100.
    pub score: u32,
    pub passed_areas: usize,
    /// Failing findings: each stops the go-live.
    pub blockers: usize,
    pub warnings: usize,
    /// `ready` or `blocked: N blockers`.
    pub verdict: String,
}

/// Score a workflow against the five areas by the rules of this module.
pub fn audit(facts: &AuditFacts) -> AuditReport {
    let areas = [
        AreaScore::of(Area::Data, data(facts.eval.as_ref())),
        AreaScore::of(Area::Integration, integration(&facts.integration)),
        AreaScore::of(Area::AccuracyOwnership, accuracy(&facts.accuracy)),
        AreaScore::of(Area::OperatingOwnership, operating(&facts.operating)),
        AreaScore::of(Area::Value, value(&facts.value)),
    ];
    let count = |status: Status| areas.iter().flat_map(|a| &a.findings).filter(|f| f.status == status).count();
    let (blockers, warnings) = (count(Status::Fail), count(Status::Warn));
    let passed_areas = areas.iter().filter(|a| a.status == Status::Pass).count();
    let warned_areas = areas.iter().filter(|a| a.status == Status::Warn).count();
    let score = (20 * passed_areas + 10 * warned_areas) as u32;
    let verdict = match blockers {
        0 => "ready".to_owned(),
        1 => "blocked: 1 blocker".to_owned(),
        n => format!("blocked: {n} blockers"),
    };
    AuditReport {
        workflow: facts.workflow.clone(),
        owner: facts.owner.clone(),
        areas,
        score,
        passed_areas,
        blockers,
        warnings,
        verdict,
    }
}

fn data(eval: Option<&EvalFacts>) -> Vec<Finding> {
    let Some(eval) = eval else {
        return vec![Finding::fail(
            "no eval report: accuracy has not been measured on this workflow's documents",
            format!("run `{}`, then `{}`", keys::EVAL_COMMAND, keys::AUDIT_COMMAND),
        )];
    };
    let mut findings = vec![sampled(eval), documents(eval), garbage(eval), lower_bound(eval)];
    findings.extend(curated_gap(eval));
    findings
}

fn sampled(eval: &EvalFacts) -> Finding {
    let ok = match (eval.sample, eval.documents_available) {
        (Some(n), Some(all)) => format!("a seeded random sample of {n} of {all} documents"),
        _ => "a seeded random sample".to_owned(),
    };
    Finding::rule(
        eval.random_sample,
        Status::Fail,
        ok,
        "the eval was not a random sample (no --sample): a folder of examples is hand-picked and reads better than production",
        &format!("export everything received over a few weeks as the dataset and run `{}`", keys::EVAL_COMMAND),
    )
}

fn documents(eval: &EvalFacts) -> Finding {
    let n = eval.documents;
    Finding::rule(
        n >= MIN_EVAL_DOCUMENTS,
        Status::Warn,
        format!("{n} documents evaluated (at least {MIN_EVAL_DOCUMENTS})"),
        format!("only {n} documents evaluated: under {MIN_EVAL_DOCUMENTS} the interval is too wide to set a gate on"),
        &format!("run `{}`", keys::EVAL_COMMAND),
    )
}

fn garbage(eval: &EvalFacts) -> Finding {
    let g = &eval.garbage_auto_approved;
    Finding::rule(
        g.successes == 0,
        Status::Fail,
        format!("no document without an order was auto-approved (0 of {})", g.trials),
        format!(
            "{} of {} documents without an order were auto-approved: each posts an order nobody placed",
            g.successes, g.trials
        ),
        &format!("look at `garbage.auto_approved_docs` in the eval report and raise {}", keys::AUTO_THRESHOLD),
    )
}

fn lower_bound(eval: &EvalFacts) -> Finding {
    let fix =
        format!("raise {} until the lower bound holds, then run `{}` again", keys::AUTO_THRESHOLD, keys::EVAL_COMMAND);
    let Some(low) = eval.auto_precision_lower_bound else {
        return Finding::warn("nothing was auto-approved: auto precision is not measured", fix);
    };
    let p = &eval.auto_precision;
    let figure = format!("{}/{}, 95 % Wilson lower bound {:.1} %", p.successes, p.trials, low * 100.0);
    Finding::rule(
        low >= MIN_LOWER_BOUND,
        Status::Warn,
        format!("auto precision {figure} (gate {:.0} %)", MIN_LOWER_BOUND * 100.0),
        format!("auto precision {figure}: under the {:.0} % gate", MIN_LOWER_BOUND * 100.0),
        &fix,
    )
}

/// Only an `eval --curated` run knows the gap; without one nothing is said.
fn curated_gap(eval: &EvalFacts) -> Option<Finding> {
    let gap = eval.gap?;
    let worst = [gap.order_accuracy, gap.auto_precision].into_iter().flatten().fold(f64::NEG_INFINITY, f64::max);
    if !worst.is_finite() {
        return None;
    }
    Some(Finding::rule(
        worst <= MAX_GAP_POINTS,
        Status::Warn,
        format!("curated samples read {worst:.1} points better than a random sample (at most {MAX_GAP_POINTS})"),
        format!(
            "curated samples read {worst:.1} points better than a random sample: quote the live figure, not the pilot's"
        ),
        &format!("run `{}` and report the `gap.live` figures", keys::CURATED_COMMAND),
    ))
}

fn integration(facts: &IntegrationFacts) -> Vec<Finding> {
    let Some(kind) = named(&facts.target_kind) else {
        return vec![Finding::fail(
            "no target: nobody has scoped how orders get into the ERP",
            format!("set {}, then run `{}`", keys::TARGET, keys::CHECK_COMMAND),
        )];
    };
    if !facts.checked {
        return vec![Finding::fail(
            format!("the {kind} target has never been probed"),
            format!("run `{}`", keys::CHECK_COMMAND),
        )];
    }
    let check = format!("`{}`", keys::CHECK_COMMAND);
    let mut findings = vec![
        Finding::rule(
            facts.reachable != Some(false),
            Status::Fail,
            format!("the {kind} target answers"),
            format!("the {kind} target is unreachable"),
            &format!("fix the connection settings under [workflow.target], then run {check}"),
        ),
        Finding::rule(
            facts.mapping_ok != Some(false),
            Status::Fail,
            "the mapping fits the target",
            "the mapping does not fit the target's tables or fields",
            &format!("correct {} as {check} reports", keys::TARGET_MAPPING),
        ),
    ];
    findings.extend(facts.problems.iter().map(|problem| {
        Finding::fail(format!("probe: {problem}"), format!("fix it in prodline.toml, then run {check}"))
    }));
    findings.push(Finding::rule(
        facts.has_api,
        Status::Warn,
        format!("the {kind} target takes orders through an API"),
        format!("the {kind} target has no API: orders go into its files or database, which its owner must sign off"),
        "agree the import (table or file, who checks it) with the ERP's owner, or use an API target (type = \"tryton\")",
    ));
    findings
}

fn accuracy(facts: &AccuracyFacts) -> Vec<Finding> {
    let slo = match facts.slo_target {
        Some(target) => Finding::pass(format!("SLO target {:.1} %", target * 100.0)),
        None => {
            Finding::fail("no SLO target: nobody can say when accuracy is too low", format!("set {}", keys::SLO_TARGET))
        }
    };
    let alarm = match (named(&facts.window_rule), facts.sequential_test) {
        (Some(rule), _) => Finding::pass(format!("alarm rule: {rule}")),
        (None, true) => Finding::pass("alarm rule: sequential test"),
        (None, false) => Finding::fail(
            "no alarm rule: a drop in accuracy is noticed by customers first",
            format!("set {} (or {})", keys::SLO_WINDOW, keys::SLO_SEQUENTIAL),
        ),
    };
    let audit_rate = facts.audit_rate;
    vec![
        slo,
        alarm,
        Finding::rule(
            audit_rate > 0.0,
            Status::Fail,
            format!("audit sampling: {:.1} % of auto-approved orders reviewed", audit_rate * 100.0),
            "no unbiased view of auto-approve accuracy",
            &format!("set {}", keys::AUDIT_RATE),
        ),
        Finding::rule(
            facts.alert_channels > 0,
            Status::Fail,
            format!("{} alert channel(s)", facts.alert_channels),
            "no alert channel: an alarm reaches nobody",
            &format!("add a {} channel", keys::ALERT),
        ),
        Finding::rule(
            facts.owner_named,
            Status::Fail,
            "an owner answers for accuracy",
            "nobody answers for accuracy",
            &format!("set {}", keys::OWNER),
        ),
        Finding::rule(
            facts.drift_watch,
            Status::Warn,
            "drift watch on: a customer's changed layout is noticed",
            "no drift watch: a customer who changes layout is noticed through wrong orders",
            &format!("set {}", keys::DRIFT),
        ),
        Finding::rule(
            facts.liveness_watch,
            Status::Warn,
            "liveness watch on: a silent source is noticed",
            "no liveness watch: a feed that goes silent is noticed when a customer calls",
            &format!("set {}", keys::LIVENESS),
        ),
    ]
}

fn operating(facts: &OperatingFacts) -> Vec<Finding> {
    let currency = facts.currency.as_deref().unwrap_or("");
    let budget = match facts.budget_monthly {
        Some(monthly) if monthly > Decimal::ZERO => Finding::pass(format!("budget line {monthly} {currency} a month")),
        _ => Finding::fail("no budget line: the run cost is nobody's to approve", format!("set {}", keys::BUDGET)),
    };
    let cost = match facts.cost_per_order {
        Some(cost) => Finding::pass(format!("cost per order {cost} {currency}")),
        None => Finding::warn(
            "cost per order unknown",
            format!("set {}, then run `{}` and `{}`", keys::RATES, keys::EVAL_COMMAND, keys::AUDIT_COMMAND),
        ),
    };
    vec![
        Finding::rule(
            facts.owner_named,
            Status::Fail,
            "an owner runs the workflow",
            "nobody runs the workflow",
            &format!("set {}", keys::OWNER),
        ),
        budget,
        Finding::rule(
            facts.rates_known,
            Status::Warn,
            "the extractor's rates are known",
            "the extractor's rates are unknown: usage cannot be priced",
            &format!("set {}", keys::RATES),
        ),
        cost,
    ]
}

fn value(facts: &ValueFacts) -> Vec<Finding> {
    let kpi = match named(&facts.kpi_name) {
        Some(name) => Finding::pass(format!("moves the KPI \"{name}\"")),
        None => Finding::fail("no KPI: nothing shows what the workflow is worth", format!("set {}", keys::KPI_NAME)),
    };
    let owner = match named(&facts.kpi_owner) {
        Some(owner) => Finding::pass(format!("on the scorecard of {owner}")),
        None => Finding::fail("the KPI is on nobody's scorecard", format!("set {}", keys::KPI_OWNER)),
    };
    let minutes = match facts.minutes_per_manual_order {
        Some(minutes) if minutes > Decimal::ZERO => Finding::pass(format!("a manual order takes {minutes} minutes")),
        _ => Finding::warn(
            "minutes per manual order unknown: the hours saved cannot be shown",
            format!("time ten manual orders and set {}", keys::KPI_MINUTES),
        ),
    };
    vec![kpi, owner, minutes]
}

/// A name that is set and not blank.
fn named(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}
