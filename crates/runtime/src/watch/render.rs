//! `prodline status` as text: one screen per workflow, about 40 lines of at
//! most 100 columns, so that the owner sees at a glance whether the promise
//! holds, what the evidence is and what needs them now.
//!
//! Every figure comes from [`WorkflowStatus`]; nothing is computed here but
//! its presentation (percentages, the last days, the shortened advice).

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use prodline_core::stats::Proportion;
use prodline_monitor::drift::SignalKind;
use prodline_monitor::slo::DayFigures;

use super::{FeedDrift, HoldReason, SloStatus, WorkflowStatus};

/// Columns of a status screen: longer lines are cut with `…`.
pub const WIDTH: usize = 100;
/// Days of figures by decision date shown per SLO scope.
const DAYS: usize = 7;

/// Every workflow's screen, separated by a blank line.
pub fn status_text(statuses: &[WorkflowStatus]) -> String {
    let screens: Vec<String> = statuses.iter().map(workflow_screen).collect();
    screens.join("\n")
}

/// The snake_case name of a drift signal, as metrics label it too.
pub fn signal_name(kind: SignalKind) -> &'static str {
    match kind {
        SignalKind::FingerprintMix => "fingerprint_mix",
        SignalKind::FieldPresence => "field_presence",
        SignalKind::MatchRate => "match_rate",
        SignalKind::Confidence => "confidence",
    }
}

/// Lines cut to [`WIDTH`] columns.
#[derive(Default)]
struct Screen {
    text: String,
}

impl Screen {
    fn line(&mut self, line: impl AsRef<str>) {
        let line = line.as_ref();
        if line.chars().count() > WIDTH {
            let cut: String = line.chars().take(WIDTH - 1).collect();
            let _ = writeln!(self.text, "{}…", cut.trim_end());
        } else {
            let _ = writeln!(self.text, "{line}");
        }
    }
}

fn workflow_screen(status: &WorkflowStatus) -> String {
    let mut screen = Screen::default();
    screen.line(format!(
        "{} · owner {} · as of {}",
        status.workflow,
        status.owner,
        status.as_of.format("%Y-%m-%d %H:%M UTC")
    ));
    let touchless = (status.decided > 0).then(|| status.touchless as f64 / status.decided as f64);
    screen.line(format!(
        "documents: {} decided, {} touchless ({})",
        status.decided,
        status.touchless,
        percent(touchless)
    ));
    if status.slo.is_empty() {
        screen.line("SLO: no figures (no [workflow.slo], or nothing decided yet)");
    }
    for slo in &status.slo {
        if slo.scope == "all" {
            slo_lines(&mut screen, slo, status.as_of);
        } else {
            group_lines(&mut screen, slo);
        }
    }
    drift_lines(&mut screen, &status.drift);
    monitor_sections(&mut screen, status);
    alert_lines(&mut screen, status);
    hold_lines(&mut screen, status);
    pause_lines(&mut screen, status);
    screen.text
}

/// Liveness (silent feeds, and how many are on time), the month's cost
/// against the budget line, and the KPI.
fn monitor_sections(screen: &mut Screen, status: &WorkflowStatus) {
    let silent: Vec<_> = status.liveness.iter().filter(|feed| feed.status.silent).collect();
    screen.line(format!("liveness: {} feeds with a cadence, {} silent", status.liveness.len(), silent.len()));
    for feed in silent {
        screen.line(format!(
            "  {} silent {:.0} working hours (alarm at {:.0} h, expected every {:.0} h), last {}",
            feed.feed,
            feed.status.silent_business_seconds as f64 / 3600.0,
            feed.status.threshold_seconds as f64 / 3600.0,
            feed.status.expected_gap_seconds as f64 / 3600.0,
            feed.status.last_arrival.format("%Y-%m-%d %H:%M")
        ));
    }
    match &status.cost {
        Some(cost) => {
            let per_order = cost.cost_per_order.map_or("n/a".to_owned(), prodline_monitor::cost::money);
            let flag = if cost.over_budget_now {
                " · OVER BUDGET"
            } else if cost.overrun {
                " · FORECAST OVERRUN"
            } else {
                ""
            };
            screen.line(format!("cost: {}; per order {per_order}{flag}", cost.summary()));
        }
        None => screen.line("cost: no [workflow.budget]: run cost unknown"),
    }
    match &status.kpi {
        Some(kpi) => {
            screen.line(format!("KPI: {}", kpi.summary()));
            if let Some(today) = kpi.days.last() {
                screen.line(format!(
                    "  {}: {} orders untouched, {} h saved",
                    today.date, today.figures.untouched_orders, today.figures.hours_saved_gross
                ));
            }
        }
        None => screen.line("KPI: no [workflow.kpi]: the value lands on nobody's scorecard"),
    }
}

