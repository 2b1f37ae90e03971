//! An in-memory [`Host`] for tests: tables as ordered maps, full scans and
//! index ranges sorted by Convex's value order, filter expressions, pages,
//! a scheduler list and nested calls run on the same runtime.

#![allow(dead_code)]

use std::cell::Cell;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::sync::Arc;

use base64::Engine as _;
use serde_json::{json, Map, Value as JsonValue};
use udf_runtime::{
    ExecuteError, ExecuteRequest, FetchRequest, FetchResponse, FunctionAddress, Host, HostError,
    HostResult, ModuleSet, NestedCall, NestedOutcome, PageRequest, Runtime,
};

const BASE_TIME: f64 = 1_700_000_000_000.0;

struct Table {
    number: u32,
    docs: BTreeMap<String, JsonValue>,
}

struct Stream {
    rows: Vec<JsonValue>,
    pos: usize,
}

/// A scheduled call recorded by the fake scheduler.
#[derive(Clone, Debug, PartialEq)]
pub struct Scheduled {
    pub id: String,
    pub name: String,
    pub ts: f64,
    pub args: JsonValue,
}

pub struct FakeHost {
    tables: HashMap<String, Table>,
    /// `table.index` → fields (without `_creationTime`, `_id`).
    pub indexes: HashMap<String, Vec<String>>,
    streams: HashMap<u32, Stream>,
    next_stream: u32,
    seq: u64,
    pub scheduled: Vec<Scheduled>,
    /// Runtime and modules for nested calls.
    pub nested: Option<(Rc<Runtime>, Arc<ModuleSet>)>,
    pub reads: Cell<usize>,
    /// `fetch()`: URL → canned response; other URLs fail to connect.
    pub fetch_routes: HashMap<String, FetchResponse>,
    /// Each batch of fetches the runtime handed over.
    pub fetch_batches: Vec<Vec<FetchRequest>>,
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

fn special<'a>(v: &'a JsonValue, key: &str) -> Option<&'a str> {
    let m = v.as_object()?;
    if m.len() == 1 {
        m.get(key)?.as_str()
    } else {
        None
    }
}

fn rank(v: Option<&JsonValue>) -> u8 {
    match v {
        None => 0,
        Some(JsonValue::Null) => 1,
        Some(v) if special(v, "$integer").is_some() => 2,
        Some(JsonValue::Number(_)) => 3,
        Some(v) if special(v, "$float").is_some() => 3,
        Some(JsonValue::Bool(_)) => 4,
        Some(JsonValue::String(_)) => 5,
        Some(v) if special(v, "$bytes").is_some() => 6,
        Some(JsonValue::Array(_)) => 7,
        Some(_) => 8,
    }
}

fn eight(s: &str) -> [u8; 8] {
    b64()
        .decode(s)
        .ok()
        .and_then(|b| b.try_into().ok())
        .unwrap_or([0; 8])
}

fn float(v: &JsonValue) -> f64 {
    match v {
        JsonValue::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        v => f64::from_le_bytes(eight(special(v, "$float").unwrap_or(""))),
    }
}

