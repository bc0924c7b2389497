//! The HTTP API of prodline: documents are POSTed to `/api/v1/documents`
//! (multipart), stored with `Store::receive`, and answered with their
//! document id only after the commit; `GET /api/v1/documents/{id}` shows a
//! document's state, decision and audit trail; `GET /healthz` says whether the
//! store answers. Reviewing and the monitor's figures are not an intake
//! port's: they need a login or an API token (`prodline-web`).
//!
//! One listener feeds one workflow (`SourceConfig::Http { listen }`): each
//! upload is stored with source `http:<workflow>` and `meta.workflow`, so the
//! runtime's processing step picks it up like a file from a folder.
//!
//! Architecture Invariant: an upload is answered (201/200) only after every
//! file of it is committed in the store; any failure answers an error, and a
//! retry of the same bytes returns the same document (idempotent on
//! source and SHA-256).

mod documents;
mod error;
mod upload;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use prodline_store::Store;
use tokio::net::TcpListener;

pub use error::{ApiError, ErrorCode};

/// Largest request body `POST /api/v1/documents` accepts unless configured otherwise: 50 MB.
pub const DEFAULT_MAX_UPLOAD_BYTES: usize = 50 * 1024 * 1024;

/// What the handlers share: the store, the workflow this listener feeds and
/// the upload limit.
/// Cloning is cheap when the store is (both back ends hold a pool).
#[derive(Debug, Clone)]
pub struct ApiState<S> {
    store: S,
    workflow: String,
    max_upload_bytes: usize,
    clock: ReceiptClock,
}

/// Where an upload's received time comes from: the wall clock, or the
/// replayed clock of a demo (`ApiState::with_clock`).
#[derive(Clone, Default)]
struct ReceiptClock(Option<prodline_store::StoreClock>);

impl std::fmt::Debug for ReceiptClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "ReceiptClock(replayed)" } else { "ReceiptClock(wall)" })
    }
}

impl<S> ApiState<S> {
    /// State for a listener that feeds `workflow`, with the default upload limit.
    pub fn new(store: S, workflow: impl Into<String>) -> Self {
        Self {
            store,
            workflow: workflow.into(),
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            clock: ReceiptClock::default(),
        }
    }

    /// Sets the largest request body an upload may have (all its parts together).
    pub fn with_max_upload_bytes(mut self, max_upload_bytes: usize) -> Self {
        self.max_upload_bytes = max_upload_bytes;
        self
    }

    /// Stamps uploads with `clock`'s time instead of the wall clock's (a
    /// replay of history, such as the demo's months).
    pub fn with_clock(mut self, clock: prodline_store::StoreClock) -> Self {
        self.clock = ReceiptClock(Some(clock));
        self
    }

    /// The time an upload is received at.
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        match &self.clock.0 {
            Some(clock) => clock(),
            None => chrono::Utc::now(),
        }
    }

    /// The workflow uploads to this listener are stored for.
    pub fn workflow(&self) -> &str {
        &self.workflow
    }

    /// The store every upload is committed to.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The store name of this listener's uploads: `http:<workflow>`.
    fn source(&self) -> String {
        format!("http:{}", self.workflow)
    }
}

/// The handlers' view of the state: one allocation shared by every request.
type Shared<S> = Arc<ApiState<S>>;

/// Every route of the API: uploads, a document's state, health.
pub fn router<S: Store + Clone + 'static>(state: ApiState<S>) -> Router {
    let upload_limit = DefaultBodyLimit::max(state.max_upload_bytes);
    let state = Arc::new(state);
    Router::new()
        .route("/api/v1/documents", post(upload::upload::<S>).layer(upload_limit))
        .route("/api/v1/documents/{id}", get(documents::show::<S>))
        .route("/healthz", get(documents::health::<S>))
        .with_state(state)
        .fallback(error::not_found)
}

/// Binds `listen` (e.g. `127.0.0.1:8080`); the error names the address.
pub async fn bind(listen: &str) -> Result<TcpListener, ApiError> {
    TcpListener::bind(listen).await.map_err(|source| ApiError::Bind { listen: listen.to_owned(), source })
}

/// Binds `listen` and serves the API until `shutdown` completes; requests in
/// flight are finished first.
pub async fn serve<S: Store + Clone + 'static>(
    listen: &str,
    state: ApiState<S>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ApiError> {
    serve_on(bind(listen).await?, state, shutdown).await
}

/// Serves the API on a bound listener until `shutdown` completes; requests in
/// flight are finished first. For callers that bind early (to fail before
/// starting anything else, or to learn the port of `127.0.0.1:0`).
pub async fn serve_on<S: Store + Clone + 'static>(
    listener: TcpListener,
    state: ApiState<S>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ApiError> {
    let address = listener.local_addr().map_err(|source| ApiError::Serve { listen: "?".to_owned(), source })?;
    let service = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|source| ApiError::Serve { listen: address.to_string(), source })
}
