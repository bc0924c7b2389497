//! `GET /metrics`: the monitor's figures of this listener's workflow in the
//! Prometheus text format, recomputed from the audit trail at every scrape
//! (the same figures `prodline status` prints), so nothing is kept between
//! scrapes and every replica answers the same.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use prodline_config::Config;
use prodline_runtime::watch::metrics::{CONTENT_TYPE as EXPOSITION, prometheus};
use prodline_runtime::watch::{Ledger, assess};
use prodline_store::Store;

use crate::Shared;
use crate::error::Failure;

/// What the route needs: the API state (store, workflow, clock) and the
/// configuration the monitor judges by.
struct MetricsState<S> {
    api: Shared<S>,
    config: Arc<Config>,
}

/// The `/metrics` route, with its own state.
pub(crate) fn routes<S: Store + Clone + 'static>(api: Shared<S>, config: Arc<Config>) -> Router {
    Router::new().route("/metrics", axum::routing::get(scrape::<S>)).with_state(Arc::new(MetricsState { api, config }))
}

/// Reads the whole trail into a fresh ledger and judges the listener's
/// workflow as of the listener's clock (the wall clock, or a replay's).
async fn scrape<S: Store + Clone + 'static>(State(state): State<Arc<MetricsState<S>>>) -> Response {
    let ledger = match Ledger::read(state.api.store()).await {
        Ok(ledger) => ledger,
        Err(error) => return Failure::from(error).into_response(),
    };
    let workflow = state.api.workflow();
    let mut statuses = assess(&state.config, &ledger, state.api.now());
    statuses.retain(|status| status.workflow == workflow);
    ([(CONTENT_TYPE, EXPOSITION)], prometheus(&statuses)).into_response()
}
