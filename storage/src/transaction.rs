//! A transaction: reads at its begin timestamp (seeing its own pending
//! writes), records the index intervals it read, and on commit hands its
//! writes and read set to the committer for the OCC check.

use std::collections::HashMap;
use std::sync::Arc;

use crate::catalog::{new_table_changes, Catalog, CatalogChange, TableMeta, TABLE_NAMES_INDEX};
use crate::committer::{now_ns, CommitRequest, DocumentWrite};
use crate::database::Database;
use crate::document::{Document, Revision, CREATION_TIME_FIELD, ID_FIELD};
use crate::error::{Result, StorageError};
use crate::id::{DocumentId, InternalId, TableNumber};
use crate::index::{IndexKind, IndexMeta, IndexState};
use crate::keys;
use crate::limits::{LimitError, TransactionLimits, Usage};
use crate::mvcc;
use crate::pending_commit::PendingCommit;
use crate::persistence::{Direction, KvReader};
use crate::read_set::{Interval, ReadSet};
use crate::value::names::check_user_table_name;
use crate::value::{check_document, Object, Value};
use crate::Timestamp;

/// Scan order over an index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    Asc,
    Desc,
}

/// A range of index keys `[start, end)` (without the index prefix); `end =
/// None` is unbounded. Build one with [`crate::range::IndexRangeBuilder`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRange {
    pub start: Vec<u8>,
    pub end: Option<Vec<u8>>,
}

impl KeyRange {
    pub fn all() -> Self {
        Self {
            start: Vec::new(),
            end: None,
        }
    }
}

/// One page of an index scan.
#[derive(Debug, Default)]
pub struct ScanPage {
    pub documents: Vec<Document>,
    /// The key of the last document returned, to pass back as `after` for the
    /// next page; `None` when the range is exhausted.
    pub next: Option<Vec<u8>>,
}

struct Pending {
    /// The revision this transaction replaces: `(ts, document)`.
    old: Option<(Timestamp, Document)>,
    new: Option<Document>,
}

pub struct Transaction {
    db: Database,
    begin_ts: Timestamp,
    catalog: Arc<Catalog>,
    catalog_changes: Vec<CatalogChange>,
    reads: ReadSet,
    usage: Usage,
    limits: TransactionLimits,
    pending: HashMap<DocumentId, Pending>,
    /// Ids in first-write order, so commits are deterministic.
    order: Vec<DocumentId>,
    last_creation_time: f64,
    /// Opened on the first point read (after `begin_ts` was repeatable, so
    /// it sees every revision this transaction can read) and kept for the
    /// rest: one iterator per transaction rather than one per get.
    reader: Option<Box<dyn KvReader>>,
}

impl Transaction {
    pub(crate) fn new(db: Database, begin_ts: Timestamp) -> Self {
        let catalog = db.catalog();
        let start_ms = (begin_ts.max(now_ns()) / 1_000_000) as f64;
        let limits = db.options().limits.clone();
        Self {
            db,
            begin_ts,
            catalog,
            catalog_changes: Vec::new(),
            reads: ReadSet::default(),
            usage: Usage::default(),
            limits,
            pending: HashMap::new(),
            order: Vec::new(),
            last_creation_time: start_ms,
            reader: None,
        }
    }

    /// The snapshot timestamp this transaction reads at.
    pub fn begin_ts(&self) -> Timestamp {
        self.begin_ts
    }

    /// What this transaction has read so far (index intervals).
    pub fn read_set(&self) -> &ReadSet {
        &self.reads
    }

    /// Takes the read set out (for a finished read-only transaction whose
    /// reads outlive it, as a cached query result's do).
    pub fn take_read_set(&mut self) -> ReadSet {
        std::mem::take(&mut self.reads)
    }

    pub fn usage(&self) -> &Usage {
        &self.usage
    }

    /// Replaces this transaction's limits (the database's by default), for
    /// system work such as a streaming import batch, whose size the request
    /// body limit already bounds.
    pub fn set_limits(&mut self, limits: TransactionLimits) {
        self.limits = limits;
    }

