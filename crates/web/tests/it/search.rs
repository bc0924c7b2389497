//! Document search and each document's audit trail over HTTP, and the
//! reports pages: the files of the reports folder listed and served as
//! written, with a policy that runs no script, and nothing outside it.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{Duration, Utc};
use prodline_config::Config;
use prodline_store::{DocumentId, DocumentSearch, DocumentState, Store};
use prodline_web::{WebState, serve_on};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::fixture::{Fixture, PASSWORD, REVIEWER, Session};

/// The ids a results page lists, in order.
fn listed(html: &str) -> Vec<DocumentId> {
    html.split("data-document=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next()?.parse().ok().map(DocumentId))
        .collect()
}

async fn search(session: &mut Session, query: &str) -> String {
    let answer = session.get(&format!("/documents?{query}")).await;
    assert_eq!(answer.status, 200, "{query}: {}", answer.text());
    answer.text()
}

#[tokio::test(flavor = "multi_thread")]
async fn search_filters_by_po_customer_state_dates_and_workflow() {
    let fixture = Fixture::start().await;
    let mut session = fixture.login(REVIEWER).await;
    let docs = &fixture.docs;

    let everything = listed(&search(&mut session, "").await);
    assert_eq!(everything.len(), 13, "every document, newest received first: {everything:?}");
    // A posted order by its PO, and by its customer as the pipeline resolved it.
    let posted = fixture.record(docs.posted[0]).await;
    let order = &posted.decision.as_ref().expect("a decision")["orders"][0]["order"];
    let (po, customer) =
        (order["customer_po"].as_str().expect("a PO"), order["customer_id"].as_str().expect("a customer"));
    assert_eq!(listed(&search(&mut session, &format!("po={po}")).await), [docs.posted[0]]);
    assert_eq!(listed(&search(&mut session, "po=B-ORDER.pdf").await), [docs.pdf], "the file name, any case");
    let by_customer = listed(&search(&mut session, &format!("customer={}", customer.to_lowercase())).await);
    assert!(by_customer.contains(&docs.posted[0]) && !by_customer.contains(&docs.garbage), "{by_customer:?}");
    let wanted = DocumentSearch { customer: Some(customer.to_owned()), ..DocumentSearch::default() };
    let expected: Vec<DocumentId> =
        fixture.store.search_documents(&wanted, 200).await.expect("search").iter().map(|record| record.id).collect();
    assert_eq!(by_customer, expected);

    let in_review: BTreeSet<DocumentId> = listed(&search(&mut session, "state=in_review").await).into_iter().collect();
    let queue: BTreeSet<DocumentId> = fixture.queue().await.into_iter().collect();
    assert_eq!(in_review, queue);
    let posted: BTreeSet<DocumentId> = listed(&search(&mut session, "state=posted").await).into_iter().collect();
    assert!(docs.posted.iter().all(|id| posted.contains(id)), "{posted:?}");

    let today = Utc::now().date_naive();
    let (yesterday, tomorrow) = (today - Duration::days(1), today + Duration::days(1));
    assert_eq!(listed(&search(&mut session, &format!("from={today}&to={today}")).await).len(), 13);
    assert!(listed(&search(&mut session, &format!("from={tomorrow}")).await).is_empty());
    assert!(listed(&search(&mut session, &format!("to={yesterday}")).await).is_empty());

    let workflow = &fixture.config.workflow[0].name;
    assert_eq!(listed(&search(&mut session, &format!("workflow={workflow}")).await).len(), 13);
    let none = search(&mut session, "workflow=elsewhere").await;
    assert!(listed(&none).is_empty() && none.contains("No document matches."));
    let both = listed(&search(&mut session, "po=45000005&state=posted").await);
    assert!(!both.is_empty() && both.iter().all(|id| docs.posted.contains(id)), "{both:?}");

    let bad = search(&mut session, "from=last+tuesday").await;
    assert!(bad.contains("id=\"search-problem\"") && bad.contains("is not a date"));
    let bad_state = search(&mut session, "state=lost").await;
    assert!(bad_state.contains("is not a document state"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_document_page_lists_its_whole_audit_trail() {
    let fixture = Fixture::start().await;
    let mut session = fixture.login(REVIEWER).await;
    let id = fixture.docs.unknown_part;
    let answer = session.get(&format!("/documents/{id}")).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let html = answer.text();
    let events = fixture.store.events(id).await.expect("events");
    assert!(events.len() >= 3, "{events:?}");
    assert_eq!(html.matches("data-event=\"").count(), events.len(), "every event, once");
    for event in &events {
        let row = format!("data-event=\"{}\" data-kind=\"{}\"", event.id, event.kind.as_str());
        assert!(html.contains(&row), "{row}");
        assert!(html.contains(&format!("<td>{}</td>", event.actor)), "actor {}", event.actor);
    }
    assert!(html.contains("<dt>to</dt><dd>in_review</dd>"), "details as key/values");
    assert!(html.contains(&format!("href=\"/review/{id}\"")), "a link to the desk while in review");
    assert!(html.contains("id=\"viewer\""), "the document itself");

    let posted = fixture.docs.posted[0];
    let record = fixture.record(posted).await;
    let po = record.decision.as_ref().and_then(|d| d["orders"][0]["order"]["customer_po"].as_str()).expect("a PO");
    let html = session.get(&format!("/documents/{posted}")).await.text();
    assert!(!html.contains("id=\"to-desk\""), "a posted document is not at the desk");
    assert!(html.contains("DeliveryPosted") && html.contains("delivered"));
    assert!(html.contains(&format!("<strong>{po}</strong>")), "its planned order's PO");
    assert_eq!(fixture.state(posted).await, DocumentState::Posted);

    assert_eq!(session.get("/documents/999999").await.status, 404);
    assert_eq!(session.get("/documents/not-a-number").await.status, 404);
    let anonymous = fixture.anonymous().get(&format!("/documents/{id}")).await;
    assert_eq!(anonymous.status, 303);
}

// ---------------------------------------------------------------- reports

/// The fixture served again with a reports folder holding an eval report,
/// a file that is no report, and a link to a file outside the folder.
struct Reports {
    _folder: tempfile::TempDir,
    outside: tempfile::TempDir,
    base: String,
    _stop: oneshot::Sender<()>,
}

const REPORT: &str = "<!DOCTYPE html><html><head><style>body{color:#222}</style></head>\
                      <body><h1>prodline eval</h1><script>alert(1)</script></body></html>";

async fn with_reports(fixture: &Fixture) -> Reports {
    let folder = tempfile::tempdir().expect("reports folder");
    let outside = tempfile::tempdir().expect("another folder");
    std::fs::write(folder.path().join("eval-2026-03.html"), REPORT).expect("write report");
    std::fs::write(folder.path().join("notes.txt"), "not a report").expect("write");
    std::fs::write(outside.path().join("secret.html"), "secret").expect("write");
    std::os::unix::fs::symlink(outside.path().join("secret.html"), folder.path().join("secret.html")).expect("link");
    let mut config: Config = (*fixture.config).clone();
    config.server.reports = Some(folder.path().to_owned());
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let state = WebState::new(fixture.store.clone(), Arc::new(config)).with_secure_cookies(false);
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = serve_on(listener, state, async move { drop(stopped.await) }).await;
    });
    Reports { _folder: folder, outside, base, _stop: stop }
}

const REPORT_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

#[tokio::test(flavor = "multi_thread")]
async fn reports_are_listed_and_served_as_written_and_nothing_else() {
    let fixture = Fixture::start().await;
    let reports = with_reports(&fixture).await;
    let mut session = Session::login(&reports.base, REVIEWER, PASSWORD).await;

    let listing = session.get("/reports").await;
    assert_eq!(listing.status, 200, "{}", listing.text());
    let html = listing.text();
    assert!(html.contains("href=\"/reports/eval-2026-03.html\""));
    assert!(html.contains(&format!("{} B", REPORT.len())), "its size");
    assert!(!html.contains("notes.txt") && !html.contains("secret.html"), "only HTML files of the folder");

    let report = session.get("/reports/eval-2026-03.html").await;
    assert_eq!(report.status, 200);
    assert_eq!(report.text(), REPORT, "byte for byte");
    assert_eq!(report.header("content-security-policy"), REPORT_POLICY, "no script runs");
    assert!(report.header("content-type").starts_with("text/html"));

    for path in [
        "/reports/secret.html",
        "/reports/..%2Fprodline.toml",
        "/reports/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "/reports/notes.txt",
        "/reports/missing.html",
    ] {
        let answer = session.get(path).await;
        assert_eq!(answer.status, 404, "{path}");
        assert!(!answer.text().contains("secret"), "{path}");
    }
    assert!(reports.outside.path().join("secret.html").exists());
    let anonymous = Session::new(&reports.base).get("/reports/eval-2026-03.html").await;
    assert_eq!(anonymous.status, 303, "reports need a login");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_is_judged_live_as_a_report() {
    let fixture = Fixture::start().await;
    let mut session = fixture.login(REVIEWER).await;
    let listing = session.get("/reports").await.text();
    assert!(listing.contains("No reports folder"), "the fixture has none");
    let audit = session.get("/reports/audit").await;
    assert_eq!(audit.status, 200, "{}", audit.text());
    let html = audit.text();
    let workflow = &fixture.config.workflow[0].name;
    assert!(html.contains(&format!("Workflow <code>{workflow}</code>")));
    assert!(html.contains("Accuracy ownership") && html.contains("Verdict: blocked"), "no eval report: a blocker");
    assert!(!html.contains("<script"));
    assert_eq!(audit.header("content-security-policy"), REPORT_POLICY);
}
