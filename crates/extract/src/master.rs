//! Master data (SPEC §2): customers, ship-tos, items, customer
//! cross-references and contract prices, loaded from CSV once and indexed
//! for every look-up the resolver makes.
//!
//! Architecture Invariant: [`MasterData::load_dir`] is the only function in
//! this crate that touches the disk; everything else works on values.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use prodline_core::units::normalize_uom;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::normalize::{
    code_key, compact_key, company_key, description_similarity, description_tokens, gtin_key, text_key,
};

/// The master data with its look-up indexes. Build it with
/// [`MasterData::load_dir`] or [`MasterData::new`]; after changing the public
/// vectors call [`MasterData::reindex`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct MasterData {
    pub customers: Vec<Customer>,
    pub ship_tos: Vec<ShipTo>,
    pub items: Vec<Item>,
    pub customer_items: Vec<CustomerItem>,
    pub prices: Vec<ContractPrice>,
    #[serde(skip)]
    index: Index,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Customer {
    pub customer_id: String,
    pub name: String,
    pub aliases: Vec<String>,
    /// ISA06/GS02 or UNB sender ids that identify the customer.
    pub edi_ids: Vec<String>,
    pub email_domains: Vec<String>,
    pub currency: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShipTo {
    pub ship_to_id: String,
    pub customer_id: String,
    pub name: String,
    pub address: String,
    /// The code the customer's EDI uses for this location (N104, NAD DP id).
    pub edi_code: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Item {
    pub sku: String,
    pub description: String,
    /// The unit the item is sold and priced in, as a SPEC §1 code
    /// (`EA` when the file leaves it empty).
    pub uom: String,
    pub list_price: Option<Decimal>,
    pub upc: Option<String>,
    pub aliases: Vec<String>,
    /// Pack units and how many of the item's own unit each holds, from the
    /// optional items.csv column `packs` (an addition SPEC §2 allows), written
    /// `CA=12;BX=50`: a case holds 12 `uom`, a box 50. Keys are SPEC §1 codes.
    #[serde(default)]
    pub packs: BTreeMap<String, Decimal>,
}

impl Item {
    /// How many of the item's own unit one `uom` (a SPEC §1 code) holds:
    /// 1 for the item's unit, the pack size for a pack unit, 12 for a dozen
    /// of an item sold each, else `None`.
    pub fn units_per(&self, uom: &str) -> Option<Decimal> {
        if uom == self.uom {
            return Some(Decimal::ONE);
        }
        // A dozen is twelve of anything sold by the piece, pack or no pack.
        if uom == "DZ" && self.uom == "EA" && !self.packs.contains_key("DZ") {
            return Some(Decimal::from(12));
        }
        self.packs.get(uom).copied()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CustomerItem {
    pub customer_id: String,
    pub customer_part: String,
    pub sku: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContractPrice {
    pub customer_id: String,
    pub sku: String,
    pub unit_price: Decimal,
}

/// Where a reference price comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceSource {
    /// prices.csv for this customer and item.
    Contract,
    /// items.csv list price.
    List,
}

/// A master-data file that could not be read, with where.
#[derive(Debug, thiserror::Error)]
pub enum MasterDataError {
    #[error("{file}: {source}")]
    Io { file: PathBuf, source: std::io::Error },
    /// Line and column are 1-based; the header is line 1.
    #[error("{file}:{line}:{column}: {message}")]
    Invalid { file: PathBuf, line: u64, column: usize, message: String },
}

/// Look-up indexes, built once. Keys are normalised with [`crate::normalize`];
/// values are positions in the public vectors, sorted and de-duplicated.
#[derive(Debug, Clone, Default)]
struct Index {
    customer_by_id: HashMap<String, usize>,
    customer_by_edi_id: HashMap<String, Vec<usize>>,
    customer_by_domain: HashMap<String, Vec<usize>>,
    customer_by_name: HashMap<String, Vec<usize>>,
    item_by_sku: HashMap<String, usize>,
    item_by_compact_sku: HashMap<String, Vec<usize>>,
    item_by_gtin: HashMap<String, Vec<usize>>,
    item_by_alias: HashMap<String, Vec<usize>>,
    item_by_token: HashMap<String, Vec<usize>>,
    item_tokens: Vec<Vec<String>>,
    cross_ref: HashMap<(String, String), Vec<usize>>,
    cross_ref_compact: HashMap<(String, String), Vec<usize>>,
    price: HashMap<(String, String), Decimal>,
    ship_tos_by_customer: HashMap<String, Vec<usize>>,
    list_price_currency: Option<String>,
}

fn push_unique(map: &mut HashMap<String, Vec<usize>>, key: String, value: usize) {
    if key.is_empty() {
        return;
    }
    let entry = map.entry(key).or_default();
    if !entry.contains(&value) {
        entry.push(value);
    }
}

impl MasterData {
    /// Master data from values, indexed. References are not checked here
    /// ([`MasterData::load_dir`] checks them with file positions).
    pub fn new(
        customers: Vec<Customer>,
        ship_tos: Vec<ShipTo>,
        items: Vec<Item>,
        customer_items: Vec<CustomerItem>,
        prices: Vec<ContractPrice>,
    ) -> MasterData {
        let mut master = MasterData { customers, ship_tos, items, customer_items, prices, index: Index::default() };
        master.reindex();
        master
    }

    /// Rebuild the look-up indexes from the public vectors.
    pub fn reindex(&mut self) {
        let mut ix = Index::default();
        self.index_customers(&mut ix);
        self.index_items(&mut ix);
        for ci in &self.customer_items {
            let Some(&item) = ix.item_by_sku.get(&code_key(&ci.sku)) else { continue };
            let customer = code_key(&ci.customer_id);
            let exact = (customer.clone(), code_key(&ci.customer_part));
            let compact = (customer, compact_key(&ci.customer_part));
            for (map, key) in [(&mut ix.cross_ref, exact), (&mut ix.cross_ref_compact, compact)] {
                let entry = map.entry(key).or_default();
                if !entry.contains(&item) {
                    entry.push(item);
                }
            }
        }
        for p in &self.prices {
            ix.price.insert((code_key(&p.customer_id), code_key(&p.sku)), p.unit_price);
        }
        for (i, s) in self.ship_tos.iter().enumerate() {
            push_unique(&mut ix.ship_tos_by_customer, code_key(&s.customer_id), i);
        }
        ix.list_price_currency = self.most_common_currency();
        self.index = ix;
    }

    fn index_customers(&self, ix: &mut Index) {
        for (i, c) in self.customers.iter().enumerate() {
            ix.customer_by_id.insert(code_key(&c.customer_id), i);
            for id in &c.edi_ids {
                push_unique(&mut ix.customer_by_edi_id, code_key(id), i);
            }
            for domain in &c.email_domains {
                push_unique(&mut ix.customer_by_domain, domain.trim().trim_start_matches('@').to_lowercase(), i);
            }
            for name in std::iter::once(&c.name).chain(&c.aliases) {
                push_unique(&mut ix.customer_by_name, company_key(name), i);
            }
        }
    }

    fn index_items(&self, ix: &mut Index) {
        for (i, item) in self.items.iter().enumerate() {
            ix.item_by_sku.insert(code_key(&item.sku), i);
            push_unique(&mut ix.item_by_compact_sku, compact_key(&item.sku), i);
            if let Some(key) = item.upc.as_deref().and_then(gtin_key) {
                push_unique(&mut ix.item_by_gtin, key, i);
            }
            for alias in &item.aliases {
                push_unique(&mut ix.item_by_alias, code_key(alias), i);
                push_unique(&mut ix.item_by_alias, text_key(alias), i);
            }
            // An exact description is as telling as an alias.
            push_unique(&mut ix.item_by_alias, text_key(&item.description), i);
            let mut tokens = description_tokens(&item.description);
            for alias in &item.aliases {
                tokens.extend(description_tokens(alias));
            }
            tokens.sort();
            tokens.dedup();
            for t in &tokens {
                push_unique(&mut ix.item_by_token, t.clone(), i);
            }
            ix.item_tokens.push(description_tokens(&item.description));
        }
    }

    /// items.csv states no currency: list prices are taken to be in the
    /// currency most customers buy in (ties: the first alphabetically).
    fn most_common_currency(&self) -> Option<String> {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for c in self.customers.iter().filter_map(|c| c.currency.as_deref()) {
            *counts.entry(c).or_default() += 1;
        }
        let best = counts.values().copied().max()?;
        counts.into_iter().find(|(_, n)| *n == best).map(|(c, _)| c.to_string())
    }

    /// The currency list prices are in (see [`MasterData::reference_price`]).
    pub fn list_price_currency(&self) -> Option<&str> {
        self.index.list_price_currency.as_deref()
    }

    pub fn customer(&self, customer_id: &str) -> Option<&Customer> {
        self.index.customer_by_id.get(&code_key(customer_id)).and_then(|&i| self.customers.get(i))
    }

    pub fn item(&self, sku: &str) -> Option<&Item> {
        self.index.item_by_sku.get(&code_key(sku)).and_then(|&i| self.items.get(i))
    }

    fn customers_at(&self, positions: Option<&Vec<usize>>) -> Vec<&Customer> {
        positions.map(|p| p.iter().filter_map(|&i| self.customers.get(i)).collect()).unwrap_or_default()
    }

    fn items_at(&self, positions: Option<&Vec<usize>>) -> Vec<&Item> {
        positions.map(|p| p.iter().filter_map(|&i| self.items.get(i)).collect()).unwrap_or_default()
    }

    /// Customers whose `edi_ids` hold this sender or party id.
    pub fn customers_by_edi_id(&self, id: &str) -> Vec<&Customer> {
        self.customers_at(self.index.customer_by_edi_id.get(&code_key(id)))
    }

    /// Customers owning an e-mail domain; a sub-domain (`mail.acme.example`)
    /// belongs to the owner of its parent (`acme.example`).
    pub fn customers_by_domain(&self, domain: &str) -> Vec<&Customer> {
        let mut domain = domain.trim().to_lowercase();
        loop {
            let found = self.customers_at(self.index.customer_by_domain.get(&domain));
            if !found.is_empty() {
                return found;
            }
            match domain.split_once('.') {
                Some((_, parent)) if parent.contains('.') => domain = parent.to_string(),
                _ => return Vec::new(),
            }
        }
    }

    /// Customers whose name or an alias equals this name after
    /// [`company_key`] normalisation.
    pub fn customers_by_name(&self, name: &str) -> Vec<&Customer> {
        self.customers_at(self.index.customer_by_name.get(&company_key(name)))
    }

    /// The customer whose name or alias is most similar (Jaro-Winkler over
    /// normalised names) with its similarity; ties give several.
    pub fn closest_customers(&self, name: &str) -> (f64, Vec<&Customer>) {
        let key = company_key(name);
        let mut best = 0.0_f64;
        let mut found: Vec<usize> = Vec::new();
        for (candidate, positions) in &self.index.customer_by_name {
            let score = strsim::jaro_winkler(&key, candidate);
            if score > best + 1e-9 {
                best = score;
                found = positions.clone();
            } else if (score - best).abs() <= 1e-9 {
                found.extend(positions.iter().filter(|p| !found.contains(p)).copied().collect::<Vec<_>>());
            }
        }
        found.sort_unstable();
        (best, found.iter().filter_map(|&i| self.customers.get(i)).collect())
    }

    /// Items the customer's cross-reference (customer_items.csv) maps this
    /// part to: exact first, then ignoring spaces and dashes.
    pub fn cross_ref(&self, customer_id: &str, part: &str) -> Vec<&Item> {
        let customer = code_key(customer_id);
        let exact = self.items_at(self.index.cross_ref.get(&(customer.clone(), code_key(part))));
        if !exact.is_empty() {
            return exact;
        }
        self.items_at(self.index.cross_ref_compact.get(&(customer, compact_key(part))))
    }

    /// Items whose SKU is this code: exact first, then ignoring spaces and dashes.
    pub fn items_by_sku(&self, code: &str) -> Vec<&Item> {
        if let Some(item) = self.item(code) {
            return vec![item];
        }
        self.items_at(self.index.item_by_compact_sku.get(&compact_key(code)))
    }

    /// Items whose UPC equals this code, leading zeros ignored.
    pub fn items_by_gtin(&self, code: &str) -> Vec<&Item> {
        gtin_key(code).map(|key| self.items_at(self.index.item_by_gtin.get(&key))).unwrap_or_default()
    }

    /// Items with this alias (as a code or as a text) or this exact description.
    pub fn items_by_alias(&self, text: &str) -> Vec<&Item> {
        let mut found = self.items_at(self.index.item_by_alias.get(&code_key(text)));
        for item in self.items_at(self.index.item_by_alias.get(&text_key(text))) {
            if !found.iter().any(|f| f.sku == item.sku) {
                found.push(item);
            }
        }
        found
    }

    /// Items whose description shares a word with this one, scored by
    /// [`description_similarity`], best first.
    pub fn fuzzy_items(&self, description: &str) -> Vec<(&Item, f64)> {
        let tokens = description_tokens(description);
        let mut candidates: Vec<usize> =
            tokens.iter().filter_map(|t| self.index.item_by_token.get(t)).flatten().copied().collect();
        candidates.sort_unstable();
        candidates.dedup();
        let mut scored: Vec<(&Item, f64)> = candidates
            .into_iter()
            .filter_map(|i| {
                let item = self.items.get(i)?;
                let own = self.index.item_tokens.get(i)?;
                let mut score = description_similarity(&tokens, own);
                for alias in &item.aliases {
                    score = score.max(description_similarity(&tokens, &description_tokens(alias)));
                }
                Some((item, score))
            })
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.sku.cmp(&b.0.sku)));
        scored
    }

    /// The price the customer should pay per the item's own unit: the
    /// contract price (in the customer's currency), else the list price when
    /// the order is in the list-price currency. A list price in another
    /// currency is no reference: we hold no exchange rates.
    pub fn reference_price(
        &self,
        customer_id: Option<&str>,
        sku: &str,
        order_currency: Option<&str>,
    ) -> Option<(Decimal, PriceSource)> {
        if let Some(customer) = customer_id
            && let Some(price) = self.index.price.get(&(code_key(customer), code_key(sku)))
        {
            return Some((*price, PriceSource::Contract));
        }
        let comparable = match (order_currency, self.list_price_currency()) {
            (Some(order), Some(list)) => code_key(order) == list,
            _ => true,
        };
        if !comparable {
            return None;
        }
        self.item(sku).and_then(|i| i.list_price).map(|p| (p, PriceSource::List))
    }

    pub fn ship_tos_of(&self, customer_id: &str) -> Vec<&ShipTo> {
        self.index
            .ship_tos_by_customer
            .get(&code_key(customer_id))
            .map(|p| p.iter().filter_map(|&i| self.ship_tos.get(i)).collect())
            .unwrap_or_default()
    }

    /// Load the SPEC §2 CSV files from a folder. customers.csv, items.csv,
    /// customer_items.csv and prices.csv are required, ship_tos.csv optional.
    /// The first problem found is returned, naming file, line and column.
    pub fn load_dir(dir: &Path) -> Result<MasterData, MasterDataError> {
        let customers = load_customers(&Table::read(dir, "customers.csv")?)?;
        let items = load_items(&Table::read(dir, "items.csv")?)?;
        // Indexed once without references, so that the reference tables can
        // check their customer ids and SKUs against it.
        let mut master = MasterData::new(customers, Vec::new(), items, Vec::new(), Vec::new());
        if let Some(table) = Table::read_optional(dir, "ship_tos.csv")? {
            master.ship_tos = load_ship_tos(&table, &master)?;
        }
        master.customer_items = load_customer_items(&Table::read(dir, "customer_items.csv")?, &master)?;
        master.prices = load_prices(&Table::read(dir, "prices.csv")?, &master)?;
        master.reindex();
        Ok(master)
    }
}

/// One CSV file, read whole, with its header.
struct Table {
    file: PathBuf,
    headers: Vec<String>,
    records: Vec<csv::StringRecord>,
}

/// One data row of a [`Table`], for cell access and positioned errors.
struct Row<'a> {
    table: &'a Table,
    record: &'a csv::StringRecord,
}

impl Table {
    fn read(dir: &Path, name: &str) -> Result<Table, MasterDataError> {
        let file = dir.join(name);
        let bytes = std::fs::read(&file).map_err(|source| MasterDataError::Io { file: file.clone(), source })?;
        Table::parse(file, &bytes)
    }

    fn read_optional(dir: &Path, name: &str) -> Result<Option<Table>, MasterDataError> {
        if dir.join(name).exists() { Table::read(dir, name).map(Some) } else { Ok(None) }
    }

    fn parse(file: PathBuf, bytes: &[u8]) -> Result<Table, MasterDataError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
        let invalid = |e: csv::Error, file: &PathBuf| {
            let line = e.position().map_or(1, csv::Position::line);
            MasterDataError::Invalid { file: file.clone(), line, column: 1, message: e.to_string() }
        };
        let headers: Vec<String> =
            reader.headers().map_err(|e| invalid(e, &file))?.iter().map(|h| h.trim().to_ascii_lowercase()).collect();
        let mut records = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| invalid(e, &file))?;
            if record.iter().all(|cell| cell.trim().is_empty()) {
                continue;
            }
            records.push(record);
        }
        Ok(Table { file, headers, records })
    }

    fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    fn require(&self, name: &str) -> Result<usize, MasterDataError> {
        self.column(name).ok_or_else(|| MasterDataError::Invalid {
            file: self.file.clone(),
            line: 1,
            column: self.headers.len() + 1,
            message: format!("missing required column `{name}` (header has: {})", self.headers.join(", ")),
        })
    }

    fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.records.iter().map(move |record| Row { table: self, record })
    }
}

