//! The demo dataset: deterministic, SPEC §3-shaped, and telling its stories.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use prodline_demo::{DemoConfig, MASTER_HEADERS, generate};
use serde_json::Value;

fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(path.strip_prefix(root).unwrap().to_path_buf(), std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

fn jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn column(path: &Path, name: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let index = header.iter().position(|h| *h == name).unwrap();
    text.lines().skip(1).filter_map(|l| fields(l).into_iter().nth(index)).collect()
}

/// Split one CSV record of the master files (quoted fields hold commas, never newlines).
fn fields(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(String::new()),
            _ => out.last_mut().unwrap().push(c),
        }
    }
    out
}

struct Generated {
    _dir: tempfile::TempDir,
    root: PathBuf,
    summary: prodline_demo::DemoSummary,
}

fn generated(config: &DemoConfig) -> Generated {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let summary = generate(&root, config).unwrap();
    Generated { _dir: dir, root, summary }
}

#[test]
fn same_seed_gives_identical_bytes_and_another_seed_does_not() {
    let config = DemoConfig::default();
    let started = std::time::Instant::now();
    let a = generated(&config);
    let elapsed = started.elapsed();
    let b = generated(&config);
    let (fa, fb) = (files(&a.root), files(&b.root));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (path, bytes) in &fa {
        assert!(fb.get(path) == Some(bytes), "{} differs between runs", path.display());
    }
    assert_eq!(a.summary, b.summary);
    let c = generated(&DemoConfig { seed: 7, ..config });
    assert_ne!(std::fs::read(a.root.join("truth.jsonl")).unwrap(), std::fs::read(c.root.join("truth.jsonl")).unwrap());
    // Generous for a loaded debug build; it takes well under a second alone.
    assert!(elapsed.as_secs() < 10, "2,000 documents took {elapsed:?}");
}

