//! Snapshots of `prodline parse --json` and `prodline extract --json` on the
//! project's own fixtures: any change to what a reader reports shows up as a
//! reviewed diff.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_prodline"))
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap_or_else(|e| panic!("running prodline {args:?}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("prodline {args:?} printed no JSON ({e}): {stdout}"))
}

macro_rules! parse_snapshot {
    ($name:ident, $path:literal) => {
        #[test]
        fn $name() {
            insta::assert_json_snapshot!(run(&["parse", "--json", $path]));
        }
    };
}

parse_snapshot!(parse_x12_full_850, "crates/x12/tests/fixtures/x12/full_850.edi");
parse_snapshot!(parse_csv_german_semicolon_cp1252, "crates/formats/tests/fixtures/csv/german_semicolon_cp1252.csv");
parse_snapshot!(parse_csv_two_purchase_orders, "crates/formats/tests/fixtures/csv/two_purchase_orders.csv");
parse_snapshot!(parse_csv_listed_items_in_one_cell, "crates/formats/tests/fixtures/csv/listed_items_in_one_cell.csv");
parse_snapshot!(parse_csv_day_first_dates, "crates/formats/tests/fixtures/csv/day_first_dates.csv");
parse_snapshot!(
    parse_ubl_prefixed_order_price_per_100,
    "crates/formats/tests/fixtures/ubl/prefixed_order_price_per_100.xml"
);
parse_snapshot!(parse_ubl_malformed_mismatched_tag, "crates/formats/tests/fixtures/ubl/malformed_mismatched_tag.xml");
parse_snapshot!(parse_x12_acme_850, "crates/prodline/tests/fixtures/x12/acme_850.x12");
parse_snapshot!(parse_edifact_bergmann_orders, "crates/prodline/tests/fixtures/edifact/bergmann_orders.edi");

macro_rules! extract_snapshot {
    ($name:ident, $path:literal) => {
        #[test]
        fn $name() {
            let master = "crates/extract/tests/fixtures/master";
            insta::assert_json_snapshot!(run(&["extract", "--json", $path, "--master", master]));
        }
    };
}

extract_snapshot!(extract_x12_acme_850, "crates/prodline/tests/fixtures/x12/acme_850.x12");
extract_snapshot!(extract_edifact_bergmann_orders, "crates/prodline/tests/fixtures/edifact/bergmann_orders.edi");
extract_snapshot!(extract_csv_two_purchase_orders, "crates/formats/tests/fixtures/csv/two_purchase_orders.csv");
