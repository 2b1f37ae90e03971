//! The runtime-backed `FunctionExecutor`: turns a validated `FunctionCall`
//! into an execution on a worker, against the active push, and the outcome
//! into Convex's `UdfResponse`.

use std::sync::Arc;
use std::time::Instant;

use serde_json::Value as JsonValue;
use udf_runtime::{ContextMode, ExecuteError, ExecuteOutcome, ExecuteRequest};

use super::document_validators::DocumentValidators;
use super::query_cache::{CacheKey, CachedResult};
use super::run::{
    commit_decision, execute_mutation, occ_message, retry_delay, run_action, run_query,
    run_query_recorded, CommitDecision, RunError, Target, OCC_MAX_RETRIES,
};
use crate::api::auth::Identity;
use crate::api::call::FunctionCall;
use crate::api::executor::{BoxFuture, FunctionExecutor};
use crate::api::format::OutputFormat;
use crate::api::http_action::{HttpActionRequest, HttpActionResponse};
use crate::api::response::UdfResponse;
use crate::api::timestamp::Timestamp;
use crate::deployment::{ActivePush, Deployment};
use crate::error::ApiError;
use crate::functions::logs::Execution;
use crate::functions::outbound::Outbound;
use crate::functions::workers::WorkerError;

pub struct RuntimeExecutor {
    pub deployment: Arc<Deployment>,
    /// `fetch()` for actions.
    pub outbound: Arc<Outbound>,
    /// The deployment's context mode (nested calls inherit it).
    pub context_mode: ContextMode,
}

/// Re-encodes an encoded-JSON value in the requested output format. Always
/// through `Value`: JavaScript's `JSON.stringify` writes `1` for the float
/// 1.0, and clients such as PyPI `convex` reject integers, so floats must go
/// out as `1.0`.
fn export(value: &JsonValue, format: OutputFormat) -> JsonValue {
    match storage::Value::from_encoded_json(value) {
        Ok(v) => match format {
            OutputFormat::ConvexEncodedJson => v.to_encoded_json(),
            OutputFormat::CleanJson => v.to_clean_json(),
            OutputFormat::ExportJson => v.to_export_json(),
        },
        Err(_) => value.clone(),
    }
}

fn worker_error(e: WorkerError) -> ApiError {
    ApiError::overloaded("Overloaded", e.to_string())
}

fn run_error(e: RunError) -> ApiError {
    match e {
        RunError::OccExhausted { table } => ApiError::occ_retries_exhausted(occ_message(&table)),
        RunError::BadTimestamp(e) => ApiError::bad_request("InvalidTimestamp", e.to_string()),
        RunError::Storage(e) => ApiError::internal(e.to_string()),
    }
}

impl RuntimeExecutor {
    fn response(
        &self,
        call: &FunctionCall,
        outcome: ExecuteOutcome,
    ) -> Result<UdfResponse, ApiError> {
        match outcome.result {
            Ok(value) => Ok(UdfResponse::Success {
                value: export(&value, call.format),
                log_lines: outcome.log_lines,
            }),
            Err(ExecuteError::Js(js)) => Ok(UdfResponse::Error {
                error_message: format!("[Request ID: {}] Server Error\n{js}", call.request_id),
                error_data: js.custom_data.as_ref().map(|d| export(d, call.format)),
                log_lines: outcome.log_lines,
            }),
            Err(ExecuteError::System(message)) => {
                tracing::error!(%message, path = %call.path.stripped(), "function failed with a system error");
                Err(ApiError::internal(message))
            }
        }
    }

    /// The identity a function sees, or an error for credentials we cannot accept.
    pub(super) fn identity(identity: &Identity) -> Result<Option<JsonValue>, ApiError> {
        match identity {
            Identity::Anonymous | Identity::Admin => Ok(None),
            Identity::ActingAsUser(attrs) => {
                let mut attrs = attrs.clone();
                if !attrs.contains_key("tokenIdentifier") {
                    let issuer = attrs
                        .get("issuer")
                        .and_then(JsonValue::as_str)
                        .unwrap_or("");
                    let subject = attrs
                        .get("subject")
                        .and_then(JsonValue::as_str)
                        .unwrap_or("");
                    attrs.insert(
                        "tokenIdentifier".into(),
                        JsonValue::String(format!("{issuer}|{subject}")),
                    );
                }
                Ok(Some(JsonValue::Object(attrs)))
            }
            Identity::User(attrs) => Ok(Some(JsonValue::Object(attrs.clone()))),
            Identity::UnverifiedUserToken(_) => Err(ApiError::unauthenticated(
                "Unauthenticated",
                "The user token was not verified before the call",
            )),
        }
    }