/// The workflow's SLO in full; `month` is the instant judged at (the budget's month).
fn slo_lines(screen: &mut Screen, slo: &SloStatus, month: DateTime<Utc>) {
    accuracy_line(screen, slo);
    let test = &slo.sequential;
    let state = if slo.breached { "ALARM" } else { "ok" };
    screen.line(format!(
        "  sequential: llr {:+.2} (alarm ≥ {:.2}, accept ≤ {:.2}) over {} labels: {state}, last test {}",
        test.llr, test.alarm_at, test.accept_at, test.labels, test.last
    ));
    let window = &slo.window;
    let firing = if window.firing { "FIRING" } else { "quiet" };
    screen.line(format!(
        "  window rule {}: {firing} ({} labelled, {})",
        window.rule,
        window.labelled,
        percent(window.accuracy)
    ));
    screen.line(format!(
        "    fires {} of months at the target ({} labels a month)",
        percent(window.false_alarm_at_target),
        window.horizon
    ));
    screen.line(format!("    advice: {}", short_advice(&window.advice)));
    match &slo.budget {
        Some(budget) => screen.line(format!(
            "  error budget {}: {} of {} wrong orders used ({} burnt) over {} orders",
            month.format("%Y-%m"),
            budget.used,
            budget.allowed,
            percent(budget.burn),
            budget.orders
        )),
        None => screen.line("  error budget: unknown (the target is not a share)"),
    }
    day_lines(screen, &slo.days);
}

/// A source group's SLO in three lines, so that a workflow fed by every
/// kind of document still fits one screen: the same figures, shorter.
fn group_lines(screen: &mut Screen, slo: &SloStatus) {
    accuracy_line(screen, slo);
    let state = if slo.breached { "ALARM" } else { "ok" };
    let firing = if slo.window.firing { "FIRING" } else { "quiet" };
    let budget = slo.budget.as_ref().map_or_else(
        || "–".to_owned(),
        |budget| format!("{} of {} ({})", budget.used, budget.allowed, percent(budget.burn)),
    );
    screen.line(format!(
        "  llr {:+.2} {state} · window {firing}, fires {} of months · error budget {budget}",
        slo.sequential.llr,
        percent(slo.window.false_alarm_at_target)
    ));
    day_lines(screen, &slo.days);
}

/// `SLO edi: accuracy 2/3 = 66.7 % [20.8–93.9 %] vs target 90.0 %`, and `· BREACHED`.
fn accuracy_line(screen: &mut Screen, slo: &SloStatus) {
    let breached = if slo.breached { " · BREACHED" } else { "" };
    screen.line(format!(
        "SLO {}: accuracy {} vs target {}{breached}",
        slo.scope,
        proportion(&slo.accuracy),
        percent(Some(slo.target))
    ));
}

/// The most recent days by decision date that fit on one line:
/// labelled/decided and completeness.
fn day_lines(screen: &mut Screen, days: &[DayFigures]) {
    const PREFIX: &str = "  labelled/decided by decision date:";
    if days.is_empty() {
        screen.line(format!("{PREFIX} no decisions in the last days"));
        return;
    }
    let mut cells: Vec<String> = Vec::new();
    let mut used = PREFIX.chars().count();
    for day in days.iter().rev().take(DAYS) {
        let cell = format!("{} {}/{} {}", day.date.format("%m-%d"), day.labelled, day.decided, whole(day.completeness));
        used += cell.chars().count() + 3;
        if used > WIDTH {
            break;
        }
        cells.push(cell);
    }
    cells.reverse();
    screen.line(format!("{PREFIX} {}", cells.join(" · ")));
}

