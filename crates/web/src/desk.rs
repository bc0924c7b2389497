//! The review desk: the queue of documents waiting for a person, and one
//! document beside what the pipeline read from it, with Approve, Correct
//! and Reject. Glue over `prodline_runtime::review` (the same functions
//! the CLI and the API call), so every action is the runtime's own, with
//! its audit events naming the person.
//!
//! After an action the desk moves to the next document of the queue (303,
//! with a one-line flash in the query), so a reviewer works through the
//! queue with the keyboard: `a` approves, `c` starts a correction, `r` a
//! rejection; `j`/`k` and Enter in the queue.

use std::collections::{BTreeMap, HashSet};
use std::str::FromStr;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDate, Utc};
use maud::{Markup, html};
use prodline_core::{CanonicalLine, CanonicalOrder};
use prodline_runtime::review::{
    self, Inspection, ItemCandidate, Lesson, LineInspection, OrderInspection, QueueItem, Remember, ReviewError,
};
use prodline_store::{DocumentId, DocumentState, Role, Store};
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::auth::{Denied, Who, check_csrf, csrf_field, person};
use crate::layout::{error_page, page};
use crate::{Shared, WebState, document};

/// Documents read for the queue at most.
const QUEUE_LIMIT: u32 = 500;
/// Items of the master listed in each line's pick list at most (candidates come first).
const ITEM_LIST_LIMIT: usize = 2000;
/// Orders and lines a correction may hold: far beyond any real order, they
/// bound what a posted form can make the server allocate.
const MAX_ORDERS: usize = 50;
const MAX_LINES: usize = 2000;

pub(crate) fn routes<S: Store + Clone + 'static>(state: Shared<S>) -> Router {
    Router::new()
        .route("/review", get(queue::<S>))
        .route("/review/{id}", get(desk::<S>))
        .route("/review/{id}/approve", post(approve::<S>))
        .route("/review/{id}/correct", post(correct::<S>))
        .route("/review/{id}/reject", post(reject::<S>))
        .with_state(state)
}

// ---------------------------------------------------------------- flash and notices

/// What the last action did, carried to the next page in the query (`?done=approved&doc=12`).
#[derive(Debug, Default, Deserialize)]
struct Done {
    done: Option<String>,
    doc: Option<i64>,
    learned: Option<usize>,
}

impl Done {
    fn message(&self) -> Option<String> {
        let doc = self.doc?;
        let what = match self.done.as_deref()? {
            "approved" => "approved: its orders go to the ERP".to_owned(),
            "corrected" => match self.learned.unwrap_or(0) {
                0 => "corrected and approved".to_owned(),
                1 => "corrected and approved; the memory learned 1 thing from it".to_owned(),
                n => format!("corrected and approved; the memory learned {n} things from it"),
            },
            "rejected" => "rejected: nothing is entered".to_owned(),
            _ => return None,
        };
        Some(format!("Document {doc} {what}."))
    }
}

/// A message at the top of the desk.
enum Notice {
    Done(String),
    Problem(String),
}

fn notice(notice: Option<&Notice>) -> Markup {
    html! {
        @match notice {
            Some(Notice::Done(message)) => p.flash role="status" { (message) },
            Some(Notice::Problem(message)) => p.problem #problem role="alert" { (message) },
            None => {},
        }
    }
}

// ---------------------------------------------------------------- the queue

async fn queue<S: Store + Clone + 'static>(
    State(state): State<Shared<S>>,
    headers: HeaderMap,
    uri: Uri,
    done: Result<Query<Done>, QueryRejection>,
) -> Response {
    let who = match person(&state, &headers, &uri.to_string(), Role::Reviewer).await {
        Ok(who) => who,
        Err(denied) => return denied.into_response(),
    };
    let items = match our_queue(&state).await {
        Ok(items) => items,
        Err(error) => return failure(&error),
    };
    let done = done.map(|Query(done)| done).unwrap_or_default();
    let flash = done.message().map(Notice::Done);
    page("Review queue", &who, queue_body(&items, flash.as_ref())).into_response()
}

/// The queue of this deployment's workflows, oldest first.
async fn our_queue<S: Store>(state: &WebState<S>) -> Result<Vec<QueueItem>, ReviewError> {
    let ours: HashSet<&str> = state.config().workflow.iter().map(|workflow| workflow.name.as_str()).collect();
    let mut items = review::list(state.store(), QUEUE_LIMIT).await?;
    items.retain(|item| item.workflow.as_deref().is_some_and(|workflow| ours.contains(workflow)));
    Ok(items)
}

fn queue_body(items: &[QueueItem], flash: Option<&Notice>) -> Markup {
    html! {
        div.page-head {
            h1 { "Review queue " span.count #queue-count { (items.len()) } }
            p.legend { kbd { "j" } " " kbd { "k" } " move · " kbd { "Enter" } " or " kbd { "o" } " open" }
        }
        (notice(flash))
        @if items.is_empty() {
            p.empty #queue-empty { "Nothing to review. Documents the pipeline sends to a person appear here." }
        } @else {
            table.queue #queue {
                thead { tr {
                    th { "#" } th { "Workflow" } th { "File" } th { "Sender" } th { "Received" }
                    th { "Why" } th.num { "Confidence" } th { "Reasons" }
                } }
                tbody {
                    @for item in items { (queue_row(item)) }
                }
            }
        }
    }
}

