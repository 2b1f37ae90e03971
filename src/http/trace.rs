//! Per-request tracing: assigns the request id and wraps each request in a
//! `request` span (method, path, request id, and the function path once a
//! handler knows it), logging status and duration when the response is ready
//! (successful requests at debug level).

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::http::request_id::RequestId;

/// Name of the span field handlers fill in with the function path
/// (`tracing::Span::current().record(FUNCTION_FIELD, …)`).
pub const FUNCTION_FIELD: &str = "function";

pub async fn trace_requests(mut request: Request, next: Next) -> Response {
    let request_id = RequestId::from_headers(request.headers());
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %request_id,
        function = tracing::field::Empty,
    );
    request.extensions_mut().insert(request_id);
    let started = Instant::now();
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    let duration = started.elapsed();
    // Server errors are warnings and client errors are worth a line; a
    // line per successful request (tens of thousands a second) is opt-in
    // with `RUST_LOG=basalt=debug`: `npx convex logs` already shows every
    // function execution.
    span.in_scope(|| {
        if response.status().is_server_error() {
            tracing::warn!(status, ?duration, "request finished");
        } else if response.status().is_client_error() {
            tracing::info!(status, ?duration, "request finished");
        } else {
            tracing::debug!(status, ?duration, "request finished");
        }
    });
    response
}

/// Records the function path on the current request span.
pub fn record_function(path: &str) {
    tracing::Span::current().record(FUNCTION_FIELD, path);
}
