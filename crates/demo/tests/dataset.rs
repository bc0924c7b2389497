//! The demo dataset: deterministic, SPEC §3-shaped, and telling its stories.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use std::io::Write;
use std::process::{Command, Stdio};

use mail_parser::{MessageParser, MimeHeaders};
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
    let a = generated(&config);
    let b = generated(&config);
    let (fa, fb) = (files(&a.root), files(&b.root));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (path, bytes) in &fa {
        assert!(fb.get(path) == Some(bytes), "{} differs between runs", path.display());
    }
    assert_eq!(a.summary, b.summary);
    let c = generated(&DemoConfig { seed: 7, ..config });
    assert_ne!(std::fs::read(a.root.join("truth.jsonl")).unwrap(), std::fs::read(c.root.join("truth.jsonl")).unwrap());
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
    assert!(g.summary.unstructured_orders * 100 / truth.len() >= 12, "too few e-mail/PDF/scan orders: {:?}", g.summary);
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

/// Run one of the real tools on `input`; a missing tool fails loudly.
fn run_tool(program: &str, args: &[&str], input: &[u8]) -> String {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("{program} is missing ({e}): install poppler-utils and tesseract-ocr with scripts/ocr.sh")
        });
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn pdf_text(pdf: &[u8]) -> String {
    run_tool("pdftotext", &["-layout", "-", "-"], pdf)
}

fn pos(t: &Value) -> Vec<String> {
    t["orders"].as_array().unwrap().iter().map(|o| o["customer_po"].as_str().unwrap().to_string()).collect()
}

/// Width and height from a PNG's IHDR.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR"), "not a PNG");
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn every_pdf_reads_back_with_pdftotext_and_shows_its_po_and_parts() {
    let g = generated(&DemoConfig::default());
    let (mut checked, mut pages) = (0, 0);
    for t in jsonl(&g.root.join("truth.jsonl")) {
        let doc = t["doc"].as_str().unwrap();
        if !doc.ends_with(".pdf") {
            continue;
        }
        let text = pdf_text(&std::fs::read(g.root.join(doc)).unwrap());
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for po in pos(&t) {
            assert!(flat.contains(&po), "{doc}: PO {po} not in\n{text}");
        }
        for o in t["orders"].as_array().unwrap() {
            for l in o["lines"].as_array().unwrap() {
                if let Some(part) = l["customer_part"].as_str() {
                    assert!(flat.contains(part), "{doc}: part {part} not in\n{text}");
                }
            }
        }
        checked += 1;
        pages += usize::from(text.contains("Page 2"));
    }
    assert!(checked >= 100, "{checked} PDFs");
    assert!(pages >= 3, "only {pages} PDFs run over more than one page");
}

#[test]
fn every_eml_parses_and_its_attachments_are_intact() {
    let g = generated(&DemoConfig::default());
    let truth = jsonl(&g.root.join("truth.jsonl"));
    let meta = jsonl(&g.root.join("meta.jsonl"));
    let (mut checked, mut attachments) = (0, BTreeMap::<String, usize>::new());
    for (t, m) in truth.iter().zip(&meta) {
        let doc = t["doc"].as_str().unwrap();
        if !doc.ends_with(".eml") {
            continue;
        }
        let bytes = std::fs::read(g.root.join(doc)).unwrap();
        let mail = MessageParser::default().parse(&bytes).unwrap_or_else(|| panic!("{doc} does not parse"));
        let from = mail.from().and_then(|a| a.first()).and_then(|a| a.address()).unwrap_or_default();
        assert_eq!(Some(from), m["from"].as_str(), "{doc}: From differs from meta");
        let date = mail.date().unwrap_or_else(|| panic!("{doc} has no Date")).to_rfc3339();
        assert_eq!(date, m["received_at"].as_str().unwrap(), "{doc}: Date differs from received_at");
        let mut body = mail.body_text(0).unwrap_or_default().to_string();
        for a in mail.attachments() {
            let name = a.attachment_name().unwrap_or_default().to_string();
            let ext = name.rsplit('.').next().unwrap_or_default().to_string();
            body += &attachment_text(doc, &name, a.contents());
            *attachments.entry(ext).or_default() += 1;
        }
        let flat = body.split_whitespace().collect::<Vec<_>>().join(" ");
        for po in pos(t) {
            assert!(flat.contains(&po), "{doc}: PO {po} in neither body nor attachments:\n{body}");
        }
        checked += 1;
    }
    assert!(checked >= 200, "{checked} e-mails");
    for ext in ["pdf", "csv", "xlsx", "x12", "eml"] {
        assert!(attachments.get(ext).copied().unwrap_or_default() >= 2, "few {ext} attachments: {attachments:?}");
    }
}

