//! When a transiently failed delivery is tried again.

use std::hash::{DefaultHasher, Hash, Hasher};

use chrono::TimeDelta;

/// Attempts after which a delivery that keeps failing transiently is dead-lettered.
pub const MAX_ATTEMPTS: i32 = 8;
const BASE_SECONDS: i64 = 30;
const CAP_SECONDS: i64 = 3600;

/// The wait after the `attempts`-th failed attempt (1-based): 30 s doubled per
/// attempt, plus up to a quarter more of jitter, never above one hour. The
/// jitter is derived from the delivery id, so that deliveries failing together
/// (the ERP went down) spread out, and a test can predict it.
pub fn retry_delay(delivery_id: i64, attempts: i32) -> TimeDelta {
    let doublings = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(16);
    let base = BASE_SECONDS.saturating_mul(1_i64 << doublings).min(CAP_SECONDS);
    let mut hasher = DefaultHasher::new();
    (delivery_id, attempts).hash(&mut hasher);
    let spread = u64::try_from(base / 4 + 1).unwrap_or(1);
    let jitter = i64::try_from(hasher.finish() % spread).unwrap_or(0);
    TimeDelta::seconds(base.saturating_add(jitter).min(CAP_SECONDS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_doubles_within_its_jitter_and_stops_at_the_cap() {
        for id in [1, 7, 1_000_003] {
            let first = retry_delay(id, 1).num_seconds();
            assert!((30..=37).contains(&first), "first retry after {first} s");
            let third = retry_delay(id, 3).num_seconds();
            assert!((120..=150).contains(&third), "third retry after {third} s");
            assert_eq!(retry_delay(id, 20).num_seconds(), CAP_SECONDS);
            assert_eq!(retry_delay(id, i32::MAX).num_seconds(), CAP_SECONDS);
        }
    }

    #[test]
    fn jitter_spreads_deliveries_that_failed_together() {
        let delays: std::collections::BTreeSet<i64> = (0..50).map(|id| retry_delay(id, 2).num_seconds()).collect();
        assert!(delays.len() > 5, "only {} distinct delays", delays.len());
    }

    #[test]
    fn nonsense_attempt_counts_wait_the_base_delay() {
        assert!((30..=37).contains(&retry_delay(3, 0).num_seconds()));
        assert!((30..=37).contains(&retry_delay(3, -5).num_seconds()));
    }
}
