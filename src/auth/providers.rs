//! The auth providers of a push's `auth.config.js`
//! (`{providers: [{domain, applicationID} | {type: "customJwt", issuer, jwks,
//! algorithm, applicationID?}]}`), parsed and checked once per push, and the
//! rule that routes a token to its provider by `iss` and `aud`.

use reqwest::Url;
use serde_json::Value as JsonValue;

/// Signature algorithms a `customJwt` provider may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CustomJwtAlgorithm {
    RS256,
    ES256,
}

/// One trusted issuer of user tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthProvider {
    /// An OpenID Connect provider: keys found by discovery at `domain`;
    /// tokens must name `application_id` in `aud`.
    Oidc { domain: Url, application_id: String },
    /// A plain JWT issuer with a known JWKS (`https://…` or `data:` URI).
    /// `aud` is checked only when `application_id` is set.
    CustomJwt {
        issuer: Url,
        application_id: Option<String>,
        jwks: String,
        algorithm: CustomJwtAlgorithm,
    },
}

/// Why an `auth.config.js` was refused at push time.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthConfigError {
    #[error("auth.config.js must export an object with a `providers` array")]
    NotAList,
    #[error("auth provider {index}: {detail}")]
    Invalid { index: usize, detail: String },
    #[error("Invalid provider domain URL \"{url}\": {detail}")]
    BadUrl { url: String, detail: String },
}

impl AuthConfigError {
    /// Convex's error code for this failure.
    pub fn code(&self) -> &'static str {
        match self {
            AuthConfigError::BadUrl { .. } => "InvalidProviderDomainUrl",
            _ => "InvalidAuthConfig",
        }
    }
}

impl AuthProvider {
    /// Parses the evaluated default export of `auth.config.js`; `None` (no
    /// such module) means no providers.
    pub fn parse_config(config: Option<&JsonValue>) -> Result<Vec<Self>, AuthConfigError> {
        let Some(config) = config else {
            return Ok(Vec::new());
        };
        let providers = match config.get("providers") {
            None | Some(JsonValue::Null) => return Ok(Vec::new()),
            Some(JsonValue::Array(providers)) => providers,
            Some(_) => return Err(AuthConfigError::NotAList),
        };
        providers
            .iter()
            .enumerate()
            .map(|(index, p)| Self::parse(p).map_err(|e| e.at(index)))
            .collect()
    }