    pub fn is_read_only(&self) -> bool {
        self.order.is_empty() && self.catalog_changes.is_empty()
    }

    /// Looks a table up by name, recording the lookup in the read set (so a
    /// concurrent creation of the same table conflicts).
    pub fn table(&mut self, name: &str) -> Result<Option<Arc<TableMeta>>> {
        self.record(TABLE_NAMES_INDEX, Interval::point(name.as_bytes()))?;
        Ok(self.catalog.table_by_name(name).cloned())
    }

    /// The name of a table by number, if it exists.
    pub fn table_name(&self, table: TableNumber) -> Option<String> {
        self.catalog.table_by_number(table).map(|t| t.name.clone())
    }

    /// The catalog as this transaction sees it (including tables it created).
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    fn record(&mut self, index: u32, interval: Interval) -> Result<()> {
        self.reads.record(index, interval);
        let max = self.limits.max_intervals;
        if self.reads.len() > max {
            return Err(LimitError::TooManyIntervals(max).into());
        }
        Ok(())
    }

    fn count_read(&mut self, bytes: usize) -> Result<()> {
        Ok(self.usage.add_read(bytes, &self.limits)?)
    }

    fn count_write(&mut self, bytes: usize) -> Result<()> {
        Ok(self.usage.add_write(bytes, &self.limits)?)
    }

    /// Reads the committed revision of `id` at the begin timestamp.
    fn read_committed(&mut self, id: &DocumentId) -> Result<Option<(Timestamp, Document)>> {
        let Some(by_id) = self.catalog.by_id_index(id.table).cloned() else {
            return Ok(None);
        };
        self.record(by_id.id, Interval::point(&id.internal.0))?;
        let reader = match &mut self.reader {
            Some(reader) => reader,
            None => self.reader.insert(self.db.persistence().reader()?),
        };
        let found = mvcc::get(
            reader.as_mut(),
            by_id.id,
            &id.internal.0,
            self.begin_ts,
            |ts, bytes| Ok((ts, bytes.len(), Document::decode(bytes)?)),
        )?;
        match found {
            None => Ok(None),
            Some((ts, len, document)) => {
                self.count_read(len)?;
                Ok(Some((ts, document)))
            }
        }
    }

    /// Point read of a document (this transaction's own writes included).
    pub fn get(&mut self, id: &DocumentId) -> Result<Option<Document>> {
        if let Some(p) = self.pending.get(id) {
            return Ok(p.new.clone());
        }
        Ok(self.read_committed(id)?.map(|(_, d)| d))
    }

    /// The current view of `id` for a write, remembering the replaced revision.
    fn touch(&mut self, id: &DocumentId) -> Result<&mut Pending> {
        if !self.pending.contains_key(id) {
            let old = self.read_committed(id)?;
            self.pending.insert(
                *id,
                Pending {
                    new: old.as_ref().map(|(_, d)| d.clone()),
                    old,
                },
            );
            self.order.push(*id);
        }
        self.pending
            .get_mut(id)
            .ok_or_else(|| StorageError::Corrupt("pending write vanished".into()))
    }

    fn next_creation_time(&mut self) -> f64 {
        self.last_creation_time = self.last_creation_time.next_up();
        self.last_creation_time
    }

    /// Returns the table, creating it (with its system indexes) if missing.
    fn table_for_insert(&mut self, name: &str) -> Result<Arc<TableMeta>> {
        if let Some(t) = self.table(name)? {
            return Ok(t);
        }
        check_user_table_name(name).map_err(|e| StorageError::InvalidTableName {
            name: name.to_string(),
            reason: e.to_string(),
        })?;
        let changes = self.db.allocate_table(name);
        let catalog = Arc::make_mut(&mut self.catalog);
        for c in &changes {
            catalog.apply(c);
        }
        self.catalog_changes.extend(changes);
        self.catalog
            .table_by_name(name)
            .cloned()
            .ok_or_else(|| StorageError::TableNotFound(name.to_string()))
    }

