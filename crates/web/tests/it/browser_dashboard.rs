//! The dashboard in a real browser (C1's harness, `browser.rs`): an owner
//! looks at the SLO page and pauses auto-approve; a reviewer sees the same
//! figures without the switch and is refused `/admin`. Screenshots of each
//! step are kept for a person to look at.

use fantoccini::Locator;
use prodline_store::{EventId, EventKind, Store};

use crate::browser::Browser;
use crate::dashboard::{serve_with, with_budget_and_kpi, with_history};
use crate::fixture::{Fixture, OWNER, REVIEWER};

const TEST: &str = "an_owner_pauses_auto_approve_and_a_reviewer_cannot";

#[tokio::test(flavor = "multi_thread")]
async fn an_owner_pauses_auto_approve_and_a_reviewer_cannot() {
    let fixture = Fixture::start().await;
    with_history(&fixture).await;
    let (base, _stop) = serve_with(&fixture, with_budget_and_kpi(&fixture)).await;
    let workflow = fixture.config.workflow[0].name.clone();
    let page = format!("/dashboard/{workflow}");
    let mut browser = Browser::start(TEST, &base).await;

    // The owner starts on the overview, then opens the workflow's page.
    browser.login(OWNER, "/dashboard").await;
    browser.wait_for(".tiles").await;
    browser.screenshot("overview").await;
    browser.goto(&page).await;
    browser.wait_for("#chart-accuracy").await;
    let points = browser.client.find_all(Locator::Css("#chart-stp g.point")).await.expect("chart points");
    assert_eq!(points.len(), 2, "two weeks with documents");
    browser.screenshot("slo-page").await;
    for section in ["error-budget", "feeds", "cost", "alert-history"] {
        let script = format!("document.getElementById('{section}').scrollIntoView()");
        browser.client.execute(&script, Vec::new()).await.unwrap_or_else(|e| panic!("scroll to {section}: {e}"));
        browser.screenshot(section).await;
    }

    // Pause the whole workflow, with a reason.
    browser.find("#auto-approve input[name=reason]").await.send_keys("ERP migration this weekend").await.expect("type");
    browser.find("#pause-workflow").await.click().await.expect("pause");
    let after = browser.wait_to_leave(&page, "#workflow-paused").await;
    assert!(after.starts_with(&format!("{page}?flash=paused")), "{after}");
    browser.wait_for("#flash").await;
    browser.screenshot("paused").await;
    let events = fixture.store.events_since(EventId(0), 100_000).await.expect("events");
    let paused: Vec<_> = events.iter().filter(|event| event.kind == EventKind::AutoApprovePaused).collect();
    assert_eq!(paused.len(), 1);
    assert_eq!(paused[0].actor, OWNER);
    assert_eq!(paused[0].details["reason"], "ERP migration this weekend");

    // A reviewer sees the page, paused, without any switch.
    browser.find("#logout").await.click().await.expect("log out");
    browser.wait_for("#login").await;
    browser.login(REVIEWER, &page).await;
    browser.wait_for("#workflow-paused").await;
    for switch in ["#resume-workflow", "#pause-workflow", "[id^=pause-feed-]", "[id^=resume-feed-]"] {
        let found = browser.client.find_all(Locator::Css(switch)).await.expect("look for a switch");
        assert!(found.is_empty(), "a reviewer has no {switch}");
    }
    browser.screenshot("reviewer-dashboard").await;

    // And is refused the admin page.
    browser.goto("/admin").await;
    let message = browser.wait_for("#error-message").await.text().await.expect("message");
    assert!(message.contains("admin"), "{message}");
    let heading = browser.find("h1").await.text().await.expect("heading");
    assert!(heading.starts_with("403"), "{heading}");
    browser.screenshot("reviewer-admin-403").await;
    browser.finish().await;
}
