//! Validation: the rules that send an order to review, each with a message
//! naming the line and the values a reviewer needs.

use prodline_core::{Decimal, Diagnostic, ParsedDocument, ParsedOrder, Reason, ReasonCode, Severity};

use crate::master::{Item, MasterData, PriceSource};
use crate::memory::{Memory, lines_fingerprint, po_key};
use crate::pipeline::{Context, DecisionConfig};
use prodline_core::CanonicalOrder;

/// Diagnostic code words that mark an envelope problem (counts, control
/// numbers, trailers, interchange headers) rather than a data problem.
const ENVELOPE_WORDS: &[&str] = &[
    "count",
    "control",
    "trailer",
    "envelope",
    "interchange",
    "isa",
    "iea",
    "gs",
    "ge",
    "st",
    "se",
    "una",
    "unb",
    "unz",
    "unh",
    "unt",
    "junk",
    "segment",
    "group",
];

/// The reason a reader's diagnostic gives: errors are `parse_error`;
/// envelope warnings `envelope_error`; other warnings (a date or number that
/// could not be read, an ambiguous date order) `parse_error` too, since part
/// of the document was not read with certainty.
pub fn diagnostic_reason(d: &Diagnostic) -> Reason {
    let envelope = d.code.split('_').any(|word| ENVELOPE_WORDS.contains(&word));
    // A finding named after a review reason (`not_an_order`, `ambiguous_date`,
    // `low_ocr_confidence`, `extractor_failed`...) is that reason.
    let named = ReasonCode::ALL.iter().copied().find(|c| c.as_str() == d.code);
    let code = match (named, d.severity) {
        (Some(code), _) => code,
        (None, Severity::Warning) if envelope => ReasonCode::EnvelopeError,
        (None, _) => ReasonCode::ParseError,
    };
    Reason::new(code, format!("{} at {}: {}", d.code, d.position, d.message))
}

/// How many diagnostics become reasons one by one; the rest are summed up.
const MAX_DIAGNOSTIC_REASONS: usize = 5;

pub fn diagnostics_reasons<'a>(diagnostics: impl IntoIterator<Item = &'a Diagnostic>) -> Vec<Reason> {
    // Notes lower the confidence (pipeline) but are no reason by themselves.
    let all: Vec<&Diagnostic> = diagnostics.into_iter().filter(|d| d.severity != Severity::Note).collect();
    let mut reasons: Vec<Reason> = all.iter().take(MAX_DIAGNOSTIC_REASONS).map(|d| diagnostic_reason(d)).collect();
    if let Some(rest) = all.get(MAX_DIAGNOSTIC_REASONS..).filter(|r| !r.is_empty()) {
        let code = rest.iter().map(|d| diagnostic_reason(d).code).min().unwrap_or(ReasonCode::ParseError);
        reasons.push(Reason::new(code, format!("and {} more reader findings", rest.len())));
    }
    reasons
}

/// Reasons about the document as a whole: no reader, unreadable, not an order.
pub fn document_reasons(parsed: &ParsedDocument) -> Vec<Reason> {
    let format = parsed.format.unwrap_or(prodline_core::Format::Unknown);
    let unsupported = parsed.diagnostics.iter().any(|d| d.code == "unsupported_format");
    if unsupported {
        return vec![Reason::new(
            ReasonCode::UnsupportedFormat,
            format!("no reader for this {format} document; enter the order by hand"),
        )];
    }
    let mut reasons = diagnostics_reasons(&parsed.diagnostics);
    let said = reasons.iter().any(|r| r.code == ReasonCode::NotAnOrder);
    if parsed.orders.is_empty() && !parsed.has_errors() && !said {
        let skipped: Vec<&str> = parsed.skipped.iter().map(|s| s.kind.as_str()).collect();
        let message = if skipped.is_empty() {
            "the document holds no purchase order".to_string()
        } else {
            format!("the document holds no purchase order, only: {}", skipped.join(", "))
        };
        reasons.push(Reason::new(ReasonCode::NotAnOrder, message));
    }
    reasons
}

/// X12 BEG01 01 cancel / 03 delete; EDIFACT BGM 1225 1 cancel / 3 delete.
pub fn is_cancellation(order: &ParsedOrder) -> bool {
    matches!(order.purpose.as_deref().map(str::trim), Some("01" | "1" | "03" | "3"))
}

