//! parse → resolve → validate → decide.
//!
//! Architecture Invariant: nothing is auto-approved without a confidence at
//! or above the threshold and a validation that found no reason
//! ([`decide`] is the only place a [`Decision::Auto`] is made).

use chrono::{DateTime, Utc};
use prodline_core::units::normalize_uom;
use prodline_core::{
    CanonicalLine, CanonicalOrder, Decimal, Decision, DocumentText, Format, Group, ParsedDocument, ParsedLine,
    ParsedOrder, Reason, ReasonCode, Usage, scoring,
};
use serde::Serialize;

use crate::memory::{lines_fingerprint, po_key};
use crate::model::Extractors;
use crate::read::{Readers, read_document};
use crate::resolve::{CustomerMatch, ItemMatch, ShipToMatch, resolve_customer, resolve_item, resolve_ship_to};
use crate::validate::{
    EarlierOrder, Ordered, PriceCheck, check_price, document_reasons, duplicate_reason, order_reasons,
    qty_outlier_reason, unit_reason, units_per,
};
use crate::{MasterData, Memory};

/// What is known about a document besides its bytes.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The document's name (dataset path, upload name); also its identity
    /// for duplicate detection: the same name is the same document.
    pub file_name: Option<String>,
    /// The sender's address (e-mail `From`, meta.jsonl `from`).
    pub from: Option<String>,
    pub received_at: Option<DateTime<Utc>>,
}

/// The decision policy's knobs.
#[derive(Debug, Clone)]
pub struct DecisionConfig {
    /// Confidence at or above which a clean document is auto-approved.
    pub auto_threshold: f64,
    /// Relative tolerance of a stated price against the contract price.
    pub price_tolerance: Decimal,
    /// A quantity more than this many times the largest the customer ordered
    /// of the item before (or less than the smallest divided by it) is an outlier.
    pub qty_outlier_factor: Decimal,
    /// Earlier quantities needed before outliers are judged (5: with fewer,
    /// ordinary variation looks like an outlier).
    pub qty_history_min: usize,
    /// OCR's mean word confidence (0–100) below which a document goes to
    /// review with `low_ocr_confidence`.
    pub ocr_min_confidence: f64,
    /// The auto-approve threshold of scans and photos (group `scan`), which
    /// are misread more often than text layers.
    pub scan_auto_threshold: f64,
}

impl Default for DecisionConfig {
    fn default() -> Self {
        DecisionConfig {
            auto_threshold: 0.9,
            price_tolerance: Decimal::new(2, 2),
            qty_outlier_factor: Decimal::TEN,
            qty_history_min: 5,
            ocr_min_confidence: 80.0,
            scan_auto_threshold: 0.95,
        }
    }
}

/// One order after resolution.
#[derive(Debug, Clone, Serialize)]
pub struct ResolvedOrder {
    pub order: CanonicalOrder,
    pub confidence: f64,
    pub reasons: Vec<Reason>,
    /// Position of the order in `Outcome::parsed.orders`.
    pub source: usize,
    /// A replacement or change of an earlier order (ParsedOrder::is_revision).
    pub revision: bool,
    pub customer: CustomerMatch,
    pub ship_to: ShipToMatch,
    /// One per canonical line, same order.
    pub items: Vec<ItemMatch>,
    /// Each line's quantity in the item's own unit, when the unit converts.
    pub base_quantities: Vec<Option<Decimal>>,
    /// Positions of lines flagged `qty_outlier`: kept out of the history.
    pub qty_outliers: Vec<usize>,
}

impl ResolvedOrder {
    pub fn has_reason(&self, code: ReasonCode) -> bool {
        self.reasons.iter().any(|r| r.code == code)
    }

    /// Whether the order is one to enter: not a repeat of one received, not
    /// a cancellation.
    pub fn is_enterable(&self) -> bool {
        !self.has_reason(ReasonCode::Duplicate) && !self.has_reason(ReasonCode::Cancellation)
    }
}

