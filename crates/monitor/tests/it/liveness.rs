//! Feed liveness against hand-computed business time.

use chrono::{DateTime, NaiveDate, TimeZone, Utc, Weekday};
use prodline_monitor::alert::AlertKind;
use prodline_monitor::liveness::{
    Cadence, CadenceBasis, Calendar, CalendarConfig, FeedCadenceConfig, LEARNED_ALARM_FACTOR, MIN_GAPS,
    MIN_THRESHOLD_SECONDS, check_feed,
};
use rust_decimal::Decimal;

const HOUR: i64 = 3600;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn date(y: i32, mo: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, mo, d).unwrap()
}

fn calendar(zone: &str, opens: &str, closes: &str, holidays: &[NaiveDate]) -> Calendar {
    CalendarConfig {
        time_zone: zone.to_string(),
        opens: opens.to_string(),
        closes: closes.to_string(),
        holidays: holidays.to_vec(),
        ..CalendarConfig::default()
    }
    .build()
    .unwrap()
}

fn every_day(zone: &str, opens: &str, closes: &str) -> Calendar {
    let mut config = CalendarConfig {
        time_zone: zone.to_string(),
        opens: opens.to_string(),
        closes: closes.to_string(),
        ..CalendarConfig::default()
    };
    config.working_days.extend([Weekday::Sat, Weekday::Sun]);
    config.build().unwrap()
}

#[test]
fn friday_evening_to_monday_morning_is_two_business_hours() {
    let cal = calendar("UTC", "08:00", "18:00", &[]);
    // Fri 27 Nov 2026 17:00 → 18:00 = 1 h; weekend 0; Mon 30 Nov 08:00 → 09:00 = 1 h.
    assert_eq!(cal.business_seconds(utc(2026, 11, 27, 17, 0), utc(2026, 11, 30, 9, 0)), 2 * HOUR);
    // Backwards or empty: nothing.
    assert_eq!(cal.business_seconds(utc(2026, 11, 30, 9, 0), utc(2026, 11, 27, 17, 0)), 0);
    // Inside one day, before opening, after closing.
    assert_eq!(cal.business_seconds(utc(2026, 11, 30, 6, 0), utc(2026, 11, 30, 8, 30)), HOUR / 2);
    assert_eq!(cal.business_seconds(utc(2026, 11, 30, 18, 0), utc(2026, 11, 30, 23, 0)), 0);
    // Two full weeks from Monday 00:00 to Monday 00:00: 10 days × 10 h.
    assert_eq!(cal.business_seconds(utc(2026, 11, 2, 0, 0), utc(2026, 11, 16, 0, 0)), 100 * HOUR);
}

#[test]
fn a_holiday_is_skipped() {
    // Mon 30 Nov 2026 is a holiday: Fri 17:00 → Tue 1 Dec 09:00 is still 1 h + 1 h.
    let cal = calendar("UTC", "08:00", "18:00", &[date(2026, 11, 30)]);
    assert_eq!(cal.business_seconds(utc(2026, 11, 27, 17, 0), utc(2026, 12, 1, 9, 0)), 2 * HOUR);
    assert!(!cal.is_working_day(date(2026, 11, 30)));
    // Three whole weeks with one holiday: 15 − 1 = 14 days × 10 h.
    assert_eq!(cal.business_seconds(utc(2026, 11, 23, 0, 0), utc(2026, 12, 14, 0, 0)), 140 * HOUR);
    // The inverse steps over it too: 1 h left on Friday, 1 h on Tuesday.
    assert_eq!(cal.add_business_seconds(utc(2026, 11, 27, 17, 0), 2 * HOUR), Some(utc(2026, 12, 1, 9, 0)));
}

#[test]
fn berlin_days_are_25_and_23_hours_long_when_the_clocks_change() {
    let cal = every_day("Europe/Berlin", "00:00", "24:00");
    // Sun 25 Oct 2026: CEST ends at 03:00 local. Local midnight is 24 Oct 22:00 UTC
    // (UTC+2), the next midnight 25 Oct 23:00 UTC (UTC+1): 25 hours.
    assert_eq!(cal.business_seconds(utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 23, 0)), 25 * HOUR);
    // Sun 29 Mar 2026: CET → CEST at 02:00 local. 28 Mar 23:00 UTC to 29 Mar 22:00 UTC: 23 hours.
    assert_eq!(cal.business_seconds(utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 22, 0)), 23 * HOUR);
    // Four whole weeks across the October change: 28 × 24 h + 1 h.
    assert_eq!(cal.business_seconds(utc(2026, 10, 11, 22, 0), utc(2026, 11, 8, 23, 0)), (28 * 24 + 1) * HOUR);
}

