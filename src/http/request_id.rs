//! Request ids: taken from the `Convex-Request-Id` header when a client sends
//! a sane one, otherwise generated. They appear in the request's log span and
//! in function error messages (`[Request ID: …]`).

use std::fmt;

use axum::http::HeaderMap;
use rand::Rng;

pub const CONVEX_REQUEST_ID_HEADER: &str = "convex-request-id";

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestId(String);

impl RequestId {
    /// 16 random lowercase hex characters, like Convex's.
    pub fn generate() -> Self {
        let value: u64 = rand::thread_rng().gen();
        Self(format!("{value:016x}"))
    }

    /// The client's id if it is 1–64 characters of `[A-Za-z0-9_-]`, else a
    /// fresh one.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        headers
            .get(CONVEX_REQUEST_ID_HEADER)
            .and_then(|value| value.to_str().ok())
            .filter(|id| {
                (1..=64).contains(&id.len())
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
            .map(|id| Self(id.to_string()))
            .unwrap_or_else(Self::generate)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn generated_ids_are_16_hex() {
        let id = RequestId::generate();
        assert_eq!(id.as_str().len(), 16);
        assert!(id.as_str().bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn client_ids_are_used_when_sane() {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONVEX_REQUEST_ID_HEADER,
            HeaderValue::from_static("abc-123"),
        );
        assert_eq!(RequestId::from_headers(&headers).as_str(), "abc-123");
        headers.insert(
            CONVEX_REQUEST_ID_HEADER,
            HeaderValue::from_static("has space"),
        );
        assert_ne!(RequestId::from_headers(&headers).as_str(), "has space");
    }
}
