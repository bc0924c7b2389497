//! The web server's API for machines and scripts, behind the same roles as
//! the pages: an API token (`Authorization: Bearer`, `prodline token add`)
//! or a browser session. A session's POST must carry its CSRF token in the
//! `X-CSRF-Token` header; a token's needs none (browsers never send it
//! unasked). Every action is recorded with `who.actor()` (`token:<name>` for
//! a machine).
//!
//! - `GET /healthz` (no login): does the store answer;
//! - `GET /api/v1/status`, `GET /metrics` (reviewer): the monitor's figures;
//! - `GET /api/v1/review`, `GET /api/v1/documents/{id}` (reviewer);
//! - `POST /api/v1/review/{id}/approve|correct|reject` (reviewer);
//! - `POST /api/v1/workflows/{workflow}/pause|resume` (owner).

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use prodline_core::CanonicalOrder;
use prodline_runtime::pause::{self, PauseError};
use prodline_runtime::review::{self, ReviewError};
use prodline_runtime::watch::metrics::{CONTENT_TYPE as EXPOSITION, prometheus};
use prodline_runtime::watch::{Ledger, assess};
use prodline_store::{DocumentId, Role, Store};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::Shared;
use crate::auth::{self, Denied, Who};

/// Queue entries answered at most.
const QUEUE_LIMIT: u32 = 1000;

pub(crate) fn routes<S: Store + Clone + 'static>(state: Shared<S>) -> Router {
    Router::new()
        .route("/healthz", get(health::<S>))
        .route("/metrics", get(metrics::<S>))
        .route("/api/v1/status", get(status::<S>))
        .route("/api/v1/review", get(queue::<S>))
        .route("/api/v1/documents/{id}", get(document::<S>))
        .route("/api/v1/review/{id}/approve", post(approve::<S>))
        .route("/api/v1/review/{id}/correct", post(correct::<S>))
        .route("/api/v1/review/{id}/reject", post(reject::<S>))
        .route("/api/v1/workflows/{workflow}/pause", post(pause::<S>))
        .route("/api/v1/workflows/{workflow}/resume", post(resume::<S>))
        .with_state(state)
}

/// An API failure: a status, a stable snake_case code and a message.
struct Failure {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let body = json!({ "error": { "code": self.code, "message": self.message } });
        (self.status, Json(body)).into_response()
    }
}

impl From<Denied> for Failure {
    fn from(denied: Denied) -> Self {
        let (status, code, message) = match denied {
            Denied::Login { .. } | Denied::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "an API token (Authorization: Bearer) or a login session is required".to_owned(),
            ),
            Denied::Forbidden { needed, role } => {
                (StatusCode::FORBIDDEN, "forbidden", format!("this needs the {needed} role; the caller is {role}"))
            }
            Denied::Csrf => (
                StatusCode::FORBIDDEN,
                "csrf_mismatch",
                "a browser session's POST needs its CSRF token in X-CSRF-Token".to_owned(),
            ),
            Denied::Store(problem) => (StatusCode::SERVICE_UNAVAILABLE, "store_error", problem),
        };
        Failure { status, code, message }
    }
}

impl From<ReviewError> for Failure {
    fn from(error: ReviewError) -> Self {
        let status = match &error {
            ReviewError::NotFound(_) => StatusCode::NOT_FOUND,
            ReviewError::NotInReview { .. } => StatusCode::CONFLICT,
            ReviewError::Store(_) | ReviewError::MissingBytes { .. } | ReviewError::MasterData { .. } => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Failure { status, code: error.code(), message: error.to_string() }
    }
}

impl From<PauseError> for Failure {
    fn from(error: PauseError) -> Self {
        let status = match &error {
            PauseError::UnknownWorkflow(_) => StatusCode::NOT_FOUND,
            PauseError::AlreadyPaused { .. } | PauseError::NotPaused { .. } => StatusCode::CONFLICT,
            PauseError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            PauseError::InvalidFeed { .. } | PauseError::NoActor => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Failure { status, code: error.code(), message: error.to_string() }
    }
}

impl From<prodline_store::StoreError> for Failure {
    fn from(error: prodline_store::StoreError) -> Self {
        Failure { status: StatusCode::SERVICE_UNAVAILABLE, code: "store_error", message: error.to_string() }
    }
}

fn answer<T: Serialize>(result: Result<T, Failure>) -> Response {
    match result {
        Ok(body) => Json(body).into_response(),
        Err(failure) => failure.into_response(),
    }
}

/// The caller of a POST: its role checked, and a session's CSRF header too.
async fn acting<S: Store>(state: &Shared<S>, headers: &HeaderMap, needed: Role) -> Result<Who, Failure> {
    let who = auth::caller(state, headers, needed).await?;
    let submitted = headers.get("x-csrf-token").and_then(|value| value.to_str().ok()).unwrap_or_default();
    auth::check_csrf(&who, submitted)?;
    Ok(who)
}

fn document_id(id: &str) -> Result<DocumentId, Failure> {
    id.parse::<i64>().map(DocumentId).map_err(|_| Failure {
        status: StatusCode::BAD_REQUEST,
        code: "bad_document_id",
        message: format!("document id {id:?} is not a number"),
    })
}

fn bad_json(rejection: JsonRejection) -> Failure {
    Failure { status: StatusCode::BAD_REQUEST, code: "bad_json", message: rejection.body_text() }
}

async fn health<S: Store + Clone + 'static>(State(state): State<Shared<S>>) -> Response {
    match state.store().schema_version().await {
        Ok(version) => Json(json!({ "status": "ok", "schema_version": version })).into_response(),
        Err(error) => Failure::from(error).into_response(),
    }
}

async fn metrics<S: Store + Clone + 'static>(State(state): State<Shared<S>>, headers: HeaderMap) -> Response {
    let result = async {
        auth::caller(&state, &headers, Role::Reviewer).await?;
        let ledger = Ledger::read(state.store()).await?;
        Ok::<_, Failure>(prometheus(&assess(state.config(), &ledger, state.now())))
    };
    match result.await {
        Ok(text) => ([(header::CONTENT_TYPE, EXPOSITION)], text).into_response(),
        Err(failure) => failure.into_response(),
    }
}

