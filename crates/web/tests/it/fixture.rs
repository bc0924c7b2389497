//! A real deployment for the web tests, built fresh for each test (a few
//! seconds): `prodline init`'s example with policy `auto` and a high audit
//! rate, documents of every kind run through the real runtime (some posted
//! to its SQLite ERP, some in review: an X12 order with a part nobody knows,
//! a PDF, an e-mail with a PDF attached and an HTML body, garbage, audit
//! samples), one person per role, and the web UI served on 127.0.0.1.
//!
//! [`Fixture::login`] gives an HTTP session (cookie and CSRF token handled
//! by hand: the workspace's reqwest has no cookie store), used by every
//! HTTP-level test and by the browser tests' checks.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use prodline_config::{CONFIG_FILE, Config, StoreConfig};
use prodline_runtime::{SystemClock, run_once};
use prodline_store::{DocumentId, DocumentRecord, DocumentState, Event, EventKind, Role, SqliteStore, Store, User};
use prodline_testkit::orders::{UNKNOWN_PART, VALVE_1_CASES, VALVE_3_4, edifact_orders, x12_850};
use prodline_web::{WebState, hash_password, serve_on};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// Every fixture user's password.
pub const PASSWORD: &str = "correct horse battery staple";
pub const REVIEWER: &str = "rita";
pub const OWNER: &str = "otto";
pub const ADMIN: &str = "ada";

/// The fixture's documents, by what they are.
#[derive(Debug, Clone)]
pub struct Docs {
    /// X12 850 from Acme with part 99-9999, which no master data knows: in review (`unknown_item`).
    pub unknown_part: DocumentId,
    /// A one-page PDF order.
    pub pdf: DocumentId,
    /// An e-mail (text and HTML body) with a PDF order attached.
    pub email: DocumentId,
    /// EDIFACT ORDERS from Bergmann.
    pub edifact: DocumentId,
    /// Not an order at all: in review with nothing to approve.
    pub garbage: DocumentId,
    /// Clean X12 orders routed to review as the random audit sample.
    pub audit: Vec<DocumentId>,
    /// Clean X12 orders the runtime posted.
    pub posted: Vec<DocumentId>,
}

/// A deployment with documents, users and the web UI running.
pub struct Fixture {
    _dir: tempfile::TempDir,
    /// The deployment's folder (config, master data, inbox, ERP), for tests that add files to it.
    #[allow(dead_code, reason = "for tests that put files into the deployment, such as reports")]
    pub root: PathBuf,
    pub config: Arc<Config>,
    pub store: SqliteStore,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub docs: Docs,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

impl Fixture {
    /// Builds the deployment, runs the runtime until it is idle, adds the
    /// users and serves the UI. Needs a multi-threaded runtime (the
    /// pipeline runs under `block_in_place`).
    pub async fn start() -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("deployment");
        prodline_config::init(&root).await.expect("prodline init");
        let config = Arc::new(configure(&root));
        for (name, bytes) in inbox() {
            std::fs::write(root.join("inbox").join(name), bytes).expect("write inbox file");
        }
        let StoreConfig::Sqlite { path } = &config.store else { panic!("init writes a sqlite store") };
        let store = SqliteStore::open(path).await.expect("open store");
        for _ in 0..5 {
            let summary = run_once(&config, &store, &SystemClock).await.expect("a runtime pass");
            if !summary.moved() {
                break;
            }
        }
        add_users(&store).await;
        let docs = documents(&store).await;
        let (base, shutdown) = serve(store.clone(), config.clone()).await;
        Fixture { _dir: dir, root, config, store, base, docs, shutdown: Some(shutdown) }
    }

    /// A logged-in HTTP session of `name` (one of the fixture's users).
    pub async fn login(&self, name: &str) -> Session {
        Session::login(&self.base, name, PASSWORD).await
    }

    /// A session that never logged in.
    pub fn anonymous(&self) -> Session {
        Session::new(&self.base)
    }

    pub async fn state(&self, id: DocumentId) -> DocumentState {
        self.record(id).await.state
    }

    pub async fn record(&self, id: DocumentId) -> DocumentRecord {
        self.store.document(id).await.expect("read document").expect("the document exists")
    }