/// Convex's total order over (possibly missing) encoded-JSON values.
pub fn compare(a: Option<&JsonValue>, b: Option<&JsonValue>) -> Ordering {
    let (ra, rb) = (rank(a), rank(b));
    if ra != rb {
        return ra.cmp(&rb);
    }
    let (Some(a), Some(b)) = (a, b) else {
        return Ordering::Equal;
    };
    match ra {
        2 => i64::from_le_bytes(eight(special(a, "$integer").unwrap_or(""))).cmp(
            &i64::from_le_bytes(eight(special(b, "$integer").unwrap_or(""))),
        ),
        3 => float(a).total_cmp(&float(b)),
        4 => a.as_bool().cmp(&b.as_bool()),
        5 => a.as_str().cmp(&b.as_str()),
        6 => b64()
            .decode(special(a, "$bytes").unwrap_or(""))
            .ok()
            .cmp(&b64().decode(special(b, "$bytes").unwrap_or("")).ok()),
        7 => {
            let (x, y) = (a.as_array().unwrap(), b.as_array().unwrap());
            for (p, q) in x.iter().zip(y) {
                let c = compare(Some(p), Some(q));
                if c != Ordering::Equal {
                    return c;
                }
            }
            x.len().cmp(&y.len())
        }
        8 => {
            let (x, y) = (a.as_object().unwrap(), b.as_object().unwrap());
            let mut xk: Vec<_> = x.iter().collect();
            let mut yk: Vec<_> = y.iter().collect();
            xk.sort_by(|p, q| p.0.cmp(q.0));
            yk.sort_by(|p, q| p.0.cmp(q.0));
            for ((k1, v1), (k2, v2)) in xk.iter().zip(&yk) {
                let c = k1.cmp(k2).then_with(|| compare(Some(v1), Some(v2)));
                if c != Ordering::Equal {
                    return c;
                }
            }
            xk.len().cmp(&yk.len())
        }
        _ => Ordering::Equal,
    }
}

fn field<'a>(doc: &'a JsonValue, path: &str) -> Option<&'a JsonValue> {
    let mut cur = doc;
    for part in path.split('.') {
        cur = cur.as_object()?.get(part)?;
    }
    Some(cur)
}

fn literal(v: &JsonValue) -> Option<JsonValue> {
    if v.as_object()
        .is_some_and(|m| m.len() == 1 && m.contains_key("$undefined"))
    {
        None
    } else {
        Some(v.clone())
    }
}

fn eval(expr: &JsonValue, doc: &JsonValue) -> Option<JsonValue> {
    let (op, arg) = expr.as_object()?.iter().next()?;
    let bin = |f: &dyn Fn(Ordering) -> bool| {
        let items = arg.as_array()?;
        let (l, r) = (eval(&items[0], doc), eval(&items[1], doc));
        Some(JsonValue::Bool(f(compare(l.as_ref(), r.as_ref()))))
    };
    let arith = |f: &dyn Fn(f64, f64) -> f64| {
        let items = arg.as_array()?;
        let (l, r) = (eval(&items[0], doc)?, eval(&items[1], doc)?);
        serde_json::Number::from_f64(f(float(&l), float(&r))).map(JsonValue::Number)
    };
    let truthy = |e: &JsonValue| eval(e, doc) == Some(JsonValue::Bool(true));
    match op.as_str() {
        "$literal" => literal(arg),
        "$field" => field(doc, arg.as_str()?).cloned(),
        "$eq" => bin(&|o| o == Ordering::Equal),
        "$neq" => bin(&|o| o != Ordering::Equal),
        "$lt" => bin(&|o| o == Ordering::Less),
        "$lte" => bin(&|o| o != Ordering::Greater),
        "$gt" => bin(&|o| o == Ordering::Greater),
        "$gte" => bin(&|o| o != Ordering::Less),
        "$and" => Some(JsonValue::Bool(arg.as_array()?.iter().all(truthy))),
        "$or" => Some(JsonValue::Bool(arg.as_array()?.iter().any(truthy))),
        "$not" => Some(JsonValue::Bool(!truthy(arg))),
        "$neg" => serde_json::Number::from_f64(-float(&eval(arg, doc)?)).map(JsonValue::Number),
        "$add" => arith(&|a, b| a + b),
        "$sub" => arith(&|a, b| a - b),
        "$mul" => arith(&|a, b| a * b),
        "$div" => arith(&|a, b| a / b),
        "$mod" => arith(&|a, b| a % b),
        _ => None,
    }
}

