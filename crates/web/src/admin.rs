//! `/admin` (admin only): the people who may log in and the machines' API
//! tokens. A new token is shown once, on the page answering its creation;
//! the store keeps only its hash. Passwords are set by their owner at the
//! terminal (`prodline user add` / `passwd`) or here by an admin.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::Utc;
use maud::{Markup, html};
use prodline_store::{Role, Store, StoreError, User};
use serde::Deserialize;

use crate::Shared;
use crate::auth::{self, Denied, Who, check_csrf, csrf_field};
use crate::layout::{error_page, page};

/// The shortest password `/admin` and `prodline user add` accept.
pub const MIN_PASSWORD_CHARS: usize = 10;

pub(crate) fn routes<S: Store + Clone + 'static>(state: Shared<S>) -> Router {
    Router::new()
        .route("/admin", get(show::<S>))
        .route("/admin/users", post(add_user::<S>))
        .route("/admin/tokens", post(add_token::<S>))
        .route("/admin/tokens/{name}/revoke", post(revoke_token::<S>))
        .with_state(state)
}

/// Why a new person or token is refused, for the person filling the form.
pub fn check_new_user(name: &str, password: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 64 || !name.chars().all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c)) {
        return Err(format!("{name:?} is not a usable name: 1 to 64 letters, digits, '.', '_', '-' or '@'"));
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!("the password needs at least {MIN_PASSWORD_CHARS} characters"));
    }
    Ok(())
}

async fn show<S: Store + Clone + 'static>(State(state): State<Shared<S>>, headers: HeaderMap, uri: Uri) -> Response {
    let who = match auth::person(&state, &headers, &uri.to_string(), Role::Admin).await {
        Ok(who) => who,
        Err(denied) => return denied.into_response(),
    };
    render(&state, &who, None).await
}