    /// The document's events of `kind`.
    pub async fn events(&self, id: DocumentId, kind: EventKind) -> Vec<Event> {
        let events = self.store.events(id).await.expect("events");
        events.into_iter().filter(|event| event.kind == kind).collect()
    }

    /// The review queue as the runtime lists it (oldest first).
    pub async fn queue(&self) -> Vec<DocumentId> {
        let items = prodline_runtime::review::list(&self.store, 1000).await.expect("queue");
        items.into_iter().map(|item| item.id).collect()
    }
}

/// The example config with policy `auto`, files taken at once, and half of
/// what would go straight to the ERP sampled for audit.
fn configure(root: &std::path::Path) -> Config {
    let path = root.join(CONFIG_FILE);
    let text = std::fs::read_to_string(&path).expect("config text");
    let changed = text
        .replace("policy = \"shadow\"", "policy = \"auto\"")
        .replace("stable_seconds = 2", "stable_seconds = 0")
        .replace("# audit_rate = 0.05", "audit_rate = 0.5");
    assert!(changed.contains("policy = \"auto\"") && changed.contains("\naudit_rate = 0.5"), "the example changed");
    std::fs::write(&path, changed).expect("write config");
    Config::load(&path).unwrap_or_else(|errors| panic!("{errors}"))
}

/// The inbox files, by name (the runtime takes them in name order).
fn inbox() -> Vec<(String, Vec<u8>)> {
    let mut files = vec![
        ("a-unknown-part.x12".to_owned(), x12_850("4500000100", 100, &[VALVE_3_4, UNKNOWN_PART]).into_bytes()),
        ("b-order.pdf".to_owned(), order_pdf("4500000200", "120")),
        ("c-order.eml".to_owned(), order_email("4500000300")),
        ("d-bergmann.edi".to_owned(), edifact_orders("BHG-000400", 400, 250).into_bytes()),
        ("e-garbage.bin".to_owned(), b"\x00\x13\x37 this is not an order \xff\xfe\x00".to_vec()),
    ];
    for index in 0..8u32 {
        let po = format!("45000005{index:02}");
        let items: &[&str] = if index % 2 == 0 { &[VALVE_3_4] } else { &[VALVE_3_4, VALVE_1_CASES] };
        files.push((format!("f-clean-{index}.x12"), x12_850(&po, 500 + index, items).into_bytes()));
    }
    files
}

async fn add_users(store: &SqliteStore) {
    let hash = hash_password(PASSWORD).expect("hash");
    for (name, role) in [(REVIEWER, Role::Reviewer), (OWNER, Role::Owner), (ADMIN, Role::Admin)] {
        let user = User { name: name.to_owned(), role, password_hash: hash.clone(), created_at: chrono::Utc::now() };
        store.add_user(&user, "fixture").await.expect("add user");
    }
}

/// Finds each document by its file name and checks the runtime did what the tests rely on.
async fn documents(store: &SqliteStore) -> Docs {
    let mut by_name: HashMap<String, DocumentRecord> = HashMap::new();
    for state in DocumentState::ALL {
        for record in store.list(state, 1000).await.expect("list") {
            by_name.insert(record.file_name.clone(), record);
        }
    }
    let id = |name: &str| by_name.get(name).map(|r| r.id).unwrap_or_else(|| panic!("no document {name}"));
    let state = |name: &str| by_name.get(name).map(|r| r.state);
    let clean: Vec<String> = (0..8).map(|i| format!("f-clean-{i}.x12")).collect();
    let in_state = |wanted: DocumentState| -> Vec<DocumentId> {
        clean.iter().filter(|name| state(name) == Some(wanted)).map(|name| id(name)).collect()
    };
    let (audit, posted) = (in_state(DocumentState::InReview), in_state(DocumentState::Posted));
    assert!(!audit.is_empty() && !posted.is_empty(), "the audit draw must give both: {audit:?} {posted:?}");
    assert_eq!(audit.len() + posted.len(), clean.len(), "every clean order is posted or sampled");
    for name in ["a-unknown-part.x12", "e-garbage.bin"] {
        assert_eq!(state(name), Some(DocumentState::InReview), "{name}");
    }
    Docs {
        unknown_part: id("a-unknown-part.x12"),
        pdf: id("b-order.pdf"),
        email: id("c-order.eml"),
        edifact: id("d-bergmann.edi"),
        garbage: id("e-garbage.bin"),
        audit,
        posted,
    }
}

