//! Request bodies and query strings, with every failure as an `ApiError`
//! instead of axum's plain-text rejections: the size limit (413), the content
//! type and encoding (415), and JSON syntax or shape (400 `BadJsonBody`).

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, request::Parts, HeaderMap};
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::state::AppState;

/// After a body passes the limit, up to this many further bytes are read and
/// thrown away so the client sees the 413 instead of a reset connection.
const DRAIN_CAP: u64 = 64 * 1024 * 1024;
/// ... and for at most this long.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

fn too_large(limit: usize) -> ApiError {
    ApiError::payload_too_large(format!(
        "The request body is larger than the limit of {limit} bytes"
    ))
}

/// Reads a whole body of at most `limit` bytes.
pub async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let limit_u64 = limit as u64;
    if declared.is_some_and(|len| len > limit_u64.saturating_add(DRAIN_CAP)) {
        return Err(too_large(limit));
    }
    let capacity = declared.map_or(0, |len| len.min(limit_u64) as usize);
    let mut buffer: Vec<u8> = Vec::with_capacity(capacity);
    let mut body = body;
    let mut total: u64 = 0;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(read_error)?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        total += data.len() as u64;
        if total > limit_u64 {
            drain(body, total, limit_u64).await;
            return Err(too_large(limit));
        }
        buffer.extend_from_slice(&data);
    }
    Ok(Bytes::from(buffer))
}

async fn drain(mut body: Body, mut total: u64, limit: u64) {
    let draining = async {
        while total <= limit.saturating_add(DRAIN_CAP) {
            match body.frame().await {
                Some(Ok(frame)) => {
                    if let Some(data) = frame.data_ref() {
                        total += data.len() as u64;
                    }
                }
                Some(Err(_)) | None => break,
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, draining).await;
}

fn read_error(error: axum::Error) -> ApiError {
    ApiError::bad_request(
        "BadRequestBody",
        format!("Failed to read the request body: {error}"),
    )
}

/// Accepts no `Content-Type` (curl without `-H`), `application/json` and
/// `*/*+json`; refuses other types and any non-identity `Content-Encoding`.
pub fn check_json_headers(headers: &HeaderMap) -> Result<(), ApiError> {
    if let Some(value) = headers.get(header::CONTENT_TYPE) {
        let text = value.to_str().unwrap_or("");
        let essence = text
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if essence != "application/json" && !essence.ends_with("+json") {
            return Err(ApiError::unsupported_media_type(format!(
                "Expected a JSON body (Content-Type: application/json), got Content-Type {text:?}"
            )));
        }
    }
    if let Some(value) = headers.get(header::CONTENT_ENCODING) {
        let text = value.to_str().unwrap_or("");
        if !text.trim().eq_ignore_ascii_case("identity") {
            return Err(ApiError::unsupported_media_type(format!(
                "Content-Encoding {text:?} is not supported on this route; send the body uncompressed"
            )));
        }
    }
    Ok(())
}

/// Parses JSON text into `T`, naming what was wrong.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "BadJsonBody",
            "The request body is empty; expected a JSON object",
        ));
    }
    serde_json::from_slice(bytes).map_err(|error| {
        let what = match error.classify() {
            serde_json::error::Category::Data => "does not have the expected shape",
            _ => "is not valid JSON",
        };
        ApiError::bad_request("BadJsonBody", format!("The request body {what}: {error}"))
    })
}

/// A JSON request body under the configured size limit.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        check_json_headers(&parts.headers)?;
        let bytes = read_body(&parts.headers, body, state.config.request_body_limit).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// A raw request body under the configured size limit.
#[derive(Debug)]
pub struct LimitedBody(pub Bytes);

impl FromRequest<AppState> for LimitedBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        read_body(&parts.headers, body, state.config.request_body_limit)
            .await
            .map(LimitedBody)
    }
}

/// The query string deserialized into `T`; failures are 400 `BadQueryString`.
#[derive(Debug)]
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|query| QueryParams(query.0))
            .map_err(|rejection| {
                ApiError::bad_request(
                    "BadQueryString",
                    format!("Invalid query string: {}", rejection.body_text()),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(name.clone(), HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn content_types() {
        assert!(check_json_headers(&HeaderMap::new()).is_ok());
        for ok in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/vnd.x+json",
        ] {
            assert!(
                check_json_headers(&headers(&[(header::CONTENT_TYPE, ok)])).is_ok(),
                "{ok}"
            );
        }
        let error = check_json_headers(&headers(&[(header::CONTENT_TYPE, "text/plain")]))
            .expect_err("not json");
        assert_eq!(error.status().as_u16(), 415);
        let error = check_json_headers(&headers(&[(header::CONTENT_ENCODING, "br")]))
            .expect_err("compressed");
        assert_eq!(error.status().as_u16(), 415);
    }

    #[test]
    fn json_errors() {
        let error = parse_json::<serde_json::Value>(b"  ").expect_err("empty");
        assert_eq!(error.code(), "BadJsonBody");
        let error = parse_json::<serde_json::Value>(b"{nope").expect_err("syntax");
        assert!(error.message().contains("not valid JSON"));
        let error = parse_json::<Vec<u8>>(b"{}").expect_err("shape");
        assert!(error.message().contains("expected shape"));
    }

    #[tokio::test]
    async fn body_limit() {
        let ok = read_body(&HeaderMap::new(), Body::from("12345"), 5).await;
        assert_eq!(ok.expect("fits").as_ref(), b"12345");
        let error = read_body(&HeaderMap::new(), Body::from("123456"), 5)
            .await
            .expect_err("too large");
        assert_eq!(
            (error.status().as_u16(), error.code()),
            (413, "PayloadTooLarge")
        );
    }
}
