//! Where the order table sits in a sheet: its header row (or rows), the field
//! of each column, and the order facts written above it (`PO: 4711`).
//! Sheets without a recognisable header are read by content
//! ([`crate::headerless`]).

use crate::header::{Field, field_for_label};
use crate::table::{Cell, Table};

/// How many rows from the top a header row may start at.
const HEADER_SEARCH_ROWS: usize = 40;

/// The columns of an order table and where its data starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The field each column holds, by 0-based column.
    pub columns: Vec<Option<Field>>,
    /// First data row (0-based, in the table).
    pub data_start: usize,
    /// The header rows (0-based, inclusive), none for a headerless table.
    pub header_rows: Option<(usize, usize)>,
    /// `label: value` pairs found above the header: (field, value, row, col).
    pub preamble: Vec<(Field, Cell, usize, usize)>,
}

impl Layout {
    /// Columns holding a field, left to right.
    pub fn columns_of(&self, field: Field) -> Vec<usize> {
        self.columns.iter().enumerate().filter(|(_, f)| **f == Some(field)).map(|(c, _)| c).collect()
    }

    pub fn column_of(&self, field: Field) -> Option<usize> {
        self.columns.iter().position(|f| *f == Some(field))
    }

    pub fn has(&self, field: Field) -> bool {
        self.column_of(field).is_some()
    }
}

/// A header candidate: score, (first row, last row), field of each column.
type HeaderCandidate = (usize, (usize, usize), Vec<Option<Field>>);

/// Find the header row (or a two-row header: a group label row above a
/// column row) with the most recognised fields.
pub fn find_header(table: &Table) -> Option<Layout> {
    let mut best: Option<HeaderCandidate> = None;
    let last = table.rows.len().min(HEADER_SEARCH_ROWS);
    for row in 0..last {
        let single = fields_of_row(table, row);
        consider(&mut best, (row, row), single);
        if row + 1 < table.rows.len() && is_group_row(table, row) {
            let double = fields_of_two_rows(table, row, row + 1);
            consider(&mut best, (row, row + 1), double);
        }
    }
    let (_, (first, last), columns) = best?;
    let columns = dedupe_columns(columns);
    Some(Layout { columns, data_start: last + 1, header_rows: Some((first, last)), preamble: preamble(table, first) })
}

/// Keep a candidate only if it is valid and strictly better than the best so
/// far: more distinct fields wins, ties keep the earlier and shorter header.
fn consider(best: &mut Option<HeaderCandidate>, rows: (usize, usize), fields: Vec<Option<Field>>) {
    let score = header_score(&fields);
    let names_lines = fields.iter().flatten().any(|f| *f == Field::Qty || f.item_kind().is_some());
    if score < 2 || !names_lines {
        return;
    }
    if best.as_ref().is_none_or(|(s, _, _)| score > *s) {
        *best = Some((score, rows, fields));
    }
}

fn header_score(fields: &[Option<Field>]) -> usize {
    let mut distinct: Vec<Field> = fields.iter().flatten().copied().collect();
    distinct.sort_by_key(|f| *f as usize);
    distinct.dedup();
    distinct.len()
}

/// The field named by each text cell of a row.
pub fn fields_of_row(table: &Table, row: usize) -> Vec<Option<Field>> {
    let width = table.rows.get(row).map_or(0, Vec::len);
    (0..width).map(|c| label_at(table, row, c).and_then(|l| field_for_label(&l))).collect()
}

fn label_at(table: &Table, row: usize, col: usize) -> Option<String> {
    match table.cell(row, col) {
        Cell::Text(s) if s.chars().count() <= 80 => Some(s.clone()),
        _ => None,
    }
}

/// A group label row has at least two distinct labels, or one that does not
/// span the whole table (a title does).
fn is_group_row(table: &Table, row: usize) -> bool {
    let labels: Vec<String> = (0..table.width()).filter_map(|c| label_at(table, row, c)).collect();
    if labels.is_empty() || labels.iter().any(|l| l.chars().any(|c| c.is_ascii_digit())) {
        return false;
    }
    let mut distinct = labels.clone();
    distinct.sort();
    distinct.dedup();
    distinct.len() >= 2 || labels.len() < table.non_empty_count(row + 1)
}

