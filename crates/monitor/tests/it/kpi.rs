//! The scorecard KPI against hand computations.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use prodline_monitor::cost::DocumentUsage;
use prodline_monitor::kpi::{KpiConfig, KpiOwner, kpi_report};
use rust_decimal::Decimal;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn config() -> KpiConfig {
    KpiConfig {
        name: "order-entry hours saved".into(),
        owner: KpiOwner { name: "Jana Novak".into(), email: "jana.novak@example.com".into() },
        minutes_per_manual_order: dec("6"),
        fte_minutes_per_month: dec("9600"),
    }
}

fn doc(at: DateTime<Utc>, reviewed: bool, orders_posted: u32) -> DocumentUsage {
    DocumentUsage { at, model_cost: Decimal::ZERO, ocr_pages: 0, reviewed, orders_posted }
}

/// 2 Nov 2026: 10 untouched documents of one order each, 2 reviewed ones of one order.
/// 4 Nov: 5 untouched documents of two orders each, 1 untouched document that posted
/// nothing. Plus one on 31 Oct and one after the report's instant.
fn documents() -> Vec<DocumentUsage> {
    let mut docs = Vec::new();
    docs.extend((0..10).map(|i| doc(utc(2026, 11, 2, 8, i), false, 1)));
    docs.extend((0..2).map(|i| doc(utc(2026, 11, 2, 9, i), true, 1)));
    docs.extend((0..5).map(|i| doc(utc(2026, 11, 4, 8, i), false, 2)));
    docs.push(doc(utc(2026, 11, 4, 9, 0), false, 0));
    docs.push(doc(utc(2026, 10, 31, 12, 0), false, 1));
    docs.push(doc(utc(2026, 11, 4, 18, 1), false, 1));
    docs
}

#[test]
fn hours_saved_gross_and_net_of_review_by_day_and_month_to_date() {
    let now = utc(2026, 11, 4, 18, 0);
    let report = kpi_report(&config(), &documents(), dec("3"), Tz::UTC, now).unwrap();
    // Every day of November up to the 4th, empty days included.
    let dates: Vec<NaiveDate> = report.days.iter().map(|d| d.date).collect();
    assert_eq!(dates, (1..=4).map(|d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap()).collect::<Vec<_>>());
    assert_eq!(report.days[0].figures.documents, 0);
    assert_eq!(report.days[0].figures.minutes_saved_gross, Decimal::ZERO);

    // 2 Nov: 10 untouched orders × 6 min = 60 min gross; 2 reviewed × 3 min = 6 min; net 54 min.
    let day2 = &report.days[1].figures;
    assert_eq!((day2.documents, day2.orders_posted, day2.untouched_orders, day2.reviewed_documents), (12, 12, 10, 2));
    assert_eq!(
        (day2.minutes_saved_gross, day2.review_minutes, day2.minutes_saved_net),
        (dec("60"), dec("6"), dec("54"))
    );
    assert_eq!((day2.hours_saved_gross, day2.hours_saved_net), (dec("1"), dec("0.9")));
    // 4 Nov: 5 × 2 = 10 untouched orders = 60 min, nothing reviewed.
    let day4 = &report.days[3].figures;
    assert_eq!((day4.documents, day4.untouched_orders, day4.minutes_saved_net), (6, 10, dec("60")));

    // Month to date: 120 min gross = 2 h; net 114 min = 1.9 h.
    // FTE: 120 / 9600 = 0.0125 gross, 114 / 9600 = 0.011875 net.
    let total = &report.month_to_date;
    assert_eq!((total.documents, total.orders_posted, total.untouched_orders), (18, 22, 20));
    assert_eq!((total.hours_saved_gross, total.hours_saved_net), (dec("2"), dec("1.9")));
    assert_eq!((report.fte_gross, report.fte_net), (dec("0.0125"), dec("0.011875")));
    assert_eq!(
        report.summary(),
        "order-entry hours saved: 2 h saved this month (1.9 h net of review, 0.01 FTE) for Jana Novak"
    );
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["days"][1]["untouched_orders"], 10);
    assert_eq!(json["owner"]["email"], "jana.novak@example.com");
}

#[test]
fn without_reviewer_minutes_net_equals_gross_and_review_can_cost_more_than_it_saves() {
    let now = utc(2026, 11, 4, 18, 0);
    let report = kpi_report(&config(), &documents(), Decimal::ZERO, Tz::UTC, now).unwrap();
    assert_eq!(report.month_to_date.minutes_saved_net, report.month_to_date.minutes_saved_gross);
    // Only reviewed documents: nothing saved, 2 × 3 min spent.
    let reviewed = [doc(utc(2026, 11, 2, 9, 0), true, 1), doc(utc(2026, 11, 2, 9, 5), true, 1)];
    let report = kpi_report(&config(), &reviewed, dec("3"), Tz::UTC, now).unwrap();
    assert_eq!(report.month_to_date.minutes_saved_net, dec("-6"));
    assert_eq!(report.fte_net, dec("-0.000625"));
}

#[test]
fn days_are_local_to_the_zone() {
    let berlin: Tz = "Europe/Berlin".parse().unwrap();
    // 2 Nov 23:30 UTC is 3 Nov 00:30 in Berlin.
    let docs = [doc(utc(2026, 11, 2, 23, 30), false, 1)];
    let report = kpi_report(&config(), &docs, Decimal::ZERO, berlin, utc(2026, 11, 3, 12, 0)).unwrap();
    assert_eq!(report.days.len(), 3);
    assert_eq!(report.days[2].figures.untouched_orders, 1);
    assert_eq!(report.days[1].figures.untouched_orders, 0);
}

#[test]
fn kpi_config_decodes_from_toml_and_names_bad_keys() {
    let config: KpiConfig = toml::from_str(
        r#"
        name = "order-entry hours saved"
        owner = { name = "Jana Novak", email = "jana.novak@example.com" }
        minutes_per_manual_order = 6
        "#,
    )
    .unwrap();
    assert_eq!(config, self::config());
    assert!(config.validate().is_ok());
    assert!(toml::from_str::<KpiConfig>("name = \"x\"\nminutes_per_manual_order = 6").is_err());

    let bad = KpiConfig {
        name: " ".into(),
        owner: KpiOwner { name: String::new(), email: "jana".into() },
        minutes_per_manual_order: Decimal::ZERO,
        fte_minutes_per_month: dec("-1"),
    };
    let keys: Vec<String> = bad.validate().unwrap_err().into_iter().map(|e| e.key).collect();
    assert_eq!(
        keys,
        [
            "workflow.kpi.name",
            "workflow.kpi.owner.name",
            "workflow.kpi.owner.email",
            "workflow.kpi.minutes_per_manual_order",
            "workflow.kpi.fte_minutes_per_month",
        ]
    );
}
