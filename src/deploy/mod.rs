//! The deploy protocol the `convex` CLI speaks (`npx convex deploy`,
//! `npx convex dev --once`; convex-protocol.md §4): config hashes, start /
//! wait / finish push, environment variables, and the function log tail.

mod auth_config;
mod body;
mod function_logs;
mod handlers;
mod response;
mod rollback;
mod schema;

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use parking_lot::Mutex;
use udf_runtime::ModuleSet;

use crate::deployment::PushRecord;
use crate::state::AppState;

pub use schema::{IndexDiff, SchemaJob, SchemaState};

/// A push between `start_push` and `finish_push`.
pub struct PendingPush {
    pub record: PushRecord,
    pub modules: Arc<ModuleSet>,
    pub diff: IndexDiff,
    pub job: Arc<SchemaJob>,
}

/// Pushes started but not finished, by push id.
#[derive(Default)]
pub struct PushSessions {
    pub pending: Mutex<HashMap<u64, Arc<PendingPush>>>,
    /// Held while a push or a rollback becomes the serving one, so two
    /// installs never interleave their index changes.
    pub install: tokio::sync::Mutex<()>,
    next: std::sync::atomic::AtomicU64,
}

impl PushSessions {
    /// A push id no other push (stored or pending) has: at least `stored_next`.
    pub fn allocate_id(&self, stored_next: u64) -> u64 {
        use std::sync::atomic::Ordering;
        self.next.fetch_max(stored_next, Ordering::AcqRel);
        self.next.fetch_add(1, Ordering::AcqRel)
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/get_config_hashes", post(handlers::get_config_hashes))
        .route("/api/deploy2/start_push", post(handlers::start_push))
        .route("/api/deploy2/evaluate_push", post(handlers::evaluate_push))
        .route(
            "/api/deploy2/evaluate_schema",
            post(handlers::evaluate_schema),
        )
        .route(
            "/api/deploy2/wait_for_schema",
            post(handlers::wait_for_schema),
        )
        .route("/api/deploy2/finish_push", post(handlers::finish_push))
        .route(
            "/api/deploy2/report_push_completed",
            post(handlers::report_push_completed),
        )
        .route("/api/v1/get_canonical_urls", get(handlers::canonical_urls))
        .route(
            "/api/stream_function_logs",
            get(function_logs::stream_function_logs),
        )
        .route("/api/basalt/push_history", get(rollback::push_history))
        .route("/api/basalt/rollback", post(rollback::rollback))
        .route(
            "/api/update_environment_variables",
            post(handlers::update_environment_variables),
        )
        .layer(DefaultBodyLimit::max(body::MAX_PUSH_BYTES as usize))
}
