//! Streaming export (convex-protocol.md §5.2): the JSON schemas of the
//! tables, consistent snapshot pages and the change feed that the Airbyte
//! and Fivetran source connectors pull, on top of storage's commit log.

pub mod args;
pub mod cursor;
pub mod handlers;
pub mod json_schema;
pub mod rows;
pub mod selection;
pub mod shape;
pub mod table_shapes;

use axum::routing::get;
use axum::Router;

use crate::state::AppState;

/// The export routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/json_schemas", get(handlers::json_schemas))
        .route(
            "/api/list_snapshot",
            get(handlers::list_snapshot).post(handlers::list_snapshot),
        )
        .route(
            "/api/document_deltas",
            get(handlers::document_deltas).post(handlers::document_deltas),
        )
        .route(
            "/api/test_streaming_export_connection",
            get(handlers::test_streaming_export_connection),
        )
        .route(
            "/api/get_table_column_names",
            get(handlers::get_table_column_names),
        )
}
