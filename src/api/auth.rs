//! Who is calling (convex-protocol.md §1.3): the `Authorization` header
//! (`Convex <admin key>[:<base64 identity JSON>]` or `Bearer <jwt>`), else the
//! `?adminKey=` query parameter, else anonymous. Admin keys are checked here
//! against the instance's key; user JWTs come out *unverified*, and
//! `crate::auth` verifies them against the auth.config providers
//! (`CallContext` does, for the functions API).

use axum::http::{header, HeaderMap, Uri};
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use serde::Deserialize;

use crate::admin_key::AdminKey;
use crate::error::ApiError;

/// The identity attributes an admin sends to act as a user
/// (`UserIdentityAttributes`: `subject`, `issuer`, `tokenIdentifier`, `name`,
/// `email`, …), kept as the JSON object the client sent.
pub type UserIdentityAttributes = serde_json::Map<String, serde_json::Value>;

/// The caller of a request, after the admin key check.
#[derive(Debug, Clone, PartialEq)]
pub enum Identity {
    /// No credentials.
    Anonymous,
    /// A valid admin key.
    Admin,
    /// A valid admin key acting as the given user.
    ActingAsUser(UserIdentityAttributes),
    /// `Bearer <jwt>`. NOT verified yet: whoever runs the function must check
    /// it against the deployment's auth providers before trusting it.
    UnverifiedUserToken(String),
    /// A user token verified by `crate::auth`: the identity functions see.
    User(UserIdentityAttributes),
}

impl Identity {
    /// Admins, including admins acting as a user.
    pub fn is_admin(&self) -> bool {
        matches!(self, Self::Admin | Self::ActingAsUser(_))
    }

    /// Reads and checks the credentials of a request.
    pub fn from_request(
        headers: &HeaderMap,
        uri: &Uri,
        admin_key: &AdminKey,
    ) -> Result<Self, ApiError> {
        match Credentials::from_request(headers, uri)? {
            Credentials::None => Ok(Self::Anonymous),
            Credentials::UserToken(token) => Ok(Self::UnverifiedUserToken(token)),
            Credentials::AdminKey { key, acting_as } => {
                if !admin_key.matches(&key) {
                    return Err(bad_admin_key(admin_key.instance_name()));
                }
                Ok(match acting_as {
                    Some(user) => Self::ActingAsUser(user),
                    None => Self::Admin,
                })
            }
        }
    }

    /// Fails with 403 `BadDeployKey` unless the caller is an admin.
    pub fn require_admin(&self, instance_name: &str) -> Result<(), ApiError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "BadDeployKey",
                format!(
                    "This endpoint requires the admin key of deployment '{instance_name}': send `Authorization: Convex <admin key>`."
                ),
            ))
        }
    }
}

/// Admin-only routes (streaming export and import): the admin key must come
/// in `Authorization: Convex <key>` (or `?adminKey=`). As on Convex, no
/// credentials, a user token and a wrong key are all 403 `BadDeployKey`
/// (the Airbyte source skips a stream on a 403 rather than retrying).
pub fn require_admin_key(
    headers: &HeaderMap,
    uri: &Uri,
    admin_key: &AdminKey,
) -> Result<(), ApiError> {
    match Identity::from_request(headers, uri, admin_key)? {
        Identity::Admin | Identity::ActingAsUser(_) => Ok(()),
        Identity::Anonymous => Err(ApiError::forbidden(
            "BadDeployKey",
            "This endpoint requires the deployment's admin key: send `Authorization: Convex <admin key>`.",
        )),
        Identity::UnverifiedUserToken(_) | Identity::User(_) => Err(ApiError::forbidden(
            "BadDeployKey",
            "This endpoint requires the deployment's admin key, not a user token: send `Authorization: Convex <admin key>`.",
        )),
    }
}

/// The 403 Convex sends for a key that is not this deployment's.
pub fn bad_admin_key(instance_name: &str) -> ApiError {
    ApiError::forbidden(
        "BadDeployKey",
        format!(
            "The provided deploy key was invalid for deployment '{instance_name}'. Double check that the environment this key was generated for matches the desired deployment."
        ),
    )
}

