//! One source's drift check: a reference window against a recent window,
//! over four signals that move before accuracy does.

use prodline_core::{Format, ParsedDocument};
use serde::{Deserialize, Serialize};

use super::divergence::{CategoryCounts, ConfidenceBins, jensen_shannon, psi};
use super::layout::{Layout, line_fields, order_fields};

/// What one document contributes to a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// The shift is beyond chance at [`MIN_Z`] standard errors (always true
    /// for the confidence PSI, which is judged on large windows only).
    pub significant: bool,
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
            s.fired = enough_data && s.value > s.threshold && s.significant;
        }
        let drifting = signals.iter().any(|s| s.fired);
        DriftReport { signals, enough_data, drifting }
    }
}

fn signal(kind: SignalKind, value: f64, threshold: f64, detail: String) -> Signal {
    Signal { kind, value, threshold, fired: false, significant: true, detail }
}

/// How many standard errors a share must move before a shift counts: the
/// windows are small (tens of documents) and a feed is checked after every
/// document, so a difference of shares alone fires on noise — an optional
/// field present on 60 % of orders is easily on 20 % of the last twenty.
/// 4 standard errors is about one chance in 30,000 per field and check for
/// a feed that has not changed (the normal approximation is generous in
/// the tails of windows this small, so the margin is kept wide).
pub const MIN_Z: f64 = 4.0;

/// Documents each window needs before the confidence PSI is judged: PSI over
/// ten bins is meaningless on a score of documents (one document in an
/// empty bin alone gives a PSI above 1).
pub const CONFIDENCE_MIN_DOCUMENTS: u64 = 50;

/// The two-proportion z statistic of `x1/n1` against `x2/n2` (pooled).
pub fn two_proportion_z(x1: u64, n1: u64, x2: u64, n2: u64) -> f64 {
    if n1 == 0 || n2 == 0 {
        return 0.0;
    }
    let (p1, p2) = (x1 as f64 / n1 as f64, x2 as f64 / n2 as f64);
    let pooled = (x1 + x2) as f64 / (n1 + n2) as f64;
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 as f64 + 1.0 / n2 as f64)).sqrt();
    if se == 0.0 { 0.0 } else { (p2 - p1).abs() / se }
}

fn fingerprint_signal(reference: &Window, recent: &Window, threshold: f64) -> Option<Signal> {
    let (p, q) = reference.fingerprints.aligned(&recent.fingerprints);
    let value = jensen_shannon(&p, &q)?;
    let gain = recent.fingerprints.largest_gain(&reference.fingerprints);
    let detail = match &gain {
        Some((layout, before, now)) => {
            format!("layout {layout} went from {:.0} % to {:.0} %", before * 100.0, now * 100.0)
        }
        None => String::new(),
    };
    let mut signal = signal(SignalKind::FingerprintMix, value, threshold, detail);
    // The layout that grew most must have grown beyond chance, or come with
    // an interchange id the reference never used: EDI sender ids do not
    // change by chance, so two documents under a new one are enough.
    signal.significant = gain.is_some_and(|(layout, _, _)| {
        let (n1, n2) = (reference.fingerprints.total(), recent.fingerprints.total());
        let z = two_proportion_z(reference.fingerprints.count(&layout), n1, recent.fingerprints.count(&layout), n2);
        z >= MIN_Z || new_interchange(reference, recent, &layout)
    });
    Some(signal)
}

/// Documents under an interchange id that is new to the feed before that
/// alone counts as drift.
pub const NEW_INTERCHANGE_DOCUMENTS: u64 = 2;

/// `layout`'s interchange ids (the third field of [`Layout::key`]) are
/// absent from every reference layout, and at least
/// [`NEW_INTERCHANGE_DOCUMENTS`] recent documents carry them.
fn new_interchange(reference: &Window, recent: &Window, layout: &str) -> bool {
    let interchange = |key: &str| key.split('|').nth(2).unwrap_or_default().to_owned();
    let ids = interchange(layout);
    if ids.is_empty() {
        return false;
    }
    let seen_before = reference.fingerprints.iter().any(|(key, _)| interchange(key) == ids);
    let recent_count: u64 = recent.fingerprints.iter().filter(|(key, _)| interchange(key) == ids).map(|(_, n)| n).sum();
    !seen_before && recent_count >= NEW_INTERCHANGE_DOCUMENTS
}

