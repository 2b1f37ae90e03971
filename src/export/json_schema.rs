//! Renders a table's [`Shape`] as the JSON Schema (draft-07) object that
//! `GET /api/json_schemas` returns per table (convex-protocol.md §5.2), and
//! turns a pushed schema's document validator into a shape for tables that
//! hold no documents yet.

use serde_json::{json, Map, Value as Json};
use storage::JsonFormat;

use super::shape::{Field, Shape};

/// The schema of one table: its document shape as an object with
/// `properties`, plus the delta fields when `delta` is set.
pub fn table_schema(table: &str, shape: &Shape, format: JsonFormat, delta: bool) -> Json {
    let mut schema = match shape {
        Shape::Object(fields) => object_schema(fields, format),
        // No documents: the system fields only.
        _ => object_schema(&system_fields(table), format),
    };
    if let Some(object) = schema.as_object_mut() {
        if delta {
            if let Some(Json::Object(properties)) = object.get_mut("properties") {
                properties.insert("_table".into(), json!({"type": "string"}));
                properties.insert("_component".into(), json!({"type": "string"}));
                properties.insert("_ts".into(), json!({"type": "integer"}));
                properties.insert("_deleted".into(), json!({"type": "boolean"}));
            }
        }
        object.insert(
            "$schema".into(),
            Json::String("http://json-schema.org/draft-07/schema#".into()),
        );
    }
    schema
}

/// `_id` and `_creationTime`, the fields every document has.
pub fn system_fields(table: &str) -> std::collections::BTreeMap<String, Field> {
    [
        ("_id", Shape::Id(table.to_string())),
        ("_creationTime", Shape::Float64 { special: false }),
    ]
    .into_iter()
    .map(|(k, shape)| {
        (
            k.to_string(),
            Field {
                shape,
                optional: false,
            },
        )
    })
    .collect()
}

fn object_schema(fields: &std::collections::BTreeMap<String, Field>, format: JsonFormat) -> Json {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for (name, field) in fields {
        properties.insert(name.clone(), schema(&field.shape, format));
        if !field.optional {
            required.push(Json::String(name.clone()));
        }
    }
    json!({
        "type": "object",
        "properties": properties,
        "additionalProperties": false,
        "required": required,
    })
}

/// The JSON Schema of values of `shape` in `format`.
pub fn schema(shape: &Shape, format: JsonFormat) -> Json {
    match shape {
        Shape::Never | Shape::Unknown => json!({}),
        Shape::Null => json!({"type": "null"}),
        Shape::Boolean => json!({"type": "boolean"}),
        Shape::Int64 => match format {
            JsonFormat::Encoded => tagged("$integer"),
            JsonFormat::Clean => {
                json!({"type": "string", "$description": "int64 represented as base10 string"})
            }
            JsonFormat::Export => json!({"type": "integer"}),
        },
        Shape::Float64 { special: false } => json!({"type": "number"}),
        Shape::Float64 { special: true } => {
            let special = match format {
                JsonFormat::Clean => json!({"type": "string", "$description": "-inf, inf, or NaN"}),
                JsonFormat::Encoded | JsonFormat::Export => tagged("$float"),
            };
            json!({"anyOf": [{"type": "number"}, special]})
        }
        Shape::String => json!({"type": "string"}),
        Shape::Id(table) => json!({"$description": format!("Id({table})"), "type": "string"}),
        Shape::Bytes => match format {
            JsonFormat::Clean => json!({"type": "string", "$description": "base64 bytes"}),
            JsonFormat::Encoded | JsonFormat::Export => tagged("$bytes"),
        },
        Shape::Array(items) => json!({"type": "array", "items": schema(items, format)}),
        Shape::Object(fields) => object_schema(fields, format),
        Shape::Map => json!({"type": "object"}),
        Shape::Union(members) => {
            json!({"anyOf": members.iter().map(|m| schema(m, format)).collect::<Vec<_>>()})
        }
    }
}

/// `{"type":"object","properties":{"<tag>":{"type":"string"}}}`: the
/// encoded form of int64, special floats and bytes.
fn tagged(tag: &str) -> Json {
    let mut properties = Map::new();
    properties.insert(tag.to_string(), json!({"type": "string"}));
    json!({"type": "object", "properties": properties})
}

/// The shape a pushed schema's document validator (convex-protocol.md §4.5)
/// allows, with the system fields added; `None` if it is not an object
/// validator.
pub fn shape_of_document_validator(table: &str, validator: &Json) -> Option<Shape> {
    let Shape::Object(mut fields) = shape_of_validator(validator) else {
        return None;
    };
    fields.extend(system_fields(table));
    Some(Shape::Object(fields))
}

