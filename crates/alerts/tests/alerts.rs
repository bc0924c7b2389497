//! Alerts delivered to real receivers: the SMTP server of scripts/smtp.sh (messages read back
//! from its mail directory) and axum webhook receivers started by each test.

use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, TimeZone, Utc};
use prodline_alerts::{AlertError, Channel, Notice, NoticeState, SmtpChannel, SmtpSecurity, WebhookChannel};
use serde_json::Value;
use tokio::sync::Mutex;

// ---- notices ---------------------------------------------------------------------------

fn fired_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 8, 30, 0).unwrap()
}

/// A key no earlier run used, so each test finds its own messages.
fn unique_key(label: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("C0005-{label}-{nanos}")
}

fn notice(key: &str, state: NoticeState) -> Notice {
    Notice {
        workflow: "order-entry".into(),
        owner_name: "Ana Ruiz".into(),
        owner_email: "ana@prodline.test".into(),
        kind: "drift".into(),
        key: key.into(),
        state,
        severity: "warning".into(),
        summary: "line accuracy 88.0% < 95.0% over 50 orders".into(),
        detail: "Line accuracy of customer C0005 fell from 97.2% (last 30 days) to 88.0% (last 7 days).\n\
                 44 of 50 lines right; 6 wrong: 4 unit, 2 price."
            .into(),
        at: match state {
            NoticeState::Fired => fired_at(),
            _ => fired_at() + chrono::Duration::hours(2),
        },
        fired_at: fired_at(),
        link: Some("http://prodline.local/alerts/drift/C0005".into()),
    }
}

// ---- SMTP ------------------------------------------------------------------------------

fn smtp_dir() -> PathBuf {
    std::env::var_os("PRODLINE_SMTP_DIR").map(PathBuf::from).unwrap_or_else(|| "/tmp/prodline-smtp".into())
}

fn smtp_port(variable: &str, default: u16) -> u16 {
    std::env::var(variable).ok().and_then(|port| port.parse().ok()).unwrap_or(default)
}

/// The plain port, checked to answer before any test relies on it.
fn smtp_server() -> u16 {
    let port = smtp_port("PRODLINE_SMTP_PORT", 10025);
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    if TcpStream::connect_timeout(&address, Duration::from_secs(2)).is_err() {
        panic!("no SMTP server on {address}: start it with scripts/smtp.sh");
    }
    port
}

fn plain_channel(port: u16) -> SmtpChannel {
    SmtpChannel {
        name: "owner-mail".into(),
        host: "127.0.0.1".into(),
        port: Some(port),
        security: SmtpSecurity::None,
        from: "prodline <alerts@prodline.test>".into(),
        username: None,
        password_env: None,
        to: vec![],
        cc: vec!["oncall@prodline.test".into()],
        ca_file: None,
        helo_name: Some("prodline.test".into()),
        timeout_seconds: 10,
    }
}

/// The stored messages (as the server received them, after its four envelope headers) whose
/// subject starts with `[prodline] <state> drift order-entry/<key>:`, oldest first.
fn stored(key: &str, state: &str) -> Vec<String> {
    let prefix = format!("[prodline] {state} drift order-entry/{key}:");
    let directory = smtp_dir().join("mail/new");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&directory)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", directory.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    // The server names files by the nanosecond it stored them.
    names.sort();
    names
        .into_iter()
        .map(|path| std::fs::read_to_string(path).unwrap())
        .filter(|text| {
            let message = mail_parser::MessageParser::default().parse(text.as_bytes()).unwrap();
            message.subject().is_some_and(|subject| subject.starts_with(&prefix))
        })
        .collect()
}

/// The one stored message of `key` in `state`.
fn delivered(key: &str, state: &str) -> String {
    let mut found = stored(key, state);
    assert_eq!(found.len(), 1, "messages \"[prodline] {state} ... {key}\" in {}", smtp_dir().display());
    found.remove(0)
}

fn header<'a>(message: &'a mail_parser::Message<'a>, name: &'static str) -> &'a str {
    message.header_raw(name).map(str::trim).unwrap_or_else(|| panic!("no {name} header"))
}

