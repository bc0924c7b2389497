//! `prodline status` and `/metrics` from a real audit trail: a scaffolded
//! deployment (`prodline_config::init`) with `[workflow.slo]`, documents
//! decided by the runtime, the audit sample reviewed through
//! `prodline_runtime::review`, then the status screen and the Prometheus
//! exposition checked against figures worked out by hand below.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use prodline_config::{CONFIG_FILE, Config, StoreConfig};
use prodline_core::CanonicalOrder;
use prodline_runtime::review;
use prodline_runtime::watch::metrics::prometheus;
use prodline_runtime::watch::render::{WIDTH, status_text};
use prodline_runtime::watch::{Ledger, WorkflowStatus, assess};
use prodline_runtime::{SystemClock, run_once};
use prodline_store::{DocumentId, SqliteStore};
use rust_decimal::Decimal;

use prodline_testkit::orders::{VALVE_3_4, x12_850};

const CLOCK: SystemClock = SystemClock;
const WORKFLOW: &str = "example_orders";

/// Target 90 %; the window rule "below 85 % over the last 20 labelled".
const SLO: &[(&str, &str)] = &[("target", "0.9"), ("window", "20"), ("below", "0.85"), ("drop", "0.05")];

struct Deployment {
    _dir: tempfile::TempDir,
    config_path: PathBuf,
    root: PathBuf,
    /// The config as scaffolded (policy `auto`, no audit sample), with `slo`.
    text: String,
}

impl Deployment {
    async fn new(slo: &[(&str, &str)]) -> Deployment {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("deployment");
        prodline_config::init(&root).await.expect("init");
        let config_path = root.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&config_path).expect("config text");
        let text = text
            .replace("policy = \"shadow\"", "policy = \"auto\"")
            .replace("stable_seconds = 2", "stable_seconds = 0");
        assert!(text.contains("policy = \"auto\"") && text.contains("# audit_rate"), "the example config changed");
        Deployment { _dir: dir, config_path, root, text: with_slo(&text, slo) }
    }

    /// The configuration without an audit sample: would-be auto-approvals post.
    fn straight_through(&self) -> Config {
        self.load(&self.text)
    }

    /// The configuration with `audit_rate = 1`: every would-be auto-approval is audited.
    fn audited(&self) -> Config {
        self.load(&self.text.replace("# audit_rate = 0.05", "audit_rate = 1.0"))
    }

    fn load(&self, text: &str) -> Config {
        std::fs::write(&self.config_path, text).expect("write config");
        Config::load(&self.config_path).unwrap_or_else(|errors| panic!("{errors:?}"))
    }

    /// `count` orders of the valve (one line each), PO numbers from `first`.
    fn drop_orders(&self, first: u32, count: u32) {
        for n in first..first + count {
            let file = self.root.join("inbox").join(format!("po-{n:02}.x12"));
            std::fs::write(file, x12_850(&format!("45000000{n:02}"), 100 + n, &[VALVE_3_4])).expect("inbox file");
        }
    }

    async fn open_store(config: &Config) -> SqliteStore {
        let StoreConfig::Sqlite { path } = &config.store else { panic!("init writes a sqlite store") };
        SqliteStore::open(path).await.expect("open store")
    }
}

/// `text` with these `[workflow.slo]` settings: set where the section has
/// the key, added under its header otherwise (and the section added when
/// the config has none).
fn with_slo(text: &str, settings: &[(&str, &str)]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let Some(header) = lines.iter().position(|line| line.trim() == "[workflow.slo]") else {
        let added: Vec<String> = settings.iter().map(|(key, value)| format!("{key} = {value}")).collect();
        return format!("{text}\n[workflow.slo]\n{}\n", added.join("\n"));
    };
    for (key, value) in settings {
        let end =
            lines[header + 1..].iter().position(|line| line.starts_with('[')).map_or(lines.len(), |at| header + 1 + at);
        let setting = format!("{key} = {value}");
        let is_key = |line: &String| line.split('=').next().is_some_and(|name| name.trim() == *key);
        match lines[header + 1..end].iter().position(is_key) {
            Some(at) => lines[header + 1 + at] = setting,
            None => lines.insert(header + 1, setting),
        }
    }
    lines.join("\n") + "\n"
}

