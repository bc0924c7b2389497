//! The window rule people write, and how often it cries wolf.
//!
//! "Alert if accuracy < r over the last n labelled" looks safe, but with
//! r = 90 %, n = 100 and a true accuracy of 92 %, a single window already
//! fires with probability `P[Bin(100, 0.08) ≥ 11] ≈ 0.18`, and a rule
//! re-evaluated after every label fires within a few hundred labels almost
//! surely. [`window_rule_false_alarm`] computes that number;
//! [`recommend`] proposes rules that do not.

use serde::{Deserialize, Serialize};

use super::sprt::{Sprt, SprtFigures};
use super::{COUNT_EPSILON, SloError, binomial_cdf, open_unit};

/// "Alert if accuracy < `r` over the last `n` labelled."
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WindowRule {
    pub n: u32,
    pub r: f64,
}

impl WindowRule {
    /// A rule with `n ≥ 1` and `0 < r ≤ 1`.
    pub fn new(n: u32, r: f64) -> Result<WindowRule, SloError> {
        if n == 0 {
            return Err(SloError { parameter: "window_labels", value: 0.0, expected: "at least 1" });
        }
        if !(r > 0.0 && r <= 1.0) {
            return Err(SloError { parameter: "window_accuracy", value: r, expected: "0 < r ≤ 1" });
        }
        Ok(WindowRule { n, r })
    }

    /// The fewest wrong labels in a window that make it fire.
    ///
    /// accuracy < r ⇔ correct < r·n ⇔ correct ≤ ⌈r·n⌉ − 1
    /// ⇔ wrong ≥ n − ⌈r·n⌉ + 1. (`r·n` is nudged down by 1e-9 so that
    /// 0.9 × 100 counts as exactly 90.)
    pub fn firing_wrong(&self) -> u32 {
        let k = (self.r * f64::from(self.n) - COUNT_EPSILON).ceil().max(0.0) as u32;
        self.n.saturating_sub(k) + 1
    }

    /// Whether a window with `correct` right labels out of `n` fires.
    pub fn fires(&self, correct: u32) -> bool {
        self.n.saturating_sub(correct) >= self.firing_wrong()
    }
}

/// How a probability was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Exact up to floating-point rounding.
    Exact,
    /// The geometric extension described at [`window_rule_false_alarm`].
    Approximation,
}

/// The false-alarm figures of a window rule at a true accuracy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WindowAlarm {
    pub rule: WindowRule,
    /// The true accuracy assumed (the SLO target).
    pub accuracy: f64,
    /// Labels after the current window over which the rule is re-evaluated.
    pub horizon: u32,
    /// Probability that one window fires: `P[Bin(n, 1 − p) ≥ f]`.
    pub single_window: f64,
    /// Probability that at least one of the `horizon + 1` windows fires.
    pub probability: f64,
    pub method: Method,
}