impl FakeHost {
    pub fn new(indexes: &[(&str, &[&str])]) -> Self {
        FakeHost {
            tables: HashMap::new(),
            indexes: indexes
                .iter()
                .map(|(name, fields)| {
                    (
                        name.to_string(),
                        fields.iter().map(|f| f.to_string()).collect(),
                    )
                })
                .collect(),
            streams: HashMap::new(),
            next_stream: 0,
            seq: 0,
            scheduled: Vec::new(),
            nested: None,
            reads: Cell::new(0),
            fetch_routes: HashMap::new(),
            fetch_batches: Vec::new(),
        }
    }

    /// The example app's indexes.
    pub fn for_example_app() -> Self {
        FakeHost::new(&[
            ("messages.by_author", &["author"]),
            ("messages.by_channel_author", &["channel", "author"]),
            ("counters.by_name", &["name"]),
        ])
    }

    fn table_mut(&mut self, name: &str) -> &mut Table {
        let number = 10001 + self.tables.len() as u32;
        self.tables
            .entry(name.to_string())
            .or_insert_with(|| Table {
                number,
                docs: BTreeMap::new(),
            })
    }

    fn table_of(&self, id: &str) -> Option<&str> {
        let number: u32 = id.get(..5)?.parse().ok()?;
        if id.len() != 32 {
            return None;
        }
        self.tables
            .iter()
            .find(|(_, t)| t.number == number)
            .map(|(n, _)| n.as_str())
    }

    pub fn docs(&self, table: &str) -> Vec<JsonValue> {
        let mut docs: Vec<_> = self
            .tables
            .get(table)
            .map(|t| t.docs.values().cloned().collect())
            .unwrap_or_default();
        docs.sort_by(|a, b| compare(a.get("_creationTime"), b.get("_creationTime")));
        docs
    }

    fn locate(&self, id: &str, table: Option<&str>) -> HostResult<Option<String>> {
        let found = self.table_of(id).map(str::to_string);
        if let (Some(t), Some(f)) = (table, &found) {
            if t != f {
                return Err(HostError::user(format!(
                    "Invalid argument `id`: ID {id} is not in table {t}"
                )));
            }
        }
        Ok(found)
    }

    fn existing(&self, id: &str, table: Option<&str>) -> HostResult<(String, JsonValue)> {
        let t = self.locate(id, table)?;
        let doc = t
            .as_ref()
            .and_then(|t| self.tables.get(t)?.docs.get(id).cloned());
        match (t, doc) {
            (Some(t), Some(d)) => Ok((t, d)),
            _ => Err(HostError::user(format!(
                "Update on nonexistent document ID {id}"
            ))),
        }
    }

    fn run_query(&self, query: &JsonValue) -> HostResult<Vec<JsonValue>> {
        let source = &query["source"];
        let desc = source["order"] == "desc";
        let (mut rows, keys): (Vec<JsonValue>, Vec<String>) = match source["type"].as_str() {
            Some("FullTableScan") => (
                self.docs(source["tableName"].as_str().unwrap_or("")),
                vec![],
            ),
            Some("IndexRange") => {
                let name = source["indexName"].as_str().unwrap_or("");
                let (table, index) = name.split_once('.').unwrap_or((name, ""));
                let fields = match index {
                    "by_creation_time" => vec![],
                    "by_id" => vec!["_id".to_string()],
                    _ => self
                        .indexes
                        .get(name)
                        .cloned()
                        .ok_or_else(|| HostError::user(format!("Index {name} not found.")))?,
                };
                let mut rows = self.docs(table);
                for r in source["range"].as_array().into_iter().flatten() {
                    let path = r["fieldPath"].as_str().unwrap_or("");
                    let want = literal(&r["value"]);
                    let kind = r["type"].as_str().unwrap_or("");
                    rows.retain(|d| {
                        let c = compare(field(d, path), want.as_ref());
                        match kind {
                            "Eq" => c == Ordering::Equal,
                            "Gt" => c == Ordering::Greater,
                            "Gte" => c != Ordering::Less,
                            "Lt" => c == Ordering::Less,
                            "Lte" => c != Ordering::Greater,
                            _ => false,
                        }
                    });
                }
                (rows, fields)
            }
            other => {
                return Err(HostError::user(format!(
                    "Unsupported query source {other:?}"
                )))
            }
        };
        let mut keys = keys;
        keys.push("_creationTime".into());
        keys.push("_id".into());
        rows.sort_by(|a, b| {
            keys.iter()
                .map(|k| compare(field(a, k), field(b, k)))
                .find(|o| *o != Ordering::Equal)
                .unwrap_or(Ordering::Equal)
        });
        if desc {
            rows.reverse();
        }
        for op in query["operators"].as_array().into_iter().flatten() {
            if let Some(filter) = op.get("filter") {
                rows.retain(|d| eval(filter, d) == Some(JsonValue::Bool(true)));
            } else if let Some(limit) = op.get("limit").and_then(JsonValue::as_f64) {
                rows.truncate(limit as usize);
            }
        }
        Ok(rows)
    }
}

