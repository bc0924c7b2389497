//! `prodline plan`: rank candidate workflows and propose the first five.
//!
//! The score multiplies value by feasibility ([`FORMULA`]):
//! - hours = volume_per_month × minutes_per_transaction ÷ 60, FTE = hours ÷ 160;
//! - feasibility = api × data × owner × risk, where api is 1.0 with an API
//!   and 0.6 without (posting through files or screens is slower to build
//!   and breaks quietly), data is 1.0 for history, 0.6 for samples and 0.3
//!   for none (what can be measured before go-live), owner is 1.0 with a KPI
//!   owner and 0.5 without (nobody will sign the go-live), risk is 1.0 low,
//!   0.8 medium (the default) and 0.5 high (a wrong posting is costly, so the
//!   gate is stricter and the ramp slower);
//! - score = hours × feasibility, rounded to 0.1.
//!
//! Ties go to the larger hours, then to the name.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use prodline_core::Decimal;
use rust_decimal::RoundingStrategy;
use serde::{Deserialize, Serialize};
use toml::{Spanned, Value};

use super::keys;

/// Working hours in a month of one full-time person.
pub const HOURS_PER_FTE: Decimal = Decimal::from_parts(160, 0, 0, false, 0);
/// How many candidates the plan proposes.
pub const PROPOSED: usize = 5;
/// The score as the report states it.
pub const FORMULA: &str = "score = hours per month × api × data × owner × risk; \
hours = volume_per_month × minutes_per_transaction ÷ 60 (FTE = hours ÷ 160); \
api: 1.0 with an API, 0.6 without; data: history 1.0, samples 0.6, none 0.3; \
owner: 1.0 with a KPI owner, 0.5 without; risk: low 1.0, medium 0.8 (default), high 0.5";

/// What data there is to measure a candidate on before go-live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataAtHand {
    None,
    Samples,
    /// Months of real transactions with their outcomes.
    History,
}

impl DataAtHand {
    fn factor(self) -> Decimal {
        match self {
            DataAtHand::History => Decimal::ONE,
            DataAtHand::Samples => Decimal::new(6, 1),
            DataAtHand::None => Decimal::new(3, 1),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DataAtHand::None => "none",
            DataAtHand::Samples => "samples",
            DataAtHand::History => "history",
        }
    }
}

/// What a wrong transaction costs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    Low,
    #[default]
    Medium,
    High,
}

impl Risk {
    fn factor(self) -> Decimal {
        match self {
            Risk::Low => Decimal::ONE,
            Risk::Medium => Decimal::new(8, 1),
            Risk::High => Decimal::new(5, 1),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
        }
    }
}

/// One `[[candidate]]` of CANDIDATES.toml.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub name: String,
    pub process: String,
    pub volume_per_month: u64,
    pub minutes_per_transaction: Decimal,
    /// What it moves.
    pub kpi: String,
    /// Whose scorecard; `None` when nobody's.
    pub kpi_owner: Option<String>,
    pub target_system: String,
    pub target_has_api: bool,
    pub data_at_hand: DataAtHand,
    /// `risk` or `error_cost`; `None` is scored as medium.
    pub risk: Option<Risk>,
    pub notes: Option<String>,
}

/// The feasibility factors of one candidate and their product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feasibility {
    #[serde(with = "prodline_core::decimal_json")]
    pub api: Decimal,
    #[serde(with = "prodline_core::decimal_json")]
    pub data: Decimal,
    #[serde(with = "prodline_core::decimal_json")]
    pub owner: Decimal,
    #[serde(with = "prodline_core::decimal_json")]
    pub risk: Decimal,
    #[serde(with = "prodline_core::decimal_json")]
    pub product: Decimal,
}

impl Feasibility {
    pub fn of(candidate: &Candidate) -> Feasibility {
        let api = if candidate.target_has_api { Decimal::ONE } else { Decimal::new(6, 1) };
        let owner = if candidate.kpi_owner.is_some() { Decimal::ONE } else { Decimal::new(5, 1) };
        let data = candidate.data_at_hand.factor();
        let risk = candidate.risk.unwrap_or_default().factor();
        Feasibility { api, data, owner, risk, product: api * data * owner * risk }
    }
}

