//! Accuracy ownership: the statistics behind SLOs and drift alarms.
//!
//! - [`slo`]: auto-approve accuracy against a target from late labels; the
//!   window rule people write ("below 90 % over the last 100 labelled") with
//!   its false-alarm probability at the target; a sequential test (SPRT /
//!   Bernoulli CUSUM) with a stated false-alarm rate; the error budget.
//! - [`drift`]: how far a source's recent window has moved from its
//!   reference (population stability index, Jensen–Shannon divergence) over
//!   layout fingerprints, field presence, match rates and confidence.
//! - [`liveness`]: business calendars and whether a feed has been silent
//!   longer than its learned or configured cadence allows.
//! - [`cost`]: cost per order and the month's spend against the budget
//!   line, with a forecast to month end.
//! - [`kpi`]: order-entry time saved, on its owner's scorecard.
//! - [`alert`]: alerts de-duplicated by key, fired once and resolved once.
//!
//! Architecture Invariant: this crate does no I/O; it computes from the
//! labels and outcomes the caller hands in, so every figure can be checked
//! by hand in a test.

pub mod alert;
pub mod cost;
pub mod drift;
pub mod kpi;
pub mod liveness;
pub mod slo;
