//! The query cache, as Convex keeps one: the result of a query run at the
//! latest timestamp is kept with the read set of its transaction, and a later
//! identical call (same push, function, arguments, identity) is answered from
//! it while no commit since has written inside that read set — the same test
//! OCC applies to a mutation's reads, so a hit is exactly what a fresh run at
//! the current timestamp would read.
//!
//! As on Convex, a query's `Date.now()` and `Math.random()` are not part of
//! the key: a cached result keeps the values of the run that produced it.
//!
//! Invariants:
//! - Only successful runs at the latest repeatable timestamp are stored.
//! - An entry is stored only if no `clear()` happened since its run began
//!   (a push or an environment change), checked by a generation counter.
//! - The entries' estimated sizes stay within the byte budget.
//! - Each hit re-validates against the commit log and moves the entry's
//!   timestamp forward, so a hot entry survives the log being trimmed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use serde_json::Value as JsonValue;
use storage::{Database, ReadSet};

/// Read sets larger than this are not cached (each check walks them).
const MAX_CACHED_INTERVALS: usize = 128;
/// A hit may check at most this many commits since the entry's timestamp.
const MAX_COMMITS_CHECKED: usize = 1024;
/// What an entry costs besides its result (key, read set, bookkeeping).
const ENTRY_OVERHEAD: usize = 256;

/// What identifies a query execution.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CacheKey {
    pub push: u64,
    pub path: String,
    pub args_json: String,
    /// The caller's identity as JSON (`None` for anonymous and admin).
    pub identity: Option<String>,
    pub allow_internal: bool,
}

impl CacheKey {
    fn size(&self) -> usize {
        self.path.len() + self.args_json.len() + self.identity.as_ref().map_or(0, String::len)
    }
}

/// A cached result: the encoded value and the log lines of its run.
#[derive(Clone, Debug)]
pub struct CachedResult {
    pub value: JsonValue,
    pub log_lines: Vec<String>,
}

impl CachedResult {
    /// Roughly the bytes the result holds (its JSON text length, give or take).
    fn size(&self) -> usize {
        approx_json_size(&self.value) + self.log_lines.iter().map(String::len).sum::<usize>()
    }
}

fn approx_json_size(v: &JsonValue) -> usize {
    match v {
        JsonValue::Null | JsonValue::Bool(_) | JsonValue::Number(_) => 8,
        JsonValue::String(s) => s.len() + 2,
        JsonValue::Array(a) => 2 + a.iter().map(|v| approx_json_size(v) + 1).sum::<usize>(),
        JsonValue::Object(o) => {
            2 + o
                .iter()
                .map(|(k, v)| k.len() + 4 + approx_json_size(v))
                .sum::<usize>()
        }
    }
}

struct Entry {
    /// The result is what reads at this timestamp see.
    ts: AtomicU64,
    reads: ReadSet,
    result: CachedResult,
    size: usize,
}

#[derive(Default)]
struct Entries {
    map: HashMap<CacheKey, Arc<Entry>>,
    bytes: usize,
}

impl Entries {
    fn remove(&mut self, key: &CacheKey) {
        if let Some(e) = self.map.remove(key) {
            self.bytes -= e.size;
        }
    }
}

pub struct QueryCache {
    /// Budget for the entries' sizes, in bytes.
    capacity: usize,
    entries: Mutex<Entries>,
    generation: AtomicU64,
}

