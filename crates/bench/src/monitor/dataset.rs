//! The labelled transactions `bench monitor` measures, generated from a seed.
//!
//! Each source (customer) belongs to one group, writes its documents in a
//! few layouts of its own and has its own accuracy and confidence. A few
//! sources change in the last [`RECENT_DAYS`] days, in one of three ways:
//! every 25th source (from the 13th) switches most documents to a new
//! layout, every 25th (from the 4th) sends a new layout for a few documents
//! only (which must not count as drift), and every 20th (from the 6th)
//! loses confidence. Knowing which sources drift lets the figures be checked.

use std::ops::Range;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use prodline_monitor::slo::Label;
use serde::Serialize;

use crate::rng::Rng;

/// Days of decisions, ending at the benchmark's "now".
pub const DAYS: i64 = 90;
/// The recent window: the last 14 days of decisions. The reference window
/// is the 76 days before it.
pub const RECENT_DAYS: i64 = 14;
/// Labels arrive up to this many days after the decision.
const MAX_LABEL_DELAY_DAYS: i64 = 10;
/// Share of documents that are ever labelled, in percent.
const LABELLED_PERCENT: u64 = 93;

/// The source groups an SLO is kept for, with the share of sources in
/// each (percent) and their accuracy: about 94 % over all documents.
pub const GROUPS: [(&str, u64, f64); 4] =
    [("edi", 40, 0.975), ("email", 30, 0.94), ("pdf", 20, 0.90), ("portal", 10, 0.95)];

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MonitorDataConfig {
    pub transactions: usize,
    pub sources: usize,
    pub seed: u64,
}

impl Default for MonitorDataConfig {
    fn default() -> Self {
        MonitorDataConfig { transactions: 1_000_000, sources: 200, seed: 1 }
    }
}

/// How a source changes in the recent window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceChange {
    None,
    /// 70 % of recent documents in a new layout, with lower confidence and accuracy.
    NewLayout,
    /// 5 % of recent documents in a new layout: below any drift threshold.
    FewNewLayout,
    /// Confidence 0.12 lower on every recent document.
    ConfidenceDrop,
}

/// One customer sending documents.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    pub name: String,
    /// Index into [`GROUPS`].
    pub group: usize,
    /// Relative volume (1..=9).
    pub weight: u64,
    /// Indices into [`MonitorData::fingerprints`] with their shares in percent.
    pub layouts: Vec<(u16, u64)>,
    /// The layout of the recent window, for the sources that get one.
    pub new_layout: Option<u16>,
    pub change: SourceChange,
    pub accuracy: f64,
    pub confidence_mean: f64,
}

/// One decided document: its source, when it was decided, whether and when
/// its label arrived, its layout and its confidence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transaction {
    pub source: u16,
    pub decided_at: DateTime<Utc>,
    pub labelled_at: Option<DateTime<Utc>>,
    pub correct: bool,
    pub fingerprint: u16,
    pub confidence: f64,
}

/// The generated data set, with the labels in the form the monitor's API
/// takes ([`Label`]), grouped by source group so that each group's labels
/// are one slice.
#[derive(Debug, Clone)]
pub struct MonitorData {
    pub config: MonitorDataConfig,
    /// First decision day.
    pub start: NaiveDate,
    /// The instant the figures are computed at: the end of the last day.
    pub as_of: DateTime<Utc>,
    pub sources: Vec<Source>,
    pub fingerprints: Vec<String>,
    /// In decision order.
    pub transactions: Vec<Transaction>,
    /// The labelled transactions, grouped by group (in [`GROUPS`] order).
    pub labels: Vec<Label>,
    /// `labels[group_ranges[g]]` are the labels of group `g`.
    pub group_ranges: Vec<Range<usize>>,
}

impl MonitorData {
    /// Decisions from `start` up to this instant form the reference window.
    pub fn recent_from(&self) -> DateTime<Utc> {
        self.as_of - Duration::days(RECENT_DAYS)
    }

    /// Whether `t` belongs to the recent window (else the reference window).
    pub fn is_recent(&self, t: &Transaction) -> bool {
        t.decided_at >= self.recent_from()
    }

    pub fn group_name(&self, group: usize) -> &'static str {
        GROUPS.get(group).map_or("?", |g| g.0)
    }
}

