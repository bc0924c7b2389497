//! The prodline.toml keys and commands the audit's fixes name, in one place
//! so that a renamed key is renamed once.

/// Who answers for the workflow (inside `[[workflow]]`).
pub const OWNER: &str = "owner = { name = \"…\", email = \"…\" } under [[workflow]]";
/// The accuracy objective and its alarm rule.
pub const SLO_TARGET: &str = "[workflow.slo] target = 0.92";
pub const SLO_WINDOW: &str = "[workflow.slo] window = 100 and below = 0.90";
pub const SLO_SEQUENTIAL: &str = "[workflow.slo] drop = 0.05 and false_alarm = 0.01 for the sequential test";
/// The random share of auto-approved orders a person checks anyway.
pub const AUDIT_RATE: &str = "audit_rate = 0.05 under [workflow.decision]";
pub const AUTO_THRESHOLD: &str = "[workflow.decision] auto_threshold";
/// Where alerts go.
pub const ALERT: &str = "[[workflow.alert]]";
/// Watching the layout of each source for change, and for silence.
pub const DRIFT: &str = "[workflow.drift] recent = 10 and reference = 60";
pub const LIVENESS: &str = "[workflow.liveness] (each source's expected cadence)";
/// The budget line and the prices that turn usage into money.
pub const BUDGET: &str = "[workflow.budget] monthly = 400 and currency = \"EUR\"";
pub const RATES: &str = "[workflow.budget] rates (the extractor's prompt and completion prices per million tokens)";
/// The KPI the workflow moves.
pub const KPI_NAME: &str = "[workflow.kpi] name = \"order entry hours per month\"";
pub const KPI_OWNER: &str = "[workflow.kpi] owner = \"Head of Customer Service\"";
pub const KPI_MINUTES: &str = "[workflow.kpi] minutes_per_manual_order = 6";
/// Where orders go.
pub const TARGET: &str = "[workflow.target] type = \"sql\", \"tryton\" or \"file_drop\"";
pub const TARGET_MAPPING: &str = "[workflow.target.header] and [workflow.target.lines]";

/// An honest measurement: a seeded random sample of production.
pub const EVAL_COMMAND: &str = "prodline eval --dataset DATASET --sample 300 --report eval.json";
/// Then the audit again with that report.
pub const AUDIT_COMMAND: &str = "prodline audit -c prodline.toml --eval eval.json";
/// Every config error at once, and a probe of sources and target.
pub const CHECK_COMMAND: &str = "prodline check -c prodline.toml";
/// The curated-versus-live gap.
pub const CURATED_COMMAND: &str = "prodline eval --dataset DATASET --curated --report eval.json";
