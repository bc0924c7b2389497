//! The shape of `prodline.toml` after loading: paths resolved against the
//! config file's folder, secrets resolved from the environment.

use std::fmt;
use std::path::PathBuf;

use prodline_connect::SqlTargetConfig;
pub use prodline_connect::file_drop::{FileDropConfig, FileDropFormat};
use prodline_connect::tryton::TrytonTargetConfig;
use prodline_extract::DecisionConfig;
use prodline_imap::{MailboxConfig, Security};
use rust_decimal::Decimal;
use serde::Deserialize;

/// One deployment: where prodline keeps its own state, and one workflow per agent.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was loaded from.
    pub path: PathBuf,
    pub store: StoreConfig,
    /// `[calendar]`: the plant's working days and hours (feed liveness,
    /// month boundaries); whole weekdays in UTC when absent.
    pub calendar: prodline_monitor::liveness::Calendar,
    /// `[server]`: the web UI (`prodline serve`, `prodline run --serve`).
    pub server: ServerSettings,
    pub workflow: Vec<WorkflowConfig>,
}

/// `[server]`: where the web UI listens and how long a login lasts.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// The address of the web UI and its API, e.g. `127.0.0.1:8080`.
    pub listen: String,
    /// How long a login session lasts, in hours (1 to 720).
    pub session_hours: u32,
    /// A folder of reports `prodline eval --html` and `prodline audit --html`
    /// wrote, listed on the reports page (relative to the config file).
    pub reports: Option<PathBuf>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self { listen: "127.0.0.1:8080".to_owned(), session_hours: 12, reports: None }
    }
}

/// prodline's own database (documents, decisions, outbox).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum StoreConfig {
    Sqlite {
        path: PathBuf,
    },
    /// The URL, password included, is read from this environment variable.
    Postgres {
        url_env: String,
    },
}

/// One agent: where its orders come from, how they are decided, where they go.
#[derive(Debug, Clone)]
pub struct WorkflowConfig {
    pub name: String,
    pub owner: Owner,
    pub sources: Vec<SourceConfig>,
    pub extractor: ExtractorConfig,
    /// Folder holding the SPEC §2 master-data CSVs.
    pub master: PathBuf,
    pub decision: DecisionSettings,
    pub target: TargetConfig,
    /// `[workflow.acknowledgements]`: X12 997/855 sent back; `None` sends nothing.
    pub acknowledgements: Option<AcknowledgementsConfig>,
    /// How the workflow is watched: SLO, drift, feed liveness, budget, KPI, alerts.
    pub watch: WatchSettings,
}

/// The monitoring sections of a workflow.
#[derive(Debug, Clone, Default)]
pub struct WatchSettings {
    /// `[workflow.slo]`; `None`: no accuracy promise (`prodline audit` says so).
    pub slo: Option<crate::watch::SloSettings>,
    /// `[workflow.drift]`; on with its defaults when absent.
    pub drift: crate::watch::DriftSettings,
    /// `[workflow.liveness]`; learned cadences when absent.
    pub liveness: crate::watch::LivenessSettings,
    /// `[workflow.budget]`: the budget line and the rates; `None`: run cost unknown.
    pub budget: Option<prodline_monitor::cost::BudgetConfig>,
    /// `[workflow.kpi]`: the value and whose scorecard it lands on.
    pub kpi: Option<prodline_monitor::kpi::KpiConfig>,
    /// `[[workflow.alert]]`: where the owner is told (e-mail, Slack, Teams, a webhook).
    pub alerts: Vec<prodline_alerts::Channel>,
}

/// The person answerable for a workflow's decisions.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Owner {
    pub name: String,
    pub email: String,
}

/// Where documents arrive.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum SourceConfig {
    /// A watched folder; a file is taken once its size has not changed for `stable_seconds`.
    Folder {
        path: PathBuf,
        #[serde(default = "default_poll_interval_seconds")]
        poll_interval_seconds: u64,
        #[serde(default = "default_stable_seconds")]
        stable_seconds: u64,
    },
    /// A mailbox folder polled over IMAP; the password comes from `password_env`.
    /// Each message is stored with its attachments, then flagged `\Seen
    /// $ProdlineStored` or moved to `processed_folder`.
    Imap {
        host: String,
        /// Unset: 993 for `security = "tls"`, 143 otherwise.
        port: Option<u16>,
        #[serde(default)]
        security: Security,
        user: String,
        password_env: String,
        #[serde(default = "default_imap_folder")]
        folder: String,
        /// Where stored messages are moved (created if missing); unset: they stay, flagged.
        processed_folder: Option<String>,
        /// PEM CA (or self-signed certificate) to trust instead of the public roots.
        ca_file: Option<PathBuf>,
        #[serde(default = "default_poll_interval_seconds")]
        poll_interval_seconds: u64,
    },
    /// An HTTP endpoint documents are POSTed to, e.g. `127.0.0.1:8080`.
    Http { listen: String },
}