/// Generate the data set: the same config gives the same data everywhere.
pub fn generate_monitor_data(config: MonitorDataConfig) -> MonitorData {
    let mut rng = Rng::new(config.seed);
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
    let as_of = start.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() + Duration::days(DAYS);
    let mut fingerprints = Vec::new();
    let sources: Vec<Source> =
        (0..config.sources.min(usize::from(u16::MAX))).map(|i| source(i, &mut rng, &mut fingerprints)).collect();
    let mut data = MonitorData {
        config,
        start,
        as_of,
        sources,
        fingerprints,
        transactions: Vec::with_capacity(config.transactions),
        labels: Vec::new(),
        group_ranges: Vec::new(),
    };
    if data.sources.is_empty() {
        return data;
    }
    let cumulative: Vec<u64> = data
        .sources
        .iter()
        .scan(0, |sum, s| {
            *sum += s.weight;
            Some(*sum)
        })
        .collect();
    let first = start.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let seconds = DAYS * 86_400;
    for i in 0..config.transactions {
        // Evenly spread over the days, so the transactions come in decision order.
        let offset = (i as i64).saturating_mul(seconds) / config.transactions as i64;
        let decided_at = first + Duration::seconds(offset);
        let source_index = pick_weighted(&cumulative, &mut rng);
        let transaction = transaction(&data, source_index, decided_at, &mut rng);
        data.transactions.push(transaction);
    }
    (data.labels, data.group_ranges) = labels_by_group(&data);
    data
}

fn source(index: usize, rng: &mut Rng, fingerprints: &mut Vec<String>) -> Source {
    let name = format!("C{:04}", index + 1);
    let group = pick_group(rng);
    let change = match index {
        i if i % 25 == 12 => SourceChange::NewLayout,
        i if i % 25 == 3 => SourceChange::FewNewLayout,
        i if i % 20 == 5 => SourceChange::ConfidenceDrop,
        _ => SourceChange::None,
    };
    let group_name = GROUPS.get(group).map_or("?", |g| g.0);
    let mut layout = |label: &str| {
        fingerprints.push(format!("{group_name}|{name}|{label}"));
        (fingerprints.len() - 1) as u16
    };
    let shares: &[u64] = match rng.range(1, 3) {
        1 => &[100],
        2 => &[88, 12],
        _ => &[85, 12, 3],
    };
    let layouts = shares.iter().enumerate().map(|(k, &share)| (layout(&format!("layout-{}", k + 1)), share)).collect();
    let new_layout =
        matches!(change, SourceChange::NewLayout | SourceChange::FewNewLayout).then(|| layout("layout-new"));
    let accuracy = GROUPS.get(group).map_or(0.94, |g| g.2);
    let confidence_mean = 0.78 + rng.range(0, 14) as f64 / 100.0;
    Source { name, group, weight: rng.range(1, 9), layouts, new_layout, change, accuracy, confidence_mean }
}

fn pick_group(rng: &mut Rng) -> usize {
    let mut roll = rng.range(1, 100);
    for (g, (_, percent, _)) in GROUPS.iter().enumerate() {
        if roll <= *percent {
            return g;
        }
        roll -= percent;
    }
    0
}

/// Index `i` with probability proportional to its weight, from the running sums.
fn pick_weighted(cumulative: &[u64], rng: &mut Rng) -> usize {
    let total = cumulative.last().copied().unwrap_or(0);
    let roll = rng.range(1, total.max(1));
    cumulative.partition_point(|&sum| sum < roll).min(cumulative.len().saturating_sub(1))
}

fn transaction(data: &MonitorData, source_index: usize, decided_at: DateTime<Utc>, rng: &mut Rng) -> Transaction {
    let source = &data.sources[source_index];
    let recent = decided_at >= data.recent_from();
    let new_share = match (recent, source.change) {
        (true, SourceChange::NewLayout) => 70,
        (true, SourceChange::FewNewLayout) => 5,
        _ => 0,
    };
    let new_layout = source.new_layout.filter(|_| rng.chance(new_share));
    let fingerprint = new_layout.unwrap_or_else(|| pick_layout(&source.layouts, rng));
    let mut mean = source.confidence_mean;
    let mut accuracy = source.accuracy;
    if new_layout.is_some() {
        mean -= 0.06;
        accuracy -= 0.15;
    }
    if recent && source.change == SourceChange::ConfidenceDrop {
        mean -= 0.12;
    }
    let correct = unit(rng) < accuracy;
    let labelled_at = rng
        .chance(LABELLED_PERCENT)
        .then(|| decided_at + Duration::seconds(rng.range(0, (MAX_LABEL_DELAY_DAYS * 86_400) as u64) as i64));
    Transaction {
        source: source_index as u16,
        decided_at,
        labelled_at,
        correct,
        fingerprint,
        confidence: confidence(mean, rng),
    }
}

