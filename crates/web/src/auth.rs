//! Logins, sessions, roles, CSRF and API tokens.
//!
//! A person logs in with a name and password (argon2id, `prodline user
//! add`); the browser gets a random 256-bit session token in an `HttpOnly`,
//! `SameSite=Strict` cookie, and the store keeps only its SHA-256. Each
//! session has its own CSRF token, which every form carries and every POST
//! is checked against. Machines send `Authorization: Bearer <token>` (an API
//! token, `prodline token add`), whose SHA-256 is looked up the same way.
//! Each handler asks for the role it needs first ([`person`] for pages,
//! [`caller`] for the API); a role includes the ones below it.

use std::sync::Arc;

use argon2::Argon2;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use chrono::TimeDelta;
use maud::{Markup, html};
use password_hash::rand_core::{OsRng, RngCore};
use password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use prodline_store::{EventKind, Role, Session, Store};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::layout;
use crate::{Shared, WebState};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "prodline_session";
/// The login form's double-submit cookie (CSRF before there is a session).
const LOGIN_COOKIE: &str = "prodline_login";

/// Who is asking, once authenticated.
#[derive(Debug, Clone)]
pub struct Who {
    /// The person's login name, or the API token's name.
    pub name: String,
    pub role: Role,
    /// The session's CSRF token; `None` for a machine (bearer tokens are not sent by browsers on their own).
    pub csrf: Option<String>,
    /// True for an API token.
    pub machine: bool,
}

impl Who {
    /// The name audit events record: the person's name, or `token:<name>` for a machine.
    pub fn actor(&self) -> String {
        if self.machine { format!("token:{}", self.name) } else { self.name.clone() }
    }
}

/// Why a request is refused; pages and API answer it differently.
#[derive(Debug)]
pub enum Denied {
    /// A page without a valid session: to the login page, back here after.
    Login { next: String },
    /// An API call without valid credentials: 401.
    Unauthenticated,
    /// Logged in, but the role does not allow it: 403.
    Forbidden { needed: Role, role: Role },
    /// A POST whose CSRF token is missing or wrong: 403.
    Csrf,
    /// The store did not answer.
    Store(String),
}

impl IntoResponse for Denied {
    fn into_response(self) -> Response {
        match self {
            Denied::Login { next } => Redirect::to(&format!("/login?next={}", encode_next(&next))).into_response(),
            Denied::Unauthenticated => {
                let body = json!({ "error": { "code": "unauthenticated", "message": "an API token (Authorization: Bearer) or a login session is required" } });
                (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], Json(body)).into_response()
            }
            Denied::Forbidden { needed, role } => {
                let message = format!("this needs the {needed} role; you are {role}");
                layout::error_page(StatusCode::FORBIDDEN, "Not allowed", &message)
            }
            Denied::Csrf => layout::error_page(
                StatusCode::FORBIDDEN,
                "Form expired",
                "the form's security token did not match your session; reload the page and try again",
            ),
            Denied::Store(problem) => {
                layout::error_page(StatusCode::SERVICE_UNAVAILABLE, "Store unavailable", &problem)
            }
        }
    }
}

/// An argon2id hash (PHC string) of `password` with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| format!("cannot hash the password: {error}"))
}

/// Whether `password` matches the stored argon2 hash.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A new random token: 32 bytes from the OS, hex (64 characters).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

/// What the store keeps of a token: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

/// Compares two secrets in time independent of where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The value of cookie `name` in the request.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// The person behind a page request, if their session allows `needed`;
/// `uri` is where the login page sends them back to.
pub async fn person<S: Store>(
    state: &WebState<S>,
    headers: &HeaderMap,
    uri: &str,
    needed: Role,
) -> Result<Who, Denied> {
    let Some(who) = session_person(state, headers).await? else {
        return Err(Denied::Login { next: uri.to_owned() });
    };
    allow(who, needed)
}

