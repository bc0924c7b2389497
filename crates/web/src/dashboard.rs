//! The owner's dashboard: `prodline status` as pages, with charts.
//!
//! - `GET /`: reviewers to the review queue, owners and admins here;
//! - `GET /dashboard`: one card per workflow with its headline figures;
//! - `GET /dashboard/{workflow}`: the SLO per scope, the error budget and its
//!   burn, accuracy and the straight-through rate by week, drift and
//!   liveness per feed, cost, KPI, alert history, holds and pauses;
//! - `POST /dashboard/{workflow}/pause|resume` (owner): auto-approve of the
//!   workflow (`feed` empty) or of one feed, through `prodline_runtime::pause`.
//!
//! Every figure is `watch::assess`'s, judged from the audit trail at the
//! state's clock (a replayed history is shown as it stood then); only the
//! time series are computed here ([`series`]), from the same ledger.

mod series;

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Datelike, Timelike, Utc};
use maud::{Markup, html};
use prodline_core::stats::Proportion;
use prodline_monitor::cost::{CostReport, money};
use prodline_monitor::kpi::KpiReport;
use prodline_monitor::liveness::CadenceBasis;
use prodline_monitor::slo::ErrorBudget;
use prodline_runtime::pause::{self, PauseError, WHOLE_WORKFLOW};
use prodline_runtime::watch::render::signal_name;
use prodline_runtime::watch::{FeedDrift, FeedLiveness, HoldReason, Ledger, Pause, SloStatus, WorkflowStatus, assess};
use prodline_store::{Role, Store};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

use crate::auth::{Who, check_csrf, csrf_field, person};
use crate::layout::{error_page, page};
use crate::svg::{IntervalChart, IntervalPoint, LineChart, Series, interval_chart, line_chart};
use crate::{Shared, WebState};
use series::{Decided, Week, budget_days, weekly};

/// Weeks drawn on the accuracy and straight-through charts.
const WEEKS_SHOWN: usize = 26;
/// Alert changes listed on a workflow's page, newest first.
const ALERTS_SHOWN: usize = 50;

pub(crate) fn routes<S: Store + Clone + 'static>(state: Shared<S>) -> Router {
    Router::new()
        .route("/", get(home::<S>))
        .route("/dashboard", get(overview::<S>))
        .route("/dashboard/{workflow}", get(workflow_page::<S>))
        .route("/dashboard/{workflow}/pause", post(pause_post::<S>))
        .route("/dashboard/{workflow}/resume", post(resume_post::<S>))
        .with_state(state)
}

/// Where a person starts: the queue for reviewers, the dashboard for owners.
async fn home<S: Store + Clone + 'static>(State(state): State<Shared<S>>, headers: HeaderMap) -> Response {
    match person(&state, &headers, "/", Role::Reviewer).await {
        Ok(who) if who.role.allows(Role::Owner) => Redirect::to("/dashboard").into_response(),
        Ok(_) => Redirect::to("/review").into_response(),
        Err(denied) => denied.into_response(),
    }
}

/// The ledger read from the trail and every workflow judged at the state's clock.
async fn judged<S: Store>(state: &WebState<S>) -> Result<(Ledger, Vec<WorkflowStatus>), Response> {
    let ledger = Ledger::read(state.store()).await.map_err(|error| {
        let message = format!("the audit trail could not be read: {error}");
        error_page(StatusCode::SERVICE_UNAVAILABLE, "Store unavailable", &message)
    })?;
    let statuses = assess(state.config(), &ledger, state.now());
    Ok((ledger, statuses))
}

async fn overview<S: Store + Clone + 'static>(
    State(state): State<Shared<S>>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    let who = person(&state, &headers, "/dashboard", Role::Reviewer).await.map_err(IntoResponse::into_response)?;
    let (_, statuses) = judged(&state).await?;
    let body = html! {
        h1 { "Dashboard" }
        p.muted { "As of " (time(state.now())) ". Every figure is read from the audit trail, as " code { "prodline status" } " shows it." }
        @if statuses.is_empty() { p { "No workflow is configured." } }
        div.workflows {
            @for status in &statuses { (workflow_card(status)) }
        }
    };
    Ok(page("Dashboard", &who, body).into_response())
}

