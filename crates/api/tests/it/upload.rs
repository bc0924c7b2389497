//! The upload API over real HTTP: a server on 127.0.0.1:0 in front of a real
//! store (a SQLite file in a temp dir, and PostgreSQL in a schema of its own),
//! reqwest as the client. Multipart bodies are written by hand so that each
//! test controls every byte the server reads.
//!
//! PostgreSQL tests need a server: start it with `scripts/services.sh`; they
//! fail (never skip) when it is not reachable.

use std::sync::atomic::{AtomicU32, Ordering};

use chrono::Utc;
use prodline_api::{ApiError, ApiState};
use prodline_store::{
    DocumentId, DocumentState, EventKind, PgConfig, PostgresStore, Received, Sha256, SqliteStore, Store,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const WORKFLOW: &str = "orders";
const BOUNDARY: &str = "prodline-test-boundary-7d3f";
const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// An X12 850 with bytes that are not UTF-8 in a free-text element: the store keeps bytes, not text.
const PO_1001: &[u8] =
    b"ISA*00*          *00*          *ZZ*ACME~ST*850*0001~BEG*00*SA*PO-1001**20261125~PID*F****caf\xe9~";
const PO_1002: &[u8] = b"ISA*00*          *00*          *ZZ*ACME~ST*850*0002~BEG*00*SA*PO-1002**20261125~";

// ---- a multipart body, by hand ----

#[derive(Default)]
struct Form {
    body: Vec<u8>,
}

impl Form {
    fn file(mut self, name: &str, file_name: Option<&str>, bytes: &[u8]) -> Self {
        let disposition = match file_name {
            Some(file_name) => format!("form-data; name=\"{name}\"; filename=\"{file_name}\""),
            None => format!("form-data; name=\"{name}\""),
        };
        self.body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\nContent-Type: application/edi-x12\r\n\r\n")
                .as_bytes(),
        );
        self.body.extend_from_slice(bytes);
        self.body.extend_from_slice(b"\r\n");
        self
    }

    fn text(mut self, name: &str, value: &str) -> Self {
        self.body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
        self
    }

    fn finish(mut self) -> Vec<u8> {
        self.body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        self.body
    }
}

// ---- a server on a free port ----

struct Server {
    base: String,
    client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), ApiError>>,
}

impl Server {
    async fn start<S: Store + Clone + 'static>(state: ApiState<S>) -> Server {
        let listener = prodline_api::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let address = listener.local_addr().expect("bound address");
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        let task = tokio::spawn(prodline_api::serve_on(listener, state, shutdown));
        Server { base: format!("http://{address}"), client: reqwest::Client::new(), stop: Some(stop), task }
    }

    async fn upload(&self, body: Vec<u8>) -> (StatusCode, Value) {
        let response = self
            .client
            .post(format!("{}/api/v1/documents", self.base))
            .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(body)
            .send()
            .await
            .expect("POST /api/v1/documents");
        answer(response).await
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let response = self.client.get(format!("{}{path}", self.base)).send().await.expect("GET");
        answer(response).await
    }

    /// Stops the server and checks that it stopped cleanly.
    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let served = self.task.await.expect("server task");
        assert!(served.is_ok(), "{served:?}");
    }
}

async fn answer(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let content_type = response.headers().get("content-type").cloned();
    let bytes = response.bytes().await.expect("response body");
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{status}: not JSON ({e}): {}", String::from_utf8_lossy(&bytes)));
    assert_eq!(content_type.as_ref().and_then(|v| v.to_str().ok()), Some("application/json"), "{body}");
    (status, body)
}

/// The `(code, message)` of an error answer, checking its shape.
fn error_of(body: &Value) -> (&str, &str) {
    let code = body["error"]["code"].as_str().unwrap_or_else(|| panic!("no error.code: {body}"));
    let message = body["error"]["message"].as_str().unwrap_or_else(|| panic!("no error.message: {body}"));
    (code, message)
}

fn document_id(entry: &Value) -> DocumentId {
    DocumentId(entry["document_id"].as_i64().unwrap_or_else(|| panic!("no document_id: {entry}")))
}

// ---- stores ----

/// A SQLite store in a temp dir of its own; the dir lives as long as the returned guard.
async fn sqlite() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path().join("prodline.sqlite")).await.expect("open the SQLite store");
    (store, dir)
}

static SCHEMA_COUNTER: AtomicU32 = AtomicU32::new(0);

