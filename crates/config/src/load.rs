//! Loading `prodline.toml`: the file is parsed into a TOML table first, then
//! each section is decoded on its own, so that one bad section does not hide
//! the errors of the others and every error names its key.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use prodline_connect::tryton::TrytonTargetConfig;
use prodline_connect::{DatabaseUrl, SqlTargetConfig};
use prodline_extract::MasterData;
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use toml::{Table, Value};

use crate::model::{
    AcknowledgementsConfig, Config, ConfigError, ConfigErrors, DecisionSettings, ExtractorConfig, FileDropConfig,
    FileDropFormat, Owner, ServerSettings, SourceConfig, StoreConfig, TargetConfig, WatchSettings, WorkflowConfig,
};
use crate::watch::{DriftSettings, LivenessSettings, SloSettings, drift_problems, slo_problems};
use prodline_alerts::Channel;
use prodline_monitor::cost::BudgetConfig;
use prodline_monitor::kpi::KpiConfig;
use prodline_monitor::liveness::{Calendar, CalendarConfig};

const TOP_KEYS: &[&str] = &["store", "calendar", "server", "workflow"];
const WORKFLOW_KEYS: &[&str] = &[
    "name",
    "owner",
    "sources",
    "extractor",
    "master",
    "decision",
    "target",
    "acknowledgements",
    "slo",
    "drift",
    "liveness",
    "budget",
    "kpi",
    "alert",
];
/// Keys that would hold a secret inline; secrets come from the environment.
const SECRET_KEYS: &[&str] = &["password", "secret", "token", "api_key"];

impl Config {
    /// Reads, parses and validates a config file, listing every error at once.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let fail = |errors| ConfigErrors { file: path.to_path_buf(), errors };
        let text = std::fs::read_to_string(path).map_err(|error| {
            fail(vec![ConfigError { key: String::new(), position: None, message: format!("cannot read: {error}") }])
        })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Config::parse(&text, &base)
            .map(|mut config| {
                config.path = path.to_path_buf();
                config
            })
            .map_err(fail)
    }

    /// Parses and validates config text; relative paths resolve against `base`.
    pub fn parse(text: &str, base: &Path) -> Result<Config, Vec<ConfigError>> {
        let table: Table = toml::from_str(text).map_err(|error| vec![syntax_error(text, &error)])?;
        let mut errors = Errors::default();
        let config = decode_config(&mut errors, table, base);
        match config {
            Some(config) if errors.0.is_empty() => Ok(config),
            _ => Err(errors.0),
        }
    }
}

/// A TOML syntax error with its 1-based line and column, and the key on that line.
fn syntax_error(text: &str, error: &toml::de::Error) -> ConfigError {
    let offset = error.span().map_or(0, |span| span.start).min(text.len());
    let before = text.get(..offset).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |prefix| prefix.chars().count()) + 1;
    let line_text = text.lines().nth(line - 1).unwrap_or_default();
    let key = line_text.split('=').next().unwrap_or_default().trim().to_owned();
    ConfigError { key, position: Some((line, column)), message: error.message().trim().to_owned() }
}

#[derive(Default)]
struct Errors(Vec<ConfigError>);

impl Errors {
    fn push(&mut self, key: &str, message: impl Into<String>) {
        self.0.push(ConfigError { key: key.to_owned(), position: None, message: message.into() });
    }

    /// Deserializes one section; a failure is recorded under `key`.
    fn decode<T: DeserializeOwned>(&mut self, key: &str, value: Value) -> Option<T> {
        match value.try_into::<T>() {
            Ok(decoded) => Some(decoded),
            Err(error) => {
                self.push(key, error.message().trim());
                None
            }
        }
    }

    fn unknown_keys(&mut self, prefix: &str, table: &Table, allowed: &[&str]) {
        for key in table.keys().filter(|key| !allowed.contains(&key.as_str())) {
            self.push(&join(prefix, key), format!("unknown key; expected one of {}", allowed.join(", ")));
        }
    }

