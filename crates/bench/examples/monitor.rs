//! `cargo run --release -p prodline-bench --example monitor -- [ARGS]`: the
//! same benchmark as `prodline bench monitor`, without building the binary.

use std::process::ExitCode;

use clap::Parser;

#[derive(Parser)]
#[command(name = "bench-monitor", about = "SLO and drift over a million labelled transactions against Evidently")]
struct Cli {
    #[command(flatten)]
    args: prodline_bench::MonitorBenchArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match prodline_bench::run_monitor_command(&cli.args) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
