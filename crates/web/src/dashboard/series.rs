//! The dashboard's time series, computed from the ledger's entries: pure
//! functions of the decided documents and the instant judged at, so a
//! replayed history draws the charts as they stood then.
//!
//! - [`weekly`]: per week of decision (Monday to Sunday, plant time), the
//!   auto-approve accuracy of the audit sample's labels known by then and
//!   the straight-through rate (documents posted untouched / documents routed);
//! - [`budget_days`]: per day of the month, the error budget as it stood at
//!   the end of that day: wrong orders allowed by the target against those
//!   used (estimated from the audit sample, as the SLO's budget is).

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use prodline_core::stats::Proportion;
use prodline_monitor::liveness::Calendar;
use prodline_monitor::slo::{ErrorBudget, estimate_wrong};
use prodline_runtime::watch::{Entry, Route};

/// One decided document as the charts read it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decided<'a> {
    pub entry: &'a Entry,
    pub decided_at: DateTime<Utc>,
    /// Orders the pipeline would enter (what an auto-approval posts).
    pub orders: u32,
}

/// One week of decisions.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Week {
    /// The Monday the week starts on (plant time).
    pub start: NaiveDate,
    /// Correct audit labels / audit labels, of documents decided this week.
    pub accuracy: Proportion,
    /// Documents posted untouched / documents routed, decided this week.
    pub straight_through: Proportion,
}

/// The last `weeks` weeks up to the one holding `now` (fewer when the first
/// decision is more recent), empty weeks included so that the time axis has
/// no holes. Only what was known at `now` counts: decisions after it, and
/// labels given after it, are left out.
pub(crate) fn weekly(decided: &[Decided], calendar: &Calendar, now: DateTime<Utc>, weeks: usize) -> Vec<Week> {
    let known: Vec<&Decided> =
        decided.iter().filter(|d| d.decided_at <= now && d.entry.route != Route::Pending).collect();
    let Some(first) = known.iter().map(|d| d.decided_at).min() else { return Vec::new() };
    let week_of = |at: DateTime<Utc>| monday(calendar.local_date(at));
    let last_week = week_of(now);
    let shown = i64::try_from(weeks.saturating_sub(1)).unwrap_or(0);
    let first_week = week_of(first).max(last_week - Duration::weeks(shown));
    let count = usize::try_from((last_week - first_week).num_weeks() + 1).unwrap_or(0);
    // (audit labels correct, audit labels, touchless, routed) per week.
    let mut tallies = vec![(0u64, 0u64, 0u64, 0u64); count];
    for d in known {
        let Ok(index) = usize::try_from((week_of(d.decided_at) - first_week).num_weeks()) else { continue };
        let Some(tally) = tallies.get_mut(index) else { continue };
        tally.3 += 1;
        tally.2 += u64::from(d.entry.touchless());
        if let Some(verdict) = d.entry.verdict.filter(|verdict| d.entry.audited() && verdict.at <= now) {
            tally.1 += 1;
            tally.0 += u64::from(verdict.correct);
        }
    }
    tallies
        .into_iter()
        .enumerate()
        .map(|(index, (correct, labelled, touchless, routed))| Week {
            start: first_week + Duration::weeks(index as i64),
            accuracy: Proportion::new(correct, labelled),
            straight_through: Proportion::new(touchless, routed),
        })
        .collect()
}

fn monday(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

/// The error budget at the end of one day of the month.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BudgetDay {
    pub date: NaiveDate,
    pub budget: ErrorBudget,
}

/// Every day of the month holding `now` up to `now`'s, each with the
/// month's error budget as it stood at the end of that day (at `now` for
/// the last): orders auto-posted this month so far, wrong ones estimated
/// from this month's audit labels known by then. Months are calendar
/// months in UTC, as the SLO's budget counts them, so the last day's
/// figures are the budget the SLO shows. Empty when `target` is not a
/// share (no budget can be drawn).
pub(crate) fn budget_days(decided: &[Decided], target: f64, now: DateTime<Utc>) -> Vec<BudgetDay> {
    let today = now.date_naive();
    let Some(first_day) = today.with_day(1) else { return Vec::new() };
    let in_month = |at: DateTime<Utc>| at.year() == now.year() && at.month() == now.month();
    let month: Vec<&Decided> = decided.iter().filter(|d| in_month(d.decided_at) && d.decided_at <= now).collect();
    first_day
        .iter_days()
        .take_while(|date| *date <= today)
        .map_while(|date| {
            let end = date.succ_opt()?.and_hms_opt(0, 0, 0)?.and_utc();
            let as_of = if end > now { now } else { end - Duration::microseconds(1) };
            let budget = budget_as_of(&month, target, as_of).ok()?;
            Some(BudgetDay { date, budget })
        })
        .collect()
}

