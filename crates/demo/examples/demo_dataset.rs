//! Write the demo dataset: `cargo run -p prodline-demo --example demo_dataset -- OUT_DIR [SEED]`.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().unwrap_or_else(|| "demo-dataset".into()));
    let seed = args.next().map(|s| s.parse()).transpose()?.unwrap_or(42);
    let config = prodline_demo::DemoConfig { seed, ..Default::default() };
    let started = std::time::Instant::now();
    let summary = prodline_demo::generate(&out, &config)?;
    println!("{}", serde_json::to_string_pretty(&summary)?);
    eprintln!("generated in {:?}", started.elapsed());
    Ok(())
}