impl Row<'_> {
    fn line(&self) -> u64 {
        self.record.position().map_or(0, csv::Position::line)
    }

    /// A cell, trimmed; empty when the row is short or the column absent.
    fn get(&self, column: usize) -> &str {
        self.record.get(column).map_or("", str::trim)
    }

    fn get_opt(&self, column: Option<usize>) -> &str {
        column.map_or("", |c| self.get(c))
    }

    fn error(&self, column: usize, message: impl Into<String>) -> MasterDataError {
        MasterDataError::Invalid {
            file: self.table.file.clone(),
            line: self.line(),
            column: column + 1,
            message: message.into(),
        }
    }

    /// A required, non-empty id.
    fn id(&self, column: usize, what: &str) -> Result<String, MasterDataError> {
        let value = self.get(column);
        if value.is_empty() { Err(self.error(column, format!("empty {what}"))) } else { Ok(value.to_string()) }
    }

    /// A `;`-separated list cell.
    fn list(&self, column: Option<usize>) -> Vec<String> {
        self.get_opt(column).split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
    }

    fn decimal(&self, column: Option<usize>, what: &str) -> Result<Option<Decimal>, MasterDataError> {
        let Some(column) = column else { return Ok(None) };
        let raw = self.get(column);
        if raw.is_empty() {
            return Ok(None);
        }
        parse_decimal(raw)
            .map(Some)
            .ok_or_else(|| self.error(column, format!("{what} {raw:?} is not a decimal number")))
    }

    fn optional(&self, column: Option<usize>) -> Option<String> {
        let value = self.get_opt(column);
        if value.is_empty() { None } else { Some(value.to_string()) }
    }
}

