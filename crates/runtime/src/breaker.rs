//! The circuit breaker in front of each target: when the ERP is down, stop
//! knocking, and do not let the outage use up the deliveries' retry budget.
//!
//! Closed: deliveries go through; `threshold` transient failures in a row open
//! the circuit. Open: due deliveries are not attempted (and so not counted as
//! attempts) until the cool-down has passed. Then one trial delivery
//! (half-open) decides: success closes the circuit, a transient failure opens
//! it again for twice the cool-down, up to `max_cool_down`. A refusal by the
//! ERP (`Rejected`) proves the ERP is up and counts as a success here; a
//! delivery that never reached the ERP (unmappable order) counts as nothing.
//!
//! Pure state driven by the times it is given, so tests step a clock.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

/// When the circuit opens and how long it stays open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerSettings {
    /// Transient failures in a row that open the circuit.
    pub threshold: u32,
    /// The first cool-down; doubled each time a half-open trial fails.
    pub cool_down: TimeDelta,
    /// The longest cool-down.
    pub max_cool_down: TimeDelta,
}

impl Default for BreakerSettings {
    /// Five failures, one minute, doubling to at most fifteen minutes.
    fn default() -> Self {
        BreakerSettings { threshold: 5, cool_down: TimeDelta::seconds(60), max_cool_down: TimeDelta::minutes(15) }
    }
}

/// Where a circuit stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "circuit", rename_all = "snake_case")]
pub enum CircuitState {
    /// Deliveries go through.
    Closed,
    /// No delivery is attempted before `until`.
    Open { until: DateTime<Utc> },
    /// One trial delivery is under way; its outcome closes or reopens the circuit.
    HalfOpen,
}

/// What the breaker says about the next due delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permit {
    /// Deliver it.
    Attempt,
    /// Deliver it as the half-open trial.
    Trial,
    /// Leave it for a later pass; it is not an attempt.
    Wait,
}

/// A change of state worth an event in the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Opened (from closed, or again after a failed trial), with the failures in a row.
    Opened { until: DateTime<Utc>, failures: u32 },
    /// Closed by a trial that went through.
    Closed,
}

/// One target's circuit.
#[derive(Debug, Clone)]
pub struct Breaker {
    settings: BreakerSettings,
    state: CircuitState,
    /// Transient failures in a row, trials included.
    failures: u32,
    /// The cool-down of the current or last opening.
    cool_down: TimeDelta,
}

impl Breaker {
    /// A closed circuit.
    pub fn new(settings: BreakerSettings) -> Breaker {
        Breaker { settings, state: CircuitState::Closed, failures: 0, cool_down: settings.cool_down }
    }

    /// The current state.
    pub fn state(&self) -> CircuitState {
        self.state
    }

    /// Whether a delivery asked for at `now` would have to wait; unlike
    /// [`Breaker::permit`] it hands out nothing (no half-open trial).
    pub fn holds(&self, now: DateTime<Utc>) -> bool {
        match self.state {
            CircuitState::Closed => false,
            CircuitState::Open { until } => now < until,
            CircuitState::HalfOpen => true,
        }
    }

    /// Whether a due delivery may be tried at `now`; after the cool-down the
    /// first caller gets the trial and the circuit is half-open until it reports.
    pub fn permit(&mut self, now: DateTime<Utc>) -> Permit {
        match self.state {
            CircuitState::Closed => Permit::Attempt,
            CircuitState::Open { until } if now >= until => {
                self.state = CircuitState::HalfOpen;
                Permit::Trial
            }
            CircuitState::Open { .. } | CircuitState::HalfOpen => Permit::Wait,
        }
    }

    /// The target answered (posted, or refused the order).
    pub fn succeeded(&mut self) -> Option<Transition> {
        self.failures = 0;
        self.cool_down = self.settings.cool_down;
        let was = std::mem::replace(&mut self.state, CircuitState::Closed);
        (was != CircuitState::Closed).then_some(Transition::Closed)
    }

    /// The permitted delivery never reached the target (its order could not
    /// be mapped, say): it proves nothing, so a trial goes to the next one.
    pub fn untried(&mut self, now: DateTime<Utc>) {
        if self.state == CircuitState::HalfOpen {
            self.state = CircuitState::Open { until: now };
        }
    }

