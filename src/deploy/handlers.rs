//! The deploy route handlers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde_json::{json, Value as JsonValue};
use udf_runtime::ModuleSet;

use super::body::{admin_request, decode};
use super::response::{finish_push_diff, start_push_response};
use super::schema::{live_indexes, schema_indexes, IndexDiff, SchemaJob, SchemaState};
use super::PendingPush;
use crate::deployment::{PushRecord, StoredModule};
use crate::error::ApiError;
use crate::state::AppState;

type JsonResult = Result<Json<JsonValue>, ApiError>;

pub async fn get_config_hashes(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> JsonResult {
    admin_request(&state, &headers, &body)?;
    let active = state.deployment.active();
    let hashes: Vec<JsonValue> = active
        .as_ref()
        .map(|a| {
            a.record
                .modules
                .iter()
                .map(|m| json!({"path": m.path, "hash": m.hash(), "environment": m.environment}))
                .collect()
        })
        .unwrap_or_default();
    Ok(Json(json!({
        "config": {"functions": "convex/"},
        "moduleHashes": hashes,
        "udfServerVersion": active.as_ref().and_then(|a| a.record.udf_server_version.clone()),
        "nodeVersion": null,
    })))
}

fn bad_push(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("BadPushRequest", message)
}

fn module_config(v: &JsonValue) -> Result<StoredModule, ApiError> {
    serde_json::from_value::<StoredModule>(v.clone())
        .map_err(|e| bad_push(format!("Invalid module in push: {e}")))
}

/// Builds the push record from a `StartPushRequest`, reusing unchanged
/// modules of the active push by hash.
fn push_record(state: &AppState, req: &JsonValue, id: u64) -> Result<PushRecord, ApiError> {
    if req
        .get("componentDefinitions")
        .and_then(JsonValue::as_array)
        .is_some_and(|c| !c.is_empty())
    {
        return Err(bad_push(
            "Convex components are not supported by this server yet",
        ));
    }
    let app = req
        .get("appDefinition")
        .ok_or_else(|| bad_push("The push has no appDefinition"))?;
    let mut modules = Vec::new();
    for m in app
        .get("changedModules")
        .and_then(JsonValue::as_array)
        .into_iter()
        .flatten()
    {
        modules.push(module_config(m)?);
    }
    let active = state.deployment.active();
    for h in app
        .get("unchangedModuleHashes")
        .and_then(JsonValue::as_array)
        .into_iter()
        .flatten()
    {
        let path = h
            .get("path")
            .and_then(JsonValue::as_str)
            .unwrap_or_default();
        let sha = h
            .get("sha256")
            .and_then(JsonValue::as_str)
            .unwrap_or_default();
        let found = active
            .as_ref()
            .and_then(|a| a.record.modules.iter().find(|m| m.path == path && m.hash() == sha).cloned())
            .ok_or_else(|| bad_push(format!("Module {path} was reported unchanged but this deployment does not have it; push all modules")))?;
        modules.push(found);
    }
    let schema_module = match app.get("schema") {
        None | Some(JsonValue::Null) => None,
        Some(s) => {
            let mut m = module_config(s)?;
            m.path = "schema.js".to_string();
            Some(m)
        }
    };
    let mut seed = [0u8; 32];
    rand::Rng::fill(&mut rand::thread_rng(), &mut seed[..]);
    Ok(PushRecord {
        id,
        modules,
        schema_module,
        schema: None,
        udf_server_version: app
            .get("udfServerVersion")
            .and_then(JsonValue::as_str)
            .map(str::to_string),
        import_seed: seed,
        import_unix_ms: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as f64)
            .unwrap_or(0.0),
        auth_config: None,
        functions: Default::default(),
        restored_from: None,
    })
}

/// Compiles and analyses a push on a function worker.
async fn analyze(
    state: &AppState,
    record: &mut PushRecord,
) -> Result<(Arc<ModuleSet>, udf_runtime::Analysis), ApiError> {
    let sources = record.module_sources();
    let phase = record.import_phase();
    let env = state.deployment.env();
    let invalid = |e: &dyn std::fmt::Display| {
        ApiError::bad_request(
            "InvalidModules",
            format!("Hit an error while pushing:\n{e}"),
        )
    };
    let result = state
        .deployment
        .workers
        .run(move |runtime| {
            let modules = ModuleSet::compile_with(sources, phase).map_err(|e| invalid(&e))?;
            let analysis = runtime.analyze(&modules, &env).map_err(|e| {
                super::auth_config::missing_variable(&e).unwrap_or_else(|| invalid(&e))
            })?;
            Ok::<_, ApiError>((modules, analysis))
        })
        .await
        .map_err(|e| ApiError::overloaded("Overloaded", e.to_string()))?;
    let (modules, analysis) = result?;
    record.schema = analysis.schema.clone();
    record.auth_config = analysis.auth_config.clone();
    super::auth_config::check_providers(record.auth_config.as_ref())?;
    record.functions = analysis
        .modules
        .iter()
        .flat_map(|(path, m)| {
            m.functions.iter().map(move |f| {
                (
                    format!("{path}:{}", f.name),
                    f.udf_type.as_str().to_string(),
                )
            })
        })
        .collect();
    Ok((modules, analysis))
}

