//! The web UI of prodline, served by `prodline serve` and `prodline run
//! --serve`: server-rendered pages (no front-end build; one small script for
//! keyboard shortcuts) over the same store and configuration as the CLI.
//!
//! - `/login`, `/logout`: local users (argon2id hashes), a session cookie
//!   (`HttpOnly`, `SameSite=Strict`, `Secure` unless served on loopback);
//! - `/review` and `/review/{id}`: the review desk (reviewer);
//! - `/documents` and `/documents/{id}`: search and each document's audit trail (reviewer);
//! - `/dashboard` and `/dashboard/{workflow}`: SLO, drift, liveness, cost,
//!   KPI, alerts; pausing auto-approve (owner);
//! - `/reports`: the eval and audit reports the CLI wrote (reviewer);
//! - `/admin`: users and API tokens (admin);
//! - `/api/v1/...`: the same for machines, with `Authorization: Bearer`.
//!
//! Architecture Invariant: every route but `/login`, `/healthz` and
//! `/static/*` asks for a role (`auth::person` or `auth::caller`) before it
//! reads anything, and every POST from a browser carries the session's CSRF
//! token (`auth::check_csrf`); every human action is an audit event naming
//! the person. Tested in `tests/it/security.rs`.

pub mod admin;
mod api;
mod assets;
pub mod auth;
mod dashboard;
mod desk;
mod document;
mod layout;
mod reports;
mod search;
mod svg;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use chrono::{DateTime, Utc};
use prodline_config::Config;
use prodline_store::{Store, StoreClock};
use tokio::net::TcpListener;

pub use auth::{hash_password, new_token, token_hash};
pub use reports::audit_reports;

/// What every handler shares: the store, the configuration, the clock and
/// whether cookies are marked `Secure`.
pub struct WebState<S> {
    store: S,
    config: Arc<Config>,
    clock: Option<StoreClock>,
    secure_cookies: bool,
}

impl<S> WebState<S> {
    /// State over `store` for the workflows of `config`; cookies are `Secure`.
    pub fn new(store: S, config: Arc<Config>) -> Self {
        Self { store, config, clock: None, secure_cookies: true }
    }

    /// Reads "now" from `clock` (a replayed history such as the demo's) instead of the wall clock.
    pub fn with_clock(mut self, clock: StoreClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Whether the session cookie is marked `Secure` (sent over HTTPS only).
    /// `prodline serve` turns it off only when it listens on a loopback
    /// address, where the traffic never leaves the machine.
    pub fn with_secure_cookies(mut self, secure: bool) -> Self {
        self.secure_cookies = secure;
        self
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The time of the clock in use.
    pub fn now(&self) -> DateTime<Utc> {
        match &self.clock {
            Some(clock) => clock(),
            None => Utc::now(),
        }
    }
}

/// The handlers' view of the state.
pub(crate) type Shared<S> = Arc<WebState<S>>;

/// Every page and API route of the web UI.
pub fn router<S: Store + Clone + 'static>(state: WebState<S>) -> Router {
    let state = Arc::new(state);
    Router::new()
        .merge(auth::routes(state.clone()))
        .merge(desk::routes(state.clone()))
        .merge(document::routes(state.clone()))
        .merge(search::routes(state.clone()))
        .merge(dashboard::routes(state.clone()))
        .merge(reports::routes(state.clone()))
        .merge(admin::routes(state.clone()))
        .merge(api::routes(state))
        .route("/static/{file}", get(assets::serve))
        .fallback(layout::not_found)
        .layer(axum::middleware::from_fn(layout::security_headers))
}

/// Serves the web UI on a bound listener until `shutdown` completes.
pub async fn serve_on<S: Store + Clone + 'static>(
    listener: TcpListener,
    state: WebState<S>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let service = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service).with_graceful_shutdown(shutdown).await
}