/// A workflow's card on the overview: its headline, open alerts and holds.
fn workflow_card(status: &WorkflowStatus) -> Markup {
    let link = format!("/dashboard/{}", encode(&status.workflow));
    html! {
        section.card.workflow data-workflow=(status.workflow) {
            h2 { a href=(link) { (status.workflow) } " " span.muted { "owner " (status.owner) } }
            (headline(status))
            @if !status.alerts.is_empty() {
                ul.alerts {
                    @for alert in &status.alerts {
                        li { span.badge.(severity_class(alert.severity)) { (alert.severity) } " " (alert.summary) }
                    }
                }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
struct FlashQuery {
    flash: Option<String>,
    subject: Option<String>,
}

async fn workflow_page<S: Store + Clone + 'static>(
    State(state): State<Shared<S>>,
    headers: HeaderMap,
    Path(workflow): Path<String>,
    Query(query): Query<FlashQuery>,
) -> Result<Response, Response> {
    let uri = format!("/dashboard/{}", encode(&workflow));
    let who = person(&state, &headers, &uri, Role::Reviewer).await.map_err(IntoResponse::into_response)?;
    let (ledger, statuses) = judged(&state).await?;
    let Some(status) = statuses.iter().find(|status| status.workflow == workflow) else {
        let message = format!("there is no workflow {workflow:?} in the configuration");
        return Err(error_page(StatusCode::NOT_FOUND, "No such workflow", &message));
    };
    let decided: Vec<Decided> = ledger
        .of_workflow(&workflow)
        .map(|(entry, watch)| Decided { entry, decided_at: watch.decided_at, orders: watch.orders })
        .collect();
    let weeks = weekly(&decided, &state.config().calendar, state.now(), WEEKS_SHOWN);
    let view = View { status, who: &who, weeks: &weeks, decided: &decided, ledger: &ledger };
    let body = html! {
        (flash(&query))
        (view.body())
    };
    Ok(page(&format!("Dashboard · {workflow}"), &who, body).into_response())
}

/// The message a pause or resume leaves on the page it returns to.
fn flash(query: &FlashQuery) -> Markup {
    let subject = query.subject.as_deref().map(subject_text).unwrap_or_default();
    let message = match query.flash.as_deref() {
        Some("paused") => format!("Auto-approve of {subject} paused: its documents go to review until it is resumed."),
        Some("resumed") => format!("Auto-approve of {subject} resumed."),
        _ => return html! {},
    };
    html! { p.flash #flash role="status" { (message) } }
}

/// `the whole workflow`, or the feed's name.
fn subject_text(subject: &str) -> String {
    if subject == WHOLE_WORKFLOW { "the whole workflow".to_owned() } else { subject.to_owned() }
}

/// One workflow's page, from its status and the ledger's documents.
struct View<'a> {
    status: &'a WorkflowStatus,
    who: &'a Who,
    weeks: &'a [Week],
    decided: &'a [Decided<'a>],
    ledger: &'a Ledger,
}

impl View<'_> {
    fn body(&self) -> Markup {
        let status = self.status;
        html! {
            div.page-head {
                div {
                    h1 { (status.workflow) }
                    p.muted {
                        "Owner " (status.owner) " · as of " (time(status.as_of)) " · "
                        (status.decided) " documents decided, " (status.touchless) " straight through"
                    }
                }
                (self.workflow_switch())
            }
            (headline(status))
            div.split {
                section.card {
                    h2 { "Auto-approve accuracy by week" }
                    (accuracy_chart(self.weeks, status.slo.first().map(|slo| slo.target)))
                    p.muted { "Audit-sample labels of documents decided that week, with their 95 % Wilson interval; the dashed line is the target." }
                }
                section.card {
                    h2 { "Straight-through rate by week" }
                    (straight_through_chart(self.weeks))
                    p.muted { "Documents posted without a person touching them, of those routed that week." }
                }
            }
            div.split {
                (self.budget_section())
                (slo_section(&status.slo))
            }
            (self.feeds_section())
            div.split {
                (cost_section(status.cost.as_ref()))
                (kpi_section(status.kpi.as_ref()))
            }
            div.split {
                (self.alert_history())
                (holds_section(status))
            }
        }
    }

    fn owner(&self) -> bool {
        self.who.role.allows(Role::Owner)
    }

    /// The pause of `subject` (a feed, or [`WHOLE_WORKFLOW`]), if it stands.
    fn pause_of(&self, subject: &str) -> Option<&Pause> {
        self.status.pauses.iter().find(|pause| pause.subject() == subject)
    }

    /// The whole workflow's auto-approve: its state, and the switch for owners.
    fn workflow_switch(&self) -> Markup {
        let action = |verb: &str| format!("/dashboard/{}/{verb}", encode(&self.status.workflow));
        html! {
            section.card.switch #auto-approve {
                h2 { "Auto-approve" }
                @match self.pause_of(WHOLE_WORKFLOW) {
                    Some(pause) => {
                        p.bad #workflow-paused { "Paused by " (pause.by) " since " (time(pause.at)) (why(&pause.reason)) }
                        @if self.owner() {
                            form method="post" action=(action("resume")) {
                                (csrf_field(self.who))
                                input type="hidden" name="feed" value="";
                                button.primary #resume-workflow type="submit" { "Resume auto-approve" }
                            }
                        }
                    }
                    None => {
                        p.ok #workflow-running { "On: documents the pipeline approves go straight to the ERP." }
                        @if self.owner() {
                            form method="post" action=(action("pause")) {
                                (csrf_field(self.who))
                                input type="hidden" name="feed" value="";
                                input type="text" name="reason" placeholder="Why (kept in the audit trail)" aria-label="Reason for the pause";
                                " "
                                button.danger #pause-workflow type="submit" { "Pause auto-approve" }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The month's error budget: a meter and the burn by day.
    fn budget_section(&self) -> Markup {
        let all = self.status.slo.iter().find(|slo| slo.scope == "all");
        let days = all.map(|slo| budget_days(self.decided, slo.target, self.status.as_of)).unwrap_or_default();
        let month = self.status.as_of.format("%B %Y").to_string();
        html! {
            section.card #error-budget {
                h2 { "Error budget, " (month) }
                @match all.and_then(|slo| slo.budget.as_ref()) {
                    Some(budget) => {
                        p {
                            strong { (budget.used) " used of " (budget.allowed) " allowed" } " wrong orders this month ("
                            (burn_text(budget)) "), over " (budget.orders) " orders posted untouched; "
                            (month_elapsed(self.status.as_of)) " of the month gone."
                        }
                        meter #budget-meter min="0" max=(budget.allowed.max(1)) value=(budget.used)
                            low=(budget.allowed as f64 * 0.5) high=(budget.allowed as f64 * 0.8) optimum="0" {}
                        (burn_chart(&days))
                        p.muted { "Wrong orders are estimated from the month's audit sample: wrong labels ÷ labels × orders posted." }
                    }
                    None => p.muted { "No error budget: the workflow has no " code { "[workflow.slo]" } " target." },
                }
            }
        }
    }

    /// Every feed with its drift check, liveness and auto-approve switch.
    fn feeds_section(&self) -> Markup {
        let mut feeds: Vec<&str> = self.status.drift.iter().map(|feed| feed.feed.as_str()).collect();
        feeds.extend(self.status.liveness.iter().map(|feed| feed.feed.as_str()));
        feeds.extend(self.status.pauses.iter().filter_map(|pause| pause.feed.as_deref()));
        feeds.sort_unstable();
        feeds.dedup();
        html! {
            section.card #feeds {
                h2 { "Feeds: drift and liveness" }
                @if feeds.is_empty() { p.muted { "No feed has decided documents yet." } }
                @else {
                    table {
                        thead { tr { th { "Feed" } th { "Drift" } th { "Signals (value / threshold)" } th { "Liveness" } th { "Last seen" } th { "Alarm after" } th { "Auto-approve" } } }
                        tbody {
                            @for feed in feeds {
                                (self.feed_row(feed))
                            }
                        }
                    }
                    p.muted { "Drift compares a feed's last documents with the ones before; liveness counts working hours since its last document against its cadence." }
                }
            }
        }
    }

    fn feed_row(&self, feed: &str) -> Markup {
        let drift = self.status.drift.iter().find(|drift| drift.feed == feed);
        let liveness = self.status.liveness.iter().find(|live| live.feed == feed);
        html! {
            tr data-feed=(feed) {
                td { code { (feed) } }
                td { (drift_state(drift)) }
                td.signals { @if let Some(drift) = drift { (signals(drift)) } }
                td { (liveness_state(liveness)) }
                td { @if let Some(live) = liveness { (time(live.status.last_arrival)) } }
                td { @if let Some(live) = liveness { (cadence(live)) } }
                td { (self.feed_switch(feed)) }
            }
        }
    }

    fn feed_switch(&self, feed: &str) -> Markup {
        let slug = slug(feed);
        let action = |verb: &str| format!("/dashboard/{}/{verb}", encode(&self.status.workflow));
        html! {
            @match self.pause_of(feed) {
                Some(pause) => {
                    span.badge.bad title=(format!("by {} since {}{}", pause.by, time(pause.at), why(&pause.reason))) { "paused" }
                    @if self.owner() {
                        " "
                        form.inline method="post" action=(action("resume")) {
                            (csrf_field(self.who))
                            input type="hidden" name="feed" value=(feed);
                            button id=(format!("resume-feed-{slug}")) type="submit" { "Resume" }
                        }
                    }
                }
                None => {
                    span.badge.ok { "on" }
                    @if self.owner() {
                        " "
                        form.inline method="post" action=(action("pause")) {
                            (csrf_field(self.who))
                            input type="hidden" name="feed" value=(feed);
                            input.reason type="text" name="reason" placeholder="why" aria-label=(format!("Reason to pause {feed}"));
                            button.danger id=(format!("pause-feed-{slug}")) type="submit" { "Pause" }
                        }
                    }
                }
            }
        }
    }

    /// This workflow's alerts as they fired and resolved, newest first.
    fn alert_history(&self) -> Markup {
        let ours: Vec<_> = self
            .ledger
            .history
            .iter()
            .rev()
            .filter(|(_, record)| record.key.split('/').nth(1) == Some(self.status.workflow.as_str()))
            .take(ALERTS_SHOWN)
            .collect();
        html! {
            section.card #alert-history {
                h2 { "Alert history" }
                @if ours.is_empty() { p.muted { "No alert has fired." } }
                @else {
                    table {
                        thead { tr { th { "When" } th { "" } th { "Kind" } th { "Subject" } th { "Message" } } }
                        tbody {
                            @for (fired, record) in ours {
                                @let text = |name: &str| record.details.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
                                tr {
                                    td { (time(record.as_of.unwrap_or(record.fired_at))) }
                                    td { @if *fired { span.badge.(severity_class(&text("severity"))) { "fired" } } @else { span.badge.ok { "resolved" } } }
                                    td { (text("kind")) }
                                    td { code { (text("subject")) } }
                                    td { (text("summary")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The figures an owner looks at first, as tiles.
fn headline(status: &WorkflowStatus) -> Markup {
    let all = status.slo.iter().find(|slo| slo.scope == "all");
    let health = all.map_or(Health::NoSlo, Health::of);
    let straight = Proportion::new(status.touchless, status.decided);
    html! {
        div.tiles {
            div.tile.(health.class()) data-figure="slo" {
                span.label { "SLO" }
                span.value { (health.label()) }
                span.detail {
                    @match all {
                        Some(slo) => { (accuracy_text(&slo.accuracy)) " vs target " (percent(Some(slo.target))) }
                        None => "no [workflow.slo]",
                    }
                }
            }
            div.tile data-figure="error-budget" {
                span.label { "Error budget left" }
                @match all.and_then(|slo| slo.budget.as_ref()) {
                    Some(budget) => {
                        span.value.(if budget.left < 0 { "bad" } else { "" }) { (budget.left) " orders" }
                        span.detail { (budget.used) " used of " (budget.allowed) " allowed (" (burn_text(budget)) ")" }
                    }
                    None => { span.value { "–" } span.detail { "no target" } }
                }
            }
            div.tile data-figure="straight-through" {
                span.label { "Straight-through" }
                span.value { (percent(straight.rate)) }
                span.detail { (status.touchless) " of " (status.decided) " documents" }
            }
            (cost_tile(status.cost.as_ref()))
            (kpi_tile(status.kpi.as_ref()))
            div.tile.(if status.alerts.is_empty() { "" } else { "warn" }) data-figure="alerts" {
                span.label { "Open alerts" }
                span.value { (status.alerts.len()) }
                span.detail { @for alert in status.alerts.iter().take(2) { (alert.kind) " " (alert.subject) " · " } }
            }
            div.tile.(if status.holds.is_empty() { "" } else { "warn" }) data-figure="holds" {
                span.label { "Holds and pauses" }
                span.value { (status.holds.len()) }
                span.detail { (status.pauses.len()) " paused by a person" }
            }
        }
    }
}

fn cost_tile(cost: Option<&CostReport>) -> Markup {
    html! {
        div.tile.(match cost { Some(c) if c.over_budget_now => "bad", Some(c) if c.overrun => "warn", _ => "" }) data-figure="cost" {
            span.label { "Cost this month" }
            @match cost {
                Some(cost) => {
                    span.value { (cost.currency) " " (money(cost.month_to_date)) }
                    span.detail { "of " (money(cost.budget)) "; forecast " (money(cost.forecast)) }
                }
                None => { span.value { "–" } span.detail { "no [workflow.budget]" } }
            }
        }
    }
}

fn kpi_tile(kpi: Option<&KpiReport>) -> Markup {
    html! {
        div.tile data-figure="kpi" {
            span.label { "KPI: hours saved" }
            @match kpi {
                Some(kpi) => {
                    span.value { (kpi.month_to_date.hours_saved_gross.round_dp(1)) " h" }
                    span.detail { (kpi.month_to_date.hours_saved_net.round_dp(1)) " h net · " (kpi.fte_gross.round_dp(2)) " FTE" }
                }
                None => { span.value { "–" } span.detail { "no [workflow.kpi]" } }
            }
        }
    }
}

/// Where the SLO stands, in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Health {
    /// The sequential test alarmed: the SLO is breached.
    Breached,
    /// No alarm yet, but the evidence leans against the target: the
    /// estimate is below it, the window rule fires, or the month's error
    /// budget is spent. The owner looks before the test decides.
    AtRisk,
    Met,
    /// No audit label yet: nothing is known.
    NoLabels,
    NoSlo,
}

impl Health {
    fn of(slo: &SloStatus) -> Health {
        if slo.breached {
            return Health::Breached;
        }
        let Some(rate) = slo.accuracy.rate else { return Health::NoLabels };
        let spent = slo.budget.is_some_and(|budget| budget.left < 0 || budget.burn.is_some_and(|burn| burn >= 1.0));
        if rate < slo.target || slo.window.firing || spent { Health::AtRisk } else { Health::Met }
    }

    fn label(self) -> &'static str {
        match self {
            Health::Breached => "breached",
            Health::AtRisk => "at risk",
            Health::Met => "met",
            Health::NoLabels => "no labels yet",
            Health::NoSlo => "no SLO",
        }
    }

    fn class(self) -> &'static str {
        match self {
            Health::Breached => "bad",
            Health::AtRisk => "warn",
            Health::Met => "ok",
            Health::NoLabels | Health::NoSlo => "",
        }
    }
}

fn accuracy_chart(weeks: &[Week], target: Option<f64>) -> Markup {
    let points: Vec<IntervalPoint> = weeks.iter().map(|week| interval_point(week, &week.accuracy)).collect();
    let chart = IntervalChart {
        id: "chart-accuracy",
        title: "Auto-approve accuracy by week of decision",
        points: &points,
        target,
    };
    interval_chart(&chart)
}

fn straight_through_chart(weeks: &[Week]) -> Markup {
    let points: Vec<IntervalPoint> = weeks.iter().map(|week| interval_point(week, &week.straight_through)).collect();
    let chart =
        IntervalChart { id: "chart-stp", title: "Straight-through rate by week", points: &points, target: None };
    interval_chart(&chart)
}

fn interval_point(week: &Week, share: &Proportion) -> IntervalPoint {
    IntervalPoint {
        label: week.start.format("%m-%d").to_string(),
        value: share.rate.map(|rate| (rate, share.low, share.high)),
        note: format!("week of {}: {}", week.start, accuracy_text(share)),
    }
}

fn burn_chart(days: &[series::BudgetDay]) -> Markup {
    let labels: Vec<String> = days.iter().map(|day| day.date.day().to_string()).collect();
    let used: Vec<Option<f64>> = days.iter().map(|day| Some(day.budget.used as f64)).collect();
    let allowed: Vec<Option<f64>> = days.iter().map(|day| Some(day.budget.allowed as f64)).collect();
    let series = [Series { name: "used", values: &used }, Series { name: "allowed", values: &allowed }];
    let chart = LineChart {
        id: "chart-burn",
        title: "Wrong orders used against allowed, by day of the month",
        labels: &labels,
        series: &series,
        unit: "",
    };
    line_chart(&chart)
}

/// The SLO of the workflow and each group with audit labels, one row each.
fn slo_section(slos: &[SloStatus]) -> Markup {
    html! {
        section.card #slo {
            h2 { "SLO per scope" }
            @if slos.is_empty() { p.muted { "No figures: no " code { "[workflow.slo]" } ", or nothing decided yet." } }
            @else {
                table.slo {
                    thead { tr { th { "Scope" } th { "Status" } th { "Accuracy (95 % interval)" } th { "Window rule" } th { "Sequential test" } th { "Error budget" } } }
                    tbody { @for slo in slos { (slo_row(slo)) } }
                }
                @for slo in slos.iter().filter(|slo| slo.scope == "all" && !slo.window.advice.is_empty()) {
                    p.muted.advice { "Advice on the window rule: " (slo.window.advice) }
                }
            }
        }
    }
}

fn slo_row(slo: &SloStatus) -> Markup {
    let health = Health::of(slo);
    let accuracy = &slo.accuracy;
    let window = &slo.window;
    let test = &slo.sequential;
    html! {
        tr data-scope=(slo.scope) data-successes=(accuracy.successes) data-trials=(accuracy.trials)
            data-low=(format!("{:.6}", accuracy.low)) data-high=(format!("{:.6}", accuracy.high)) data-target=(slo.target) {
            td { strong { (slo.scope) } br; span.muted { "target " (percent(Some(slo.target))) } }
            td { span.badge.(health.class()) { (health.label()) } }
            td { (accuracy_text(accuracy)) }
            td {
                (window.rule) ": " @if window.firing { strong.bad { "firing" } } @else { "quiet" }
                br; span.muted { (window.labelled) " labelled, " (percent(window.accuracy)) "; fires in " (percent(window.false_alarm_at_target)) " of months at the target" }
            }
            td {
                "llr " (format!("{:+.2}", test.llr)) " (alarm ≥ " (format!("{:.2}", test.alarm_at)) ", accept ≤ " (format!("{:.2}", test.accept_at)) ")"
                br; span.muted { (test.labels) " labels in this test; last verdict " (test.last) "; false-alarm rate " (test.alpha) }
            }
            td {
                @match &slo.budget {
                    Some(budget) => { (budget.used) " of " (budget.allowed) " (" (burn_text(budget)) ")" }
                    None => "–",
                }
            }
        }
    }
}

fn drift_state(drift: Option<&FeedDrift>) -> Markup {
    html! {
        @match drift {
            Some(drift) if drift.report.drifting => span.badge.bad { "drifting" },
            Some(drift) if !drift.report.enough_data => span.badge { "too few documents" },
            Some(_) => span.badge.ok { "stable" },
            None => span.muted { "–" },
        }
        @if let Some(drift) = drift { br; span.muted { (drift.recent) " recent vs " (drift.reference) " before" } }
    }
}

fn signals(drift: &FeedDrift) -> Markup {
    html! {
        @for signal in &drift.report.signals {
            @let text = format!("{} {:.3} / {:.3}", signal_name(signal.kind), signal.value, signal.threshold);
            @if signal.fired { strong.bad title=(signal.detail) { (text) } } @else { span title=(signal.detail) { (text) } }
            br;
        }
    }
}

fn liveness_state(liveness: Option<&FeedLiveness>) -> Markup {
    html! {
        @match liveness {
            Some(live) if live.status.silent => {
                span.badge.bad { "silent" } br;
                span.muted { (hours(live.status.silent_business_seconds)) " working hours" }
            }
            Some(live) => { span.badge.ok { "on time" } br; span.muted { (hours(live.status.silent_business_seconds)) " h since" } }
            None => span.muted { "no cadence yet" },
        }
    }
}

fn cadence(live: &FeedLiveness) -> Markup {
    let basis = match live.cadence.basis {
        CadenceBasis::Learned { gaps } => format!("learned from {gaps} gaps"),
        CadenceBasis::Configured => "configured".to_owned(),
    };
    html! {
        (hours(live.status.threshold_seconds)) " h"
        br; span.muted { "every " (hours(live.status.expected_gap_seconds)) " h, " (basis) }
    }
}

fn cost_section(cost: Option<&CostReport>) -> Markup {
    html! {
        section.card #cost {
            h2 { "Cost against the budget line" }
            @match cost {
                None => p.muted { "No " code { "[workflow.budget]" } ": run cost unknown." },
                Some(cost) => {
                    p {
                        strong { (cost.currency) " " (money(cost.month_to_date)) } " spent of " (money(cost.budget))
                        " (" (percent_decimal(cost.budget_used)) " of the budget, " (percent_decimal(Some(cost.month_elapsed))) " of the month); forecast "
                        strong.(if cost.overrun { "bad" } else { "" }) { (money(cost.forecast)) }
                        "; per order " (cost.cost_per_order.map_or("–".to_owned(), money)) "."
                    }
                    meter #cost-meter min="0" max=(cost.budget) value=(cost.month_to_date) high=(cost.budget * Decimal::new(8, 1)) {}
                    table {
                        thead { tr { th { "Component" } th.num { "Month to date" } th.num { "Forecast" } } }
                        tbody {
                            @for component in &cost.components {
                                tr { td { (component.name) } td.num { (money(component.month_to_date)) } td.num { (money(component.forecast)) } }
                            }
                        }
                    }
                    p.muted { (cost.documents) " documents, " (cost.reviewed_documents) " reviewed, " (cost.orders_posted) " orders posted, " (cost.ocr_pages) " OCR pages." }
                }
            }
        }
    }
}

fn kpi_section(kpi: Option<&KpiReport>) -> Markup {
    html! {
        section.card #kpi {
            h2 { "KPI" }
            @match kpi {
                None => p.muted { "No " code { "[workflow.kpi]" } ": the value lands on nobody's scorecard." },
                Some(kpi) => {
                    @let month = &kpi.month_to_date;
                    p { strong { (kpi.name) } " · on the scorecard of " (kpi.owner.name) }
                    table {
                        tbody {
                            tr { th { "Hours saved (gross)" } td.num { (month.hours_saved_gross.round_dp(1)) } }
                            tr { th { "Hours saved (net of review)" } td.num { (month.hours_saved_net.round_dp(1)) } }
                            tr { th { "FTE (gross / net)" } td.num { (kpi.fte_gross.round_dp(2)) " / " (kpi.fte_net.round_dp(2)) } }
                            tr { th { "Orders posted untouched" } td.num { (month.untouched_orders) " of " (month.orders_posted) } }
                            tr { th { "Documents reviewed" } td.num { (month.reviewed_documents) } }
                        }
                    }
                    (kpi_chart(kpi))
                }
            }
        }
    }
}

/// Hours saved this month, cumulated by day, gross and net of review.
fn kpi_chart(kpi: &KpiReport) -> Markup {
    let labels: Vec<String> = kpi.days.iter().map(|day| day.date.day().to_string()).collect();
    let cumulate = |pick: fn(&prodline_monitor::kpi::KpiFigures) -> Decimal| -> Vec<Option<f64>> {
        let mut total = Decimal::ZERO;
        kpi.days
            .iter()
            .map(|day| {
                total += pick(&day.figures);
                total.round_dp(2).to_string().parse::<f64>().ok()
            })
            .collect()
    };
    let gross = cumulate(|figures| figures.hours_saved_gross);
    let net = cumulate(|figures| figures.hours_saved_net);
    let series = [Series { name: "gross", values: &gross }, Series { name: "net", values: &net }];
    let chart = LineChart {
        id: "chart-kpi",
        title: "Hours saved this month, cumulated",
        labels: &labels,
        series: &series,
        unit: " h",
    };
    line_chart(&chart)
}

fn holds_section(status: &WorkflowStatus) -> Markup {
    html! {
        section.card #holds {
            h2 { "Holds and pauses" }
            @if status.holds.is_empty() { p.muted { "Nothing held: every document the pipeline approves goes straight through." } }
            @else {
                table {
                    thead { tr { th { "Held" } th { "Why" } th { "Since / by" } } }
                    tbody {
                        @for hold in &status.holds {
                            tr data-hold=(hold.key) {
                                td { code { (hold.subject) } }
                                td { (hold_reason(hold.reason)) }
                                td {
                                    @if let Some(pause) = status.pauses.iter().find(|pause| pause.key() == hold.key) {
                                        (time(pause.at)) " by " (pause.by) (why(&pause.reason))
                                    } @else {
                                        span.muted { "until the condition clears or " code { "prodline release" } " " (hold.key) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn hold_reason(reason: HoldReason) -> &'static str {
    match reason {
        HoldReason::Drift => "drift: the feed's documents changed",
        HoldReason::SloBreach => "SLO breached (review all)",
        HoldReason::Paused => "auto-approve paused by a person",
    }
}

#[derive(Debug, Deserialize)]
struct SwitchForm {
    #[serde(default)]
    feed: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    csrf: String,
}

/// Which way a switch is flipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flip {
    Pause,
    Resume,
}

async fn pause_post<S: Store + Clone + 'static>(
    State(state): State<Shared<S>>,
    headers: HeaderMap,
    Path(workflow): Path<String>,
    Form(form): Form<SwitchForm>,
) -> Response {
    flip(&state, &headers, &workflow, &form, Flip::Pause).await
}

async fn resume_post<S: Store + Clone + 'static>(
    State(state): State<Shared<S>>,
    headers: HeaderMap,
    Path(workflow): Path<String>,
    Form(form): Form<SwitchForm>,
) -> Response {
    flip(&state, &headers, &workflow, &form, Flip::Resume).await
}

/// Pauses or resumes as the owner asks (role and CSRF checked first), then
/// back to the workflow's page with a flash; a refusal is an error page
/// that says why, and changes nothing.
async fn flip<S: Store>(
    state: &WebState<S>,
    headers: &HeaderMap,
    workflow: &str,
    form: &SwitchForm,
    way: Flip,
) -> Response {
    let page = format!("/dashboard/{}", encode(workflow));
    let who = match person(state, headers, &page, Role::Owner).await {
        Ok(who) => who,
        Err(denied) => return denied.into_response(),
    };
    if let Err(denied) = check_csrf(&who, &form.csrf) {
        return denied.into_response();
    }
    let feed = Some(form.feed.trim()).filter(|feed| !feed.is_empty());
    let (store, config, actor) = (state.store(), state.config(), who.actor());
    let done = match way {
        Flip::Pause => pause::pause(store, config, workflow, feed, &actor, &form.reason).await.map(|_| "paused"),
        Flip::Resume => pause::resume(store, config, workflow, feed, &actor).await.map(|_| "resumed"),
    };
    match done {
        Ok(flash) => {
            let subject = encode(feed.unwrap_or(WHOLE_WORKFLOW));
            Redirect::to(&format!("{page}?flash={flash}&subject={subject}")).into_response()
        }
        Err(error) => refused(&error),
    }
}

fn refused(error: &PauseError) -> Response {
    let status = match error {
        PauseError::UnknownWorkflow(_) => StatusCode::NOT_FOUND,
        PauseError::InvalidFeed { .. } | PauseError::NoActor => StatusCode::BAD_REQUEST,
        PauseError::AlreadyPaused { .. } | PauseError::NotPaused { .. } => StatusCode::CONFLICT,
        PauseError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
    };
    error_page(status, "Nothing changed", &error.to_string())
}

/// Percent-encodes everything but unreserved characters, for a path
/// segment or a query value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (byte as char).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// A feed's name as an element id: letters and digits, the rest `-`
/// (`C0001/edi` → `C0001-edi`), so that selectors need no escaping.
fn slug(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect()
}

fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn why(reason: &str) -> String {
    if reason.trim().is_empty() { String::new() } else { format!(": {}", reason.trim()) }
}

/// A share as `93.8 %`; `–` when there is none.
fn percent(share: Option<f64>) -> String {
    match share {
        Some(share) if share.is_finite() => format!("{:.1} %", share * 100.0),
        _ => "–".to_owned(),
    }
}

fn percent_decimal(share: Option<Decimal>) -> String {
    share.map_or("–".to_owned(), |share| format!("{} %", (share * Decimal::ONE_HUNDRED).round_dp(0)))
}

/// The share of the budget used; with nothing allowed (too few orders
/// for the target to allow one wrong), any wrong order is over.
fn burn_text(budget: &ErrorBudget) -> String {
    match budget.burn {
        Some(burn) => format!("{} burnt", percent(Some(burn))),
        None if budget.used > 0 => "over: none allowed yet".to_owned(),
        None => "none used".to_owned(),
    }
}

/// `45/48 = 93.8 % [83.2–97.9 %]`, or `no labels`.
fn accuracy_text(share: &Proportion) -> String {
    match share.rate {
        Some(rate) => format!(
            "{}/{} = {:.1} % [{:.1}–{:.1} %]",
            share.successes,
            share.trials,
            rate * 100.0,
            share.low * 100.0,
            share.high * 100.0
        ),
        None => "no labels".to_owned(),
    }
}

/// How much of the month (UTC, as the error budget counts it) has passed.
fn month_elapsed(now: DateTime<Utc>) -> String {
    let days_in_month = match now.month() {
        2 if now.year() % 4 == 0 && (now.year() % 100 != 0 || now.year() % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    let elapsed = f64::from(now.day() - 1) + f64::from(now.num_seconds_from_midnight()) / 86_400.0;
    percent(Some(elapsed / f64::from(days_in_month)))
}

/// Seconds as hours with one decimal.
fn hours(seconds: i64) -> String {
    format!("{:.1}", seconds as f64 / 3600.0)
}

fn severity_class(severity: &str) -> &'static str {
    match severity {
        "critical" => "bad",
        "warning" => "audit",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use prodline_config::BreachPolicy;
    use prodline_runtime::watch::{SequentialState, WindowState};

    use super::*;

    fn slo(correct: u64, labels: u64, breached: bool, firing: bool, used: u64) -> SloStatus {
        SloStatus {
            scope: "all".to_owned(),
            target: 0.9,
            accuracy: Proportion::new(correct, labels),
            days: Vec::new(),
            window: WindowState {
                rule: String::new(),
                labelled: labels,
                accuracy: None,
                firing,
                false_alarm_at_target: None,
                horizon: 0,
                advice: String::new(),
            },
            sequential: SequentialState {
                p0: 0.9,
                p1: 0.85,
                alpha: 0.05,
                beta: 0.2,
                llr: 0.0,
                alarm_at: 3.0,
                accept_at: -1.5,
                labels,
                last: if breached { "alarm" } else { "none" },
                figures: None,
            },
            budget: ErrorBudget::new(0.9, 100, used).ok(),
            breached,
            on_breach: BreachPolicy::Alert,
        }
    }

    #[test]
    fn the_slo_is_at_risk_before_the_test_alarms() {
        assert_eq!(Health::of(&slo(19, 20, false, false, 0)), Health::Met);
        assert_eq!(Health::of(&slo(17, 20, false, false, 0)), Health::AtRisk, "estimate below the target");
        assert_eq!(Health::of(&slo(19, 20, false, true, 0)), Health::AtRisk, "the window rule fires");
        assert_eq!(Health::of(&slo(19, 20, false, false, 10)), Health::AtRisk, "the month's budget is spent");
        assert_eq!(Health::of(&slo(19, 20, true, false, 0)), Health::Breached);
        assert_eq!(Health::of(&slo(0, 0, false, false, 0)), Health::NoLabels);
    }

    #[test]
    fn names_become_safe_urls_and_ids() {
        assert_eq!(encode("po@acme.example/email"), "po%40acme.example%2Femail");
        assert_eq!(encode("orders-eu"), "orders-eu");
        assert_eq!(slug("C0001/edi"), "C0001-edi");
    }

    #[test]
    fn the_month_elapsed_counts_whole_days_and_the_time_of_day() {
        let noon_of_the_16th = Utc.with_ymd_and_hms(2026, 11, 16, 12, 0, 0).unwrap();
        assert_eq!(month_elapsed(noon_of_the_16th), "51.7 %");
        let first = Utc.with_ymd_and_hms(2028, 2, 1, 0, 0, 0).unwrap();
        assert_eq!(month_elapsed(first), "0.0 %");
    }
}
