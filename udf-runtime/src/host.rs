//! The host interface: the only way the runtime reaches the database and the
//! rest of the deployment.
//!
//! The server implements [`Host`] over the real storage engine (one host per
//! transaction for queries and mutations, one per action); tests implement it
//! over an in-memory fake. Every value crossing the trait is Convex *encoded
//! JSON* (`convex-protocol.md` §2.2) held in a [`JsonValue`], so this crate does
//! not depend on storage types.
//!
//! # Re-entrancy
//! The runtime calls most methods while JavaScript is on the stack (synchronous
//! syscalls such as `queryStream`, and database reads and writes that it answers
//! at once). Those methods must not call back into the [`crate::Runtime`].
//! Only [`Host::run_function`] is always called with no JavaScript on the stack,
//! so an implementation may execute the nested function on the same runtime.
//!
//! # Errors
//! A [`HostError::User`] becomes a JavaScript `Error(message)` thrown (or
//! rejected) into user code, which can catch it; when it carries `data`, user
//! code sees a `ConvexError` with that data. A [`HostError::System`] aborts the
//! whole execution: the outcome is [`crate::ExecuteError::System`].

use serde_json::Value as JsonValue;

/// The kind of a registered Convex function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UdfType {
    Query,
    Mutation,
    Action,
    HttpAction,
}

impl UdfType {
    /// The name Convex uses in messages and analysis (`Query`, `Mutation`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            UdfType::Query => "Query",
            UdfType::Mutation => "Mutation",
            UdfType::Action => "Action",
            UdfType::HttpAction => "HttpAction",
        }
    }

    /// The lower-case form used in logs and messages (`query`, …, `HTTP action`).
    pub fn lowercase(self) -> &'static str {
        match self {
            UdfType::Query => "query",
            UdfType::Mutation => "mutation",
            UdfType::Action => "action",
            UdfType::HttpAction => "HTTP action",
        }
    }

    /// Parses [`UdfType::as_str`]'s form.
    pub fn from_name(name: &str) -> Option<UdfType> {
        [
            UdfType::Query,
            UdfType::Mutation,
            UdfType::Action,
            UdfType::HttpAction,
        ]
        .into_iter()
        .find(|t| t.as_str() == name)
    }
}

impl std::fmt::Display for UdfType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error returned by a host method.
#[derive(Clone, Debug, PartialEq)]
pub enum HostError {
    /// A deterministic, user-facing error (bad argument, missing document, a
    /// nested function's failure, …): thrown into user code.
    User {
        message: String,
        /// Encoded-JSON `ConvexError` data, when the error is a nested
        /// function's `ConvexError`.
        data: Option<JsonValue>,
    },
    /// A failure of the system itself (storage I/O, an internal bug): aborts
    /// the execution without letting user code observe it.
    System(String),
}

impl HostError {
    /// A user-facing error with a message and no ConvexError data.
    pub fn user(message: impl Into<String>) -> Self {
        HostError::User {
            message: message.into(),
            data: None,
        }
    }

    /// A system error that aborts the execution.
    pub fn system(message: impl Into<String>) -> Self {
        HostError::System(message.into())
    }

    /// The message of either kind.
    pub fn message(&self) -> &str {
        match self {
            HostError::User { message, .. } => message,
            HostError::System(message) => message,
        }
    }
}

impl std::fmt::Display for HostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for HostError {}

/// What host methods return.
pub type HostResult<T> = Result<T, HostError>;

/// How user code named the target of `runQuery`/`runMutation`/`scheduler.*`
/// (NPM `server/components/paths.ts::getFunctionAddress`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FunctionAddress {
    /// A path such as `messages:list` (from `api.*`, `internal.*` or a string).
    Name(String),
    /// A `function://…` handle string.
    Handle(String),
    /// A component reference `_reference/…`.
    Reference(String),
}

/// A nested function call made by a running function: `ctx.runQuery` and
/// friends from a query, mutation or action.
#[derive(Clone, Debug, PartialEq)]
pub struct NestedCall {
    /// The type of the function to run.
    pub udf_type: UdfType,
    /// Which function.
    pub address: FunctionAddress,
    /// The argument object, encoded JSON.
    pub args: JsonValue,
    /// Called from an action (each call is its own transaction) rather than
    /// from inside a query or mutation (same transaction, `1.0/runUdf`).
    pub from_action: bool,
    /// `runQuery(…, {useStaleSnapshot: true})` in a mutation.
    pub stale_snapshot: bool,
    /// `transactionLimits` passed by user code, if any.
    pub transaction_limits: Option<JsonValue>,
}

/// The result of a nested call: its value (or error) and its log lines,
/// which the runtime appends to the caller's.
#[derive(Clone, Debug, PartialEq)]
pub struct NestedOutcome {
    pub result: HostResult<JsonValue>,
    pub log_lines: Vec<String>,
}

/// Arguments of `1.0/queryPage` (`db.query(…).paginate(opts)`).
#[derive(Clone, Debug, PartialEq)]
pub struct PageRequest {
    /// The SerializedQuery (`{source, operators}`).
    pub query: JsonValue,
    pub cursor: Option<String>,
    pub end_cursor: Option<String>,
    pub page_size: usize,
    pub maximum_rows_read: Option<usize>,
    pub maximum_bytes_read: Option<usize>,
}