    /// Removes inline secrets from `table`, reporting each.
    fn inline_secrets(&mut self, prefix: &str, table: &mut Table) {
        for secret in SECRET_KEYS {
            if table.remove(*secret).is_some() {
                let message = format!(
                    "secrets are never written inline; set {secret}_env = \"ENV_VAR\" and export the secret in that variable"
                );
                self.push(&join(prefix, secret), message);
            }
        }
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() { key.to_owned() } else { format!("{prefix}.{key}") }
}

fn decode_config(errors: &mut Errors, mut table: Table, base: &Path) -> Option<Config> {
    errors.unknown_keys("", &table, TOP_KEYS);
    let store = match table.remove("store") {
        Some(value) => store(errors, value, base),
        None => {
            errors.push("store", "missing; expected [store] with type = \"sqlite\" and path = \"prodline.sqlite\"");
            None
        }
    };
    let workflows = match table.remove("workflow") {
        Some(Value::Array(items)) if !items.is_empty() => items,
        Some(_) | None => {
            errors.push("workflow", "missing; expected at least one [[workflow]] table");
            Vec::new()
        }
    };
    let calendar = calendar_of(errors, table.remove("calendar"));
    let server = server_of(errors, table.remove("server"), base);
    unique_names(errors, &workflows);
    let workflow: Vec<Option<WorkflowConfig>> = workflows
        .into_iter()
        .enumerate()
        .map(|(index, value)| workflow(errors, &format!("workflow[{index}]"), value, base))
        .collect();
    let workflow = workflow.into_iter().collect::<Option<Vec<_>>>()?;
    Some(Config { path: PathBuf::new(), store: store?, calendar: calendar?, server: server?, workflow })
}

fn store(errors: &mut Errors, value: Value, base: &Path) -> Option<StoreConfig> {
    let mut value = value;
    if let Value::Table(table) = &mut value {
        errors.inline_secrets("store", table);
        if table.contains_key("url") {
            errors.push("store.url", "the URL holds credentials; export it in a variable and set url_env = \"VAR\"");
            table.remove("url");
        }
    }
    match errors.decode::<StoreConfig>("store", value)? {
        StoreConfig::Sqlite { path } => Some(StoreConfig::Sqlite { path: base.join(path) }),
        StoreConfig::Postgres { url_env } => {
            env_name(errors, "store.url_env", &url_env);
            Some(StoreConfig::Postgres { url_env })
        }
    }
}

/// Checked on the raw tables, so a workflow with other errors still counts.
fn unique_names(errors: &mut Errors, workflows: &[Value]) {
    let mut seen = BTreeSet::new();
    for (index, workflow) in workflows.iter().enumerate() {
        if let Some(name) = workflow.get("name").and_then(Value::as_str)
            && !seen.insert(name)
        {
            errors.push(
                &format!("workflow[{index}].name"),
                format!("\"{name}\" is already the name of another workflow; names must be unique"),
            );
        }
    }
}

fn workflow(errors: &mut Errors, prefix: &str, value: Value, base: &Path) -> Option<WorkflowConfig> {
    let Value::Table(mut table) = value else {
        errors.push(prefix, "expected a [[workflow]] table");
        return None;
    };
    errors.unknown_keys(prefix, &table, WORKFLOW_KEYS);
    let watch = watch_of(errors, prefix, &mut table);
    let mut take = |name: &str| table.remove(name);
    let (name, owner, sources, extractor, master, decision, target, acknowledgements) = (
        take("name"),
        take("owner"),
        take("sources"),
        take("extractor"),
        take("master"),
        take("decision"),
        take("target"),
        take("acknowledgements"),
    );
    let name = workflow_name(errors, &join(prefix, "name"), name);
    let owner = owner_of(errors, &join(prefix, "owner"), owner);
    let sources = sources_of(errors, &join(prefix, "sources"), sources, base);
    let extractor = match extractor {
        Some(value) => extractor_of(errors, &join(prefix, "extractor"), value, base),
        None => Some(ExtractorConfig::Builtin),
    };
    let master = master_of(errors, &join(prefix, "master"), master, base);
    let decision = match decision {
        Some(value) => decision_of(errors, &join(prefix, "decision"), value),
        None => Some(DecisionSettings::default()),
    };
    let target = target_of(errors, &join(prefix, "target"), target, base);
    let acknowledgements = match acknowledgements {
        Some(value) => Some(acknowledgements_of(errors, &join(prefix, "acknowledgements"), value, base)?),
        None => None,
    };
    Some(WorkflowConfig {
        name: name?,
        owner: owner?,
        sources: sources?,
        extractor: extractor?,
        master: master?,
        decision: decision?,
        target: target?,
        acknowledgements,
        watch: watch?,
    })
}

/// The monitoring sections: each optional, each checked with its key.
fn watch_of(errors: &mut Errors, prefix: &str, table: &mut Table) -> Option<WatchSettings> {
    let slo = match table.remove("slo") {
        Some(value) => {
            let key = join(prefix, "slo");
            let slo = errors.decode::<SloSettings>(&key, value)?;
            for (field, problem) in slo_problems(&slo) {
                errors.push(&join(&key, field), problem);
            }
            Some(slo)
        }
        None => None,
    };
    let drift = match table.remove("drift") {
        Some(value) => {
            let key = join(prefix, "drift");
            let drift = errors.decode::<DriftSettings>(&key, value)?;
            for (field, problem) in drift_problems(&drift) {
                errors.push(&join(&key, field), problem);
            }
            drift
        }
        None => DriftSettings::default(),
    };
    let liveness = match table.remove("liveness") {
        Some(value) => {
            let key = join(prefix, "liveness");
            let liveness = errors.decode::<LivenessSettings>(&key, value)?;
            for (feed, cadence) in &liveness.feed {
                if let Err(problems) = cadence.validate() {
                    monitor_errors(errors, &join(&join(&key, "feed"), feed), problems);
                }
            }
            liveness
        }
        None => LivenessSettings::default(),
    };
    let budget = match table.remove("budget") {
        Some(value) => {
            let budget = errors.decode::<BudgetConfig>(&join(prefix, "budget"), value)?;
            if let Err(problems) = budget.validate() {
                monitor_errors(errors, prefix, problems);
            }
            Some(budget)
        }
        None => None,
    };
    let kpi = match table.remove("kpi") {
        Some(value) => {
            let kpi = errors.decode::<KpiConfig>(&join(prefix, "kpi"), value)?;
            if let Err(problems) = kpi.validate() {
                monitor_errors(errors, prefix, problems);
            }
            Some(kpi)
        }
        None => None,
    };
    let alerts = match table.remove("alert") {
        Some(Value::Array(items)) => {
            let mut channels = Vec::new();
            for (index, item) in items.into_iter().enumerate() {
                let key = format!("{}[{index}]", join(prefix, "alert"));
                let Some(channel) = errors.decode::<Channel>(&key, item) else { continue };
                for problem in channel.validate() {
                    errors.push(&key, problem.to_string());
                }
                channels.push(channel);
            }
            channels
        }
        Some(_) => {
            errors.push(&join(prefix, "alert"), "expected [[workflow.alert]] tables, one per channel");
            Vec::new()
        }
        None => Vec::new(),
    };
    Some(WatchSettings { slo, drift, liveness, budget, kpi, alerts })
}

/// `[server]`: the web UI's address, session length and reports folder.
fn server_of(errors: &mut Errors, value: Option<Value>, base: &Path) -> Option<ServerSettings> {
    let Some(mut value) = value else { return Some(ServerSettings::default()) };
    if let Value::Table(table) = &mut value {
        errors.inline_secrets("server", table);
    }
    let mut server = errors.decode::<ServerSettings>("server", value)?;
    if server.session_hours == 0 || server.session_hours > 24 * 30 {
        errors.push("server.session_hours", format!("{} is not between 1 and 720 hours", server.session_hours));
        return None;
    }
    if let Some(reports) = &server.reports {
        server.reports = Some(base.join(reports));
    }
    Some(server)
}

/// `[calendar]`, built (time zone looked up, hours parsed).
fn calendar_of(errors: &mut Errors, value: Option<Value>) -> Option<Calendar> {
    let config = match value {
        Some(value) => errors.decode::<CalendarConfig>("calendar", value)?,
        None => CalendarConfig::default(),
    };
    match config.build() {
        Ok(calendar) => Some(calendar),
        Err(problems) => {
            monitor_errors(errors, "", problems);
            None
        }
    }
}

/// The monitor crate's config errors, each under its key (which names its
/// section, e.g. `calendar.time_zone`, `workflow.budget.monthly`).
fn monitor_errors(errors: &mut Errors, prefix: &str, problems: Vec<prodline_monitor::liveness::ConfigError>) {
    for problem in problems {
        let key = problem.key.strip_prefix("workflow.").unwrap_or(&problem.key).to_owned();
        errors.push(&join(prefix, &key), format!("{}: expected {}", problem.value, problem.expected));
    }
}

fn workflow_name(errors: &mut Errors, key: &str, value: Option<Value>) -> Option<String> {
    let expected = "expected a name of lowercase letters, digits, - and _, e.g. name = \"acme_orders\"";
    let name = match value {
        Some(Value::String(name)) => name,
        Some(_) => {
            errors.push(key, expected);
            return None;
        }
        None => {
            errors.push(key, format!("missing; {expected}"));
            return None;
        }
    };
    let plain = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-';
    if name.is_empty() || !name.chars().all(plain) {
        errors.push(key, format!("\"{name}\": {expected}"));
    }
    Some(name)
}

fn owner_of(errors: &mut Errors, key: &str, value: Option<Value>) -> Option<Owner> {
    let Some(value) = value else {
        errors.push(key, "missing; every workflow has a named owner: owner = { name = \"...\", email = \"...\" }");
        return None;
    };
    let owner = errors.decode::<Owner>(key, value)?;
    if owner.name.trim().is_empty() {
        errors.push(&join(key, "name"), "empty; expected the owner's name");
    }
    if !owner.email.contains('@') {
        errors.push(&join(key, "email"), format!("\"{}\" is not an email address", owner.email));
    }
    Some(owner)
}

fn sources_of(errors: &mut Errors, key: &str, value: Option<Value>, base: &Path) -> Option<Vec<SourceConfig>> {
    let items = match value {
        Some(Value::Array(items)) if !items.is_empty() => items,
        _ => {
            errors.push(
                key,
                "missing; expected at least one [[workflow.sources]] with type = \"folder\", \"imap\" or \"http\"",
            );
            return None;
        }
    };
    let sources: Vec<Option<SourceConfig>> = items
        .into_iter()
        .enumerate()
        .map(|(index, item)| source(errors, &format!("{key}[{index}]"), item, base))
        .collect();
    sources.into_iter().collect()
}

fn source(errors: &mut Errors, key: &str, mut value: Value, base: &Path) -> Option<SourceConfig> {
    if let Value::Table(table) = &mut value {
        errors.inline_secrets(key, table);
    }
    let source = errors.decode::<SourceConfig>(key, value)?;
    Some(match source {
        SourceConfig::Folder { path, poll_interval_seconds, stable_seconds } => {
            positive(errors, &join(key, "poll_interval_seconds"), poll_interval_seconds);
            SourceConfig::Folder { path: base.join(path), poll_interval_seconds, stable_seconds }
        }
        SourceConfig::Imap {
            host,
            port,
            security,
            user,
            password_env,
            folder,
            processed_folder,
            ca_file,
            poll_interval_seconds,
        } => {
            if host.trim().is_empty() {
                errors.push(&join(key, "host"), "empty; expected the IMAP server's host name");
            }
            if port == Some(0) {
                errors.push(&join(key, "port"), "expected a TCP port from 1 to 65535 (IMAPS: 993)");
            }
            env_name(errors, &join(key, "password_env"), &password_env);
            if folder.trim().is_empty() {
                errors.push(&join(key, "folder"), "empty; expected a mailbox folder, e.g. \"INBOX\"");
            }
            if processed_folder.as_ref().is_some_and(|processed| processed.trim().is_empty() || *processed == folder) {
                errors.push(
                    &join(key, "processed_folder"),
                    "expected a folder other than `folder`, e.g. \"Processed\" (or leave it out to flag messages)",
                );
            }
            let ca_file = ca_file.map(|path| base.join(path));
            if let Some(path) = ca_file.as_ref().filter(|path| !path.is_file()) {
                errors.push(
                    &join(key, "ca_file"),
                    format!("{} is not a file; expected a PEM certificate", path.display()),
                );
            }
            positive(errors, &join(key, "poll_interval_seconds"), poll_interval_seconds);
            SourceConfig::Imap {
                host,
                port,
                security,
                user,
                password_env,
                folder,
                processed_folder,
                ca_file,
                poll_interval_seconds,
            }
        }
        SourceConfig::Http { listen } => {
            if listen.parse::<std::net::SocketAddr>().is_err() {
                errors.push(
                    &join(key, "listen"),
                    format!("\"{listen}\" is not an address; expected e.g. \"127.0.0.1:8080\""),
                );
            }
            SourceConfig::Http { listen }
        }
    })
}

fn positive(errors: &mut Errors, key: &str, seconds: u64) {
    if seconds == 0 {
        errors.push(key, "expected a whole number of seconds, at least 1");
    }
}

fn env_name(errors: &mut Errors, key: &str, name: &str) {
    let plain = |c: char| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_';
    if name.is_empty() || !name.chars().all(plain) {
        errors.push(key, format!("\"{name}\" is not an environment variable name; expected e.g. \"ERP_PASSWORD\""));
    }
}

fn master_of(errors: &mut Errors, key: &str, value: Option<Value>, base: &Path) -> Option<PathBuf> {
    let Some(Value::String(folder)) = value else {
        errors.push(key, "expected the master-data folder, e.g. master = \"master\"");
        return None;
    };
    let folder = base.join(folder);
    if !folder.is_dir() {
        errors.push(key, format!("{} is not a folder; expected the folder of the SPEC §2 CSVs", folder.display()));
    } else if let Err(error) = MasterData::load_dir(&folder) {
        errors.push(key, format!("master data does not load: {error}"));
    }
    Some(folder)
}

fn decision_of(errors: &mut Errors, key: &str, value: Value) -> Option<DecisionSettings> {
    let decision = errors.decode::<DecisionSettings>(key, value)?;
    if !(0.0..=1.0).contains(&decision.auto_threshold) {
        errors.push(
            &join(key, "auto_threshold"),
            format!("{} is not a confidence; expected 0 to 1", decision.auto_threshold),
        );
    }
    if decision.price_tolerance_percent < Decimal::ZERO || decision.price_tolerance_percent > Decimal::ONE_HUNDRED {
        errors.push(&join(key, "price_tolerance_percent"), "expected a percentage from 0 to 100");
    }
    if !(0.0..=100.0).contains(&decision.ocr_min_confidence) {
        errors.push(
            &join(key, "ocr_min_confidence"),
            format!("{} is not an OCR confidence; expected 0 to 100", decision.ocr_min_confidence),
        );
    }
    if !(0.0..=1.0).contains(&decision.scan_auto_threshold) {
        errors.push(
            &join(key, "scan_auto_threshold"),
            format!("{} is not a confidence; expected 0 to 1", decision.scan_auto_threshold),
        );
    }
    if !(0.0..=1.0).contains(&decision.audit_rate) {
        errors.push(
            &join(key, "audit_rate"),
            format!(
                "{} is not a share; expected 0 to 1, e.g. 0.05 to audit one auto-approved document in 20",
                decision.audit_rate
            ),
        );
    }
    if decision.qty_outlier_factor <= Decimal::ONE {
        errors.push(&join(key, "qty_outlier_factor"), "expected a factor above 1, e.g. 10");
    }
    Some(decision)
}

/// `[workflow.extractor]`: a command's program resolved, an endpoint's URL,
/// key variable, time-outs and prices checked, each error naming its key.
fn extractor_of(errors: &mut Errors, key: &str, mut value: Value, base: &Path) -> Option<ExtractorConfig> {
    if let Value::Table(table) = &mut value {
        errors.inline_secrets(key, table);
    }
    let extractor = errors.decode::<ExtractorConfig>(key, value)?;
    Some(match extractor {
        ExtractorConfig::Builtin => ExtractorConfig::Builtin,
        ExtractorConfig::Command { program, args, timeout_seconds } => {
            if program.as_os_str().is_empty() {
                errors.push(&join(key, "program"), "empty; expected a program, e.g. \"python3\"");
            }
            positive(errors, &join(key, "timeout_seconds"), timeout_seconds);
            let relative_path = program.is_relative() && program.components().count() > 1;
            let program = if relative_path { base.join(program) } else { program };
            ExtractorConfig::Command { program, args, timeout_seconds }
        }
        ExtractorConfig::Openai {
            base_url,
            model,
            api_key_env,
            timeout_seconds,
            retries,
            prompt_price_per_million,
            completion_price_per_million,
        } => {
            openai_url(errors, &join(key, "base_url"), &base_url);
            if model.trim().is_empty() {
                errors.push(&join(key, "model"), "empty; expected the model's name, e.g. \"llama3.1:8b\"");
            }
            if let Some(name) = api_key_env.as_deref().filter(|name| !name.is_empty()) {
                env_name(errors, &join(key, "api_key_env"), name);
                if std::env::var_os(name).is_none() {
                    errors.push(
                        &join(key, "api_key_env"),
                        format!("environment variable {name} is not set; export the API key in it"),
                    );
                }
            }
            positive(errors, &join(key, "timeout_seconds"), timeout_seconds);
            for (price_key, price) in [
                ("prompt_price_per_million", prompt_price_per_million),
                ("completion_price_per_million", completion_price_per_million),
            ] {
                if price < Decimal::ZERO {
                    errors.push(&join(key, price_key), "expected a price of 0 or more per million tokens");
                }
            }
            ExtractorConfig::Openai {
                base_url,
                model,
                api_key_env,
                timeout_seconds,
                retries,
                prompt_price_per_million,
                completion_price_per_million,
            }
        }
    })
}

/// `http://host:port/v1`; https is refused until the HTTP client has TLS.
fn openai_url(errors: &mut Errors, key: &str, url: &str) {
    if url.starts_with("https://") {
        errors.push(
            key,
            format!("\"{url}\": https is not supported yet (no TLS in prodline's HTTP client); use a local http proxy"),
        );
    } else if !url.starts_with("http://") || url.len() <= "http://".len() {
        errors.push(key, format!("\"{url}\" is not an http URL; expected e.g. \"http://127.0.0.1:11434/v1\""));
    }
}

/// `[workflow.target]` with `type = "file_drop"`: connect's `FileDropConfig`, `format` defaulting to JSON.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDrop {
    path: PathBuf,
    #[serde(default)]
    format: Option<FileDropFormat>,
}

