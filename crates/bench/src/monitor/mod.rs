//! `prodline bench monitor`: the accuracy monitor over one million labelled
//! transactions, against Python's Evidently on the drift half.
//!
//! One measured run is the whole monitor computation at one instant:
//! - SLO ([`slo`]): accuracy by decision date with completeness, the
//!   configured window rule replayed over the labels in arrival order, the
//!   repeated SPRT over the same sequence, the month's error budget; for all
//!   sources and for each group.
//! - drift ([`drift`]): per source, the reference window (days −90..−14)
//!   against the recent one (the last 14 days) through `DriftCheck`.
//!
//! Target: the whole run in at most a second on one core; the drift half at
//! least 50× faster than Evidently on the same observations.
//!
//! Architecture Invariant: the data comes from a seeded generator
//! ([`dataset`]); the same seed gives the same transactions everywhere.

pub mod dataset;
pub mod drift;
mod peer;
mod report;
pub mod slo;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use prodline_monitor::drift::DriftCheck;
use serde::Serialize;

pub use dataset::{MonitorData, MonitorDataConfig, generate_monitor_data};
pub use peer::{EVIDENTLY_SCRIPT_NAME, EvidentlyConfig, EvidentlyOutcome, default_evidently_python};
pub use report::{Agreement, MonitorReport, MonitorTargets, PeerComparison};

use crate::BenchError;
use crate::run::median;

/// The arrival sequence keys each label by a 31-bit index.
const MAX_TRANSACTIONS: usize = 1 << 31;

/// What `run_monitor` measures and how.
#[derive(Debug, Clone, Serialize)]
pub struct MonitorBenchConfig {
    pub data: MonitorDataConfig,
    /// Untimed computations before measuring (allocator, caches).
    pub warmup_runs: usize,
    /// Timed computations; the median is reported.
    pub timed_runs: usize,
    /// `None` measures our side only.
    pub peer: Option<EvidentlyConfig>,
    /// Keep the peer's CSV (and script) in this directory.
    pub keep_files_in: Option<PathBuf>,
    /// Say on stderr what is running: the peer takes minutes.
    pub progress: bool,
}

impl Default for MonitorBenchConfig {
    fn default() -> Self {
        MonitorBenchConfig {
            data: MonitorDataConfig::default(),
            warmup_runs: 1,
            timed_runs: 5,
            peer: Some(EvidentlyConfig { python: default_evidently_python(), repeat: 1, sources: 0 }),
            keep_files_in: None,
            progress: true,
        }
    }
}

impl MonitorBenchConfig {
    fn say(&self, message: &str) {
        if self.progress {
            eprintln!("bench monitor: {message}");
        }
    }
}

/// Times of one measured computation.
#[derive(Debug, Clone, Copy)]
struct Timing {
    slo: Duration,
    drift: Duration,
    total: Duration,
}

/// Generate the transactions, time the monitor over them, then run the
/// peer on the same drift inputs, and report both.
pub fn run_monitor(config: &MonitorBenchConfig) -> Result<MonitorReport, BenchError> {
    if config.timed_runs == 0 {
        return Err(BenchError::NothingToMeasure("timed runs must be at least 1"));
    }
    if config.data.transactions == 0 || config.data.sources == 0 {
        return Err(BenchError::NothingToMeasure("no transactions or no sources to generate"));
    }
    if config.data.transactions > MAX_TRANSACTIONS {
        return Err(BenchError::NothingToMeasure("more than 2^31 transactions: the arrival keys hold 31-bit indices"));
    }
    let d = config.data;
    config.say(&format!("generating {} transactions over {} sources (seed {})", d.transactions, d.sources, d.seed));
    let data = generate_monitor_data(d);
    let params = slo::SloParams::standard().map_err(BenchError::MonitorParameters)?;
    let check = DriftCheck::default();
    config.say(&format!("{} warm-up + {} timed runs", config.warmup_runs, config.timed_runs));
    let mut timings = Vec::with_capacity(config.timed_runs);
    let mut last = None;
    for run in 0..config.warmup_runs + config.timed_runs {
        let (timing, figures) = measure_once(&data, &params, &check)?;
        if run >= config.warmup_runs {
            timings.push(timing);
        }
        last = Some(figures);
    }
    let peak_rss_bytes = peak_rss_bytes();
    let Some((slo_figures, drift_figures)) = last else {
        return Err(BenchError::NothingToMeasure("timed runs must be at least 1"));
    };
    let mut report = MonitorReport::new(&data, params, &timings_of(&timings), slo_figures, drift_figures);
    report.peak_rss_bytes = peak_rss_bytes;
    if let Some(peer) = &config.peer {
        run_peer(config, peer, &data, &check, &mut report)?;
    }
    report.finish(&data);
    Ok(report)
}

