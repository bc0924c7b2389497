//! Cost per order and the month's spend against the budget line.
//!
//! Variable costs come from what each document used (model tokens already
//! priced per document, OCR pages, compute, reviewer minutes); fixed lines
//! (operations staff, hosting) are monthly and count pro rata as the month
//! passes. Money stays exact in [`Decimal`]; [`cents`] rounds for display
//! only.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::alert::{Alert, AlertKey, AlertKind, Severity};
use crate::liveness::{ConfigError, first_local_midnight};

/// The budget of one workflow (`[workflow.budget]`).
///
/// ```toml
/// [workflow.budget]
/// currency = "EUR"
/// monthly = 5000
/// ocr_page = 0.01
/// compute_document = 0.02
/// reviewer_minutes_per_document = 3
/// labour_rate_hour = 40
///
/// [[workflow.budget.fixed]]
/// name = "operations (0.25 FTE)"
/// monthly = 1500
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetConfig {
    /// ISO 4217 code; figures are in this currency, nothing is converted.
    #[serde(default = "default_currency")]
    pub currency: String,
    /// The budget line for a calendar month, fixed lines included.
    pub monthly: Decimal,
    /// Per OCR'd page.
    #[serde(default)]
    pub ocr_page: Decimal,
    /// Per document processed (extraction, resolution, storage).
    #[serde(default)]
    pub compute_document: Decimal,
    /// Reviewer time a reviewed document takes, on average.
    #[serde(default)]
    pub reviewer_minutes_per_document: Decimal,
    /// Per reviewer hour, fully loaded.
    #[serde(default)]
    pub labour_rate_hour: Decimal,
    #[serde(default)]
    pub fixed: Vec<FixedLine>,
}

/// The largest amount or rate accepted: with counts of documents and pages
/// far below 10^12 too, every product stays far inside [`Decimal`]'s range
/// (about 7.9 × 10^28), where an overflow would panic.
pub(crate) fn max_amount() -> Decimal {
    Decimal::from(1_000_000_000_000_i64)
}

fn default_currency() -> String {
    "EUR".to_string()
}

/// A monthly fixed cost (`[[workflow.budget.fixed]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixedLine {
    pub name: String,
    pub monthly: Decimal,
}

impl BudgetConfig {
    /// Every error of the section at once.
    pub fn validate(&self) -> Result<(), Vec<ConfigError>> {
        let mut errors = Vec::new();
        let key = |k: &str| format!("workflow.budget.{k}");
        if self.currency.len() != 3 || !self.currency.chars().all(|c| c.is_ascii_uppercase()) {
            errors.push(ConfigError::new(key("currency"), &self.currency, "an ISO 4217 code such as \"EUR\""));
        }
        if self.monthly <= Decimal::ZERO || self.monthly > max_amount() {
            errors.push(ConfigError::new(key("monthly"), self.monthly, "an amount > 0 and ≤ 10^12"));
        }
        let rates = [
            ("ocr_page", self.ocr_page),
            ("compute_document", self.compute_document),
            ("reviewer_minutes_per_document", self.reviewer_minutes_per_document),
            ("labour_rate_hour", self.labour_rate_hour),
        ];
        for (name, value) in rates {
            if value < Decimal::ZERO || value > max_amount() {
                errors.push(ConfigError::new(key(name), value, "a number ≥ 0 and ≤ 10^12"));
            }
        }
        for (i, line) in self.fixed.iter().enumerate() {
            if line.name.trim().is_empty() {
                errors.push(ConfigError::new(key(&format!("fixed[{i}].name")), "\"\"", "a non-empty name"));
            } else if self.fixed[..i].iter().any(|other| other.name == line.name) {
                errors.push(ConfigError::new(
                    key(&format!("fixed[{i}].name")),
                    &line.name,
                    "a name not used by another line",
                ));
            }
            if line.monthly < Decimal::ZERO || line.monthly > max_amount() {
                errors.push(ConfigError::new(
                    key(&format!("fixed[{i}].monthly")),
                    line.monthly,
                    "an amount ≥ 0 and ≤ 10^12",
                ));
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

/// What one processed document used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentUsage {
    /// When it was processed; the month and day it counts in are local to
    /// the caller's zone.
    pub at: DateTime<Utc>,
    /// Model token cost of the document, already in money.
    pub model_cost: Decimal,
    pub ocr_pages: u32,
    /// Sent to review (a person touched it).
    pub reviewed: bool,
    /// Sales orders posted to the ERP from it.
    pub orders_posted: u32,
}

/// A calendar month of a time zone, as UTC instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Month {
    pub first_day: NaiveDate,
    /// Local midnight starting the first day.
    pub start: DateTime<Utc>,
    /// Local midnight starting the next month.
    pub end: DateTime<Utc>,
}

impl Month {
    /// The local month containing `at`; `None` only at the ends of
    /// chrono's date range.
    pub fn containing(at: DateTime<Utc>, zone: Tz) -> Option<Month> {
        let local = at.with_timezone(&zone).date_naive();
        let first_day = local.with_day(1)?;
        let next = first_day.checked_add_months(chrono::Months::new(1))?;
        Some(Month { first_day, start: first_local_midnight(zone, first_day)?, end: first_local_midnight(zone, next)? })
    }

    /// Whether `at` lies in the month and not after `now`.
    pub fn holds_until(&self, at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        self.start <= at && at < self.end && at <= now
    }

    /// Share of the month's seconds elapsed at `now`, in `[0, 1]`.
    pub fn elapsed_share(&self, now: DateTime<Utc>) -> Decimal {
        let length = (self.end - self.start).num_seconds();
        let elapsed = (now.clamp(self.start, self.end) - self.start).num_seconds();
        Decimal::from(elapsed).checked_div(Decimal::from(length)).unwrap_or(Decimal::ONE)
    }
}

/// Which kind of cost a component is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CostKind {
    Model,
    Ocr,
    Compute,
    ReviewLabour,
    Fixed,
}

/// One line of the cost report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CostComponent {
    /// `model`, `ocr`, `compute`, `review_labour`, or the fixed line's name.
    pub name: String,
    pub kind: CostKind,
    pub month_to_date: Decimal,
    /// Variable: run rate × whole month; fixed: the full monthly amount.
    pub forecast: Decimal,
}

