//! `SqlTargetConfig`: what an integrator writes, and its validation into a
//! [`MappingPlan`] the target trusts.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::dialect::{Dialect, is_identifier};
use crate::mapping::{ColumnPlan, Field, Source};

/// Where the config sits in `prodline.toml`; every error key starts with it.
const KEY_PREFIX: &str = "target";
const SPEC_OPTIONS: &str = "field, const, format, pad, map, header_key, idempotency_key";
/// Widest zero-padding we accept: legacy key columns are short.
const MAX_PAD: usize = 64;

/// A SQL target: the ERP's header and line tables and how each column is filled.
///
/// ```toml
/// [target]
/// url = "mysql://erp@10.0.0.5:3306/erp"   # or sqlite:/var/erp.db, postgres://...
/// header_table = "SO_HDR"
/// lines_table = "SO_LIN"
/// header_key = { generated = "so_id" }     # or { natural = "cust_po_2" }
///
/// [target.header]
/// cust_po_2 = "customer_po"
/// ord_dt = { field = "order_date", format = "%Y%m%d" }
/// src_cd = { const = "WEB" }
///
/// [target.lines]
/// so_id = { header_key = true }
/// ln_no = { field = "line", pad = 3 }
/// uom_cd = { field = "uom", map = { EA = "PCS", CA = "CASE" } }
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqlTargetConfig {
    /// `sqlite:PATH`, `postgres://...` or `mysql://...`; its password never appears in `Debug`.
    pub url: DatabaseUrl,
    /// PostgreSQL schema or MariaDB database holding the tables; the connection's default when absent.
    #[serde(default)]
    pub schema: Option<String>,
    pub header_table: String,
    pub lines_table: String,
    /// How a line row refers to its header row.
    pub header_key: HeaderKeyConfig,
    /// Table recording each delivered idempotency key; created by `build` if missing.
    #[serde(default = "default_deliveries_table")]
    pub deliveries_table: String,
    /// ERP header column -> source.
    pub header: BTreeMap<String, ColumnSource>,
    /// ERP line column -> source.
    #[serde(default)]
    pub lines: BTreeMap<String, ColumnSource>,
}

fn default_deliveries_table() -> String {
    "prodline_deliveries".to_owned()
}

/// A database URL whose password is redacted when printed.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct DatabaseUrl(pub String);

impl DatabaseUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL with any password replaced by `***`.
    pub fn redacted(&self) -> String {
        let url = &self.0;
        let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
            return url.clone();
        };
        let rest = &url[scheme_end..];
        let authority_end = rest.find('/').unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        let Some(at) = authority.rfind('@') else {
            return url.clone();
        };
        let Some(colon) = authority[..at].find(':') else {
            return url.clone();
        };
        format!("{}{}:***{}", &url[..scheme_end], &authority[..colon], &rest[at..])
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

/// The header row's key as the lines see it: a generated id column (read back
/// with `RETURNING` on PostgreSQL/SQLite, `LAST_INSERT_ID()` on MariaDB) or a
/// mapped header column whose value is the natural key.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderKeyConfig {
    #[serde(default)]
    pub generated: Option<String>,
    #[serde(default)]
    pub natural: Option<String>,
}

/// Where one ERP column's value comes from: a bare field name, or a table.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ColumnSource {
    Field(String),
    Spec(SourceSpec),
}

/// The table form of a column source; exactly one of `field`, `const`,
/// `header_key`, `idempotency_key`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SourceSpec {
    #[serde(default)]
    pub field: Option<String>,
    #[serde(default, rename = "const")]
    pub constant: Option<String>,
    /// chrono format for a date field, e.g. `%Y%m%d` for a CHAR(8) column.
    #[serde(default)]
    pub format: Option<String>,
    /// Left-pad with zeros to this width (`line` 1 with pad 3 -> `001`).
    #[serde(default)]
    pub pad: Option<usize>,
    /// Lookup from our value to the ERP's; a value missing from it is not delivered.
    #[serde(default)]
    pub map: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub header_key: bool,
    #[serde(default)]
    pub idempotency_key: bool,
    /// Collected so validation can name them instead of failing the parse.
    #[serde(flatten)]
    pub unknown: BTreeMap<String, IgnoredAny>,
}

