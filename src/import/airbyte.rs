//! `import_airbyte_records`: one batch of Airbyte records written in one
//! transaction (all or nothing). A stream with a primary key is deduplicated:
//! upsert by the `_by_airbyte_primary_key` index, and a non-null
//! `_ab_cdc_deleted_at` deletes (a deletion of a row never imported is a
//! no-op). A stream without one is appended, every record inserted. Names
//! are coerced (see `names`), `_ab_cdc*` fields dropped after that, and JSON
//! numbers stored as float64.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use serde_json::Value as Json;
use storage::index::lookup_field;
use storage::limits::TransactionLimits;
use storage::{Database, IndexBounds, Object, Order, StorageError, Value};

use super::names::{coerce_field_name, coerce_table_name};
use super::primary_key::PRIMARY_KEY_INDEX;
use crate::error::ApiError;

/// Tries of a batch that keeps conflicting with concurrent writes.
const MAX_ATTEMPTS: usize = 4;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportRequest {
    #[serde(default)]
    pub tables: BTreeMap<String, StreamMeta>,
    #[serde(default)]
    pub messages: Vec<Message>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamMeta {
    #[serde(default)]
    pub primary_key: Option<Vec<Vec<String>>>,
    #[serde(default)]
    pub json_schema: Option<Json>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub table_name: String,
    pub data: serde_json::Map<String, Json>,
}

/// What one record asks for.
struct Record {
    table: String,
    fields: Object,
    deleted: bool,
    /// The primary-key values, for a deduplicated stream.
    key: Option<Vec<(String, Option<Value>)>>,
}

/// Converts and writes the batch atomically; returns the number of records.
pub fn import(db: &Database, request: ImportRequest) -> Result<usize, ApiError> {
    let mut records = Vec::with_capacity(request.messages.len());
    let mut tables: HashMap<String, String> = HashMap::new();
    for m in request.messages {
        let table = match tables.get(&m.table_name) {
            Some(t) => t.clone(),
            None => {
                let t = coerce_table_name(&m.table_name)?;
                tables.insert(m.table_name.clone(), t.clone());
                t
            }
        };
        let stream = request.tables.get(&m.table_name).ok_or_else(|| {
            ApiError::bad_request(
                "MissingStream",
                format!("Missing stream for table {:?}", m.table_name),
            )
        })?;
        let primary_key = match &stream.primary_key {
            Some(pk) if pk.is_empty() => {
                return Err(ApiError::bad_request(
                    "EmptyPrimaryKey",
                    "Primary keys cannot be empty",
                ))
            }
            pk => pk.as_ref(),
        };
        records.push(record(table, m.data, primary_key)?);
    }
    if records.is_empty() {
        return Ok(0);
    }
    let n = records.len();
    for table in tables.values() {
        db.ensure_table(table)
            .map_err(|e| ApiError::bad_request("InvalidTableName", e.to_string()))?;
    }
    let mut attempt = 0;
    loop {
        match write_batch(db, &records) {
            Err(e) if e.is_retryable() && attempt < MAX_ATTEMPTS => attempt += 1,
            Err(StorageError::TableNotFound(t)) => return Err(missing_index(&t)),
            Err(e) => return Err(write_error(e)),
            Ok(()) => break,
        }
    }
    Ok(n)
}

/// Writes every record in one transaction.
fn write_batch(db: &Database, records: &[Record]) -> Result<(), StorageError> {
    let mut tx = db.begin();
    // The body limit bounds the batch; Convex's function limits do not apply.
    tx.set_limits(TransactionLimits::unbounded());
    for r in records {
        let existing = match &r.key {
            Some(key) => {
                let index = tx
                    .index(&r.table, PRIMARY_KEY_INDEX)?
                    .ok_or_else(|| StorageError::TableNotFound(r.table.clone()))?;
                let bounds = IndexBounds {
                    eq: key.clone(),
                    ..Default::default()
                };
                let range = bounds.to_key_range(&index)?;
                tx.scan(&index, &range, Order::Asc, None, 1)?
                    .documents
                    .pop()
            }
            None => None,
        };
        match (existing, r.deleted) {
            (Some(doc), true) => {
                tx.delete(&doc.id)?;
            }
            (None, true) if r.key.is_some() => {}
            (Some(doc), false) => {
                tx.replace(&doc.id, r.fields.clone())?;
            }
            (None, _) => {
                tx.insert(&r.table, r.fields.clone())?;
            }
        }
    }
    tx.commit()?;
    Ok(())
}

fn record(
    table: String,
    data: serde_json::Map<String, Json>,
    primary_key: Option<&Vec<Vec<String>>>,
) -> Result<Record, ApiError> {
    let mut fields = Object::new();
    for (k, v) in &data {
        let name = coerce_field_name(k, |n| data.contains_key(n))?;
        fields.insert(name, value(v)?);
    }
    let deleted = fields
        .get("source_ab_cdc_deleted_at")
        .is_some_and(|v| !matches!(v, Value::Null));
    fields.retain(|k, _| !k.starts_with("source_ab_cdc"));
    let key = match primary_key {
        None => None,
        Some(paths) => Some(
            paths
                .iter()
                .map(|path| {
                    let value = lookup_field(&fields, path).cloned().ok_or_else(|| {
                        ApiError::bad_request(
                            "MissingPrimaryKeyValue",
                            format!("Missing value for primary key field: {}", path.join(".")),
                        )
                    })?;
                    Ok((path.join("."), Some(value)))
                })
                .collect::<Result<Vec<_>, ApiError>>()?,
        ),
    };
    Ok(Record {
        table,
        fields,
        deleted,
        key,
    })
}

/// JSON to a Convex value: numbers are float64, object keys coerced.
fn value(j: &Json) -> Result<Value, ApiError> {
    Ok(match j {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Boolean(*b),
        Json::Number(n) => Value::Float64(n.as_f64().unwrap_or(f64::NAN)),
        Json::String(s) => Value::String(s.clone()),
        Json::Array(a) => Value::Array(a.iter().map(value).collect::<Result<_, _>>()?),
        Json::Object(o) => {
            let mut out = Object::new();
            for (k, v) in o {
                out.insert(coerce_field_name(k, |n| o.contains_key(n))?, value(v)?);
            }
            Value::Object(out)
        }
    })
}

fn missing_index(table: &str) -> ApiError {
    ApiError::bad_request(
        "PrimaryKeyIndexNotReady",
        format!(
            "Table {table:?} is deduplicated by primary key but has no ready primary key index; call add_primary_key_indexes and wait for primary_key_indexes_ready"
        ),
    )
}

fn write_error(e: StorageError) -> ApiError {
    if let StorageError::IndexNotFound(t) | StorageError::IndexNotReady(t) = &e {
        return missing_index(t.split('.').next().unwrap_or(t));
    }
    super::storage_error(e)
}