/// Missing PO number or lines, a cancellation, the order's own diagnostics.
pub fn order_reasons(order: &ParsedOrder, label: &str) -> Vec<Reason> {
    let mut reasons = Vec::new();
    if order.po_number.as_deref().is_none_or(|p| p.trim().is_empty()) {
        reasons.push(Reason::new(ReasonCode::MissingField, format!("{label}: no PO number")));
    }
    if order.lines.is_empty() {
        reasons.push(Reason::new(ReasonCode::MissingField, format!("{label}: no order lines")));
    }
    if is_cancellation(order) {
        let purpose = order.purpose.as_deref().unwrap_or("").trim();
        reasons.push(Reason::new(
            ReasonCode::Cancellation,
            format!("{label}: the document cancels the order (purpose code {purpose}); cancel it in the ERP"),
        ));
    }
    reasons.extend(diagnostics_reasons(&order.diagnostics));
    reasons
}

/// An earlier order this one repeats: same customer and PO number received
/// in another document (or earlier in this one) and not a revision, or a
/// revision whose lines were already received.
pub struct EarlierOrder<'a> {
    pub doc: Option<&'a str>,
    pub revision: bool,
    pub lines_fingerprint: &'a str,
}

pub fn duplicate_reason(
    order: &CanonicalOrder,
    revision: bool,
    ctx: &Context,
    memory: &Memory,
    earlier_in_document: &[EarlierOrder<'_>],
    label: &str,
) -> Option<Reason> {
    let customer = order.customer_id.as_deref()?;
    let po = order.customer_po.as_deref().filter(|p| !p.trim().is_empty())?;
    let this_doc = ctx.file_name.as_deref();
    let fingerprint = lines_fingerprint(&order.lines);
    let mut earlier: Vec<EarlierOrder<'_>> = memory
        .received(customer, po)
        .iter()
        .filter(|r| this_doc.is_none() || r.doc.as_deref() != this_doc)
        .map(|r| EarlierOrder { doc: r.doc.as_deref(), revision: r.revision, lines_fingerprint: &r.lines_fingerprint })
        .collect();
    // Within one document only an exact repeat counts: several sets under
    // one PO number with different lines are split shipments, not resends.
    earlier.extend(
        earlier_in_document.iter().filter(|e| e.lines_fingerprint == fingerprint).map(|e| EarlierOrder { ..*e }),
    );
    let first = earlier.first()?;
    let where_ = first.doc.map_or_else(|| "an earlier document".to_string(), |d| format!("{d:?}"));
    if !revision {
        let same = if earlier.iter().any(|e| e.lines_fingerprint == fingerprint) {
            "with the same lines"
        } else {
            "with other lines"
        };
        return Some(Reason::new(
            ReasonCode::Duplicate,
            format!(
                "{label}: PO {} of {customer} was already received in {where_} ({same}) and this is not a revision",
                po_key(po)
            ),
        ));
    }
    let repeat = earlier.iter().find(|e| e.lines_fingerprint == fingerprint)?;
    let where_ = repeat.doc.map_or_else(|| "an earlier document".to_string(), |d| format!("{d:?}"));
    Some(Reason::new(
        ReasonCode::Duplicate,
        format!("{label}: revision of PO {} repeats the lines already received in {where_}", po_key(po)),
    ))
}

/// The item's unit conversion for the unit ordered: 1 for its own unit, the
/// pack size for a pack unit from items.csv, else the pack size the line
/// states (PO4, PAC), else `None`.
pub fn units_per(item: &Item, uom: &str, stated_pack: Option<Decimal>) -> Option<Decimal> {
    item.units_per(uom).or(stated_pack.filter(|p| *p > Decimal::ZERO))
}

pub fn unit_reason(item: &Item, uom: &str, label: &str) -> Reason {
    let packs: Vec<String> = item.packs.iter().map(|(u, n)| format!("{u}={n}")).collect();
    let packs = if packs.is_empty() { "none".to_string() } else { packs.join(";") };
    Reason::new(
        ReasonCode::UnknownUnit,
        format!(
            "{label} ({}): unit {uom} is neither the item's unit {} nor a pack unit with a known size (packs: {packs})",
            item.sku, item.uom
        ),
    )
}

/// The outcome of checking a stated price.
pub enum PriceCheck {
    NotStated,
    NoReference,
    Confirmed,
    Mismatch(Reason),
}

impl PriceCheck {
    /// How much a line's price evidence moves the confidence.
    pub fn factor(&self) -> f64 {
        match self {
            PriceCheck::Confirmed => 1.0,
            PriceCheck::NoReference => 0.985,
            PriceCheck::NotStated => 0.98,
            PriceCheck::Mismatch(_) => 0.5,
        }
    }
}

/// What a line ordered, in the terms the price check needs.
pub struct Ordered<'a> {
    /// SPEC §1 unit code as ordered.
    pub uom: &'a str,
    /// How many of the item's own unit one `uom` holds.
    pub units_per: Decimal,
    pub stated_price: Option<Decimal>,
    /// The order's currency (stated, else the customer's).
    pub currency: Option<&'a str>,
}

