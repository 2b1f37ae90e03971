//! Exported rows as JSON bytes: a document's fields in the requested format
//! plus `_table`, `_component`, `_ts` (and `_deleted` in deltas), written
//! straight into the response buffer.

use storage::value::json_write::{write_json_str, write_object_fields_where};
use storage::{DocumentId, JsonFormat, Object, Timestamp};

use super::selection::Selection;

/// One exported row.
pub struct Row<'a> {
    pub table: &'a str,
    pub id: &'a DocumentId,
    pub ts: Timestamp,
    /// `None` for a deletion.
    pub fields: Option<&'a Object>,
    /// `Some` in deltas (`_deleted`), `None` in snapshots.
    pub deleted: Option<bool>,
}

/// Starts a page body: `{"values":[<rows>]`; the caller appends the
/// page's other fields and the closing brace.
pub fn page_with_values<'a>(
    rows: impl ExactSizeIterator<Item = Row<'a>>,
    format: JsonFormat,
    selection: &Selection,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(rows.len() * 256 + 128);
    out.extend_from_slice(b"{\"values\":[");
    for (i, row) in rows.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_row(&row, format, selection, &mut out);
    }
    out.push(b']');
    out
}

/// Appends `,"<key>":<n>`.
pub fn write_u64_field(key: &str, n: u64, out: &mut Vec<u8>) {
    out.push(b',');
    write_json_str(key, out);
    out.push(b':');
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Appends `,"<key>":true|false`.
pub fn write_bool_field(key: &str, b: bool, out: &mut Vec<u8>) {
    out.push(b',');
    write_json_str(key, out);
    out.extend_from_slice(if b { b":true" } else { b":false" });
}

/// Appends `row` as a JSON object.
pub fn write_row(row: &Row, format: JsonFormat, selection: &Selection, out: &mut Vec<u8>) {
    out.push(b'{');
    match row.fields {
        Some(fields) => {
            let filter = selection.filters_columns(row.table);
            write_object_fields_where(fields, format, out, |k| {
                !filter || selection.includes_column(row.table, k)
            });
        }
        None => {
            out.extend_from_slice(b"\"_id\":");
            write_json_str(&row.id.encode(), out);
        }
    }
    out.extend_from_slice(b",\"_table\":");
    write_json_str(row.table, out);
    out.extend_from_slice(b",\"_component\":\"\"");
    write_u64_field("_ts", row.ts, out);
    if let Some(deleted) = row.deleted {
        write_bool_field("_deleted", deleted, out);
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use storage::{InternalId, TableNumber, Value};

    #[test]
    fn rows_are_json_with_system_fields() {
        let id = DocumentId::new(TableNumber(10001), InternalId([7; 16]));
        let mut fields = Object::new();
        fields.insert("_id".into(), Value::String(id.encode()));
        fields.insert("n".into(), Value::Int64(5));
        fields.insert("ssn".into(), Value::String("x".into()));
        let mut out = Vec::new();
        let row = Row {
            table: "users",
            id: &id,
            ts: 42,
            fields: Some(&fields),
            deleted: Some(false),
        };
        write_row(&row, JsonFormat::Clean, &Selection::all(), &mut out);
        let j: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(j["n"], "5");
        assert_eq!(j["_ts"], 42);
        assert_eq!(j["_table"], "users");
        assert_eq!(j["_component"], "");
        assert_eq!(j["_deleted"], false);

        let selection = Selection::parse(&serde_json::json!({
            "_other": "excluded",
            "": {"_other": "excluded", "users": {"_other": "included", "ssn": "excluded"}}
        }))
        .expect("selection");
        out.clear();
        write_row(&row, JsonFormat::Encoded, &selection, &mut out);
        let j: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert!(j.get("ssn").is_none());
        assert_eq!(j["n"]["$integer"], "BQAAAAAAAAA=");

        out.clear();
        let deleted = Row {
            fields: None,
            deleted: Some(true),
            ..row
        };
        write_row(&deleted, JsonFormat::Clean, &Selection::all(), &mut out);
        let j: serde_json::Value = serde_json::from_slice(&out).expect("json");
        assert_eq!(j["_id"], id.encode());
        assert_eq!(j["_deleted"], true);
        assert_eq!(j.as_object().map(|o| o.len()), Some(5));
    }
}
