//! What a push does to the database: the index diff between the pushed
//! schema and the live catalog, and the schema job that backfills added
//! indexes and validates existing documents before the push can finish.

use std::sync::Arc;

use crate::functions::document_validators::DocumentValidators;
use parking_lot::Mutex;
use serde_json::{json, Value as JsonValue};
use storage::index::IndexKind;
use storage::{Database, KeyRange, Order};

/// A database index as the CLI names it (`table.index`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DbIndex {
    pub table: String,
    pub name: String,
    pub fields: Vec<String>,
}

impl DbIndex {
    pub fn to_json(&self) -> JsonValue {
        json!({"name": format!("{}.{}", self.table, self.name), "type": "database", "fields": self.fields})
    }
}

/// Indexes the schema declares (non-staged database indexes).
pub fn schema_indexes(schema: Option<&JsonValue>) -> Vec<DbIndex> {
    let mut out = Vec::new();
    let tables = schema
        .and_then(|s| s.get("tables"))
        .and_then(JsonValue::as_array)
        .cloned()
        .unwrap_or_default();
    for t in tables {
        let Some(table) = t.get("tableName").and_then(JsonValue::as_str) else {
            continue;
        };
        for ix in t
            .get("indexes")
            .and_then(JsonValue::as_array)
            .into_iter()
            .flatten()
        {
            let name = ix.get("indexDescriptor").and_then(JsonValue::as_str);
            let fields: Option<Vec<String>> =
                ix.get("fields").and_then(JsonValue::as_array).map(|f| {
                    f.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                });
            if let (Some(name), Some(fields)) = (name, fields) {
                out.push(DbIndex {
                    table: table.to_string(),
                    name: name.to_string(),
                    fields,
                });
            }
        }
    }
    out.sort();
    out
}

