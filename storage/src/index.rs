//! Index definitions and index keys.
//!
//! Every table has `by_id` (key: the 16-byte internal id) and
//! `by_creation_time` (key: `_creationTime`, id). A user index on fields
//! `[a, b]` has key `(a, b, _creationTime, id)`, each value in its sort-key
//! encoding and a missing field encoded as `undefined` (lowest of all).

use serde::{Deserialize, Serialize};

use crate::document::Document;
use crate::error::{Result, StorageError};
use crate::id::TableNumber;
use crate::keys::IndexId;
use crate::value::names::check_index_name;
use crate::value::sort_key::{write_sort_key, write_undefined};
use crate::value::{Object, Value};
use crate::Timestamp;

pub const BY_ID: &str = "by_id";
pub const BY_CREATION_TIME: &str = "by_creation_time";
/// Maximum number of user fields in an index (§2.4).
pub const MAX_INDEX_FIELDS: usize = 16;

/// A dotted field path such as `author.name`, split into its parts.
pub type FieldPath = Vec<String>;

pub fn parse_field_path(path: &str) -> FieldPath {
    path.split('.').map(str::to_string).collect()
}

/// Looks up a (possibly nested) field of an object.
pub fn lookup_field<'a>(fields: &'a Object, path: &[String]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let mut value = fields.get(first)?;
    for part in rest {
        match value {
            Value::Object(o) => value = o.get(part)?,
            _ => return None,
        }
    }
    Some(value)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum IndexKind {
    ById,
    ByCreationTime,
    /// User fields, without the implicit `_creationTime` and id suffix.
    User {
        fields: Vec<String>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum IndexState {
    /// Registered: every commit maintains it, but the backfill has not finished.
    Backfilling,
    Ready,
}

/// An index as recorded in the catalog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IndexMeta {
    pub id: IndexId,
    pub table: u32,
    pub name: String,
    pub kind: IndexKind,
    pub state: IndexState,
    /// Commit timestamp of the index's registration: reads below it are refused,
    /// because the backfill reconstructs the table as of this timestamp only.
    pub created_ts: Timestamp,
}

impl IndexMeta {
    pub fn table_number(&self) -> TableNumber {
        TableNumber(self.table)
    }

    /// The user-visible field list, including the implicit suffix.
    pub fn fields(&self) -> Vec<String> {
        match &self.kind {
            IndexKind::ById => vec!["_id".into()],
            IndexKind::ByCreationTime => vec!["_creationTime".into(), "_id".into()],
            IndexKind::User { fields } => {
                let mut f = fields.clone();
                f.push("_creationTime".into());
                f.push("_id".into());
                f
            }
        }
    }

    /// The key of `doc` in this index.
    pub fn key_for(&self, doc: &Document) -> Vec<u8> {
        let mut key = Vec::with_capacity(48);
        match &self.kind {
            IndexKind::ById => {}
            IndexKind::ByCreationTime => {
                write_sort_key(&Value::Float64(doc.creation_time), &mut key);
            }
            IndexKind::User { fields } => {
                for f in fields {
                    let path = parse_field_path(f);
                    match lookup_field(&doc.fields, &path) {
                        Some(v) => write_sort_key(v, &mut key),
                        None => write_undefined(&mut key),
                    }
                }
                write_sort_key(&Value::Float64(doc.creation_time), &mut key);
            }
        }
        key.extend_from_slice(&doc.id.internal.0);
        key
    }

    /// Number of leading key values a range query may constrain (all
    /// user fields plus `_creationTime`; the id suffix is not a field).
    pub fn queryable_fields(&self) -> Vec<String> {
        match &self.kind {
            IndexKind::ById => vec!["_id".into()],
            IndexKind::ByCreationTime => vec!["_creationTime".into()],
            IndexKind::User { fields } => {
                let mut f = fields.clone();
                f.push("_creationTime".into());
                f
            }
        }
    }
}

/// Validates a user index definition (name and fields).
pub fn check_user_index(name: &str, fields: &[String]) -> Result<()> {
    check_index_name(name)?;
    if fields.is_empty() {
        return Err(StorageError::InvalidIndex(format!(
            "index {name} must have at least one field"
        )));
    }
    if fields.len() > MAX_INDEX_FIELDS {
        return Err(StorageError::InvalidIndex(format!(
            "index {name} has {} fields (max {MAX_INDEX_FIELDS})",
            fields.len()
        )));
    }
    for f in fields {
        if f.is_empty() || f.split('.').any(str::is_empty) {
            return Err(StorageError::InvalidIndex(format!(
                "index {name} has an invalid field path \"{f}\""
            )));
        }
        if f == "_creationTime" || f == "_id" {
            return Err(StorageError::InvalidIndex(format!(
                "index {name} may not list the system field {f}: it is appended implicitly"
            )));
        }
    }
    let mut seen = std::collections::HashSet::new();
    for f in fields {
        if !seen.insert(f) {
            return Err(StorageError::InvalidIndex(format!(
                "index {name} lists field {f} twice"
            )));
        }
    }
    Ok(())
}