/// One whole monitor computation, timed in its two halves.
fn measure_once(
    data: &MonitorData,
    params: &slo::SloParams,
    check: &DriftCheck,
) -> Result<(Timing, (slo::SloFigures, Vec<drift::SourceDrift>)), BenchError> {
    let start = Instant::now();
    let slo_figures = slo::measure_slo(black_box(data), params).map_err(BenchError::MonitorParameters)?;
    let slo_done = Instant::now();
    let drift_figures = drift::measure_drift(black_box(data), &data.transactions, check);
    let end = Instant::now();
    let timing = Timing { slo: slo_done - start, drift: end - slo_done, total: end - start };
    Ok((timing, black_box((slo_figures, drift_figures))))
}

/// Medians of each part (and of the totals: not the sum of the medians).
pub(crate) struct Medians {
    pub(crate) slo: Duration,
    pub(crate) drift: Duration,
    pub(crate) total: Duration,
    pub(crate) fastest_total: Duration,
    pub(crate) runs: usize,
}

fn timings_of(timings: &[Timing]) -> Medians {
    let pick = |f: fn(&Timing) -> Duration| median(&timings.iter().map(f).collect::<Vec<_>>());
    Medians {
        slo: pick(|t| t.slo),
        drift: pick(|t| t.drift),
        total: pick(|t| t.total),
        fastest_total: timings.iter().map(|t| t.total).min().unwrap_or_default(),
        runs: timings.len(),
    }
}

/// Write the drift inputs once, run Evidently on them, time our drift on
/// the same sources, and put the comparison into `report`.
fn run_peer(
    config: &MonitorBenchConfig,
    peer: &EvidentlyConfig,
    data: &MonitorData,
    check: &DriftCheck,
    report: &mut MonitorReport,
) -> Result<(), BenchError> {
    let all = data.sources.len();
    let limit = if peer.sources == 0 || peer.sources >= all { all } else { peer.sources };
    let subset: Vec<dataset::Transaction> = if limit == all {
        data.transactions.clone()
    } else {
        data.transactions.iter().filter(|t| usize::from(t.source) < limit).copied().collect()
    };
    let ours = if limit == all {
        report.drift_seconds
    } else {
        config.say(&format!("timing our drift over the first {limit} sources"));
        time_drift(config, data, &subset, check)
    };
    let scratch = Scratch::new(config.keep_files_in.as_deref())?;
    let csv = scratch.path().join("monitor-drift.csv");
    config.say(&format!("writing {} rows for the peer to {}", subset.len(), csv.display()));
    peer::write_csv(&csv, data, &subset)?;
    let script = peer::install_script(scratch.path())?;
    config.say(&format!("running Evidently over {limit} sources with {}", peer.python.display()));
    let js_threshold = report::evidently_js_threshold(check.config.fingerprint_js);
    let outcome = peer::run(peer, &script, &csv, js_threshold, check.config.confidence_psi);
    report.set_peer(peer, outcome, limit, ours, &check.config);
    Ok(())
}

/// Median seconds of our drift over `transactions` alone.
fn time_drift(
    config: &MonitorBenchConfig,
    data: &MonitorData,
    transactions: &[dataset::Transaction],
    check: &DriftCheck,
) -> f64 {
    let mut times = Vec::with_capacity(config.timed_runs);
    for run in 0..config.warmup_runs + config.timed_runs {
        let start = Instant::now();
        black_box(drift::measure_drift(data, black_box(transactions), check));
        if run >= config.warmup_runs {
            times.push(start.elapsed());
        }
    }
    median(&times).as_secs_f64()
}

