//! The Fivetran destination's writes (convex-protocol.md §5.4): tables with
//! hidden indexes (`_fivetran_by_primary_key`, `_fivetran_by_synced`),
//! operations located through the primary-key index, and truncation before a
//! sync time. Fivetran's metadata columns live in a `fivetran` object on each
//! document (`fivetran.synced` in ms, `fivetran.deleted`).

use serde::Deserialize;
use serde_json::Value as Json;
use storage::index::{lookup_field, parse_field_path, IndexKind};
use storage::limits::TransactionLimits;
use storage::{Database, IndexBounds, KeyRange, Object, Order, StorageError, Value};

use super::storage_error;
use crate::error::ApiError;

pub const PRIMARY_KEY_INDEX: &str = "_fivetran_by_primary_key";
const METADATA: &str = "fivetran";
const BATCH: usize = 1000;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateTable {
    pub table_definition: TableDefinition,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TableDefinition {
    pub table_name: String,
    #[serde(default)]
    pub indexes: Vec<IndexDefinition>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexDefinition {
    pub index_descriptor: String,
    pub fields: Vec<String>,
}

/// Creates the table and its hidden indexes, built before this returns.
pub fn create_table(db: &Database, request: CreateTable) -> Result<(), ApiError> {
    let def = request.table_definition;
    if !def
        .indexes
        .iter()
        .any(|i| i.index_descriptor == PRIMARY_KEY_INDEX)
    {
        return Err(ApiError::bad_request(
            "MissingIndex",
            format!("Missing index: {}.{PRIMARY_KEY_INDEX}", def.table_name),
        ));
    }
    db.ensure_table(&def.table_name)
        .map_err(|e| ApiError::bad_request("InvalidTableName", e.to_string()))?;
    for index in def.indexes {
        // `_creationTime` is implicit at the end of every index.
        let fields: Vec<String> = index
            .fields
            .into_iter()
            .filter(|f| f != "_creationTime")
            .collect();
        db.add_system_index(
            &def.table_name,
            &index.index_descriptor,
            &fields,
            &mut |_| {},
        )
        .map_err(|e| ApiError::bad_request("InvalidIndex", e.to_string()))?;
    }
    Ok(())
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Upsert,
    Update,
    HardDelete,
}

#[derive(Deserialize)]
pub struct RowOperation {
    pub table: String,
    pub operation: Operation,
    pub row: Json,
}

/// Applies the operations in one transaction.
pub fn apply(db: &Database, ops: Vec<RowOperation>) -> Result<(), ApiError> {
    let mut rows = Vec::with_capacity(ops.len());
    for op in ops {
        let Value::Object(fields) = Value::from_encoded_json(&op.row)
            .map_err(|e| ApiError::bad_request("InvalidRow", e.to_string()))?
        else {
            return Err(ApiError::bad_request(
                "InvalidRow",
                "A row must be an object",
            ));
        };
        rows.push((op.table, op.operation, fields));
    }
    let mut tx = db.begin();
    tx.set_limits(TransactionLimits::unbounded());
    for (table, operation, fields) in rows {
        let index = match tx.index(&table, PRIMARY_KEY_INDEX) {
            Ok(Some(ix)) => ix,
            Ok(None) | Err(StorageError::IndexNotFound(_)) => {
                return Err(ApiError::bad_request(
                    "MissingFivetranPrimaryKeyIndex",
                    format!("Table {table:?} has no {PRIMARY_KEY_INDEX} index; create it with fivetran_create_table"),
                ))
            }
            Err(e) => return Err(storage_error(e)),
        };
        let IndexKind::User { fields: key_fields } = &index.kind else {
            return Err(ApiError::internal("primary key index is not a field index"));
        };
        let mut eq = Vec::with_capacity(key_fields.len());
        for f in key_fields {
            let value = if f == "fivetran.deleted" {
                Value::Boolean(false)
            } else {
                lookup_field(&fields, &parse_field_path(f)).cloned().ok_or_else(|| {
                    ApiError::bad_request(
                        "MissingValueForFivetranPrimaryKeyIndex",
                        format!("The row for table {table:?} has no value for primary key field {f}"),
                    )
                })?
            };
            eq.push((f.clone(), Some(value)));
        }
        let range = IndexBounds {
            eq,
            ..Default::default()
        }
        .to_key_range(&index)
        .map_err(storage_error)?;
        let existing = tx
            .scan(&index, &range, Order::Asc, None, 1)
            .map_err(storage_error)?
            .documents
            .pop();
        match (operation, existing) {
            (Operation::Upsert, Some(doc)) => {
                tx.replace(&doc.id, fields).map_err(storage_error)?;
            }
            (Operation::Upsert, None) => {
                tx.insert(&table, fields).map_err(storage_error)?;
            }
            (Operation::Update, Some(doc)) => {
                let patch = merge_metadata(&doc.fields, fields);
                tx.patch(&doc.id, patch).map_err(storage_error)?;
            }
            (Operation::Update, None) => {
                return Err(ApiError::not_found(
                    "FivetranMissingUpdatedRow",
                    format!("An Update operation on table {table:?} matched no row"),
                ))
            }
            (Operation::HardDelete, Some(doc)) => {
                tx.delete(&doc.id).map_err(storage_error)?;
            }
            (Operation::HardDelete, None) => {}
        }
    }
    tx.commit().map_err(storage_error)?;
    Ok(())
}

/// An update's fields as a patch, with the `fivetran` object merged field
/// by field into the stored one.
fn merge_metadata(current: &Object, mut update: Object) -> Vec<(String, Option<Value>)> {
    if let (Some(Value::Object(old)), Some(Value::Object(new))) =
        (current.get(METADATA), update.get_mut(METADATA))
    {
        for (k, v) in old {
            new.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    update.into_iter().map(|(k, v)| (k, Some(v))).collect()
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
pub enum DeleteType {
    SoftDelete,
    HardDelete,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Truncate {
    pub table_name: String,
    pub delete_before: Option<String>,
    pub delete_type: DeleteType,
}

/// Deletes (or marks deleted) the rows synced before `deleteBefore`, in
/// bounded transactions.
pub fn truncate(db: &Database, request: Truncate) -> Result<(), ApiError> {
    let before_ms = match &request.delete_before {
        None => None,
        Some(text) => Some(rfc3339_ms(text).ok_or_else(|| {
            ApiError::bad_request(
                "InvalidDeleteBefore",
                format!("deleteBefore {text:?} is not an RFC 3339 time"),
            )
        })?),
    };
    if request.delete_type == DeleteType::HardDelete && before_ms.is_none() {
        super::clear::clear_table(db, &request.table_name).map_err(storage_error)?;
        return Ok(());
    }
    let soft = request.delete_type == DeleteType::SoftDelete;
    let mut after: Option<Vec<u8>> = None;
    loop {
        let mut tx = db.begin();
        let Some(by_id) = tx
            .index(&request.table_name, storage::index::BY_ID)
            .map_err(storage_error)?
        else {
            return Ok(()); // no such table
        };
        let page = tx
            .scan(
                &by_id,
                &KeyRange::all(),
                Order::Asc,
                after.as_deref(),
                BATCH,
            )
            .map_err(storage_error)?;
        for doc in &page.documents {
            let meta = match doc.fields.get(METADATA) {
                Some(Value::Object(m)) => Some(m),
                _ => None,
            };
            let synced = meta.and_then(|m| match m.get("synced") {
                Some(Value::Float64(ms)) => Some(*ms),
                _ => None,
            });
            let deleted =
                meta.is_some_and(|m| matches!(m.get("deleted"), Some(Value::Boolean(true))));
            let old_enough = match (before_ms, synced) {
                (None, _) => true,
                (Some(before), Some(s)) => s < before,
                (Some(_), None) => false,
            };
            if !old_enough || (soft && deleted) {
                continue;
            }
            if soft {
                let mut meta = meta.cloned().unwrap_or_default();
                meta.insert("deleted".into(), Value::Boolean(true));
                tx.patch(
                    &doc.id,
                    vec![(METADATA.to_string(), Some(Value::Object(meta)))],
                )
                .map_err(storage_error)?;
            } else {
                tx.delete(&doc.id).map_err(storage_error)?;
            }
        }
        let next = page.next.clone();
        match tx.commit() {
            Ok(_) => {}
            Err(e) if e.is_retryable() => continue, // the same page again
            Err(e) => return Err(storage_error(e)),
        }
        match next {
            Some(n) => after = Some(n),
            None => return Ok(()),
        }
    }
}

/// Milliseconds since the epoch of an RFC 3339 time such as
/// `2024-01-09T04:10:19Z` or `2024-01-09T04:10:19.5+01:00`.
fn rfc3339_ms(text: &str) -> Option<f64> {
    let t = humantime::parse_rfc3339_weak(text.trim_end_matches('Z')).ok();
    let (base, offset_secs) = match t {
        Some(t) => (t, 0i64),
        None => {
            // An explicit offset: split it off and apply it.
            let split = text.rfind(['+', '-']).filter(|&i| i > 10)?;
            let (time, offset) = text.split_at(split);
            let sign = if offset.starts_with('-') { -1 } else { 1 };
            let (h, m) = offset[1..].split_once(':')?;
            let secs = sign * (h.parse::<i64>().ok()? * 3600 + m.parse::<i64>().ok()? * 60);
            (humantime::parse_rfc3339_weak(time).ok()?, secs)
        }
    };
    let ms = base
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs_f64()
        * 1000.0;
    Some(ms - (offset_secs * 1000) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        assert_eq!(rfc3339_ms("1970-01-01T00:00:01Z"), Some(1000.0));
        assert_eq!(rfc3339_ms("1970-01-01T01:00:01+01:00"), Some(1000.0));
        assert_eq!(rfc3339_ms("nope"), None);
    }
}
