//! `prodline demo` runs the whole loop: what it prints agrees with what the
//! store and the ERP hold, and nothing is lost on the way.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::Command;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, Row, SqliteConnection};

const DOCUMENTS: &str = "150";

fn demo(out: &Path) -> String {
    let run = Command::new(env!("CARGO_BIN_EXE_prodline"))
        .args(["demo", "--no-serve", "--out", out.to_str().expect("utf-8 path"), "--documents", DOCUMENTS])
        .output()
        .unwrap_or_else(|e| panic!("running prodline demo: {e}"));
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    assert!(run.status.success(), "demo failed: {stdout}{}", String::from_utf8_lossy(&run.stderr));
    stdout
}

async fn open(path: &Path) -> SqliteConnection {
    let options = SqliteConnectOptions::new().filename(path).read_only(true);
    SqliteConnection::connect_with(&options).await.unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

async fn rejected(store: &mut SqliteConnection) -> i64 {
    scalar(store, "SELECT COUNT(DISTINCT document_id) FROM events WHERE kind = 'ReviewRejected'").await
}

async fn scalar(connection: &mut SqliteConnection, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(connection).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[tokio::test]
async fn demo_loop_posts_every_approved_order_once_and_loses_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("demo");
    let stdout = demo(&out);
    let plant = out.join("plant");
    let mut store = open(&plant.join("prodline.sqlite")).await;
    let mut erp = open(&plant.join("erp.sqlite")).await;

    // Every order the store delivered (as planned, or as a reviewer corrected
    // it) is one SO_HDR row.
    let payloads: Vec<String> = sqlx::query_scalar("SELECT payload FROM deliveries WHERE status = 'delivered'")
        .fetch_all(&mut store)
        .await
        .expect("delivered payloads");
    let mut approved = HashSet::new();
    for payload in &payloads {
        let delivery: serde_json::Value = serde_json::from_str(payload).expect("stored delivery JSON");
        let order = &delivery["order"];
        approved.insert((order["customer_id"].to_string(), order["customer_po"].to_string()));
    }
    let headers = scalar(&mut erp, "SELECT COUNT(*) FROM SO_HDR").await;
    assert!(headers > 0, "the demo posts orders into the ERP");
    assert_eq!(usize::try_from(headers).ok(), Some(approved.len()), "one SO_HDR row per distinct approved order");
    let lines = scalar(&mut erp, "SELECT COUNT(*) FROM SO_LIN").await;
    assert!(stdout.contains(&format!("{headers} orders in SO_HDR, {lines} lines in SO_LIN")), "{stdout}");

    // A customer's PO is in the ERP once.
    let repeated = scalar(
        &mut erp,
        "SELECT COUNT(*) FROM (SELECT cust_no, cust_po_2 FROM SO_HDR GROUP BY cust_no, cust_po_2 HAVING COUNT(*) > 1)",
    )
    .await;
    assert_eq!(repeated, 0, "a customer PO was posted twice");

    // What needs a person goes to review, and the demo's reviewer answers it.
    let reviewed = scalar(
        &mut store,
        "SELECT COUNT(DISTINCT document_id) FROM events WHERE kind IN ('ReviewEdited', 'ReviewRejected')",
    )
    .await;
    assert!(reviewed > 0, "{stdout}");
    assert!(stdout.contains(&format!("reviewed        {}", reviewed - rejected(&mut store).await)), "{stdout}");

    // Nothing lost: every file dropped is a document (or a byte-identical
    // repeat of one), and every document is in review or terminal.
    let documents = scalar(&mut store, "SELECT COUNT(*) FROM documents").await;
    let settled = scalar(
        &mut store,
        "SELECT COUNT(*) FROM documents \
         WHERE state IN ('in_review', 'posted', 'rejected', 'dead_lettered', 'quarantined')",
    )
    .await;
    assert_eq!(settled, documents, "documents left half way");
    let repeats = scalar(&mut store, "SELECT COUNT(*) FROM events WHERE kind = 'DuplicateReceived'").await;
    let meta = std::fs::read_to_string(out.join("dataset/meta.jsonl")).expect("meta.jsonl");
    let generated = i64::try_from(meta.lines().count()).expect("count");
    assert_eq!(documents + repeats, generated, "every generated file was received");
    let left: Vec<_> = std::fs::read_dir(plant.join("inbox"))
        .expect("inbox")
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_file())
        .collect();
    assert!(left.is_empty(), "files left in the inbox: {left:?}");
    let pending = sqlx::query("SELECT COUNT(*) AS n FROM deliveries WHERE status = 'pending'")
        .fetch_one(&mut store)
        .await
        .expect("pending deliveries")
        .get::<i64, _>("n");
    assert_eq!(pending, 0, "deliveries left in the outbox");

    assert_intake_by_channel(&out, &mut store, &stdout).await;

    let config = plant.join("prodline.toml");
    assert!(stdout.contains(&format!("prodline review list -c {}", config.display())), "{stdout}");
    assert!(stdout.contains(&format!("prodline run -c {}", config.display())), "{stdout}");
}

