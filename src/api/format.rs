//! The `format` request field: which JSON encoding function results use
//! (convex-protocol.md §1.2). Arguments are always read as convex_encoded_json.

use crate::api::client_version::{ClientKind, ClientVersion};
use crate::error::ApiError;

/// Output encoding of `value` and `errorData` in a `UdfResponse`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// `convex_encoded_json` (alias `convex_json`): lossless encoded JSON.
    ConvexEncodedJson,
    /// `json` (alias `convex_clean_json`): clean, lossy JSON.
    CleanJson,
    /// `export_json`: the export encoding.
    ExportJson,
}

impl OutputFormat {
    /// Parses a `format` value; anything unknown is 400 `BadFormat`.
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        match text {
            "convex_encoded_json" | "convex_json" => Ok(Self::ConvexEncodedJson),
            "json" | "convex_clean_json" => Ok(Self::CleanJson),
            "export_json" => Ok(Self::ExportJson),
            other => Err(ApiError::bad_request(
                "BadFormat",
                format!(
                    "Unknown format {other:?}; expected \"json\", \"convex_encoded_json\" or \"export_json\""
                ),
            )),
        }
    }

    /// The format used when a request names none: clean JSON, except for very
    /// old npm (≤ 1.4.1) and Python (≤ 0.5.0) clients, which get encoded JSON.
    pub fn default_for(client: Option<&ClientVersion>) -> Self {
        let Some(client) = client else {
            return Self::CleanJson;
        };
        let threshold = match client.kind() {
            ClientKind::Npm | ClientKind::NpmCli | ClientKind::Actions => {
                semver::Version::new(1, 4, 1)
            }
            ClientKind::Python => semver::Version::new(0, 5, 0),
            _ => return Self::CleanJson,
        };
        match client.version() {
            Some(version) if *version <= threshold => Self::ConvexEncodedJson,
            _ => Self::CleanJson,
        }
    }

    /// `format` when given, else the client-dependent default.
    pub fn from_request(
        format: Option<&str>,
        client: Option<&ClientVersion>,
    ) -> Result<Self, ApiError> {
        match format {
            Some(text) => Self::parse(text),
            None => Ok(Self::default_for(client)),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ConvexEncodedJson => "convex_encoded_json",
            Self::CleanJson => "json",
            Self::ExportJson => "export_json",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases() {
        assert_eq!(
            OutputFormat::parse("convex_encoded_json").ok(),
            Some(OutputFormat::ConvexEncodedJson)
        );
        assert_eq!(
            OutputFormat::parse("convex_json").ok(),
            Some(OutputFormat::ConvexEncodedJson)
        );
        assert_eq!(
            OutputFormat::parse("json").ok(),
            Some(OutputFormat::CleanJson)
        );
        assert_eq!(
            OutputFormat::parse("convex_clean_json").ok(),
            Some(OutputFormat::CleanJson)
        );
        assert_eq!(
            OutputFormat::parse("export_json").ok(),
            Some(OutputFormat::ExportJson)
        );
        let error = OutputFormat::parse("xml").expect_err("unknown");
        assert_eq!((error.status().as_u16(), error.code()), (400, "BadFormat"));
        assert!(OutputFormat::parse("JSON").is_err());
    }

    #[test]
    fn default_depends_on_the_client() {
        let client = |h: &str| ClientVersion::parse(h).expect("valid header");
        let default = |h: &str| OutputFormat::default_for(Some(&client(h)));
        assert_eq!(OutputFormat::default_for(None), OutputFormat::CleanJson);
        assert_eq!(default("npm-1.48.0"), OutputFormat::CleanJson);
        assert_eq!(default("npm-cli-1.48.0"), OutputFormat::CleanJson);
        assert_eq!(default("npm-1.4.1"), OutputFormat::ConvexEncodedJson);
        assert_eq!(default("npm-0.19.0"), OutputFormat::ConvexEncodedJson);
        assert_eq!(default("actions-1.0.0"), OutputFormat::ConvexEncodedJson);
        assert_eq!(default("python-0.8.1"), OutputFormat::CleanJson);
        assert_eq!(default("python-0.5.0"), OutputFormat::ConvexEncodedJson);
        assert_eq!(default("rust-0.0.1"), OutputFormat::CleanJson);
        assert_eq!(default("airbyte-export-0.2.0"), OutputFormat::CleanJson);
        assert_eq!(default("whatever-client"), OutputFormat::CleanJson);
    }
}
