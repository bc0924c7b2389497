//! One interpreter for every table, CSV or XLSX: find the order table, read
//! its rows into lines, and group the lines into orders by PO number.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use prodline_core::units::is_known_uom;
use prodline_core::{Diagnostic, ItemId, ItemIdKind, ParsedLine, ParsedOrder, Party, PartyId, QualifiedDate};
use rust_decimal::Decimal;

use crate::header::Field;
use crate::headerless;
use crate::items::{ItemSpec, split_item_list};
use crate::layout::{Layout, find_header};
use crate::table::{Cell, Table};
use crate::value::{
    DateOrder, NumberStyle, infer_date_order, infer_number_style, is_code_like, parse_date, parse_number_text,
};

/// What one table yielded.
#[derive(Debug, Default)]
pub struct Interpretation {
    pub orders: Vec<ParsedOrder>,
    /// Findings about the table as a whole (no header, ambiguous dates).
    pub diagnostics: Vec<Diagnostic>,
}

/// Read the orders in a table. No order table gives no orders; the caller
/// decides whether that is an error (a cover sheet is fine).
pub fn interpret(table: &Table) -> Interpretation {
    let european_hint = table.hints.semicolon_delimited;
    let mut diagnostics = Vec::new();
    let layout = match find_header(table) {
        Some(layout) => layout,
        None => {
            let style = infer_number_style(all_text(table), european_hint);
            let Some(layout) = headerless::infer_layout(table, style) else { return Interpretation::default() };
            diagnostics.push(Diagnostic::warning(
                "no_header_row",
                "no header row found; columns were inferred from their content",
                table.position(layout.data_start, None),
            ));
            layout
        }
    };
    let layout = reclassify_line_numbers(table, layout);
    let layout = recognise_buyer_part_column(table, layout);
    let reader = RowReader::new(table, &layout, &mut diagnostics);
    let orders = reader.read_orders();
    // Without a quantity column, only cells that list quantities make an order table.
    let any_qty = orders.iter().flat_map(|o| &o.lines).any(|l| l.qty.is_some());
    if orders.is_empty() || !any_qty {
        return Interpretation::default();
    }
    Interpretation { orders, diagnostics }
}

fn all_text(table: &Table) -> impl Iterator<Item = &str> {
    table.rows.iter().flatten().filter_map(|c| match c {
        Cell::Text(s) => Some(s.as_str()),
        _ => None,
    })
}

/// An `Item No` column holding codes, with no other item column, is the item.
fn reclassify_line_numbers(table: &Table, mut layout: Layout) -> Layout {
    let has_item = [Field::Sku, Field::CustomerPart, Field::VendorPart, Field::Gtin].iter().any(|f| layout.has(*f));
    let Some(col) = layout.column_of(Field::LineNo) else { return layout };
    if has_item {
        return layout;
    }
    let values: Vec<String> = (layout.data_start..table.rows.len()).filter_map(|r| table.display(r, col)).collect();
    let codes = values.iter().filter(|v| v.parse::<u64>().is_err() && is_code_like(v)).count();
    if codes * 2 > values.len()
        && let Some(slot) = layout.columns.get_mut(col)
    {
        *slot = Some(Field::Sku);
    }
    layout
}

/// A table with no item column whose unnamed `HPS#` / `ABC No` column holds
/// codes: the sheet is the buyer's, so its own numbering is the buyer's part
/// number. Without this every row is "a quantity but no item".
fn recognise_buyer_part_column(table: &Table, mut layout: Layout) -> Layout {
    let has_item = [Field::Sku, Field::CustomerPart, Field::VendorPart, Field::Gtin, Field::Description]
        .iter()
        .any(|f| layout.has(*f));
    let Some((_, header)) = layout.header_rows else { return layout };
    if has_item || !layout.has(Field::Qty) {
        return layout;
    }
    let candidate = (0..layout.columns.len()).find(|&col| {
        layout.columns.get(col).is_some_and(Option::is_none)
            && table.display(header, col).is_some_and(|label| is_number_label(&label))
            && mostly_codes(table, layout.data_start, col)
    });
    if let Some(slot) = candidate.and_then(|col| layout.columns.get_mut(col)) {
        *slot = Some(Field::CustomerPart);
    }
    layout
}

