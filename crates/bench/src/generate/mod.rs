//! Large, realistic purchase-order files written from templates in code: one
//! interchange holding many X12 850 sets or EDIFACT ORDERS messages of 5–40
//! lines each, with correct envelope counts. One seeded order model
//! ([`SampleOrder`]) is rendered by two writers, so both formats carry the
//! same kind of content and the same seed always gives the same bytes.

mod edifact;
mod model;
mod x12;

use serde::Serialize;

use crate::BenchFormat;

/// A generated file and what it holds, so a test or a report can check that
/// the reader found every order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GeneratedFile {
    pub format: BenchFormat,
    #[serde(skip)]
    pub bytes: Vec<u8>,
    /// Transaction sets / messages written (all of them purchase orders).
    pub orders: usize,
    /// Order lines written (PO1 / LIN), over all orders.
    pub lines: usize,
}

/// Fewest and most lines per order: the spread seen in real retail and
/// industrial purchase orders.
pub(crate) const MIN_LINES: u64 = 5;
pub(crate) const MAX_LINES: u64 = 40;

/// An X12 file of about `target_bytes` (at least one 850): one ISA/GS
/// interchange of many 850 sets.
pub fn generate_x12(target_bytes: usize, seed: u64) -> Vec<u8> {
    x12::generate(target_bytes, seed).bytes
}

/// An EDIFACT file of about `target_bytes` (at least one ORDERS): one
/// UNA/UNB interchange of many D.96A ORDERS messages.
pub fn generate_edifact(target_bytes: usize, seed: u64) -> Vec<u8> {
    edifact::generate(target_bytes, seed).bytes
}

/// [`generate_x12`] or [`generate_edifact`], with the counts of what was written.
pub fn generate(format: BenchFormat, target_bytes: usize, seed: u64) -> GeneratedFile {
    match format {
        BenchFormat::X12 => x12::generate(target_bytes, seed),
        BenchFormat::Edifact => edifact::generate(target_bytes, seed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_gives_the_same_bytes_and_another_seed_does_not() {
        for format in BenchFormat::ALL {
            let a = generate(format, 20_000, 42);
            let b = generate(format, 20_000, 42);
            let c = generate(format, 20_000, 43);
            assert_eq!(a, b, "{format}");
            assert_ne!(a.bytes, c.bytes, "{format}");
        }
    }

    #[test]
    fn size_is_close_to_the_target() {
        for format in BenchFormat::ALL {
            let file = generate(format, 1_000_000, 1);
            let len = file.bytes.len();
            // One order is at most a few KB, so the file overshoots by less than that.
            assert!((1_000_000..1_010_000).contains(&len), "{format}: {len}");
            assert!(file.orders > 100, "{format}: {}", file.orders);
            let per_order = file.lines as f64 / file.orders as f64;
            assert!((MIN_LINES as f64..=MAX_LINES as f64).contains(&per_order), "{format}: {per_order}");
        }
    }

    #[test]
    fn a_zero_target_still_gives_one_whole_order() {
        for format in BenchFormat::ALL {
            let file = generate(format, 0, 3);
            assert_eq!(file.orders, 1, "{format}");
            assert!(file.lines >= MIN_LINES as usize, "{format}");
        }
    }

    #[test]
    fn output_is_ascii_text() {
        for format in BenchFormat::ALL {
            let file = generate(format, 50_000, 9);
            assert!(file.bytes.is_ascii(), "{format}");
        }
    }
}
