//! Reading deploy request bodies: brotli-compressed (`Content-Encoding: br`)
//! or plain JSON, with the admin key checked from the body as Convex does.

use std::io::Read;

use axum::body::Bytes;
use axum::http::HeaderMap;
use serde_json::Value as JsonValue;

use crate::error::ApiError;
use crate::state::AppState;

/// Largest decompressed push body (Convex: 200 MB).
pub const MAX_PUSH_BYTES: u64 = 200 << 20;

/// Decodes the body (decompressing brotli) into JSON.
pub fn decode(headers: &HeaderMap, body: &Bytes) -> Result<JsonValue, ApiError> {
    let encoding = headers
        .get(axum::http::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("identity")
        .trim()
        .to_ascii_lowercase();
    let bytes: Vec<u8> = match encoding.as_str() {
        "br" => {
            let mut out = Vec::new();
            brotli::Decompressor::new(body.as_ref(), 64 << 10)
                .take(MAX_PUSH_BYTES + 1)
                .read_to_end(&mut out)
                .map_err(|e| {
                    ApiError::bad_request(
                        "BadCompression",
                        format!("Cannot decompress the brotli request body: {e}"),
                    )
                })?;
            if out.len() as u64 > MAX_PUSH_BYTES {
                return Err(ApiError::payload_too_large(format!(
                    "The push is larger than {MAX_PUSH_BYTES} bytes"
                )));
            }
            out
        }
        "identity" | "" => body.to_vec(),
        other => {
            return Err(ApiError::bad_request(
                "BadCompression",
                format!("Unsupported Content-Encoding {other:?}: send br or an uncompressed body"),
            ))
        }
    };
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::bad_request(
            "BadJsonBody",
            format!("The request body is not valid JSON: {e}"),
        )
    })
}

/// Checks the `adminKey` field of a deploy request body.
pub fn require_admin(state: &AppState, body: &JsonValue) -> Result<(), ApiError> {
    let presented = body
        .get("adminKey")
        .and_then(JsonValue::as_str)
        .unwrap_or("");
    if state.admin_key.matches(presented) {
        Ok(())
    } else {
        Err(crate::api::auth::bad_admin_key(&state.config.instance_name))
    }
}

/// A deploy request body, decoded and admin-checked: every deploy route
/// starts with this.
pub fn admin_request(
    state: &AppState,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<JsonValue, ApiError> {
    let req = decode(headers, body)?;
    require_admin(state, &req)?;
    Ok(req)
}
