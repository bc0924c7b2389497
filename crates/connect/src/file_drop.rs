//! The file-drop target: one JSON or CSV file per order in a folder that
//! another system (an ERP import job, an integration platform) picks up.
//!
//! Architecture Invariant: a reader of the folder never sees a partial order.
//! Each file is written under a temporary name that starts with `.tmp-` and
//! ends in `.part` (so no `*.json` / `*.csv` pattern matches it), fsync'ed,
//! renamed to its final name (atomic within one folder), then the folder is
//! fsync'ed so the rename survives a crash.
//!
//! Architecture Invariant: the final file name is a pure function of the
//! order's customer and PO and of the idempotency key, so a repeat delivery
//! finds the file and yields `Delivery::AlreadyPosted`. This holds only while
//! the file stays in the folder: a consumer that moves files away makes a
//! later repeat write the order again (at-least-once, never exactly-once).
//!
//! Synchronous on purpose: a delivery is a few small blocking writes; an async
//! caller runs it on a blocking thread (`tokio::task::spawn_blocking`).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use prodline_core::CanonicalOrder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Delivery, DeliveryError};

/// Same bound as the SQL target, so one key fits every target.
const MAX_IDEMPOTENCY_KEY_LEN: usize = 191;
/// Longest customer or PO part of a file name, in (ASCII) characters.
const MAX_NAME_PART_CHARS: usize = 40;
/// Hex digits of the key's SHA-256 in the file name: 64 bits, no practical collision.
const KEY_TAG_HEX_DIGITS: usize = 16;
const TEMPORARY_PREFIX: &str = ".tmp-";
const TEMPORARY_SUFFIX: &str = ".part";
const PROBE_PREFIX: &str = ".prodline-probe-";
/// Attempts at a fresh temporary name before giving up (another writer holds them).
const MAX_TEMPORARY_ATTEMPTS: u32 = 16;

/// CSV columns, one row per order line (the header repeats on each row).
pub const CSV_COLUMNS: [&str; 13] = [
    "customer_id",
    "customer_po",
    "order_date",
    "requested_date",
    "ship_to",
    "currency",
    "line",
    "sku",
    "customer_part",
    "description",
    "qty",
    "uom",
    "unit_price",
];

/// Configuration of a file-drop target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileDropConfig {
    /// Folder the order files are written to; created by `build` when missing.
    pub path: PathBuf,
    pub format: FileDropFormat,
}

/// How an order is written: `format = "json"` or `format = "csv"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileDropFormat {
    /// The canonical order (SPEC §1) plus its `idempotency_key`, pretty-printed.
    Json,
    /// One row per line under a header row of [`CSV_COLUMNS`].
    Csv,
}

impl FileDropFormat {
    /// The final file's extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            FileDropFormat::Json => "json",
            FileDropFormat::Csv => "csv",
        }
    }
}

/// One invalid config option: the key and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDropConfigError {
    pub key: &'static str,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum FileDropBuildError {
    /// Every invalid option at once.
    #[error("file_drop_config_invalid: {}", join_config_errors(.0))]
    Config(Vec<FileDropConfigError>),
    #[error("file_drop_folder_not_created: {}: {message}", .path.display())]
    CreateFolder { path: PathBuf, message: String },
    #[error("{0}")]
    Folder(FileDropHealthcheckError),
}

fn join_config_errors(errors: &[FileDropConfigError]) -> String {
    errors.iter().map(|error| format!("{}: {}", error.key, error.message)).collect::<Vec<_>>().join("; ")
}

/// Why the folder cannot take files now; each names the folder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileDropHealthcheckError {
    #[error("file_drop_folder_missing: {} does not exist", .path.display())]
    Missing { path: PathBuf },
    #[error("file_drop_not_a_folder: {} is not a folder", .path.display())]
    NotAFolder { path: PathBuf },
    #[error("file_drop_not_writable: {}: {message}", .path.display())]
    NotWritable { path: PathBuf, message: String },
}

