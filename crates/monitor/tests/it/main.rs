//! prodline-monitor's one integration-test binary.

mod alert;
mod cost;
mod drift;
mod kpi;
mod liveness;
mod slo;
