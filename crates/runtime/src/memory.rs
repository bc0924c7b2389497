//! The workflow's learning memory in the store: one JSON snapshot per
//! workflow, saved with compare-and-set on its version. A processing step
//! starts from the newest snapshot and saves after itself; a process that
//! loses the race reloads and applies again what it did (the outcomes it
//! observed, the correction it learned), so lessons from `prodline review
//! correct` reach a running runtime and workers share duplicate detection.

use prodline_extract::Memory;
use prodline_store::{Store, StoreError};

/// Lost races in a row before a save gives up (each one means another
/// process saved in between, so this is never reached by mere contention).
const MAX_RACES: u32 = 32;

/// Replaces `memory` by the stored snapshot when that is newer than `version`.
pub(crate) async fn refresh<S: Store>(
    store: &S,
    workflow: &str,
    memory: &mut Memory,
    version: &mut i64,
) -> Result<(), StoreError> {
    if let Some((stored, snapshot)) = store.load_memory(workflow).await?
        && stored > *version
    {
        *memory = decode(stored, snapshot)?;
        *version = stored;
    }
    Ok(())
}

/// The newest stored memory of `workflow` and its version (empty and 0 before the first save).
pub(crate) async fn load<S: Store>(store: &S, workflow: &str) -> Result<(Memory, i64), StoreError> {
    match store.load_memory(workflow).await? {
        Some((version, snapshot)) => Ok((decode(version, snapshot)?, version)),
        None => Ok((Memory::default(), 0)),
    }
}

/// Saves `memory`, which is the snapshot of `version` with `apply` done to
/// it. On a lost race it reloads the newer snapshot, does `apply` to that,
/// and tries again; `memory` and `version` end as stored.
pub(crate) async fn save<S: Store>(
    store: &S,
    workflow: &str,
    memory: &mut Memory,
    version: &mut i64,
    apply: impl Fn(&mut Memory),
) -> Result<(), StoreError> {
    for _ in 0..MAX_RACES {
        if store.save_memory(workflow, *version, encode(*version, memory)?).await? {
            *version += 1;
            return Ok(());
        }
        (*memory, *version) = load(store, workflow).await?;
        apply(memory);
    }
    Err(StoreError::Config {
        setting: "memory",
        problem: format!("workflow {workflow}: lost {MAX_RACES} saves in a row to other processes"),
    })
}

fn decode(version: i64, snapshot: serde_json::Value) -> Result<Memory, StoreError> {
    serde_json::from_value(snapshot).map_err(|error| StoreError::Corrupt {
        table: "memories",
        row: version,
        column: "memory",
        problem: format!("not a memory of this version of prodline: {error}"),
    })
}

fn encode(version: i64, memory: &Memory) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(memory).map_err(|error| StoreError::Corrupt {
        table: "memories",
        row: version,
        column: "memory",
        problem: format!("the memory cannot be written as JSON: {error}"),
    })
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use prodline_store::SqliteStore;
    use serde_json::json;

    use super::*;

    /// A memory holding one received order of customer C1, PO `po`, from document `doc`.
    fn memory_with(po: &str, doc: &str) -> serde_json::Value {
        let order = json!({ "doc": doc, "received_at": null, "revision": false, "lines_fingerprint": "" });
        json!({ "received": { "C1": { po: [order] } }, "quantities": {}, "learned": [] })
    }

    #[tokio::test]
    async fn a_lost_save_reloads_the_other_process_memory_and_applies_again() -> Result<(), StoreError> {
        let store = SqliteStore::open_in_memory().await?;
        // Another process saved first; this one still holds the empty memory of version 0.
        assert!(store.save_memory("orders", 0, memory_with("PO-A", "a.edi")).await?);
        let mut memory = decode(0, memory_with("PO-B", "b.edi"))?;
        let mut version = 0;
        let applied = Cell::new(0);
        save(&store, "orders", &mut memory, &mut version, |reloaded| {
            applied.set(applied.get() + 1);
            assert_eq!(reloaded.received("C1", "PO-A").len(), 1, "applied to the other process's memory");
        })
        .await?;
        assert_eq!((applied.get(), version), (1, 2));
        let Some((stored, _)) = store.load_memory("orders").await? else { panic!("nothing stored") };
        assert_eq!(stored, 2);

        // Refresh takes only a newer snapshot.
        let mut other = Memory::default();
        let mut seen = 2;
        refresh(&store, "orders", &mut other, &mut seen).await?;
        assert!(other.received("C1", "PO-A").is_empty(), "version 2 is not newer than 2");
        seen = 1;
        refresh(&store, "orders", &mut other, &mut seen).await?;
        assert_eq!((other.received("C1", "PO-A").len(), seen), (1, 2));
        Ok(())
    }

    #[tokio::test]
    async fn a_snapshot_that_is_not_a_memory_is_named_as_corrupt() -> Result<(), StoreError> {
        let store = SqliteStore::open_in_memory().await?;
        assert!(store.save_memory("orders", 0, json!({ "received": 7 })).await?);
        let error = load(&store, "orders").await.err().map(|error| error.to_string()).unwrap_or_default();
        assert!(error.contains("memories") && error.contains("memory"), "{error}");
        Ok(())
    }
}
