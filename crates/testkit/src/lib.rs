//! Test support for prodline's invariant tests, never linked into the binary:
//! a [`fault_proxy::FaultProxy`] that takes a target down in the ways real
//! ones go down, and [`orders`], documents the example deployment decides in
//! a known way.

pub mod fault_proxy;
pub mod orders;
