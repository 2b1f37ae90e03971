//! Creating and dropping user indexes on live tables.
//!
//! Creation: (1) commit the index as `Backfilling` — from then on every commit
//! maintains it; (2) walk the table as of that commit's timestamp and write an
//! entry for each document at its own revision timestamp; (3) commit it as
//! `Ready`. Reads below the registration timestamp are refused (the backfill
//! only reconstructs the table from that point on).

use std::sync::atomic::Ordering;

use crate::catalog::CatalogChange;
use crate::committer::CommitRequest;
use crate::database::Database;
use crate::document::{Document, IndexEntry};
use crate::error::{Result, StorageError};
use crate::index::{check_user_index, IndexKind, IndexMeta, IndexState};
use crate::keys::{self, IndexId};
use crate::mvcc;
use crate::persistence::{Direction, Durability, WriteBatch};
use crate::Timestamp;

const BACKFILL_BATCH: usize = 1000;

impl Database {
    /// Commits catalog changes alone, at the latest timestamp, and waits
    /// until they are durable.
    fn commit_catalog(&self, catalog: Vec<CatalogChange>) -> Result<Timestamp> {
        let req = CommitRequest {
            begin_ts: self.repeatable_ts(),
            catalog,
            ..Default::default()
        };
        self.submit(req, None).wait()
    }

    /// Creates the table if it does not exist (so a schema can declare
    /// indexes on empty tables), returning its number.
    pub fn ensure_table(&self, name: &str) -> Result<crate::id::TableNumber> {
        let mut tx = self.begin();
        if let Some(t) = tx.table(name)? {
            return Ok(t.table_number());
        }
        crate::value::names::check_user_table_name(name).map_err(|e| {
            StorageError::InvalidTableName {
                name: name.to_string(),
                reason: e.to_string(),
            }
        })?;
        let changes = self.allocate_table(name);
        let req = CommitRequest {
            begin_ts: tx.begin_ts(),
            catalog: changes,
            ..Default::default()
        };
        match self.submit(req, None).wait() {
            Ok(_) => {}
            // Created concurrently: fine, use theirs.
            Err(StorageError::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
        self.catalog()
            .table_by_name(name)
            .map(|t| t.table_number())
            .ok_or_else(|| StorageError::TableNotFound(name.to_string()))
    }

    /// Creates a user index on `table` over `fields` and backfills it.
    /// `progress` is called with the number of documents indexed so far.
    pub fn add_index(
        &self,
        table: &str,
        name: &str,
        fields: &[String],
        progress: &mut dyn FnMut(u64),
    ) -> Result<IndexId> {
        check_user_index(name, fields)?;
        self.build_index(table, name, fields, progress)
    }

    /// Creates a hidden index, one whose name starts with `_` (such as the
    /// streaming import's `_by_airbyte_primary_key`): read like a user index,
    /// but never part of a pushed schema, so a deploy leaves it alone.
    pub fn add_system_index(
        &self,
        table: &str,
        name: &str,
        fields: &[String],
        progress: &mut dyn FnMut(u64),
    ) -> Result<IndexId> {
        match name.strip_prefix('_') {
            Some(rest) if !rest.starts_with('_') => check_user_index(rest, fields)?,
            _ => {
                return Err(StorageError::InvalidIndex(format!(
                    "a hidden index name must start with one underscore, not {name:?}"
                )))
            }
        }
        self.build_index(table, name, fields, progress)
    }

    fn build_index(
        &self,
        table: &str,
        name: &str,
        fields: &[String],
        progress: &mut dyn FnMut(u64),
    ) -> Result<IndexId> {
        let number = self.ensure_table(table)?;
        let catalog = self.catalog();
        if let Some(existing) = catalog.index_by_name(number, name) {
            if existing.kind
                == (IndexKind::User {
                    fields: fields.to_vec(),
                })
            {
                if existing.state == IndexState::Ready {
                    return Ok(existing.id);
                }
            } else {
                return Err(StorageError::IndexExists(format!("{table}.{name}")));
            }
        }
        let id = match catalog.index_by_name(number, name) {
            Some(existing) => existing.id,
            None => self.shared().next_index.fetch_add(1, Ordering::Relaxed),
        };
        let mut meta = IndexMeta {
            id,
            table: number.0,
            name: name.to_string(),
            kind: IndexKind::User {
                fields: fields.to_vec(),
            },
            state: IndexState::Backfilling,
            created_ts: 0,
        };
        let registered_ts = self.commit_catalog(vec![CatalogChange::PutIndex(meta.clone())])?;
        meta.created_ts = registered_ts;
        self.backfill(&meta, progress)?;
        meta.state = IndexState::Ready;
        self.commit_catalog(vec![CatalogChange::PutIndex(meta)])?;
        Ok(id)
    }

    fn backfill(&self, meta: &IndexMeta, progress: &mut dyn FnMut(u64)) -> Result<()> {
        let catalog = self.catalog();
        let by_id = catalog
            .by_id_index(meta.table_number())
            .ok_or_else(|| StorageError::TableNotFound(format!("#{}", meta.table)))?
            .clone();
        let p = self.persistence();
        let mut batch = WriteBatch::new();
        let mut done = 0u64;
        let mut result = Ok(());
        mvcc::scan(
            p,
            by_id.id,
            &[],
            None,
            meta.created_ts,
            Direction::Forward,
            |row| {
                let doc = Document::decode(row.document.unwrap_or_default())?;
                batch.put(
                    keys::index_entry_key(meta.id, &meta.key_for(&doc), row.ts),
                    IndexEntry::encode_live(None),
                );
                done += 1;
                if batch.len() >= BACKFILL_BATCH {
                    if let Err(e) = p.write(std::mem::take(&mut batch), Durability::Buffered) {
                        result = Err(e);
                        return Ok(false);
                    }
                    progress(done);
                }
                Ok(true)
            },
        )?;
        result?;
        // The final write is synced, which also makes the buffered ones durable.
        p.write(batch, Durability::Synced)?;
        progress(done);
        Ok(())
    }

    /// Drops a user index: it disappears from the catalog at once; its
    /// entries are then deleted.
    pub fn drop_index(&self, table: &str, name: &str) -> Result<()> {
        let catalog = self.catalog();
        let number = catalog
            .table_by_name(table)
            .ok_or_else(|| StorageError::TableNotFound(table.to_string()))?
            .table_number();
        let meta = catalog
            .index_by_name(number, name)
            .filter(|m| matches!(m.kind, IndexKind::User { .. }))
            .ok_or_else(|| StorageError::IndexNotFound(format!("{table}.{name}")))?
            .clone();
        self.commit_catalog(vec![CatalogChange::DropIndex(meta.id)])?;
        let p = self.persistence();
        let prefix = keys::index_prefix(meta.id);
        let end = keys::prefix_successor(&prefix).unwrap_or_else(|| vec![0xFF; 6]);
        let mut batch = WriteBatch::new();
        let mut cur = p.scan(&prefix, &end, Direction::Forward)?;
        while cur.valid() {
            batch.delete(cur.key().to_vec());
            if batch.len() >= 4096 {
                p.write(std::mem::take(&mut batch), Durability::Buffered)?;
            }
            cur.advance();
        }
        cur.status()?;
        drop(cur);
        p.write(batch, Durability::Synced)
    }
}
