//! One source's drift check: a reference window against a recent window,
//! over four signals that move before accuracy does.

use prodline_core::{Format, ParsedDocument};
use serde::{Deserialize, Serialize};

use super::divergence::{CategoryCounts, ConfidenceBins, jensen_shannon, psi};
use super::layout::{Layout, line_fields, order_fields};

/// What one document contributes to a window.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// [`Layout::key`] of the document.
    pub fingerprint: String,
    pub orders: u64,
    pub lines: u64,
    /// Order-level fields, counted once per order carrying them.
    pub order_fields: CategoryCounts,
    /// Line-level fields, counted once per line carrying them.
    pub line_fields: CategoryCounts,
    /// Lines resolved exactly (to one item, by cross-reference or catalogue);
    /// `None` when resolution did not run, so the match rate skips it.
    pub lines_matched: Option<u64>,
    /// The document's extraction confidence in `[0, 1]`, if it has one.
    pub confidence: Option<f64>,
}

impl Observation {
    /// Observe `doc`, read as `format` from `sender`, with what resolution
    /// and extraction said about it.
    pub fn of(
        doc: &ParsedDocument,
        format: Format,
        sender: &str,
        lines_matched: Option<u64>,
        confidence: Option<f64>,
    ) -> Observation {
        let mut order_counts = CategoryCounts::new();
        let mut line_counts = CategoryCounts::new();
        let mut lines = 0;
        for order in &doc.orders {
            order_fields(order).iter().for_each(|f| order_counts.add(f));
            for line in &order.lines {
                lines += 1;
                line_fields(line).iter().for_each(|f| line_counts.add(f));
            }
        }
        Observation {
            fingerprint: Layout::of(doc, format, sender).key(),
            orders: doc.orders.len() as u64,
            lines,
            order_fields: order_counts,
            line_fields: line_counts,
            lines_matched,
            confidence,
        }
    }
}

/// The sums of a run of observations from one source.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Window {
    pub documents: u64,
    pub fingerprints: CategoryCounts,
    pub orders: u64,
    pub lines: u64,
    pub order_fields: CategoryCounts,
    pub line_fields: CategoryCounts,
    /// Lines of the documents that reported a match count, and how many of
    /// them matched: the match rate's denominator and numerator.
    pub lines_with_match: u64,
    pub lines_matched: u64,
    pub confidence: ConfidenceBins,
}

impl Window {
    pub fn add(&mut self, o: &Observation) {
        self.documents += 1;
        self.fingerprints.add(&o.fingerprint);
        self.orders += o.orders;
        self.lines += o.lines;
        merge(&mut self.order_fields, &o.order_fields);
        merge(&mut self.line_fields, &o.line_fields);
        if let Some(matched) = o.lines_matched {
            self.lines_with_match += o.lines;
            self.lines_matched += matched.min(o.lines);
        }
        if let Some(c) = o.confidence {
            self.confidence.add(c);
        }
    }

    /// Share of lines resolved exactly; `None` without match counts.
    pub fn match_rate(&self) -> Option<f64> {
        (self.lines_with_match > 0).then(|| self.lines_matched as f64 / self.lines_with_match as f64)
    }
}

impl<'a> FromIterator<&'a Observation> for Window {
    fn from_iter<I: IntoIterator<Item = &'a Observation>>(iter: I) -> Self {
        let mut w = Window::default();
        iter.into_iter().for_each(|o| w.add(o));
        w
    }
}

fn merge(into: &mut CategoryCounts, from: &CategoryCounts) {
    for (k, n) in from.iter() {
        into.add_count(k, n);
    }
}

/// Thresholds of a drift check (config `[monitor.drift]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DriftConfig {
    /// Jensen–Shannon divergence (base 2) of the fingerprint mix above which
    /// the layout has drifted. 0.1 is what a new layout reaches at roughly a
    /// fifth of a source's documents.
    pub fingerprint_js: f64,
    /// Largest absolute change in any field's presence rate (share of orders
    /// or lines carrying it).
    pub presence_change: f64,
    /// Drop in the share of lines resolved exactly. Only a drop counts: more
    /// lines resolving is not a reason to send a source to review.
    pub match_rate_drop: f64,
    /// Population stability index of the confidence distribution.
    pub confidence_psi: f64,
    /// Fewer documents than this in either window and nothing fires: with a
    /// handful of documents every signal is noise.
    pub min_documents: u64,
}

impl Default for DriftConfig {
    fn default() -> Self {
        DriftConfig {
            fingerprint_js: 0.1,
            presence_change: 0.2,
            match_rate_drop: 0.1,
            confidence_psi: 0.2,
            min_documents: 20,
        }
    }
}

/// Which signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    FingerprintMix,
    FieldPresence,
    MatchRate,
    Confidence,
}

/// One signal's figure against its threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signal {
    pub kind: SignalKind,
    pub value: f64,
    pub threshold: f64,
    pub fired: bool,
    /// What moved, for the alert text.
    pub detail: String,
}