fn target_of(errors: &mut Errors, key: &str, value: Option<Value>, base: &Path) -> Option<TargetConfig> {
    let expected = "expected type = \"sql\", \"tryton\" or \"file_drop\"";
    let Some(Value::Table(mut table)) = value else {
        errors.push(key, format!("missing; expected a [workflow.target] table with {expected}"));
        return None;
    };
    errors.inline_secrets(key, &mut table);
    let type_key = join(key, "type");
    match table.remove("type") {
        Some(Value::String(kind)) if kind == "sql" => sql_target(errors, key, table, base),
        Some(Value::String(kind)) if kind == "tryton" => tryton_target(errors, key, table, base),
        Some(Value::String(kind)) if kind == "file_drop" => {
            let drop = errors.decode::<FileDrop>(key, Value::Table(table))?;
            let config =
                FileDropConfig { path: base.join(drop.path), format: drop.format.unwrap_or(FileDropFormat::Json) };
            if let Err(invalid) = config.validate() {
                for error in invalid {
                    errors.push(&join(key, error.key), error.message);
                }
            }
            Some(TargetConfig::FileDrop(config))
        }
        Some(Value::String(kind)) => {
            errors.push(&type_key, format!("unknown target type \"{kind}\"; {expected}"));
            None
        }
        _ => {
            errors.push(&type_key, format!("missing; {expected}"));
            None
        }
    }
}

