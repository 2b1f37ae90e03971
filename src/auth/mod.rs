//! User authentication: verifying `Authorization: Bearer <jwt>` tokens
//! against the providers of the active push's `auth.config.js`, as Convex
//! does (`authentication::validate_id_token`).
//!
//! A token is routed to the first provider whose issuer matches its `iss`
//! (and whose `applicationID`, when set, is among its `aud`), then its
//! signature is checked with the provider's keys (OIDC discovery, or the
//! custom JWT provider's JWKS) and its `exp`/`nbf` against the clock. The
//! result is the identity object `ctx.auth.getUserIdentity()` returns.
//! Verified tokens are remembered until they expire.

pub mod claims;
pub mod keys;
pub mod providers;

use std::collections::{HashMap, HashSet};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use parking_lot::Mutex;
use serde_json::{Map, Value as JsonValue};

use crate::error::ApiError;
use claims::TokenKind;
use keys::KeySource;
pub use providers::{AuthConfigError, AuthProvider, CustomJwtAlgorithm};

/// Clock skew tolerated on `exp` and `nbf`, seconds.
const LEEWAY_SECS: u64 = 5;
/// Bound on remembered verified tokens.
const VERIFIED_CACHE_ENTRIES: usize = 4096;

/// Why a user token was refused. Each maps to Convex's code and status.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    /// 401 `InvalidAuthHeader`: malformed, wrongly signed or expired token.
    #[error("{0}")]
    Invalid(String),
    /// 401 `NoAuthProvider`: no configured provider issued this token.
    #[error("{0}")]
    NoProvider(String),
    /// 401 `Unauthenticated`: an OIDC token failed verification.
    #[error("{0}")]
    Unverified(String),
    /// 400 `AuthProviderDiscoveryFailed`.
    #[error("Auth provider discovery of {issuer} failed: {detail}")]
    DiscoveryFailed { issuer: String, detail: String },
}

impl AuthError {
    pub fn invalid(message: impl Into<String>) -> Self {
        AuthError::Invalid(message.into())
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        let message = e.to_string();
        match e {
            AuthError::Invalid(_) => ApiError::unauthenticated("InvalidAuthHeader", message),
            AuthError::NoProvider(_) => ApiError::unauthenticated("NoAuthProvider", message),
            AuthError::Unverified(_) => ApiError::unauthenticated("Unauthenticated", message),
            AuthError::DiscoveryFailed { .. } => {
                ApiError::bad_request("AuthProviderDiscoveryFailed", message)
            }
        }
    }
}

/// The active providers, with the version that tells this configuration
/// from any other, so cached verifications are never reused under another.
pub struct ProviderSet<'a> {
    pub version: u64,
    pub providers: &'a [AuthProvider],
}

struct Verified {
    version: u64,
    identity: JsonValue,
    expires_at: u64,
}

/// Verifies user tokens for one deployment.
pub struct Authenticator {
    keys: KeySource,
    verified: Mutex<HashMap<String, Verified>>,
}

impl Authenticator {
    pub fn new(http: reqwest::Client) -> Self {
        Self {
            keys: KeySource::new(http),
            verified: Mutex::new(HashMap::new()),
        }
    }

    /// The identity of a verified token.
    pub async fn verify(&self, token: &str, set: ProviderSet<'_>) -> Result<JsonValue, AuthError> {
        let now = unix_now();
        if let Some(hit) = self.verified.lock().get(token) {
            if hit.version == set.version && now < hit.expires_at {
                return Ok(hit.identity.clone());
            }
        }
        let unverified = unverified_payload(token)?;
        let issuer = unverified
            .get("iss")
            .and_then(JsonValue::as_str)
            .ok_or_else(|| {
                AuthError::invalid("Missing issuer claim ('iss') in JWT payload. The JWT must include an 'iss' claim that matches one of your configured auth providers.")
            })?;
        let audiences = audiences(&unverified);
        let provider = set
            .providers
            .iter()
            .find(|p| p.matches(issuer, &audiences))
            .ok_or_else(|| no_provider(set.providers))?;
        let (claims, kind) = match provider {
            AuthProvider::Oidc { application_id, .. } => (
                self.verify_oidc(token, issuer, application_id).await?,
                TokenKind::Oidc,
            ),
            AuthProvider::CustomJwt {
                issuer: configured,
                application_id,
                jwks,
                algorithm,
            } => {
                let claims = self.verify_custom(token, jwks, *algorithm).await?;
                check_custom_claims(&claims, configured, application_id.as_deref())?;
                (claims, TokenKind::CustomJwt)
            }
        };
        let identity = claims::identity(&claims, kind)?;
        let expires_at = claims.get("exp").and_then(JsonValue::as_u64).unwrap_or(now);
        self.remember(token, set.version, &identity, expires_at);
        Ok(identity)
    }

