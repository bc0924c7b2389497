//! The figures of `bench monitor`, as a table for people and as JSON.

use std::fmt;

use chrono::{DateTime, Utc};
use prodline_monitor::drift::DriftConfig;
use serde::Serialize;

use super::Medians;
use super::dataset::{MonitorData, SourceChange};
use super::drift::SourceDrift;
use super::peer::{EvidentlyConfig, EvidentlyOutcome, EvidentlySource};
use super::slo::{ScopeFigures, SloFigures, SloParams};

/// The performance targets for the monitor.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MonitorTargets {
    /// The whole monitor computation (SLO + drift), seconds.
    pub total_seconds: f64,
    /// Evidently's drift time over ours on the same sources.
    pub peer_ratio: f64,
}

impl MonitorTargets {
    pub const DESIGN: MonitorTargets = MonitorTargets { total_seconds: 1.0, peer_ratio: 50.0 };
}

/// Evidently's decision threshold on its Jensen–Shannon *distance*
/// (`√(JS in nats)`) that matches our threshold on the divergence in bits:
/// `√(t · ln 2)`.
pub(crate) fn evidently_js_threshold(divergence_bits: f64) -> f64 {
    (divergence_bits * std::f64::consts::LN_2).sqrt()
}

/// Evidently's distance back on our scale: `d² / ln 2`.
fn evidently_js_in_bits(distance: f64) -> f64 {
    distance * distance / std::f64::consts::LN_2
}

/// One source's values on both sides.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeerComparison {
    pub source: String,
    pub ours_js: Option<f64>,
    pub evidently_js_distance: f64,
    /// Evidently's distance as a divergence in bits, comparable to `ours_js`.
    pub evidently_js_bits: f64,
    pub ours_psi: Option<f64>,
    pub evidently_psi: f64,
    pub ours_fingerprint: bool,
    pub evidently_fingerprint: bool,
    pub ours_confidence: bool,
    pub evidently_confidence: bool,
}

/// How often both sides reached the same decision.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Agreement {
    pub sources: usize,
    pub fingerprint: usize,
    pub confidence: usize,
    pub drifting: usize,
    /// The largest |ours − Evidently's| Jensen–Shannon, both in bits.
    pub max_js_difference: f64,
}

/// The result of `run_monitor`.
#[derive(Debug, Clone, Serialize)]
pub struct MonitorReport {
    pub seed: u64,
    pub transactions: usize,
    pub sources: usize,
    pub labels: usize,
    pub as_of: DateTime<Utc>,
    pub recent_from: DateTime<Utc>,
    pub params: SloParams,
    pub timed_runs: usize,
    pub slo_seconds: f64,
    pub drift_seconds: f64,
    /// Median of the whole computation (not the sum of the two medians).
    pub total_seconds: f64,
    pub fastest_total_seconds: f64,
    pub transactions_per_second: f64,
    /// VmHWM after the timed runs: the generated data set is in it.
    pub peak_rss_bytes: Option<u64>,
    pub slo: SloFigures,
    pub drift: Vec<SourceDrift>,
    pub drifting_sources: usize,
    /// Sources the generator made drift (new layout or lower confidence).
    pub expected_drifting: Vec<String>,
    pub targets: MonitorTargets,
    pub peer: EvidentlyOutcome,
    pub peer_python: Option<String>,
    /// Sources the peer computed (all, or the first N with `--peer-sources`).
    pub peer_sources: usize,
    /// Our drift seconds over those same sources.
    pub ours_drift_seconds_peer_sources: Option<f64>,
    pub peer_ratio: Option<f64>,
    pub comparison: Vec<PeerComparison>,
    pub agreement: Option<Agreement>,
    /// Reasons not to trust a figure.
    pub warnings: Vec<String>,
}

impl MonitorReport {
    pub(crate) fn new(
        data: &MonitorData,
        params: SloParams,
        times: &Medians,
        slo: SloFigures,
        drift: Vec<SourceDrift>,
    ) -> MonitorReport {
        let total_seconds = times.total.as_secs_f64();
        let expected_drifting = data
            .sources
            .iter()
            .filter(|s| matches!(s.change, SourceChange::NewLayout | SourceChange::ConfidenceDrop))
            .map(|s| s.name.clone())
            .collect();
        MonitorReport {
            seed: data.config.seed,
            transactions: data.transactions.len(),
            sources: data.sources.len(),
            labels: data.labels.len(),
            as_of: data.as_of,
            recent_from: data.recent_from(),
            params,
            timed_runs: times.runs,
            slo_seconds: times.slo.as_secs_f64(),
            drift_seconds: times.drift.as_secs_f64(),
            total_seconds,
            fastest_total_seconds: times.fastest_total.as_secs_f64(),
            transactions_per_second: if total_seconds > 0.0 {
                data.transactions.len() as f64 / total_seconds
            } else {
                0.0
            },
            peak_rss_bytes: None,
            slo,
            drifting_sources: drift.iter().filter(|d| d.drifting).count(),
            drift,
            expected_drifting,
            targets: MonitorTargets::DESIGN,
            peer: EvidentlyOutcome::Skipped,
            peer_python: None,
            peer_sources: 0,
            ours_drift_seconds_peer_sources: None,
            peer_ratio: None,
            comparison: Vec::new(),
            agreement: None,
            warnings: Vec::new(),
        }
    }