impl FileDropConfig {
    /// Lists every invalid option at once.
    pub fn validate(&self) -> Result<(), Vec<FileDropConfigError>> {
        let mut errors = Vec::new();
        if self.path.as_os_str().is_empty() {
            errors.push(FileDropConfigError { key: "path", message: "must name a folder".to_owned() });
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

/// A built file-drop target: a folder known to exist and to be writable.
#[derive(Debug)]
pub struct FileDropTarget {
    folder: PathBuf,
    format: FileDropFormat,
    /// Makes temporary and probe names unique within this process.
    sequence: AtomicU64,
}

impl FileDropTarget {
    /// Validates the config, creates the folder when missing and proves it writable.
    pub fn build(config: &FileDropConfig) -> Result<FileDropTarget, FileDropBuildError> {
        config.validate().map_err(FileDropBuildError::Config)?;
        fs::create_dir_all(&config.path).map_err(|error| FileDropBuildError::CreateFolder {
            path: config.path.clone(),
            message: error.to_string(),
        })?;
        let target = FileDropTarget { folder: config.path.clone(), format: config.format, sequence: AtomicU64::new(0) };
        target.healthcheck().map_err(FileDropBuildError::Folder)?;
        Ok(target)
    }

    /// The folder files are dropped into.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// Writes and removes a probe file: the same operations a delivery needs.
    pub fn healthcheck(&self) -> Result<(), FileDropHealthcheckError> {
        let path = self.folder.clone();
        match fs::metadata(&self.folder) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Err(FileDropHealthcheckError::Missing { path });
            }
            Err(error) => return Err(FileDropHealthcheckError::NotWritable { path, message: error.to_string() }),
            Ok(metadata) if !metadata.is_dir() => return Err(FileDropHealthcheckError::NotAFolder { path }),
            Ok(_) => {}
        }
        let not_writable = |error: io::Error| FileDropHealthcheckError::NotWritable {
            path: self.folder.clone(),
            message: error.to_string(),
        };
        let (probe_path, mut probe) = self.create_unique(PROBE_PREFIX, "").map_err(not_writable)?;
        let written = probe.write_all(b"prodline file-drop probe\n").and_then(|()| probe.sync_all());
        drop(probe);
        let removed = fs::remove_file(&probe_path);
        written.and(removed).map_err(not_writable)
    }

    /// Writes the order to its own file, atomically; a key delivered before
    /// (its file is still there) yields `AlreadyPosted` and writes nothing.
    /// `erp_key` is the file name.
    pub fn deliver(&self, order: &CanonicalOrder, idempotency_key: &str) -> Result<Delivery, DeliveryError> {
        if idempotency_key.is_empty() || idempotency_key.len() > MAX_IDEMPOTENCY_KEY_LEN {
            return Err(DeliveryError::InvalidKey { length: idempotency_key.len() });
        }
        let file_name = file_name(order, idempotency_key, self.format);
        let final_path = self.folder.join(&file_name);
        if self.exists(&final_path)? {
            return Ok(Delivery::AlreadyPosted { erp_key: file_name });
        }
        let content = render(order, idempotency_key, self.format)?;
        let temporary = self.write_temporary(&file_name, &content)?;
        // Checked again: a concurrent delivery of the same key may have finished meanwhile.
        if self.exists(&final_path)? {
            remove_quietly(&temporary);
            return Ok(Delivery::AlreadyPosted { erp_key: file_name });
        }
        if let Err(error) = fs::rename(&temporary, &final_path) {
            remove_quietly(&temporary);
            return Err(self.transient("renaming into", &final_path, &error));
        }
        sync_folder(&self.folder).map_err(|error| self.transient("syncing", &self.folder, &error))?;
        Ok(Delivery::Posted { erp_key: file_name })
    }

    fn exists(&self, path: &Path) -> Result<bool, DeliveryError> {
        path.try_exists().map_err(|error| self.transient("checking", path, &error))
    }

    /// Writes and fsyncs the content under a fresh temporary name; removes it on failure.
    fn write_temporary(&self, file_name: &str, content: &[u8]) -> Result<PathBuf, DeliveryError> {
        let prefix = format!("{TEMPORARY_PREFIX}{file_name}-");
        let (path, mut file) = self
            .create_unique(&prefix, TEMPORARY_SUFFIX)
            .map_err(|error| self.transient("creating a file in", &self.folder, &error))?;
        let written = file.write_all(content).and_then(|()| file.sync_all());
        drop(file);
        if let Err(error) = written {
            remove_quietly(&path);
            return Err(self.transient("writing", &path, &error));
        }
        Ok(path)
    }

    /// Creates a new file named `<prefix><pid>-<sequence><suffix>`, never reusing one.
    fn create_unique(&self, prefix: &str, suffix: &str) -> io::Result<(PathBuf, File)> {
        let mut last_error = io::Error::new(io::ErrorKind::AlreadyExists, "no free temporary name");
        for _ in 0..MAX_TEMPORARY_ATTEMPTS {
            let sequence = self.sequence.fetch_add(1, Ordering::Relaxed);
            let path = self.folder.join(format!("{prefix}{}-{sequence}{suffix}", std::process::id()));
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => return Ok((path, file)),
                // Left by an earlier process with the same pid, or another target on this folder.
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => last_error = error,
                Err(error) => return Err(error),
            }
        }
        Err(last_error)
    }

    /// The operator can fix permissions, space or a missing folder: retry later.
    fn transient(&self, action: &str, path: &Path, error: &io::Error) -> DeliveryError {
        DeliveryError::Transient { message: format!("file_drop: {action} {}: {error}", path.display()) }
    }
}

