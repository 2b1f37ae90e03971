//! Streaming import (convex-protocol.md §5.4): the routes under
//! `/api/streaming_import/` that the Airbyte destination writes through —
//! record batches, primary-key indexes for deduplicated streams, clearing
//! tables — and the Fivetran destination's routes.

pub mod airbyte;
pub mod clear;
pub mod fivetran;
pub mod handlers;
pub mod names;
pub mod primary_key;

use axum::routing::{get, post, put};
use axum::Router;
use storage::StorageError;

use crate::error::ApiError;

use crate::state::AppState;

/// The import routes.
pub fn routes() -> Router<AppState> {
    let at = |route: &str| format!("/api/streaming_import/{route}");
    Router::new()
        .route(
            &at("import_airbyte_records"),
            post(handlers::import_airbyte_records),
        )
        .route(
            &at("add_primary_key_indexes"),
            put(handlers::add_primary_key_indexes),
        )
        .route(
            &at("primary_key_indexes_ready"),
            get(handlers::primary_key_indexes_ready),
        )
        .route(&at("clear_tables"), put(handlers::clear_tables))
        .route(&at("replace_tables"), post(handlers::replace_tables))
        .route(&at("get_schema"), get(handlers::get_schema))
        .route(
            &at("fivetran_create_table"),
            post(handlers::fivetran_create_table),
        )
        .route(
            &at("fivetran_truncate_table"),
            post(handlers::fivetran_truncate_table),
        )
        .route(
            &at("apply_fivetran_operations"),
            post(handlers::apply_fivetran_operations),
        )
}

/// A storage failure of an import as an HTTP error: a conflict that outlived
/// its retries is 409, bad input 400, anything else internal.
pub fn storage_error(e: StorageError) -> ApiError {
    if e.is_retryable() {
        ApiError::conflict("ImportConflict", e.to_string())
    } else if e.is_user_error() {
        ApiError::bad_request("InvalidImport", e.to_string())
    } else {
        ApiError::internal(e)
    }
}