async fn render<S: Store>(state: &Shared<S>, who: &Who, notice: Option<Markup>) -> Response {
    let (users, tokens) = match (state.store().users().await, state.store().api_tokens().await) {
        (Ok(users), Ok(tokens)) => (users, tokens),
        (Err(error), _) | (_, Err(error)) => return Denied::Store(error.to_string()).into_response(),
    };
    let role_select = html! {
        select name="role" {
            @for role in Role::ALL { option value=(role.as_str()) { (role.as_str()) } }
        }
    };
    let body = html! {
        h1 { "Admin" }
        @if let Some(notice) = notice { (notice) }
        section.card #users {
            h2 { "People" }
            table {
                thead { tr { th { "Name" } th { "Role" } th { "Since" } } }
                tbody {
                    @for user in &users {
                        tr { td { (user.name) } td { (user.role.as_str()) } td { (user.created_at.format("%Y-%m-%d")) } }
                    }
                }
            }
            h2 { "Add a person" }
            form method="post" action="/admin/users" {
                (csrf_field(who))
                input #new-user-name type="text" name="name" placeholder="name" required;
                " " (role_select) " "
                input #new-user-password type="password" name="password" placeholder="password (10+ characters)" autocomplete="new-password" required;
                " " button #add-user type="submit" { "Add" }
            }
        }
        section.card #tokens {
            h2 { "API tokens" }
            p.muted { "Machines send " code { "Authorization: Bearer <token>" } "; their actions are recorded as token:<name>." }
            table {
                thead { tr { th { "Name" } th { "Role" } th { "Issued" } th { "State" } th {} } }
                tbody {
                    @for token in &tokens {
                        tr {
                            td { (token.name) } td { (token.role.as_str()) }
                            td { (token.created_at.format("%Y-%m-%d %H:%M")) }
                            td { @match token.revoked_at { Some(at) => { "revoked " (at.format("%Y-%m-%d")) }, None => "active" } }
                            td {
                                @if token.revoked_at.is_none() {
                                    form.inline method="post" action={ "/admin/tokens/" (token.name) "/revoke" } {
                                        (csrf_field(who))
                                        button.danger type="submit" { "Revoke" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            h2 { "Issue a token" }
            form method="post" action="/admin/tokens" {
                (csrf_field(who))
                input #new-token-name type="text" name="name" placeholder="machine name, e.g. edi-gateway" required;
                " " (role_select) " "
                button #add-token type="submit" { "Issue" }
            }
        }
    };
    page("Admin", who, body).into_response()
}

#[derive(Debug, Deserialize)]
struct NewUserForm {
    name: String,
    role: String,
    password: String,
    csrf: String,
}

#[derive(Debug, Deserialize)]
struct NewTokenForm {
    name: String,
    role: String,
    csrf: String,
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    csrf: String,
}

/// The admin acting on a form: role and CSRF checked.
async fn admin<S: Store>(state: &Shared<S>, headers: &HeaderMap, csrf: &str) -> Result<Who, Denied> {
    let who = auth::person(state, headers, "/admin", Role::Admin).await?;
    check_csrf(&who, csrf)?;
    Ok(who)
}

fn role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| format!("{text:?} is not a role: reviewer, owner or admin"))
}

fn problem(message: &str) -> Markup {
    html! { p.error role="alert" { (message) } }
}

async fn add_user<S: Store + Clone + 'static>(
    State(state): State<Shared<S>>,
    headers: HeaderMap,
    Form(form): Form<NewUserForm>,
) -> Response {
    let who = match admin(&state, &headers, &form.csrf).await {
        Ok(who) => who,
        Err(denied) => return denied.into_response(),
    };
    let name = form.name.trim();
    let checked = check_new_user(name, &form.password).and_then(|()| role(&form.role));
    let role = match checked {
        Ok(role) => role,
        Err(message) => return render(&state, &who, Some(problem(&message))).await,
    };
    let password_hash = match auth::hash_password(&form.password) {
        Ok(hash) => hash,
        Err(message) => return error_page(StatusCode::INTERNAL_SERVER_ERROR, "Cannot add", &message),
    };
    let user = User { name: name.to_owned(), role, password_hash, created_at: Utc::now() };
    match state.store().add_user(&user, &who.actor()).await {
        Ok(()) => Redirect::to("/admin").into_response(),
        Err(StoreError::UserExists(name)) => {
            render(&state, &who, Some(problem(&format!("{name:?} already exists")))).await
        }
        Err(error) => Denied::Store(error.to_string()).into_response(),
    }
}

async fn add_token<S: Store + Clone + 'static>(
    State(state): State<Shared<S>>,
    headers: HeaderMap,
    Form(form): Form<NewTokenForm>,
) -> Response {
    let who = match admin(&state, &headers, &form.csrf).await {
        Ok(who) => who,
        Err(denied) => return denied.into_response(),
    };
    let name = form.name.trim();
    let role = match check_token_name(name).and_then(|()| role(&form.role)) {
        Ok(role) => role,
        Err(message) => return render(&state, &who, Some(problem(&message))).await,
    };
    let token = auth::new_token();
    match state.store().add_api_token(name, role, &auth::token_hash(&token), &who.actor()).await {
        Ok(_) => {
            let notice = html! {
                div.flash #new-token {
                    p { "Token for " strong { (name) } " (" (role.as_str()) "). Copy it now: it is not shown again." }
                    pre { (token) }
                }
            };
            render(&state, &who, Some(notice)).await
        }
        Err(StoreError::TokenExists(name)) => {
            render(&state, &who, Some(problem(&format!("a token named {name:?} exists; revoke it first")))).await
        }
        Err(error) => Denied::Store(error.to_string()).into_response(),
    }
}

/// A token's name: what the machine is, as audit events will show it.
pub fn check_token_name(name: &str) -> Result<(), String> {
    let usable =
        !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if usable {
        Ok(())
    } else {
        Err(format!("{name:?} is not a usable token name: 1 to 64 letters, digits, '.', '_' or '-'"))
    }
}

async fn revoke_token<S: Store + Clone + 'static>(
    State(state): State<Shared<S>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let who = match admin(&state, &headers, &form.csrf).await {
        Ok(who) => who,
        Err(denied) => return denied.into_response(),
    };
    match state.store().revoke_api_token(&name, &who.actor()).await {
        Ok(true) => Redirect::to("/admin").into_response(),
        Ok(false) => render(&state, &who, Some(problem(&format!("no active token named {name:?}")))).await,
        Err(error) => Denied::Store(error.to_string()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_passwords_are_checked_before_anything_is_stored() {
        assert!(check_new_user("ann.lee", "long enough pw").is_ok());
        assert!(check_new_user("", "long enough pw").is_err());
        assert!(check_new_user("ann lee", "long enough pw").is_err());
        assert!(check_new_user("<script>", "long enough pw").is_err());
        assert!(check_new_user("ann", "short").unwrap_err().contains("10 characters"));
        assert!(check_token_name("edi-gateway").is_ok());
        assert!(check_token_name("edi/gateway").is_err());
    }
}
