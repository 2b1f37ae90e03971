//! From a verified token's claims to the `UserIdentity` object functions see
//! through `ctx.auth.getUserIdentity()`.
//!
//! OIDC tokens: the standard claims become Convex's camelCase fields
//! (`given_name` → `givenName`, `picture` → `pictureUrl`, …) and any other
//! claim is passed through unchanged. Custom JWTs: every claim except the
//! registered ones is passed through, nested objects flattened to dotted keys
//! (`{"org": {"id": 1}}` → `"org.id": 1`). Both get `tokenIdentifier`
//! (`<iss>|<sub>`), `subject` and `issuer`. Claims that change on every
//! refresh (`jti`, `nbf`, Clerk's `fva`) are dropped.

use serde_json::{Map, Value as JsonValue};

use super::AuthError;

/// Standard OIDC claims → the identity field that carries them.
const OIDC_FIELDS: [(&str, &str); 16] = [
    ("name", "name"),
    ("given_name", "givenName"),
    ("family_name", "familyName"),
    ("nickname", "nickname"),
    ("preferred_username", "preferredUsername"),
    ("profile", "profileUrl"),
    ("picture", "pictureUrl"),
    ("website", "websiteUrl"),
    ("email", "email"),
    ("email_verified", "emailVerified"),
    ("gender", "gender"),
    ("birthdate", "birthday"),
    ("zoneinfo", "timezone"),
    ("locale", "language"),
    ("phone_number", "phoneNumber"),
    ("phone_number_verified", "phoneNumberVerified"),
];

/// Claims of the ID token itself, not of the user: not passed through.
const OIDC_TOKEN_CLAIMS: [&str; 14] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "azp",
    "at_hash",
    "c_hash",
    "address",
    "updated_at",
];
const REGISTERED_CLAIMS: [&str; 7] = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"];
const VOLATILE_CLAIMS: [&str; 3] = ["jti", "nbf", "fva"];

/// Which kind of provider verified the token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Oidc,
    CustomJwt,
}

/// The identity object for verified `claims`.
pub fn identity(claims: &Map<String, JsonValue>, kind: TokenKind) -> Result<JsonValue, AuthError> {
    let text = |name: &str| claims.get(name).and_then(JsonValue::as_str);
    let issuer = text("iss").ok_or_else(|| AuthError::invalid("Missing issuer"))?;
    let subject = text("sub").ok_or_else(|| AuthError::invalid("Missing subject"))?;
    let mut out = Map::new();
    out.insert(
        "tokenIdentifier".into(),
        JsonValue::String(format!("{issuer}|{subject}")),
    );
    out.insert("subject".into(), subject.into());
    out.insert("issuer".into(), issuer.into());
    match kind {
        TokenKind::Oidc => oidc_fields(claims, &mut out),
        TokenKind::CustomJwt => {
            let private = claims
                .iter()
                .filter(|(k, _)| !REGISTERED_CLAIMS.contains(&k.as_str()));
            flatten(private, "", &mut out);
        }
    }
    for claim in VOLATILE_CLAIMS {
        out.remove(claim);
    }
    Ok(JsonValue::Object(out))
}

fn oidc_fields(claims: &Map<String, JsonValue>, out: &mut Map<String, JsonValue>) {
    for (claim, field) in OIDC_FIELDS {
        match claims.get(claim) {
            Some(v @ (JsonValue::String(_) | JsonValue::Bool(_))) => {
                out.insert(field.into(), v.clone());
            }
            Some(JsonValue::Number(n)) if claim != "email_verified" => {
                out.insert(field.into(), JsonValue::String(n.to_string()));
            }
            _ => {}
        }
    }
    if let Some(formatted) = claims
        .get("address")
        .and_then(|a| a.get("formatted"))
        .and_then(JsonValue::as_str)
    {
        out.insert("address".into(), formatted.into());
    }
    if let Some(updated) = claims.get("updated_at").and_then(JsonValue::as_f64) {
        if let Some(text) = rfc3339(updated) {
            out.insert("updatedAt".into(), text.into());
        }
    }
    for (claim, value) in claims {
        let standard = OIDC_FIELDS.iter().any(|(c, _)| c == claim)
            || OIDC_TOKEN_CLAIMS.contains(&claim.as_str());
        if !standard && !out.contains_key(claim) {
            out.insert(claim.clone(), value.clone());
        }
    }
}

fn flatten<'a>(
    claims: impl Iterator<Item = (&'a String, &'a JsonValue)>,
    prefix: &str,
    out: &mut Map<String, JsonValue>,
) {
    for (key, value) in claims {
        let name = format!("{prefix}{key}");
        if matches!(name.as_str(), "tokenIdentifier" | "subject" | "issuer") {
            continue;
        }
        match value {
            JsonValue::Object(nested) => flatten(nested.iter(), &format!("{name}."), out),
            other => {
                out.insert(name, other.clone());
            }
        }
    }
}

/// Seconds since the epoch as `2024-01-02T03:04:05+00:00`.
fn rfc3339(seconds: f64) -> Option<String> {
    if !(0.0..=253_402_300_799.0).contains(&seconds) {
        return None;
    }
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds as u64);
    let text = humantime::format_rfc3339_seconds(at).to_string();
    Some(text.trim_end_matches('Z').to_string() + "+00:00")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: JsonValue) -> Map<String, JsonValue> {
        v.as_object().expect("object").clone()
    }

    #[test]
    fn oidc_standard_claims_are_renamed() {
        let c = claims(json!({
            "iss": "https://issuer.example.com/", "sub": "user|1", "aud": "app",
            "exp": 2000000000, "iat": 1, "nbf": 1, "jti": "x",
            "name": "Ada", "given_name": "Ada", "email": "ada@example.com",
            "email_verified": true, "picture": "https://p/1.png", "updated_at": 1700000000,
            "address": {"formatted": "1 Main St"}, "org_role": "admin",
        }));
        let id = identity(&c, TokenKind::Oidc).expect("identity");
        assert_eq!(
            id,
            json!({
                "tokenIdentifier": "https://issuer.example.com/|user|1",
                "subject": "user|1", "issuer": "https://issuer.example.com/",
                "name": "Ada", "givenName": "Ada", "email": "ada@example.com",
                "emailVerified": true, "pictureUrl": "https://p/1.png",
                "address": "1 Main St", "updatedAt": "2023-11-14T22:13:20+00:00",
                "org_role": "admin",
            })
        );
    }

    #[test]
    fn custom_jwt_claims_are_flattened() {
        let c = claims(json!({
            "iss": "https://a.example.com", "sub": "u1", "aud": ["x"], "exp": 2000000000,
            "iat": 1, "email": "u@example.com", "org": {"id": 7, "roles": ["a"]}, "fva": [1, 2],
        }));
        let id = identity(&c, TokenKind::CustomJwt).expect("identity");
        assert_eq!(
            id,
            json!({
                "tokenIdentifier": "https://a.example.com|u1", "subject": "u1",
                "issuer": "https://a.example.com", "email": "u@example.com",
                "org.id": 7, "org.roles": ["a"],
            })
        );
    }

    #[test]
    fn subject_and_issuer_are_required() {
        let c = claims(json!({"iss": "https://a.example.com"}));
        assert!(identity(&c, TokenKind::CustomJwt).is_err());
    }
}
