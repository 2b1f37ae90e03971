//! The `list_snapshot` cursor as clients see it: the JSON text
//! `{"tablet":"<table number>","id":"<document id>"}`, exclusive. The start of
//! a table is the id with an all-zero internal part, which no document has.
//! Clients treat it as opaque.

use serde::{Deserialize, Serialize};
use storage::{DocumentId, InternalId, SnapshotCursor, TableNumber};

use crate::error::ApiError;

#[derive(Serialize, Deserialize)]
struct CursorJson {
    tablet: String,
    id: String,
}

pub fn encode(cursor: &SnapshotCursor) -> String {
    let internal = cursor.after.unwrap_or(InternalId([0; 16]));
    let json = CursorJson {
        tablet: cursor.table.0.to_string(),
        id: DocumentId::new(cursor.table, internal).encode(),
    };
    serde_json::to_string(&json).unwrap_or_default()
}

pub fn decode(text: &str) -> Result<SnapshotCursor, ApiError> {
    let bad = |why: &str| {
        ApiError::bad_request(
            "InvalidListSnapshotCursor",
            format!("Invalid list_snapshot cursor {text:?}: {why}"),
        )
    };
    let json: CursorJson = serde_json::from_str(text).map_err(|_| bad("not a cursor"))?;
    let table: u32 = json.tablet.parse().map_err(|_| bad("bad tablet"))?;
    let id = DocumentId::decode(&json.id).map_err(|_| bad("bad id"))?;
    if id.table != TableNumber(table) {
        return Err(bad("the id is not of the tablet"));
    }
    let after = (id.internal.0 != [0; 16]).then_some(id.internal);
    Ok(SnapshotCursor {
        table: id.table,
        after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for after in [None, Some(InternalId([9; 16]))] {
            let c = SnapshotCursor {
                table: TableNumber(10002),
                after,
            };
            let text = encode(&c);
            assert!(
                text.starts_with("{\"tablet\":\"10002\",\"id\":\""),
                "{text}"
            );
            assert_eq!(decode(&text).ok(), Some(c));
        }
        for bad in ["", "x", "{\"tablet\":\"1\",\"id\":\"nope\"}", "[]"] {
            let e = decode(bad).expect_err(bad);
            assert_eq!(e.code(), "InvalidListSnapshotCursor");
        }
    }
}