    /// The target failed transiently at `now`.
    pub fn failed(&mut self, now: DateTime<Utc>) -> Option<Transition> {
        self.failures = self.failures.saturating_add(1);
        let cool_down = match self.state {
            CircuitState::HalfOpen => self.cool_down.checked_mul(2).unwrap_or(self.settings.max_cool_down),
            CircuitState::Closed if self.failures >= self.settings.threshold => self.settings.cool_down,
            CircuitState::Closed | CircuitState::Open { .. } => return None,
        };
        self.cool_down = cool_down.min(self.settings.max_cool_down);
        let until = now.checked_add_signed(self.cool_down).unwrap_or(now);
        self.state = CircuitState::Open { until };
        Some(Transition::Opened { until, failures: self.failures })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> DateTime<Utc> {
        DateTime::from_timestamp(1_772_000_000, 0).unwrap_or_default()
    }

    fn seconds(n: i64) -> TimeDelta {
        TimeDelta::seconds(n)
    }

    #[test]
    fn opens_after_threshold_failures_in_a_row_and_waits_out_the_cool_down() {
        let mut breaker = Breaker::new(BreakerSettings::default());
        let t = start();
        for _ in 0..4 {
            assert_eq!(breaker.permit(t), Permit::Attempt);
            assert_eq!(breaker.failed(t), None);
        }
        assert_eq!(breaker.permit(t), Permit::Attempt);
        assert_eq!(breaker.failed(t), Some(Transition::Opened { until: t + seconds(60), failures: 5 }));
        assert_eq!(breaker.permit(t), Permit::Wait);
        assert_eq!(breaker.permit(t + seconds(59)), Permit::Wait);
        assert_eq!(breaker.state(), CircuitState::Open { until: t + seconds(60) });
    }

    #[test]
    fn a_success_between_failures_starts_the_count_again() {
        let mut breaker = Breaker::new(BreakerSettings::default());
        let t = start();
        for _ in 0..4 {
            breaker.failed(t);
        }
        assert_eq!(breaker.succeeded(), None);
        for _ in 0..4 {
            assert_eq!(breaker.failed(t), None);
        }
        assert_eq!(breaker.state(), CircuitState::Closed);
    }

    #[test]
    fn after_the_cool_down_one_trial_decides_and_success_closes() {
        let mut breaker = Breaker::new(BreakerSettings::default());
        let t = start();
        for _ in 0..5 {
            breaker.failed(t);
        }
        let later = t + seconds(60);
        assert_eq!(breaker.permit(later), Permit::Trial);
        assert_eq!(breaker.state(), CircuitState::HalfOpen);
        assert_eq!(breaker.permit(later), Permit::Wait, "only one trial at a time");
        assert_eq!(breaker.succeeded(), Some(Transition::Closed));
        assert_eq!(breaker.permit(later), Permit::Attempt);
        // Closed again from scratch: it takes five failures to open once more.
        for _ in 0..4 {
            assert_eq!(breaker.failed(later), None);
        }
        assert_eq!(breaker.failed(later), Some(Transition::Opened { until: later + seconds(60), failures: 5 }));
    }

    #[test]
    fn a_trial_that_never_reached_the_target_passes_the_trial_on() {
        let mut breaker = Breaker::new(BreakerSettings::default());
        let t = start();
        for _ in 0..5 {
            breaker.failed(t);
        }
        let later = t + seconds(60);
        assert_eq!(breaker.permit(later), Permit::Trial);
        breaker.untried(later);
        assert_eq!(breaker.permit(later), Permit::Trial);
        assert_eq!(breaker.succeeded(), Some(Transition::Closed));
        breaker.untried(later);
        assert_eq!(breaker.state(), CircuitState::Closed, "untried changes nothing when closed");
    }

    #[test]
    fn a_failed_trial_reopens_for_twice_as_long_up_to_the_cap() {
        let settings = BreakerSettings { threshold: 2, cool_down: seconds(60), max_cool_down: seconds(200) };
        let mut breaker = Breaker::new(settings);
        let mut t = start();
        breaker.failed(t);
        assert!(matches!(breaker.failed(t), Some(Transition::Opened { .. })));
        for expected in [120, 200, 200] {
            t = match breaker.state() {
                CircuitState::Open { until } => until,
                other => panic!("expected open, found {other:?}"),
            };
            assert_eq!(breaker.permit(t), Permit::Trial);
            let Some(Transition::Opened { until, .. }) = breaker.failed(t) else { panic!("the trial reopens") };
            assert_eq!(until - t, seconds(expected));
        }
    }
}