/// The audit sample in the review queue, in document order.
async fn audit_queue(store: &SqliteStore, expected: usize) -> Vec<DocumentId> {
    let queue = review::list(store, 50).await.expect("review queue");
    assert!(queue.iter().all(|item| item.reason.as_deref() == Some("audit")), "{queue:?}");
    let mut ids: Vec<DocumentId> = queue.iter().map(|item| item.id).collect();
    ids.sort();
    assert_eq!(ids.len(), expected, "{queue:?}");
    ids
}

/// A reviewer's correction: the planned orders with the first line's quantity changed.
async fn correct_quantity(store: &SqliteStore, config: &Config, id: DocumentId) {
    let shown = review::show(store, id).await.expect("show");
    let mut orders: Vec<CanonicalOrder> =
        shown.decision.expect("a stored decision").orders.into_iter().map(|planned| planned.order).collect();
    orders[0].lines[0].qty = Decimal::new(150, 0);
    review::correct(store, config, id, "ana", orders).await.expect("correct");
}

async fn statuses_at(config: &Config, store: &SqliteStore, now: DateTime<Utc>) -> Vec<WorkflowStatus> {
    let mut ledger = Ledger::new();
    ledger.catch_up(store).await.expect("read the audit trail");
    assess(config, &ledger, now)
}

// ---- the exposition, parsed line by line ----

/// Every sample by `name{labels}` (labels as written, in order); panics on
/// any line that is not HELP, TYPE or `name{labels} value`, on a sample
/// without its TYPE before it, and on a counter not named `_total`.
fn parse_exposition(text: &str) -> BTreeMap<String, f64> {
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    let mut samples = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or_else(|| panic!("HELP without text: {line}"));
            assert!(metric_name(name) && !help.is_empty(), "{line}");
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or_else(|| panic!("TYPE without type: {line}"));
            assert!(metric_name(name), "{line}");
            assert!(kind == "gauge" || (kind == "counter" && name.ends_with("_total")), "{line}");
            assert!(types.insert(name.to_owned(), kind.to_owned()).is_none(), "TYPE twice: {line}");
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value: {line}"));
        let value = match value {
            "NaN" => f64::NAN,
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            number => number.parse::<f64>().unwrap_or_else(|e| panic!("{line}: {e}")),
        };
        let (name, labels) = series.split_once('{').unwrap_or_else(|| panic!("no labels: {line}"));
        assert!(metric_name(name), "{line}");
        assert!(types.contains_key(name), "sample before its TYPE: {line}");
        let labels = labels.strip_suffix('}').unwrap_or_else(|| panic!("labels not closed: {line}"));
        check_labels(labels, line);
        assert!(samples.insert(series.to_owned(), value).is_none(), "a series twice: {line}");
    }
    samples
}

fn metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// `name="value",...` with `\\`, `\"` and `\n` the only escapes.
fn check_labels(labels: &str, line: &str) {
    let mut rest = labels;
    while !rest.is_empty() {
        let (name, after) = rest.split_once("=\"").unwrap_or_else(|| panic!("label without =\": {line}"));
        assert!(metric_name(name) && !name.starts_with("__"), "label name {name:?}: {line}");
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => {
                    let escaped = chars.next().map(|(_, c)| c);
                    assert!(matches!(escaped, Some('\\' | '"' | 'n')), "bad escape: {line}");
                }
                Some((at, '"')) => break at,
                Some((_, c)) => assert!(c != '\n', "{line}"),
                None => panic!("label value not closed: {line}"),
            }
        };
        rest = &after[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
}

fn sample(samples: &BTreeMap<String, f64>, series: &str) -> f64 {
    *samples.get(series).unwrap_or_else(|| panic!("no sample {series} in {samples:#?}"))
}

