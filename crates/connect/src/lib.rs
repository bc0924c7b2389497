//! prodline's connectors to the outside: targets that post canonical orders
//! into an ERP. The SQL target fills a legacy ERP's header and line tables on
//! SQLite, PostgreSQL or MariaDB through a declarative column mapping; the
//! Tryton target creates and confirms sales over JSON-RPC; the file-drop
//! target writes one file per order into a folder. All three return
//! `Result<Delivery, DeliveryError>`, so the runtime treats them alike.
//!
//! Architecture Invariant: delivery is at-least-once made idempotent: each
//! delivery records its idempotency key in the same transaction as the rows,
//! so a repeat yields `Delivery::AlreadyPosted` instead of a second order.
//! Values are always bound as parameters; only validated identifiers reach SQL text.

pub mod config;
pub mod dialect;
pub mod error;
pub mod file_drop;
pub mod idempotency;
pub mod mapping;
pub mod sql_target;
pub mod tryton;

pub use config::{ColumnSource, ConfigError, ConfigErrors, DatabaseUrl, HeaderKeyConfig, SourceSpec, SqlTargetConfig};
pub use dialect::Dialect;
pub use error::{BuildError, DeliveryError, HealthcheckError, MissingObject};
pub use idempotency::idempotency_key;
pub use mapping::MappingError;
pub use sql_target::{Delivery, SqlTarget};