    /// Record the peer's outcome, its ratio and the per-source comparison.
    pub(crate) fn set_peer(
        &mut self,
        config: &EvidentlyConfig,
        outcome: EvidentlyOutcome,
        sources: usize,
        ours: f64,
        thresholds: &DriftConfig,
    ) {
        self.peer_python = Some(config.python.display().to_string());
        self.peer_sources = sources;
        self.ours_drift_seconds_peer_sources = Some(ours);
        if let EvidentlyOutcome::Measured(m) = &outcome {
            self.peer_ratio = (ours > 0.0).then(|| m.seconds / ours);
            let thresholds = (thresholds.fingerprint_js, thresholds.confidence_psi);
            self.comparison = m.sources.iter().filter_map(|e| self.compare(e, thresholds)).collect();
            self.agreement = Some(agreement(&self.comparison));
        }
        self.peer = outcome;
    }

    fn compare(&self, e: &EvidentlySource, (js, psi): (f64, f64)) -> Option<PeerComparison> {
        let ours = self.drift.iter().find(|d| d.source == e.source)?;
        Some(PeerComparison {
            source: e.source.clone(),
            ours_js: ours.fingerprint_js,
            evidently_js_distance: e.fingerprint_js_distance,
            evidently_js_bits: evidently_js_in_bits(e.fingerprint_js_distance),
            ours_psi: ours.confidence_psi,
            evidently_psi: e.confidence_psi,
            ours_fingerprint: ours.fingerprint_fired,
            // Evidently decides with ≥ on its own scale.
            evidently_fingerprint: e.fingerprint_js_distance >= evidently_js_threshold(js),
            ours_confidence: ours.confidence_fired,
            evidently_confidence: e.confidence_psi >= psi,
        })
    }

    /// Check the figures once everything has run.
    pub(crate) fn finish(&mut self, data: &MonitorData) {
        let mut ours: Vec<&str> = self.drift.iter().filter(|d| d.drifting).map(|d| d.source.as_str()).collect();
        ours.sort_unstable();
        if ours != self.expected_drifting.iter().map(String::as_str).collect::<Vec<_>>() {
            self.warnings.push(format!(
                "drifting sources {ours:?} are not the ones the generator made drift {:?}",
                self.expected_drifting
            ));
        }
        if self.slo.scopes.first().is_some_and(|all| all.decided != data.transactions.len() as u64) {
            self.warnings.push("the SLO figures did not count every transaction as decided".to_string());
        }
        if let (EvidentlyOutcome::Measured(m), Some(a)) = (&self.peer, self.agreement)
            && (a.sources != m.sources.len() || a.sources != self.peer_sources)
        {
            self.warnings.push(format!(
                "the peer returned {} sources, {} matched ours, {} were asked",
                m.sources.len(),
                a.sources,
                self.peer_sources
            ));
        }
    }

    pub fn meets_targets(&self) -> bool {
        self.warnings.is_empty()
            && self.total_seconds <= self.targets.total_seconds
            && self.peer_ratio.is_some_and(|r| r >= self.targets.peer_ratio)
    }
}

fn agreement(rows: &[PeerComparison]) -> Agreement {
    let count = |f: fn(&PeerComparison) -> bool| rows.iter().filter(|r| f(r)).count();
    Agreement {
        sources: rows.len(),
        fingerprint: count(|r| r.ours_fingerprint == r.evidently_fingerprint),
        confidence: count(|r| r.ours_confidence == r.evidently_confidence),
        drifting: count(|r| {
            (r.ours_fingerprint || r.ours_confidence) == (r.evidently_fingerprint || r.evidently_confidence)
        }),
        max_js_difference: rows
            .iter()
            .filter_map(|r| r.ours_js.map(|js| (js - r.evidently_js_bits).abs()))
            .fold(0.0, f64::max),
    }
}

impl fmt::Display for MonitorReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "prodline bench monitor: {} transactions (seed {}), {} sources, {} labels, as of {}; one thread, median of {} runs",
            self.transactions,
            self.seed,
            self.sources,
            self.labels,
            self.as_of.format("%Y-%m-%d %H:%M UTC"),
            self.timed_runs
        )?;
        write_times(f, self)?;
        write_slo(f, self)?;
        write_drift(f, self)?;
        write_peer(f, self)?;
        write_verdict(f, self)
    }
}

