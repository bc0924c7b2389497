//! `prodline check`: probes every source, target and master-data folder the way
//! the real operation would touch it, without leaving anything behind.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use prodline_connect::tryton::{TrytonTarget, TrytonTargetConfig};
use prodline_connect::{BuildError, HealthcheckError, MissingObject, SqlTarget, SqlTargetConfig};
use prodline_extract::MasterData;

use crate::model::{Config, ExtractorConfig, SourceConfig, StoreConfig, TargetConfig, WorkflowConfig};

/// How long an IMAP server may take to accept a TCP connection when there is no password to log in with.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The outcome of one probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// The config key probed, e.g. `workflow[0].sources[1]`.
    pub key: String,
    pub ok: bool,
    pub message: String,
}

/// Every probe of a config, in config order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    pub probes: Vec<Probe>,
}

impl CheckReport {
    pub fn is_ok(&self) -> bool {
        self.probes.iter().all(|probe| probe.ok)
    }

    pub fn failures(&self) -> impl Iterator<Item = &Probe> {
        self.probes.iter().filter(|probe| !probe.ok)
    }

    fn record(&mut self, key: String, result: Result<String, String>) {
        let (ok, message) = match result {
            Ok(message) => (true, message),
            Err(message) => (false, message),
        };
        self.probes.push(Probe { key, ok, message });
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for probe in &self.probes {
            let status = if probe.ok { "ok    " } else { "FAILED" };
            writeln!(f, "{status} {}: {}", probe.key, probe.message)?;
        }
        let failed = self.failures().count();
        write!(f, "{} probes, {failed} failed", self.probes.len())
    }
}

/// Probes the store, then each workflow's master data, sources and target.
pub async fn check(config: &Config) -> CheckReport {
    let mut report = CheckReport::default();
    report.record("store".to_owned(), probe_store(&config.store));
    for (index, workflow) in config.workflow.iter().enumerate() {
        check_workflow(&mut report, &format!("workflow[{index}]"), workflow).await;
    }
    report
}

async fn check_workflow(report: &mut CheckReport, prefix: &str, workflow: &WorkflowConfig) {
    report.record(format!("{prefix}.master"), probe_master(&workflow.master));
    for (index, source) in workflow.sources.iter().enumerate() {
        let key = format!("{prefix}.sources[{index}]");
        let result = probe_source(source).await;
        report.record(key, result);
    }
    if workflow.extractor != ExtractorConfig::Builtin {
        report.record(format!("{prefix}.extractor"), probe_extractor(&workflow.extractor).await);
    }
    let key = format!("{prefix}.target");
    let result = match &workflow.target {
        TargetConfig::Sql(sql) => probe_sql(&key, sql).await,
        TargetConfig::Tryton(tryton) => probe_tryton(tryton).await,
        TargetConfig::FileDrop(drop) => {
            probe_folder(&drop.path).map(|()| format!("{} is writable", drop.path.display()))
        }
    };
    report.record(key, result);
    if let Some(acknowledgements) = &workflow.acknowledgements {
        let outbound = &acknowledgements.outbound;
        let result = if outbound.exists() {
            probe_folder(outbound).map(|()| format!("outbound folder {} is writable", outbound.display()))
        } else {
            // `run` creates it; what must hold now is that it can.
            let parent = outbound.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            probe_folder(parent).map(|()| format!("outbound folder {} will be created by run", outbound.display()))
        };
        report.record(format!("{prefix}.acknowledgements.outbound"), result);
    }
}

/// A command's program can be found; an endpoint's host accepts a TCP
/// connection. No document is sent: a model call costs money.
async fn probe_extractor(extractor: &ExtractorConfig) -> Result<String, String> {
    match extractor {
        ExtractorConfig::Builtin => Ok("the built-in extractor".to_owned()),
        ExtractorConfig::Command { program, .. } => find_program(program)
            .map(|found| format!("command {} found at {}", program.display(), found.display()))
            .ok_or_else(|| format!("program {} not found (not a file, not on PATH)", program.display())),
        ExtractorConfig::Openai { base_url, model, .. } => {
            let authority = base_url.trim_start_matches("http://").split('/').next().unwrap_or_default();
            let address = if authority.contains(':') { authority.to_owned() } else { format!("{authority}:80") };
            match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(&address)).await {
                Ok(Ok(_)) => Ok(format!("{base_url} accepts connections (model {model}; no request sent)")),
                Ok(Err(error)) => Err(format!("{base_url}: cannot connect to {address}: {error}")),
                Err(_) => Err(format!("{base_url}: {address} did not answer within {} s", CONNECT_TIMEOUT.as_secs())),
            }
        }
    }
}

