//! Cost per order and the budget line against hand computations.

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;
use prodline_monitor::alert::AlertKind;
use prodline_monitor::cost::{BudgetConfig, CostKind, DocumentUsage, FixedLine, Month, cents, cost_report, money};
use rust_decimal::Decimal;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn budget(monthly: &str) -> BudgetConfig {
    BudgetConfig {
        currency: "EUR".into(),
        monthly: dec(monthly),
        ocr_page: dec("0.01"),
        compute_document: dec("0.02"),
        reviewer_minutes_per_document: dec("3"),
        labour_rate_hour: dec("40"),
        fixed: vec![FixedLine { name: "operations (0.25 FTE)".into(), monthly: dec("1500") }],
    }
}

fn usage(at: DateTime<Utc>, reviewed: bool) -> DocumentUsage {
    DocumentUsage { at, model_cost: dec("0.05"), ocr_pages: 2, reviewed, orders_posted: 1 }
}

/// 100 documents every 2 h from 1 Nov 2026 00:00 UTC (the last on 9 Nov 06:00), 30 of them
/// reviewed, plus three outside the month or after the report's instant.
fn november() -> Vec<DocumentUsage> {
    let mut docs: Vec<DocumentUsage> =
        (0..100).map(|i| usage(utc(2026, 11, 1, 0, 0) + Duration::hours(2 * i), i % 10 < 3)).collect();
    docs.push(usage(utc(2026, 10, 31, 23, 59), false));
    docs.push(usage(utc(2026, 11, 10, 0, 0) + Duration::seconds(1), false));
    docs.push(usage(utc(2026, 12, 1, 0, 0), false));
    docs
}

#[test]
fn month_to_date_forecast_and_cost_per_order_by_hand() {
    // As of 10 Nov 00:00 UTC, 9 of November's 30 days have passed: 0.3 of the month.
    let report = cost_report(&budget("5000"), &november(), Tz::UTC, utc(2026, 11, 10, 0, 0)).unwrap();
    assert_eq!(report.month_elapsed, dec("0.3"));
    assert_eq!(
        (report.documents, report.reviewed_documents, report.ocr_pages, report.orders_posted),
        (100, 30, 200, 100)
    );
    // model 100 × 0.05 = 5; OCR 200 pages × 0.01 = 2; compute 100 × 0.02 = 2;
    // review 30 × 3 min = 1.5 h × 40 = 60; operations 1500 × 0.3 = 450.
    let to_date: Vec<(&str, CostKind, Decimal)> =
        report.components.iter().map(|c| (c.name.as_str(), c.kind, c.month_to_date)).collect();
    assert_eq!(
        to_date,
        [
            ("model", CostKind::Model, dec("5")),
            ("ocr", CostKind::Ocr, dec("2")),
            ("compute", CostKind::Compute, dec("2")),
            ("review_labour", CostKind::ReviewLabour, dec("60")),
            ("operations (0.25 FTE)", CostKind::Fixed, dec("450")),
        ]
    );
    assert_eq!(
        (report.variable_to_date, report.fixed_to_date, report.month_to_date),
        (dec("69"), dec("450"), dec("519"))
    );
    // 519 / 100 orders; 69 / 100 variable.
    assert_eq!(report.cost_per_order, Some(dec("5.19")));
    assert_eq!(report.variable_cost_per_order, Some(dec("0.69")));
    // Forecast: variable 69 / 0.3 = 230 over the month, plus operations in full: 1730.
    assert_eq!(report.components[3].forecast, dec("200"));
    assert_eq!(report.components[4].forecast, dec("1500"));
    assert_eq!(cents(report.forecast), dec("1730"));
    // Budget: 5000 − 519 = 4481 left; 519 / 5000 = 10.38 % used in 30 % of the month: burn 0.346.
    assert_eq!(report.budget_left, dec("4481"));
    assert_eq!(report.budget_used, Some(dec("0.1038")));
    assert_eq!(report.burn_rate, Some(dec("0.346")));
    assert!(!report.overrun && !report.over_budget_now);
    assert!(report.alerts("orders").is_empty());
    assert_eq!(report.summary(), "EUR 519.00 spent of 5000.00 (10 % of budget, 30 % of month); forecast 1730.00");
    assert!(report.detail().contains("review_labour: 60.00 to date, forecast 200.00"), "{}", report.detail());
    assert!(report.detail().ends_with("100 orders posted, cost per order 5.19"), "{}", report.detail());
}

