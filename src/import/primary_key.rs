//! The hidden primary-key index of a deduplicated Airbyte stream:
//! `_by_airbyte_primary_key` over the stream's primary-key paths. Created by
//! `add_primary_key_indexes` and built in the background (a backfill over a
//! large table must not hold the request); `primary_key_indexes_ready` reports
//! when every requested one can be read.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::Mutex;
use storage::index::{IndexKind, IndexState};
use storage::value::names::check_identifier;
use storage::Database;

use crate::error::ApiError;

pub const PRIMARY_KEY_INDEX: &str = "_by_airbyte_primary_key";

/// Index builds started by this server, by table: running, or failed with
/// an error.
#[derive(Default)]
pub struct PrimaryKeyBuilds {
    builds: Mutex<HashMap<String, Build>>,
}

enum Build {
    Running,
    Failed(String),
}

/// A primary key as field paths (`[["a"], ["b", "c"]]`) joined to the
/// dotted index fields (`["a", "b.c"]`).
pub fn index_fields(table: &str, paths: &[Vec<String>]) -> Result<Vec<String>, ApiError> {
    if paths.is_empty() {
        return Err(ApiError::bad_request(
            "InvalidPrimaryKey",
            format!("The primary key of table {table:?} is empty"),
        ));
    }
    paths
        .iter()
        .map(|path| {
            let valid = |p: &String| check_identifier(p).is_ok() && !p.starts_with('_');
            if path.is_empty() || !path.iter().all(valid) {
                Err(ApiError::bad_request(
                    "InvalidPrimaryKey",
                    format!("Invalid primary key path {path:?} for table {table:?}"),
                ))
            } else {
                Ok(path.join("."))
            }
        })
        .collect()
}

impl PrimaryKeyBuilds {
    /// Builds the index of `table` over `fields` on a thread of its own. An
    /// index with the same fields is kept; one with other fields is dropped
    /// and rebuilt.
    pub fn start(
        self: &Arc<Self>,
        db: &Database,
        table: &str,
        fields: Vec<String>,
    ) -> Result<(), ApiError> {
        if let Some(t) = db.catalog().table_by_name(table) {
            if let Some(existing) = db
                .catalog()
                .index_by_name(t.table_number(), PRIMARY_KEY_INDEX)
            {
                if existing.kind
                    == (IndexKind::User {
                        fields: fields.clone(),
                    })
                {
                    return Ok(());
                }
                db.drop_index(table, PRIMARY_KEY_INDEX)
                    .map_err(ApiError::internal)?;
            }
        }
        // Table and field names are checked now, so a bad request fails here
        // rather than in the background.
        db.ensure_table(table)
            .map_err(|e| ApiError::bad_request("InvalidTableName", e.to_string()))?;
        self.builds.lock().insert(table.to_string(), Build::Running);
        let builds = self.clone();
        let db = db.clone();
        let table = table.to_string();
        std::thread::Builder::new()
            .name("basalt-pk-index".into())
            .spawn(move || {
                let result = db.add_system_index(&table, PRIMARY_KEY_INDEX, &fields, &mut |_| {});
                let mut map = builds.builds.lock();
                match result {
                    Ok(_) => map.remove(&table),
                    Err(e) => {
                        tracing::warn!(error = %e, table, "building a primary key index failed");
                        map.insert(table, Build::Failed(e.to_string()))
                    }
                };
            })
            .map_err(ApiError::internal)?;
        Ok(())
    }

    /// Whether every table's index is ready: false while one is building,
    /// an error if one failed or was never requested.
    pub fn ready(&self, db: &Database, tables: &[String]) -> Result<bool, ApiError> {
        let mut all = true;
        for table in tables {
            match self.builds.lock().get(table) {
                Some(Build::Running) => {
                    all = false;
                    continue;
                }
                Some(Build::Failed(error)) => {
                    return Err(ApiError::bad_request(
                        "PrimaryKeyIndexFailed",
                        format!("Building the primary key index of {table:?} failed: {error}"),
                    ))
                }
                None => {}
            }
            let catalog = db.catalog();
            let index = catalog
                .table_by_name(table)
                .and_then(|t| catalog.index_by_name(t.table_number(), PRIMARY_KEY_INDEX));
            match index {
                None => {
                    return Err(ApiError::bad_request(
                        "MissingIndex",
                        format!("Missing index: {table}.{PRIMARY_KEY_INDEX}"),
                    ))
                }
                Some(ix) if ix.state != IndexState::Ready => all = false,
                Some(_) => {}
            }
        }
        Ok(all)
    }
}
