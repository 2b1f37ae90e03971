//! The read set of a transaction: for each index it read, the key intervals
//! it scanned. Intervals, not rows, are recorded, so a later insert into a
//! range that was empty when read still conflicts (no phantoms).

use std::collections::HashMap;

use crate::keys::IndexId;

/// A half-open interval `[start, end)` of index keys; `end = None` is unbounded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interval {
    pub start: Vec<u8>,
    pub end: Option<Vec<u8>>,
}

impl Interval {
    /// The interval holding exactly `key` (keys are prefix-free, so every key
    /// that starts with `key` is `key` itself).
    pub fn point(key: &[u8]) -> Self {
        let mut end = key.to_vec();
        end.push(0);
        Self {
            start: key.to_vec(),
            end: Some(end),
        }
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        key >= self.start.as_slice() && self.end.as_deref().is_none_or(|e| key < e)
    }
}

#[derive(Clone, Debug, Default)]
pub struct ReadSet {
    intervals: HashMap<IndexId, Vec<Interval>>,
    count: usize,
}

impl ReadSet {
    pub fn record(&mut self, index: IndexId, interval: Interval) {
        let list = self.intervals.entry(index).or_default();
        // Cheap de-duplication of the common repeated point read.
        if list.last() == Some(&interval) {
            return;
        }
        list.push(interval);
        self.count += 1;
    }

    /// Number of intervals recorded (bounded by the transaction limits).
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// True when a write to `key` of `index` overlaps anything read.
    pub fn overlaps(&self, index: IndexId, key: &[u8]) -> bool {
        self.intervals
            .get(&index)
            .is_some_and(|list| list.iter().any(|i| i.contains(key)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_range_reads_still_conflict() {
        let mut rs = ReadSet::default();
        rs.record(
            3,
            Interval {
                start: b"b".to_vec(),
                end: Some(b"d".to_vec()),
            },
        );
        assert!(rs.overlaps(3, b"c\x00"));
        assert!(!rs.overlaps(3, b"d"));
        assert!(!rs.overlaps(4, b"c"));
        rs.record(5, Interval::point(b"k"));
        assert!(rs.overlaps(5, b"k"));
        assert!(!rs.overlaps(5, b"k\x01"));
    }
}