/// `<customer>_<po>_<key tag>.<ext>`: readable, filesystem-safe on every OS,
/// and unique per key (the tag is a prefix of the key's SHA-256, so any key
/// text, even one with `/` or `..`, yields a safe name).
pub fn file_name(order: &CanonicalOrder, idempotency_key: &str, format: FileDropFormat) -> String {
    let customer = name_part(order.customer_id.as_deref());
    let po = name_part(order.customer_po.as_deref());
    format!("{customer}_{po}_{}.{}", key_tag(idempotency_key), format.extension())
}

/// ASCII letters, digits and `-` kept; anything else becomes `-`; bounded length.
fn name_part(value: Option<&str>) -> String {
    let part: String = value
        .unwrap_or_default()
        .chars()
        .take(MAX_NAME_PART_CHARS)
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' })
        .collect();
    if part.is_empty() { "none".to_owned() } else { part }
}

fn key_tag(idempotency_key: &str) -> String {
    let digest = Sha256::digest(idempotency_key.as_bytes());
    let mut tag: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    tag.truncate(KEY_TAG_HEX_DIGITS);
    tag
}

/// The JSON document: the key first, then the canonical order's fields.
#[derive(Serialize)]
struct JsonDrop<'a> {
    idempotency_key: &'a str,
    #[serde(flatten)]
    order: &'a CanonicalOrder,
}

fn render(order: &CanonicalOrder, idempotency_key: &str, format: FileDropFormat) -> Result<Vec<u8>, DeliveryError> {
    match format {
        FileDropFormat::Json => render_json(order, idempotency_key),
        FileDropFormat::Csv => render_csv(order),
    }
}

fn render_json(order: &CanonicalOrder, idempotency_key: &str) -> Result<Vec<u8>, DeliveryError> {
    let mut bytes = serde_json::to_vec_pretty(&JsonDrop { idempotency_key, order }).map_err(rejected)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// One row per line; decimals as `Decimal`'s own text (exact, scale kept), absent values empty.
fn render_csv(order: &CanonicalOrder) -> Result<Vec<u8>, DeliveryError> {
    if order.lines.is_empty() {
        // A header row alone would lose the customer and PO: refuse rather than drop an empty file.
        return Err(DeliveryError::Rejected {
            erp_message: "file_drop: an order without lines has no CSV rows".to_owned(),
            duplicate_delivery: false,
        });
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(CSV_COLUMNS).map_err(rejected)?;
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let date = |value: Option<chrono::NaiveDate>| value.map(|date| date.to_string()).unwrap_or_default();
    for line in &order.lines {
        writer
            .write_record([
                text(&order.customer_id),
                text(&order.customer_po),
                date(order.order_date),
                date(order.requested_date),
                text(&order.ship_to),
                text(&order.currency),
                line.line.map(|number| number.to_string()).unwrap_or_default(),
                text(&line.sku),
                text(&line.customer_part),
                text(&line.description),
                line.qty.to_string(),
                text(&line.uom),
                line.unit_price.map(|price| price.to_string()).unwrap_or_default(),
            ])
            .map_err(rejected)?;
    }
    writer.into_inner().map_err(|error| rejected(error.error()))
}

fn rejected(error: impl std::fmt::Display) -> DeliveryError {
    DeliveryError::Rejected { erp_message: format!("file_drop: {error}"), duplicate_delivery: false }
}

fn remove_quietly(path: &Path) {
    // Best effort: a leftover `.tmp-…part` file matches no final-name pattern.
    let _ = fs::remove_file(path);
}

/// Makes a rename durable: on Unix the new directory entry is only on disk once the folder is synced.
#[cfg(unix)]
fn sync_folder(folder: &Path) -> io::Result<()> {
    File::open(folder)?.sync_all()
}

/// Windows cannot open a folder as a file; NTFS journals the rename itself.
#[cfg(not(unix))]
fn sync_folder(_folder: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_parts_are_filesystem_safe_and_bounded() {
        assert_eq!(name_part(Some("4500/12 ..\\x")), "4500-12----x");
        assert_eq!(name_part(Some("")), "none");
        assert_eq!(name_part(None), "none");
        assert_eq!(name_part(Some("Bestellung-Ä1")), "Bestellung--1");
        assert_eq!(name_part(Some(&"é".repeat(100))).len(), MAX_NAME_PART_CHARS);
    }

    #[test]
    fn key_tag_is_stable_and_separates_keys() {
        assert_eq!(key_tag("pl1-abc"), key_tag("pl1-abc"));
        assert_eq!(key_tag("pl1-abc").len(), KEY_TAG_HEX_DIGITS);
        assert_ne!(key_tag("a/b"), key_tag("a_b"));
        assert!(key_tag("../../etc").chars().all(|c| c.is_ascii_hexdigit()));
    }
}
