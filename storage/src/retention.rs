//! Retention: revisions that no read inside the retention window can see are
//! garbage-collected, and reads older than the window are refused.
//!
//! A revision `P` of a document is invisible at every `ts >= cutoff` once a
//! newer revision `R` of it committed at or before `cutoff`. Collecting `R`'s
//! predecessor removes `P`'s log entry and index entries, and the tombstones
//! `R` wrote for keys it moved away from; if `R` is a deletion, `R` goes too.
//!
//! Invariant: `min_snapshot_ts` is raised before anything below it is deleted.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use crate::committer::now_ns;
use crate::database::Shared;
use crate::document::Revision;
use crate::error::{Result, StorageError};
use crate::keys;
use crate::persistence::{Direction, Durability, Persistence, WriteBatch};
use crate::Timestamp;

const WATERMARK_KIND: u8 = b'g';

/// The timestamp up to which collection has run (the oldest readable ts).
pub fn load_watermark(p: &dyn Persistence) -> Result<Timestamp> {
    match p.get(&keys::meta_key(WATERMARK_KIND, 0))? {
        None => Ok(0),
        Some(v) => {
            Ok(u64::from_be_bytes(v.as_slice().try_into().map_err(
                |_| StorageError::Corrupt("retention watermark".into()),
            )?))
        }
    }
}

/// Collects every revision superseded at or before `cutoff`. Returns how many
/// revisions were removed.
pub(crate) fn collect(shared: &Shared, cutoff: Timestamp) -> Result<usize> {
    let cutoff = cutoff.min(shared.repeatable_ts.load(Ordering::Acquire));
    let done = load_watermark(shared.persistence.as_ref())?;
    if cutoff <= done {
        return Ok(0);
    }
    shared.min_snapshot_ts.fetch_max(cutoff, Ordering::AcqRel);
    let p = shared.persistence.as_ref();
    let catalog = shared.catalog.read().clone();
    let start = keys::log_ts_prefix(done + 1);
    let end = keys::log_ts_prefix(cutoff.saturating_add(1));
    let mut batch = WriteBatch::new();
    let mut removed = 0usize;
    let mut cur = p.scan(&start, &end, Direction::Forward)?;
    while cur.valid() {
        let Some((ts, table, internal)) = keys::parse_log_key(cur.key()) else {
            return Err(StorageError::Corrupt("bad log key".into()));
        };
        let (deleted, prev) = Revision::peek_header(cur.value())?;
        if let Some(prev_ts) = prev {
            let current = if deleted {
                None
            } else {
                Revision::decode(cur.value())?.document
            };
            let prev_key = keys::log_key(prev_ts, table, &internal);
            let old = match p.get(&prev_key)? {
                Some(raw) => Revision::decode(&raw)?.document,
                None => None,
            };
            if let Some(old) = &old {
                for index in catalog.table_indexes(table) {
                    let old_key = index.key_for(old);
                    batch.delete(keys::index_entry_key(index.id, &old_key, prev_ts));
                    let new_key = current.as_ref().map(|d| index.key_for(d));
                    if new_key.as_ref() != Some(&old_key) {
                        batch.delete(keys::index_entry_key(index.id, &old_key, ts));
                    }
                }
            }
            batch.delete(prev_key);
            removed += 1;
            if deleted {
                batch.delete(cur.key().to_vec());
                removed += 1;
            }
        }
        if batch.len() >= 4096 {
            p.write(std::mem::take(&mut batch), Durability::Buffered)?;
        }
        cur.advance();
    }
    cur.status()?;
    drop(cur);
    batch.put(
        keys::meta_key(WATERMARK_KIND, 0),
        cutoff.to_be_bytes().to_vec(),
    );
    p.write(batch, Durability::Synced)?;
    Ok(removed)
}

/// The background thread that runs [`collect`] every `gc_interval`.
pub struct Collector {
    stop: Arc<(Mutex<bool>, Condvar)>,
    handle: Option<JoinHandle<()>>,
}

impl Collector {
    pub(crate) fn start(shared: Arc<Shared>) -> Self {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let s = stop.clone();
        let handle = std::thread::Builder::new()
            .name("basalt-retention".into())
            .spawn(move || {
                let interval = shared.options.gc_interval;
                loop {
                    {
                        let mut stopped = s.0.lock();
                        if !*stopped {
                            s.1.wait_for(&mut stopped, interval);
                        }
                        if *stopped {
                            break;
                        }
                    }
                    let retention = nanos(shared.options.retention);
                    let cutoff = now_ns().saturating_sub(retention);
                    if let Err(e) = collect(&shared, cutoff) {
                        tracing::error!(error = %e, "retention collection failed");
                    }
                }
            })
            .ok();
        Self { stop, handle }
    }

    pub(crate) fn stop(mut self) {
        *self.stop.0.lock() = true;
        self.stop.1.notify_all();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// A retention period as nanoseconds, saturating.
pub fn nanos(d: Duration) -> u64 {
    d.as_nanos().min(u64::MAX as u128) as u64
}