/// One candidate scored, with why it is where it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankedCandidate {
    /// 1 is first.
    pub rank: usize,
    pub name: String,
    pub process: String,
    pub kpi: String,
    pub kpi_owner: Option<String>,
    pub target_system: String,
    pub volume_per_month: u64,
    #[serde(with = "prodline_core::decimal_json")]
    pub minutes_per_transaction: Decimal,
    /// volume × minutes ÷ 60, rounded to 0.1.
    #[serde(with = "prodline_core::decimal_json")]
    pub hours_per_month: Decimal,
    /// hours ÷ 160, rounded to 0.01.
    #[serde(with = "prodline_core::decimal_json")]
    pub fte: Decimal,
    pub feasibility: Feasibility,
    /// hours × feasibility, rounded to 0.1.
    #[serde(with = "prodline_core::decimal_json")]
    pub score: Decimal,
    /// Why it ranks where it does.
    pub why: Vec<String>,
    /// What stands between it and production.
    pub blockers: Vec<String>,
    /// The first thing to do.
    pub first_step: String,
    /// For those not proposed: why not now.
    pub why_not_now: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanReport {
    pub formula: String,
    pub candidates: usize,
    #[serde(with = "prodline_core::decimal_json")]
    pub total_hours_per_month: Decimal,
    #[serde(with = "prodline_core::decimal_json")]
    pub total_fte: Decimal,
    /// The first five, best first.
    pub proposed: Vec<RankedCandidate>,
    /// The rest, best first.
    pub later: Vec<RankedCandidate>,
}

/// Rank the candidates by [`FORMULA`] and propose the first [`PROPOSED`].
pub fn plan(candidates: &[Candidate]) -> PlanReport {
    let mut scored: Vec<(Decimal, Decimal, &Candidate)> =
        candidates.iter().map(|c| (hours_exact(c), score_exact(c), c)).collect();
    scored.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)).then_with(|| a.2.name.cmp(&b.2.name)));
    let cut = scored.get(PROPOSED.saturating_sub(1)).map(|s| round(s.1, 1));
    let mut ranked: Vec<RankedCandidate> =
        scored.iter().enumerate().map(|(i, (hours, score, c))| ranked(i + 1, c, *hours, *score)).collect();
    let later = ranked.split_off(PROPOSED.min(ranked.len()));
    let later = later.into_iter().map(|r| with_why_not_now(r, cut)).collect();
    let total: Decimal = scored.iter().map(|s| s.0).sum();
    PlanReport {
        formula: FORMULA.to_owned(),
        candidates: candidates.len(),
        total_hours_per_month: round(total, 1),
        total_fte: round(total / HOURS_PER_FTE, 2),
        proposed: ranked,
        later,
    }
}

fn hours_exact(c: &Candidate) -> Decimal {
    Decimal::from(c.volume_per_month) * c.minutes_per_transaction / Decimal::from(60)
}

fn score_exact(c: &Candidate) -> Decimal {
    hours_exact(c) * Feasibility::of(c).product
}

/// Half away from zero, as people round by hand.
fn round(value: Decimal, places: u32) -> Decimal {
    value.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero).normalize()
}

fn ranked(rank: usize, c: &Candidate, hours: Decimal, score: Decimal) -> RankedCandidate {
    RankedCandidate {
        rank,
        name: c.name.clone(),
        process: c.process.clone(),
        kpi: c.kpi.clone(),
        kpi_owner: c.kpi_owner.clone(),
        target_system: c.target_system.clone(),
        volume_per_month: c.volume_per_month,
        minutes_per_transaction: c.minutes_per_transaction,
        hours_per_month: round(hours, 1),
        fte: round(hours / HOURS_PER_FTE, 2),
        feasibility: Feasibility::of(c),
        score: round(score, 1),
        why: why(c, hours),
        blockers: blockers(c),
        first_step: first_step(c),
        why_not_now: None,
    }
}

fn why(c: &Candidate, hours: Decimal) -> Vec<String> {
    let mut why = vec![format!(
        "{} h a month at stake ({} FTE): {} × {} min",
        round(hours, 1),
        round(hours / HOURS_PER_FTE, 2),
        c.volume_per_month,
        c.minutes_per_transaction.normalize()
    )];
    if c.target_has_api {
        why.push(format!("an API into {}", c.target_system));
    }
    if c.data_at_hand == DataAtHand::History {
        why.push("months of real transactions with outcomes to measure on".to_owned());
    }
    if let Some(owner) = &c.kpi_owner {
        why.push(format!("moves \"{}\" on the scorecard of {owner}", c.kpi));
    }
    if c.risk == Some(Risk::Low) {
        why.push("a wrong transaction is cheap to correct".to_owned());
    }
    why
}