#[test]
fn a_forecast_above_the_line_is_an_overrun_and_a_spend_above_it_is_over_budget() {
    let now = utc(2026, 11, 10, 0, 0);
    // Forecast 1730 > 1700, spend 519 ≤ 1700.
    let overrun = cost_report(&budget("1700"), &november(), Tz::UTC, now).unwrap();
    assert!(overrun.overrun && !overrun.over_budget_now);
    let alerts = overrun.alerts("orders");
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].key.to_string(), "budget_overrun/orders/");
    assert_eq!(alerts[0].summary, "orders: forecast EUR 1730.00 exceeds the budget of 1700.00");
    // Spend 519 > 500: both.
    let over = cost_report(&budget("500"), &november(), Tz::UTC, now).unwrap();
    assert!(over.overrun && over.over_budget_now);
    assert_eq!(over.budget_left, dec("-19"));
    let kinds: Vec<AlertKind> = over.alerts("orders").iter().map(|a| a.key.kind).collect();
    assert_eq!(kinds, [AlertKind::BudgetOverrun, AlertKind::OverBudget]);
}

#[test]
fn no_orders_means_no_cost_per_order_and_the_first_instant_forecasts_the_fixed_lines() {
    let report = cost_report(&budget("5000"), &[], Tz::UTC, utc(2026, 11, 1, 0, 0)).unwrap();
    assert_eq!(report.month_elapsed, Decimal::ZERO);
    assert_eq!(report.cost_per_order, None);
    assert_eq!(report.month_to_date, Decimal::ZERO);
    assert_eq!(report.forecast, dec("1500"));
    assert_eq!(report.burn_rate, None);
    let zero_budget = BudgetConfig { monthly: Decimal::ZERO, ..budget("1") };
    let report = cost_report(&zero_budget, &november(), Tz::UTC, utc(2026, 11, 10, 0, 0)).unwrap();
    assert_eq!(report.budget_used, None);
    assert!(report.over_budget_now);
}

#[test]
fn the_month_is_local_to_the_zone() {
    let berlin: Tz = "Europe/Berlin".parse().unwrap();
    // November in Berlin runs from 31 Oct 23:00 UTC to 30 Nov 23:00 UTC (CET, UTC+1).
    let month = Month::containing(utc(2026, 11, 15, 23, 0), berlin).unwrap();
    assert_eq!((month.start, month.end), (utc(2026, 10, 31, 23, 0), utc(2026, 11, 30, 23, 0)));
    // October runs from 30 Sep 22:00 UTC (CEST) to 31 Oct 23:00 UTC (CET): 31 days and 1 hour.
    let october = Month::containing(utc(2026, 10, 10, 0, 0), berlin).unwrap();
    assert_eq!((october.end - october.start).num_hours(), 31 * 24 + 1);
    // 31 Oct 23:30 UTC is 1 Nov 00:30 in Berlin: it counts; 30 Nov 23:30 UTC is December.
    let docs = [usage(utc(2026, 10, 31, 23, 30), false), usage(utc(2026, 11, 30, 23, 30), false)];
    let now = utc(2026, 11, 15, 23, 0); // 15 of 30 days: half the month
    let report = cost_report(&budget("5000"), &docs, berlin, now).unwrap();
    assert_eq!(report.month_elapsed, dec("0.5"));
    assert_eq!(report.documents, 1);
    assert_eq!(report.fixed_to_date, dec("750"));
}

#[test]
fn budget_config_decodes_from_toml_and_names_bad_keys() {
    let config: BudgetConfig = toml::from_str(
        r#"
        monthly = 5000
        ocr_page = 0.01
        compute_document = "0.02"
        reviewer_minutes_per_document = 3
        labour_rate_hour = 40

        [[fixed]]
        name = "operations (0.25 FTE)"
        monthly = 1500
        "#,
    )
    .unwrap();
    assert_eq!(config, budget("5000"));
    assert!(config.validate().is_ok());
    assert!(toml::from_str::<BudgetConfig>("monthly = 1\nmonthy = 2").is_err());

    let bad = BudgetConfig {
        currency: "eur".into(),
        monthly: dec("1000000000000.01"),
        ocr_page: dec("-0.01"),
        fixed: vec![
            FixedLine { name: "hosting".into(), monthly: dec("-5") },
            FixedLine { name: "hosting".into(), monthly: dec("5") },
        ],
        ..budget("1")
    };
    let keys: Vec<String> = bad.validate().unwrap_err().into_iter().map(|e| e.key).collect();
    assert_eq!(
        keys,
        [
            "workflow.budget.currency",
            "workflow.budget.monthly",
            "workflow.budget.ocr_page",
            "workflow.budget.fixed[0].monthly",
            "workflow.budget.fixed[1].name",
        ]
    );
}

#[test]
fn money_shows_cents_rounded_half_away_from_zero() {
    assert_eq!(money(dec("1500")), "1500.00");
    assert_eq!(money(dec("0.125")), "0.13");
    assert_eq!(money(dec("-0.125")), "-0.13");
    assert_eq!(money(dec("16.6666666")), "16.67");
}
