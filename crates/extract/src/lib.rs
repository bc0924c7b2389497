//! From bytes to canonical orders and a decision.
//!
//! `process` = parse (prodline-formats) → resolve against master data →
//! validate → decide. Everything here is synchronous and deterministic;
//! the only state is the [`Memory`] the caller hands in.

pub mod master;
pub mod memory;
pub mod pipeline;

pub use master::{MasterData, MasterDataError};
pub use memory::Memory;
pub use pipeline::{Context, DecisionConfig, Outcome, ResolvedOrder, process};