#[tokio::test]
async fn smtp_fired_then_resolved_threads_on_the_fired_message() {
    let port = smtp_server();
    let channel = Channel::Smtp(plain_channel(port));
    let key = unique_key("thread");
    prodline_alerts::send(&channel, &notice(&key, NoticeState::Fired)).await.unwrap();
    prodline_alerts::send(&channel, &notice(&key, NoticeState::Resolved)).await.unwrap();

    let fired_text = delivered(&key, "FIRING");
    let fired = mail_parser::MessageParser::default().parse(fired_text.as_bytes()).unwrap();
    assert_eq!(header(&fired, "X-MailFrom"), "alerts@prodline.test");
    // The owner from the notice, then the channel's cc.
    assert_eq!(header(&fired, "X-RcptTo"), "ana@prodline.test, oncall@prodline.test");
    assert_eq!(header(&fired, "To"), "\"Ana Ruiz\" <ana@prodline.test>");
    assert_eq!(header(&fired, "Auto-Submitted"), "auto-generated");
    assert_eq!(
        fired.subject(),
        Some(format!("[prodline] FIRING drift order-entry/{key}: line accuracy 88.0% < 95.0% over 50 orders").as_str())
    );
    assert!(fired.header_raw("In-Reply-To").is_none());
    let fired_id = header(&fired, "Message-ID").to_owned();
    // <alert. + 12 bytes of SHA-256 as 24 hex digits + @ + the domain of `from`>
    assert_eq!(fired_id.len(), "<alert.".len() + 24 + "@prodline.test>".len(), "{fired_id}");
    assert!(fired_id.starts_with("<alert.") && fired_id.ends_with("@prodline.test>"), "{fired_id}");
    // On the wire, lines end in CRLF.
    let body = fired.body_text(0).unwrap().replace("\r\n", "\n");
    // Facts aligned on the longest name and its colon ("Severity:", "Fired at:").
    assert!(
        body.contains("\nSeverity: warning\nWorkflow: order-entry\nOwner:    Ana Ruiz <ana@prodline.test>\n"),
        "{body}"
    );
    assert!(body.contains("\nFired at: 2026-11-20 08:30:00 UTC\n"), "{body}");
    assert!(body.contains("fell from 97.2% (last 30 days) to 88.0% (last 7 days)"), "{body}");
    assert!(body.contains("44 of 50 lines right; 6 wrong: 4 unit, 2 price."), "{body}");

    let resolved_text = delivered(&key, "RESOLVED");
    let resolved = mail_parser::MessageParser::default().parse(resolved_text.as_bytes()).unwrap();
    assert_eq!(header(&resolved, "X-RcptTo"), "ana@prodline.test, oncall@prodline.test");
    assert_eq!(header(&resolved, "In-Reply-To"), fired_id);
    assert_eq!(header(&resolved, "References"), fired_id);
    // Fired 08:30, resolved two hours later: 2026-11-20 10:30:00 UTC = 1_795_170_600 s.
    let resolved_id = header(&resolved, "Message-ID");
    assert_eq!(resolved_id, fired_id.replace("@prodline.test>", ".resolved.1795170600@prodline.test>"));
    let body = resolved.body_text(0).unwrap().replace("\r\n", "\n");
    assert!(body.starts_with(&format!("RESOLVED drift order-entry/{key}: line accuracy 88.0%")), "{body}");
    assert!(body.contains("Resolved at: 2026-11-20 10:30:00 UTC\n"), "{body}");
}

#[tokio::test]
async fn smtp_resending_a_notice_repeats_its_message_id() {
    let port = smtp_server();
    let channel = Channel::Smtp(SmtpChannel { cc: vec![], ..plain_channel(port) });
    let key = unique_key("again");
    let fired = notice(&key, NoticeState::Fired);
    prodline_alerts::send(&channel, &fired).await.unwrap();
    prodline_alerts::send(&channel, &fired).await.unwrap();
    let ids: Vec<String> = stored(&key, "FIRING")
        .into_iter()
        .map(|text| {
            let message = mail_parser::MessageParser::default().parse(text.as_bytes()).unwrap();
            assert_eq!(header(&message, "X-RcptTo"), "ana@prodline.test");
            header(&message, "Message-ID").to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1]);
}