/// Share of simulated runs in which "at least `wrong` wrong in the last `n`"
/// fires on the current window or after any of the next `horizon` labels, at
/// accuracy `p` (200 000 runs, a fixed xorshift seed: the same every time).
fn window_rule_fires(p: f64, n: usize, wrong: u32, horizon: usize) -> f64 {
    const RUNS: u32 = 200_000;
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut fired = 0;
    for _ in 0..RUNS {
        let labels: Vec<bool> = (0..n + horizon)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 11) as f64 / (1u64 << 53) as f64 >= p
            })
            .collect();
        let fires = labels.windows(n).any(|window| window.iter().filter(|&&w| w).count() as u32 >= wrong);
        fired += u32::from(fires);
    }
    f64::from(fired) / f64::from(RUNS)
}

fn close(actual: f64, expected: f64, tolerance: f64) -> bool {
    (actual - expected).abs() <= tolerance
}

// ---- the tests ----

/// 10 orders go straight through, 3 are audited: 2 approved, 1 corrected.
///
/// Worked by hand (target p0 = 0.9, drop 0.05 so p1 = 0.85, α = 0.01, β = 0.05):
/// - accuracy 2/3 = 66.7 %; Wilson 95 % with z = 1.96, z² = 3.8415:
///   centre (2/3 + z²/6) / (1 + z²/3) = 1.3069 / 2.2805 = 0.5731,
///   half-width z·√(2/27 + z²/36) / 2.2805 = 1.96 · 0.42518 / 2.2805 = 0.3654,
///   so [20.8 %, 93.9 %];
/// - SPRT llr = 2·ln(0.85/0.9) + 1·ln(0.15/0.1) = −0.11432 + 0.40547 = 0.29115;
///   alarm at ln(0.95/0.01) = 4.55, accept at ln(0.05/0.99) = −2.99: no verdict, ok;
/// - window rule n = 20, r = 0.85 fires with 4 or more wrong in 20; a month of
///   labels is 3 < 20, so the horizon is one window more (20 labels): 21
///   overlapping windows over 40 labels, checked by simulation below (one
///   window alone: 1 − Σ_{k=0..3} C(20,k) 0.1^k 0.9^(20−k) = 0.13295);
/// - error budget of the month: 10 orders posted, allowed ⌊0.1 · 10⌋ = 1,
///   used estimated from the sample round(1/3 · 10) = 3, burn 300 %;
/// - touchless 10 of 13 = 76.9 %; today 3 of 13 would-be auto-approvals labelled = 23 %.
#[tokio::test]
async fn status_and_metrics_show_the_audit_sample_figures() {
    let deployment = Deployment::new(SLO).await;
    let straight = deployment.straight_through();
    let store = Deployment::open_store(&straight).await;
    deployment.drop_orders(1, 10);
    let summary = run_once(&straight, &store, &CLOCK).await.expect("first pass");
    assert_eq!((summary.decided, summary.review, summary.posted), (10, 0, 10), "{summary}");

    let audited = deployment.audited();
    deployment.drop_orders(11, 3);
    let summary = run_once(&audited, &store, &CLOCK).await.expect("second pass");
    assert_eq!((summary.decided, summary.review), (3, 3), "{summary}");
    let [first, second, third] = audit_queue(&store, 3).await[..] else { unreachable!() };
    review::approve(&store, &audited, first, "ana").await.expect("approve");
    correct_quantity(&store, &audited, second).await;
    review::approve(&store, &audited, third, "ana").await.expect("approve");

    let now = Utc::now();
    let statuses = statuses_at(&audited, &store, now).await;
    let [status] = &statuses[..] else { panic!("one workflow: {statuses:?}") };
    assert_eq!((status.decided, status.touchless), (13, 10));
    let scopes: Vec<&str> = status.slo.iter().map(|slo| slo.scope.as_str()).collect();
    assert_eq!(scopes, ["all", "edi"]);
    let [feed] = &status.drift[..] else { panic!("one feed: {:?}", status.drift) };

    // The window rule is judged over the current window and the next month of
    // labels (at least one window: 20), at the target.
    let window_false_alarm = status.slo[0].window.false_alarm_at_target.expect("a false-alarm figure");
    let simulated = window_rule_fires(0.9, 20, 4, 20);
    assert!(close(window_false_alarm, simulated, 0.005), "{window_false_alarm} vs simulated {simulated}");

    let text = status_text(&statuses);
    let month = now.format("%Y-%m");
    let today = now.format("%m-%d");
    for expected in [
        format!("{WORKFLOW} · owner Order Desk <orders@example.com> · as of {}", now.format("%Y-%m-%d %H:%M UTC")),
        "documents: 13 decided, 10 touchless (76.9 %)".to_owned(),
        "SLO all: accuracy 2/3 = 66.7 % [20.8–93.9 %] vs target 90.0 %\n".to_owned(),
        "  sequential: llr +0.29 (alarm ≥ 4.55, accept ≤ -2.99) over 3 labels: ok, last test none".to_owned(),
        "  window rule below 85 % over the last 20 labelled: quiet (3 labelled, 66.7 %)".to_owned(),
        format!("    fires {:.1} % of months at the target (20 labels a month)\n", window_false_alarm * 100.0),
        "    advice: A rule at ".to_owned(),
        format!("  error budget {month}: 3 of 1 wrong orders used (300.0 % burnt) over 10 orders"),
        format!("  labelled/decided by decision date: {today} 3/13 23%\n"),
        format!(
            "SLO edi: accuracy 2/3 = 66.7 % [20.8–93.9 %] vs target 90.0 %\n  llr +0.29 ok · window quiet, \
             fires {:.1} % of months · error budget 3 of 1 (300.0 %)\n  labelled/decided by decision date: \
             {today} 3/13 23%\ndrift:",
            window_false_alarm * 100.0
        ),
        "drift: 0 drifting, 1 stable (1 of them without enough documents yet)".to_owned(),
        "alerts firing: none".to_owned(),
        "holds: none".to_owned(),
    ] {
        assert!(text.contains(&expected), "{expected:?} not in:\n{text}");
    }
    assert!(!text.contains("BREACHED") && !text.contains("ALARM"), "{text}");
    assert!(text.lines().count() <= 40, "{} lines:\n{text}", text.lines().count());
    assert!(text.lines().all(|line| line.chars().count() <= WIDTH), "{text}");

    let samples = parse_exposition(&prometheus(&statuses));
    let all = format!("{{workflow=\"{WORKFLOW}\",scope=\"all\"}}");
    let of = |name: &str| sample(&samples, &format!("{name}{all}"));
    assert!(close(of("prodline_slo_accuracy"), 2.0 / 3.0, 1e-12));
    assert!(close(of("prodline_slo_accuracy_lower"), 0.2077, 1e-3), "{}", of("prodline_slo_accuracy_lower"));
    assert!(close(of("prodline_slo_accuracy_upper"), 0.9385, 1e-3), "{}", of("prodline_slo_accuracy_upper"));
    assert_eq!(of("prodline_slo_target"), 0.9);
    assert_eq!(of("prodline_slo_labels_total"), 3.0);
    assert_eq!(of("prodline_slo_breached"), 0.0);
    assert_eq!(of("prodline_slo_window_firing"), 0.0);
    let llr = 2.0 * (0.85f64 / 0.9).ln() + (0.15f64 / 0.1).ln();
    assert!(close(of("prodline_slo_sprt_llr"), llr, 1e-9), "{}", of("prodline_slo_sprt_llr"));
    assert!(close(llr, 0.29115, 1e-5));
    assert!(close(of("prodline_slo_sprt_alarm_bound"), 95f64.ln(), 1e-9));
    assert_eq!(of("prodline_slo_window_false_alarm_probability"), window_false_alarm);
    assert_eq!((of("prodline_error_budget_allowed"), of("prodline_error_budget_used")), (1.0, 3.0));
    assert!(!samples.keys().any(|series| series.starts_with("prodline_label_completeness")), "no full day yet");
    let workflow = format!("{{workflow=\"{WORKFLOW}\"}}");
    assert_eq!(sample(&samples, &format!("prodline_documents_decided_total{workflow}")), 13.0);
    assert_eq!(sample(&samples, &format!("prodline_documents_touchless_total{workflow}")), 10.0);
    assert_eq!(sample(&samples, &format!("prodline_alerts_firing{workflow}")), 0.0);
    assert_eq!(sample(&samples, &format!("prodline_holds{workflow}")), 0.0);
    let feed_labels = format!("{{workflow=\"{WORKFLOW}\",feed=\"{}\"}}", feed.feed);
    assert_eq!(sample(&samples, &format!("prodline_drift_drifting{feed_labels}")), 0.0);
}