/// User indexes that exist in the database now, without the hidden ones
/// (names starting with `_`, such as the streaming import's primary-key
/// index), which no schema declares and no push may drop.
pub fn live_indexes(db: &Database) -> Vec<DbIndex> {
    let catalog = db.catalog();
    let mut out = Vec::new();
    for t in catalog.tables() {
        for ix in catalog.table_indexes(t.table_number()) {
            if ix.name.starts_with('_') {
                continue;
            }
            if let IndexKind::User { fields } = &ix.kind {
                out.push(DbIndex {
                    table: t.name.clone(),
                    name: ix.name.clone(),
                    fields: fields.clone(),
                });
            }
        }
    }
    out.sort();
    out
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct IndexDiff {
    pub added: Vec<DbIndex>,
    pub removed: Vec<DbIndex>,
}

impl IndexDiff {
    pub fn between(live: &[DbIndex], wanted: &[DbIndex]) -> Self {
        Self {
            added: wanted
                .iter()
                .filter(|w| !live.contains(w))
                .cloned()
                .collect(),
            removed: live
                .iter()
                .filter(|l| !wanted.contains(l))
                .cloned()
                .collect(),
        }
    }

    pub fn to_json(&self) -> JsonValue {
        json!({
            "added_indexes": self.added.iter().map(DbIndex::to_json).collect::<Vec<_>>(),
            "removed_indexes": self.removed.iter().map(DbIndex::to_json).collect::<Vec<_>>(),
        })
    }
}

/// The state `wait_for_schema` reports.
#[derive(Clone, Debug, PartialEq)]
pub enum SchemaState {
    InProgress {
        validation_complete: bool,
        indexes_complete: usize,
        indexes_total: usize,
    },
    Failed {
        error: String,
        table: Option<String>,
    },
    Complete,
}

impl SchemaState {
    pub fn to_json(&self) -> JsonValue {
        match self {
            SchemaState::InProgress {
                validation_complete,
                indexes_complete,
                indexes_total,
            } => json!({"type": "inProgress", "components": {"": {
                "schemaValidationComplete": validation_complete,
                "indexesComplete": indexes_complete,
                "indexesTotal": indexes_total,
            }}}),
            SchemaState::Failed { error, table } => {
                json!({"type": "failed", "error": error, "componentPath": "", "tableName": table})
            }
            SchemaState::Complete => json!({"type": "complete"}),
        }
    }
}

/// Runs a push's schema work in the background.
pub struct SchemaJob {
    pub state: Mutex<SchemaState>,
}

impl SchemaJob {
    /// Starts backfilling `added` and validating documents against `schema`.
    pub fn start(db: Database, schema: Option<JsonValue>, added: Vec<DbIndex>) -> Arc<SchemaJob> {
        let job = Arc::new(SchemaJob {
            state: Mutex::new(SchemaState::InProgress {
                validation_complete: false,
                indexes_complete: 0,
                indexes_total: added.len(),
            }),
        });
        let worker = job.clone();
        let spawned = std::thread::Builder::new()
            .name("basalt-schema".into())
            .spawn(move || {
                let result = run(&db, schema.as_ref(), &added, &worker);
                *worker.state.lock() = match result {
                    Ok(()) => SchemaState::Complete,
                    Err((error, table)) => SchemaState::Failed { error, table },
                };
            });
        if let Err(e) = spawned {
            *job.state.lock() = SchemaState::Failed {
                error: format!("cannot start the schema job: {e}"),
                table: None,
            };
        }
        job
    }
}

type JobError = (String, Option<String>);

fn run(
    db: &Database,
    schema: Option<&JsonValue>,
    added: &[DbIndex],
    job: &SchemaJob,
) -> Result<(), JobError> {
    validate_documents(db, schema)?;
    if let SchemaState::InProgress {
        validation_complete,
        ..
    } = &mut *job.state.lock()
    {
        *validation_complete = true;
    }
    for (n, ix) in added.iter().enumerate() {
        // A changed definition replaces the old index of the same name.
        if let Some(t) = db.catalog().table_by_name(&ix.table) {
            if db
                .catalog()
                .index_by_name(t.table_number(), &ix.name)
                .is_some()
            {
                db.drop_index(&ix.table, &ix.name)
                    .map_err(|e| (e.to_string(), Some(ix.table.clone())))?;
            }
        }
        db.add_index(&ix.table, &ix.name, &ix.fields, &mut |_| {})
            .map_err(|e| {
                (
                    format!("Index {}.{}: {e}", ix.table, ix.name),
                    Some(ix.table.clone()),
                )
            })?;
        if let SchemaState::InProgress {
            indexes_complete, ..
        } = &mut *job.state.lock()
        {
            *indexes_complete = n + 1;
        }
    }
    Ok(())
}

/// With `schemaValidation`, every existing document must match its table's
/// `documentType`.
fn validate_documents(db: &Database, schema: Option<&JsonValue>) -> Result<(), JobError> {
    let validators = DocumentValidators::from_schema(schema)
        .map_err(|e| (e.to_string(), Some(e.table.clone())))?;
    let catalog = db.catalog();
    let tables: Vec<String> = validators.tables().map(str::to_string).collect();
    for table in &tables {
        let table = table.as_str();
        if catalog.table_by_name(table).is_none() {
            continue;
        }
        let mut table_for_id = |id: &str| -> Option<String> {
            let id = storage::DocumentId::decode(id).ok()?;
            catalog.table_by_number(id.table).map(|t| t.name.clone())
        };
        let mut tx = db.begin();
        let ix = match tx.index(table, storage::index::BY_ID) {
            Ok(Some(ix)) => ix,
            Ok(None) => continue,
            Err(e) => return Err((e.to_string(), Some(table.to_string()))),
        };
        let mut after: Option<Vec<u8>> = None;
        loop {
            // A fresh transaction per page: validation reads whole tables.
            let page = tx
                .scan(&ix, &KeyRange::all(), Order::Asc, after.as_deref(), 1000)
                .map_err(|e| (e.to_string(), Some(table.to_string())))?;
            for doc in &page.documents {
                let fields: serde_json::Map<String, JsonValue> = doc
                    .fields
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_encoded_json()))
                    .collect();
                if let Err(detail) =
                    validators.check(table, &JsonValue::Object(fields), &mut table_for_id)
                {
                    return Err((
                        format!(
                            "Schema validation failed.\nDocument with ID \"{}\" in table \"{table}\" does not match the schema: {detail}",
                            doc.id
                        ),
                        Some(table.to_string()),
                    ));
                }
            }
            match page.next {
                Some(k) => {
                    after = Some(k);
                    let ts = tx.begin_ts();
                    tx = db
                        .begin_at(ts)
                        .map_err(|e| (e.to_string(), Some(table.to_string())))?;
                }
                None => break,
            }
        }
    }
    Ok(())
}