async fn serve(store: SqliteStore, config: Arc<Config>) -> (String, oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let state = WebState::new(store, config).with_secure_cookies(false);
    let (shutdown, stop) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let stopped = async move {
            let _ = stop.await;
        };
        serve_on(listener, state, stopped).await.expect("serve the web UI");
    });
    (format!("http://{address}"), shutdown)
}

// ---------------------------------------------------------------- documents

/// The lines of the order the PDF and the e-mail's attachment print.
fn order_lines(po: &str, quantity: &str) -> Vec<String> {
    vec![
        "PURCHASE ORDER".to_owned(),
        "Acme Industrial Supply, Inc.".to_owned(),
        format!("PO Number: {po}"),
        "Order Date: 2026-03-02".to_owned(),
        "Ship To: Acme Dayton Warehouse, 1200 Industrial Parkway, Dayton, OH 45402".to_owned(),
        String::new(),
        "Line  Part      Description                Qty  UOM  Unit Price".to_owned(),
        format!("1     88-1200   3/4in brass ball valve     {quantity:>3}  EA   11.85"),
        "2     88-1300   1in brass ball valve        40  EA   15.40".to_owned(),
    ]
}

/// A one-page PDF printing the order in Courier (a text layer poppler reads).
pub fn order_pdf(po: &str, quantity: &str) -> Vec<u8> {
    let escape = |line: &str| line.replace('\\', "\\\\").replace('(', "\\(").replace(')', "\\)");
    let shown: String = order_lines(po, quantity).iter().map(|line| format!("({}) Tj T*\n", escape(line))).collect();
    let content = format!("BT /F1 10 Tf 14 TL 50 740 Td\n{shown}ET\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!("<< /Length {} >>\nstream\n{content}endstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>".to_owned(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (index, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", index + 1).as_bytes());
    }
    let xref = pdf.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        table.push_str(&format!("{offset:010} 00000 n \n"));
    }
    table.push_str(&format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1));
    pdf.extend_from_slice(table.as_bytes());
    pdf
}

/// An e-mail from Acme's buyer: a text body, an HTML alternative with a
/// script in it (which the viewer must never render), and the order as a
/// PDF attachment.
pub fn order_email(po: &str) -> Vec<u8> {
    let attachment = base64(&order_pdf(po, "60"));
    let wrapped: Vec<&str> = attachment.as_bytes().chunks(76).map(|c| std::str::from_utf8(c).unwrap_or("")).collect();
    format!(
        "From: Jane Buyer <jane.buyer@acme.example>\r\n\
         To: orders@northwind.example\r\n\
         Subject: Purchase order {po}\r\n\
         Date: Mon, 02 Mar 2026 09:15:00 +0000\r\n\
         Message-ID: <{po}@acme.example>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"outer\"\r\n\
         \r\n\
         --outer\r\n\
         Content-Type: multipart/alternative; boundary=\"inner\"\r\n\
         \r\n\
         --inner\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         \r\n\
         Hello,\r\n\r\nplease find our purchase order {po} attached.\r\n\r\nThanks, Jane\r\n\
         --inner\r\n\
         Content-Type: text/html; charset=utf-8\r\n\
         \r\n\
         <html><body><script>alert('pwned')</script><p>Hello, please find our purchase order {po} attached.</p></body></html>\r\n\
         --inner--\r\n\
         --outer\r\n\
         Content-Type: application/pdf; name=\"PO-{po}.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"PO-{po}.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\
         \r\n\
         {}\r\n\
         --outer--\r\n",
        wrapped.join("\r\n")
    )
    .into_bytes()
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

// ---------------------------------------------------------------- HTTP sessions

/// One answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or("")
    }

    /// Where a redirect points.
    pub fn location(&self) -> &str {
        self.header("location")
    }
}

/// A browser-like HTTP session: the session cookie and CSRF token kept by
/// hand, redirects not followed (tests look at them).
pub struct Session {
    http: reqwest::Client,
    base: String,
    cookies: Vec<(String, String)>,
    /// The session's CSRF token, read from a page after login.
    pub csrf: String,
}

impl Session {
    pub fn new(base: &str) -> Session {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        Session { http, base: base.to_owned(), cookies: Vec::new(), csrf: String::new() }
    }

