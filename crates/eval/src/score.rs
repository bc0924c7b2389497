//! Scoring (SPEC §4), separate from running so it can be checked on
//! hand-made data.

use std::collections::BTreeMap;

use prodline_core::scoring::{document_correct, pair_orders, po_key, price_equal};
use prodline_core::{CanonicalLine, CanonicalOrder, Decision, Format, Group, Reason, Usage};
use serde::Serialize;

use crate::cost::cost_report;
use crate::report::{CalibrationBin, DecisionCounts, GarbageFigures, Report, Tally};

/// One evaluated document: what the agent said beside what a person entered.
#[derive(Debug, Clone, Serialize)]
pub struct ScoredDocument {
    /// Dataset-relative path (`docs/a.x12`).
    pub doc: String,
    /// From meta.jsonl; `unknown` when not given.
    pub channel: String,
    pub format: Format,
    /// `Group::of(format, scanned)`: edi, email, pdf, spreadsheet, scan...
    pub group: Group,
    /// meta.jsonl says it is a clean, curated sample.
    pub curated: bool,
    /// What the extractor reported it cost; `None` for structured readers.
    pub usage: Option<Usage>,
    /// The segment "customer": see [`document_customer`].
    pub customer: String,
    pub decision: Decision,
    pub confidence: f64,
    pub reasons: Vec<Reason>,
    pub predicted: Vec<CanonicalOrder>,
    pub truth: Vec<CanonicalOrder>,
    /// Set when the truth says the document repeats an earlier order.
    pub duplicate_of: Option<String>,
}

/// The customer a document is counted under: the truth's `customer_id`,
/// else the predicted one (garbage has no truth customer), else `unknown`.
pub fn document_customer(truth: &[CanonicalOrder], predicted: &[CanonicalOrder]) -> String {
    let first = |orders: &[CanonicalOrder]| {
        orders.iter().filter_map(|o| o.customer_id.as_deref()).map(str::trim).find(|c| !c.is_empty()).map(String::from)
    };
    first(truth).or_else(|| first(predicted)).unwrap_or_else(|| "unknown".into())
}

/// The fields whose accuracy is reported, order-level then line-level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    CustomerId,
    CustomerPo,
    OrderDate,
    RequestedDate,
    ShipTo,
    Currency,
    Sku,
    Qty,
    Uom,
    UnitPrice,
}

impl Field {
    pub const ALL: [Field; 10] = [
        Field::CustomerId,
        Field::CustomerPo,
        Field::OrderDate,
        Field::RequestedDate,
        Field::ShipTo,
        Field::Currency,
        Field::Sku,
        Field::Qty,
        Field::Uom,
        Field::UnitPrice,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::CustomerId => "customer_id",
            Field::CustomerPo => "customer_po",
            Field::OrderDate => "order_date",
            Field::RequestedDate => "requested_date",
            Field::ShipTo => "ship_to",
            Field::Currency => "currency",
            Field::Sku => "sku",
            Field::Qty => "qty",
            Field::Uom => "uom",
            Field::UnitPrice => "unit_price",
        }
    }
}

/// Field counts of one document: (correct, compared) per [`Field`].
pub(crate) type FieldCounts = [(u64, u64); 10];

/// The groups every report shows, with or without documents: the issue
/// asks for the straight-through rate of each, and an empty row says "no
/// scans in this dataset" where a missing one would say nothing.
pub const REPORTED_GROUPS: [Group; 5] = [Group::Edi, Group::Email, Group::Pdf, Group::Spreadsheet, Group::Scan];

/// What one document adds to every segment it belongs to.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DocumentScore {
    pub correct: bool,
    pub auto: bool,
    pub truth_orders: u64,
    pub matched_orders: u64,
    pub predicted_orders: u64,
    pub fields: FieldCounts,
}

impl DocumentScore {
    pub(crate) fn of(record: &ScoredDocument) -> DocumentScore {
        DocumentScore {
            correct: document_correct(&record.predicted, &record.truth),
            auto: record.decision == Decision::Auto,
            truth_orders: record.truth.len() as u64,
            matched_orders: pair_orders(&record.predicted, &record.truth).len() as u64,
            predicted_orders: record.predicted.len() as u64,
            fields: field_counts(&record.predicted, &record.truth),
        }
    }
}

