//! Accuracy SLOs over late labels.
//!
//! A document is *decided* (auto-approved or sent to review) at one time and
//! *labelled* (a reviewer or an audit says whether the decision was right)
//! later, sometimes days later. So every figure here is keyed by decision
//! date and carries its label completeness, and every figure can be replayed
//! "as it stood" at any instant by ignoring labels that had not arrived yet.
//!
//! - [`by_decision_date`]: accuracy per decision day with its Wilson
//!   interval and completeness = labelled / decided.
//! - [`window`]: the rule people write ("alert if accuracy < r over the last
//!   n labelled") and the probability that it fires although the true
//!   accuracy meets the target; [`window::recommend`] proposes better rules.
//! - [`sprt`]: Wald's sequential probability ratio test with its exact
//!   false-alarm rate and run lengths.
//! - [`ErrorBudget`]: the target turned into absolute wrong orders per
//!   period, used and left.

pub mod sprt;
pub mod window;

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use prodline_core::stats::Proportion;
use serde::{Deserialize, Serialize};

pub use sprt::{Decision, Operating, Sprt, SprtFigures, SprtMonitor};
pub use window::{Method, Recommendation, WindowAlarm, WindowRule, recommend, window_rule_false_alarm};

/// Tolerance for turning products of decimal-looking floats into counts:
/// `(1 − 0.9) × 10` is `0.9999999999999998` in binary floating point, and
/// must still count as 1.
const COUNT_EPSILON: f64 = 1e-9;

/// A parameter of an SLO that cannot be used, named as in the config.
#[derive(Debug, Clone, PartialEq)]
pub struct SloError {
    /// The config key or argument, e.g. `target_accuracy`.
    pub parameter: &'static str,
    pub value: f64,
    /// What a valid value looks like.
    pub expected: &'static str,
}

impl fmt::Display for SloError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {} = {}: expected {}", self.parameter, self.value, self.expected)
    }
}

impl std::error::Error for SloError {}

/// Checks that `value` is a probability strictly between 0 and 1.
pub(crate) fn open_unit(parameter: &'static str, value: f64) -> Result<f64, SloError> {
    if value > 0.0 && value < 1.0 {
        Ok(value)
    } else {
        Err(SloError { parameter, value, expected: "a number strictly between 0 and 1" })
    }
}

/// One reviewed document: was its decision right?
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    /// When prodline decided (auto-approve or review); figures are keyed by
    /// this date, so a late label corrects the day it belongs to.
    pub decided_at: DateTime<Utc>,
    /// When the label arrived; labels after the `as_of` instant are not yet
    /// known and are left out.
    pub labelled_at: DateTime<Utc>,
    /// Whether the decision (fields and auto-approve) was right.
    pub correct: bool,
    /// The source group (edi, email, pdf, ...) or workflow the SLO is for.
    pub group: String,
}

/// Accuracy of one decision day, as known at some instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayFigures {
    pub date: NaiveDate,
    /// Documents decided that day (from the caller's count).
    pub decided: u64,
    /// Labels known for documents decided that day.
    pub labelled: u64,
    /// Correct labels / labels, with the 95 % Wilson interval.
    pub accuracy: Proportion,
    /// labelled / decided; `None` when nothing was decided that day.
    pub completeness: Option<f64>,
}

/// Accuracy per decision date as it stood at `as_of`.
///
/// `decided` counts the documents decided per day (the denominator of
/// completeness); `labels` are the labels of the same population (filter by
/// [`Label::group`] first for a per-group figure). A day with labels but no
/// decided count gets `decided = 0` and no completeness, which shows the
/// caller's counts are incomplete rather than hiding it.
pub fn by_decision_date(labels: &[Label], decided: &BTreeMap<NaiveDate, u64>, as_of: DateTime<Utc>) -> Vec<DayFigures> {
    let mut counts: BTreeMap<NaiveDate, (u64, u64)> = decided.keys().map(|date| (*date, (0, 0))).collect();
    for label in labels.iter().filter(|label| label.labelled_at <= as_of) {
        let entry = counts.entry(label.decided_at.date_naive()).or_insert((0, 0));
        entry.0 += u64::from(label.correct);
        entry.1 += 1;
    }
    counts
        .into_iter()
        .map(|(date, (correct, labelled))| {
            let decided = decided.get(&date).copied().unwrap_or(0);
            DayFigures {
                date,
                decided,
                labelled,
                accuracy: Proportion::new(correct, labelled),
                completeness: (decided > 0).then(|| labelled as f64 / decided as f64),
            }
        })
        .collect()
}

/// The error budget of one period in absolute wrong orders.
///
/// A target accuracy `a` over `orders` auto-approved orders allows
/// `⌊(1 − a) · orders⌋` wrong ones: at 92 % and 1,000 orders, 80. People
/// defend a count of wrong orders more readily than a percentage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ErrorBudget {
    pub target_accuracy: f64,
    pub orders: u64,
    /// Wrong orders the target allows this period.
    pub allowed: u64,
    /// Wrong orders so far (counted, or estimated by [`estimate_wrong`]).
    pub used: u64,
    /// allowed − used; negative when the budget is overspent.
    pub left: i64,
    /// used / allowed; `None` when nothing is allowed.
    pub burn: Option<f64>,
}

impl ErrorBudget {
    /// The budget for `orders` at `target_accuracy` with `wrong` used.
    pub fn new(target_accuracy: f64, orders: u64, wrong: u64) -> Result<ErrorBudget, SloError> {
        open_unit("target_accuracy", target_accuracy)?;
        let allowed = ((1.0 - target_accuracy) * orders as f64 + COUNT_EPSILON).floor() as u64;
        let left = i64::try_from(allowed).unwrap_or(i64::MAX) - i64::try_from(wrong).unwrap_or(i64::MAX);
        let burn = (allowed > 0).then(|| wrong as f64 / allowed as f64);
        Ok(ErrorBudget { target_accuracy, orders, allowed, used: wrong, left, burn })
    }
}

/// Wrong orders among `orders` estimated from a random audit sample:
/// `round(wrong_in_sample / audited · orders)`. Only a random sample of
/// auto-approved orders is unbiased; reviewed documents are not a sample of
/// the auto-approved ones. `None` when nothing was audited.
pub fn estimate_wrong(orders: u64, audited: u64, wrong_in_sample: u64) -> Option<u64> {
    (audited > 0).then(|| (wrong_in_sample as f64 / audited as f64 * orders as f64).round() as u64)
}

/// Binomial probability `P[X = k]` for `X ~ Bin(n, p)`:
/// `C(n, k) pᵏ (1 − p)ⁿ⁻ᵏ`, computed in logarithms so that n in the
/// thousands neither overflows nor underflows early.
pub fn binomial_pmf(n: u64, k: u64, p: f64) -> f64 {
    if k > n {
        return 0.0;
    }
    if p <= 0.0 {
        return if k == 0 { 1.0 } else { 0.0 };
    }
    if p >= 1.0 {
        return if k == n { 1.0 } else { 0.0 };
    }
    let k_small = k.min(n - k);
    let ln_choose: f64 = (1..=k_small).map(|i| ((n - k_small + i) as f64 / i as f64).ln()).sum();
    (ln_choose + k as f64 * p.ln() + (n - k) as f64 * (1.0 - p).ln()).exp()
}

/// Binomial distribution function `P[X ≤ k] = Σ_{i ≤ k} P[X = i]`.
pub fn binomial_cdf(n: u64, k: u64, p: f64) -> f64 {
    (0..=k.min(n)).map(|i| binomial_pmf(n, i, p)).sum::<f64>().min(1.0)
}