fn write_times(f: &mut fmt::Formatter<'_>, r: &MonitorReport) -> fmt::Result {
    writeln!(f, "{:<22} {:>10}", "part", "median s")?;
    writeln!(f, "{:<22} {:>10.4}", "SLO (all + 4 groups)", r.slo_seconds)?;
    writeln!(f, "{:<22} {:>10.4}", format!("drift ({} sources)", r.sources), r.drift_seconds)?;
    writeln!(f, "{:<22} {:>10.4}   (fastest {:.4})", "total", r.total_seconds, r.fastest_total_seconds)?;
    writeln!(f, "throughput: {:.0} transactions/s", r.transactions_per_second)?;
    match r.peak_rss_bytes {
        Some(bytes) => writeln!(f, "peak RSS (VmHWM, data set included): {:.1} MB", bytes as f64 / 1e6),
        None => writeln!(f, "peak RSS: unknown (no /proc/self/status)"),
    }
}

fn write_slo(f: &mut fmt::Formatter<'_>, r: &MonitorReport) -> fmt::Result {
    let p = &r.params;
    writeln!(
        f,
        "SLO: target {:.1} %; rule \"< {:.1} % over the last {} labelled\" (false alarm within {} labels at the target: {:.1} %); \
         SPRT {:.1} % vs {:.1} %, alpha {}, beta {} (exact alpha {:.4}, ARL0 {:.0} labels)",
        p.target * 100.0,
        p.rule.r * 100.0,
        p.rule.n,
        p.horizon,
        r.slo.rule_false_alarm.probability * 100.0,
        p.sprt.p0 * 100.0,
        p.sprt.p1 * 100.0,
        p.sprt.alpha,
        p.sprt.beta,
        r.slo.sprt_figures.alpha_exact,
        r.slo.sprt_figures.arl0,
    )?;
    writeln!(
        f,
        "{:<8} {:>8} {:>8} {:>9} {:>11} {:>15} {:>12} {:>10}  budget (last month: allowed/used/left)",
        "scope", "decided", "labelled", "accuracy", "recent lab.", "window fired", "SPRT alarms", "accepts"
    )?;
    for s in &r.slo.scopes {
        write_scope(f, s)?;
    }
    Ok(())
}

fn write_scope(f: &mut fmt::Formatter<'_>, s: &ScopeFigures) -> fmt::Result {
    let accuracy = if s.labelled > 0 { s.correct as f64 / s.labelled as f64 * 100.0 } else { 0.0 };
    writeln!(
        f,
        "{:<8} {:>8} {:>8} {:>8.2}% {:>10.1}% {:>15} {:>12} {:>10}  {}/{}/{}",
        s.scope,
        s.decided,
        s.labelled,
        accuracy,
        s.recent_completeness.unwrap_or(0.0) * 100.0,
        format!("{}/{}", s.window.firing, s.window.evaluations),
        s.sprt.alarms,
        s.sprt.accepts,
        s.budget.allowed,
        s.budget.used,
        s.budget.left
    )
}

fn write_drift(f: &mut fmt::Formatter<'_>, r: &MonitorReport) -> fmt::Result {
    let fingerprint = r.drift.iter().filter(|d| d.fingerprint_fired).count();
    let confidence = r.drift.iter().filter(|d| d.confidence_fired).count();
    writeln!(
        f,
        "drift: {} of {} sources drifting ({fingerprint} by fingerprint mix JS > 0.1, {confidence} by confidence PSI > 0.2); \
         reference = decisions before {}, recent = from then on",
        r.drifting_sources,
        r.drift.len(),
        r.recent_from.format("%Y-%m-%d"),
    )
}