/// Score evaluated documents into a report (with no run information; [`crate::run`] adds it).
///
/// Every figure is summed over documents, so a segment's figures add up to
/// the overall ones: see [`Figures`](crate::Figures) for the definitions.
pub fn score(records: &[ScoredDocument]) -> Report {
    let mut overall = Tally::default();
    let mut by_channel: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_format: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_customer: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_group: BTreeMap<String, Tally> =
        REPORTED_GROUPS.iter().map(|g| (g.as_str().to_string(), Tally::default())).collect();
    let mut decisions = DecisionCounts::default();
    let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
    let mut garbage = GarbageTally::default();
    let mut auto_wrong_docs = Vec::new();
    let mut calibration = CalibrationTally::default();

    for record in records {
        let doc = DocumentScore::of(record);
        overall.add(&doc);
        by_channel.entry(record.channel.clone()).or_default().add(&doc);
        by_format.entry(record.format.as_str().to_string()).or_default().add(&doc);
        by_customer.entry(record.customer.clone()).or_default().add(&doc);
        by_group.entry(record.group.as_str().to_string()).or_default().add(&doc);
        decisions.add(record.decision);
        count_reasons(&mut reasons, &record.reasons);
        garbage.add(record);
        if doc.auto && !doc.correct {
            auto_wrong_docs.push(record.doc.clone());
        }
        calibration.add(record.confidence, doc.correct);
    }

    let figures = |map: BTreeMap<String, Tally>| map.into_iter().map(|(k, t)| (k, t.figures())).collect();
    let overall = overall.figures();
    Report {
        run: None,
        documents: records.len() as u64,
        auto_precision_lower_bound: overall.auto_precision.rate.map(|_| overall.auto_precision.low),
        overall,
        by_channel: figures(by_channel),
        by_format: figures(by_format),
        by_customer: figures(by_customer),
        by_group: figures(by_group),
        cost: cost_report(records),
        gap: None,
        challenger: None,
        agreement: None,
        decisions,
        reasons,
        garbage: garbage.figures(),
        auto_wrong_docs,
        expected_calibration_error: calibration.expected_error(),
        calibration: calibration.bins(),
    }
}

/// A document counts once per reason code, however many lines raised it.
fn count_reasons(counts: &mut BTreeMap<String, u64>, reasons: &[Reason]) {
    let mut codes: Vec<_> = reasons.iter().map(|r| r.code).collect();
    codes.sort_unstable();
    codes.dedup();
    for code in codes {
        *counts.entry(code.as_str().to_string()).or_default() += 1;
    }
}

#[derive(Default)]
struct GarbageTally {
    documents: u64,
    duplicates: u64,
    auto_approved_docs: Vec<String>,
}

impl GarbageTally {
    fn add(&mut self, record: &ScoredDocument) {
        if !record.truth.is_empty() {
            return;
        }
        self.documents += 1;
        self.duplicates += u64::from(record.duplicate_of.is_some());
        if record.decision == Decision::Auto {
            self.auto_approved_docs.push(record.doc.clone());
        }
    }

    fn figures(self) -> GarbageFigures {
        let auto = self.auto_approved_docs.len() as u64;
        GarbageFigures {
            documents: self.documents,
            duplicates: self.duplicates,
            auto_approved: prodline_core::stats::Proportion::new(auto, self.documents),
            auto_approved_docs: self.auto_approved_docs,
        }
    }
}

/// Ten equal-width confidence bins; the last one includes 1.0.
const BINS: usize = 10;

#[derive(Default)]
struct CalibrationTally {
    documents: [u64; BINS],
    correct: [u64; BINS],
    confidence_sum: [f64; BINS],
}

