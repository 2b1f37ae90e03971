//! What an execution is asked to do ([`ExecuteRequest`]) and what it
//! produced ([`ExecuteOutcome`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value as JsonValue;

use crate::error::ExecuteError;
use crate::host::UdfType;

/// Warm: reuse a pooled context that already holds the modules (module
/// state may persist between calls). Strict: a fresh context per call, as
/// Convex does, except for modules exporting `experimental_reuseContext = true`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContextMode {
    Warm,
    Strict,
}

/// One function call.
#[derive(Clone, Debug)]
pub struct ExecuteRequest {
    pub udf_type: UdfType,
    /// `messages:list` or canonical `messages.js:list`.
    pub path: String,
    /// The positional arguments array as encoded-JSON text: `[{"a":1}]`.
    /// For an HTTP action (path `http.js`), the request instead:
    /// `{"url", "method", "headers": [[name, value]…], "body": base64|null}`;
    /// the result is then `{"status", "statusText", "headers", "body"}`.
    pub args_json: String,
    /// The caller's identity (`getUserIdentity()` result), if authenticated.
    pub identity: Option<JsonValue>,
    /// Deployment environment variables (`process.env`). Keep one `Arc` per
    /// version: contexts skip reinstalling an `Arc` they already have.
    pub env: Arc<BTreeMap<String, String>>,
    /// Seeds `Math.random` and `crypto.getRandomValues`.
    pub rng_seed: [u8; 32],
    /// `Date.now()` during a query or mutation (frozen); actions see real time.
    pub now_ms: f64,
    pub mode: ContextMode,
    /// Passed to actions (`invokeAction(requestId, …)`) and request metadata.
    pub request_id: String,
    /// Whether internal functions may be called (admin or nested callers).
    pub allow_internal: bool,
    /// `ctx.meta.getRequestMetadata()` (mutations and actions).
    pub request_metadata: Option<JsonValue>,
}

impl ExecuteRequest {
    /// A public call with empty env, zero seed and the current time.
    pub fn new(udf_type: UdfType, path: impl Into<String>, args_json: impl Into<String>) -> Self {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as f64)
            .unwrap_or(0.0);
        ExecuteRequest {
            udf_type,
            path: path.into(),
            args_json: args_json.into(),
            identity: None,
            env: Arc::new(BTreeMap::new()),
            rng_seed: [0; 32],
            now_ms,
            mode: ContextMode::Warm,
            request_id: String::new(),
            allow_internal: false,
            request_metadata: None,
        }
    }
}

/// The result of an execution and the log lines it wrote (nested calls'
/// lines included, in order).
#[derive(Clone, Debug, PartialEq)]
pub struct ExecuteOutcome {
    pub result: Result<JsonValue, ExecuteError>,
    pub log_lines: Vec<String>,
}
