//! Turning a canonical order into ERP column values, as text.
//!
//! Every value is rendered to a string (or NULL) and bound as a parameter:
//! decimals keep their exact digits (never through f64), dates take the
//! configured format, and the database converts to the column's type.

use std::collections::BTreeMap;

use prodline_core::{CanonicalLine, CanonicalOrder, NaiveDate};

/// ISO 8601, used when a date column names no format.
const DEFAULT_DATE_FORMAT: &str = "%Y-%m-%d";

/// A canonical-order field a column can be filled from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    CustomerPo,
    CustomerId,
    OrderDate,
    RequestedDate,
    ShipTo,
    Currency,
    Line,
    Sku,
    Qty,
    Uom,
    UnitPrice,
    CustomerPart,
    Description,
}

impl Field {
    /// Fields a header column may use.
    pub const HEADER: &'static [Field] =
        &[Field::CustomerPo, Field::CustomerId, Field::OrderDate, Field::RequestedDate, Field::ShipTo, Field::Currency];
    /// Fields a line column may use: its own, and the header's (lines often repeat the PO).
    pub const ALL: &'static [Field] = &[
        Field::CustomerPo,
        Field::CustomerId,
        Field::OrderDate,
        Field::RequestedDate,
        Field::ShipTo,
        Field::Currency,
        Field::Line,
        Field::Sku,
        Field::Qty,
        Field::Uom,
        Field::UnitPrice,
        Field::CustomerPart,
        Field::Description,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::CustomerPo => "customer_po",
            Field::CustomerId => "customer_id",
            Field::OrderDate => "order_date",
            Field::RequestedDate => "requested_date",
            Field::ShipTo => "ship_to",
            Field::Currency => "currency",
            Field::Line => "line",
            Field::Sku => "sku",
            Field::Qty => "qty",
            Field::Uom => "uom",
            Field::UnitPrice => "unit_price",
            Field::CustomerPart => "customer_part",
            Field::Description => "description",
        }
    }

    pub fn parse(name: &str) -> Option<Field> {
        Field::ALL.iter().copied().find(|field| field.name() == name)
    }

    pub fn is_date(self) -> bool {
        matches!(self, Field::OrderDate | Field::RequestedDate)
    }
}

/// Where a column's value comes from, after validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    Field {
        field: Field,
        format: Option<String>,
        pad: Option<usize>,
        map: Option<BTreeMap<String, String>>,
    },
    Const(String),
    /// The header row's key (lines only).
    HeaderKey,
    IdempotencyKey,
}

/// One ERP column and its source; `key` is its config path for messages.
#[derive(Debug, Clone)]
pub(crate) struct ColumnPlan {
    pub column: String,
    pub key: String,
    pub source: Source,
}

/// A value that cannot be delivered: the mapping has no answer for it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct MappingError {
    pub key: String,
    pub message: String,
}

/// What is known when rendering a row.
pub(crate) struct RowContext<'a> {
    pub order: &'a CanonicalOrder,
    pub line: Option<&'a CanonicalLine>,
    pub idempotency_key: &'a str,
    pub header_key: Option<&'a str>,
}

/// Renders every column of a row, in plan order.
pub(crate) fn render_row(
    columns: &[ColumnPlan],
    context: &RowContext<'_>,
) -> Result<Vec<Option<String>>, MappingError> {
    columns.iter().map(|column| render_column(column, context)).collect()
}

fn render_column(column: &ColumnPlan, context: &RowContext<'_>) -> Result<Option<String>, MappingError> {
    match &column.source {
        Source::Const(value) => Ok(Some(value.clone())),
        Source::IdempotencyKey => Ok(Some(context.idempotency_key.to_owned())),
        Source::HeaderKey => Ok(context.header_key.map(str::to_owned)),
        Source::Field { field, format, pad, map } => {
            let Some(value) = field_value(*field, format.as_deref(), context) else {
                return Ok(None);
            };
            let value = match map {
                Some(map) => lookup(map, &value, &column.key)?,
                None => value,
            };
            Ok(Some(pad_zeros(value, *pad)))
        }
    }
}

fn field_value(field: Field, format: Option<&str>, context: &RowContext<'_>) -> Option<String> {
    let order = context.order;
    let line = context.line;
    match field {
        Field::CustomerPo => order.customer_po.clone(),
        Field::CustomerId => order.customer_id.clone(),
        Field::OrderDate => order.order_date.map(|date| format_date(date, format)),
        Field::RequestedDate => order.requested_date.map(|date| format_date(date, format)),
        Field::ShipTo => order.ship_to.clone(),
        Field::Currency => order.currency.clone(),
        Field::Line => line.and_then(|line| line.line).map(|n| n.to_string()),
        Field::Sku => line.and_then(|line| line.sku.clone()),
        Field::Qty => line.map(|line| line.qty.to_string()),
        Field::Uom => line.and_then(|line| line.uom.clone()),
        Field::UnitPrice => line.and_then(|line| line.unit_price).map(|price| price.to_string()),
        Field::CustomerPart => line.and_then(|line| line.customer_part.clone()),
        Field::Description => line.and_then(|line| line.description.clone()),
    }
}

/// Formats checked at config time; a date-only format cannot fail on a date.
fn format_date(date: NaiveDate, format: Option<&str>) -> String {
    date.format(format.unwrap_or(DEFAULT_DATE_FORMAT)).to_string()
}

fn lookup(map: &BTreeMap<String, String>, value: &str, key: &str) -> Result<String, MappingError> {
    map.get(value).cloned().ok_or_else(|| {
        let known: Vec<&str> = map.keys().map(String::as_str).collect();
        MappingError {
            key: key.to_owned(),
            message: format!("no mapping for \"{value}\"; the map has {}", known.join(", ")),
        }
    })
}

/// Left-pads with zeros; a longer value is left whole (the ERP's width check decides).
fn pad_zeros(value: String, width: Option<usize>) -> String {
    match width {
        Some(width) if value.chars().count() < width => {
            let zeros = "0".repeat(width - value.chars().count());
            zeros + &value
        }
        _ => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pad_counts_characters_and_keeps_long_values() {
        assert_eq!(pad_zeros("1".to_owned(), Some(3)), "001");
        assert_eq!(pad_zeros("1234".to_owned(), Some(3)), "1234");
        assert_eq!(pad_zeros("é".to_owned(), Some(2)), "0é");
        assert_eq!(pad_zeros("7".to_owned(), None), "7");
    }

    #[test]
    fn unmapped_value_names_the_column_key() {
        let map = BTreeMap::from([("EA".to_owned(), "PCS".to_owned())]);
        let error = lookup(&map, "BX", "target.lines.uom_cd").unwrap_err();
        assert_eq!(error.to_string(), "target.lines.uom_cd: no mapping for \"BX\"; the map has EA");
    }
}
