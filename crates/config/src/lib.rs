//! `prodline.toml`: one `[[workflow]]` per agent. [`Config::load`] validates a
//! file and lists every error with its key; [`check`] probes every source,
//! target and master-data folder; [`init`] scaffolds a working example.

mod check;
mod init;
mod load;
mod model;
mod watch;

pub use check::{CheckReport, Probe, check};
pub use init::{CONFIG_FILE, InitError, PlantScaffold, init, init_plant};
pub use model::{
    AcknowledgementsConfig, Config, ConfigError, ConfigErrors, DecisionPolicy, DecisionSettings, ExtractorConfig,
    FileDropConfig, FileDropFormat, Owner, ServerSettings, SourceConfig, StoreConfig, TargetConfig, WatchSettings,
    WorkflowConfig,
};
pub use watch::{BreachPolicy, DriftPolicy, DriftSettings, LivenessSettings, SloSettings};
