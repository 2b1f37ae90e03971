//! The seam between the HTTP layer and whatever runs functions. Handlers
//! validate a request completely, then hand a `FunctionCall` to a
//! `FunctionExecutor`; the runtime-backed implementation replaces `NoRuntime`
//! in `AppState::functions`.

use std::future::Future;
use std::pin::Pin;

use crate::api::call::FunctionCall;
use crate::api::http_action::{HttpActionRequest, HttpActionResponse};
use crate::api::response::UdfResponse;
use crate::api::timestamp::Timestamp;
use crate::error::ApiError;

/// A boxed future, so that `FunctionExecutor` can be used as a trait object.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Runs functions. `Ok(UdfResponse)` covers both a returned value and the
/// function's own failure (HTTP 200 either way); `Err` is for failures of the
/// request itself (overload, OCC retries exhausted, bad timestamp, ...).
pub trait FunctionExecutor: Send + Sync + 'static {
    /// Runs one function: a query at the latest timestamp (or `call.at_ts`),
    /// a mutation in its own transaction, or an action.
    fn execute(&self, call: FunctionCall) -> BoxFuture<'_, Result<UdfResponse, ApiError>>;

    /// Runs queries at one common timestamp, answering in order.
    fn execute_batch(
        &self,
        calls: Vec<FunctionCall>,
    ) -> BoxFuture<'_, Result<Vec<UdfResponse>, ApiError>>;

    /// The latest timestamp a query can read at (`/api/query_ts`).
    fn latest_timestamp(&self) -> BoxFuture<'_, Result<Timestamp, ApiError>>;

    /// Runs the deployment's HTTP router on one request (`/http/...`).
    fn execute_http(
        &self,
        request: HttpActionRequest,
    ) -> BoxFuture<'_, Result<HttpActionResponse, ApiError>>;
}

/// The executor of a server without a function runtime: every call fails
/// with 501 `NotImplemented`, after the request was fully validated.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoRuntime;

fn no_runtime(what: String) -> ApiError {
    ApiError::not_implemented(format!(
        "{what}: this server cannot run functions yet (the function runtime is not part of this build)"
    ))
}

impl FunctionExecutor for NoRuntime {
    fn execute(&self, call: FunctionCall) -> BoxFuture<'_, Result<UdfResponse, ApiError>> {
        let kind = call.udf_type.map_or("function", |t| t.lowercase());
        let what = format!("Cannot run {kind} {}", call.path.stripped());
        Box::pin(async move { Err(no_runtime(what)) })
    }

    fn execute_batch(
        &self,
        calls: Vec<FunctionCall>,
    ) -> BoxFuture<'_, Result<Vec<UdfResponse>, ApiError>> {
        let what = format!("Cannot run a batch of {} queries", calls.len());
        Box::pin(async move { Err(no_runtime(what)) })
    }

    fn latest_timestamp(&self) -> BoxFuture<'_, Result<Timestamp, ApiError>> {
        Box::pin(async { Err(no_runtime("Cannot pick a read timestamp".to_string())) })
    }

    fn execute_http(
        &self,
        request: HttpActionRequest,
    ) -> BoxFuture<'_, Result<HttpActionResponse, ApiError>> {
        let what = format!("Cannot run the HTTP action for {}", request.url());
        Box::pin(async move { Err(no_runtime(what)) })
    }
}
