//! The review queue over HTTP, as thin glue over `prodline_runtime::review`:
//! `GET /api/v1/review`, `GET /api/v1/review/{id}` and
//! `POST /api/v1/review/{id}/approve|correct|reject`. Every action names its
//! person in the `X-Prodline-Actor` header, which the audit events record.
//! A listener shows and acts on its own workflow's documents only.

use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use prodline_config::Config;
use prodline_core::CanonicalOrder;
use prodline_runtime::review;
use prodline_store::{DocumentId, Store};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::Shared;
use crate::error::{ErrorCode, Failure};

/// The header that names the person acting on a document.
pub const ACTOR_HEADER: &str = "x-prodline-actor";
/// Queue entries answered when the request does not ask for a number.
const DEFAULT_LIMIT: u32 = 100;
/// Queue entries read from the store at most (all workflows), before this listener's are picked.
const MAX_LIMIT: u32 = 1000;

/// What the review routes share: the API state and the configuration the
/// review actions need (targets and master data of the workflow).
struct ReviewState<S> {
    api: Shared<S>,
    config: Arc<Config>,
}

type SharedReview<S> = Arc<ReviewState<S>>;

/// The review routes, with their own state.
pub(crate) fn routes<S: Store + Clone + 'static>(api: Shared<S>, config: Arc<Config>) -> Router {
    use axum::routing::{get, post};
    Router::new()
        .route("/api/v1/review", get(list::<S>))
        .route("/api/v1/review/{id}", get(show::<S>))
        .route("/api/v1/review/{id}/approve", post(approve::<S>))
        .route("/api/v1/review/{id}/correct", post(correct::<S>))
        .route("/api/v1/review/{id}/reject", post(reject::<S>))
        .with_state(Arc::new(ReviewState { api, config }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    limit: Option<u32>,
}

/// The body of `POST .../correct`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CorrectBody {
    orders: Vec<CanonicalOrder>,
}

/// The body of `POST .../reject`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RejectBody {
    reason: String,
}

async fn list<S: Store + Clone + 'static>(
    State(state): State<SharedReview<S>>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let result = async {
        let Query(query) = query.map_err(|rejection| Failure::new(ErrorCode::BadJson, rejection.body_text()))?;
        let limit = usize::try_from(query.limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT)).unwrap_or(usize::MAX);
        let workflow = state.api.workflow();
        let mut items = review::list(state.api.store(), MAX_LIMIT).await?;
        items.retain(|item| item.workflow.as_deref() == Some(workflow));
        items.truncate(limit);
        Ok::<_, Failure>(json!({ "documents": items }))
    };
    answer(result.await)
}

async fn show<S: Store + Clone + 'static>(State(state): State<SharedReview<S>>, Path(id): Path<String>) -> Response {
    let result = async {
        let id = own_document(&state, &id).await?;
        Ok::<_, Failure>(review::show(state.api.store(), id).await?)
    };
    answer(result.await)
}

async fn approve<S: Store + Clone + 'static>(
    State(state): State<SharedReview<S>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let actor = actor(&headers)?;
        let id = own_document(&state, &id).await?;
        Ok::<_, Failure>(review::approve(state.api.store(), &state.config, id, &actor).await?)
    };
    answer(result.await)
}

async fn correct<S: Store + Clone + 'static>(
    State(state): State<SharedReview<S>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Json<CorrectBody>, JsonRejection>,
) -> Response {
    let result = async {
        let actor = actor(&headers)?;
        let Json(body) = body.map_err(bad_json)?;
        let id = own_document(&state, &id).await?;
        Ok::<_, Failure>(review::correct(state.api.store(), &state.config, id, &actor, body.orders).await?)
    };
    answer(result.await)
}

async fn reject<S: Store + Clone + 'static>(
    State(state): State<SharedReview<S>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Json<RejectBody>, JsonRejection>,
) -> Response {
    let result = async {
        let actor = actor(&headers)?;
        let Json(body) = body.map_err(bad_json)?;
        let id = own_document(&state, &id).await?;
        Ok::<_, Failure>(review::reject(state.api.store(), id, &actor, &body.reason).await?)
    };
    answer(result.await)
}

fn answer<T: Serialize>(result: Result<T, Failure>) -> Response {
    match result {
        Ok(body) => Json(body).into_response(),
        Err(failure) => failure.into_response(),
    }
}

fn bad_json(rejection: JsonRejection) -> Failure {
    Failure::new(ErrorCode::BadJson, rejection.body_text())
}

/// The person acting, from `X-Prodline-Actor`: required, and not blank.
fn actor(headers: &HeaderMap) -> Result<String, Failure> {
    let actor = headers.get(ACTOR_HEADER).and_then(|value| value.to_str().ok()).map(str::trim).unwrap_or_default();
    if actor.is_empty() {
        let message = "the X-Prodline-Actor header must name the person acting (it is recorded in the audit trail)";
        return Err(Failure::new(ErrorCode::MissingActor, message));
    }
    Ok(actor.to_owned())
}

/// The id, if it names a document of this listener's workflow.
async fn own_document<S: Store>(state: &ReviewState<S>, id: &str) -> Result<DocumentId, Failure> {
    let id = crate::documents::parse_id(id)?;
    let workflow = state.api.workflow();
    let document = state.api.store().document(id).await?;
    match document {
        Some(document) if document.meta.get("workflow").and_then(Value::as_str) == Some(workflow) => Ok(id),
        _ => Err(Failure::new(ErrorCode::DocumentNotFound, format!("no document {id} in workflow {workflow:?}"))),
    }
}