fn queue_row(item: &QueueItem) -> Markup {
    let href = format!("/review/{}", item.id);
    let audit = item.reason.as_deref() == Some("audit");
    html! {
        tr data-id=(item.id) data-href=(href) {
            td { a.open href=(href) { (item.id) } }
            td { (item.workflow.as_deref().unwrap_or("")) }
            td.file { a href=(href) { (item.file_name) } }
            td { (item.from.as_deref().unwrap_or("—")) }
            td.nowrap { (when(item.received_at)) }
            td.why {
                @if audit { span.badge.audit { "Audit sample" } " " }
                @if let Some(reason) = &item.reason { code { (reason) } }
                @if let Some(message) = &item.message { div.muted { (message) } }
            }
            td.num { @if let Some(confidence) = item.confidence { (percent(confidence)) } }
            td { @for code in &item.reasons { span.badge.code { (code) } " " } }
        }
    }
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

/// A confidence as a percentage, coloured: green from 95 %, amber from 80 %, red below.
fn percent(confidence: f64) -> Markup {
    let class = if confidence >= 0.95 {
        "conf ok"
    } else if confidence >= 0.8 {
        "conf warn"
    } else {
        "conf bad"
    };
    html! { span class=(class) { (format!("{:.0} %", confidence * 100.0)) } }
}

// ---------------------------------------------------------------- one document

async fn desk<S: Store + Clone + 'static>(
    State(state): State<Shared<S>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    done: Result<Query<Done>, QueryRejection>,
) -> Response {
    let who = match person(&state, &headers, &uri.to_string(), Role::Reviewer).await {
        Ok(who) => who,
        Err(denied) => return denied.into_response(),
    };
    let Some(id) = document_id(&id) else { return no_such_document(&id) };
    let done = done.map(|Query(done)| done).unwrap_or_default();
    let flash = done.message().map(Notice::Done);
    let shown = Shown { notice: flash, status: StatusCode::OK, ..Shown::default() };
    render(&state, &who, id, shown).await
}

fn document_id(text: &str) -> Option<DocumentId> {
    text.parse::<i64>().ok().map(DocumentId)
}

fn no_such_document(id: &str) -> Response {
    error_page(StatusCode::NOT_FOUND, "No such document", &format!("there is no document {id}"))
}

/// What the desk shows besides the document: a notice, and what the
/// reviewer sent when it is shown again to be fixed.
#[derive(Default)]
struct Shown {
    notice: Option<Notice>,
    /// The correction as posted (the form opens with it).
    correction: Option<Draft>,
    /// The rejection's reason as posted.
    rejection: Option<String>,
    status: StatusCode,
}

async fn render<S: Store>(state: &WebState<S>, who: &Who, id: DocumentId, shown: Shown) -> Response {
    let inspection = match review::inspect(state.store(), state.config(), id).await {
        Ok(inspection) => inspection,
        Err(error) => return failure(&error),
    };
    let queue = our_queue(state).await.unwrap_or_default();
    let record = match state.store().document(id).await {
        Ok(Some(record)) => record,
        Ok(None) => return no_such_document(&id.to_string()),
        Err(error) => return Denied::Store(error.to_string()).into_response(),
    };
    let viewer = document::viewer(state, &record).await;
    let desk = Desk::new(&inspection, &shown);
    let title = format!("Document {id}");
    let body = desk_body(&desk, &queue, viewer, who);
    (shown.status, page(&title, who, body)).into_response()
}

/// One document at the desk: the decision as stored (what Approve enters)
/// with each field's match as the pipeline reads it now.
struct Desk<'a> {
    inspection: &'a Inspection,
    notice: Option<&'a Notice>,
    /// The orders as decided, each with its inspection when it still reads the same.
    orders: Vec<(CanonicalOrder, Option<&'a OrderInspection>)>,
    /// The correction form's content: the decided orders, or what the reviewer sent.
    draft: Draft,
    /// The correction form opens at once: it is shown again to be fixed.
    reopen: bool,
    rejection: Option<&'a str>,
    in_review: bool,
}

impl<'a> Desk<'a> {
    fn new(inspection: &'a Inspection, shown: &'a Shown) -> Desk<'a> {
        let decided: Vec<CanonicalOrder> = inspection
            .view
            .decision
            .as_ref()
            .map(|decision| decision.orders.iter().map(|planned| planned.order.clone()).collect())
            .unwrap_or_default();
        // Matches are shown only where the order reads the same now (each card compares its fields).
        let orders =
            decided.iter().enumerate().map(|(index, order)| (order.clone(), inspection.orders.get(index))).collect();
        Desk {
            inspection,
            notice: shown.notice.as_ref(),
            orders,
            draft: shown.correction.clone().unwrap_or_else(|| Draft::of(&decided)),
            reopen: shown.correction.is_some(),
            rejection: shown.rejection.as_deref(),
            in_review: inspection.view.state == DocumentState::InReview,
        }
    }

    fn id(&self) -> DocumentId {
        self.inspection.view.id
    }
}

fn desk_body(desk: &Desk<'_>, queue: &[QueueItem], viewer: Markup, who: &Who) -> Markup {
    let view = &desk.inspection.view;
    html! {
        div.desk-head {
            div {
                h1 { "Document " (view.id) " " span.muted { (view.file_name) } }
                p.meta {
                    span.badge.state #state { (view.state.as_str()) }
                    @if desk.inspection.audit_sample { " " span.badge.audit #audit-sample { "Audit sample" } }
                    " " (view.workflow.as_deref().unwrap_or("no workflow"))
                    " · from " (view.from.as_deref().unwrap_or("unknown sender"))
                    " · received " (when(view.received_at))
                }
            }
            (queue_nav(desk.id(), queue))
        }
        (notice(desk.notice))
        @if !desk.in_review {
            p.problem #not-in-review role="alert" {
                "This document is " strong { (view.state.as_str()) } ", not in review: there is nothing to do here. "
                a href="/review" { "Back to the queue" }
            }
        }
        div.desk {
            div.desk-document { (viewer) (text_read(desk.inspection)) }
            div.desk-order {
                (decision_card(desk.inspection))
                @for (index, (order, inspected)) in desk.orders.iter().enumerate() {
                    (order_card(index, desk.orders.len(), order, *inspected))
                }
                @if desk.orders.is_empty() { p.card.muted { "The pipeline found no order to enter in this document." } }
                @if desk.in_review { (actions(desk, who)) }
            }
        }
    }
}

