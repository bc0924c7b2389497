//! The generated benchmark files are real input for our readers: each one
//! parses into exactly the orders and lines the generator wrote, without an
//! error. Otherwise a throughput figure would measure less than a full parse.

use prodline_bench::{BenchFormat, ParseBenchConfig, generate, run_parse};

fn check_reader_reads_every_order(format: BenchFormat, seed: u64) {
    let file = generate(format, 300_000, seed);
    let doc = format.read(&file.bytes);
    let errors: Vec<String> = doc.errors().map(|d| d.to_string()).collect();
    assert!(errors.is_empty(), "{format} seed {seed}: {errors:?}");
    assert_eq!(doc.orders.len(), file.orders, "{format} seed {seed}: orders");
    let lines: usize = doc.orders.iter().map(|o| o.lines.len()).sum();
    assert_eq!(lines, file.lines, "{format} seed {seed}: lines");
    for order in &doc.orders {
        assert!(order.po_number.is_some(), "{format}: an order without its PO number");
        assert_eq!(order.declared_line_count, Some(order.lines.len() as u32), "{format}: CTT/CNT");
        assert!(order.lines.iter().all(|l| l.qty.is_some() && l.unit_price.is_some()), "{format}: qty and price");
    }
}

#[test]
fn generated_x12_parses_into_every_order_written() {
    for seed in [1, 2] {
        check_reader_reads_every_order(BenchFormat::X12, seed);
    }
}

#[test]
fn generated_edifact_parses_into_every_order_written() {
    for seed in [1, 2] {
        check_reader_reads_every_order(BenchFormat::Edifact, seed);
    }
}

#[test]
fn a_small_run_without_the_peer_reports_valid_figures() {
    let config = ParseBenchConfig {
        size_bytes: 100_000,
        warmup_runs: 0,
        timed_runs: 3,
        peer: None,
        progress: false,
        ..Default::default()
    };
    let report = run_parse(&config).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.runs.len(), 2);
    for run in &report.runs {
        assert!(run.warnings.is_empty(), "{}: {:?}", run.format, run.warnings);
        assert!(run.mb_per_s > 0.0 && run.orders_per_s > 0.0, "{}", run.format);
        assert_eq!(Some(run.orders), run.orders_written, "{}", run.format);
    }
    let json = serde_json::to_value(&report).unwrap_or_default();
    assert_eq!(json["runs"][0]["peer"]["status"], "skipped");
}
