//! The runtime's [`Host`] over one storage transaction: every database
//! syscall of a query or mutation becomes a read or write of the
//! transaction, and nested `runQuery`/`runMutation` calls run on the same
//! runtime inside the same transaction.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{json, Value as JsonValue};
use storage::query::{
    query_page, PageRequest as StoragePageRequest, QueryError, QueryPlan, QueryStream,
};
use storage::{DocumentId, Object, StorageError, Transaction, Value};
use udf_runtime::{
    ExecuteRequest, FunctionAddress, Host, HostError, HostResult, ModuleSet, NestedCall,
    NestedOutcome, PageRequest, Runtime, UdfType,
};

use super::document_validators::DocumentValidators;
use super::run::Target;

/// Maximum depth of nested `runQuery`/`runMutation` calls.
const MAX_NESTING: usize = 8;

pub struct StorageHost<'a> {
    pub tx: &'a mut Transaction,
    pub udf_type: UdfType,
    pub runtime: &'a Runtime,
    pub modules: &'a Arc<ModuleSet>,
    /// Checked on every insert, patch and replace.
    pub schema: &'a DocumentValidators,
    /// The caller's request, used as a template for nested calls.
    pub request: &'a ExecuteRequest,
    pub depth: usize,
    streams: HashMap<u32, QueryStream>,
    next_stream: u32,
    paginated: bool,
}

impl<'a> StorageHost<'a> {
    pub fn new(
        tx: &'a mut Transaction,
        udf_type: UdfType,
        runtime: &'a Runtime,
        target: &Target<'a>,
        request: &'a ExecuteRequest,
        depth: usize,
    ) -> Self {
        Self {
            tx,
            udf_type,
            runtime,
            modules: target.modules,
            schema: target.schema,
            request,
            depth,
            streams: HashMap::new(),
            next_stream: 1,
            paginated: false,
        }
    }

    /// Refuses a write whose resulting document (`document`, encoded JSON)
    /// does not match the schema of `table`.
    fn check_schema(&mut self, table: &str, document: &JsonValue) -> HostResult<()> {
        let tx = &mut *self.tx;
        let mut table_for_id = |id: &str| {
            let id = DocumentId::decode(id).ok()?;
            tx.table_name(id.table)
        };
        self.schema
            .check(table, document, &mut table_for_id)
            .map_err(|detail| {
                HostError::user(format!(
                    "Failed to insert or update a document in table \"{table}\" because it does not match the schema: {detail}"
                ))
            })
    }

    /// The table of a document being written.
    fn table_of(&mut self, id: &DocumentId) -> HostResult<String> {
        self.tx
            .table_name(id.table)
            .ok_or_else(|| HostError::system(format!("no table numbered {}", id.table)))
    }

    fn writable(&self, op: &str) -> HostResult<()> {
        if self.udf_type == UdfType::Mutation {
            Ok(())
        } else {
            Err(HostError::user(format!(
                "Write operation \"{op}\" is not allowed in a {}. Use a mutation instead.",
                self.udf_type.as_str().to_lowercase()
            )))
        }
    }

    /// Resolves an id string, checking an explicit table name against it.
    fn resolve_id(
        &mut self,
        id: &str,
        table: Option<&str>,
        op: &str,
    ) -> HostResult<Option<DocumentId>> {
        let Ok(doc_id) = DocumentId::decode(id) else {
            return Err(HostError::user(format!(
                "Invalid argument `id` for `db.{op}`: Unable to decode ID: Invalid ID \"{id}\""
            )));
        };
        let actual = self.tx.table_name(doc_id.table);
        if let Some(expected) = table {
            if actual.as_deref() != Some(expected) {
                return Err(HostError::user(format!(
                    "Invalid argument `id` for `db.{op}`: ID \"{id}\" is not an ID of table \"{expected}\""
                )));
            }
        }
        Ok(actual.map(|_| doc_id))
    }
}

/// Storage errors: client mistakes go to user code, the rest abort.
pub fn host_error(e: StorageError) -> HostError {
    if e.is_user_error() {
        HostError::user(e.to_string())
    } else {
        HostError::system(e.to_string())
    }
}

fn query_error(e: QueryError) -> HostError {
    match e {
        QueryError::Storage(s) => host_error(s),
        other => HostError::user(other.to_string()),
    }
}

fn object_from_json(value: &JsonValue, what: &str) -> HostResult<Object> {
    match Value::from_encoded_json(value) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(other) => Err(HostError::user(format!(
            "{what} must be an object, not {}",
            other.type_name()
        ))),
        Err(e) => Err(HostError::user(e.to_string())),
    }
}

