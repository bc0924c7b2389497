//! `prodline run` with an `http` source, as an operator runs it: the process
//! serves uploads next to its run loop, an uploaded X12 850 ends up as a
//! sales order in the SQLite "legacy ERP" of `prodline init`, and SIGTERM
//! stops the process cleanly.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use sqlx::Connection as _;

/// How long the process gets to come up, or to post an order: a deadline for
/// liveness, not a measure of speed.
const PATIENCE: Duration = Duration::from_secs(120);
const BOUNDARY: &str = "prodline-cli-test-boundary";

/// The `prodline run` child; killed if a test fails before it stops it.
struct Running {
    child: Child,
    stdout: std::path::PathBuf,
    stderr: std::path::PathBuf,
}

impl Running {
    fn output(&self) -> String {
        let read = |path: &Path| std::fs::read_to_string(path).unwrap_or_default();
        format!("stdout:\n{}\nstderr:\n{}", read(&self.stdout), read(&self.stderr))
    }

    /// Fails the test if the process has already exited.
    fn assert_alive(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("prodline run exited early ({status}):\n{}", self.output());
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

fn multipart(file_name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: application/edi-x12\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload(client: &reqwest::Client, base: &str, file_name: &str, bytes: &[u8]) -> (u16, Value) {
    let response = client
        .post(format!("{base}/api/v1/documents"))
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(multipart(file_name, bytes))
        .send()
        .await
        .expect("POST /api/v1/documents");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON answer"))
}

/// `prodline init`, then: auto policy, a 1 s poll, and an http source on `port`.
fn plant_with_http_source(dir: &Path, port: u16) -> std::path::PathBuf {
    let deployment = dir.join("plant");
    let init = Command::new(env!("CARGO_BIN_EXE_prodline")).arg("init").arg(&deployment).output().expect("init");
    assert!(init.status.success(), "init failed: {}", String::from_utf8_lossy(&init.stderr));
    let config = deployment.join("prodline.toml");
    let text = std::fs::read_to_string(&config).expect("read config");
    let http = format!("[[workflow.sources]]\ntype = \"http\"\nlisten = \"127.0.0.1:{port}\"\n\n[workflow.extractor]");
    let edited = text
        .replacen("policy = \"shadow\"", "policy = \"auto\"", 1)
        .replacen("poll_interval_seconds = 5 ", "poll_interval_seconds = 1 ", 1)
        .replacen("[workflow.extractor]", &http, 1);
    assert!(
        edited.contains("type = \"http\"") && edited.contains("policy = \"auto\""),
        "init's example changed:\n{text}"
    );
    std::fs::write(&config, edited).expect("write config");
    config
}

async fn wait_until_healthy(running: &mut Running, client: &reqwest::Client, base: &str) {
    let started = Instant::now();
    loop {
        running.assert_alive();
        if let Ok(response) = client.get(format!("{base}/healthz")).send().await
            && response.status().is_success()
        {
            return;
        }
        assert!(started.elapsed() < PATIENCE, "no answer on {base}/healthz:\n{}", running.output());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_until_posted(running: &mut Running, client: &reqwest::Client, base: &str, id: i64) -> Value {
    let started = Instant::now();
    loop {
        running.assert_alive();
        let response = client.get(format!("{base}/api/v1/documents/{id}")).send().await.expect("GET the document");
        let document: Value = response.json().await.expect("a JSON answer");
        if document["state"] == "posted" {
            return document;
        }
        assert!(started.elapsed() < PATIENCE, "document {id} not posted: {document}\n{}", running.output());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn run_serves_uploads_posts_them_to_the_erp_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let config = plant_with_http_source(dir.path(), port);
    let stdout = dir.path().join("stdout.txt");
    let stderr = dir.path().join("stderr.txt");
    let child = Command::new(env!("CARGO_BIN_EXE_prodline"))
        .args(["run", "-c"])
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout).expect("stdout file"))
        .stderr(std::fs::File::create(&stderr).expect("stderr file"))
        .spawn()
        .expect("start prodline run");
    let mut running = Running { child, stdout, stderr };
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    wait_until_healthy(&mut running, &client, &base).await;

    let fixture = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/x12/acme_850.x12"))
        .expect("the 850 fixture");
    let (status, answer) = upload(&client, &base, "acme_850.x12", &fixture).await;
    assert_eq!(status, 201, "{answer}");
    let id = answer["documents"][0]["document_id"].as_i64().unwrap_or_else(|| panic!("no id: {answer}"));

    let document = wait_until_posted(&mut running, &client, &base, id).await;
    assert_eq!(document["source"], "http:example_orders", "{document}");
    let kinds: Vec<&str> =
        document["events"].as_array().expect("events").iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds.first(), Some(&"DocumentReceived"), "{document}");

    // The order is in the ERP's tables, once.
    let erp = config.with_file_name("erp.sqlite");
    let mut connection =
        sqlx::SqliteConnection::connect(&format!("sqlite:{}", erp.display())).await.expect("open the ERP");
    let orders: Vec<(String,)> =
        sqlx::query_as("SELECT cust_po_2 FROM SO_HDR").fetch_all(&mut connection).await.expect("read SO_HDR");
    assert_eq!(orders, [("4500012345".to_owned(),)]);

    // The same bytes again: the same document, nothing new for the ERP.
    let (status, again) = upload(&client, &base, "acme_850-resent.x12", &fixture).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["documents"][0]["document_id"], id);
    assert_eq!(again["documents"][0]["duplicate"], true);

    let pid = running.child.id().to_string();
    let kill = Command::new("kill").args(["-TERM", &pid]).status().expect("kill -TERM");
    assert!(kill.success());
    let status = running.child.wait().expect("wait for prodline run");
    assert!(status.success(), "exit after SIGTERM: {status}\n{}", running.output());
    let output = running.output();
    assert!(output.contains("posted 1"), "{output}");
    let orders: Vec<(String,)> =
        sqlx::query_as("SELECT cust_po_2 FROM SO_HDR").fetch_all(&mut connection).await.expect("read SO_HDR");
    assert_eq!(orders.len(), 1, "posted once: {orders:?}");
    connection.close().await.expect("close the ERP");
}