/// A PostgreSQL store in a schema no other test (or test run) uses.
async fn postgres() -> PostgresStore {
    let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
    let n = SCHEMA_COUNTER.fetch_add(1, Ordering::Relaxed);
    let schema = format!("prodline_api_test_{}_{nanos}_{n}", std::process::id());
    let url = std::env::var("PRODLINE_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned());
    let config = PgConfig::new(url).with_schema(schema);
    match PostgresStore::connect_with(config.clone()).await {
        Ok(store) => store,
        Err(error) => panic!(
            "PostgreSQL is not usable at {config:?} ({error}); start it with scripts/services.sh \
             or point PRODLINE_TEST_PG_URL at a server"
        ),
    }
}

// ---- the tests ----

#[tokio::test]
async fn an_upload_is_answered_with_its_id_after_the_bytes_are_committed() {
    let (store, dir) = sqlite().await;
    let server = Server::start(ApiState::new(store.clone(), WORKFLOW)).await;

    let body = Form::default()
        .text("from", "buyer@acme.example")
        .text("workflow", WORKFLOW)
        .file("file", Some("po-1001.edi"), PO_1001)
        .finish();
    let (status, answer) = server.upload(body).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let [entry] = answer["documents"].as_array().expect("documents").as_slice() else { panic!("{answer}") };
    assert_eq!(entry["sha256"], json!(Sha256::of(PO_1001).as_str()));
    assert_eq!(entry["file_name"], json!("po-1001.edi"));
    assert_eq!(entry["duplicate"], json!(false));

    // Committed, not merely written: a second connection pool on the same file sees it.
    let other = SqliteStore::open(dir.path().join("prodline.sqlite")).await.expect("second handle");
    let document = other.document(document_id(entry)).await.expect("read").expect("the document is stored");
    assert_eq!(document.state, DocumentState::Received);
    assert_eq!(document.source, "http:orders");
    assert_eq!(document.file_name, "po-1001.edi");
    assert_eq!(document.from.as_deref(), Some("buyer@acme.example"));
    assert_eq!(document.meta["workflow"], json!(WORKFLOW));
    assert_eq!(document.meta["content_type"], json!("application/edi-x12"));
    assert!(document.meta["remote_address"].as_str().is_some_and(|a| a.starts_with("127.0.0.1:")), "{}", document.meta);
    assert_eq!(other.blob(&document.sha256).await.expect("blob").as_deref(), Some(PO_1001), "the bytes as sent");
    other.close().await;
    server.stop().await;
}

#[tokio::test]
async fn the_same_bytes_again_return_the_same_id_as_a_duplicate() {
    let (store, _dir) = sqlite().await;
    let server = Server::start(ApiState::new(store.clone(), WORKFLOW)).await;
    let (status, first) = server.upload(Form::default().file("file", Some("po-1001.edi"), PO_1001).finish()).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");

    // Another name, same bytes: the client's retry after a lost answer.
    let (status, again) = server.upload(Form::default().file("file", Some("retry.edi"), PO_1001).finish()).await;
    assert_eq!(status, StatusCode::OK, "all duplicates: nothing created");
    assert_eq!(again["documents"][0]["document_id"], first["documents"][0]["document_id"]);
    assert_eq!(again["documents"][0]["duplicate"], json!(true));
    assert_eq!(store.list(DocumentState::Received, 10).await.expect("list").len(), 1, "one document, not two");
    let events = store.events(document_id(&first["documents"][0])).await.expect("events");
    let kinds: Vec<EventKind> = events.iter().map(|event| event.kind).collect();
    assert_eq!(kinds, [EventKind::DocumentReceived, EventKind::DuplicateReceived]);
    server.stop().await;
}

#[tokio::test]
async fn several_files_in_one_request_are_each_stored_and_answered_in_order() {
    let (store, _dir) = sqlite().await;
    let server = Server::start(ApiState::new(store.clone(), WORKFLOW)).await;
    let body = Form::default()
        .file("file", Some("po-1001.edi"), PO_1001)
        .file("file", Some(r"C:\Users\buyer\po-1002.edi"), PO_1002)
        .file("file", Some("po-1001-copy.edi"), PO_1001)
        .finish();
    let (status, answer) = server.upload(body).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let documents = answer["documents"].as_array().expect("documents");
    let names: Vec<&str> = documents.iter().filter_map(|d| d["file_name"].as_str()).collect();
    assert_eq!(names, ["po-1001.edi", "po-1002.edi", "po-1001-copy.edi"], "a client's folders are dropped");
    let duplicates: Vec<bool> = documents.iter().filter_map(|d| d["duplicate"].as_bool()).collect();
    assert_eq!(duplicates, [false, false, true]);
    assert_ne!(document_id(&documents[0]), document_id(&documents[1]));
    assert_eq!(document_id(&documents[0]), document_id(&documents[2]));
    for (entry, bytes) in documents.iter().zip([PO_1001, PO_1002]) {
        let document = store.document(document_id(entry)).await.expect("read").expect("stored");
        assert_eq!(store.blob(&document.sha256).await.expect("blob").as_deref(), Some(bytes));
    }
    server.stop().await;
}

#[tokio::test]
async fn a_request_without_a_usable_file_is_a_400_with_a_json_error_and_stores_nothing() {
    let (store, _dir) = sqlite().await;
    let server = Server::start(ApiState::new(store.clone(), WORKFLOW)).await;
    let cases = [
        ("no_file", Form::default().text("from", "buyer@acme.example").finish(), "\"file\""),
        ("no_file", Form::default().finish(), "\"file\""),
        // A good file before the empty one: nothing of a refused request is stored.
        (
            "empty_file",
            Form::default().file("file", Some("po-1001.edi"), PO_1001).file("file", Some("blank.edi"), b"").finish(),
            "part 2",
        ),
        ("unknown_part", Form::default().file("files", Some("po-1001.edi"), PO_1001).finish(), "\"files\""),
        (
            "workflow_mismatch",
            Form::default().text("workflow", "invoices").file("file", Some("po-1001.edi"), PO_1001).finish(),
            "\"invoices\"",
        ),
        ("bad_multipart", b"--not-the-boundary\r\nhello".to_vec(), ""),
    ];
    for (expected, body, named) in cases {
        let (status, answer) = server.upload(body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        let (code, message) = error_of(&answer);
        assert_eq!(code, expected, "{answer}");
        assert!(message.contains(named), "the message names the part: {message}");
    }

    // Not multipart at all.
    let response = server
        .client
        .post(format!("{}/api/v1/documents", server.base))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("POST");
    let (status, answer) = answer(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&answer).0, "bad_multipart");

    assert_eq!(store.list(DocumentState::Received, 10).await.expect("list"), [], "a refused request stores nothing");
    server.stop().await;
}

#[tokio::test]
async fn an_upload_over_the_limit_is_a_413_and_stores_nothing() {
    let (store, _dir) = sqlite().await;
    // Small enough that the whole request fits in the socket buffers: the
    // client finishes sending before the server answers early.
    let state = ApiState::new(store.clone(), WORKFLOW).with_max_upload_bytes(1024);
    let server = Server::start(state).await;
    let big = vec![b'X'; 8 * 1024];
    let (status, answer) = server.upload(Form::default().file("file", Some("big.edi"), &big).finish()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    let (code, message) = error_of(&answer);
    assert_eq!(code, "upload_too_large");
    assert!(message.contains("1024 bytes"), "{message}");
    assert_eq!(store.list(DocumentState::Received, 10).await.expect("list"), []);

    // Under the limit on the same listener: accepted.
    let (status, answer) = server.upload(Form::default().file("file", Some("po-1002.edi"), PO_1002).finish()).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    server.stop().await;
}

#[tokio::test]
async fn get_shows_the_state_decision_and_audit_trail_of_this_workflows_documents() {
    let (store, _dir) = sqlite().await;
    let server = Server::start(ApiState::new(store.clone(), WORKFLOW)).await;
    let (_, first) = server.upload(Form::default().file("file", Some("po-1001.edi"), PO_1001).finish()).await;
    let id = document_id(&first["documents"][0]);
    server.upload(Form::default().file("file", Some("po-1001.edi"), PO_1001).finish()).await;

    let (status, shown) = server.get(&format!("/api/v1/documents/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_eq!(shown["document_id"], json!(id.0));
    assert_eq!(shown["state"], json!("received"));
    assert_eq!(shown["file_name"], json!("po-1001.edi"));
    assert_eq!(shown["decision"], Value::Null);
    let kinds: Vec<&str> =
        shown["events"].as_array().expect("events").iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds, ["DocumentReceived", "DuplicateReceived"]);
    assert_eq!(shown["events"][0]["details"]["source"], json!("http:orders"));

    // The runtime decides it: the answer shows the decision and the state change.
    let decision =
        json!({ "decision": "review", "confidence": 0.4, "reasons": [{ "code": "unknown_item" }], "orders": [{}] });
    store.set_decision(id, "pipeline", decision).await.expect("decision");
    store.transition(id, DocumentState::Received, DocumentState::Decided, "pipeline", json!({})).await.expect("move");
    let (_, shown) = server.get(&format!("/api/v1/documents/{id}")).await;
    assert_eq!(shown["state"], json!("decided"));
    assert_eq!(
        shown["decision"],
        json!({ "decision": "review", "confidence": 0.4, "reasons": [{ "code": "unknown_item" }], "orders": 1 })
    );
    let kinds: Vec<&str> =
        shown["events"].as_array().expect("events").iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds, ["DocumentReceived", "DuplicateReceived", "DecisionRecorded", "DocumentStateChanged"]);

    // Another workflow's document, an id that does not exist, and one that is not a number.
    let elsewhere = Received {
        source: "folder:invoices".to_owned(),
        file_name: "inv.edi".to_owned(),
        received_at: Utc::now(),
        from: None,
        bytes: PO_1002.to_vec(),
        meta: json!({ "workflow": "invoices" }),
    };
    let other = store.receive(elsewhere).await.expect("receive").document_id;
    for (path, status, code) in [
        (format!("/api/v1/documents/{other}"), StatusCode::NOT_FOUND, "document_not_found"),
        (format!("/api/v1/documents/{}", i64::MAX), StatusCode::NOT_FOUND, "document_not_found"),
        ("/api/v1/documents/abc".to_owned(), StatusCode::BAD_REQUEST, "bad_document_id"),
        ("/api/v2/nothing".to_owned(), StatusCode::NOT_FOUND, "not_found"),
    ] {
        let (got, answer) = server.get(&path).await;
        assert_eq!((got, error_of(&answer).0), (status, code), "{path}: {answer}");
    }
    server.stop().await;
}

#[tokio::test]
async fn healthz_is_200_while_the_store_answers_and_503_when_it_does_not() {
    let (store, _dir) = sqlite().await;
    let server = Server::start(ApiState::new(store.clone(), WORKFLOW)).await;
    let (status, answer) = server.get("/healthz").await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["status"], json!("ok"));

    store.close().await;
    let (status, answer) = server.get("/healthz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{answer}");
    assert_eq!(error_of(&answer).0, "store_unavailable");
    let (status, answer) = server.upload(Form::default().file("file", Some("po-1001.edi"), PO_1001).finish()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "no answer but an error when nothing was stored: {answer}");
    assert_eq!(error_of(&answer).0, "store_unavailable");
    server.stop().await;
}

#[tokio::test]
async fn upload_repeat_and_get_on_postgres() {
    let store = postgres().await;
    let server = Server::start(ApiState::new(store.clone(), WORKFLOW)).await;
    let body = || Form::default().file("file", Some("po-1001.edi"), PO_1001).file("file", Some("po-1002.edi"), PO_1002);
    let (status, first) = server.upload(body().finish()).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, again) = server.upload(body().finish()).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["documents"][0]["document_id"], first["documents"][0]["document_id"]);
    assert_eq!(again["documents"][1]["document_id"], first["documents"][1]["document_id"]);

    let id = document_id(&first["documents"][1]);
    let document = store.document(id).await.expect("read").expect("stored");
    assert_eq!(store.blob(&document.sha256).await.expect("blob").as_deref(), Some(PO_1002));
    let (status, shown) = server.get(&format!("/api/v1/documents/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    let kinds: Vec<&str> =
        shown["events"].as_array().expect("events").iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds, ["DocumentReceived", "DuplicateReceived"]);
    server.stop().await;
    store.drop_own_schema().await.expect("drop the test schema");
    store.close().await;
}

// ---- what an intake listener does not serve ----

#[tokio::test]
async fn an_intake_listener_serves_no_review_or_monitor_routes() {
    // Reviewing and the monitor's figures need a login or an API token:
    // they are the web server's (`prodline serve`), not an intake port's.
    let (store, _dir) = sqlite().await;
    let server = Server::start(ApiState::new(store, WORKFLOW)).await;
    for path in ["/api/v1/review", "/metrics"] {
        let (status, answer) = server.get(path).await;
        assert_eq!((status, error_of(&answer).0), (StatusCode::NOT_FOUND, "not_found"), "{path}: {answer}");
    }
    server.stop().await;
}
