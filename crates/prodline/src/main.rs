//! The `prodline` command line: definitions and glue only.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "prodline", version, about = "The production harness for order-entry agents")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read one document and print the orders exactly as read, before master data.
    Parse {
        file: PathBuf,
        /// Print JSON (the default is a short text summary).
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Parse { file, json } => parse(&file, json),
    }
}

fn parse(file: &PathBuf, json: bool) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let name = file.file_name().and_then(|n| n.to_str());
    let doc = prodline_formats::parse(&bytes, name);
    if json {
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        println!("{}: {} order(s)", file.display(), doc.orders.len());
    }
    for d in doc.errors() {
        eprintln!("{}: {d}", file.display());
    }
    Ok(if doc.has_errors() { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
