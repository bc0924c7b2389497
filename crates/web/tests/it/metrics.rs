//! `GET /metrics` of the web server over real HTTP in front of a real SQLite
//! store: a scaffolded plant (`prodline_config::init`) with an audit sample
//! and an SLO, two orders decided by the runtime and reviewed, then the
//! exposition (scraped with an API token, as Prometheus does) checked line
//! by line and against figures worked out by hand.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use prodline_config::{CONFIG_FILE, Config, StoreConfig};
use prodline_core::CanonicalOrder;
use prodline_runtime::review;
use prodline_store::{DocumentId, Role, SqliteStore, Store};
use prodline_testkit::orders::{VALVE_3_4, x12_850};
use prodline_web::{WebState, new_token, token_hash};
use reqwest::StatusCode;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const WORKFLOW: &str = "example_orders";

struct Server {
    base: String,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start(state: WebState<SqliteStore>) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let address = listener.local_addr().expect("bound address");
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        let task = tokio::spawn(prodline_web::serve_on(listener, state, shutdown));
        Server { base: format!("http://{address}"), stop: Some(stop), task }
    }

    /// Status, Content-Type and body of `GET /metrics`, with `token` when given.
    async fn scrape(&self, token: Option<&str>) -> (StatusCode, String, String) {
        let request = reqwest::Client::new().get(format!("{}/metrics", self.base));
        let request = match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        let response = request.send().await.expect("GET /metrics");
        let status = response.status();
        let content_type =
            response.headers().get("content-type").and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned();
        (status, content_type, response.text().await.expect("body"))
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let served = self.task.await.expect("server task");
        assert!(served.is_ok(), "{served:?}");
    }
}

/// The example plant with policy `auto`, every would-be auto-approval
/// audited, files taken at once, and the SLO target 90 %.
async fn audited_plant(dir: &Path) -> (Config, SqliteStore) {
    let plant = dir.join("plant");
    prodline_config::init(&plant).await.expect("init the example plant");
    let path = plant.join(CONFIG_FILE);
    let text = std::fs::read_to_string(&path).expect("config text");
    let edited = text
        .replace("policy = \"shadow\"", "policy = \"auto\"")
        .replace("stable_seconds = 2", "stable_seconds = 0")
        .replace("# audit_rate = 0.05", "audit_rate = 1.0");
    assert!(
        edited.contains("policy = \"auto\"") && edited.contains("\naudit_rate = 1.0"),
        "the example config changed"
    );
    std::fs::write(&path, with_slo_target(&edited, "0.9")).expect("write config");
    let config = Config::load(&path).unwrap_or_else(|errors| panic!("{errors:?}"));
    let StoreConfig::Sqlite { path } = &config.store else { panic!("init writes a SQLite store") };
    let store = SqliteStore::open(path).await.expect("open the plant's store");
    (config, store)
}

/// `text` with `[workflow.slo]` at `target` (its other settings as they are).
fn with_slo_target(text: &str, target: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let Some(header) = lines.iter().position(|line| line.trim() == "[workflow.slo]") else {
        return format!("{text}\n[workflow.slo]\ntarget = {target}\n");
    };
    let end =
        lines[header + 1..].iter().position(|line| line.starts_with('[')).map_or(lines.len(), |at| header + 1 + at);
    let setting = format!("target = {target}");
    match lines[header + 1..end].iter().position(|line| line.split('=').next().map(str::trim) == Some("target")) {
        Some(at) => lines[header + 1 + at] = setting,
        None => lines.insert(header + 1, setting),
    }
    lines.join("\n") + "\n"
}

/// Acme's 850 (one known valve) with PO number `po`, dropped into the plant's inbox.
fn drop_order(config: &Config, po: &str, control: u32) {
    let text = x12_850(po, control, &[VALVE_3_4]);
    let Some(prodline_config::SourceConfig::Folder { path, .. }) = config.workflow[0].sources.first() else {
        panic!("the example plant reads a folder first")
    };
    std::fs::write(path.join(format!("{po}.x12")), text).expect("inbox file");
}