/// Everything the pipeline decided about one document.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub format: Format,
    pub parsed: ParsedDocument,
    pub orders: Vec<ResolvedOrder>,
    pub decision: Decision,
    /// Every reason of the document and of its orders; empty only for `Auto`.
    pub reasons: Vec<Reason>,
    pub confidence: f64,
    /// From the [`Context`], so that learning can say where it learned.
    pub file_name: Option<String>,
    pub from: Option<String>,
    pub received_at: Option<DateTime<Utc>>,
    /// The text an extractor read (e-mail body, PDF text, OCR), for
    /// reviewers and for learning layouts; `None` for structured formats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<DocumentText>,
    /// Which extractor read the document and what it cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

impl Outcome {
    /// The orders to enter (SPEC §3): none when the document has no reader,
    /// is unreadable or not an order; duplicates and cancellations left out.
    pub fn predicted_orders(&self) -> Vec<CanonicalOrder> {
        if self.has_reason(ReasonCode::UnsupportedFormat) {
            return Vec::new();
        }
        self.orders.iter().filter(|o| o.is_enterable()).map(|o| o.order.clone()).collect()
    }

    pub fn has_reason(&self, code: ReasonCode) -> bool {
        self.reasons.iter().any(|r| r.code == code)
    }
}

/// Read a document and decide about it with the built-in extractors.
pub fn process(bytes: &[u8], ctx: &Context, master: &MasterData, memory: &Memory, config: &DecisionConfig) -> Outcome {
    process_with(bytes, ctx, master, memory, config, &Extractors::default())
}

/// Read a document of any format with `extractors` and decide about it.
/// A model's orders are resolved, validated and decided like any reader's;
/// where the built-in read the same text, their agreement feeds the
/// confidence and a disagreement sends the document to review.
pub fn process_with(
    bytes: &[u8],
    ctx: &Context,
    master: &MasterData,
    memory: &Memory,
    config: &DecisionConfig,
    extractors: &Extractors,
) -> Outcome {
    let readers = Readers { master, memory, config, extractors };
    let reading = read_document(bytes, ctx, readers);
    let ctx = Context { from: reading.from.clone(), ..ctx.clone() };
    let builtin = reading.builtin.as_ref().map(|parsed| resolve_orders(parsed, &ctx, master, memory, config));
    let mut outcome = resolve_parsed(reading.parsed, &ctx, master, memory, config, builtin.as_deref());
    outcome.text = reading.text;
    outcome.usage = reading.usage;
    outcome
}

/// Resolve, validate and decide about a document already read.
pub fn resolve_document(
    parsed: &ParsedDocument,
    ctx: &Context,
    master: &MasterData,
    memory: &Memory,
    config: &DecisionConfig,
) -> Outcome {
    resolve_parsed(parsed.clone(), ctx, master, memory, config, None)
}

fn resolve_orders(
    parsed: &ParsedDocument,
    ctx: &Context,
    master: &MasterData,
    memory: &Memory,
    config: &DecisionConfig,
) -> Vec<ResolvedOrder> {
    let mut orders: Vec<ResolvedOrder> = Vec::new();
    for (i, order) in parsed.orders.iter().enumerate() {
        let resolved = resolve_order(i, order, &orders, ctx, master, memory, config);
        orders.push(resolved);
    }
    orders
}

/// `builtin`: the built-in extractor's resolved orders, when a model read
/// the document and the built-in read it too.
fn resolve_parsed(
    parsed: ParsedDocument,
    ctx: &Context,
    master: &MasterData,
    memory: &Memory,
    config: &DecisionConfig,
    builtin: Option<&[ResolvedOrder]>,
) -> Outcome {
    let format = parsed.format.unwrap_or(Format::Unknown);
    let mut document = document_reasons(&parsed);
    let unsupported = document.iter().any(|r| r.code == ReasonCode::UnsupportedFormat);
    let mut orders = if unsupported { Vec::new() } else { resolve_orders(&parsed, ctx, master, memory, config) };
    if let Some(builtin) = builtin {
        document.extend(agreement(&mut orders, builtin));
    }
    let confidence = orders.iter().map(|o| o.confidence).reduce(f64::min).unwrap_or(0.0);
    let scanned = Group::of(format, parsed.ocr.is_some()) == Group::Scan;
    let scan_config;
    let config = if scanned {
        scan_config = DecisionConfig { auto_threshold: config.scan_auto_threshold, ..config.clone() };
        &scan_config
    } else {
        config
    };
    let (decision, reasons) = decide(document, &orders, confidence, config);
    Outcome {
        format,
        parsed,
        orders,
        decision,
        reasons,
        confidence,
        file_name: ctx.file_name.clone(),
        from: ctx.from.clone(),
        received_at: ctx.received_at,
        text: None,
        usage: None,
    }
}