/// Where this document is in the queue, and the next one.
fn queue_nav(id: DocumentId, queue: &[QueueItem]) -> Markup {
    let position = queue.iter().position(|item| item.id == id);
    let next = match position {
        Some(index) => queue.get(index + 1).or_else(|| queue.first().filter(|first| first.id != id)),
        None => queue.first(),
    };
    html! {
        nav.queue-nav {
            a #to-queue href="/review" data-key="q" { "← Queue (" (queue.len()) ")" }
            @if let Some(index) = position { span.muted { (index + 1) " of " (queue.len()) } }
            @if let Some(next) = next { a #next href={ "/review/" (next.id) } data-key="n" { "Next →" } }
        }
    }
}

fn text_read(inspection: &Inspection) -> Markup {
    html! {
        @if let Some(text) = inspection.text.as_deref().filter(|text| !text.trim().is_empty()) {
            details.text-read {
                summary { "The text the extractor read" }
                pre { (text) }
            }
        }
    }
}

fn decision_card(inspection: &Inspection) -> Markup {
    let decision = inspection.view.decision.as_ref();
    html! {
        section.card.decision #decision {
            div.row {
                h2 { "Decision" }
                @if let Some(decision) = decision {
                    span { "confidence " (percent(decision.confidence)) }
                }
            }
            @if let Some(routed) = &inspection.review_reason {
                p.why { "In review: " code { (routed.reason) } @if !routed.message.is_empty() { " — " (routed.message) } }
            }
            @if inspection.audit_sample {
                p.muted { "Picked at random from what would have gone straight to the ERP: your verdict measures auto-approve accuracy." }
            }
            @if let Some(decision) = decision {
                @if decision.reasons.is_empty() {
                    p.muted { "No review reasons: the pipeline would have entered it." }
                } @else {
                    ul.reasons #reasons {
                        @for reason in &decision.reasons {
                            li { code { (reason.code.as_str()) } " " (reason.message) }
                        }
                    }
                }
            } @else {
                p.muted { "Not decided yet." }
            }
        }
    }
}

fn order_card(index: usize, count: usize, order: &CanonicalOrder, inspected: Option<&OrderInspection>) -> Markup {
    let same = |value: &Option<String>, matched: &Option<String>| value == matched;
    let customer = inspected.map(|i| &i.customer).filter(|m| same(&order.customer_id, &m.customer_id));
    let ship_to = inspected.map(|i| &i.ship_to).filter(|m| same(&order.ship_to, &m.ship_to));
    html! {
        section.card.order id={ "order-" (index) } {
            div.row {
                h2 { "Order " (index + 1) @if count > 1 { " of " (count) } }
                @if let Some(inspected) = inspected { span { "confidence " (percent(inspected.confidence)) } }
            }
            table.fields {
                tr {
                    th { "Customer" }
                    td.customer { strong { (text(&order.customer_id)) } }
                    td { @if let Some(m) = customer { (percent(m.confidence)) " " span.muted { (method(&m.method)) ": " (m.evidence) } } }
                }
                tr { th { "PO" } td.po { strong { (text(&order.customer_po)) } } td {} }
                tr { th { "Order date" } td { (date(order.order_date)) } td {} }
                tr { th { "Requested" } td { (date(order.requested_date)) } td {} }
                tr {
                    th { "Ship-to" }
                    td { (text(&order.ship_to)) }
                    td { @if let Some(m) = ship_to { (percent(m.confidence)) " " span.muted { (method(&m.method)) ": " (m.evidence) } } }
                }
                @if let Some(currency) = &order.currency { tr { th { "Currency" } td { (currency) } td {} } }
            }
            @if let Some(inspected) = inspected {
                @if !inspected.reasons.is_empty() {
                    ul.reasons { @for reason in &inspected.reasons { li { code { (reason.code.as_str()) } " " (reason.message) } } }
                }
            }
            table.lines {
                thead { tr {
                    th { "#" } th { "Their item" } th { "Our SKU" } th { "Match" } th.num { "Qty" } th { "Unit" } th.num { "Price" }
                } }
                tbody {
                    @for (position, line) in order.lines.iter().enumerate() {
                        (line_row(position, line, inspected.and_then(|i| i.lines.get(position))))
                    }
                }
            }
        }
    }
}

fn line_row(position: usize, line: &CanonicalLine, inspected: Option<&LineInspection>) -> Markup {
    let matched = inspected.map(|i| &i.item).filter(|item| item.sku == line.sku);
    html! {
        tr {
            td.muted { (line.line.unwrap_or(position as u32 + 1)) }
            td {
                @if let Some(part) = &line.customer_part { code { (part) } " " }
                span.muted { (line.description.as_deref().unwrap_or("")) }
            }
            td.sku { @match &line.sku { Some(sku) => strong { (sku) }, None => span.bad { "none" } } }
            td {
                @if let Some(item) = matched {
                    (percent(item.confidence)) " " span.muted title=(item.evidence) { (method(&item.method)) }
                }
            }
            td.num { (line.qty) }
            td { (line.uom.as_deref().unwrap_or("")) }
            td.num { @if let Some(price) = line.unit_price { (price) } }
        }
    }
}

/// A match method as words (`cross_reference` → `cross reference`).
fn method(method: &impl serde::Serialize) -> String {
    serde_json::to_value(method).ok().and_then(|v| v.as_str().map(|s| s.replace('_', " "))).unwrap_or_default()
}

fn text(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("—")
}

fn date(value: Option<NaiveDate>) -> String {
    value.map_or_else(|| "—".to_owned(), |date| date.format("%Y-%m-%d").to_string())
}

// ---------------------------------------------------------------- actions

