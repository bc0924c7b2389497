//! `prodline run` with an IMAP mailbox source, against the real Dovecot that
//! scripts/dovecot.sh runs on 127.0.0.1:10143 (user `orders`, password
//! `prodline-test`): a mailed X12 850 ends up in the SQLite ERP once, the
//! message is flagged only after it is stored, and a second run posts nothing.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use futures_util::TryStreamExt;
use sqlx::{Connection, Row, SqliteConnection};
use support::{ERP_HEADERS_SQL, ERP_TWICE_SQL, init_deployment};
use tokio::net::TcpStream;

const USER: &str = "orders";
const PASSWORD: &str = "prodline-test";
const PASSWORD_ENV: &str = "PRODLINE_TEST_IMAP_PASSWORD";

fn port() -> u16 {
    std::env::var("PRODLINE_DOVECOT_PORT").ok().and_then(|port| port.parse().ok()).unwrap_or(10143)
}

/// Starts the test Dovecot (idempotent), or fails naming the script.
fn dovecot() {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/dovecot.sh");
    let output = Command::new("bash").arg(&script).arg("start").output().expect("run scripts/dovecot.sh");
    assert!(
        output.status.success(),
        "scripts/dovecot.sh start failed (it installs and runs the test Dovecot):\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn unique_folder() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    format!("cli{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

type Session = async_imap::Session<TcpStream>;

async fn login() -> Session {
    let tcp = TcpStream::connect(("127.0.0.1", port())).await.expect("connect to the test Dovecot");
    let mut client = async_imap::Client::new(tcp);
    client.read_response().await.expect("greeting").expect("greeting");
    client.login(USER, PASSWORD).await.map_err(|(error, _)| error).expect("login")
}

/// A mail from Acme's buyer with its 850 attached (7-bit text: X12 is ASCII).
fn mail_with_850(po: &str) -> Vec<u8> {
    let x12 = prodline_testkit::orders::x12_850(po, 4711, &[prodline_testkit::orders::VALVE_3_4]);
    format!(
        "From: Buyer <buyer@acme.example>\r\nTo: orders@northwind.example\r\nSubject: PO {po}\r\n\
         Message-ID: <{po}@acme.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nOur order is attached.\r\n\
         --b1\r\nContent-Type: application/edi-x12\r\nContent-Disposition: attachment; filename=\"{po}.x12\"\r\n\
         Content-Transfer-Encoding: 7bit\r\n\r\n{}\r\n--b1--\r\n",
        x12.replace('\n', "\r\n")
    )
    .into_bytes()
}

/// Adds an IMAP source (plain, on the test port) to the example workflow.
fn add_mailbox(config: &Path, folder: &str) {
    let text = std::fs::read_to_string(config).expect("read config");
    let marker = "# An IMAP mailbox would look like this";
    let at = text.find(marker).expect("the example config shows an IMAP source");
    let source = format!(
        "[[workflow.sources]]\ntype = \"imap\"\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"plain\"\n\
         user = \"{USER}\"\npassword_env = \"{PASSWORD_ENV}\"\nfolder = \"{folder}\"\npoll_interval_seconds = 1\n\n",
        port()
    );
    let mut text = text;
    text.insert_str(at, &source);
    std::fs::write(config, text).expect("write config");
}

fn run_once(config: &Path) -> std::process::Output {
    let output = Command::new(env!("CARGO_BIN_EXE_prodline"))
        .args(["run", "--once", "-c", config.to_str().expect("utf-8 path")])
        .env(PASSWORD_ENV, PASSWORD)
        .output()
        .expect("run prodline");
    assert!(
        output.status.success(),
        "prodline run --once failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

async fn erp_headers(root: &Path) -> Vec<(String, String, i64)> {
    let mut erp = SqliteConnection::connect(&format!("sqlite:{}", root.join("erp.sqlite").display()))
        .await
        .expect("open the ERP");
    let twice = sqlx::query(ERP_TWICE_SQL).fetch_all(&mut erp).await.expect("query the ERP");
    assert!(twice.is_empty(), "an order is in the ERP twice");
    sqlx::query(ERP_HEADERS_SQL)
        .fetch_all(&mut erp)
        .await
        .expect("query the ERP")
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2)))
        .collect()
}

async fn flags(session: &mut Session, folder: &str) -> Vec<String> {
    session.select(folder).await.expect("select");
    let fetches: Vec<_> =
        session.uid_fetch("1:*", "(UID FLAGS)").await.expect("fetch").try_collect().await.expect("fetch");
    fetches.iter().flat_map(|fetch| fetch.flags().map(|flag| format!("{flag:?}")).collect::<Vec<_>>()).collect()
}

#[tokio::test]
async fn a_mailed_850_is_posted_into_the_erp_once() {
    dovecot();
    let dir = tempfile::tempdir().expect("temp dir");
    let config = init_deployment(dir.path(), None);
    let folder = unique_folder();
    add_mailbox(&config, &folder);
    let mut session = login().await;
    session.create(&folder).await.expect("create folder");
    session.append(&folder, None, None, &mail_with_850("PO-MAIL-1")).await.expect("append");

    let first = run_once(&config);

    let headers = erp_headers(dir.path()).await;
    assert_eq!(headers.len(), 1, "{headers:?}\n{}", String::from_utf8_lossy(&first.stdout));
    assert_eq!(headers[0].1, "PO-MAIL-1");
    assert_eq!(headers[0].2, 1, "one line");
    let flags_now = flags(&mut session, &folder).await;
    assert!(flags_now.iter().any(|flag| flag.contains("ProdlineStored")), "flagged after storing: {flags_now:?}");

    run_once(&config);
    assert_eq!(erp_headers(dir.path()).await.len(), 1, "a second run posts nothing");
    session.delete(&folder).await.expect("delete folder");
}
