//! prodline.toml end to end: the `init` scaffold loads and checks clean;
//! mistakes are all reported at once, each naming its key; probes fail
//! naming what is wrong.

use std::path::{Path, PathBuf};

use prodline_config::{
    CONFIG_FILE, Config, ConfigErrors, DecisionPolicy, InitError, SourceConfig, TargetConfig, check, init,
};
use rust_decimal::Decimal;

/// A scaffolded deployment in a fresh temporary folder.
async fn scaffold() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let deploy = dir.path().join("deploy");
    init(&deploy).await.expect("init succeeds into a new folder");
    (dir, deploy)
}

fn rewrite(config: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(config).expect("config readable");
    assert!(text.contains(from), "scaffold has no {from:?}");
    std::fs::write(config, text.replacen(from, to, 1)).expect("config writable");
}

fn load_errors(path: &Path) -> ConfigErrors {
    match Config::load(path) {
        Ok(config) => panic!("expected errors, loaded {config:?}"),
        Err(errors) => errors,
    }
}

#[tokio::test]
async fn init_scaffold_loads_and_every_probe_passes() {
    let (_dir, deploy) = scaffold().await;
    for file in ["prodline.toml", "master/customers.csv", "master/prices.csv", "inbox", "erp.sqlite"] {
        assert!(deploy.join(file).exists(), "init did not write {file}");
    }
    let config = Config::load(&deploy.join(CONFIG_FILE)).unwrap_or_else(|errors| panic!("{errors}"));
    let workflow = &config.workflow[..];
    assert_eq!(workflow.len(), 1);
    assert_eq!(workflow[0].name, "example_orders");
    assert_eq!(workflow[0].master, deploy.join("master"), "relative paths resolve against the config folder");
    assert_eq!(workflow[0].decision.policy, DecisionPolicy::Shadow);
    assert_eq!(workflow[0].decision.decision_config().price_tolerance, Decimal::new(2, 2));
    assert!(matches!(&workflow[0].sources[..], [SourceConfig::Folder { path, .. }] if *path == deploy.join("inbox")));
    assert!(matches!(workflow[0].target, TargetConfig::Sql(_)));

    let report = check(&config).await;
    assert!(report.is_ok(), "{report}");
    let keys: Vec<&str> = report.probes.iter().map(|probe| probe.key.as_str()).collect();
    assert_eq!(keys, ["store", "workflow[0].master", "workflow[0].sources[0]", "workflow[0].target"]);
    assert!(report.probes[1].message.contains("2 customers"), "{report}");
    let leftovers: Vec<_> = std::fs::read_dir(deploy.join("inbox")).expect("inbox").collect();
    assert!(leftovers.is_empty(), "the folder probe left a file behind");
}

#[tokio::test]
async fn init_refuses_a_folder_that_is_not_empty() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("notes.txt"), "mine").expect("write");
    let error = init(dir.path()).await.err();
    assert!(matches!(error, Some(InitError::NotEmpty { .. })), "{error:?}");
    assert!(error.map(|error| error.to_string()).unwrap_or_default().contains("not empty"));
}

const MANY_MISTAKES: &str = r#"
[store]
type = "sqlite"
path = "state.sqlite"

[[workflow]]
name = "acme"
master = "no_such_folder"

[[workflow.sources]]
type = "imap"
host = "imap.example.com"
user = "orders"
password = "hunter2"
password_env = "ACME_IMAP_PASSWORD"

[workflow.target]
type = "kafka"

[[workflow]]
name = "acme"
owner = { name = "Desk", email = "desk@example.com" }
master = "master"

[[workflow.sources]]
type = "folder"
path = "inbox"

[workflow.decision]
policy = "sometimes"

[workflow.target]
type = "sql"
url = "sqlite:erp.sqlite"
header_table = "SO_HDR"
lines_table = "SO_LIN"
header_key = { generated = "so_id" }

[workflow.target.header]
cust_po_2 = "customer_pox"
"#;

#[tokio::test]
async fn every_mistake_is_reported_at_once_naming_its_key() {
    let (_dir, deploy) = scaffold().await;
    let path = deploy.join("broken.toml");
    std::fs::write(&path, MANY_MISTAKES).expect("write");
    let errors = load_errors(&path);
    let text = errors.to_string();
    for key in [
        "workflow[0].owner",
        "workflow[0].master",
        "workflow[0].sources[0].password",
        "workflow[0].target.type",
        "workflow[1].name",
        "workflow[1].decision",
        "workflow[1].target.header.cust_po_2",
    ] {
        assert!(errors.mentions(key), "no error names {key}:\n{text}");
    }
    assert!(text.contains("password_env"), "the inline password error says what to use:\n{text}");
    assert!(text.contains("unknown target type \"kafka\""), "{text}");
    assert!(text.contains("already the name of another workflow"), "{text}");
    assert!(text.contains("unknown field \"customer_pox\""), "{text}");
    assert!(text.contains("no_such_folder is not a folder"), "{text}");
}

