//! XLSX order files through calamine, from memory: every sheet is a table;
//! sheets without an order table (a cover sheet) are skipped.

use std::io::{BufReader, Cursor, Read};
use std::str::FromStr;

use calamine::{Data, Range, Reader, Xlsx, open_workbook_from_rs};
use chrono::NaiveDate;
use prodline_core::{Diagnostic, Format, ParsedDocument, Position};
use rust_decimal::Decimal;

use crate::interpret::interpret;
use crate::table::{Cell, Region, SourceHints, Table};

/// Read every sheet of an XLSX workbook.
pub fn parse(bytes: &[u8]) -> ParsedDocument {
    let mut doc = ParsedDocument::new(Format::Xlsx);
    if let Err(diagnostic) = check_sheet_bounds(bytes) {
        doc.diagnostics.push(*diagnostic);
        return doc;
    }
    let mut workbook: Xlsx<_> = match open_workbook_from_rs(Cursor::new(bytes)) {
        Ok(workbook) => workbook,
        Err(error) => {
            doc.diagnostics.push(Diagnostic::error(
                "xlsx_unreadable",
                format!("the workbook could not be opened: {error}"),
                Position::default(),
            ));
            return doc;
        }
    };
    for name in workbook.sheet_names() {
        let sheet_position = Position { sheet: Some(name.clone()), ..Position::default() };
        let range = match workbook.worksheet_range(&name) {
            Ok(range) => range,
            Err(error) => {
                doc.diagnostics.push(Diagnostic::warning(
                    "sheet_unreadable",
                    format!("sheet {name:?} could not be read: {error}"),
                    sheet_position,
                ));
                continue;
            }
        };
        // Merged regions are a refinement: a sheet whose merge list is
        // unreadable is still read, without them.
        let merged = workbook.merge_cells_by_sheet_name(&name).unwrap_or_default();
        let table = sheet_table(&name, &range, &merged);
        let result = interpret(&table);
        if !result.orders.is_empty() {
            doc.orders.extend(result.orders);
            doc.diagnostics.extend(result.diagnostics);
        }
    }
    if doc.orders.is_empty() {
        doc.diagnostics.push(Diagnostic::error(
            "no_order_table",
            "no sheet holds a table of order lines (item and quantity columns)",
            Position::default(),
        ));
    }
    doc
}

/// Excel's own limits: 1,048,576 rows and 16,384 columns (XFD).
const MAX_ROW: u64 = 1_048_576;
const MAX_COLUMN: u64 = 16_384;
/// calamine allocates a sheet's used range densely; larger ranges are refused.
const MAX_CELLS: u64 = 4_000_000;
/// Decompressed sheet XML read per sheet, against zip bombs.
const MAX_SHEET_XML_BYTES: u64 = 256 << 20;

/// Check every sheet's cell references before calamine reads them: calamine
/// overflows on references beyond Excel's limits (a panic in checked builds)
/// and allocates the used range densely (one cell at XFD1048576 would take
/// gigabytes). A workbook that is not a readable zip is left to calamine to
/// report.
fn check_sheet_bounds(bytes: &[u8]) -> Result<(), Box<Diagnostic>> {
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else { return Ok(()) };
    for index in 0..archive.len() {
        let Ok(entry) = archive.by_index(index) else { continue };
        let Ok(name) = entry.name().map(|n| n.to_string()) else { continue };
        if !(name.starts_with("xl/worksheets/") && name.ends_with(".xml")) {
            continue;
        }
        check_sheet_xml(&name, BufReader::new(entry.take(MAX_SHEET_XML_BYTES)))?;
    }
    Ok(())
}

/// Used range of a sheet: (min row, max row, min column, max column), 1-based.
type UsedRange = (u64, u64, u64, u64);

fn check_sheet_xml(name: &str, xml: impl std::io::BufRead) -> Result<(), Box<Diagnostic>> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut used: Option<UsedRange> = None;
    let error = |code: &str, message: String| {
        Box::new(Diagnostic::error(code, message, Position { sheet: Some(name.to_string()), ..Position::default() }))
    };
    loop {
        buf.clear();
        let event = match reader.read_event_into(&mut buf) {
            Ok(quick_xml::events::Event::Eof) | Err(_) => break,
            Ok(event) => event,
        };
        let (quick_xml::events::Event::Start(element) | quick_xml::events::Event::Empty(element)) = event else {
            continue;
        };
        let attribute = match element.local_name().as_ref() {
            "c" | "row" => "r",
            "dimension" | "mergeCell" => "ref",
            _ => continue,
        };
        let is_cell = element.local_name().as_ref() == "c";
        for a in element.attributes().flatten() {
            if a.key.local_name().as_ref() != attribute {
                continue;
            }
            if attribute == "ref" && range_ends_before_it_starts(&a.value) {
                return Err(error("xlsx_bad_cell_reference", format!("range {:?} ends before it starts", a.value)));
            }
            for reference in a.value.split(':') {
                let Some((row, column)) = cell_reference(reference) else {
                    return Err(error(
                        "xlsx_bad_cell_reference",
                        format!("cell reference {reference:?} is beyond Excel's limits"),
                    ));
                };
                if is_cell && let Some(column) = column {
                    let (r0, r1, c0, c1) = used.unwrap_or((row, row, column, column));
                    used = Some((r0.min(row), r1.max(row), c0.min(column), c1.max(column)));
                }
            }
        }
    }
    if let Some((r0, r1, c0, c1)) = used
        && (r1 - r0 + 1).saturating_mul(c1 - c0 + 1) > MAX_CELLS
    {
        return Err(error("sheet_too_large", format!("the sheet's used range spans more than {MAX_CELLS} cells")));
    }
    Ok(())
}

