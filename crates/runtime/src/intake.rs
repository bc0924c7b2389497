//! Folder intake: store first, then move the file out of the inbox.
//!
//! Architecture Invariant: a file leaves the inbox only after `Store::receive`
//! has committed its bytes; a crash in between leaves the file in place, and
//! the next pass receives it again as a duplicate (one document) and moves it.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chrono::{DateTime, TimeDelta, Utc};
use prodline_config::SourceConfig;
use prodline_store::{Received, Store};
use serde_json::json;

use crate::{Clock, RunSummary, RuntimeError, Workflow};

/// Where a stored file goes, and where one that could not be read goes.
pub(crate) const PROCESSED_DIR: &str = "processed";
pub(crate) const FAILED_DIR: &str = "failed";

/// A file's size and modification time at one look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Look {
    size: u64,
    modified: Option<SystemTime>,
    /// When this size and time were first seen.
    since: DateTime<Utc>,
}

/// The outbox and store name of a workflow's folder intake.
fn source_name(workflow: &str) -> String {
    format!("folder:{workflow}")
}

pub(crate) async fn intake<S: Store>(
    workflow: &mut Workflow,
    store: &S,
    clock: &dyn Clock,
    summary: &mut RunSummary,
) -> Result<(), RuntimeError> {
    let folders: Vec<(PathBuf, u64)> = workflow
        .config
        .sources
        .iter()
        .filter_map(|source| match source {
            SourceConfig::Folder { path, stable_seconds, .. } => Some((path.clone(), *stable_seconds)),
            _ => None,
        })
        .collect();
    for (folder, stable_seconds) in folders {
        for path in stable_files(workflow, &folder, stable_seconds, clock.now(), summary).await {
            take_file(workflow, store, clock, &folder, &path, summary).await?;
            workflow.looks.remove(&path);
        }
    }
    Ok(())
}

/// The inbox files whose size and time have held still for `stable_seconds`.
async fn stable_files(
    workflow: &mut Workflow,
    folder: &Path,
    stable_seconds: u64,
    now: DateTime<Utc>,
    summary: &mut RunSummary,
) -> Vec<PathBuf> {
    let mut entries = match tokio::fs::read_dir(folder).await {
        Ok(entries) => entries,
        Err(error) => {
            summary.problems.push(format!("{}: cannot list the inbox: {error}", folder.display()));
            return Vec::new();
        }
    };
    let stable_for = i64::try_from(stable_seconds).ok().and_then(TimeDelta::try_seconds).unwrap_or(TimeDelta::MAX);
    let mut stable = Vec::new();
    while let Ok(Some(entry)) = entries.next_entry().await {
        let path = entry.path();
        // Dot files are uploads in progress by convention; folders hold our own outputs.
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        let Ok(metadata) = tokio::fs::metadata(&path).await else { continue };
        if hidden || !metadata.is_file() {
            continue;
        }
        let look = Look { size: metadata.len(), modified: metadata.modified().ok(), since: now };
        if is_stable(workflow.looks.get(&path), look, now, stable_for) {
            stable.push(path);
        } else {
            remember(&mut workflow.looks, path, look);
        }
    }
    stable.sort();
    stable
}

/// Stable when nothing wrote to it for `stable_for` (its time is that old),
/// or when an earlier look that long ago saw the same size and time.
fn is_stable(previous: Option<&Look>, look: Look, now: DateTime<Utc>, stable_for: TimeDelta) -> bool {
    if stable_for <= TimeDelta::zero() {
        return true;
    }
    if let Some(modified) = look.modified
        && now.signed_duration_since(DateTime::<Utc>::from(modified)) >= stable_for
    {
        return true;
    }
    previous.is_some_and(|seen| {
        seen.size == look.size && seen.modified == look.modified && now.signed_duration_since(seen.since) >= stable_for
    })
}

