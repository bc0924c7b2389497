//! `prodline init DIR`: a working example deployment, every key explained,
//! with a small SQLite "legacy ERP" so that `prodline check` passes at once.

use std::path::{Path, PathBuf};

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, Executor, SqliteConnection};

/// The config file `init` writes.
pub const CONFIG_FILE: &str = "prodline.toml";

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{}: the folder is not empty; init writes only into an empty or new folder", .dir.display())]
    NotEmpty { dir: PathBuf },
    #[error("{}: {source}", .path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{}: cannot create the example ERP database: {message}", .path.display())]
    Database { path: PathBuf, message: String },
}

const EXAMPLE_CONFIG: &str = r#"# prodline.toml: one deployment. Relative paths are relative to this file's folder.
# Secrets never appear here: a key ending in _env names an environment variable.

# Where prodline keeps documents, decisions and its delivery outbox.
[store]
type = "sqlite"              # "sqlite" (path = file) or "postgres" (url_env = variable holding the URL)
path = "prodline.sqlite"

# One [[workflow]] per agent: one inbox, one customer base, one ERP target.
[[workflow]]
name = "example_orders"      # unique; lowercase letters, digits, - and _
owner = { name = "Order Desk", email = "orders@example.com" }   # who answers for its decisions
master = "master"            # folder of customers.csv, ship_tos.csv, items.csv, customer_items.csv, prices.csv

# Where documents arrive; several sources may feed one workflow.
[[workflow.sources]]
type = "folder"              # "folder", "imap" or "http"
path = "inbox"               # files dropped here are taken in
poll_interval_seconds = 5    # how often the folder is listed
stable_seconds = 2           # a file is taken once its size has not changed this long

# An IMAP mailbox would look like this (the password is read from the variable):
# [[workflow.sources]]
# type = "imap"
# host = "imap.example.com"
# security = "tls"             # "tls" (port 993), "starttls" or "plain" (port 143)
# port = 993
# user = "orders@example.com"
# password_env = "ORDERS_IMAP_PASSWORD"
# folder = "INBOX"
# processed_folder = "Processed" # stored messages move here; left out: they are flagged $ProdlineStored
# ca_file = "imap-ca.pem"        # a private CA; left out: the public roots
# poll_interval_seconds = 60

# What turns a document into orders: "builtin" (EDI, CSV, XLSX, UBL parsers, the text
# extractor for e-mail, PDF, scans and text, and the resolver). A model of your own reads
# the unstructured documents instead, checked by the same resolver and rules, with the
# built-in beside it (a disagreement goes to review):
#   type = "command"           # your program: `program args... DOCUMENT`, JSON on stdin/stdout
#   program = "python3"
#   args = ["examples/extractors/regex_pilot.py"]
#   timeout_seconds = 30
# or an OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp's server):
#   type = "openai"
#   base_url = "http://127.0.0.1:11434/v1"
#   model = "llama3.1:8b"
#   api_key_env = "OPENAI_API_KEY"     # left out for local servers that need no key
#   timeout_seconds = 60               # per attempt
#   retries = 2                        # on 429, 5xx and time-outs, with back-off
#   prompt_price_per_million = 0.15    # cost recorded per document
#   completion_price_per_million = 0.60
[workflow.extractor]
type = "builtin"

# When an order may go to the ERP without a person looking at it.
[workflow.decision]
policy = "shadow"            # "auto"; "shadow" = decide and record, send all to review; "review_all"
auto_threshold = 0.9         # confidence (0 to 1) needed for auto
price_tolerance_percent = 2  # stated price may differ from the contract price by this much
qty_outlier_factor = 10      # a quantity 10x the customer's usual goes to review
# ocr_min_confidence = 80    # OCR's mean word confidence (0-100) below this goes to review
# scan_auto_threshold = 0.95 # scans and photos need this confidence for auto
# audit_rate = 0.05          # a random 5 % of what would go straight to the ERP is reviewed as "audit"