/// A plain decimal (`11.85`, `-3`, `1e2` is refused): money and quantities in
/// master data are written without thousands separators.
fn parse_decimal(raw: &str) -> Option<Decimal> {
    Decimal::from_str(raw).ok()
}

/// Refuse a second row with an id already seen.
fn check_unique(
    seen: &mut HashMap<String, u64>,
    key: String,
    row: &Row<'_>,
    column: usize,
    what: &str,
) -> Result<(), MasterDataError> {
    if let Some(first) = seen.get(&key) {
        return Err(row.error(column, format!("duplicate {what} {key:?} (first on line {first})")));
    }
    seen.insert(key, row.line());
    Ok(())
}

fn load_customers(table: &Table) -> Result<Vec<Customer>, MasterDataError> {
    let id_col = table.require("customer_id")?;
    let name_col = table.require("name")?;
    let (aliases, edi_ids, domains, currency) =
        (table.column("aliases"), table.column("edi_ids"), table.column("email_domains"), table.column("currency"));
    let mut seen = HashMap::new();
    let mut customers = Vec::new();
    for row in table.rows() {
        let customer_id = row.id(id_col, "customer_id")?;
        check_unique(&mut seen, code_key(&customer_id), &row, id_col, "customer_id")?;
        customers.push(Customer {
            customer_id,
            name: row.get(name_col).to_string(),
            aliases: row.list(aliases),
            edi_ids: row.list(edi_ids),
            email_domains: row.list(domains).into_iter().map(|d| d.to_lowercase()).collect(),
            currency: row.optional(currency).map(|c| c.to_uppercase()),
        });
    }
    Ok(customers)
}