/// The champion's orders against the built-in's, by the scoring rule (SPEC
/// §4, both ways, so a price one of them left out is a difference too):
/// when they pair up, each order takes the higher of the two confidences;
/// when they do not, `extractors_disagree` names the first difference.
fn agreement(orders: &mut [ResolvedOrder], builtin: &[ResolvedOrder]) -> Option<Reason> {
    let champion: Vec<CanonicalOrder> = orders.iter().filter(|o| o.is_enterable()).map(|o| o.order.clone()).collect();
    let other: Vec<CanonicalOrder> = builtin.iter().filter(|o| o.is_enterable()).map(|o| o.order.clone()).collect();
    let agree = scoring::document_correct(&champion, &other) && scoring::document_correct(&other, &champion);
    if !agree {
        let message = format!(
            "the model and the built-in extractor read this differently: {}",
            first_difference(&champion, &other)
        );
        return Some(Reason::new(ReasonCode::ExtractorsDisagree, message));
    }
    for order in orders.iter_mut() {
        let twin = builtin.iter().find(|b| scoring::order_matches(&order.order, &b.order));
        if let Some(twin) = twin {
            order.confidence = order.confidence.max(twin.confidence);
        }
    }
    None
}

/// What a reviewer should look at first: the order count, else the first
/// order field or line that differs.
fn first_difference(model: &[CanonicalOrder], builtin: &[CanonicalOrder]) -> String {
    if model.len() != builtin.len() {
        return format!("the model read {} order(s), the built-in {}", model.len(), builtin.len());
    }
    for (m, b) in model.iter().zip(builtin) {
        let fields: [(&str, Option<String>, Option<String>); 5] = [
            ("customer", m.customer_id.clone(), b.customer_id.clone()),
            ("PO number", m.customer_po.clone(), b.customer_po.clone()),
            ("requested date", m.requested_date.map(|d| d.to_string()), b.requested_date.map(|d| d.to_string())),
            ("ship-to", m.ship_to.clone(), b.ship_to.clone()),
            ("line count", Some(m.lines.len().to_string()), Some(b.lines.len().to_string())),
        ];
        for (field, mine, theirs) in fields {
            if mine != theirs {
                let show = |v: Option<String>| v.unwrap_or_else(|| "nothing".to_owned());
                return format!("{field}: model {}, built-in {}", show(mine), show(theirs));
            }
        }
        for (ml, bl) in m.lines.iter().zip(&b.lines) {
            if !scoring::line_matches(ml, bl) || !scoring::line_matches(bl, ml) {
                let show = |l: &CanonicalLine| {
                    let price = l.unit_price.map(|p| format!(" at {p}")).unwrap_or_default();
                    format!(
                        "{} {} {}{price}",
                        l.qty,
                        l.uom.as_deref().unwrap_or("?"),
                        l.sku.as_deref().unwrap_or("(no SKU)")
                    )
                };
                return format!("line {}: model {}, built-in {}", ml.line.unwrap_or(0), show(ml), show(bl));
            }
        }
    }
    "the orders pair up differently".to_owned()
}

