//! The Tryton target against a real trytond on 127.0.0.1, started once per test
//! binary by scripts/tryton.sh on a fresh copy of its seeded template database
//! (parties C0042 and C0077, goods HV-075-BR, HV-100-BR, GS-200, OBS-1 not salable).
//! Each test uses its own customer PO, so the tests share the server safely.

use std::path::PathBuf;
use std::process::Command;
use std::str::FromStr;
use std::sync::OnceLock;

use prodline_connect::tryton::{TrytonHealthcheckError, TrytonTarget, TrytonTargetConfig};
use prodline_connect::{Delivery, DeliveryError};
use prodline_core::{CanonicalLine, CanonicalOrder};
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// The port scripts/tryton.sh serves on (its default unless PRODLINE_TRYTON_PORT says otherwise).
fn port() -> String {
    std::env::var("PRODLINE_TRYTON_PORT").unwrap_or_else(|_| "8765".to_owned())
}

struct Server {
    url: String,
    password_file: String,
}

fn tryton_home() -> PathBuf {
    match std::env::var_os("PRODLINE_TRYTON_HOME") {
        Some(home) => PathBuf::from(home),
        None => PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/prodline/tryton"),
    }
}

/// Starts trytond once for this binary; panics (failing the test) naming the script.
fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/tryton.sh");
        let output = Command::new("bash")
            .arg(&script)
            .arg("start")
            .env("PRODLINE_TRYTON_PORT", port())
            .output()
            .unwrap_or_else(|error| panic!("cannot run scripts/tryton.sh: {error}"));
        assert!(
            output.status.success(),
            "scripts/tryton.sh start failed (it sets up the Tryton venv and server):\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        Server {
            url: format!("http://127.0.0.1:{}", port()),
            password_file: tryton_home().join("admin.password").display().to_string(),
        }
    })
}

fn config() -> TrytonTargetConfig {
    let server = server();
    serde_json::from_value(json!({
        "url": server.url,
        "database": "prodline",
        "user": "admin",
        "password_env": server.password_file,
        "company": "Prodline Test Co",
    }))
    .unwrap()
}

fn target() -> TrytonTarget {
    TrytonTarget::build(&config()).unwrap()
}

fn line(number: u32, sku: &str, qty: &str, uom: &str, price: &str) -> CanonicalLine {
    CanonicalLine {
        line: Some(number),
        sku: Some(sku.to_owned()),
        qty: Decimal::from_str(qty).unwrap(),
        uom: Some(uom.to_owned()),
        unit_price: Some(Decimal::from_str(price).unwrap()),
        ..CanonicalLine::default()
    }
}

fn order(po: &str, lines: Vec<CanonicalLine>) -> CanonicalOrder {
    CanonicalOrder {
        customer_id: Some("C0042".to_owned()),
        customer_po: Some(po.to_owned()),
        order_date: chrono::NaiveDate::from_ymd_opt(2026, 3, 2),
        currency: Some("USD".to_owned()),
        lines,
        ..CanonicalOrder::default()
    }
}

/// A raw JSON-RPC client, to read back what the target wrote without trusting it.
struct Reader {
    client: reqwest::Client,
    endpoint: String,
    authorization: String,
}

impl Reader {
    async fn login() -> Reader {
        let server = server();
        let endpoint = format!("{}/prodline/rpc/", server.url);
        let password = std::fs::read_to_string(&server.password_file).unwrap().trim().to_owned();
        let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(60)).build().unwrap();
        let body = json!({"id": 0, "method": "common.db.login", "params": ["admin", {"password": password}, "en"]});
        let answer: Value = client.post(&endpoint).json(&body).send().await.unwrap().json().await.unwrap();
        let uid = answer["result"][0].as_i64().unwrap();
        let token = answer["result"][1].as_str().unwrap();
        let authorization = format!("Session {}", base64(format!("admin:{uid}:{token}").as_bytes()));
        Reader { client, endpoint, authorization }
    }

    async fn call(&self, method: &str, params: Value) -> Value {
        let body = json!({"id": 0, "method": method, "params": params});
        let request = self.client.post(&self.endpoint).header("Authorization", &self.authorization).json(&body);
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        assert!(answer.get("error").is_none_or(Value::is_null), "{method}: {answer}");
        answer["result"].clone()
    }

    async fn sales_with_reference(&self, po: &str) -> Vec<Value> {
        let fields = json!(["state", "reference", "number", "party.code", "lines"]);
        let result = self
            .call("model.sale.sale.search_read", json!([[["reference", "=", po]], 0, null, null, fields, {}]))
            .await;
        result.as_array().cloned().unwrap_or_default()
    }

    async fn lines(&self, sale: &Value) -> Vec<Value> {
        let fields = json!(["product.code", "quantity", "unit.symbol", "unit_price"]);
        let result = self.call("model.sale.line.read", json!([sale["lines"], fields, {}])).await;
        result.as_array().cloned().unwrap_or_default()
    }
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            let c = if i <= chunk.len() { ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] } else { b'=' };
            out.push(char::from(c));
        }
    }
    out
}

