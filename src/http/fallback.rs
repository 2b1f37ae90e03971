//! Answers for requests no handler serves, always as `{code, message}` JSON:
//! 404 for unknown routes, 405 for a known route with the wrong method, and
//! 501 for the deploy protocol routes (the `convex` CLI retries a 404 there
//! six times, convex-protocol.md §8 item 7).

use axum::http::{Method, Uri};

use crate::error::ApiError;

/// Routes of `npx convex deploy` / `dev` that this server does not serve yet.
pub const DEPLOY_ROUTES: &[&str] = &[
    "/api/get_config_hashes",
    "/api/deploy2/{*step}",
    "/api/push_config",
    "/api/prepare_schema",
    "/api/get_config",
    "/api/stream_function_logs",
];

/// Any unmatched route.
pub async fn not_found(method: Method, uri: Uri) -> ApiError {
    let path = uri.path();
    if path == "/api" || path.starts_with("/api/") {
        ApiError::not_found(
            "NotFound",
            format!("{method} {path} is not implemented by this server yet"),
        )
    } else {
        ApiError::not_found("NotFound", format!("No route for {method} {path}"))
    }
}

/// A route that exists, called with a method it does not take.
pub async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::method_not_allowed(format!("{} does not accept {method} requests", uri.path()))
}

/// The deploy protocol routes.
pub async fn deploy_not_implemented(method: Method, uri: Uri) -> ApiError {
    ApiError::not_implemented(format!(
        "{method} {} is not implemented by this server yet: pushing code with `npx convex deploy` or `npx convex dev` is not supported by this build",
        uri.path()
    ))
}