#[tokio::test]
async fn smtp_starttls_and_tls_log_in_and_trust_the_ca_file() {
    smtp_server();
    let variable = "PRODLINE_ALERTS_TEST_SMTP_PASSWORD";
    // SAFETY: every test of this binary that sets it sets the same value, and nothing here
    // reads the environment outside std's lock (addresses are IP literals: no resolver).
    unsafe { std::env::set_var(variable, "prodline-test") };
    let secure = |name: &str, security, port| SmtpChannel {
        name: name.into(),
        security,
        port: Some(port),
        username: Some("alerts".into()),
        password_env: Some(variable.into()),
        ca_file: Some(smtp_dir().join("cert.pem")),
        cc: vec![],
        ..plain_channel(0)
    };
    let starttls = secure("starttls", SmtpSecurity::Starttls, smtp_port("PRODLINE_SMTP_PORT", 10025));
    let tls = secure("tls", SmtpSecurity::Tls, smtp_port("PRODLINE_SMTP_TLS_PORT", 10465));
    for channel in [starttls, tls] {
        let key = unique_key(&channel.name);
        prodline_alerts::send(&Channel::Smtp(channel.clone()), &notice(&key, NoticeState::Reminder)).await.unwrap();
        let text = delivered(&key, "STILL FIRING");
        let message = mail_parser::MessageParser::default().parse(text.as_bytes()).unwrap();
        assert_eq!(header(&message, "X-Prodline-Tls"), "yes", "{}", channel.name);
        assert_eq!(header(&message, "X-Prodline-Login"), "alerts", "{}", channel.name);
        assert!(header(&message, "In-Reply-To").starts_with("<alert."), "{}", channel.name);
    }
}

#[tokio::test]
async fn smtp_without_the_ca_file_refuses_the_self_signed_certificate() {
    let port = smtp_server();
    let channel = SmtpChannel { security: SmtpSecurity::Starttls, ..plain_channel(port) };
    let error = prodline_alerts::send(&Channel::Smtp(channel), &notice("C0005", NoticeState::Fired)).await.unwrap_err();
    let AlertError::Smtp { channel, server, .. } = &error else { panic!("{error}") };
    assert_eq!((channel.as_str(), server.as_str()), ("owner-mail", format!("127.0.0.1:{port}").as_str()));
    assert!(error.to_string().to_lowercase().contains("certificate"), "{error}");
}

#[tokio::test]
async fn smtp_unreachable_server_is_an_error_naming_host_and_port() {
    // Port 9 (discard) on loopback: nothing listens there.
    let channel = Channel::Smtp(plain_channel(9));
    let error = prodline_alerts::send(&channel, &notice("C0005", NoticeState::Fired)).await.unwrap_err();
    let AlertError::Smtp { channel, server, attempts, .. } = &error else { panic!("{error}") };
    assert_eq!((channel.as_str(), server.as_str(), *attempts), ("owner-mail", "127.0.0.1:9", 1));
    assert!(error.to_string().contains("SMTP 127.0.0.1:9: "), "{error}");
}

#[tokio::test]
async fn smtp_owner_without_an_address_is_named() {
    let mut unusable = notice("C0005", NoticeState::Fired);
    unusable.owner_email = "ana at prodline".into();
    let error = prodline_alerts::send(&Channel::Smtp(plain_channel(9)), &unusable).await.unwrap_err();
    let AlertError::Recipient { workflow, address, .. } = &error else { panic!("{error}") };
    assert_eq!((workflow.as_str(), address.as_str()), ("order-entry", "ana at prodline"));
}

// ---- configuration ---------------------------------------------------------------------

#[derive(serde::Deserialize)]
struct Config {
    alerts: Alerts,
}

#[derive(serde::Deserialize)]
struct Alerts {
    channel: Vec<Channel>,
}

fn channels(toml_text: &str) -> Result<Vec<Channel>, toml::de::Error> {
    toml::from_str::<Config>(toml_text).map(|config| config.alerts.channel)
}

#[test]
fn channels_decode_from_toml_with_defaults() {
    let decoded = channels(
        r#"
        [[alerts.channel]]
        name = "owner-mail"
        type = "smtp"
        host = "mail.example.com"
        from = "prodline <alerts@example.com>"
        username = "alerts"
        password_env = "PRODLINE_SMTP_PASSWORD"
        cc = ["oncall@example.com"]

        [[alerts.channel]]
        name = "ops-slack"
        type = "slack"
        url = "http://127.0.0.1:8080/slack"
        timeout_seconds = 3
        "#,
    )
    .unwrap();
    let Channel::Smtp(smtp) = &decoded[0] else { panic!("{:?}", decoded[0]) };
    assert_eq!((smtp.port, smtp.security, smtp.timeout_seconds), (None, SmtpSecurity::Starttls, 10));
    assert!(decoded[0].validate().is_empty(), "{:?}", decoded[0].validate());
    assert_eq!(
        decoded[1],
        Channel::Slack(WebhookChannel {
            name: "ops-slack".into(),
            url: "http://127.0.0.1:8080/slack".into(),
            timeout_seconds: 3
        })
    );
}

