//! Where verification keys come from: OIDC discovery
//! (`<issuer>/.well-known/openid-configuration` → `jwks_uri`) and JWKS
//! documents fetched over HTTP or read from a `data:` URI. Fetched keys are
//! cached for [`KEY_TTL`]; a token whose `kid` is not among cached keys
//! forces one refetch (providers rotate keys), at most every
//! [`REFETCH_INTERVAL`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use jsonwebtoken::jwk::Jwk;
use parking_lot::Mutex;
use serde::Deserialize;
use serde_json::Value as JsonValue;

use super::AuthError;

/// How long fetched keys and discovery documents are trusted.
pub const KEY_TTL: Duration = Duration::from_secs(10 * 60);
/// The least time between two fetches of the same document.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(5);
/// Bound on a discovery or JWKS fetch.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
const JWKS_MEDIA_TYPES: [&str; 2] = ["application/json", "application/jwk-set+json"];

/// The keys of one JWKS document (keys of unsupported types are skipped).
pub type KeySet = Arc<Vec<Jwk>>;

struct Cached<T> {
    value: T,
    fetched: Instant,
}

/// Fetches and caches discovery documents and JWKS.
pub struct KeySource {
    http: reqwest::Client,
    /// JWKS URL → keys.
    jwks: Mutex<HashMap<String, Cached<KeySet>>>,
    /// Issuer → (`issuer` as the discovery document spells it, `jwks_uri`).
    discovery: Mutex<HashMap<String, Cached<Discovered>>>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Discovered {
    pub issuer: String,
    pub jwks_uri: String,
}

impl KeySource {
    pub fn new(http: reqwest::Client) -> Self {
        Self {
            http,
            jwks: Mutex::new(HashMap::new()),
            discovery: Mutex::new(HashMap::new()),
        }
    }

    /// The discovery document of an OIDC issuer.
    pub async fn discover(&self, issuer: &str) -> Result<Discovered, AuthError> {
        if let Some(hit) = fresh(&self.discovery, issuer, KEY_TTL) {
            return Ok(hit);
        }
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let failed = |detail: String| AuthError::DiscoveryFailed {
            issuer: issuer.to_string(),
            detail,
        };
        let response = self.get(&url).await.map_err(|e| failed(e.to_string()))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| failed(e.to_string()))?;
        if !status.is_success() {
            return Err(failed(format!(
                "{} {}",
                status.as_u16(),
                String::from_utf8_lossy(&body)
            )));
        }
        let discovered: Discovered = serde_json::from_slice(&body)
            .map_err(|e| failed(format!("invalid discovery document at {url}: {e}")))?;
        store(&self.discovery, issuer, discovered.clone());
        Ok(discovered)
    }

    /// The keys at `jwks` (a URL or a `data:` URI). With `refresh`, a cached
    /// copy older than [`REFETCH_INTERVAL`] is fetched again.
    pub async fn keys(&self, jwks: &str, refresh: bool) -> Result<KeySet, AuthError> {
        let max_age = if refresh { REFETCH_INTERVAL } else { KEY_TTL };
        if let Some(hit) = fresh(&self.jwks, jwks, max_age) {
            return Ok(hit);
        }
        let body = if jwks.starts_with("data:") {
            decode_data_uri(jwks)?
        } else {
            self.fetch_jwks(jwks).await?
        };
        let keys = parse_key_set(&body).map_err(|detail| {
            AuthError::invalid(format!(
                "Invalid JWKS response body from '{}'. The response is not valid JSON or doesn't match the expected JWKS format: {detail}",
                shorten(jwks)
            ))
        })?;
        store(&self.jwks, jwks, keys.clone());
        Ok(keys)
    }

    /// `GET url` asking for JSON, bounded by [`FETCH_TIMEOUT`].
    async fn get(&self, url: &str) -> Result<reqwest::Response, reqwest::Error> {
        self.http
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(FETCH_TIMEOUT)
            .send()
            .await
    }

