//! The blocks seen per height, bounded in heights and in blocks per height.

use alloy_primitives::B256;
use std::collections::BTreeMap;

/// At most this many different blocks are accepted at one height (the spec's limit).
pub const MAX_BLOCKS_PER_HEIGHT: usize = 5;

/// How many heights are remembered; the lowest is forgotten first. Blocks older than the
/// timestamp window are rejected before they get here, so this only bounds memory.
pub const MAX_HEIGHTS: usize = 1024;

/// What [`Seen::check`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeenCheck {
    /// A block not seen at its height, with room for it.
    New,
    /// The block was seen already.
    Duplicate,
    /// [`MAX_BLOCKS_PER_HEIGHT`] other blocks were seen at its height.
    HeightFull,
}

/// Blocks seen by height.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    heights: BTreeMap<u64, Vec<B256>>,
}

impl Seen {
    /// Whether `hash` at `height` is new, a duplicate, or one too many.
    pub fn check(&self, height: u64, hash: B256) -> SeenCheck {
        match self.heights.get(&height) {
            Some(hashes) if hashes.contains(&hash) => SeenCheck::Duplicate,
            Some(hashes) if hashes.len() >= MAX_BLOCKS_PER_HEIGHT => SeenCheck::HeightFull,
            _ => SeenCheck::New,
        }
    }

    /// Records `hash` at `height` (after it was validated).
    pub fn mark(&mut self, height: u64, hash: B256) {
        let hashes = self.heights.entry(height).or_default();
        if !hashes.contains(&hash) && hashes.len() < MAX_BLOCKS_PER_HEIGHT {
            hashes.push(hash);
        }
        while self.heights.len() > MAX_HEIGHTS {
            self.heights.pop_first();
        }
    }

    /// How many heights are remembered.
    pub fn heights(&self) -> usize {
        self.heights.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_blocks_per_height_then_full_and_heights_are_bounded() {
        let mut seen = Seen::default();
        for i in 0..MAX_BLOCKS_PER_HEIGHT as u8 {
            let hash = B256::repeat_byte(i);
            assert_eq!(seen.check(7, hash), SeenCheck::New);
            seen.mark(7, hash);
            assert_eq!(seen.check(7, hash), SeenCheck::Duplicate);
        }
        assert_eq!(seen.check(7, B256::repeat_byte(0xee)), SeenCheck::HeightFull);
        assert_eq!(seen.check(8, B256::repeat_byte(0xee)), SeenCheck::New);
        for h in 0..(MAX_HEIGHTS as u64 * 2) {
            seen.mark(100 + h, B256::ZERO);
        }
        assert_eq!(seen.heights(), MAX_HEIGHTS);
        assert_eq!(seen.check(7, B256::repeat_byte(0)), SeenCheck::New, "the lowest went first");
    }
}
