//! The committer's in-memory log of recent commits, used for OCC: a committing
//! transaction conflicts when any commit after its begin timestamp wrote an
//! index key inside its read set.

use std::collections::VecDeque;

use crate::id::DocumentId;
use crate::keys::IndexId;
use crate::read_set::ReadSet;
use crate::Timestamp;

/// One index key written by a commit (old keys of updated or deleted
/// documents are included: removing a row from a range changes the range).
#[derive(Clone, Debug)]
pub struct WrittenKey {
    pub index: IndexId,
    pub key: Vec<u8>,
    /// The document the write belongs to, or `None` for a catalog write.
    pub document: Option<DocumentId>,
    /// The table name, for error messages.
    pub table: std::sync::Arc<str>,
}

struct Entry {
    ts: Timestamp,
    keys: Vec<WrittenKey>,
}

/// A conflict found at commit time.
#[derive(Debug)]
pub struct Conflict {
    pub table: String,
    pub document: String,
}

pub struct WriteLog {
    entries: VecDeque<Entry>,
    /// Commits at or below this timestamp were trimmed: transactions that began
    /// before it cannot be checked.
    horizon: Timestamp,
    max_entries: usize,
}

impl WriteLog {
    pub fn new(start_ts: Timestamp, max_entries: usize) -> Self {
        Self {
            entries: VecDeque::new(),
            horizon: start_ts,
            max_entries,
        }
    }

    pub fn append(&mut self, ts: Timestamp, keys: Vec<WrittenKey>) {
        self.entries.push_back(Entry { ts, keys });
        while self.entries.len() > self.max_entries {
            if let Some(e) = self.entries.pop_front() {
                self.horizon = e.ts;
            }
        }
    }

    /// Removes the newest entries at or after `ts` (a failed group write).
    pub fn truncate_from(&mut self, ts: Timestamp) {
        while self.entries.back().is_some_and(|e| e.ts >= ts) {
            self.entries.pop_back();
        }
    }

    /// Drops entries no transaction can still need: committed at or before
    /// `oldest_begin_ts`.
    pub fn trim_before(&mut self, oldest_begin_ts: Timestamp) {
        while self
            .entries
            .front()
            .is_some_and(|e| e.ts <= oldest_begin_ts)
        {
            if let Some(e) = self.entries.pop_front() {
                self.horizon = e.ts;
            }
        }
    }

    /// True when no write committed after `since` overlaps `reads`, checking
    /// at most `max_commits` commits (more, or `since` older than the
    /// horizon, answers false).
    pub fn unchanged_since(&self, since: Timestamp, reads: &ReadSet, max_commits: usize) -> bool {
        if since < self.horizon {
            return false;
        }
        let mut walked = 0;
        for entry in self.entries.iter().rev() {
            if entry.ts <= since {
                break;
            }
            walked += 1;
            if walked > max_commits || entry.keys.iter().any(|k| reads.overlaps(k.index, &k.key)) {
                return false;
            }
        }
        true
    }

    /// Finds the first write committed after `begin_ts` that overlaps `reads`.
    /// `Err(())` when `begin_ts` is older than the log's horizon.
    pub fn first_conflict(
        &self,
        begin_ts: Timestamp,
        reads: &ReadSet,
    ) -> Result<Option<Conflict>, ()> {
        if begin_ts < self.horizon {
            return Err(());
        }
        if reads.is_empty() {
            return Ok(None);
        }
        // Entries are in ts order: walk back from the newest.
        for entry in self.entries.iter().rev() {
            if entry.ts <= begin_ts {
                break;
            }
            for k in &entry.keys {
                if reads.overlaps(k.index, &k.key) {
                    return Ok(Some(Conflict {
                        table: k.table.to_string(),
                        document: k
                            .document
                            .map(|d| d.encode())
                            .unwrap_or_else(|| "(table creation)".to_string()),
                    }));
                }
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read_set::Interval;

    fn key(index: IndexId, key: &[u8]) -> WrittenKey {
        WrittenKey {
            index,
            key: key.to_vec(),
            document: None,
            table: std::sync::Arc::from("t"),
        }
    }

    #[test]
    fn unchanged_since_sees_only_later_overlapping_commits() {
        let mut log = WriteLog::new(10, 100);
        log.append(20, vec![key(1, b"a")]);
        log.append(30, vec![key(2, b"b")]);
        let mut reads = ReadSet::default();
        reads.record(1, Interval::point(b"a"));
        assert!(
            !log.unchanged_since(10, &reads, 100),
            "the write at 20 overlaps"
        );
        assert!(
            log.unchanged_since(20, &reads, 100),
            "the write at 30 is elsewhere"
        );
        assert!(
            !log.unchanged_since(5, &reads, 100),
            "older than the horizon"
        );
        assert!(
            !log.unchanged_since(20, &reads, 0),
            "too many commits to check"
        );
        // Dropping the commit at 20 loses what came after 19, not after 20.
        log.trim_before(25);
        assert!(
            !log.unchanged_since(19, &reads, 100),
            "the commit at 20 is gone"
        );
        assert!(log.unchanged_since(20, &reads, 100));
        assert!(log.unchanged_since(30, &reads, 100));
    }
}
