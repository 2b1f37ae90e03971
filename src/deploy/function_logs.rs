//! `GET /api/stream_function_logs?cursor=<ms>`: the log tail of
//! `npx convex logs` and `npx convex dev`. A long poll: it answers as soon
//! as an execution newer than the cursor is recorded, or after
//! [`POLL_WAIT`] with no entries and the same cursor. Admins only (the CLI
//! stops on a 403).

use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value as JsonValue};

use crate::api::auth::Identity;
use crate::error::ApiError;
use crate::state::AppState;

/// How long a poll waits for a new execution.
pub const POLL_WAIT: Duration = Duration::from_secs(10);

#[derive(Deserialize)]
pub struct LogsQuery {
    cursor: Option<String>,
}

pub async fn stream_function_logs(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    query: Result<Query<LogsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<JsonValue>, ApiError> {
    Identity::from_request(&headers, &uri, &state.admin_key)?
        .require_admin(&state.config.instance_name)?;
    let Query(query) = query.map_err(|e| ApiError::bad_request("InvalidQuery", e.body_text()))?;
    let cursor = match query.cursor.as_deref() {
        None | Some("") => 0,
        Some(text) => parse_cursor(text)?,
    };
    let (entries, new_cursor) = state.deployment.logs.after(cursor, POLL_WAIT).await;
    Ok(Json(json!({"entries": entries, "newCursor": new_cursor})))
}

/// A cursor is a number of milliseconds (the CLI may send it as a float).
fn parse_cursor(text: &str) -> Result<u64, ApiError> {
    match text.parse::<f64>() {
        Ok(ms) if ms.is_finite() && ms >= 0.0 => Ok(ms as u64),
        _ => Err(ApiError::bad_request(
            "InvalidCursor",
            format!("cursor must be a non-negative number of milliseconds, not {text:?}"),
        )),
    }
}
