//! What a run is measured by: the audit trail (receipt and posting times per
//! order), the ERP's own rows, and the operating system's accounting of the
//! processes (CPU time, peak resident memory) from `/proc`.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use prodline_store::{DeliveryFilter, DeliveryStatus, DocumentId, EventId, EventKind, Store, StoreError};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AssertSqlSafe, Connection, SqliteConnection};

/// Events read per query while walking the audit trail.
const PAGE: u32 = 5_000;

/// Receipt → ERP commit, per order, from the audit trail.
#[derive(Debug, Clone, Default)]
pub(crate) struct Trail {
    /// The first `DocumentReceived`.
    pub first_receipt: Option<DateTime<Utc>>,
    /// The last posting (the event with the ERP's key, logged right after the ERP commit).
    pub last_posting: Option<DateTime<Utc>>,
    /// Milliseconds from the document's receipt to each of its orders' posting, sorted.
    pub latencies_ms: Vec<f64>,
}

impl Trail {
    pub fn wall_seconds(&self) -> f64 {
        match (self.first_receipt, self.last_posting) {
            (Some(first), Some(last)) => (last - first).num_microseconds().unwrap_or(0) as f64 / 1e6,
            _ => 0.0,
        }
    }

    /// The `q` quantile (0..=1) of the latencies, nearest rank.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.latencies_ms.is_empty() {
            return 0.0;
        }
        let rank = (q * self.latencies_ms.len() as f64).ceil() as usize;
        self.latencies_ms[rank.clamp(1, self.latencies_ms.len()) - 1]
    }
}

/// Walks the whole audit trail once. A posting marked `already_posted` is a
/// repeat the ERP refused as such, not an order entered, and is not counted.
pub(crate) async fn trail<S: Store>(store: &S) -> Result<Trail, StoreError> {
    let mut received: HashMap<DocumentId, DateTime<Utc>> = HashMap::new();
    let mut postings: Vec<(DocumentId, DateTime<Utc>)> = Vec::new();
    let mut after = EventId(0);
    loop {
        let page = store.events_since(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for event in page {
            let Some(document) = event.document_id else { continue };
            match event.kind {
                EventKind::DocumentReceived => {
                    received.insert(document, event.at);
                }
                EventKind::OutcomeRecorded | EventKind::DeliveryPosted if is_posting(&event.details) => {
                    postings.push((document, event.at));
                }
                _ => {}
            }
        }
    }
    let mut trail = Trail { first_receipt: received.values().min().copied(), ..Trail::default() };
    for (document, posted_at) in postings {
        trail.last_posting = trail.last_posting.max(Some(posted_at));
        if let Some(received_at) = received.get(&document) {
            trail.latencies_ms.push((posted_at - *received_at).num_microseconds().unwrap_or(0) as f64 / 1e3);
        }
    }
    trail.latencies_ms.sort_by(f64::total_cmp);
    Ok(trail)
}

fn is_posting(details: &serde_json::Value) -> bool {
    details.get("erp_key").is_some() && details.get("already_posted").and_then(serde_json::Value::as_bool) != Some(true)
}

/// Failed delivery attempts (the ERP said "later" or did not answer): every
/// attempt counted on an outbox row, less one per delivered row.
pub(crate) async fn failed_attempts<S: Store>(store: &S) -> Result<u64, StoreError> {
    let deliveries = store.deliveries(&DeliveryFilter::default(), u32::MAX).await?;
    let attempts: u64 = deliveries.iter().map(|delivery| u64::from(delivery.attempts.max(0).unsigned_abs())).sum();
    let delivered = deliveries.iter().filter(|delivery| delivery.status == DeliveryStatus::Delivered).count();
    Ok(attempts.saturating_sub(u64::try_from(delivered).unwrap_or(u64::MAX)))
}

/// Rows in the ERP's header table: one per order entered.
pub(crate) async fn erp_orders(erp: &Path, header_table: &str) -> Result<i64, sqlx::Error> {
    let options = SqliteConnectOptions::new().filename(erp);
    let mut connection = SqliteConnection::connect_with(&options).await?;
    let sql = format!("SELECT COUNT(*) FROM \"{}\"", header_table.replace('"', "\"\""));
    let count = sqlx::query_scalar(AssertSqlSafe(sql)).fetch_one(&mut connection).await?;
    connection.close().await?;
    Ok(count)
}

/// User plus system CPU seconds of a live process, from `/proc/<pid>/stat`.
pub(crate) fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) in parentheses:
    // state is field 3, utime 14 and stime 15.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / clock_ticks_per_second())
}

/// `getconf CLK_TCK` (100 on every Linux this runs on, and the fallback).
fn clock_ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100.0)
}

/// Peak resident memory of a live process in MB (10^6 bytes), `VmHWM` of `/proc/<pid>/status`.
pub(crate) fn peak_rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_nearest_rank() {
        let trail = Trail { latencies_ms: (1..=100).map(f64::from).collect(), ..Trail::default() };
        assert_eq!(trail.quantile_ms(0.5), 50.0);
        assert_eq!(trail.quantile_ms(0.99), 99.0);
        assert_eq!(trail.quantile_ms(1.0), 100.0);
        assert_eq!(Trail::default().quantile_ms(0.5), 0.0);
    }

    #[test]
    fn this_process_has_cpu_time_and_memory() {
        let pid = std::process::id();
        assert!(cpu_seconds(pid).is_some_and(|seconds| seconds >= 0.0));
        assert!(peak_rss_mb(pid).is_some_and(|mb| mb > 0.0));
    }
}