fn load_items(table: &Table) -> Result<Vec<Item>, MasterDataError> {
    let sku_col = table.require("sku")?;
    let (description, uom, list_price, upc, aliases, packs) = (
        table.column("description"),
        table.column("uom"),
        table.column("list_price"),
        table.column("upc"),
        table.column("aliases"),
        table.column("packs"),
    );
    let mut seen = HashMap::new();
    let mut items = Vec::new();
    for row in table.rows() {
        let sku = row.id(sku_col, "sku")?;
        check_unique(&mut seen, code_key(&sku), &row, sku_col, "sku")?;
        let upc_value = row.optional(upc);
        if let (Some(value), Some(column)) = (&upc_value, upc)
            && gtin_key(value).is_none()
        {
            return Err(row.error(column, format!("upc {value:?} is not a UPC/EAN/GTIN (6 to 14 digits)")));
        }
        items.push(Item {
            sku,
            description: row.get_opt(description).to_string(),
            uom: normalize_uom(row.get_opt(uom)).unwrap_or_else(|| "EA".to_string()),
            list_price: row.decimal(list_price, "list_price")?,
            upc: upc_value,
            aliases: row.list(aliases),
            packs: parse_packs(&row, packs)?,
        });
    }
    Ok(items)
}

/// `CA=12;BX=50` → {CA: 12, BX: 50}.
fn parse_packs(row: &Row<'_>, column: Option<usize>) -> Result<BTreeMap<String, Decimal>, MasterDataError> {
    let mut packs = BTreeMap::new();
    let Some(column) = column else { return Ok(packs) };
    for entry in row.list(Some(column)) {
        let parsed = entry.split_once('=').and_then(|(unit, size)| {
            let unit = normalize_uom(unit)?;
            let size = parse_decimal(size.trim()).filter(|s| *s > Decimal::ZERO)?;
            Some((unit, size))
        });
        let Some((unit, size)) = parsed else {
            return Err(row.error(column, format!("packs entry {entry:?} is not UNIT=COUNT with a positive count")));
        };
        packs.insert(unit, size);
    }
    Ok(packs)
}

