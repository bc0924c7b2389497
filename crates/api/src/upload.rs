//! `POST /api/v1/documents`: multipart in, document ids out, each only after
//! its commit.
//!
//! The whole request is read and checked before anything is stored, so a bad
//! request stores nothing. Files are then stored one after the other; if the
//! store fails half way, the client gets an error and its retry returns the
//! documents already stored as duplicates (same source, same bytes, same id).

use std::net::SocketAddr;

use axum::Json;
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{ConnectInfo, FromRequest, Multipart, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use prodline_store::{Received, Store, to_micros_precision};
use serde::Serialize;
use serde_json::json;

use crate::Shared;
use crate::error::{ErrorCode, Failure};

/// The part that carries a document; there may be several.
const FILE_PART: &str = "file";
/// Optional text part: the sender as the client knows it.
const FROM_PART: &str = "from";
/// Optional text part: must name this listener's workflow when present.
const WORKFLOW_PART: &str = "workflow";
/// The stored name of a `file` part sent without a file name.
const UNNAMED_FILE: &str = "upload";

/// One file of the request, read and checked, not stored yet.
struct UploadedFile {
    file_name: String,
    content_type: Option<String>,
    bytes: Vec<u8>,
}

/// The request once read: its files and its optional sender.
#[derive(Default)]
struct Upload {
    files: Vec<UploadedFile>,
    from: Option<String>,
}

/// One stored file in the answer.
#[derive(Debug, Serialize)]
struct StoredDocument {
    document_id: i64,
    sha256: String,
    file_name: String,
    duplicate: bool,
}

pub(crate) async fn upload<S: Store + Clone + 'static>(State(state): State<Shared<S>>, request: Request) -> Response {
    match store_upload(state, request).await {
        Ok(response) => response,
        Err(failure) => failure.into_response(),
    }
}

async fn store_upload<S: Store>(state: Shared<S>, request: Request) -> Result<Response, Failure> {
    let remote = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(address)| address.to_string());
    let multipart = Multipart::from_request(request, &())
        .await
        .map_err(|rejection| Failure::new(ErrorCode::BadMultipart, rejection.body_text()))?;
    let limits = Limits { workflow: state.workflow(), max_upload_bytes: state.max_upload_bytes };
    let upload = read_upload(multipart, &limits).await?;
    if upload.files.is_empty() {
        let message =
            format!("the request has no {FILE_PART:?} part: send each document as a part named {FILE_PART:?}");
        return Err(Failure::new(ErrorCode::NoFile, message));
    }
    let mut stored = Vec::with_capacity(upload.files.len());
    for file in upload.files {
        let received = Received {
            source: state.source(),
            file_name: file.file_name.clone(),
            received_at: to_micros_precision(state.now()),
            from: upload.from.clone(),
            bytes: file.bytes,
            meta: json!({
                "workflow": state.workflow(),
                "content_type": file.content_type,
                "remote_address": remote,
            }),
        };
        // Durable before acknowledged: `receive` returns only after its commit.
        let receipt = state.store().receive(received).await?;
        stored.push(StoredDocument {
            document_id: receipt.document_id.0,
            sha256: receipt.sha256.to_string(),
            file_name: file.file_name,
            duplicate: receipt.duplicate,
        });
    }
    let status = if stored.iter().all(|document| document.duplicate) { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(json!({ "documents": stored }))).into_response())
}

/// What a request is checked against while it is read.
struct Limits<'a> {
    workflow: &'a str,
    max_upload_bytes: usize,
}

/// Reads every part; refuses the request on the first part that is wrong.
async fn read_upload(mut multipart: Multipart, limits: &Limits<'_>) -> Result<Upload, Failure> {
    let workflow = limits.workflow;
    let mut upload = Upload::default();
    let mut position = 0usize;
    while let Some(field) =
        multipart.next_field().await.map_err(|error| multipart_failure(&error, position + 1, limits))?
    {
        position += 1;
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            FILE_PART => upload.files.push(read_file(field, position, limits).await?),
            FROM_PART => {
                let from = read_text(field, position, limits).await?;
                upload.from = Some(from.trim().to_owned()).filter(|from| !from.is_empty());
            }
            WORKFLOW_PART => {
                let named = read_text(field, position, limits).await?;
                if named.trim() != workflow {
                    let message = format!(
                        "part {position} ({WORKFLOW_PART:?}) names workflow {:?}, but this listener feeds {workflow:?}",
                        named.trim()
                    );
                    return Err(Failure::new(ErrorCode::WorkflowMismatch, message));
                }
            }
            _ => {
                let message = format!(
                    "part {position} is named {name:?}; the parts are {FILE_PART:?} (one or more), \
                     {FROM_PART:?} and {WORKFLOW_PART:?}"
                );
                return Err(Failure::new(ErrorCode::UnknownPart, message));
            }
        }
    }
    Ok(upload)
}

async fn read_file(mut field: Field<'_>, position: usize, limits: &Limits<'_>) -> Result<UploadedFile, Failure> {
    let file_name = field.file_name().map(base_name).filter(|name| !name.is_empty()).unwrap_or(UNNAMED_FILE).to_owned();
    let content_type = field.content_type().map(str::to_owned);
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|error| multipart_failure(&error, position, limits))? {
        bytes.extend_from_slice(&chunk);
    }
    if bytes.is_empty() {
        let message = format!("part {position} ({FILE_PART:?}, file {file_name:?}) is empty");
        return Err(Failure::new(ErrorCode::EmptyFile, message));
    }
    Ok(UploadedFile { file_name, content_type, bytes })
}

async fn read_text(field: Field<'_>, position: usize, limits: &Limits<'_>) -> Result<String, Failure> {
    field.text().await.map_err(|error| multipart_failure(&error, position, limits))
}

/// The last component of a client's file name: some clients send a whole path.
fn base_name(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

/// A multipart error as an answer: too large (413) or unreadable (400).
fn multipart_failure(error: &MultipartError, position: usize, limits: &Limits<'_>) -> Failure {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        let message = format!(
            "the request is larger than the upload limit of {} bytes (at part {position})",
            limits.max_upload_bytes
        );
        return Failure::new(ErrorCode::UploadTooLarge, message);
    }
    Failure::new(ErrorCode::BadMultipart, format!("after part {position}: {}", error.body_text()))
}

#[cfg(test)]
mod tests {
    use super::base_name;

    #[test]
    fn base_name_drops_unix_and_windows_folders() {
        assert_eq!(base_name("po-1001.edi"), "po-1001.edi");
        assert_eq!(base_name("/tmp/in/po-1001.edi"), "po-1001.edi");
        assert_eq!(base_name(r"C:\Users\buyer\po-1001.edi"), "po-1001.edi");
        assert_eq!(base_name("../"), "");
    }
}