/// The one place a decision is made: `Auto` only with no reason at all, a
/// confidence at or above the threshold, and complete orders.
pub fn decide(
    document: Vec<Reason>,
    orders: &[ResolvedOrder],
    confidence: f64,
    config: &DecisionConfig,
) -> (Decision, Vec<Reason>) {
    let mut reasons = document;
    // A reader finding is reported on the document and on its order: say it once.
    for reason in orders.iter().flat_map(|o| o.reasons.iter()) {
        if !reasons.contains(reason) {
            reasons.push(reason.clone());
        }
    }
    if orders.is_empty() && reasons.is_empty() {
        reasons.push(Reason::new(ReasonCode::NotAnOrder, "the document holds no purchase order"));
    }
    let confident = confidence.is_finite() && confidence >= config.auto_threshold;
    let complete = orders.iter().all(is_complete);
    if reasons.is_empty() && confident && complete {
        return (Decision::Auto, reasons);
    }
    if reasons.is_empty() {
        reasons.push(Reason::new(ReasonCode::LowConfidence, low_confidence_message(orders, confidence, config)));
    }
    (Decision::Review, reasons)
}

/// Every id a posted order needs is there.
fn is_complete(order: &ResolvedOrder) -> bool {
    let o = &order.order;
    o.customer_id.is_some()
        && o.customer_po.is_some()
        && !o.lines.is_empty()
        && o.lines.iter().all(|l| l.sku.is_some() && l.qty > Decimal::ZERO)
}

fn low_confidence_message(orders: &[ResolvedOrder], confidence: f64, config: &DecisionConfig) -> String {
    let weakest = orders.iter().min_by(|a, b| a.confidence.total_cmp(&b.confidence));
    let why = weakest.map_or_else(String::new, |o| {
        let item = o.items.iter().min_by(|a, b| a.confidence.total_cmp(&b.confidence));
        let item = item.map_or_else(String::new, |i| format!("; weakest item by {} ({:.2})", i.evidence, i.confidence));
        format!(": customer by {} ({:.2}){item}", o.customer.evidence, o.customer.confidence)
    });
    format!("confidence {confidence:.2} is below the auto-approve threshold {:.2}{why}", config.auto_threshold)
}

/// `PO 4500012345` or `order 2` when the PO number is missing.
fn order_label(index: usize, order: &ParsedOrder) -> String {
    match order.po_number.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(po) => format!("PO {po}"),
        None => format!("order {}", index + 1),
    }
}

fn resolve_order(
    index: usize,
    order: &ParsedOrder,
    earlier: &[ResolvedOrder],
    ctx: &Context,
    master: &MasterData,
    memory: &Memory,
    config: &DecisionConfig,
) -> ResolvedOrder {
    let label = order_label(index, order);
    let customer = resolve_customer(order, ctx.from.as_deref(), master, memory);
    let customer_id = customer.customer_id.as_deref();
    let ship_to = resolve_ship_to(order, customer_id, master);
    let mut reasons: Vec<Reason> = order_reasons(order, &label);
    reasons.extend(customer.reason.clone());
    reasons.extend(ship_to.reason.clone());
    let currency = order
        .currency
        .as_deref()
        .map(|c| c.trim().to_uppercase())
        .filter(|c| !c.is_empty())
        .or_else(|| customer_id.and_then(|id| master.customer(id)).and_then(|c| c.currency.clone()));
    let mut canonical = CanonicalOrder {
        customer_id: customer.customer_id.clone(),
        customer_po: order.po_number.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(str::to_string),
        order_date: order.order_date,
        requested_date: order.requested_date,
        ship_to: ship_to.ship_to.clone(),
        currency,
        lines: Vec::new(),
    };
    let mut items = Vec::new();
    let mut base_quantities = Vec::new();
    let mut qty_outliers = Vec::new();
    let mut line_confidence = if order.lines.is_empty() { 0.0_f64 } else { 1.0_f64 };
    for (i, line) in order.lines.iter().enumerate() {
        let resolved =
            resolve_line(i, line, &label, (customer_id, canonical.currency.as_deref()), master, memory, config);
        if resolved.reasons.iter().any(|r| r.code == ReasonCode::QtyOutlier) {
            qty_outliers.push(i);
        }
        line_confidence = line_confidence.min(resolved.confidence);
        reasons.extend(resolved.reasons);
        canonical.lines.push(resolved.line);
        items.push(resolved.item);
        base_quantities.push(resolved.base_qty);
    }
    let revision = order.is_revision();
    let fingerprints: Vec<String> = earlier.iter().map(|e| lines_fingerprint(&e.order.lines)).collect();
    let same_po = |e: &ResolvedOrder| {
        e.order.customer_id == canonical.customer_id
            && e.order.customer_po.as_deref().map(po_key) == canonical.customer_po.as_deref().map(po_key)
    };
    let earlier_in_document: Vec<EarlierOrder<'_>> = earlier
        .iter()
        .zip(&fingerprints)
        .filter(|(e, _)| same_po(e))
        .map(|(e, f)| EarlierOrder { doc: ctx.file_name.as_deref(), revision: e.revision, lines_fingerprint: f })
        .collect();
    reasons.extend(duplicate_reason(&canonical, revision, ctx, memory, &earlier_in_document, &label));
    let confidence =
        (customer.confidence * ship_to.confidence * line_confidence * diagnostics_factor(order)).clamp(0.0, 1.0);
    ResolvedOrder {
        order: canonical,
        confidence,
        reasons,
        source: index,
        revision,
        customer,
        ship_to,
        items,
        base_quantities,
        qty_outliers,
    }
}

