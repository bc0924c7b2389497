//! The mailbox source against a real Dovecot on 127.0.0.1, started by
//! scripts/dovecot.sh (user `orders`, password `prodline-test`, plain and
//! STARTTLS on 10143, TLS on 10993, a self-signed certificate as CA file).
//! Mail is delivered by IMAP APPEND; each test works in a folder of its own,
//! so the tests run in parallel safely.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use async_imap::types::Flag;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use prodline_imap::{ImapError, MailboxConfig, STORED_KEYWORD, Security, poll, probe, source_name};
use prodline_store::{DocumentRecord, DocumentState, SqliteStore, Store};
use tokio::net::TcpStream;

const USER: &str = "orders";
const PASSWORD: &str = "prodline-test";

fn port() -> u16 {
    env_port("PRODLINE_DOVECOT_PORT", 10143)
}

fn tls_port() -> u16 {
    env_port("PRODLINE_DOVECOT_TLS_PORT", 10993)
}

fn env_port(name: &str, default: u16) -> u16 {
    std::env::var(name).ok().and_then(|port| port.parse().ok()).unwrap_or(default)
}

fn dovecot_dir() -> PathBuf {
    std::env::var_os("PRODLINE_DOVECOT_DIR").map_or_else(|| PathBuf::from("/tmp/prodline-dovecot"), PathBuf::from)
}

