//! The inferred shape of every table, kept current cheaply: the first request
//! walks a snapshot of the whole database; later ones only fold in the
//! revisions committed since (from the commit log). If the remembered
//! timestamp has fallen out of the retention window, it starts over.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use storage::catalog::Catalog;
use storage::{Database, DocumentId, StorageError, TableNumber, Timestamp};

use super::shape::Shape;

/// Rows per page while walking.
const PAGE: usize = 4096;

#[derive(Default)]
pub struct TableShapes {
    inferred: Mutex<Option<Inferred>>,
}

#[derive(Clone)]
struct Inferred {
    /// Every revision at or below this timestamp is folded in.
    ts: Timestamp,
    tables: HashMap<TableNumber, Shape>,
}

/// The shapes as of one timestamp, with the catalog they refer to.
pub struct ShapesSnapshot {
    pub catalog: Arc<Catalog>,
    pub tables: HashMap<TableNumber, Shape>,
}

impl ShapesSnapshot {
    /// The shape of a table (`Never` when it has held no documents).
    pub fn shape(&self, table: TableNumber) -> &Shape {
        self.tables.get(&table).unwrap_or(&Shape::Never)
    }
}

impl TableShapes {
    /// The shapes of all tables, brought up to date. Blocking (walks storage).
    pub fn current(&self, db: &Database) -> Result<ShapesSnapshot, StorageError> {
        let upper = db.bump_repeatable_ts()?;
        let mut guard = self.inferred.lock();
        let catalog = db.catalog();
        let names = |id: &DocumentId| catalog.table_by_number(id.table).map(|t| t.name.clone());
        let inferred = match guard.take() {
            Some(mut inferred) if inferred.ts >= db.min_snapshot_ts() => {
                let mut after = inferred.ts;
                loop {
                    let page = db.deltas_page(after, &|_| true, PAGE)?;
                    for row in page.rows {
                        if let Some(doc) = row.document {
                            fold(&mut inferred.tables, row.id.table, &doc.fields, &names);
                        }
                    }
                    after = page.cursor;
                    if !page.has_more {
                        break;
                    }
                }
                inferred.ts = after;
                inferred
            }
            _ => {
                let mut tables = HashMap::new();
                let mut cursor = None;
                loop {
                    let page = db.snapshot_page(upper, &|_| true, cursor, PAGE)?;
                    for row in page.rows {
                        fold(
                            &mut tables,
                            row.document.id.table,
                            &row.document.fields,
                            &names,
                        );
                    }
                    match page.cursor {
                        Some(c) => cursor = Some(c),
                        None => break,
                    }
                }
                Inferred { ts: upper, tables }
            }
        };
        let tables = inferred.tables.clone();
        *guard = Some(inferred);
        Ok(ShapesSnapshot { catalog, tables })
    }
}

fn fold(
    tables: &mut HashMap<TableNumber, Shape>,
    table: TableNumber,
    fields: &storage::Object,
    names: &super::shape::TableNames,
) {
    let shape = Shape::of_document(fields, names);
    let entry = tables.entry(table).or_insert(Shape::Never);
    *entry = std::mem::replace(entry, Shape::Never).join_document(shape);
}