#[test]
fn a_syntax_error_names_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(CONFIG_FILE);
    std::fs::write(&path, "[store]\ntype = \"sqlite\"\npath = prodline.sqlite\n").expect("write");
    let errors = load_errors(&path);
    let [error] = &errors.errors[..] else { panic!("expected one syntax error: {errors}") };
    assert_eq!(error.position.map(|(line, _)| line), Some(3), "{errors}");
    assert_eq!(error.key, "path");
    assert!(errors.to_string().contains("line 3, column"), "{errors}");
}

#[tokio::test]
async fn an_inline_database_password_is_refused() {
    let (_dir, deploy) = scaffold().await;
    let path = deploy.join(CONFIG_FILE);
    rewrite(&path, "url = \"sqlite:erp.sqlite\"", "url = \"postgres://erp:secret@db/erp\"");
    let errors = load_errors(&path);
    assert!(errors.mentions("workflow[0].target.url"), "{errors}");
    assert!(errors.to_string().contains("url_env"), "{errors}");
}

#[tokio::test]
async fn decision_settings_take_fractional_percentages() {
    let (_dir, deploy) = scaffold().await;
    let path = deploy.join(CONFIG_FILE);
    rewrite(&path, "price_tolerance_percent = 2 ", "price_tolerance_percent = 2.5 ");
    let config = Config::load(&path).unwrap_or_else(|errors| panic!("{errors}"));
    let decision = config.workflow[0].decision.decision_config();
    assert_eq!(decision.price_tolerance, Decimal::new(25, 3));
    assert_eq!(decision.qty_outlier_factor, Decimal::TEN);
}

#[tokio::test]
async fn check_names_a_mapped_column_the_erp_lacks() {
    let (_dir, deploy) = scaffold().await;
    let path = deploy.join(CONFIG_FILE);
    rewrite(&path, "src_cd = { const = \"EDI\" }", "src_cd = { const = \"EDI\" }\ncurr_cd = \"currency\"");
    let config = Config::load(&path).unwrap_or_else(|errors| panic!("{errors}"));
    let report = check(&config).await;
    assert!(!report.is_ok());
    let failed: Vec<_> = report.failures().collect();
    assert_eq!(failed.len(), 1, "{report}");
    assert_eq!(failed[0].key, "workflow[0].target");
    assert!(failed[0].message.contains("workflow[0].target.header.curr_cd"), "{report}");
    assert!(failed[0].message.contains("no column curr_cd"), "{report}");
}

#[tokio::test]
async fn check_fails_an_unreachable_imap_host() {
    let (_dir, deploy) = scaffold().await;
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("free port");
    let imap = format!(
        "[[workflow.sources]]\ntype = \"imap\"\nhost = \"127.0.0.1\"\nport = {port}\nuser = \"orders\"\n\
         password_env = \"PRODLINE_TEST_IMAP_PASSWORD\"\n\n[workflow.extractor]"
    );
    let path = deploy.join(CONFIG_FILE);
    rewrite(&path, "[workflow.extractor]", &imap);
    let config = Config::load(&path).unwrap_or_else(|errors| panic!("{errors}"));
    let report = check(&config).await;
    let failed: Vec<_> = report.failures().collect();
    assert_eq!(failed.len(), 1, "{report}");
    assert_eq!(failed[0].key, "workflow[0].sources[1]");
    assert!(failed[0].message.contains(&format!("cannot connect to 127.0.0.1:{port}")), "{report}");
}

#[tokio::test]
async fn check_fails_a_file_drop_folder_that_does_not_exist() {
    let (_dir, deploy) = scaffold().await;
    let path = deploy.join(CONFIG_FILE);
    let text = std::fs::read_to_string(&path).expect("read");
    let Some(start) = text.find("[workflow.target]") else { panic!("scaffold has a target") };
    let cut = text.get(..start).unwrap_or_default();
    std::fs::write(
        &path,
        format!("{cut}[workflow.target]\ntype = \"file_drop\"\npath = \"outbox\"\nformat = \"csv\"\n"),
    )
    .expect("write");
    let config = Config::load(&path).unwrap_or_else(|errors| panic!("{errors}"));
    let report = check(&config).await;
    let failed: Vec<_> = report.failures().collect();
    assert_eq!(failed.len(), 1, "{report}");
    assert!(failed[0].message.contains("outbox is not a folder"), "{report}");
    std::fs::create_dir(deploy.join("outbox")).expect("mkdir");
    assert!(check(&config).await.is_ok());
}