/// The outcome of a drift check. Signals that cannot be computed (no
/// confidences, no match counts) are absent, not zero.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftReport {
    pub signals: Vec<Signal>,
    /// Both windows hold at least `min_documents`.
    pub enough_data: bool,
    /// Any signal fired: the source should drop to review.
    pub drifting: bool,
}

impl DriftReport {
    pub fn signal(&self, kind: SignalKind) -> Option<&Signal> {
        self.signals.iter().find(|s| s.kind == kind)
    }

    pub fn fired(&self) -> impl Iterator<Item = &Signal> {
        self.signals.iter().filter(|s| s.fired)
    }
}

/// Compares a source's recent window against its reference window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DriftCheck {
    pub config: DriftConfig,
}

impl DriftCheck {
    pub fn new(config: DriftConfig) -> Self {
        DriftCheck { config }
    }

    pub fn run(&self, reference: &Window, recent: &Window) -> DriftReport {
        let c = &self.config;
        let enough_data = reference.documents >= c.min_documents && recent.documents >= c.min_documents;
        let mut signals: Vec<Signal> = [
            fingerprint_signal(reference, recent, c.fingerprint_js),
            presence_signal(reference, recent, c.presence_change),
            match_signal(reference, recent, c.match_rate_drop),
            confidence_signal(reference, recent, c.confidence_psi),
        ]
        .into_iter()
        .flatten()
        .collect();
        for s in &mut signals {
            s.fired = enough_data && s.value > s.threshold;
        }
        let drifting = signals.iter().any(|s| s.fired);
        DriftReport { signals, enough_data, drifting }
    }
}

fn signal(kind: SignalKind, value: f64, threshold: f64, detail: String) -> Signal {
    Signal { kind, value, threshold, fired: false, detail }
}

fn fingerprint_signal(reference: &Window, recent: &Window, threshold: f64) -> Option<Signal> {
    let (p, q) = reference.fingerprints.aligned(&recent.fingerprints);
    let value = jensen_shannon(&p, &q)?;
    let detail = match recent.fingerprints.largest_gain(&reference.fingerprints) {
        Some((layout, before, now)) => {
            format!("layout {layout} went from {:.0} % to {:.0} %", before * 100.0, now * 100.0)
        }
        None => String::new(),
    };
    Some(signal(SignalKind::FingerprintMix, value, threshold, detail))
}

/// The largest absolute change of any field's presence rate, order-level
/// fields per order and line-level fields per line.
fn presence_signal(reference: &Window, recent: &Window, threshold: f64) -> Option<Signal> {
    let orders = largest_rate_change(&reference.order_fields, reference.orders, &recent.order_fields, recent.orders);
    let lines = largest_rate_change(&reference.line_fields, reference.lines, &recent.line_fields, recent.lines);
    let (field, before, now) = match (orders, lines) {
        (Some(o), Some(l)) => {
            if (l.2 - l.1).abs() > (o.2 - o.1).abs() {
                l
            } else {
                o
            }
        }
        (o, l) => o.or(l)?,
    };
    let detail = format!("{field} present on {:.0} % (was {:.0} %)", now * 100.0, before * 100.0);
    Some(signal(SignalKind::FieldPresence, (now - before).abs(), threshold, detail))
}

/// The field whose rate changed most: `(field, reference rate, recent rate)`.
fn largest_rate_change(
    reference: &CategoryCounts,
    reference_total: u64,
    recent: &CategoryCounts,
    recent_total: u64,
) -> Option<(String, f64, f64)> {
    if reference_total == 0 || recent_total == 0 {
        return None;
    }
    let (p, q) = reference.aligned(recent);
    let names: Vec<&str> = {
        let mut all: Vec<&str> = reference.iter().chain(recent.iter()).map(|(k, _)| k).collect();
        all.sort_unstable();
        all.dedup();
        all
    };
    names
        .into_iter()
        .zip(p.into_iter().zip(q))
        .map(|(name, (p, q))| (name.to_string(), p as f64 / reference_total as f64, q as f64 / recent_total as f64))
        .max_by(|a, b| (a.2 - a.1).abs().total_cmp(&(b.2 - b.1).abs()))
}

fn match_signal(reference: &Window, recent: &Window, threshold: f64) -> Option<Signal> {
    let (before, now) = (reference.match_rate()?, recent.match_rate()?);
    let detail = format!("{:.1} % of lines resolved exactly (was {:.1} %)", now * 100.0, before * 100.0);
    Some(signal(SignalKind::MatchRate, before - now, threshold, detail))
}

fn confidence_signal(reference: &Window, recent: &Window, threshold: f64) -> Option<Signal> {
    let value = psi(&reference.confidence.counts, &recent.confidence.counts)?;
    Some(signal(SignalKind::Confidence, value, threshold, "confidence distribution (PSI)".to_string()))
}