fn actions(desk: &Desk<'_>, who: &Who) -> Markup {
    let id = desk.id();
    html! {
        section.card.actions #actions {
            div.row {
                form.inline method="post" action={ "/review/" (id) "/approve" } {
                    (csrf_field(who))
                    button.primary #approve type="submit" data-key="a" disabled[desk.orders.is_empty()] { "Approve" }
                }
                form.reject method="post" action={ "/review/" (id) "/reject" } {
                    (csrf_field(who))
                    input #reject-reason type="text" name="reason" placeholder="Why reject? (required)" data-key="r"
                        autocomplete="off" value=(desk.rejection.unwrap_or(""));
                    button.danger #reject type="submit" { "Reject" }
                }
            }
            p.legend {
                kbd { "a" } " approve · " kbd { "c" } " correct · " kbd { "r" } " reject · "
                kbd { "n" } " next · " kbd { "q" } " queue · " kbd { "Esc" } " leave a field"
            }
        }
        details.card.correct #correct-panel open[desk.reopen] {
            summary { "Correct the order " kbd { "c" } }
            (correction_form(desk, who))
        }
    }
}

// ---------------------------------------------------------------- the correction form

/// The correction as the form holds it: text as typed, so that a mistake
/// is shown again as it was entered, next to what is wrong with it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Draft {
    orders: Vec<DraftOrder>,
    /// Field name → what is wrong with its value.
    errors: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct DraftOrder {
    customer_id: String,
    customer_po: String,
    ship_to: String,
    requested_date: String,
    lines: Vec<DraftLine>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct DraftLine {
    sku: String,
    qty: String,
    uom: String,
    unit_price: String,
    /// "Remember this cross-reference" ticked.
    remember: bool,
}

impl Draft {
    /// The decided orders as the form starts them, each with one empty line
    /// to add a line the pipeline missed; an empty order when there is none.
    fn of(orders: &[CanonicalOrder]) -> Draft {
        let mut drafts: Vec<DraftOrder> = orders.iter().map(DraftOrder::of).collect();
        if drafts.is_empty() {
            drafts.push(DraftOrder::default());
        }
        for order in &mut drafts {
            order.lines.push(DraftLine { remember: true, ..DraftLine::default() });
        }
        Draft { orders: drafts, ..Draft::default() }
    }

    /// The form as posted: `orders[i].field` and `orders[i].lines[j].field`;
    /// other names are ignored, indices beyond the limits too. An index the
    /// form skips is a blank line (removed) or a blank order.
    fn from_form(pairs: &[(String, String)]) -> Draft {
        let mut orders: Vec<DraftOrder> = Vec::new();
        for (name, value) in pairs {
            let Some(field) = FieldName::parse(name) else { continue };
            let order = grown(&mut orders, field.order);
            match field.line {
                None => order.set(field.name, value),
                Some(line) => grown(&mut order.lines, line).set(field.name, value),
            }
        }
        Draft { orders, ..Draft::default() }
    }
}

/// The entry at `index`, adding default entries up to it (indices are bounded by [`FieldName::parse`]).
fn grown<T: Default>(entries: &mut Vec<T>, index: usize) -> &mut T {
    if entries.len() <= index {
        entries.resize_with(index + 1, T::default);
    }
    &mut entries[index]
}

impl DraftOrder {
    fn of(order: &CanonicalOrder) -> DraftOrder {
        DraftOrder {
            customer_id: order.customer_id.clone().unwrap_or_default(),
            customer_po: order.customer_po.clone().unwrap_or_default(),
            ship_to: order.ship_to.clone().unwrap_or_default(),
            requested_date: order.requested_date.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default(),
            lines: order.lines.iter().map(DraftLine::of).collect(),
        }
    }

    fn set(&mut self, name: &str, value: &str) {
        let slot = match name {
            "customer_id" => &mut self.customer_id,
            "customer_po" => &mut self.customer_po,
            "ship_to" => &mut self.ship_to,
            "requested_date" => &mut self.requested_date,
            _ => return,
        };
        value.trim().clone_into(slot);
    }

    fn is_blank(&self) -> bool {
        self.customer_id.is_empty()
            && self.customer_po.is_empty()
            && self.ship_to.is_empty()
            && self.requested_date.is_empty()
            && self.lines.iter().all(DraftLine::is_blank)
    }
}

impl DraftLine {
    fn of(line: &CanonicalLine) -> DraftLine {
        DraftLine {
            sku: line.sku.clone().unwrap_or_default(),
            qty: line.qty.normalize().to_string(),
            uom: line.uom.clone().unwrap_or_default(),
            unit_price: line.unit_price.map(|p| p.normalize().to_string()).unwrap_or_default(),
            remember: true,
        }
    }

    fn set(&mut self, name: &str, value: &str) {
        let slot = match name {
            "sku" => &mut self.sku,
            "qty" => &mut self.qty,
            "uom" => &mut self.uom,
            "unit_price" => &mut self.unit_price,
            "remember" => {
                self.remember = !value.is_empty();
                return;
            }
            _ => return,
        };
        value.trim().clone_into(slot);
    }

    /// No SKU and no quantity: a line the reviewer removed (or the empty line left empty).
    fn is_blank(&self) -> bool {
        self.sku.is_empty() && self.qty.is_empty()
    }
}

/// `orders[2].lines[10].sku` → order 2, line 10, `sku`.
#[derive(Debug, PartialEq, Eq)]
struct FieldName<'a> {
    order: usize,
    line: Option<usize>,
    name: &'a str,
}