async fn status<S: Store + Clone + 'static>(State(state): State<Shared<S>>, headers: HeaderMap) -> Response {
    let result = async {
        auth::caller(&state, &headers, Role::Reviewer).await?;
        let ledger = Ledger::read(state.store()).await?;
        Ok::<_, Failure>(assess(state.config(), &ledger, state.now()))
    };
    answer(result.await)
}

async fn queue<S: Store + Clone + 'static>(State(state): State<Shared<S>>, headers: HeaderMap) -> Response {
    let result = async {
        auth::caller(&state, &headers, Role::Reviewer).await?;
        Ok::<_, Failure>(json!({ "documents": review::list(state.store(), QUEUE_LIMIT).await? }))
    };
    answer(result.await)
}

async fn document<S: Store + Clone + 'static>(
    State(state): State<Shared<S>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        auth::caller(&state, &headers, Role::Reviewer).await?;
        Ok::<_, Failure>(review::show(state.store(), document_id(&id)?).await?)
    };
    answer(result.await)
}

async fn approve<S: Store + Clone + 'static>(
    State(state): State<Shared<S>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let who = acting(&state, &headers, Role::Reviewer).await?;
        Ok::<_, Failure>(review::approve(state.store(), state.config(), document_id(&id)?, &who.actor()).await?)
    };
    answer(result.await)
}

/// The body of `POST .../correct`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CorrectBody {
    orders: Vec<CanonicalOrder>,
}

async fn correct<S: Store + Clone + 'static>(
    State(state): State<Shared<S>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<CorrectBody>, JsonRejection>,
) -> Response {
    let result = async {
        let who = acting(&state, &headers, Role::Reviewer).await?;
        let Json(body) = body.map_err(bad_json)?;
        let id = document_id(&id)?;
        Ok::<_, Failure>(review::correct(state.store(), state.config(), id, &who.actor(), body.orders).await?)
    };
    answer(result.await)
}

/// The body of `POST .../reject`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RejectBody {
    reason: String,
}

async fn reject<S: Store + Clone + 'static>(
    State(state): State<Shared<S>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<RejectBody>, JsonRejection>,
) -> Response {
    let result = async {
        let who = acting(&state, &headers, Role::Reviewer).await?;
        let Json(body) = body.map_err(bad_json)?;
        Ok::<_, Failure>(review::reject(state.store(), document_id(&id)?, &who.actor(), &body.reason).await?)
    };
    answer(result.await)
}

/// The body of `POST .../pause` and `.../resume`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PauseBody {
    /// A feed (`customer/group`) of the workflow; none pauses the whole workflow.
    #[serde(default)]
    feed: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

async fn pause<S: Store + Clone + 'static>(
    State(state): State<Shared<S>>,
    headers: HeaderMap,
    Path(workflow): Path<String>,
    body: Result<Json<PauseBody>, JsonRejection>,
) -> Response {
    let result = async {
        let who = acting(&state, &headers, Role::Owner).await?;
        let Json(body) = body.map_err(bad_json)?;
        let reason = body.reason.as_deref().unwrap_or("paused through the API");
        let store = state.store();
        let feed = body.feed.as_deref();
        Ok::<_, Failure>(pause::pause(store, state.config(), &workflow, feed, &who.actor(), reason).await?)
    };
    answer(result.await)
}

async fn resume<S: Store + Clone + 'static>(
    State(state): State<Shared<S>>,
    headers: HeaderMap,
    Path(workflow): Path<String>,
    body: Result<Json<PauseBody>, JsonRejection>,
) -> Response {
    let result = async {
        let who = acting(&state, &headers, Role::Owner).await?;
        let Json(body) = body.map_err(bad_json)?;
        let feed = body.feed.as_deref();
        Ok::<_, Failure>(pause::resume(state.store(), state.config(), &workflow, feed, &who.actor()).await?)
    };
    answer(result.await)
}
