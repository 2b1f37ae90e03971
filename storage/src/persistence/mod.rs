//! The persistence boundary: an ordered key-value store with atomic batched
//! writes. Everything above it (MVCC, indexes, OCC, the commit log) is built
//! from sorted keys, so a PostgreSQL-protocol backend only has to implement
//! this trait (a `(key bytea primary key, value bytea)` table does it).

mod memory;
mod rocks;

pub use memory::MemoryPersistence;
pub use rocks::RocksPersistence;

use crate::error::Result;

/// One atomic group of writes. Either all of it is durable or none of it is.
#[derive(Default, Debug)]
pub struct WriteBatch {
    pub(crate) ops: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl WriteBatch {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.ops.push((key, Some(value)));
    }
    pub fn delete(&mut self, key: Vec<u8>) {
        self.ops.push((key, None));
    }
    pub fn len(&self) -> usize {
        self.ops.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
    /// Moves every operation of `other` into this batch, keeping their order.
    pub fn append(&mut self, other: &mut WriteBatch) {
        self.ops.append(&mut other.ops);
    }
}

/// Whether a write must reach stable storage before it returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// The write-ahead log is synced (fsync) before returning: survives power loss.
    Synced,
    /// Written to the OS only: survives a process crash, not power loss. Used for
    /// work that can be redone (index backfill, garbage collection).
    Buffered,
}

/// Iteration order of a scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Forward,
    Reverse,
}

/// A positioned cursor over a key range; `key`/`value` are valid while `valid()`.
/// (A lending cursor rather than an `Iterator` so rows are not copied.)
pub trait KvCursor {
    fn valid(&self) -> bool;
    fn key(&self) -> &[u8];
    fn value(&self) -> &[u8];
    fn advance(&mut self);
    /// The error that stopped iteration early, if any.
    fn status(&self) -> Result<()>;
}

/// Receives one key-value pair from a [`KvReader`].
pub type ReadPair<'a> = dyn FnMut(&[u8], &[u8]) -> Result<()> + 'a;

/// Repeated point reads through one open view of the store (a transaction
/// keeps one: opening a RocksDB iterator costs more than the seek itself).
/// A reader sees every write made before it was created; later writes may
/// or may not be visible, which MVCC reads at a timestamp never depend on.
pub trait KvReader: Send {
    /// Calls `read` with the first key-value pair in `[start, end)`, if
    /// any, and returns whether there was one.
    fn seek_first(&mut self, start: &[u8], end: &[u8], read: &mut ReadPair<'_>) -> Result<bool>;
}

/// An ordered key-value store: the only thing the database needs from disk.
pub trait Persistence: Send + Sync + 'static {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// Scans keys in `[start, end)` in `direction`.
    fn scan<'a>(
        &'a self,
        start: &[u8],
        end: &[u8],
        direction: Direction,
    ) -> Result<Box<dyn KvCursor + 'a>>;
    /// [`Persistence::scan`] for a one-pass walk over much data (export's
    /// snapshot and delta walks): what it reads should not displace the
    /// cached working set of point reads.
    fn scan_bulk<'a>(&'a self, start: &[u8], end: &[u8]) -> Result<Box<dyn KvCursor + 'a>> {
        self.scan(start, end, Direction::Forward)
    }
    /// A [`KvReader`] over the store as it is now.
    fn reader(&self) -> Result<Box<dyn KvReader>>;
    fn write(&self, batch: WriteBatch, durability: Durability) -> Result<()>;
}