/// `H1:D2`: calamine subtracts start from end without a check, which
/// overflows (a panic in checked builds) when the end comes first.
fn range_ends_before_it_starts(value: &str) -> bool {
    let mut parts = value.split(':').map(cell_reference);
    match (parts.next(), parts.next()) {
        (Some(Some((r0, c0))), Some(Some((r1, c1)))) => r1 < r0 || matches!((c0, c1), (Some(c0), Some(c1)) if c1 < c0),
        _ => false,
    }
}

/// `B12` → (12, Some(2)); `12` → (12, None); `None` beyond Excel's limits.
fn cell_reference(reference: &str) -> Option<(u64, Option<u64>)> {
    let reference = reference.trim().trim_start_matches('$');
    let letters = reference.chars().take_while(char::is_ascii_alphabetic).count();
    let (column_text, row_text) = reference.split_at_checked(letters)?;
    let row_text = row_text.trim_start_matches('$');
    if letters > 3 || row_text.is_empty() || row_text.len() > 7 || !row_text.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let row: u64 = row_text.parse().ok()?;
    let column = column_text
        .chars()
        .try_fold(0u64, |acc, c| Some(acc * 26 + u64::from(c.to_ascii_uppercase() as u8 - b'A' + 1)));
    let column = column.filter(|c| *c > 0);
    if row == 0 || row > MAX_ROW || column.is_some_and(|c| c > MAX_COLUMN) {
        return None;
    }
    Some((row, column))
}

/// A calamine range to a table, merged regions filled in.
fn sheet_table(name: &str, range: &Range<Data>, merged: &[calamine::Dimensions]) -> Table {
    let (start_row, start_col) = range.start().map_or((0, 0), |(r, c)| (r as usize, c as usize));
    let mut table = Table {
        sheet: Some(name.to_string()),
        first_column: start_col + 1,
        hints: SourceHints { semicolon_delimited: false, typed: true },
        ..Table::default()
    };
    for (i, row) in range.rows().enumerate() {
        table.rows.push(row.iter().map(cell_of).collect());
        table.row_numbers.push(start_row + i + 1);
    }
    let regions: Vec<Region> = merged
        .iter()
        .filter_map(|m| {
            let relative =
                |(r, c): (u32, u32)| Some(((r as usize).checked_sub(start_row)?, (c as usize).checked_sub(start_col)?));
            Some((relative(m.start)?, relative(m.end)?))
        })
        .collect();
    table.fill_merged(&regions);
    table
}

/// One calamine cell to ours. Numbers keep their digits: an integral float
/// (a UPC that lost its leading zero) has no `.0` and no exponent.
fn cell_of(data: &Data) -> Cell {
    match data {
        Data::Empty | Data::Error(_) => Cell::Empty,
        Data::String(s) => Cell::text(s),
        Data::Int(i) => Cell::Number(Decimal::from(*i)),
        Data::Float(f) => float_cell(*f),
        Data::Bool(b) => Cell::Text(if *b { "TRUE" } else { "FALSE" }.to_string()),
        Data::DateTime(dt) => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            if dt.is_duration() {
                return Cell::Text(dt.as_f64().to_string());
            }
            NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d)).map_or(Cell::Empty, Cell::Date)
        }
        Data::DateTimeIso(s) => {
            let date = s.get(..10).and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
            date.map_or_else(|| Cell::text(s), Cell::Date)
        }
        Data::DurationIso(s) => Cell::text(s),
    }
}

fn float_cell(f: f64) -> Cell {
    if !f.is_finite() {
        return Cell::Empty;
    }
    // Shortest round-trip text, then to a decimal; binary noise from
    // formulas (0.30000000000000004) is cut at 10 places.
    match Decimal::from_str(&f.to_string()) {
        Ok(d) => Cell::Number(d.round_dp(10).normalize()),
        Err(_) => Cell::Text(f.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_references_within_excel_limits() {
        assert_eq!(cell_reference("B12"), Some((12, Some(2))));
        assert_eq!(cell_reference("$XFD$1048576"), Some((1_048_576, Some(16_384))));
        assert_eq!(cell_reference("7"), Some((7, None)));
        assert_eq!(cell_reference("XFE1"), None);
        assert_eq!(cell_reference("A99999999999"), None);
        assert_eq!(cell_reference("A0"), None);
        assert_eq!(cell_reference("ÄB1"), None);
    }

    #[test]
    fn floats_keep_their_digits() {
        assert_eq!(float_cell(12345678905.0).display().as_deref(), Some("12345678905"));
        assert_eq!(float_cell(11.85).display().as_deref(), Some("11.85"));
        assert_eq!(float_cell(0.1 + 0.2).display().as_deref(), Some("0.3"));
        assert_eq!(float_cell(1e40).display().map(|s| s.contains('e')), Some(false));
        assert_eq!(float_cell(f64::NAN), Cell::Empty);
    }
}
