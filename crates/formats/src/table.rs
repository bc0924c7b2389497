//! A sheet of cells with positions: what CSV and XLSX readers hand to the
//! interpreter.

use chrono::NaiveDate;
use prodline_core::Position;
use rust_decimal::Decimal;

use crate::value::decimal_text;

/// One cell as the file stored it. CSV cells are always text; spreadsheet
/// cells may be typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Cell {
    #[default]
    Empty,
    Text(String),
    Number(Decimal),
    Date(NaiveDate),
}

impl Cell {
    /// A text cell, or `Empty` when it holds only white space.
    pub fn text(raw: &str) -> Cell {
        let trimmed = raw.trim();
        if trimmed.is_empty() { Cell::Empty } else { Cell::Text(trimmed.to_string()) }
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, Cell::Empty)
    }

    /// The cell as text: numbers without exponent or `.0` (a part number
    /// stored as a number stays its digit string), dates in ISO form.
    pub fn display(&self) -> Option<String> {
        match self {
            Cell::Empty => None,
            Cell::Text(s) => Some(s.clone()),
            Cell::Number(d) => Some(decimal_text(*d)),
            Cell::Date(d) => Some(d.format("%Y-%m-%d").to_string()),
        }
    }
}

/// Hints about the file a table came from, used to settle ambiguous numbers
/// and dates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SourceHints {
    /// The CSV delimiter was `;` (a European export, usually).
    pub semicolon_delimited: bool,
    /// Cells are typed (XLSX): numbers and dates need no guessing.
    pub typed: bool,
}

/// A rectangle of cells, with where it sits in its file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    /// Sheet name (XLSX), `None` for CSV.
    pub sheet: Option<String>,
    pub rows: Vec<Vec<Cell>>,
    /// 1-based line (CSV) or row (XLSX) of each entry of `rows`.
    pub row_numbers: Vec<usize>,
    /// 1-based column of the first cell of each row.
    pub first_column: usize,
    pub hints: SourceHints,
}

static EMPTY: Cell = Cell::Empty;

/// A merged region: 0-based (row, col) of its top-left and bottom-right cells.
pub type Region = ((usize, usize), (usize, usize));

impl Table {
    pub fn cell(&self, row: usize, col: usize) -> &Cell {
        self.rows.get(row).and_then(|r| r.get(col)).unwrap_or(&EMPTY)
    }

    pub fn display(&self, row: usize, col: usize) -> Option<String> {
        self.cell(row, col).display()
    }

    pub fn width(&self) -> usize {
        self.rows.iter().map(Vec::len).max().unwrap_or(0)
    }

    pub fn row_is_empty(&self, row: usize) -> bool {
        self.rows.get(row).is_none_or(|r| r.iter().all(Cell::is_empty))
    }

    pub fn non_empty_count(&self, row: usize) -> usize {
        self.rows.get(row).map_or(0, |r| r.iter().filter(|c| !c.is_empty()).count())
    }

    /// Where a row (and optionally a column) is, for diagnostics.
    pub fn position(&self, row: usize, col: Option<usize>) -> Position {
        Position {
            sheet: self.sheet.clone(),
            line: Some(self.row_numbers.get(row).copied().unwrap_or(row + 1)),
            column: col.map(|c| c + self.first_column.max(1)),
            ..Position::default()
        }
    }

    /// Copy each merged region's value into every cell it covers, so a group
    /// label spanning three columns labels all three. Regions are 0-based
    /// (row, col) relative to this table, inclusive.
    pub fn fill_merged(&mut self, regions: &[Region]) {
        for &((r0, c0), (r1, c1)) in regions {
            let value = self.cell(r0, c0).clone();
            if value.is_empty() {
                continue;
            }
            let last_row = r1.min(self.rows.len().saturating_sub(1));
            for r in r0..=last_row {
                let Some(row) = self.rows.get_mut(r) else { break };
                let last_col = c1.min(row.len().saturating_sub(1));
                for c in c0..=last_col {
                    if let Some(cell) = row.get_mut(c)
                        && cell.is_empty()
                    {
                        *cell = value.clone();
                    }
                }
            }
        }
    }
}
