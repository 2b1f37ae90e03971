//! The database handle: opens a deployment's store, starts the committer and
//! the retention collector, and begins transactions at the latest repeatable
//! timestamp (or at an older one inside the retention window).

use std::path::Path;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::Sender;
use parking_lot::RwLock;

use crate::catalog::{Catalog, FIRST_INDEX_ID};
use crate::committer::{now_ns, CommitReply, CommitRequest, Committer, Message};
use crate::error::{Result, StorageError};
use crate::id::FIRST_USER_TABLE;
use crate::keys;
use crate::limits::TransactionLimits;
use crate::pending_commit::PendingCommit;
use crate::persistence::{Direction, Persistence, RocksPersistence};
use crate::read_set::ReadSet;
use crate::transaction::Transaction;
use crate::write_log::WriteLog;
use crate::Timestamp;

#[derive(Clone, Debug)]
pub struct DatabaseOptions {
    /// How long old revisions stay readable (snapshots, cursors). Default 7
    /// days: enough for a 5-day `list_snapshot` walk.
    pub retention: Duration,
    /// How often the retention collector runs.
    pub gc_interval: Duration,
    /// How many recent commits the committer keeps for OCC checks; older
    /// transactions get a retryable `TransactionTooOld`.
    pub write_log_entries: usize,
    pub limits: TransactionLimits,
}

impl Default for DatabaseOptions {
    fn default() -> Self {
        Self {
            retention: Duration::from_secs(7 * 24 * 3600),
            gc_interval: Duration::from_secs(60),
            write_log_entries: 100_000,
            limits: TransactionLimits::default(),
        }
    }
}

/// State shared by the handle, its transactions, the committer and the collector.
pub(crate) struct Shared {
    pub persistence: Box<dyn Persistence>,
    pub catalog: RwLock<Arc<Catalog>>,
    /// Reads at or below this timestamp are repeatable (see `committer`).
    pub repeatable_ts: AtomicU64,
    /// Reads below this timestamp are refused: revisions may be collected.
    pub min_snapshot_ts: AtomicU64,
    pub next_table: AtomicU32,
    pub next_index: AtomicU32,
    pub options: DatabaseOptions,
    /// Recent commits' written keys: written by the committer, read by it
    /// for OCC and by [`Database::unchanged_since`].
    pub write_log: RwLock<WriteLog>,
}

impl Shared {
    /// Commits older than this may be dropped from the OCC write log.
    pub fn oldest_active_begin_ts(&self) -> Timestamp {
        // Transactions are short (seconds); keep a generous window and let a
        // transaction older than it retry.
        now_ns().saturating_sub(Duration::from_secs(120).as_nanos() as u64)
    }
}

/// A handle to one deployment's database. Cheap to clone.
#[derive(Clone)]
pub struct Database {
    shared: Arc<Shared>,
    inner: Arc<Handles>,
}

struct Handles {
    sender: Option<Sender<Message>>,
    committer: Option<JoinHandle<()>>,
    collector: Option<crate::retention::Collector>,
}

impl Handles {
    fn send(&self, m: Message) -> Result<()> {
        self.sender
            .as_ref()
            .ok_or(StorageError::ShutDown)?
            .send(m)
            .map_err(|_| StorageError::ShutDown)
    }
}

/// When the last handle goes, stop the collector, let the committer drain
/// and exit, and wait for it: the store is closed when this returns.
impl Drop for Handles {
    fn drop(&mut self) {
        if let Some(c) = self.collector.take() {
            c.stop();
        }
        self.sender.take();
        if let Some(h) = self.committer.take() {
            let _ = h.join();
        }
    }
}

