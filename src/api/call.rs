//! `FunctionCall`: one fully validated request to run a function, as the
//! HTTP layer hands it to the `FunctionExecutor`, and the normalisation of
//! `args` into the positional array functions receive (§1.2).

use serde_json::Value as JsonValue;

use crate::api::auth::Identity;
use crate::api::client_version::ClientVersion;
use crate::api::format::OutputFormat;
use crate::api::function_path::CanonicalPath;
use crate::api::timestamp::Timestamp;
use crate::error::ApiError;
use crate::http::request_id::RequestId;
use udf_runtime::UdfType;

#[derive(Debug, Clone, PartialEq)]
pub struct FunctionCall {
    /// The type the route demands (`/api/query` → Query), or `None` for the
    /// routes that run any type (`/api/function`, `/api/run/…`). A mismatch
    /// with the deployed function is a 200 `status:"error"`, decided by the
    /// executor.
    pub udf_type: Option<UdfType>,
    pub path: CanonicalPath,
    /// `componentPath` of `/api/function`; `None` or `""` is the root app.
    pub component_path: Option<String>,
    /// Positional arguments, still in convex_encoded_json; normally one object.
    pub args: Vec<JsonValue>,
    /// Encoding of the result.
    pub format: OutputFormat,
    pub identity: Identity,
    pub request_id: RequestId,
    pub client: Option<ClientVersion>,
    /// `query_at_ts`: read at this timestamp instead of the latest one.
    pub at_ts: Option<Timestamp>,
}

impl FunctionCall {
    /// The positional arguments as JSON text, e.g. `[{"a":1}]`, the form the
    /// runtime's execute request takes.
    pub fn args_json(&self) -> String {
        JsonValue::Array(self.args.clone()).to_string()
    }
}

/// `args` as sent → positional arguments. An array is taken as-is, an object
/// becomes `[object]`, and a missing or `null` `args` means `[{}]`.
pub fn positional_args(args: Option<JsonValue>) -> Result<Vec<JsonValue>, ApiError> {
    match args {
        None | Some(JsonValue::Null) => Ok(vec![JsonValue::Object(Default::default())]),
        Some(JsonValue::Array(items)) => Ok(items),
        Some(object @ JsonValue::Object(_)) => Ok(vec![object]),
        Some(other) => Err(ApiError::bad_request(
            "BadArgs",
            format!(
                "`args` must be a JSON object (named arguments) or an array (positional arguments), not {}",
                json_kind(&other)
            ),
        )),
    }
}

fn json_kind(value: &JsonValue) -> &'static str {
    match value {
        JsonValue::Null => "null",
        JsonValue::Bool(_) => "a boolean",
        JsonValue::Number(_) => "a number",
        JsonValue::String(_) => "a string",
        JsonValue::Array(_) => "an array",
        JsonValue::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn args_shapes() {
        assert_eq!(positional_args(None).expect("ok"), vec![json!({})]);
        assert_eq!(
            positional_args(Some(json!(null))).expect("ok"),
            vec![json!({})]
        );
        assert_eq!(
            positional_args(Some(json!({"a": 1.0}))).expect("ok"),
            vec![json!({"a": 1.0})]
        );
        assert_eq!(
            positional_args(Some(json!([{"a": {"$integer": "AQAAAAAAAAA="}}]))).expect("ok"),
            vec![json!({"a": {"$integer": "AQAAAAAAAAA="}})]
        );
        assert_eq!(
            positional_args(Some(json!([]))).expect("ok"),
            Vec::<JsonValue>::new()
        );
        let error = positional_args(Some(json!("x"))).expect_err("string");
        assert_eq!((error.status().as_u16(), error.code()), (400, "BadArgs"));
        assert!(positional_args(Some(json!(3))).is_err());
    }
}
