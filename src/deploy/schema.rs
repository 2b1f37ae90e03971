//! What a push does to the database: the index diff between the pushed
//! schema and the live catalog, and the schema job that backfills added
//! indexes and validates existing documents before the push can finish.

use std::sync::Arc;

use crate::functions::document_validators::DocumentValidators;
use parking_lot::Mutex;
use serde_json::{json, Value as JsonValue};
use storage::catalog::Catalog;
use storage::index::IndexKind;
use storage::{Database, Document, KeyRange, Order, Timestamp};

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

/// Runs a push's schema work in the background: validates the documents
/// at one snapshot, then backfills the added indexes. Writes committed
/// after the snapshot are checked by [`SchemaJob::catch_up`] (a write that
/// does not match fails the push, as on Convex, where a write that breaks
/// a pending schema marks it failed).
pub struct SchemaJob {
    pub state: Mutex<SchemaState>,
    /// The pushed schema's validators (empty without `schemaValidation`):
    /// the ones the push installs once they passed.
    validators: Arc<DocumentValidators>,
    /// Commits up to this timestamp have been checked; set once the
    /// snapshot validation is done.
    checked_through: Mutex<Option<Timestamp>>,
}

/// Commits one [`SchemaJob::catch_up`] pass reads at most, so a busy
/// deployment cannot keep it running forever.
const CATCH_UP_PAGE: usize = 1000;

impl SchemaJob {
    /// Starts backfilling `added` and validating documents against `schema`.
    pub fn start(db: Database, schema: Option<JsonValue>, added: Vec<DbIndex>) -> Arc<SchemaJob> {
        let (validators, invalid) = match DocumentValidators::from_schema(schema.as_ref()) {
            Ok(v) => (v, None),
            Err(e) => (DocumentValidators::default(), Some(e)),
        };
        let job = Arc::new(SchemaJob {
            state: Mutex::new(SchemaState::InProgress {
                validation_complete: false,
                indexes_complete: 0,
                indexes_total: added.len(),
            }),
            validators: Arc::new(validators),
            checked_through: Mutex::new(None),
        });
        if let Some(e) = invalid {
            job.fail(e.to_string(), Some(e.table.clone()));
            return job;
        }
        let worker = job.clone();
        let spawned = std::thread::Builder::new()
            .name("basalt-schema".into())
            .spawn(move || {
                let result = run(&db, &added, &worker);
                let mut state = worker.state.lock();
                // A catch-up may have failed the job meanwhile.
                if let SchemaState::InProgress { .. } = *state {
                    *state = match result {
                        Ok(()) => SchemaState::Complete,
                        Err((error, table)) => SchemaState::Failed { error, table },
                    };
                }
            });
        if let Err(e) = spawned {
            job.fail(format!("cannot start the schema job: {e}"), None);
        }
        job
    }

    fn fail(&self, error: String, table: Option<String>) {
        *self.state.lock() = SchemaState::Failed { error, table };
    }

    /// The validators the push installs.
    pub fn validators(&self) -> Arc<DocumentValidators> {
        self.validators.clone()
    }

    /// Checks the writes committed since the last check (or the validation
    /// snapshot) against the pushed schema, up to about `CATCH_UP_PAGE`
    /// commits; a mismatch fails the job. Returns whether everything
    /// committed so far has been checked. Only valid once the snapshot
    /// validation is done.
    pub fn catch_up(&self, db: &Database) -> Result<bool, JobError> {
        if let SchemaState::Failed { error, table } = &*self.state.lock() {
            return Err((error.clone(), table.clone()));
        }
        let mut checked = self.checked_through.lock();
        let Some(from) = *checked else {
            return Err(("The schema is still being validated".into(), None));
        };
        if self.validators.tables().next().is_none() {
            return Ok(true);
        }
        let result = (|| {
            let page = db
                .deltas_page(from, &|t| self.validators.covers(&t.name), CATCH_UP_PAGE)
                .map_err(|e| {
                    (
                        format!("Cannot check the writes made during the push: {e}"),
                        None,
                    )
                })?;
            let catalog = db.catalog();
            for row in &page.rows {
                if let Some(doc) = &row.document {
                    check_document(&self.validators, &catalog, &row.table.name, doc)?;
                }
            }
            Ok(page)
        })();
        match result {
            Ok(page) => {
                *checked = Some(page.cursor);
                Ok(!page.has_more)
            }
            Err((error, table)) => {
                self.fail(error.clone(), table.clone());
                Err((error, table))
            }
        }
    }
}

pub type JobError = (String, Option<String>);

