//! XLSX order files through calamine, from memory: every sheet is a table;
//! sheets without an order table (a cover sheet) are skipped.

use std::io::Cursor;
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
    fn floats_keep_their_digits() {
        assert_eq!(float_cell(12345678905.0).display().as_deref(), Some("12345678905"));
        assert_eq!(float_cell(11.85).display().as_deref(), Some("11.85"));
        assert_eq!(float_cell(0.1 + 0.2).display().as_deref(), Some("0.3"));
        assert_eq!(float_cell(1e40).display().map(|s| s.contains('e')), Some(false));
        assert_eq!(float_cell(f64::NAN), Cell::Empty);
    }
}
