//! The review desk over HTTP, as a browser uses it: the queue, one document
//! with what the pipeline read, and Approve, Correct and Reject, each
//! checked against the store (state, audit events naming the person,
//! what the memory learned); CSRF and documents others acted on; and the
//! document viewer's routes (PDF pages, raw bytes served safely).

use prodline_store::{DocumentId, DocumentState, EventKind, Store};

use crate::fixture::{Fixture, REVIEWER, Session, drop_field, form_fields, set_field};

fn contains_in_order(text: &str, parts: &[String]) -> bool {
    let mut rest = text;
    for part in parts {
        match rest.find(part.as_str()) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

async fn desk_page(session: &mut Session, id: DocumentId) -> String {
    let page = session.get(&format!("/review/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.text());
    page.text()
}

/// The correction form's fields as a browser would post them.
async fn correction_fields(session: &mut Session, id: DocumentId) -> Vec<(String, String)> {
    form_fields(&desk_page(session, id).await, "correction")
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_ask_for_a_login_first() {
    let fixture = Fixture::start().await;
    let mut anonymous = fixture.anonymous();
    for path in
        ["/review", &format!("/review/{}", fixture.docs.garbage), &format!("/documents/{}/raw", fixture.docs.pdf)]
    {
        let answer = anonymous.get(path).await;
        assert_eq!(answer.status, 303, "{path}");
        assert_eq!(answer.location(), format!("/login?next={path}"), "back here after the login");
    }
    let answer = anonymous.post(&format!("/review/{}/approve", fixture.docs.garbage), &[("csrf", "x")]).await;
    assert_eq!(answer.status, 303, "a POST without a session goes to the login page");
    assert_eq!(fixture.state(fixture.docs.garbage).await, DocumentState::InReview);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_queue_lists_the_documents_in_review_oldest_first_with_why() {
    let fixture = Fixture::start().await;
    let mut session = fixture.login(REVIEWER).await;
    let page = session.get("/review").await;
    assert_eq!(page.status, 200);
    let html = page.text();
    let queue = fixture.queue().await;
    assert!(queue.len() >= 3, "{queue:?}");
    let rows: Vec<String> = queue.iter().map(|id| format!("data-id=\"{id}\"")).collect();
    assert!(contains_in_order(&html, &rows), "every document in review, oldest first:\n{html}");
    assert!(html.contains(&format!("id=\"queue-count\">{}<", queue.len())), "the count");
    for posted in &fixture.docs.posted {
        assert!(!html.contains(&format!("data-id=\"{posted}\"")), "posted document {posted} is not in the queue");
    }
    // Why: the routing reason, the reason codes, the audit badge on audit samples only.
    assert!(html.contains("decision_review") && html.contains("unknown_item"), "{html}");
    let items = prodline_runtime::review::list(&fixture.store, 1000).await.expect("queue");
    let audit = items.iter().filter(|item| item.reason.as_deref() == Some("audit")).count();
    assert!(audit >= fixture.docs.audit.len(), "{items:?}");
    assert_eq!(html.matches("class=\"badge audit\">Audit sample").count(), audit, "one badge per audit sample");
    assert!(html.contains("data-href=\"/review/") && html.contains("<kbd>j</kbd>"), "rows open, keys are shown");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_desk_shows_the_document_beside_its_order_reasons_confidence_and_matches() {
    let fixture = Fixture::start().await;
    let mut session = fixture.login(REVIEWER).await;
    let html = desk_page(&mut session, fixture.docs.unknown_part).await;
    for expected in [
        "id=\"viewer\"",
        "data-kind=\"x12\"",
        "<b class=\"tag\">PO1</b>",
        "4500000100",
        "C0001",
        "88-1200",
        "HV-075-BR",
        "99-9999",
        "unknown_item",
        "cross reference",
        "id=\"approve\"",
        "data-key=\"a\"",
        "data-key=\"c\"",
        "data-key=\"r\"",
        "id=\"save-correction\"",
        "id=\"reject\"",
        "<datalist id=\"items-0-1\">",
        "<option value=\"FT-050-SS\">",
        "<kbd>a</kbd>",
    ] {
        assert!(html.contains(expected), "the desk lacks {expected:?}:\n{html}");
    }
    assert!(html.contains("class=\"conf ok\">100 %") || html.contains("class=\"conf ok\">99 %"), "{html}");
    assert!(!html.contains("id=\"audit-sample\""), "not an audit sample");

    let audit = fixture.docs.audit[0];
    let html = desk_page(&mut session, audit).await;
    assert!(html.contains("id=\"audit-sample\""), "the audit mark:\n{html}");
    assert!(html.contains("<code>audit</code>"), "why it is in review");
}

#[tokio::test(flavor = "multi_thread")]
async fn approve_moves_the_document_to_approved_with_an_event_by_the_person_then_shows_the_next() {
    let fixture = Fixture::start().await;
    let mut session = fixture.login(REVIEWER).await;
    let id = fixture.docs.audit[0];
    let answer = session.post(&format!("/review/{id}/approve"), &[("csrf", &session.csrf.clone())]).await;
    assert_eq!(answer.status, 303, "{}", answer.text());
    let queue = fixture.queue().await;
    assert!(!queue.contains(&id));
    let next = queue.iter().find(|other| **other > id).or(queue.first()).expect("more in the queue");
    assert_eq!(answer.location(), format!("/review/{next}?done=approved&doc={id}"));
    assert_eq!(fixture.state(id).await, DocumentState::Approved);
    let approved = fixture.events(id, EventKind::ReviewApproved).await;
    assert_eq!(approved.iter().map(|e| e.actor.as_str()).collect::<Vec<_>>(), [REVIEWER]);
    let landed = session.get(answer.location()).await;
    assert!(landed.text().contains(&format!("Document {id} approved")), "the flash:\n{}", landed.text());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_correction_with_a_changed_sku_and_remember_teaches_the_memory() {
    let fixture = Fixture::start().await;
    let mut session = fixture.login(REVIEWER).await;
    let id = fixture.docs.unknown_part;
    let mut fields = correction_fields(&mut session, id).await;
    assert!(fields.iter().any(|(name, value)| name == "orders[0].lines[1].remember" && value == "1"), "{fields:?}");
    set_field(&mut fields, "orders[0].lines[1].sku", "FT-050-SS");
    let answer = session.post_fields(&format!("/review/{id}/correct"), &fields).await;
    assert_eq!(answer.status, 303, "{}", answer.text());
    assert!(answer.location().contains(&format!("done=corrected&doc={id}&learned=1")), "{}", answer.location());
    assert_eq!(fixture.state(id).await, DocumentState::Approved);

    let edited = fixture.events(id, EventKind::ReviewEdited).await;
    let [edited] = edited.as_slice() else { panic!("one ReviewEdited: {edited:?}") };
    assert_eq!(edited.actor, REVIEWER);
    let lines = &edited.details["orders"][0]["lines"];
    assert_eq!((lines[0]["sku"].as_str(), lines[1]["sku"].as_str()), (Some("HV-075-BR"), Some("FT-050-SS")));
    assert_eq!(lines[1]["customer_part"], "99-9999", "what the form does not edit is kept");
    assert_eq!(lines[0]["qty"], 200);
    let learned = fixture.events(id, EventKind::MemoryLearned).await;
    let [learned] = learned.as_slice() else { panic!("one MemoryLearned: {learned:?}") };
    assert_eq!(learned.actor, REVIEWER);
    let lesson = &learned.details["learned"][0];
    assert_eq!((lesson["key"].as_str(), lesson["value"].as_str()), (Some("99-9999"), Some("FT-050-SS")), "{lesson}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_correction_without_remember_is_approved_and_teaches_nothing() {
    let fixture = Fixture::start().await;
    let mut session = fixture.login(REVIEWER).await;
    let id = fixture.docs.unknown_part;
    let mut fields = correction_fields(&mut session, id).await;
    set_field(&mut fields, "orders[0].lines[1].sku", "FT-050-SS");
    set_field(&mut fields, "orders[0].lines[1].qty", "9");
    drop_field(&mut fields, "orders[0].lines[1].remember");
    let answer = session.post_fields(&format!("/review/{id}/correct"), &fields).await;
    assert_eq!(answer.status, 303, "{}", answer.text());
    assert_eq!(fixture.state(id).await, DocumentState::Approved);
    let edited = fixture.events(id, EventKind::ReviewEdited).await;
    assert_eq!(edited[0].details["orders"][0]["lines"][1]["qty"], 9);
    assert!(fixture.events(id, EventKind::MemoryLearned).await.is_empty(), "nothing was chosen to remember");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_value_shows_the_form_again_with_what_is_wrong_and_changes_nothing() {
    let fixture = Fixture::start().await;
    let mut session = fixture.login(REVIEWER).await;
    let id = fixture.docs.unknown_part;
    let mut fields = correction_fields(&mut session, id).await;
    set_field(&mut fields, "orders[0].lines[1].sku", "FT-050-SS");
    set_field(&mut fields, "orders[0].lines[0].qty", "2OO");
    let answer = session.post_fields(&format!("/review/{id}/correct"), &fields).await;
    assert_eq!(answer.status, 422);
    let html = answer.text();
    assert!(html.contains("&quot;2OO&quot; is not a number"), "{html}");
    assert!(html.contains("value=\"2OO\""), "the mistake is shown as typed");
    assert!(html.contains("value=\"FT-050-SS\""), "the other edits are kept");
    assert!(html.contains("<details class=\"card correct\" id=\"correct-panel\" open"), "the form is open");
    assert_eq!(fixture.state(id).await, DocumentState::InReview);
    assert!(fixture.events(id, EventKind::ReviewEdited).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn reject_needs_a_reason_and_records_it_with_the_person() {
    let fixture = Fixture::start().await;
    let mut session = fixture.login(REVIEWER).await;
    let id = fixture.docs.garbage;
    let csrf = session.csrf.clone();
    let answer = session.post(&format!("/review/{id}/reject"), &[("csrf", &csrf), ("reason", "   ")]).await;
    assert_eq!(answer.status, 422);
    assert!(answer.text().contains("a rejection needs a reason"), "{}", answer.text());
    assert_eq!(fixture.state(id).await, DocumentState::InReview);

    let answer = session.post(&format!("/review/{id}/reject"), &[("csrf", &csrf), ("reason", "not an order")]).await;
    assert_eq!(answer.status, 303, "{}", answer.text());
    assert!(answer.location().ends_with(&format!("done=rejected&doc={id}")), "{}", answer.location());
    assert_eq!(fixture.state(id).await, DocumentState::Rejected);
    let rejected = fixture.events(id, EventKind::ReviewRejected).await;
    assert_eq!((rejected[0].actor.as_str(), &rejected[0].details["reason"]), (REVIEWER, &"not an order".into()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_post_without_or_with_a_wrong_csrf_token_is_refused_and_changes_nothing() {
    let fixture = Fixture::start().await;
    let mut session = fixture.login(REVIEWER).await;
    let id = fixture.docs.unknown_part;
    let mut fields = correction_fields(&mut session, id).await;
    set_field(&mut fields, "orders[0].lines[1].sku", "FT-050-SS");
    for csrf in [None, Some("0".repeat(64))] {
        let mut fields = fields.clone();
        match &csrf {
            None => drop_field(&mut fields, "csrf"),
            Some(wrong) => set_field(&mut fields, "csrf", wrong),
        }
        for action in ["approve", "correct", "reject"] {
            let mut fields = fields.clone();
            fields.push(("reason".to_owned(), "spam".to_owned()));
            let answer = session.post_fields(&format!("/review/{id}/{action}"), &fields).await;
            assert_eq!(answer.status, 403, "{action} with csrf {csrf:?}: {}", answer.text());
        }
    }
    assert_eq!(fixture.state(id).await, DocumentState::InReview);
    for kind in [EventKind::ReviewApproved, EventKind::ReviewEdited, EventKind::ReviewRejected] {
        assert!(fixture.events(id, kind).await.is_empty(), "{kind:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_document_someone_else_acted_on_gets_a_clear_message_not_an_error_page() {
    let fixture = Fixture::start().await;
    let mut session = fixture.login(REVIEWER).await;
    let id = fixture.docs.audit[0];
    let page = desk_page(&mut session, id).await;
    assert!(page.contains("id=\"approve\""));
    prodline_runtime::review::approve(&fixture.store, &fixture.config, id, "someone-else").await.expect("approve");

    let answer = session.post(&format!("/review/{id}/approve"), &[("csrf", &session.csrf.clone())]).await;
    assert_eq!(answer.status, 409);
    let html = answer.text();
    assert!(html.contains(&format!("Someone acted on document {id} first: it is approved now")), "{html}");
    assert!(html.contains("id=\"not-in-review\"") && !html.contains("id=\"approve\""), "no actions offered");
    let approvals = fixture.events(id, EventKind::ReviewApproved).await;
    assert_eq!(approvals.iter().map(|e| e.actor.as_str()).collect::<Vec<_>>(), ["someone-else"]);

    let missing = session.get("/review/999999").await;
    assert_eq!(missing.status, 404);
    assert!(missing.text().contains("there is no document 999999"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pdf_page_is_rendered_as_png_and_a_page_that_does_not_exist_is_404() {
    let fixture = Fixture::start().await;
    let mut session = fixture.login(REVIEWER).await;
    let id = fixture.docs.pdf;
    let page = session.get(&format!("/documents/{id}/page/1")).await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert_eq!(page.header("content-type"), "image/png");
    assert!(page.body.starts_with(b"\x89PNG\r\n\x1a\n"), "PNG magic");
    assert!(page.body.len() > 2000, "a real page: {} bytes", page.body.len());
    assert_eq!(session.get(&format!("/documents/{id}/page/2")).await.status, 404);
    assert_eq!(session.get(&format!("/documents/{id}/page/x")).await.status, 404);

    let html = desk_page(&mut session, id).await;
    assert!(html.contains(&format!("<img class=\"page\" src=\"/documents/{id}/page/1\"")), "{html}");
    assert!(html.contains("PURCHASE ORDER"), "the text the extractor read is offered");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_email_is_shown_as_text_with_its_attachment_and_its_bytes_only_download() {
    let fixture = Fixture::start().await;
    let mut session = fixture.login(REVIEWER).await;
    let id = fixture.docs.email;
    let raw = session.get(&format!("/documents/{id}/raw")).await;
    assert_eq!(raw.status, 200);
    assert_eq!(raw.header("content-type"), "application/octet-stream");
    assert_eq!(raw.header("content-disposition"), "attachment; filename=\"c-order.eml\"");
    assert_eq!(raw.header("x-content-type-options"), "nosniff");
    assert_eq!(raw.body, fixture.store.blob(&fixture.record(id).await.sha256).await.unwrap().unwrap());

    let html = desk_page(&mut session, id).await;
    assert!(html.contains("Jane Buyer &lt;jane.buyer@acme.example&gt;"), "{html}");
    assert!(html.contains("Purchase order 4500000300") && html.contains("please find our purchase order"));
    assert!(!html.contains("<script>alert") && !html.contains("pwned"), "the sender's HTML is never rendered");
    assert!(html.contains("PO-4500000300.pdf"), "the attachment is listed");
    assert!(html.contains(&format!("src=\"/documents/{id}/part/0/page/1\"")), "and shown as pages");

    let part = session.get(&format!("/documents/{id}/part/0")).await;
    assert_eq!((part.status, part.header("content-type")), (200, "application/octet-stream"));
    assert!(part.body.starts_with(b"%PDF"));
    let page = session.get(&format!("/documents/{id}/part/0/page/1")).await;
    assert_eq!((page.status, page.header("content-type")), (200, "image/png"));
    assert_eq!(session.get(&format!("/documents/{id}/part/7")).await.status, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn edi_is_shown_one_segment_per_line_and_garbage_as_a_download() {
    let fixture = Fixture::start().await;
    let mut session = fixture.login(REVIEWER).await;
    let html = desk_page(&mut session, fixture.docs.edifact).await;
    assert!(html.contains("data-kind=\"edifact\"") && html.contains("<ol class=\"edi\">"), "{html}");
    assert!(html.contains("<li class=\"lvl2\"><b class=\"tag\">LIN</b>"), "LIN groups under the message");
    assert!(html.contains("<li class=\"lvl3\"><b class=\"tag\">QTY</b>"), "the line's segments under LIN");

    let html = desk_page(&mut session, fixture.docs.garbage).await;
    assert!(html.contains("data-kind=\"binary\"") && html.contains("can only be downloaded"), "{html}");
    assert!(html.contains("The pipeline found no order"), "nothing to approve is said");
}
