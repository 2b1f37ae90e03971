//! The single committer: one thread that validates transactions by OCC,
//! assigns strictly increasing commit timestamps, writes each group of commits
//! as one synced batch (group commit), then publishes them.
//!
//! Invariants:
//! - A commit's writes are durable (WAL synced) before it is acknowledged.
//! - `repeatable_ts` only advances past a timestamp once every commit at or
//!   below it is durable and applied, so reads at it are repeatable.
//! - Commit timestamps are strictly increasing and at least wall-clock time.
//! - What a commit holds (`Transaction::submit_holding`) is released only
//!   after its outcome is sent, so after it is readable if it succeeded.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};

use crate::catalog::{Catalog, CatalogChange, TABLE_NAMES_INDEX};
use crate::database::Shared;
use crate::document::{Document, IndexEntry, Revision};
use crate::error::{Result, StorageError};
use crate::id::{DocumentId, TableNumber};
use crate::keys;
use crate::persistence::{Durability, WriteBatch};
use crate::read_set::ReadSet;
use crate::write_log::{WriteLog, WrittenKey};
use crate::Timestamp;

/// One document write of a transaction.
#[derive(Clone, Debug)]
pub struct DocumentWrite {
    pub id: DocumentId,
    /// The revision the transaction replaced: `(its ts, document)`.
    pub old: Option<(Timestamp, Document)>,
    /// The new document, or `None` for a deletion.
    pub new: Option<Document>,
}

/// Everything a transaction hands to the committer.
#[derive(Debug, Default)]
pub struct CommitRequest {
    pub begin_ts: Timestamp,
    pub reads: ReadSet,
    pub writes: Vec<DocumentWrite>,
    pub catalog: Vec<CatalogChange>,
}

/// Where the committer sends a commit's outcome, with whatever the
/// committing side asked to keep alive until then.
pub struct CommitReply {
    sender: oneshot::Sender<Result<Timestamp>>,
    /// Dropped just after the outcome is sent: once the commit is durable
    /// and readable, or rejected (see `Transaction::submit_holding`).
    _hold: Option<Box<dyn Send>>,
}

impl CommitReply {
    pub fn new(sender: oneshot::Sender<Result<Timestamp>>, hold: Option<Box<dyn Send>>) -> Self {
        Self {
            sender,
            _hold: hold,
        }
    }

    /// Sends the outcome (nobody may be waiting any more), then releases
    /// what was held.
    pub fn send(self, outcome: Result<Timestamp>) {
        let _ = self.sender.send(outcome);
    }
}

pub enum Message {
    Commit(Box<CommitRequest>, CommitReply),
    /// Advance the repeatable timestamp to now (for readers that need a fresh
    /// upper bound while no commits arrive).
    Bump(Sender<Timestamp>),
}

const MAX_GROUP: usize = 512;
const IDLE_BUMP: Duration = Duration::from_millis(50);

pub fn now_ns() -> Timestamp {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

pub struct Committer {
    shared: Arc<Shared>,
    last_ts: Timestamp,
}

impl Committer {
    pub fn new(shared: Arc<Shared>, last_ts: Timestamp) -> Self {
        Self { shared, last_ts }
    }

    pub fn run(mut self, rx: Receiver<Message>) {
        loop {
            let first = match rx.recv_timeout(IDLE_BUMP) {
                Ok(m) => m,
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                    self.bump();
                    continue;
                }
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
            };
            let mut group = Vec::with_capacity(16);
            let mut bumps = Vec::new();
            let mut next = Some(first);
            while let Some(m) = next.take() {
                match m {
                    Message::Commit(req, reply) => group.push((req, reply)),
                    Message::Bump(reply) => bumps.push(reply),
                }
                if group.len() < MAX_GROUP {
                    next = rx.try_recv().ok();
                }
            }
            if !group.is_empty() {
                self.commit_group(group);
            }
            if !bumps.is_empty() {
                let ts = self.bump();
                for b in bumps {
                    let _ = b.send(ts);
                }
            }
        }
    }

    fn next_ts(&mut self) -> Timestamp {
        let repeatable = self.shared.repeatable_ts.load(Ordering::Acquire);
        let ts = (self.last_ts + 1).max(now_ns()).max(repeatable + 1);
        self.last_ts = ts;
        ts
    }

    /// Advances the repeatable timestamp to now: nothing is in flight here.
    fn bump(&mut self) -> Timestamp {
        let now = now_ns().max(self.last_ts);
        self.last_ts = now;
        self.shared.repeatable_ts.fetch_max(now, Ordering::AcqRel);
        self.trim_write_log();
        self.shared.repeatable_ts.load(Ordering::Acquire)
    }

    fn trim_write_log(&mut self) {
        let oldest = self.shared.oldest_active_begin_ts();
        self.shared.write_log.write().trim_before(oldest);
    }

    fn commit_group(&mut self, group: Vec<(Box<CommitRequest>, CommitReply)>) {
        let mut batch = WriteBatch::new();
        // Cloned (copy-on-write) only if a request in the group changes it.
        let mut catalog: Arc<Catalog> = self.shared.catalog.read().clone();
        let mut catalog_dirty = false;
        let mut accepted: Vec<(Timestamp, CommitReply)> = Vec::new();
        let mut first_ts = None;
        // Held for the group's checks and appends (CPU work only, no I/O),
        // so each request is checked against the ones accepted before it.
        let shared = self.shared.clone();
        let mut write_log = shared.write_log.write();
        for (req, reply) in group {
            if let Err(e) = check(&write_log, &req) {
                reply.send(Err(e));
                continue;
            }
            let ts = self.next_ts();
            first_ts.get_or_insert(ts);
            match prepare(&mut catalog, &req, ts, &mut batch) {
                Ok(written) => {
                    catalog_dirty |= !req.catalog.is_empty();
                    write_log.append(ts, written);
                    accepted.push((ts, reply));
                }
                Err(e) => {
                    reply.send(Err(e));
                }
            }
        }
        drop(write_log);
        let Some(first_ts) = first_ts else { return };
        if accepted.is_empty() {
            return;
        }
        let result = if batch.is_empty() {
            Ok(())
        } else {
            self.shared.persistence.write(batch, Durability::Synced)
        };
        match result {
            Ok(()) => {
                if catalog_dirty {
                    *self.shared.catalog.write() = catalog;
                }
                let last = accepted.last().map(|a| a.0).unwrap_or(first_ts);
                self.shared.repeatable_ts.fetch_max(last, Ordering::AcqRel);
                for (ts, reply) in accepted {
                    reply.send(Ok(ts));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "commit batch failed");
                self.shared.write_log.write().truncate_from(first_ts);
                for (_, reply) in accepted {
                    reply.send(Err(StorageError::Persistence(e.to_string())));
                }
            }
        }
    }
}

