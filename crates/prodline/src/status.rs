//! `prodline status -c FILE [--json] [--at RFC3339]`: every workflow's SLO,
//! drift, alerts and holds, one screen each. Glue over
//! `prodline_runtime::watch`: the ledger read from the store the config
//! names, judged as of now or `--at`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use clap::Args;
use prodline_runtime::watch::render::status_text;
use prodline_runtime::watch::{Ledger, assess};

use crate::commands::{block_on, load_config, open_store};

#[derive(Args)]
pub struct StatusArgs {
    #[arg(short = 'c', long = "config")]
    config: PathBuf,
    /// Print the statuses as JSON instead of the screens.
    #[arg(long)]
    json: bool,
    /// Judge as of this instant (RFC 3339, e.g. 2026-11-25T18:00:00Z) instead
    /// of now: a replayed history is judged at its own time.
    #[arg(long, value_parser = parse_instant)]
    at: Option<DateTime<Utc>>,
}

pub fn status(args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let Some(config) = load_config(&args.config) else { return Ok(ExitCode::FAILURE) };
    let now = args.at.unwrap_or_else(Utc::now);
    let statuses = block_on(async {
        let store = open_store(&config.store).await?;
        let read = Ledger::read(&store).await.context("reading the audit trail");
        store.close().await;
        read.map(|ledger| assess(&config, &ledger, now))
    })??;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&statuses)?);
    } else {
        print!("{}", status_text(&statuses));
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|error| format!("{error}; expected RFC 3339, e.g. 2026-11-25T18:00:00Z"))
}

#[cfg(test)]
mod tests {
    use super::parse_instant;

    #[test]
    fn at_takes_rfc3339_in_any_offset() {
        let at = parse_instant("2026-11-25T19:00:00+01:00").unwrap();
        assert_eq!(at.to_rfc3339(), "2026-11-25T18:00:00+00:00");
        assert!(parse_instant("2026-11-25").unwrap_err().contains("expected RFC 3339"));
    }
}
