//! Drift: has a source's recent window moved away from its reference window?
//!
//! Accuracy is measured from labels, and labels come late and few; a
//! customer that changes its PO format shows up in accuracy only after
//! enough of its orders have been reviewed. What moves at once is the shape
//! of its documents. So each source is watched on four signals, each
//! comparing a recent window with a reference window:
//!
//! | signal | statistic | default threshold |
//! | --- | --- | --- |
//! | layout fingerprint mix ([`Layout`]) | Jensen–Shannon, base 2 | 0.1 |
//! | field presence rates | largest absolute change | 0.2 |
//! | match rate (lines resolved exactly) | drop | 0.1 |
//! | confidence (10 fixed bins) | population stability index | 0.2 |
//!
//! [`DriftCheck::run`] returns every signal with its value and whether it
//! fired; a source with any fired signal is `drifting` and should drop to
//! review until its owner accepts the new layout as the reference.
//!
//! Everything here is a pure function of the observations handed in; the
//! caller chooses the windows (e.g. the last 30 days before the last 7 as
//! reference, the last 7 as recent).

mod check;
mod divergence;
mod layout;

pub use check::{
    CONFIDENCE_MIN_DOCUMENTS, DriftCheck, DriftConfig, DriftReport, MIN_Z, NEW_INTERCHANGE_DOCUMENTS, Observation,
    Signal, SignalKind, Window, two_proportion_z,
};
pub use divergence::{CategoryCounts, ConfidenceBins, PSI_EPSILON, jensen_shannon, psi};
pub use layout::{Layout, line_fields, line_shape, order_fields, value_shape};
