//! Every interval in the report is the Wilson interval of prodline_core::stats.

use prodline_core::stats::{Proportion, Z95, wilson_interval};
use prodline_eval::{Figures, score};

use crate::hand_count::hand_made;

fn all_proportions(f: &Figures) -> Vec<Proportion> {
    let mut all = vec![f.order_accuracy, f.auto_precision, f.stp_rate, f.document_accuracy, f.auto_rate];
    all.extend(f.field_accuracy.entries().map(|(_, p)| p));
    all
}

#[test]
fn report_intervals_are_core_wilson_intervals() {
    let report = score(&hand_made());
    let mut checked = 0;
    let segments = report.by_channel.values().chain(report.by_format.values()).chain(report.by_customer.values());
    let mut proportions: Vec<Proportion> =
        std::iter::once(&report.overall).chain(segments).flat_map(all_proportions).collect();
    proportions.push(report.garbage.auto_approved);
    proportions.extend(report.calibration.iter().map(|b| b.correct));
    for p in proportions {
        assert_eq!(p, Proportion::new(p.successes, p.trials));
        assert_eq!((p.low, p.high), wilson_interval(p.successes, p.trials, Z95));
        checked += 1;
    }
    assert!(checked > 100, "{checked}");
    // One by hand: 6 of 10 is 0.3127 to 0.8318.
    let p = report.overall.order_accuracy;
    assert_eq!((p.successes, p.trials, p.rate), (6, 10, Some(0.6)));
    assert!((p.low - 0.3127).abs() < 1e-4 && (p.high - 0.8318).abs() < 1e-4, "{p:?}");
}