impl<'a> FieldName<'a> {
    fn parse(text: &'a str) -> Option<FieldName<'a>> {
        let rest = text.strip_prefix("orders[")?;
        let (order, rest) = rest.split_once("].")?;
        let order: usize = order.parse().ok().filter(|order| *order < MAX_ORDERS)?;
        let Some(rest) = rest.strip_prefix("lines[") else {
            return Some(FieldName { order, line: None, name: rest });
        };
        let (line, name) = rest.split_once("].")?;
        let line: usize = line.parse().ok().filter(|line| *line < MAX_LINES)?;
        Some(FieldName { order, line: Some(line), name })
    }

    fn order(order: usize, name: &str) -> String {
        format!("orders[{order}].{name}")
    }

    fn line(order: usize, line: usize, name: &str) -> String {
        format!("orders[{order}].lines[{line}].{name}")
    }
}

/// The corrected orders: each draft over the decided order at its place
/// (what the form does not edit — order date, currency, the customer's
/// part and description — is kept), blank lines and blank orders left
/// out; or every field that is wrong, by name.
fn corrected(
    draft: &Draft,
    decided: &[CanonicalOrder],
    items: &HashSet<&str>,
) -> Result<Vec<CanonicalOrder>, BTreeMap<String, String>> {
    let mut errors = BTreeMap::new();
    let mut orders = Vec::new();
    for (index, edited) in draft.orders.iter().enumerate() {
        let base = decided.get(index).cloned().unwrap_or_default();
        if edited.is_blank() && decided.get(index).is_none() {
            continue;
        }
        orders.push(corrected_order(index, edited, base, items, &mut errors));
    }
    if errors.is_empty() { Ok(orders) } else { Err(errors) }
}

fn corrected_order(
    index: usize,
    edited: &DraftOrder,
    base: CanonicalOrder,
    items: &HashSet<&str>,
    errors: &mut BTreeMap<String, String>,
) -> CanonicalOrder {
    let optional = |text: &str| (!text.is_empty()).then(|| text.to_owned());
    let requested_date = match edited.requested_date.as_str() {
        "" => None,
        text => NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| text).map_or_else(
            |text| {
                let message = format!("{text:?} is not a date (YYYY-MM-DD)");
                errors.insert(FieldName::order(index, "requested_date"), message);
                None
            },
            Some,
        ),
    };
    let mut next_number = base.lines.iter().filter_map(|line| line.line).max().unwrap_or(0);
    let mut lines = Vec::new();
    for (position, line) in edited.lines.iter().enumerate() {
        if line.is_blank() {
            continue;
        }
        let base_line = base.lines.get(position).cloned().unwrap_or_else(|| {
            next_number += 1;
            CanonicalLine { line: Some(next_number), ..CanonicalLine::default() }
        });
        lines.push(corrected_line(index, position, line, base_line, items, errors));
    }
    CanonicalOrder {
        customer_id: optional(&edited.customer_id),
        customer_po: optional(&edited.customer_po),
        ship_to: optional(&edited.ship_to),
        requested_date,
        lines,
        ..base
    }
}

fn corrected_line(
    order: usize,
    position: usize,
    edited: &DraftLine,
    base: CanonicalLine,
    items: &HashSet<&str>,
    errors: &mut BTreeMap<String, String>,
) -> CanonicalLine {
    let mut problem = |name: &str, message: String| {
        errors.insert(FieldName::line(order, position, name), message);
    };
    if edited.sku.is_empty() {
        problem("sku", "the SKU is missing (empty SKU and quantity remove the line)".to_owned());
    } else if !items.is_empty() && !items.contains(edited.sku.as_str()) {
        problem("sku", format!("{} is not in the item master", edited.sku));
    }
    let qty = match decimal(&edited.qty) {
        Ok(Some(qty)) if qty > Decimal::ZERO => qty,
        Ok(Some(_)) => {
            problem("qty", "the quantity must be more than 0".to_owned());
            Decimal::ZERO
        }
        Ok(None) => {
            problem("qty", "the quantity is missing".to_owned());
            Decimal::ZERO
        }
        Err(message) => {
            problem("qty", message);
            Decimal::ZERO
        }
    };
    let unit_price = match decimal(&edited.unit_price) {
        Ok(Some(price)) if price < Decimal::ZERO => {
            problem("unit_price", "the price cannot be negative".to_owned());
            None
        }
        Ok(price) => price,
        Err(message) => {
            problem("unit_price", message);
            None
        }
    };
    CanonicalLine {
        sku: (!edited.sku.is_empty()).then(|| edited.sku.clone()),
        qty,
        uom: (!edited.uom.is_empty()).then(|| edited.uom.to_uppercase()),
        unit_price,
        ..base
    }
}

/// A decimal as typed: empty is `None`; a point is the decimal separator.
fn decimal(text: &str) -> Result<Option<Decimal>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    Decimal::from_str(text).map(Some).map_err(|_| format!("{text:?} is not a number (write 12 or 12.5)"))
}

/// Which lessons the correction teaches. Each changed line whose "remember
/// this cross-reference" box is ticked names its cross-reference; when no
/// box was unticked the correction teaches everything it implies
/// (customer aliases, the sender's PO label too), as the CLI's does.
fn remember(draft: &Draft, decided: &[CanonicalOrder], orders: &[CanonicalOrder]) -> Remember {
    let mut chosen = Vec::new();
    let mut declined = false;
    for (index, order) in orders.iter().enumerate() {
        let (Some(customer), Some(before)) = (order.customer_id.as_deref(), decided.get(index)) else { continue };
        let Some(edited) = draft.orders.get(index) else { continue };
        let kept = edited.lines.iter().enumerate().filter(|(_, line)| !line.is_blank());
        for ((position, line), after) in kept.zip(&order.lines) {
            let Some(was) = before.lines.get(position) else { continue };
            let Some(key) = lesson_key(was) else { continue };
            if was.sku == after.sku {
                continue;
            }
            if line.remember {
                chosen.push(Lesson::cross_reference(customer, key));
            } else {
                declined = true;
            }
        }
    }
    if declined { Remember::Only(chosen) } else { Remember::All }
}

/// What a cross-reference of the line is keyed by: the customer's part number, else its description.
fn lesson_key(line: &CanonicalLine) -> Option<&str> {
    line.customer_part.as_deref().or(line.description.as_deref()).filter(|key| !key.trim().is_empty())
}

fn correction_form(desk: &Desk<'_>, who: &Who) -> Markup {
    let id = desk.id();
    let draft = &desk.draft;
    html! {
        form.correction #correction method="post" action={ "/review/" (id) "/correct" } {
            (csrf_field(who))
            @if !draft.errors.is_empty() {
                p.problem #form-errors role="alert" { "Please fix the fields marked below." }
            }
            @for (index, order) in draft.orders.iter().enumerate() {
                (order_fields(desk, index, order))
            }
            p.muted { "Empty SKU and quantity remove a line; fill in the empty line to add one." }
            button.primary #save-correction type="submit" { "Save correction and approve" }
        }
    }
}

