//! The streaming import routes (convex-protocol.md §5.4) as the Airbyte
//! destination drives them. Every answer is JSON (`{code, message}` on
//! failure): the destination parses error bodies. Writes run on the blocking
//! pool.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;
use storage::{Database, KeyRange, Order, StorageError};

use super::airbyte::{self, ImportRequest};
use super::fivetran;
use super::names::coerce_table_name;
use super::primary_key::index_fields;
use crate::api::auth::require_admin_key;
use crate::error::ApiError;
use crate::http::body::{check_json_headers, parse_json, read_body};
use crate::state::AppState;

/// Largest `import_airbyte_records` body (Convex's
/// `AIRBYTE_STREAMING_IMPORT_REQUEST_SIZE_LIMIT`, 20 MiB).
pub const AIRBYTE_BODY_LIMIT: usize = 10 * (2 << 20);
/// Documents deleted per transaction by `clear_tables`.
const CLEAR_BATCH: usize = 1000;

/// Auth, then the JSON body (also on GET).
async fn admin_json<T: DeserializeOwned>(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<T, ApiError> {
    require_admin_key(headers, uri, &state.admin_key)?;
    check_json_headers(headers)?;
    let bytes = read_body(headers, body, limit).await?;
    parse_json(&bytes)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
}

fn empty_ok() -> Response {
    StatusCode::OK.into_response()
}

/// `POST /api/streaming_import/import_airbyte_records`
pub async fn import_airbyte_records(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let request: ImportRequest =
        admin_json(&state, &uri, &headers, body, AIRBYTE_BODY_LIMIT).await?;
    let db = state.deployment.db.clone();
    let n = blocking(move || airbyte::import(&db, request)).await?;
    tracing::debug!(records = n, "imported airbyte records");
    Ok(empty_ok())
}

#[derive(Deserialize)]
struct AddIndexesRequest {
    indexes: BTreeMap<String, Vec<Vec<String>>>,
}

/// `PUT /api/streaming_import/add_primary_key_indexes`
pub async fn add_primary_key_indexes(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let limit = state.config.request_body_limit;
    let request: AddIndexesRequest = admin_json(&state, &uri, &headers, body, limit).await?;
    let mut wanted = Vec::new();
    for (table, paths) in &request.indexes {
        wanted.push((coerce_table_name(table)?, index_fields(table, paths)?));
    }
    let db = state.deployment.db.clone();
    let builds = state.deployment.primary_key_builds.clone();
    blocking(move || {
        for (table, fields) in wanted {
            builds.start(&db, &table, fields)?;
        }
        Ok(())
    })
    .await?;
    Ok(empty_ok())
}

#[derive(Deserialize)]
struct TablesRequest {
    tables: Vec<String>,
}

/// `GET /api/streaming_import/primary_key_indexes_ready` (with a JSON body)
pub async fn primary_key_indexes_ready(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<serde_json::Value>, ApiError> {
    let limit = state.config.request_body_limit;
    let request: TablesRequest = admin_json(&state, &uri, &headers, body, limit).await?;
    let tables = request
        .tables
        .iter()
        .map(|t| coerce_table_name(t))
        .collect::<Result<Vec<_>, _>>()?;
    let ready = state
        .deployment
        .primary_key_builds
        .ready(&state.deployment.db, &tables)?;
    Ok(Json(json!({ "indexesReady": ready })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClearRequest {
    table_names: Vec<String>,
}

/// `PUT /api/streaming_import/clear_tables`
pub async fn clear_tables(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let limit = state.config.request_body_limit;
    let request: ClearRequest = admin_json(&state, &uri, &headers, body, limit).await?;
    let db = state.deployment.db.clone();
    let tables = request
        .table_names
        .iter()
        .map(|t| coerce_table_name(t))
        .collect::<Result<Vec<_>, _>>()?;
    blocking(move || {
        for table in &tables {
            clear_table(&db, table).map_err(ApiError::internal)?;
        }
        Ok(())
    })
    .await?;
    Ok(empty_ok())
}

/// Deletes every document of `table`, `CLEAR_BATCH` per transaction, so a
/// large table never holds one huge transaction (and concurrent writers only
/// ever conflict with one small batch, which is then retried).
pub fn clear_table(db: &Database, table: &str) -> Result<u64, StorageError> {
    let mut deleted = 0;
    loop {
        let mut tx = db.begin();
        let Some(by_id) = tx.index(table, storage::index::BY_ID)? else {
            return Ok(deleted); // no such table: nothing to clear
        };
        let page = tx.scan(&by_id, &KeyRange::all(), Order::Asc, None, CLEAR_BATCH)?;
        if page.documents.is_empty() {
            return Ok(deleted);
        }
        let n = page.documents.len() as u64;
        for doc in &page.documents {
            tx.delete(&doc.id)?;
        }
        match tx.commit() {
            Ok(_) => deleted += n,
            Err(e) if e.is_retryable() => continue,
            Err(e) => return Err(e),
        }
    }
}

/// `POST /api/streaming_import/replace_tables`: overwrite syncs are not
/// supported (as on Convex), so this always refuses.
pub async fn replace_tables(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    require_admin_key(&headers, &uri, &state.admin_key)?;
    Err(ApiError::bad_request(
        "OverwriteNotSupported",
        "Overwrite sync mode is not supported. Please use a different sync mode.",
    ))
}

/// `GET /api/streaming_import/get_schema`: the active pushed schema, or null.
pub async fn get_schema(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    require_admin_key(&headers, &uri, &state.admin_key)?;
    let schema = state
        .deployment
        .active()
        .and_then(|push| push.record.schema.clone())
        .unwrap_or(serde_json::Value::Null);
    Ok(Json(schema))
}

/// `POST /api/streaming_import/fivetran_create_table`
pub async fn fivetran_create_table(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let limit = state.config.request_body_limit;
    let request: fivetran::CreateTable = admin_json(&state, &uri, &headers, body, limit).await?;
    let db = state.deployment.db.clone();
    blocking(move || fivetran::create_table(&db, request)).await?;
    Ok(empty_ok())
}

/// `POST /api/streaming_import/fivetran_truncate_table`
pub async fn fivetran_truncate_table(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let limit = state.config.request_body_limit;
    let request: fivetran::Truncate = admin_json(&state, &uri, &headers, body, limit).await?;
    let db = state.deployment.db.clone();
    blocking(move || fivetran::truncate(&db, request)).await?;
    Ok(empty_ok())
}

/// `POST /api/streaming_import/apply_fivetran_operations`
pub async fn apply_fivetran_operations(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let ops: Vec<fivetran::RowOperation> =
        admin_json(&state, &uri, &headers, body, AIRBYTE_BODY_LIMIT).await?;
    let db = state.deployment.db.clone();
    blocking(move || fivetran::apply(&db, ops)).await?;
    Ok(empty_ok())
}
