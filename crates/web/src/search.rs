//! Finding documents and reading their history.
//!
//! - `GET /documents`: a search form (customer, PO, state, received from/to,
//!   workflow) over `Store::search_documents`, newest received first;
//! - `GET /documents/{id}`: one document as it arrived (the viewer), its
//!   decision, the orders planned, the deliveries to the ERP and its full
//!   audit trail, every event with its details as key/values.
//!
//! Both are for reviewers: anyone who may work the queue may look up what
//! happened to a document.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, NaiveDate, Utc};
use maud::{Markup, html};
use prodline_core::CanonicalOrder;
use prodline_runtime::review::{self, DocumentView, ReviewError, StoredDecision};
use prodline_store::{Delivery, DocumentId, DocumentRecord, DocumentSearch, DocumentState, Event, Role, Store};
use serde::Deserialize;
use serde_json::Value;

use crate::auth::person;
use crate::document::viewer;
use crate::layout::{error_page, page};
use crate::{Shared, WebState};

/// Documents a search lists at most.
const RESULTS: u32 = 200;
/// A value longer than this is folded away under its key.
const FOLD_OVER: usize = 160;
/// Nesting flattened into `a.b.c` keys; deeper values are shown as JSON.
const FLATTEN_DEPTH: usize = 3;

pub(crate) fn routes<S: Store + Clone + 'static>(state: Shared<S>) -> Router {
    Router::new()
        .route("/documents", get(search_page::<S>))
        .route("/documents/{id}", get(document_page::<S>))
        .with_state(state)
}

/// The search form's fields, as the query string carries them (empty = any).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SearchForm {
    customer: String,
    po: String,
    state: String,
    from: String,
    to: String,
    workflow: String,
}

impl SearchForm {
    fn is_empty(&self) -> bool {
        [&self.customer, &self.po, &self.state, &self.from, &self.to, &self.workflow]
            .iter()
            .all(|field| field.trim().is_empty())
    }

    /// The store's search, or what is wrong with the form. Dates are plant
    /// dates: from the start of `from` to the end of `to`, in the calendar's zone.
    fn search<S>(&self, state: &WebState<S>) -> Result<DocumentSearch, String> {
        let text = |field: &str| Some(field.trim().to_owned()).filter(|field| !field.is_empty());
        let calendar = &state.config().calendar;
        let day_start = |date: NaiveDate| calendar.local_instant(date, 0);
        let document_state = match text(&self.state) {
            Some(name) => Some(DocumentState::parse(&name).ok_or_else(|| format!("{name:?} is not a document state"))?),
            None => None,
        };
        let from = text(&self.from).map(|date| parse_date("received from", &date)).transpose()?;
        let to = text(&self.to).map(|date| parse_date("received to", &date)).transpose()?;
        Ok(DocumentSearch {
            workflow: text(&self.workflow),
            state: document_state,
            customer: text(&self.customer),
            po: text(&self.po),
            received_from: from.and_then(day_start),
            received_before: to.and_then(|date| date.succ_opt()).and_then(day_start),
        })
    }
}

fn parse_date(field: &str, text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| format!("{field}: {text:?} is not a date (YYYY-MM-DD)"))
}