#[test]
fn a_missing_file_is_one_error_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let errors = load_errors(&dir.path().join("absent.toml"));
    assert_eq!(errors.errors.len(), 1);
    assert!(errors.to_string().contains("absent.toml: 1 error\n  cannot read"), "{errors}");
}

/// The scaffold with its `[workflow.target]` (and the mapping tables after it) replaced by `tail`.
async fn scaffold_with_target(tail: &str) -> (tempfile::TempDir, PathBuf) {
    let (dir, deploy) = scaffold().await;
    let path = deploy.join(CONFIG_FILE);
    let text = std::fs::read_to_string(&path).expect("read");
    let Some(start) = text.rfind("\n[workflow.target]\n") else { panic!("scaffold has a target") };
    std::fs::write(&path, format!("{}\n{tail}", &text[..start])).expect("write");
    (dir, path)
}

#[tokio::test]
async fn a_tryton_target_loads_with_its_password_file_beside_the_config() {
    let tail = "[workflow.target]\ntype = \"tryton\"\nurl = \"http://127.0.0.1:1\"\ndatabase = \"erp\"\n\
                user = \"admin\"\npassword_env = \"secrets/tryton.password\"\ncompany = \"Northwind\"\n";
    let (_dir, path) = scaffold_with_target(tail).await;
    let config = Config::load(&path).unwrap_or_else(|errors| panic!("{errors}"));
    let TargetConfig::Tryton(tryton) = &config.workflow[0].target else { panic!("a tryton target") };
    let folder = path.parent().expect("folder");
    assert_eq!(tryton.password_env, folder.join("secrets/tryton.password").display().to_string());
    assert_eq!(tryton.timeout_seconds, 30);
    assert_eq!(config.workflow[0].target.kind(), "tryton");
    // check logs in: nothing listens on port 1, and the password file is missing.
    let report = check(&config).await;
    let failed: Vec<_> = report.failures().collect();
    assert_eq!(failed.len(), 1, "{report}");
    assert_eq!(failed[0].key, "workflow[0].target");
    assert!(failed[0].message.contains("password_env"), "{report}");
}

#[tokio::test]
async fn tryton_target_mistakes_are_named_by_key() {
    let tail = "[workflow.target]\ntype = \"tryton\"\nurl = \"https://erp.example\"\ndatabase = \"\"\n\
                user = \"admin\"\npassword_env = \"tryton pw\"\npassword = \"hunter2\"\ncompany = \"N\"\n\
                timeout_seconds = 0\n";
    let (_dir, path) = scaffold_with_target(tail).await;
    let errors = load_errors(&path);
    for key in [
        "workflow[0].target.password",
        "workflow[0].target.password_env",
        "workflow[0].target.url",
        "workflow[0].target.database",
        "workflow[0].target.timeout_seconds",
    ] {
        assert!(errors.errors.iter().any(|error| error.key == key), "no error for {key}: {errors}");
    }
    assert!(!errors.to_string().contains("hunter2"), "{errors}");
}

#[tokio::test]
async fn a_file_drop_target_loads_as_connects_file_drop_config_json_by_default() {
    let (_dir, path) = scaffold_with_target("[workflow.target]\ntype = \"file_drop\"\npath = \"drop\"\n").await;
    let config = Config::load(&path).unwrap_or_else(|errors| panic!("{errors}"));
    let TargetConfig::FileDrop(drop) = &config.workflow[0].target else { panic!("a file-drop target") };
    let expected = prodline_config::FileDropConfig {
        path: path.parent().expect("folder").join("drop"),
        format: prodline_config::FileDropFormat::Json,
    };
    assert_eq!(drop, &expected);
}

