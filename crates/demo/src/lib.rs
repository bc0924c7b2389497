//! The demo's synthetic manufacturer, generated deterministically from a seed.
//!
//! "Northwind Flow Components" makes valves, fittings, gaskets, fasteners and
//! hydraulic hose. [`generate`] writes a SPEC §3 evaluation dataset: its
//! master data, three months of inbound purchase orders from ~30 customers
//! (written the messy ways real senders write them), the truth for each
//! document and when and how it arrived.
//!
//! The documents: X12, EDIFACT, CSV, XLSX and UBL; e-mails (`.eml`, MIME
//! written by us) with orders in prose or typed lists, quantities in words,
//! dozens and packs, relative dates, HTML alternatives, signatures and
//! disclaimers, orders attached as PDF, CSV, XLSX or X12, forwarded chains
//! and replies quoting an older confirmation; PDFs printed by customers' ERPs
//! in three layouts (boxed table, two-column header, letter), long ones over
//! several pages with the table header repeated; faxes as text or image and
//! phone photos (`.png`), a few of them unreadable (their truth is still the
//! order: they must go to review). About 8 % is garbage with truth `[]`:
//! empty and random files, invoices, acknowledgements, price lists, quote
//! requests, out-of-office replies, stock questions, newsletters, "see
//! attached" without an attachment and "where is my order" queries.
//!
//! meta.jsonl adds `"curated": true` (SPEC §3 allows added fields) to about a
//! tenth of each format's documents: clean orders a pilot would have shown
//! (well formed, the customer's usual layout, no chain, no private sender, no
//! revision, no photo; a fax image counts as clean). The field is absent
//! elsewhere. They are the "curated" side of the curated-versus-live gap
//! that `eval --curated` reports.
//!
//! Architecture Invariant: the same seed and config give byte-identical
//! output; nothing reads the clock, and no hash-map order reaches the output.
//! The generator writes every format itself and depends on none of our
//! parsers. The one outside program is poppler's `pdftoppm`, which draws the
//! ~35 scans (installed by `scripts/ocr.sh`; [`DemoError::Tool`] names it
//! when missing): its pixels are deterministic for one poppler version, and
//! another version may shade a glyph edge one grey level differently.

mod catalog;
mod customers;
mod dice;
mod draft;
mod master;
mod render;
mod story;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use prodline_core::Group;
use serde::Serialize;

use crate::customers::{DEAD_FEED_CUSTOMER, DRIFT_CUSTOMER, DRIFT_NEW_SENDER};
use crate::story::{Calendar, Doc, DocKind, Story};

/// The SPEC §2 header of each master file (items.csv adds `packs`).
pub const MASTER_HEADERS: [(&str, &str); 5] = [
    ("customers.csv", master::CUSTOMERS_HEADER),
    ("ship_tos.csv", master::SHIP_TOS_HEADER),
    ("items.csv", master::ITEMS_HEADER),
    ("customer_items.csv", master::CUSTOMER_ITEMS_HEADER),
    ("prices.csv", master::PRICES_HEADER),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoConfig {
    pub seed: u64,
    /// About how many documents to write.
    pub documents: usize,
    /// The first day documents arrive.
    pub start: NaiveDate,
    /// How many days they keep arriving.
    pub days: u32,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            seed: 42,
            documents: 2000,
            start: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap_or_default(),
            days: 91,
        }
    }
}

/// What was written, and the two stories later issues show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoSummary {
    pub documents: usize,
    /// Truth orders over all documents.
    pub orders: usize,
    pub customers: usize,
    pub items: usize,
    pub by_format: BTreeMap<String, usize>,
    pub by_channel: BTreeMap<String, usize>,
    /// Documents that hold no order (truth `[]`, not duplicates).
    pub garbage: usize,
    pub duplicates: usize,
    pub revisions: usize,
    /// Documents by report group (edi, email, pdf, spreadsheet, scan, text, other).
    pub by_group: BTreeMap<String, usize>,
    /// Documents whose orders must be read from human text (e-mail, PDF,
    /// image, plain text) rather than from fields; they hold orders.
    pub unstructured_orders: usize,
    /// Documents marked `curated` in meta.jsonl: the clean samples a pilot would show.
    pub curated: usize,
    pub drift: DriftStory,
    pub dead_feed: DeadFeed,
}

/// A customer whose documents change shape mid-way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DriftStory {
    pub customer_id: String,
    pub name: String,
    pub from: NaiveDate,
    pub change: String,
}

/// The EDI feed that goes silent at the end of the first month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadFeed {
    pub customer_id: String,
    pub name: String,
    pub last_document: NaiveDate,
    pub resumed: Option<NaiveDate>,
    /// Days between the last document before the gap and the first after it.
    pub gap_days: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("writing the workbook of PO {po}: {message}")]
    Xlsx { po: String, message: String },
    #[error("serializing {doc}: {source}")]
    Json { doc: String, source: serde_json::Error },
    #[error("invalid demo config: {0}")]
    Config(&'static str),
    #[error("{program}: {message}")]
    /// An outside program (poppler's `pdftoppm`) is missing or failed.
    Tool { program: &'static str, message: String },
    #[error("demo generator bug: {0}")]
    Internal(&'static str),
}

/// Write the dataset into `out_dir` (created if missing) and say what it holds.
pub fn generate(out_dir: &Path, config: &DemoConfig) -> Result<DemoSummary, DemoError> {
    if config.documents == 0 || config.days < 28 {
        return Err(DemoError::Config("documents must be > 0 and days at least 28"));
    }
    let mut dice = dice::Dice::new(config.seed);
    let items = catalog::build_items(&mut dice);
    let customers = customers::build_customers(&items, &mut dice);
    let calendar = Calendar::new(config);
    let docs = Story::new(&customers, &items, calendar, dice).tell(config.documents)?;
    write_master(out_dir, &customers, &items)?;
    write_docs(out_dir, &docs)?;
    Ok(summarize(&docs, &customers, items.len(), calendar))
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), DemoError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| DemoError::Io { path: parent.to_path_buf(), source })?;
    }
    std::fs::write(path, bytes).map_err(|source| DemoError::Io { path: path.to_path_buf(), source })
}