/// The caller of an API route: an API token (`Authorization: Bearer`) or a
/// browser session, if its role allows `needed`.
pub async fn caller<S: Store>(state: &WebState<S>, headers: &HeaderMap, needed: Role) -> Result<Who, Denied> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    let who = match bearer {
        Some(token) => {
            let found = state.store().api_token(&token_hash(token)).await.map_err(store_down)?;
            found.map(|token| Who { name: token.name, role: token.role, csrf: None, machine: true })
        }
        None => session_person(state, headers).await?,
    };
    allow(who.ok_or(Denied::Unauthenticated)?, needed)
}

fn allow(who: Who, needed: Role) -> Result<Who, Denied> {
    if who.role.allows(needed) { Ok(who) } else { Err(Denied::Forbidden { needed, role: who.role }) }
}

async fn session_person<S: Store>(state: &WebState<S>, headers: &HeaderMap) -> Result<Option<Who>, Denied> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else { return Ok(None) };
    let session = state.store().session(&token_hash(token), chrono::Utc::now()).await.map_err(store_down)?;
    Ok(session.map(|session| Who { name: session.user, role: session.role, csrf: Some(session.csrf), machine: false }))
}

fn store_down(error: prodline_store::StoreError) -> Denied {
    Denied::Store(error.to_string())
}

/// Checks a form's CSRF token against the session's. A machine (bearer
/// token) has no CSRF token and needs none: browsers never send it unasked.
pub fn check_csrf(who: &Who, submitted: &str) -> Result<(), Denied> {
    match &who.csrf {
        None if who.machine => Ok(()),
        Some(expected) if same_secret(expected, submitted) => Ok(()),
        _ => Err(Denied::Csrf),
    }
}

/// The hidden form field carrying the session's CSRF token; every form has one.
pub fn csrf_field(who: &Who) -> Markup {
    html! { input type="hidden" name="csrf" value=(who.csrf.as_deref().unwrap_or_default()); }
}

pub(crate) fn routes<S: Store + Clone + 'static>(state: Shared<S>) -> Router {
    Router::new()
        .route("/login", get(login_page::<S>).post(login::<S>))
        .route("/logout", post(logout::<S>))
        .with_state(state)
}

#[derive(Debug, Deserialize)]
struct NextQuery {
    next: Option<String>,
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    name: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

#[derive(Debug, Deserialize)]
struct LogoutForm {
    csrf: String,
}

/// Where to go after login: a path of this site only (no open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(next) if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') => next.to_owned(),
        _ => "/".to_owned(),
    }
}

fn encode_next(next: &str) -> String {
    next.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' => (byte as char).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

async fn login_page<S: Store + Clone + 'static>(
    State(state): State<Shared<S>>,
    Query(query): Query<NextQuery>,
) -> Response {
    render_login(&state, query.next.as_deref(), None)
}