/// A Tryton target; a `password_env` naming a file (it holds a `/`) resolves against the config folder.
fn tryton_target(errors: &mut Errors, key: &str, table: Table, base: &Path) -> Option<TargetConfig> {
    let mut config = errors.decode::<TrytonTargetConfig>(key, Value::Table(table))?;
    if config.password_env.contains('/') {
        config.password_env = base.join(&config.password_env).display().to_string();
    } else if !config.password_env.is_empty() {
        env_name(errors, &join(key, "password_env"), &config.password_env);
    }
    if let Err(invalid) = config.validate() {
        for error in invalid {
            errors.push(&join(key, error.key), error.message);
        }
    }
    Some(TargetConfig::Tryton(Box::new(config)))
}

/// `[workflow.acknowledgements]`: the outbound folder resolved, the X12 ids checked for length.
fn acknowledgements_of(errors: &mut Errors, key: &str, value: Value, base: &Path) -> Option<AcknowledgementsConfig> {
    let mut config = errors.decode::<AcknowledgementsConfig>(key, value)?;
    if config.outbound.as_os_str().is_empty() {
        errors.push(&join(key, "outbound"), "empty; expected the folder acknowledgements are written to");
    }
    config.outbound = base.join(&config.outbound);
    if let Some(id) = &config.sender_id
        && (id.trim().is_empty() || id.len() > 15 || !id.is_ascii())
    {
        errors.push(&join(key, "sender_id"), format!("\"{id}\": expected 1 to 15 ASCII characters (ISA06)"));
    }
    let qualifier = &config.sender_qualifier;
    if qualifier.len() != 2 || !qualifier.chars().all(|c| c.is_ascii_alphanumeric()) {
        errors.push(
            &join(key, "sender_qualifier"),
            format!("\"{qualifier}\": expected two letters or digits (ISA05), e.g. \"ZZ\""),
        );
    }
    Some(config)
}