fn shape_of_validator(v: &Json) -> Shape {
    let kind = v.get("type").and_then(Json::as_str).unwrap_or("any");
    match kind {
        "null" => Shape::Null,
        "boolean" => Shape::Boolean,
        "int64" | "bigint" => Shape::Int64,
        "number" | "float64" => Shape::Float64 { special: false },
        "string" => Shape::String,
        "bytes" => Shape::Bytes,
        "id" => match v.get("tableName").and_then(Json::as_str) {
            Some(t) => Shape::Id(t.to_string()),
            None => Shape::String,
        },
        "literal" => match v.get("value") {
            Some(Json::String(_)) => Shape::String,
            Some(Json::Bool(_)) => Shape::Boolean,
            Some(Json::Number(_)) => Shape::Float64 { special: false },
            Some(Json::Object(o)) if o.contains_key("$integer") => Shape::Int64,
            _ => Shape::Unknown,
        },
        "array" => Shape::Array(Box::new(
            v.get("value").map_or(Shape::Unknown, shape_of_validator),
        )),
        "object" => {
            let fields = v
                .get("value")
                .and_then(Json::as_object)
                .map(|o| {
                    o.iter()
                        .map(|(k, f)| {
                            let shape = f
                                .get("fieldType")
                                .map_or(Shape::Unknown, shape_of_validator);
                            let optional =
                                f.get("optional").and_then(Json::as_bool).unwrap_or(false);
                            (k.clone(), Field { shape, optional })
                        })
                        .collect()
                })
                .unwrap_or_default();
            Shape::Object(fields)
        }
        "record" => Shape::Map,
        "union" => v
            .get("value")
            .and_then(Json::as_array)
            .map(|members| {
                members
                    .iter()
                    .fold(Shape::Never, |acc, m| acc.join(shape_of_validator(m)))
            })
            .unwrap_or(Shape::Unknown),
        _ => Shape::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_per_format() {
        assert_eq!(schema(&Shape::Int64, JsonFormat::Clean)["type"], "string");
        assert_eq!(
            schema(&Shape::Int64, JsonFormat::Encoded),
            json!({"type": "object", "properties": {"$integer": {"type": "string"}}})
        );
        assert_eq!(
            schema(&Shape::Bytes, JsonFormat::Encoded),
            json!({"type": "object", "properties": {"$bytes": {"type": "string"}}})
        );
        assert_eq!(schema(&Shape::Bytes, JsonFormat::Clean)["type"], "string");
        assert_eq!(
            schema(&Shape::Float64 { special: true }, JsonFormat::Clean)["anyOf"][1]["type"],
            "string"
        );
        assert_eq!(
            schema(&Shape::Id("users".into()), JsonFormat::Clean),
            json!({"$description": "Id(users)", "type": "string"})
        );
    }

    #[test]
    fn table_schema_has_properties_and_delta_fields() {
        let shape = Shape::Object(system_fields("t"));
        let s = table_schema("t", &shape, JsonFormat::Clean, true);
        assert_eq!(s["type"], "object");
        assert_eq!(s["additionalProperties"], false);
        assert_eq!(s["properties"]["_ts"], json!({"type": "integer"}));
        assert_eq!(s["properties"]["_deleted"], json!({"type": "boolean"}));
        assert_eq!(s["required"], json!(["_creationTime", "_id"]));
        let empty = table_schema("t", &Shape::Never, JsonFormat::Clean, false);
        assert_eq!(empty["properties"]["_id"]["$description"], "Id(t)");
        assert!(empty["properties"].get("_ts").is_none());
    }

    #[test]
    fn validators_become_shapes() {
        let v = json!({"type": "object", "value": {
            "name": {"fieldType": {"type": "string"}, "optional": false},
            "n": {"fieldType": {"type": "int64"}, "optional": true},
            "owner": {"fieldType": {"type": "id", "tableName": "users"}, "optional": false},
        }});
        let shape = shape_of_document_validator("t", &v).expect("object");
        let s = table_schema("t", &shape, JsonFormat::Clean, false);
        assert_eq!(s["properties"]["owner"]["$description"], "Id(users)");
        assert_eq!(s["properties"]["_id"]["$description"], "Id(t)");
        let required: Vec<&str> = s["required"]
            .as_array()
            .expect("array")
            .iter()
            .filter_map(Json::as_str)
            .collect();
        assert_eq!(required, ["_creationTime", "_id", "name", "owner"]);
        assert!(shape_of_document_validator("t", &json!({"type": "any"})).is_none());
    }
}
