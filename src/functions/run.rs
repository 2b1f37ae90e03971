//! Running one function against the database on a worker's runtime:
//! queries at a snapshot, mutations in a transaction retried on OCC
//! conflicts, actions with each nested query or mutation in its own
//! transaction.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value as JsonValue;
use storage::{Database, PendingCommit, ReadSet, StorageError};
use udf_runtime::{
    ExecuteError, ExecuteOutcome, ExecuteRequest, FetchRequest, FetchResponse, FunctionAddress,
    Host, HostError, HostResult, ModuleSet, NestedCall, NestedOutcome, PageRequest, Runtime,
    UdfType,
};

use super::document_validators::DocumentValidators;
use super::outbound::Outbound;
use super::schema_gate::SchemaGate;
use super::storage_host::{host_error, StorageHost};

/// Re-executions of a mutation after an OCC conflict (Convex: 4).
pub const OCC_MAX_RETRIES: usize = 4;

/// A failure outside the function itself.
#[derive(Debug)]
pub enum RunError {
    /// The mutation conflicted on every retry.
    OccExhausted { table: String },
    /// A read timestamp outside the retention window or in the future.
    BadTimestamp(StorageError),
    /// Storage failed.
    Storage(StorageError),
}

#[derive(Clone, Copy)]
pub struct Target<'a> {
    pub db: &'a Database,
    pub modules: &'a Arc<ModuleSet>,
    pub outbound: &'a Outbound,
    /// The validators writes are checked against: those of the
    /// [`WritePass`](super::schema_gate::WritePass) a mutation holds (none
    /// for queries and actions).
    pub schema: &'a DocumentValidators,
    /// Where a mutation gets its pass.
    pub schema_gate: &'a Arc<SchemaGate>,
}

/// A query's outcome with the snapshot it ran at and what it read there.
pub struct QueryRun {
    pub outcome: ExecuteOutcome,
    pub ts: u64,
    pub reads: ReadSet,
}

/// Runs a query at `ts` (or the latest repeatable timestamp).
pub fn run_query(
    runtime: &Runtime,
    target: &Target<'_>,
    request: &ExecuteRequest,
    ts: Option<u64>,
) -> Result<ExecuteOutcome, RunError> {
    run_query_recorded(runtime, target, request, ts).map(|run| run.outcome)
}

/// Runs a query like [`run_query`], keeping its timestamp and read set (for
/// the query cache).
pub fn run_query_recorded(
    runtime: &Runtime,
    target: &Target<'_>,
    request: &ExecuteRequest,
    ts: Option<u64>,
) -> Result<QueryRun, RunError> {
    let mut tx = match ts {
        Some(ts) => target.db.begin_at(ts).map_err(RunError::BadTimestamp)?,
        None => target.db.begin(),
    };
    let outcome = {
        let mut host = StorageHost::new(&mut tx, UdfType::Query, runtime, target, request, 0);
        runtime.execute(target.modules, request, &mut host)
    };
    Ok(QueryRun {
        outcome,
        ts: tx.begin_ts(),
        reads: tx.take_read_set(),
    })
}

/// A mutation executed, with its commit submitted if it succeeded.
pub struct SubmittedMutation {
    pub outcome: ExecuteOutcome,
    /// `None` when the function failed: it writes nothing.
    pub commit: Option<PendingCommit>,
}

/// Executes a mutation and submits its writes without waiting for them, so
/// the worker is free for the next function while the commit waits for its
/// group's fsync. The committer holds the mutation's
/// [`WritePass`](super::schema_gate::WritePass) until the outcome is
/// decided, even if nobody waits for it any more (the [`SchemaGate`]
/// relies on that).
pub fn execute_mutation(
    runtime: &Runtime,
    target: &Target<'_>,
    request: &ExecuteRequest,
) -> SubmittedMutation {
    let pass = target.schema_gate.enter();
    let target = Target {
        schema: &pass.validators,
        ..*target
    };
    let mut tx = target.db.begin();
    let outcome = {
        let mut host = StorageHost::new(&mut tx, UdfType::Mutation, runtime, &target, request, 0);
        runtime.execute(target.modules, request, &mut host)
    };
    let commit = outcome.result.is_ok().then(|| tx.submit_holding(pass));
    SubmittedMutation { outcome, commit }
}

/// What a mutation's commit attempt decided.
pub enum CommitDecision {
    Done(ExecuteOutcome),
    Retry { table: Option<String> },
    Failed(RunError),
}

/// What to do with a successful mutation given its commit's result.
pub fn commit_decision(
    outcome: ExecuteOutcome,
    committed: storage::error::Result<u64>,
) -> CommitDecision {
    match committed {
        Ok(_) => CommitDecision::Done(outcome),
        Err(StorageError::Conflict { table, .. }) => CommitDecision::Retry { table: Some(table) },
        Err(StorageError::TransactionTooOld { .. }) => CommitDecision::Retry { table: None },
        Err(e) if e.is_user_error() => CommitDecision::Done(ExecuteOutcome {
            result: Err(ExecuteError::Js(udf_runtime::JsError::from_message(
                e.to_string(),
            ))),
            log_lines: outcome.log_lines,
        }),
        Err(e) => CommitDecision::Failed(RunError::Storage(e)),
    }
}

/// Backoff before re-running a mutation after a conflict.
pub fn retry_delay(attempt: usize) -> Duration {
    Duration::from_millis(2u64 << attempt.min(8))
}