impl QueryCache {
    /// A cache holding at most about `capacity` bytes of results (0 turns
    /// it off).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(Entries::default()),
            generation: AtomicU64::new(0),
        }
    }

    pub fn enabled(&self) -> bool {
        self.capacity > 0
    }

    /// Call before running a query whose result may be stored.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The cached result for `key` if it is still what a run now would see.
    pub fn get(&self, db: &Database, key: &CacheKey) -> Option<CachedResult> {
        if !self.enabled() {
            return None;
        }
        let entry = self.entries.lock().map.get(key).cloned()?;
        let since = entry.ts.load(Ordering::Acquire);
        match db.unchanged_since(since, &entry.reads, MAX_COMMITS_CHECKED) {
            Some(valid_at) => {
                entry.ts.fetch_max(valid_at, Ordering::AcqRel);
                Some(entry.result.clone())
            }
            None => {
                let mut entries = self.entries.lock();
                if entries.map.get(key).is_some_and(|e| Arc::ptr_eq(e, &entry)) {
                    entries.remove(key);
                }
                None
            }
        }
    }

    /// Stores the result of a run at `ts` that read `reads`, begun when the
    /// cache was at `generation`.
    pub fn put(
        &self,
        generation: u64,
        key: CacheKey,
        ts: u64,
        reads: ReadSet,
        result: CachedResult,
    ) {
        if !self.enabled() || reads.len() > MAX_CACHED_INTERVALS {
            return;
        }
        let size = ENTRY_OVERHEAD + key.size() + result.size();
        // One result may take at most a quarter of the cache.
        if size > self.capacity / 4 {
            return;
        }
        let entry = Arc::new(Entry {
            ts: AtomicU64::new(ts),
            reads,
            result,
            size,
        });
        let mut entries = self.entries.lock();
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        entries.remove(&key);
        while entries.bytes + size > self.capacity {
            // Evict an arbitrary entry: the map's iteration order is random.
            let Some(victim) = entries.map.keys().next().cloned() else {
                break;
            };
            entries.remove(&victim);
        }
        entries.bytes += size;
        entries.map.insert(key, entry);
    }

    /// Forgets everything (a new push or new environment variables).
    pub fn clear(&self) {
        let mut entries = self.entries.lock();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.map.clear();
        entries.bytes = 0;
    }

    pub fn len(&self) -> usize {
        self.entries.lock().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes the entries are counted as.
    pub fn bytes(&self) -> usize {
        self.entries.lock().bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use storage::{DatabaseOptions, Object, Value};

    fn key(args: &str) -> CacheKey {
        CacheKey {
            push: 1,
            path: "messages.js:get".into(),
            args_json: args.into(),
            identity: None,
            allow_internal: false,
        }
    }

    fn result(v: i64) -> CachedResult {
        CachedResult {
            value: JsonValue::from(v),
            log_lines: vec![],
        }
    }

    fn open() -> (tempfile::TempDir, Database) {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Database::open(dir.path(), DatabaseOptions::default()).expect("open");
        (dir, db)
    }

    fn insert(db: &Database, table: &str) -> storage::DocumentId {
        let mut tx = db.begin();
        let mut fields = Object::new();
        fields.insert("n".into(), Value::Int64(1));
        let id = tx.insert(table, fields).expect("insert");
        tx.commit().expect("commit");
        id
    }

    /// Reads `id` in a fresh transaction; returns its timestamp and reads.
    fn read(db: &Database, id: &storage::DocumentId) -> (u64, ReadSet) {
        let mut tx = db.begin();
        tx.get(id).expect("get");
        (tx.begin_ts(), tx.read_set().clone())
    }

    #[test]
    fn a_hit_lasts_until_a_commit_writes_what_it_read() {
        let (_dir, db) = open();
        let a = insert(&db, "a");
        let cache = QueryCache::new(1 << 20);
        let (ts, reads) = read(&db, &a);
        cache.put(cache.generation(), key("[a]"), ts, reads, result(1));
        assert_eq!(cache.get(&db, &key("[a]")).map(|r| r.value), Some(1.into()));
        assert!(cache.get(&db, &key("[b]")).is_none());

        // A write elsewhere keeps it; a write to the document drops it.
        insert(&db, "b");
        assert!(cache.get(&db, &key("[a]")).is_some());
        let mut tx = db.begin();
        tx.patch(&a, vec![("n".into(), Some(Value::Int64(2)))])
            .expect("patch");
        tx.commit().expect("commit");
        assert!(cache.get(&db, &key("[a]")).is_none());
        assert!(cache.is_empty());
    }

    #[test]
    fn clear_drops_entries_and_refuses_runs_begun_before_it() {
        let (_dir, db) = open();
        let a = insert(&db, "a");
        let cache = QueryCache::new(1 << 20);
        let (ts, reads) = read(&db, &a);
        let before = cache.generation();
        cache.put(before, key("[a]"), ts, reads.clone(), result(1));
        cache.clear();
        assert!(cache.get(&db, &key("[a]")).is_none());
        assert_eq!(cache.bytes(), 0);
        cache.put(before, key("[a]"), ts, reads, result(1));
        assert!(cache.is_empty(), "a run begun before clear() is not stored");
    }

    #[test]
    fn the_byte_budget_bounds_the_entries_and_zero_disables() {
        let (_dir, db) = open();
        let a = insert(&db, "a");
        let (ts, reads) = read(&db, &a);
        // Each entry counts about 280 bytes: room for four.
        let cache = QueryCache::new(1200);
        for n in 0..5 {
            cache.put(
                cache.generation(),
                key(&format!("[{n}]")),
                ts,
                reads.clone(),
                result(n),
            );
        }
        assert_eq!(cache.len(), 4);
        assert!(cache.bytes() <= 1200);
        let big = CachedResult {
            value: JsonValue::String("x".repeat(300)),
            log_lines: vec![],
        };
        cache.put(cache.generation(), key("[big]"), ts, reads.clone(), big);
        assert!(
            cache.get(&db, &key("[big]")).is_none(),
            "over a quarter of the budget"
        );
        let off = QueryCache::new(0);
        off.put(off.generation(), key("[a]"), ts, reads, result(1));
        assert!(off.get(&db, &key("[a]")).is_none());
    }
}
