//! Line tables in layout text: a header row names the columns (in several
//! languages, `prodline_formats::header`), its cells give their spans, rows
//! follow until the totals. A description wrapped onto the next row is
//! joined; a table split over pages is one table, its repeated header
//! skipped. OCR text without column gaps is read by the shape of its rows.

use std::collections::HashSet;

use prodline_core::{Decimal, Diagnostic, ItemId, ItemIdKind, ParsedLine, Position, QualifiedDate};
use prodline_formats::header::{Field, field_for_label};
use prodline_formats::value::{NumberStyle, fold_label, parse_number_text};

use super::anchor::Anchors;
use super::words::{Word, cells, is_unit_word, number, words};
use super::{ReadLine, TextLine};

/// A column of the header: what it holds and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Column {
    pub field: Option<Field>,
    pub start: usize,
    pub end: usize,
}

/// What the tables of a text gave.
#[derive(Debug, Default)]
pub(crate) struct Tables {
    pub lines: Vec<ReadLine>,
    /// Text lines read as header or rows (not to be read again as prose).
    pub used: HashSet<usize>,
    /// The header line as written, for learning a sender's layout.
    pub header: Option<String>,
}

/// Words that end a line table.
const TOTAL_WORDS: &[&str] = &[
    "subtotal",
    "sub-total",
    "sub total",
    "total",
    "grand total",
    "tax",
    "taxes",
    "vat",
    "sales tax",
    "shipping",
    "freight",
    "handling",
    "ship/ins",
    "summe",
    "zwischensumme",
    "gesamt",
    "gesamtbetrag",
    "mwst",
    "montant",
    "total ht",
    "total ttc",
    "tva",
    "amount due",
    "comments",
    "notes",
    "remarks",
    "terms",
    "authorized by",
    "authorised by",
    "signature",
];

/// Blank lines after which a table has ended.
const MAX_BLANK_RUN: usize = 2;

/// Read every line table of the text.
pub(crate) fn read_tables(lines: &[TextLine<'_>], anchors: &Anchors<'_>, ocr: bool, learned: Option<&str>) -> Tables {
    let mut tables = Tables::default();
    let standalone = standalone_texts(lines);
    let learned = learned.map(decode_header).unwrap_or_default();
    let mut i = 0;
    while i < lines.len() {
        let Some(line) = lines.get(i) else { break };
        let Some(columns) = learned_columns(line.text, &learned).or_else(|| header_columns(line.text)) else {
            i += 1;
            continue;
        };
        tables.used.insert(line.number);
        tables.header.get_or_insert_with(|| line.text.trim().to_string());
        i = read_rows(lines, i + 1, &columns, anchors, ocr, &standalone, &mut tables);
    }
    tables
}

/// A column's field as stored in a learned header.
fn field_name(field: Option<Field>) -> &'static str {
    match field {
        Some(Field::Sku) => "sku",
        Some(Field::CustomerPart) => "customer_part",
        Some(Field::Gtin) => "gtin",
        Some(Field::Description) => "description",
        Some(Field::Qty) => "qty",
        Some(Field::Uom) => "uom",
        Some(Field::UnitPrice) => "unit_price",
        Some(Field::Amount) => "amount",
        Some(Field::LineNo) => "line_no",
        _ => "other",
    }
}

fn field_from_name(name: &str) -> Option<Field> {
    match name {
        "sku" => Some(Field::Sku),
        "customer_part" => Some(Field::CustomerPart),
        "gtin" => Some(Field::Gtin),
        "description" => Some(Field::Description),
        "qty" => Some(Field::Qty),
        "uom" => Some(Field::Uom),
        "unit_price" => Some(Field::UnitPrice),
        "amount" => Some(Field::Amount),
        "line_no" => Some(Field::LineNo),
        _ => None,
    }
}

/// A learned header as stored: `Art.=sku | Menge=qty | ...`.
pub(crate) fn encode_header(columns: &[(String, Option<Field>)]) -> String {
    columns.iter().map(|(label, field)| format!("{label}={}", field_name(*field))).collect::<Vec<_>>().join(" | ")
}

