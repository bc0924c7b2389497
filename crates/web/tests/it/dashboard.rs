//! The owner's dashboard over HTTP: the figures are the ones
//! `watch::assess` computes from the same trail (numbers compared, not
//! strings), the charts are well-formed SVG with one point per week with
//! figures, pausing and resuming auto-approve records the person's events
//! and shows on the page, and a reviewer can look but not switch.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use prodline_config::Config;
use prodline_runtime::watch::{Ledger, Route, WorkflowStatus, assess};
use prodline_runtime::{Clock, review, run_once};
use prodline_store::{Event, EventId, EventKind, Received, Store};
use prodline_testkit::orders::{VALVE_3_4, x12_850};
use prodline_web::{WebState, serve_on};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::fixture::{Fixture, OWNER, REVIEWER, Session};

/// A clock stopped at one instant: documents decided in the past.
struct At(DateTime<Utc>);

impl Clock for At {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

fn workflow(fixture: &Fixture) -> String {
    fixture.config.workflow[0].name.clone()
}

/// Two weeks of history: four more clean orders decided 14 days ago, then
/// the audit sample labelled (its first document rejected: a wrong label;
/// the others approved).
pub async fn with_history(fixture: &Fixture) {
    let past = Utc::now() - Duration::days(14);
    let name = workflow(fixture);
    for index in 0..4u32 {
        let received = Received {
            source: "past".to_owned(),
            file_name: format!("past-{index}.x12"),
            received_at: past,
            from: None,
            bytes: x12_850(&format!("45000009{index:02}"), 900 + index, &[VALVE_3_4]).into_bytes(),
            meta: json!({ "workflow": name }),
        };
        fixture.store.receive(received).await.expect("receive a past order");
    }
    run_once(&fixture.config, &fixture.store, &At(past)).await.expect("a pass in the past");
    let ledger = Ledger::read(&fixture.store).await.expect("ledger");
    let sampled: Vec<_> = ledger
        .documents
        .iter()
        .filter(|(_, entry)| entry.audited() && entry.verdict.is_none())
        .map(|(id, _)| *id)
        .collect();
    assert!(sampled.len() >= 2, "the audit sample has documents to label: {sampled:?}");
    review::reject(&fixture.store, sampled[0], REVIEWER, "wrong ship-to").await.expect("reject");
    for id in &sampled[1..] {
        review::approve(&fixture.store, &fixture.config, *id, REVIEWER).await.expect("approve");
    }
}

/// The fixture's store served again with `config` (the fixture's, changed).
pub async fn serve_with(fixture: &Fixture, config: Config) -> (String, oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let state = WebState::new(fixture.store.clone(), Arc::new(config)).with_secure_cookies(false);
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = serve_on(listener, state, async move { drop(stopped.await) }).await;
    });
    (base, stop)
}

/// The fixture's config with a budget line and a KPI, so cost and KPI show.
pub fn with_budget_and_kpi(fixture: &Fixture) -> Config {
    let mut config = (*fixture.config).clone();
    let watch = &mut config.workflow[0].watch;
    watch.budget = Some(
        serde_json::from_value(json!({
            "currency": "EUR", "monthly": "500", "compute_document": "0.4",
            "reviewer_minutes_per_document": "3", "labour_rate_hour": "42"
        }))
        .expect("budget"),
    );
    watch.kpi = Some(
        serde_json::from_value(json!({
            "name": "order entry hours", "owner": { "name": "Olga", "email": "olga@example.com" },
            "minutes_per_manual_order": "6"
        }))
        .expect("kpi"),
    );
    config
}

async fn judged(fixture: &Fixture, config: &Config) -> WorkflowStatus {
    let ledger = Ledger::read(&fixture.store).await.expect("ledger");
    assess(config, &ledger, Utc::now()).remove(0)
}

async fn page(session: &mut Session, path: &str) -> String {
    let answer = session.get(path).await;
    assert_eq!(answer.status, 200, "{path}: {}", answer.text());
    answer.text()
}