fn write_peer(f: &mut fmt::Formatter<'_>, r: &MonitorReport) -> fmt::Result {
    let m = match &r.peer {
        EvidentlyOutcome::Measured(m) => m,
        EvidentlyOutcome::Skipped => return writeln!(f, "peer: skipped (--no-peer)"),
        EvidentlyOutcome::Missing { reason } => {
            writeln!(f)?;
            writeln!(f, "!! EVIDENTLY IS MISSING: no ratio was measured ({reason}).")?;
            return writeln!(
                f,
                "!! Run scripts/bench-monitor, which creates the venv, installs Evidently and runs this."
            );
        }
        EvidentlyOutcome::Failed { reason } => return writeln!(f, "peer: FAILED: {reason}"),
    };
    let ours = r.ours_drift_seconds_peer_sources.unwrap_or(r.drift_seconds);
    let scope = if r.peer_sources < r.sources {
        format!(
            "the first {} of {} sources (--peer-sources; ours timed again over the same {})",
            r.peer_sources, r.sources, r.peer_sources
        )
    } else {
        format!("all {} sources", r.peer_sources)
    };
    writeln!(
        f,
        "peer: {} over {scope}: {:.3} s (median of {}; interpreter start, imports {:.1} s and CSV load {:.2} s of {} rows excluded); ours {:.5} s; ratio {}",
        m.package,
        m.seconds,
        m.runs.len(),
        m.import_seconds,
        m.load_seconds,
        m.rows,
        ours,
        r.peer_ratio.map_or_else(|| "-".to_string(), |x| format!("{x:.0}x")),
    )?;
    if let Some(a) = r.agreement {
        writeln!(
            f,
            "agreement over {} sources: fingerprint decision {}/{}, confidence decision {}/{}, drifting {}/{}; largest JS difference {:.2e} (bits)",
            a.sources, a.fingerprint, a.sources, a.confidence, a.sources, a.drifting, a.sources, a.max_js_difference
        )?;
    }
    write_side_by_side(f, r)?;
    write_notes(f)
}

/// The sources either side finds drifting, then a few stable ones.
fn write_side_by_side(f: &mut fmt::Formatter<'_>, r: &MonitorReport) -> fmt::Result {
    writeln!(
        f,
        "{:<7} {:>10} {:>12} {:>12}   {:>10} {:>12}   drift ours/Ev. (fingerprint, confidence)",
        "source", "our JS", "Ev. JS dist", "Ev. JS bits", "our PSI", "Ev. PSI"
    )?;
    let changed = |c: &&PeerComparison| {
        c.ours_fingerprint || c.ours_confidence || c.evidently_fingerprint || c.evidently_confidence
    };
    let shown = r.comparison.iter().filter(changed).chain(r.comparison.iter().filter(|c| !changed(c)).take(4));
    let flag = |b: bool| if b { "yes" } else { "no" };
    for c in shown {
        writeln!(
            f,
            "{:<7} {:>10.4} {:>12.4} {:>12.4}   {:>10.4} {:>12.4}   {}/{}, {}/{}",
            c.source,
            c.ours_js.unwrap_or(f64::NAN),
            c.evidently_js_distance,
            c.evidently_js_bits,
            c.ours_psi.unwrap_or(f64::NAN),
            c.evidently_psi,
            flag(c.ours_fingerprint),
            flag(c.evidently_fingerprint),
            flag(c.ours_confidence),
            flag(c.evidently_confidence),
        )?;
    }
    Ok(())
}

fn write_notes(f: &mut fmt::Formatter<'_>) -> fmt::Result {
    writeln!(f, "notes on the comparison:")?;
    writeln!(
        f,
        "  - Evidently's jensenshannon is scipy's distance, sqrt(JS in nats); ours is the divergence in bits. Both use the exact \
         fingerprint shares (no epsilon), so distance^2/ln 2 equals ours to rounding, and its threshold here is sqrt(0.1 ln 2) = {:.4}.",
        evidently_js_threshold(0.1)
    )?;
    writeln!(
        f,
        "  - Evidently's PSI on a numerical column (> 20 distinct values) bins both windows with Sturges' rule over their combined \
         range and floors empty bins at 1e-4 (or the smallest share / 1e6); ours uses 10 fixed bins over [0, 1] floored at 1e-4. \
         The values differ; the decision at 0.2 is what is compared."
    )?;
    writeln!(
        f,
        "  - Where the decisions differ it is on confidence, for sources near 0.2 on one scale: Sturges' finer bins over \
         the combined range leave a window's tail bins nearly empty, which PSI's log term inflates."
    )?;
    writeln!(
        f,
        "  - Evidently fires at value >= threshold; ours at value > threshold, and for the fingerprint mix only when the \
         layout that grew moved by >= {} standard errors (DriftCheck's significance test, which Evidently has not).",
        prodline_monitor::drift::MIN_Z
    )
}

fn write_verdict(f: &mut fmt::Formatter<'_>, r: &MonitorReport) -> fmt::Result {
    let t = r.targets;
    let total = if r.total_seconds <= t.total_seconds { "meets" } else { "BELOW" };
    writeln!(f, "targets: total <= {} s: {:.3} s: {total}", t.total_seconds, r.total_seconds)?;
    match r.peer_ratio {
        Some(x) if x >= t.peer_ratio => writeln!(f, "targets: >= {}x Evidently: {x:.0}x: meets", t.peer_ratio)?,
        Some(x) => writeln!(f, "targets: >= {}x Evidently: {x:.0}x: BELOW", t.peer_ratio)?,
        None => writeln!(f, "targets: >= {}x Evidently: no ratio", t.peer_ratio)?,
    }
    for warning in &r.warnings {
        writeln!(f, "warning: {warning}")?;
    }
    Ok(())
}