fn doc_json(doc: &storage::Document) -> JsonValue {
    let mut map = serde_json::Map::with_capacity(doc.fields.len());
    for (k, v) in &doc.fields {
        map.insert(k.clone(), v.to_encoded_json());
    }
    JsonValue::Object(map)
}

impl Host for StorageHost<'_> {
    fn get(
        &mut self,
        id: &str,
        table: Option<&str>,
        _is_system: bool,
    ) -> HostResult<Option<JsonValue>> {
        let Some(doc_id) = self.resolve_id(id, table, "get")? else {
            return Ok(None);
        };
        let doc = self.tx.get(&doc_id).map_err(host_error)?;
        Ok(doc.as_ref().map(doc_json))
    }

    fn insert(&mut self, table: &str, value: JsonValue) -> HostResult<String> {
        self.writable("insert")?;
        let fields = object_from_json(&value, "The document")?;
        self.check_schema(table, &value)?;
        let id = self.tx.insert(table, fields).map_err(host_error)?;
        Ok(id.encode())
    }

    fn patch(&mut self, id: &str, table: Option<&str>, value: JsonValue) -> HostResult<JsonValue> {
        self.writable("patch")?;
        let doc_id = self
            .resolve_id(id, table, "patch")?
            .ok_or_else(|| HostError::user(format!("Update on nonexistent document ID {id}")))?;
        let patch = storage::value::patch_from_encoded_json(&value)
            .map_err(|e| HostError::user(e.to_string()))?;
        // Check the document as it will be, before anything is written (and
        // read it only for tables the schema checks).
        let table = self.table_of(&doc_id)?;
        if self.schema.covers(&table) {
            if let Some(current) = self.tx.get(&doc_id).map_err(host_error)? {
                let mut fields = current.fields;
                for (k, v) in &patch {
                    match v {
                        Some(v) => fields.insert(k.clone(), v.clone()),
                        None => fields.remove(k),
                    };
                }
                self.check_schema(&table, &Value::Object(fields).to_encoded_json())?;
            }
        }
        let doc = self
            .tx
            .patch(&doc_id, patch.into_iter().collect())
            .map_err(host_error)?;
        Ok(doc_json(&doc))
    }

    fn replace(
        &mut self,
        id: &str,
        table: Option<&str>,
        value: JsonValue,
    ) -> HostResult<JsonValue> {
        self.writable("replace")?;
        let doc_id = self
            .resolve_id(id, table, "replace")?
            .ok_or_else(|| HostError::user(format!("Replace on nonexistent document ID {id}")))?;
        let fields = object_from_json(&value, "The document")?;
        let table = self.table_of(&doc_id)?;
        self.check_schema(&table, &value)?;
        let doc = self.tx.replace(&doc_id, fields).map_err(host_error)?;
        Ok(doc_json(&doc))
    }

    fn delete(&mut self, id: &str, table: Option<&str>) -> HostResult<JsonValue> {
        self.writable("delete")?;
        let doc_id = self
            .resolve_id(id, table, "delete")?
            .ok_or_else(|| HostError::user(format!("Delete on nonexistent document ID {id}")))?;
        let doc = self.tx.delete(&doc_id).map_err(host_error)?;
        Ok(doc_json(&doc))
    }

    fn normalize_id(&mut self, table: &str, id: &str) -> HostResult<Option<String>> {
        let Some(meta) = self.tx.table(table).map_err(host_error)? else {
            return Ok(None);
        };
        if let Ok(doc_id) = DocumentId::decode(id) {
            return Ok((doc_id.table == meta.table_number()).then(|| doc_id.encode()));
        }
        Ok(storage::id::legacy_internal_id_from_str(id)
            .map(|internal| DocumentId::new(meta.table_number(), internal).encode()))
    }

    fn table_for_id(&mut self, id: &str) -> Option<String> {
        let doc_id = DocumentId::decode(id).ok()?;
        self.tx.table_name(doc_id.table)
    }

    fn query_start(&mut self, query: JsonValue) -> HostResult<u32> {
        let plan = QueryPlan::parse(&query).map_err(query_error)?;
        let stream = QueryStream::open(plan, self.tx).map_err(query_error)?;
        let id = self.next_stream;
        self.next_stream += 1;
        self.streams.insert(id, stream);
        Ok(id)
    }

    fn query_next(&mut self, query_id: u32) -> HostResult<Option<JsonValue>> {
        let Some(stream) = self.streams.get_mut(&query_id) else {
            return Err(HostError::user(format!("Query {query_id} is not open")));
        };
        match stream.next(self.tx).map_err(query_error)? {
            Some(doc) => Ok(Some(doc_json(&doc))),
            None => {
                self.streams.remove(&query_id);
                Ok(None)
            }
        }
    }

    fn query_cleanup(&mut self, query_id: u32) -> HostResult<bool> {
        Ok(self.streams.remove(&query_id).is_some())
    }

    fn query_page(&mut self, request: PageRequest) -> HostResult<JsonValue> {
        if self.paginated {
            return Err(HostError::user(
                "This query or mutation function ran multiple paginated queries. Convex only supports a single paginated query in each function.",
            ));
        }
        self.paginated = true;
        if request.page_size > 32_000 {
            return Err(HostError::user(format!(
                "PageSizeTooLarge: pageSize {} is larger than the maximum of 32000",
                request.page_size
            )));
        }
        let plan = QueryPlan::parse(&request.query).map_err(query_error)?;
        let result = query_page(
            plan,
            &StoragePageRequest {
                cursor: request.cursor,
                end_cursor: request.end_cursor,
                page_size: request.page_size,
                maximum_rows_read: request.maximum_rows_read,
            },
            self.tx,
        )
        .map_err(query_error)?;
        Ok(json!({
            "page": result.page.iter().map(doc_json).collect::<Vec<_>>(),
            "isDone": result.is_done,
            "continueCursor": result.continue_cursor,
            "splitCursor": null,
            "pageStatus": null,
        }))
    }

    fn count(&mut self, table: &str) -> HostResult<f64> {
        Ok(self.tx.count(table).map_err(host_error)? as f64)
    }

    fn run_function(&mut self, call: NestedCall) -> NestedOutcome {
        let fail = |message: String| NestedOutcome {
            result: Err(HostError::user(message)),
            log_lines: Vec::new(),
        };
        let FunctionAddress::Name(path) = &call.address else {
            return fail("Function handles and component references are not supported yet".into());
        };
        match (self.udf_type, call.udf_type) {
            (UdfType::Query, UdfType::Query)
            | (UdfType::Mutation, UdfType::Query | UdfType::Mutation) => {}
            (caller, callee) => {
                return fail(format!(
                    "A {} cannot call a {} with runQuery/runMutation",
                    caller.as_str().to_lowercase(),
                    callee.as_str().to_lowercase()
                ))
            }
        }
        if self.depth >= MAX_NESTING {
            return fail(format!(
                "Nested function calls are limited to a depth of {MAX_NESTING}"
            ));
        }
        let mut request = self.request.clone();
        request.udf_type = call.udf_type;
        request.path = path.clone();
        request.args_json = JsonValue::Array(vec![call.args]).to_string();
        request.allow_internal = true;
        let (runtime, modules) = (self.runtime, self.modules);
        let mut nested = StorageHost {
            tx: &mut *self.tx,
            udf_type: call.udf_type,
            runtime,
            modules,
            schema: self.schema,
            request: &request,
            depth: self.depth + 1,
            streams: HashMap::new(),
            next_stream: 1,
            paginated: false,
        };
        let outcome = runtime.execute(modules, &request, &mut nested);
        let result = match outcome.result {
            Ok(v) => Ok(v),
            Err(e) => Err(match e.as_js() {
                Some(js) => HostError::User {
                    message: js.message.clone(),
                    data: js.custom_data.clone(),
                },
                None => HostError::system(e.to_string()),
            }),
        };
        NestedOutcome {
            result,
            log_lines: outcome.log_lines,
        }
    }

    fn schedule(
        &mut self,
        _address: &FunctionAddress,
        _ts: f64,
        _args: JsonValue,
    ) -> HostResult<String> {
        Err(HostError::user(
            "Scheduling functions is not supported by this server yet",
        ))
    }

    fn cancel_job(&mut self, _id: &str) -> HostResult<()> {
        Err(HostError::user(
            "Scheduling functions is not supported by this server yet",
        ))
    }

    fn snapshot_ts(&mut self) -> HostResult<u64> {
        Ok(self.tx.begin_ts())
    }

    fn transaction_metrics(&mut self) -> HostResult<JsonValue> {
        let u = self.tx.usage();
        let limits = storage::limits::TransactionLimits::default();
        let pair = |used: usize, max: usize| json!({"used": used as f64, "remaining": max.saturating_sub(used) as f64});
        Ok(json!({
            "bytesRead": pair(u.bytes_read, limits.max_bytes_read),
            "bytesWritten": pair(u.bytes_written, limits.max_bytes_written),
            "databaseQueries": pair(0, 4096),
            "documentsRead": pair(u.documents_read, limits.max_documents_read),
            "documentsWritten": pair(u.documents_written, limits.max_documents_written),
            "functionsScheduled": pair(0, 1000),
            "scheduledFunctionArgsBytes": pair(0, 16 << 20),
        }))
    }
}