/// A sharp SLO (drop 0.5: p1 = 0.4) breaches on three wrong labels:
/// llr = 3·ln(0.6/0.1) = 5.375 ≥ ln(0.95/0.01) = 4.554. With `review_all`
/// the group and the workflow are held. Judged before the reviews (`--at`),
/// the same trail has no labels and no breach.
#[tokio::test]
async fn a_breach_shows_the_alarm_the_alert_and_the_holds_and_not_before_its_labels() {
    let slo =
        [("target", "0.9"), ("window", "20"), ("below", "0.85"), ("drop", "0.5"), ("on_breach", "\"review_all\"")];
    let deployment = Deployment::new(&slo).await;
    let audited = deployment.audited();
    let store = Deployment::open_store(&audited).await;
    deployment.drop_orders(1, 3);
    let summary = run_once(&audited, &store, &CLOCK).await.expect("pass");
    assert_eq!((summary.decided, summary.review), (3, 3), "{summary}");
    let before_reviews = Utc::now();
    for id in audit_queue(&store, 3).await {
        correct_quantity(&store, &audited, id).await;
    }

    let statuses = statuses_at(&audited, &store, Utc::now()).await;
    let text = status_text(&statuses);
    for expected in [
        "SLO all: accuracy 0/3 = 0.0 % [0.0–56.1 %] vs target 90.0 % · BREACHED",
        "  sequential: llr +0.00 (alarm ≥ 4.55, accept ≤ -2.99) over 0 labels: ALARM, last test alarm",
        "alerts firing: 2",
        "holds: 2 (",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    let [status] = &statuses[..] else { panic!("one workflow") };
    let held: Vec<&str> = status.holds.iter().map(|hold| hold.subject.as_str()).collect();
    assert_eq!(held, ["all", "edi"]);
    for hold in &status.holds {
        assert!(text.contains(&format!("\n  {} (slo_breach)\n", hold.key)), "{text}");
    }
    for alert in &status.alerts {
        assert!(text.contains(&format!("\n  [critical] {}: {}\n", alert.key, alert.summary)), "{text}");
    }
    assert!(text.contains("auto-approve accuracy of all is below its SLO of 90 %"), "{text}");
    let samples = parse_exposition(&prometheus(&statuses));
    let all = format!("{{workflow=\"{WORKFLOW}\",scope=\"all\"}}");
    assert_eq!(sample(&samples, &format!("prodline_slo_breached{all}")), 1.0);
    assert_eq!(sample(&samples, &format!("prodline_slo_accuracy{all}")), 0.0);
    assert_eq!(sample(&samples, &format!("prodline_holds{{workflow=\"{WORKFLOW}\"}}")), 2.0);
    assert_eq!(sample(&samples, &format!("prodline_alerts_firing{{workflow=\"{WORKFLOW}\"}}")), 2.0);

    let earlier = status_text(&statuses_at(&audited, &store, before_reviews).await);
    assert!(earlier.contains("SLO all: accuracy 0 labels vs target 90.0 %\n"), "{earlier}");
    assert!(earlier.contains("alerts firing: none") && !earlier.contains("BREACHED"), "{earlier}");
}
