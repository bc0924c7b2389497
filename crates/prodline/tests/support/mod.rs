//! What the binary's tests share: a deployment scaffolded by `prodline init`
//! and run by the real binary, generated inbox files, a seeded random source,
//! the invariant checks over the store and the ERP, and the real-world corpus.

#![allow(dead_code)] // Each test binary uses its own part.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use prodline_store::{DocumentId, DocumentState, EventId, EventKind, Sha256, Store};
use prodline_testkit::orders::{Document, Expected};

/// The shared real-world corpus, read in place (never copied), at
/// `PRODLINE_CORPUS` or beside the repository.
pub fn corpus() -> PathBuf {
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

/// The workflow (and outbox target) name of `prodline init`'s example.
pub const WORKFLOW: &str = "example_orders";

/// Runs `prodline` to completion.
pub fn prodline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_prodline"))
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("running prodline {args:?}: {error}"))
}

/// `prodline init` in `root`, edited for a test: policy `auto`, files taken
/// at once, the folder listed every second; `store` replaces the `[store]`
/// section when given.
pub fn init_deployment(root: &Path, store: Option<&str>) -> PathBuf {
    let run = prodline(&["init", root.to_str().expect("utf-8 path")]);
    assert!(run.status.success(), "init: {}", String::from_utf8_lossy(&run.stderr));
    let config = root.join("prodline.toml");
    let mut text = std::fs::read_to_string(&config).expect("read config");
    for (from, to) in [
        ("policy = \"shadow\"", "policy = \"auto\""),
        ("stable_seconds = 2", "stable_seconds = 0"),
        ("poll_interval_seconds = 5", "poll_interval_seconds = 1"),
    ] {
        assert!(text.contains(from), "the example config no longer says {from}");
        text = text.replacen(from, to, 1);
    }
    if let Some(store) = store {
        let sqlite = "type = \"sqlite\"";
        let start = text.find(sqlite).expect("the example store is sqlite");
        let end = text[start..].find("path = \"prodline.sqlite\"").expect("store path") + start;
        let line_end = text[end..].find('\n').expect("end of line") + end;
        text.replace_range(start..line_end, store);
    }
    std::fs::write(&config, text).expect("write config");
    config
}

/// Writes each document into `inbox` under its file name.
pub fn drop_documents(inbox: &Path, documents: &[Document]) {
    for document in documents {
        std::fs::write(inbox.join(&document.file_name), &document.bytes).expect("write inbox file");
    }
}

/// Starts `prodline run -c CONFIG` (until killed), stdout and stderr to `log`.
pub fn spawn_run(config: &Path, log: &Path, env: &[(&str, &str)]) -> Child {
    let out = std::fs::File::create(log).expect("create log");
    let err = out.try_clone().expect("clone log");
    let mut command = Command::new(env!("CARGO_BIN_EXE_prodline"));
    command.args(["run", "-c", config.to_str().expect("utf-8 path")]).stdout(out).stderr(Stdio::from(err));
    for (key, value) in env {
        command.env(key, value);
    }
    command.spawn().expect("spawn prodline run")
}

/// splitmix64: a seeded source for kill moments, printed so a run can be replayed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// Uniform in `low..=high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        low + z % (high - low + 1)
    }
}

/// The regular files directly in `dir`, by name.
pub fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> =
        entries.filter_map(Result::ok).map(|entry| entry.path()).filter(|path| path.is_file()).collect();
    files.sort();
    files
}

/// The SHA-256 of every regular file directly in `dir`.
pub fn hashes_in(dir: &Path) -> Vec<Sha256> {
    files_in(dir).iter().map(|path| Sha256::of(&std::fs::read(path).expect("read file"))).collect()
}

/// The state changes the runtime may make; anything else in the trail is impossible.
const POSSIBLE: &[(&str, &str)] = &[
    ("received", "decided"),
    ("received", "quarantined"),
    ("decided", "approved"),
    ("decided", "in_review"),
    ("decided", "quarantined"),
    ("approved", "posted"),
    ("approved", "dead_lettered"),
];

/// One document's audit trail, checked: received first, then only possible
/// transitions, each from the state the one before reached, ending in its state.
#[derive(Debug, Default)]
pub struct Trail {
    pub received: u32,
    pub changes: Vec<(String, String)>,
    /// Actors of the state changes, with the worker that made each change when recorded.
    pub actors: Vec<String>,
}

/// Every document's trail, from the whole event log (one read, in order).
pub async fn trails<S: Store>(store: &S) -> HashMap<DocumentId, Trail> {
    let mut trails: HashMap<DocumentId, Trail> = HashMap::new();
    let mut after = EventId(0);
    loop {
        let events = store.events_since(after, 10_000).await.expect("read the event log");
        let Some(last) = events.last() else { break };
        after = last.id;
        for event in &events {
            let Some(document) = event.document_id else { continue };
            let trail = trails.entry(document).or_default();
            match event.kind {
                EventKind::DocumentReceived => trail.received += 1,
                EventKind::DocumentStateChanged => {
                    let text = |key: &str| event.details[key].as_str().unwrap_or("?").to_owned();
                    trail.changes.push((text("from"), text("to")));
                    trail.actors.push(event.actor.clone());
                }
                _ => {}
            }
        }
    }
    trails
}

