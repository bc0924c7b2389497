//! Proportions with their 95 % Wilson score interval.

use serde::{Deserialize, Serialize};

/// z for a two-sided 95 % interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// A proportion `successes / trials` with its 95 % Wilson interval.
/// With no trials the rate is `None` and the interval is [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Proportion {
    pub successes: u64,
    pub trials: u64,
    pub rate: Option<f64>,
    pub low: f64,
    pub high: f64,
}

impl Proportion {
    pub fn new(successes: u64, trials: u64) -> Proportion {
        let (low, high) = wilson_interval(successes, trials, Z95);
        let rate = (trials > 0).then(|| successes as f64 / trials as f64);
        Proportion { successes, trials, rate, low, high }
    }
}

/// Wilson score interval for `successes` out of `trials` at `z`.
pub fn wilson_interval(successes: u64, trials: u64, z: f64) -> (f64, f64) {
    if trials == 0 {
        return (0.0, 1.0);
    }
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = z * ((p * (1.0 - p) / n) + z2 / (4.0 * n * n)).sqrt() / denominator;
    // At p = 0 or 1 the bound is exactly 0 or 1; rounding would miss it.
    let low = if successes == 0 { 0.0 } else { (centre - half).max(0.0) };
    let high = if successes == trials { 1.0 } else { (centre + half).min(1.0) };
    (low, high)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_published_values() {
        // 81 of 263: the worked example of Wilson's interval, 0.2553 to 0.3662.
        let (lo, hi) = wilson_interval(81, 263, Z95);
        assert!((lo - 0.2553).abs() < 1e-4, "{lo}");
        assert!((hi - 0.3662).abs() < 1e-4, "{hi}");
        let (lo, hi) = wilson_interval(10, 10, Z95);
        assert!((lo - 0.7225).abs() < 1e-4, "{lo}");
        assert_eq!(hi, 1.0);
        assert_eq!(wilson_interval(0, 0, Z95), (0.0, 1.0));
    }
}
