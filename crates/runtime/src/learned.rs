//! What a workflow's memory learned from reviewed outcomes, for a person to
//! see and, where a lesson was wrong, to take back (`prodline learned list |
//! forget`). Forgetting is a compare-and-set on the memory snapshot like any
//! other save, and an audit event with its actor.

use prodline_extract::{Learned, Memory};
use prodline_store::{EventKind, Store, StoreError};
use serde_json::json;

use crate::memory;

/// Everything the workflow's memory has learned, in the order it learned it.
pub async fn list<S: Store>(store: &S, workflow: &str) -> Result<Vec<Learned>, StoreError> {
    let (memory, _) = memory::load(store, workflow).await?;
    Ok(memory.learned())
}

/// Removes the `number`th learned item (1-based, as `list` shows it) and
/// records `MemoryForgotten` with `actor`. `None` when there is no such item.
pub async fn forget<S: Store>(
    store: &S,
    workflow: &str,
    number: usize,
    actor: &str,
) -> Result<Option<Learned>, StoreError> {
    let (mut memory, mut version) = memory::load(store, workflow).await?;
    let Some(item) = number.checked_sub(1).and_then(|i| memory.learned().get(i).cloned()) else {
        return Ok(None);
    };
    let take_back = |memory: &mut Memory| {
        memory.forget(&item);
    };
    take_back(&mut memory);
    memory::save(store, workflow, &mut memory, &mut version, take_back).await?;
    let details = json!({
        "workflow": workflow,
        "kind": item.kind,
        "customer_id": item.customer_id,
        "key": item.key,
        "value": item.value,
        "from_doc": item.from_doc,
    });
    store.record_event(None, EventKind::MemoryForgotten, actor, details).await?;
    Ok(Some(item))
}
