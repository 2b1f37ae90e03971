//! In-memory implementation of [`Persistence`] (a `BTreeMap`): for tests, and
//! as proof that the database needs nothing from RocksDB beyond the trait.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use parking_lot::RwLock;

use super::{Direction, Durability, KvCursor, KvReader, Persistence, ReadPair, WriteBatch};
use crate::error::Result;

#[derive(Default)]
pub struct MemoryPersistence {
    map: Arc<RwLock<BTreeMap<Vec<u8>, Vec<u8>>>>,
}

/// Reads the live map (which shows every write made before it, as a
/// [`KvReader`] must).
struct MemoryReader {
    map: Arc<RwLock<BTreeMap<Vec<u8>, Vec<u8>>>>,
}

impl KvReader for MemoryReader {
    fn seek_first(&mut self, start: &[u8], end: &[u8], read: &mut ReadPair<'_>) -> Result<bool> {
        let map = self.map.read();
        let first = map
            .range::<[u8], _>((Bound::Included(start), Bound::Excluded(end)))
            .next();
        match first {
            Some((k, v)) => {
                read(k, v)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

impl MemoryPersistence {
    pub fn new() -> Self {
        Self::default()
    }
}

/// A cursor over a copied range: simple, and consistent with the moment of the scan.
struct VecCursor {
    rows: Vec<(Vec<u8>, Vec<u8>)>,
    pos: usize,
}

impl KvCursor for VecCursor {
    fn valid(&self) -> bool {
        self.pos < self.rows.len()
    }
    fn key(&self) -> &[u8] {
        self.rows
            .get(self.pos)
            .map(|r| r.0.as_slice())
            .unwrap_or(&[])
    }
    fn value(&self) -> &[u8] {
        self.rows
            .get(self.pos)
            .map(|r| r.1.as_slice())
            .unwrap_or(&[])
    }
    fn advance(&mut self) {
        self.pos += 1;
    }
    fn status(&self) -> Result<()> {
        Ok(())
    }
}

impl Persistence for MemoryPersistence {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.map.read().get(key).cloned())
    }

    fn scan<'a>(
        &'a self,
        start: &[u8],
        end: &[u8],
        direction: Direction,
    ) -> Result<Box<dyn KvCursor + 'a>> {
        let map = self.map.read();
        let range = map.range::<[u8], _>((Bound::Included(start), Bound::Excluded(end)));
        let mut rows: Vec<(Vec<u8>, Vec<u8>)> =
            range.map(|(k, v)| (k.clone(), v.clone())).collect();
        if direction == Direction::Reverse {
            rows.reverse();
        }
        Ok(Box::new(VecCursor { rows, pos: 0 }))
    }

    fn reader(&self) -> Result<Box<dyn KvReader>> {
        Ok(Box::new(MemoryReader {
            map: self.map.clone(),
        }))
    }

    fn write(&self, batch: WriteBatch, _durability: Durability) -> Result<()> {
        let mut map = self.map.write();
        for (k, v) in batch.ops {
            match v {
                Some(v) => map.insert(k, v),
                None => map.remove(&k),
            };
        }
        Ok(())
    }
}