/// The attributes of the first element whose opening tag holds `marker`.
fn attributes(html: &str, marker: &str) -> BTreeMap<String, String> {
    let at = html.find(marker).unwrap_or_else(|| panic!("no {marker} on the page"));
    let start = html[..at].rfind('<').expect("an opening tag");
    let tag = &html[start..at + html[at..].find('>').expect("the tag ends")];
    let mut found = BTreeMap::new();
    for part in tag.split("\" ").map(|part| part.trim_start_matches('<')) {
        if let Some((name, value)) = part.rsplit_once("=\"") {
            let name = name.rsplit(' ').next().unwrap_or(name);
            found.insert(name.to_owned(), value.trim_end_matches('"').to_owned());
        }
    }
    found
}

/// The `<svg>` element with this id, whole.
fn chart<'a>(html: &'a str, id: &str) -> &'a str {
    let marker = format!("id=\"{id}\"");
    let at = html.find(&marker).unwrap_or_else(|| panic!("no chart {id}"));
    let start = html[..at].rfind("<svg").expect("the chart is an svg");
    let end = at + html[at..].find("</svg>").expect("the svg ends") + "</svg>".len();
    &html[start..end]
}

/// Well-formed as XML: every element closed in order, attributes quoted,
/// no stray `<`, every coordinate a finite number.
fn assert_well_formed(svg: &str) {
    let mut open: Vec<&str> = Vec::new();
    let mut rest = svg;
    while let Some(at) = rest.find('<') {
        let end = rest[at..].find('>').map(|end| at + end).expect("a tag ends");
        let tag = &rest[at + 1..end];
        assert!(!tag.contains('<'), "a stray < in {tag}");
        assert_eq!(tag.matches('"').count() % 2, 0, "unbalanced quotes in <{tag}>");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop(), Some(name), "</{name}> closes another element");
        } else if !tag.ends_with('/') {
            open.push(tag.split([' ', '\n']).next().unwrap_or(tag));
        }
        rest = &rest[end + 1..];
    }
    assert!(open.is_empty(), "elements left open: {open:?}");
    for points in svg.split(" points=\"").skip(1).filter_map(|rest| rest.split('"').next()) {
        for number in points.split([' ', ',']).filter(|n| !n.is_empty()) {
            assert!(number.parse::<f64>().is_ok_and(f64::is_finite), "{number} in points");
        }
    }
}

