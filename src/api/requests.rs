//! The request bodies and query strings of the functions API as clients send
//! them, and their validation into `FunctionCall`s (path, format, args).

use serde::Deserialize;
use serde_json::Value as JsonValue;

use crate::api::call::{positional_args, FunctionCall};
use crate::api::context::CallContext;
use crate::api::format::OutputFormat;
use crate::api::function_path::CanonicalPath;
use crate::api::timestamp::Timestamp;
use crate::error::ApiError;
use udf_runtime::UdfType;

/// `{path, args, format?, componentPath?}` of `/api/query`, `/api/mutation`,
/// `/api/action`, `/api/function` and each entry of `/api/query_batch`.
/// Unknown fields are ignored.
#[derive(Debug, Deserialize)]
pub struct FunctionRequest {
    pub path: String,
    #[serde(default)]
    pub args: Option<JsonValue>,
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default, rename = "componentPath")]
    pub component_path: Option<String>,
}

/// `/api/query_at_ts`: a query plus the `ts` string from `/api/query_ts`.
#[derive(Debug, Deserialize)]
pub struct QueryAtTsRequest {
    pub path: String,
    #[serde(default)]
    pub args: Option<JsonValue>,
    #[serde(default)]
    pub format: Option<String>,
    pub ts: String,
}

/// `/api/query_batch`: `{queries: [{path, args, format?}, …]}`.
#[derive(Debug, Deserialize)]
pub struct QueryBatchRequest {
    pub queries: Vec<FunctionRequest>,
}

/// `/api/run/<module>/<function>`: `{args, format?}`.
#[derive(Debug, Deserialize)]
pub struct RunRequest {
    #[serde(default)]
    pub args: Option<JsonValue>,
    #[serde(default)]
    pub format: Option<String>,
}

/// `GET /api/query?path=…&args=<JSON text>&format=…`.
#[derive(Debug, Deserialize)]
pub struct QueryStringRequest {
    pub path: String,
    #[serde(default)]
    pub args: Option<String>,
    #[serde(default)]
    pub format: Option<String>,
}

/// Everything a call is built from, whatever route it came through.
pub struct CallRequest<'a> {
    pub udf_type: Option<UdfType>,
    pub path: &'a str,
    pub args: Option<JsonValue>,
    pub format: Option<&'a str>,
    /// Used when `format` is absent instead of the `Convex-Client` default
    /// (`/api/run` always defaults to clean JSON).
    pub default_format: Option<OutputFormat>,
    pub component_path: Option<String>,
    pub at_ts: Option<Timestamp>,
}

impl CallRequest<'_> {
    /// Validates path, format and args, in that order.
    pub fn into_call(self, context: &CallContext) -> Result<FunctionCall, ApiError> {
        let path = CanonicalPath::parse(self.path)?;
        let format = match (self.format, self.default_format) {
            (Some(text), _) => OutputFormat::parse(text)?,
            (None, Some(default)) => default,
            (None, None) => OutputFormat::default_for(context.client.as_ref()),
        };
        let args = positional_args(self.args)?;
        Ok(FunctionCall {
            udf_type: self.udf_type,
            path,
            component_path: self.component_path,
            args,
            format,
            identity: context.identity.clone(),
            request_id: context.request_id.clone(),
            client: context.client.clone(),
            at_ts: self.at_ts,
        })
    }
}

impl FunctionRequest {
    pub fn into_call(
        self,
        udf_type: Option<UdfType>,
        context: &CallContext,
    ) -> Result<FunctionCall, ApiError> {
        CallRequest {
            udf_type,
            path: &self.path,
            args: self.args,
            format: self.format.as_deref(),
            default_format: None,
            component_path: self.component_path,
            at_ts: None,
        }
        .into_call(context)
    }
}

impl QueryAtTsRequest {
    pub fn into_call(self, context: &CallContext) -> Result<FunctionCall, ApiError> {
        let at_ts = Timestamp::decode(&self.ts)?;
        CallRequest {
            udf_type: Some(UdfType::Query),
            path: &self.path,
            args: self.args,
            format: self.format.as_deref(),
            default_format: None,
            component_path: None,
            at_ts: Some(at_ts),
        }
        .into_call(context)
    }
}