impl CalibrationTally {
    fn add(&mut self, confidence: f64, correct: bool) {
        // A NaN confidence is no confidence at all.
        let c = if confidence.is_nan() { 0.0 } else { confidence.clamp(0.0, 1.0) };
        let bin = ((c * BINS as f64) as usize).min(BINS - 1);
        if let (Some(n), Some(k), Some(s)) =
            (self.documents.get_mut(bin), self.correct.get_mut(bin), self.confidence_sum.get_mut(bin))
        {
            *n += 1;
            *k += u64::from(correct);
            *s += c;
        }
    }

    fn bins(&self) -> Vec<CalibrationBin> {
        (0..BINS)
            .map(|i| {
                let n = self.documents[i];
                CalibrationBin {
                    low: i as f64 / BINS as f64,
                    high: (i + 1) as f64 / BINS as f64,
                    documents: n,
                    mean_confidence: (n > 0).then(|| self.confidence_sum[i] / n as f64),
                    correct: prodline_core::stats::Proportion::new(self.correct[i], n),
                }
            })
            .collect()
    }

    /// Σ over bins of (share of documents) × |accuracy − mean confidence|.
    fn expected_error(&self) -> Option<f64> {
        let total: u64 = self.documents.iter().sum();
        if total == 0 {
            return None;
        }
        let sum = (0..BINS)
            .filter(|&i| self.documents[i] > 0)
            .map(|i| {
                let n = self.documents[i] as f64;
                (n / total as f64) * (self.correct[i] as f64 / n - self.confidence_sum[i] / n).abs()
            })
            .sum();
        Some(sum)
    }
}

/// Pair truth orders with predicted orders for field accuracy; returns
/// (truth index, predicted index) pairs.
///
/// Field accuracy must say *which* field is wrong, so it cannot pair by the
/// full match of SPEC §4 (a wrong field would break the pair). Instead:
/// 1. by PO key (trimmed, upper-cased `customer_po`): each truth order takes
///    the first unpaired predicted order with the same non-empty key;
/// 2. the truth orders left take the predicted orders left, in document
///    order.
///
/// A truth order left without a partner counts every field it has as wrong;
/// a predicted order left over (an invented order) has no truth fields to
/// compare and shows only in the order figures.
pub fn pair_for_fields(predicted: &[CanonicalOrder], truth: &[CanonicalOrder]) -> Vec<(usize, usize)> {
    let keys = |orders: &[CanonicalOrder]| orders.iter().map(|o| po_key(o.customer_po.as_deref())).collect::<Vec<_>>();
    pair_by_key_then_position(&keys(truth), &keys(predicted))
}

/// Lines are paired the same way with the SKU as the key: same SKU first
/// (in line order, so split lines of one SKU pair in order), then the lines
/// left by position.
fn pair_lines(predicted: &[CanonicalLine], truth: &[CanonicalLine]) -> Vec<(usize, usize)> {
    let keys = |lines: &[CanonicalLine]| {
        lines.iter().map(|l| l.sku.as_deref().map(|s| s.trim().to_string()).unwrap_or_default()).collect::<Vec<_>>()
    };
    pair_by_key_then_position(&keys(truth), &keys(predicted))
}

fn pair_by_key_then_position(truth: &[String], predicted: &[String]) -> Vec<(usize, usize)> {
    let mut taken = vec![false; predicted.len()];
    let mut partner: Vec<Option<usize>> = vec![None; truth.len()];
    for (t, key) in truth.iter().enumerate() {
        if key.is_empty() {
            continue;
        }
        let found = predicted.iter().enumerate().position(|(p, k)| k == key && !taken[p]);
        if let Some(p) = found {
            taken[p] = true;
            partner[t] = Some(p);
        }
    }
    let mut free = (0..predicted.len()).filter(|&p| !taken[p]).collect::<Vec<_>>().into_iter();
    for slot in partner.iter_mut().filter(|slot| slot.is_none()) {
        *slot = free.next();
    }
    partner.iter().enumerate().filter_map(|(t, p)| p.map(|p| (t, p))).collect()
}

