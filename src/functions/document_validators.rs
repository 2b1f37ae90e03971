//! The pushed schema's document validators, enforced on every write when
//! the schema has `schemaValidation: true` (Convex's default), and used by
//! the push to check existing documents. Tables the schema does not define
//! are not checked; `_id` and `_creationTime` are never part of the check.

use std::collections::HashMap;

use serde_json::{Map, Value as JsonValue};
use udf_runtime::FunctionValidators;

/// `documentType` validators by table name.
#[derive(Default)]
pub struct DocumentValidators {
    tables: HashMap<String, FunctionValidators>,
}

/// A schema whose document type does not parse.
#[derive(Debug, thiserror::Error)]
#[error("Invalid schema for table {table}: {detail}")]
pub struct InvalidSchema {
    pub table: String,
    pub detail: String,
}

impl DocumentValidators {
    /// The validators of `schema` (`default.export()` of schema.js); none
    /// when there is no schema or it turns validation off.
    pub fn from_schema(schema: Option<&JsonValue>) -> Result<Self, InvalidSchema> {
        let mut tables = HashMap::new();
        let Some(schema) = schema else {
            return Ok(Self { tables });
        };
        if schema.get("schemaValidation") != Some(&JsonValue::Bool(true)) {
            return Ok(Self { tables });
        }
        for t in schema
            .get("tables")
            .and_then(JsonValue::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(table), Some(doc_type)) = (
                t.get("tableName").and_then(JsonValue::as_str),
                t.get("documentType"),
            ) else {
                continue;
            };
            let validator = FunctionValidators::parse("{\"type\":\"any\"}", &doc_type.to_string())
                .map_err(|detail| InvalidSchema {
                    table: table.to_string(),
                    detail,
                })?;
            tables.insert(table.to_string(), validator);
        }
        Ok(Self { tables })
    }

    /// The tables with a validator.
    pub fn tables(&self) -> impl Iterator<Item = &str> {
        self.tables.keys().map(String::as_str)
    }

    /// Whether writes to `table` are checked.
    pub fn covers(&self, table: &str) -> bool {
        self.tables.contains_key(table)
    }

    /// Checks a document (encoded JSON object; system fields ignored) of
    /// `table`; the error is the validator's description of the mismatch.
    pub fn check(
        &self,
        table: &str,
        document: &JsonValue,
        table_for_id: &mut dyn FnMut(&str) -> Option<String>,
    ) -> Result<(), String> {
        let Some(validator) = self.tables.get(table) else {
            return Ok(());
        };
        let user_fields: Map<String, JsonValue> = document
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| k.as_str() != "_id" && k.as_str() != "_creationTime")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        validator
            .check_returns(&JsonValue::Object(user_fields), table_for_id)
            .map_err(|e| e.trim_start_matches("ReturnsValidationError: ").to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema(validation: bool) -> JsonValue {
        json!({"schemaValidation": validation, "tables": [{
            "tableName": "messages", "indexes": [], "searchIndexes": [], "vectorIndexes": [],
            "documentType": {"type": "object", "value": {
                "author": {"fieldType": {"type": "string"}, "optional": false},
                "n": {"fieldType": {"type": "number"}, "optional": true},
            }},
        }]})
    }

    #[test]
    fn checks_only_schema_tables_when_validation_is_on() {
        let v = DocumentValidators::from_schema(Some(&schema(true))).expect("valid");
        let mut none = |_: &str| None;
        assert!(v
            .check(
                "messages",
                &json!({"author": "a", "_id": "x", "_creationTime": 1.0}),
                &mut none
            )
            .is_ok());
        assert!(v
            .check("messages", &json!({"author": 5}), &mut none)
            .is_err());
        assert!(v
            .check("messages", &json!({"author": "a", "extra": 1}), &mut none)
            .is_err());
        assert!(v.check("other", &json!({"anything": 1}), &mut none).is_ok());
        let off = DocumentValidators::from_schema(Some(&schema(false))).expect("valid");
        assert!(off
            .check("messages", &json!({"author": 5}), &mut none)
            .is_ok());
        assert!(DocumentValidators::from_schema(None)
            .expect("none")
            .tables()
            .next()
            .is_none());
    }
}