fn run(db: &Database, added: &[DbIndex], job: &SchemaJob) -> Result<(), JobError> {
    let snapshot = validate_documents(db, &job.validators)?;
    *job.checked_through.lock() = Some(snapshot);
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

/// Checks one document of `table` against the validators.
fn check_document(
    validators: &DocumentValidators,
    catalog: &Catalog,
    table: &str,
    doc: &Document,
) -> Result<(), JobError> {
    let mut table_for_id = |id: &str| -> Option<String> {
        let id = storage::DocumentId::decode(id).ok()?;
        catalog.table_by_number(id.table).map(|t| t.name.clone())
    };
    let fields: serde_json::Map<String, JsonValue> = doc
        .fields
        .iter()
        .map(|(k, v)| (k.clone(), v.to_encoded_json()))
        .collect();
    validators
        .check(table, &JsonValue::Object(fields), &mut table_for_id)
        .map_err(|detail| {
            (
                format!(
                    "Schema validation failed.\nDocument with ID \"{}\" in table \"{table}\" does not match the schema: {detail}",
                    doc.id
                ),
                Some(table.to_string()),
            )
        })
}

/// With `schemaValidation`, every existing document must match its table's
/// `documentType`. All tables are read at one snapshot, which is returned.
fn validate_documents(
    db: &Database,
    validators: &DocumentValidators,
) -> Result<Timestamp, JobError> {
    let snapshot = db.begin().begin_ts();
    let catalog = db.catalog();
    let tables: Vec<String> = validators.tables().map(str::to_string).collect();
    for table in &tables {
        let table = table.as_str();
        if catalog.table_by_name(table).is_none() {
            continue;
        }
        let storage_error = |e: storage::StorageError| (e.to_string(), Some(table.to_string()));
        let mut tx = db.begin_at(snapshot).map_err(storage_error)?;
        let ix = match tx.index(table, storage::index::BY_ID) {
            Ok(Some(ix)) => ix,
            Ok(None) => continue,
            Err(e) => return Err(storage_error(e)),
        };
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = tx
                .scan(&ix, &KeyRange::all(), Order::Asc, after.as_deref(), 1000)
                .map_err(storage_error)?;
            for doc in &page.documents {
                check_document(validators, &catalog, table, doc)?;
            }
            match page.next {
                Some(k) => {
                    after = Some(k);
                    // A fresh transaction per page: validation reads whole tables.
                    tx = db.begin_at(snapshot).map_err(storage_error)?;
                }
                None => break,
            }
        }
    }
    Ok(snapshot)
}

#[cfg(test)]
mod tests {
    use super::*;
    use storage::{DatabaseOptions, Object, Value};

    fn schema() -> JsonValue {
        json!({"schemaValidation": true, "tables": [{
            "tableName": "messages", "indexes": [], "searchIndexes": [], "vectorIndexes": [],
            "documentType": {"type": "object", "value": {
                "author": {"fieldType": {"type": "string"}, "optional": false},
            }},
        }]})
    }

    fn insert(db: &Database, table: &str, author: Value) {
        let mut tx = db.begin();
        let mut fields = Object::new();
        fields.insert("author".into(), author);
        tx.insert(table, fields).expect("insert");
        tx.commit().expect("commit");
    }

    fn wait_complete(job: &SchemaJob) {
        for _ in 0..1000 {
            if let SchemaState::Complete = *job.state.lock() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        panic!("schema job did not complete: {:?}", job.state.lock());
    }

    #[test]
    fn a_write_committed_after_the_snapshot_that_breaks_the_schema_fails_the_job() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Database::open(dir.path(), DatabaseOptions::default()).expect("open");
        insert(&db, "messages", Value::String("ann".into()));
        let job = SchemaJob::start(db.clone(), Some(schema()), vec![]);
        wait_complete(&job);

        // Matching writes and writes to tables the schema does not cover pass.
        insert(&db, "messages", Value::String("bob".into()));
        insert(&db, "other", Value::Int64(1));
        assert_eq!(job.catch_up(&db), Ok(true));
        assert_eq!(*job.state.lock(), SchemaState::Complete);

        insert(&db, "messages", Value::Int64(7));
        let (error, table) = job.catch_up(&db).expect_err("a mismatch is found");
        assert!(error.contains("does not match the schema"), "{error}");
        assert_eq!(table.as_deref(), Some("messages"));
        assert!(matches!(*job.state.lock(), SchemaState::Failed { .. }));
        // It stays failed.
        assert!(job.catch_up(&db).is_err());
    }

    #[test]
    fn a_document_breaking_the_schema_before_the_push_fails_validation() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Database::open(dir.path(), DatabaseOptions::default()).expect("open");
        insert(&db, "messages", Value::Float64(1.5));
        let job = SchemaJob::start(db.clone(), Some(schema()), vec![]);
        for _ in 0..1000 {
            if !matches!(*job.state.lock(), SchemaState::InProgress { .. }) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        match &*job.state.lock() {
            SchemaState::Failed { error, table } => {
                assert!(error.contains("does not match the schema"), "{error}");
                assert_eq!(table.as_deref(), Some("messages"));
            }
            other => panic!("expected a failure, got {other:?}"),
        };
    }
}
