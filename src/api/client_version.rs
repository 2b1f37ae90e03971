//! The `Convex-Client: <client>-<semver>` request header (convex-protocol.md
//! §1.3): which client sent a request, and which version of it.

use axum::http::HeaderMap;

use crate::error::ApiError;

pub const CONVEX_CLIENT_HEADER: &str = "convex-client";

/// Clients Convex knows by name; anything else is `Unrecognized` (accepted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientKind {
    Npm,
    NpmCli,
    Python,
    Rust,
    Actions,
    CreateConvex,
    StreamingImport,
    AirbyteExport,
    FivetranImport,
    FivetranExport,
    Dashboard,
    Swift,
    Kotlin,
    Unrecognized(String),
}

impl ClientKind {
    fn from_name(name: &str) -> Self {
        match name {
            "npm" => Self::Npm,
            "npm-cli" => Self::NpmCli,
            "python" | "python-convex" => Self::Python,
            "rust" => Self::Rust,
            "actions" => Self::Actions,
            "create-convex" => Self::CreateConvex,
            "streaming-import" => Self::StreamingImport,
            "airbyte-export" => Self::AirbyteExport,
            "fivetran-import" => Self::FivetranImport,
            "fivetran-export" => Self::FivetranExport,
            "dashboard" => Self::Dashboard,
            "swift" => Self::Swift,
            "kotlin" => Self::Kotlin,
            other => Self::Unrecognized(other.to_string()),
        }
    }
}

/// A parsed `Convex-Client` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientVersion {
    kind: ClientKind,
    /// `None` when no suffix of the header is a semantic version.
    version: Option<semver::Version>,
    raw: String,
}

impl ClientVersion {
    /// Splits on `-` and takes the longest suffix that is a semantic version
    /// (`npm-cli-1.48.0` → `npm-cli` 1.48.0). A value with fewer than two
    /// `-`-separated parts is 400 `InvalidClientVersion`.
    pub fn parse(header: &str) -> Result<Self, ApiError> {
        let parts: Vec<&str> = header.split('-').collect();
        if parts.len() < 2 {
            return Err(ApiError::bad_request(
                "InvalidClientVersion",
                format!(
                    "Invalid Convex-Client header {header:?}: expected <client>-<version>, e.g. npm-1.48.0"
                ),
            ));
        }
        for split in 1..parts.len() {
            if let Ok(version) = semver::Version::parse(&parts[split..].join("-")) {
                return Ok(Self {
                    kind: ClientKind::from_name(&parts[..split].join("-")),
                    version: Some(version),
                    raw: header.to_string(),
                });
            }
        }
        Ok(Self {
            kind: ClientKind::Unrecognized(header.to_string()),
            version: None,
            raw: header.to_string(),
        })
    }

    /// The header of a request, if present.
    pub fn from_headers(headers: &HeaderMap) -> Result<Option<Self>, ApiError> {
        let Some(value) = headers.get(CONVEX_CLIENT_HEADER) else {
            return Ok(None);
        };
        let text = value.to_str().map_err(|_| {
            ApiError::bad_request(
                "InvalidClientVersion",
                "The Convex-Client header is not valid ASCII text",
            )
        })?;
        Self::parse(text).map(Some)
    }

    pub fn kind(&self) -> &ClientKind {
        &self.kind
    }

    pub fn version(&self) -> Option<&semver::Version> {
        self.version.as_ref()
    }

    /// The header as sent.
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_clients() {
        let v = ClientVersion::parse("npm-1.48.0").expect("valid");
        assert_eq!(v.kind(), &ClientKind::Npm);
        assert_eq!(v.version(), Some(&semver::Version::new(1, 48, 0)));
        let v = ClientVersion::parse("npm-cli-1.48.0").expect("valid");
        assert_eq!(v.kind(), &ClientKind::NpmCli);
        let v = ClientVersion::parse("airbyte-export-0.2.0").expect("valid");
        assert_eq!(v.kind(), &ClientKind::AirbyteExport);
        let v = ClientVersion::parse("python-0.8.1").expect("valid");
        assert_eq!(v.kind(), &ClientKind::Python);
    }

    #[test]
    fn longest_semver_suffix_wins() {
        // "1.2.3-4-5" is a semver with pre-release "4-5".
        let v = ClientVersion::parse("a-b-c-1.2.3-4-5").expect("valid");
        assert_eq!(v.kind(), &ClientKind::Unrecognized("a-b-c".to_string()));
        assert_eq!(
            v.version().map(|v| v.to_string()),
            Some("1.2.3-4-5".to_string())
        );
        let v = ClientVersion::parse("npm-1.0.0-rc.1").expect("valid");
        assert_eq!(v.kind(), &ClientKind::Npm);
    }

    #[test]
    fn unrecognized_is_accepted() {
        let v = ClientVersion::parse("foo-bar").expect("valid");
        assert_eq!(v.version(), None);
        assert_eq!(v.as_str(), "foo-bar");
    }

    #[test]
    fn fewer_than_two_parts_is_invalid() {
        for header in ["npm", "", "npm1.0.0"] {
            let error = ClientVersion::parse(header).expect_err("invalid");
            assert_eq!(
                (error.status().as_u16(), error.code()),
                (400, "InvalidClientVersion")
            );
        }
    }
}