#[test]
fn unknown_options_and_inline_passwords_are_refused() {
    let error = channels(
        r#"
        [[alerts.channel]]
        name = "owner-mail"
        type = "smtp"
        host = "mail.example.com"
        from = "alerts@example.com"
        username = "alerts"
        password = "secret"
        "#,
    )
    .unwrap_err();
    assert!(error.to_string().contains("unknown field `password`"), "{error}");
    let error =
        channels("[[alerts.channel]]\nname = \"x\"\ntype = \"teams\"\nurl = \"http://h/\"\nretries = 3\n").unwrap_err();
    assert!(error.to_string().contains("unknown field `retries`"), "{error}");
}

#[test]
fn validate_lists_every_problem_with_its_key() {
    let smtp = Channel::Smtp(SmtpChannel {
        username: Some("alerts".into()),
        from: "not an address".into(),
        cc: vec!["oncall@example.com".into(), "nobody".into()],
        timeout_seconds: 0,
        ..plain_channel(25)
    });
    let keys: Vec<&str> = smtp
        .validate()
        .iter()
        .map(|error| match error {
            AlertError::Config { key, .. } => *key,
            other => panic!("{other}"),
        })
        .collect();
    assert_eq!(keys, ["timeout_seconds", "from", "cc", "password_env", "security"]);

    let https = Channel::Teams(WebhookChannel {
        name: "ops-teams".into(),
        url: "https://x.test/hook".into(),
        timeout_seconds: 10,
    });
    let errors = https.validate();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        errors[0].to_string(),
        "alert channel \"ops-teams\": url: \"https://x.test/hook\": https is not supported yet (no TLS in \
         prodline's HTTP client); use a local http proxy"
    );
}

// ---- webhooks --------------------------------------------------------------------------

/// An HTTP receiver on 127.0.0.1: answers 500 to the first `failures` posts, then 200 after
/// `delay`, and records every body it was posted.
struct Receiver {
    failures: usize,
    delay: Duration,
    posts: AtomicUsize,
    bodies: Mutex<Vec<Value>>,
}

async fn receive(State(receiver): State<Arc<Receiver>>, Json(body): Json<Value>) -> StatusCode {
    receiver.bodies.lock().await.push(body);
    let seen = receiver.posts.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(receiver.delay).await;
    if seen < receiver.failures { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::OK }
}

/// Starts a receiver; returns it and its URL.
async fn receiver(failures: usize, delay: Duration) -> (Arc<Receiver>, String) {
    let receiver = Arc::new(Receiver { failures, delay, posts: AtomicUsize::new(0), bodies: Mutex::new(Vec::new()) });
    let app = Router::new().route("/hook", post(receive)).with_state(Arc::clone(&receiver));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (receiver, url)
}

fn hook(name: &str, url: &str) -> WebhookChannel {
    WebhookChannel { name: name.into(), url: url.into(), timeout_seconds: 10 }
}

#[tokio::test]
async fn slack_teams_and_generic_bodies_have_their_shapes() {
    let (receiver, url) = receiver(0, Duration::ZERO).await;
    let fired = notice("C0005", NoticeState::Fired);
    let resolved = notice("C0005", NoticeState::Resolved);
    prodline_alerts::send(&Channel::Slack(hook("slack", &url)), &fired).await.unwrap();
    prodline_alerts::send(&Channel::Teams(hook("teams", &url)), &fired).await.unwrap();
    prodline_alerts::send(&Channel::Teams(hook("teams", &url)), &resolved).await.unwrap();
    prodline_alerts::send(&Channel::Webhook(hook("generic", &url)), &resolved).await.unwrap();
    let bodies = receiver.bodies.lock().await.clone();
    assert_eq!(bodies.len(), 4);

    let slack = &bodies[0];
    assert_eq!(slack["text"], "FIRING drift order-entry/C0005: line accuracy 88.0% < 95.0% over 50 orders");
    assert_eq!(slack["blocks"][0]["type"], "section");
    assert_eq!(
        slack["blocks"][0]["text"]["text"],
        "*FIRING* drift order-entry/C0005\nline accuracy 88.0% &lt; 95.0% over 50 orders\n\
         <http://prodline.local/alerts/drift/C0005|Open in prodline>"
    );
    assert_eq!(slack["blocks"][1]["fields"][0]["text"], "*Severity*\nwarning");
    assert_eq!(slack["blocks"][1]["fields"][4]["text"], "*Fired at*\n2026-11-20 08:30:00 UTC");
    assert!(slack["blocks"][2]["text"]["text"].as_str().unwrap().contains("44 of 50 lines right"));

    let (teams_fired, teams_resolved) = (&bodies[1], &bodies[2]);
    assert_eq!(teams_fired["@type"], "MessageCard");
    assert_eq!(teams_fired["@context"], "https://schema.org/extensions");
    assert_eq!(teams_fired["themeColor"], "D32F2F");
    assert_eq!(teams_resolved["themeColor"], "2E7D32");
    assert_eq!(teams_resolved["title"], "RESOLVED drift order-entry/C0005");
    assert_eq!(
        teams_resolved["summary"],
        "RESOLVED drift order-entry/C0005: line accuracy 88.0% < 95.0% over 50 orders"
    );
    let facts = teams_resolved["sections"][0]["facts"].as_array().unwrap();
    let names: Vec<&str> = facts.iter().map(|fact| fact["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Severity", "Workflow", "Owner", "Alert", "Fired at", "Resolved at", "Link"]);
    assert_eq!(facts[2]["value"], "Ana Ruiz <ana@prodline.test>");
    assert_eq!(facts[5]["value"], "2026-11-20 10:30:00 UTC");
    assert_eq!(teams_resolved["potentialAction"][0]["targets"][0]["uri"], "http://prodline.local/alerts/drift/C0005");

    let generic = &bodies[3];
    assert_eq!(generic["notice"]["state"], "resolved");
    assert_eq!(generic["notice"]["key"], "C0005");
    assert_eq!(generic["notice"]["at"], "2026-11-20T10:30:00Z");
    assert_eq!(generic["notice"]["fired_at"], "2026-11-20T08:30:00Z");
    assert!(generic["subject"].as_str().unwrap().starts_with("[prodline] RESOLVED drift order-entry/C0005: "));
}