    /// Inserts a document into `table` (created on first insert) and returns its id.
    pub fn insert(&mut self, table: &str, fields: Object) -> Result<DocumentId> {
        for system in [ID_FIELD, CREATION_TIME_FIELD] {
            if fields.contains_key(system) {
                return Err(StorageError::SystemFieldChanged {
                    field: if system == ID_FIELD {
                        ID_FIELD
                    } else {
                        CREATION_TIME_FIELD
                    },
                    id: "(new document)".into(),
                });
            }
        }
        let meta = self.table_for_insert(table)?;
        let now_ms = now_ns() / 1_000_000;
        let internal = InternalId::generate(&mut rand::thread_rng(), now_ms);
        let id = DocumentId {
            table: meta.table_number(),
            internal,
        };
        let doc = Document::new(id, self.next_creation_time(), fields);
        check_document(&doc.fields)?;
        self.count_write(doc.size())?;
        self.pending.insert(
            id,
            Pending {
                old: None,
                new: Some(doc),
            },
        );
        self.order.push(id);
        Ok(id)
    }

    fn existing(&mut self, id: &DocumentId) -> Result<Document> {
        self.touch(id)?
            .new
            .clone()
            .ok_or_else(|| StorageError::NonexistentDocument(id.encode()))
    }

    /// Replaces a document's fields (system fields kept).
    pub fn replace(&mut self, id: &DocumentId, mut fields: Object) -> Result<Document> {
        let current = self.existing(id)?;
        check_system_fields(&current, &mut fields)?;
        let doc = Document::new(*id, current.creation_time, fields);
        self.write(id, doc)
    }

    /// Shallow-merges `patch` into a document: `Some` sets a top-level field,
    /// `None` removes it.
    pub fn patch(
        &mut self,
        id: &DocumentId,
        patch: Vec<(String, Option<Value>)>,
    ) -> Result<Document> {
        let current = self.existing(id)?;
        let mut fields = current.fields.clone();
        let mut system = Object::new();
        for (k, v) in patch {
            if k == ID_FIELD || k == CREATION_TIME_FIELD {
                if let Some(v) = v {
                    system.insert(k, v);
                    continue;
                }
                return Err(StorageError::SystemFieldChanged {
                    field: if k == ID_FIELD {
                        ID_FIELD
                    } else {
                        CREATION_TIME_FIELD
                    },
                    id: id.encode(),
                });
            }
            match v {
                Some(v) => fields.insert(k, v),
                None => fields.remove(&k),
            };
        }
        check_system_fields(&current, &mut system)?;
        fields.remove(ID_FIELD);
        fields.remove(CREATION_TIME_FIELD);
        let doc = Document::new(*id, current.creation_time, fields);
        self.write(id, doc)
    }

    fn write(&mut self, id: &DocumentId, doc: Document) -> Result<Document> {
        check_document(&doc.fields)?;
        self.count_write(doc.size())?;
        self.touch(id)?.new = Some(doc.clone());
        Ok(doc)
    }

    /// Deletes a document, returning it.
    pub fn delete(&mut self, id: &DocumentId) -> Result<Document> {
        let current = self.existing(id)?;
        self.count_write(0)?;
        self.touch(id)?.new = None;
        Ok(current)
    }

    /// Resolves `table.index` for reading at this transaction's timestamp.
    pub fn index(&mut self, table: &str, index: &str) -> Result<Option<Arc<IndexMeta>>> {
        let Some(meta) = self.table(table)? else {
            return Ok(None);
        };
        let Some(ix) = self
            .catalog
            .index_by_name(meta.table_number(), index)
            .cloned()
        else {
            return Err(StorageError::IndexNotFound(format!("{table}.{index}")));
        };
        if ix.state != IndexState::Ready {
            return Err(StorageError::IndexNotReady(format!("{table}.{index}")));
        }
        if matches!(ix.kind, IndexKind::User { .. }) && ix.created_ts > self.begin_ts {
            return Err(StorageError::IndexTooNew {
                name: format!("{table}.{index}"),
                created_ts: ix.created_ts,
                read_ts: self.begin_ts,
            });
        }
        Ok(Some(ix))
    }