/// A label naming some numbering: `HPS#`, `Acme No.`, `ABC Nr`.
fn is_number_label(label: &str) -> bool {
    let label = label.trim();
    if label.ends_with('#') || label.ends_with('№') {
        return true;
    }
    let folded = crate::value::normalize_label(label);
    folded.split(' ').count() >= 2
        && (folded.ends_with(" p n")
            || folded.rsplit(' ').next().is_some_and(|last| matches!(last, "no" | "nr" | "number" | "num" | "pn")))
}

/// More than half the non-empty cells below `start` are codes, not all digits.
fn mostly_codes(table: &Table, start: usize, col: usize) -> bool {
    let values: Vec<String> = (start..table.rows.len()).filter_map(|r| table.display(r, col)).collect();
    let codes = values.iter().filter(|v| v.parse::<u64>().is_err() && is_code_like(v)).count();
    !values.is_empty() && codes * 2 > values.len()
}

/// Order-level values, as read from a row or the preamble.
#[derive(Debug, Clone, Default)]
struct OrderFields {
    po: Option<String>,
    order_date: Option<NaiveDate>,
    requested_date: Option<NaiveDate>,
    currency: Option<String>,
    buyer: PartyFields,
    ship_to: PartyFields,
    notes: Vec<String>,
}

#[derive(Debug, Clone, Default)]
struct PartyFields {
    name: Option<String>,
    id: Option<String>,
    address: Vec<String>,
    city: Option<String>,
    region: Option<String>,
    postal: Option<String>,
    country: Option<String>,
}

impl PartyFields {
    fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.id.is_none()
            && self.address.is_empty()
            && self.city.is_none()
            && self.region.is_none()
            && self.postal.is_none()
            && self.country.is_none()
    }

    /// Fill what is missing from `other`; the first value seen wins.
    fn fill_from(&mut self, other: &PartyFields) {
        fill(&mut self.name, &other.name);
        fill(&mut self.id, &other.id);
        if self.address.is_empty() {
            self.address.clone_from(&other.address);
        }
        fill(&mut self.city, &other.city);
        fill(&mut self.region, &other.region);
        fill(&mut self.postal, &other.postal);
        fill(&mut self.country, &other.country);
    }

    fn to_party(&self, code: &str) -> Option<Party> {
        if self.is_empty() {
            return None;
        }
        let mut party = Party::new(code);
        party.id = self.id.clone().map(|value| PartyId { qualifier: None, value });
        party.name.clone_from(&self.name);
        party.address.clone_from(&self.address);
        party.city.clone_from(&self.city);
        party.region.clone_from(&self.region);
        party.postal_code.clone_from(&self.postal);
        party.country.clone_from(&self.country);
        Some(party)
    }
}

fn fill<T: Clone>(slot: &mut Option<T>, other: &Option<T>) {
    if slot.is_none() {
        slot.clone_from(other);
    }
}

impl OrderFields {
    fn fill_from(&mut self, other: &OrderFields) {
        fill(&mut self.po, &other.po);
        fill(&mut self.order_date, &other.order_date);
        fill(&mut self.requested_date, &other.requested_date);
        fill(&mut self.currency, &other.currency);
        self.buyer.fill_from(&other.buyer);
        self.ship_to.fill_from(&other.ship_to);
        for note in &other.notes {
            if !self.notes.contains(note) {
                self.notes.push(note.clone());
            }
        }
    }

    fn apply(&self, order: &mut ParsedOrder) {
        order.po_number.clone_from(&self.po);
        order.order_date = self.order_date;
        order.requested_date = self.requested_date;
        order.currency.clone_from(&self.currency);
        order.parties.extend(self.buyer.to_party("BY"));
        order.parties.extend(self.ship_to.to_party("ST"));
        order.notes.clone_from(&self.notes);
    }
}

/// Reads the data rows of one table under one layout.
struct RowReader<'a> {
    table: &'a Table,
    layout: &'a Layout,
    style: NumberStyle,
    date_order: DateOrder,
    diagnostics: &'a mut Vec<Diagnostic>,
    /// A currency written beside a price (`€ 11,85`), for the row's order.
    price_currency: Option<String>,
}