fn drift_lines(screen: &mut Screen, feeds: &[FeedDrift]) {
    let drifting: Vec<&FeedDrift> = feeds.iter().filter(|feed| feed.report.drifting).collect();
    let waiting = feeds.iter().filter(|feed| !feed.report.enough_data).count();
    if feeds.is_empty() {
        screen.line("drift: no feed has decided documents yet");
        return;
    }
    let stable = feeds.len() - drifting.len();
    let waiting = match waiting {
        0 => String::new(),
        n => format!(" ({n} of them without enough documents yet)"),
    };
    screen.line(format!("drift: {} drifting, {stable} stable{waiting}", drifting.len()));
    for feed in drifting {
        screen.line(format!("  {} ({} recent vs {} before):", feed.feed, feed.recent, feed.reference));
        for signal in feed.report.fired() {
            screen.line(format!(
                "    {} {:.3} > {:.3}: {}",
                signal_name(signal.kind),
                signal.value,
                signal.threshold,
                signal.detail
            ));
        }
    }
}

fn alert_lines(screen: &mut Screen, status: &WorkflowStatus) {
    if status.alerts.is_empty() {
        screen.line("alerts firing: none");
        return;
    }
    screen.line(format!("alerts firing: {}", status.alerts.len()));
    for alert in &status.alerts {
        screen.line(format!("  [{}] {}: {}", alert.severity, alert.key, alert.summary));
    }
}

/// The monitor's holds; pauses have their own lines (`release` does not lift them).
fn hold_lines(screen: &mut Screen, status: &WorkflowStatus) {
    let holds: Vec<_> = status.holds.iter().filter(|hold| hold.reason != HoldReason::Paused).collect();
    if holds.is_empty() {
        screen.line("holds: none");
        return;
    }
    screen.line(format!("holds: {} (the owner lifts one: `prodline release -c FILE KEY --actor NAME`)", holds.len()));
    for hold in holds {
        screen.line(format!("  {} ({})", hold.key, hold.reason.as_str()));
    }
}

/// Auto-approve paused by a person: what, by whom, since when, why.
fn pause_lines(screen: &mut Screen, status: &WorkflowStatus) {
    if status.pauses.is_empty() {
        screen.line("auto-approve paused: no");
        return;
    }
    screen.line(format!("auto-approve paused: {} (its documents go to review until resumed)", status.pauses.len()));
    for pause in &status.pauses {
        let why = if pause.reason.is_empty() { "no reason given" } else { pause.reason.as_str() };
        screen.line(format!(
            "  {} by {} since {}: {why}",
            pause.subject(),
            pause.by,
            pause.at.format("%Y-%m-%d %H:%M UTC")
        ));
    }
}

/// `2/3 = 66.7 % [20.8–93.9 %]`, or `0 labels` before the first.
fn proportion(accuracy: &Proportion) -> String {
    match accuracy.rate {
        Some(rate) => format!(
            "{}/{} = {:.1} % [{:.1}–{:.1} %]",
            accuracy.successes,
            accuracy.trials,
            rate * 100.0,
            accuracy.low * 100.0,
            accuracy.high * 100.0
        ),
        None => "0 labels".to_owned(),
    }
}

/// A share as `66.7 %`; `–` when there is none.
fn percent(share: Option<f64>) -> String {
    match share {
        Some(share) if share.is_finite() => format!("{:.1} %", share * 100.0),
        _ => "–".to_owned(),
    }
}

/// A share as `67%`, compact for the day cells.
fn whole(share: Option<f64>) -> String {
    match share {
        Some(share) if share.is_finite() => format!("{:.0}%", share * 100.0),
        _ => "–".to_owned(),
    }
}