impl QueryStringRequest {
    pub fn into_call(self, context: &CallContext) -> Result<FunctionCall, ApiError> {
        let args = match self.args.as_deref() {
            None => None,
            Some(text) => Some(serde_json::from_str::<JsonValue>(text).map_err(|e| {
                ApiError::bad_request(
                    "BadArgs",
                    format!("The `args` query parameter is not JSON text: {e}"),
                )
            })?),
        };
        CallRequest {
            udf_type: Some(UdfType::Query),
            path: &self.path,
            args,
            format: self.format.as_deref(),
            default_format: None,
            component_path: None,
            at_ts: None,
        }
        .into_call(context)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::auth::Identity;
    use crate::api::client_version::ClientVersion;
    use crate::http::request_id::RequestId;
    use serde_json::json;

    fn context(client: Option<&str>) -> CallContext {
        CallContext {
            request_id: RequestId::generate(),
            client: client.map(|c| ClientVersion::parse(c).expect("valid")),
            identity: Identity::Anonymous,
        }
    }

    fn request(body: JsonValue) -> FunctionRequest {
        serde_json::from_value(body).expect("valid request")
    }

    #[test]
    fn http_client_body() {
        let call = request(json!({"path": "messages:list", "format": "convex_encoded_json", "args": [{"channel": "general"}]}))
            .into_call(Some(UdfType::Query), &context(Some("npm-1.48.0")))
            .expect("valid");
        assert_eq!(call.path.to_string(), "messages.js:list");
        assert_eq!(call.args, vec![json!({"channel": "general"})]);
        assert_eq!(call.format, OutputFormat::ConvexEncodedJson);
        assert_eq!(call.udf_type, Some(UdfType::Query));
    }

    #[test]
    fn object_args_and_default_format() {
        let call = request(json!({"path": "messages:send", "args": {"body": "hi"}, "extra": true}))
            .into_call(Some(UdfType::Mutation), &context(Some("python-0.8.1")))
            .expect("valid");
        assert_eq!(call.args, vec![json!({"body": "hi"})]);
        assert_eq!(call.format, OutputFormat::CleanJson);
        let call = request(json!({"path": "messages:send", "args": {}}))
            .into_call(None, &context(Some("npm-1.0.0")))
            .expect("valid");
        assert_eq!(call.format, OutputFormat::ConvexEncodedJson);
    }

    #[test]
    fn validation_order_path_then_format_then_args() {
        let error = request(json!({"path": "a.ts:b", "format": "xml", "args": 1}))
            .into_call(None, &context(None))
            .expect_err("bad path");
        assert_eq!(error.code(), "BadConvexFunctionIdentifier");
        let error = request(json!({"path": "a:b", "format": "xml", "args": 1}))
            .into_call(None, &context(None))
            .expect_err("bad format");
        assert_eq!(error.code(), "BadFormat");
        let error = request(json!({"path": "a:b", "args": 1}))
            .into_call(None, &context(None))
            .expect_err("bad args");
        assert_eq!(error.code(), "BadArgs");
    }

    #[test]
    fn query_at_ts() {
        let body: QueryAtTsRequest = serde_json::from_value(
            json!({"path": "m:q", "args": [{}], "ts": Timestamp(42).encode()}),
        )
        .expect("valid");
        let call = body.into_call(&context(None)).expect("valid");
        assert_eq!(call.at_ts, Some(Timestamp(42)));
        let body: QueryAtTsRequest =
            serde_json::from_value(json!({"path": "m:q", "ts": "xx"})).expect("valid");
        assert_eq!(
            body.into_call(&context(None)).expect_err("bad ts").code(),
            "InvalidTimestamp"
        );
    }

    #[test]
    fn query_string() {
        let q = QueryStringRequest {
            path: "m:q".into(),
            args: Some(r#"{"n":1}"#.into()),
            format: None,
        };
        assert_eq!(
            q.into_call(&context(None)).expect("valid").args,
            vec![json!({"n": 1})]
        );
        let q = QueryStringRequest {
            path: "m:q".into(),
            args: Some("{".into()),
            format: None,
        };
        assert_eq!(
            q.into_call(&context(None)).expect_err("bad").code(),
            "BadArgs"
        );
    }
}