/// Every sample by `name{labels}`; panics on a line that is not HELP, TYPE
/// or `name{labels} value`, or a sample before its TYPE.
fn parse_exposition(text: &str) -> BTreeMap<String, f64> {
    let mut typed = Vec::new();
    let mut samples = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            assert!(rest.split_once(' ').is_some_and(|(name, help)| valid_name(name) && !help.is_empty()), "{line}");
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or_else(|| panic!("{line}"));
            assert!(valid_name(name) && (kind == "gauge" || kind == "counter"), "{line}");
            typed.push(name.to_owned());
        } else {
            let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value: {line}"));
            let value: f64 = match value {
                "NaN" => f64::NAN,
                "+Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                number => number.parse().unwrap_or_else(|e| panic!("{line}: {e}")),
            };
            let (name, labels) = series.split_once('{').unwrap_or_else(|| panic!("no labels: {line}"));
            assert!(typed.iter().any(|typed| typed == name), "sample before its TYPE: {line}");
            let labels = labels.strip_suffix('}').unwrap_or_else(|| panic!("{line}"));
            for pair in labels.split("\",").filter(|pair| !pair.is_empty()) {
                let (label, value) = pair.split_once("=\"").unwrap_or_else(|| panic!("{line}"));
                assert!(valid_name(label) && !value.contains('\n'), "{line}");
            }
            samples.insert(series.to_owned(), value);
        }
    }
    samples
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Two audited orders: one approved, one corrected (1/2 correct).
///
/// By hand, target p0 = 0.9, drop 0.05 (p1 = 0.85): accuracy 1/2 = 0.5;
/// llr = 1·ln(0.85/0.9) + 1·ln(0.15/0.1) = −0.05716 + 0.40547 = 0.34831.
#[tokio::test]
async fn metrics_expose_the_audit_sample_to_a_token_holder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (config, store) = audited_plant(dir.path()).await;
    drop_order(&config, "4500000001", 1);
    drop_order(&config, "4500000002", 2);
    let summary = prodline_runtime::run_once(&config, &store, &prodline_runtime::SystemClock).await.expect("a pass");
    assert_eq!((summary.decided, summary.review), (2, 2), "{summary}");
    let queue = review::list(&store, 10).await.expect("queue");
    assert!(queue.iter().all(|item| item.reason.as_deref() == Some("audit")), "{queue:?}");
    let mut ids: Vec<DocumentId> = queue.iter().map(|item| item.id).collect();
    ids.sort();
    let [approved, corrected] = ids[..] else { panic!("{ids:?}") };
    review::approve(&store, &config, approved, "ana").await.expect("approve");
    let shown = review::show(&store, corrected).await.expect("show");
    let mut orders: Vec<CanonicalOrder> =
        shown.decision.expect("a decision").orders.into_iter().map(|planned| planned.order).collect();
    let qty = orders[0].lines[0].qty;
    orders[0].lines[0].qty = qty + qty;
    review::correct(&store, &config, corrected, "ana", orders).await.expect("correct");

    let token = new_token();
    store.add_api_token("prometheus", Role::Reviewer, &token_hash(&token), "test").await.expect("token");
    let server = Server::start(WebState::new(store.clone(), Arc::new(config)).with_secure_cookies(false)).await;
    // Without a token there is nothing to see.
    let (status, _, body) = server.scrape(None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, content_type, body) = server.scrape(Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    let samples = parse_exposition(&body);
    let of = |series: String| *samples.get(&series).unwrap_or_else(|| panic!("no {series} in:\n{body}"));
    let all = format!("{{workflow=\"{WORKFLOW}\",scope=\"all\"}}");
    assert_eq!(of(format!("prodline_slo_accuracy{all}")), 0.5);
    assert_eq!(of(format!("prodline_slo_labels_total{all}")), 2.0);
    assert_eq!(of(format!("prodline_slo_target{all}")), 0.9);
    assert_eq!(of(format!("prodline_slo_breached{all}")), 0.0);
    let llr = of(format!("prodline_slo_sprt_llr{all}"));
    assert!((llr - 0.34831).abs() < 1e-5, "{llr}");
    assert_eq!(of(format!("prodline_documents_decided_total{{workflow=\"{WORKFLOW}\"}}")), 2.0);
    assert_eq!(of(format!("prodline_documents_touchless_total{{workflow=\"{WORKFLOW}\"}}")), 0.0);
    assert_eq!(of(format!("prodline_alerts_firing{{workflow=\"{WORKFLOW}\"}}")), 0.0);
    server.stop().await;
}