/// Keeps the first look at an unchanged file, so its stable time keeps growing.
fn remember(looks: &mut std::collections::HashMap<PathBuf, Look>, path: PathBuf, look: Look) {
    let unchanged = looks.get(&path).is_some_and(|seen| seen.size == look.size && seen.modified == look.modified);
    if !unchanged {
        looks.insert(path, look);
    }
}

async fn take_file<S: Store>(
    workflow: &Workflow,
    store: &S,
    clock: &dyn Clock,
    folder: &Path,
    path: &Path,
    summary: &mut RunSummary,
) -> Result<(), RuntimeError> {
    let file_name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let bytes = match tokio::fs::read(path).await {
        Ok(bytes) => bytes,
        Err(error) => {
            summary.problems.push(format!("{}: cannot read: {error}; moved to {FAILED_DIR}/", path.display()));
            move_into(folder, FAILED_DIR, path, &file_name, summary).await;
            return Ok(());
        }
    };
    let received = Received {
        source: source_name(&workflow.config.name),
        file_name: file_name.clone(),
        received_at: clock.now(),
        from: None,
        bytes,
        meta: json!({ "workflow": workflow.config.name, "path": path.display().to_string() }),
    };
    // Durable first: the file is moved only after this commit.
    let receipt = store.receive(received).await?;
    if !receipt.duplicate {
        summary.received += 1;
    }
    move_into(folder, PROCESSED_DIR, path, &file_name, summary).await;
    Ok(())
}

/// Moves `path` into `folder/sub/`, under a new name when one is taken, so an
/// earlier file of the same name is never overwritten.
async fn move_into(folder: &Path, sub: &str, path: &Path, file_name: &str, summary: &mut RunSummary) {
    let dir = folder.join(sub);
    if let Err(error) = tokio::fs::create_dir_all(&dir).await {
        summary.problems.push(format!("{}: cannot create: {error}", dir.display()));
        return;
    }
    let mut destination = dir.join(file_name);
    let mut copy = 1;
    while tokio::fs::try_exists(&destination).await.unwrap_or(false) {
        destination = dir.join(format!("{file_name}.{copy}"));
        copy += 1;
    }
    if let Err(error) = tokio::fs::rename(path, &destination).await {
        summary.problems.push(format!("{}: cannot move to {}: {error}", path.display(), destination.display()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap_or_default()
    }

    fn look(size: u64, since: DateTime<Utc>) -> Look {
        // A modification time far in the future: only the two-look rule can pass.
        let modified = SystemTime::UNIX_EPOCH.checked_add(std::time::Duration::from_secs(4_000_000_000));
        Look { size, modified, since }
    }

    #[test]
    fn a_file_is_stable_after_two_equal_looks_stable_seconds_apart() {
        let two = TimeDelta::seconds(2);
        let first = look(10, at(0));
        assert!(!is_stable(None, first, at(0), two));
        assert!(!is_stable(Some(&first), look(10, at(1)), at(1), two));
        assert!(is_stable(Some(&first), look(10, at(2)), at(2), two));
        assert!(!is_stable(Some(&first), look(11, at(3)), at(3), two), "a grown file starts over");
    }

    #[test]
    fn zero_stable_seconds_takes_every_file_and_an_old_file_is_stable_at_once() {
        assert!(is_stable(None, look(1, at(0)), at(0), TimeDelta::zero()));
        let old = Look { size: 1, modified: Some(SystemTime::UNIX_EPOCH), since: at(0) };
        assert!(is_stable(None, old, at(0), TimeDelta::seconds(2)));
    }

    #[test]
    fn remember_keeps_the_first_look_at_an_unchanged_file() {
        let mut looks = std::collections::HashMap::new();
        let path = PathBuf::from("inbox/a.x12");
        remember(&mut looks, path.clone(), look(5, at(0)));
        remember(&mut looks, path.clone(), look(5, at(9)));
        assert_eq!(looks.get(&path).map(|l| l.since), Some(at(0)));
        remember(&mut looks, path.clone(), look(6, at(9)));
        assert_eq!(looks.get(&path).map(|l| l.since), Some(at(9)));
    }
}