fn render_login<S>(state: &WebState<S>, next: Option<&str>, problem: Option<&str>) -> Response {
    let token = new_token();
    let next = safe_next(next);
    let body = html! {
        main.login {
            h1 { "prodline" }
            p.muted { "Order entry: review desk and dashboard" }
            @if let Some(problem) = problem { p.error role="alert" { (problem) } }
            form method="post" action="/login" {
                input type="hidden" name="csrf" value=(token);
                input type="hidden" name="next" value=(next);
                label { "Name" input #name type="text" name="name" autocomplete="username" required autofocus; }
                label { "Password" input #password type="password" name="password" autocomplete="current-password" required; }
                button #login type="submit" { "Log in" }
            }
        }
    };
    let status = if problem.is_some() { StatusCode::UNAUTHORIZED } else { StatusCode::OK };
    let cookie = cookie_header(state, LOGIN_COOKIE, &token, 600, "/login");
    (status, [(header::SET_COOKIE, cookie)], layout::bare("Log in", body)).into_response()
}

fn cookie_header<S>(state: &WebState<S>, name: &str, value: &str, max_age: i64, path: &str) -> HeaderValue {
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    let text = format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

async fn login<S: Store + Clone + 'static>(
    State(state): State<Shared<S>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    match login_result(&state, &headers, &form).await {
        Ok(response) => response,
        Err(LoginRefused::Csrf) => Denied::Csrf.into_response(),
        Err(LoginRefused::Wrong) => {
            render_login(&state, form.next.as_deref(), Some("That name and password do not match."))
        }
        Err(LoginRefused::Store(problem)) => Denied::Store(problem).into_response(),
    }
}

enum LoginRefused {
    Csrf,
    Wrong,
    Store(String),
}

async fn login_result<S: Store>(
    state: &Arc<WebState<S>>,
    headers: &HeaderMap,
    form: &LoginForm,
) -> Result<Response, LoginRefused> {
    let expected = cookie(headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_secret(expected, &form.csrf) {
        return Err(LoginRefused::Csrf);
    }
    let store = state.store();
    let stored = |error: prodline_store::StoreError| LoginRefused::Store(error.to_string());
    let name = form.name.trim();
    let user = store.user(name).await.map_err(stored)?;
    let user = match user {
        Some(user) if verify_password(&user.password_hash, &form.password) => user,
        _ => {
            let details = json!({ "name": name });
            store.record_event(None, EventKind::LoginFailed, name, details).await.map_err(stored)?;
            return Err(LoginRefused::Wrong);
        }
    };
    let token = new_token();
    let now = chrono::Utc::now();
    let hours = i64::from(state.config().server.session_hours);
    let session = Session {
        token_hash: token_hash(&token),
        user: user.name.clone(),
        role: user.role,
        csrf: new_token(),
        created_at: now,
        expires_at: now + TimeDelta::hours(hours),
    };
    store.create_session(&session).await.map_err(stored)?;
    let details = json!({ "role": user.role.as_str() });
    store.record_event(None, EventKind::UserLoggedIn, &user.name, details).await.map_err(stored)?;
    let session_cookie = cookie_header(state, SESSION_COOKIE, &token, hours * 3600, "/");
    let spent = cookie_header(state, LOGIN_COOKIE, "", 0, "/login");
    let mut response = Redirect::to(&safe_next(form.next.as_deref())).into_response();
    response.headers_mut().append(header::SET_COOKIE, session_cookie);
    response.headers_mut().append(header::SET_COOKIE, spent);
    Ok(response)
}

async fn logout<S: Store + Clone + 'static>(
    State(state): State<Shared<S>>,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Response {
    let result = async {
        let who = person(&state, &headers, "/", Role::Reviewer).await?;
        check_csrf(&who, &form.csrf)?;
        let token = cookie(&headers, SESSION_COOKIE).unwrap_or_default();
        state.store().delete_session(&token_hash(token)).await.map_err(store_down)?;
        state.store().record_event(None, EventKind::UserLoggedOut, &who.name, json!({})).await.map_err(store_down)?;
        Ok::<_, Denied>(())
    };
    match result.await {
        Ok(()) => {
            let mut response = Redirect::to("/login").into_response();
            response.headers_mut().append(header::SET_COOKIE, cookie_header(&state, SESSION_COOKIE, "", 0, "/"));
            response
        }
        Err(denied) => denied.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&hash, "correct horse"));
        assert!(!verify_password(&hash, "correct horsf"));
        assert!(!verify_password("not a hash", "correct horse"));
        assert_ne!(hash, hash_password("correct horse").unwrap(), "each hash has its own salt");
    }

    #[test]
    fn tokens_are_random_and_stored_only_as_their_hash() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }

    #[test]
    fn next_is_a_path_of_this_site_only() {
        assert_eq!(safe_next(Some("/review/12")), "/review/12");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn csrf_must_match_the_session_and_machines_need_none() {
        let person = Who { name: "ann".into(), role: Role::Reviewer, csrf: Some("abc".into()), machine: false };
        assert!(check_csrf(&person, "abc").is_ok());
        assert!(check_csrf(&person, "abd").is_err());
        assert!(check_csrf(&person, "").is_err());
        let machine = Who { name: "gw".into(), role: Role::Reviewer, csrf: None, machine: true };
        assert!(check_csrf(&machine, "").is_ok());
    }
}
