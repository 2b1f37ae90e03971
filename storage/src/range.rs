//! Turning a `withIndex` range (equalities on a prefix of the index fields,
//! then at most one lower and one upper bound on the next field) into a
//! [`KeyRange`] of index key bytes.
//!
//! Sort keys are self-delimiting, so "every key whose first values are P" is
//! the byte range `[P, successor(P))`.

use crate::error::{Result, StorageError};
use crate::index::IndexMeta;
use crate::keys::prefix_successor;
use crate::transaction::KeyRange;
use crate::value::sort_key::{write_sort_key, write_undefined};
use crate::value::Value;

/// A bound on one index field; `None` value means the field is missing
/// (`undefined`).
#[derive(Clone, Debug, PartialEq)]
pub struct Bound {
    pub value: Option<Value>,
    pub inclusive: bool,
}

/// A parsed `withIndex` range.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IndexBounds {
    /// `(field, value)` equalities, in index field order.
    pub eq: Vec<(String, Option<Value>)>,
    /// The field the bounds apply to (the one after the equality prefix).
    pub range_field: Option<String>,
    pub lower: Option<Bound>,
    pub upper: Option<Bound>,
}

fn write(value: &Option<Value>, out: &mut Vec<u8>) {
    match value {
        Some(v) => write_sort_key(v, out),
        None => write_undefined(out),
    }
}

impl IndexBounds {
    /// Checks the fields against `index` and builds the key range.
    pub fn to_key_range(&self, index: &IndexMeta) -> Result<KeyRange> {
        let fields = index.queryable_fields();
        let bad = |msg: String| StorageError::InvalidIndex(msg);
        for (i, (field, _)) in self.eq.iter().enumerate() {
            if fields.get(i) != Some(field) {
                return Err(bad(format!(
                    "Uhoh, the index range for {} compares field \"{field}\" out of order: index fields are {:?}",
                    index.name, fields
                )));
            }
        }
        if let Some(f) = &self.range_field {
            if fields.get(self.eq.len()) != Some(f) {
                return Err(bad(format!(
                    "the index range for {} bounds field \"{f}\", but the next index field is {:?}",
                    index.name,
                    fields.get(self.eq.len())
                )));
            }
        }
        let mut prefix = Vec::new();
        if matches!(index.kind, crate::index::IndexKind::ById) {
            // by_id keys are raw internal ids: only an equality on _id is meaningful.
            if let Some((_, Some(Value::String(s)))) = self.eq.first() {
                return Ok(match crate::id::DocumentId::decode(s) {
                    Ok(id) if id.table == index.table_number() => {
                        let k = id.internal.0.to_vec();
                        KeyRange {
                            end: Some(successor_key(&k)),
                            start: k,
                        }
                    }
                    _ => KeyRange {
                        start: vec![0xFF; 17],
                        end: Some(vec![0xFF; 17]),
                    },
                });
            }
            if self.eq.is_empty() && self.lower.is_none() && self.upper.is_none() {
                return Ok(KeyRange::all());
            }
            return Err(bad("by_id ranges support only an equality on _id".into()));
        }
        for (_, v) in &self.eq {
            write(v, &mut prefix);
        }
        let start = match &self.lower {
            None => prefix.clone(),
            Some(b) => {
                let mut k = prefix.clone();
                write(&b.value, &mut k);
                if b.inclusive {
                    k
                } else {
                    prefix_successor(&k).unwrap_or(k)
                }
            }
        };
        let end = match &self.upper {
            None => prefix_successor(&prefix),
            Some(b) => {
                let mut k = prefix.clone();
                write(&b.value, &mut k);
                if b.inclusive {
                    prefix_successor(&k)
                } else {
                    Some(k)
                }
            }
        };
        Ok(KeyRange { start, end })
    }
}

/// Exclusive end of the entries of exactly key `k` (entries are `k ‖ ts`).
fn successor_key(k: &[u8]) -> Vec<u8> {
    prefix_successor(k).unwrap_or_else(|| vec![0xFF; k.len() + 1])
}
