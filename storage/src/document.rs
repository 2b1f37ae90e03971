//! A stored document and the byte formats of revisions and index entries.
//!
//! A document is a Convex object that always holds `_id` (string) and
//! `_creationTime` (float64 ms). On disk it is the value's sort-key encoding,
//! which is exact (bit-for-bit floats) and needs no second codec.

use crate::error::{Result, StorageError};
use crate::id::DocumentId;
use crate::value::object_size;
use crate::value::sort_key::{read_sort_key, write_object_sort_key};
use crate::value::{Object, Value};
use crate::Timestamp;

pub const ID_FIELD: &str = "_id";
pub const CREATION_TIME_FIELD: &str = "_creationTime";

/// A document as stored: its id, creation time and all fields (system fields included).
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    pub id: DocumentId,
    pub creation_time: f64,
    /// All fields, including `_id` and `_creationTime`.
    pub fields: Object,
}

impl Document {
    /// Builds a document from user fields, adding the system fields.
    pub fn new(id: DocumentId, creation_time: f64, mut fields: Object) -> Self {
        fields.insert(ID_FIELD.to_string(), Value::String(id.encode()));
        fields.insert(
            CREATION_TIME_FIELD.to_string(),
            Value::Float64(creation_time),
        );
        Self {
            id,
            creation_time,
            fields,
        }
    }

    /// Size by Convex's metric (§2.4), system fields included.
    pub fn size(&self) -> usize {
        object_size(&self.fields)
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128);
        write_object_sort_key(&self.fields, &mut out);
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let (value, used) = read_sort_key(bytes).map_err(|e| corrupt(&e.to_string()))?;
        if used != bytes.len() {
            return Err(corrupt("trailing bytes after document"));
        }
        let Some(Value::Object(fields)) = value else {
            return Err(corrupt("stored document is not an object"));
        };
        let id = match fields.get(ID_FIELD) {
            Some(Value::String(s)) => DocumentId::decode(s).map_err(|e| corrupt(&e.to_string()))?,
            _ => return Err(corrupt("stored document has no _id")),
        };
        let creation_time = match fields.get(CREATION_TIME_FIELD) {
            Some(Value::Float64(t)) => *t,
            _ => return Err(corrupt("stored document has no _creationTime")),
        };
        Ok(Self {
            id,
            creation_time,
            fields,
        })
    }
}

fn corrupt(msg: &str) -> StorageError {
    StorageError::Corrupt(msg.to_string())
}

/// One committed revision in the commit log: the document after the commit
/// (`None` for a deletion) and the timestamp of the revision it replaced.
#[derive(Clone, Debug, PartialEq)]
pub struct Revision {
    pub prev_ts: Option<Timestamp>,
    pub document: Option<Document>,
}

const LIVE: u8 = 0;
const DELETED: u8 = 1;

impl Revision {
    pub fn encode(&self) -> Vec<u8> {
        let doc = self.document.as_ref().map(Document::encode);
        Self::encode_parts(self.prev_ts, doc.as_deref())
    }

    /// Encodes a revision from an already encoded document.
    pub fn encode_parts(prev_ts: Option<Timestamp>, document: Option<&[u8]>) -> Vec<u8> {
        let mut out = Vec::with_capacity(9 + document.map_or(0, <[u8]>::len));
        out.push(if document.is_some() { LIVE } else { DELETED });
        out.extend_from_slice(&prev_ts.unwrap_or(0).to_be_bytes());
        if let Some(doc) = document {
            out.extend_from_slice(doc);
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Self> {
        if bytes.len() < 9 {
            return Err(corrupt("revision too short"));
        }
        let prev = u64::from_be_bytes(bytes[1..9].try_into().map_err(|_| corrupt("revision"))?);
        let document = match bytes[0] {
            LIVE => Some(Document::decode(&bytes[9..])?),
            DELETED => None,
            _ => return Err(corrupt("bad revision flag")),
        };
        Ok(Self {
            prev_ts: (prev != 0).then_some(prev),
            document,
        })
    }

    /// Reads only the deletion flag and previous timestamp, without decoding the document.
    pub fn peek_header(bytes: &[u8]) -> Result<(bool, Option<Timestamp>)> {
        if bytes.len() < 9 {
            return Err(corrupt("revision too short"));
        }
        let prev = u64::from_be_bytes(bytes[1..9].try_into().map_err(|_| corrupt("revision"))?);
        Ok((bytes[0] == DELETED, (prev != 0).then_some(prev)))
    }
}

/// The value of an index entry: a tombstone, or a live marker; `by_id` entries
/// carry the whole document so a point read is a single seek.
pub enum IndexEntry<'a> {
    Tombstone,
    Live { document: Option<&'a [u8]> },
}

impl<'a> IndexEntry<'a> {
    pub fn encode_live(document: Option<&[u8]>) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + document.map_or(0, |d| d.len()));
        out.push(LIVE);
        if let Some(d) = document {
            out.extend_from_slice(d);
        }
        out
    }

    pub fn encode_tombstone() -> Vec<u8> {
        vec![DELETED]
    }

    pub fn decode(bytes: &'a [u8]) -> Result<Self> {
        match bytes.first() {
            Some(&LIVE) if bytes.len() > 1 => Ok(IndexEntry::Live {
                document: Some(&bytes[1..]),
            }),
            Some(&LIVE) => Ok(IndexEntry::Live { document: None }),
            Some(&DELETED) => Ok(IndexEntry::Tombstone),
            _ => Err(corrupt("bad index entry")),
        }
    }
}