/// The budget of the month's decisions as known at `as_of`.
fn budget_as_of(
    month: &[&Decided],
    target: f64,
    as_of: DateTime<Utc>,
) -> Result<ErrorBudget, prodline_monitor::slo::SloError> {
    let so_far = month.iter().filter(|d| d.decided_at <= as_of);
    let orders: u64 = so_far.clone().filter(|d| d.entry.touchless()).map(|d| u64::from(d.orders)).sum();
    let labels: Vec<bool> = so_far
        .filter(|d| d.entry.audited())
        .filter_map(|d| d.entry.verdict.filter(|verdict| verdict.at <= as_of).map(|verdict| verdict.correct))
        .collect();
    let wrong = labels.iter().filter(|correct| !**correct).count() as u64;
    let estimated = estimate_wrong(orders, labels.len() as u64, wrong).unwrap_or(0);
    ErrorBudget::new(target, orders, estimated)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use prodline_runtime::watch::Verdict;

    use super::*;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
    }

    fn entry(route: Route, verdict: Option<(DateTime<Utc>, bool)>) -> Entry {
        Entry {
            watch: None,
            planned: Vec::new(),
            route,
            verdict: verdict.map(|(at, correct)| Verdict { at, correct }),
            posted: 0,
        }
    }

    fn audit() -> Route {
        Route::Review("audit".to_owned())
    }

    /// November 2026: the 2nd, 9th, 16th and 23rd are Mondays.
    fn entries() -> Vec<(Entry, DateTime<Utc>)> {
        vec![
            // Week of the 2nd: 2 auto, 1 audited right, 1 reviewed for a reason.
            (entry(Route::Auto, None), at(2, 9)),
            (entry(Route::Auto, None), at(3, 9)),
            (entry(audit(), Some((at(4, 9), true))), at(3, 10)),
            (entry(Route::Review("decision_review".into()), Some((at(4, 9), false))), at(5, 9)),
            // Week of the 9th: nothing. Week of the 16th: 1 auto, 2 audited (1 wrong, 1 labelled too late).
            (entry(Route::Auto, None), at(16, 9)),
            (entry(audit(), Some((at(17, 9), false))), at(16, 10)),
            (entry(audit(), Some((at(30, 9), true))), at(18, 10)),
            // Week of the 23rd: one not routed yet, one decided after now.
            (entry(Route::Pending, None), at(23, 9)),
            (entry(Route::Auto, None), at(26, 9)),
        ]
    }

    fn decided(entries: &[(Entry, DateTime<Utc>)]) -> Vec<Decided<'_>> {
        entries.iter().map(|(entry, decided_at)| Decided { entry, decided_at: *decided_at, orders: 2 }).collect()
    }

    #[test]
    fn weeks_count_audit_labels_and_untouched_documents_known_by_now() {
        let entries = entries();
        let now = at(25, 12);
        let weeks = weekly(&decided(&entries), &Calendar::default(), now, 26);
        let starts: Vec<u32> = weeks.iter().map(|week| week.start.day()).collect();
        assert_eq!(starts, [2, 9, 16, 23]);
        // Week of the 2nd: the audit label (1/1); the reason-reviewed label is not a sample label.
        assert_eq!((weeks[0].accuracy.successes, weeks[0].accuracy.trials), (1, 1));
        assert_eq!((weeks[0].straight_through.successes, weeks[0].straight_through.trials), (2, 4));
        assert_eq!(weeks[1].accuracy.trials, 0);
        assert_eq!(weeks[1].straight_through.trials, 0);
        // Week of the 16th: the label of the 30th is not known on the 25th.
        assert_eq!((weeks[2].accuracy.successes, weeks[2].accuracy.trials), (0, 1));
        assert_eq!((weeks[2].straight_through.successes, weeks[2].straight_through.trials), (1, 3));
        // Week of the 23rd: the pending document and the one after now do not count.
        assert_eq!(weeks[3].straight_through.trials, 0);
    }

    #[test]
    fn only_the_last_weeks_asked_for_are_drawn() {
        let entries = entries();
        let weeks = weekly(&decided(&entries), &Calendar::default(), at(25, 12), 2);
        let starts: Vec<u32> = weeks.iter().map(|week| week.start.day()).collect();
        assert_eq!(starts, [16, 23]);
        assert!(weekly(&[], &Calendar::default(), at(25, 12), 26).is_empty());
    }

    #[test]
    fn the_budget_of_each_day_estimates_wrong_orders_from_the_labels_known_then() {
        let entries = entries();
        let now = at(17, 12);
        let days = budget_days(&decided(&entries), 0.5, now);
        assert_eq!(days.len(), 17);
        // By the 3rd: 2 auto documents × 2 orders, no label yet: 4 orders, 2 allowed at 50 %, 0 used.
        let third = &days[2].budget;
        assert_eq!((third.orders, third.allowed, third.used), (4, 2, 0));
        // By the 4th the audit label (right) is known: still 0 wrong.
        assert_eq!(days[3].budget.used, 0);
        // The 16th: one more auto document (6 orders), the wrong label only comes on the 17th.
        let sixteenth = &days[15].budget;
        assert_eq!((sixteenth.orders, sixteenth.allowed, sixteenth.used), (6, 3, 0));
        // The 17th at noon: labels 1 right, 1 wrong: round(1/2 × 6) = 3 used of 3.
        let last = &days[16].budget;
        assert_eq!((last.orders, last.allowed, last.used, last.left), (6, 3, 3, 0));
        assert_eq!(last.burn, Some(1.0));
    }

    #[test]
    fn no_budget_is_drawn_for_a_target_that_is_not_a_share() {
        let entries = entries();
        assert!(budget_days(&decided(&entries), 1.0, at(17, 12)).is_empty());
    }
}