#[test]
fn berlin_working_hours_are_local_across_the_change() {
    let cal = calendar("Europe/Berlin", "08:00", "18:00", &[]);
    // Fri 23 Oct 17:00 CEST = 15:00 UTC; Mon 26 Oct 09:00 CET = 08:00 UTC.
    // 1 h on Friday + 1 h on Monday, although 65 UTC hours passed.
    assert_eq!(cal.business_seconds(utc(2026, 10, 23, 15, 0), utc(2026, 10, 26, 8, 0)), 2 * HOUR);
    // Monday opens at 08:00 CET = 07:00 UTC, not 06:00 UTC as in summer.
    assert_eq!(cal.business_seconds(utc(2026, 10, 26, 6, 0), utc(2026, 10, 26, 7, 0)), 0);
    assert_eq!(cal.add_business_seconds(utc(2026, 10, 23, 15, 0), 2 * HOUR), Some(utc(2026, 10, 26, 8, 0)));
}

#[test]
fn an_opening_time_skipped_by_the_clock_change_opens_at_the_end_of_the_gap() {
    // 02:30 does not exist in Berlin on 29 Mar 2026 (02:00 CET jumps to 03:00 CEST):
    // the day opens at 03:00 CEST = 01:00 UTC and closes at 04:00 CEST = 02:00 UTC: 1 h.
    let cal = every_day("Europe/Berlin", "02:30", "04:00");
    assert_eq!(cal.business_seconds(utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 12, 0)), HOUR);
    // The day before: 02:30–04:00 CET = 01:30–03:00 UTC, 1.5 h.
    assert_eq!(cal.business_seconds(utc(2026, 3, 28, 0, 0), utc(2026, 3, 28, 12, 0)), 3 * HOUR / 2);
    // In autumn 02:30 happens twice: the first one (CEST, 00:30 UTC) opens.
    assert_eq!(cal.business_seconds(utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 12, 0)), (3 * HOUR) / 2 + HOUR);
}

#[test]
fn add_business_seconds_inverts_business_seconds() {
    let cal = calendar("Europe/Berlin", "07:00", "18:00", &[date(2026, 12, 24), date(2026, 12, 25)]);
    let from = utc(2026, 10, 20, 9, 17);
    for seconds in [1, HOUR, 11 * HOUR, 11 * HOUR + 1, 55 * HOUR, 400 * HOUR, 731 * HOUR + 59] {
        let to = cal.add_business_seconds(from, seconds).unwrap();
        assert_eq!(cal.business_seconds(from, to), seconds, "{seconds} s from {from} reached {to}");
    }
    // Ending exactly at closing time gives the closing time: Tue 20 Oct 18:00 CEST = 16:00 UTC
    // is 6 h 43 min after 09:17 UTC (11:17 CEST).
    assert_eq!(cal.add_business_seconds(from, 6 * HOUR + 43 * 60), Some(utc(2026, 10, 20, 16, 0)));
}

/// Arrivals at 10:00 UTC each weekday from Mon 2 Nov to Fri 13 Nov 2026, Tuesday
/// 10 Nov's at 12:00, plus a duplicate 30 s after the first.
fn daily_arrivals() -> Vec<DateTime<Utc>> {
    let mut arrivals: Vec<DateTime<Utc>> =
        [2, 3, 4, 5, 6, 9, 11, 12, 13].into_iter().map(|d| utc(2026, 11, d, 10, 0)).collect();
    arrivals.push(utc(2026, 11, 10, 12, 0));
    arrivals.push(utc(2026, 11, 2, 10, 0) + chrono::Duration::seconds(30));
    arrivals
}

