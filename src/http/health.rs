//! Health and identity routes: `GET /`, `/version`, `/instance_name`,
//! `/instance_version` (plain text) and `POST /echo` (returns the body).

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::IntoResponse;

use crate::http::body::LimitedBody;
use crate::state::AppState;

/// The server version, e.g. `0.1.0`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `GET /`
pub async fn root() -> &'static str {
    "This Basalt deployment is running.\n"
}

/// `GET /version`: plain-text version (clients only need a 200).
pub async fn version() -> &'static str {
    VERSION
}

/// `GET /instance_name`
pub async fn instance_name(State(state): State<AppState>) -> String {
    state.config.instance_name.clone()
}

/// `GET /instance_version`
pub async fn instance_version() -> &'static str {
    VERSION
}

/// `POST /echo`: the request body back, with its content type.
pub async fn echo(headers: HeaderMap, LimitedBody(body): LimitedBody) -> impl IntoResponse {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static("application/octet-stream"));
    ([(header::CONTENT_TYPE, content_type)], body)
}