/// The OCC check: any write committed after the transaction began that
/// overlaps its read set is a conflict.
fn check(write_log: &WriteLog, req: &CommitRequest) -> Result<()> {
    match write_log.first_conflict(req.begin_ts, &req.reads) {
        Ok(None) => Ok(()),
        Ok(Some(c)) => Err(StorageError::Conflict {
            table: c.table,
            document: c.document,
        }),
        Err(()) => Err(StorageError::TransactionTooOld {
            begin_ts: req.begin_ts,
        }),
    }
}

/// Applies a request's catalog changes to `catalog`, adds its writes to
/// `batch` at `ts`, and returns the index keys it wrote (for the write log).
fn prepare(
    catalog: &mut Arc<Catalog>,
    req: &CommitRequest,
    ts: Timestamp,
    batch: &mut WriteBatch,
) -> Result<Vec<WrittenKey>> {
    let mut written = Vec::new();
    let mut local = WriteBatch::new();
    for change in &req.catalog {
        if let CatalogChange::CreateTable(t) = change {
            if catalog.table_by_name(&t.name).is_some() {
                return Err(StorageError::Conflict {
                    table: t.name.clone(),
                    document: "(table creation)".into(),
                });
            }
        }
    }
    for change in &req.catalog {
        let mut change = change.clone();
        if let CatalogChange::PutIndex(meta) = &mut change {
            if meta.created_ts == 0 {
                meta.created_ts = ts;
            }
        }
        if let CatalogChange::CreateTable(t) = &change {
            written.push(WrittenKey {
                index: TABLE_NAMES_INDEX,
                key: t.name.as_bytes().to_vec(),
                document: None,
                table: Arc::from(t.name.as_str()),
            });
        }
        Catalog::persist(&change, &mut local)?;
        Arc::make_mut(catalog).apply(&change);
    }
    for w in &req.writes {
        let table: TableNumber = w.id.table;
        let table_name: Arc<str> = catalog
            .table_by_number(table)
            .map(|t| Arc::from(t.name.as_str()))
            .ok_or_else(|| StorageError::TableNotFound(format!("#{}", table.0)))?;
        let new_bytes = w.new.as_ref().map(Document::encode);
        for index in catalog.table_indexes(table) {
            let old_key = w.old.as_ref().map(|(_, d)| index.key_for(d));
            let new_key = w.new.as_ref().map(|d| index.key_for(d));
            if let Some(ok) = &old_key {
                if new_key.as_ref() != Some(ok) {
                    local.put(
                        keys::index_entry_key(index.id, ok, ts),
                        IndexEntry::encode_tombstone(),
                    );
                }
                written.push(WrittenKey {
                    index: index.id,
                    key: ok.clone(),
                    document: Some(w.id),
                    table: table_name.clone(),
                });
            }
            if let Some(nk) = new_key {
                let is_by_id = matches!(index.kind, crate::index::IndexKind::ById);
                let doc = if is_by_id { new_bytes.as_deref() } else { None };
                local.put(
                    keys::index_entry_key(index.id, &nk, ts),
                    IndexEntry::encode_live(doc),
                );
                if old_key.as_ref() != Some(&nk) {
                    written.push(WrittenKey {
                        index: index.id,
                        key: nk,
                        document: Some(w.id),
                        table: table_name.clone(),
                    });
                }
            }
        }
        local.put(
            keys::log_key(ts, table, &w.id.internal),
            Revision::encode_parts(w.old.as_ref().map(|(t, _)| *t), new_bytes.as_deref()),
        );
    }
    batch.append(&mut local);
    Ok(written)
}