/// One group of rows with the same PO.
struct OrderGroup {
    fields: OrderFields,
    order: ParsedOrder,
}

impl<'a> RowReader<'a> {
    fn new(table: &'a Table, layout: &'a Layout, diagnostics: &'a mut Vec<Diagnostic>) -> Self {
        let numeric_columns = [Field::Qty, Field::UnitPrice, Field::Amount].iter().flat_map(|f| layout.columns_of(*f));
        let numbers: Vec<String> = numeric_columns
            .flat_map(|c| (layout.data_start..table.rows.len()).filter_map(move |r| text_at(table, r, c)))
            .collect();
        let style = infer_number_style(numbers.iter().map(String::as_str), table.hints.semicolon_delimited);
        let european = table.hints.semicolon_delimited || style.decimal_comma;
        let date_columns = [Field::OrderDate, Field::RequestedDate].iter().flat_map(|f| layout.columns_of(*f));
        let mut dates: Vec<String> = date_columns
            .flat_map(|c| (layout.data_start..table.rows.len()).filter_map(move |r| text_at(table, r, c)))
            .collect();
        dates.extend(layout.preamble.iter().filter_map(|(_, cell, _, _)| match cell {
            Cell::Text(s) => Some(s.clone()),
            _ => None,
        }));
        let guess = infer_date_order(dates.iter().map(String::as_str), european);
        if guess.ambiguous {
            let convention =
                if guess.order == DateOrder::DayFirst { "day-first (D/M/Y)" } else { "month-first (M/D/Y)" };
            diagnostics.push(Diagnostic::warning(
                "ambiguous_date_order",
                format!("no date in the file settles day and month order; dates were read {convention}"),
                table.position(layout.data_start, None),
            ));
        }
        RowReader { table, layout, style, date_order: guess.order, diagnostics, price_currency: None }
    }

    fn read_orders(mut self) -> Vec<ParsedOrder> {
        let layout = self.layout;
        let mut preamble = OrderFields::default();
        for (field, cell, row, col) in &layout.preamble {
            self.read_order_field(&mut preamble, *field, cell, *row, *col);
        }
        let mut groups: Vec<OrderGroup> = Vec::new();
        let mut by_po: HashMap<Option<String>, usize> = HashMap::new();
        let mut current: Option<usize> = None;
        for row in self.layout.data_start..self.table.rows.len() {
            if self.table.row_is_empty(row) || self.is_repeated_header(row) {
                continue;
            }
            let mut fields = self.read_row_order_fields(row);
            let lines = self.read_lines(row);
            if fields.currency.is_none() {
                fields.currency = self.price_currency.take();
            }
            if lines.is_empty() {
                continue;
            }
            let index = match (&fields.po, current) {
                (None, Some(index)) => index,
                (po, _) => *by_po.entry(po.clone()).or_insert_with(|| {
                    groups.push(OrderGroup {
                        fields: OrderFields::default(),
                        order: ParsedOrder { position: self.table.position(row, None), ..ParsedOrder::default() },
                    });
                    groups.len() - 1
                }),
            };
            current = Some(index);
            if let Some(group) = groups.get_mut(index) {
                group.fields.fill_from(&fields);
                group.order.lines.extend(lines);
            }
        }
        groups
            .into_iter()
            .map(|mut group| {
                group.fields.fill_from(&preamble);
                group.fields.apply(&mut group.order);
                group.order
            })
            .collect()
    }

    /// A header row repeated in the body (a multi-page export): two or more
    /// cells equal to the header's own.
    fn is_repeated_header(&self, row: usize) -> bool {
        let Some((_, last)) = self.layout.header_rows else { return false };
        let Some(cells) = self.table.rows.get(row) else { return false };
        let same = cells.iter().enumerate().filter(|(c, cell)| {
            matches!(cell, Cell::Text(_))
                && self.layout.columns.get(*c).is_some_and(Option::is_some)
                && self.table.cell(last, *c) == *cell
        });
        same.count() >= 2
    }