    async fn fetch_jwks(&self, url: &str) -> Result<Vec<u8>, AuthError> {
        let unreachable = |detail: String| {
            AuthError::invalid(format!(
                "Could not fetch JWKS from URL '{url}': {detail}. Check that the URL is correct and accessible."
            ))
        };
        let response = self
            .get(url)
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            return Err(unreachable(format!(
                "HTTP {} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("Unknown")
            )));
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("unknown")
            .to_string();
        if !is_jwks_media_type(&content_type) {
            return Err(AuthError::invalid(format!(
                "Invalid Content-Type '{content_type}' when fetching JWKS from '{url}'. Expected 'application/json' or 'application/jwk-set+json'."
            )));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        Ok(body.to_vec())
    }
}

fn fresh<T: Clone>(
    cache: &Mutex<HashMap<String, Cached<T>>>,
    key: &str,
    max_age: Duration,
) -> Option<T> {
    let cache = cache.lock();
    let entry = cache.get(key)?;
    (entry.fetched.elapsed() < max_age).then(|| entry.value.clone())
}

fn store<T>(cache: &Mutex<HashMap<String, Cached<T>>>, key: &str, value: T) {
    cache.lock().insert(
        key.to_string(),
        Cached {
            value,
            fetched: Instant::now(),
        },
    );
}

/// `application/json` or `application/jwk-set+json`, any case, with no
/// charset or `charset=utf-8`.
fn is_jwks_media_type(content_type: &str) -> bool {
    let mut parts = content_type.split(';').map(str::trim);
    let essence = parts.next().unwrap_or("");
    if !JWKS_MEDIA_TYPES
        .iter()
        .any(|t| essence.eq_ignore_ascii_case(t))
    {
        return false;
    }
    parts.all(|param| match param.split_once('=') {
        Some((name, value)) if name.trim().eq_ignore_ascii_case("charset") => {
            value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        }
        _ => true,
    })
}

/// The payload of `data:[<type>][;base64],<data>`.
fn decode_data_uri(uri: &str) -> Result<Vec<u8>, AuthError> {
    let invalid = || {
        AuthError::invalid(
            "Invalid JWKS data URL. Check that the data URL is properly formatted and contains valid base64-encoded JSON.",
        )
    };
    let rest = uri.strip_prefix("data:").ok_or_else(invalid)?;
    let (meta, data) = rest.split_once(',').ok_or_else(invalid)?;
    let text: Vec<u8> = percent_encoding::percent_decode_str(data).collect();
    if meta
        .split(';')
        .any(|p| p.trim().eq_ignore_ascii_case("base64"))
    {
        let compact: Vec<u8> = text
            .into_iter()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        base64::engine::general_purpose::STANDARD
            .decode(&compact)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(&compact))
            .map_err(|_| invalid())
    } else {
        Ok(text)
    }
}

/// `{"keys": [...]}`, keeping the keys this verifier can use.
fn parse_key_set(body: &[u8]) -> Result<KeySet, String> {
    let doc: JsonValue = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let keys = doc
        .get("keys")
        .and_then(JsonValue::as_array)
        .ok_or("no `keys` array")?;
    Ok(Arc::new(
        keys.iter()
            .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
            .collect(),
    ))
}

/// A `data:` URI is shown by its start only.
fn shorten(jwks: &str) -> &str {
    if jwks.starts_with("data:") {
        jwks.get(..32).unwrap_or(jwks)
    } else {
        jwks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types() {
        assert!(is_jwks_media_type("application/json"));
        assert!(is_jwks_media_type("Application/JSON; charset=utf-8"));
        assert!(is_jwks_media_type("application/jwk-set+json"));
        assert!(!is_jwks_media_type("text/html"));
        assert!(!is_jwks_media_type("application/json; charset=latin1"));
    }

    #[test]
    fn data_uris() {
        let json = br#"{"keys":[]}"#;
        let b64 = base64::engine::general_purpose::STANDARD.encode(json);
        let decoded =
            decode_data_uri(&format!("data:application/json;base64,{b64}")).expect("base64");
        assert_eq!(decoded, json);
        let plain = decode_data_uri("data:application/json,%7B%22keys%22%3A%5B%5D%7D")
            .expect("percent-encoded");
        assert_eq!(plain, json);
        assert!(decode_data_uri("data:application/json;base64").is_err());
        assert!(decode_data_uri("data:;base64,!!!").is_err());
    }

    #[test]
    fn key_sets_skip_unusable_keys() {
        let body = br#"{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"a","alg":"ES256"},{"kty":"weird"}]}"#;
        let keys = parse_key_set(body).expect("valid set");
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].common.key_id.as_deref(), Some("a"));
        assert!(parse_key_set(b"[]").is_err());
        assert!(parse_key_set(b"nope").is_err());
    }
}