    /// Reads up to `limit` documents of `range` in `index` in `order`,
    /// starting after the key `after` (from a previous page's `next`).
    /// Records the interval actually covered in the read set.
    pub fn scan(
        &mut self,
        index: &IndexMeta,
        range: &KeyRange,
        order: Order,
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<ScanPage> {
        let (start, end) = page_bounds(range, order, after);
        if end.as_ref().is_some_and(|e| *e <= start) || limit == 0 {
            return Ok(ScanPage::default());
        }
        let table = index.table_number();
        let is_by_id = matches!(index.kind, IndexKind::ById);
        let direction = match order {
            Order::Asc => Direction::Forward,
            Order::Desc => Direction::Reverse,
        };
        // Committed rows, skipping documents this transaction has written.
        let mut rows: Vec<(Vec<u8>, Document)> = Vec::new();
        let mut exhausted = true;
        let mut bytes_read = Vec::new();
        {
            let p = self.db.persistence();
            let pending = &self.pending;
            mvcc::scan(
                p,
                index.id,
                &start,
                end.as_deref(),
                self.begin_ts,
                direction,
                |row| {
                    if rows.len() >= limit {
                        exhausted = false;
                        return Ok(false);
                    }
                    let Some(internal) = row.key.get(row.key.len().saturating_sub(16)..) else {
                        return Err(StorageError::Corrupt("index key without id".into()));
                    };
                    let id =
                        DocumentId {
                            table,
                            internal: InternalId(internal.try_into().map_err(|_| {
                                StorageError::Corrupt("index key without id".into())
                            })?),
                        };
                    if pending.contains_key(&id) {
                        return Ok(true);
                    }
                    let doc = if is_by_id {
                        let bytes = row.document.unwrap_or_default();
                        bytes_read.push(bytes.len());
                        Document::decode(bytes)?
                    } else {
                        let raw = p
                            .get(&keys::log_key(row.ts, table, &id.internal))?
                            .ok_or_else(|| {
                                StorageError::Corrupt(format!("missing revision of {id}"))
                            })?;
                        bytes_read.push(raw.len());
                        Revision::decode(&raw)?.document.ok_or_else(|| {
                            StorageError::Corrupt(format!("index points at deletion of {id}"))
                        })?
                    };
                    rows.push((row.key.to_vec(), doc));
                    Ok(true)
                },
            )?;
        }
        for b in bytes_read {
            self.count_read(b)?;
        }
        // This transaction's own documents that fall in the page's range.
        let mut mine: Vec<(Vec<u8>, Document)> = self
            .order
            .iter()
            .filter(|id| id.table == table)
            .filter_map(|id| self.pending.get(id).and_then(|p| p.new.as_ref()))
            .map(|d| (index.key_for(d), d.clone()))
            .filter(|(k, _)| *k >= start && end.as_ref().is_none_or(|e| k < e))
            .collect();
        if !mine.is_empty() {
            rows.append(&mut mine);
            rows.sort_by(|a, b| a.0.cmp(&b.0));
            if order == Order::Desc {
                rows.reverse();
            }
            if rows.len() > limit {
                rows.truncate(limit);
                exhausted = false;
            }
        }
        let next = if exhausted {
            None
        } else {
            rows.last().map(|(k, _)| k.clone())
        };
        let covered = match (&next, order) {
            (None, _) => Interval { start, end },
            (Some(last), Order::Asc) => Interval {
                start,
                end: Some(successor(last)),
            },
            (Some(last), Order::Desc) => Interval {
                start: last.clone(),
                end,
            },
        };
        self.record(index.id, covered)?;
        Ok(ScanPage {
            documents: rows.into_iter().map(|(_, d)| d).collect(),
            next,
        })
    }

    /// Number of documents in a table at this transaction's timestamp.
    pub fn count(&mut self, table: &str) -> Result<u64> {
        let Some(ix) = self.index(table, crate::index::BY_ID)? else {
            return Ok(0);
        };
        let mut n = 0u64;
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = self.scan(&ix, &KeyRange::all(), Order::Asc, after.as_deref(), 1024)?;
            n += page.documents.len() as u64;
            match page.next {
                Some(k) => after = Some(k),
                None => return Ok(n),
            }
        }
    }

