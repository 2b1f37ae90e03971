//! The arguments of an export request: the query string of a GET or the JSON
//! object body of a POST (convex-protocol.md §5.2), read into one map and
//! then taken field by field, each with a clear 400 when it is malformed.
//! As an extractor it first checks the admin key, which every export route
//! requires.

use axum::extract::{FromRequest, Request};
use axum::http::{Method, Uri};
use serde_json::{Map, Value as Json};
use storage::JsonFormat;

use crate::api::auth::require_admin_key;
use crate::api::format::OutputFormat;
use crate::error::ApiError;
use crate::http::body::{parse_json, read_body};
use crate::state::AppState;

pub struct ExportArgs {
    fields: Map<String, Json>,
}

impl FromRequest<AppState> for ExportArgs {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        require_admin_key(&parts.headers, &parts.uri, &state.admin_key)?;
        let bytes = read_body(&parts.headers, body, state.config.request_body_limit).await?;
        Self::from_request(&parts.method, &parts.uri, &bytes)
    }
}

impl ExportArgs {
    /// GET: the query string (every value a string); POST: the body, which
    /// must be a JSON object (an empty body counts as `{}`).
    pub fn from_request(method: &Method, uri: &Uri, body: &[u8]) -> Result<Self, ApiError> {
        let mut fields = Map::new();
        if uri.query().is_some() {
            let pairs =
                axum::extract::Query::<Vec<(String, String)>>::try_from_uri(uri).map_err(|_| {
                    ApiError::bad_request("BadQueryString", "The query string cannot be parsed")
                })?;
            for (k, v) in pairs.0 {
                fields.insert(k, Json::String(v));
            }
        }
        if *method == Method::POST && !body.iter().all(u8::is_ascii_whitespace) {
            let Json::Object(object) = parse_json::<Json>(body)? else {
                return Err(ApiError::bad_request(
                    "BadJsonBody",
                    "The request body must be a JSON object",
                ));
            };
            fields.extend(object);
        }
        Ok(Self { fields })
    }

    pub fn fields(&self) -> &Map<String, Json> {
        &self.fields
    }

    /// An integer argument given as a JSON number or a decimal string;
    /// absent, `null` and `""` are `None`.
    pub fn int(&self, key: &str, code: &'static str) -> Result<Option<i64>, ApiError> {
        let bad = || ApiError::bad_request(code, format!("`{key}` must be an integer"));
        match self.fields.get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) if s.is_empty() => Ok(None),
            Some(Json::String(s)) => s.trim().parse().map(Some).map_err(|_| bad()),
            Some(Json::Number(n)) => n.as_i64().map(Some).ok_or_else(bad),
            Some(_) => Err(bad()),
        }
    }

    /// A string argument; absent, `null` and `""` are `None`.
    pub fn string(&self, key: &str, code: &'static str) -> Result<Option<&str>, ApiError> {
        match self.fields.get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) if s.is_empty() => Ok(None),
            Some(Json::String(s)) => Ok(Some(s)),
            Some(_) => Err(ApiError::bad_request(
                code,
                format!("`{key}` must be a string"),
            )),
        }
    }

    /// A boolean argument (`true`/`false`, as JSON or text); absent is false.
    pub fn flag(&self, key: &str) -> Result<bool, ApiError> {
        match self.fields.get(key) {
            None | Some(Json::Null) => Ok(false),
            Some(Json::Bool(b)) => Ok(*b),
            Some(Json::String(s)) if s == "true" => Ok(true),
            Some(Json::String(s)) if s == "false" || s.is_empty() => Ok(false),
            Some(_) => Err(ApiError::bad_request(
                "BadQueryString",
                format!("`{key}` must be true or false"),
            )),
        }
    }

    /// `format`: the JSON encoding of exported values, clean JSON by default.
    pub fn format(&self) -> Result<JsonFormat, ApiError> {
        let format = match self.string("format", "BadFormat")? {
            None => OutputFormat::CleanJson,
            Some(text) => OutputFormat::parse(text)?,
        };
        Ok(match format {
            OutputFormat::ConvexEncodedJson => JsonFormat::Encoded,
            OutputFormat::CleanJson => JsonFormat::Clean,
            OutputFormat::ExportJson => JsonFormat::Export,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(query: &str) -> ExportArgs {
        let uri: Uri = format!("/api/list_snapshot?{query}").parse().expect("uri");
        ExportArgs::from_request(&Method::GET, &uri, b"").expect("args")
    }

    #[test]
    fn query_string_values() {
        let args = get("tableName=messages&format=json&cursor=%7B%22a%22%3A1%7D&snapshot=17");
        assert_eq!(
            args.string("tableName", "X").ok().flatten(),
            Some("messages")
        );
        assert_eq!(args.string("cursor", "X").ok().flatten(), Some("{\"a\":1}"));
        assert_eq!(args.int("snapshot", "X").ok().flatten(), Some(17));
        assert_eq!(args.format().ok(), Some(JsonFormat::Clean));
        assert_eq!(
            get("format=convex_json").format().ok(),
            Some(JsonFormat::Encoded)
        );
        assert!(get("snapshot=abc").int("snapshot", "X").is_err());
        assert!(get("format=xml").format().is_err());
        assert_eq!(get("deltaSchema=true").flag("deltaSchema").ok(), Some(true));
    }

    #[test]
    fn post_body() {
        let uri: Uri = "/api/document_deltas".parse().expect("uri");
        let args = ExportArgs::from_request(
            &Method::POST,
            &uri,
            br#"{"cursor": 12, "format": "convex_encoded_json", "selection": null}"#,
        )
        .expect("args");
        assert_eq!(args.int("cursor", "X").ok().flatten(), Some(12));
        assert!(ExportArgs::from_request(&Method::POST, &uri, b"[1]").is_err());
        assert!(ExportArgs::from_request(&Method::POST, &uri, b"  ").is_ok());
    }
}