fn blockers(c: &Candidate) -> Vec<String> {
    let mut blockers = Vec::new();
    if c.kpi_owner.is_none() {
        blockers.push(format!("no KPI owner: \"{}\" is on nobody's scorecard, so nobody signs the go-live", c.kpi));
    }
    match c.data_at_hand {
        DataAtHand::None => blockers.push("no data at hand: nothing to measure accuracy on".to_owned()),
        DataAtHand::Samples => {
            blockers.push("only samples: they are hand-picked and read better than production".to_owned())
        }
        DataAtHand::History => {}
    }
    if !c.target_has_api {
        blockers.push(format!(
            "{} has no API: posting through files or its database needs its owner's sign-off",
            c.target_system
        ));
    }
    if c.risk == Some(Risk::High) {
        blockers.push("a wrong transaction is costly: a strict gate and a slow ramp".to_owned());
    }
    blockers
}

/// The most pressing blocker first: an owner, then data, then the target.
fn first_step(c: &Candidate) -> String {
    if c.kpi_owner.is_none() {
        return format!(
            "find whose scorecard \"{}\" is on and get their sign-off ({} = \"…\")",
            c.kpi, "[workflow.kpi] owner"
        );
    }
    match c.data_at_hand {
        DataAtHand::None => {
            return "collect every transaction of the next four weeks with its outcome as an eval dataset".to_owned();
        }
        DataAtHand::Samples => {
            return format!("export a random sample of production with outcomes and run `{}`", keys::EVAL_COMMAND);
        }
        DataAtHand::History => {}
    }
    if !c.target_has_api {
        return format!(
            "agree with the owner of {} how orders are imported (table or file) and who checks them",
            c.target_system
        );
    }
    format!("export three months of history as a dataset and run `{}`", keys::EVAL_COMMAND)
}

fn with_why_not_now(mut r: RankedCandidate, cut: Option<Decimal>) -> RankedCandidate {
    let below = match cut {
        Some(cut) => format!("score {} below the fifth proposed ({cut})", r.score),
        None => format!("score {}", r.score),
    };
    let reason = match r.blockers.first() {
        Some(blocker) => format!("{below}; {blocker}"),
        None => format!("{below}; only {} h a month at stake", r.hours_per_month),
    };
    r.why_not_now = Some(reason);
    r
}

/// Reading CANDIDATES.toml failed.
#[derive(Debug, thiserror::Error)]
pub enum CandidatesError {
    #[error("{path}: cannot read: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// Not TOML, or not a list of `[[candidate]]` tables.
    #[error("{path}:{line}:{column}: {message}")]
    Toml { path: PathBuf, line: usize, column: usize, message: String },
    #[error("{path}: no [[candidate]] tables")]
    Empty { path: PathBuf },
    /// Every problem of every candidate, at once.
    #[error("{}", list(path, problems))]
    Invalid { path: PathBuf, problems: Vec<CandidateProblem> },
}

/// One bad or missing key of one candidate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CandidateProblem {
    /// 1-based position among the `[[candidate]]` tables.
    pub index: usize,
    pub name: Option<String>,
    pub key: String,
    /// Of the value, or of the candidate's table when the key is missing.
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for CandidateProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: candidate {}", self.line, self.column, self.index)?;
        if let Some(name) = &self.name {
            write!(f, " (\"{name}\")")?;
        }
        write!(f, ": {}: {}", self.key, self.message)
    }
}

fn list(path: &Path, problems: &[CandidateProblem]) -> String {
    let lines: Vec<String> = problems.iter().map(|p| format!("{}:{p}", path.display())).collect();
    lines.join("\n")
}

/// Read and check CANDIDATES.toml.
pub fn load_candidates(path: &Path) -> Result<Vec<Candidate>, CandidatesError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| CandidatesError::Io { path: path.to_path_buf(), source })?;
    parse_candidates(&text, path)
}

const KEYS: [&str; 12] = [
    "name",
    "process",
    "volume_per_month",
    "minutes_per_transaction",
    "kpi",
    "kpi_owner",
    "target_system",
    "target_has_api",
    "data_at_hand",
    "error_cost",
    "risk",
    "notes",
];

