//! RocksDB implementation of [`Persistence`]: the embedded default.

use std::path::Path;
use std::sync::Arc;

use rocksdb::{DBRawIteratorWithThreadMode, Options, ReadOptions, WriteOptions, DB};

use super::{Direction, Durability, KvCursor, KvReader, Persistence, ReadPair, WriteBatch};
use crate::error::{Result, StorageError};

pub struct RocksPersistence {
    /// Shared with the open [`RocksReader`]s.
    db: Arc<DB>,
}

fn err(e: rocksdb::Error) -> StorageError {
    StorageError::Persistence(e.into_string())
}

impl RocksPersistence {
    /// Opens (creating if needed) the RocksDB database in `dir`.
    pub fn open(dir: &Path) -> Result<Self> {
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.set_compression_type(rocksdb::DBCompressionType::Lz4);
        opts.increase_parallelism(2);
        opts.set_max_background_jobs(2);
        // Most writes are small synced batches from the committer.
        opts.set_write_buffer_size(64 << 20);
        let mut block = rocksdb::BlockBasedOptions::default();
        block.set_bloom_filter(10.0, false);
        block.set_block_cache(&rocksdb::Cache::new_lru_cache(256 << 20));
        opts.set_block_based_table_factory(&block);
        let db = Arc::new(DB::open(&opts, dir).map_err(err)?);
        Ok(Self { db })
    }

    /// Makes a consistent on-disk copy (hard links where possible) in `dir`.
    pub fn checkpoint(&self, dir: &Path) -> Result<()> {
        let cp = rocksdb::checkpoint::Checkpoint::new(&self.db).map_err(err)?;
        cp.create_checkpoint(dir).map_err(err)
    }
}

struct RocksCursor<'a> {
    it: DBRawIteratorWithThreadMode<'a, DB>,
    direction: Direction,
}

impl KvCursor for RocksCursor<'_> {
    fn valid(&self) -> bool {
        self.it.valid()
    }
    fn key(&self) -> &[u8] {
        self.it.key().unwrap_or_default()
    }
    fn value(&self) -> &[u8] {
        self.it.value().unwrap_or_default()
    }
    fn advance(&mut self) {
        match self.direction {
            Direction::Forward => self.it.next(),
            Direction::Reverse => self.it.prev(),
        }
    }
    fn status(&self) -> Result<()> {
        self.it.status().map_err(err)
    }
}

/// An iterator kept open for a transaction's point reads. It holds a
/// handle on the database, so it can outlive the borrow it was made from.
struct RocksReader {
    // Declared before `db` so it is dropped first, while the database lives.
    it: DBRawIteratorWithThreadMode<'static, DB>,
    db: Arc<DB>,
}

/// Deleted entries a [`RocksReader`] seek skips before it gives up (see
/// [`RocksReader::seek_first`]).
const MAX_SKIPPED_ENTRIES: u64 = 1000;

impl RocksReader {
    fn new(db: Arc<DB>) -> Self {
        let mut ro = ReadOptions::default();
        ro.set_max_skippable_internal_keys(MAX_SKIPPED_ENTRIES);
        let it = db.raw_iterator_opt(ro);
        // SAFETY: only the lifetime changes. The iterator borrows the `DB`
        // inside the `Arc`, which stays at its heap address until the last
        // `Arc` drops; `Self` holds one and drops the iterator before it.
        let it = unsafe {
            std::mem::transmute::<
                DBRawIteratorWithThreadMode<'_, DB>,
                DBRawIteratorWithThreadMode<'static, DB>,
            >(it)
        };
        Self { it, db }
    }
}

impl KvReader for RocksReader {
    /// The kept iterator has no upper bound (it serves any range), so a seek
    /// past the range would walk on through whatever follows; where that is
    /// a long run of deleted entries (a cleared table not yet compacted),
    /// it stops after `MAX_SKIPPED_ENTRIES` and this seek is redone with an
    /// iterator bounded to the range.
    fn seek_first(&mut self, start: &[u8], end: &[u8], read: &mut ReadPair<'_>) -> Result<bool> {
        self.it.seek(start);
        match (self.it.key(), self.it.value()) {
            (Some(k), Some(v)) if k < end => {
                read(k, v)?;
                Ok(true)
            }
            (Some(_), Some(_)) => Ok(false),
            _ => match self.it.status() {
                Ok(()) => Ok(false),
                Err(e) if e.kind() == rocksdb::ErrorKind::Incomplete => {
                    let cur = scan(&self.db, start, end, Direction::Forward);
                    if !cur.valid() {
                        cur.status()?;
                        return Ok(false);
                    }
                    read(cur.key(), cur.value())?;
                    Ok(true)
                }
                Err(e) => Err(err(e)),
            },
        }
    }
}