    /// Logs in through the login form, as a browser does.
    pub async fn login(base: &str, name: &str, password: &str) -> Session {
        let mut session = Session::new(base);
        let form = session.get("/login").await;
        assert_eq!(form.status, 200, "{}", form.text());
        let token = hidden_value(&form.text(), "csrf").expect("the login form's csrf");
        let answer = session
            .post("/login", &[("name", name), ("password", password), ("csrf", &token), ("next", "/review")])
            .await;
        assert_eq!(answer.status, 303, "login of {name} failed: {}", answer.text());
        let page = session.get("/review").await;
        assert_eq!(page.status, 200, "{}", page.text());
        session.csrf = hidden_value(&page.text(), "csrf").expect("a page's csrf field");
        session
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let request = self.http.get(format!("{}{path}", self.base));
        self.send(request).await
    }

    /// POSTs a form (`application/x-www-form-urlencoded`) with the fields as given.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let owned: Vec<(String, String)> = fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        self.post_fields(path, &owned).await
    }

    pub async fn post_fields(&mut self, path: &str, fields: &[(String, String)]) -> Answer {
        let body: Vec<String> = fields.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.join("&"));
        self.send(request).await
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Answer {
        let cookie: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let request = if cookie.is_empty() { request } else { request.header("cookie", cookie.join("; ")) };
        let response = request.send().await.expect("the web UI answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        for value in headers.get_all("set-cookie") {
            self.keep_cookie(value.to_str().unwrap_or(""));
        }
        let body = response.bytes().await.expect("body").to_vec();
        Answer { status, headers, body }
    }

    fn keep_cookie(&mut self, header: &str) {
        let Some((name, rest)) = header.split_once('=') else { return };
        let value = rest.split(';').next().unwrap_or("").to_owned();
        self.cookies.retain(|(kept, _)| kept != name);
        if !value.is_empty() && !header.contains("Max-Age=0") {
            self.cookies.push((name.to_owned(), value));
        }
    }
}

/// `application/x-www-form-urlencoded` encoding of one key or value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => (byte as char).to_string(),
            b' ' => "+".to_owned(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// The value of the first hidden input named `name`.
pub fn hidden_value(html: &str, name: &str) -> Option<String> {
    inputs(html).into_iter().find(|input| input.name == name).map(|input| input.value)
}

/// One `<input>` of a page, its attributes unescaped.
#[derive(Debug, Clone)]
pub struct Input {
    pub name: String,
    pub value: String,
    pub kind: String,
    pub checked: bool,
}

/// Every `<input>` of `html` (maud writes attributes in double quotes).
pub fn inputs(html: &str) -> Vec<Input> {
    html.split("<input").skip(1).filter_map(|rest| rest.split_once('>')).map(|(tag, _)| input_of(tag)).collect()
}

fn input_of(tag: &str) -> Input {
    let attribute = |name: &str| {
        let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        let end = tag.get(start..)?.find('"')? + start;
        Some(unescape(tag.get(start..end)?))
    };
    Input {
        name: attribute("name").unwrap_or_default(),
        value: attribute("value").unwrap_or_default(),
        kind: attribute("type").unwrap_or_else(|| "text".to_owned()),
        checked: tag.contains(" checked"),
    }
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&#39;", "'").replace("&amp;", "&")
}

/// What a browser would post from the form with id `form_id`: every named
/// input (checkboxes only when checked), in page order.
pub fn form_fields(html: &str, form_id: &str) -> Vec<(String, String)> {
    let start = html.find(&format!("id=\"{form_id}\"")).unwrap_or_else(|| panic!("no form #{form_id}"));
    let form = &html[start..];
    let form = &form[..form.find("</form>").unwrap_or(form.len())];
    inputs(form)
        .into_iter()
        .filter(|input| !input.name.is_empty() && (input.kind != "checkbox" || input.checked))
        .map(|input| (input.name, input.value))
        .collect()
}

/// Sets field `name` of a form's fields (adds it when missing).
pub fn set_field(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    match fields.iter_mut().find(|(key, _)| key == name) {
        Some(field) => value.clone_into(&mut field.1),
        None => fields.push((name.to_owned(), value.to_owned())),
    }
}

/// Removes field `name` (an unticked checkbox).
pub fn drop_field(fields: &mut Vec<(String, String)>, name: &str) {
    fields.retain(|(key, _)| key != name);
}