#[test]
fn a_daily_feed_learns_its_cadence_and_alarms_on_the_third_missed_day_not_over_the_weekend() {
    let cal = Calendar::default(); // UTC, Mon–Fri, whole days.
    let cadence = Cadence::learn(&daily_arrivals(), &cal).unwrap();
    // 10 arrivals (the duplicate dropped) → 9 gaps in business time: Fri→Mon is 14 h + 10 h = 24 h
    // like any weekday; Mon 9 → Tue 10 12:00 is 26 h, Tue 12:00 → Wed 10:00 is 22 h, the rest 24 h.
    // Sorted: 22, 24 ×7, 26; the 90th percentile is rank ⌈8.1⌉ = 9: 26 h. Threshold 3 × 26 = 78 h.
    assert_eq!(cadence.basis, CadenceBasis::Learned { gaps: 9 });
    assert_eq!(cadence.expected_gap_seconds, 26 * HOUR);
    assert_eq!(cadence.threshold_seconds, LEARNED_ALARM_FACTOR * 26 * HOUR);

    let last = utc(2026, 11, 13, 10, 0);
    // Monday 16 Nov 10:00, first missed delivery: 24 business hours, quiet over the weekend.
    let monday = check_feed(last, utc(2026, 11, 16, 10, 0), &cadence, &cal);
    assert_eq!((monday.silent_business_seconds, monday.silent, monday.overdue_since), (24 * HOUR, false, None));
    // Sunday night: 14 h only.
    assert!(!check_feed(last, utc(2026, 11, 15, 23, 59), &cadence, &cal).silent);
    // Tuesday 17 Nov 10:00, second missed delivery: 48 h; Wednesday 10:00, third: 72 h, not yet 78.
    assert!(!check_feed(last, utc(2026, 11, 17, 10, 0), &cadence, &cal).silent);
    assert!(!check_feed(last, utc(2026, 11, 18, 10, 0), &cadence, &cal).silent);
    // 78 h after Fri 10:00 = Fri 14 h + Mon 24 h + Tue 24 h + Wed 16 h: Wed 18 Nov 16:00.
    let wednesday = check_feed(last, utc(2026, 11, 18, 17, 0), &cadence, &cal);
    assert_eq!(wednesday.silent_business_seconds, 79 * HOUR);
    assert!(wednesday.silent);
    assert_eq!(wednesday.overdue_since, Some(utc(2026, 11, 18, 16, 0)));
    // At the threshold exactly, it is silent.
    assert!(check_feed(last, utc(2026, 11, 18, 16, 0), &cadence, &cal).silent);

    let alert = wednesday.alert("orders", "edi:acme").unwrap();
    assert_eq!(alert.key.kind, AlertKind::FeedSilent);
    assert_eq!(alert.key.to_string(), "feed_silent/orders/edi:acme");
    assert_eq!(alert.since, utc(2026, 11, 18, 16, 0));
    assert_eq!(alert.summary, "edi:acme: no delivery for 79 business hours (expected every 26 h)");
    assert!(monday.alert("orders", "edi:acme").is_none());
}

#[test]
fn too_few_gaps_learn_nothing() {
    let cal = Calendar::default();
    // 9 arrivals are 8 gaps: enough. 8 arrivals (7 gaps) are not.
    let arrivals: Vec<DateTime<Utc>> =
        (2..=12).filter(|d| ![7, 8].contains(d)).map(|d| utc(2026, 11, d, 10, 0)).collect();
    assert_eq!(arrivals.len(), MIN_GAPS + 1);
    assert!(Cadence::learn(&arrivals, &cal).is_some());
    assert!(Cadence::learn(&arrivals[1..], &cal).is_none());
    // Duplicates within a minute do not make up the count.
    let mut padded = arrivals[1..].to_vec();
    padded.push(utc(2026, 11, 3, 10, 0) + chrono::Duration::seconds(59));
    assert!(Cadence::learn(&padded, &cal).is_none());
}

#[test]
fn a_feed_stopping_on_the_31st_alarms_at_its_threshold_over_a_holiday_and_a_weekend() {
    // Berlin, 08:00–18:00 on weekdays, New Year's Day a holiday. One delivery every
    // 10 business hours (a working day): alarm after 20 h.
    let cal = calendar("Europe/Berlin", "08:00", "18:00", &[date(2027, 1, 1)]);
    let cadence = Cadence::configured(Decimal::from(10)).unwrap();
    assert_eq!((cadence.expected_gap_seconds, cadence.threshold_seconds), (10 * HOUR, 20 * HOUR));
    // Last delivery Thu 31 Dec 2026 11:30 CET = 10:30 UTC.
    let last = utc(2026, 12, 31, 10, 30);
    // 20 h: Thu 6.5 h (to 18:00), Fri 1 Jan holiday, weekend, Mon 4 Jan 10 h, Tue 5 Jan 3.5 h
    // → Tue 11:30 CET = 10:30 UTC.
    let monday_evening = check_feed(last, utc(2027, 1, 4, 16, 0), &cadence, &cal);
    assert_eq!(monday_evening.silent_business_seconds, 6 * HOUR + HOUR / 2 + 9 * HOUR);
    assert!(!monday_evening.silent);
    let tuesday = check_feed(last, utc(2027, 1, 5, 11, 0), &cadence, &cal);
    assert_eq!(tuesday.silent_business_seconds, 20 * HOUR + HOUR / 2);
    assert!(tuesday.silent);
    assert_eq!(tuesday.overdue_since, Some(utc(2027, 1, 5, 10, 30)));
}

