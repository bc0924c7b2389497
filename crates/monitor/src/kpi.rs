//! The figure on one person's scorecard: order-entry time saved.
//!
//! An order posted without anyone touching it (auto-approved, not
//! reviewed) is an order nobody typed: it saves `minutes_per_manual_order`.
//! Gross savings count those minutes; net savings also subtract the
//! reviewer minutes spent on the documents that were reviewed, so the figure
//! cannot grow by sending everything to review. (Net does not credit the
//! typing a review itself saves over manual entry: it is the conservative
//! figure to defend.) FTE = minutes saved ÷ an FTE's minutes per month.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::cost::{DocumentUsage, Month, max_amount};
use crate::liveness::ConfigError;

/// 160 hours: a full-time month of work.
pub const DEFAULT_FTE_MINUTES_PER_MONTH: u32 = 9_600;

/// A workflow's KPI (`[workflow.kpi]`).
///
/// ```toml
/// [workflow.kpi]
/// name = "order-entry hours saved"
/// owner = { name = "Jana Novak", email = "jana.novak@example.com" }
/// minutes_per_manual_order = 6
/// fte_minutes_per_month = 9600
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KpiConfig {
    pub name: String,
    /// Whose scorecard carries the figure.
    pub owner: KpiOwner,
    /// What typing one order by hand takes, measured before automation.
    pub minutes_per_manual_order: Decimal,
    #[serde(default = "default_fte_minutes")]
    pub fte_minutes_per_month: Decimal,
}

fn default_fte_minutes() -> Decimal {
    Decimal::from(DEFAULT_FTE_MINUTES_PER_MONTH)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KpiOwner {
    pub name: String,
    pub email: String,
}

impl KpiConfig {
    /// Every error of the section at once.
    pub fn validate(&self) -> Result<(), Vec<ConfigError>> {
        let mut errors = Vec::new();
        let key = |k: &str| format!("workflow.kpi.{k}");
        if self.name.trim().is_empty() {
            errors.push(ConfigError::new(key("name"), "\"\"", "a non-empty name"));
        }
        if self.owner.name.trim().is_empty() {
            errors.push(ConfigError::new(key("owner.name"), "\"\"", "the owner's name"));
        }
        let valid_email = self
            .owner
            .email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !domain.contains('@'));
        if !valid_email {
            errors.push(ConfigError::new(key("owner.email"), &self.owner.email, "an e-mail address"));
        }
        if self.minutes_per_manual_order <= Decimal::ZERO || self.minutes_per_manual_order > max_amount() {
            errors.push(ConfigError::new(
                key("minutes_per_manual_order"),
                self.minutes_per_manual_order,
                "minutes > 0 and ≤ 10^12",
            ));
        }
        if self.fte_minutes_per_month <= Decimal::ZERO || self.fte_minutes_per_month > max_amount() {
            errors.push(ConfigError::new(
                key("fte_minutes_per_month"),
                self.fte_minutes_per_month,
                "minutes > 0 and ≤ 10^12",
            ));
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

/// Counts and savings over some days.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KpiFigures {
    pub documents: u64,
    pub orders_posted: u64,
    /// Orders posted from documents nobody reviewed.
    pub untouched_orders: u64,
    pub reviewed_documents: u64,
    /// untouched orders × minutes per manual order.
    pub minutes_saved_gross: Decimal,
    /// reviewed documents × reviewer minutes per document.
    pub review_minutes: Decimal,
    /// gross − review minutes; negative when review costs more than
    /// automation saves.
    pub minutes_saved_net: Decimal,
    pub hours_saved_gross: Decimal,
    pub hours_saved_net: Decimal,
}

impl KpiFigures {
    fn add(&mut self, usage: &DocumentUsage) {
        self.documents += 1;
        self.orders_posted += u64::from(usage.orders_posted);
        if usage.reviewed {
            self.reviewed_documents += 1;
        } else {
            self.untouched_orders += u64::from(usage.orders_posted);
        }
    }

    /// Fills the savings from the counts.
    fn priced(mut self, minutes_per_order: Decimal, reviewer_minutes: Decimal) -> KpiFigures {
        let sixty = Decimal::from(60);
        self.minutes_saved_gross = Decimal::from(self.untouched_orders) * minutes_per_order;
        self.review_minutes = Decimal::from(self.reviewed_documents) * reviewer_minutes;
        self.minutes_saved_net = self.minutes_saved_gross - self.review_minutes;
        self.hours_saved_gross = self.minutes_saved_gross / sixty;
        self.hours_saved_net = self.minutes_saved_net / sixty;
        self
    }
}

/// One local day of the series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KpiDay {
    pub date: NaiveDate,
    #[serde(flatten)]
    pub figures: KpiFigures,
}

/// The KPI for the local month containing `as_of`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KpiReport {
    pub name: String,
    pub owner: KpiOwner,
    pub month: Month,
    pub as_of: DateTime<Utc>,
    /// Every local day of the month up to `as_of`, days without documents
    /// included (zeros), so a chart has no holes.
    pub days: Vec<KpiDay>,
    pub month_to_date: KpiFigures,
    /// Gross minutes saved ÷ FTE minutes per month.
    pub fte_gross: Decimal,
    pub fte_net: Decimal,
}

/// The KPI of the local month (in `zone`) containing `now`, from the same
/// usage records as the cost report. `reviewer_minutes_per_document` is the
/// budget's figure (`workflow.budget.reviewer_minutes_per_document`; pass 0
/// without a budget, and net equals gross). Records outside the month or
/// after `now` are ignored. `None` only at the ends of chrono's date range.
pub fn kpi_report(
    config: &KpiConfig,
    usage: &[DocumentUsage],
    reviewer_minutes_per_document: Decimal,
    zone: Tz,
    now: DateTime<Utc>,
) -> Option<KpiReport> {
    let month = Month::containing(now, zone)?;
    let today = now.with_timezone(&zone).date_naive();
    let mut days: Vec<KpiDay> = month
        .first_day
        .iter_days()
        .take_while(|d| *d <= today)
        .map(|date| KpiDay { date, figures: KpiFigures::default() })
        .collect();
    let mut total = KpiFigures::default();
    for u in usage.iter().filter(|u| month.holds_until(u.at, now)) {
        total.add(u);
        let date = u.at.with_timezone(&zone).date_naive();
        let index = usize::try_from((date - month.first_day).num_days()).ok();
        if let Some(day) = index.and_then(|i| days.get_mut(i)) {
            day.figures.add(u);
        }
    }
    let price = |f: KpiFigures| f.priced(config.minutes_per_manual_order, reviewer_minutes_per_document);
    let days = days.into_iter().map(|d| KpiDay { date: d.date, figures: price(d.figures) }).collect();
    let month_to_date = price(total);
    let fte = |minutes: Decimal| minutes.checked_div(config.fte_minutes_per_month).unwrap_or(Decimal::ZERO);
    Some(KpiReport {
        name: config.name.clone(),
        owner: config.owner.clone(),
        month,
        as_of: now,
        fte_gross: fte(month_to_date.minutes_saved_gross),
        fte_net: fte(month_to_date.minutes_saved_net),
        days,
        month_to_date,
    })
}

impl KpiReport {
    /// One line for the scorecard, hours to one decimal.
    pub fn summary(&self) -> String {
        format!(
            "{}: {} h saved this month ({} h net of review, {} FTE) for {}",
            self.name,
            self.month_to_date.hours_saved_gross.round_dp(1),
            self.month_to_date.hours_saved_net.round_dp(1),
            self.fte_gross.round_dp(2),
            self.owner.name,
        )
    }
}