async fn search_page<S: Store + Clone + 'static>(
    State(state): State<Shared<S>>,
    headers: HeaderMap,
    Query(form): Query<SearchForm>,
) -> Result<Response, Response> {
    let who = person(&state, &headers, "/documents", Role::Reviewer).await.map_err(IntoResponse::into_response)?;
    let search = form.search(&state);
    let found = match &search {
        Ok(search) => Some(state.store().search_documents(search, RESULTS).await.map_err(|error| {
            let message = format!("the search could not be run: {error}");
            error_page(StatusCode::SERVICE_UNAVAILABLE, "Store unavailable", &message)
        })?),
        Err(_) => None,
    };
    let body = html! {
        h1 { "Documents" }
        (search_form(&state, &form))
        @if let Err(problem) = &search { p.error #search-problem role="alert" { (problem) } }
        @if let Some(found) = &found { (results(found, form.is_empty())) }
    };
    Ok(page("Documents", &who, body).into_response())
}

fn search_form<S>(state: &WebState<S>, form: &SearchForm) -> Markup {
    html! {
        form.search #search method="get" action="/documents" {
            label { "Customer or sender" input #customer type="search" name="customer" value=(form.customer) data-key="/"; }
            label { "PO or file" input #po type="search" name="po" value=(form.po); }
            label { "State"
                select #state name="state" {
                    option value="" { "any" }
                    @for known in DocumentState::ALL {
                        option value=(known.as_str()) selected[form.state == known.as_str()] { (known.as_str()) }
                    }
                }
            }
            label { "Received from" input #from type="date" name="from" value=(form.from); }
            label { "to" input #to type="date" name="to" value=(form.to); }
            label { "Workflow"
                select #workflow name="workflow" {
                    option value="" { "any" }
                    @for workflow in &state.config().workflow {
                        option value=(workflow.name) selected[form.workflow == workflow.name] { (workflow.name) }
                    }
                }
            }
            button.primary #search-button type="submit" { "Search" }
        }
    }
}

fn results(found: &[DocumentRecord], everything: bool) -> Markup {
    let heading = match (found.len(), everything) {
        (0, _) => "No document matches.".to_owned(),
        (n, true) => format!("The {n} most recently received documents"),
        (n, false) if n as u32 >= RESULTS => format!("The first {n} matches (narrow the search for more)"),
        (n, false) => format!("{n} matching documents"),
    };
    html! {
        p.muted #result-count { (heading) }
        @if !found.is_empty() {
            table #results {
                thead { tr { th { "Id" } th { "Workflow" } th { "State" } th { "Received" } th { "Sender" } th { "File" } th { "Customers / POs" } th { "Decision" } } }
                tbody { @for document in found { (result_row(document)) } }
            }
        }
    }
}

fn result_row(document: &DocumentRecord) -> Markup {
    let decision = stored_decision(document.decision.as_ref());
    html! {
        tr data-document=(document.id) {
            td { a href=(format!("/documents/{}", document.id)) { (document.id) } }
            td { (workflow_of(&document.meta).unwrap_or("–")) }
            td { (state_badge(document.state)) }
            td { (time(document.received_at)) }
            td { (document.from.as_deref().unwrap_or("–")) }
            td { (document.file_name) }
            td { @if let Some(decision) = &decision { (orders_summary(&decision.orders.iter().map(|planned| &planned.order).collect::<Vec<_>>())) } }
            td { @if let Some(decision) = &decision { (decision.decision) " " span.muted { (format!("{:.2}", decision.confidence)) } } }
        }
    }
}

/// `C0001 · PO 4711`, one per order.
fn orders_summary(orders: &[&CanonicalOrder]) -> Markup {
    html! {
        @for order in orders {
            span.order { (order.customer_id.as_deref().unwrap_or("?")) " · PO " (order.customer_po.as_deref().unwrap_or("?")) } br;
        }
    }
}

fn stored_decision(decision: Option<&Value>) -> Option<StoredDecision> {
    decision.and_then(|value| serde_json::from_value(value.clone()).ok())
}

fn workflow_of(meta: &Value) -> Option<&str> {
    meta.get("workflow").and_then(Value::as_str)
}

async fn document_page<S: Store + Clone + 'static>(
    State(state): State<Shared<S>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    let uri = format!("/documents/{id}");
    let who = person(&state, &headers, &uri, Role::Reviewer).await.map_err(IntoResponse::into_response)?;
    let not_found = || error_page(StatusCode::NOT_FOUND, "No such document", &format!("there is no document {id}"));
    let id = id.parse::<i64>().map(DocumentId).map_err(|_| not_found())?;
    let view = match review::show(state.store(), id).await {
        Ok(view) => view,
        Err(ReviewError::NotFound(_)) => return Err(not_found()),
        Err(error) => return Err(error_page(StatusCode::SERVICE_UNAVAILABLE, "Store unavailable", &error.to_string())),
    };
    let record = state.store().document(id).await.ok().flatten().ok_or_else(not_found)?;
    let shown = viewer(&state, &record).await;
    let title = format!("Document {id} · {}", view.file_name);
    Ok(page(&title, &who, document_body(&view, shown)).into_response())
}