/// Fields of a two-row header: each column's group label (carried right
/// over empty cells in untyped files, where merged cells come out empty) and
/// its own label read together: `Ship to` + `Name` → ship-to name.
fn fields_of_two_rows(table: &Table, upper: usize, lower: usize) -> Vec<Option<Field>> {
    let width = table.width();
    let lower_width = table.rows.get(lower).map_or(0, |r| r.iter().rposition(|c| !c.is_empty()).map_or(0, |p| p + 1));
    let mut group: Option<String> = None;
    (0..width)
        .map(|c| {
            match label_at(table, upper, c) {
                Some(label) => group = Some(label),
                None if table.hints.typed || !table.cell(upper, c).is_empty() || c >= lower_width => group = None,
                None => {}
            }
            let own = label_at(table, lower, c);
            match (&group, own) {
                (Some(g), Some(o)) if g == &o => field_for_label(&o),
                (Some(g), Some(o)) => field_for_label(&format!("{g} {o}")).or_else(|| field_for_label(&o)),
                (Some(g), None) => field_for_label(g),
                (None, Some(o)) => field_for_label(&o),
                (None, None) => None,
            }
        })
        .collect()
}

/// One column per field, except fields that may span several columns.
fn dedupe_columns(columns: Vec<Option<Field>>) -> Vec<Option<Field>> {
    let mut seen: Vec<Field> = Vec::new();
    columns
        .into_iter()
        .map(|f| {
            let field = f?;
            if seen.contains(&field) && !field.allows_many_columns() {
                return None;
            }
            seen.push(field);
            Some(field)
        })
        .collect()
}

/// `label: value` pairs above the header, in one cell (`PO: 4711`) or two
/// (`PO Number` | `4711`).
fn preamble(table: &Table, header_start: usize) -> Vec<(Field, Cell, usize, usize)> {
    let mut found = Vec::new();
    for row in 0..header_start {
        let width = table.rows.get(row).map_or(0, Vec::len);
        for col in 0..width {
            let Cell::Text(text) = table.cell(row, col) else { continue };
            if let Some((label, value)) = text.split_once(':')
                && !value.trim().is_empty()
                && let Some(field) = preamble_field(label)
            {
                found.push((field, Cell::text(value), row, col));
                continue;
            }
            if let Some((field, value)) = label_then_value(text) {
                found.push((field, Cell::text(value), row, col));
                continue;
            }
            let value = (col + 1..width).map(|c| (c, table.cell(row, c))).find(|(_, cell)| !cell.is_empty());
            let Some((value_col, cell)) = value else { continue };
            let value_text = cell.display().unwrap_or_default();
            let Some(field) = preamble_field(text).or_else(|| delivery_place(text, &value_text)) else { continue };
            if preamble_field(&value_text).is_none() {
                found.push((field, cell.clone(), row, value_col));
            }
        }
    }
    found
}

/// A label and its value in one cell without a colon (`PO 77251`,
/// `Commande n° 2026-0455`): the last word holds a digit, the words before
/// it name an order-level field.
fn label_then_value(text: &str) -> Option<(Field, &str)> {
    let (label, value) = text.trim().rsplit_once(char::is_whitespace)?;
    let value = value.trim();
    if !value.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((preamble_field(label)?, value))
}

/// A bare "delivery" label above the table (`Livraison | Usine de Lyon`)
/// names the ship-to when its value is a name, not a date. Only above the
/// table: as a column header the same word usually means the delivery date.
fn delivery_place(label: &str, value: &str) -> Option<Field> {
    const LABELS: &[&str] = &["livraison", "lieferung", "delivery", "entrega", "consegna", "levering"];
    let folded = crate::value::normalize_label(label.trim().trim_end_matches(':'));
    let is_name = value.chars().filter(|c| c.is_alphabetic()).count() >= 3;
    (LABELS.contains(&folded.as_str()) && is_name).then_some(Field::ShipToName)
}

/// Order-level fields that may be written as `label: value` above the table.
/// A label holds no digit: `MC-PO-119140` is a PO number, not a `PO` label.
fn preamble_field(label: &str) -> Option<Field> {
    let label = label.trim().trim_end_matches([':', '#']).trim();
    if label.is_empty() || label.chars().count() > 40 || label.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let field = field_for_label(label)?;
    let order_level = matches!(
        field,
        Field::PoNumber
            | Field::OrderDate
            | Field::RequestedDate
            | Field::Currency
            | Field::CustomerName
            | Field::CustomerId
            | Field::ShipToName
            | Field::ShipToCode
            | Field::ShipToAddress
            | Field::Notes
    );
    order_level.then_some(field)
}
