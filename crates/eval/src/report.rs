//! The report: figures with their 95 % Wilson intervals, overall and by
//! segment, as stable JSON and as a short text summary.
//!
//! JSON field names are a contract like SPEC §5: add fields, never rename.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use prodline_core::Decision;
use prodline_core::stats::Proportion;
use serde::{Deserialize, Serialize};

use crate::score::{DocumentScore, Field, FieldCounts};

/// Everything `prodline eval` measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// How the run was made; `None` when scored from records directly.
    pub run: Option<RunInfo>,
    /// Documents evaluated (the sample, when sampled).
    pub documents: u64,
    pub overall: Figures,
    /// By meta.jsonl channel (`unknown` when not given).
    pub by_channel: BTreeMap<String, Figures>,
    /// By detected format (`x12`, `csv`, `email`, ...).
    pub by_format: BTreeMap<String, Figures>,
    /// By the truth's customer_id, else the predicted one, else `unknown`.
    pub by_customer: BTreeMap<String, Figures>,
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

/// `87.5 % (105/120, 95 % CI 80.4–92.3 %)`, or `n/a (0/0)`.
pub fn format_proportion(p: &Proportion) -> String {
    match p.rate {
        Some(rate) => format!(
            "{:.1} % ({}/{}, 95 % CI {:.1}–{:.1} %)",
            rate * 100.0,
            p.successes,
            p.trials,
            p.low * 100.0,
            p.high * 100.0
        ),
        None => format!("n/a ({}/{})", p.successes, p.trials),
    }
}

fn short_rate(p: &Proportion) -> String {
    match p.rate {
        Some(rate) => format!("{:.1} % ({}/{})", rate * 100.0, p.successes, p.trials),
        None => "n/a".into(),
    }
}

impl Report {
    /// A short plain-text summary for the terminal and the demo: the
    /// garbage warning first, then the headline figures with intervals,
    /// decisions, the top reasons and order accuracy by channel and format.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}", self.title());
        if !self.garbage.auto_approved_docs.is_empty() {
            let docs = self.garbage.auto_approved_docs.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
            let more = self.garbage.auto_approved_docs.len().saturating_sub(5);
            let more = if more > 0 { format!(" and {more} more") } else { String::new() };
            let _ = writeln!(
                out,
                "WARNING: {} of {} documents with no order to enter were AUTO-APPROVED: {docs}{more}",
                self.garbage.auto_approved.successes, self.garbage.documents
            );
        }
        let o = &self.overall;
        for (name, p) in [
            ("order accuracy   ", &o.order_accuracy),
            ("auto precision   ", &o.auto_precision),
            ("straight-through ", &o.stp_rate),
            ("document accuracy", &o.document_accuracy),
            ("auto rate        ", &o.auto_rate),
        ] {
            let _ = writeln!(out, "  {name}  {}", format_proportion(p));
        }
        let _ = writeln!(out, "  decisions: {} auto, {} review", self.decisions.auto, self.decisions.review);
        let _ = writeln!(out, "  {}", self.top_reasons(5));
        for (label, segments) in [("by channel", &self.by_channel), ("by format", &self.by_format)] {
            let parts: Vec<String> =
                segments.iter().map(|(name, f)| format!("{name} {}", short_rate(&f.order_accuracy))).collect();
            let _ = writeln!(out, "  order accuracy {label}: {}", parts.join(" · "));
        }
        out
    }

    fn title(&self) -> String {
        let Some(run) = &self.run else {
            return format!("prodline eval: {} documents", self.documents);
        };
        let mut title = format!("prodline eval of {}: {} documents", run.dataset, self.documents);
        if let Some(n) = run.sample {
            let seed = run.seed.unwrap_or_default();
            let _ = write!(title, " (sample of {n} from {}, seed {seed})", run.documents_available);
        }
        if run.replay {
            title.push_str(", replay");
        }
        if run.documents_without_truth > 0 {
            let _ = write!(title, "; {} documents without truth skipped", run.documents_without_truth);
        }
        title
    }

    fn top_reasons(&self, n: usize) -> String {
        if self.reasons.is_empty() {
            return "reasons: none".into();
        }
        let mut reasons: Vec<(&String, &u64)> = self.reasons.iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let parts: Vec<String> = reasons.iter().take(n).map(|(code, count)| format!("{code} {count}")).collect();
        format!("reasons (documents): {}", parts.join(", "))
    }
}
