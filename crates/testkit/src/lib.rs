//! Support for prodline's invariant tests and `prodline bench e2e`:
//! a [`fault_proxy::FaultProxy`] that takes a target down in the ways real
//! ones go down, and [`orders`], documents the example deployment decides in
//! a known way; and [`fake_openai::FakeOpenAi`], a stand-in for a paid
//! hosted chat-completions API.

pub mod fake_openai;
pub mod fault_proxy;
pub mod orders;