type RawCandidate = BTreeMap<String, Spanned<Value>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    candidate: Vec<Spanned<RawCandidate>>,
}

/// Check CANDIDATES.toml text (`path` names it in errors); every problem of
/// every candidate is reported at once, each with its line and column.
pub fn parse_candidates(text: &str, path: &Path) -> Result<Vec<Candidate>, CandidatesError> {
    let raw: RawFile = toml::from_str(text).map_err(|error| {
        let (line, column) = line_column(text, error.span().map_or(0, |span| span.start));
        CandidatesError::Toml { path: path.to_path_buf(), line, column, message: error.message().trim().to_owned() }
    })?;
    if raw.candidate.is_empty() {
        return Err(CandidatesError::Empty { path: path.to_path_buf() });
    }
    let mut problems = Vec::new();
    let mut candidates = Vec::new();
    for (i, table) in raw.candidate.iter().enumerate() {
        let mut reader = Reader { text, index: i + 1, table, name: None, problems: &mut problems };
        if let Some(candidate) = reader.candidate() {
            candidates.push(candidate);
        }
    }
    duplicate_names(text, &raw.candidate, &mut problems);
    if problems.is_empty() {
        Ok(candidates)
    } else {
        Err(CandidatesError::Invalid { path: path.to_path_buf(), problems })
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |prefix| prefix.chars().count()) + 1;
    (line, column)
}

/// Reads one candidate's keys, recording a problem for each bad one.
struct Reader<'a> {
    text: &'a str,
    index: usize,
    table: &'a Spanned<RawCandidate>,
    name: Option<String>,
    problems: &'a mut Vec<CandidateProblem>,
}

impl Reader<'_> {
    fn candidate(&mut self) -> Option<Candidate> {
        self.name = self.table.get_ref().get("name").and_then(|v| v.get_ref().as_str()).map(|s| s.trim().to_owned());
        self.unknown_keys();
        let name = self.text("name");
        let process = self.text("process");
        let volume_per_month = self.required("volume_per_month", as_count);
        let minutes_per_transaction = self.required("minutes_per_transaction", as_minutes);
        let kpi = self.text("kpi");
        let kpi_owner = self.optional("kpi_owner", as_text).flatten().flatten();
        let target_system = self.text("target_system");
        let target_has_api = self.required("target_has_api", as_bool);
        let data_at_hand = self.required("data_at_hand", as_data);
        let risk = self.risk();
        let notes = self.optional("notes", as_text).flatten().flatten();
        Some(Candidate {
            name: name?,
            process: process?,
            volume_per_month: volume_per_month?,
            minutes_per_transaction: minutes_per_transaction?,
            kpi: kpi?,
            kpi_owner,
            target_system: target_system?,
            target_has_api: target_has_api?,
            data_at_hand: data_at_hand?,
            risk: risk?,
            notes,
        })
    }

    /// A required string that is not blank.
    fn text(&mut self, key: &str) -> Option<String> {
        match self.required(key, as_text)? {
            Some(text) => Some(text),
            None => {
                let span = self.span_of(key);
                self.problem(key, span, "empty".to_owned());
                None
            }
        }
    }

    /// `risk` or its synonym `error_cost`, not both.
    fn risk(&mut self) -> Option<Option<Risk>> {
        let risk = self.optional("risk", as_risk)?;
        let error_cost = self.optional("error_cost", as_risk)?;
        match (risk, error_cost) {
            (Some(_), Some(_)) => {
                let span = self.span_of("error_cost");
                self.problem("error_cost", span, "give either risk or error_cost, not both".to_owned());
                None
            }
            (risk, error_cost) => Some(risk.or(error_cost)),
        }
    }

    /// The key's value converted; `None` (with a problem) when missing or bad.
    fn required<T>(&mut self, key: &str, convert: fn(&Value) -> Result<T, String>) -> Option<T> {
        match self.optional(key, convert) {
            Some(Some(value)) => Some(value),
            Some(None) => {
                let span = self.table.span();
                self.problem(key, span, "missing".to_owned());
                None
            }
            None => None,
        }
    }

    /// `Some(None)` when absent, `None` (with a problem) when bad.
    fn optional<T>(&mut self, key: &str, convert: fn(&Value) -> Result<T, String>) -> Option<Option<T>> {
        let Some(value) = self.table.get_ref().get(key) else {
            return Some(None);
        };
        match convert(value.get_ref()) {
            Ok(converted) => Some(Some(converted)),
            Err(message) => {
                self.problem(key, value.span(), message);
                None
            }
        }
    }

    fn unknown_keys(&mut self) {
        let unknown: Vec<(String, Range<usize>)> = self
            .table
            .get_ref()
            .iter()
            .filter(|(key, _)| !KEYS.contains(&key.as_str()))
            .map(|(key, value)| (key.clone(), value.span()))
            .collect();
        for (key, span) in unknown {
            self.problem(&key, span, format!("unknown key; expected one of {}", KEYS.join(", ")));
        }
    }

    fn span_of(&self, key: &str) -> Range<usize> {
        self.table.get_ref().get(key).map_or_else(|| self.table.span(), Spanned::span)
    }

    fn problem(&mut self, key: &str, span: Range<usize>, message: String) {
        let (line, column) = line_column(self.text, span.start);
        self.problems.push(CandidateProblem {
            index: self.index,
            name: self.name.clone(),
            key: key.to_owned(),
            line,
            column,
            message,
        });
    }
}