/// The advice's second sentence, the better rule it proposes: the first
/// restates the figure the window line already shows. The whole advice
/// when it has one sentence; the screen cuts what is too long.
fn short_advice(advice: &str) -> &str {
    let Some((_, rest)) = advice.split_once(". ") else { return advice.trim() };
    match rest.split_once(". ") {
        Some((second, _)) => second.trim(),
        None => rest.trim().trim_end_matches('.'),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use prodline_monitor::drift::{DriftReport, Signal};

    use super::*;

    #[test]
    fn the_advice_loses_its_first_sentence() {
        let advice = "\"alert if accuracy < 90.0 % over the last 100 labelled\" fires with probability 41.3 %. \
                      A rule at 88.5 % over 200 labels keeps that under 5.0 % (4.10 %). Or a sequential test.";
        assert_eq!(short_advice(advice), "A rule at 88.5 % over 200 labels keeps that under 5.0 % (4.10 %)");
        assert_eq!(short_advice("First 1.5 %. Second."), "Second");
        assert_eq!(short_advice("window too small"), "window too small");
    }

    #[test]
    fn a_long_line_is_cut_to_the_screen_width() {
        let mut screen = Screen::default();
        screen.line("x".repeat(150));
        screen.line("short");
        let lines: Vec<&str> = screen.text.lines().collect();
        assert_eq!(lines[0].chars().count(), WIDTH);
        assert!(lines[0].ends_with('…'));
        assert_eq!(lines[1], "short");
    }

    fn feed(name: &str, signals: &[(SignalKind, f64, f64)], enough_data: bool) -> FeedDrift {
        let signals: Vec<Signal> = signals
            .iter()
            .map(|&(kind, value, threshold)| Signal {
                kind,
                value,
                threshold,
                fired: value > threshold,
                significant: true,
                detail: format!("{} moved", signal_name(kind)),
            })
            .collect();
        let drifting = signals.iter().any(|signal| signal.fired);
        FeedDrift {
            feed: name.to_owned(),
            documents: 70,
            reference: 60,
            recent: 10,
            report: DriftReport { signals, enough_data, drifting },
            last_decided: Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap(),
        }
    }

    #[test]
    fn only_drifting_feeds_are_listed_with_their_fired_signals() {
        let feeds = [
            feed("C0001/edi", &[(SignalKind::FingerprintMix, 0.01, 0.2)], true),
            feed(
                "C0002/email",
                &[
                    (SignalKind::FingerprintMix, 0.412, 0.2),
                    (SignalKind::MatchRate, 0.05, 0.1),
                    (SignalKind::Confidence, 0.31, 0.25),
                ],
                true,
            ),
            feed("C0003/edi", &[], false),
        ];
        let mut screen = Screen::default();
        drift_lines(&mut screen, &feeds);
        let expected = "drift: 1 drifting, 2 stable (1 of them without enough documents yet)\n\
                        \x20 C0002/email (10 recent vs 60 before):\n\
                        \x20   fingerprint_mix 0.412 > 0.200: fingerprint_mix moved\n\
                        \x20   confidence 0.310 > 0.250: confidence moved\n";
        assert_eq!(screen.text, expected);
        let mut empty = Screen::default();
        drift_lines(&mut empty, &[]);
        assert_eq!(empty.text, "drift: no feed has decided documents yet\n");
    }

    #[test]
    fn shares_and_proportions_read_as_percentages() {
        assert_eq!(percent(Some(0.923)), "92.3 %");
        assert_eq!(percent(None), "–");
        assert_eq!(percent(Some(f64::NAN)), "–");
        // Wilson 95 % for 2/3 (worked in tests/status.rs): [20.8 %, 93.9 %].
        assert_eq!(proportion(&Proportion::new(2, 3)), "2/3 = 66.7 % [20.8–93.9 %]");
        assert_eq!(proportion(&Proportion::new(0, 0)), "0 labels");
    }
}
