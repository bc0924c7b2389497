//! Tables without a header row: the columns are told by their content. A
//! column of code-like tokens is the item, a numeric column beside it the
//! quantity, full date columns the order and delivery dates, and a column whose
//! values repeat in runs the PO number.

use std::collections::HashSet;

use prodline_core::units::is_known_uom;

use crate::header::Field;
use crate::layout::Layout;
use crate::table::Table;
use crate::value::{DateOrder, NumberStyle, is_code_like, is_gtin_like, parse_date, parse_number};

/// Guess the columns of a headerless table; `None` when no item and
/// quantity columns can be told apart. Tries the first row as data, then as
/// an unrecognised header.
pub fn infer_layout(table: &Table, style: NumberStyle) -> Option<Layout> {
    (0..2).find_map(|start| infer_from(table, start, style))
}

/// What a column's values look like over the data rows, computed once.
struct Column {
    full: bool,
    distinct: usize,
    date: bool,
    amount: bool,
    line_sequence: bool,
    item: bool,
    runs: bool,
    gtins: bool,
    uoms: bool,
    phrases: bool,
}

impl Column {
    fn new(values: &[Option<String>], style: NumberStyle, single_row: bool) -> Column {
        let filled: Vec<&str> = values.iter().flatten().map(String::as_str).collect();
        let full = !values.is_empty() && filled.len() == values.len();
        let distinct = filled.iter().collect::<HashSet<_>>().len();
        let constant = distinct <= 1;
        let date = !filled.is_empty()
            && filled.iter().all(|v| {
                parse_date(v, DateOrder::DayFirst).is_some() || parse_date(v, DateOrder::MonthFirst).is_some()
            });
        // Quantities and prices are short numbers (a 13-digit number is a GTIN).
        let amount = full
            && !date
            && filled.iter().all(|v| {
                let integer_digits =
                    v.split(['.', ',']).next().map_or(0, |i| i.chars().filter(char::is_ascii_digit).count());
                integer_digits <= 7 && parse_number(v, style).is_some()
            });
        let item = full
            && (single_row || !constant)
            && !date
            && !amount
            && filled.iter().all(|v| is_code_like(v))
            && filled.iter().any(|v| v.chars().any(|c| c.is_ascii_digit() || c == '-' || c == '_'));
        Column {
            full,
            distinct,
            date,
            amount,
            line_sequence: full && !constant && is_line_sequence(&filled),
            item,
            runs: has_runs(&filled),
            gtins: filled.iter().all(|v| is_gtin_like(v)),
            uoms: full && filled.iter().all(|v| is_known_uom(v) && v.len() <= 5),
            phrases: full
                && filled.iter().all(|v| v.contains(' ') && v.chars().any(char::is_alphabetic))
                && filled.iter().all(|v| parse_number(v, NumberStyle::default()).is_none()),
        }
    }
}

/// Line numbers: integers counting 1, 2, 3..., restarting at 1 per order.
fn is_line_sequence(values: &[&str]) -> bool {
    let mut previous = 0u64;
    for value in values {
        let Ok(n) = value.parse::<u64>() else { return false };
        if n != 1 && Some(n) != previous.checked_add(1) {
            return false;
        }
        previous = n;
    }
    true
}

/// Values repeat in contiguous runs: `A A B C C`.
fn has_runs(values: &[&str]) -> bool {
    let mut seen: HashSet<&str> = HashSet::new();
    let mut previous: Option<&str> = None;
    for value in values {
        if previous != Some(*value) && !seen.insert(value) {
            return false;
        }
        previous = Some(value);
    }
    true
}

fn infer_from(table: &Table, start: usize, style: NumberStyle) -> Option<Layout> {
    let rows: Vec<usize> = (start..table.rows.len()).filter(|&r| !table.row_is_empty(r)).collect();
    if rows.is_empty() {
        return None;
    }
    let single_row = rows.len() == 1;
    let columns: Vec<Column> = (0..table.width())
        .map(|c| {
            let values: Vec<Option<String>> = rows.iter().map(|&r| table.display(r, c)).collect();
            Column::new(&values, style, single_row)
        })
        .collect();
    let line_col = columns.iter().position(|c| c.line_sequence);
    let item_candidates: Vec<usize> =
        (0..columns.len()).filter(|&c| Some(c) != line_col && columns.get(c).is_some_and(|col| col.item)).collect();
    let item = *item_candidates.last()?;
    let is_amount = |c: &usize| Some(*c) != line_col && columns.get(*c).is_some_and(|col| col.amount);
    let qty = (item + 1..columns.len()).find(is_amount).or_else(|| (0..item).rev().find(is_amount))?;
    let mut fields: Vec<Option<Field>> = vec![None; columns.len()];
    let item_field = if columns.get(item)?.gtins { Field::Gtin } else { Field::Sku };
    set(&mut fields, item, item_field);
    set(&mut fields, qty, Field::Qty);
    if let Some(line) = line_col {
        set(&mut fields, line, Field::LineNo);
    }
    if let Some(price) = (qty + 1..columns.len()).find(|c| is_amount(c) && fields.get(*c) == Some(&None)) {
        set(&mut fields, price, Field::UnitPrice);
    }
    let po = item_candidates
        .iter()
        .filter(|&&c| c < item)
        .filter_map(|&c| columns.get(c).map(|col| (c, col)))
        .filter(|(_, col)| col.runs && col.distinct > 1 && col.distinct < rows.len())
        .max_by_key(|(c, col)| (col.distinct, usize::MAX - c));
    if let Some((po, _)) = po {
        set(&mut fields, po, Field::PoNumber);
    }
    assign_dates(&columns, &mut fields);
    assign_text_columns(&columns, &mut fields);
    Some(Layout { columns: fields, data_start: start, header_rows: None, preamble: Vec::new() })
}

fn set(fields: &mut [Option<Field>], col: usize, field: Field) {
    if let Some(slot) = fields.get_mut(col) {
        *slot = Some(field);
    }
}

/// The first full date column is the order date; date columns right of it
/// are requested dates, read in turn.
fn assign_dates(columns: &[Column], fields: &mut [Option<Field>]) {
    let free = |c: usize, fields: &[Option<Field>]| fields.get(c) == Some(&None);
    let order_date =
        (0..columns.len()).find(|&c| free(c, fields) && columns.get(c).is_some_and(|col| col.full && col.date));
    let Some(order_date) = order_date else { return };
    set(fields, order_date, Field::OrderDate);
    for c in order_date + 1..columns.len() {
        if free(c, fields) && columns.get(c).is_some_and(|col| col.date) {
            set(fields, c, Field::RequestedDate);
        }
    }
}

/// A full column of units is the unit; a full column of phrases the
/// description.
fn assign_text_columns(columns: &[Column], fields: &mut [Option<Field>]) {
    let free: Vec<usize> = (0..columns.len()).filter(|&c| fields.get(c) == Some(&None)).collect();
    if let Some(&c) = free.iter().find(|&&c| columns.get(c).is_some_and(|col| col.uoms)) {
        set(fields, c, Field::Uom);
    }
    if let Some(&c) =
        free.iter().find(|&&c| fields.get(c) == Some(&None) && columns.get(c).is_some_and(|col| col.phrases))
    {
        set(fields, c, Field::Description);
    }
}