fn duplicate_names(text: &str, tables: &[Spanned<RawCandidate>], problems: &mut Vec<CandidateProblem>) {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, table) in tables.iter().enumerate() {
        let Some(value) = table.get_ref().get("name") else { continue };
        let Value::String(name) = value.get_ref() else { continue };
        if let Some(first) = seen.insert(name.trim(), i + 1) {
            let (line, column) = line_column(text, value.span().start);
            problems.push(CandidateProblem {
                index: i + 1,
                name: Some(name.clone()),
                key: "name".to_owned(),
                line,
                column,
                message: format!("the same name as candidate {first}"),
            });
        }
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a number",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "an array",
        Value::Table(_) => "a table",
    }
}

/// A string quoted, anything else by its kind.
fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => format!("\"{s}\""),
        other => kind(other).to_owned(),
    }
}

/// A string; blank counts as absent (`Ok(None)`), so an empty owner is no owner.
fn as_text(value: &Value) -> Result<Option<String>, String> {
    match value {
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s.trim().to_owned())),
        other => Err(format!("expected a string, found {}", kind(other))),
    }
}

fn as_count(value: &Value) -> Result<u64, String> {
    match value {
        Value::Integer(n) => u64::try_from(*n).map_err(|_| format!("expected a count of 0 or more, found {n}")),
        other => Err(format!("expected a whole number (transactions a month), found {}", kind(other))),
    }
}

/// Minutes as written: `6`, `4.5` or `"4.5"`; more than zero.
fn as_minutes(value: &Value) -> Result<Decimal, String> {
    let minutes = match value {
        Value::Integer(n) => Decimal::from(*n),
        Value::Float(x) => Decimal::from_str(&x.to_string()).map_err(|_| format!("expected minutes, found {x}"))?,
        Value::String(s) => Decimal::from_str(s.trim()).map_err(|_| format!("expected minutes, found \"{s}\""))?,
        other => return Err(format!("expected minutes as a number, found {}", kind(other))),
    };
    if minutes > Decimal::ZERO { Ok(minutes) } else { Err(format!("expected more than 0 minutes, found {minutes}")) }
}

fn as_bool(value: &Value) -> Result<bool, String> {
    match value {
        Value::Boolean(b) => Ok(*b),
        other => Err(format!("expected true or false, found {}", kind(other))),
    }
}

fn as_data(value: &Value) -> Result<DataAtHand, String> {
    match value.as_str().map(str::trim) {
        Some("none") => Ok(DataAtHand::None),
        Some("samples") => Ok(DataAtHand::Samples),
        Some("history") => Ok(DataAtHand::History),
        _ => Err(format!("expected \"none\", \"samples\" or \"history\", found {}", shown(value))),
    }
}

fn as_risk(value: &Value) -> Result<Risk, String> {
    match value.as_str().map(str::trim) {
        Some("low") => Ok(Risk::Low),
        Some("medium") => Ok(Risk::Medium),
        Some("high") => Ok(Risk::High),
        _ => Err(format!("expected \"low\", \"medium\" or \"high\", found {}", shown(value))),
    }
}