/// Starts Dovecot if needed (the script is idempotent); panics naming the script.
fn server() {
    static STARTED: OnceLock<()> = OnceLock::new();
    STARTED.get_or_init(|| {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/dovecot.sh");
        let output = Command::new("bash")
            .arg(&script)
            .arg("start")
            .output()
            .unwrap_or_else(|error| panic!("cannot run scripts/dovecot.sh: {error}"));
        assert!(
            output.status.success(),
            "scripts/dovecot.sh start failed (it installs and runs the test Dovecot):\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    });
}

/// A folder no other test uses.
fn unique_folder(name: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    format!("t{}-{}-{name}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

fn config(folder: &str) -> MailboxConfig {
    MailboxConfig {
        host: "127.0.0.1".to_owned(),
        port: port(),
        security: Security::Plain,
        user: USER.to_owned(),
        password: PASSWORD.to_owned(),
        folder: folder.to_owned(),
        processed_folder: None,
        ca_file: None,
    }
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

type Admin = async_imap::Session<TcpStream>;

/// A second, independent client: creates folders, appends mail, reads flags.
async fn admin() -> Admin {
    server();
    let tcp = TcpStream::connect(("127.0.0.1", port())).await.unwrap();
    let mut client = async_imap::Client::new(tcp);
    client.read_response().await.unwrap().unwrap();
    client.login(USER, PASSWORD).await.map_err(|(error, _)| error).unwrap()
}

async fn create_with(admin: &mut Admin, folder: &str, messages: &[Vec<u8>]) {
    admin.create(folder).await.unwrap();
    for message in messages {
        admin.append(folder, None, None, message).await.unwrap();
    }
}

/// UID and flags of every message in `folder`.
async fn flags(admin: &mut Admin, folder: &str) -> Vec<(u32, Vec<String>)> {
    admin.select(folder).await.unwrap();
    let fetches: Vec<_> = admin.uid_fetch("1:*", "(UID FLAGS)").await.unwrap().try_collect().await.unwrap();
    let mut flags: Vec<(u32, Vec<String>)> = fetches
        .iter()
        .map(|fetch| {
            let names = fetch
                .flags()
                .filter(|flag| *flag != Flag::Recent)
                .map(|flag| match flag {
                    Flag::Seen => "\\Seen".to_owned(),
                    Flag::Deleted => "\\Deleted".to_owned(),
                    Flag::Custom(name) => name.into_owned(),
                    other => format!("{other:?}"),
                })
                .collect();
            (fetch.uid.unwrap(), names)
        })
        .collect();
    flags.sort();
    flags
}

const X12_850: &[u8] = b"ISA*00*          *00*          *ZZ*ACME           *ZZ*PRODLINE       *260101*1200*U*00401*000000001*0*P*>~GS*PO*ACME*PRODLINE*20260101*1200*1*X*004010~ST*850*0001~BEG*00*SA*4711**20260101~PO1*1*10*EA*11.85**BP*HV-075-BR~CTT*1~SE*5*0001~GE*1*1~IEA*1*000000001~";
const CSV: &[u8] = b"po,item,qty\r\n4711,HV-100-BR,5\r\n4711,GS-200,\"1,5\"\r\n";

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, byte)| n | u32::from(*byte) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
        if out.len() % 78 == 76 {
            out.push_str("\r\n");
        }
    }
    out
}

/// An order with an X12 850 and a CSV attached.
fn order_with_attachments() -> Vec<u8> {
    format!(
        "From: Buyer <buyer@acme.example>\r\nTo: orders@prodline.example\r\nSubject: PO 4711 / Acme\r\n\
         Message-ID: <po4711@acme.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlease find our order attached.\r\n\
         --b1\r\nContent-Type: application/edi-x12\r\nContent-Disposition: attachment; filename=\"po4711.x12\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n\
         --b1\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename=\"po4711.csv\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b1--\r\n",
        base64(X12_850),
        base64(CSV)
    )
    .into_bytes()
}

fn plain_text_order() -> Vec<u8> {
    b"From: sam@brass.example\r\nTo: orders@prodline.example\r\nSubject: Order\r\n\
      Message-ID: <plain@brass.example>\r\n\r\nPlease send 5 x GS-200 to the usual address.\r\n"
        .to_vec()
}

/// Declares multipart, but its boundary never occurs.
fn broken_mime() -> Vec<u8> {
    b"From: noise@broken.example\r\nSubject: broken\r\nMIME-Version: 1.0\r\n\
      Content-Type: multipart/mixed; boundary=\"never-there\"\r\n\r\nthis body has no parts at all\r\n"
        .to_vec()
}

async fn open_store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("store.sqlite")).await.unwrap();
    (dir, store)
}

async fn documents(store: &SqliteStore) -> Vec<DocumentRecord> {
    store.list(DocumentState::Received, 100).await.unwrap()
}

async fn bytes_of(store: &SqliteStore, documents: &[DocumentRecord], file_name: &str) -> Vec<u8> {
    let document = documents.iter().find(|document| document.file_name == file_name);
    let document = document.unwrap_or_else(|| panic!("no document {file_name} in {documents:#?}"));
    store.blob(&document.sha256).await.unwrap().unwrap()
}

#[tokio::test]
async fn each_message_and_attachment_is_stored_then_the_message_is_flagged() {
    let mut admin = admin().await;
    let folder = unique_folder("flag");
    let messages = [order_with_attachments(), plain_text_order(), broken_mime()];
    create_with(&mut admin, &folder, &messages).await;
    let (_dir, store) = open_store().await;

    let pass = poll(&config(&folder), &store, "acme", now()).await.unwrap();

    let names: Vec<String> = documents(&store).await.into_iter().map(|document| document.file_name).collect();
    assert_eq!((pass.messages, pass.stored, pass.duplicates), (3, 4, 0), "{pass:?} {names:?}");
    assert_eq!(pass.problems.len(), 1, "{pass:?}");
    assert!(pass.problems[0].contains("UID 3") && pass.problems[0].contains(&folder), "{:?}", pass.problems);
    let documents = documents(&store).await;
    assert_eq!(documents.len(), 4, "two attachments, a message without any, a broken message");
    assert!(documents.iter().all(|document| document.source == source_name("acme")));
    assert!(
        documents.iter().all(|document| document.file_name != "PO 4711 _ Acme.eml"),
        "no document for the envelope"
    );
    assert_eq!(bytes_of(&store, &documents, "po4711.x12").await, X12_850);
    assert_eq!(bytes_of(&store, &documents, "po4711.csv").await, CSV);
    assert_eq!(bytes_of(&store, &documents, "Order.eml").await, messages[1]);
    assert_eq!(bytes_of(&store, &documents, "broken.eml").await, messages[2], "broken MIME is stored raw");

    let csv = documents.iter().find(|document| document.file_name == "po4711.csv").unwrap();
    let message_sha = prodline_store::Sha256::of(&messages[0]);
    assert_eq!(csv.meta["message_sha256"], message_sha.as_str());
    assert_eq!(store.blob(&message_sha).await.unwrap().as_deref(), Some(&messages[0][..]), "the message is kept whole");
    assert_eq!(csv.meta["message_id"], "po4711@acme.example");
    assert_eq!(csv.meta["subject"], "PO 4711 / Acme");
    assert_eq!(csv.meta["message_file_name"], "PO 4711 _ Acme.eml");
    assert_eq!(csv.meta["uid"], 1);
    assert_eq!(csv.meta["mailbox"], folder.as_str());
    assert_eq!(csv.meta["workflow"], "acme");
    assert_eq!(csv.meta["part"], 1);
    assert_eq!(csv.from.as_deref(), Some("buyer@acme.example"));
    let body = documents.iter().find(|document| document.file_name == "Order.eml").unwrap();
    assert!(body.from.is_some() && body.meta["attachments"] == 0, "{body:?}");

    let stored = vec!["\\Seen".to_owned(), STORED_KEYWORD.to_owned()];
    assert_eq!(flags(&mut admin, &folder).await, vec![(1, stored.clone()), (2, stored.clone()), (3, stored)]);

    let again = poll(&config(&folder), &store, "acme", now()).await.unwrap();
    assert_eq!((again.messages, again.stored, again.duplicates), (0, 0, 0), "a second poll takes nothing");
    assert_eq!(documents_len(&store).await, 4);
    admin.delete(&folder).await.unwrap();
}

async fn documents_len(store: &SqliteStore) -> usize {
    documents(store).await.len()
}

#[tokio::test]
async fn a_message_read_by_a_person_is_still_taken() {
    let mut admin = admin().await;
    let folder = unique_folder("seen");
    admin.create(&folder).await.unwrap();
    admin.append(&folder, Some("(\\Seen)"), None, plain_text_order()).await.unwrap();
    let (_dir, store) = open_store().await;

    let pass = poll(&config(&folder), &store, "acme", now()).await.unwrap();

    assert_eq!((pass.messages, pass.stored), (1, 1));
    admin.delete(&folder).await.unwrap();
}

#[tokio::test]
async fn with_a_processed_folder_messages_are_moved_after_storing() {
    let mut admin = admin().await;
    let folder = unique_folder("move");
    let processed = format!("{folder}-done");
    create_with(&mut admin, &folder, &[order_with_attachments(), plain_text_order()]).await;
    let (_dir, store) = open_store().await;
    let config = MailboxConfig { processed_folder: Some(processed.clone()), ..config(&folder) };

    let pass = poll(&config, &store, "acme", now()).await.unwrap();

    assert_eq!((pass.messages, pass.stored), (2, 3), "{pass:?}");
    assert_eq!(flags(&mut admin, &folder).await, Vec::new(), "the folder is drained");
    let moved = flags(&mut admin, &processed).await;
    assert_eq!(moved.len(), 2);
    assert!(moved.iter().all(|(_, flags)| flags.contains(&STORED_KEYWORD.to_owned())), "{moved:?}");
    let again = poll(&config, &store, "acme", now()).await.unwrap();
    assert_eq!((again.messages, again.stored), (0, 0));
    admin.delete(&folder).await.unwrap();
    admin.delete(&processed).await.unwrap();
}

/// The store refuses the CSV attachment (a trigger in the real SQLite file):
/// the raw message (a blob) and the X12 part are committed, the message stays unflagged;
/// once the store works again the next poll completes it without a second copy.
#[tokio::test]
async fn a_store_failure_midway_leaves_the_message_untaken() {
    let mut admin = admin().await;
    let folder = unique_folder("fail");
    create_with(&mut admin, &folder, &[order_with_attachments()]).await;
    let (dir, store) = open_store().await;
    let database =
        sqlx::SqlitePool::connect(&format!("sqlite://{}", dir.path().join("store.sqlite").display())).await.unwrap();
    sqlx::query(
        "CREATE TRIGGER refuse_csv BEFORE INSERT ON documents WHEN NEW.file_name = 'po4711.csv' \
         BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END",
    )
    .execute(&database)
    .await
    .unwrap();

    let error = poll(&config(&folder), &store, "acme", now()).await.unwrap_err();

    let message = error.to_string();
    assert!(matches!(error, ImapError::Store { uid: 1, .. }), "{error:?}");
    assert!(message.contains(&folder) && message.contains("127.0.0.1:") && message.contains("UID 1"), "{message}");
    assert_eq!(flags(&mut admin, &folder).await, vec![(1, Vec::new())], "not flagged, not even \\Seen");
    assert_eq!(documents_len(&store).await, 1, "the X12 part was committed (the raw message as a blob)");

    sqlx::query("DROP TRIGGER refuse_csv").execute(&database).await.unwrap();
    let pass = poll(&config(&folder), &store, "acme", now()).await.unwrap();
    assert_eq!((pass.messages, pass.stored, pass.duplicates), (1, 1, 1), "{pass:?}");
    assert_eq!(documents_len(&store).await, 2);
    let stored = vec!["\\Seen".to_owned(), STORED_KEYWORD.to_owned()];
    assert_eq!(flags(&mut admin, &folder).await, vec![(1, stored)]);
    admin.delete(&folder).await.unwrap();
}

#[tokio::test]
async fn tls_and_starttls_log_in_with_the_ca_file_and_refuse_without_it() {
    let mut admin = admin().await;
    let folder = unique_folder("tls");
    create_with(&mut admin, &folder, &[plain_text_order()]).await;
    let ca_file = Some(dovecot_dir().join("cert.pem"));
    let tls = MailboxConfig { port: tls_port(), security: Security::Tls, ca_file: ca_file.clone(), ..config(&folder) };
    let starttls = MailboxConfig { security: Security::Starttls, ca_file, ..config(&folder) };

    assert_eq!(probe(&tls).await.unwrap(), 1);
    assert_eq!(probe(&starttls).await.unwrap(), 1);
    let (_dir, store) = open_store().await;
    assert_eq!(poll(&tls, &store, "acme", now()).await.unwrap().messages, 1);

    let untrusted = MailboxConfig { ca_file: None, ..tls };
    let error = probe(&untrusted).await.unwrap_err();
    assert!(matches!(error, ImapError::Tls { .. }), "Mozilla's roots do not know the test certificate: {error:?}");
    admin.delete(&folder).await.unwrap();
}

#[tokio::test]
async fn a_wrong_password_is_a_clear_error() {
    server();
    let config = MailboxConfig { password: "wrong".to_owned(), ..config("INBOX") };

    let error = probe(&config).await.unwrap_err();

    let message = error.to_string();
    assert!(matches!(error, ImapError::Login { .. }), "{error:?}");
    assert!(message.contains(&format!("127.0.0.1:{}", port())) && message.contains("orders"), "{message}");
    assert!(!message.contains("wrong"), "the password is not echoed: {message}");
}

#[tokio::test]
async fn a_missing_folder_and_a_closed_port_name_what_failed() {
    server();
    let missing = unique_folder("missing");
    let error = probe(&config(&missing)).await.unwrap_err();
    assert!(error.to_string().contains(&missing), "{error}");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let error = probe(&MailboxConfig { port: closed_port, ..config("INBOX") }).await.unwrap_err();
    assert!(matches!(error, ImapError::Connect { .. }), "{error:?}");
    assert!(error.to_string().contains(&format!("127.0.0.1:{closed_port}")), "{error}");
}