/// Probability that the window rule fires at least once although the true
/// accuracy is `accuracy`: the rule is evaluated on the current window of
/// n labels and again after each of the next `horizon` labels (m + 1
/// overlapping windows over n + m independent labels, each wrong with
/// probability q = 1 − p). With m = 0 it is the single-window probability
/// `P[Bin(n, q) ≥ f]`, f = [`WindowRule::firing_wrong`].
///
/// **Exact for m ≤ n.** Split the n + m labels into a first block
/// a₀..aₙ₋₁ and a second block b₀..bₘ₋₁ (1 = wrong). Window i (0 ≤ i ≤ m)
/// holds `Wᵢ = Σ_{j≥i} aⱼ + Σ_{j<i} bⱼ = A + Sᵢ` with `A = Σ aⱼ` and
/// `Sᵢ = Σ_{j<i} (bⱼ − aⱼ)`; the rule fires iff `A + maxᵢ Sᵢ ≥ f`. The pairs
/// (aⱼ, bⱼ) are independent, and after column j the future only needs
/// `u = (a's so far) + max S so far` and `v = (b's so far)`:
/// `u' = max(u + a, v + b)` while windows are still counted (j < m),
/// `u' = u + a` after, `v' = v + b`. `u` never decreases, so states with
/// `u ≥ f` have fired; the survivors are `0 ≤ v ≤ u < f`, an O(f² · n)
/// dynamic programme.
///
/// **Approximation for m > n.** Once the window has forgotten its start the
/// survival probability decays geometrically (the product approximation of
/// scan statistics, after Naus 1982): with Q(m) the exact survival for
/// m ≤ n and h = ⌊n/2⌋, `Q(m) ≈ Q(n) · (Q(n)/Q(h))^((m − n)/(n − h))`,
/// the per-label rate measured on the last half window of the exact part.
/// The crate's tests check it against simulation.
pub fn window_rule_false_alarm(accuracy: f64, rule: WindowRule, horizon: u32) -> Result<WindowAlarm, SloError> {
    open_unit("target_accuracy", accuracy)?;
    let rule = WindowRule::new(rule.n, rule.r)?;
    let q = 1.0 - accuracy;
    let f = rule.firing_wrong();
    let single_window = 1.0 - binomial_cdf(u64::from(rule.n), u64::from(f - 1), q);
    let (survival, method) = if horizon <= rule.n {
        (survival_exact(q, rule.n, f, horizon), Method::Exact)
    } else {
        (survival_extended(q, rule.n, f, horizon), Method::Approximation)
    };
    Ok(WindowAlarm { rule, accuracy, horizon, single_window, probability: (1.0 - survival).clamp(0.0, 1.0), method })
}

/// P[no window fires] for m ≤ n, by the (u, v) programme documented at
/// [`window_rule_false_alarm`].
fn survival_exact(q: f64, n: u32, f: u32, horizon: u32) -> f64 {
    let f = f as usize;
    let p = 1.0 - q;
    let mut current = vec![0.0; f * f];
    current[0] = 1.0;
    for column in 0..n {
        let counted = column < horizon;
        let mut next = vec![0.0; f * f];
        for u in 0..f {
            for v in 0..=u {
                let mass = current[u * f + v];
                if mass == 0.0 {
                    continue;
                }
                for (a, pa) in [(0, p), (1, q)] {
                    if !counted {
                        if u + a < f {
                            next[(u + a) * f + v] += mass * pa;
                        }
                        continue;
                    }
                    for (b, pb) in [(0, p), (1, q)] {
                        let v2 = v + b;
                        let u2 = (u + a).max(v2);
                        if u2 < f {
                            next[u2 * f + v2] += mass * pa * pb;
                        }
                    }
                }
            }
        }
        current = next;
    }
    current.iter().sum()
}

/// P[no window fires] for m > n by the geometric extension documented at
/// [`window_rule_false_alarm`].
fn survival_extended(q: f64, n: u32, f: u32, horizon: u32) -> f64 {
    let half = n / 2;
    let at_n = survival_exact(q, n, f, n);
    let at_half = survival_exact(q, n, f, half);
    if at_half <= 0.0 || at_n <= 0.0 {
        return 0.0;
    }
    let exponent = f64::from(horizon - n) / f64::from(n - half);
    at_n * (at_n / at_half).powf(exponent)
}

/// A better rule than the one configured, with its numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// The configured rule at the target.
    pub current: WindowAlarm,
    /// For each candidate window length (n, 2n, 4n), the highest threshold
    /// r whose false-alarm probability over the horizon stays within the
    /// allowed rate; empty entries are left out.
    pub windows: Vec<WindowAlarm>,
    /// A Wald SPRT for the same drop (H1: p = r of the configured rule),
    /// sized so that its false-alarm probability over the horizon stays
    /// within the allowed rate.
    pub sprt: Option<(Sprt, SprtFigures)>,
    /// One paragraph for people.
    pub advice: String,
}