/// The largest absolute change of any field's presence rate, order-level
/// fields per order and line-level fields per line, among the changes
/// beyond chance ([`MIN_Z`]); the largest change of all when none is.
fn presence_signal(reference: &Window, recent: &Window, threshold: f64) -> Option<Signal> {
    let mut changes = rate_changes(
        &reference.order_fields,
        reference.orders,
        &recent.order_fields,
        recent.orders,
        (reference.orders, recent.orders),
    );
    // Lines come in documents: one document's lines all carry a field or
    // none do, so the sample behind a line rate is its documents, not its lines.
    changes.extend(rate_changes(
        &reference.line_fields,
        reference.lines,
        &recent.line_fields,
        recent.lines,
        (reference.documents, recent.documents),
    ));
    let size = |c: &RateChange| (c.now - c.before).abs();
    let largest = |significant: bool| {
        changes.iter().filter(|c| !significant || c.z >= MIN_Z).max_by(|a, b| size(a).total_cmp(&size(b)))
    };
    let change = largest(true).or_else(|| largest(false))?;
    let detail =
        format!("{} present on {:.0} % (was {:.0} %)", change.field, change.now * 100.0, change.before * 100.0);
    let mut signal = signal(SignalKind::FieldPresence, size(change), threshold, detail);
    signal.significant = change.z >= MIN_Z;
    Some(signal)
}

/// One field's presence in the two windows.
struct RateChange {
    field: String,
    before: f64,
    now: f64,
    z: f64,
}

/// Each field's rate in both windows; `samples` are the independent units
/// behind the rates (orders, or the documents the lines come in), which the
/// z statistic counts.
fn rate_changes(
    reference: &CategoryCounts,
    reference_total: u64,
    recent: &CategoryCounts,
    recent_total: u64,
    samples: (u64, u64),
) -> Vec<RateChange> {
    if reference_total == 0 || recent_total == 0 {
        return Vec::new();
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
        .map(|(name, (p, q))| {
            let (before, now) = (p as f64 / reference_total as f64, q as f64 / recent_total as f64);
            let in_samples = |rate: f64, n: u64| (rate.min(1.0) * n as f64).round() as u64;
            let z = two_proportion_z(in_samples(before, samples.0), samples.0, in_samples(now, samples.1), samples.1);
            RateChange { field: name.to_string(), before, now, z }
        })
        .collect()
}

fn match_signal(reference: &Window, recent: &Window, threshold: f64) -> Option<Signal> {
    let (before, now) = (reference.match_rate()?, recent.match_rate()?);
    let detail = format!("{:.1} % of lines resolved exactly (was {:.1} %)", now * 100.0, before * 100.0);
    let mut signal = signal(SignalKind::MatchRate, before - now, threshold, detail);
    // As for line fields, the documents are the sample.
    let in_documents = |rate: f64, w: &Window| ((rate * w.documents as f64).round() as u64, w.documents);
    let ((x1, n1), (x2, n2)) = (in_documents(before, reference), in_documents(now, recent));
    signal.significant = two_proportion_z(x1, n1, x2, n2) >= MIN_Z;
    Some(signal)
}

fn confidence_signal(reference: &Window, recent: &Window, threshold: f64) -> Option<Signal> {
    if reference.documents < CONFIDENCE_MIN_DOCUMENTS || recent.documents < CONFIDENCE_MIN_DOCUMENTS {
        return None;
    }
    let value = psi(&reference.confidence.counts, &recent.confidence.counts)?;
    Some(signal(SignalKind::Confidence, value, threshold, "confidence distribution (PSI)".to_string()))
}