/// One config error, with the key it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// Every error in a config, listed at once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&lines.join("\n"))
    }
}

/// How the lines find their header, after validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeaderKey {
    Generated(String),
    Natural(String),
}

/// A validated config: identifiers checked, sources parsed.
#[derive(Debug, Clone)]
pub(crate) struct MappingPlan {
    pub dialect: Dialect,
    pub schema: Option<String>,
    pub header_table: String,
    pub lines_table: String,
    pub deliveries_table: String,
    pub header_key: HeaderKey,
    pub header: Vec<ColumnPlan>,
    pub lines: Vec<ColumnPlan>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Header,
    Lines,
}

impl SqlTargetConfig {
    /// Checks the whole config and lists every error with its key.
    pub fn validate(&self) -> Result<(), ConfigErrors> {
        self.plan().map(|_| ())
    }

    pub(crate) fn plan(&self) -> Result<MappingPlan, ConfigErrors> {
        let mut errors = Vec::new();
        let dialect = Dialect::from_url(self.url.as_str());
        if dialect.is_none() {
            push(&mut errors, "url", "expected a sqlite:, postgres:// or mysql:// URL".to_owned());
        }
        if let Some(schema) = &self.schema {
            check_identifier(&mut errors, "schema", schema);
            if dialect == Some(Dialect::Sqlite) {
                push(&mut errors, "schema", "SQLite has no schemas; remove it".to_owned());
            }
        }
        check_identifier(&mut errors, "header_table", &self.header_table);
        check_identifier(&mut errors, "lines_table", &self.lines_table);
        check_identifier(&mut errors, "deliveries_table", &self.deliveries_table);
        if self.header.is_empty() {
            push(&mut errors, "header", "maps no column; map at least one".to_owned());
        }
        let header = plan_columns(&mut errors, Side::Header, &self.header);
        let lines = plan_columns(&mut errors, Side::Lines, &self.lines);
        let header_key = self.plan_header_key(&mut errors);
        match (dialect, header_key, errors.is_empty()) {
            (Some(dialect), Some(header_key), true) => Ok(MappingPlan {
                dialect,
                schema: self.schema.clone(),
                header_table: self.header_table.clone(),
                lines_table: self.lines_table.clone(),
                deliveries_table: self.deliveries_table.clone(),
                header_key,
                header,
                lines,
            }),
            _ => Err(ConfigErrors(errors)),
        }
    }

    fn plan_header_key(&self, errors: &mut Vec<ConfigError>) -> Option<HeaderKey> {
        let key = match (&self.header_key.generated, &self.header_key.natural) {
            (Some(column), None) => HeaderKey::Generated(column.clone()),
            (None, Some(column)) => HeaderKey::Natural(column.clone()),
            _ => {
                let message = "set exactly one of generated = \"<id column>\" or natural = \"<mapped header column>\"";
                push(errors, "header_key", message.to_owned());
                return None;
            }
        };
        let (option, column) = match &key {
            HeaderKey::Generated(column) => ("header_key.generated", column),
            HeaderKey::Natural(column) => ("header_key.natural", column),
        };
        check_identifier(errors, option, column);
        let mapped = self.header.contains_key(column);
        match key {
            HeaderKey::Natural(_) if !mapped => {
                push(errors, option, format!("\"{column}\" is not a column of target.header"));
            }
            HeaderKey::Generated(_) if mapped => {
                push(errors, option, format!("\"{column}\" is generated by the ERP; remove it from target.header"));
            }
            _ => {}
        }
        Some(key)
    }
}

fn push(errors: &mut Vec<ConfigError>, key: &str, message: String) {
    errors.push(ConfigError { key: format!("{KEY_PREFIX}.{key}"), message });
}

