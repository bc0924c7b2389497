//! Errors: the listener's own (`ApiError`) and the one table of codes an
//! HTTP client sees (`ErrorCode`), each with its status, answered as
//! `{"error":{"code":"...","message":"..."}}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use prodline_store::StoreError;
use serde_json::json;

/// Why the listener could not start or stopped serving.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("http listen {listen}: cannot bind: {source}")]
    Bind { listen: String, source: std::io::Error },
    #[error("http listen {listen}: {source}")]
    Serve { listen: String, source: std::io::Error },
}

/// Every failure a client can see, as a snake_case code with its HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The request has no `file` part.
    NoFile,
    /// A `file` part has no bytes.
    EmptyFile,
    /// The body is not readable multipart/form-data.
    BadMultipart,
    /// A part whose name the API does not know (a typo would otherwise go unnoticed).
    UnknownPart,
    /// The `workflow` part names another workflow than the one this listener feeds.
    WorkflowMismatch,
    /// The request body is larger than the upload limit.
    UploadTooLarge,
    /// The document id in the path is not a number.
    BadDocumentId,
    /// No document with that id (for this workflow).
    DocumentNotFound,
    /// No route for this path.
    NotFound,
    /// Someone else changed the document first.
    Conflict,
    /// The store cannot be reached or refused the connection: try again later.
    StoreUnavailable,
    /// The store answered with something it should not have (a corrupt row).
    StoreFailed,
}

impl ErrorCode {
    /// Every code, for documentation and the uniqueness test.
    pub const ALL: [ErrorCode; 12] = [
        Self::NoFile,
        Self::EmptyFile,
        Self::BadMultipart,
        Self::UnknownPart,
        Self::WorkflowMismatch,
        Self::UploadTooLarge,
        Self::BadDocumentId,
        Self::DocumentNotFound,
        Self::NotFound,
        Self::Conflict,
        Self::StoreUnavailable,
        Self::StoreFailed,
    ];

    /// The code as clients see it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoFile => "no_file",
            Self::EmptyFile => "empty_file",
            Self::BadMultipart => "bad_multipart",
            Self::UnknownPart => "unknown_part",
            Self::WorkflowMismatch => "workflow_mismatch",
            Self::UploadTooLarge => "upload_too_large",
            Self::BadDocumentId => "bad_document_id",
            Self::DocumentNotFound => "document_not_found",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::StoreUnavailable => "store_unavailable",
            Self::StoreFailed => "store_failed",
        }
    }

    /// The HTTP status answered with this code.
    pub fn status(self) -> StatusCode {
        match self {
            Self::NoFile
            | Self::EmptyFile
            | Self::BadMultipart
            | Self::UnknownPart
            | Self::WorkflowMismatch
            | Self::BadDocumentId => StatusCode::BAD_REQUEST,
            Self::Conflict => StatusCode::CONFLICT,
            Self::UploadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::DocumentNotFound | Self::NotFound => StatusCode::NOT_FOUND,
            Self::StoreUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::StoreFailed => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// An error answer: its code and a message naming the part, field or row concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub code: ErrorCode,
    pub message: String,
}

impl Failure {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        let code = match error {
            // The database is down, unreachable, out of connections or locked: transient.
            StoreError::Database(_) | StoreError::Migration(_) => ErrorCode::StoreUnavailable,
            StoreError::Conflict { .. } | StoreError::Terminal { .. } => ErrorCode::Conflict,
            _ => ErrorCode::StoreFailed,
        };
        Self::new(code, format!("store: {error}"))
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let body = json!({ "error": { "code": self.code.as_str(), "message": self.message } });
        (self.code.status(), Json(body)).into_response()
    }
}

/// The fallback route: a JSON 404 rather than an empty body.
pub(crate) async fn not_found(uri: axum::http::Uri) -> Failure {
    Failure::new(ErrorCode::NotFound, format!("no route for {}", uri.path()))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::ErrorCode;

    #[test]
    fn codes_are_unique_snake_case_and_errors_of_the_client_or_server() {
        let codes: HashSet<&str> = ErrorCode::ALL.iter().map(|code| code.as_str()).collect();
        assert_eq!(codes.len(), ErrorCode::ALL.len(), "two variants share a code");
        for code in ErrorCode::ALL {
            assert!(code.as_str().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{code:?}");
            assert!(code.status().is_client_error() || code.status().is_server_error(), "{code:?}");
        }
    }
}
