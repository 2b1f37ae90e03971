//! Running an HTTP action: the request becomes the JSON the runtime's
//! `runRequest` takes, the HTTP router runs on a worker like an action
//! (`ctx.runQuery`/`runMutation`/`runAction` available), and its Response,
//! or its error, becomes the answer. Each run is recorded in the function
//! logs.

use std::time::Instant;

use base64::Engine as _;
use serde_json::{json, Value as JsonValue};
use udf_runtime::{ExecuteError, ExecuteRequest, UdfType};

use super::executor::RuntimeExecutor;
use super::logs::Execution;
use super::run::run_action;
use crate::api::http_action::{HttpActionRequest, HttpActionResponse};
use crate::error::ApiError;

/// The module whose default export is the HTTP router.
const ROUTER_MODULE: &str = "http.js";

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// The function's answer (`convexJsonFromResponse`) as a response.
fn response_from(value: &JsonValue) -> Result<HttpActionResponse, ApiError> {
    let bad = || ApiError::internal("the HTTP router answered something that is not a Response");
    let status = value["status"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .ok_or_else(bad)?;
    let headers = value["headers"]
        .as_array()
        .ok_or_else(bad)?
        .iter()
        .filter_map(|pair| Some((pair[0].as_str()?.to_string(), pair[1].as_str()?.to_string())))
        .collect();
    let body = match value["body"].as_str() {
        Some(text) => b64().decode(text).map_err(|_| bad())?,
        None => Vec::new(),
    };
    Ok(HttpActionResponse {
        status,
        headers,
        body,
    })
}

/// Convex's answer for an HTTP action that threw: 500 with
/// `{code: "[Request ID: …] Server Error: <message>", trace, data?}`.
fn error_response(request_id: &str, error: &udf_runtime::JsError) -> HttpActionResponse {
    let mut body = json!({
        "code": format!("[Request ID: {request_id}] Server Error: {}", error.message),
        "trace": error.to_string(),
    });
    if let Some(data) = &error.custom_data {
        body["data"] = data.clone();
    }
    HttpActionResponse {
        status: 500,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_string().into_bytes(),
    }
}

impl RuntimeExecutor {
    pub(super) async fn run_http(
        &self,
        request: HttpActionRequest,
    ) -> Result<HttpActionResponse, ApiError> {
        let active = self
            .deployment
            .active()
            .filter(|push| push.modules.contains(ROUTER_MODULE))
            .ok_or_else(|| {
                ApiError::not_found(
                    "NoHttpRouter",
                    "This deployment has no HTTP actions: export an httpRouter() from convex/http.ts and deploy",
                )
            })?;
        let spec = json!({
            "url": request.url(),
            "method": request.method,
            "headers": request.headers.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
            "body": request.body.as_ref().map(|b| b64().encode(b)),
        });
        let mut req = ExecuteRequest::new(UdfType::HttpAction, "http", spec.to_string());
        req.identity = Self::identity(&request.identity)?;
        req.env = self.deployment.env();
        rand::Rng::fill(&mut rand::thread_rng(), &mut req.rng_seed[..]);
        req.mode = self.context_mode;
        req.request_id = request.request_id.as_str().to_string();
        let started = Instant::now();
        let outcome = self
            .on_worker(active, move |runtime, target| {
                run_action(runtime, target, &req)
            })
            .await?;
        let (response, error) = match &outcome.result {
            Ok(value) => (response_from(value)?, None),
            Err(ExecuteError::Js(js)) => (
                error_response(request.request_id.as_str(), js),
                Some(js.to_string()),
            ),
            Err(ExecuteError::System(message)) => {
                tracing::error!(%message, url = %request.url(), "HTTP action failed with a system error");
                return Err(ApiError::internal(message.clone()));
            }
        };
        self.deployment.logs.record(Execution {
            identifier: format!("{} {}", request.method, request.path),
            udf_type: UdfType::HttpAction.as_str(),
            request_id: request.request_id.as_str().to_string(),
            log_lines: outcome.log_lines,
            error,
            execution_time: started.elapsed(),
            cached: false,
        });
        Ok(response)
    }
}