fn load_ship_tos(table: &Table, master: &MasterData) -> Result<Vec<ShipTo>, MasterDataError> {
    let id_col = table.require("ship_to_id")?;
    let customer_col = table.require("customer_id")?;
    let (name, address, edi_code) = (table.column("name"), table.column("address"), table.column("edi_code"));
    let mut seen = HashMap::new();
    let mut ship_tos = Vec::new();
    for row in table.rows() {
        let ship_to_id = row.id(id_col, "ship_to_id")?;
        check_unique(&mut seen, code_key(&ship_to_id), &row, id_col, "ship_to_id")?;
        let customer_id = row.id(customer_col, "customer_id")?;
        if master.customer(&customer_id).is_none() {
            return Err(row.error(customer_col, format!("customer_id {customer_id:?} is not in customers.csv")));
        }
        ship_tos.push(ShipTo {
            ship_to_id,
            customer_id,
            name: row.get_opt(name).to_string(),
            address: row.get_opt(address).to_string(),
            edi_code: row.optional(edi_code),
        });
    }
    Ok(ship_tos)
}

/// The (customer, sku) columns every reference table has, checked against
/// the customers and items already loaded.
fn known_customer_and_sku(
    row: &Row<'_>,
    columns: (usize, usize),
    master: &MasterData,
) -> Result<(String, String), MasterDataError> {
    let customer = row.id(columns.0, "customer_id")?;
    if master.customer(&customer).is_none() {
        return Err(row.error(columns.0, format!("customer_id {customer:?} is not in customers.csv")));
    }
    let sku = row.id(columns.1, "sku")?;
    let Some(item) = master.item(&sku) else {
        return Err(row.error(columns.1, format!("sku {sku:?} is not in items.csv")));
    };
    Ok((customer, item.sku.clone()))
}