/// The impossible things in one trail, as messages (empty when it is sound).
pub fn trail_problems(name: &str, trail: &Trail, state: DocumentState) -> Vec<String> {
    let mut problems = Vec::new();
    if trail.received != 1 {
        problems.push(format!("{name}: {} DocumentReceived events, not 1", trail.received));
    }
    let mut at = "received".to_owned();
    for (from, to) in &trail.changes {
        if *from != at {
            problems.push(format!("{name}: a change from {from} while the document was {at}"));
        }
        if !POSSIBLE.contains(&(from.as_str(), to.as_str())) {
            problems.push(format!("{name}: impossible transition {from} -> {to}"));
        }
        at.clone_from(to);
    }
    if at != state.as_str() {
        problems.push(format!("{name}: the trail ends in {at} but the document is {state}"));
    }
    problems
}

/// What the whole run must show, checked against the store (any back end)
/// and the ERP's headers: (customer, PO, line count) per SO_HDR row.
pub async fn assert_invariants<S: Store>(
    store: &S,
    documents: &[Document],
    erp_headers: &[(String, String, i64)],
) -> BTreeMap<&'static str, usize> {
    let by_hash: HashMap<Sha256, &Document> =
        documents.iter().map(|document| (Sha256::of(&document.bytes), document)).collect();
    assert_eq!(by_hash.len(), documents.len(), "the generated documents have distinct bytes");

    // No document lost, none twice: one document row per input file, by hash.
    let mut stored = Vec::new();
    for state in DocumentState::ALL {
        stored.extend(store.list(state, 100_000).await.expect("list documents"));
    }
    let stored_hashes: BTreeSet<&Sha256> = stored.iter().map(|document| &document.sha256).collect();
    assert_eq!(stored.len(), documents.len(), "documents in the store: one per input file");
    assert_eq!(stored_hashes.len(), documents.len(), "no two documents hold the same bytes");
    let missing: Vec<&str> = by_hash
        .iter()
        .filter(|(hash, _)| !stored_hashes.contains(hash))
        .map(|(_, document)| document.file_name.as_str())
        .collect();
    assert!(missing.is_empty(), "documents lost: {missing:?}");

    // Every document where its content sends it, with a sound trail.
    let trails = trails(store).await;
    let mut problems = Vec::new();
    let mut states: BTreeMap<&'static str, usize> = BTreeMap::new();
    for document in &stored {
        *states.entry(document.state.as_str()).or_default() += 1;
        let input = by_hash[&document.sha256];
        let expected = match input.expected {
            Expected::Posted { .. } => DocumentState::Posted,
            Expected::InReview => DocumentState::InReview,
        };
        if document.state != expected {
            problems.push(format!("{}: {} (expected {expected})", input.file_name, document.state));
        }
        match trails.get(&document.id) {
            Some(trail) => problems.extend(trail_problems(&input.file_name, trail, document.state)),
            None => problems.push(format!("{}: no audit trail", input.file_name)),
        }
    }
    let shown: Vec<&String> = problems.iter().take(20).collect();
    assert!(problems.is_empty(), "{} problems, first: {shown:#?}; states: {states:?}", problems.len());

    // Nothing pending in the outbox.
    let far = chrono::Utc::now() + chrono::TimeDelta::days(3650);
    let pending = store.due_deliveries(WORKFLOW, far, 100_000).await.expect("pending deliveries");
    assert!(pending.is_empty(), "{} deliveries still pending, first {:?}", pending.len(), pending.first());

    // Every approved order in the ERP exactly once, with all its lines.
    let mut seen: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (customer, po, _) in erp_headers {
        *seen.entry((customer.as_str(), po.as_str())).or_default() += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, count)| **count > 1).collect();
    assert!(twice.is_empty(), "orders in the ERP more than once: {twice:?}");
    let expected_pos: BTreeSet<&str> = documents
        .iter()
        .filter_map(|document| match &document.expected {
            Expected::Posted { po } => Some(po.as_str()),
            Expected::InReview => None,
        })
        .collect();
    let erp_pos: BTreeSet<&str> = erp_headers.iter().map(|(_, po, _)| po.as_str()).collect();
    assert_eq!(erp_headers.len(), expected_pos.len(), "one ERP order per approved document");
    assert_eq!(erp_pos, expected_pos, "the ERP holds exactly the approved POs");
    let without_lines: Vec<_> = erp_headers.iter().filter(|(_, _, lines)| *lines == 0).collect();
    assert!(without_lines.is_empty(), "ERP orders without lines: {without_lines:?}");
    states
}

/// SO_HDR rows of an ERP as (customer, PO, number of SO_LIN rows); `query`
/// runs on the ERP connection.
pub const ERP_HEADERS_SQL: &str = "SELECT CAST(h.cust_no AS TEXT), CAST(h.cust_po_2 AS TEXT), \
     (SELECT COUNT(*) FROM SO_LIN l WHERE l.so_id = h.so_id) FROM SO_HDR h ORDER BY h.so_id";

/// Orders that appear more than once in the ERP, the check a DBA would run.
pub const ERP_TWICE_SQL: &str =
    "SELECT cust_no, cust_po_2, COUNT(*) FROM SO_HDR GROUP BY cust_no, cust_po_2 HAVING COUNT(*) > 1";
