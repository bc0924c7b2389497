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

fn lines_of(doc: &prodline_core::ParsedDocument) -> Vec<&prodline_core::ParsedLine> {
    doc.orders.iter().flat_map(|o| &o.lines).collect()
}

fn xlsx_bytes(rows: &[&[&str]], merge: Option<(u32, u16, u16, &str)>) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, text) in row.iter().enumerate() {
            let (r, c) = (u32::try_from(r).unwrap_or(0), u16::try_from(c).unwrap_or(0));
            let written = match text.parse::<f64>() {
                Ok(n) => sheet.write_number(r, c, n).map(|_| ()),
                Err(_) if text.is_empty() => Ok(()),
                Err(_) => sheet.write_string(r, c, *text).map(|_| ()),
            };
            written.unwrap_or_else(|e| panic!("{e}"));
        }
    }
    if let Some((row, first, last, text)) = merge {
        let format = rust_xlsxwriter::Format::new();
        sheet.merge_range(row, first, row, last, text, &format).unwrap_or_else(|e| panic!("{e}"));
    }
    workbook.save_to_buffer().unwrap_or_else(|e| panic!("{e}"))
}

/// fixtures/messy x01: a `Total` row under the table (description and a
/// price, no item, no quantity) became a line.
#[test]
fn total_row_below_a_csv_table_is_not_a_line() {
    let csv = b"PO Number:,4500-7844,,,,\n,,,,,\nLine,Part No,Description,Qty,UOM,Unit Price\n\
        1,88-1200,VALVE BALL,100,EA,11.85\n,,,,,\n,,Total,,,2019.00\n";
    let doc = prodline_formats::csv::parse(csv);
    let lines = lines_of(&doc);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(!doc.orders.iter().flat_map(|o| &o.diagnostics).any(|d| d.code == "missing_quantity"));
}

/// fixtures/messy x02: the PO sat in a French title row `Commande n°;2026-0455`.
#[test]
fn french_po_label_in_a_title_row_is_read() {
    let csv = "Commande n°;2026-0455;;\nDate;20/03/2026;;\nLivraison;Usine de Lyon;;\n;;;\nRéférence;Désignation;Quantité;Prix unitaire\n\
        LF-RLT-6205;Roulement;40;11,90\n";
    let doc = prodline_formats::csv::parse(csv.as_bytes());
    assert_eq!(doc.orders.first().and_then(|o| o.po_number.as_deref()), Some("2026-0455"));
    assert_eq!(lines_of(&doc).first().and_then(|l| l.unit_price), Some(Decimal::new(1190, 2)));
    let ship_to = doc.orders.first().and_then(|o| o.parties.iter().find(|p| p.code == "ST"));
    assert_eq!(ship_to.and_then(|p| p.name.as_deref()), Some("Usine de Lyon"));
}

/// fixtures/messy x05: a PO number containing `PO` (`MC-PO-119140`) was
/// taken for a label and dropped; a merged `Approved by` row became a line.
#[test]
fn po_number_containing_po_and_sign_off_row_in_xlsx() {
    let rows: &[&[&str]] = &[
        &["ACME - PURCHASE ORDER"],
        &[],
        &["PO Number", "MC-PO-119140", "", "Ship To", "Baton Rouge Plant"],
        &[],
        &["Line", "Item", "Description", "Qty", "UOM", "Unit Price", "Extended"],
        &["1", "MC-77810", "Mechanical seal", "4", "EA", "205", "820"],
        &["", "", "", "", "", "TOTAL", "820"],
        &[],
    ];
    let bytes = xlsx_bytes(rows, Some((8, 0, 2, "Approved by: R. Dubois")));
    let doc = prodline_formats::xlsx::parse(&bytes);
    assert_eq!(doc.orders.first().and_then(|o| o.po_number.as_deref()), Some("MC-PO-119140"));
    let lines = lines_of(&doc);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines.first().and_then(|l| l.id(ItemIdKind::Sku)), Some("MC-77810"));
}

/// fixtures/messy x06: `PO 77251` in one title cell took the next cell (the
/// company name) as the PO, and an `HPS#` column was not seen as an item, so
/// every row was "a quantity but no item".
#[test]
fn po_in_one_title_cell_and_buyer_numbered_column_in_xlsx() {
    let rows: &[&[&str]] = &[
        &["PO 77251", "", "Halvorsen Process Systems"],
        &["HPS#", "Qty", "Notes"],
        &["HPS-IMP-15", "2", ""],
        &["HPS-KIT-15", "4", "for Fargo rebuilds"],
    ];
    let doc = prodline_formats::xlsx::parse(&xlsx_bytes(rows, None));
    assert_eq!(doc.orders.first().and_then(|o| o.po_number.as_deref()), Some("77251"));
    let parts: Vec<_> = lines_of(&doc).iter().map(|l| l.id(ItemIdKind::BuyerPart)).collect();
    assert_eq!(parts, [Some("HPS-IMP-15"), Some("HPS-KIT-15")]);
    assert!(!doc.orders.iter().flat_map(|o| &o.diagnostics).any(|d| d.code == "line_without_item"));
}