/// Each finding of the reader on the order costs confidence: a warning 10 %,
/// a note (something inferred, such as a relative date) 2 %.
fn diagnostics_factor(order: &ParsedOrder) -> f64 {
    order.diagnostics.iter().fold(1.0, |factor, d| match d.severity {
        prodline_core::Severity::Note => factor * 0.98,
        _ => factor * 0.9,
    })
}

/// One line resolved and checked.
struct LineResult {
    line: CanonicalLine,
    item: ItemMatch,
    confidence: f64,
    reasons: Vec<Reason>,
    base_qty: Option<Decimal>,
}

/// The line number as written when it is a number, else the position.
fn line_number(index: usize, line: &ParsedLine) -> u32 {
    let fallback = u32::try_from(index + 1).unwrap_or(u32::MAX);
    let Some(raw) = line.line_no.as_deref().map(str::trim) else { return fallback };
    raw.parse::<u32>().ok().filter(|n| *n > 0).unwrap_or(fallback)
}

/// `buyer` is the order's (customer id, currency).
fn resolve_line(
    index: usize,
    line: &ParsedLine,
    order_label: &str,
    buyer: (Option<&str>, Option<&str>),
    master: &MasterData,
    memory: &Memory,
    config: &DecisionConfig,
) -> LineResult {
    let (customer_id, currency) = buyer;
    let number = line_number(index, line);
    let label = format!("{order_label} line {number}");
    let item_match = resolve_item(line, &label, customer_id, master, memory);
    let item = item_match.sku.as_deref().and_then(|s| master.item(s));
    let uom = line.uom.as_deref().and_then(normalize_uom).or_else(|| item.map(|i| i.uom.clone()));
    let mut reasons: Vec<Reason> = item_match.reason.iter().cloned().collect();
    let mut confidence = item_match.confidence;
    let qty = match line.qty {
        Some(q) if q > Decimal::ZERO => Some(q),
        Some(q) => {
            reasons.push(Reason::new(ReasonCode::MissingField, format!("{label}: quantity {q} is not positive")));
            None
        }
        None => {
            reasons.push(Reason::new(ReasonCode::MissingField, format!("{label}: no quantity")));
            None
        }
    };
    let mut base_qty = None;
    if let (Some(item), Some(uom)) = (item, uom.as_deref()) {
        match units_per(item, uom, line.pack_size) {
            None => reasons.push(unit_reason(item, uom, &label)),
            Some(per) => {
                let ordered = Ordered { uom, units_per: per, stated_price: line.unit_price, currency };
                let price = check_price(master, customer_id, item, &ordered, config, &label);
                confidence *= price.factor();
                if let PriceCheck::Mismatch(reason) = price {
                    reasons.push(reason);
                }
                base_qty = qty.map(|q| q * per);
            }
        }
    }
    if let (Some(customer), Some(item), Some(base)) = (customer_id, item, base_qty) {
        let history = memory.quantities(customer, &item.sku);
        reasons.extend(qty_outlier_reason(history, base, item, config, &label));
    }
    let as_written = |s: Option<&str>| s.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let customer_part =
        line.id(prodline_core::ItemIdKind::BuyerPart).or_else(|| line.item_ids.first().map(|i| i.value.as_str()));
    LineResult {
        line: CanonicalLine {
            line: Some(number),
            sku: item_match.sku.clone(),
            customer_part: as_written(customer_part),
            description: as_written(line.description.as_deref()),
            qty: line.qty.unwrap_or(Decimal::ZERO),
            uom,
            unit_price: line.unit_price,
        },
        item: item_match,
        confidence,
        reasons,
        base_qty,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::{CustomerMethod, ItemMethod, ShipToMethod};

    fn resolved(confidence: f64, reasons: Vec<Reason>, sku: Option<&str>) -> ResolvedOrder {
        let line = CanonicalLine { sku: sku.map(str::to_string), qty: Decimal::ONE, ..Default::default() };
        ResolvedOrder {
            order: CanonicalOrder {
                customer_id: Some("C1".into()),
                customer_po: Some("P".into()),
                lines: vec![line],
                ..Default::default()
            },
            confidence,
            reasons,
            source: 0,
            revision: false,
            customer: CustomerMatch {
                customer_id: Some("C1".into()),
                method: CustomerMethod::SenderId,
                confidence: 1.0,
                evidence: "sender id".into(),
                reason: None,
            },
            ship_to: ShipToMatch {
                ship_to: None,
                method: ShipToMethod::NotStated,
                confidence: 1.0,
                evidence: String::new(),
                reason: None,
            },
            items: vec![ItemMatch {
                sku: sku.map(str::to_string),
                method: ItemMethod::Sku,
                confidence,
                evidence: "SKU".into(),
                reason: None,
            }],
            base_quantities: vec![Some(Decimal::ONE)],
            qty_outliers: Vec::new(),
        }
    }

    /// The decision invariant over the corners: auto needs no reason, a
    /// finite confidence at or above the threshold and complete orders.
    #[test]
    fn auto_only_with_confidence_and_passed_validation() {
        let config = DecisionConfig::default();
        let price = || vec![Reason::new(ReasonCode::PriceMismatch, "x")];
        let cases: Vec<(Vec<Reason>, Vec<ResolvedOrder>, f64, Decision)> = vec![
            (vec![], vec![resolved(0.95, vec![], Some("A"))], 0.95, Decision::Auto),
            (vec![], vec![resolved(0.9, vec![], Some("A"))], 0.9, Decision::Auto),
            (vec![], vec![resolved(0.89, vec![], Some("A"))], 0.89, Decision::Review),
            (vec![], vec![resolved(f64::NAN, vec![], Some("A"))], f64::NAN, Decision::Review),
            (vec![], vec![resolved(0.99, price(), Some("A"))], 0.99, Decision::Review),
            (price(), vec![resolved(0.99, vec![], Some("A"))], 0.99, Decision::Review),
            (vec![], vec![resolved(0.99, vec![], None)], 0.99, Decision::Review),
            (vec![], vec![], 1.0, Decision::Review),
        ];
        for (i, (document, orders, confidence, expected)) in cases.into_iter().enumerate() {
            let (decision, reasons) = decide(document, &orders, confidence, &config);
            assert_eq!(decision, expected, "case {i}");
            assert_eq!(reasons.is_empty(), decision == Decision::Auto, "case {i}: {reasons:?}");
        }
    }

    #[test]
    fn line_numbers_as_written_or_by_position() {
        let line = |no: Option<&str>| ParsedLine { line_no: no.map(str::to_string), ..Default::default() };
        assert_eq!(line_number(0, &line(Some("001"))), 1);
        assert_eq!(line_number(4, &line(Some("A7"))), 5);
        assert_eq!(line_number(2, &line(None)), 3);
        assert_eq!(line_number(2, &line(Some("0"))), 3);
    }
}
