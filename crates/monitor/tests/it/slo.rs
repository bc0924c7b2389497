//! SLO statistics checked against hand computations and seeded simulation.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use prodline_core::stats::{Z95, wilson_interval};
use prodline_monitor::slo::{
    Decision, ErrorBudget, Label, Method, Sprt, SprtMonitor, WindowRule, binomial_cdf, binomial_pmf, by_decision_date,
    estimate_wrong, recommend, window_rule_false_alarm,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// z for a two-sided 99 % interval.
const Z99: f64 = 2.575_829_303_548_901;
const RUNS: u64 = 20_000;

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).single().unwrap_or_default()
}

fn date(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, day).unwrap_or_default()
}

fn label(decided: u32, labelled: u32, correct: bool) -> Label {
    Label { decided_at: at(decided, 9), labelled_at: at(labelled, 15), correct, group: "edi".into() }
}

/// Asserts that `value` lies in the 99 % Wilson interval of `hits` out of
/// `RUNS` simulated runs.
fn assert_in_simulation(value: f64, hits: u64, what: &str) {
    let (low, high) = wilson_interval(hits, RUNS, Z99);
    assert!(
        low <= value && value <= high,
        "{what}: computed {value:.5}, simulation {:.5} [{low:.5}, {high:.5}]",
        hits as f64 / RUNS as f64
    );
}

#[test]
fn figures_by_decision_date_count_only_labels_known_at_the_instant() {
    let labels = vec![
        label(2, 2, true),
        label(2, 3, false),
        label(2, 5, true), // arrives after as_of: not yet known
        label(3, 3, true),
    ];
    let decided = BTreeMap::from([(date(2), 4), (date(3), 2), (date(4), 1)]);
    let figures = by_decision_date(&labels, &decided, at(4, 0));
    assert_eq!(figures.len(), 3);
    // Day 2: 4 decided, 2 labels known (1 right): accuracy 1/2, completeness 2/4.
    assert_eq!((figures[0].date, figures[0].decided, figures[0].labelled), (date(2), 4, 2));
    assert_eq!(figures[0].accuracy.rate, Some(0.5));
    assert_eq!(figures[0].completeness, Some(0.5));
    assert_eq!((figures[0].accuracy.low, figures[0].accuracy.high), wilson_interval(1, 2, Z95));
    // Day 3: 1 of 2 labelled, right.
    assert_eq!(figures[1].accuracy.rate, Some(1.0));
    assert_eq!(figures[1].completeness, Some(0.5));
    // Day 4: decided, nothing labelled yet.
    assert_eq!(figures[2].labelled, 0);
    assert_eq!(figures[2].accuracy.rate, None);
    assert_eq!(figures[2].completeness, Some(0.0));
    // Later, the late label lands on its decision day.
    let later = by_decision_date(&labels, &decided, at(6, 0));
    assert_eq!(later[0].labelled, 3);
    assert_eq!(later[0].completeness, Some(0.75));
}

#[test]
fn binomial_tail_for_ten_labels_by_hand() {
    // n = 10, p(wrong) = 0.1: P[X = 0] = 0.9^10 = 0.3486784401,
    // P[X = 1] = 10 · 0.1 · 0.9^9 = 0.387420489, P[X = 2] = 45 · 0.01 · 0.9^8
    // = 0.1937102445.
    assert!((binomial_pmf(10, 0, 0.1) - 0.348_678_440_1).abs() < 1e-12);
    assert!((binomial_pmf(10, 1, 0.1) - 0.387_420_489).abs() < 1e-12);
    assert!((binomial_pmf(10, 2, 0.1) - 0.193_710_244_5).abs() < 1e-12);
    assert!((binomial_cdf(10, 1, 0.1) - 0.736_098_929_1).abs() < 1e-12);
    assert_eq!(binomial_cdf(10, 10, 0.1), 1.0);
}