fn pick_layout(layouts: &[(u16, u64)], rng: &mut Rng) -> u16 {
    let mut roll = rng.range(1, 100);
    for &(layout, share) in layouts {
        if roll <= share {
            return layout;
        }
        roll -= share;
    }
    layouts.first().map_or(0, |l| l.0)
}

/// A confidence around `mean` with a spread of about 0.08 (the sum of four
/// uniforms, near normal), clamped to `[0, 1]`.
fn confidence(mean: f64, rng: &mut Rng) -> f64 {
    let sum: f64 = (0..4).map(|_| unit(rng)).sum();
    (mean + (sum - 2.0) * 0.14).clamp(0.0, 1.0)
}

/// A uniform number in `[0, 1)` from the top 53 bits.
fn unit(rng: &mut Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// The labels of the labelled transactions, group after group.
fn labels_by_group(data: &MonitorData) -> (Vec<Label>, Vec<Range<usize>>) {
    let mut labels = Vec::with_capacity(data.transactions.len());
    let mut ranges = Vec::with_capacity(GROUPS.len());
    for (group, (name, _, _)) in GROUPS.iter().enumerate() {
        let begin = labels.len();
        let of_group = data.transactions.iter().filter(|t| data.sources[usize::from(t.source)].group == group);
        labels.extend(of_group.filter_map(|t| {
            t.labelled_at.map(|labelled_at| Label {
                decided_at: t.decided_at,
                labelled_at,
                correct: t.correct,
                group: (*name).to_string(),
            })
        }));
        ranges.push(begin..labels.len());
    }
    (labels, ranges)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(seed: u64) -> MonitorData {
        generate_monitor_data(MonitorDataConfig { transactions: 20_000, sources: 30, seed })
    }

    #[test]
    fn the_same_seed_gives_the_same_data() {
        let (a, b) = (small(7), small(7));
        assert_eq!(a.transactions, b.transactions);
        assert_eq!(a.labels, b.labels);
        assert_eq!(a.fingerprints, b.fingerprints);
        assert_eq!(a.sources, b.sources);
        assert_ne!(small(8).transactions, a.transactions);
    }

    #[test]
    fn the_data_has_the_promised_shape() {
        let data = small(1);
        assert_eq!(data.transactions.len(), 20_000);
        assert!(data.transactions.windows(2).all(|w| w[0].decided_at <= w[1].decided_at), "decision order");
        let first = data.transactions.first().map(|t| t.decided_at.date_naive());
        assert_eq!(first, NaiveDate::from_ymd_opt(2026, 1, 1));
        assert!(data.transactions.iter().all(|t| t.decided_at < data.as_of));
        // 93 % labelled, accuracy about 94 %: wide bounds, the data is random.
        let labelled = data.labels.len() as f64 / 20_000.0;
        assert!((0.91..0.95).contains(&labelled), "{labelled}");
        let correct = data.labels.iter().filter(|l| l.correct).count() as f64 / data.labels.len() as f64;
        assert!((0.92..0.96).contains(&correct), "{correct}");
        for l in &data.labels {
            let delay = l.labelled_at - l.decided_at;
            assert!(delay >= Duration::zero() && delay <= Duration::days(10));
        }
        // Groups are contiguous slices that together hold every label.
        assert_eq!(data.group_ranges.last().map(|r| r.end), Some(data.labels.len()));
        for (g, range) in data.group_ranges.iter().enumerate() {
            assert!(data.labels[range.clone()].iter().all(|l| l.group == GROUPS[g].0));
        }
    }

    #[test]
    fn only_sources_with_a_new_layout_use_it_and_only_recently() {
        let data = small(3);
        for t in &data.transactions {
            let source = &data.sources[usize::from(t.source)];
            if Some(t.fingerprint) == source.new_layout {
                assert!(data.is_recent(t), "{} used its new layout early", source.name);
            } else {
                assert!(source.layouts.iter().any(|l| l.0 == t.fingerprint));
            }
            assert!((0.0..=1.0).contains(&t.confidence));
        }
        assert_eq!(data.sources[12].change, SourceChange::NewLayout);
        assert_eq!(data.sources[3].change, SourceChange::FewNewLayout);
        assert_eq!(data.sources[5].change, SourceChange::ConfidenceDrop);
    }
}