fn document_body(view: &DocumentView, shown: Markup) -> Markup {
    html! {
        div.page-head {
            div {
                h1 { "Document " (view.id) ": " (view.file_name) }
                p.muted #document-facts {
                    (state_badge(view.state)) " · workflow " (view.workflow.as_deref().unwrap_or("–"))
                    " · received " (time(view.received_at)) " from " (view.from.as_deref().unwrap_or(&view.source))
                    " via " (view.source) " · updated " (time(view.updated_at))
                }
            }
            @if view.state == DocumentState::InReview {
                a.button.primary #to-desk href=(format!("/review/{}", view.id)) { "Open at the review desk" }
            }
        }
        div.split {
            section.card { (shown) }
            div {
                (decision_section(view.decision.as_ref()))
                (deliveries_section(&view.deliveries))
            }
        }
        (trail_section(&view.events))
        p.muted { "SHA-256 " code { (view.sha256) } }
    }
}

fn decision_section(decision: Option<&StoredDecision>) -> Markup {
    html! {
        section.card #decision {
            h2 { "Decision" }
            @match decision {
                None => p.muted { "Not decided yet." },
                Some(decision) => {
                    p { strong { (decision.decision) } " with confidence " (format!("{:.2}", decision.confidence)) }
                    @if !decision.reasons.is_empty() {
                        ul.reasons { @for reason in &decision.reasons { li { code { (reason.code.as_str()) } " " (reason.message) } } }
                    }
                    h3 { "Orders planned (" (decision.orders.len()) ")" }
                    @for planned in &decision.orders { (order_table(&planned.order, planned.revision)) }
                }
            }
        }
    }
}

