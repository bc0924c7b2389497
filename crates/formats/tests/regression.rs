//! One test per bug found, named after the case it pins.

use prodline_core::{Decimal, ItemIdKind};

/// The csv crate's record positions point at the LF of a CRLF pair, so its
/// line numbers drifted by one per row; lines are now counted by hand.
#[test]
fn crlf_rows_report_their_own_line_numbers() {
    let doc = prodline_formats::csv::parse(b"SKU,Qty\r\nA-1,1\r\nA-2,2\r\nA-3,x");
    let lines: Vec<_> = doc.orders.iter().flat_map(|o| &o.lines).map(|l| l.position.line).collect();
    assert_eq!(lines, [Some(2), Some(3), Some(4)]);
    let bad = doc.orders.iter().flat_map(|o| &o.diagnostics).chain(&doc.diagnostics).find(|d| d.code == "bad_quantity");
    assert_eq!(bad.map(|d| (d.position.line, d.position.column)), Some((Some(4), Some(2))));
}

/// Fuzzing ran at 30 executions a second: every header cell re-split the
/// whole synonym table. A wide garbage row must stay cheap and still be read.
#[test]
fn wide_rows_of_header_like_words_are_read_quickly() {
    let mut text = String::from("SKU,Qty");
    for _ in 0..3000 {
        text.push_str(",po number");
    }
    text.push_str("\nA-1,5\n");
    let started = std::time::Instant::now();
    let doc = prodline_formats::csv::parse(text.as_bytes());
    assert!(started.elapsed().as_secs() < 5, "took {:?}", started.elapsed());
    let first = doc.orders.first().and_then(|o| o.lines.first());
    assert_eq!(first.and_then(|l| l.id(ItemIdKind::Sku)), Some("A-1"));
    assert_eq!(first.and_then(|l| l.qty), Some(Decimal::from(5)));
}

/// A line-number column counting up to u64::MAX must not overflow.
#[test]
fn line_number_at_u64_max_does_not_overflow() {
    let doc = prodline_formats::csv::parse(b"1;A-1;2\n18446744073709551615;A-2;3\n1;A-3;4\n");
    assert!(doc.orders.iter().flat_map(|o| &o.lines).count() <= 3);
}

/// Fuzzing (xlsx, 2 min): a cell reference beyond Excel's limits made
/// calamine's A1 parser overflow (a panic in checked builds). References are
/// now checked before calamine reads the sheet.
#[test]
fn xlsx_cell_reference_beyond_excel_limits_is_an_error_not_a_panic() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/xlsx/cell_reference_overflow.xlsx");
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc = prodline_formats::xlsx::parse(&bytes);
    assert!(doc.orders.is_empty());
    let error = doc.diagnostics.iter().find(|d| d.code == "xlsx_bad_cell_reference");
    assert!(error.is_some_and(|d| d.position.sheet.is_some()), "{:?}", doc.diagnostics);
}

/// Fuzzing (xlsx, 10 min, after the header fixes): a merged range written
/// end-first (`H1:D2`) made calamine's dimension arithmetic overflow (a panic
/// in checked builds). Ranges are now checked before calamine reads them.
#[test]
fn xlsx_merge_range_ending_before_it_starts_is_an_error_not_a_panic() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/xlsx/merge_range_ending_before_it_starts.xlsx");
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc = prodline_formats::xlsx::parse(&bytes);
    let error = doc.diagnostics.iter().find(|d| d.code == "xlsx_bad_cell_reference");
    assert!(error.is_some_and(|d| d.message.contains("ends before it starts")), "{:?}", doc.diagnostics);
}

/// A sheet with one cell at A1 and one at XFD1048576 would make calamine
/// allocate 17 billion cells; it is refused before.
#[test]
fn xlsx_sheet_spanning_the_whole_grid_is_refused() {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let written = sheet.write_string(0, 0, "SKU").and_then(|s| s.write_string(1_048_575, 16_383, "far away"));
    written.unwrap_or_else(|e| panic!("{e}"));
    let bytes = workbook.save_to_buffer().unwrap_or_else(|e| panic!("{e}"));
    let doc = prodline_formats::xlsx::parse(&bytes);
    assert!(doc.diagnostics.iter().any(|d| d.code == "sheet_too_large"), "{:?}", doc.diagnostics);
}