/// Credentials as presented, before any check.
#[derive(Debug, Clone, PartialEq)]
pub enum Credentials {
    None,
    /// The admin key with any `dev:`/`prod:`/`preview:` type prefix removed.
    AdminKey {
        key: String,
        acting_as: Option<UserIdentityAttributes>,
    },
    UserToken(String),
}

#[derive(Deserialize)]
struct AdminKeyQuery {
    #[serde(rename = "adminKey")]
    admin_key: Option<String>,
}

impl Credentials {
    pub fn from_request(headers: &HeaderMap, uri: &Uri) -> Result<Self, ApiError> {
        if let Some(value) = headers.get(header::AUTHORIZATION) {
            let text = value
                .to_str()
                .map_err(|_| invalid_header("the Authorization header is not valid ASCII text"))?;
            return Self::from_authorization(text);
        }
        // Without a header, `?adminKey=` is accepted too. A query string that
        // does not parse simply carries no admin key.
        let from_query = axum::extract::Query::<AdminKeyQuery>::try_from_uri(uri)
            .ok()
            .and_then(|query| query.0.admin_key);
        match from_query {
            Some(key) => Self::from_admin_key(&key),
            None => Ok(Self::None),
        }
    }

    /// Parses an `Authorization` header value.
    pub fn from_authorization(value: &str) -> Result<Self, ApiError> {
        if let Some(rest) = strip_scheme(value, "Convex ") {
            Self::from_admin_key(rest)
        } else if let Some(rest) = strip_scheme(value, "Bearer ") {
            let token = rest.trim();
            if token.is_empty() {
                return Err(invalid_header("the Bearer token is empty"));
            }
            Ok(Self::UserToken(token.to_string()))
        } else {
            Err(invalid_header(
                "expected `Authorization: Convex <admin key>` or `Authorization: Bearer <token>`",
            ))
        }
    }

    /// `[dev:|prod:|preview:]<key>[:<base64 JSON identity>]`.
    pub fn from_admin_key(value: &str) -> Result<Self, ApiError> {
        let value = value.trim();
        let unprefixed = ["dev:", "prod:", "preview:"]
            .iter()
            .find_map(|prefix| value.strip_prefix(prefix))
            .unwrap_or(value);
        let (key, acting_as) = match unprefixed.split_once(':') {
            Some((key, identity)) => (key, Some(decode_identity(identity)?)),
            None => (unprefixed, None),
        };
        if key.is_empty() {
            return Err(invalid_header("the admin key is empty"));
        }
        Ok(Self::AdminKey {
            key: key.to_string(),
            acting_as,
        })
    }
}

/// Case-insensitive scheme prefix, as Convex compares the first characters.
fn strip_scheme<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let head = value.get(..scheme.len())?;
    head.eq_ignore_ascii_case(scheme)
        .then(|| &value[scheme.len()..])
}

fn invalid_header(detail: &str) -> ApiError {
    ApiError::unauthenticated(
        "InvalidAuthHeader",
        format!("Invalid credentials: {detail}"),
    )
}