fn decode_header(value: &str) -> Vec<(String, Option<Field>)> {
    value
        .split(" | ")
        .filter_map(|cell| cell.rsplit_once('=').map(|(label, name)| (fold_label(label.trim()), field_from_name(name))))
        .collect()
}

/// The columns of a line that is a sender's learned header (its cells, as
/// folded text, in order).
fn learned_columns(text: &str, learned: &[(String, Option<Field>)]) -> Option<Vec<Column>> {
    let row = cells(text);
    if learned.is_empty() || row.len() != learned.len() {
        return None;
    }
    let same = row.iter().zip(learned).all(|(cell, (label, _))| fold_label(cell.text.trim()) == *label);
    same.then(|| row.iter().zip(learned).map(|(c, (_, f))| Column { field: *f, start: c.start, end: c.end }).collect())
}

/// A sender's header learned from a reviewed document: the line above the
/// row that holds `part` (the truth line's part or SKU), each header cell
/// named by what the row holds under it. `None` unless a quantity and an
/// item column are found.
pub(crate) fn learn_header(lines: &[TextLine<'_>], part: &str, qty: Decimal, price: Option<Decimal>) -> Option<String> {
    let wanted = part.trim().to_uppercase();
    let row_at = lines.iter().position(|l| words(l.text).iter().any(|w| w.text.to_uppercase() == wanted))?;
    let row = lines.get(row_at)?;
    let header = lines.iter().take(row_at).rev().take(4).find(|l| {
        !l.text.trim().is_empty() && !l.text.chars().any(|c| c.is_ascii_digit()) && cells(l.text).len() >= 3
    })?;
    let row_cells = cells(row.text);
    let mut columns = Vec::new();
    for cell in cells(header.text) {
        let under = row_cells.iter().min_by_key(|r| {
            let centre = |s: usize, e: usize| (s + e) as i64;
            (centre(r.start, r.end) - centre(cell.start, cell.end)).abs()
        });
        let field = under.and_then(|u| field_of_value(u.text, &wanted, qty, price));
        columns.push((cell.text.trim().to_string(), field));
    }
    let has = |f: Field| columns.iter().any(|(_, c)| *c == Some(f));
    (has(Field::Qty) && (has(Field::CustomerPart) || has(Field::Description))).then(|| encode_header(&columns))
}

fn field_of_value(value: &str, part: &str, qty: Decimal, price: Option<Decimal>) -> Option<Field> {
    let value = value.trim();
    if value.to_uppercase() == part {
        return Some(Field::CustomerPart);
    }
    if let Some((n, _)) = number(value, false) {
        if n == qty {
            return Some(Field::Qty);
        }
        if price == Some(n) {
            return Some(Field::UnitPrice);
        }
        if price.is_some_and(|p| p * qty == n) {
            return Some(Field::Amount);
        }
        return None;
    }
    if is_unit_word(&value.to_lowercase()) {
        return Some(Field::Uom);
    }
    (value.chars().filter(|c| c.is_alphabetic()).count() >= 3).then_some(Field::Description)
}

/// Text that stands alone on a line or in a cell outside the table rows
/// (a vendor name printed under the table), so it is not joined to a
/// description.
fn standalone_texts(lines: &[TextLine<'_>]) -> HashSet<String> {
    let mut seen: HashSet<String> = HashSet::new();
    let mut twice: HashSet<String> = HashSet::new();
    for line in lines {
        for cell in cells(line.text) {
            let key = fold_label(cell.text.trim());
            if !seen.insert(key.clone()) {
                twice.insert(key);
            }
        }
    }
    twice
}

/// The rows after a header, until the totals, a long blank run or the end.
/// Returns where reading stopped.
fn read_rows(
    lines: &[TextLine<'_>],
    from: usize,
    columns: &[Column],
    anchors: &Anchors<'_>,
    ocr: bool,
    standalone: &HashSet<String>,
    tables: &mut Tables,
) -> usize {
    let mut blank = 0usize;
    let mut page = lines.get(from.saturating_sub(1)).map_or(1, |l| l.page);
    let mut i = from;
    let mut last_row: Option<usize> = None;
    while let Some(line) = lines.get(i) {
        if line.page != page {
            // A new page: skip its top until the header comes again, if it does.
            page = line.page;
            if let Some(offset) =
                lines.iter().skip(i).take_while(|l| l.page == page).position(|l| header_columns(l.text).is_some())
            {
                for skipped in lines.iter().skip(i).take(offset + 1) {
                    tables.used.insert(skipped.number);
                }
                i += offset + 1;
                blank = 0;
                continue;
            }
        }
        i += 1;
        let text = line.text.trim();
        if text.is_empty() {
            blank += 1;
            if blank > MAX_BLANK_RUN {
                break;
            }
            continue;
        }
        if is_rule(text) || is_page_mark(text) {
            continue;
        }
        if header_columns(line.text).is_some() {
            tables.used.insert(line.number);
            continue;
        }
        if ends_table(text) {
            break;
        }
        let gap = blank;
        blank = 0;
        match read_row(line, columns, anchors, ocr) {
            Row::Line(read) => {
                tables.used.insert(line.number);
                tables.lines.push(*read);
                last_row = Some(tables.lines.len() - 1);
            }
            Row::Text(more) if gap == 0 && !standalone.contains(&fold_label(more.trim())) => {
                if let Some(prev) = last_row.and_then(|r| tables.lines.get_mut(r)) {
                    tables.used.insert(line.number);
                    let joined = match prev.line.description.take() {
                        Some(d) => format!("{d} {}", more.trim()),
                        None => more.trim().to_string(),
                    };
                    prev.line.description = Some(joined);
                }
            }
            Row::Text(_) | Row::Nothing => {}
        }
    }
    i
}

fn is_rule(text: &str) -> bool {
    text.chars().all(|c| matches!(c, '-' | '_' | '=' | '*' | '.' | ' ' | '+' | '|' | '—' | '–'))
}

fn is_page_mark(text: &str) -> bool {
    let folded = fold_label(text);
    folded.starts_with("page ")
        || folded.starts_with("seite ")
        || folded.contains("continued")
        || folded.starts_with("- ")
}

/// A row whose first cell is a totals word (`SUBTOTAL`, `Total Without Taxes`).
fn ends_table(text: &str) -> bool {
    let first = cells(text).into_iter().next().map(|c| fold_label(c.text)).unwrap_or_default();
    TOTAL_WORDS
        .iter()
        .any(|w| first == *w || first.starts_with(&format!("{w} ")) || first.starts_with(&format!("{w}:")))
}

/// The columns a header line names, when it names a quantity and an item
/// or description column.
pub(crate) fn header_columns(text: &str) -> Option<Vec<Column>> {
    // A header names columns; a line with numbers is a row or a sentence.
    if text.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut columns = Vec::new();
    for cell in cells(text) {
        // `Unit Price` is one column; `Details Quantity Unit Price Total`
        // (OCR, single spaces) is four.
        let split = word_columns(text, &cell);
        if split.iter().filter(|c| c.field.is_some()).count() >= 2 {
            columns.extend(split);
            continue;
        }
        match field_of(cell.text) {
            Some(field) => columns.push(Column { field: Some(field), start: cell.start, end: cell.end }),
            None => columns.extend(split),
        }
    }
    let has = |f: Field| columns.iter().any(|c| c.field == Some(f));
    let item = [Field::Sku, Field::CustomerPart, Field::VendorPart, Field::Gtin, Field::Description];
    let named = columns.iter().filter(|c| c.field.is_some()).count();
    // Single-spaced (OCR): mostly labels, or a sentence that names a
    // quantity and an item would pass for a header.
    let mostly_labels = cells(text).len() >= 3 || named * 3 >= columns.len() * 2;
    (has(Field::Qty) && item.iter().any(|f| has(*f)) && named >= 2 && mostly_labels).then_some(columns)
}

/// The column a header label names: the spreadsheet synonyms, and the
/// words printed forms use besides them.
fn field_of(label: &str) -> Option<Field> {
    if let Some(field) = field_for_label(label) {
        return Some(field);
    }
    match fold_label(label.trim().trim_end_matches(':')).as_str() {
        "details" | "product" | "article" | "goods" | "produkt" | "bezeichnung" | "designation" | "libelle" => {
            Some(Field::Description)
        }
        "item #" | "item no." | "part #" | "part no" | "part number" | "art.-nr." | "artikel" => Some(Field::Sku),
        "total" | "line total" | "amount" | "betrag" | "montant" => Some(Field::Amount),
        "price" | "preis" | "prix" | "precio" => Some(Field::UnitPrice),
        "qty" | "qté" | "qte" | "menge" | "anzahl" | "stk" | "cantidad" => Some(Field::Qty),
        "deliv date" | "del date" | "due date" | "need date" | "req date" | "liefertermin" | "lieferdatum" => {
            Some(Field::RequestedDate)
        }
        _ => None,
    }
}

/// Column labels of several words, as single-spaced OCR headers print them.
const MULTI_WORD_LABELS: &[&str] = &[
    "unit price",
    "unit cost",
    "net price",
    "ext price",
    "extended price",
    "total price",
    "line total",
    "item number",
    "item no",
    "item code",
    "item #",
    "part number",
    "part no",
    "part #",
    "product code",
    "item description",
    "unit of measure",
    "qty ordered",
    "order qty",
    "your part",
    "our part",
    "customer part",
    "po number",
    "deliv date",
    "delivery date",
    "due date",
    "del date",
    "req date",
    "need date",
    "ship date",
];

/// A cell of single-spaced header words (OCR): the longest runs of words
/// that name a column.
fn word_columns(line: &str, cell: &Word<'_>) -> Vec<Column> {
    let inner = words(cell.text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < inner.len() {
        let mut matched = None;
        for len in (1..=3.min(inner.len() - i)).rev() {
            let (Some(first), Some(last)) = (inner.get(i), inner.get(i + len - 1)) else { continue };
            let Some(text) = cell.text.get(first.start..last.end) else { continue };
            // Several words are one column only as a known label: the
            // synonyms match `Details Quantity` as a quantity otherwise.
            if len > 1 && !MULTI_WORD_LABELS.contains(&fold_label(text).as_str()) {
                continue;
            }
            if let Some(field) = field_of(text) {
                matched = Some((
                    len,
                    Column { field: Some(field), start: cell.start + first.start, end: cell.start + last.end },
                ));
                break;
            }
        }
        match matched {
            Some((len, column)) => {
                out.push(column);
                i += len;
            }
            None => {
                if let Some(w) = inner.get(i) {
                    out.push(Column { field: None, start: cell.start + w.start, end: cell.start + w.end });
                }
                i += 1;
            }
        }
    }
    let _ = line;
    out
}

enum Row {
    Line(Box<ReadLine>),
    /// Text without a quantity: maybe a wrapped description.
    Text(String),
    Nothing,
}

/// One row: cells to columns by position, or by shape when the row has no
/// column gaps.
fn read_row(line: &TextLine<'_>, columns: &[Column], anchors: &Anchors<'_>, ocr: bool) -> Row {
    let row_cells = cells(line.text);
    let tabbed = line.text.contains('\t') && columns.iter().all(|c| c.field.is_some());
    let values = if tabbed {
        // A pasted spreadsheet: columns by their order, not their position.
        let fields = columns.iter().map(|c| c.field);
        fields.zip(line.text.split('\t').map(|v| v.trim().to_string())).collect()
    } else if row_cells.len() >= 2 || columns.len() < 2 {
        by_position(&row_cells, columns)
    } else {
        by_shape(line.text, columns)
    };
    build_line(line, &values, anchors, ocr)
}

/// Cells to columns in order (a row never swaps its columns), each cell to
/// a column it fits: numbers to numeric columns, units to the unit column,
/// text to text. Among those assignments, the one whose cells sit closest
/// to their headers: right-aligned numbers drift under the next header, and
/// overlap alone would put `100 EA` under `UOM`.
fn by_position(row: &[Word<'_>], columns: &[Column]) -> Vec<(Option<Field>, String)> {
    let mut values: Vec<(Option<Field>, String)> = columns.iter().map(|c| (c.field, String::new())).collect();
    let (n, m) = (row.len(), columns.len());
    if n == 0 || m == 0 {
        return values;
    }
    const NONE: u64 = u64::MAX / 4;
    // best[i][j]: cells 0..=i placed, cell i in column j.
    let mut best = vec![vec![NONE; m]; n];
    let mut from = vec![vec![usize::MAX; m]; n];
    for (i, cell) in row.iter().enumerate() {
        for (j, column) in columns.iter().enumerate() {
            let here = fit(cell, column);
            if i == 0 {
                if let Some(slot) = best.get_mut(0).and_then(|r| r.get_mut(j)) {
                    *slot = here;
                }
                continue;
            }
            let shared = matches!(column.field, Some(Field::Description) | None);
            let prev = best.get(i - 1).map(Vec::as_slice).unwrap_or(&[]);
            let choice = prev
                .iter()
                .enumerate()
                .filter(|(k, _)| *k < j || (*k == j && shared))
                .min_by_key(|(_, cost)| **cost)
                .map(|(k, cost)| (k, *cost));
            if let Some((k, cost)) = choice.filter(|(_, c)| *c < NONE)
                && let (Some(slot), Some(back)) =
                    (best.get_mut(i).and_then(|r| r.get_mut(j)), from.get_mut(i).and_then(|r| r.get_mut(j)))
            {
                *slot = cost.saturating_add(here);
                *back = k;
            }
        }
    }
    let last = best.get(n - 1).and_then(|r| r.iter().enumerate().min_by_key(|(_, c)| **c).map(|(j, _)| j));
    let mut placed = vec![0usize; n];
    let mut j = last.unwrap_or(0);
    for i in (0..n).rev() {
        if let Some(slot) = placed.get_mut(i) {
            *slot = j;
        }
        j = from.get(i).and_then(|r| r.get(j)).copied().unwrap_or(0);
    }
    for (cell, j) in row.iter().zip(placed) {
        if let Some(slot) = values.get_mut(j) {
            if !slot.1.is_empty() {
                slot.1.push(' ');
            }
            slot.1.push_str(cell.text.trim());
        }
    }
    values
}

/// What putting a cell under a column costs: its distance from the header
/// (centre to centre, or right edge to right edge when they overlap), plus a penalty
/// when the cell cannot be that column's value.
fn fit(cell: &Word<'_>, column: &Column) -> u64 {
    const MISFIT: u64 = 10_000;
    // Twice the centre, in whole columns.
    let centre = |s: usize, e: usize| (s + e) as u64;
    let overlaps = cell.start < column.end && column.start < cell.end;
    let right_aligned = cell.end.abs_diff(column.end) as u64;
    let centres = centre(cell.start, cell.end).abs_diff(centre(column.start, column.end));
    let distance = if overlaps { right_aligned.min(centres) } else { centres };
    let text = cell.text.trim();
    let leads_number = text.split_whitespace().next().is_some_and(|w| number(w, true).is_some());
    let unit = is_unit_word(&text.to_lowercase());
    let misfit = match column.field {
        Some(Field::Qty | Field::UnitPrice | Field::Amount) => !leads_number,
        Some(Field::Uom) => !unit,
        Some(Field::LineNo) => !(text.len() <= 6 && text.chars().all(|c| c.is_ascii_digit() || c == '.')),
        Some(Field::Description) => leads_number && text.split_whitespace().count() == 1,
        _ => false,
    };
    distance + if misfit { MISFIT } else { 0 }
}

fn is_numeric_field(field: Option<Field>) -> bool {
    matches!(field, Some(Field::Qty | Field::UnitPrice | Field::Amount))
}

/// A single-spaced row (`Bindings 20 1.00 20.00`): numbers from the right
/// fill the numeric columns from the right; the words before them the item
/// and description columns.
fn by_shape(text: &str, columns: &[Column]) -> Vec<(Option<Field>, String)> {
    let mut values: Vec<(Option<Field>, String)> = columns.iter().map(|c| (c.field, String::new())).collect();
    let mut row = words(text);
    let numeric: Vec<usize> =
        columns.iter().enumerate().filter(|(_, c)| is_numeric_field(c.field)).map(|(i, _)| i).collect();
    for col in numeric.iter().rev() {
        let Some(last) = row.last() else { break };
        if number(last.text, true).is_none() {
            break;
        }
        if let Some(slot) = values.get_mut(*col) {
            slot.1 = last.text.to_string();
        }
        row.pop();
    }
    if let Some(unit) = row.last().filter(|w| is_unit_word(&w.bare()))
        && let Some(slot) = values.iter_mut().find(|v| v.0 == Some(Field::Uom))
    {
        slot.1 = unit.text.to_string();
        row.pop();
    }
    let mut rest: Vec<&str> = row.iter().map(|w| w.text).collect();
    let line_col = values.iter().position(|v| v.0 == Some(Field::LineNo));
    if let (Some(col), Some(first)) = (line_col, rest.first().copied())
        && first.len() <= 4
        && first.chars().all(|c| c.is_ascii_digit())
        && let Some(slot) = values.get_mut(col)
    {
        slot.1 = first.to_string();
        rest.remove(0);
    }
    let code_col = values
        .iter()
        .position(|v| matches!(v.0, Some(Field::Sku | Field::CustomerPart | Field::VendorPart | Field::Gtin)));
    let desc_col = values.iter().position(|v| v.0 == Some(Field::Description));
    let mut words_left: &[&str] = &rest;
    if let (Some(code), Some(first)) = (code_col, rest.first())
        && first.chars().any(|c| c.is_ascii_digit())
        && let Some(slot) = values.get_mut(code)
    {
        slot.1 = (*first).to_string();
        words_left = rest.get(1..).unwrap_or(&[]);
    }
    let target = desc_col.or(code_col);
    if let Some(slot) = target.and_then(|i| values.get_mut(i)) {
        slot.1 = words_left.join(" ");
    }
    values
}

fn value_of(values: &[(Option<Field>, String)], field: Field) -> Option<&str> {
    values.iter().find(|(f, v)| *f == Some(field) && !v.trim().is_empty()).map(|(_, v)| v.trim())
}

/// A number cell: the value, a unit written with it (`10 EA`) and whether
/// OCR look-alikes were read as digits.
fn number_cell(text: &str, ocr: bool) -> Option<(Decimal, Option<String>, bool)> {
    let first = text.split_whitespace().next()?;
    if let Some((value, repaired)) = number(first, ocr) {
        let rest = text.get(first.len()..).map(str::trim).filter(|r| !r.is_empty());
        let unit = rest.filter(|r| is_unit_word(&r.to_lowercase())).map(str::to_string);
        return Some((value, unit, repaired));
    }
    let parsed = parse_number_text(text, NumberStyle::default())?;
    Some((parsed.value, parsed.suffix.filter(|s| is_unit_word(&s.to_lowercase())), false))
}

fn build_line(line: &TextLine<'_>, values: &[(Option<Field>, String)], anchors: &Anchors<'_>, ocr: bool) -> Row {
    let description = value_of(values, Field::Description).map(str::to_string);
    let qty = value_of(values, Field::Qty).and_then(|q| number_cell(q, ocr));
    let Some((qty, unit_in_qty, qty_repaired)) = qty else {
        let text: Vec<&str> = values.iter().map(|(_, v)| v.trim()).filter(|v| !v.is_empty()).collect();
        let only_text = values.iter().all(|(f, v)| v.trim().is_empty() || matches!(f, Some(Field::Description) | None));
        return if only_text && !text.is_empty() { Row::Text(text.join(" ")) } else { Row::Nothing };
    };
    let mut parsed = ParsedLine {
        line_no: value_of(values, Field::LineNo).map(str::to_string),
        description: description.clone(),
        qty: Some(qty),
        uom: value_of(values, Field::Uom).map(str::to_string).or(unit_in_qty),
        position: Position { line: Some(line.number), ..Default::default() },
        ..Default::default()
    };
    let mut warnings = Vec::new();
    let mut repaired = qty_repaired;
    for (field, value) in values {
        let Some(kind) = field.and_then(Field::item_kind) else { continue };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let found = anchors.find(value).into_iter().find_map(|a| a.id.map(|id| (id, a.repaired)));
        let id = match found {
            Some((id, fixed)) => {
                repaired |= fixed;
                id
            }
            None => ItemId { kind, qualifier: None, value: value.to_string() },
        };
        parsed.item_ids.push(id);
    }
    if parsed.item_ids.is_empty()
        && let Some(desc) = description.as_deref()
    {
        for anchor in anchors.find(desc) {
            repaired |= anchor.repaired;
            if let Some(id) = anchor.id {
                parsed.item_ids.push(id);
            }
        }
    }
    if parsed.item_ids.is_empty() && description.is_none() {
        return Row::Nothing;
    }
    let price = value_of(values, Field::UnitPrice).and_then(|p| number_cell(p, ocr));
    if let Some((p, _, fixed)) = price {
        parsed.unit_price = Some(p);
        repaired |= fixed;
    }
    match value_of(values, Field::RequestedDate).and_then(column_date) {
        Some(date) => parsed.dates.push(QualifiedDate { qualifier: "requested".into(), date }),
        None => {
            // A date in a row that no column names: kept so the order knows
            // a date went unread.
            let found = super::dates::find_dates(line.text);
            if let Some(date) = found.first().and_then(|d| d.value.resolve(None, None)) {
                parsed.dates.push(QualifiedDate { qualifier: "unread".into(), date });
            }
        }
    }
    let amount = value_of(values, Field::Amount).and_then(|a| number_cell(a, ocr)).map(|a| a.0);
    check_amount(&mut parsed, amount, ocr, line.number, &mut warnings);
    if repaired {
        warnings.push(Diagnostic::warning(
            "ocr_repaired",
            format!("line {}: OCR look-alike characters were read again to make sense of this row", line.number),
            parsed.position.clone(),
        ));
    }
    let read = ReadLine { line: parsed, warnings };
    if !(read.line.item_ids.iter().any(|i| !i.value.is_empty()) || read.line.description.is_some()) {
        return Row::Nothing;
    }
    let _ = ItemIdKind::Sku;
    Row::Line(Box::new(read))
}

/// A date in a delivery-date column, when it needs no day/month order.
fn column_date(text: &str) -> Option<chrono::NaiveDate> {
    let found = super::dates::find_dates(text);
    found.first().and_then(|d| d.value.resolve(None, None))
}

/// qty × unit price against the stated amount: a dropped decimal point in
/// OCR'd prices is put back (with a warning); any other difference is a
/// warning.
fn check_amount(
    line: &mut ParsedLine,
    amount: Option<Decimal>,
    ocr: bool,
    number: usize,
    warnings: &mut Vec<Diagnostic>,
) {
    let (Some(qty), Some(price), Some(amount)) = (line.qty, line.unit_price, amount) else { return };
    let agrees = |p: Decimal| {
        let diff = (qty * p - amount).abs();
        diff <= Decimal::new(1, 2).max(amount.abs() * Decimal::new(5, 3))
    };
    if agrees(price) {
        return;
    }
    let position = line.position.clone();
    if ocr && agrees(price / Decimal::ONE_HUNDRED) {
        line.unit_price = Some(price / Decimal::ONE_HUNDRED);
        warnings.push(Diagnostic::warning(
            "ocr_repaired",
            format!(
                "line {number}: price {price} read as {} (OCR dropped the decimal point)",
                price / Decimal::ONE_HUNDRED
            ),
            position,
        ));
        return;
    }
    warnings.push(Diagnostic::warning(
        "line_total_mismatch",
        format!("line {number}: {qty} × {price} = {} but the line says {amount}", (qty * price).normalize()),
        position,
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Vec<Option<Field>> {
        header_columns(text).map(|c| c.into_iter().map(|c| c.field).collect()).unwrap_or_default()
    }

    #[test]
    fn headers_in_layout_and_ocr_text() {
        let contoso = "      ITEM #                        DESCRIPTION                       QTY         UNIT PRICE          TOTAL";
        assert!(fields(contoso).contains(&Some(Field::Qty)), "{:?}", fields(contoso));
        assert!(fields(contoso).contains(&Some(Field::UnitPrice)), "{:?}", fields(contoso));
        let ocr = "Details Quantity Unit Price Total";
        assert!(fields(ocr).contains(&Some(Field::Qty)), "{:?}", fields(ocr));
        assert!(header_columns("Phone: 1 (800) 555-7676").is_none());
    }

    #[test]
    fn rows_by_shape() {
        let columns = header_columns("Details Quantity Unit Price Total").unwrap_or_default();
        let values = by_shape("Covers Small 20 1.00 20.00", &columns);
        assert_eq!(value_of(&values, Field::Qty), Some("20"));
        assert_eq!(value_of(&values, Field::UnitPrice), Some("1.00"));
    }
}
