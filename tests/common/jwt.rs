//! User-token fixtures: signing keys (RS256 from `tests/fixtures`, ES256
//! generated per run), their JWKs, and a loopback identity provider serving
//! OIDC discovery and JWKS documents the way Clerk or Auth0 do.

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};

/// A private key that signs tokens, with its public JWK.
pub struct SigningKey {
    pub alg: Algorithm,
    pub kid: String,
    encoding: EncodingKey,
    pub jwk: Value,
}

impl SigningKey {
    /// The RSA key in `tests/fixtures/rsa_test_key.pem`.
    pub fn rsa(kid: &str) -> Self {
        let pem = include_str!("../fixtures/rsa_test_key.pem");
        let der: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = STANDARD.decode(der).expect("fixture PEM is base64");
        let pair = ring::rsa::KeyPair::from_pkcs8(&der).expect("fixture is a PKCS#8 RSA key");
        let public: ring::rsa::PublicKeyComponents<Vec<u8>> = pair.public().into();
        Self {
            alg: Algorithm::RS256,
            kid: kid.to_string(),
            encoding: EncodingKey::from_rsa_pem(pem.as_bytes()).expect("fixture key"),
            jwk: json!({
                "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
                "n": URL_SAFE_NO_PAD.encode(&public.n),
                "e": URL_SAFE_NO_PAD.encode(&public.e),
            }),
        }
    }

    /// A fresh P-256 key.
    pub fn ec(kid: &str) -> Self {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .expect("generate P-256 key");
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .expect("parse generated key");
        let point = pair.public_key().as_ref(); // 0x04 ‖ x ‖ y
        Self {
            alg: Algorithm::ES256,
            kid: kid.to_string(),
            encoding: EncodingKey::from_ec_der(pkcs8.as_ref()),
            jwk: json!({
                "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": kid,
                "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
                "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
            }),
        }
    }

    /// Signs `claims` with this key (header `kid` set).
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("sign token")
    }

    /// Signs `claims` but names `kid` in the header (to fake another key).
    pub fn sign_as(&self, kid: &str, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(kid.to_string());
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("sign token")
    }
}

/// `{"keys": [...]}` for these keys.
pub fn jwks(keys: &[&SigningKey]) -> Value {
    json!({"keys": keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>()})
}

/// A JWKS as a `data:` URI.
pub fn jwks_data_uri(keys: &[&SigningKey]) -> String {
    format!(
        "data:application/json;base64,{}",
        STANDARD.encode(jwks(keys).to_string())
    )
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// An identity provider on a loopback port: `/.well-known/openid-configuration`
/// (issuer = its base URL, `jwks_uri` = `/jwks`), `/jwks`, `/custom/jwks`
/// (served as `application/jwk-set+json`) and `/html/jwks` (wrong type).
pub struct Provider {
    pub url: String,
    keys: Arc<Mutex<Value>>,
}

impl Provider {
    pub fn start(keys: Value) -> Self {
        let keys = Arc::new(Mutex::new(keys));
        // The discovery document names the provider's own URL, known only
        // once it listens: the router reads it from a cell set just after.
        let issuer = Arc::new(std::sync::OnceLock::new());
        let url = super::loopback::serve(router(issuer.clone(), keys.clone()));
        issuer.set(url.clone()).expect("issuer set once");
        Self { url, keys }
    }

    /// Replaces the served keys (a key rotation).
    pub fn set_keys(&self, keys: Value) {
        *self.keys.lock().expect("keys lock") = keys;
    }
}

fn router(issuer: Arc<std::sync::OnceLock<String>>, keys: Arc<Mutex<Value>>) -> axum::Router {
    use axum::http::header::CONTENT_TYPE;
    use axum::routing::get;
    let served = move |content_type: &'static str| {
        let keys = keys.clone();
        move || {
            let body = keys.lock().expect("keys lock").to_string();
            async move { ([(CONTENT_TYPE, content_type)], body) }
        }
    };
    let discovery = move || {
        let issuer = issuer.get().cloned().unwrap_or_default();
        let body = json!({
            "issuer": issuer,
            "jwks_uri": format!("{issuer}/jwks"),
            "authorization_endpoint": format!("{issuer}/authorize"),
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        })
        .to_string();
        async move { ([(CONTENT_TYPE, "application/json")], body) }
    };
    axum::Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(served("application/json")))
        .route("/custom/jwks", get(served("application/jwk-set+json")))
        .route("/html/jwks", get(served("text/html")))
}