fn monday(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_start_page_depends_on_the_role() {
    let fixture = Fixture::start().await;
    let mut reviewer = fixture.login(REVIEWER).await;
    assert_eq!(reviewer.get("/").await.location(), "/review");
    let mut owner = fixture.login(OWNER).await;
    assert_eq!(owner.get("/").await.location(), "/dashboard");
    let answer = fixture.anonymous().get("/dashboard").await;
    assert_eq!(answer.status, 303);
    assert!(
        answer.location().starts_with("/login?next=") && answer.location().ends_with("dashboard"),
        "{}",
        answer.location()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_shows_the_figures_the_monitor_computes() {
    let fixture = Fixture::start().await;
    with_history(&fixture).await;
    let config = with_budget_and_kpi(&fixture);
    let (base, _stop) = serve_with(&fixture, config.clone()).await;
    let mut session = Session::login(&base, OWNER, crate::fixture::PASSWORD).await;
    let name = workflow(&fixture);
    let html = page(&mut session, &format!("/dashboard/{name}")).await;
    let status = judged(&fixture, &config).await;

    assert!(status.slo.len() >= 2, "the workflow and its edi group: {:?}", status.slo);
    for slo in &status.slo {
        let row = attributes(&html, &format!("data-scope=\"{}\"", slo.scope));
        assert_eq!(row["data-successes"], slo.accuracy.successes.to_string(), "{}", slo.scope);
        assert_eq!(row["data-trials"], slo.accuracy.trials.to_string(), "{}", slo.scope);
        for (name, figure) in
            [("data-low", slo.accuracy.low), ("data-high", slo.accuracy.high), ("data-target", slo.target)]
        {
            let shown: f64 = row[name].parse().expect("a number");
            assert!((shown - figure).abs() < 1e-6, "{} {name}: {shown} vs {figure}", slo.scope);
        }
    }
    let all = status.slo.iter().find(|slo| slo.scope == "all").expect("the workflow's SLO");
    assert!(all.accuracy.trials >= 2 && all.accuracy.successes < all.accuracy.trials, "one wrong label: {all:?}");
    let budget = all.budget.expect("a budget: the target is a share");
    assert!(
        html.contains(&format!("<strong>{} used of {} allowed</strong>", budget.used, budget.allowed)),
        "the error budget"
    );
    assert!(chart(&html, "chart-burn").contains(&format!("used: {}<", budget.used)), "the burn ends at the budget");
    assert!(html.contains(&format!("{} documents decided, {} straight through", status.decided, status.touchless)));

    let cost = status.cost.as_ref().expect("a cost report");
    let spent = prodline_monitor::cost::money(cost.month_to_date);
    assert!(html.contains(&format!("{} {spent}", cost.currency)), "cost {spent}");
    let kpi = status.kpi.as_ref().expect("a KPI report");
    assert!(html.contains(&format!("{} h", kpi.month_to_date.hours_saved_gross.round_dp(1))), "KPI hours");
    for feed in &status.drift {
        assert!(html.contains(&format!("data-feed=\"{}\"", feed.feed)), "feed {}", feed.feed);
    }

    // The overview has the same headline, with a link to the page.
    let overview = page(&mut session, "/dashboard").await;
    assert!(overview.contains(&format!("href=\"/dashboard/{name}\"")));
    let first = all.accuracy;
    let text = format!("{}/{} = {:.1} %", first.successes, first.trials, first.rate.unwrap_or_default() * 100.0);
    assert!(overview.contains(&text), "{text} on the overview");
}

#[tokio::test(flavor = "multi_thread")]
async fn charts_are_svg_with_one_point_per_week_with_figures() {
    let fixture = Fixture::start().await;
    with_history(&fixture).await;
    let mut session = fixture.login(OWNER).await;
    let html = page(&mut session, &format!("/dashboard/{}", workflow(&fixture))).await;

    let ledger = Ledger::read(&fixture.store).await.expect("ledger");
    let name = workflow(&fixture);
    let routed: Vec<_> = ledger.of_workflow(&name).filter(|(entry, _)| entry.route != Route::Pending).collect();
    let weeks: BTreeSet<NaiveDate> = routed.iter().map(|(_, watch)| monday(watch.decided_at.date_naive())).collect();
    let labelled: BTreeSet<NaiveDate> = routed
        .iter()
        .filter(|(entry, _)| entry.audited() && entry.verdict.is_some())
        .map(|(_, watch)| monday(watch.decided_at.date_naive()))
        .collect();
    assert_eq!(weeks.len(), 2, "this week and two weeks ago: {weeks:?}");

    let stp = chart(&html, "chart-stp");
    assert_well_formed(stp);
    assert_eq!(stp.matches("<g class=\"point\">").count(), weeks.len());
    // Three weeks on the axis: the empty week between keeps its place.
    assert_eq!(stp.matches("text-anchor=\"middle\"").count(), 3, "{stp}");
    let accuracy = chart(&html, "chart-accuracy");
    assert_well_formed(accuracy);
    assert_eq!(accuracy.matches("<g class=\"point\">").count(), labelled.len());
    assert!(accuracy.contains(">92 %</text>"), "the target's line is labelled");
    for week in &weeks {
        assert!(stp.contains(&format!("week of {week}:")), "week {week} has its point");
    }
    assert_well_formed(chart(&html, "chart-burn"));
}

/// Every `AutoApprovePaused`/`AutoApproveResumed` event in the trail.
async fn switch_events(fixture: &Fixture) -> Vec<Event> {
    let events = fixture.store.events_since(EventId(0), 100_000).await.expect("events");
    events
        .into_iter()
        .filter(|event| matches!(event.kind, EventKind::AutoApprovePaused | EventKind::AutoApproveResumed))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_owner_pauses_and_resumes_auto_approve_of_the_workflow_and_of_a_feed() {
    let fixture = Fixture::start().await;
    let name = workflow(&fixture);
    let path = format!("/dashboard/{name}");
    let mut owner = fixture.login(OWNER).await;
    let html = page(&mut owner, &path).await;
    assert!(html.contains("id=\"pause-workflow\"") && html.contains("id=\"workflow-running\""));

    let csrf = owner.csrf.clone();
    let answer =
        owner.post(&format!("{path}/pause"), &[("feed", ""), ("reason", "ERP migration"), ("csrf", &csrf)]).await;
    assert_eq!(answer.status, 303, "{}", answer.text());
    assert!(answer.location().starts_with(&format!("{path}?flash=paused&subject=all")), "{}", answer.location());
    let events = switch_events(&fixture).await;
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].kind, events[0].actor.as_str()), (EventKind::AutoApprovePaused, OWNER));
    assert_eq!(events[0].details["reason"], "ERP migration");
    let html = page(&mut owner, &format!("{path}?flash=paused&subject=all")).await;
    assert!(html.contains("id=\"flash\""));
    assert!(html.contains("id=\"workflow-paused\"") && html.contains("id=\"resume-workflow\""));
    assert!(html.contains(&format!("Paused by {OWNER}")) && html.contains("ERP migration"));
    assert!(html.contains(&format!("data-hold=\"paused/{name}/all\"")), "the pause is a hold");
    let status = judged(&fixture, &fixture.config).await;
    assert_eq!(status.pauses.len(), 1);

    // Pausing twice is refused and records nothing.
    let again = owner.post(&format!("{path}/pause"), &[("feed", ""), ("reason", ""), ("csrf", &csrf)]).await;
    assert_eq!(again.status, 409, "{}", again.text());
    assert_eq!(switch_events(&fixture).await.len(), 1);

    let answer = owner.post(&format!("{path}/resume"), &[("feed", ""), ("csrf", &csrf)]).await;
    assert_eq!(answer.status, 303, "{}", answer.text());
    let events = switch_events(&fixture).await;
    assert_eq!((events[1].kind, events[1].actor.as_str()), (EventKind::AutoApproveResumed, OWNER));
    let html = page(&mut owner, &path).await;
    assert!(html.contains("id=\"workflow-running\"") && !html.contains("data-hold=\"paused/"));

    // One feed: its own switch.
    let feed = status.drift.first().expect("a feed with documents").feed.clone();
    let slug: String = feed.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    assert!(html.contains(&format!("id=\"pause-feed-{slug}\"")), "a switch for {feed}");
    let answer =
        owner.post(&format!("{path}/pause"), &[("feed", &feed), ("reason", "new layout"), ("csrf", &csrf)]).await;
    assert_eq!(answer.status, 303, "{}", answer.text());
    let html = page(&mut owner, &path).await;
    assert!(html.contains(&format!("id=\"resume-feed-{slug}\"")));
    assert!(html.contains(&format!("data-hold=\"paused/{name}/{feed}\"")));
    let paused = judged(&fixture, &fixture.config).await.pauses;
    assert_eq!(paused.iter().map(|pause| pause.feed.clone()).collect::<Vec<_>>(), [Some(feed.clone())]);

    // A form without the session's token changes nothing.
    let forged = owner.post(&format!("{path}/resume"), &[("feed", &feed), ("csrf", "forged")]).await;
    assert_eq!(forged.status, 403);
    assert_eq!(judged(&fixture, &fixture.config).await.pauses.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reviewer_sees_the_dashboard_but_no_switch_and_cannot_pause() {
    let fixture = Fixture::start().await;
    let name = workflow(&fixture);
    let path = format!("/dashboard/{name}");
    let mut reviewer = fixture.login(REVIEWER).await;
    let html = page(&mut reviewer, &path).await;
    assert!(html.contains("id=\"workflow-running\""));
    assert!(!html.contains("pause-workflow") && !html.contains("id=\"pause-feed-"), "no switch for a reviewer");
    let csrf = reviewer.csrf.clone();
    let answer = reviewer.post(&format!("{path}/pause"), &[("feed", ""), ("reason", "x"), ("csrf", &csrf)]).await;
    assert_eq!(answer.status, 403, "{}", answer.text());
    assert!(switch_events(&fixture).await.is_empty(), "nothing recorded");
    assert!(judged(&fixture, &fixture.config).await.pauses.is_empty());
    let missing = reviewer.get("/dashboard/no-such-workflow").await;
    assert_eq!(missing.status, 404);
}