fn default_poll_interval_seconds() -> u64 {
    30
}

fn default_stable_seconds() -> u64 {
    2
}

fn default_imap_folder() -> String {
    "INBOX".to_owned()
}

impl SourceConfig {
    /// The mailbox of an IMAP source, with the password read from `password_env`
    /// now (so a rotated secret is picked up on the next poll); `None` for other
    /// kinds, `Err` naming the variable when it is not set.
    pub fn mailbox(&self) -> Option<Result<MailboxConfig, String>> {
        let SourceConfig::Imap { host, port, security, user, password_env, folder, processed_folder, ca_file, .. } =
            self
        else {
            return None;
        };
        let password = match std::env::var(password_env) {
            Ok(password) => password,
            Err(_) => return Some(Err(format!("environment variable {password_env} is not set"))),
        };
        Some(Ok(MailboxConfig {
            host: host.clone(),
            port: port.unwrap_or_else(|| security.default_port()),
            security: *security,
            user: user.clone(),
            password,
            folder: folder.clone(),
            processed_folder: processed_folder.clone(),
            ca_file: ca_file.clone(),
        }))
    }
}

/// What turns a document without a structure of its own (e-mail, PDF,
/// scan, text) into orders. Structured formats (EDI, spreadsheets, UBL) are
/// always read by prodline's readers; a model's orders are resolved,
/// validated and decided like theirs, with the built-in extractor run
/// beside it for agreement.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ExtractorConfig {
    /// The deterministic parsers, text extractor and resolver of prodline-extract.
    #[default]
    Builtin,
    /// An external program: `program args... DOCUMENT_PATH`, the JSON request
    /// on stdin, `{"orders": [...]}` on stdout (see prodline-models).
    Command {
        /// Resolved against the config's folder when it is a relative path
        /// with a `/`; a bare name (`python3`) is looked up on `PATH`.
        program: PathBuf,
        /// Passed as written (relative paths are the working directory's).
        #[serde(default)]
        args: Vec<String>,
        #[serde(default = "default_command_timeout_seconds")]
        timeout_seconds: u64,
    },
    /// An OpenAI-compatible chat-completions endpoint (OpenAI, Ollama, vLLM,
    /// llama.cpp's server).
    Openai {
        /// `http://127.0.0.1:11434/v1`: `/chat/completions` is appended.
        base_url: String,
        model: String,
        /// The variable holding the API key; left out for local servers that need none.
        #[serde(default)]
        api_key_env: Option<String>,
        /// Per attempt.
        #[serde(default = "default_model_timeout_seconds")]
        timeout_seconds: u64,
        /// Attempts after the first on 429, 5xx and time-outs.
        #[serde(default = "default_model_retries")]
        retries: u32,
        /// Money per million prompt tokens (the workflow's budget currency).
        #[serde(default)]
        prompt_price_per_million: Decimal,
        #[serde(default)]
        completion_price_per_million: Decimal,
    },
}

fn default_command_timeout_seconds() -> u64 {
    30
}

fn default_model_timeout_seconds() -> u64 {
    60
}

fn default_model_retries() -> u32 {
    2
}

/// What happens to a decided order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionPolicy {
    /// Orders decided `auto` go straight to the target.
    #[default]
    Auto,
    /// Decide and record, but send everything to review: how a workflow earns trust.
    Shadow,
    /// Every order goes to review; decisions are not even proposed as auto.
    ReviewAll,
}

impl fmt::Display for DecisionPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DecisionPolicy::Auto => "auto",
            DecisionPolicy::Shadow => "shadow",
            DecisionPolicy::ReviewAll => "review_all",
        })
    }
}

/// The `[workflow.decision]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionSettings {
    #[serde(default)]
    pub policy: DecisionPolicy,
    /// Confidence (0 to 1) at or above which a clean order may be auto-approved.
    #[serde(default = "default_auto_threshold")]
    pub auto_threshold: f64,
    /// Stated price may differ from the contract price by this many percent.
    #[serde(default = "default_price_tolerance_percent")]
    pub price_tolerance_percent: Decimal,
    /// A quantity this many times the customer's usual is an outlier.
    #[serde(default = "default_qty_outlier_factor")]
    pub qty_outlier_factor: Decimal,
    /// OCR's mean word confidence (0 to 100) below which a scan goes to review.
    #[serde(default = "default_ocr_min_confidence")]
    pub ocr_min_confidence: f64,
    /// The auto-approve threshold of scans and photos (stricter than `auto_threshold`).
    #[serde(default = "default_scan_auto_threshold")]
    pub scan_auto_threshold: f64,
    /// Share (0 to 1) of the documents that would go straight to the ERP
    /// that are sent to review as `audit` instead: the only unbiased labels of
    /// auto-approve accuracy. 0 (the default) audits nothing.
    #[serde(default)]
    pub audit_rate: f64,
}