fn order_fields(desk: &Desk<'_>, index: usize, order: &DraftOrder) -> Markup {
    let errors = &desk.draft.errors;
    let field = |name: &str, label: &str, value: &str, kind: &str, first: bool| {
        let full = FieldName::order(index, name);
        let error = errors.get(&full);
        html! {
            label.field.invalid[error.is_some()] {
                span { (label) }
                input type=(kind) name=(full) value=(value) data-key=[first.then_some("c")] autocomplete="off";
                @if let Some(error) = error { span.field-error { (error) } }
            }
        }
    };
    let decided = desk.orders.get(index).map(|(order, _)| order);
    let inspected = desk.orders.get(index).and_then(|(_, inspected)| *inspected);
    html! {
        fieldset.order-fields {
            legend { "Order " (index + 1) }
            div.field-row {
                (field("customer_id", "Customer id", &order.customer_id, "text", index == 0))
                (field("customer_po", "PO", &order.customer_po, "text", false))
                (field("ship_to", "Ship-to", &order.ship_to, "text", false))
                (field("requested_date", "Requested date", &order.requested_date, "date", false))
            }
            table.line-fields {
                thead { tr { th { "Their item" } th { "SKU" } th { "Qty" } th { "Unit" } th { "Price" } } }
                tbody {
                    @for (position, line) in order.lines.iter().enumerate() {
                        (line_fields(desk, index, position, line, decided.and_then(|o| o.lines.get(position)), inspected))
                    }
                }
            }
        }
    }
}

fn line_fields(
    desk: &Desk<'_>,
    order: usize,
    position: usize,
    line: &DraftLine,
    decided: Option<&CanonicalLine>,
    inspected: Option<&OrderInspection>,
) -> Markup {
    let errors = &desk.draft.errors;
    let list = format!("items-{order}-{position}");
    let candidates: &[ItemCandidate] =
        inspected.and_then(|i| i.lines.get(position)).map_or(&[], |line| line.candidates.as_slice());
    let input = |name: &str, value: &str, class: &str, list: Option<&str>, beside: Markup| {
        let full = FieldName::line(order, position, name);
        let error = errors.get(&full);
        let cell = if error.is_some() { format!("{class} invalid") } else { class.to_owned() };
        html! {
            td class=(cell) {
                input class=(class) type="text" name=(full) value=(value) list=[list] autocomplete="off";
                @if let Some(error) = error { div.field-error { (error) } }
                (beside)
            }
        }
    };
    let planned_sku = decided.and_then(|line| line.sku.as_deref()).unwrap_or("");
    let remember = match decided.and_then(lesson_key) {
        Some(key) => html! {
            label.remember title={ "Next time, read " (key) " as the SKU entered here" } {
                input type="checkbox" name=(FieldName::line(order, position, "remember")) value="1" checked[line.remember];
                " remember " code { (key) } " → this SKU"
            }
        },
        None => html! {},
    };
    let sku_beside = html! { (remember) datalist id=(list) { (item_options(candidates, &desk.inspection.items)) } };
    html! {
        tr data-planned-sku=(planned_sku) {
            td.their {
                @match decided {
                    Some(decided) => {
                        @if let Some(part) = &decided.customer_part { code { (part) } " " }
                        span.muted { (decided.description.as_deref().unwrap_or("")) }
                    },
                    None => span.muted { "new line" },
                }
            }
            (input("sku", &line.sku, "sku", Some(&list), sku_beside))
            (input("qty", &line.qty, "qty", None, html! {}))
            (input("uom", &line.uom, "uom", None, html! {}))
            (input("unit_price", &line.unit_price, "price", None, html! {}))
        }
    }
}

/// The line's candidates first (with why), then the whole item master.
fn item_options(candidates: &[ItemCandidate], items: &[(String, String)]) -> Markup {
    let listed: HashSet<&str> = candidates.iter().map(|c| c.sku.as_str()).collect();
    html! {
        @for candidate in candidates {
            option value=(candidate.sku) {
                (candidate.description) " · " (method(&candidate.method)) " " (format!("{:.0} %", candidate.score * 100.0))
            }
        }
        @for (sku, description) in items.iter().filter(|(sku, _)| !listed.contains(sku.as_str())).take(ITEM_LIST_LIMIT) {
            option value=(sku) { (description) }
        }
    }
}

// ---------------------------------------------------------------- the POSTs

type Fields = Vec<(String, String)>;

fn value<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields.iter().find(|(key, _)| key == name).map_or("", |(_, value)| value.as_str())
}

/// The person, allowed to review, whose form carries their session's CSRF token.
async fn reviewer<S: Store>(
    state: &WebState<S>,
    headers: &HeaderMap,
    id: &str,
    fields: &[(String, String)],
) -> Result<Who, Response> {
    let back = format!("/review/{id}");
    let who = person(state, headers, &back, Role::Reviewer).await.map_err(IntoResponse::into_response)?;
    check_csrf(&who, value(fields, "csrf")).map_err(IntoResponse::into_response)?;
    Ok(who)
}

async fn approve<S: Store + Clone + 'static>(
    State(state): State<Shared<S>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    let who = match reviewer(&state, &headers, &id, &fields).await {
        Ok(who) => who,
        Err(response) => return response,
    };
    let Some(id) = document_id(&id) else { return no_such_document(&id) };
    match review::approve(state.store(), state.config(), id, &who.actor()).await {
        Ok(_) => next_document(&state, id, "approved", None).await,
        Err(error) => refused(&state, &who, id, &error, Shown::default()).await,
    }
}