#[tokio::test]
async fn acknowledgements_load_with_defaults_and_mistakes_are_named_by_key() {
    let (_dir, deploy) = scaffold().await;
    let path = deploy.join(CONFIG_FILE);
    let text = std::fs::read_to_string(&path).expect("read");
    let good = format!("{text}\n[workflow.acknowledgements]\noutbound = \"outbound\"\nsender_id = \"NORTHWIND\"\n");
    std::fs::write(&path, good).expect("write");
    let config = Config::load(&path).unwrap_or_else(|errors| panic!("{errors}"));
    let acknowledgements = config.workflow[0].acknowledgements.clone().expect("acknowledgements");
    assert_eq!(acknowledgements.outbound, deploy.join("outbound"));
    assert_eq!((acknowledgements.sender_qualifier.as_str(), acknowledgements.send_997), ("ZZ", true));
    assert!(acknowledgements.send_855);
    let report = check(&config).await;
    assert!(report.is_ok(), "{report}");
    assert!(report.probes.iter().any(|probe| probe.key == "workflow[0].acknowledgements.outbound"), "{report}");

    let bad = format!(
        "{text}\n[workflow.acknowledgements]\noutbound = \"outbound\"\nsender_id = \"A-NAME-LONGER-THAN-15\"\n\
         sender_qualifier = \"Z\"\n"
    );
    std::fs::write(&path, bad).expect("write");
    let errors = load_errors(&path);
    assert!(errors.errors.iter().any(|e| e.key == "workflow[0].acknowledgements.sender_id"), "{errors}");
    assert!(errors.errors.iter().any(|e| e.key == "workflow[0].acknowledgements.sender_qualifier"), "{errors}");
}

/// Starts the test Dovecot (scripts/dovecot.sh: user `orders` on 127.0.0.1:10143).
fn dovecot() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/dovecot.sh");
    let output = std::process::Command::new("bash").arg(&script).arg("start").output().expect("run scripts/dovecot.sh");
    assert!(
        output.status.success(),
        "scripts/dovecot.sh start failed (it installs and runs the test Dovecot):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn an_imap_source_defaults_to_tls_and_names_a_missing_ca_file() {
    let (_dir, deploy) = scaffold().await;
    let path = deploy.join(CONFIG_FILE);
    let imap = "[[workflow.sources]]\ntype = \"imap\"\nhost = \"imap.example.com\"\nuser = \"orders\"\n\
                password_env = \"HOME\"\n\n[workflow.extractor]";
    rewrite(&path, "[workflow.extractor]", imap);
    let config = Config::load(&path).unwrap_or_else(|errors| panic!("{errors}"));
    let mailbox = config.workflow[0].sources[1].mailbox().expect("an imap source").expect("HOME is set");
    assert_eq!((mailbox.port, mailbox.security), (993, prodline_imap::Security::Tls));
    assert_eq!((mailbox.folder.as_str(), mailbox.processed_folder), ("INBOX", None));

    rewrite(
        &path,
        "password_env = \"HOME\"",
        "password_env = \"HOME\"\nca_file = \"no-such.pem\"\nprocessed_folder = \"INBOX\"",
    );
    let errors = load_errors(&path);
    assert!(errors.mentions("workflow[0].sources[1].ca_file"), "{errors}");
    assert!(errors.mentions("workflow[0].sources[1].processed_folder"), "{errors}");
}

/// `check` logs in for real: a password the server refuses fails the probe.
#[tokio::test]
async fn check_logs_in_to_the_mailbox() {
    dovecot();
    let (_dir, deploy) = scaffold().await;
    let path = deploy.join(CONFIG_FILE);
    // HOME is set everywhere and is not the test password.
    let imap = "[[workflow.sources]]\ntype = \"imap\"\nhost = \"127.0.0.1\"\nport = 10143\nsecurity = \"plain\"\n\
                user = \"orders\"\npassword_env = \"HOME\"\n\n[workflow.extractor]";
    rewrite(&path, "[workflow.extractor]", imap);
    let config = Config::load(&path).unwrap_or_else(|errors| panic!("{errors}"));
    let report = check(&config).await;
    let failed: Vec<_> = report.failures().collect();
    assert_eq!(failed.len(), 1, "{report}");
    assert_eq!(failed[0].key, "workflow[0].sources[1]");
    assert!(failed[0].message.contains("127.0.0.1:10143: login as orders refused"), "{report}");
}

const BUILTIN: &str = "[workflow.extractor]\ntype = \"builtin\"";