#[test]
fn a_second_demo_into_the_same_folder_starts_the_plant_clean() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("demo");
    let first = demo(&out);
    let second = demo(&out);
    let line = |text: &str| text.lines().find(|line| line.contains("orders in SO_HDR")).map(str::to_owned);
    assert!(line(&first).is_some(), "{first}");
    assert_eq!(line(&first), line(&second), "the rerun posted onto the first run's ERP");
}

/// A document with a sender in meta.jsonl came in through the HTTP upload API
/// with it (source `http:<workflow>`, `sender` = `from`); every other one came
/// through the folder inbox, without a sender. Counted over the stored
/// documents and the byte-identical repeats recorded against them.
async fn assert_intake_by_channel(out: &Path, store: &mut SqliteConnection, stdout: &str) {
    let meta = std::fs::read_to_string(out.join("dataset/meta.jsonl")).expect("meta.jsonl");
    let mut senders: HashMap<String, Option<String>> = HashMap::new();
    for line in meta.lines().filter(|line| !line.trim().is_empty()) {
        let line: serde_json::Value = serde_json::from_str(line).expect("a meta.jsonl line");
        let doc = line["doc"].as_str().expect("meta.doc");
        let name = doc.rsplit('/').next().expect("a file name").to_owned();
        let from = line["from"].as_str().filter(|from| !from.trim().is_empty()).map(str::to_owned);
        senders.insert(name, from);
    }
    let with_sender = senders.values().filter(|from| from.is_some()).count();
    assert!(with_sender > 0, "the demo generated no document with a sender");
    assert!(with_sender < senders.len(), "the demo generated no document without a sender");

    let rows =
        sqlx::query("SELECT file_name, source, sender FROM documents").fetch_all(&mut *store).await.expect("documents");
    let mut uploaded = 0i64;
    for row in &rows {
        let name: String = row.get("file_name");
        let source: String = row.get("source");
        let sender: Option<String> = row.get("sender");
        let from = senders.get(&name).unwrap_or_else(|| panic!("{name} is in the store but not in meta.jsonl"));
        match from {
            Some(from) => {
                assert_eq!(source, "http:order-entry", "{name} has a sender: it should be uploaded");
                assert_eq!(sender.as_deref(), Some(from.as_str()), "{name} lost its sender");
                uploaded += 1;
            }
            None => {
                assert_ne!(source, "http:order-entry", "{name} has no sender: it should come through the inbox");
                assert_eq!(sender, None, "{name} came through the inbox with a sender");
            }
        }
    }
    let uploaded_repeats = scalar(
        store,
        "SELECT COUNT(*) FROM events JOIN documents ON documents.id = events.document_id \
         WHERE events.kind = 'DuplicateReceived' AND documents.source = 'http:order-entry'",
    )
    .await;
    assert_eq!(
        usize::try_from(uploaded + uploaded_repeats).ok(),
        Some(with_sender),
        "every document with a sender was uploaded once"
    );
    assert!(stdout.contains(&format!("{with_sender} with their sender (e-mail, portal)")), "{stdout}");

    // The plant's config names the http source the demo served, so `prodline run` serves it too.
    let config = std::fs::read_to_string(out.join("plant/prodline.toml")).expect("prodline.toml");
    let listen = config
        .lines()
        .find_map(|line| line.strip_prefix("listen = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or_else(|| panic!("no http source in the plant's config:\n{config}"));
    assert!(stdout.contains(&format!("POSTed to http://{listen}/api/v1/documents")), "{stdout}");
    let check = Command::new(env!("CARGO_BIN_EXE_prodline"))
        .args(["check", "-c", out.join("plant/prodline.toml").to_str().expect("utf-8 path")])
        .output()
        .unwrap_or_else(|e| panic!("running prodline check: {e}"));
    assert!(
        check.status.success(),
        "prodline check refused the demo's plant:\n{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}

/// The monitor's story of the demo (`<out>/story.json`): the customer whose
/// new system sends Plant 1's orders under Plant 2's code is caught by drift
/// before its labels could show the damage, and the EDI feed that goes silent
/// raises its alarm within its configured cadence of the outage. Then, in the
/// same run (the replay takes a while), the demo serves its desk: a person
/// logs in with the printed password, clears the queue through the desk's own
/// forms, and the SLO takes in the audit samples among them.
#[test]
fn the_demo_catches_the_drift_and_the_dead_feed_then_a_person_clears_its_served_queue() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("demo");
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
    let served = Served::start(&out, port);
    let stdout = served.stdout.clone();
    let story: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("story.json")).expect("story.json")).expect("JSON");
    let at = |value: &serde_json::Value| -> Option<chrono::DateTime<chrono::Utc>> {
        value.as_str().map(|text| text.parse().expect("an RFC 3339 instant"))
    };

    let drift = &story["drift"];
    let changed = at(&drift["first_changed_at"]).expect("documents in the new layout arrived");
    let alert = at(&drift["alert_at"]).unwrap_or_else(|| panic!("no drift alert: {drift}"));
    // Not vacuous: the change makes the pipeline read orders wrong, and the labels do show it ...
    assert!(drift["read_wrong_after_change"].as_u64() > Some(0), "{drift}");
    let labels_show = at(&drift["accuracy_below_slo_at"]).unwrap_or_else(|| panic!("labels never fell: {drift}"));
    // ... but only after the drift alert, raised a few documents into the new layout.
    assert!(changed <= alert && alert < labels_show, "{drift}");
    assert!(drift["documents_until_alert"].as_u64() <= Some(3), "{drift}");
    // Held for review from the alert on: at most the documents before it went to the ERP wrong.
    assert!(drift["posted_wrong_after_change"].as_u64() < drift["documents_until_alert"].as_u64(), "{drift}");

    let feed = &story["dead_feed"];
    let last = at(&feed["last_before_gap"]).expect("the feed delivered before the gap");
    let alarm = at(&feed["alert_at"]).unwrap_or_else(|| panic!("no dead-feed alarm: {feed}"));
    let resumed = at(&feed["resumed_at"]).expect("the feed resumed");
    assert!(last < alarm && alarm < resumed, "{feed}");
    // The outage begins when the next document is due (one cadence after the
    // last); the alarm comes one more cadence later (the threshold is two),
    // at the replay's next look: every arrival and every midnight.
    let threshold = feed["threshold_hours"].as_f64().expect("threshold");
    let after = feed["alert_after_hours"].as_f64().expect("hours to the alarm");
    assert!(after >= threshold && after <= threshold + 24.0, "alarm {after} working hours after the last: {feed}");
    assert!(at(&feed["resolved_at"]).is_some_and(|resolved| resolved >= resumed), "{feed}");

    assert!(stdout.contains("drift alert at"), "{stdout}");
    assert!(stdout.contains("dead feed"), "{stdout}");

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(a_person_clears_the_queue(&served, &out, port));
}

/// `prodline demo` left serving its desk, killed on drop; what it printed
/// up to the line that says what waits in the queue.
struct Served {
    child: std::process::Child,
    stdout: String,
    password: String,
    waiting: usize,
    audits: u64,
}

impl Served {
    fn start(out: &Path, port: u16) -> Served {
        use std::io::BufRead;
        let listen = format!("127.0.0.1:{port}");
        let stderr = std::fs::File::create(out.with_extension("stderr")).expect("stderr file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_prodline"))
            .args([
                "demo",
                "--out",
                out.to_str().expect("utf-8 path"),
                "--documents",
                STORY_DOCUMENTS,
                "--listen",
                &listen,
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("running prodline demo: {e}"));
        let lines = std::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut served = Served { child, stdout: String::new(), password: String::new(), waiting: 0, audits: 0 };
        for line in lines {
            let line = line.expect("demo output");
            served.stdout.push_str(&line);
            served.stdout.push('\n');
            if line.contains("log in as reviewer") {
                served.password = word_after(&line, "password").expect("the reviewer's password");
            }
            if line.contains("documents wait in the review queue") {
                served.waiting = number_before(&line, "documents wait");
                served.audits = u64::try_from(number_before(&line, "of them audit samples")).expect("a count");
                return served;
            }
        }
        let stderr = std::fs::read_to_string(out.with_extension("stderr")).unwrap_or_default();
        panic!("the demo ended without serving its desk: {}{stderr}", served.stdout);
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn word_after(line: &str, word: &str) -> Option<String> {
    line.split_whitespace().skip_while(|w| *w != word).nth(1).map(str::to_owned)
}

fn number_before(line: &str, phrase: &str) -> usize {
    let head = line.split(phrase).next().unwrap_or_default();
    let number = head.split(|c: char| !c.is_ascii_digit()).rfind(|w| !w.is_empty());
    number.and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no number before {phrase:?} in {line:?}"))
}

/// Logs in as the demo's reviewer through the login form, answers every
/// document of the queue through the desk's forms (approve; reject when
/// there is nothing to approve), and checks the SLO's labels took in the
/// audit samples and the trail names the person.
async fn a_person_clears_the_queue(served: &Served, out: &Path, port: u16) {
    assert!(served.waiting > 0 && served.audits > 0, "nothing left for a person: {}", served.stdout);
    let mut browser = Browser::new(port);
    let login = browser.get("/login").await;
    let csrf = hidden(&login, "csrf");
    let (status, _) =
        browser.post("/login", &[("name", "reviewer"), ("password", &served.password), ("csrf", &csrf)]).await;
    assert_eq!(status, 303, "the printed login did not work");
    let before = browser.labels().await;
    let mut answered = 0;
    loop {
        let queue = browser.get("/review").await;
        let Some(id) = queue.split("data-id=\"").nth(1).and_then(|rest| rest.split('"').next()).map(str::to_owned)
        else {
            break;
        };
        let desk = browser.get(&format!("/review/{id}")).await;
        let csrf = hidden(&desk, "csrf");
        let (status, _) = browser.post(&format!("/review/{id}/approve"), &[("csrf", &csrf)]).await;
        if status != 303 {
            let fields = [("csrf", csrf.as_str()), ("reason", "not an order to enter")];
            let (status, body) = browser.post(&format!("/review/{id}/reject"), &fields).await;
            assert_eq!(status, 303, "document {id} could be neither approved nor rejected: {body}");
        }
        answered += 1;
        assert!(answered <= served.waiting, "the queue does not empty");
    }
    assert_eq!(answered, served.waiting);
    assert_eq!(browser.labels().await, before + served.audits, "the SLO did not take in the audit samples");
    let mut store = open(&out.join("plant/prodline.sqlite")).await;
    let by_person = scalar(
        &mut store,
        "SELECT COUNT(*) FROM events WHERE actor = 'reviewer' AND kind IN ('ReviewApproved', 'ReviewRejected')",
    )
    .await;
    assert_eq!(usize::try_from(by_person).ok(), Some(served.waiting));
}

/// A browser's part, by hand: the session cookie kept, redirects not followed.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: HashMap<String, String>,
}

impl Browser {
    fn new(port: u16) -> Browser {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).no_proxy().build();
        Browser { http: http.expect("client"), base: format!("http://127.0.0.1:{port}"), cookies: HashMap::new() }
    }

    async fn get(&mut self, path: &str) -> String {
        let request = self.http.get(format!("{}{path}", self.base));
        let (status, body) = self.send(request).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let body: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={}", v.replace(' ', "+"))).collect();
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.join("&"));
        self.send(request).await
    }

    /// Audit-sample labels of the workflow's SLO, from `/api/v1/status`.
    async fn labels(&mut self) -> u64 {
        let status: serde_json::Value = serde_json::from_str(&self.get("/api/v1/status").await).expect("JSON");
        let all = status[0]["slo"].as_array().and_then(|slos| slos.iter().find(|slo| slo["scope"] == "all"));
        all.and_then(|slo| slo["accuracy"]["trials"].as_u64()).unwrap_or_else(|| panic!("no SLO: {status}"))
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> (u16, String) {
        let cookie: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let response = request.header("cookie", cookie.join("; ")).send().await.expect("the desk answers");
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().unwrap_or_default();
            if let Some((name, rest)) = text.split_once('=') {
                self.cookies.insert(name.to_owned(), rest.split(';').next().unwrap_or_default().to_owned());
            }
        }
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }
}

/// The value of the first hidden input named `name`.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let value = html.split(&marker).nth(1).and_then(|rest| rest.split('"').next());
    value.unwrap_or_else(|| panic!("no {name} field in {html}")).to_owned()
}

/// The demo as `scripts/demo.sh` runs it (seed 42): the story is told on
/// the demo's own data, where the drifting customer has a history of about
/// sixty documents before its change and thirty after.
const STORY_DOCUMENTS: &str = "2000";