fn decimal(value: &Value) -> Decimal {
    Decimal::from_str(value["decimal"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn healthcheck_passes_with_the_right_password() {
    target().healthcheck().await.unwrap();
}

#[tokio::test]
async fn wrong_password_fails_the_healthcheck_naming_the_login() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wrong.password");
    std::fs::write(&path, "not-the-password\n").unwrap();
    let config = TrytonTargetConfig { password_env: path.display().to_string(), ..config() };
    let error = TrytonTarget::build(&config).unwrap().healthcheck().await.unwrap_err();
    assert_eq!(error, TrytonHealthcheckError::LoginFailed { user: "admin".into(), database: "prodline".into() });
    assert!(error.to_string().starts_with("tryton_login_failed: user \"admin\""), "{error}");
}

#[tokio::test]
async fn unknown_company_fails_the_healthcheck() {
    let config = TrytonTargetConfig { company: "No Such Co".to_owned(), ..config() };
    let error = TrytonTarget::build(&config).unwrap().healthcheck().await.unwrap_err();
    assert_eq!(error, TrytonHealthcheckError::CompanyNotFound { company: "No Such Co".into() });
}

#[tokio::test]
async fn delivered_order_is_a_processing_sale_with_its_lines() {
    let po = "PO-TRY-1001";
    let lines = vec![line(1, "HV-075-BR", "200", "EA", "11.85"), line(2, "GS-200", "3", "EA", "3.10")];
    let delivery = target().deliver(&order(po, lines), "key-1001").await.unwrap();
    let Delivery::Posted { erp_key } = delivery else { panic!("expected Posted, got {delivery:?}") };

    let reader = Reader::login().await;
    let sales = reader.sales_with_reference(po).await;
    assert_eq!(sales.len(), 1, "{sales:?}");
    let sale = &sales[0];
    assert_eq!(sale["state"], "processing");
    assert_eq!(sale["number"], erp_key.as_str());
    assert_eq!(sale["party."]["code"], "C0042");
    let mut lines = reader.lines(sale).await;
    lines.sort_by_key(|line| line["product."]["code"].as_str().unwrap_or_default().to_owned());
    let read: Vec<_> = lines
        .iter()
        .map(|line| {
            let code = line["product."]["code"].as_str().unwrap().to_owned();
            let qty = line["quantity"].as_f64().unwrap();
            (code, qty, line["unit."]["symbol"].as_str().unwrap().to_owned(), decimal(&line["unit_price"]))
        })
        .collect();
    let expected = [
        ("GS-200".to_owned(), 3.0, "u".to_owned(), Decimal::from_str("3.10").unwrap()),
        ("HV-075-BR".to_owned(), 200.0, "u".to_owned(), Decimal::from_str("11.85").unwrap()),
    ];
    assert_eq!(read, expected);
}

#[tokio::test]
async fn second_delivery_of_a_po_is_already_posted_and_makes_no_second_sale() {
    let po = "PO-TRY-1002";
    let order = order(po, vec![line(1, "HV-100-BR", "10", "EA", "14.20")]);
    let first = target().deliver(&order, "key-1002").await.unwrap();
    let Delivery::Posted { erp_key } = first else { panic!("expected Posted, got {first:?}") };
    // A new target: the repeat is recognised from Tryton's data, not from memory.
    let again = target().deliver(&order, "key-1002").await.unwrap();
    assert_eq!(again, Delivery::AlreadyPosted { erp_key });
    assert_eq!(Reader::login().await.sales_with_reference(po).await.len(), 1);
}

#[tokio::test]
async fn same_po_of_another_customer_is_a_new_sale() {
    let po = "PO-TRY-1003";
    let first = order(po, vec![line(1, "HV-100-BR", "1", "EA", "14.20")]);
    let other = CanonicalOrder { customer_id: Some("C0077".to_owned()), ..first.clone() };
    let target = target();
    assert!(matches!(target.deliver(&first, "k-a").await.unwrap(), Delivery::Posted { .. }));
    assert!(matches!(target.deliver(&other, "k-b").await.unwrap(), Delivery::Posted { .. }));
    assert_eq!(Reader::login().await.sales_with_reference(po).await.len(), 2);
}

#[tokio::test]
async fn unknown_product_is_rejected_naming_the_sku_and_posts_nothing() {
    let po = "PO-TRY-1004";
    let order = order(po, vec![line(1, "HV-075-BR", "1", "EA", "11.85"), line(2, "NO-SUCH-SKU", "1", "EA", "1")]);
    let error = target().deliver(&order, "key-1004").await.unwrap_err();
    let DeliveryError::Rejected { erp_message, .. } = &error else { panic!("expected Rejected, got {error:?}") };
    assert!(erp_message.contains("line 2") && erp_message.contains("NO-SUCH-SKU"), "{erp_message}");
    assert!(Reader::login().await.sales_with_reference(po).await.is_empty());
}

#[tokio::test]
async fn product_tryton_refuses_is_rejected_with_trytons_message() {
    let order = order("PO-TRY-1005", vec![line(1, "OBS-1", "1", "EA", "1.00")]);
    let error = target().deliver(&order, "key-1005").await.unwrap_err();
    let DeliveryError::Rejected { erp_message, .. } = &error else { panic!("expected Rejected, got {error:?}") };
    assert!(erp_message.starts_with("tryton UserError: "), "{erp_message}");
    assert!(erp_message.contains("Product"), "{erp_message}");
}

#[tokio::test]
async fn unknown_customer_and_unmapped_unit_are_rejected() {
    let target = target();
    let stranger = CanonicalOrder { customer_id: Some("C9999".to_owned()), ..order("PO-TRY-1006", vec![]) };
    let stranger = CanonicalOrder { lines: vec![line(1, "GS-200", "1", "EA", "3.5")], ..stranger };
    let error = target.deliver(&stranger, "k").await.unwrap_err();
    assert!(error.to_string().contains("no party.party with code \"C9999\""), "{error}");
    let boxed = order("PO-TRY-1007", vec![line(1, "GS-200", "1", "BX", "3.5")]);
    let error = target.deliver(&boxed, "k").await.unwrap_err();
    assert!(error.to_string().contains("unit BX has no Tryton unit"), "{error}");
}

#[tokio::test]
async fn refused_connection_is_transient() {
    let config = TrytonTargetConfig { url: "http://127.0.0.1:9".to_owned(), ..config() };
    let order = order("PO-TRY-1008", vec![line(1, "GS-200", "1", "EA", "3.5")]);
    let error = TrytonTarget::build(&config).unwrap().deliver(&order, "k").await.unwrap_err();
    assert!(error.is_transient(), "{error:?}");
}

/// A server that accepts the connection and never answers: the attempt fails
/// as transient once `timeout_seconds` has passed, instead of hanging.
#[tokio::test]
async fn a_server_that_never_answers_is_transient_after_the_timeout() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = silent.local_addr().unwrap();
    // Holds every accepted connection open, reading nothing, until the test process ends.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in silent.incoming().flatten() {
            held.push(stream);
        }
    });
    let password = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(password.path(), "not-used\n").unwrap();
    let config: TrytonTargetConfig = serde_json::from_value(json!({
        "url": format!("http://{address}"),
        "database": "prodline",
        "user": "admin",
        "password_env": password.path().display().to_string(),
        "company": "Prodline Test Co",
        "timeout_seconds": 1,
    }))
    .unwrap();
    let target = TrytonTarget::build(&config).unwrap();
    let order = order("PO-TRY-1009", vec![line(1, "GS-200", "1", "EA", "3.5")]);
    let error = target.deliver(&order, "k").await.unwrap_err();
    assert!(error.is_transient(), "{error:?}");
    let health = target.healthcheck().await.unwrap_err();
    assert!(matches!(health, TrytonHealthcheckError::Unreachable { .. }), "{health:?}");
}