#[tokio::test]
async fn model_extractors_load_with_defaults_and_the_scan_settings_with_them() {
    use prodline_config::ExtractorConfig;
    let (_dir, deploy) = scaffold().await;
    let path = deploy.join(CONFIG_FILE);
    rewrite(
        &path,
        BUILTIN,
        "[workflow.extractor]\ntype = \"command\"\nprogram = \"pilots/read.py\"\nargs = [\"--strict\"]",
    );
    rewrite(
        &path,
        "qty_outlier_factor = 10 ",
        "ocr_min_confidence = 70\nscan_auto_threshold = 0.97\nqty_outlier_factor = 10 ",
    );
    let config = Config::load(&path).unwrap_or_else(|errors| panic!("{errors}"));
    let expected = ExtractorConfig::Command {
        program: deploy.join("pilots/read.py"),
        args: vec!["--strict".to_owned()],
        timeout_seconds: 30,
    };
    assert_eq!(config.workflow[0].extractor, expected, "a relative program path resolves against the config folder");
    let decision = config.workflow[0].decision.decision_config();
    assert_eq!((decision.ocr_min_confidence, decision.scan_auto_threshold), (70.0, 0.97));

    let (_dir, deploy) = scaffold().await;
    let path = deploy.join(CONFIG_FILE);
    let openai = "[workflow.extractor]\ntype = \"openai\"\nbase_url = \"http://127.0.0.1:11434/v1\"\nmodel = \"llama3.1:8b\"\n\
                  prompt_price_per_million = 0.15";
    rewrite(&path, BUILTIN, openai);
    let config = Config::load(&path).unwrap_or_else(|errors| panic!("{errors}"));
    let ExtractorConfig::Openai { api_key_env, timeout_seconds, retries, prompt_price_per_million, .. } =
        &config.workflow[0].extractor
    else {
        panic!("an openai extractor: {:?}", config.workflow[0].extractor)
    };
    assert_eq!((api_key_env.as_deref(), *timeout_seconds, *retries), (None, 60, 2), "a local server needs no key");
    assert_eq!(*prompt_price_per_million, Decimal::new(15, 2));
}

#[tokio::test]
async fn model_extractor_mistakes_are_named_by_key() {
    let (_dir, deploy) = scaffold().await;
    let path = deploy.join(CONFIG_FILE);
    let openai = "[workflow.extractor]\ntype = \"openai\"\nbase_url = \"https://api.example.com/v1\"\nmodel = \"\"\n\
                  api_key_env = \"PRODLINE_TEST_NO_SUCH_KEY\"\ntimeout_seconds = 0\ncompletion_price_per_million = -1";
    rewrite(&path, BUILTIN, openai);
    rewrite(
        &path,
        "qty_outlier_factor = 10 ",
        "ocr_min_confidence = 180\nscan_auto_threshold = 2\nqty_outlier_factor = 10 ",
    );
    let errors = load_errors(&path);
    let text = errors.to_string();
    for key in [
        "workflow[0].extractor.base_url",
        "workflow[0].extractor.model",
        "workflow[0].extractor.api_key_env",
        "workflow[0].extractor.timeout_seconds",
        "workflow[0].extractor.completion_price_per_million",
        "workflow[0].decision.ocr_min_confidence",
        "workflow[0].decision.scan_auto_threshold",
    ] {
        assert!(errors.mentions(key), "no error names {key}:\n{text}");
    }
    assert!(text.contains("PRODLINE_TEST_NO_SUCH_KEY is not set"), "{text}");
    assert!(text.contains("https is not supported yet"), "{text}");

    let (_dir, deploy) = scaffold().await;
    let path = deploy.join(CONFIG_FILE);
    rewrite(
        &path,
        BUILTIN,
        "[workflow.extractor]\ntype = \"openai\"\nbase_url = \"http://h/v1\"\nmodel = \"m\"\napi_key = \"sk-123\"",
    );
    let errors = load_errors(&path);
    assert!(errors.mentions("workflow[0].extractor.api_key"), "an inline key is refused: {errors}");
    assert!(errors.to_string().contains("api_key_env"), "{errors}");
}

#[tokio::test]
async fn check_finds_a_command_extractors_program_and_names_a_missing_one() {
    let (_dir, deploy) = scaffold().await;
    let path = deploy.join(CONFIG_FILE);
    rewrite(&path, BUILTIN, "[workflow.extractor]\ntype = \"command\"\nprogram = \"sh\"");
    let config = Config::load(&path).unwrap_or_else(|errors| panic!("{errors}"));
    let report = check(&config).await;
    let probe = report.probes.iter().find(|p| p.key == "workflow[0].extractor");
    assert!(probe.is_some_and(|p| p.ok && p.message.contains("command sh found")), "{report}");

    let (_dir, deploy) = scaffold().await;
    let path = deploy.join(CONFIG_FILE);
    rewrite(&path, BUILTIN, "[workflow.extractor]\ntype = \"command\"\nprogram = \"pilots/missing.py\"");
    let config = Config::load(&path).unwrap_or_else(|errors| panic!("{errors}"));
    let report = check(&config).await;
    let probe = report.probes.iter().find(|p| p.key == "workflow[0].extractor");
    assert!(probe.is_some_and(|p| !p.ok && p.message.contains("missing.py not found")), "{report}");
}