fn write_master(out_dir: &Path, customers: &[customers::Customer], items: &[catalog::Item]) -> Result<(), DemoError> {
    for (name, text) in master::master_files(customers, items) {
        write_file(&out_dir.join("master").join(name), text.as_bytes())?;
    }
    Ok(())
}

#[derive(Serialize)]
struct TruthLine<'a> {
    doc: &'a str,
    orders: &'a [prodline_core::CanonicalOrder],
    #[serde(skip_serializing_if = "Option::is_none")]
    duplicate_of: Option<&'a str>,
}

#[derive(Serialize)]
struct MetaLine<'a> {
    doc: &'a str,
    received_at: String,
    channel: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    curated: bool,
}

fn write_docs(out_dir: &Path, docs: &[Doc]) -> Result<(), DemoError> {
    let mut truth = String::new();
    let mut meta = String::new();
    for doc in docs {
        write_file(&out_dir.join(&doc.path), &doc.bytes)?;
        let t = TruthLine { doc: &doc.path, orders: &doc.orders, duplicate_of: doc.duplicate_of.as_deref() };
        truth += &serde_json::to_string(&t).map_err(|source| DemoError::Json { doc: doc.path.clone(), source })?;
        truth.push('\n');
        let m = MetaLine {
            doc: &doc.path,
            received_at: doc.at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            channel: doc.channel,
            from: doc.from.as_deref(),
            curated: doc.curated,
        };
        meta += &serde_json::to_string(&m).map_err(|source| DemoError::Json { doc: doc.path.clone(), source })?;
        meta.push('\n');
    }
    write_file(&out_dir.join("truth.jsonl"), truth.as_bytes())?;
    write_file(&out_dir.join("meta.jsonl"), meta.as_bytes())
}

fn summarize(docs: &[Doc], customers: &[customers::Customer], items: usize, calendar: Calendar) -> DemoSummary {
    let mut by_format = BTreeMap::new();
    let mut by_channel = BTreeMap::new();
    let mut by_group = BTreeMap::new();
    for d in docs {
        *by_format.entry(d.format.as_str().to_string()).or_insert(0) += 1;
        *by_channel.entry(d.channel.to_string()).or_insert(0) += 1;
        *by_group.entry(Group::of(d.format, false).as_str().to_string()).or_insert(0) += 1;
    }
    let count = |k: DocKind| docs.iter().filter(|d| d.kind == k).count();
    DemoSummary {
        documents: docs.len(),
        orders: docs.iter().map(|d| d.orders.len()).sum(),
        customers: customers.len(),
        items,
        by_format,
        by_channel,
        garbage: count(DocKind::Garbage),
        duplicates: count(DocKind::Duplicate),
        revisions: count(DocKind::Revision),
        by_group,
        unstructured_orders: docs.iter().filter(|d| !d.orders.is_empty() && !d.format.is_structured()).count(),
        curated: docs.iter().filter(|d| d.curated).count(),
        drift: drift_story(customers, calendar),
        dead_feed: dead_feed(docs, customers, calendar),
    }
}

fn drift_story(customers: &[customers::Customer], calendar: Calendar) -> DriftStory {
    let c = customers.get(DRIFT_CUSTOMER);
    DriftStory {
        customer_id: c.map(|c| c.id.clone()).unwrap_or_default(),
        name: c.map(|c| c.name.clone()).unwrap_or_default(),
        from: calendar.drift_from,
        change: format!(
            "X12 850: ISA sender id changes to {DRIFT_NEW_SENDER} (not in edi_ids), PO1 drops BP customer parts for VP SKUs written without dashes, and the sites are renumbered: Plant 1 is sent under Plant 2's old code"
        ),
    }
}

/// The feed's real last document before the gap and first after it, from the documents written.
fn dead_feed(docs: &[Doc], customers: &[customers::Customer], calendar: Calendar) -> DeadFeed {
    let c = customers.get(DEAD_FEED_CUSTOMER);
    let id = c.map(|c| c.id.clone()).unwrap_or_default();
    let dates: Vec<NaiveDate> = docs
        .iter()
        .filter(|d| d.orders.iter().any(|o| o.customer_id.as_deref() == Some(id.as_str())))
        .map(|d| d.at.date())
        .collect();
    let last = dates.iter().copied().filter(|d| *d <= calendar.feed_last).max().unwrap_or(calendar.feed_last);
    let resumed = dates.iter().copied().filter(|d| *d > calendar.feed_last).min();
    DeadFeed {
        customer_id: id,
        name: c.map(|c| c.name.clone()).unwrap_or_default(),
        last_document: last,
        resumed,
        gap_days: resumed.map(|r| (r - last).num_days()).unwrap_or_default(),
    }
}