#[test]
fn configured_cadences_are_checked_and_floored() {
    assert!(Cadence::configured(Decimal::ZERO).is_err());
    assert!(Cadence::configured(Decimal::from(-1)).is_err());
    // A 5-minute cadence would alarm after 10 minutes; the floor is 15.
    let fast = Cadence::configured(Decimal::new(5, 0) / Decimal::from(60)).unwrap();
    assert_eq!((fast.expected_gap_seconds, fast.threshold_seconds), (300, MIN_THRESHOLD_SECONDS));
    let config = FeedCadenceConfig { expected_every_hours: Some(Decimal::new(-2, 0)) };
    let errors = config.validate().unwrap_err();
    assert_eq!(errors[0].key, "expected_every_hours");
    // Configured wins over learned; without it the cadence is learned.
    let cal = Calendar::default();
    let configured = FeedCadenceConfig { expected_every_hours: Some(Decimal::from(4)) };
    assert_eq!(configured.resolve(&daily_arrivals(), &cal).unwrap().unwrap().expected_gap_seconds, 4 * HOUR);
    let learned = FeedCadenceConfig::default().resolve(&daily_arrivals(), &cal).unwrap().unwrap();
    assert_eq!(learned.expected_gap_seconds, 26 * HOUR);
}

#[test]
fn calendar_config_decodes_from_toml_and_names_bad_keys() {
    let config: CalendarConfig = toml::from_str(
        r#"
        time_zone = "Europe/Berlin"
        working_days = ["mon", "tue", "wed", "thu", "Friday"]
        opens = "07:00"
        closes = "18:00"
        holidays = [2026-12-25, "2026-12-26"]
        "#,
    )
    .unwrap();
    let cal = config.build().unwrap();
    assert!(!cal.is_working_day(date(2026, 12, 25)));
    assert!(!cal.is_working_day(date(2026, 12, 26)));
    assert!(cal.is_working_day(date(2026, 12, 28)));
    // Defaults: UTC, whole weekdays.
    let default: CalendarConfig = toml::from_str("").unwrap();
    assert_eq!(default.build().unwrap(), Calendar::default());
    assert!(toml::from_str::<CalendarConfig>("timezone = \"UTC\"").is_err());
    let error = toml::from_str::<CalendarConfig>("holidays = [\"25.12.2026\"]").unwrap_err();
    assert!(error.to_string().contains("expected a date YYYY-MM-DD"), "{error}");
    assert!(toml::from_str::<CalendarConfig>("holidays = [2026-12-25T10:00:00]").is_err());

    let bad = CalendarConfig {
        time_zone: "Europe/Atlantis".into(),
        working_days: vec![],
        opens: "18:00".into(),
        closes: "7:00".into(),
        holidays: vec![],
    };
    let keys: Vec<String> = bad.validate().unwrap_err().into_iter().map(|e| e.key).collect();
    assert_eq!(keys, ["calendar.time_zone", "calendar.closes", "calendar.working_days"]);
    let inverted = CalendarConfig { opens: "18:00".into(), closes: "07:00".into(), ..CalendarConfig::default() };
    let errors = inverted.validate().unwrap_err();
    assert_eq!(errors[0].to_string(), "invalid calendar.closes = 07:00: expected a time after calendar.opens");
    let late = CalendarConfig { opens: "24:00".into(), ..CalendarConfig::default() };
    assert_eq!(late.validate().unwrap_err()[0].key, "calendar.opens");
}

#[test]
fn a_thousand_feeds_over_a_month_take_little_time() {
    let cal = calendar("Europe/Berlin", "07:00", "18:00", &[date(2026, 12, 25)]);
    let cadence = Cadence::configured(Decimal::from(24)).unwrap();
    let started = std::time::Instant::now();
    let silent = (0..1000)
        .filter(|i| {
            let last = utc(2026, 11, 1, 0, 0) + chrono::Duration::minutes(i * 20);
            check_feed(last, utc(2026, 12, 1, 0, 0), &cadence, &cal).silent
        })
        .count();
    assert_eq!(silent, 1000);
    // Debug build; a pass over the feeds must fit well inside a polling interval.
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
}

#[test]
fn whole_weeks_counted_at_once_agree_with_adding_up_day_by_day() {
    // Over 2026 in Berlin (both clock changes), a span counted in one call (whole weeks
    // at once) equals the sum of its UTC days counted one by one.
    for cal in [
        calendar("Europe/Berlin", "07:00", "18:00", &[date(2026, 12, 25), date(2026, 10, 26)]),
        every_day("Europe/Berlin", "00:00", "24:00"),
        every_day("America/Santiago", "00:00", "24:00"),
    ] {
        let (from, to) = (utc(2026, 1, 1, 5, 17), utc(2027, 1, 3, 11, 41));
        let mut by_day = 0;
        let mut start = from;
        while start < to {
            let end = (start + chrono::Duration::days(1)).min(to);
            by_day += cal.business_seconds(start, end);
            start = end;
        }
        assert_eq!(cal.business_seconds(from, to), by_day, "{:?}", cal.zone());
    }
}