    fn request(
        &self,
        call: &FunctionCall,
        udf_type: udf_runtime::UdfType,
    ) -> Result<ExecuteRequest, ApiError> {
        let mut req = ExecuteRequest::new(
            udf_type,
            format!("{}:{}", call.path.module(), call.path.function()),
            call.args_json(),
        );
        req.identity = Self::identity(&call.identity)?;
        req.env = self.deployment.env();
        rand::Rng::fill(&mut rand::thread_rng(), &mut req.rng_seed[..]);
        req.mode = self.context_mode;
        req.request_id = call.request_id.as_str().to_string();
        req.allow_internal = call.identity.is_admin();
        Ok(req)
    }

    /// Runs `f` on a function worker against this deployment's database and
    /// the `active` push (its modules and schema).
    pub(super) async fn on_worker<T, F>(&self, active: Arc<ActivePush>, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&udf_runtime::Runtime, &Target<'_>) -> T + Send + 'static,
    {
        let db = self.deployment.db.clone();
        let outbound = self.outbound.clone();
        let gate = self.deployment.schema_gate.clone();
        self.deployment
            .workers
            .run(move |runtime| {
                let no_writes = DocumentValidators::default();
                let target = Target {
                    db: &db,
                    modules: &active.modules,
                    outbound: &outbound,
                    schema: &no_writes,
                    schema_gate: &gate,
                };
                f(runtime, &target)
            })
            .await
            .map_err(worker_error)
    }

    /// A mutation: JavaScript on a worker, which submits the commit; the
    /// commit is awaited here, so workers keep running functions while
    /// commits share a group fsync.
    async fn run_mutation(
        &self,
        active: Arc<ActivePush>,
        request: ExecuteRequest,
    ) -> Result<ExecuteOutcome, ApiError> {
        let request = Arc::new(request);
        let mut last_table = String::new();
        for attempt in 0..=OCC_MAX_RETRIES {
            if attempt > 0 {
                tokio::time::sleep(retry_delay(attempt)).await;
            }
            let req = request.clone();
            let run = self
                .on_worker(active.clone(), move |runtime, target| {
                    execute_mutation(runtime, target, &req)
                })
                .await?;
            let decision = match run.commit {
                None => CommitDecision::Done(run.outcome),
                Some(commit) => commit_decision(run.outcome, commit.await),
            };
            match decision {
                CommitDecision::Done(outcome) => return Ok(outcome),
                CommitDecision::Retry { table } => last_table = table.unwrap_or(last_table),
                CommitDecision::Failed(e) => return Err(run_error(e)),
            }
        }
        Err(run_error(RunError::OccExhausted { table: last_table }))
    }

    async fn run_one(&self, call: FunctionCall, ts: Option<u64>) -> Result<UdfResponse, ApiError> {
        let Some(active) = self.deployment.active() else {
            return Ok(UdfResponse::Error {
                error_message: format!(
                    "[Request ID: {}] Server Error\nCould not find public function for '{}'. Did you forget to run `npx convex dev` or `npx convex deploy`?\n",
                    call.request_id,
                    call.path.stripped()
                ),
                error_data: None,
                log_lines: Vec::new(),
            });
        };
        let udf_type = match call.udf_type {
            Some(t) => t,
            None => active
                .record
                .function_type(call.path.module(), call.path.function())
                .unwrap_or(udf_runtime::UdfType::Query),
        };
        let request = self.request(&call, udf_type)?;
        let started = Instant::now();
        match udf_type {
            udf_runtime::UdfType::Mutation => {
                let outcome = self.run_mutation(active.clone(), request).await?;
                self.finish(&call, udf_type, started, outcome, false)
            }
            udf_runtime::UdfType::Query
                if ts.is_none() && self.deployment.query_cache.enabled() =>
            {
                self.run_latest_query(&call, active, request, started).await
            }
            _ => {
                let outcome = self
                    .on_worker(active.clone(), move |runtime, target| match udf_type {
                        udf_runtime::UdfType::Action => Ok(run_action(runtime, target, &request)),
                        _ => run_query(runtime, target, &request, ts),
                    })
                    .await?
                    .map_err(run_error)?;
                self.finish(&call, udf_type, started, outcome, false)
            }
        }
    }

    /// A query at the latest timestamp: answered from the query cache when
    /// nothing it read has changed, otherwise run (and its result cached).
    async fn run_latest_query(
        &self,
        call: &FunctionCall,
        active: Arc<ActivePush>,
        request: ExecuteRequest,
        started: Instant,
    ) -> Result<UdfResponse, ApiError> {
        let cache = &self.deployment.query_cache;
        let key = CacheKey {
            push: active.record.id,
            path: request.path.clone(),
            args_json: request.args_json.clone(),
            identity: request.identity.as_ref().map(JsonValue::to_string),
            allow_internal: request.allow_internal,
        };
        if let Some(hit) = cache.get(&self.deployment.db, &key) {
            let outcome = ExecuteOutcome {
                result: Ok(hit.value),
                log_lines: hit.log_lines,
            };
            return self.finish(call, udf_runtime::UdfType::Query, started, outcome, true);
        }
        let generation = cache.generation();
        let run = self
            .on_worker(active, move |runtime, target| {
                run_query_recorded(runtime, target, &request, None)
            })
            .await?
            .map_err(run_error)?;
        if let Ok(value) = &run.outcome.result {
            let result = CachedResult {
                value: value.clone(),
                log_lines: run.outcome.log_lines.clone(),
            };
            cache.put(generation, key, run.ts, run.reads, result);
        }
        self.finish(
            call,
            udf_runtime::UdfType::Query,
            started,
            run.outcome,
            false,
        )
    }

    /// Records the execution in the deployment's function logs and builds
    /// the response.
    fn finish(
        &self,
        call: &FunctionCall,
        udf_type: udf_runtime::UdfType,
        started: Instant,
        outcome: ExecuteOutcome,
        cached: bool,
    ) -> Result<UdfResponse, ApiError> {
        let execution_time = started.elapsed();
        let response = self.response(call, outcome)?;
        let (log_lines, error) = match &response {
            UdfResponse::Success { log_lines, .. } => (log_lines.clone(), None),
            UdfResponse::Error {
                log_lines,
                error_message,
                ..
            } => {
                // The log shows the error itself, without the request prefix.
                let error = error_message
                    .split_once("Server Error\n")
                    .map_or(error_message.as_str(), |(_, e)| e);
                (log_lines.clone(), Some(error.to_string()))
            }
        };
        self.deployment.logs.record(Execution {
            identifier: call.path.stripped(),
            udf_type: udf_type.as_str(),
            request_id: call.request_id.as_str().to_string(),
            log_lines,
            error,
            execution_time,
            cached,
        });
        Ok(response)
    }
}

impl FunctionExecutor for RuntimeExecutor {
    fn execute(&self, call: FunctionCall) -> BoxFuture<'_, Result<UdfResponse, ApiError>> {
        Box::pin(async move {
            let ts = call.at_ts.map(|t| t.0);
            self.run_one(call, ts).await
        })
    }

    fn execute_batch(
        &self,
        calls: Vec<FunctionCall>,
    ) -> BoxFuture<'_, Result<Vec<UdfResponse>, ApiError>> {
        Box::pin(async move {
            let ts = self.deployment.db.repeatable_ts();
            let mut out = Vec::with_capacity(calls.len());
            for call in calls {
                out.push(self.run_one(call, Some(ts)).await?);
            }
            Ok(out)
        })
    }

    fn latest_timestamp(&self) -> BoxFuture<'_, Result<Timestamp, ApiError>> {
        Box::pin(async move { Ok(Timestamp(self.deployment.db.repeatable_ts())) })
    }

    fn execute_http(
        &self,
        request: HttpActionRequest,
    ) -> BoxFuture<'_, Result<HttpActionResponse, ApiError>> {
        Box::pin(self.run_http(request))
    }
}

/// The executor for `deployment`; actions fetch through `outbound`.
pub fn executor(
    deployment: Arc<Deployment>,
    outbound: Outbound,
    context_mode: ContextMode,
) -> Arc<dyn FunctionExecutor> {
    Arc::new(RuntimeExecutor {
        deployment,
        outbound: Arc::new(outbound),
        context_mode,
    })
}