/// A cursor over `[start, end)`.
fn scan<'a>(db: &'a DB, start: &[u8], end: &[u8], direction: Direction) -> RocksCursor<'a> {
    let mut ro = ReadOptions::default();
    ro.set_iterate_lower_bound(start.to_vec());
    ro.set_iterate_upper_bound(end.to_vec());
    let mut it = db.raw_iterator_opt(ro);
    match direction {
        Direction::Forward => it.seek_to_first(),
        Direction::Reverse => it.seek_to_last(),
    }
    RocksCursor { it, direction }
}

impl Persistence for RocksPersistence {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.db.get(key).map_err(err)
    }

    fn scan<'a>(
        &'a self,
        start: &[u8],
        end: &[u8],
        direction: Direction,
    ) -> Result<Box<dyn KvCursor + 'a>> {
        Ok(Box::new(scan(&self.db, start, end, direction)))
    }

    fn scan_bulk<'a>(&'a self, start: &[u8], end: &[u8]) -> Result<Box<dyn KvCursor + 'a>> {
        let mut ro = ReadOptions::default();
        ro.set_iterate_lower_bound(start.to_vec());
        ro.set_iterate_upper_bound(end.to_vec());
        // Walked blocks stay out of the block cache: its memory stays flat
        // however large the walk. (RocksDB's automatic read-ahead of
        // sequential iterators suits pages of a walk better than a fixed
        // read-ahead, which each page would pay in full.)
        ro.fill_cache(false);
        let mut it = self.db.raw_iterator_opt(ro);
        it.seek_to_first();
        Ok(Box::new(RocksCursor {
            it,
            direction: Direction::Forward,
        }))
    }

    fn reader(&self) -> Result<Box<dyn KvReader>> {
        Ok(Box::new(RocksReader::new(self.db.clone())))
    }

    fn write(&self, batch: WriteBatch, durability: Durability) -> Result<()> {
        let mut wb = rocksdb::WriteBatch::default();
        for (k, v) in batch.ops {
            match v {
                Some(v) => wb.put(k, v),
                None => wb.delete(k),
            }
        }
        let mut wo = WriteOptions::default();
        wo.set_sync(durability == Durability::Synced);
        self.db.write_opt(wb, &wo).map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(reader: &mut dyn KvReader, start: &[u8], end: &[u8]) -> Option<Vec<u8>> {
        let mut found = None;
        let hit = reader
            .seek_first(start, end, &mut |k, _| {
                found = Some(k.to_vec());
                Ok(())
            })
            .expect("seek");
        assert_eq!(hit, found.is_some());
        found
    }

    #[test]
    fn a_reader_seeks_past_long_runs_of_deleted_keys() {
        let dir = tempfile::tempdir().expect("temp dir");
        let p = RocksPersistence::open(dir.path()).expect("open");
        let key = |n: u32| format!("k{n:05}").into_bytes();
        let mut batch = WriteBatch::new();
        for n in 0..3000 {
            batch.put(key(n), b"v".to_vec());
        }
        batch.put(key(5000), b"v".to_vec());
        batch.put(b"z".to_vec(), b"v".to_vec());
        p.write(batch, Durability::Synced).expect("write");
        let mut batch = WriteBatch::new();
        for n in 0..3000 {
            batch.delete(key(n));
        }
        p.write(batch, Durability::Synced).expect("delete");

        let mut reader = p.reader().expect("reader");
        // More deleted entries than one seek skips, then a live key in range.
        assert_eq!(first(reader.as_mut(), b"k", b"l"), Some(key(5000)));
        // ... and then nothing in range, with a live key beyond it.
        assert_eq!(first(reader.as_mut(), b"k", &key(4000)), None);
        // The reader still serves ordinary seeks afterwards.
        assert_eq!(first(reader.as_mut(), b"z", b"zz"), Some(b"z".to_vec()));
        assert_eq!(first(reader.as_mut(), &key(5000), b"l"), Some(key(5000)));
    }
}