/// The peak resident set size of this process (`VmHWM` in
/// `/proc/self/status`); `None` where there is no such file.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

/// Where the peer's files go: a kept directory or a temporary one.
enum Scratch {
    Kept(PathBuf),
    Temporary(tempfile::TempDir),
}

impl Scratch {
    fn new(keep_in: Option<&Path>) -> Result<Scratch, BenchError> {
        if let Some(dir) = keep_in {
            std::fs::create_dir_all(dir).map_err(|source| BenchError::WriteFile { path: dir.to_path_buf(), source })?;
            return Ok(Scratch::Kept(dir.to_path_buf()));
        }
        let dir = tempfile::Builder::new().prefix("prodline-bench-").tempdir().map_err(BenchError::TempDir)?;
        Ok(Scratch::Temporary(dir))
    }

    fn path(&self) -> &Path {
        match self {
            Scratch::Kept(dir) => dir,
            Scratch::Temporary(dir) => dir.path(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small_config() -> MonitorBenchConfig {
        MonitorBenchConfig {
            // 5,000 transactions per source, as in the full benchmark: fewer
            // and a small source's recent window is noisy enough to fire.
            data: MonitorDataConfig { transactions: 150_000, sources: 30, seed: 1 },
            warmup_runs: 0,
            timed_runs: 1,
            peer: None,
            keep_files_in: None,
            progress: false,
        }
    }

    #[test]
    fn a_small_run_finds_exactly_the_sources_that_were_made_to_drift() {
        let report = run_monitor(&small_config()).unwrap_or_else(|e| panic!("{e}"));
        // Of 30 sources (0-based), 12 changes layout, 3 and 28 send a few
        // documents in a new layout (not drift), 5 and 25 lose confidence.
        let mut drifting: Vec<&str> = report.drift.iter().filter(|d| d.drifting).map(|d| d.source.as_str()).collect();
        drifting.sort_unstable();
        assert_eq!(drifting, ["C0006", "C0013", "C0026"]);
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
        assert_eq!(report.slo.scopes.len(), 5, "all + four groups");
        let all = &report.slo.scopes[0];
        let by_group: u64 = report.slo.scopes[1..].iter().map(|s| s.labelled).sum();
        assert_eq!(all.labelled, by_group);
        assert_eq!(all.decided, 150_000);
        // March 2026 holds 31 of the 90 days: 31/90 of the evenly spread decisions.
        assert!(all.budget.orders.abs_diff(150_000 * 31 / 90) <= 1, "{}", all.budget.orders);
        // Labels arrive up to 10 days late: the last 14 days are far from complete.
        assert!(all.recent_completeness.is_some_and(|c| c < 0.8), "{:?}", all.recent_completeness);
        assert!(report.total_seconds > 0.0);
        let text = report.to_string();
        assert!(text.contains("3 of 30 sources drifting"), "{text}");
    }

    #[test]
    fn zero_timed_runs_is_refused() {
        let config = MonitorBenchConfig { timed_runs: 0, ..small_config() };
        assert!(matches!(run_monitor(&config), Err(BenchError::NothingToMeasure(_))));
    }

    #[test]
    fn a_missing_peer_interpreter_is_said_loudly() {
        let peer = EvidentlyConfig { python: PathBuf::from("/nonexistent/python"), repeat: 1, sources: 10 };
        let config = MonitorBenchConfig {
            data: MonitorDataConfig { transactions: 5_000, sources: 20, seed: 2 },
            peer: Some(peer),
            ..small_config()
        };
        let report = run_monitor(&config).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(report.peer, EvidentlyOutcome::Missing { .. }), "{:?}", report.peer);
        let text = report.to_string();
        assert!(text.contains("EVIDENTLY IS MISSING") && text.contains("scripts/bench-monitor"), "{text}");
    }

    #[test]
    fn peak_rss_is_read_on_linux() {
        assert!(peak_rss_bytes().is_some_and(|b| b > 0));
    }
}