pub async fn evaluate_push(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> JsonResult {
    let req = admin_request(&state, &headers, &body)?;
    let mut record = push_record(&state, &req, 0)?;
    analyze(&state, &mut record).await?;
    let diff = IndexDiff::between(
        &live_indexes(&state.deployment.db),
        &schema_indexes(record.schema.as_ref()),
    );
    Ok(Json(json!({"schemaChange": {
        "allocatedComponentIds": {},
        "schemaIds": {},
        "indexDiffs": {"": diff.to_json()},
    }})))
}

/// Not implemented: a 404 makes the CLI skip its optional pre-push checks at
/// once and use `evaluate_push` (a 5xx would be retried).
pub async fn evaluate_schema() -> ApiError {
    ApiError::not_found(
        "NotFound",
        "POST /api/deploy2/evaluate_schema is not implemented by this server yet; use evaluate_push",
    )
}

pub async fn start_push(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> JsonResult {
    let req = admin_request(&state, &headers, &body)?;
    let dry_run = req
        .get("dryRun")
        .and_then(JsonValue::as_bool)
        .unwrap_or(false);
    let stored_next = state
        .deployment
        .next_push_id()
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let id = state.pushes.allocate_id(stored_next);
    let mut record = push_record(&state, &req, id)?;
    let (modules, analysis) = analyze(&state, &mut record).await?;
    let diff = IndexDiff::between(
        &live_indexes(&state.deployment.db),
        &schema_indexes(record.schema.as_ref()),
    );
    let response = start_push_response(&record, &analysis, &diff, &state.deployment.user_env());
    if !dry_run {
        let job = SchemaJob::start(
            state.deployment.db.clone(),
            record.schema.clone(),
            diff.added.clone(),
        );
        state.pushes.pending.lock().insert(
            id,
            Arc::new(PendingPush {
                record,
                modules,
                diff,
                job,
            }),
        );
    }
    Ok(Json(response))
}

fn push_id(v: &JsonValue) -> Result<u64, ApiError> {
    v.get("schemaIds")
        .and_then(|s| s.get(""))
        .and_then(JsonValue::as_str)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad_push("The request does not name a push started by start_push"))
}

fn pending(state: &AppState, id: u64) -> Result<Arc<PendingPush>, ApiError> {
    state
        .pushes
        .pending
        .lock()
        .get(&id)
        .cloned()
        .ok_or_else(|| {
            bad_push(format!(
                "Push {id} is unknown or already finished; run the deploy again"
            ))
        })
}

pub async fn wait_for_schema(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> JsonResult {
    let req = admin_request(&state, &headers, &body)?;
    let change = req
        .get("schemaChange")
        .ok_or_else(|| bad_push("Missing schemaChange"))?;
    let push = pending(&state, push_id(change)?)?;
    let timeout = req
        .get("timeoutMs")
        .and_then(JsonValue::as_u64)
        .unwrap_or(10_000)
        .min(60_000);
    let deadline = Instant::now() + Duration::from_millis(timeout);
    loop {
        let s = push.job.state.lock().clone();
        if s == SchemaState::Complete {
            // Writes since the validation snapshot can still fail the push.
            let (job, deployment) = (push.job.clone(), state.deployment.clone());
            let _ = tokio::task::spawn_blocking(move || job.catch_up(&deployment.db)).await;
            return Ok(Json(push.job.state.lock().to_json()));
        }
        if !matches!(s, SchemaState::InProgress { .. }) || Instant::now() >= deadline {
            return Ok(Json(s.to_json()));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub async fn finish_push(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> JsonResult {
    let req = admin_request(&state, &headers, &body)?;
    let start = req
        .get("startPush")
        .ok_or_else(|| bad_push("Missing startPush"))?;
    let change = start
        .get("schemaChange")
        .ok_or_else(|| bad_push("Missing startPush.schemaChange"))?;
    let id = push_id(change)?;
    let push = pending(&state, id)?;
    if req
        .get("dryRun")
        .and_then(JsonValue::as_bool)
        .unwrap_or(false)
    {
        return Ok(Json(finish_push_diff(
            None,
            &push.record,
            &IndexDiff::default(),
        )));
    }
    match push.job.state.lock().clone() {
        SchemaState::Complete => {}
        SchemaState::Failed { error, .. } => {
            return Err(ApiError::bad_request("SchemaValidationFailed", error))
        }
        SchemaState::InProgress { .. } => {
            return Err(bad_push(
                "The schema is still being applied; wait for wait_for_schema to report complete",
            ))
        }
    }
    let _installing = state.pushes.install.lock().await;
    let previous = install(
        &state,
        push.record.clone(),
        push.modules.clone(),
        push.job.clone(),
    )
    .await?;
    state.pushes.pending.lock().remove(&id);
    Ok(Json(finish_push_diff(
        previous.as_ref(),
        &push.record,
        &push.diff,
    )))
}

/// Catch-up passes run with writes flowing before the gate closes; the
/// last one, with the gate closed, then has little left to read.
const CATCH_UP_PASSES: usize = 16;

/// Makes `record` the serving push and drops the live indexes its schema
/// does not declare (computed now, so a push or rollback finished in the
/// meantime cannot leave a stale index behind). Returns the push it
/// replaced. The caller holds `PushSessions::install`.
///
/// Writes committed since `job` validated its snapshot are checked against
/// the new schema first; the last check and the switch happen with the
/// schema gate closed, so no write checked against the old schema commits
/// after the new one serves. A write that does not match fails the push
/// and leaves the previous one serving.
pub(super) async fn install(
    state: &AppState,
    record: PushRecord,
    modules: Arc<ModuleSet>,
    job: Arc<SchemaJob>,
) -> Result<Option<PushRecord>, ApiError> {
    let deployment = state.deployment.clone();
    tokio::task::spawn_blocking(move || {
        let failed = |(error, _): (String, Option<String>)| {
            ApiError::bad_request("SchemaValidationFailed", error)
        };
        let db = &deployment.db;
        for _ in 0..CATCH_UP_PASSES {
            if job.catch_up(db).map_err(failed)? {
                break;
            }
        }
        let gate = deployment.schema_gate.close();
        while !job.catch_up(db).map_err(failed)? {}
        let previous = deployment.active().map(|a| a.record.clone());
        let wanted = schema_indexes(record.schema.as_ref());
        deployment
            .activate(record, modules, &gate, job.validators())
            .map_err(|e| ApiError::internal(e.to_string()))?;
        drop(gate);
        for ix in IndexDiff::between(&live_indexes(db), &wanted).removed {
            let redefined = wanted
                .iter()
                .any(|w| w.table == ix.table && w.name == ix.name);
            if !redefined {
                if let Err(e) = db.drop_index(&ix.table, &ix.name) {
                    tracing::warn!(error = %e, index = %format!("{}.{}", ix.table, ix.name), "dropping a removed index failed");
                }
            }
        }
        Ok(previous)
    })
    .await
    .map_err(ApiError::internal)?
}

pub async fn report_push_completed(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> JsonResult {
    admin_request(&state, &headers, &body)?;
    Ok(Json(json!({})))
}

/// The deployment's URL, and its site URL: HTTP actions are served under
/// `/http` (`crate::api::http_action`).
pub async fn canonical_urls(State(state): State<AppState>) -> JsonResult {
    let url = crate::config::client_url(state.config.listen);
    Ok(Json(
        json!({"convexCloudUrl": url, "convexSiteUrl": format!("{url}/http")}),
    ))
}

pub async fn update_environment_variables(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> JsonResult {
    let identity = crate::api::auth::Identity::from_request(
        &headers,
        &axum::http::Uri::from_static("/"),
        &state.admin_key,
    )?;
    identity.require_admin(&state.config.instance_name)?;
    let req = decode(&headers, &body)?;
    let changes = req
        .get("changes")
        .and_then(JsonValue::as_array)
        .ok_or_else(|| {
            ApiError::bad_request(
                "BadRequest",
                "Expected {\"changes\": [{\"name\", \"value\"?}]}",
            )
        })?;
    let mut parsed = Vec::new();
    for c in changes {
        let name = c
            .get("name")
            .and_then(JsonValue::as_str)
            .filter(|n| {
                !n.is_empty()
                    && n.len() <= 40
                    && n.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
                    && !n.starts_with(|ch: char| ch.is_ascii_digit())
            })
            .ok_or_else(|| {
                ApiError::bad_request(
                    "InvalidEnvironmentVariableName",
                    format!("Invalid environment variable name in {c}"),
                )
            })?;
        let value = match c.get("value") {
            None | Some(JsonValue::Null) => None,
            Some(JsonValue::String(s)) => Some(s.clone()),
            Some(other) => {
                return Err(ApiError::bad_request(
                    "BadRequest",
                    format!("Environment variable values must be strings, not {other}"),
                ))
            }
        };
        parsed.push((name.to_string(), value));
    }
    // No push may become the serving one between the check and the change.
    let _installing = state.pushes.install.lock().await;
    let user_env = state.deployment.env_with(&parsed);
    let env = Arc::new(state.deployment.visible_with(&user_env));
    let active = state.deployment.active();
    let auth_config = match &active {
        Some(push) => {
            Some(super::auth_config::evaluate(&state, push.modules.clone(), env.clone()).await?)
        }
        None => None,
    };
    state
        .deployment
        .set_env(user_env)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    if let (Some(push), Some(config)) = (active, auth_config) {
        state
            .deployment
            .set_auth_config(push.record.id, config)
            .map_err(|e| ApiError::internal(e.to_string()))?;
    }
    Ok(Json(json!({})))
}