async fn reject<S: Store + Clone + 'static>(
    State(state): State<Shared<S>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    let who = match reviewer(&state, &headers, &id, &fields).await {
        Ok(who) => who,
        Err(response) => return response,
    };
    let Some(id) = document_id(&id) else { return no_such_document(&id) };
    let reason = value(&fields, "reason");
    match review::reject(state.store(), id, &who.actor(), reason).await {
        Ok(_) => next_document(&state, id, "rejected", None).await,
        Err(error) => {
            let shown = Shown { rejection: Some(reason.to_owned()), ..Shown::default() };
            refused(&state, &who, id, &error, shown).await
        }
    }
}

async fn correct<S: Store + Clone + 'static>(
    State(state): State<Shared<S>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    let who = match reviewer(&state, &headers, &id, &fields).await {
        Ok(who) => who,
        Err(response) => return response,
    };
    let Some(id) = document_id(&id) else { return no_such_document(&id) };
    let shown = match review::show(state.store(), id).await {
        Ok(shown) => shown,
        Err(error) => return failure(&error),
    };
    let decided: Vec<CanonicalOrder> =
        shown.decision.map(|d| d.orders.into_iter().map(|planned| planned.order).collect()).unwrap_or_default();
    let mut draft = Draft::from_form(&fields);
    let items = match item_skus(&state, &shown.workflow) {
        Ok(items) => items,
        Err(error) => return failure(&error),
    };
    let orders = match corrected(&draft, &decided, &items.iter().map(String::as_str).collect()) {
        Ok(orders) => orders,
        Err(errors) => {
            draft.errors = errors;
            let notice = Some(Notice::Problem("The correction was not saved: fix the fields marked below.".to_owned()));
            let shown =
                Shown { notice, correction: Some(draft), status: StatusCode::UNPROCESSABLE_ENTITY, ..Shown::default() };
            return render(&state, &who, id, shown).await;
        }
    };
    let remember = remember(&draft, &decided, &orders);
    match review::correct_with(state.store(), state.config(), id, &who.actor(), orders, remember).await {
        Ok(correction) => next_document(&state, id, "corrected", Some(correction.learned.len())).await,
        Err(error) => refused(&state, &who, id, &error, Shown { correction: Some(draft), ..Shown::default() }).await,
    }
}

/// The SKUs of the workflow's item master (empty when the document names no workflow of ours).
fn item_skus<S: Store>(state: &WebState<S>, workflow: &Option<String>) -> Result<Vec<String>, ReviewError> {
    let Some(workflow) = state.config().workflow.iter().find(|w| Some(&w.name) == workflow.as_ref()) else {
        return Ok(Vec::new());
    };
    let master = prodline_extract::MasterData::load_dir(&workflow.master)
        .map_err(|source| ReviewError::MasterData { workflow: workflow.name.clone(), source })?;
    Ok(master.items.into_iter().map(|item| item.sku).collect())
}

/// After an action: the next document of the queue (the one received
/// after this one, else the oldest), or the queue when it is empty.
async fn next_document<S: Store>(state: &WebState<S>, id: DocumentId, done: &str, learned: Option<usize>) -> Response {
    let queue = our_queue(state).await.unwrap_or_default();
    let received = state.store().document(id).await.ok().flatten().map(|document| (document.received_at, id));
    let next = queue
        .iter()
        .find(|item| received.is_some_and(|this| (item.received_at, item.id) > this))
        .or_else(|| queue.first());
    let learned = learned.map(|n| format!("&learned={n}")).unwrap_or_default();
    let flash = format!("?done={done}&doc={id}{learned}");
    match next {
        Some(next) => Redirect::to(&format!("/review/{}{flash}", next.id)).into_response(),
        None => Redirect::to(&format!("/review{flash}")).into_response(),
    }
}