fn default_ocr_min_confidence() -> f64 {
    DecisionConfig::default().ocr_min_confidence
}

fn default_scan_auto_threshold() -> f64 {
    DecisionConfig::default().scan_auto_threshold
}

fn default_auto_threshold() -> f64 {
    DecisionConfig::default().auto_threshold
}

fn default_price_tolerance_percent() -> Decimal {
    DecisionConfig::default().price_tolerance * Decimal::ONE_HUNDRED
}

fn default_qty_outlier_factor() -> Decimal {
    DecisionConfig::default().qty_outlier_factor
}

impl Default for DecisionSettings {
    fn default() -> Self {
        DecisionSettings {
            policy: DecisionPolicy::default(),
            auto_threshold: default_auto_threshold(),
            price_tolerance_percent: default_price_tolerance_percent(),
            qty_outlier_factor: default_qty_outlier_factor(),
            ocr_min_confidence: default_ocr_min_confidence(),
            scan_auto_threshold: default_scan_auto_threshold(),
            audit_rate: 0.0,
        }
    }
}

impl DecisionSettings {
    /// The thresholds as the decision function takes them (percent becomes a fraction).
    pub fn decision_config(&self) -> DecisionConfig {
        DecisionConfig {
            auto_threshold: self.auto_threshold,
            price_tolerance: self.price_tolerance_percent / Decimal::ONE_HUNDRED,
            qty_outlier_factor: self.qty_outlier_factor,
            ocr_min_confidence: self.ocr_min_confidence,
            scan_auto_threshold: self.scan_auto_threshold,
            ..DecisionConfig::default()
        }
    }
}

/// Where approved orders are delivered: one arm per target of crates/connect.
#[derive(Debug, Clone)]
pub enum TargetConfig {
    /// Rows in a legacy ERP's tables; `url` already resolved from `url_env`.
    Sql(Box<SqlTargetConfig>),
    /// Sales in a Tryton ERP over JSON-RPC; the password stays behind `password_env`.
    Tryton(Box<TrytonTargetConfig>),
    /// One file per order in a folder another system picks up; `path` resolved.
    FileDrop(FileDropConfig),
}

impl TargetConfig {
    /// The `type` this target has in `prodline.toml`.
    pub fn kind(&self) -> &'static str {
        match self {
            TargetConfig::Sql(_) => "sql",
            TargetConfig::Tryton(_) => "tryton",
            TargetConfig::FileDrop(_) => "file_drop",
        }
    }
}

/// `[workflow.acknowledgements]`: what prodline answers an X12 trading partner.
/// A 997 for every X12 interchange received, an 855 for every X12 order
/// posted, each one file in `outbound` for the EDI gateway to send.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgementsConfig {
    /// Folder the acknowledgements are written to (created by `run` when missing).
    pub outbound: PathBuf,
    /// Our interchange id (ISA06 of what we send); absent: answer as the id the partner addressed.
    #[serde(default)]
    pub sender_id: Option<String>,
    /// ISA05 qualifier of `sender_id`.
    #[serde(default = "default_sender_qualifier")]
    pub sender_qualifier: String,
    /// Write a 997 functional acknowledgment for every X12 interchange received.
    #[serde(default = "default_true")]
    pub send_997: bool,
    /// Write an 855 purchase order acknowledgment for every X12 order posted.
    #[serde(default = "default_true")]
    pub send_855: bool,
}

fn default_sender_qualifier() -> String {
    "ZZ".to_owned()
}

fn default_true() -> bool {
    true
}

/// One config error, with the key it is about (`workflow[0].target.header.cust_po_2`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub key: String,
    /// 1-based line and column, known for syntax errors.
    pub position: Option<(usize, usize)>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some((line, column)) = self.position {
            write!(f, "line {line}, column {column}: ")?;
        }
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        f.write_str(&self.message)
    }
}

/// Every error of a config file, listed at once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors {
    pub file: PathBuf,
    pub errors: Vec<ConfigError>,
}

impl ConfigErrors {
    /// Whether some error is about `key` or a key under it.
    pub fn mentions(&self, key: &str) -> bool {
        self.errors.iter().any(|error| error.key.starts_with(key))
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.errors.len();
        write!(f, "{}: {count} error{}", self.file.display(), if count == 1 { "" } else { "s" })?;
        for error in &self.errors {
            write!(f, "\n  {error}")?;
        }
        Ok(())
    }
}
