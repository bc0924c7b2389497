//! A small seeded generator (SplitMix64): the same seed gives the same file on
//! every machine and every version, which a benchmark figure needs to be
//! comparable; no statistical quality beyond "varied" is required.

#[derive(Debug, Clone)]
pub(crate) struct Rng {
    state: u64,
}

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..=high` (inclusive); `low` when the range is empty.
    pub(crate) fn range(&mut self, low: u64, high: u64) -> u64 {
        if high <= low {
            return low;
        }
        low + self.next_u64() % (high - low + 1)
    }

    /// True with probability `percent` / 100.
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.range(1, 100) <= percent
    }

    /// One element of a non-empty list; the empty string for an empty one.
    pub(crate) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let len = items.len() as u64;
        if len == 0 {
            return "";
        }
        let index = self.range(0, len - 1) as usize;
        items.get(index).copied().unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let first: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let second: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        assert_eq!(first, second);
        assert_ne!(Rng::new(8).next_u64(), first[0]);
    }

    #[test]
    fn range_stays_inside_bounds() {
        let mut rng = Rng::new(1);
        for _ in 0..1000 {
            let n = rng.range(5, 40);
            assert!((5..=40).contains(&n), "{n}");
        }
        assert_eq!(rng.range(9, 3), 9);
        assert_eq!(rng.pick(&[]), "");
    }
}