fn sql_target(errors: &mut Errors, key: &str, mut table: Table, base: &Path) -> Option<TargetConfig> {
    let url = sql_url(errors, key, &mut table)?;
    table.insert("url".to_owned(), Value::String(resolve_sqlite_url(&url, base)));
    let config = errors.decode::<SqlTargetConfig>(key, Value::Table(table))?;
    if let Err(invalid) = config.validate() {
        for error in invalid.0 {
            // The connect crate names keys from `target`; place them under this workflow.
            let rest = error.key.strip_prefix("target").unwrap_or(&error.key);
            errors.push(&format!("{key}{rest}"), error.message);
        }
    }
    Some(TargetConfig::Sql(Box::new(config)))
}

/// The database URL: from `url_env`, or inline when it holds no password.
fn sql_url(errors: &mut Errors, key: &str, table: &mut Table) -> Option<String> {
    match (table.remove("url"), table.remove("url_env")) {
        (Some(Value::String(url)), None) => {
            let database_url = DatabaseUrl(url.clone());
            if database_url.redacted() != url {
                errors.push(
                    &join(key, "url"),
                    "the URL holds a password; export it in a variable and set url_env = \"VAR\"",
                );
                return None;
            }
            Some(url)
        }
        (None, Some(Value::String(name))) => {
            env_name(errors, &join(key, "url_env"), &name);
            match std::env::var(&name) {
                Ok(url) => Some(url),
                Err(_) => {
                    errors.push(
                        &join(key, "url_env"),
                        format!("environment variable {name} is not set; export the database URL in it"),
                    );
                    None
                }
            }
        }
        (Some(_), Some(_)) => {
            errors.push(key, "set url or url_env, not both");
            None
        }
        _ => {
            errors.push(
                &join(key, "url"),
                "missing; expected url = \"sqlite:erp.sqlite\" or url_env = \"ERP_DATABASE_URL\"",
            );
            None
        }
    }
}

