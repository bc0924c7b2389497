//! The canonical order (SPEC §1): what prodline posts into an ERP and what
//! the scoring rule compares.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CanonicalOrder {
    /// A customer id from the master data, never free text.
    #[serde(default)]
    pub customer_id: Option<String>,
    #[serde(default)]
    pub customer_po: Option<String>,
    #[serde(default)]
    pub order_date: Option<NaiveDate>,
    #[serde(default)]
    pub requested_date: Option<NaiveDate>,
    /// A ship-to id from the master data.
    #[serde(default)]
    pub ship_to: Option<String>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub lines: Vec<CanonicalLine>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CanonicalLine {
    #[serde(default)]
    pub line: Option<u32>,
    /// Our SKU from the master data.
    #[serde(default)]
    pub sku: Option<String>,
    /// What the document called the item.
    #[serde(default)]
    pub customer_part: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(with = "crate::decimal_json")]
    pub qty: Decimal,
    /// Unit the document ordered in, as a SPEC §1 code.
    #[serde(default)]
    pub uom: Option<String>,
    /// Price stated on the document; `None` when it states none.
    #[serde(with = "crate::decimal_json::option", default)]
    pub unit_price: Option<Decimal>,
}
