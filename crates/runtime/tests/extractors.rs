//! The runtime with a model as its extractor: `prodline init`'s deployment
//! (policy `auto`) with `[workflow.extractor]` set to the example `command`
//! pilot, or to `openai` against testkit's FakeOpenAi (a stand-in for a
//! paid hosted API that says it is a fake). A plain-text order e-mailed by
//! Acme is decided, posted to the SQLite ERP, and its stored outcome carries
//! what the extraction cost.

use std::path::{Path, PathBuf};

use prodline_config::{CONFIG_FILE, Config, StoreConfig};
use prodline_runtime::{RunSummary, SystemClock, run_once};
use prodline_store::{DocumentState, Received, SqliteStore, Store};
use prodline_testkit::fake_openai::{FakeOpenAi, user_prompt};
use serde_json::{Value, json};
use sqlx::{Connection, Row, SqliteConnection};

const CLOCK: SystemClock = SystemClock;
const ORDER: &str = "Hello,\n\nplease ship our PO 4500012345:\n\n200 x HV-075-BR @ 11.85\n\nThanks,\nBob Miller\n";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `prodline init` with policy `auto` and `extractor` as the extractor table's body.
async fn deployment(extractor: &str) -> (tempfile::TempDir, PathBuf, Config) {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("deployment");
    prodline_config::init(&root).await.expect("init");
    let path = root.join(CONFIG_FILE);
    let text = std::fs::read_to_string(&path).expect("config text");
    let text = text
        .replace("policy = \"shadow\"", "policy = \"auto\"")
        .replace("[workflow.extractor]\ntype = \"builtin\"", &format!("[workflow.extractor]\n{extractor}"));
    assert!(text.contains(extractor) && text.contains("policy = \"auto\""), "the example config changed");
    std::fs::write(&path, text).expect("write config");
    let config = Config::load(&path).unwrap_or_else(|errors| panic!("{errors}"));
    (dir, root, config)
}

async fn open_store(config: &Config) -> SqliteStore {
    let StoreConfig::Sqlite { path } = &config.store else { panic!("init writes a sqlite store") };
    SqliteStore::open(path).await.expect("open store")
}

/// The order as an upload with its sender would arrive (the HTTP source's way).
fn upload(config: &Config) -> Received {
    let workflow = config.workflow.first().map(|w| w.name.clone()).unwrap_or_default();
    Received {
        source: format!("http:{workflow}"),
        file_name: "po-4500012345.txt".to_owned(),
        received_at: chrono::Utc::now(),
        from: Some("bob.miller@acme.example".to_owned()),
        bytes: ORDER.as_bytes().to_vec(),
        meta: json!({ "workflow": workflow }),
    }
}

/// An ERP order as (PO, customer, [(item, qty)]).
type ErpOrder = (String, String, Vec<(String, String)>);

async fn erp_orders(root: &Path) -> Vec<ErpOrder> {
    let url = format!("sqlite:{}", root.join("erp.sqlite").display());
    let mut erp = SqliteConnection::connect(&url).await.expect("open ERP");
    let headers = sqlx::query("SELECT so_id, cust_po_2, cust_no FROM SO_HDR ORDER BY cust_po_2")
        .fetch_all(&mut erp)
        .await
        .expect("read SO_HDR");
    let mut orders = Vec::new();
    for header in headers {
        let so_id: i64 = header.get(0);
        let lines = sqlx::query("SELECT item_no, CAST(qty AS TEXT) FROM SO_LIN WHERE so_id = ? ORDER BY ln_no")
            .bind(so_id)
            .fetch_all(&mut erp)
            .await
            .expect("read SO_LIN");
        let lines = lines.iter().map(|l| (l.get(0), l.get(1))).collect();
        orders.push((header.get(1), header.get(2), lines));
    }
    orders
}