/// The month's spend as of one instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CostReport {
    pub currency: String,
    pub month: Month,
    pub as_of: DateTime<Utc>,
    /// Share of the month's time elapsed.
    pub month_elapsed: Decimal,
    pub documents: u64,
    pub reviewed_documents: u64,
    pub ocr_pages: u64,
    pub orders_posted: u64,
    /// Model, OCR, compute, review labour, then each fixed line.
    pub components: Vec<CostComponent>,
    pub variable_to_date: Decimal,
    /// Fixed lines pro rata to the elapsed share of the month.
    pub fixed_to_date: Decimal,
    pub month_to_date: Decimal,
    /// month to date ÷ orders posted; `None` before the first order.
    pub cost_per_order: Option<Decimal>,
    /// Variable to date ÷ orders posted: what one more order costs.
    pub variable_cost_per_order: Option<Decimal>,
    pub forecast: Decimal,
    pub budget: Decimal,
    /// budget − month to date; negative once over.
    pub budget_left: Decimal,
    /// month to date ÷ budget; `None` for a zero budget.
    pub budget_used: Option<Decimal>,
    /// budget used ÷ month elapsed: above 1 spends faster than the month
    /// passes. `None` at the first instant of the month or a zero budget.
    pub burn_rate: Option<Decimal>,
    /// The forecast exceeds the budget.
    pub overrun: bool,
    /// Month to date already exceeds the budget.
    pub over_budget_now: bool,
}