    fn cell(&self, row: usize, field: Field) -> Option<(usize, &'a Cell)> {
        let col = self.layout.column_of(field)?;
        let cell = self.table.cell(row, col);
        (!cell.is_empty()).then_some((col, cell))
    }

    fn text(&self, row: usize, field: Field) -> Option<String> {
        self.cell(row, field).and_then(|(_, c)| c.display())
    }

    fn read_row_order_fields(&mut self, row: usize) -> OrderFields {
        let (layout, table) = (self.layout, self.table);
        let mut fields = OrderFields::default();
        for (col, field) in layout.columns.iter().enumerate() {
            let Some(field) = field else { continue };
            let cell = table.cell(row, col);
            if cell.is_empty() || (*field == Field::RequestedDate && fields.requested_date.is_some()) {
                continue;
            }
            self.read_order_field(&mut fields, *field, cell, row, col);
        }
        fields
    }

    fn read_order_field(&mut self, fields: &mut OrderFields, field: Field, cell: &Cell, row: usize, col: usize) {
        let text = cell.display();
        match field {
            Field::PoNumber => fields.po = text,
            Field::OrderDate => fields.order_date = self.date(cell, row, col),
            Field::RequestedDate => fields.requested_date = self.date(cell, row, col),
            Field::Currency => fields.currency = text.map(|t| t.to_uppercase()),
            Field::CustomerName => fields.buyer.name = text,
            Field::CustomerId => fields.buyer.id = text,
            Field::Address => fields.buyer.address.extend(text),
            Field::City => fields.buyer.city = text,
            Field::Region => fields.buyer.region = text,
            Field::PostalCode => fields.buyer.postal = text,
            Field::Country => fields.buyer.country = text,
            Field::ShipToName => fields.ship_to.name = text,
            Field::ShipToCode => fields.ship_to.id = text,
            Field::ShipToAddress => fields.ship_to.address.extend(text),
            Field::ShipToCity => fields.ship_to.city = text,
            Field::ShipToRegion => fields.ship_to.region = text,
            Field::ShipToPostal => fields.ship_to.postal = text,
            Field::ShipToCountry => fields.ship_to.country = text,
            Field::Notes => fields.notes.extend(text),
            _ => {}
        }
    }

    /// A date cell: typed, an Excel serial in a date column, or text.
    fn date(&mut self, cell: &Cell, row: usize, col: usize) -> Option<NaiveDate> {
        let parsed = match cell {
            Cell::Empty => return None,
            Cell::Date(d) => Some(*d),
            Cell::Number(n) if self.table.hints.typed => excel_serial_date(*n),
            other => other.display().and_then(|t| parse_date(&t, self.date_order)),
        };
        if parsed.is_none() {
            self.diagnostics.push(Diagnostic::warning(
                "bad_date",
                format!("{:?} is not a date", cell.display().unwrap_or_default()),
                self.table.position(row, Some(col)),
            ));
        }
        parsed
    }

    /// The lines of one row: usually one, several when one cell lists them
    /// (`2x HV-075-BR; 5x FT-050-SS`), none for a totals or blank row.
    fn read_lines(&mut self, row: usize) -> Vec<ParsedLine> {
        let item_cells: Vec<(Field, String)> = [Field::Sku, Field::CustomerPart, Field::VendorPart, Field::Gtin]
            .into_iter()
            .filter_map(|f| self.text(row, f).map(|t| (f, t)))
            .collect();
        let description = self.text(row, Field::Description);
        let qty_cell = self.cell(row, Field::Qty);
        if qty_cell.is_none() && self.is_summary_row(row) {
            return Vec::new();
        }
        if let Some(lines) = self.split_listed_items(row, &item_cells, description.as_deref(), qty_cell.is_none()) {
            return lines;
        }
        if item_cells.is_empty() && description.is_none() {
            if qty_cell.is_some() && !self.is_totals_row(row) {
                self.diagnostics.push(Diagnostic::warning(
                    "line_without_item",
                    "a row has a quantity but no item number or description",
                    self.table.position(row, None),
                ));
            } else {
                return Vec::new();
            }
        }
        let mut line = self.base_line(row);
        line.item_ids = item_cells
            .into_iter()
            .filter_map(|(f, value)| f.item_kind().map(|kind| ItemId { kind, qualifier: None, value }))
            .collect();
        line.description = description;
        match qty_cell {
            Some((col, cell)) => {
                let (qty, unit) = self.quantity(cell, row, col);
                line.qty = qty;
                if line.uom.is_none() {
                    line.uom = unit;
                }
            }
            None => self.diagnostics.push(Diagnostic::warning(
                "missing_quantity",
                "the row has an item but no quantity",
                self.table.position(row, self.layout.column_of(Field::Qty)),
            )),
        }
        self.settle_price_from_total(row, &mut line);
        vec![line]
    }

