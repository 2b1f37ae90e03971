//! Helpers shared by the storage integration tests.
#![allow(dead_code)]

use std::time::Duration;

use storage::{Database, DatabaseOptions, DocumentId, Object, Transaction, Value};

pub fn open(dir: &std::path::Path) -> Database {
    Database::open(dir, DatabaseOptions::default()).expect("open database")
}

pub fn open_with_retention(dir: &std::path::Path, retention: Duration) -> Database {
    let options = DatabaseOptions {
        retention,
        gc_interval: Duration::from_secs(3600),
        ..DatabaseOptions::default()
    };
    Database::open(dir, options).expect("open database")
}

pub fn obj(fields: &[(&str, Value)]) -> Object {
    fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

pub fn s(v: &str) -> Value {
    Value::String(v.to_string())
}

pub fn f(v: f64) -> Value {
    Value::Float64(v)
}

pub fn i(v: i64) -> Value {
    Value::Int64(v)
}

/// Field `name` of document `id` as `tx` sees it; the document must exist.
pub fn field(tx: &mut Transaction, id: &DocumentId, name: &str) -> Option<Value> {
    let doc = tx.get(id).expect("get").expect("document exists");
    doc.fields.get(name).cloned()
}
