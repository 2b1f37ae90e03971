//! The Convex syscall ABI (`convex-protocol.md` §3.4): parses each op's JSON
//! arguments, checks the op is allowed in the running function's
//! environment, and answers it from the [`Host`] or from the execution's own
//! metadata. Results are JSON text, as `Convex.syscall` returns them.

mod args;
pub(crate) mod fetch;

use base64::Engine as _;
use serde_json::{json, Value as JsonValue};

use crate::host::{Host, HostError, NestedCall, PageRequest, UdfType};
use crate::state::{ExecInfo, LogBuffer, Phase};
use args::Args;

/// Whether an async op may be answered while JavaScript is on the stack (it
/// never re-enters the runtime) or must wait for the driver.
pub(crate) fn answer_immediately(op: &str) -> bool {
    !matches!(
        op,
        "1.0/runUdf"
            | "1.0/actions/query"
            | "1.0/actions/mutation"
            | "1.0/actions/action"
            | fetch::OP
    )
}

fn unknown_sync(op: &str) -> HostError {
    HostError::user(format!("Unknown operation {op}"))
}

fn unknown_async(op: &str) -> HostError {
    HostError::user(format!("Unknown async operation {op}"))
}

fn to_text(value: &JsonValue) -> String {
    value.to_string()
}

fn is_udf(info: &ExecInfo) -> bool {
    matches!(info.udf_type, UdfType::Query | UdfType::Mutation)
}

pub(crate) fn check_phase(info: &ExecInfo, op: &str) -> Result<(), HostError> {
    if info.phase == Phase::Import {
        return Err(HostError::user(format!(
            "Can't use {op} at import time: Convex functions may only use the database, auth \
             and storage while they run"
        )));
    }
    Ok(())
}

/// Answers a synchronous syscall (`Convex.syscall`).
pub(crate) fn sync_syscall(
    info: &ExecInfo,
    host: &mut dyn Host,
    op: &str,
    args: &str,
) -> Result<String, HostError> {
    if !is_udf(info) {
        return Err(unknown_sync(op));
    }
    check_phase(info, op)?;
    let mut a = Args::parse(op, args)?;
    match op {
        "1.0/db/normalizeId" => {
            let table = a.string("table")?;
            let id = a.string("idString")?;
            let normalized = host.normalize_id(&table, &id)?;
            Ok(to_text(&json!({ "id": normalized })))
        }
        "1.0/queryStream" => {
            let query = a.value("query")?;
            let query_id = host.query_start(query)?;
            Ok(to_text(&json!({ "queryId": query_id })))
        }
        "1.0/queryCleanup" => {
            let query_id = a.u32("queryId")?;
            Ok(to_text(&json!(host.query_cleanup(query_id)?)))
        }
        "1.0/getSnapshotTs" => {
            let ts = host.snapshot_ts()?;
            let encoded = base64::engine::general_purpose::STANDARD.encode(ts.to_le_bytes());
            Ok(to_text(&json!({ "$integer": encoded })))
        }
        _ => Err(unknown_sync(op)),
    }
}