/// One pass over the uploaded order; returns the stored outcome.
async fn decide_and_post(config: &Config, root: &Path) -> Value {
    let store = open_store(config).await;
    let receipt = store.receive(upload(config)).await.expect("receive");
    let summary = run_once(config, &store, &CLOCK).await.expect("pass");
    let document = store.document(receipt.document_id).await.expect("read").expect("document");
    let outcome = document.outcome.clone().unwrap_or(Value::Null);
    assert_eq!(
        summary,
        RunSummary { decided: 1, auto: 1, posted: 1, ..RunSummary::default() },
        "{summary}; reasons: {}",
        outcome["reasons"]
    );
    assert_eq!(document.state, DocumentState::Posted, "{}", outcome["reasons"]);
    let posted = erp_orders(root).await;
    let expected =
        vec![("4500012345".to_owned(), "C0001".to_owned(), vec![("HV-075-BR".to_owned(), "200".to_owned())])];
    assert_eq!(posted.len(), 1, "{posted:?}");
    let normalized: Vec<ErpOrder> = posted
        .into_iter()
        .map(|(po, customer, lines)| {
            let lines = lines.into_iter().map(|(item, qty)| (item, qty.trim_end_matches(".0").to_owned())).collect();
            (po, customer, lines)
        })
        .collect();
    assert_eq!(normalized, expected);
    outcome
}

#[tokio::test]
async fn a_command_extractor_reads_a_text_order_that_is_posted_with_its_usage_stored() {
    let pilot = repo().join("examples/extractors/regex_pilot.py");
    let extractor =
        format!("type = \"command\"\nprogram = \"python3\"\nargs = [\"{}\"]\ntimeout_seconds = 30", pilot.display());
    let (_dir, root, config) = deployment(&extractor).await;
    let outcome = decide_and_post(&config, &root).await;
    assert_eq!(outcome["usage"]["extractor"], json!("command:python3"), "{}", outcome["usage"]);
    assert_eq!(outcome["usage"]["calls"], json!(1));
    assert!(outcome["usage"]["prompt_tokens"].as_u64().is_some_and(|t| t > 0), "{}", outcome["usage"]);
    assert!(outcome["text"]["pages"][0].as_str().is_some_and(|t| t.contains("PO 4500012345")));
}

/// The fake reads the PO number and the line from the prompt, as a model would.
fn read_prompt(request: &Value) -> Value {
    let prompt = user_prompt(request);
    let po = prompt.split("PO ").nth(1).and_then(|rest| rest.split(':').next()).unwrap_or_default().to_owned();
    let found = prompt.contains("200 x HV-075-BR @ 11.85");
    let lines = if found {
        json!([{"line": 1, "sku": "HV-075-BR", "customer_part": null, "description": null, "qty": 200, "uom": "EA",
                "unit_price": 11.85}])
    } else {
        json!([])
    };
    json!({"orders": [{"customer_id": "C0001", "customer_po": po, "order_date": null, "requested_date": null,
                       "ship_to": null, "currency": "USD", "lines": lines}]})
}

#[tokio::test]
async fn an_openai_extractor_reads_a_text_order_that_is_posted_with_its_cost_stored() {
    let fake = FakeOpenAi::start(read_prompt).expect("fake server");
    let extractor = format!(
        "type = \"openai\"\nbase_url = \"{}\"\nmodel = \"{}\"\ntimeout_seconds = 10\nretries = 1\n\
         prompt_price_per_million = 2.5\ncompletion_price_per_million = 10",
        fake.base_url(),
        fake.model()
    );
    let (_dir, root, config) = deployment(&extractor).await;
    let outcome = decide_and_post(&config, &root).await;
    let usage = &outcome["usage"];
    assert_eq!(usage["extractor"], json!("openai:prodline-fake-orders"), "{usage}");
    let (prompt, completion) = (usage["prompt_tokens"].as_f64(), usage["completion_tokens"].as_f64());
    let (Some(prompt), Some(completion)) = (prompt, completion) else { panic!("tokens recorded: {usage}") };
    let cost = usage["cost"].as_f64().unwrap_or_default();
    let expected = (prompt * 2.5 + completion * 10.0) / 1e6;
    assert!(cost > 0.0 && (cost - expected).abs() < 1e-9, "cost {cost} = tokens x price {expected}: {usage}");
    assert_eq!(fake.requests().len(), 1);
}