/// Compare a stated price with the contract (else list) price converted to
/// the unit ordered.
pub fn check_price(
    master: &MasterData,
    customer_id: Option<&str>,
    item: &Item,
    ordered: &Ordered<'_>,
    config: &DecisionConfig,
    label: &str,
) -> PriceCheck {
    let Ordered { uom, units_per, stated_price, currency } = *ordered;
    let Some(stated) = stated_price else { return PriceCheck::NotStated };
    let Some((base, source)) = master.reference_price(customer_id, &item.sku, currency) else {
        return PriceCheck::NoReference;
    };
    let expected = base * units_per;
    let allowed = (expected * config.price_tolerance).abs();
    if (stated - expected).abs() <= allowed {
        return PriceCheck::Confirmed;
    }
    let source = match source {
        PriceSource::Contract => "contract price",
        PriceSource::List => "list price",
    };
    let reference = if units_per == Decimal::ONE {
        format!("the {source} {} per {}", base.normalize(), item.uom)
    } else {
        format!(
            "the {source} {} per {} × {} = {} per {uom}",
            base.normalize(),
            item.uom,
            units_per.normalize(),
            expected.normalize()
        )
    };
    let tolerance = (config.price_tolerance * Decimal::ONE_HUNDRED).normalize();
    PriceCheck::Mismatch(Reason::new(
        ReasonCode::PriceMismatch,
        format!(
            "{label} ({}): stated price {} per {uom} differs from {reference} by more than {tolerance} %",
            item.sku,
            stated.normalize()
        ),
    ))
}

/// A quantity outside anything the customer ordered of this item before
/// (in the item's own unit): more than `factor` times the largest of at
/// least `min_history` earlier quantities, or less than the smallest over
/// `factor`. The range, not the median, because order quantities are
/// heavy-tailed: a customer who orders 2 or 200 of an item ordering 150 is
/// normal; 20,000 is not.
pub fn qty_outlier_reason(
    history: &[Decimal],
    base_qty: Decimal,
    item: &Item,
    config: &DecisionConfig,
    label: &str,
) -> Option<Reason> {
    if history.len() < config.qty_history_min.max(1) {
        return None;
    }
    let (low, high) = (history.iter().min()?, history.iter().max()?);
    let factor = config.qty_outlier_factor;
    if *low <= Decimal::ZERO || factor <= Decimal::ONE {
        return None;
    }
    let message = if base_qty > *high * factor {
        format!("more than {}× the largest earlier quantity {} {}", factor.normalize(), high.normalize(), item.uom)
    } else if base_qty * factor < *low {
        format!("less than 1/{} of the smallest earlier quantity {} {}", factor.normalize(), low.normalize(), item.uom)
    } else {
        return None;
    };
    Some(Reason::new(
        ReasonCode::QtyOutlier,
        format!(
            "{label} ({}): {} {} is {message} in this customer's last {} orders of it; check the quantity",
            item.sku,
            base_qty.normalize(),
            item.uom,
            history.len()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use prodline_core::Position;

    #[test]
    fn envelope_warnings_and_other_findings_get_their_codes() {
        let w = |code: &str| diagnostic_reason(&Diagnostic::warning(code, "m", Position::default())).code;
        assert_eq!(w("se_count_mismatch"), ReasonCode::EnvelopeError);
        assert_eq!(w("control_number_mismatch"), ReasonCode::EnvelopeError);
        assert_eq!(w("unt_count_mismatch"), ReasonCode::EnvelopeError);
        assert_eq!(w("missing_trailer"), ReasonCode::EnvelopeError);
        assert_eq!(w("bad_date"), ReasonCode::ParseError);
        let e = diagnostic_reason(&Diagnostic::error("missing_trailer", "m", Position::default()));
        assert_eq!(e.code, ReasonCode::ParseError);
    }

    #[test]
    fn many_diagnostics_are_summed_up() {
        let many: Vec<Diagnostic> =
            (0..8).map(|i| Diagnostic::error("bad_number", format!("n{i}"), Position::default())).collect();
        let reasons = diagnostics_reasons(&many);
        assert_eq!(reasons.len(), MAX_DIAGNOSTIC_REASONS + 1);
        assert!(reasons.last().is_some_and(|r| r.message == "and 3 more reader findings"));
    }
}
