//! The catalog: which tables and indexes exist. Kept in memory as an
//! immutable snapshot (`Arc<Catalog>`) that the committer replaces on each
//! change, and persisted as META entries in the same batch as the commit.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{Result, StorageError};
use crate::id::TableNumber;
use crate::index::{IndexKind, IndexMeta, BY_CREATION_TIME, BY_ID};
use crate::keys::{self, IndexId};
use crate::persistence::{Direction, Persistence, WriteBatch};

/// The pseudo-index of table names, used only in read sets: looking a table up
/// by name reads the interval `[name]` of it, and creating a table writes it,
/// so two transactions that both create a table conflict.
pub const TABLE_NAMES_INDEX: IndexId = 0;
/// Index ids start after the reserved pseudo-index.
pub const FIRST_INDEX_ID: IndexId = 1;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TableMeta {
    pub name: String,
    pub number: u32,
}

impl TableMeta {
    pub fn table_number(&self) -> TableNumber {
        TableNumber(self.number)
    }
}

/// A change to the catalog, committed atomically with a transaction's writes.
#[derive(Clone, Debug)]
pub enum CatalogChange {
    CreateTable(TableMeta),
    PutIndex(IndexMeta),
    DropIndex(IndexId),
}

#[derive(Clone, Default, Debug)]
pub struct Catalog {
    tables_by_name: HashMap<String, Arc<TableMeta>>,
    tables_by_number: HashMap<TableNumber, Arc<TableMeta>>,
    indexes: HashMap<IndexId, Arc<IndexMeta>>,
    /// Index ids per table, `by_id` first.
    table_indexes: HashMap<TableNumber, Vec<IndexId>>,
}

impl Catalog {
    /// Loads the catalog from META entries.
    pub fn load(p: &dyn Persistence) -> Result<Self> {
        let mut catalog = Catalog::default();
        let start = vec![keys::META];
        let end = vec![keys::META + 1];
        let mut cur = p.scan(&start, &end, Direction::Forward)?;
        let mut changes = Vec::new();
        while cur.valid() {
            let key = cur.key();
            let parse_err = |e: serde_json::Error| StorageError::Corrupt(format!("catalog: {e}"));
            match key.get(1) {
                Some(&keys::META_TABLE) => changes.push(CatalogChange::CreateTable(
                    serde_json::from_slice(cur.value()).map_err(parse_err)?,
                )),
                Some(&keys::META_INDEX) => changes.push(CatalogChange::PutIndex(
                    serde_json::from_slice(cur.value()).map_err(parse_err)?,
                )),
                _ => {}
            }
            cur.advance();
        }
        cur.status()?;
        // Tables first so indexes find their table.
        changes.sort_by_key(|c| !matches!(c, CatalogChange::CreateTable(_)));
        for c in changes {
            catalog.apply(&c);
        }
        Ok(catalog)
    }

    pub fn table_by_name(&self, name: &str) -> Option<&Arc<TableMeta>> {
        self.tables_by_name.get(name)
    }

    pub fn table_by_number(&self, number: TableNumber) -> Option<&Arc<TableMeta>> {
        self.tables_by_number.get(&number)
    }

    pub fn tables(&self) -> impl Iterator<Item = &Arc<TableMeta>> {
        self.tables_by_name.values()
    }

    pub fn index(&self, id: IndexId) -> Option<&Arc<IndexMeta>> {
        self.indexes.get(&id)
    }

    /// All indexes of a table (any state), `by_id` first.
    pub fn table_indexes(&self, table: TableNumber) -> impl Iterator<Item = &Arc<IndexMeta>> {
        self.table_indexes
            .get(&table)
            .into_iter()
            .flatten()
            .filter_map(|id| self.indexes.get(id))
    }

    pub fn index_by_name(&self, table: TableNumber, name: &str) -> Option<&Arc<IndexMeta>> {
        self.table_indexes(table).find(|i| i.name == name)
    }

    pub fn by_id_index(&self, table: TableNumber) -> Option<&Arc<IndexMeta>> {
        self.table_indexes(table)
            .find(|i| matches!(i.kind, IndexKind::ById))
    }

    pub fn max_table_number(&self) -> u32 {
        self.tables_by_number.keys().map(|t| t.0).max().unwrap_or(0)
    }

    pub fn max_index_id(&self) -> IndexId {
        self.indexes.keys().copied().max().unwrap_or(0)
    }

    /// Applies a change in memory.
    pub fn apply(&mut self, change: &CatalogChange) {
        match change {
            CatalogChange::CreateTable(t) => {
                let t = Arc::new(t.clone());
                self.tables_by_name.insert(t.name.clone(), t.clone());
                self.tables_by_number.insert(t.table_number(), t);
            }
            CatalogChange::PutIndex(i) => {
                let list = self.table_indexes.entry(i.table_number()).or_default();
                if !list.contains(&i.id) {
                    list.push(i.id);
                    // by_id first, then by id number: a stable order for writers.
                    let indexes = &self.indexes;
                    list.sort_by_key(|id| {
                        let by_id = indexes
                            .get(id)
                            .map(|m| matches!(m.kind, IndexKind::ById))
                            .unwrap_or(i.id == *id && matches!(i.kind, IndexKind::ById));
                        (!by_id, *id)
                    });
                }
                self.indexes.insert(i.id, Arc::new(i.clone()));
            }
            CatalogChange::DropIndex(id) => {
                if let Some(meta) = self.indexes.remove(id) {
                    if let Some(list) = self.table_indexes.get_mut(&meta.table_number()) {
                        list.retain(|x| x != id);
                    }
                }
            }
        }
    }

    /// Adds the persistent form of a change to a write batch.
    pub fn persist(change: &CatalogChange, batch: &mut WriteBatch) -> Result<()> {
        let enc = |e: serde_json::Error| StorageError::Corrupt(format!("catalog: {e}"));
        match change {
            CatalogChange::CreateTable(t) => batch.put(
                keys::meta_key(keys::META_TABLE, t.number),
                serde_json::to_vec(t).map_err(enc)?,
            ),
            CatalogChange::PutIndex(i) => batch.put(
                keys::meta_key(keys::META_INDEX, i.id),
                serde_json::to_vec(i).map_err(enc)?,
            ),
            CatalogChange::DropIndex(id) => batch.delete(keys::meta_key(keys::META_INDEX, *id)),
        }
        Ok(())
    }
}

/// The catalog changes that create a table with its two system indexes.
pub fn new_table_changes(
    name: &str,
    number: TableNumber,
    by_id: IndexId,
    by_creation_time: IndexId,
) -> Vec<CatalogChange> {
    let index = |id, name: &str, kind| {
        CatalogChange::PutIndex(IndexMeta {
            id,
            table: number.0,
            name: name.to_string(),
            kind,
            state: crate::index::IndexState::Ready,
            created_ts: 0,
        })
    };
    vec![
        CatalogChange::CreateTable(TableMeta {
            name: name.to_string(),
            number: number.0,
        }),
        index(by_id, BY_ID, IndexKind::ById),
        index(
            by_creation_time,
            BY_CREATION_TIME,
            IndexKind::ByCreationTime,
        ),
    ]
}