    /// A line total beside the quantity states the unit price too: without a
    /// price, or with a "price" equal to the total on a line of several
    /// units (the price column holds line totals), the unit price is the
    /// total over the quantity.
    fn settle_price_from_total(&mut self, row: usize, line: &mut ParsedLine) {
        let Some(qty) = line.qty.filter(|q| *q > Decimal::ZERO) else { return };
        let Some((col, cell)) = self.cell(row, Field::Amount) else { return };
        let Some(total) = self.amount(cell) else { return };
        let per_unit = match total.checked_div(qty) {
            Some(p) => p.round_dp(4).normalize(),
            None => return,
        };
        match line.unit_price {
            None => line.unit_price = Some(per_unit),
            Some(price) if qty != Decimal::ONE && (price - total).abs() < Decimal::new(5, 3) => {
                self.diagnostics.push(Diagnostic::warning(
                    "price_is_line_total",
                    format!("the price {price} equals the line total for {qty} units; read {per_unit} per unit"),
                    self.table.position(row, Some(col)),
                ));
                line.unit_price = Some(per_unit);
            }
            Some(_) => {}
        }
    }

    /// A line total cell as a number; not a price, so it sets no currency.
    fn amount(&self, cell: &Cell) -> Option<Decimal> {
        match cell {
            Cell::Number(n) => Some(*n),
            other => parse_number_text(&other.display()?, self.style).map(|p| p.value),
        }
    }

    /// What every line of a row shares: line number, unit, price, date, position.
    fn base_line(&mut self, row: usize) -> ParsedLine {
        let mut line = ParsedLine {
            line_no: self.text(row, Field::LineNo),
            uom: self.text(row, Field::Uom),
            position: self.table.position(row, None),
            ..ParsedLine::default()
        };
        if let Some((col, cell)) = self.cell(row, Field::UnitPrice) {
            line.unit_price = self.price(cell, row, col);
        }
        let requested = self.layout.columns_of(Field::RequestedDate).into_iter().find_map(|col| {
            let cell = self.table.cell(row, col);
            (!cell.is_empty()).then_some((col, cell))
        });
        if let Some((col, cell)) = requested
            && let Some(date) = self.date(cell, row, col)
        {
            line.dates.push(QualifiedDate { qualifier: "requested".to_string(), date });
        }
        line
    }

    fn is_totals_row(&self, row: usize) -> bool {
        const WORDS: &[&str] = &["total", "summe", "gesamt", "totaal", "totale", "subtotal", "zwischensumme", "sum"];
        self.table.rows.get(row).is_some_and(|cells| {
            cells.iter().any(|c| match c {
                Cell::Text(t) => {
                    let folded = crate::value::normalize_label(t);
                    folded.split(' ').any(|w| WORDS.contains(&w))
                }
                _ => false,
            })
        })
    }

    /// A row without a quantity that a summary or sign-off label opens
    /// (`Total`, `TOTAL HT`, `Freight`, `Approved by: R. Dubois`): never a
    /// line, whatever column the label landed in.
    fn is_summary_row(&self, row: usize) -> bool {
        const WORDS: &[&str] = &[
            "total",
            "totals",
            "subtotal",
            "sum",
            "summe",
            "gesamt",
            "zwischensumme",
            "totaal",
            "totale",
            "tax",
            "vat",
            "tva",
            "mwst",
            "freight",
            "shipping",
            "approved",
            "signed",
            "signature",
            "authorized",
            "authorised",
            "genehmigt",
            "unterschrift",
            "fracht",
        ];
        self.table.rows.get(row).is_some_and(|cells| {
            cells.iter().any(|c| match c {
                Cell::Text(t) => {
                    let folded = crate::value::normalize_label(t);
                    folded.split(' ').next().is_some_and(|w| WORDS.contains(&w))
                }
                _ => false,
            })
        })
    }