/// Runs a mutation, committing its writes; re-runs it from scratch on an
/// OCC conflict (it is deterministic, so a re-run is safe).
pub fn run_mutation(
    runtime: &Runtime,
    target: &Target<'_>,
    request: &ExecuteRequest,
) -> Result<ExecuteOutcome, RunError> {
    let mut last_table = String::new();
    for attempt in 0..=OCC_MAX_RETRIES {
        if attempt > 0 {
            std::thread::sleep(retry_delay(attempt));
        }
        let run = execute_mutation(runtime, target, request);
        let decision = match run.commit {
            None => CommitDecision::Done(run.outcome),
            Some(commit) => commit_decision(run.outcome, commit.wait()),
        };
        match decision {
            CommitDecision::Done(outcome) => return Ok(outcome),
            CommitDecision::Retry { table } => last_table = table.unwrap_or(last_table),
            CommitDecision::Failed(e) => return Err(e),
        }
    }
    Err(RunError::OccExhausted { table: last_table })
}

/// Runs an action: not a transaction; its `runQuery`/`runMutation` calls each
/// run on their own.
pub fn run_action(
    runtime: &Runtime,
    target: &Target<'_>,
    request: &ExecuteRequest,
) -> ExecuteOutcome {
    let mut host = ActionHost {
        runtime,
        target,
        request,
    };
    runtime.execute(target.modules, request, &mut host)
}

struct ActionHost<'a> {
    runtime: &'a Runtime,
    target: &'a Target<'a>,
    request: &'a ExecuteRequest,
}

fn not_in_action<T>(what: &str) -> HostResult<T> {
    Err(HostError::user(format!(
        "{what} is not available in actions: use ctx.runQuery or ctx.runMutation"
    )))
}

impl Host for ActionHost<'_> {
    fn fetch(
        &mut self,
        requests: Vec<FetchRequest>,
        timeout: std::time::Duration,
    ) -> Vec<HostResult<FetchResponse>> {
        self.target.outbound.fetch_all(requests, timeout)
    }
    fn get(&mut self, _: &str, _: Option<&str>, _: bool) -> HostResult<Option<JsonValue>> {
        not_in_action("ctx.db")
    }
    fn insert(&mut self, _: &str, _: JsonValue) -> HostResult<String> {
        not_in_action("ctx.db")
    }
    fn patch(&mut self, _: &str, _: Option<&str>, _: JsonValue) -> HostResult<JsonValue> {
        not_in_action("ctx.db")
    }
    fn replace(&mut self, _: &str, _: Option<&str>, _: JsonValue) -> HostResult<JsonValue> {
        not_in_action("ctx.db")
    }
    fn delete(&mut self, _: &str, _: Option<&str>) -> HostResult<JsonValue> {
        not_in_action("ctx.db")
    }
    fn normalize_id(&mut self, _: &str, _: &str) -> HostResult<Option<String>> {
        not_in_action("ctx.db")
    }
    fn table_for_id(&mut self, id: &str) -> Option<String> {
        let id = storage::DocumentId::decode(id).ok()?;
        self.target
            .db
            .catalog()
            .table_by_number(id.table)
            .map(|t| t.name.clone())
    }
    fn query_start(&mut self, _: JsonValue) -> HostResult<u32> {
        not_in_action("ctx.db")
    }
    fn query_next(&mut self, _: u32) -> HostResult<Option<JsonValue>> {
        not_in_action("ctx.db")
    }
    fn query_cleanup(&mut self, _: u32) -> HostResult<bool> {
        Ok(false)
    }
    fn query_page(&mut self, _: PageRequest) -> HostResult<JsonValue> {
        not_in_action("ctx.db")
    }

    fn run_function(&mut self, call: NestedCall) -> NestedOutcome {
        let FunctionAddress::Name(path) = &call.address else {
            return NestedOutcome {
                result: Err(HostError::user(
                    "Function handles and component references are not supported yet",
                )),
                log_lines: Vec::new(),
            };
        };
        let mut request = self.request.clone();
        request.udf_type = call.udf_type;
        request.path = path.clone();
        request.args_json = JsonValue::Array(vec![call.args]).to_string();
        request.allow_internal = true;
        let outcome = match call.udf_type {
            UdfType::Query => run_query(self.runtime, self.target, &request, None),
            UdfType::Mutation => run_mutation(self.runtime, self.target, &request),
            UdfType::Action => Ok(run_action(self.runtime, self.target, &request)),
            UdfType::HttpAction => {
                return NestedOutcome {
                    result: Err(HostError::user("HTTP actions cannot be called directly")),
                    log_lines: Vec::new(),
                }
            }
        };
        match outcome {
            Ok(o) => NestedOutcome {
                result: o.result.map_err(|e| match e {
                    ExecuteError::Js(js) => HostError::User {
                        message: js.message,
                        data: js.custom_data,
                    },
                    ExecuteError::System(m) => HostError::system(m),
                }),
                log_lines: o.log_lines,
            },
            Err(RunError::OccExhausted { table }) => NestedOutcome {
                result: Err(HostError::user(occ_message(&table))),
                log_lines: Vec::new(),
            },
            Err(RunError::BadTimestamp(e)) | Err(RunError::Storage(e)) => NestedOutcome {
                result: Err(host_error(e)),
                log_lines: Vec::new(),
            },
        }
    }

    fn schedule(&mut self, _: &FunctionAddress, _: f64, _: JsonValue) -> HostResult<String> {
        Err(HostError::user(
            "Scheduling functions is not supported by this server yet",
        ))
    }

    fn cancel_job(&mut self, _: &str) -> HostResult<()> {
        Err(HostError::user(
            "Scheduling functions is not supported by this server yet",
        ))
    }
}

/// Convex's message when a mutation conflicted on every retry.
pub fn occ_message(table: &str) -> String {
    format!(
        "Documents read from or written to the \"{table}\" table changed while this mutation was being run and on every subsequent retry. Another call to a mutation changed a document in this table. See https://docs.convex.dev/error#1"
    )
}