/// A refused action, shown on the desk with its reason (never a bare error
/// page), with what the reviewer sent in `shown`.
async fn refused<S: Store>(
    state: &WebState<S>,
    who: &Who,
    id: DocumentId,
    error: &ReviewError,
    shown: Shown,
) -> Response {
    let status = match error {
        ReviewError::NotFound(_) => return failure(error),
        ReviewError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
        ReviewError::NotInReview { .. } => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let message = match error {
        ReviewError::NotInReview { state, .. } => {
            format!(
                "Someone acted on document {id} first: it is {state} now, no longer in review. Nothing was changed."
            )
        }
        other => format!("Not done: {other}."),
    };
    render(state, who, id, Shown { notice: Some(Notice::Problem(message)), status, ..shown }).await
}

/// A review failure as a page of its own (the document cannot be shown).
fn failure(error: &ReviewError) -> Response {
    match error {
        ReviewError::NotFound(id) => no_such_document(&id.to_string()),
        ReviewError::Store(problem) => Denied::Store(problem.to_string()).into_response(),
        other => error_page(StatusCode::UNPROCESSABLE_ENTITY, "Cannot show this document", &other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(fields: &[(&str, &str)]) -> Vec<(String, String)> {
        fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn decided() -> Vec<CanonicalOrder> {
        let line = |n: u32, part: &str, sku: Option<&str>, qty: i64| CanonicalLine {
            line: Some(n),
            sku: sku.map(str::to_owned),
            customer_part: Some(part.to_owned()),
            description: Some(format!("item {part}")),
            qty: Decimal::from(qty),
            uom: Some("EA".to_owned()),
            unit_price: Some(Decimal::new(1185, 2)),
        };
        vec![CanonicalOrder {
            customer_id: Some("C0001".to_owned()),
            customer_po: Some("4500000001".to_owned()),
            order_date: NaiveDate::from_ymd_opt(2026, 3, 2),
            currency: Some("USD".to_owned()),
            lines: vec![line(1, "88-1200", Some("HV-075-BR"), 200), line(2, "99-9999", None, 7)],
            ..CanonicalOrder::default()
        }]
    }

    fn items() -> HashSet<&'static str> {
        ["HV-075-BR", "HV-100-BR", "FT-050-SS"].into_iter().collect()
    }

    #[test]
    fn field_names_parse_and_refuse_what_they_do_not_know() {
        assert_eq!(
            FieldName::parse("orders[0].customer_id"),
            Some(FieldName { order: 0, line: None, name: "customer_id" })
        );
        assert_eq!(
            FieldName::parse("orders[1].lines[12].sku"),
            Some(FieldName { order: 1, line: Some(12), name: "sku" })
        );
        assert_eq!(FieldName::parse("csrf"), None);
        assert_eq!(FieldName::parse("orders[x].sku"), None);
        assert_eq!(FieldName::parse("orders[99999999999].sku"), None, "beyond the limit");
        assert_eq!(FieldName::parse("orders[0].lines[3000].sku"), None, "beyond the limit");
    }

    #[test]
    fn a_form_round_trips_the_decided_orders_and_keeps_what_it_does_not_edit() {
        let decided = decided();
        let draft = Draft::of(&decided);
        assert_eq!(draft.orders[0].lines.len(), 3, "the two lines and an empty one to add");
        let mut fields = vec![("csrf".to_owned(), "t".to_owned())];
        for (index, order) in draft.orders.iter().enumerate() {
            fields.push((FieldName::order(index, "customer_id"), order.customer_id.clone()));
            fields.push((FieldName::order(index, "customer_po"), order.customer_po.clone()));
            for (position, line) in order.lines.iter().enumerate() {
                fields.push((FieldName::line(index, position, "sku"), line.sku.clone()));
                fields.push((FieldName::line(index, position, "qty"), line.qty.clone()));
                fields.push((FieldName::line(index, position, "uom"), line.uom.clone()));
                fields.push((FieldName::line(index, position, "unit_price"), line.unit_price.clone()));
            }
        }
        let posted = Draft::from_form(&fields);
        // The unresolved line has no SKU: the reviewer must give one.
        let errors = corrected(&posted, &decided, &items()).unwrap_err();
        assert_eq!(errors.keys().collect::<Vec<_>>(), ["orders[0].lines[1].sku"]);

        fields.retain(|(name, _)| name != "orders[0].lines[1].sku");
        fields.push(("orders[0].lines[1].sku".to_owned(), " FT-050-SS ".to_owned()));
        let orders = corrected(&Draft::from_form(&fields), &decided, &items()).unwrap();
        let mut expected = decided.clone();
        expected[0].lines[1].sku = Some("FT-050-SS".to_owned());
        assert_eq!(orders, expected, "order date, currency, parts and descriptions are kept");
    }

    #[test]
    fn wrong_values_are_named_by_field_and_a_new_line_gets_the_next_number() {
        let decided = decided();
        let fields = pairs(&[
            ("orders[0].customer_id", "C0001"),
            ("orders[0].customer_po", "4500000001"),
            ("orders[0].requested_date", "16.03.2026"),
            ("orders[0].lines[0].sku", "HV-075-BR"),
            ("orders[0].lines[0].qty", "2OO"),
            ("orders[0].lines[0].unit_price", "-1"),
            ("orders[0].lines[1].sku", ""),
            ("orders[0].lines[1].qty", ""),
            ("orders[0].lines[2].sku", "NOPE-1"),
            ("orders[0].lines[2].qty", "0"),
        ]);
        let errors = corrected(&Draft::from_form(&fields), &decided, &items()).unwrap_err();
        assert_eq!(
            errors.keys().map(String::as_str).collect::<Vec<_>>(),
            [
                "orders[0].lines[0].qty",
                "orders[0].lines[0].unit_price",
                "orders[0].lines[2].qty",
                "orders[0].lines[2].sku",
                "orders[0].requested_date"
            ]
        );
        assert!(errors["orders[0].lines[0].qty"].contains("\"2OO\" is not a number"));
        assert!(errors["orders[0].lines[2].sku"].contains("NOPE-1 is not in the item master"));

        let fields = pairs(&[
            ("orders[0].customer_id", "C0001"),
            ("orders[0].customer_po", "4500000001"),
            ("orders[0].requested_date", "2026-03-16"),
            ("orders[0].lines[0].sku", "HV-075-BR"),
            ("orders[0].lines[0].qty", "250.50"),
            ("orders[0].lines[2].sku", "HV-100-BR"),
            ("orders[0].lines[2].qty", "5"),
            ("orders[0].lines[2].uom", "ca"),
        ]);
        let orders = corrected(&Draft::from_form(&fields), &decided, &items()).unwrap();
        let lines = &orders[0].lines;
        assert_eq!(lines.len(), 2, "the blank second line is removed");
        assert_eq!(lines[0].qty, Decimal::new(25050, 2));
        assert_eq!(
            (lines[1].line, lines[1].uom.as_deref(), lines[1].customer_part.as_deref()),
            (Some(3), Some("CA"), None)
        );
        assert_eq!(orders[0].requested_date, NaiveDate::from_ymd_opt(2026, 3, 16));
    }

    #[test]
    fn remember_names_the_ticked_changed_lines_and_teaches_all_when_nothing_was_declined() {
        let decided = decided();
        let mut changed = decided.clone();
        changed[0].lines[1].sku = Some("FT-050-SS".to_owned());
        let mut draft = Draft::of(&decided);
        assert_eq!(remember(&draft, &decided, &changed), Remember::All, "ticked by default: everything");
        draft.orders[0].lines[1].remember = false;
        assert_eq!(remember(&draft, &decided, &changed), Remember::Only(Vec::new()));
        draft.orders[0].lines[1].remember = true;
        draft.orders[0].lines[0].remember = false;
        changed[0].lines[0].sku = Some("HV-100-BR".to_owned());
        let expected = vec![Lesson::cross_reference("C0001", "99-9999")];
        assert_eq!(remember(&draft, &decided, &changed), Remember::Only(expected));
    }

    #[test]
    fn the_flash_names_the_document_and_ignores_what_it_does_not_know() {
        let done = Done { done: Some("corrected".into()), doc: Some(12), learned: Some(1) };
        assert_eq!(done.message().unwrap(), "Document 12 corrected and approved; the memory learned 1 thing from it.");
        let unknown = Done { done: Some("<script>".into()), doc: Some(12), learned: None };
        assert_eq!(unknown.message(), None);
    }
}
