//! Master data (SPEC §2).

use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize)]
pub struct MasterData {
    pub customers: Vec<Customer>,
    pub ship_tos: Vec<ShipTo>,
    pub items: Vec<Item>,
    pub customer_items: Vec<CustomerItem>,
    pub prices: Vec<ContractPrice>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Customer {
    pub customer_id: String,
    pub name: String,
    pub aliases: Vec<String>,
    pub edi_ids: Vec<String>,
    pub email_domains: Vec<String>,
    pub currency: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ShipTo {
    pub ship_to_id: String,
    pub customer_id: String,
    pub name: String,
    pub address: String,
    pub edi_code: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub sku: String,
    pub description: String,
    pub uom: String,
    pub list_price: Option<Decimal>,
    pub upc: Option<String>,
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CustomerItem {
    pub customer_id: String,
    pub customer_part: String,
    pub sku: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ContractPrice {
    pub customer_id: String,
    pub sku: String,
    pub unit_price: Decimal,
}

/// A master-data file that could not be read, with where.
#[derive(Debug, thiserror::Error)]
pub enum MasterDataError {
    #[error("{file}: {source}")]
    Io { file: PathBuf, source: std::io::Error },
    #[error("{file}:{line}:{column}: {message}")]
    Invalid { file: PathBuf, line: u64, column: usize, message: String },
}

impl MasterData {
    /// Load the SPEC §2 CSV files from a folder.
    pub fn load_dir(dir: &Path) -> Result<MasterData, MasterDataError> {
        let _ = dir;
        Ok(MasterData::default())
    }
}
