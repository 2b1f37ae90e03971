//! The on-disk key layout. Every key starts with a one-byte space tag; integers
//! are big-endian so byte order is numeric order.
//!
//! ```text
//! META   0x01 kind:u8 id:u32                          -> JSON (tables, indexes)
//! LOG    0x02 ts:u64 table:u32 internal_id:[16]       -> revision (the commit log)
//! INDEX  0x03 index:u32 key:[..] !ts:u64              -> index entry
//! ```
//!
//! Invariant: an index `key` is prefix-free (built from self-delimiting sort
//! keys, ending in a fixed 16-byte internal id), so appending the inverted
//! timestamp keeps entries grouped by key, newest revision first.

use crate::id::{InternalId, TableNumber};
use crate::Timestamp;

pub const META: u8 = 0x01;
pub const LOG: u8 = 0x02;
pub const INDEX: u8 = 0x03;

pub const META_TABLE: u8 = b't';
pub const META_INDEX: u8 = b'i';

/// The id of an index, unique across all tables of a deployment.
pub type IndexId = u32;

pub fn meta_key(kind: u8, id: u32) -> Vec<u8> {
    let mut k = Vec::with_capacity(6);
    k.push(META);
    k.push(kind);
    k.extend_from_slice(&id.to_be_bytes());
    k
}

pub const LOG_KEY_LEN: usize = 1 + 8 + 4 + 16;

pub fn log_key(ts: Timestamp, table: TableNumber, id: &InternalId) -> Vec<u8> {
    let mut k = Vec::with_capacity(LOG_KEY_LEN);
    k.push(LOG);
    k.extend_from_slice(&ts.to_be_bytes());
    k.extend_from_slice(&table.0.to_be_bytes());
    k.extend_from_slice(&id.0);
    k
}

/// The first log key at timestamp `ts` (inclusive lower bound).
pub fn log_ts_prefix(ts: Timestamp) -> Vec<u8> {
    let mut k = Vec::with_capacity(9);
    k.push(LOG);
    k.extend_from_slice(&ts.to_be_bytes());
    k
}

pub fn log_end() -> Vec<u8> {
    vec![LOG + 1]
}

/// Splits a log key into (ts, table, internal id).
pub fn parse_log_key(key: &[u8]) -> Option<(Timestamp, TableNumber, InternalId)> {
    if key.len() != LOG_KEY_LEN || key[0] != LOG {
        return None;
    }
    let ts = u64::from_be_bytes(key[1..9].try_into().ok()?);
    let table = u32::from_be_bytes(key[9..13].try_into().ok()?);
    let id: [u8; 16] = key[13..29].try_into().ok()?;
    Some((ts, TableNumber(table), InternalId(id)))
}

/// The prefix of every entry of one index.
pub fn index_prefix(index: IndexId) -> Vec<u8> {
    let mut k = Vec::with_capacity(5);
    k.push(INDEX);
    k.extend_from_slice(&index.to_be_bytes());
    k
}

pub fn index_entry_key(index: IndexId, key: &[u8], ts: Timestamp) -> Vec<u8> {
    let mut k = Vec::with_capacity(5 + key.len() + 8);
    k.push(INDEX);
    k.extend_from_slice(&index.to_be_bytes());
    k.extend_from_slice(key);
    k.extend_from_slice(&(!ts).to_be_bytes());
    k
}

/// Splits the part of an index entry key after the 5-byte prefix into
/// (index key, ts).
pub fn split_index_entry(rest: &[u8]) -> Option<(&[u8], Timestamp)> {
    if rest.len() < 8 {
        return None;
    }
    let (key, ts) = rest.split_at(rest.len() - 8);
    let inv = u64::from_be_bytes(ts.try_into().ok()?);
    Some((key, !inv))
}

/// The smallest byte string greater than every string starting with `prefix`,
/// or `None` when there is none (all 0xFF).
pub fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut out = prefix.to_vec();
    while let Some(last) = out.pop() {
        if last < 0xFF {
            out.push(last + 1);
            return Some(out);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_entries_sort_newest_first_within_a_key() {
        let a_old = index_entry_key(7, b"a\x00", 10);
        let a_new = index_entry_key(7, b"a\x00", 20);
        let b_old = index_entry_key(7, b"b\x00", 5);
        assert!(a_new < a_old);
        assert!(a_old < b_old);
        let (k, ts) = split_index_entry(&a_old[5..]).expect("test input is valid");
        assert_eq!((k, ts), (&b"a\x00"[..], 10));
    }

    #[test]
    fn log_keys_round_trip_and_sort_by_ts() {
        let id = InternalId([3; 16]);
        let k1 = log_key(5, TableNumber(10001), &id);
        let k2 = log_key(6, TableNumber(1), &id);
        assert!(k1 < k2);
        assert_eq!(parse_log_key(&k1), Some((5, TableNumber(10001), id)));
    }

    #[test]
    fn prefix_successor_skips_ff() {
        assert_eq!(prefix_successor(&[1, 0xFF]), Some(vec![2]));
        assert_eq!(prefix_successor(&[0xFF]), None);
    }
}