    /// Commits: read-only transactions return their begin timestamp; others
    /// wait until their writes are durable and return the commit timestamp.
    pub fn commit(self) -> Result<Timestamp> {
        self.submit().wait()
    }

    /// Hands the writes to the committer without waiting: the returned
    /// [`PendingCommit`] answers once they are durable (or rejected by the
    /// OCC check). A read-only transaction is done at its begin timestamp.
    pub fn submit(self) -> PendingCommit {
        self.submit_with(None)
    }

    /// Like [`Self::submit`], and `hold` stays alive until the outcome is
    /// decided, whether or not anyone still waits for it (for a guard that
    /// must outlive the commit, such as a schema check's).
    pub fn submit_holding<T: Send + 'static>(self, hold: T) -> PendingCommit {
        self.submit_with(Some(Box::new(hold)))
    }

    fn submit_with(mut self, hold: Option<Box<dyn Send>>) -> PendingCommit {
        if self.is_read_only() {
            return PendingCommit::ready(Ok(self.begin_ts));
        }
        let mut writes = Vec::with_capacity(self.order.len());
        for id in std::mem::take(&mut self.order) {
            if let Some(p) = self.pending.remove(&id) {
                if p.old.is_none() && p.new.is_none() {
                    continue; // inserted and deleted in this transaction
                }
                writes.push(DocumentWrite {
                    id,
                    old: p.old,
                    new: p.new,
                });
            }
        }
        let req = CommitRequest {
            begin_ts: self.begin_ts,
            reads: std::mem::take(&mut self.reads),
            writes,
            catalog: std::mem::take(&mut self.catalog_changes),
        };
        self.db.submit(req, hold)
    }
}

/// The smallest byte string above every index entry of `key` (entries are
/// `key ‖ ts`; keys are prefix-free, so nothing else starts with `key`).
fn successor(key: &[u8]) -> Vec<u8> {
    crate::keys::prefix_successor(key).unwrap_or_else(|| vec![0xFF; key.len() + 1])
}

/// The part of `range` still to read after `after`, as `[start, end)`.
fn page_bounds(range: &KeyRange, order: Order, after: Option<&[u8]>) -> (Vec<u8>, Option<Vec<u8>>) {
    match (order, after) {
        (_, None) => (range.start.clone(), range.end.clone()),
        (Order::Asc, Some(a)) => {
            let s = successor(a);
            (s.max(range.start.clone()), range.end.clone())
        }
        (Order::Desc, Some(a)) => {
            let e = match &range.end {
                Some(end) if end.as_slice() < a => end.clone(),
                _ => a.to_vec(),
            };
            (range.start.clone(), Some(e))
        }
    }
}

/// System fields in a replacement must equal the document's own; they are
/// then removed (the document re-adds them).
fn check_system_fields(current: &Document, fields: &mut Object) -> Result<()> {
    if let Some(v) = fields.remove(ID_FIELD) {
        if v != Value::String(current.id.encode()) {
            return Err(StorageError::SystemFieldChanged {
                field: ID_FIELD,
                id: current.id.encode(),
            });
        }
    }
    if let Some(v) = fields.remove(CREATION_TIME_FIELD) {
        if v != Value::Float64(current.creation_time) {
            return Err(StorageError::SystemFieldChanged {
                field: CREATION_TIME_FIELD,
                id: current.id.encode(),
            });
        }
    }
    Ok(())
}

impl Database {
    /// Allocates a table number and its system index ids (numbers are never
    /// reused; one lost to an aborted transaction is simply skipped).
    pub(crate) fn allocate_table(&self, name: &str) -> Vec<CatalogChange> {
        use std::sync::atomic::Ordering;
        let s = self.shared();
        let number = TableNumber(s.next_table.fetch_add(1, Ordering::Relaxed));
        let by_id = s.next_index.fetch_add(2, Ordering::Relaxed);
        new_table_changes(name, number, by_id, by_id + 1)
    }
}