#[tokio::test]
async fn webhook_answering_500_once_is_delivered_on_the_retry() {
    let (receiver, url) = receiver(1, Duration::ZERO).await;
    prodline_alerts::send(&Channel::Slack(hook("slack", &url)), &notice("C0005", NoticeState::Fired)).await.unwrap();
    assert_eq!(receiver.posts.load(Ordering::SeqCst), 2);
    let bodies = receiver.bodies.lock().await;
    assert_eq!(bodies[0], bodies[1], "the retry posts the same body");
}

#[tokio::test]
async fn webhook_answering_500_always_is_an_error_naming_the_url() {
    let (receiver, url) = receiver(usize::MAX, Duration::ZERO).await;
    let error = prodline_alerts::send(&Channel::Teams(hook("teams", &url)), &notice("C0005", NoticeState::Fired))
        .await
        .unwrap_err();
    assert_eq!(receiver.posts.load(Ordering::SeqCst), 2, "one post and one retry");
    let AlertError::Status { channel, url: named, status, attempts, .. } = &error else { panic!("{error}") };
    assert_eq!((channel.as_str(), named.as_str(), *status, *attempts), ("teams", url.as_str(), 500, 2));
    assert!(error.to_string().contains(&format!("POST {url}: HTTP 500")), "{error}");
}

#[tokio::test]
async fn webhook_slower_than_its_timeout_is_retried_then_named() {
    let (receiver, url) = receiver(0, Duration::from_secs(3)).await;
    let channel = Channel::Webhook(WebhookChannel { timeout_seconds: 1, ..hook("generic", &url) });
    let error = prodline_alerts::send(&channel, &notice("C0005", NoticeState::Fired)).await.unwrap_err();
    assert_eq!(receiver.posts.load(Ordering::SeqCst), 2);
    let AlertError::Http { url: named, attempts, message, .. } = &error else { panic!("{error}") };
    assert_eq!((named.as_str(), *attempts, message.as_str()), (url.as_str(), 2, "no answer within 1 s"));
}

#[tokio::test]
async fn send_all_delivers_past_a_failing_channel() {
    let (receiver, url) = receiver(0, Duration::ZERO).await;
    let channels = [
        Channel::Slack(hook("hosted-slack", "https://hooks.example.com/T000")),
        Channel::Smtp(plain_channel(9)),
        Channel::Teams(hook("teams", &url)),
    ];
    let results = prodline_alerts::send_all(&channels, &notice("C0005", NoticeState::Fired)).await;
    let names: Vec<&str> = results.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["hosted-slack", "owner-mail", "teams"]);
    assert!(matches!(&results[0].1, Err(AlertError::Config { key: "url", .. })), "{:?}", results[0].1);
    assert!(matches!(&results[1].1, Err(AlertError::Smtp { .. })), "{:?}", results[1].1);
    assert!(results[2].1.is_ok(), "{:?}", results[2].1);
    assert_eq!(receiver.posts.load(Ordering::SeqCst), 1);
}