impl Database {
    /// Opens (or creates) the RocksDB store in `dir`.
    pub fn open(dir: &Path, options: DatabaseOptions) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| StorageError::Persistence(e.to_string()))?;
        let p = RocksPersistence::open(dir)?;
        Self::open_with(Box::new(p), options)
    }

    /// Opens a database over any persistence implementation.
    pub fn open_with(persistence: Box<dyn Persistence>, options: DatabaseOptions) -> Result<Self> {
        let catalog = Catalog::load(persistence.as_ref())?;
        let last_ts = last_commit_ts(persistence.as_ref())?;
        let min_ts = crate::retention::load_watermark(persistence.as_ref())?;
        let shared = Arc::new(Shared {
            next_table: AtomicU32::new((catalog.max_table_number() + 1).max(FIRST_USER_TABLE)),
            next_index: AtomicU32::new((catalog.max_index_id() + 1).max(FIRST_INDEX_ID)),
            catalog: RwLock::new(Arc::new(catalog)),
            repeatable_ts: AtomicU64::new(last_ts),
            min_snapshot_ts: AtomicU64::new(min_ts),
            write_log: RwLock::new(WriteLog::new(last_ts, options.write_log_entries)),
            persistence,
            options,
        });
        let (tx, rx) = crossbeam_channel::unbounded();
        let committer = Committer::new(shared.clone(), last_ts);
        let handle = std::thread::Builder::new()
            .name("basalt-committer".into())
            .spawn(move || committer.run(rx))
            .map_err(|e| StorageError::Persistence(e.to_string()))?;
        let collector = crate::retention::Collector::start(shared.clone());
        Ok(Self {
            shared,
            inner: Arc::new(Handles {
                sender: Some(tx),
                committer: Some(handle),
                collector: Some(collector),
            }),
        })
    }

    /// Begins a transaction at the latest repeatable timestamp.
    pub fn begin(&self) -> Transaction {
        let ts = self.shared.repeatable_ts.load(Ordering::Acquire);
        Transaction::new(self.clone(), ts)
    }

    /// Begins a read transaction at `ts`, which must be inside the retention
    /// window and not in the future.
    pub fn begin_at(&self, ts: Timestamp) -> Result<Transaction> {
        self.check_readable(ts)?;
        Ok(Transaction::new(self.clone(), ts))
    }

    /// Checks that `ts` is inside the readable window.
    pub fn check_readable(&self, ts: Timestamp) -> Result<()> {
        let min_ts = self.min_snapshot_ts();
        if ts < min_ts {
            return Err(StorageError::OutOfRetention { ts, min_ts });
        }
        let max_ts = self.repeatable_ts();
        if ts > max_ts {
            return Err(StorageError::TimestampInFuture { ts, max_ts });
        }
        Ok(())
    }

    /// The latest timestamp at which reads are repeatable.
    pub fn repeatable_ts(&self) -> Timestamp {
        self.shared.repeatable_ts.load(Ordering::Acquire)
    }

    /// Asks the committer to advance the repeatable timestamp to now and
    /// returns it (used when a reader needs a fresh upper bound).
    pub fn bump_repeatable_ts(&self) -> Result<Timestamp> {
        let (reply, rx) = crossbeam_channel::bounded(1);
        self.inner.send(Message::Bump(reply))?;
        rx.recv().map_err(|_| StorageError::ShutDown)
    }

    /// If nothing committed after `since` wrote inside `reads`, returns a
    /// timestamp at which a read with that read set would still see what it
    /// saw at `since` (the repeatable timestamp of the check); `None` when a
    /// commit overlaps, or the commits after `since` are no longer all
    /// known, or there are more than `max_commits` of them to look at.
    ///
    /// Sound because the committer appends a commit to the write log
    /// before `repeatable_ts` can pass its timestamp.
    pub fn unchanged_since(
        &self,
        since: Timestamp,
        reads: &ReadSet,
        max_commits: usize,
    ) -> Option<Timestamp> {
        let now = self.repeatable_ts();
        let log = self.shared.write_log.read();
        log.unchanged_since(since, reads, max_commits)
            .then_some(now.max(since))
    }

    /// The oldest readable timestamp.
    pub fn min_snapshot_ts(&self) -> Timestamp {
        self.shared.min_snapshot_ts.load(Ordering::Acquire)
    }

    pub fn catalog(&self) -> Arc<Catalog> {
        self.shared.catalog.read().clone()
    }

    pub fn options(&self) -> &DatabaseOptions {
        &self.shared.options
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    pub(crate) fn persistence(&self) -> &dyn Persistence {
        self.shared.persistence.as_ref()
    }

    /// Hands a commit to the committer; the result answers once it is
    /// durable (or rejected). `hold` is dropped once the outcome is known.
    pub(crate) fn submit(&self, req: CommitRequest, hold: Option<Box<dyn Send>>) -> PendingCommit {
        let (sender, rx) = oneshot::channel();
        let reply = CommitReply::new(sender, hold);
        match self.inner.send(Message::Commit(Box::new(req), reply)) {
            Ok(()) => PendingCommit::waiting(rx),
            Err(_) => PendingCommit::ready(Err(StorageError::ShutDown)),
        }
    }

    /// Runs the retention collector once now, up to `cutoff` (for tests and
    /// operators); returns the number of revisions removed.
    pub fn collect_garbage(&self, cutoff: Timestamp) -> Result<usize> {
        crate::retention::collect(&self.shared, cutoff)
    }
}

/// The newest commit timestamp in the log (0 for an empty store).
fn last_commit_ts(p: &dyn Persistence) -> Result<Timestamp> {
    let start = vec![keys::LOG];
    let end = keys::log_end();
    let cur = p.scan(&start, &end, Direction::Reverse)?;
    if !cur.valid() {
        cur.status()?;
        return Ok(0);
    }
    Ok(keys::parse_log_key(cur.key()).map(|k| k.0).unwrap_or(0))
}