fn check_identifier(errors: &mut Vec<ConfigError>, key: &str, value: &str) {
    if !is_identifier(value) {
        push(
            errors,
            key,
            format!("\"{value}\" is not a plain SQL name (letters, digits, _; not starting with a digit)"),
        );
    }
}

fn plan_columns(
    errors: &mut Vec<ConfigError>,
    side: Side,
    columns: &BTreeMap<String, ColumnSource>,
) -> Vec<ColumnPlan> {
    let section = if side == Side::Header { "header" } else { "lines" };
    let mut plans = Vec::new();
    for (column, source) in columns {
        let key = format!("{section}.{column}");
        check_identifier(errors, &key, column);
        if let Some(source) = plan_source(errors, side, &key, source) {
            plans.push(ColumnPlan { column: column.clone(), key: format!("{KEY_PREFIX}.{key}"), source });
        }
    }
    plans
}

fn plan_source(errors: &mut Vec<ConfigError>, side: Side, key: &str, source: &ColumnSource) -> Option<Source> {
    let spec = match source {
        ColumnSource::Field(name) => &SourceSpec { field: Some(name.clone()), ..SourceSpec::default() },
        ColumnSource::Spec(spec) => spec,
    };
    let before = errors.len();
    for option in spec.unknown.keys() {
        push(errors, key, format!("unknown option \"{option}\"; expected one of {SPEC_OPTIONS}"));
    }
    let kinds = [spec.field.is_some(), spec.constant.is_some(), spec.header_key, spec.idempotency_key];
    if kinds.iter().filter(|set| **set).count() != 1 {
        push(errors, key, "set exactly one of field, const, header_key = true, idempotency_key = true".to_owned());
        return None;
    }
    let has_transform = spec.format.is_some() || spec.pad.is_some() || spec.map.is_some();
    let source = if let Some(name) = &spec.field {
        plan_field(errors, side, key, name, spec)?
    } else if has_transform {
        push(errors, key, "format, pad and map apply only to a field".to_owned());
        return None;
    } else if let Some(value) = &spec.constant {
        Source::Const(value.clone())
    } else if spec.header_key {
        if side == Side::Header {
            push(errors, key, "header_key belongs in target.lines (the header row is what it points to)".to_owned());
        }
        Source::HeaderKey
    } else {
        Source::IdempotencyKey
    };
    (errors.len() == before).then_some(source)
}

fn plan_field(errors: &mut Vec<ConfigError>, side: Side, key: &str, name: &str, spec: &SourceSpec) -> Option<Source> {
    let allowed = if side == Side::Header { Field::HEADER } else { Field::ALL };
    let Some(field) = Field::parse(name).filter(|field| allowed.contains(field)) else {
        let names: Vec<&str> = allowed.iter().map(|field| field.name()).collect();
        push(errors, key, format!("unknown field \"{name}\"; expected one of {}", names.join(", ")));
        return None;
    };
    if let Some(format) = &spec.format {
        if !field.is_date() {
            push(errors, key, format!("format applies only to a date field, not \"{name}\""));
        } else if !is_valid_date_format(format) {
            push(errors, key, format!("\"{format}\" is not a valid chrono date format"));
        }
    }
    if let Some(pad) = spec.pad
        && !(1..=MAX_PAD).contains(&pad)
    {
        push(errors, key, format!("pad must be between 1 and {MAX_PAD}, not {pad}"));
    }
    Some(Source::Field { field, format: spec.format.clone(), pad: spec.pad, map: spec.map.clone() })
}

/// A format is usable when chrono parses it and it names no time of day
/// (which a calendar date cannot supply, and would fail at delivery).
fn is_valid_date_format(format: &str) -> bool {
    use chrono::format::{Item, StrftimeItems};
    let items: Vec<Item<'_>> = StrftimeItems::new(format).collect();
    let renders = chrono::NaiveDate::from_ymd_opt(2000, 1, 2)
        .map(|date| {
            use std::fmt::Write;
            let mut out = String::new();
            write!(out, "{}", date.format_with_items(items.iter())).is_ok()
        })
        .unwrap_or(false);
    !items.iter().any(|item| matches!(item, Item::Error)) && renders
}
