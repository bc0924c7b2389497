//! The report: figures with their 95 % Wilson intervals, overall and by
//! segment, as stable JSON and as a short text summary.
//!
//! JSON field names are a contract like SPEC §5: add fields, never rename.

use std::collections::BTreeMap;

use prodline_core::Decision;
use prodline_core::stats::Proportion;
use serde::{Deserialize, Serialize};

use crate::cost::CostReport;
use crate::gap::CuratedGap;
use crate::score::{DocumentScore, Field, FieldCounts};
use crate::shadow::Agreement;

/// Everything `prodline eval` measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// How the run was made; `None` when scored from records directly.
    pub run: Option<RunInfo>,
    /// Documents evaluated (the sample, when sampled).
    pub documents: u64,
    pub overall: Figures,
    /// The 95 % Wilson lower bound of `overall.auto_precision`, stated on
    /// its own because it is the figure a go-live gate is set on ("at least
    /// 97 %" must hold for the lower bound, not for a lucky rate); `None`
    /// when nothing was auto-approved.
    #[serde(default)]
    pub auto_precision_lower_bound: Option<f64>,
    /// By meta.jsonl channel (`unknown` when not given).
    pub by_channel: BTreeMap<String, Figures>,
    /// By detected format (`x12`, `csv`, `email`, ...).
    pub by_format: BTreeMap<String, Figures>,
    /// By the truth's customer_id, else the predicted one, else `unknown`.
    pub by_customer: BTreeMap<String, Figures>,
    /// By group (`prodline_core::Group`: format, with anything OCR read
    /// counted as `scan`). edi, email, pdf, spreadsheet and scan are always
    /// present, with zero documents if need be; text and other when seen.
    #[serde(default)]
    pub by_group: BTreeMap<String, Figures>,
    pub decisions: DecisionCounts,
    /// Documents carrying each reason code (a document counts once per code).
    pub reasons: BTreeMap<String, u64>,
    /// Documents with no order to enter (truth `[]`), and how many of them
    /// were auto-approved: each one is an order posted that nobody placed.
    pub garbage: GarbageFigures,
    /// Auto-approved documents that are not correct, in evaluation order.
    pub auto_wrong_docs: Vec<String>,
    /// Confidence in ten equal bins against document correctness.
    pub calibration: Vec<CalibrationBin>,
    /// Σ (bin share × |accuracy − mean confidence|); `None` with no documents.
    pub expected_calibration_error: Option<f64>,
    /// What the extractors cost, from the usage they reported.
    #[serde(default)]
    pub cost: CostReport,
    /// `--curated`: the curated documents against a random sample of all.
    #[serde(default)]
    pub gap: Option<CuratedGap>,
    /// `--challenger`: the same report for the extractor run in shadow
    /// (its predictions in `PREDICTIONS.challenger.jsonl`).
    #[serde(default)]
    pub challenger: Option<Box<Report>>,
    /// `--challenger`: how often champion and challenger predicted the same
    /// orders.
    #[serde(default)]
    pub agreement: Option<Agreement>,
}

/// How the run was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    pub dataset: String,
    /// Documents with a truth line before sampling.
    pub documents_available: u64,
    /// Documents under docs/ without a truth line: skipped.
    pub documents_without_truth: u64,
    pub sample: Option<usize>,
    pub seed: Option<u64>,
    pub replay: bool,
    pub auto_threshold: f64,
    /// The extractor that decided (`builtin`, `command`, `openai:MODEL`).
    #[serde(default)]
    pub extractor: String,
    /// The extractor run in shadow (`--challenger`), if any.
    #[serde(default)]
    pub challenger: Option<String>,
    /// `--curated`: the report carries a `gap` section.
    #[serde(default)]
    pub curated: bool,
}

/// The SPEC §4 figures of one segment. Order counts are summed over the
/// segment's documents:
/// - `order_accuracy` = truth orders paired with a matching predicted order
///   (`scoring::pair_orders`) / truth orders, whatever the decision;
/// - `auto_precision` = matched orders of auto-approved documents /
///   predicted orders of auto-approved documents; an auto-approved document
///   whose truth is `[]` has no match, so each of its orders counts wrong
///   (one that predicts no order adds nothing here, but still shows in
///   [`GarbageFigures::auto_approved`]);
/// - `stp_rate` = matched orders of auto-approved documents / truth orders;
/// - `document_accuracy` = documents whose orders pair up one to one
///   (`scoring::document_correct`) / documents;
/// - `auto_rate` = auto-approved documents / documents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub documents: u64,
    pub order_accuracy: Proportion,
    pub auto_precision: Proportion,
    pub stp_rate: Proportion,
    pub document_accuracy: Proportion,
    pub auto_rate: Proportion,
    pub field_accuracy: FieldAccuracy,
}