    fn parse(provider: &JsonValue) -> Result<Self, ProviderError> {
        let field = |name: &str| -> Result<Option<String>, ProviderError> {
            match provider.get(name) {
                None | Some(JsonValue::Null) => Ok(None),
                Some(JsonValue::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(ProviderError::Detail(format!(
                    "`{name}` must be a string, not {other}"
                ))),
            }
        };
        let required = |name: &str| -> Result<String, ProviderError> {
            field(name)?.ok_or_else(|| ProviderError::Detail(format!("`{name}` is required")))
        };
        if !provider.is_object() {
            return Err(ProviderError::Detail("must be an object".into()));
        }
        match field("type")?.as_deref() {
            Some("customJwt") => {
                let algorithm = match required("algorithm")?.as_str() {
                    "RS256" => CustomJwtAlgorithm::RS256,
                    "ES256" => CustomJwtAlgorithm::ES256,
                    other => {
                        return Err(ProviderError::Detail(format!(
                            "Invalid signature algorithm (only RS256 and ES256 are supported): {other}"
                        )))
                    }
                };
                Ok(AuthProvider::CustomJwt {
                    issuer: issuer_url(&required("issuer")?)?,
                    application_id: field("applicationID")?,
                    jwks: required("jwks")?,
                    algorithm,
                })
            }
            None | Some("oidc") => Ok(AuthProvider::Oidc {
                domain: issuer_url(&required("domain")?)?,
                application_id: required("applicationID")?,
            }),
            Some(other) => Err(ProviderError::Detail(format!(
                "unknown provider type \"{other}\" (expected \"customJwt\" or an OIDC provider with `domain`)"
            ))),
        }
    }

    /// Whether a token with this (unverified) issuer and audiences belongs to
    /// this provider. Issuers compare without trailing slashes, and an `iss`
    /// without a scheme is taken as `https://` (as Convex does).
    pub fn matches(&self, issuer: &str, audiences: &[String]) -> bool {
        let (url, application_id) = match self {
            AuthProvider::Oidc {
                domain,
                application_id,
            } => (domain, Some(application_id)),
            AuthProvider::CustomJwt {
                issuer,
                application_id,
                ..
            } => (issuer, application_id.as_ref()),
        };
        if let Some(id) = application_id {
            if !audiences.contains(id) {
                return false;
            }
        }
        same_issuer(url, issuer)
    }

    /// How Convex names the provider in "no provider" messages.
    pub fn describe(&self) -> String {
        match self {
            AuthProvider::Oidc {
                domain,
                application_id,
            } => format!("OIDC(domain={domain}, app_id={application_id})"),
            AuthProvider::CustomJwt {
                issuer,
                application_id,
                ..
            } => format!(
                "CustomJWT(issuer={issuer}, app_id={})",
                application_id.as_deref().unwrap_or("none")
            ),
        }
    }
}

/// `configured` (from auth.config) and a token's `iss` name the same issuer.
pub fn same_issuer(configured: &Url, token_issuer: &str) -> bool {
    let with_scheme = if token_issuer.starts_with("https://") || token_issuer.starts_with("http://")
    {
        token_issuer.to_string()
    } else {
        format!("https://{token_issuer}")
    };
    configured.as_str().trim_end_matches('/') == with_scheme.trim_end_matches('/')
}

enum ProviderError {
    Detail(String),
    Url(AuthConfigError),
}

impl ProviderError {
    fn at(self, index: usize) -> AuthConfigError {
        match self {
            ProviderError::Detail(detail) => AuthConfigError::Invalid { index, detail },
            ProviderError::Url(e) => e,
        }
    }
}

/// A provider's domain or issuer: `http(s)://…`, or a bare host name taken as
/// `https://`.
fn issuer_url(text: &str) -> Result<Url, ProviderError> {
    let bad = |detail: &str| {
        ProviderError::Url(AuthConfigError::BadUrl {
            url: text.to_string(),
            detail: detail.to_string(),
        })
    };
    if text.starts_with('"') {
        return Err(bad("starts with a double quote (\")"));
    }
    let has_scheme = text.contains("://");
    let full = if has_scheme {
        text.to_string()
    } else {
        format!("https://{text}")
    };
    let url = Url::parse(&full).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("scheme should be http or https"));
    }
    let host_looks_real = url
        .host_str()
        .is_some_and(|h| h == "localhost" || h.contains('.'));
    if !has_scheme && !host_looks_real {
        return Err(bad(
            "Does not look like a URL (must have a scheme or end with a top-level domain)",
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(config: JsonValue) -> Result<Vec<AuthProvider>, AuthConfigError> {
        AuthProvider::parse_config(Some(&config))
    }

    #[test]
    fn parses_both_kinds() {
        let providers = parse(json!({"providers": [
            {"domain": "https://issuer.example.com", "applicationID": "app"},
            {"type": "customJwt", "issuer": "auth.example.com", "jwks": "data:,{}", "algorithm": "ES256"},
        ]}))
        .expect("valid");
        assert_eq!(providers.len(), 2);
        assert!(providers[0].matches("https://issuer.example.com/", &["app".into()]));
        assert!(!providers[0].matches("https://issuer.example.com", &["other".into()]));
        assert!(!providers[0].matches("https://evil.example.com", &["app".into()]));
        // No applicationID: any audience, and an iss without a scheme.
        assert!(providers[1].matches("auth.example.com", &[]));
        assert!(providers[1].matches("https://auth.example.com/", &["x".into()]));
    }

    #[test]
    fn refuses_bad_providers() {
        assert_eq!(
            parse(json!({"providers": {}})),
            Err(AuthConfigError::NotAList)
        );
        let missing = parse(json!({"providers": [{"domain": "https://a.example.com"}]}));
        assert!(matches!(
            missing,
            Err(AuthConfigError::Invalid { index: 0, .. })
        ));
        let alg = parse(
            json!({"providers": [{"type": "customJwt", "issuer": "https://a.b", "jwks": "x", "algorithm": "HS256"}]}),
        );
        assert!(format!("{}", alg.expect_err("HS256")).contains("only RS256 and ES256"));
        let url = parse(json!({"providers": [{"domain": "not a url", "applicationID": "a"}]}))
            .expect_err("bad url");
        assert_eq!(url.code(), "InvalidProviderDomainUrl");
        let scheme =
            parse(json!({"providers": [{"domain": "ftp://a.example.com", "applicationID": "a"}]}));
        assert!(scheme.is_err());
        assert_eq!(AuthProvider::parse_config(None), Ok(vec![]));
    }
}
