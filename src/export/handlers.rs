//! The streaming export routes (convex-protocol.md §5.2–5.3): schemas,
//! snapshot pages and the change feed, as the Airbyte and Fivetran sources
//! call them. Storage walks run on the blocking pool; pages are bounded, so
//! memory stays flat however large the table.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use storage::value::json_write::write_json_str;
use storage::{JsonFormat, StorageError, Timestamp};

use super::args::ExportArgs;
use super::cursor;
use super::json_schema::{shape_of_document_validator, table_schema};
use super::rows::{page_with_values, write_bool_field, write_u64_field, Row};
use super::selection::Selection;
use super::shape::Shape;
use crate::error::ApiError;
use crate::http::blocking::blocking;
use crate::state::AppState;

/// Rows per `list_snapshot` page (Convex's `SNAPSHOT_LIST_LIMIT`).
pub const SNAPSHOT_PAGE_ROWS: usize = 1024;
/// Rows per `document_deltas` page, extended to finish a timestamp
/// (Convex's `DOCUMENT_DELTAS_LIMIT`).
pub const DELTAS_PAGE_ROWS: usize = 128;
/// A snapshot older than this is refused (`LIST_SNAPSHOT_MAX_AGE_SECS`).
const SNAPSHOT_MAX_AGE: Duration = Duration::from_secs(5 * 24 * 3600);

fn json_response(body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn storage_error(e: StorageError) -> ApiError {
    ApiError::internal(e)
}

/// `GET|POST /api/list_snapshot`
pub async fn list_snapshot(
    State(state): State<AppState>,
    args: ExportArgs,
) -> Result<Response, ApiError> {
    let format = args.format()?;
    let selection = Selection::from_args(args.fields())?;
    let snapshot = args.int("snapshot", "InvalidSnapshot")?;
    let cursor = args
        .string("cursor", "InvalidListSnapshotCursor")?
        .map(cursor::decode)
        .transpose()?;
    let db = state.deployment.db.clone();
    let body = blocking(move || {
        let now = db.bump_repeatable_ts().map_err(storage_error)?;
        let snapshot = match snapshot {
            None => now,
            Some(ts) => check_snapshot(ts, now)?,
        };
        let page = db
            .snapshot_page(
                snapshot,
                &|t| selection.includes_table(&t.name),
                cursor,
                SNAPSHOT_PAGE_ROWS,
            )
            .map_err(|e| match e {
                StorageError::OutOfRetention { .. } => snapshot_too_old(snapshot),
                e => storage_error(e),
            })?;
        let rows = page.rows.iter().map(|r| Row {
            table: &r.table.name,
            id: &r.document.id,
            ts: r.ts,
            fields: Some(&r.document.fields),
            deleted: None,
        });
        let mut out = page_with_values(rows, format, &selection);
        write_u64_field("snapshot", snapshot, &mut out);
        out.extend_from_slice(b",\"cursor\":");
        match &page.cursor {
            Some(c) => write_json_str(&cursor::encode(c), &mut out),
            None => out.extend_from_slice(b"null"),
        }
        write_bool_field("hasMore", page.cursor.is_some(), &mut out);
        out.push(b'}');
        Ok(out)
    })
    .await?;
    Ok(json_response(body))
}

/// A client-given snapshot must be readable: not in the future, not older
/// than five days.
fn check_snapshot(ts: i64, now: Timestamp) -> Result<Timestamp, ApiError> {
    let ts = u64::try_from(ts).map_err(|_| snapshot_too_old(0))?;
    if ts > now {
        return Err(ApiError::bad_request(
            "SnapshotTooNew",
            format!("Snapshot {ts} is in the future (the latest snapshot is {now})"),
        ));
    }
    let max_age = SNAPSHOT_MAX_AGE.as_nanos() as u64;
    if now.saturating_sub(ts) > max_age {
        return Err(snapshot_too_old(ts));
    }
    Ok(ts)
}

fn snapshot_too_old(ts: Timestamp) -> ApiError {
    ApiError::bad_request(
        "SnapshotTooOld",
        format!(
            "Snapshot {ts} is too old: a snapshot can be listed for up to {} days; start a new snapshot",
            SNAPSHOT_MAX_AGE.as_secs() / 86400
        ),
    )
}

/// `GET|POST /api/document_deltas`
pub async fn document_deltas(
    State(state): State<AppState>,
    args: ExportArgs,
) -> Result<Response, ApiError> {
    let format = args.format()?;
    let selection = Selection::from_args(args.fields())?;
    let cursor = args
        .int("cursor", "InvalidDocumentDeltasCursor")?
        .ok_or_else(|| {
            ApiError::bad_request(
                "DocumentDeltasCursorRequired",
                "document_deltas requires a `cursor`: the `snapshot` of a finished list_snapshot, or the `cursor` of the previous page",
            )
        })?;
    let cursor = u64::try_from(cursor).map_err(|_| out_of_window(cursor))?;
    let db = state.deployment.db.clone();
    let body = blocking(move || {
        let now = db.bump_repeatable_ts().map_err(storage_error)?;
        let page = match db.deltas_page(
            cursor,
            &|t| selection.includes_table(&t.name),
            DELTAS_PAGE_ROWS,
        ) {
            Ok(page) => page,
            // As on Convex: nothing to read yet, and the cursor comes back
            // at the read bound.
            Err(StorageError::TimestampInFuture { .. }) => storage::DeltaPage {
                rows: Vec::new(),
                cursor: now,
                has_more: false,
            },
            Err(StorageError::OutOfRetention { .. }) => return Err(out_of_window(cursor as i64)),
            Err(e) => return Err(storage_error(e)),
        };
        let rows = page.rows.iter().map(|r| Row {
            table: &r.table.name,
            id: &r.id,
            ts: r.ts,
            fields: r.document.as_ref().map(|d| &d.fields),
            deleted: Some(r.document.is_none()),
        });
        let mut out = page_with_values(rows, format, &selection);
        write_u64_field("cursor", page.cursor, &mut out);
        write_bool_field("hasMore", page.has_more, &mut out);
        out.push(b'}');
        Ok(out)
    })
    .await?;
    Ok(json_response(body))
}

fn out_of_window(cursor: i64) -> ApiError {
    ApiError::bad_request(
        "InvalidWindowToReadDocuments",
        format!(
            "Cursor {cursor} is older than the retention period of readable changes; start over with list_snapshot"
        ),
    )
}

/// The shape of every table, with a pushed schema standing in for tables
/// that hold no documents yet. Sorted by table name.
async fn table_shapes(state: &AppState) -> Result<BTreeMap<String, Shape>, ApiError> {
    let db = state.deployment.db.clone();
    let deployment = state.deployment.clone();
    let snapshot = blocking(move || deployment.shapes.current(&db).map_err(storage_error)).await?;
    let pushed = state
        .deployment
        .active()
        .and_then(|push| push.record.schema.clone());
    let mut out = BTreeMap::new();
    for table in snapshot.catalog.tables() {
        let mut shape = snapshot.shape(table.table_number()).clone();
        if shape == Shape::Never {
            if let Some(validator) = pushed.as_ref().and_then(|s| document_type(s, &table.name)) {
                shape = shape_of_document_validator(&table.name, validator).unwrap_or(Shape::Never);
            }
        }
        out.insert(table.name.clone(), shape);
    }
    Ok(out)
}

/// `documentType` of a table in a pushed schema (§4.5).
fn document_type<'a>(schema: &'a Value, table: &str) -> Option<&'a Value> {
    schema
        .get("tables")?
        .as_array()?
        .iter()
        .find(|t| t.get("tableName").and_then(Value::as_str) == Some(table))?
        .get("documentType")
        .filter(|d| !d.is_null())
}