/// What a reader finds in an attachment, checked to be a whole file of its kind.
fn attachment_text(doc: &str, name: &str, bytes: &[u8]) -> String {
    match name.rsplit('.').next().unwrap_or_default() {
        "pdf" => {
            assert!(bytes.starts_with(b"%PDF-") && bytes.trim_ascii_end().ends_with(b"%%EOF"), "{doc}: {name} cut");
            pdf_text(bytes)
        }
        "xlsx" => {
            // A whole zip ends with its end-of-central-directory record.
            let tail = &bytes[bytes.len().saturating_sub(22)..];
            assert!(bytes.starts_with(b"PK\x03\x04") && tail.starts_with(b"PK\x05\x06"), "{doc}: {name} cut");
            run_tool("python3", &["-c", XLSX_STRINGS], bytes)
        }
        "csv" | "x12" => String::from_utf8(bytes.to_vec()).unwrap_or_else(|_| panic!("{doc}: {name} not UTF-8")),
        "eml" => {
            let inner = MessageParser::default().parse(bytes).unwrap_or_else(|| panic!("{doc}: {name} does not parse"));
            inner.body_text(0).unwrap_or_default().into_owned()
        }
        other => panic!("{doc}: unexpected attachment {name} ({other})"),
    }
}

/// python3: the shared strings and inline cells of an XLSX on stdin (zipfile checks every CRC).
const XLSX_STRINGS: &str = r#"
import io, re, sys, zipfile
z = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read()))
bad = z.testzip()
assert bad is None, bad
for n in z.namelist():
    if n.endswith('.xml'):
        print(' '.join(re.findall(r'>([^<>]+)<', z.read(n).decode('utf-8'))))
"#;

#[test]
fn scans_are_whole_pngs_within_budget_and_readable_ones_ocr_to_their_po() {
    let g = generated(&DemoConfig::default());
    let truth = jsonl(&g.root.join("truth.jsonl"));
    let scans: Vec<(&Value, Vec<u8>)> = truth
        .iter()
        .filter(|t| t["doc"].as_str().unwrap().ends_with(".png"))
        .map(|t| (t, std::fs::read(g.root.join(t["doc"].as_str().unwrap())).unwrap()))
        .collect();
    assert!((30..=40).contains(&scans.len()), "{} scans", scans.len());
    let check = r#"
import struct, sys, zlib
data = sys.stdin.buffer.read()
pos, idat, size = 8, b'', None
while pos < len(data):
    n, kind = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    assert zlib.crc32(kind + body) == struct.unpack('>I', data[pos + 8 + n:pos + 12 + n])[0], kind
    if kind == b'IHDR': size = struct.unpack('>II', body[:8])
    if kind == b'IDAT': idat += body
    pos += 12 + n
assert len(zlib.decompress(idat)) == (size[0] + 1) * size[1]
print('ok')
"#;
    for (t, bytes) in &scans {
        assert_eq!(run_tool("python3", &["-c", check], bytes).trim(), "ok", "{}", t["doc"]);
        assert!(!t["orders"].as_array().unwrap().is_empty(), "a scan holds an order: {}", t["doc"]);
    }
    // One fax (850 px wide) and one phone photo (1275 px): tesseract reads their PO.
    for width in [850, 1275] {
        let (t, bytes) = scans.iter().find(|(_, b)| png_size(b).0 == width).unwrap();
        let text = run_tool("tesseract", &["-", "-"], bytes);
        for po in pos(t) {
            assert!(text.contains(&po), "{}: PO {po} not in OCR text\n{text}", t["doc"]);
        }
    }
    assert!(scans.iter().any(|(_, b)| png_size(b).0 == 425), "no unreadable scan");
}

