//! Alert de-duplication: fire once, resolve once, fire again after resolving.

use chrono::{DateTime, Duration, TimeZone, Utc};
use prodline_monitor::alert::{
    ActiveAlert, Alert, AlertChange, AlertKey, AlertKind, AlertPolicy, Severity, reconcile, reconcile_with, replay,
};

fn at(hour: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0).unwrap() + Duration::hours(hour)
}

fn feed_silent(subject: &str, detail: &str) -> Alert {
    Alert {
        key: AlertKey::new(AlertKind::FeedSilent, "orders", subject),
        severity: Severity::Critical,
        summary: format!("{subject}: no delivery"),
        detail: detail.to_string(),
        since: at(0),
    }
}

/// Runs one pass the way the runtime does: reconcile against the active alerts
/// rebuilt from the stored changes, then store the new changes.
fn pass(log: &mut Vec<AlertChange>, current: &[Alert], now: DateTime<Utc>, policy: &AlertPolicy) -> Vec<AlertChange> {
    let active = replay(log.iter());
    let changes = reconcile_with(&active, current, now, policy);
    log.extend(changes.iter().cloned());
    changes
}

#[test]
fn the_same_alert_twice_fires_once_then_resolves_once_then_fires_again() {
    let mut log = Vec::new();
    let policy = AlertPolicy::default();
    let acme = feed_silent("edi:acme", "silent 53 h");

    let first = pass(&mut log, std::slice::from_ref(&acme), at(1), &policy);
    assert_eq!(first, [AlertChange::Fire { alert: acme.clone(), fired_at: at(1) }]);
    // Still current with new figures: nothing (no re-fire on a changed detail).
    let changed = feed_silent("edi:acme", "silent 54 h");
    assert!(pass(&mut log, &[changed], at(2), &policy).is_empty());
    assert!(pass(&mut log, std::slice::from_ref(&acme), at(3), &policy).is_empty());

    // Gone: resolved once, with when it fired.
    let resolved = pass(&mut log, &[], at(4), &policy);
    assert_eq!(resolved, [AlertChange::Resolve { key: acme.key.clone(), fired_at: at(1), resolved_at: at(4) }]);
    assert!(pass(&mut log, &[], at(5), &policy).is_empty());

    // Back: fires again.
    let again = pass(&mut log, std::slice::from_ref(&acme), at(6), &policy);
    assert_eq!(again, [AlertChange::Fire { alert: acme.clone(), fired_at: at(6) }]);
    assert_eq!(replay(log.iter()), [ActiveAlert { key: acme.key.clone(), fired_at: at(6), notified_at: at(6) }]);
}

#[test]
fn several_keys_fire_and_resolve_independently_and_duplicates_in_a_pass_fire_once() {
    let acme = feed_silent("edi:acme", "");
    let globex = feed_silent("edi:globex", "");
    let drift = Alert { key: AlertKey::new(AlertKind::Drift, "orders", "email/globex"), ..globex.clone() };
    let active = [ActiveAlert { key: acme.key.clone(), fired_at: at(0), notified_at: at(0) }];
    let changes = reconcile(&active, &[globex.clone(), drift.clone(), globex.clone()], at(1));
    assert_eq!(
        changes,
        [
            AlertChange::Fire { alert: globex, fired_at: at(1) },
            AlertChange::Fire { alert: drift, fired_at: at(1) },
            AlertChange::Resolve { key: acme.key, fired_at: at(0), resolved_at: at(1) },
        ]
    );
}

#[test]
fn a_long_alert_is_reminded_every_interval() {
    let mut log = Vec::new();
    let policy = AlertPolicy { remind_every_hours: Some(24) };
    let acme = feed_silent("edi:acme", "");
    let current = std::slice::from_ref(&acme);
    pass(&mut log, current, at(0), &policy);
    assert!(pass(&mut log, current, at(23), &policy).is_empty());
    let remind = pass(&mut log, current, at(24), &policy);
    assert_eq!(remind, [AlertChange::Remind { alert: acme.clone(), fired_at: at(0), reminded_at: at(24) }]);
    // The next reminder counts from the last one.
    assert!(pass(&mut log, current, at(47), &policy).is_empty());
    assert_eq!(pass(&mut log, current, at(48), &policy).len(), 1);
    // Resolving keeps the original firing time.
    let resolved = pass(&mut log, &[], at(50), &policy);
    assert_eq!(resolved, [AlertChange::Resolve { key: acme.key, fired_at: at(0), resolved_at: at(50) }]);
    assert!(AlertPolicy { remind_every_hours: Some(0) }.validate().is_err());
}

#[test]
fn keys_have_a_stable_string_form_that_parses_back() {
    let key = AlertKey::new(AlertKind::SloBreach, "orders", "email/acme");
    assert_eq!(key.to_string(), "slo_breach/orders/email/acme");
    assert_eq!("slo_breach/orders/email/acme".parse::<AlertKey>().unwrap(), key);
    let budget = AlertKey::new(AlertKind::BudgetOverrun, "orders", "");
    assert_eq!(budget.to_string().parse::<AlertKey>().unwrap(), budget);
    for kind in AlertKind::ALL {
        let json = serde_json::to_value(kind).unwrap();
        assert_eq!(json, kind.as_str(), "serde name and string form agree");
    }
    assert!("slo_breach/orders".parse::<AlertKey>().is_err());
    let error = "page_me/orders/x".parse::<AlertKey>().unwrap_err();
    assert_eq!(error.to_string(), "alert key \"page_me/orders/x\": unknown kind");
}

#[test]
fn changes_round_trip_through_json_as_stored_events() {
    let change = AlertChange::Fire { alert: feed_silent("edi:acme", "silent 53 h"), fired_at: at(1) };
    let json = serde_json::to_value(&change).unwrap();
    assert_eq!(json["change"], "fire");
    assert_eq!(json["alert"]["key"]["kind"], "feed_silent");
    let back: AlertChange = serde_json::from_value(json).unwrap();
    assert_eq!(back, change);
}
