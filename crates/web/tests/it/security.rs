//! Security of the web UI and its API, over HTTP against the fixture's real
//! deployment: every route asks for a login first, roles are enforced on
//! pages, forms and API routes, every form's CSRF token is checked, machines
//! authenticate with API tokens and are recorded as `token:<name>`, logins
//! and logouts are audit events, and no secret reaches a page.

use prodline_store::{Event, EventId, EventKind, Role, Store};
use prodline_web::{new_token, token_hash};

use crate::fixture::{ADMIN, Fixture, OWNER, PASSWORD, REVIEWER, Session, hidden_value};

/// Every page (GET) the UI has, with a document id filled in.
fn pages(fixture: &Fixture) -> Vec<String> {
    let id = fixture.docs.pdf.0;
    let workflow = &fixture.config.workflow[0].name;
    vec![
        "/".to_owned(),
        "/review".to_owned(),
        format!("/review/{id}"),
        "/documents".to_owned(),
        format!("/documents/{id}"),
        format!("/documents/{id}/raw"),
        format!("/documents/{id}/page/1"),
        "/dashboard".to_owned(),
        format!("/dashboard/{workflow}"),
        "/reports".to_owned(),
        "/reports/audit".to_owned(),
        "/admin".to_owned(),
    ]
}

/// Every audit event not tied to a document, oldest first.
async fn trail(fixture: &Fixture) -> Vec<Event> {
    let events = fixture.store.events_since(EventId(0), 100_000).await.expect("events");
    events.into_iter().filter(|event| event.document_id.is_none()).collect()
}

const FORM: &str = "application/x-www-form-urlencoded";

