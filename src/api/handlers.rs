//! Handlers of the functions API routes (convex-protocol.md §1.1). Each one
//! validates the whole request into `FunctionCall`s, then waits for a free
//! function slot and hands the calls to `AppState::functions`.

use std::time::Duration;

use axum::extract::State;
use axum::http::Uri;
use axum::Json;
use serde_json::json;

use crate::api::call::FunctionCall;
use crate::api::context::CallContext;
use crate::api::format::OutputFormat;
use crate::api::function_path::path_from_run_segments;
use crate::api::requests::{
    CallRequest, FunctionRequest, QueryAtTsRequest, QueryBatchRequest, QueryStringRequest,
    RunRequest,
};
use crate::api::response::UdfResponse;
use crate::error::ApiError;
use crate::http::body::{JsonBody, QueryParams};
use crate::http::trace::record_function;
use crate::state::AppState;
use udf_runtime::UdfType;

/// How long a call waits for a free slot before 503 `Overloaded`.
const SLOT_WAIT: Duration = Duration::from_secs(30);

type UdfResult = Result<Json<UdfResponse>, ApiError>;

/// `POST /api/query`
pub async fn post_query(
    State(state): State<AppState>,
    context: CallContext,
    JsonBody(body): JsonBody<FunctionRequest>,
) -> UdfResult {
    run(&state, body.into_call(Some(UdfType::Query), &context)?).await
}

/// `GET /api/query?path=…&args=…&format=…`
pub async fn get_query(
    State(state): State<AppState>,
    context: CallContext,
    QueryParams(query): QueryParams<QueryStringRequest>,
) -> UdfResult {
    run(&state, query.into_call(&context)?).await
}

/// `POST /api/mutation`
pub async fn post_mutation(
    State(state): State<AppState>,
    context: CallContext,
    JsonBody(body): JsonBody<FunctionRequest>,
) -> UdfResult {
    run(&state, body.into_call(Some(UdfType::Mutation), &context)?).await
}

/// `POST /api/action`
pub async fn post_action(
    State(state): State<AppState>,
    context: CallContext,
    JsonBody(body): JsonBody<FunctionRequest>,
) -> UdfResult {
    run(&state, body.into_call(Some(UdfType::Action), &context)?).await
}

/// `POST /api/function`: any function type, admin key required.
pub async fn post_function(
    State(state): State<AppState>,
    context: CallContext,
    JsonBody(body): JsonBody<FunctionRequest>,
) -> UdfResult {
    context
        .identity
        .require_admin(&state.config.instance_name)?;
    run(&state, body.into_call(None, &context)?).await
}

/// `POST /api/run/<module path>/<function name>`: any function type of the
/// root component; the result defaults to clean JSON.
pub async fn post_run(
    State(state): State<AppState>,
    uri: Uri,
    context: CallContext,
    JsonBody(body): JsonBody<RunRequest>,
) -> UdfResult {
    let path = path_from_run_segments(&run_segments(&uri)?)?;
    let call = CallRequest {
        udf_type: None,
        path: &path,
        args: body.args,
        format: body.format.as_deref(),
        default_format: Some(OutputFormat::CleanJson),
        component_path: None,
        at_ts: None,
    }
    .into_call(&context)?;
    run(&state, call).await
}

/// The percent-decoded `/`-separated segments after `/api/run/`.
fn run_segments(uri: &Uri) -> Result<Vec<String>, ApiError> {
    let rest = uri.path().strip_prefix("/api/run/").unwrap_or("");
    rest.split('/')
        .filter(|segment| !segment.is_empty())
        .map(|segment| {
            percent_encoding::percent_decode_str(segment)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| {
                    ApiError::bad_request(
                        "BadConvexFunctionIdentifier",
                        format!("The path segment {segment:?} is not valid percent-encoded UTF-8"),
                    )
                })
        })
        .collect()
}

/// `POST /api/query_ts` → `{"ts": "<base64 u64 LE>"}`
pub async fn post_query_ts(
    State(state): State<AppState>,
    _context: CallContext,
) -> Result<Json<serde_json::Value>, ApiError> {
    let ts = state.functions.latest_timestamp().await?;
    Ok(Json(json!({ "ts": ts.encode() })))
}

/// `POST /api/query_at_ts`
pub async fn post_query_at_ts(
    State(state): State<AppState>,
    context: CallContext,
    JsonBody(body): JsonBody<QueryAtTsRequest>,
) -> UdfResult {
    run(&state, body.into_call(&context)?).await
}

/// `POST /api/query_batch` → `{"results": [UdfResponse, …]}`, all read at
/// one timestamp.
pub async fn post_query_batch(
    State(state): State<AppState>,
    context: CallContext,
    JsonBody(body): JsonBody<QueryBatchRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let calls = body
        .queries
        .into_iter()
        .enumerate()
        .map(|(index, query)| {
            query
                .into_call(Some(UdfType::Query), &context)
                .map_err(|error| prefix_batch_error(index, error))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let _slot = acquire_slot(&state).await?;
    let results = state.functions.execute_batch(calls).await?;
    let results = serde_json::to_value(results).map_err(ApiError::internal)?;
    Ok(Json(json!({ "results": results })))
}

fn prefix_batch_error(index: usize, error: ApiError) -> ApiError {
    match error {
        ApiError::BadRequest { code, message } => ApiError::BadRequest {
            code,
            message: format!("queries[{index}]: {message}"),
        },
        other => other,
    }
}

async fn run(state: &AppState, call: FunctionCall) -> UdfResult {
    record_function(&call.path.stripped());
    let _slot = acquire_slot(state).await?;
    state.functions.execute(call).await.map(Json)
}

pub(crate) async fn acquire_slot(
    state: &AppState,
) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
    match tokio::time::timeout(SLOT_WAIT, state.function_slots.clone().acquire_owned()).await {
        Ok(Ok(permit)) => Ok(permit),
        Ok(Err(closed)) => Err(ApiError::internal(closed)),
        Err(_) => Err(ApiError::overloaded(
            "Overloaded",
            format!(
                "All {} function slots stayed busy for {} s; try again later",
                state.config.max_concurrent_functions,
                SLOT_WAIT.as_secs()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_segments_are_percent_decoded() {
        let uri: Uri = "/api/run/dir%5Fa/list".parse().expect("uri");
        assert_eq!(run_segments(&uri).expect("ok"), vec!["dir_a", "list"]);
        let uri: Uri = "/api/run/%FF/list".parse().expect("uri");
        assert!(run_segments(&uri).is_err());
    }
}
