//! From bytes to canonical orders and a decision.
//!
//! `process` = read (prodline-formats, or text through an extractor:
//! [`read`]) → resolve against master data →
//! validate → decide. Everything here is synchronous and deterministic;
//! the only state is the [`Memory`] the caller hands in.
//!
//! Architecture Invariant: resolution and validation work on
//! [`prodline_core::ParsedDocument`] values ([`resolve_document`]), so they
//! know nothing about formats; only [`process`] calls a reader.

pub mod master;
pub mod memory;
pub mod model;
pub mod normalize;
pub mod pipeline;
pub mod read;
pub mod resolve;
pub mod text;
pub mod validate;

pub use master::{MasterData, MasterDataError};
pub use memory::{Learned, LearnedKind, Memory};
pub use model::{Extractors, Model, ModelError, ModelInput, ModelOutput};
pub use pipeline::{Context, DecisionConfig, Outcome, ResolvedOrder, decide, process, process_with, resolve_document};
pub use read::{Reading, model_document};
