//! What a function call answers with HTTP 200 (convex-protocol.md §1.5):
//! `{"status":"success","value":…}` or `{"status":"error","errorMessage":…}`,
//! `logLines` left out when empty and `errorData` only for a `ConvexError`.

use serde::Serialize;
use serde_json::Value as JsonValue;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum UdfResponse {
    Success {
        /// The return value, already encoded in the requested `format`.
        value: JsonValue,
        #[serde(rename = "logLines", skip_serializing_if = "Vec::is_empty")]
        log_lines: Vec<String>,
    },
    Error {
        /// `[Request ID: …] Server Error` plus the error text (§1.6).
        #[serde(rename = "errorMessage")]
        error_message: String,
        /// The data of a thrown `ConvexError`, in the requested `format`.
        #[serde(rename = "errorData", skip_serializing_if = "Option::is_none")]
        error_data: Option<JsonValue>,
        #[serde(rename = "logLines", skip_serializing_if = "Vec::is_empty")]
        log_lines: Vec<String>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn to_json(response: &UdfResponse) -> JsonValue {
        serde_json::to_value(response).expect("serializes")
    }

    #[test]
    fn success_omits_empty_log_lines() {
        let response = UdfResponse::Success {
            value: json!(1.0),
            log_lines: vec![],
        };
        assert_eq!(
            to_json(&response),
            json!({"status": "success", "value": 1.0})
        );
        // A float keeps its decimal point (Python clients reject `1`).
        assert_eq!(
            serde_json::to_string(&response).expect("serializes"),
            r#"{"status":"success","value":1.0}"#
        );
        let response = UdfResponse::Success {
            value: json!(null),
            log_lines: vec!["[LOG] 'hi'".to_string()],
        };
        assert_eq!(
            to_json(&response),
            json!({"status": "success", "value": null, "logLines": ["[LOG] 'hi'"]})
        );
    }

    #[test]
    fn error_data_only_when_present() {
        let response = UdfResponse::Error {
            error_message: "[Request ID: abc] Server Error\nUncaught Error: boom\n".to_string(),
            error_data: None,
            log_lines: vec![],
        };
        assert_eq!(
            to_json(&response),
            json!({"status": "error", "errorMessage": "[Request ID: abc] Server Error\nUncaught Error: boom\n"})
        );
        let response = UdfResponse::Error {
            error_message: "x".to_string(),
            error_data: Some(json!({"code": "taken"})),
            log_lines: vec!["[WARN] 'w'".to_string()],
        };
        assert_eq!(
            to_json(&response),
            json!({"status": "error", "errorMessage": "x", "errorData": {"code": "taken"}, "logLines": ["[WARN] 'w'"]})
        );
    }
}