/// A path with a folder in it as it is; a bare name on `PATH`.
fn find_program(program: &Path) -> Option<std::path::PathBuf> {
    if program.components().count() > 1 {
        return program.is_file().then(|| program.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|candidate| candidate.is_file())
}

/// Logs in, finds the company and reads each model a delivery uses; writes nothing.
async fn probe_tryton(config: &TrytonTargetConfig) -> Result<String, String> {
    let target = TrytonTarget::build(config).map_err(|error| error.to_string())?;
    target.healthcheck().await.map_err(|error| error.to_string())?;
    Ok(format!(
        "{} database {} reachable; user {} logged in; company {:?} and the sale, party and product models found",
        config.url, config.database, config.user, config.company
    ))
}

fn probe_store(store: &StoreConfig) -> Result<String, String> {
    match store {
        StoreConfig::Sqlite { path } => {
            let folder = path.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new("."));
            probe_folder(folder).map(|()| format!("sqlite store {} can be created or opened", path.display()))
        }
        StoreConfig::Postgres { url_env } => match std::env::var(url_env) {
            Ok(_) => Ok(format!("{url_env} is set (connection not tried by check)")),
            Err(_) => Err(format!("environment variable {url_env} is not set")),
        },
    }
}

fn probe_master(folder: &Path) -> Result<String, String> {
    let master = MasterData::load_dir(folder).map_err(|error| error.to_string())?;
    Ok(format!(
        "{} customers, {} ship-tos, {} items, {} customer items, {} prices",
        master.customers.len(),
        master.ship_tos.len(),
        master.items.len(),
        master.customer_items.len(),
        master.prices.len()
    ))
}

async fn probe_source(source: &SourceConfig) -> Result<String, String> {
    match source {
        SourceConfig::Folder { path, .. } => {
            probe_folder(path).map(|()| format!("folder {} is readable and writable", path.display()))
        }
        SourceConfig::Imap { .. } => probe_imap(source).await,
        SourceConfig::Http { listen } => match std::net::TcpListener::bind(listen.as_str()) {
            Ok(_) => Ok(format!("{listen} can be bound")),
            Err(error) => Err(format!("cannot bind {listen}: {error}")),
        },
    }
}

/// Lists the folder and writes then removes a probe file: what intake and file drops do.
fn probe_folder(folder: &Path) -> Result<(), String> {
    if !folder.is_dir() {
        return Err(format!("{} is not a folder", folder.display()));
    }
    std::fs::read_dir(folder).map_err(|error| format!("{} is not readable: {error}", folder.display()))?;
    let probe = folder.join(format!(".prodline-check-{}", std::process::id()));
    std::fs::write(&probe, b"probe").map_err(|error| format!("{} is not writable: {error}", folder.display()))?;
    std::fs::remove_file(&probe).map_err(|error| format!("cannot remove probe file {}: {error}", probe.display()))
}

/// Logs in and examines the folder (read-only): what a poll does, minus taking mail.
async fn probe_imap(source: &SourceConfig) -> Result<String, String> {
    let Some(mailbox) = source.mailbox() else { return Err("not an IMAP source".to_owned()) };
    let mailbox = match mailbox {
        Ok(mailbox) => mailbox,
        Err(missing) => return probe_reachable(source, &missing).await,
    };
    let messages = prodline_imap::probe(&mailbox).await.map_err(|error| error.to_string())?;
    Ok(format!(
        "logged in to {} ({}) as {}; folder {} holds {messages} messages",
        mailbox.address(),
        mailbox.security,
        mailbox.user,
        mailbox.folder
    ))
}

/// Without the password, at least whether the server accepts a connection.
async fn probe_reachable(source: &SourceConfig, missing: &str) -> Result<String, String> {
    let SourceConfig::Imap { host, port, security, .. } = source else { return Err(missing.to_owned()) };
    let address = format!("{host}:{}", port.unwrap_or_else(|| security.default_port()));
    match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(address.as_str())).await {
        Err(_) => Err(format!("{address} did not answer within {} seconds", CONNECT_TIMEOUT.as_secs())),
        Ok(Err(error)) => Err(format!("cannot connect to {address}: {error}")),
        Ok(Ok(_)) => Err(format!("{address} reachable, but {missing}: cannot log in")),
    }
}

/// Connects, checks every mapped table and column, and closes. Note that
/// `SqlTarget::build` creates the deliveries table when missing.
async fn probe_sql(key: &str, config: &SqlTargetConfig) -> Result<String, String> {
    let target = SqlTarget::build(config).await.map_err(|error| match error {
        BuildError::Schema(missing) => health_message(key, &missing),
        other => other.to_string(),
    })?;
    let health = target.healthcheck().await;
    target.close().await;
    health.map_err(|error| health_message(key, &error))?;
    Ok(format!(
        "{} reachable; tables {} and {} and every mapped column exist",
        config.url.redacted(),
        config.header_table,
        config.lines_table
    ))
}

/// The healthcheck's findings, with keys placed under this workflow's target.
fn health_message(key: &str, error: &HealthcheckError) -> String {
    let HealthcheckError::Missing(missing) = error else {
        return error.to_string();
    };
    let findings: Vec<String> = missing
        .iter()
        .map(|object| match object {
            MissingObject::Table { table } => format!("table {table} does not exist"),
            MissingObject::Column { table, column, key: column_key } => {
                let rest = column_key.strip_prefix("target").unwrap_or(column_key);
                format!("{key}{rest}: table {table} has no column {column}")
            }
        })
        .collect();
    findings.join("; ")
}