# Accuracy, owned: what auto-approved orders promise, checked on the audit sample's labels
# (set audit_rate above: without it nothing measures auto-approve accuracy without bias).
[workflow.slo]
target = 0.92                # auto-approve accuracy promised to the owner
window = 100                 # the rule people write: alert below `below` over the last `window`
below = 0.90                 # labelled; `prodline status` shows how often it fires by chance
drop = 0.05                  # the sequential test alarms on a fall to target - drop,
false_alarm = 0.01           # with this false-alarm rate per test
on_breach = "alert"          # or "review_all": the group goes to review until the owner releases it

# Drift per feed (a customer on one channel): its last documents against the ones before.
[workflow.drift]
recent = 10                  # documents judged...
reference = 60               # ...against this many before them
on_drift = "review"          # a drifting feed's documents go to review; "alert" only alerts

# X12 acknowledgements back to the trading partner (optional; uncomment to send them):
# a 997 for every X12 interchange received, an 855 for every X12 order posted,
# one file each in `outbound` for the EDI gateway to pick up.
# [workflow.acknowledgements]
# outbound = "outbound"      # folder the .x12 files are written to (created when missing)
# sender_id = "NORTHWIND"    # our ISA06; leave out to answer as the id the partner addressed
# sender_qualifier = "ZZ"    # ISA05 of sender_id
# send_997 = true            # functional acknowledgment of every interchange, errors included
# send_855 = true            # purchase order acknowledgment once the ERP has the order

# Where approved orders go: "sql" (a legacy ERP's tables), "tryton" (a Tryton ERP over JSON-RPC)
# or "file_drop" (one file per order: path, format = "json" | "csv"). A Tryton target takes instead:
#   type = "tryton"
#   url = "http://127.0.0.1:8000"
#   database = "tryton"
#   user = "admin"
#   password_env = "TRYTON_PASSWORD"   # a variable, or a file holding the password when it contains a /
#   company = "Northwind Valves"       # code or name of the company's party
#   timeout_seconds = 30               # one JSON-RPC call may take this long before the attempt is retried
[workflow.target]
type = "sql"
url = "sqlite:erp.sqlite"    # inline only without a password; else url_env = "ERP_DATABASE_URL"
header_table = "SO_HDR"
lines_table = "SO_LIN"
header_key = { generated = "so_id" }   # the ERP numbers orders; or { natural = "<mapped header column>" }

# ERP header column = canonical field, or a table: field, const, format, pad, map.
[workflow.target.header]
cust_po_2 = "customer_po"
cust_no = "customer_id"
ord_dt = { field = "order_date", format = "%Y%m%d" }   # CHAR(8) date column
req_dt = { field = "requested_date", format = "%Y%m%d" }
ship_cd = "ship_to"
src_cd = { const = "EDI" }

# ERP line column = canonical field; header_key = true is the header row's key.
[workflow.target.lines]
so_id = { header_key = true }
ln_no = { field = "line", pad = 3 }
item_no = "sku"
qty = "qty"
uom_cd = { field = "uom", map = { EA = "PCS", CA = "CASE", BX = "BOX" } }
price = "unit_price"
"#;

const MASTER_FILES: &[(&str, &str)] = &[
    (
        "customers.csv",
        "customer_id,name,aliases,edi_ids,email_domains,currency\n\
         C0001,\"Acme Industrial Supply, Inc.\",ACME;Acme Supply Co,ACMEEDI01,acme.example,USD\n\
         C0002,Bergmann Hydraulik GmbH,Bergmann;BHG,BERGMANNHYD,bergmann.example,EUR\n",
    ),
    (
        "ship_tos.csv",
        "ship_to_id,customer_id,name,address,edi_code\n\
         ST-0001-01,C0001,Acme Dayton Warehouse,\"1200 Industrial Parkway, Dayton, OH 45402\",0042\n\
         ST-0002-01,C0002,Bergmann Werk Kassel,\"Industriestrasse 4, 34117 Kassel\",4001\n",
    ),
    (
        "items.csv",
        "sku,description,uom,list_price,upc,aliases,packs\n\
         HV-075-BR,3/4in brass ball valve,EA,12.10,012345678905,BV-3/4-BR,CA=12\n\
         HV-100-BR,1in brass ball valve,EA,15.40,012345678912,,CA=10\n\
         FT-050-SS,1/2in stainless elbow,EA,4.20,,,BX=50\n",
    ),
    (
        "customer_items.csv",
        "customer_id,customer_part,sku\n\
         C0001,88-1200,HV-075-BR\n\
         C0001,88-1300,HV-100-BR\n\
         C0002,BHG-4711,FT-050-SS\n",
    ),
    (
        "prices.csv",
        "customer_id,sku,unit_price\n\
         C0001,HV-075-BR,11.85\n\
         C0002,FT-050-SS,3.90\n",
    ),
];