impl Host for FakeHost {
    fn get(
        &mut self,
        id: &str,
        table: Option<&str>,
        _is_system: bool,
    ) -> HostResult<Option<JsonValue>> {
        self.reads.set(self.reads.get() + 1);
        let Some(t) = self.locate(id, table)? else {
            return Ok(None);
        };
        Ok(self.tables.get(&t).and_then(|t| t.docs.get(id).cloned()))
    }

    fn insert(&mut self, table: &str, value: JsonValue) -> HostResult<String> {
        let JsonValue::Object(mut fields) = value else {
            return Err(HostError::user("insert: value must be an object"));
        };
        if fields.keys().any(|k| k.starts_with('_')) {
            return Err(HostError::user(
                "Field names starting with '_' are reserved for system fields",
            ));
        }
        self.seq += 1;
        let seq = self.seq;
        let t = self.table_mut(table);
        let id = format!("{:05}{:027}", t.number, seq);
        fields.insert("_id".into(), json!(id));
        fields.insert("_creationTime".into(), json!(BASE_TIME + seq as f64));
        t.docs.insert(id.clone(), JsonValue::Object(fields));
        Ok(id)
    }

    fn patch(&mut self, id: &str, table: Option<&str>, value: JsonValue) -> HostResult<JsonValue> {
        let (t, mut doc) = self.existing(id, table)?;
        let fields: &mut Map<String, JsonValue> = doc.as_object_mut().expect("document object");
        for (k, v) in value.as_object().cloned().unwrap_or_default() {
            match literal(&v) {
                None => {
                    fields.remove(&k);
                }
                Some(v) => {
                    fields.insert(k, v);
                }
            }
        }
        self.tables
            .get_mut(&t)
            .expect("table")
            .docs
            .insert(id.to_string(), doc.clone());
        Ok(doc)
    }

    fn replace(
        &mut self,
        id: &str,
        table: Option<&str>,
        value: JsonValue,
    ) -> HostResult<JsonValue> {
        let (t, old) = self.existing(id, table)?;
        let mut fields = value.as_object().cloned().unwrap_or_default();
        fields.insert("_id".into(), old["_id"].clone());
        fields.insert("_creationTime".into(), old["_creationTime"].clone());
        let doc = JsonValue::Object(fields);
        self.tables
            .get_mut(&t)
            .expect("table")
            .docs
            .insert(id.to_string(), doc.clone());
        Ok(doc)
    }

    fn delete(&mut self, id: &str, table: Option<&str>) -> HostResult<JsonValue> {
        let (t, old) = self.existing(id, table)?;
        self.tables.get_mut(&t).expect("table").docs.remove(id);
        Ok(old)
    }

    fn normalize_id(&mut self, table: &str, id: &str) -> HostResult<Option<String>> {
        Ok((self.table_of(id) == Some(table)).then(|| id.to_string()))
    }

    fn table_for_id(&mut self, id: &str) -> Option<String> {
        self.table_of(id).map(str::to_string)
    }