/// `sqlite:erp.sqlite` names a file next to the config, not in the working directory.
fn resolve_sqlite_url(url: &str, base: &Path) -> String {
    let Some(rest) = url.strip_prefix("sqlite:") else {
        return url.to_owned();
    };
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (file, query) = match rest.split_once('?') {
        Some((file, query)) => (file, Some(query)),
        None => (rest, None),
    };
    if file.is_empty() || file == ":memory:" || Path::new(file).is_absolute() {
        return url.to_owned();
    }
    let resolved = format!("sqlite:{}", base.join(file).display());
    match query {
        Some(query) => format!("{resolved}?{query}"),
        None => resolved,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_sqlite_urls_resolve_against_the_config_folder() {
        let base = Path::new("/etc/prodline");
        assert_eq!(resolve_sqlite_url("sqlite:erp.sqlite", base), "sqlite:/etc/prodline/erp.sqlite");
        assert_eq!(resolve_sqlite_url("sqlite:erp.db?mode=rw", base), "sqlite:/etc/prodline/erp.db?mode=rw");
        assert_eq!(resolve_sqlite_url("sqlite:/var/erp.db", base), "sqlite:/var/erp.db");
        assert_eq!(resolve_sqlite_url("postgres://h/db", base), "postgres://h/db");
    }

    #[test]
    fn syntax_error_position_counts_characters_not_bytes() {
        let text = "name = \"é\"\nbad line\n";
        let error = toml::from_str::<Table>(text).err();
        let error = error.map(|error| syntax_error(text, &error));
        assert_eq!(error.and_then(|error| error.position).map(|(line, _)| line), Some(2));
    }
}