/// The legacy ERP tables the example mapping writes to.
const ERP_SCHEMA: &[&str] = &[
    "CREATE TABLE SO_HDR (so_id INTEGER PRIMARY KEY AUTOINCREMENT, cust_po_2 VARCHAR(22) NOT NULL, \
     cust_no CHAR(8), ord_dt CHAR(8), req_dt CHAR(8), ship_cd VARCHAR(10), src_cd CHAR(3))",
    "CREATE TABLE SO_LIN (so_id INTEGER NOT NULL REFERENCES SO_HDR(so_id), ln_no CHAR(3), \
     item_no VARCHAR(20) NOT NULL, qty DECIMAL(12,3), uom_cd VARCHAR(6), price DECIMAL(12,4))",
];

/// Scaffolds the example into `dir` (created if missing; refused if not empty)
/// and returns the paths written.
pub async fn init(dir: &Path) -> Result<Vec<PathBuf>, InitError> {
    ensure_empty(dir)?;
    let mut written = Vec::new();
    write(&mut written, &dir.join(CONFIG_FILE), EXAMPLE_CONFIG)?;
    let master = dir.join("master");
    create_dir(&master)?;
    for (file, content) in MASTER_FILES {
        write(&mut written, &master.join(file), content)?;
    }
    let inbox = dir.join("inbox");
    create_dir(&inbox)?;
    written.push(inbox);
    let erp = dir.join("erp.sqlite");
    create_erp(&erp).await?;
    written.push(erp);
    Ok(written)
}

/// A deployment scaffolded like [`init`]'s example around master data the
/// caller brings: `prodline demo` builds its plant this way around the
/// generated manufacturer.
#[derive(Debug, Clone)]
pub struct PlantScaffold {
    /// Folder of SPEC §2 master-data CSVs, copied into `master/`.
    pub master: PathBuf,
    /// The workflow's name (lowercase letters, digits, - and _).
    pub workflow: String,
    pub policy: crate::model::DecisionPolicy,
    /// 0 takes every inbox file at once (the demo copies whole files in).
    pub stable_seconds: u64,
}

/// Every SPEC §1 unit code, spelled as the example's legacy ERP spells it, so
/// no order of a plant is refused for its unit alone.
const PLANT_UNIT_MAP: &str = "map = { EA = \"PCS\", CA = \"CASE\", BX = \"BOX\", CT = \"CTN\", PK = \"PACK\", \
     DZ = \"DOZ\", PR = \"PAIR\", ST = \"SET\", RL = \"ROLL\", PL = \"PAIL\", FT = \"FT\", YD = \"YD\", M = \"M\", \
     LB = \"LB\", KG = \"KG\", GA = \"GAL\", L = \"LTR\" }";

/// Scaffolds [`init`]'s example into `dir` (created if missing; refused if
/// not empty) with the plant's master data, workflow name, policy, stability
/// and a unit map covering every unit; returns the paths written.
pub async fn init_plant(dir: &Path, plant: &PlantScaffold) -> Result<Vec<PathBuf>, InitError> {
    ensure_empty(dir)?;
    let mut written = Vec::new();
    let config = EXAMPLE_CONFIG
        .replacen("name = \"example_orders\"", &format!("name = \"{}\"", plant.workflow), 1)
        .replacen("policy = \"shadow\"", &format!("policy = \"{}\"", plant.policy), 1)
        .replacen("stable_seconds = 2 ", &format!("stable_seconds = {} ", plant.stable_seconds), 1)
        .replacen("map = { EA = \"PCS\", CA = \"CASE\", BX = \"BOX\" }", PLANT_UNIT_MAP, 1);
    write(&mut written, &dir.join(CONFIG_FILE), &config)?;
    let master = dir.join("master");
    create_dir(&master)?;
    copy_files(&plant.master, &master, &mut written)?;
    let inbox = dir.join("inbox");
    create_dir(&inbox)?;
    written.push(inbox);
    let erp = dir.join("erp.sqlite");
    create_erp(&erp).await?;
    written.push(erp);
    Ok(written)
}

