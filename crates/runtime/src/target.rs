//! One workflow's target, whichever kind the config names, behind one
//! `deliver`: the SQL, Tryton and file-drop targets of crates/connect.
//!
//! Every delivery is bounded in time: a target that accepts the connection
//! and never answers fails the attempt as transient after [`DELIVERY_TIMEOUT`]
//! (SQL: the pool's acquire timeout catches a server that hangs at connect or
//! ping; this bound catches one that hangs mid-statement. Tryton: each
//! JSON-RPC call is bounded by its `timeout_seconds`, and the whole sequence
//! of about ten calls by [`TRYTON_CALLS_PER_DELIVERY`] of them, if that is
//! longer than [`DELIVERY_TIMEOUT`]). Dropping a delivery cut off mid-way rolls its SQL transaction
//! back; a Tryton sale left unconfirmed is found by its PO and finished by the
//! retry.

use std::sync::Arc;
use std::time::Duration;

use prodline_config::TargetConfig;
use prodline_connect::file_drop::{FileDropBuildError, FileDropTarget};
use prodline_connect::tryton::{TrytonBuildError, TrytonTarget};
use prodline_connect::{BuildError, Delivery, DeliveryError, SqlTarget};
use prodline_core::CanonicalOrder;

/// The longest one delivery may take before it counts as a transient failure.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(120);
/// Tryton calls' timeouts one delivery may use up: a delivery makes about ten calls.
pub const TRYTON_CALLS_PER_DELIVERY: u32 = 10;

/// Why a target could not be built, by kind.
#[derive(Debug, thiserror::Error)]
pub enum TargetBuildError {
    #[error(transparent)]
    Sql(#[from] BuildError),
    #[error(transparent)]
    Tryton(#[from] TrytonBuildError),
    #[error(transparent)]
    FileDrop(#[from] FileDropBuildError),
}

/// A built target.
pub(crate) enum Target {
    Sql(SqlTarget),
    /// With how long one delivery may take (see [`TRYTON_CALLS_PER_DELIVERY`]).
    Tryton(TrytonTarget, Duration),
    /// Shared with the blocking thread each delivery runs on.
    FileDrop(Arc<FileDropTarget>),
    /// A SQL target that could not be reached when the runtime started (IT
    /// patching the ERP server on a Tuesday): intake and decisions go on, and
    /// each delivery pass tries to connect again. `error` is the last reason.
    Unreachable {
        config: Box<TargetConfig>,
        error: String,
    },
}

impl Target {
    /// Connects (SQL) or prepares (Tryton: client and password; file drop:
    /// the folder, created when missing).
    pub(crate) async fn build(config: &TargetConfig) -> Result<Target, TargetBuildError> {
        Ok(match config {
            TargetConfig::Sql(sql) => Target::Sql(SqlTarget::build(sql).await?),
            TargetConfig::Tryton(tryton) => {
                let per_call = Duration::from_secs(tryton.timeout_seconds);
                let bound = per_call.saturating_mul(TRYTON_CALLS_PER_DELIVERY).max(DELIVERY_TIMEOUT);
                Target::Tryton(TrytonTarget::build(tryton)?, bound)
            }
            TargetConfig::FileDrop(drop) => Target::FileDrop(Arc::new(FileDropTarget::build(drop)?)),
        })
    }

    /// Like [`Target::build`], but a SQL target that cannot be reached yet is
    /// [`Target::Unreachable`] rather than an error; a wrong mapping or a
    /// missing table still is one (nothing would ever go in).
    pub(crate) async fn build_or_wait(config: &TargetConfig) -> Result<Target, TargetBuildError> {
        match Target::build(config).await {
            Err(TargetBuildError::Sql(BuildError::Unreachable { message })) => {
                Ok(Target::Unreachable { config: Box::new(config.clone()), error: message })
            }
            other => other,
        }
    }

    /// Connects a target that was unreachable; `Err` with the reason while it
    /// still is (or when it now turns out to be wrongly mapped).
    pub(crate) async fn ensure_connected(&mut self) -> Result<(), String> {
        let Target::Unreachable { config, .. } = self else { return Ok(()) };
        match Target::build_or_wait(config).await {
            Ok(Target::Unreachable { error, .. }) => {
                let message = format!("the target is unreachable: {error}");
                if let Target::Unreachable { error: last, .. } = self {
                    *last = error;
                }
                Err(message)
            }
            Ok(target) => {
                *self = target;
                Ok(())
            }
            Err(error) => Err(format!("the target cannot be used: {error}")),
        }
    }

    /// Posts one order under its idempotency key, within [`DELIVERY_TIMEOUT`].
    pub(crate) async fn deliver(&self, order: &CanonicalOrder, key: &str) -> Result<Delivery, DeliveryError> {
        let bound = self.bound();
        match tokio::time::timeout(bound, self.deliver_unbounded(order, key)).await {
            Ok(result) => result,
            Err(_) => Err(DeliveryError::Transient {
                message: format!("the target did not answer within {} seconds", bound.as_secs()),
            }),
        }
    }

    /// Several orders in one ERP transaction, all or nothing, within
    /// [`DELIVERY_TIMEOUT`]; `None` when the target posts one order at a
    /// time (Tryton, file drop, a target not reached yet).
    pub(crate) async fn deliver_batch(
        &self,
        orders: &[(&CanonicalOrder, &str)],
    ) -> Option<Result<Vec<Delivery>, DeliveryError>> {
        let Target::Sql(sql) = self else { return None };
        Some(match tokio::time::timeout(DELIVERY_TIMEOUT, sql.deliver_batch(orders)).await {
            Ok(result) => result,
            Err(_) => Err(DeliveryError::Transient {
                message: format!("the target did not answer within {} seconds", DELIVERY_TIMEOUT.as_secs()),
            }),
        })
    }

    /// How long one delivery may take.
    fn bound(&self) -> Duration {
        match self {
            Target::Tryton(_, bound) => *bound,
            Target::Sql(_) | Target::FileDrop(_) | Target::Unreachable { .. } => DELIVERY_TIMEOUT,
        }
    }

    async fn deliver_unbounded(&self, order: &CanonicalOrder, key: &str) -> Result<Delivery, DeliveryError> {
        match self {
            Target::Sql(sql) => sql.deliver(order, key).await,
            Target::Tryton(tryton, _) => tryton.deliver(order, key).await,
            Target::Unreachable { error, .. } => {
                Err(DeliveryError::Transient { message: format!("the target is unreachable: {error}") })
            }
            // Blocking writes and two fsyncs: off the async threads, which may
            // also be serving HTTP uploads in the same process.
            Target::FileDrop(drop) => {
                let (drop, order, key) = (Arc::clone(drop), order.clone(), key.to_owned());
                tokio::task::spawn_blocking(move || drop.deliver(&order, &key)).await.unwrap_or_else(|error| {
                    Err(DeliveryError::Transient { message: format!("the file-drop write did not finish: {error}") })
                })
            }
        }
    }

    /// Closes the SQL pool; the other targets hold no connection.
    pub(crate) async fn close(&self) {
        if let Target::Sql(sql) = self {
            sql.close().await;
        }
    }
}