#[test]
fn single_window_false_alarm_by_hand() {
    // "accuracy < 90 % over the last 10": fires when correct ≤ 8, i.e. 2 or
    // more wrong. At a true accuracy of 90 %:
    // 1 − 0.9^10 − 10 · 0.1 · 0.9^9 = 1 − 0.3486784401 − 0.387420489 = 0.2639010709.
    let rule = WindowRule::new(10, 0.9).unwrap_or(WindowRule { n: 0, r: 0.0 });
    assert_eq!(rule.firing_wrong(), 2);
    assert!(rule.fires(8) && !rule.fires(9));
    let alarm = window_rule_false_alarm(0.9, rule, 0);
    let alarm = alarm.map_err(|error| error.to_string());
    let Ok(alarm) = alarm else { panic!("{alarm:?}") };
    assert!((alarm.single_window - 0.263_901_070_9).abs() < 1e-9, "{}", alarm.single_window);
    assert!((alarm.probability - 0.263_901_070_9).abs() < 1e-9, "{}", alarm.probability);
    assert_eq!(alarm.method, Method::Exact);
}

#[test]
fn sliding_window_small_cases_by_hand() {
    let q: f64 = 0.1;
    // n = 2, r = 1 (any wrong fires), one more label: 3 labels, fires iff any
    // is wrong: 1 − 0.9³ = 0.271.
    let any = window_rule_false_alarm(0.9, WindowRule { n: 2, r: 1.0 }, 1);
    assert!(any.as_ref().is_ok_and(|a| (a.probability - 0.271).abs() < 1e-12), "{any:?}");
    // n = 2, r = 0.5 (both wrong fires), one more label: labels x0 x1 x2,
    // fires iff x0,x1 or x1,x2 both wrong: 2q² − q³ = 0.019.
    let both = window_rule_false_alarm(0.9, WindowRule { n: 2, r: 0.5 }, 1);
    let expected = 2.0 * q * q - q * q * q;
    assert!(both.as_ref().is_ok_and(|a| (a.probability - expected).abs() < 1e-12), "{both:?}");
    // n = 1: windows are single labels, m + 1 of them: 1 − 0.9^(m+1), which
    // the approximation beyond n reproduces exactly.
    let single = window_rule_false_alarm(0.9, WindowRule { n: 1, r: 1.0 }, 5);
    assert!(single.as_ref().is_ok_and(|a| (a.probability - (1.0 - 0.9f64.powi(6))).abs() < 1e-12));
}

/// Simulates the rule: `n + horizon` labels at `accuracy`, evaluated on the
/// first window and after each further label; counts the runs that fire.
fn simulate_window(accuracy: f64, rule: WindowRule, horizon: u32, seed: u64) -> u64 {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = rule.n as usize;
    let mut hits = 0;
    for _ in 0..RUNS {
        let labels: Vec<bool> = (0..n + horizon as usize).map(|_| rng.random_bool(accuracy)).collect();
        let mut correct = labels[..n].iter().filter(|c| **c).count() as u32;
        let mut fired = rule.fires(correct);
        for end in n..labels.len() {
            correct = correct + u32::from(labels[end]) - u32::from(labels[end - n]);
            fired |= rule.fires(correct);
        }
        hits += u64::from(fired);
    }
    hits
}

#[test]
fn window_rule_false_alarm_agrees_with_simulation() {
    let rule = WindowRule { n: 100, r: 0.9 };
    for (horizon, seed) in [(0, 1), (50, 2), (100, 3)] {
        let alarm = window_rule_false_alarm(0.92, rule, horizon);
        let Ok(alarm) = alarm else { panic!("{alarm:?}") };
        assert_eq!(alarm.method, Method::Exact);
        let hits = simulate_window(0.92, rule, horizon, seed);
        assert_in_simulation(alarm.probability, hits, &format!("horizon {horizon}"));
    }
}

#[test]
fn window_rule_approximation_beyond_one_window_agrees_with_simulation() {
    let rule = WindowRule { n: 100, r: 0.9 };
    let alarm = window_rule_false_alarm(0.92, rule, 300);
    let Ok(alarm) = alarm else { panic!("{alarm:?}") };
    assert_eq!(alarm.method, Method::Approximation);
    let hits = simulate_window(0.92, rule, 300, 4);
    assert_in_simulation(alarm.probability, hits, "horizon 300");
}