/// A form body; the fields' values here need no escaping but `@`.
fn form_body(fields: &[(&str, &str)]) -> String {
    let fields: Vec<String> = fields.iter().map(|(key, value)| format!("{key}={}", value.replace(' ', "+"))).collect();
    fields.join("&")
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_and_api_route_asks_for_a_login_first() {
    let fixture = Fixture::start().await;
    let mut anonymous = fixture.anonymous();
    for path in pages(&fixture) {
        let answer = anonymous.get(&path).await;
        assert_eq!(answer.status, 303, "{path} answered an anonymous visitor");
        assert!(answer.location().starts_with("/login?next="), "{path} → {}", answer.location());
    }
    for (path, post) in [
        ("/api/v1/review", false),
        ("/api/v1/status", false),
        ("/metrics", false),
        (&format!("/api/v1/documents/{}", fixture.docs.pdf.0) as &str, false),
        (&format!("/api/v1/review/{}/approve", fixture.docs.pdf.0), true),
    ] {
        let url = format!("{}{path}", fixture.base);
        let request = if post { http().post(url) } else { http().get(url) };
        let answer = request.send().await.expect("answer");
        assert_eq!(answer.status().as_u16(), 401, "{path}");
    }
    assert_eq!(fixture.state(fixture.docs.pdf).await, prodline_store::DocumentState::InReview);
    // The login page, the health check and the static files are open.
    assert_eq!(anonymous.get("/login").await.status, 200);
    assert_eq!(anonymous.get("/healthz").await.status, 200);
    assert_eq!(anonymous.get("/static/app.css").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_are_enforced_on_pages_forms_and_the_api() {
    let fixture = Fixture::start().await;
    let workflow = fixture.config.workflow[0].name.clone();
    let before = trail(&fixture).await.len();

    let mut reviewer = fixture.login(REVIEWER).await;
    for path in pages(&fixture) {
        let status = reviewer.get(&path).await.status;
        let expected = if path == "/admin" { 403 } else { 200 };
        // `/` sends a reviewer on to the queue.
        let expected = if path == "/" { 303 } else { expected };
        assert_eq!(status, expected, "a reviewer on {path}");
    }
    let csrf = reviewer.csrf.clone();
    let pause = format!("/dashboard/{workflow}/pause");
    let refused = reviewer.post(&pause, &[("feed", ""), ("reason", "test"), ("csrf", &csrf)]).await;
    assert_eq!(refused.status, 403, "a reviewer paused auto-approve: {}", refused.text());
    let dashboard = reviewer.get(&format!("/dashboard/{workflow}")).await.text();
    assert!(!dashboard.contains("pause-workflow"), "a reviewer is shown the pause switch");
    let refused = reviewer
        .post("/admin/users", &[("name", "mallory"), ("role", "admin"), ("password", "0123456789ab"), ("csrf", &csrf)])
        .await;
    assert_eq!(refused.status, 403);
    assert!(fixture.store.user("mallory").await.expect("user").is_none());

    let mut owner = fixture.login(OWNER).await;
    assert_eq!(owner.get("/admin").await.status, 403, "an owner on /admin");
    let mut admin = fixture.login(ADMIN).await;
    assert_eq!(admin.get("/admin").await.status, 200);

    // Refused actions recorded nothing but the three logins.
    let kinds: Vec<EventKind> = trail(&fixture).await[before..].iter().map(|event| event.kind).collect();
    assert_eq!(kinds, vec![EventKind::UserLoggedIn; 3]);

    // A reviewer's API token cannot pause either; an owner's can.
    let reviewer_token = issue(&fixture, "reviewer-bot", Role::Reviewer).await;
    let owner_token = issue(&fixture, "owner-bot", Role::Owner).await;
    let url = format!("{}/api/v1/workflows/{workflow}/pause", fixture.base);
    let body = serde_json::json!({ "reason": "line maintenance" });
    let refused = http().post(&url).bearer_auth(&reviewer_token).json(&body).send().await.expect("answer");
    assert_eq!(refused.status().as_u16(), 403);
    let paused = http().post(&url).bearer_auth(&owner_token).json(&body).send().await.expect("answer");
    assert_eq!(paused.status().as_u16(), 200, "{}", paused.text().await.unwrap_or_default());
    let pauses: Vec<Event> =
        trail(&fixture).await.into_iter().filter(|event| event.kind == EventKind::AutoApprovePaused).collect();
    assert_eq!(pauses.len(), 1);
    assert_eq!(pauses[0].actor, "token:owner-bot");
}

/// Issues an API token straight into the store; returns the token.
async fn issue(fixture: &Fixture, name: &str, role: Role) -> String {
    let token = new_token();
    fixture.store.add_api_token(name, role, &token_hash(&token), "test").await.expect("token");
    token
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_without_the_sessions_csrf_token_or_from_another_site_changes_nothing() {
    let fixture = Fixture::start().await;
    let mut admin = fixture.login(ADMIN).await;
    let fields = |csrf: &str| {
        vec![
            ("name".to_owned(), "mallory".to_owned()),
            ("role".to_owned(), "admin".to_owned()),
            ("password".to_owned(), "0123456789ab".to_owned()),
            ("csrf".to_owned(), csrf.to_owned()),
        ]
    };
    for csrf in ["", "0000", &new_token()] {
        let answer = admin.post_fields("/admin/users", &fields(csrf)).await;
        assert_eq!(answer.status, 403, "csrf {csrf:?}: {}", answer.text());
    }
    let id = fixture.docs.unknown_part;
    let answer = admin.post(&format!("/review/{}/reject", id.0), &[("reason", "spam"), ("csrf", "wrong")]).await;
    assert_eq!(answer.status, 403);
    assert_eq!(fixture.state(id).await, prodline_store::DocumentState::InReview);
    assert!(fixture.store.user("mallory").await.expect("user").is_none());

    // The right token from another site's page is refused too (Origin).
    let csrf = admin.csrf.clone();
    let cookie = session_cookie(&fixture, ADMIN).await;
    let answer = http()
        .post(format!("{}/admin/users", fixture.base))
        .header("cookie", &cookie.0)
        .header("origin", "https://evil.example")
        .header("content-type", FORM)
        .body(form_body(&[("name", "mallory"), ("role", "admin"), ("password", "0123456789ab"), ("csrf", &cookie.1)]))
        .send()
        .await
        .expect("answer");
    assert_eq!(answer.status().as_u16(), 403);
    assert!(fixture.store.user("mallory").await.expect("user").is_none());

    // With its own token and no foreign origin, the same form works.
    let answer = admin.post_fields("/admin/users", &fields(&csrf)).await;
    assert_eq!(answer.status, 303, "{}", answer.text());
    assert!(fixture.store.user("mallory").await.expect("user").is_some());
}

/// Logs `name` in by hand: (the `Cookie` header value, the session's CSRF token).
async fn session_cookie(fixture: &Fixture, name: &str) -> (String, String) {
    let client = http();
    let form = client.get(format!("{}/login", fixture.base)).send().await.expect("login page");
    let login_cookie = set_cookie(form.headers(), "prodline_login").expect("login cookie");
    let token = hidden_value(&form.text().await.expect("body"), "csrf").expect("csrf");
    let answer = client
        .post(format!("{}/login", fixture.base))
        .header("cookie", format!("prodline_login={login_cookie}"))
        .header("content-type", FORM)
        .body(form_body(&[("name", name), ("password", PASSWORD), ("csrf", &token)]))
        .send()
        .await
        .expect("login");
    assert_eq!(answer.status().as_u16(), 303);
    let session = set_cookie(answer.headers(), "prodline_session").expect("session cookie");
    let cookie = format!("prodline_session={session}");
    let page = client.get(format!("{}/review", fixture.base)).header("cookie", &cookie).send().await.expect("page");
    let csrf = hidden_value(&page.text().await.expect("body"), "csrf").expect("csrf on a page");
    (cookie, csrf)
}

fn set_cookie(headers: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    headers.get_all("set-cookie").iter().filter_map(|value| value.to_str().ok()).find_map(|value| {
        value.strip_prefix(&format!("{name}=")).map(|rest| rest.split(';').next().unwrap_or("").to_owned())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn machines_use_api_tokens_recorded_as_their_actor_and_revoked_tokens_stop_working() {
    let fixture = Fixture::start().await;
    let token = issue(&fixture, "edi-gateway", Role::Reviewer).await;
    let queue = http().get(format!("{}/api/v1/review", fixture.base)).bearer_auth(&token).send().await.expect("queue");
    assert_eq!(queue.status().as_u16(), 200);
    let listed: serde_json::Value = queue.json().await.expect("JSON");
    assert_eq!(listed["documents"].as_array().map(Vec::len), Some(fixture.queue().await.len()));

    let id = fixture.docs.unknown_part;
    let url = format!("{}/api/v1/review/{}/reject", fixture.base, id.0);
    let rejected =
        http().post(&url).bearer_auth(&token).json(&serde_json::json!({ "reason": "not ours" })).send().await;
    assert_eq!(rejected.expect("reject").status().as_u16(), 200);
    let events = fixture.events(id, EventKind::ReviewRejected).await;
    assert_eq!(events.iter().map(|event| event.actor.as_str()).collect::<Vec<_>>(), ["token:edi-gateway"]);

    // A browser session calling the API must send its CSRF token in a header.
    let (cookie, csrf) = session_cookie(&fixture, REVIEWER).await;
    let audit = fixture.docs.audit[0];
    let url = format!("{}/api/v1/review/{}/approve", fixture.base, audit.0);
    let refused = http().post(&url).header("cookie", &cookie).send().await.expect("answer");
    assert_eq!(refused.status().as_u16(), 403);
    assert_eq!(fixture.state(audit).await, prodline_store::DocumentState::InReview);
    let approved = http().post(&url).header("cookie", &cookie).header("x-csrf-token", &csrf).send().await;
    assert_eq!(approved.expect("answer").status().as_u16(), 200);
    let events = fixture.events(audit, EventKind::ReviewApproved).await;
    assert_eq!(events.iter().map(|event| event.actor.as_str()).collect::<Vec<_>>(), [REVIEWER]);

    assert!(fixture.store.revoke_api_token("edi-gateway", "test").await.expect("revoke"));
    let after = http().get(format!("{}/api/v1/review", fixture.base)).bearer_auth(&token).send().await;
    assert_eq!(after.expect("answer").status().as_u16(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_failed_logins_and_logouts_are_in_the_audit_trail_and_a_logout_ends_the_session() {
    let fixture = Fixture::start().await;
    let before = trail(&fixture).await.len();
    let mut stranger = Session::new(&fixture.base);
    let form = stranger.get("/login").await.text();
    let token = hidden_value(&form, "csrf").expect("csrf");
    let refused =
        stranger.post("/login", &[("name", REVIEWER), ("password", "wrong password"), ("csrf", &token)]).await;
    assert_eq!(refused.status, 401);
    assert!(refused.text().contains("do not match"));

    let mut reviewer = fixture.login(REVIEWER).await;
    let csrf = reviewer.csrf.clone();
    assert_eq!(reviewer.post("/logout", &[("csrf", &csrf)]).await.status, 303);
    assert_eq!(reviewer.get("/review").await.status, 303, "the session outlived its logout");

    let events = trail(&fixture).await.split_off(before);
    let seen: Vec<(EventKind, &str)> = events.iter().map(|event| (event.kind, event.actor.as_str())).collect();
    assert_eq!(
        seen,
        [(EventKind::LoginFailed, REVIEWER), (EventKind::UserLoggedIn, REVIEWER), (EventKind::UserLoggedOut, REVIEWER)]
    );
    assert!(!events[0].details.to_string().contains("wrong password"), "a tried password was recorded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_headers_and_pages_keep_secrets_out_of_reach() {
    let fixture = Fixture::start().await;
    let (cookie, _) = session_cookie(&fixture, ADMIN).await;
    // The cookie as the browser gets it.
    let client = http();
    let form = client.get(format!("{}/login", fixture.base)).send().await.expect("login page");
    let login_cookie = form.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert!(login_cookie.contains("HttpOnly") && login_cookie.contains("SameSite=Strict"), "{login_cookie}");
    let csp = form.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");

    let hashes: Vec<String> =
        fixture.store.users().await.expect("users").into_iter().map(|user| user.password_hash).collect();
    let machine = issue(&fixture, "erp-sync", Role::Reviewer).await;
    let mut admin = fixture.login(ADMIN).await;
    let issued =
        admin.post("/admin/tokens", &[("name", "scanner"), ("role", "reviewer"), ("csrf", &admin.csrf.clone())]).await;
    let shown = hidden_token(&issued.text()).expect("the new token is shown once");
    let session = cookie.trim_start_matches("prodline_session=").to_owned();
    for path in pages(&fixture) {
        let body = admin.get(&path).await.text();
        for secret in hashes.iter().chain([&machine, &token_hash(&machine), &shown, &session]) {
            assert!(!body.contains(secret.as_str()), "{path} shows a secret");
        }
        assert!(!body.contains("$argon2"), "{path} shows a password hash");
    }
}

/// The token on the page answering its creation (the `#new-token` block's `<pre>`).
fn hidden_token(html: &str) -> Option<String> {
    let block = html.split("id=\"new-token\"").nth(1)?;
    let pre = block.split("<pre>").nth(1)?;
    Some(pre.split("</pre>").next()?.trim().to_owned())
}