/// `GET /api/json_schemas?deltaSchema=&format=&byComponent=`
pub async fn json_schemas(
    State(state): State<AppState>,
    args: ExportArgs,
) -> Result<Response, ApiError> {
    let format: JsonFormat = args.format()?;
    let delta = args.flag("deltaSchema")?;
    let by_component = args.flag("byComponent")?;
    let shapes = table_shapes(&state).await?;
    let mut tables = serde_json::Map::new();
    for (name, shape) in &shapes {
        tables.insert(name.clone(), table_schema(name, shape, format, delta));
    }
    let body = if by_component {
        json!({ "": tables })
    } else {
        Value::Object(tables)
    };
    Ok(Json(body).into_response())
}

/// `GET /api/get_table_column_names`
pub async fn get_table_column_names(
    State(state): State<AppState>,
    _args: ExportArgs,
) -> Result<Response, ApiError> {
    let shapes = table_shapes(&state).await?;
    let tables: Vec<Value> = shapes
        .iter()
        .map(|(name, shape)| {
            let mut columns = shape.field_names();
            for system in ["_creationTime", "_id"] {
                if !columns.iter().any(|c| c == system) {
                    columns.push(system.to_string());
                }
            }
            columns.sort();
            json!({"name": name, "columns": columns})
        })
        .collect();
    let body = json!({"byComponent": {"": tables}});
    Ok(Json(body).into_response())
}

/// `GET /api/test_streaming_export_connection`: `null` for a valid key.
pub async fn test_streaming_export_connection(_args: ExportArgs) -> Json<Value> {
    Json(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_window() {
        let now = 10 * 24 * 3600 * 1_000_000_000u64;
        assert_eq!(check_snapshot(now as i64, now).ok(), Some(now));
        let e = check_snapshot(now as i64 + 1, now).expect_err("future");
        assert_eq!(e.code(), "SnapshotTooNew");
        let six_days = 6 * 24 * 3600 * 1_000_000_000i64;
        let e = check_snapshot(now as i64 - six_days, now).expect_err("old");
        assert_eq!(e.code(), "SnapshotTooOld");
        assert_eq!(
            check_snapshot(-1, now).expect_err("neg").code(),
            "SnapshotTooOld"
        );
    }
}
