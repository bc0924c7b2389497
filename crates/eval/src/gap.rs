//! The curated-versus-live gap: a pilot measured on clean, hand-picked
//! samples (meta.jsonl `"curated": true`) reads better than it will run on
//! everything that arrives. `eval --curated` puts both numbers side by side.
//!
//! Both sides come from ONE run over the whole dataset in received order
//! (the memory sees every document, as production would) and are scored on
//! two subsets: the curated documents, and a seeded random sample of all
//! documents of the same size.

use prodline_core::stats::Proportion;
use serde::{Deserialize, Serialize};

use crate::dataset::sample_indices;
use crate::report::{Figures, Tally};
use crate::score::{DocumentScore, ScoredDocument};

/// The figures on the curated documents and on a random sample of all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CuratedGap {
    /// Seed of the live sample.
    pub seed: u64,
    pub curated: Figures,
    /// A seeded random sample of every evaluated document, as many as there
    /// are curated ones (curated documents may be drawn too: they arrive
    /// like any other).
    pub live: Figures,
    /// Curated documents that were drawn into the live sample.
    pub overlap: u64,
    /// Curated minus live, in percentage points.
    pub difference_points: GapPoints,
}

/// Curated minus live, in percentage points; `None` where either side has
/// nothing to measure (no auto-approved orders, say).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GapPoints {
    pub order_accuracy: Option<f64>,
    pub auto_precision: Option<f64>,
    pub stp_rate: Option<f64>,
}

/// Score the curated documents against a seeded random sample of all of
/// them; `None` when no record is curated.
pub fn curated_gap(records: &[ScoredDocument], seed: u64) -> Option<CuratedGap> {
    let curated_count = records.iter().filter(|r| r.curated).count();
    if curated_count == 0 {
        return None;
    }
    let live_picks = sample_indices(records.len(), curated_count, seed);
    let curated = figures_of(records.iter().filter(|r| r.curated));
    let live_records = live_picks.iter().filter_map(|&i| records.get(i));
    let overlap = live_records.clone().filter(|r| r.curated).count() as u64;
    let live = figures_of(live_records);
    let difference_points = GapPoints {
        order_accuracy: points(&curated.order_accuracy, &live.order_accuracy),
        auto_precision: points(&curated.auto_precision, &live.auto_precision),
        stp_rate: points(&curated.stp_rate, &live.stp_rate),
    };
    Some(CuratedGap { seed, curated, live, overlap, difference_points })
}

fn figures_of<'a>(records: impl Iterator<Item = &'a ScoredDocument>) -> Figures {
    let mut tally = Tally::default();
    for record in records {
        tally.add(&DocumentScore::of(record));
    }
    tally.figures()
}

fn points(curated: &Proportion, live: &Proportion) -> Option<f64> {
    Some((curated.rate? - live.rate?) * 100.0)
}
