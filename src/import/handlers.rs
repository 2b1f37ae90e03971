//! The streaming import routes (convex-protocol.md §5.4) as the Airbyte and
//! Fivetran destinations drive them. Every answer is JSON (`{code, message}`
//! on failure): the destinations parse error bodies. Writes run on the
//! blocking pool.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;
use storage::Database;

use super::airbyte::{self, ImportRequest};
use super::clear::clear_table;
use super::names::coerce_table_name;
use super::primary_key::index_fields;
use super::{fivetran, storage_error};
use crate::api::auth::require_admin_key;
use crate::error::ApiError;
use crate::http::blocking::blocking;
use crate::http::body::{check_json_headers, parse_json, read_body};
use crate::state::AppState;

/// Largest `import_airbyte_records` / `apply_fivetran_operations` body
/// (Convex's `AIRBYTE_STREAMING_IMPORT_REQUEST_SIZE_LIMIT`, 20 MiB).
pub const IMPORT_BODY_LIMIT: usize = 10 * (2 << 20);

/// An import request whose admin key was checked; its JSON body (also on
/// GET) is read by the handler, with the route's size limit.
pub struct AdminRequest {
    headers: HeaderMap,
    body: Body,
}

impl FromRequest<AppState> for AdminRequest {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        require_admin_key(&parts.headers, &parts.uri, &state.admin_key)?;
        Ok(Self {
            headers: parts.headers,
            body,
        })
    }
}

impl AdminRequest {
    async fn json<T: DeserializeOwned>(self, limit: usize) -> Result<T, ApiError> {
        check_json_headers(&self.headers)?;
        let bytes = read_body(&self.headers, self.body, limit).await?;
        parse_json(&bytes)
    }

    /// Reads the body as `T`, runs `write` with it on the blocking pool and
    /// answers 200 with an empty body.
    async fn write<T: DeserializeOwned + Send + 'static>(
        self,
        state: &AppState,
        limit: usize,
        write: impl FnOnce(&Database, T) -> Result<(), ApiError> + Send + 'static,
    ) -> Result<Response, ApiError> {
        let request: T = self.json(limit).await?;
        let db = state.deployment.db.clone();
        blocking(move || write(&db, request)).await?;
        Ok(StatusCode::OK.into_response())
    }
}

/// `POST /api/streaming_import/import_airbyte_records`
pub async fn import_airbyte_records(
    State(state): State<AppState>,
    request: AdminRequest,
) -> Result<Response, ApiError> {
    request
        .write(&state, IMPORT_BODY_LIMIT, |db, request: ImportRequest| {
            airbyte::import(db, request).map(|_| ())
        })
        .await
}

#[derive(Deserialize)]
struct AddIndexesRequest {
    indexes: BTreeMap<String, Vec<Vec<String>>>,
}

/// `PUT /api/streaming_import/add_primary_key_indexes`
pub async fn add_primary_key_indexes(
    State(state): State<AppState>,
    request: AdminRequest,
) -> Result<Response, ApiError> {
    let builds = state.deployment.primary_key_builds.clone();
    let limit = state.config.request_body_limit;
    request
        .write(&state, limit, move |db, request: AddIndexesRequest| {
            for (table, paths) in &request.indexes {
                builds.start(db, &coerce_table_name(table)?, index_fields(table, paths)?)?;
            }
            Ok(())
        })
        .await
}

#[derive(Deserialize)]
struct TablesRequest {
    tables: Vec<String>,
}

/// `GET /api/streaming_import/primary_key_indexes_ready` (with a JSON body)
pub async fn primary_key_indexes_ready(
    State(state): State<AppState>,
    request: AdminRequest,
) -> Result<Json<serde_json::Value>, ApiError> {
    let limit = state.config.request_body_limit;
    let request: TablesRequest = request.json(limit).await?;
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
    request: AdminRequest,
) -> Result<Response, ApiError> {
    let limit = state.config.request_body_limit;
    request
        .write(&state, limit, |db, request: ClearRequest| {
            for table in &request.table_names {
                clear_table(db, &coerce_table_name(table)?).map_err(storage_error)?;
            }
            Ok(())
        })
        .await
}

/// `POST /api/streaming_import/replace_tables`: overwrite syncs are not
/// supported (as on Convex), so this always refuses.
pub async fn replace_tables(_request: AdminRequest) -> Result<Response, ApiError> {
    Err(ApiError::bad_request(
        "OverwriteNotSupported",
        "Overwrite sync mode is not supported. Please use a different sync mode.",
    ))
}

/// `GET /api/streaming_import/get_schema`: the active pushed schema, or null.
pub async fn get_schema(
    State(state): State<AppState>,
    _request: AdminRequest,
) -> Result<Json<serde_json::Value>, ApiError> {
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
    request: AdminRequest,
) -> Result<Response, ApiError> {
    let limit = state.config.request_body_limit;
    request.write(&state, limit, fivetran::create_table).await
}

/// `POST /api/streaming_import/fivetran_truncate_table`
pub async fn fivetran_truncate_table(
    State(state): State<AppState>,
    request: AdminRequest,
) -> Result<Response, ApiError> {
    let limit = state.config.request_body_limit;
    request.write(&state, limit, fivetran::truncate).await
}

/// `POST /api/streaming_import/apply_fivetran_operations`
pub async fn apply_fivetran_operations(
    State(state): State<AppState>,
    request: AdminRequest,
) -> Result<Response, ApiError> {
    request
        .write(&state, IMPORT_BODY_LIMIT, fivetran::apply)
        .await
}
