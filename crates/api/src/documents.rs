//! `GET /api/v1/documents/{id}` (a document with its decision and audit
//! trail) and `GET /healthz` (does the store answer).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use prodline_store::{DocumentId, DocumentRecord, Event, Store};
use serde_json::{Value, json};

use crate::Shared;
use crate::error::{ErrorCode, Failure};

pub(crate) async fn show<S: Store + Clone + 'static>(
    State(state): State<Shared<S>>,
    Path(id): Path<String>,
) -> Response {
    match document(&state, &id).await {
        Ok(body) => Json(body).into_response(),
        Err(failure) => failure.into_response(),
    }
}

async fn document<S: Store>(state: &Shared<S>, id: &str) -> Result<Value, Failure> {
    let id = parse_id(id)?;
    let not_found =
        || Failure::new(ErrorCode::DocumentNotFound, format!("no document {id} in workflow {:?}", state.workflow()));
    let Some(document) = state.store().document(id).await? else { return Err(not_found()) };
    // A listener shows the documents of its own workflow only.
    if document.meta.get("workflow").and_then(Value::as_str) != Some(state.workflow()) {
        return Err(not_found());
    }
    let events = state.store().events(id).await?;
    Ok(document_json(&document, &events))
}

/// The `{id}` of a path as a document id.
pub(crate) fn parse_id(id: &str) -> Result<DocumentId, Failure> {
    id.parse::<i64>()
        .map(DocumentId)
        .map_err(|_| Failure::new(ErrorCode::BadDocumentId, format!("document id {id:?} is not a number")))
}

fn document_json(document: &DocumentRecord, events: &[Event]) -> Value {
    json!({
        "document_id": document.id.0,
        "state": document.state.as_str(),
        "source": document.source,
        "file_name": document.file_name,
        "from": document.from,
        "sha256": document.sha256.as_str(),
        "received_at": document.received_at,
        "updated_at": document.updated_at,
        "decision": document.decision.as_ref().map(decision_summary),
        "outcome": document.outcome,
        "events": events.iter().map(event_json).collect::<Vec<_>>(),
    })
}

/// The decision without its orders: what was decided, how sure, and why.
fn decision_summary(decision: &Value) -> Value {
    json!({
        "decision": decision.get("decision"),
        "confidence": decision.get("confidence"),
        "reasons": decision.get("reasons"),
        "orders": decision.get("orders").and_then(Value::as_array).map(Vec::len),
    })
}

fn event_json(event: &Event) -> Value {
    json!({
        "id": event.id.0,
        "at": event.at,
        "kind": event.kind.as_str(),
        "actor": event.actor,
        "details": event.details,
    })
}

pub(crate) async fn health<S: Store + Clone + 'static>(State(state): State<Shared<S>>) -> Response {
    match state.store().schema_version().await {
        Ok(version) => Json(json!({ "status": "ok", "schema_version": version })).into_response(),
        Err(error) => Failure::from(error).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::decision_summary;
    use serde_json::json;

    #[test]
    fn decision_summary_counts_orders_and_keeps_reasons() {
        let stored = json!({
            "decision": "review",
            "confidence": 0.5,
            "reasons": [{ "code": "price_mismatch" }],
            "orders": [{ "order": {} }, { "order": {} }],
        });
        let expected = json!({
            "decision": "review",
            "confidence": 0.5,
            "reasons": [{ "code": "price_mismatch" }],
            "orders": 2,
        });
        assert_eq!(decision_summary(&stored), expected);
    }
}