    /// A quantity cell: a number, maybe with its unit (`10 EA`).
    fn quantity(&mut self, cell: &Cell, row: usize, col: usize) -> (Option<Decimal>, Option<String>) {
        if let Cell::Number(n) = cell {
            return (Some(*n), None);
        }
        let text = cell.display().unwrap_or_default();
        match parse_number_text(&text, self.style) {
            Some(parsed) if parsed.suffix.as_deref().is_none_or(is_unit_word) && parsed.currency.is_none() => {
                (Some(parsed.value), parsed.suffix)
            }
            _ => {
                self.diagnostics.push(Diagnostic::error(
                    "bad_quantity",
                    format!("quantity {text:?} is not a number"),
                    self.table.position(row, Some(col)),
                ));
                (None, None)
            }
        }
    }

    fn price(&mut self, cell: &Cell, row: usize, col: usize) -> Option<Decimal> {
        if let Cell::Number(n) = cell {
            return Some(*n);
        }
        let text = cell.display().unwrap_or_default();
        let parsed = parse_number_text(&text, self.style);
        if let Some(currency) = parsed.as_ref().and_then(|p| p.currency.clone()) {
            self.price_currency = Some(currency);
        }
        if parsed.is_none() {
            self.diagnostics.push(Diagnostic::warning(
                "bad_price",
                format!("price {text:?} is not a number"),
                self.table.position(row, Some(col)),
            ));
        }
        parsed.map(|p| p.value)
    }

    /// Split a cell that lists several items into lines. Used when the row
    /// has no quantity of its own or when the cell lists two or more.
    fn split_listed_items(
        &mut self,
        row: usize,
        item_cells: &[(Field, String)],
        description: Option<&str>,
        no_qty: bool,
    ) -> Option<Vec<ParsedLine>> {
        let (kind, text) = match item_cells.first() {
            Some((field, text)) => (field.item_kind().unwrap_or(ItemIdKind::Sku), text.as_str()),
            None => (ItemIdKind::Sku, description?),
        };
        let specs = split_item_list(text, self.style)?;
        if specs.len() < 2 && !no_qty {
            return None;
        }
        let base = self.base_line(row);
        let row_line_no = base.line_no.clone();
        let single = specs.len() == 1;
        let lines = specs
            .into_iter()
            .enumerate()
            .map(|(i, spec)| {
                let ItemSpec { qty, uom, code, description } = spec;
                ParsedLine {
                    line_no: row_line_no.as_ref().map(|n| if single { n.clone() } else { format!("{n}.{}", i + 1) }),
                    item_ids: vec![ItemId { kind, qualifier: None, value: code }],
                    description,
                    qty: Some(qty),
                    uom: uom.or_else(|| base.uom.clone()),
                    unit_price: if single { base.unit_price } else { None },
                    ..base.clone()
                }
            })
            .collect();
        Some(lines)
    }
}

fn text_at(table: &Table, row: usize, col: usize) -> Option<String> {
    match table.cell(row, col) {
        Cell::Text(s) => Some(s.clone()),
        _ => None,
    }
}

/// A unit written after a quantity: a known unit or a short word.
fn is_unit_word(text: &str) -> bool {
    is_known_uom(text) || (text.chars().count() <= 6 && text.chars().all(char::is_alphabetic))
}

/// Excel's serial day number (1900 system) to a date; only plausible order
/// dates (1954..2119) are taken.
pub fn excel_serial_date(serial: Decimal) -> Option<NaiveDate> {
    let days = serial.trunc();
    if days < Decimal::from(20_000) || days > Decimal::from(80_000) {
        return None;
    }
    let days: u64 = days.to_string().parse().ok()?;
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_days(Days::new(days))
}
