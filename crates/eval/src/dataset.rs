//! The evaluation dataset (SPEC §3): `master/`, `docs/`, `truth.jsonl` and
//! an optional `meta.jsonl`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use prodline_core::CanonicalOrder;
use prodline_extract::MasterData;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;

use crate::EvalError;

/// A dataset ready to evaluate: the documents that have a truth line, in
/// replay order.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub root: PathBuf,
    pub master: MasterData,
    /// In replay order: by `received_at` where meta gives it (earliest
    /// first), then the documents without one; ties and the rest by path.
    pub documents: Vec<DatasetDocument>,
    /// Documents under `docs/` that have no truth line: skipped, and counted
    /// so the report can say so.
    pub without_truth: Vec<String>,
}

/// One document with its truth and meta.
#[derive(Debug, Clone)]
pub struct DatasetDocument {
    /// The path as truth.jsonl names it: relative to the dataset root, with
    /// `/` separators (`docs/edi/po-1.x12`).
    pub doc: String,
    /// Where the bytes are on disk.
    pub path: PathBuf,
    /// What a person entered; `[]` when the document holds no order.
    pub truth: Vec<CanonicalOrder>,
    /// Set when the document repeats an order already received.
    pub duplicate_of: Option<String>,
    pub received_at: Option<DateTime<Utc>>,
    pub channel: Option<String>,
    pub from: Option<String>,
    /// meta.jsonl's `"curated": true`: a clean sample, of the kind a pilot
    /// is measured on. `eval --curated` compares these documents with a
    /// random sample of everything (the curated-versus-live gap).
    pub curated: bool,
}

#[derive(Deserialize)]
struct TruthLine {
    doc: String,
    orders: Vec<CanonicalOrder>,
    #[serde(default)]
    duplicate_of: Option<String>,
}

#[derive(Deserialize)]
struct MetaLine {
    doc: String,
    #[serde(default)]
    received_at: Option<String>,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    curated: bool,
}

impl Dataset {
    /// Read a SPEC §3 folder. Errors name the file and, for JSONL files, the
    /// line (`truth.jsonl:12: ...`). A truth or meta line naming a document
    /// that is not under `docs/` is an error; a document without a truth
    /// line is skipped and listed in [`Dataset::without_truth`].
    pub fn load(root: &Path) -> Result<Dataset, EvalError> {
        let master = MasterData::load_dir(&root.join("master"))?;
        let on_disk = list_documents(root)?;
        let truth_path = root.join("truth.jsonl");
        let mut documents = read_truth(&truth_path, &on_disk)?;
        let meta_path = root.join("meta.jsonl");
        if meta_path.exists() {
            apply_meta(&meta_path, &on_disk, &mut documents)?;
        }
        let without_truth = on_disk.keys().filter(|doc| !documents.contains_key(*doc)).cloned().collect();
        let mut documents: Vec<DatasetDocument> = documents.into_values().collect();
        documents.sort_by(|a, b| replay_key(a).cmp(&replay_key(b)));
        Ok(Dataset { root: root.to_path_buf(), master, documents, without_truth })
    }

    /// A seeded random sample of `n` documents (all of them when there are
    /// fewer), kept in replay order. The same seed draws the same sample.
    pub fn sample(mut self, n: usize, seed: u64) -> Dataset {
        let picks = sample_indices(self.documents.len(), n, seed);
        let mut all: Vec<Option<DatasetDocument>> = self.documents.into_iter().map(Some).collect();
        self.documents = picks.into_iter().filter_map(|i| all.get_mut(i).and_then(Option::take)).collect();
        self
    }
}

/// A seeded random choice of `n` of the indices `0..len` (all of them when
/// there are fewer), in increasing order. One definition for `--sample` and
/// for the live side of the curated gap, so a seed means the same draw.
pub(crate) fn sample_indices(len: usize, n: usize, seed: u64) -> Vec<usize> {
    let mut picks: Vec<usize> = (0..len).collect();
    picks.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    picks.truncate(n);
    picks.sort_unstable();
    picks
}

/// Documents without a time come after those with one; ties by path.
fn replay_key(doc: &DatasetDocument) -> (bool, Option<DateTime<Utc>>, &str) {
    (doc.received_at.is_none(), doc.received_at, &doc.doc)
}