fn load_customer_items(table: &Table, master: &MasterData) -> Result<Vec<CustomerItem>, MasterDataError> {
    let columns = (table.require("customer_id")?, table.require("sku")?);
    let part_col = table.require("customer_part")?;
    let mut seen = HashMap::new();
    let mut rows = Vec::new();
    for row in table.rows() {
        let customer_part = row.id(part_col, "customer_part")?;
        let (customer_id, sku) = known_customer_and_sku(&row, columns, master)?;
        let key = format!("{} / {}", code_key(&customer_id), code_key(&customer_part));
        check_unique(&mut seen, key, &row, part_col, "customer_part")?;
        rows.push(CustomerItem { customer_id, customer_part, sku });
    }
    Ok(rows)
}

fn load_prices(table: &Table, master: &MasterData) -> Result<Vec<ContractPrice>, MasterDataError> {
    let columns = (table.require("customer_id")?, table.require("sku")?);
    let price_col = table.require("unit_price")?;
    let mut seen = HashMap::new();
    let mut prices = Vec::new();
    for row in table.rows() {
        let (customer_id, sku) = known_customer_and_sku(&row, columns, master)?;
        let Some(unit_price) = row.decimal(Some(price_col), "unit_price")? else {
            return Err(row.error(price_col, "empty unit_price"));
        };
        let key = format!("{} / {}", code_key(&customer_id), code_key(&sku));
        check_unique(&mut seen, key, &row, columns.1, "price for customer / sku")?;
        prices.push(ContractPrice { customer_id, sku, unit_price });
    }
    Ok(prices)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Table {
        match Table::parse(PathBuf::from("t.csv"), text.as_bytes()) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn packs_parse_with_unit_spellings() {
        let t = table("sku,packs\nA,case=12;BX=50\n");
        let row = t.rows().next().map(|r| parse_packs(&r, t.column("packs")));
        let packs = match row {
            Some(Ok(p)) => p,
            other => panic!("{other:?}"),
        };
        assert_eq!(packs.get("CA"), Some(&Decimal::from(12)));
        assert_eq!(packs.get("BX"), Some(&Decimal::from(50)));
    }

    #[test]
    fn bad_pack_names_its_cell() {
        let t = table("sku,packs\nA,CA=twelve\n");
        let err = t.rows().next().map(|r| parse_packs(&r, t.column("packs")));
        match err {
            Some(Err(e)) => assert!(e.to_string().starts_with("t.csv:2:2: packs entry"), "{e}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bom_and_header_case_are_ignored() {
        let t = table("\u{feff}SKU , Description\nA,x\n");
        assert_eq!(t.column("sku"), Some(0));
        assert_eq!(t.column("description"), Some(1));
    }
}

#[cfg(test)]
mod units_tests {
    use super::*;

    fn item(uom: &str, packs: &[(&str, i64)]) -> Item {
        Item {
            sku: "A".into(),
            description: String::new(),
            uom: uom.into(),
            list_price: None,
            upc: None,
            aliases: Vec::new(),
            packs: packs.iter().map(|(u, n)| ((*u).to_owned(), Decimal::from(*n))).collect(),
        }
    }

    /// "Two dozen" of an item sold each is 24 of it; a dozen of an item sold
    /// by the kilogram means nothing, and a pack table that says otherwise wins.
    #[test]
    fn a_dozen_is_twelve_of_an_item_sold_each() {
        assert_eq!(item("EA", &[]).units_per("DZ"), Some(Decimal::from(12)));
        assert_eq!(item("KG", &[]).units_per("DZ"), None);
        assert_eq!(item("EA", &[("DZ", 10)]).units_per("DZ"), Some(Decimal::from(10)));
        assert_eq!(item("EA", &[("CA", 6)]).units_per("CA"), Some(Decimal::from(6)));
        assert_eq!(item("EA", &[]).units_per("CA"), None);
    }
}