/// Proposes rules whose false-alarm probability within `horizon` labels at
/// the true accuracy `accuracy` is at most `allowed` (e.g. 0.05).
///
/// Window candidates keep the form people know and lower r in steps of
/// 0.005 for n, 2n and 4n labels. The sequential test detects the same
/// drop (from the target to the configured r) with β = 0.1; its α is
/// halved until `1 − exp(−m / ARL₀) ≤ allowed`.
pub fn recommend(accuracy: f64, rule: WindowRule, horizon: u32, allowed: f64) -> Result<Recommendation, SloError> {
    open_unit("false_alarm_rate", allowed)?;
    let current = window_rule_false_alarm(accuracy, rule, horizon)?;
    let mut windows = Vec::new();
    for factor in [1, 2, 4] {
        let n = rule.n.saturating_mul(factor);
        if let Some(alarm) = best_threshold(accuracy, n, rule.r, horizon, allowed)? {
            windows.push(alarm);
        }
    }
    let sprt = sized_sprt(accuracy, rule.r, horizon, allowed);
    let advice = advice(&current, &windows, sprt.as_ref(), allowed);
    Ok(Recommendation { current, windows, sprt, advice })
}

/// The highest r ≤ `start` (steps of 0.005) whose n-label rule stays
/// within `allowed`, searched down to 0.5.
fn best_threshold(
    accuracy: f64,
    n: u32,
    start: f64,
    horizon: u32,
    allowed: f64,
) -> Result<Option<WindowAlarm>, SloError> {
    let mut r = start;
    while r >= 0.5 {
        let alarm = window_rule_false_alarm(accuracy, WindowRule::new(n, r)?, horizon)?;
        if alarm.probability <= allowed {
            return Ok(Some(alarm));
        }
        r = ((r - 0.005) * 1000.0).round() / 1000.0;
    }
    Ok(None)
}

/// An SPRT from `accuracy` down to `lower` whose horizon false-alarm
/// probability is within `allowed`; `None` when the drop is not a drop.
fn sized_sprt(accuracy: f64, lower: f64, horizon: u32, allowed: f64) -> Option<(Sprt, SprtFigures)> {
    let mut alpha = allowed;
    for _ in 0..20 {
        let sprt = Sprt::new(accuracy, accuracy - lower, alpha, 0.1).ok()?;
        let figures = sprt.figures();
        if figures.false_alarm_within(horizon) <= allowed {
            return Some((sprt, figures));
        }
        alpha /= 2.0;
    }
    None
}

fn advice(current: &WindowAlarm, windows: &[WindowAlarm], sprt: Option<&(Sprt, SprtFigures)>, allowed: f64) -> String {
    let mut text = format!(
        "\"alert if accuracy < {:.1} % over the last {} labelled\" fires with probability {:.1} % \
         within {} labels even when the true accuracy is {:.1} % (one window alone: {:.1} %).",
        current.rule.r * 100.0,
        current.rule.n,
        current.probability * 100.0,
        current.horizon,
        current.accuracy * 100.0,
        current.single_window * 100.0,
    );
    if let Some(best) = windows.iter().find(|alarm| alarm.rule.n > current.rule.n).or(windows.first()) {
        text.push_str(&format!(
            " A rule at {:.1} % over {} labels keeps that under {:.1} % ({:.2} %).",
            best.rule.r * 100.0,
            best.rule.n,
            allowed * 100.0,
            best.probability * 100.0,
        ));
    }
    if let Some((sprt, figures)) = sprt {
        text.push_str(&format!(
            " Or a sequential test (SPRT, H0 {:.1} % vs H1 {:.1} %, α = {:.4}, β = {:.2}) \
             false-alarms about once every {:.0} labels ({:.2} % within {} labels) and detects a \
             drop to {:.1} % after about {:.0} labels.",
            sprt.p0 * 100.0,
            sprt.p1 * 100.0,
            sprt.alpha,
            sprt.beta,
            figures.arl0,
            figures.false_alarm_within(current.horizon) * 100.0,
            current.horizon,
            sprt.p1 * 100.0,
            figures.arl1,
        ));
    }
    text
}