    fn query_start(&mut self, query: JsonValue) -> HostResult<u32> {
        let rows = self.run_query(&query)?;
        self.next_stream += 1;
        self.streams
            .insert(self.next_stream, Stream { rows, pos: 0 });
        Ok(self.next_stream)
    }

    fn query_next(&mut self, query_id: u32) -> HostResult<Option<JsonValue>> {
        let stream = self
            .streams
            .get_mut(&query_id)
            .ok_or_else(|| HostError::user(format!("Unknown query {query_id}")))?;
        let next = stream.rows.get(stream.pos).cloned();
        stream.pos += 1;
        if next.is_some() {
            self.reads.set(self.reads.get() + 1);
        } else {
            self.streams.remove(&query_id);
        }
        Ok(next)
    }

    fn query_cleanup(&mut self, query_id: u32) -> HostResult<bool> {
        Ok(self.streams.remove(&query_id).is_some())
    }

    fn query_page(&mut self, request: PageRequest) -> HostResult<JsonValue> {
        if request.page_size == 0 {
            return Err(HostError::user("NoDocumentsForPagination"));
        }
        let rows = self.run_query(&request.query)?;
        let start: usize = request
            .cursor
            .as_deref()
            .and_then(|c| c.strip_prefix("pos:")?.parse().ok())
            .unwrap_or(0);
        let end = (start + request.page_size).min(rows.len());
        let page: Vec<_> = rows[start.min(end)..end].to_vec();
        Ok(json!({
            "page": page,
            "isDone": end >= rows.len(),
            "continueCursor": format!("pos:{end}"),
            "splitCursor": null,
            "pageStatus": null,
        }))
    }

    fn count(&mut self, table: &str) -> HostResult<f64> {
        Ok(self.tables.get(table).map_or(0, |t| t.docs.len()) as f64)
    }

    fn run_function(&mut self, call: NestedCall) -> NestedOutcome {
        let Some((runtime, modules)) = self.nested.clone() else {
            return NestedOutcome {
                result: Err(HostError::system("no nested runtime")),
                log_lines: vec![],
            };
        };
        let FunctionAddress::Name(name) = &call.address else {
            return NestedOutcome {
                result: Err(HostError::user("only named references")),
                log_lines: vec![],
            };
        };
        let mut request =
            ExecuteRequest::new(call.udf_type, name.clone(), format!("[{}]", call.args));
        request.allow_internal = true;
        request.now_ms = BASE_TIME;
        let outcome = runtime.execute(&modules, &request, self);
        let result = match outcome.result {
            Ok(v) => Ok(v),
            Err(ExecuteError::Js(e)) => Err(HostError::User {
                message: e.message,
                data: e.custom_data,
            }),
            Err(ExecuteError::System(m)) => Err(HostError::System(m)),
        };
        NestedOutcome {
            result,
            log_lines: outcome.log_lines,
        }
    }

    fn schedule(
        &mut self,
        address: &FunctionAddress,
        ts_seconds: f64,
        args: JsonValue,
    ) -> HostResult<String> {
        let FunctionAddress::Name(name) = address else {
            return Err(HostError::user("only named references"));
        };
        self.seq += 1;
        let id = format!("{:05}{:027}", 1, self.seq);
        self.scheduled.push(Scheduled {
            id: id.clone(),
            name: name.clone(),
            ts: ts_seconds,
            args,
        });
        Ok(id)
    }

    fn fetch(
        &mut self,
        requests: Vec<FetchRequest>,
        _timeout: std::time::Duration,
    ) -> Vec<HostResult<FetchResponse>> {
        let answers = requests
            .iter()
            .map(|r| {
                self.fetch_routes.get(&r.url).cloned().ok_or_else(|| {
                    HostError::user(format!("fetch to {} failed: connection refused", r.url))
                })
            })
            .collect();
        self.fetch_batches.push(requests);
        answers
    }

    fn cancel_job(&mut self, id: &str) -> HostResult<()> {
        self.scheduled.retain(|s| s.id != id);
        Ok(())
    }
}