/// One `fetch()` request from an action, after redirects were resolved in
/// JavaScript (the host must not follow them).
#[derive(Clone, Debug, PartialEq)]
pub struct FetchRequest {
    pub url: String,
    pub method: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

/// The response to a [`FetchRequest`], body read in full.
#[derive(Clone, Debug, PartialEq)]
pub struct FetchResponse {
    pub status: u16,
    pub status_text: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The runtime's view of the database and the deployment for one execution.
///
/// Document values are encoded-JSON objects including `_id` and
/// `_creationTime`. Queries are Convex `SerializedQuery` JSON
/// (`convex-protocol.md` §3.4). Methods with a default body are capabilities a
/// host may lack; their default answers with a user-facing error.
pub trait Host {
    /// `db.get(id)` / `db.get(table, id)`: the document or `None`. An ID of a
    /// non-existent table is `None`; `table`, when given, must match the ID's.
    fn get(
        &mut self,
        id: &str,
        table: Option<&str>,
        is_system: bool,
    ) -> HostResult<Option<JsonValue>>;

    /// `db.insert(table, value)`: the new document's ID.
    fn insert(&mut self, table: &str, value: JsonValue) -> HostResult<String>;

    /// `db.patch`: shallow merge; a `{"$undefined": null}` value removes the
    /// field. Returns the updated document.
    fn patch(&mut self, id: &str, table: Option<&str>, value: JsonValue) -> HostResult<JsonValue>;

    /// `db.replace`: returns the new document.
    fn replace(&mut self, id: &str, table: Option<&str>, value: JsonValue)
        -> HostResult<JsonValue>;

    /// `db.delete`: returns the deleted document.
    fn delete(&mut self, id: &str, table: Option<&str>) -> HostResult<JsonValue>;

    /// `db.normalizeId(table, id)`: the canonical ID of `table`, or `None`.
    fn normalize_id(&mut self, table: &str, id: &str) -> HostResult<Option<String>>;

    /// The table an ID string belongs to, or `None` when it is not a valid ID
    /// of an existing table. Used by `v.id(table)` validators.
    fn table_for_id(&mut self, id: &str) -> Option<String>;

    /// Starts a query stream; returns its id.
    fn query_start(&mut self, query: JsonValue) -> HostResult<u32>;

    /// The next document of a stream, or `None` when it is exhausted (the
    /// host may then free the stream).
    fn query_next(&mut self, query_id: u32) -> HostResult<Option<JsonValue>>;

    /// Frees a stream; `true` if it existed.
    fn query_cleanup(&mut self, query_id: u32) -> HostResult<bool>;

    /// One page of a paginated query: `{page, isDone, continueCursor,
    /// splitCursor, pageStatus}`.
    fn query_page(&mut self, request: PageRequest) -> HostResult<JsonValue>;

    /// Number of documents in a table (internal API `1.0/count`).
    fn count(&mut self, table: &str) -> HostResult<f64> {
        let _ = table;
        Err(HostError::user(
            "count() is not supported by this deployment",
        ))
    }

    /// Runs a nested function. Called with no JavaScript on the stack, so the
    /// implementation may re-enter the runtime.
    fn run_function(&mut self, call: NestedCall) -> NestedOutcome;

    /// Schedules a function; returns the `_scheduled_functions` document ID.
    /// `ts_seconds` is the Unix time in (fractional) seconds.
    fn schedule(
        &mut self,
        address: &FunctionAddress,
        ts_seconds: f64,
        args: JsonValue,
    ) -> HostResult<String>;

    /// Cancels a scheduled function.
    fn cancel_job(&mut self, id: &str) -> HostResult<()>;

    /// The snapshot timestamp of the transaction, nanoseconds.
    fn snapshot_ts(&mut self) -> HostResult<u64> {
        Err(HostError::user(
            "getSnapshotTs() is not supported by this deployment",
        ))
    }

    /// `ctx.meta.getTransactionMetrics()` (encoded JSON object).
    fn transaction_metrics(&mut self) -> HostResult<JsonValue> {
        Err(HostError::user(
            "getTransactionMetrics() is not supported by this deployment",
        ))
    }

    /// `createFunctionHandle(ref)`: a `function://…` string.
    fn create_function_handle(&mut self, address: &FunctionAddress) -> HostResult<String> {
        let _ = address;
        Err(HostError::user(
            "Function handles are not supported by this deployment",
        ))
    }

    /// A file-storage syscall (`1.0/storageGetUrl`, `…GetMetadata`,
    /// `…GenerateUploadUrl`, `…Delete`, `…Store`, `…Get`) with its JSON args;
    /// returns the JSON result the syscall documents.
    fn storage(&mut self, op: &str, args: JsonValue) -> HostResult<JsonValue> {
        let _ = args;
        Err(HostError::user(format!(
            "File storage ({op}) is not supported by this deployment"
        )))
    }

    /// `fetch()` from an action: performs `requests` (all that were pending
    /// at once, so an implementation should run them concurrently), each
    /// bounded by `timeout`, and answers one result per request in order. A
    /// network failure is a [`HostError::User`] (user code may catch it).
    fn fetch(
        &mut self,
        requests: Vec<FetchRequest>,
        timeout: std::time::Duration,
    ) -> Vec<HostResult<FetchResponse>> {
        let _ = timeout;
        requests
            .iter()
            .map(|_| {
                Err(HostError::user(
                    "fetch() is not supported by this deployment",
                ))
            })
            .collect()
    }

    /// `ctx.vectorSearch` in an action: `{results: [{_id, _score}]}`.
    fn vector_search(&mut self, query: JsonValue) -> HostResult<JsonValue> {
        let _ = query;
        Err(HostError::user(
            "Vector search is not supported by this deployment",
        ))
    }
}