    async fn verify_oidc(
        &self,
        token: &str,
        issuer: &str,
        application_id: &str,
    ) -> Result<Map<String, JsonValue>, AuthError> {
        let discovered = self.keys.discover(issuer).await?;
        if discovered.issuer != issuer {
            return Err(AuthError::DiscoveryFailed {
                issuer: issuer.to_string(),
                detail: format!(
                    "the discovery document names issuer {}, not {issuer}",
                    discovered.issuer
                ),
            });
        }
        let unverified = |detail: String| {
            AuthError::Unverified(format!(
                "Could not verify OIDC token claim. Check that the token signature is valid and the token hasn't expired. ({detail})"
            ))
        };
        let header = header(token)?;
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::EdDSA) {
            return Err(unverified(format!(
                "signing algorithm {:?} is not allowed: use RS256 or EdDSA",
                header.alg
            )));
        }
        let key = self
            .key(&discovered.jwks_uri, header.kid.as_deref(), header.alg)
            .await?
            .ok_or_else(|| unverified("no key in the provider's JWKS matches the token".into()))?;
        let mut validation = validation(header.alg, &["exp", "iat", "sub", "aud"]);
        validation.set_audience(&[application_id]);
        validation.validate_aud = true;
        validation.set_issuer(&[issuer]);
        jsonwebtoken::decode::<Map<String, JsonValue>>(token, &key, &validation)
            .map(|data| data.claims)
            .map_err(|e| unverified(e.to_string()))
    }

    async fn verify_custom(
        &self,
        token: &str,
        jwks: &str,
        algorithm: CustomJwtAlgorithm,
    ) -> Result<Map<String, JsonValue>, AuthError> {
        let header = header(token)?;
        let undecodable = || {
            AuthError::invalid(match &header.kid {
                Some(kid) => format!("Could not decode token. The JWT's 'kid' (key ID) header is '{kid}', does this key match any key in the provider's JWKS?"),
                None => "Could not decode token. JWT may be missing a 'kid' (key ID) header.".to_string(),
            })
        };
        let alg = match algorithm {
            CustomJwtAlgorithm::RS256 => Algorithm::RS256,
            CustomJwtAlgorithm::ES256 => Algorithm::ES256,
        };
        if header.alg != alg {
            return Err(undecodable());
        }
        let key = self
            .key(jwks, header.kid.as_deref(), alg)
            .await?
            .ok_or_else(undecodable)?;
        let validation = validation(alg, &["exp"]);
        jsonwebtoken::decode::<Map<String, JsonValue>>(token, &key, &validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature
                | jsonwebtoken::errors::ErrorKind::ImmatureSignature => {
                    AuthError::invalid(format!("Could not validate token: {e}"))
                }
                jsonwebtoken::errors::ErrorKind::MissingRequiredClaim(claim) if claim == "exp" => {
                    AuthError::invalid("Missing expiry")
                }
                _ => undecodable(),
            })
    }

    /// The key for a token, refetching the JWKS once if its `kid` is unknown.
    async fn key(
        &self,
        jwks: &str,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Option<DecodingKey>, AuthError> {
        let keys = self.keys.keys(jwks, false).await?;
        if let Some(key) = find_key(&keys, kid, alg) {
            return Ok(Some(key));
        }
        let keys = self.keys.keys(jwks, true).await?;
        Ok(find_key(&keys, kid, alg))
    }

    fn remember(&self, token: &str, version: u64, identity: &JsonValue, expires_at: u64) {
        let mut verified = self.verified.lock();
        if verified.len() >= VERIFIED_CACHE_ENTRIES {
            let now = unix_now();
            verified.retain(|_, v| v.expires_at > now);
            if verified.len() >= VERIFIED_CACHE_ENTRIES {
                verified.clear();
            }
        }
        verified.insert(
            token.to_string(),
            Verified {
                version,
                identity: identity.clone(),
                expires_at,
            },
        );
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn validation(alg: Algorithm, required: &[&str]) -> Validation {
    let mut validation = Validation::new(alg);
    validation.leeway = LEEWAY_SECS;
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.validate_aud = false;
    validation.required_spec_claims = required
        .iter()
        .map(|c| c.to_string())
        .collect::<HashSet<_>>();
    validation
}

fn header(token: &str) -> Result<jsonwebtoken::Header, AuthError> {
    jsonwebtoken::decode_header(token).map_err(|e| {
        AuthError::invalid(format!(
            "Could not parse JWT header ({e}). Check that the token is a valid JWT format with three base64-encoded parts separated by dots."
        ))
    })
}

/// The payload, before any check: only used to pick the provider.
fn unverified_payload(token: &str) -> Result<Map<String, JsonValue>, AuthError> {
    let invalid = || {
        AuthError::invalid("Could not parse JWT payload. Check that the token is a valid JWT format with three base64-encoded parts separated by dots.")
    };
    let mut parts = token.split('.');
    let (Some(_), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| invalid())?;
    match serde_json::from_slice(&bytes) {
        Ok(JsonValue::Object(claims)) => Ok(claims),
        _ => Err(invalid()),
    }
}

fn audiences(claims: &Map<String, JsonValue>) -> Vec<String> {
    match claims.get("aud") {
        Some(JsonValue::String(aud)) => vec![aud.clone()],
        Some(JsonValue::Array(auds)) => auds
            .iter()
            .filter_map(|a| a.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn no_provider(providers: &[AuthProvider]) -> AuthError {
    AuthError::NoProvider(if providers.is_empty() {
        "No auth provider found matching the given token (no providers configured). Check convex/auth.config.ts.".to_string()
    } else {
        let names: Vec<String> = providers.iter().map(AuthProvider::describe).collect();
        format!(
            "No auth provider found matching the given token. Check that your JWT's issuer and audience match one of your configured providers: [{}]",
            names.join(", ")
        )
    })
}

/// Issuer and audience of a verified custom JWT.
fn check_custom_claims(
    claims: &Map<String, JsonValue>,
    configured: &reqwest::Url,
    application_id: Option<&str>,
) -> Result<(), AuthError> {
    let issuer = claims
        .get("iss")
        .and_then(JsonValue::as_str)
        .ok_or_else(|| AuthError::invalid("Missing issuer"))?;
    if !providers::same_issuer(configured, issuer) {
        return Err(AuthError::invalid(format!(
            "Invalid issuer: {issuer} != {configured}"
        )));
    }
    if let Some(application_id) = application_id {
        let audiences = audiences(claims);
        if audiences.is_empty() {
            return Err(AuthError::invalid("Missing audience claim ('aud') in JWT payload. The JWT must include an 'aud' claim that matches your configured application ID."));
        }
        if !audiences.iter().any(|a| a == application_id) {
            return Err(AuthError::invalid(format!(
                "Invalid audience: {application_id} not in {audiences:?}"
            )));
        }
    }
    Ok(())
}

/// The key named by `kid`, or without a `kid` the first key of the
/// algorithm's type.
fn find_key(keys: &[Jwk], kid: Option<&str>, alg: Algorithm) -> Option<DecodingKey> {
    let fits = |jwk: &Jwk| {
        matches!(
            (&jwk.algorithm, alg),
            (AlgorithmParameters::RSA(_), Algorithm::RS256)
                | (AlgorithmParameters::EllipticCurve(_), Algorithm::ES256)
                | (AlgorithmParameters::OctetKeyPair(_), Algorithm::EdDSA)
        )
    };
    keys.iter()
        .filter(|jwk| fits(jwk))
        .find(|jwk| match kid {
            Some(kid) => jwk.common.key_id.as_deref() == Some(kid),
            None => true,
        })
        .and_then(|jwk| DecodingKey::from_jwk(jwk).ok())
}