const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn decode_identity(encoded: &str) -> Result<UserIdentityAttributes, ApiError> {
    let invalid = |detail: String| {
        ApiError::bad_request(
            "InvalidActingIdentity",
            format!(
                "The identity after the admin key must be base64 of a JSON object of user identity attributes: {detail}"
            ),
        )
    };
    let bytes = LENIENT_BASE64
        .decode(encoded)
        .map_err(|e| invalid(format!("not base64 ({e})")))?;
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(attributes)) => Ok(attributes),
        Ok(_) => Err(invalid("not a JSON object".to_string())),
        Err(e) => Err(invalid(format!("not JSON ({e})"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use base64::engine::general_purpose::STANDARD;

    fn key() -> AdminKey {
        AdminKey::generate("basalt")
    }

    fn headers(auth: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(auth).expect("valid header"),
        );
        headers
    }

    fn identity(auth: Option<&str>, uri: &str, key: &AdminKey) -> Result<Identity, ApiError> {
        let headers = auth.map(headers).unwrap_or_default();
        let uri: Uri = uri.parse().expect("valid uri");
        Identity::from_request(&headers, &uri, key)
    }

    #[test]
    fn anonymous_without_credentials() {
        let key = key();
        assert_eq!(
            identity(None, "/api/query", &key).ok(),
            Some(Identity::Anonymous)
        );
    }

    #[test]
    fn admin_key_header_any_case() {
        let key = key();
        for scheme in ["Convex", "convex", "CONVEX"] {
            let auth = format!("{scheme} {}", key.as_str());
            assert_eq!(identity(Some(&auth), "/", &key).ok(), Some(Identity::Admin));
        }
        let auth = format!("Convex prod:{}", key.as_str());
        assert_eq!(identity(Some(&auth), "/", &key).ok(), Some(Identity::Admin));
    }

    #[test]
    fn wrong_admin_key_is_403() {
        let key = key();
        let other = AdminKey::generate("basalt");
        let auth = format!("Convex {}", other.as_str());
        let error = identity(Some(&auth), "/", &key).expect_err("wrong key");
        assert_eq!(
            (error.status().as_u16(), error.code()),
            (403, "BadDeployKey")
        );
        assert!(error.message().contains("'basalt'"));
    }

    #[test]
    fn admin_acting_as_user() {
        let key = key();
        let attributes = STANDARD.encode(r#"{"subject":"user1","issuer":"https://issuer"}"#);
        let auth = format!("Convex {}:{attributes}", key.as_str());
        match identity(Some(&auth), "/", &key) {
            Ok(Identity::ActingAsUser(user)) => assert_eq!(user["subject"], "user1"),
            other => panic!("expected acting-as-user, got {other:?}"),
        }
        let auth = format!("Convex {}:!!notbase64", key.as_str());
        let error = identity(Some(&auth), "/", &key).expect_err("bad identity");
        assert_eq!(
            (error.status().as_u16(), error.code()),
            (400, "InvalidActingIdentity")
        );
        let auth = format!("Convex {}:{}", key.as_str(), STANDARD.encode("[1]"));
        assert!(identity(Some(&auth), "/", &key).is_err());
    }

    #[test]
    fn bearer_tokens_are_passed_on_unverified() {
        let key = key();
        assert_eq!(
            identity(Some("Bearer abc.def.ghi"), "/", &key).ok(),
            Some(Identity::UnverifiedUserToken("abc.def.ghi".to_string()))
        );
        let error = identity(Some("Bearer "), "/", &key).expect_err("empty");
        assert_eq!(error.status().as_u16(), 401);
    }

    #[test]
    fn unknown_scheme_is_401() {
        let key = key();
        let error = identity(Some("Basic dXNlcjpwYXNz"), "/", &key).expect_err("bad scheme");
        assert_eq!(
            (error.status().as_u16(), error.code()),
            (401, "InvalidAuthHeader")
        );
    }

    #[test]
    fn admin_key_query_parameter() {
        let key = key();
        let encoded: String = key.as_str().replace('|', "%7C");
        let uri = format!("/api/query?path=x&adminKey={encoded}");
        assert_eq!(identity(None, &uri, &key).ok(), Some(Identity::Admin));
        let error = identity(None, "/api/query?adminKey=nope", &key).expect_err("wrong key");
        assert_eq!(error.status().as_u16(), 403);
    }

    #[test]
    fn require_admin() {
        assert!(Identity::Admin.require_admin("basalt").is_ok());
        assert!(Identity::ActingAsUser(Default::default())
            .require_admin("basalt")
            .is_ok());
        let error = Identity::Anonymous
            .require_admin("basalt")
            .expect_err("not admin");
        assert_eq!(
            (error.status().as_u16(), error.code()),
            (403, "BadDeployKey")
        );
        assert!(Identity::UnverifiedUserToken("t".into())
            .require_admin("b")
            .is_err());
    }
}
