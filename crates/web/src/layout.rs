//! The page shell (navigation, the logged-in person, logout), error pages,
//! and the headers every answer carries.

use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};
use prodline_store::Role;

use crate::auth::{Who, csrf_field};

/// A full page for a logged-in person: navigation by role, then `body`.
pub fn page(title: &str, who: &Who, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head { (head(title)) }
            body {
                header.top {
                    a.brand href="/" { "prodline" }
                    nav {
                        a href="/review" { "Review queue" }
                        a href="/documents" { "Documents" }
                        a href="/dashboard" { "Dashboard" }
                        a href="/reports" { "Reports" }
                        @if who.role.allows(Role::Admin) { a href="/admin" { "Admin" } }
                    }
                    div.who {
                        span #who { (who.name) " · " (who.role.as_str()) }
                        form.inline method="post" action="/logout" {
                            (csrf_field(who))
                            button #logout type="submit" { "Log out" }
                        }
                    }
                }
                main { (body) }
                script src="/static/app.js" {}
            }
        }
    }
}

/// A page without navigation (login, errors before login).
pub fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head { (head(title)) }
            body { (body) }
        }
    }
}

fn head(title: &str) -> Markup {
    html! {
        meta charset="utf-8";
        meta name="viewport" content="width=device-width, initial-scale=1";
        title { (title) " · prodline" }
        link rel="stylesheet" href="/static/app.css";
    }
}

/// An error page with its status.
pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = html! {
        main.error-page {
            h1 { (status.as_u16()) " · " (title) }
            p #error-message { (message) }
            p { a href="/" { "Back to the start" } }
        }
    };
    (status, bare(title, body)).into_response()
}

pub(crate) async fn not_found() -> Response {
    error_page(StatusCode::NOT_FOUND, "Not found", "there is no such page")
}

/// Headers on every answer: a strict Content-Security-Policy (only this
/// site's own styles, scripts and images), no framing, no sniffing, no
/// referrer to other sites, and no caching of pages that may hold order data. A POST whose
/// `Origin` names another site is refused before any handler runs.
pub(crate) async fn security_headers(request: Request, next: Next) -> Response {
    if request.method() == Method::POST && !same_origin(&request) {
        return error_page(StatusCode::FORBIDDEN, "Cross-site request refused", "this form was sent from another site");
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let set = |headers: &mut axum::http::HeaderMap, name, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    // A handler may set a stricter policy of its own (reports: no scripts at all).
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        set(
            headers,
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        );
    }
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    // `same-origin`, not `no-referrer`: under `no-referrer` browsers send
    // `Origin: null` with every form, which the origin check must refuse.
    set(headers, header::REFERRER_POLICY, "same-origin");
    if !headers.contains_key(header::CACHE_CONTROL) {
        set(headers, header::CACHE_CONTROL, "no-store");
    }
    response
}

/// True when the request has no `Origin` (same-site navigation by older
/// browsers, machines) or its `Origin`'s host is the `Host` asked for.
fn same_origin(request: &Request) -> bool {
    let headers = request.headers();
    let Some(origin) = headers.get(header::ORIGIN).and_then(|value| value.to_str().ok()) else { return true };
    let host = headers.get(header::HOST).and_then(|value| value.to_str().ok()).unwrap_or_default();
    let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    !host.is_empty() && origin_host == host
}
