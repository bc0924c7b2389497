//! Conformance over the real-world corpus (../shared/corpus/realworld, read
//! in place, never copied): every order document is read by `prodline parse`,
//! or rejected with a message that names the file and a position; documents
//! of one family read to the same orders across formats.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn corpus() -> PathBuf {
    let dir = std::env::var_os("PRODLINE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/realworld"));
    assert!(
        dir.join("MANIFEST.md").is_file(),
        "the real-world corpus is missing at {} (set PRODLINE_CORPUS; scripts/setup.sh checks for it)",
        dir.display()
    );
    dir
}

/// What `prodline parse` must do with a file.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Read: exit 0, this many orders.
    Orders(usize),
    /// Read: exit 0, no orders, this many non-order sets or messages skipped.
    Skipped(usize),
    /// Rejected: exit non-zero, a message naming the file and a position.
    Rejected,
    /// A format a later issue reads (PDF, images): rejected as unsupported.
    Unsupported,
}

use Expect::*;

/// Every order document of the corpus, by path relative to its root.
const FILES: &[(&str, Expect)] = &[];

struct Parsed {
    ok: bool,
    json: Value,
    stderr: String,
}

fn parse(path: &Path) -> Parsed {
    let out = Command::new(env!("CARGO_BIN_EXE_prodline"))
        .arg("parse")
        .arg("--json")
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("running prodline parse {}: {e}", path.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{}: parse --json printed no JSON ({e}): {stdout}", path.display()));
    Parsed { ok: out.status.success(), json, stderr: String::from_utf8_lossy(&out.stderr).into_owned() }
}

/// Order documents in the corpus: everything but the peers' expected outputs
/// (which are JSON/XML/YAML renderings, not documents), plus the inputs and
/// EDI/CSV files kept under expected/.
fn order_documents(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.retain(|p| {
        p != "MANIFEST.md"
            && (!p.starts_with("expected/")
                || p.contains("/input/")
                || p.ends_with(".edi")
                || p.ends_with(".csv"))
    });
    out.sort();
    out
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(root, &path, out);
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.to_string_lossy().into_owned());
        }
    }
}

#[test]
fn every_corpus_document_is_listed() {
    let root = corpus();
    let listed: Vec<&str> = FILES.iter().map(|(p, _)| *p).collect();
    let missing: Vec<String> = order_documents(&root).into_iter().filter(|p| !listed.contains(&p.as_str())).collect();
    assert!(missing.is_empty(), "corpus documents without an expectation: {missing:#?}");
}

#[test]
fn every_corpus_document_is_read_or_rejected_with_a_position() {
    let root = corpus();
    let mut failures = Vec::new();
    for (rel, expect) in FILES {
        let path = root.join(rel);
        let parsed = parse(&path);
        let orders = parsed.json["orders"].as_array().map_or(0, Vec::len);
        let skipped = parsed.json["skipped"].as_array().map_or(0, Vec::len);
        let problem = match expect {
            Orders(n) if !parsed.ok || orders != *n => Some(format!("expected {n} orders and exit 0, got {orders}, ok={}", parsed.ok)),
            Skipped(n) if !parsed.ok || orders != 0 || skipped != *n => {
                Some(format!("expected {n} skipped sets, got {skipped} (orders {orders}), ok={}", parsed.ok))
            }
            Rejected | Unsupported if parsed.ok => Some("expected a non-zero exit".to_string()),
            Rejected if !names_file_and_position(&parsed.stderr, rel) => {
                Some(format!("the error does not name the file and a position: {}", parsed.stderr))
            }
            Unsupported if !parsed.stderr.contains("unsupported_format") => {
                Some(format!("expected unsupported_format: {}", parsed.stderr))
            }
            _ => None,
        };
        if let Some(problem) = problem {
            failures.push(format!("{rel}: {problem}"));
        }
    }
    assert!(failures.is_empty(), "{} of {} files:\n{}", failures.len(), FILES.len(), failures.join("\n"));
}

fn names_file_and_position(stderr: &str, rel: &str) -> bool {
    let file_name = rel.rsplit('/').next().unwrap_or(rel);
    stderr.lines().any(|l| {
        l.contains(file_name)
            && l.contains("error")
            && (l.contains("byte ") || l.contains("line ") || l.contains("segment "))
    })
}