#[test]
fn counts_truth_and_documents_agree() {
    let g = generated(&DemoConfig::default());
    let truth = jsonl(&g.root.join("truth.jsonl"));
    let meta = jsonl(&g.root.join("meta.jsonl"));
    assert!((1900..=2100).contains(&truth.len()), "{} documents", truth.len());
    assert_eq!(truth.len(), g.summary.documents);
    let docs: BTreeSet<String> = files(&g.root)
        .keys()
        .filter(|p| p.starts_with("docs"))
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .collect();
    let named: Vec<String> = truth.iter().map(|t| t["doc"].as_str().unwrap().to_string()).collect();
    assert_eq!(docs, named.iter().cloned().collect::<BTreeSet<_>>(), "truth lines and files differ");
    assert_eq!(named.len(), docs.len(), "a document has two truth lines");
    let meta_docs: Vec<&str> = meta.iter().map(|m| m["doc"].as_str().unwrap()).collect();
    assert_eq!(meta_docs, named.iter().map(String::as_str).collect::<Vec<_>>());
    let times: Vec<&str> = meta.iter().map(|m| m["received_at"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "meta is not in received order");

    let empty = truth.iter().filter(|t| t["orders"].as_array().unwrap().is_empty() && t.get("duplicate_of").is_none());
    let garbage = empty.count() as f64 / truth.len() as f64;
    assert!((0.06..=0.10).contains(&garbage), "garbage share {garbage}");
    assert!(g.summary.duplicates > 20 && g.summary.revisions > 10, "{:?}", g.summary);
    assert!(g.summary.unsupported_orders * 100 / truth.len() >= 3, "too few e-mail/text orders");
}

#[test]
fn duplicates_point_at_earlier_documents_with_orders() {
    let g = generated(&DemoConfig::default());
    let truth = jsonl(&g.root.join("truth.jsonl"));
    let position: BTreeMap<&str, usize> =
        truth.iter().enumerate().map(|(i, t)| (t["doc"].as_str().unwrap(), i)).collect();
    let mut seen = 0;
    for (i, t) in truth.iter().enumerate() {
        let Some(first) = t.get("duplicate_of").and_then(Value::as_str) else { continue };
        seen += 1;
        assert!(t["orders"].as_array().unwrap().is_empty(), "duplicate with orders: {t}");
        let j = position[first];
        assert!(j < i, "{} points forward to {first}", t["doc"]);
        assert!(!truth[j]["orders"].as_array().unwrap().is_empty(), "{first} holds no order");
    }
    assert_eq!(seen, g.summary.duplicates);
}

#[test]
fn the_dead_feed_really_goes_silent() {
    let g = generated(&DemoConfig::default());
    let feed = &g.summary.dead_feed;
    assert_eq!(feed.last_document.to_string(), "2026-01-31");
    assert!(feed.gap_days >= 9, "{feed:?}");
    let truth = jsonl(&g.root.join("truth.jsonl"));
    let meta = jsonl(&g.root.join("meta.jsonl"));
    let mut days = BTreeSet::new();
    for (t, m) in truth.iter().zip(&meta) {
        let orders = t["orders"].as_array().unwrap();
        let from_feed = orders.iter().any(|o| o["customer_id"] == feed.customer_id.as_str());
        if from_feed {
            days.insert(m["received_at"].as_str().unwrap()[..10].to_string());
        }
    }
    let gap: Vec<&String> = days.iter().filter(|d| d.as_str() > "2026-01-31" && d.as_str() < "2026-02-09").collect();
    assert!(gap.is_empty(), "feed sent during its gap: {gap:?}");
    let january = days.iter().filter(|d| d.starts_with("2026-01")).count();
    assert_eq!(january, 27, "the feed should send every day from Jan 5 to Jan 31");
    assert_eq!(feed.resumed.map(|d| d.to_string()), Some("2026-02-10".to_string()));
}

#[test]
fn truth_uses_only_master_ids_and_follows_the_contract() {
    let g = generated(&DemoConfig::default());
    let master = g.root.join("master");
    let customers = column(&master.join("customers.csv"), "customer_id");
    let skus = column(&master.join("items.csv"), "sku");
    let ship_tos = column(&master.join("ship_tos.csv"), "ship_to_id");
    let mut lines = 0;
    for t in jsonl(&g.root.join("truth.jsonl")) {
        for o in t["orders"].as_array().unwrap() {
            assert!(customers.contains(o["customer_id"].as_str().unwrap()), "{o}");
            assert!(!o["customer_po"].as_str().unwrap().is_empty());
            assert!(o["order_date"].as_str().unwrap().starts_with("202"));
            assert!(o["currency"].is_string());
            if let Some(s) = o["ship_to"].as_str() {
                assert!(ship_tos.contains(s), "{s}");
            }
            let order_lines = o["lines"].as_array().unwrap();
            assert!(!order_lines.is_empty(), "{o}");
            for l in order_lines {
                lines += 1;
                assert!(skus.contains(l["sku"].as_str().unwrap()), "{l}");
                assert!(l["qty"].as_f64().unwrap() > 0.0);
                let uom = l["uom"].as_str().unwrap();
                assert_eq!(prodline_core::units::normalize_uom(uom).as_deref(), Some(uom), "uom not canonical: {l}");
            }
        }
    }
    assert!(lines > 4000, "{lines} lines");
}

#[test]
fn master_files_have_the_spec_headers() {
    let g = generated(&DemoConfig { documents: 300, ..DemoConfig::default() });
    let spec = [
        ("customers.csv", "customer_id,name,aliases,edi_ids,email_domains,currency"),
        ("ship_tos.csv", "ship_to_id,customer_id,name,address,edi_code"),
        ("items.csv", "sku,description,uom,list_price,upc,aliases"),
        ("customer_items.csv", "customer_id,customer_part,sku"),
        ("prices.csv", "customer_id,sku,unit_price"),
    ];
    assert_eq!(MASTER_HEADERS.len(), spec.len());
    for (file, header) in spec {
        let text = std::fs::read_to_string(g.root.join("master").join(file)).unwrap();
        let first = text.lines().next().unwrap();
        assert!(first.starts_with(header), "{file}: {first}");
        assert!(text.lines().count() > 10, "{file} is nearly empty");
    }
    let upcs = column(&g.root.join("master/items.csv"), "upc");
    assert!(upcs.iter().all(|u| u.len() == 12 && u.bytes().all(|b| b.is_ascii_digit())));
    assert!(upcs.iter().any(|u| u.starts_with('0')));
}

#[test]
fn edi_envelopes_are_well_formed() {
    let g = generated(&DemoConfig { documents: 600, ..DemoConfig::default() });
    let truth = jsonl(&g.root.join("truth.jsonl"));
    let mut checked = 0;
    for t in truth.iter().filter(|t| !t["orders"].as_array().unwrap().is_empty()) {
        let bytes = std::fs::read(g.root.join(t["doc"].as_str().unwrap())).unwrap();
        if bytes.starts_with(b"ISA") {
            checked += 1;
            let unwrapped: Vec<u8> = if bytes.get(80..82) == Some(b"\r\n") {
                bytes.chunks(82).flat_map(|c| c.strip_suffix(b"\r\n").unwrap_or(c).to_vec()).collect()
            } else {
                bytes.clone()
            };
            let (element, segment) = (unwrapped[3], unwrapped[105]);
            let isa: Vec<&[u8]> = unwrapped[..105].split(|b| *b == element).collect();
            assert_eq!(isa.len(), 17, "{}", t["doc"]);
            let sets = unwrapped.split(|b| *b == segment).filter(|s| s.trim_ascii_start().starts_with(b"ST")).count();
            assert_eq!(sets, t["orders"].as_array().unwrap().len(), "{}", t["doc"]);
        }
    }
    assert!(checked > 100, "{checked}");
}