/// Every file under `docs/` (recursively), keyed by its dataset-relative
/// path. Hidden files (`.DS_Store`) are not documents; directory symlinks
/// are not followed, so a link cycle cannot loop.
fn list_documents(root: &Path) -> Result<BTreeMap<String, PathBuf>, EvalError> {
    let docs = root.join("docs");
    if !docs.is_dir() {
        return Err(EvalError::Dataset { path: docs, message: "the dataset has no docs/ folder".into() });
    }
    let mut found = BTreeMap::new();
    let mut pending = vec![(docs, "docs".to_string())];
    while let Some((dir, prefix)) = pending.pop() {
        let entries = fs::read_dir(&dir).map_err(|e| EvalError::io(&dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| EvalError::io(&dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            let key = format!("{prefix}/{name}");
            let file_type = entry.file_type().map_err(|e| EvalError::io(&path, e))?;
            if file_type.is_dir() {
                pending.push((path, key));
            } else if file_type.is_file() || (file_type.is_symlink() && path.is_file()) {
                found.insert(key, path);
            }
        }
    }
    Ok(found)
}

/// `docs/a.x12`, `./docs/a.x12` and `docs\a.x12` name the same document.
fn normalize_doc(doc: &str) -> String {
    let doc = doc.trim().replace('\\', "/");
    doc.strip_prefix("./").unwrap_or(&doc).to_string()
}

/// The non-blank lines of a JSONL file, numbered from 1.
fn jsonl_lines(path: &Path) -> Result<Vec<(usize, String)>, EvalError> {
    let text = fs::read_to_string(path).map_err(|e| EvalError::io(path, e))?;
    Ok(text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| (i + 1, line.to_string()))
        .collect())
}

fn parse_line<T: for<'de> Deserialize<'de>>(path: &Path, line: usize, text: &str) -> Result<T, EvalError> {
    serde_json::from_str(text).map_err(|e| line_error(path, line, e.to_string()))
}

fn line_error(path: &Path, line: usize, message: impl Into<String>) -> EvalError {
    EvalError::Line { path: path.to_path_buf(), line, message: message.into() }
}

fn read_truth(
    path: &Path,
    on_disk: &BTreeMap<String, PathBuf>,
) -> Result<BTreeMap<String, DatasetDocument>, EvalError> {
    if !path.is_file() {
        return Err(EvalError::Dataset { path: path.to_path_buf(), message: "the dataset has no truth.jsonl".into() });
    }
    let mut documents: BTreeMap<String, DatasetDocument> = BTreeMap::new();
    let mut first_seen: BTreeMap<String, usize> = BTreeMap::new();
    for (number, text) in jsonl_lines(path)? {
        let line: TruthLine = parse_line(path, number, &text)?;
        let doc = normalize_doc(&line.doc);
        let Some(file) = on_disk.get(&doc) else {
            return Err(line_error(path, number, format!("{doc:?} is not a file under docs/")));
        };
        if let Some(first) = first_seen.insert(doc.clone(), number) {
            return Err(line_error(path, number, format!("{doc:?} already has a truth line (line {first})")));
        }
        let document = DatasetDocument {
            doc: doc.clone(),
            path: file.clone(),
            truth: line.orders,
            duplicate_of: line.duplicate_of.map(|d| normalize_doc(&d)),
            received_at: None,
            channel: None,
            from: None,
            curated: false,
        };
        documents.insert(doc, document);
    }
    Ok(documents)
}

fn apply_meta(
    path: &Path,
    on_disk: &BTreeMap<String, PathBuf>,
    documents: &mut BTreeMap<String, DatasetDocument>,
) -> Result<(), EvalError> {
    let mut first_seen: BTreeMap<String, usize> = BTreeMap::new();
    for (number, text) in jsonl_lines(path)? {
        let line: MetaLine = parse_line(path, number, &text)?;
        let doc = normalize_doc(&line.doc);
        if !on_disk.contains_key(&doc) {
            return Err(line_error(path, number, format!("{doc:?} is not a file under docs/")));
        }
        if let Some(first) = first_seen.insert(doc.clone(), number) {
            return Err(line_error(path, number, format!("{doc:?} already has a meta line (line {first})")));
        }
        let received_at = match line.received_at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(text) => Some(
                parse_time(text)
                    .ok_or_else(|| line_error(path, number, format!("received_at {text:?} is not an RFC 3339 time")))?,
            ),
            None => None,
        };
        // Meta for a document without truth is harmless: that document is skipped anyway.
        if let Some(document) = documents.get_mut(&doc) {
            document.received_at = received_at;
            document.channel = line.channel.map(|c| c.trim().to_lowercase()).filter(|c| !c.is_empty());
            document.from = line.from.filter(|f| !f.trim().is_empty());
            document.curated = line.curated;
        }
    }
    Ok(())
}

/// RFC 3339 (`2026-03-02T09:15:00Z`); a time without a zone or a bare date is
/// taken as UTC, because exports from older systems often drop the zone.
fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for pattern in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, pattern) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_with_and_without_zone() {
        let z = parse_time("2026-03-02T09:15:00Z");
        assert_eq!(z, parse_time("2026-03-02T10:15:00+01:00"));
        assert_eq!(z, parse_time("2026-03-02T09:15:00"));
        assert!(parse_time("2026-03-02").is_some_and(|t| t < z.unwrap_or_default()));
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn doc_paths_normalize() {
        assert_eq!(normalize_doc(" ./docs\\edi\\a.x12 "), "docs/edi/a.x12");
    }
}