#[test]
fn the_naive_rule_fires_often_and_recommend_finds_quieter_ones() {
    let rule = WindowRule { n: 100, r: 0.9 };
    let advice = recommend(0.92, rule, 100, 0.05);
    let Ok(advice) = advice else { panic!("{advice:?}") };
    assert!(advice.current.single_window > 0.15, "{:?}", advice.current);
    assert!(advice.current.probability > 0.4, "{:?}", advice.current);
    assert!(!advice.windows.is_empty());
    for alarm in &advice.windows {
        assert!(alarm.probability <= 0.05, "{alarm:?}");
        assert!(alarm.rule.r < 0.9, "{alarm:?}");
    }
    let Some((sprt, figures)) = advice.sprt else { panic!("no SPRT in {}", advice.advice) };
    assert!(figures.false_alarm_within(100) <= 0.05, "{figures:?}");
    assert!((sprt.p1 - 0.9).abs() < 1e-12);
    assert!(advice.advice.contains("SPRT"), "{}", advice.advice);
}

#[test]
fn sprt_thresholds_by_hand() {
    let sprt = Sprt::new(0.92, 0.02, 0.01, 0.05);
    let Ok(sprt) = sprt else { panic!("{sprt:?}") };
    // A = ln(0.95 / 0.01) = ln 95, B = ln(0.05 / 0.99).
    assert!((sprt.upper() - 95f64.ln()).abs() < 1e-12);
    assert!((sprt.lower() - (0.05f64 / 0.99).ln()).abs() < 1e-12);
    // 3 correct, 1 wrong: 3 ln(0.90/0.92) + ln(0.10/0.08).
    let expected = 3.0 * (0.90f64 / 0.92).ln() + (0.10f64 / 0.08).ln();
    assert!((sprt.llr(4, 1) - expected).abs() < 1e-12);
    assert!(Sprt::new(0.92, 0.95, 0.01, 0.05).is_err());
    assert!(Sprt::new(0.92, 0.02, 0.6, 0.5).is_err());
}

/// Runs one SPRT at `accuracy` until it decides; true when it alarms.
fn simulate_sprt(sprt: Sprt, accuracy: f64, rng: &mut ChaCha8Rng) -> bool {
    let mut monitor = SprtMonitor::new(sprt);
    loop {
        match monitor.observe(rng.random_bool(accuracy)) {
            Decision::Continue => continue,
            Decision::Alarm => return true,
            Decision::Accept => return false,
        }
    }
}

#[test]
fn sprt_false_alarm_rate_agrees_with_simulation() {
    let sprt = Sprt::new(0.92, 0.04, 0.02, 0.1);
    let Ok(sprt) = sprt else { panic!("{sprt:?}") };
    let figures = sprt.figures();
    assert!(figures.alpha_exact <= figures.alpha_bound, "{figures:?}");
    assert!(figures.beta_exact <= sprt.beta / (1.0 - sprt.alpha), "{figures:?}");
    let total = figures.at_target.alarm + figures.at_target.accept;
    assert!((total - 1.0).abs() < 1e-9, "{figures:?}");
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let alarms = (0..RUNS).filter(|_| simulate_sprt(sprt, 0.92, &mut rng)).count() as u64;
    assert_in_simulation(figures.alpha_exact, alarms, "SPRT α'");
    let misses = (0..RUNS).filter(|_| !simulate_sprt(sprt, 0.88, &mut rng)).count() as u64;
    assert_in_simulation(figures.beta_exact, misses, "SPRT β'");
}

#[test]
fn error_budget_by_hand() {
    // 92 % of 1,000 orders: 80 wrong allowed; 30 used, 50 left, 37.5 % burnt.
    let budget = ErrorBudget::new(0.92, 1_000, 30);
    let Ok(budget) = budget else { panic!("{budget:?}") };
    assert_eq!((budget.allowed, budget.used, budget.left), (80, 30, 50));
    assert_eq!(budget.burn, Some(0.375));
    // (1 − 0.9) · 10 is 0.999… in floating point and must still allow 1.
    let small = ErrorBudget::new(0.9, 10, 3);
    assert!(small.as_ref().is_ok_and(|b| b.allowed == 1 && b.left == -2), "{small:?}");
    assert!(ErrorBudget::new(1.0, 10, 0).is_err());
    // 3 wrong in an audit of 50 among 1,000 orders: about 60 wrong.
    assert_eq!(estimate_wrong(1_000, 50, 3), Some(60));
    assert_eq!(estimate_wrong(1_000, 0, 0), None);
}
