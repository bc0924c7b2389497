//! Wald's sequential probability ratio test for accuracy, with its exact
//! operating characteristic.
//!
//! Each label adds to the log-likelihood ratio of H1 (p = p₁ = target − δ)
//! against H0 (p = p₀ = target): `ln(p₁/p₀)` for a correct label (< 0) and
//! `ln((1 − p₁)/(1 − p₀))` for a wrong one (> 0). The test alarms when the
//! sum reaches `A = ln((1 − β)/α)` and accepts H0 when it falls to
//! `B = ln(β/(1 − α))`; as a monitor it then starts again from 0 (repeated
//! SPRT). Wald's inequalities bound the real error rates:
//! `α' ≤ α/(1 − β)`, `β' ≤ β/(1 − α)`. [`Sprt::operating`] computes α', β'
//! and the expected labels per test exactly, so the false-alarm rate we
//! state is the one the test has, not the nominal α.

use serde::{Deserialize, Serialize};

use super::{SloError, open_unit};

/// Stop computing the operating characteristic when less than this
/// probability is still undecided.
const UNDECIDED_TOLERANCE: f64 = 1e-12;
/// Hard cap on labels per test in that computation.
const MAX_LABELS: u64 = 10_000_000;

/// The test's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sprt {
    /// H0: the accuracy meets the target.
    pub p0: f64,
    /// H1: the accuracy has dropped by δ.
    pub p1: f64,
    /// Nominal false-alarm probability per test.
    pub alpha: f64,
    /// Nominal probability of missing a drop to p₁ per test.
    pub beta: f64,
}

/// What one label did to the test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Continue,
    /// H1 accepted: accuracy has dropped; alert.
    Alarm,
    /// H0 accepted: the monitor starts a new test.
    Accept,
}

/// Error rates and expected sample sizes of one test at one accuracy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Operating {
    /// Probability that a test ends in an alarm.
    pub alarm: f64,
    /// Probability that a test ends accepting H0.
    pub accept: f64,
    /// Expected labels until a test ends.
    pub expected_labels: f64,
}

/// The figures of a test as a monitor.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SprtFigures {
    /// Exact false-alarm probability per test (at p₀).
    pub alpha_exact: f64,
    /// Exact miss probability per test (at p₁).
    pub beta_exact: f64,
    /// Wald's bound α/(1 − β) on `alpha_exact`.
    pub alpha_bound: f64,
    pub at_target: Operating,
    pub at_drop: Operating,
    /// Average labels to a false alarm of the repeated test at p₀:
    /// `E₀[N] / α'` (Wald's identity over a geometric number of tests).
    pub arl0: f64,
    /// Average labels to the alarm after a drop to p₁: `E₁[N] / (1 − β')`.
    pub arl1: f64,
}

impl SprtFigures {
    /// Probability of at least one false alarm within `labels` labels,
    /// `1 − exp(−labels / ARL₀)`: the tests renew, and when α' is small
    /// the alarms form a Poisson stream of rate 1/ARL₀. An approximation.
    pub fn false_alarm_within(&self, labels: u32) -> f64 {
        if !self.arl0.is_finite() {
            return 0.0;
        }
        1.0 - (-f64::from(labels) / self.arl0).exp()
    }
}

impl Sprt {
    /// H0: p = `target`, H1: p = `target − delta`, nominal α and β.
    pub fn new(target: f64, delta: f64, alpha: f64, beta: f64) -> Result<Sprt, SloError> {
        open_unit("target_accuracy", target)?;
        open_unit("drift_delta", delta)?;
        open_unit("alpha", alpha)?;
        open_unit("beta", beta)?;
        let p1 = open_unit("target_accuracy - drift_delta", target - delta)?;
        if alpha + beta >= 1.0 {
            return Err(SloError { parameter: "alpha + beta", value: alpha + beta, expected: "below 1" });
        }
        Ok(Sprt { p0: target, p1, alpha, beta })
    }

    /// Alarm threshold A = ln((1 − β)/α).
    pub fn upper(&self) -> f64 {
        ((1.0 - self.beta) / self.alpha).ln()
    }

