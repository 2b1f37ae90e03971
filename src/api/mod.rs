//! The functions HTTP API (convex-protocol.md §1): request parsing and
//! validation, callers, formats, and the seam to the function executor.

pub mod auth;
pub mod call;
pub mod client_version;
pub mod context;
pub mod executor;
pub mod format;
pub mod function_path;
pub mod handlers;
pub mod http_action;
pub mod requests;
pub mod response;
pub mod timestamp;

use axum::routing::{any, get, post};
use axum::Router;

use crate::state::AppState;

/// The `/api/…` function routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/query",
            get(handlers::get_query).post(handlers::post_query),
        )
        .route("/api/mutation", post(handlers::post_mutation))
        .route("/api/action", post(handlers::post_action))
        .route("/api/function", post(handlers::post_function))
        .route("/api/run/{*function}", post(handlers::post_run))
        .route("/api/query_ts", post(handlers::post_query_ts))
        .route("/api/query_at_ts", post(handlers::post_query_at_ts))
        .route("/api/query_batch", post(handlers::post_query_batch))
        .route("/http", any(http_action::serve))
        .route("/http/{*rest}", any(http_action::serve))
}