#[test]
fn about_a_tenth_is_curated_from_every_format_and_none_is_garbage() {
    let g = generated(&DemoConfig::default());
    let truth = jsonl(&g.root.join("truth.jsonl"));
    let meta = jsonl(&g.root.join("meta.jsonl"));
    let mut formats: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (t, m) in truth.iter().zip(&meta) {
        let doc = t["doc"].as_str().unwrap();
        let ext = doc.rsplit('.').next().unwrap().to_string();
        let curated = m.get("curated").and_then(Value::as_bool) == Some(true);
        let entry = formats.entry(ext).or_default();
        entry.0 += 1;
        if curated {
            entry.1 += 1;
            assert!(!t["orders"].as_array().unwrap().is_empty(), "curated garbage or duplicate: {doc}");
        } else {
            assert!(m.get("curated").is_none(), "{doc}: curated is written only when true");
        }
    }
    let curated: usize = formats.values().map(|f| f.1).sum();
    assert_eq!(curated, g.summary.curated);
    assert!((150..=250).contains(&curated), "{curated} curated of {}", truth.len());
    for ext in ["eml", "pdf", "png", "csv", "xlsx", "x12", "xml", "txt"] {
        assert!(formats.get(ext).is_some_and(|f| f.1 > 0), "no curated .{ext}: {formats:?}");
    }
}

#[test]
fn order_emails_come_from_the_customers_domain_mostly_and_say_things_the_way_people_do() {
    let g = generated(&DemoConfig::default());
    let master = g.root.join("master");
    let text = std::fs::read_to_string(master.join("customers.csv")).unwrap();
    let domains: BTreeMap<String, String> =
        text.lines().skip(1).map(fields).map(|f| (f[0].clone(), f[4].clone())).collect();
    let truth = jsonl(&g.root.join("truth.jsonl"));
    let meta = jsonl(&g.root.join("meta.jsonl"));
    let (mut orders, mut known, mut dozens, mut boxes) = (0, 0, 0, 0);
    let mut bodies = String::new();
    for (t, m) in truth.iter().zip(&meta) {
        let doc = t["doc"].as_str().unwrap();
        let Some(order) = t["orders"].as_array().unwrap().first().filter(|_| doc.ends_with(".eml")) else { continue };
        orders += 1;
        let from = m["from"].as_str().unwrap();
        let domain = from.rsplit('@').next().unwrap();
        let customer = order["customer_id"].as_str().unwrap();
        known += usize::from(domains[customer].split(';').any(|d| d == domain));
        for l in order["lines"].as_array().unwrap() {
            dozens += usize::from(l["uom"] == "DZ");
            boxes += usize::from(l["uom"] == "BX");
        }
        let bytes = std::fs::read(g.root.join(doc)).unwrap();
        let mail = MessageParser::default().parse(&bytes).unwrap();
        bodies += &mail.body_text(0).unwrap_or_default();
    }
    let share = known as f64 / orders as f64;
    assert!((0.80..0.99).contains(&share), "{known} of {orders} order e-mails from a known domain");
    assert!(dozens >= 5 && boxes >= 5, "{dozens} dozen lines, {boxes} box lines");
    for phrase in [
        "---------- Forwarded message ---------",
        "wrote:",
        " dozen ",
        " boxes of ",
        "by the ",
        "CONFIDENTIALITY NOTICE",
    ] {
        assert!(bodies.contains(phrase), "no order e-mail says {phrase:?}");
    }
}
