//! The HTTP server's router: health routes, the functions API, JSON answers
//! for everything else, and the layers every request passes (request id and
//! tracing span, panic catching, slash normalisation).

pub mod blocking;
pub mod body;
pub mod fallback;
pub mod health;
pub mod normalize_path;
pub mod panic;
pub mod request_id;
pub mod trace;

use axum::extract::{DefaultBodyLimit, Request};
use axum::routing::{any, get, post};
use axum::Router;
use tower::util::MapRequestLayer;
use tower::Layer;
use tower_http::catch_panic::CatchPanicLayer;

use crate::state::AppState;

/// Deploy routes served by `crate::deploy`.
const DEPLOY_IMPLEMENTED: &[&str] = &[
    "/api/get_config_hashes",
    "/api/deploy2/start_push",
    "/api/deploy2/evaluate_push",
    "/api/deploy2/evaluate_schema",
    "/api/deploy2/wait_for_schema",
    "/api/deploy2/finish_push",
    "/api/deploy2/report_push_completed",
    "/api/v1/get_canonical_urls",
    "/api/update_environment_variables",
    "/api/stream_function_logs",
];

/// All routes with their state and layers.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new()
        .route("/", get(health::root))
        .route("/version", get(health::version))
        .route("/instance_name", get(health::instance_name))
        .route("/instance_version", get(health::instance_version))
        .route("/echo", post(health::echo))
        .merge(crate::api::routes())
        .merge(crate::deploy::routes())
        .merge(crate::export::routes())
        .merge(crate::import::routes());
    for route in fallback::DEPLOY_ROUTES {
        if !DEPLOY_IMPLEMENTED.contains(route) {
            router = router.route(route, any(fallback::deploy_not_implemented));
        }
    }
    router
        .fallback(fallback::not_found)
        .method_not_allowed_fallback(fallback::method_not_allowed)
        // Our extractors enforce the limit themselves; this one covers any
        // axum extractor a later route might use.
        .layer(DefaultBodyLimit::max(state.config.request_body_limit))
        .layer(CatchPanicLayer::custom(panic::panic_response))
        .layer(axum::middleware::from_fn(trace::trace_requests))
        .with_state(state)
}

/// The router behind slash normalisation, which must run before routing.
pub fn service(state: AppState) -> tower::util::MapRequest<Router, fn(Request) -> Request> {
    let collapse: fn(Request) -> Request = normalize_path::collapse_slashes;
    MapRequestLayer::new(collapse).layer(router(state))
}