/// Copies the regular files of `from` (not its sub-folders) into `to`, in name order.
fn copy_files(from: &Path, to: &Path, written: &mut Vec<PathBuf>) -> Result<(), InitError> {
    let io = |path: &Path, source| InitError::Io { path: path.to_path_buf(), source };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(from).map_err(|source| io(from, source))? {
        let path = entry.map_err(|source| io(from, source))?.path();
        if path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    for file in files {
        let Some(name) = file.file_name() else { continue };
        let target = to.join(name);
        std::fs::copy(&file, &target).map_err(|source| io(&file, source))?;
        written.push(target);
    }
    Ok(())
}

fn ensure_empty(dir: &Path) -> Result<(), InitError> {
    let io = |source| InitError::Io { path: dir.to_path_buf(), source };
    if !dir.exists() {
        return std::fs::create_dir_all(dir).map_err(io);
    }
    let mut entries = std::fs::read_dir(dir).map_err(io)?;
    match entries.next() {
        None => Ok(()),
        Some(_) => Err(InitError::NotEmpty { dir: dir.to_path_buf() }),
    }
}

fn create_dir(path: &Path) -> Result<(), InitError> {
    std::fs::create_dir(path).map_err(|source| InitError::Io { path: path.to_path_buf(), source })
}

fn write(written: &mut Vec<PathBuf>, path: &Path, content: &str) -> Result<(), InitError> {
    std::fs::write(path, content).map_err(|source| InitError::Io { path: path.to_path_buf(), source })?;
    written.push(path.to_path_buf());
    Ok(())
}

async fn create_erp(path: &Path) -> Result<(), InitError> {
    let database = |error: sqlx::Error| InitError::Database { path: path.to_path_buf(), message: error.to_string() };
    let options = SqliteConnectOptions::new().filename(path).create_if_missing(true);
    let mut connection = SqliteConnection::connect_with(&options).await.map_err(database)?;
    for statement in ERP_SCHEMA {
        connection.execute(*statement).await.map_err(database)?;
    }
    connection.close().await.map_err(database)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, DecisionPolicy, SourceConfig};

    #[tokio::test]
    async fn a_plant_loads_with_its_master_workflow_policy_and_stability_and_checks_clean() {
        let dir = tempfile::tempdir().expect("temp dir");
        let master = dir.path().join("their-master");
        std::fs::create_dir(&master).expect("master folder");
        for (file, content) in MASTER_FILES {
            std::fs::write(master.join(file), content).expect("master file");
        }
        let plant = dir.path().join("plant");
        let scaffold = PlantScaffold {
            master,
            workflow: "order-entry".to_owned(),
            policy: DecisionPolicy::Auto,
            stable_seconds: 0,
        };
        let written = init_plant(&plant, &scaffold).await.expect("init_plant into a new folder");
        assert!(written.contains(&plant.join("master/items.csv")), "{written:?}");
        let text = std::fs::read_to_string(plant.join(CONFIG_FILE)).expect("config");
        assert!(text.contains(PLANT_UNIT_MAP), "the unit map was not replaced: the example's uom_cd line changed");
        let config = Config::load(&plant.join(CONFIG_FILE)).unwrap_or_else(|errors| panic!("{errors}"));
        let workflow = &config.workflow[0];
        assert_eq!(workflow.name, "order-entry");
        assert_eq!(workflow.decision.policy, DecisionPolicy::Auto);
        assert!(
            matches!(&workflow.sources[..], [SourceConfig::Folder { stable_seconds: 0, .. }]),
            "{:?}",
            workflow.sources
        );
        let report = crate::check(&config).await;
        assert!(report.is_ok(), "{report}");
    }
}