fn order_table(order: &CanonicalOrder, revision: bool) -> Markup {
    let date = |date: Option<NaiveDate>| date.map_or("–".to_owned(), |date| date.to_string());
    html! {
        div.order {
            p {
                "Customer " strong { (order.customer_id.as_deref().unwrap_or("?")) }
                " · PO " strong { (order.customer_po.as_deref().unwrap_or("?")) }
                " · ship-to " (order.ship_to.as_deref().unwrap_or("–"))
                " · ordered " (date(order.order_date)) " · wanted " (date(order.requested_date))
                @if revision { " · " span.badge.audit { "revision" } }
            }
            table.lines {
                thead { tr { th { "#" } th { "SKU" } th { "Their part" } th { "Description" } th.num { "Qty" } th { "Unit" } th.num { "Price" } } }
                tbody {
                    @for line in &order.lines {
                        tr {
                            td { (line.line.map_or(String::new(), |n| n.to_string())) }
                            td { code { (line.sku.as_deref().unwrap_or("?")) } }
                            td { (line.customer_part.as_deref().unwrap_or("")) }
                            td { (line.description.as_deref().unwrap_or("")) }
                            td.num { (line.qty) }
                            td { (line.uom.as_deref().unwrap_or("")) }
                            td.num { (line.unit_price.map_or(String::new(), |price| price.to_string())) " " (order.currency.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
    }
}

fn deliveries_section(deliveries: &[Delivery]) -> Markup {
    html! {
        section.card #deliveries {
            h2 { "Deliveries to the ERP" }
            @if deliveries.is_empty() { p.muted { "None." } }
            @else {
                table {
                    thead { tr { th { "Target" } th { "Key" } th { "Status" } th.num { "Attempts" } th { "Last error" } } }
                    tbody {
                        @for delivery in deliveries {
                            tr {
                                td { (delivery.target) }
                                td { code { (delivery.idempotency_key) } }
                                td { (delivery.status.as_str()) }
                                td.num { (delivery.attempts) }
                                td { (delivery.last_error.as_deref().unwrap_or("")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Every event of the document, oldest first, details as key/values.
fn trail_section(events: &[Event]) -> Markup {
    html! {
        section.card #audit-trail {
            h2 { "Audit trail (" (events.len()) " events)" }
            table.trail {
                thead { tr { th { "When" } th { "Event" } th { "Actor" } th { "Details" } } }
                tbody {
                    @for event in events {
                        tr data-event=(event.id) data-kind=(event.kind.as_str()) {
                            td.when { (time_seconds(event.at)) }
                            td { (event.kind.as_str()) }
                            td { (event.actor) }
                            td { (details(&event.details)) }
                        }
                    }
                }
            }
        }
    }
}

fn details(value: &Value) -> Markup {
    let mut pairs = Vec::new();
    flatten(value, String::new(), 0, &mut pairs);
    html! {
        dl.details {
            @for (key, text) in pairs {
                dt { (key) }
                dd {
                    @if text.chars().count() > FOLD_OVER {
                        details { summary { (text.chars().take(60).collect::<String>()) "…" } pre { (text) } }
                    } @else { (text) }
                }
            }
        }
    }
}

/// `{"a": {"b": 1}, "c": [1, 2]}` → `a.b = 1`, `c = 1, 2`: objects are
/// flattened into dotted keys down to [`FLATTEN_DEPTH`], arrays of plain
/// values joined, anything deeper written as JSON.
fn flatten(value: &Value, key: String, depth: usize, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) if depth < FLATTEN_DEPTH && !map.is_empty() => {
            for (name, inner) in map {
                let key = if key.is_empty() { name.clone() } else { format!("{key}.{name}") };
                flatten(inner, key, depth + 1, out);
            }
        }
        Value::Array(items) if items.iter().all(|item| !item.is_object() && !item.is_array()) => {
            out.push((key, items.iter().map(plain).collect::<Vec<_>>().join(", ")));
        }
        other => out.push((key, plain(other))),
    }
}

/// A value as text: strings without quotes, `null` as `–`, the rest as JSON.
fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "–".to_owned(),
        other => other.to_string(),
    }
}

fn state_badge(state: DocumentState) -> Markup {
    let class = match state {
        DocumentState::Posted | DocumentState::Approved => "ok",
        DocumentState::InReview => "audit",
        DocumentState::Rejected | DocumentState::DeadLettered | DocumentState::Quarantined => "bad",
        _ => "",
    };
    html! { span.badge.(class) { (state.as_str()) } }
}

fn time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn time_seconds(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn details_read_as_dotted_keys_with_plain_values() {
        let mut pairs = Vec::new();
        let value =
            json!({ "from": "decided", "details": { "reason": "audit", "n": 2 }, "codes": ["a", "b"], "x": null });
        flatten(&value, String::new(), 0, &mut pairs);
        let expected =
            [("codes", "a, b"), ("details.n", "2"), ("details.reason", "audit"), ("from", "decided"), ("x", "–")];
        let expected: Vec<(String, String)> = expected.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert_eq!(pairs, expected);
    }

    #[test]
    fn deep_values_and_arrays_of_objects_stay_json() {
        let mut pairs = Vec::new();
        let value = json!({ "orders": [{ "po": "4711" }], "a": { "b": { "c": { "d": 1 } } } });
        flatten(&value, String::new(), 0, &mut pairs);
        assert_eq!(pairs[0], ("a.b.c".to_owned(), "{\"d\":1}".to_owned()));
        assert_eq!(pairs[1], ("orders".to_owned(), "[{\"po\":\"4711\"}]".to_owned()));
    }
}
