//! Drift per feed: each feed's last documents against the ones before them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use prodline_config::DriftSettings;
use prodline_monitor::drift::{DriftCheck, DriftReport, Window};
use serde::Serialize;

use super::ledger::Entry;
use super::record::Watch;

/// One feed's drift check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedDrift {
    pub feed: String,
    /// Documents of the feed decided so far (as of the check).
    pub documents: u64,
    pub reference: u64,
    pub recent: u64,
    pub report: DriftReport,
    /// Decision time of the newest document checked.
    pub last_decided: DateTime<Utc>,
}

/// Every feed's check, by feed. `accepted` holds, per feed, when its owner
/// accepted its current layout: the reference then starts after it.
pub fn assess(
    settings: &DriftSettings,
    documents: &[(&Entry, &Watch)],
    accepted: &BTreeMap<String, DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Vec<FeedDrift> {
    let mut feeds: BTreeMap<&str, Vec<&Watch>> = BTreeMap::new();
    for (_, watch) in documents.iter().filter(|(_, watch)| watch.decided_at <= now) {
        feeds.entry(watch.feed.as_str()).or_default().push(watch);
    }
    let check = DriftCheck::new(settings.check());
    feeds
        .into_iter()
        .filter_map(|(feed, mut watches)| {
            watches.sort_by_key(|watch| watch.decided_at);
            let last_decided = watches.last()?.decided_at;
            let total = watches.len() as u64;
            if let Some(at) = accepted.get(feed) {
                watches.retain(|watch| watch.decided_at > *at);
            }
            let split = watches.len().saturating_sub(settings.recent as usize);
            let (before, recent) = watches.split_at(split);
            let reference_start = before.len().saturating_sub(settings.reference as usize);
            let reference: Window = before[reference_start..].iter().map(|watch| &watch.observation).collect();
            let recent: Window = recent.iter().map(|watch| &watch.observation).collect();
            Some(FeedDrift {
                feed: feed.to_owned(),
                documents: total,
                reference: reference.documents,
                recent: recent.documents,
                report: check.run(&reference, &recent),
                last_decided,
            })
        })
        .collect()
}