/// Field counts of one document: every field the truth states is compared
/// (absent truth fields are not scored, as in SPEC §4), against the paired
/// prediction or, with no partner, counted wrong.
fn field_counts(predicted: &[CanonicalOrder], truth: &[CanonicalOrder]) -> FieldCounts {
    let mut counts: FieldCounts = [(0, 0); 10];
    let pairs = pair_for_fields(predicted, truth);
    for (t, truth_order) in truth.iter().enumerate() {
        let partner = pairs.iter().find(|(pt, _)| *pt == t).and_then(|(_, p)| predicted.get(*p));
        add_order_fields(&mut counts, partner, truth_order);
    }
    counts
}

fn add_order_fields(counts: &mut FieldCounts, predicted: Option<&CanonicalOrder>, truth: &CanonicalOrder) {
    let text = |get: fn(&CanonicalOrder) -> &Option<String>, same: fn(&str, &str) -> bool| {
        get(truth).as_deref().map(|t| predicted.and_then(|p| get(p).as_deref()).is_some_and(|p| same(p, t)))
    };
    tick(counts, Field::CustomerId, text(|o| &o.customer_id, same_id));
    let po = truth
        .customer_po
        .as_deref()
        .map(|t| predicted.is_some_and(|p| po_key(p.customer_po.as_deref()) == po_key(Some(t))));
    tick(counts, Field::CustomerPo, po);
    tick(counts, Field::OrderDate, truth.order_date.map(|t| predicted.is_some_and(|p| p.order_date == Some(t))));
    let requested = truth.requested_date.map(|t| predicted.is_some_and(|p| p.requested_date == Some(t)));
    tick(counts, Field::RequestedDate, requested);
    tick(counts, Field::ShipTo, text(|o| &o.ship_to, same_id));
    tick(counts, Field::Currency, text(|o| &o.currency, same_code));

    let predicted_lines = predicted.map(|p| p.lines.as_slice()).unwrap_or_default();
    let line_pairs = pair_lines(predicted_lines, &truth.lines);
    for (t, truth_line) in truth.lines.iter().enumerate() {
        let partner = line_pairs.iter().find(|(pt, _)| *pt == t).and_then(|(_, p)| predicted_lines.get(*p));
        add_line_fields(counts, partner, truth_line);
    }
}

fn add_line_fields(counts: &mut FieldCounts, predicted: Option<&CanonicalLine>, truth: &CanonicalLine) {
    let sku = truth.sku.as_deref().map(|t| predicted.and_then(|p| p.sku.as_deref()).is_some_and(|p| same_id(p, t)));
    tick(counts, Field::Sku, sku);
    tick(counts, Field::Qty, Some(predicted.is_some_and(|p| p.qty == truth.qty)));
    let uom = truth.uom.as_deref().map(|t| predicted.and_then(|p| p.uom.as_deref()).is_some_and(|p| same_code(p, t)));
    tick(counts, Field::Uom, uom);
    let price = truth.unit_price.map(|t| predicted.and_then(|p| p.unit_price).is_some_and(|p| price_equal(p, t)));
    tick(counts, Field::UnitPrice, price);
}

/// Master-data ids compare trimmed, as the scoring rule compares them.
fn same_id(predicted: &str, truth: &str) -> bool {
    predicted.trim() == truth.trim()
}

/// Codes (units, currencies) compare trimmed and case-blind, as the scoring
/// rule compares units.
fn same_code(predicted: &str, truth: &str) -> bool {
    predicted.trim().eq_ignore_ascii_case(truth.trim())
}

/// Count one comparison: `None` when the truth does not state the field.
fn tick(counts: &mut FieldCounts, field: Field, correct: Option<bool>) {
    if let (Some(correct), Some(slot)) = (correct, counts.get_mut(field as usize)) {
        slot.0 += u64::from(correct);
        slot.1 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn pairs_by_key_first_then_leftovers_by_position() {
        let truth = keys(&["A", "B", "C"]);
        let predicted = keys(&["X", "B", "A"]);
        assert_eq!(pair_by_key_then_position(&truth, &predicted), vec![(0, 2), (1, 1), (2, 0)]);
        let truth = keys(&["A", "A", ""]);
        let predicted = keys(&["A"]);
        assert_eq!(pair_by_key_then_position(&truth, &predicted), vec![(0, 0)]);
    }
}