/// Answers an asynchronous syscall (`Convex.asyncSyscall`). Nested calls'
/// log lines are appended to `logs`.
pub(crate) fn async_syscall(
    info: &mut ExecInfo,
    logs: &mut LogBuffer,
    host: &mut dyn Host,
    op: &str,
    args: &str,
) -> Result<String, HostError> {
    check_phase(info, op)?;
    let udf_type = info.udf_type;
    let is_action = matches!(udf_type, UdfType::Action | UdfType::HttpAction);
    let is_mutation = udf_type == UdfType::Mutation;
    let mut a = Args::parse(op, args)?;
    let result = match op {
        // --- auth and metadata (any environment) ---
        "1.0/getUserIdentity" => info.identity.clone().unwrap_or(JsonValue::Null),
        "1.0/getFunctionMetadata" => json!({ "name": info.function_name, "componentPath": "" }),
        "1.0/getDeploymentMetadata" => info.deployment_metadata.clone(),
        "1.0/getRequestMetadata" if udf_type != UdfType::Query => {
            info.request_metadata.clone().unwrap_or_else(|| {
                json!({
                    "ip": null, "userAgent": null, "requestId": info.request_id,
                    "scheduledFunctionId": null, "authToken": null,
                })
            })
        }
        "1.0/signJwt" | "1.0/createServiceToken" | "1.0/getServiceUrl" => {
            return Err(HostError::user(format!(
                "{op} is not supported by self-hosted deployments"
            )))
        }
        "1.0/createFunctionHandle" => {
            let address = a.address()?;
            json!(host.create_function_handle(&address)?)
        }
        // --- database (queries and mutations) ---
        "1.0/get" if !is_action => {
            let id = a.string("id")?;
            let table = a.opt_string("table")?;
            let is_system = a.bool("isSystem")?;
            host.get(&id, table.as_deref(), is_system)?
                .unwrap_or(JsonValue::Null)
        }
        "1.0/queryStreamNext" if !is_action => {
            let query_id = a.u32("queryId")?;
            match host.query_next(query_id)? {
                Some(doc) => json!({ "value": doc, "done": false }),
                None => json!({ "value": null, "done": true }),
            }
        }
        "1.0/queryPage" if !is_action => {
            if info.paginated {
                return Err(HostError::user(
                    "This query or mutation function ran multiple paginated queries. Convex \
                     only supports a single paginated query in each function.",
                ));
            }
            info.paginated = true;
            let request = PageRequest {
                query: a.value("query")?,
                cursor: a.opt_string("cursor")?,
                end_cursor: a.opt_string("endCursor")?,
                page_size: a.opt_usize("pageSize")?.unwrap_or(0),
                maximum_rows_read: a.opt_usize("maximumRowsRead")?,
                maximum_bytes_read: a.opt_usize("maximumBytesRead")?,
            };
            host.query_page(request)?
        }
        "1.0/count" if !is_action => json!(host.count(&a.string("table")?)?),
        "1.0/getTransactionMetrics" if !is_action => host.transaction_metrics()?,
        "1.0/insert" if is_mutation => {
            let table = a.string("table")?;
            let value = a.value("value")?;
            json!({ "_id": host.insert(&table, value)? })
        }
        "1.0/shallowMerge" if is_mutation => {
            let id = a.string("id")?;
            let table = a.opt_string("table")?;
            host.patch(&id, table.as_deref(), a.value("value")?)?
        }
        "1.0/replace" if is_mutation => {
            let id = a.string("id")?;
            let table = a.opt_string("table")?;
            host.replace(&id, table.as_deref(), a.value("value")?)?
        }
        "1.0/remove" if is_mutation => {
            let id = a.string("id")?;
            let table = a.opt_string("table")?;
            host.delete(&id, table.as_deref())?
        }
        // --- scheduling ---
        "1.0/schedule" if is_mutation => schedule(host, &mut a)?,
        "1.0/actions/schedule" if is_action => schedule(host, &mut a)?,
        "1.0/cancel_job" if is_mutation => {
            host.cancel_job(&a.string("id")?)?;
            JsonValue::Null
        }
        "1.0/actions/cancel_job" if is_action => {
            host.cancel_job(&a.string("id")?)?;
            JsonValue::Null
        }
        // --- nested functions ---
        "1.0/runUdf" if !is_action => {
            let kind = a.string("udfType")?;
            let (callee, stale) = match kind.as_str() {
                "query" => (UdfType::Query, false),
                "mutation" if is_mutation => (UdfType::Mutation, false),
                "snapshotQuery" if is_mutation => (UdfType::Query, true),
                _ => {
                    return Err(HostError::user(format!(
                        "Can't run a {kind} from a {}",
                        udf_type.as_str().to_lowercase()
                    )))
                }
            };
            nested(host, logs, &mut a, callee, false, stale)?
        }
        "1.0/actions/query" if is_action => {
            nested(host, logs, &mut a, UdfType::Query, true, false)?
        }
        "1.0/actions/mutation" if is_action => {
            nested(host, logs, &mut a, UdfType::Mutation, true, false)?
        }
        "1.0/actions/action" if is_action => {
            nested(host, logs, &mut a, UdfType::Action, true, false)?
        }
        // --- storage and search ---
        "1.0/storageGetUrl" | "1.0/storageGetMetadata" => {
            host.storage(op, JsonValue::Object(std::mem::take(&mut a.map)))?
        }
        "1.0/storageGenerateUploadUrl" | "1.0/storageDelete" if udf_type != UdfType::Query => {
            host.storage(op, JsonValue::Object(std::mem::take(&mut a.map)))?
        }
        "1.0/storageStore" | "1.0/storageGet" if is_mutation => {
            host.storage(op, JsonValue::Object(std::mem::take(&mut a.map)))?
        }
        "1.0/actions/vectorSearch" if is_action => host.vector_search(a.value("query")?)?,
        _ => return Err(unknown_async(op)),
    };
    Ok(to_text(&result))
}

fn schedule(host: &mut dyn Host, a: &mut Args<'_>) -> Result<JsonValue, HostError> {
    let address = a.address()?;
    let ts = a.f64("ts")?;
    let args = a.take("args").unwrap_or_else(|| json!({}));
    Ok(json!(host.schedule(&address, ts, args)?))
}

fn nested(
    host: &mut dyn Host,
    logs: &mut LogBuffer,
    a: &mut Args<'_>,
    udf_type: UdfType,
    from_action: bool,
    stale_snapshot: bool,
) -> Result<JsonValue, HostError> {
    let address = a.address()?;
    let call = NestedCall {
        udf_type,
        address,
        args: a.take("args").unwrap_or_else(|| json!({})),
        from_action,
        stale_snapshot,
        transaction_limits: a.take("transactionLimits"),
    };
    let outcome = host.run_function(call);
    logs.extend(outcome.log_lines);
    outcome.result
}