/// The cost report of the local month (in `zone`) containing `now`, from
/// the usage records handed in; records outside the month or after `now`
/// are ignored, so a report can be replayed as it stood.
///
/// Forecast rule: each variable component's month-to-date amount divided by
/// the elapsed share of the month (its run rate over the elapsed time,
/// weekends included) times the whole month, plus every fixed line in full.
/// At the month's first instant the run rate is unknown and the variable
/// forecast is what has been spent (nothing). `None` only at the ends of
/// chrono's date range.
pub fn cost_report(budget: &BudgetConfig, usage: &[DocumentUsage], zone: Tz, now: DateTime<Utc>) -> Option<CostReport> {
    let month = Month::containing(now, zone)?;
    let elapsed = month.elapsed_share(now);
    let docs: Vec<&DocumentUsage> = usage.iter().filter(|u| month.holds_until(u.at, now)).collect();
    let documents = docs.len() as u64;
    let reviewed_documents = docs.iter().filter(|u| u.reviewed).count() as u64;
    let ocr_pages: u64 = docs.iter().map(|u| u64::from(u.ocr_pages)).sum();
    let orders_posted: u64 = docs.iter().map(|u| u64::from(u.orders_posted)).sum();
    let review_hours = Decimal::from(reviewed_documents) * budget.reviewer_minutes_per_document / Decimal::from(60);
    let variable = [
        ("model", CostKind::Model, docs.iter().map(|u| u.model_cost).sum::<Decimal>()),
        ("ocr", CostKind::Ocr, Decimal::from(ocr_pages) * budget.ocr_page),
        ("compute", CostKind::Compute, Decimal::from(documents) * budget.compute_document),
        ("review_labour", CostKind::ReviewLabour, review_hours * budget.labour_rate_hour),
    ];
    let run_rate = |amount: Decimal| amount.checked_div(elapsed).unwrap_or(amount);
    let mut components: Vec<CostComponent> = variable
        .into_iter()
        .map(|(name, kind, amount)| CostComponent {
            name: name.to_string(),
            kind,
            month_to_date: amount,
            forecast: run_rate(amount),
        })
        .collect();
    components.extend(budget.fixed.iter().map(|line| CostComponent {
        name: line.name.clone(),
        kind: CostKind::Fixed,
        month_to_date: line.monthly * elapsed,
        forecast: line.monthly,
    }));
    let sum_of = |fixed: bool| -> Decimal {
        components.iter().filter(|c| (c.kind == CostKind::Fixed) == fixed).map(|c| c.month_to_date).sum()
    };
    let (variable_to_date, fixed_to_date) = (sum_of(false), sum_of(true));
    let month_to_date = variable_to_date + fixed_to_date;
    let forecast: Decimal = components.iter().map(|c| c.forecast).sum();
    let per_order = |amount: Decimal| (orders_posted > 0).then(|| amount / Decimal::from(orders_posted));
    let budget_used = month_to_date.checked_div(budget.monthly);
    Some(CostReport {
        currency: budget.currency.clone(),
        month,
        as_of: now,
        month_elapsed: elapsed,
        documents,
        reviewed_documents,
        ocr_pages,
        orders_posted,
        components,
        variable_to_date,
        fixed_to_date,
        month_to_date,
        cost_per_order: per_order(month_to_date),
        variable_cost_per_order: per_order(variable_to_date),
        forecast,
        budget: budget.monthly,
        budget_left: budget.monthly - month_to_date,
        budget_used,
        burn_rate: budget_used.and_then(|used| used.checked_div(elapsed)),
        overrun: forecast > budget.monthly,
        over_budget_now: month_to_date > budget.monthly,
    })
}

impl CostReport {
    /// One line for a status screen or an alert summary, in cents.
    pub fn summary(&self) -> String {
        let percent = |share: Option<Decimal>| {
            share.map_or("–".to_string(), |s| format!("{} %", (s * Decimal::ONE_HUNDRED).round_dp(0)))
        };
        format!(
            "{} {} spent of {} ({} of budget, {} of month); forecast {}",
            self.currency,
            money(self.month_to_date),
            money(self.budget),
            percent(self.budget_used),
            percent(Some(self.month_elapsed)),
            money(self.forecast),
        )
    }

    /// One line per component, then the per-order figures, in cents.
    pub fn detail(&self) -> String {
        let mut lines: Vec<String> = self
            .components
            .iter()
            .map(|c| format!("{}: {} to date, forecast {}", c.name, money(c.month_to_date), money(c.forecast)))
            .collect();
        let per_order = self.cost_per_order.map_or("no order posted yet".to_string(), money);
        lines.push(format!("{} orders posted, cost per order {per_order}", self.orders_posted));
        lines.join("\n")
    }
}

impl CostReport {
    /// The budget alerts of `workflow` that hold: `budget_overrun`
    /// (warning) when the forecast exceeds the budget, and `over_budget`
    /// (critical) once the spend does. Both can hold; each resolves on its
    /// own. `since` is this report's instant.
    pub fn alerts(&self, workflow: &str) -> Vec<Alert> {
        let alert = |kind, severity, summary: String| Alert {
            key: AlertKey::new(kind, workflow, ""),
            severity,
            summary,
            detail: self.detail(),
            since: self.as_of,
        };
        let mut alerts = Vec::new();
        if self.overrun {
            let summary = format!(
                "{workflow}: forecast {} {} exceeds the budget of {}",
                self.currency,
                money(self.forecast),
                money(self.budget)
            );
            alerts.push(alert(AlertKind::BudgetOverrun, Severity::Warning, summary));
        }
        if self.over_budget_now {
            let summary = format!(
                "{workflow}: {} {} spent, over the budget of {}",
                self.currency,
                money(self.month_to_date),
                money(self.budget)
            );
            alerts.push(alert(AlertKind::OverBudget, Severity::Critical, summary));
        }
        alerts
    }
}

/// An amount rounded to cents, halves away from zero, for display.
pub fn cents(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// An amount as text with exactly two decimals: `1500` is `1500.00`.
pub fn money(amount: Decimal) -> String {
    format!("{:.2}", cents(amount))
}
