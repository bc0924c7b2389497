//! Distances between two distributions over the same bins: the population
//! stability index and the Jensen–Shannon divergence.
//!
//! Both take raw counts (not shares) so that a caller never has to decide how
//! to normalise, and both return `None` when either side has no observations:
//! "no data" is not "no drift", and the caller must say which it means.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What replaces an empty bin's share in [`psi`]. PSI divides by and takes
/// the log of each share, so a bin seen on one side only would make it
/// infinite; 1e-4 is the customary floor (one in ten thousand), large enough
/// that one new category in a window of a few hundred documents still scores
/// well above the 0.2 alarm threshold, small enough not to move a score whose
/// bins are all populated. Shares are not renormalised after flooring.
pub const PSI_EPSILON: f64 = 1e-4;

/// Population stability index of `recent` against `reference`:
///
/// `PSI = Σᵢ (qᵢ − pᵢ) · ln(qᵢ / pᵢ)`
///
/// where `pᵢ` and `qᵢ` are the shares of bin `i` in the reference and the
/// recent window, each floored at [`PSI_EPSILON`]. It is the symmetrised
/// Kullback–Leibler divergence (natural log), so it is 0 for identical shares
/// and grows without bound. Rule of thumb from credit scoring: < 0.1 stable,
/// 0.1–0.2 moderate, > 0.2 a shift worth acting on.
///
/// Bins are matched by position; a missing trailing bin counts as empty.
/// `None` when either side has no observations.
pub fn psi(reference: &[u64], recent: &[u64]) -> Option<f64> {
    let (p, q) = shares(reference, recent)?;
    let score = p
        .iter()
        .zip(&q)
        .map(|(&p, &q)| {
            let (p, q) = (p.max(PSI_EPSILON), q.max(PSI_EPSILON));
            (q - p) * (q / p).ln()
        })
        .sum();
    Some(score)
}

/// Jensen–Shannon divergence of `recent` against `reference`, base 2:
///
/// `JS = ½ KL(P ‖ M) + ½ KL(Q ‖ M)`, with `M = ½ (P + Q)` and
/// `KL(P ‖ M) = Σᵢ pᵢ · log₂(pᵢ / mᵢ)`, taking `0 · log 0 = 0`.
///
/// Unlike PSI it needs no epsilon (`mᵢ > 0` wherever `pᵢ > 0`), it is
/// symmetric, and in base 2 it lies in `[0, 1]`: 0 for identical shares, 1 for
/// windows with no bin in common. That bound is why it is used for the
/// fingerprint mix, where a new layout is a bin the reference never saw.
///
/// `None` when either side has no observations.
pub fn jensen_shannon(reference: &[u64], recent: &[u64]) -> Option<f64> {
    let (p, q) = shares(reference, recent)?;
    let mut score = 0.0;
    for (&p, &q) in p.iter().zip(&q) {
        let m = (p + q) / 2.0;
        score += half_kl_term(p, m) + half_kl_term(q, m);
    }
    // Rounding can leave a hair outside [0, 1].
    Some(score.clamp(0.0, 1.0))
}

/// `½ · x · log₂(x / m)`, 0 when `x` is 0.
fn half_kl_term(x: f64, m: f64) -> f64 {
    if x <= 0.0 { 0.0 } else { 0.5 * x * (x / m).log2() }
}

/// Both count vectors as shares over the same number of bins.
fn shares(reference: &[u64], recent: &[u64]) -> Option<(Vec<f64>, Vec<f64>)> {
    let bins = reference.len().max(recent.len());
    let p = normalise(reference, bins)?;
    let q = normalise(recent, bins)?;
    Some((p, q))
}

fn normalise(counts: &[u64], bins: usize) -> Option<Vec<f64>> {
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return None;
    }
    let total = total as f64;
    Some((0..bins).map(|i| counts.get(i).map_or(0.0, |&c| c as f64 / total)).collect())
}

/// Counts over named categories (layout fingerprints, item id kinds...).
/// A `BTreeMap` so that iteration, and therefore every figure and every
/// report, is the same on every run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CategoryCounts(BTreeMap<String, u64>);

impl CategoryCounts {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, category: &str) {
        self.add_count(category, 1);
    }

    pub fn add_count(&mut self, category: &str, n: u64) {
        if n > 0 {
            *self.0.entry(category.to_string()).or_insert(0) += n;
        }
    }

    pub fn count(&self, category: &str) -> u64 {
        self.0.get(category).copied().unwrap_or(0)
    }

    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        self.0.iter().map(|(k, v)| (k.as_str(), *v))
    }

    /// The two windows' counts over the union of their categories, in
    /// category order, ready for [`psi`] or [`jensen_shannon`].
    pub fn aligned(&self, other: &CategoryCounts) -> (Vec<u64>, Vec<u64>) {
        let mut keys: Vec<&String> = self.0.keys().chain(other.0.keys()).collect();
        keys.sort();
        keys.dedup();
        keys.into_iter().map(|k| (self.count(k), other.count(k))).unzip()
    }

    /// The category whose share grew most from `reference` to `self`, with
    /// its two shares: what an alert names ("layout X went from 0 % to 64 %").
    pub fn largest_gain(&self, reference: &CategoryCounts) -> Option<(String, f64, f64)> {
        let (now, before) = (self.total() as f64, reference.total() as f64);
        if now == 0.0 || before == 0.0 {
            return None;
        }
        self.iter()
            .map(|(k, c)| (k.to_string(), reference.count(k) as f64 / before, c as f64 / now))
            .max_by(|a, b| (a.2 - a.1).total_cmp(&(b.2 - b.1)))
    }
}

impl<'a> FromIterator<&'a str> for CategoryCounts {
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Self {
        let mut counts = CategoryCounts::new();
        for c in iter {
            counts.add(c);
        }
        counts
    }
}

/// Confidence in `[0, 1]` counted in [`ConfidenceBins::BINS`] equal-width
/// bins. Fixed bins rather than reference deciles so that two windows, and
/// two runs, always compare the same bins.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConfidenceBins {
    pub counts: [u64; ConfidenceBins::BINS],
}

impl ConfidenceBins {
    pub const BINS: usize = 10;

    /// Count one confidence. Values outside `[0, 1]` are clamped into the
    /// end bins and NaN goes to the lowest bin: a model that emits garbage
    /// should look like low confidence, not disappear from the figures.
    pub fn add(&mut self, confidence: f64) {
        let c = if confidence.is_nan() { 0.0 } else { confidence.clamp(0.0, 1.0) };
        let bin = ((c * Self::BINS as f64) as usize).min(Self::BINS - 1);
        if let Some(slot) = self.counts.get_mut(bin) {
            *slot += 1;
        }
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
}