/// Per field: correct / compared, over every field a truth order states
/// (orders and lines paired as [`crate::pair_for_fields`] says; a truth
/// order or line without a partner counts its fields wrong).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldAccuracy {
    pub customer_id: Proportion,
    pub customer_po: Proportion,
    pub order_date: Proportion,
    pub requested_date: Proportion,
    pub ship_to: Proportion,
    pub currency: Proportion,
    pub sku: Proportion,
    pub qty: Proportion,
    pub uom: Proportion,
    pub unit_price: Proportion,
}

impl FieldAccuracy {
    fn from_counts(counts: &FieldCounts) -> FieldAccuracy {
        let p = |f: Field| counts.get(f as usize).map(|&(k, n)| Proportion::new(k, n)).unwrap_or(Proportion::new(0, 0));
        FieldAccuracy {
            customer_id: p(Field::CustomerId),
            customer_po: p(Field::CustomerPo),
            order_date: p(Field::OrderDate),
            requested_date: p(Field::RequestedDate),
            ship_to: p(Field::ShipTo),
            currency: p(Field::Currency),
            sku: p(Field::Sku),
            qty: p(Field::Qty),
            uom: p(Field::Uom),
            unit_price: p(Field::UnitPrice),
        }
    }

    /// (field name, accuracy) in [`Field::ALL`] order.
    pub fn entries(&self) -> [(&'static str, Proportion); 10] {
        Field::ALL.map(|f| (f.as_str(), self.get(f)))
    }

    pub fn get(&self, field: Field) -> Proportion {
        match field {
            Field::CustomerId => self.customer_id,
            Field::CustomerPo => self.customer_po,
            Field::OrderDate => self.order_date,
            Field::RequestedDate => self.requested_date,
            Field::ShipTo => self.ship_to,
            Field::Currency => self.currency,
            Field::Sku => self.sku,
            Field::Qty => self.qty,
            Field::Uom => self.uom,
            Field::UnitPrice => self.unit_price,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionCounts {
    pub auto: u64,
    pub review: u64,
}

impl DecisionCounts {
    pub(crate) fn add(&mut self, decision: Decision) {
        match decision {
            Decision::Auto => self.auto += 1,
            Decision::Review => self.review += 1,
        }
    }
}

/// Documents whose truth is `[]` (garbage, questions, duplicates).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GarbageFigures {
    pub documents: u64,
    /// Of which repeat an earlier order (`duplicate_of`).
    pub duplicates: u64,
    /// Auto-approved / garbage documents: must be 0 of n.
    pub auto_approved: Proportion,
    pub auto_approved_docs: Vec<String>,
}

/// One confidence bin `[low, high)` (the last includes 1.0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationBin {
    pub low: f64,
    pub high: f64,
    pub documents: u64,
    pub mean_confidence: Option<f64>,
    /// Correct documents (`scoring::document_correct`) / documents in the bin.
    pub correct: Proportion,
}

/// Running sums of one segment.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tally {
    documents: u64,
    correct_documents: u64,
    auto_documents: u64,
    truth_orders: u64,
    matched_orders: u64,
    auto_orders: u64,
    matched_auto_orders: u64,
    fields: FieldCounts,
}

impl Tally {
    pub(crate) fn add(&mut self, doc: &DocumentScore) {
        self.documents += 1;
        self.correct_documents += u64::from(doc.correct);
        self.truth_orders += doc.truth_orders;
        self.matched_orders += doc.matched_orders;
        if doc.auto {
            self.auto_documents += 1;
            self.auto_orders += doc.predicted_orders;
            self.matched_auto_orders += doc.matched_orders;
        }
        for (sum, (k, n)) in self.fields.iter_mut().zip(doc.fields) {
            sum.0 += k;
            sum.1 += n;
        }
    }

    pub(crate) fn figures(&self) -> Figures {
        Figures {
            documents: self.documents,
            order_accuracy: Proportion::new(self.matched_orders, self.truth_orders),
            auto_precision: Proportion::new(self.matched_auto_orders, self.auto_orders),
            stp_rate: Proportion::new(self.matched_auto_orders, self.truth_orders),
            document_accuracy: Proportion::new(self.correct_documents, self.documents),
            auto_rate: Proportion::new(self.auto_documents, self.documents),
            field_accuracy: FieldAccuracy::from_counts(&self.fields),
        }
    }
}
