//! Outbox operations for a person: list deliveries (by target, status or
//! document), make a pending one due now, and replay a dead letter — the
//! only way out of `dead_lettered` — after the cause was fixed in the ERP.
//! The runtime's delivery step then posts and settles it as any other.

use chrono::{DateTime, Utc};
use prodline_store::{Delivery, DeliveryFilter, DeliveryId, Store, StoreError};

/// Outbox rows matching `filter`, oldest first.
pub async fn list<S: Store>(store: &S, filter: &DeliveryFilter, limit: u32) -> Result<Vec<Delivery>, StoreError> {
    store.deliveries(filter, limit).await
}

/// Makes a pending delivery due at `now` (logged as `DeliveryRetried` with
/// `actor`); returns it as it is now.
pub async fn retry<S: Store>(
    store: &S,
    id: DeliveryId,
    now: DateTime<Utc>,
    actor: &str,
) -> Result<Delivery, StoreError> {
    store.retry_delivery_now(id, now, actor).await?;
    store.delivery(id).await?.ok_or(StoreError::DeliveryNotFound(id))
}

/// Sends a dead-lettered delivery back to pending (attempts 0, due now) and
/// its document back to `approved` (logged as `DeliveryReplayed` with
/// `actor`); returns it as it is now.
pub async fn replay<S: Store>(store: &S, id: DeliveryId, actor: &str) -> Result<Delivery, StoreError> {
    store.replay_delivery(id, actor).await?;
    store.delivery(id).await?.ok_or(StoreError::DeliveryNotFound(id))
}