    /// Acceptance threshold B = ln(β/(1 − α)).
    pub fn lower(&self) -> f64 {
        (self.beta / (1.0 - self.alpha)).ln()
    }

    /// Log-likelihood ratio of `wrong` wrong labels among `labels`:
    /// `(labels − wrong)·ln(p₁/p₀) + wrong·ln((1 − p₁)/(1 − p₀))`.
    /// Computed from counts, not by accumulation, so that the monitor and
    /// [`Sprt::operating`] decide identically.
    pub fn llr(&self, labels: u64, wrong: u64) -> f64 {
        let correct = labels.saturating_sub(wrong) as f64;
        correct * (self.p1 / self.p0).ln() + wrong as f64 * ((1.0 - self.p1) / (1.0 - self.p0)).ln()
    }

    fn decide(&self, labels: u64, wrong: u64) -> Decision {
        let llr = self.llr(labels, wrong);
        if llr >= self.upper() {
            Decision::Alarm
        } else if llr <= self.lower() {
            Decision::Accept
        } else {
            Decision::Continue
        }
    }

    /// Exact error rates and expected labels of one test when the true
    /// accuracy is `accuracy`, by propagating the distribution of the wrong
    /// count w after t labels (w ~ the live band between B and A) and
    /// collecting the mass that crosses each threshold.
    pub fn operating(&self, accuracy: f64) -> Operating {
        let q = 1.0 - accuracy;
        let mut first = 0u64;
        let mut live = vec![1.0];
        let (mut alarm, mut accept, mut expected) = (0.0, 0.0, 0.0);
        let mut labels = 0u64;
        while labels < MAX_LABELS {
            labels += 1;
            let mut next = vec![0.0; live.len() + 1];
            for (i, mass) in live.iter().enumerate() {
                next[i] += mass * accuracy;
                next[i + 1] += mass * q;
            }
            for (i, mass) in next.iter_mut().enumerate() {
                match self.decide(labels, first + i as u64) {
                    Decision::Alarm => alarm += *mass,
                    Decision::Accept => accept += *mass,
                    Decision::Continue => continue,
                }
                expected += labels as f64 * *mass;
                *mass = 0.0;
            }
            let Some(start) = next.iter().position(|mass| *mass > 0.0) else {
                break;
            };
            let end = next.iter().rposition(|mass| *mass > 0.0).unwrap_or(start);
            first += start as u64;
            live = next[start..=end].to_vec();
            if live.iter().sum::<f64>() < UNDECIDED_TOLERANCE {
                break;
            }
        }
        Operating { alarm, accept, expected_labels: expected }
    }

    /// The test's figures at the target and at the drop.
    pub fn figures(&self) -> SprtFigures {
        let at_target = self.operating(self.p0);
        let at_drop = self.operating(self.p1);
        let arl0 = if at_target.alarm > 0.0 { at_target.expected_labels / at_target.alarm } else { f64::INFINITY };
        let arl1 = if at_drop.alarm > 0.0 { at_drop.expected_labels / at_drop.alarm } else { f64::INFINITY };
        SprtFigures {
            alpha_exact: at_target.alarm,
            beta_exact: at_drop.accept,
            alpha_bound: self.alpha / (1.0 - self.beta),
            at_target,
            at_drop,
            arl0,
            arl1,
        }
    }
}

/// The repeated SPRT as a monitor: feed labels in order, get decisions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SprtMonitor {
    pub test: Sprt,
    /// Labels since the current test started.
    pub labels: u64,
    /// Wrong labels since the current test started.
    pub wrong: u64,
}

impl SprtMonitor {
    pub fn new(test: Sprt) -> SprtMonitor {
        SprtMonitor { test, labels: 0, wrong: 0 }
    }

    /// Adds one label; on Alarm or Accept the next label starts a new test.
    pub fn observe(&mut self, correct: bool) -> Decision {
        self.labels += 1;
        self.wrong += u64::from(!correct);
        let decision = self.test.decide(self.labels, self.wrong);
        if decision != Decision::Continue {
            self.labels = 0;
            self.wrong = 0;
        }
        decision
    }

    /// The current log-likelihood ratio (for status screens).
    pub fn llr(&self) -> f64 {
        self.test.llr(self.labels, self.wrong)
    }
}
