//! The two walks the streaming export API is built on:
//!
//! 1. a consistent snapshot walk at a fixed timestamp, table by table (in
//!    table-number order) and within a table in `by_id` order, resumable from
//!    a [`SnapshotCursor`];
//! 2. the deltas after a timestamp, in commit order `(ts, table, id)` from the
//!    commit log, deletions included, where a page never splits the writes of
//!    one commit timestamp and an idle walk still advances its cursor.

use std::sync::Arc;

use crate::catalog::TableMeta;
use crate::database::Database;
use crate::document::{Document, Revision};
use crate::error::{Result, StorageError};
use crate::id::{DocumentId, InternalId, TableNumber};
use crate::keys;
use crate::mvcc;
use crate::Timestamp;

/// Where a snapshot walk stopped: the table, and the last id returned in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SnapshotCursor {
    pub table: TableNumber,
    pub after: Option<InternalId>,
}

impl SnapshotCursor {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.table.0.to_be_bytes().to_vec();
        if let Some(a) = &self.after {
            out.extend_from_slice(&a.0);
        }
        out
    }

    pub fn from_bytes(b: &[u8]) -> Result<Self> {
        let bad = || StorageError::InvalidCursor("malformed snapshot cursor".into());
        let table = TableNumber(u32::from_be_bytes(
            b.get(..4).ok_or_else(bad)?.try_into().map_err(|_| bad())?,
        ));
        let after = match b.len() {
            4 => None,
            20 => Some(InternalId(b[4..20].try_into().map_err(|_| bad())?)),
            _ => return Err(bad()),
        };
        Ok(Self { table, after })
    }
}

pub struct SnapshotRow {
    pub table: Arc<TableMeta>,
    /// The commit timestamp of this revision.
    pub ts: Timestamp,
    pub document: Document,
}

pub struct SnapshotPage {
    pub rows: Vec<SnapshotRow>,
    /// Where to continue; `None` when the walk is complete.
    pub cursor: Option<SnapshotCursor>,
}

pub struct DeltaRow {
    pub ts: Timestamp,
    pub table: Arc<TableMeta>,
    pub id: DocumentId,
    /// The document after the commit, `None` for a deletion.
    pub document: Option<Document>,
}

pub struct DeltaPage {
    pub rows: Vec<DeltaRow>,
    /// Pass back as `after_ts` for the next page.
    pub cursor: Timestamp,
    pub has_more: bool,
}

impl Database {
    /// One page (up to `limit` rows) of the snapshot at `snapshot_ts` of the
    /// tables `include` accepts. A page never spans tables: when a table ends
    /// and another follows, the page ends too (possibly short or empty) with a
    /// cursor at the start of the next table.
    pub fn snapshot_page(
        &self,
        snapshot_ts: Timestamp,
        include: &dyn Fn(&TableMeta) -> bool,
        cursor: Option<SnapshotCursor>,
        limit: usize,
    ) -> Result<SnapshotPage> {
        self.check_readable(snapshot_ts)?;
        let catalog = self.catalog();
        let mut tables: Vec<Arc<TableMeta>> = catalog
            .tables()
            .filter(|t| include(t))
            .filter(|t| cursor.is_none_or(|c| t.number >= c.table.0))
            .cloned()
            .collect();
        tables.sort_by_key(|t| t.number);
        let mut rows = Vec::with_capacity(limit.min(4096));
        let p = self.persistence();
        for (i, table) in tables.iter().enumerate() {
            let Some(by_id) = catalog.by_id_index(table.table_number()) else {
                continue;
            };
            let start = match &cursor {
                Some(SnapshotCursor {
                    table: t,
                    after: Some(after),
                }) if *t == table.table_number() => match keys::prefix_successor(&after.0) {
                    Some(s) => s,
                    None => continue, // the largest possible id: nothing after it
                },
                _ => Vec::new(),
            };
            let mut full = false;
            mvcc::walk(p, by_id.id, &start, snapshot_ts, |row| {
                if rows.len() >= limit {
                    full = true;
                    return Ok(false);
                }
                let document = Document::decode(row.document.unwrap_or_default())?;
                rows.push(SnapshotRow {
                    table: table.clone(),
                    ts: row.ts,
                    document,
                });
                Ok(true)
            })?;
            let next = if full {
                rows.last().map(|r| SnapshotCursor {
                    table: r.document.id.table,
                    after: Some(r.document.id.internal),
                })
            } else {
                tables.get(i + 1).map(|t| SnapshotCursor {
                    table: t.table_number(),
                    after: None,
                })
            };
            if next.is_some() {
                return Ok(SnapshotPage { rows, cursor: next });
            }
            break;
        }
        // Re-check: a walk that outlived the retention window is not consistent.
        self.check_readable(snapshot_ts)?;
        Ok(SnapshotPage { rows, cursor: None })
    }

    /// The revisions committed after `after_ts`, up to the current repeatable
    /// timestamp, of the tables `include` accepts. Stops after about `limit`
    /// rows, but only at a commit-timestamp boundary.
    pub fn deltas_page(
        &self,
        after_ts: Timestamp,
        include: &dyn Fn(&TableMeta) -> bool,
        limit: usize,
    ) -> Result<DeltaPage> {
        let min_ts = self.min_snapshot_ts();
        if after_ts < min_ts {
            return Err(StorageError::OutOfRetention {
                ts: after_ts,
                min_ts,
            });
        }
        let upper = self.repeatable_ts();
        if after_ts > upper {
            return Err(StorageError::TimestampInFuture {
                ts: after_ts,
                max_ts: upper,
            });
        }
        let catalog = self.catalog();
        let start = keys::log_ts_prefix(after_ts.saturating_add(1));
        let end = keys::log_ts_prefix(upper.saturating_add(1));
        let mut rows = Vec::new();
        let mut last_ts = after_ts;
        let mut has_more = false;
        let mut cur = self.persistence().scan_bulk(&start, &end)?;
        while cur.valid() {
            let (ts, table, internal) = keys::parse_log_key(cur.key())
                .ok_or_else(|| StorageError::Corrupt("bad log key".into()))?;
            if rows.len() >= limit && ts != last_ts {
                has_more = true;
                break;
            }
            last_ts = ts;
            if let Some(meta) = catalog.table_by_number(table) {
                if include(meta) {
                    rows.push(DeltaRow {
                        ts,
                        table: meta.clone(),
                        id: DocumentId { table, internal },
                        document: Revision::decode(cur.value())?.document,
                    });
                }
            }
            cur.advance();
        }
        cur.status()?;
        Ok(DeltaPage {
            rows,
            cursor: if has_more { last_ts } else { upper },
            has_more,
        })
    }
}
