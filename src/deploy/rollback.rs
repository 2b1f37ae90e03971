//! Push history and rollback: every finished push stays on disk, and an
//! admin can list them and make an earlier one serve again.
//!
//! A rollback is itself a push: the earlier record is copied under a new
//! id (with `restoredFrom` naming the original), so the history only ever
//! grows and `CURRENT` always names the newest install. It goes through
//! the same schema work as a deploy: documents are validated against the
//! restored schema, indexes it declares are backfilled, and only then does
//! it serve and are the indexes it does not declare dropped. A failure
//! leaves the current push serving.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde_json::{json, Value as JsonValue};
use udf_runtime::ModuleSet;

use super::body::decode;
use super::handlers::install;
use super::schema::{live_indexes, schema_indexes, IndexDiff, SchemaJob, SchemaState};
use crate::deployment::PushRecord;
use crate::error::ApiError;
use crate::state::AppState;

type JsonResult = Result<Json<JsonValue>, ApiError>;

fn summary(record: &PushRecord, active: Option<u64>) -> JsonValue {
    json!({
        "pushId": record.id,
        "pushedAt": record.import_unix_ms,
        "active": active == Some(record.id),
        "modules": record.modules.len(),
        "functions": record.functions.len(),
        "hasSchema": record.schema.is_some(),
        "restoredFrom": record.restored_from,
    })
}

/// `GET /api/basalt/push_history`: the stored pushes, newest first.
pub async fn push_history(State(state): State<AppState>, headers: HeaderMap) -> JsonResult {
    require_admin(&state, &headers)?;
    let deployment = state.deployment.clone();
    let active = deployment.active().map(|a| a.record.id);
    let pushes = tokio::task::spawn_blocking(move || -> Result<Vec<JsonValue>, String> {
        let mut out = Vec::new();
        for id in deployment
            .push_history()
            .map_err(|e| e.to_string())?
            .iter()
            .rev()
        {
            let record = deployment.load_push(*id).map_err(|e| e.to_string())?;
            out.push(summary(&record, active));
        }
        Ok(out)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    Ok(Json(json!({"activePushId": active, "pushes": pushes})))
}

/// `POST /api/basalt/rollback` with `{"pushId": n}`: serves push `n` again.
pub async fn rollback(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> JsonResult {
    require_admin(&state, &headers)?;
    let req = decode(&headers, &body)?;
    let target = req
        .get("pushId")
        .and_then(JsonValue::as_u64)
        .ok_or_else(|| {
            ApiError::bad_request(
                "BadRollbackRequest",
                "Expected {\"pushId\": <id of a stored push>}; GET /api/basalt/push_history lists them",
            )
        })?;
    let _installing = state.pushes.install.lock().await;
    let active = state.deployment.active().map(|a| a.record.id);
    if active == Some(target) {
        return Ok(Json(
            json!({"pushId": target, "restoredFrom": null, "changed": false}),
        ));
    }
    let stored = state
        .deployment
        .push_history()
        .map_err(ApiError::internal)?;
    if !stored.contains(&target) {
        return Err(ApiError::not_found(
            "PushNotFound",
            format!(
                "This deployment has no push {target}; GET /api/basalt/push_history lists them"
            ),
        ));
    }
    let mut record = state
        .deployment
        .load_push(target)
        .map_err(ApiError::internal)?;
    let modules = compile(&state, &record).await?;
    // Its auth providers as the current environment variables make them.
    record.auth_config =
        super::auth_config::evaluate(&state, modules.clone(), state.deployment.env()).await?;

    let diff = IndexDiff::between(
        &live_indexes(&state.deployment.db),
        &schema_indexes(record.schema.as_ref()),
    );
    let job = SchemaJob::start(
        state.deployment.db.clone(),
        record.schema.clone(),
        diff.added.clone(),
    );
    loop {
        let s = job.state.lock().clone();
        match s {
            SchemaState::InProgress { .. } => tokio::time::sleep(Duration::from_millis(20)).await,
            SchemaState::Complete => break,
            SchemaState::Failed { error, .. } => {
                return Err(ApiError::bad_request(
                    "SchemaValidationFailed",
                    format!("Push {target} cannot be restored: {error}"),
                ))
            }
        }
    }

    let stored_next = state
        .deployment
        .next_push_id()
        .map_err(ApiError::internal)?;
    record.id = state.pushes.allocate_id(stored_next);
    record.restored_from = Some(target);
    let id = record.id;
    install(&state, record, modules, job).await?;
    tracing::info!(push = id, restored_from = target, "rolled back");
    Ok(Json(json!({
        "pushId": id,
        "restoredFrom": target,
        "changed": true,
        "indexDiff": diff.to_json(),
    })))
}

/// These routes take the admin key as `Authorization: Convex <key>`.
fn require_admin(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    crate::api::auth::Identity::from_request(
        headers,
        &axum::http::Uri::from_static("/"),
        &state.admin_key,
    )?
    .require_admin(&state.config.instance_name)
}

/// Compiles a stored push's modules on a function worker.
async fn compile(
    state: &AppState,
    record: &PushRecord,
) -> Result<std::sync::Arc<ModuleSet>, ApiError> {
    let sources = record.module_sources();
    let phase = record.import_phase();
    state
        .deployment
        .workers
        .run(move |_| ModuleSet::compile_with(sources, phase).map_err(|e| e.to_string()))
        .await
        .map_err(|e| ApiError::overloaded("Overloaded", e.to_string()))?
        .map_err(|e| ApiError::internal(format!("stored push {} does not compile: {e}", record.id)))
}
