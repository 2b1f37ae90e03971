//! Reading index entries as of a timestamp (MVCC). An index holds, per key,
//! one entry per revision (`key ‖ !ts`, newest first); the visible state of a
//! key at `read_ts` is its newest entry with `ts <= read_ts`, unless that entry
//! is a tombstone.

use crate::document::IndexEntry;
use crate::error::{Result, StorageError};
use crate::keys::{self, IndexId};
use crate::persistence::{Direction, KvCursor, KvReader, Persistence};
use crate::Timestamp;

/// A visible index row: the index key, the revision timestamp and (for
/// `by_id`) the encoded document.
pub struct Row<'a> {
    pub key: &'a [u8],
    pub ts: Timestamp,
    pub document: Option<&'a [u8]>,
}

/// Scans index `index` over keys in `[start, end)` as of `read_ts`, calling
/// `visit` for each visible row in `direction` order until it returns false.
pub fn scan(
    p: &dyn Persistence,
    index: IndexId,
    start: &[u8],
    end: Option<&[u8]>,
    read_ts: Timestamp,
    direction: Direction,
    visit: impl FnMut(Row<'_>) -> Result<bool>,
) -> Result<()> {
    let Some((lower, upper)) = bounds(index, start, end) else {
        return Ok(());
    };
    let cur = p.scan(&lower, &upper, direction)?;
    visit_rows(cur, read_ts, direction, visit)
}

/// [`scan`] forward as a bulk walk ([`Persistence::scan_bulk`]).
pub fn walk(
    p: &dyn Persistence,
    index: IndexId,
    start: &[u8],
    read_ts: Timestamp,
    visit: impl FnMut(Row<'_>) -> Result<bool>,
) -> Result<()> {
    let Some((lower, upper)) = bounds(index, start, None) else {
        return Ok(());
    };
    let cur = p.scan_bulk(&lower, &upper)?;
    visit_rows(cur, read_ts, Direction::Forward, visit)
}

/// The raw key range of index keys in `[start, end)`; `None` when empty.
fn bounds(index: IndexId, start: &[u8], end: Option<&[u8]>) -> Option<(Vec<u8>, Vec<u8>)> {
    let prefix = keys::index_prefix(index);
    let mut lower = prefix.clone();
    lower.extend_from_slice(start);
    let upper = match end {
        Some(e) => {
            let mut u = prefix.clone();
            u.extend_from_slice(e);
            u
        }
        None => keys::prefix_successor(&prefix).unwrap_or_else(|| vec![0xFF; 6]),
    };
    (lower < upper).then_some((lower, upper))
}

fn visit_rows(
    mut cur: Box<dyn KvCursor + '_>,
    read_ts: Timestamp,
    direction: Direction,
    mut visit: impl FnMut(Row<'_>) -> Result<bool>,
) -> Result<()> {
    match direction {
        Direction::Forward => {
            // The key whose visible revision was already decided.
            let mut decided: Vec<u8> = Vec::new();
            let mut has_decided = false;
            while cur.valid() {
                let (key, ts) = split(cur.key())?;
                if !(has_decided && key == decided.as_slice()) && ts <= read_ts {
                    decided.clear();
                    decided.extend_from_slice(key);
                    has_decided = true;
                    if let IndexEntry::Live { document } = IndexEntry::decode(cur.value())? {
                        if !visit(Row { key, ts, document })? {
                            return Ok(());
                        }
                    }
                }
                cur.advance();
            }
        }
        Direction::Reverse => {
            // Revisions of one key arrive oldest first: keep the newest visible
            // one of the current key and emit it when the key changes.
            let mut group: Option<(Vec<u8>, Option<Candidate>)> = None;
            while cur.valid() {
                let (key, ts) = split(cur.key())?;
                let same = group.as_ref().is_some_and(|(k, _)| k.as_slice() == key);
                if !same {
                    if let Some((k, Some((ts, value)))) = group.take() {
                        if !emit(&k, ts, &value, &mut visit)? {
                            return Ok(());
                        }
                    }
                    group = Some((key.to_vec(), None));
                }
                if ts <= read_ts {
                    if let Some((_, cand)) = group.as_mut() {
                        *cand = Some((ts, cur.value().to_vec()));
                    }
                }
                cur.advance();
            }
            if let Some((k, Some((ts, value)))) = group.take() {
                emit(&k, ts, &value, &mut visit)?;
            }
        }
    }
    cur.status()
}

/// The newest visible revision of a key so far: `(ts, value)`.
type Candidate = (Timestamp, Vec<u8>);

fn emit(
    key: &[u8],
    ts: Timestamp,
    value: &[u8],
    visit: &mut impl FnMut(Row<'_>) -> Result<bool>,
) -> Result<bool> {
    match IndexEntry::decode(value)? {
        IndexEntry::Live { document } => visit(Row { key, ts, document }),
        IndexEntry::Tombstone => Ok(true),
    }
}

fn split(full: &[u8]) -> Result<(&[u8], Timestamp)> {
    full.get(5..)
        .and_then(keys::split_index_entry)
        .ok_or_else(|| StorageError::Corrupt("short index entry key".into()))
}

/// The visible revision of exactly `key` in `index` at `read_ts`, passed to
/// `decode` as (revision ts, by_id document bytes) while the bytes are
/// borrowed from the store. `reader` must have been created after every
/// commit at or before `read_ts` was written.
pub fn get<T>(
    reader: &mut dyn KvReader,
    index: IndexId,
    key: &[u8],
    read_ts: Timestamp,
    decode: impl FnOnce(Timestamp, &[u8]) -> Result<T>,
) -> Result<Option<T>> {
    let lower = keys::index_entry_key(index, key, read_ts);
    // Revisions of `key` start with `lower` minus its 8 ts bytes (and index
    // keys are prefix-free, so nothing else does).
    let Some(upper) = keys::prefix_successor(&lower[..lower.len() - 8]) else {
        return Ok(None);
    };
    let mut decode = Some(decode);
    let mut found = None;
    reader.seek_first(&lower, &upper, &mut |k, v| {
        let (_, ts) = split(k)?;
        if let IndexEntry::Live { document } = IndexEntry::decode(v)? {
            if let Some(decode) = decode.take() {
                found = Some(decode(ts, document.unwrap_or_default())?);
            }
        }
        Ok(())
    })?;
    Ok(found)
}
