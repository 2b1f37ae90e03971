//! Which tables and columns an export request covers (convex-protocol.md
//! §5.2 "Selection"): the `selection` object, the legacy `tableName` /
//! `table_name` (with optional `component`), a bare `component`, or nothing
//! (everything). This server has only the root component `""`.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::error::ApiError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Inclusion {
    Included,
    Excluded,
}

#[derive(Clone, Debug, PartialEq)]
enum Columns {
    Excluded,
    Some {
        other: Inclusion,
        columns: BTreeMap<String, Inclusion>,
    },
}

/// The tables (and their columns) of the root component an export covers.
#[derive(Clone, Debug, PartialEq)]
pub struct Selection {
    other_tables: Inclusion,
    tables: BTreeMap<String, Columns>,
}

impl Selection {
    /// Every table, every column.
    pub fn all() -> Self {
        Self {
            other_tables: Inclusion::Included,
            tables: BTreeMap::new(),
        }
    }

    fn nothing() -> Self {
        Self {
            other_tables: Inclusion::Excluded,
            tables: BTreeMap::new(),
        }
    }

    /// Exactly one table, every column.
    pub fn table(name: &str) -> Self {
        let mut tables = BTreeMap::new();
        tables.insert(
            name.to_string(),
            Columns::Some {
                other: Inclusion::Included,
                columns: BTreeMap::new(),
            },
        );
        Self {
            other_tables: Inclusion::Excluded,
            tables,
        }
    }

    /// Reads the selection from request arguments (first match wins:
    /// `selection`, then `tableName`/`table_name`, then `component`).
    pub fn from_args(args: &serde_json::Map<String, Json>) -> Result<Self, ApiError> {
        let text = |key: &str| {
            args.get(key)
                .and_then(Json::as_str)
                .filter(|s| !s.is_empty())
        };
        if let Some(selection) = args.get("selection").filter(|s| !s.is_null()) {
            return Self::parse(selection);
        }
        let root = text("component").is_none_or(|c| c.is_empty());
        if let Some(table) = text("tableName").or_else(|| text("table_name")) {
            return Ok(if root {
                Self::table(table)
            } else {
                Self::nothing()
            });
        }
        Ok(if root { Self::all() } else { Self::nothing() })
    }

    /// Parses a `Selection` object:
    /// `{"_other": incl, "<component>": "excluded" | {"_other": incl,
    /// "<table>": "excluded" | {"_other": incl, "<column>": incl}}}`.
    pub fn parse(j: &Json) -> Result<Self, ApiError> {
        let top = as_object(j, "selection")?;
        let other_components = other(top, "selection")?;
        let root = match top.get("") {
            None => match other_components {
                Inclusion::Included => return Ok(Self::all()),
                Inclusion::Excluded => return Ok(Self::nothing()),
            },
            Some(v) => v,
        };
        if let Some(inclusion) = inclusion_of(root) {
            return Ok(match inclusion {
                Inclusion::Included => Self::all(),
                Inclusion::Excluded => Self::nothing(),
            });
        }
        let root = as_object(root, "selection[\"\"]")?;
        let mut tables = BTreeMap::new();
        for (table, v) in root {
            if table == "_other" {
                continue;
            }
            let where_ = format!("selection[\"\"][{table:?}]");
            let columns = match inclusion_of(v) {
                Some(Inclusion::Excluded) => Columns::Excluded,
                Some(Inclusion::Included) => Columns::Some {
                    other: Inclusion::Included,
                    columns: BTreeMap::new(),
                },
                None => {
                    let o = as_object(v, &where_)?;
                    let mut columns = BTreeMap::new();
                    for (column, c) in o {
                        if column == "_other" {
                            continue;
                        }
                        let inclusion = inclusion_of(c).ok_or_else(|| {
                            bad(format!(
                                "{where_}[{column:?}] must be \"included\" or \"excluded\""
                            ))
                        })?;
                        columns.insert(column.clone(), inclusion);
                    }
                    Columns::Some {
                        other: other(o, &where_)?,
                        columns,
                    }
                }
            };
            tables.insert(table.clone(), columns);
        }
        Ok(Self {
            other_tables: other(root, "selection[\"\"]")?,
            tables,
        })
    }

    pub fn includes_table(&self, table: &str) -> bool {
        match self.tables.get(table) {
            Some(Columns::Excluded) => false,
            Some(Columns::Some { .. }) => true,
            None => self.other_tables == Inclusion::Included,
        }
    }

    /// Whether `column` of `table` is exported. `_id` always is.
    pub fn includes_column(&self, table: &str, column: &str) -> bool {
        if column == "_id" {
            return true;
        }
        match self.tables.get(table) {
            Some(Columns::Excluded) => false,
            Some(Columns::Some { other, columns }) => {
                columns.get(column).copied().unwrap_or(*other) == Inclusion::Included
            }
            None => self.other_tables == Inclusion::Included,
        }
    }

    /// Whether some column of `table` is excluded (so rows need filtering).
    pub fn filters_columns(&self, table: &str) -> bool {
        match self.tables.get(table) {
            Some(Columns::Some { other, columns }) => {
                *other == Inclusion::Excluded || columns.values().any(|c| *c == Inclusion::Excluded)
            }
            _ => false,
        }
    }
}

fn inclusion_of(j: &Json) -> Option<Inclusion> {
    match j.as_str()? {
        "included" | "incl" => Some(Inclusion::Included),
        "excluded" | "excl" => Some(Inclusion::Excluded),
        _ => None,
    }
}

/// The `_other` of one level. Convex's selection type requires it at every
/// level (its handler, on a selection it cannot read, silently exports
/// everything; here a missing `_other` is a clear error instead, so a
/// caller's exclusions are never ignored).
fn other(o: &serde_json::Map<String, Json>, where_: &str) -> Result<Inclusion, ApiError> {
    match o.get("_other") {
        None => Err(bad(format!(
            "{where_}._other is required: \"included\" or \"excluded\""
        ))),
        Some(v) => inclusion_of(v).ok_or_else(|| {
            bad(format!(
                "{where_}._other must be \"included\" or \"excluded\""
            ))
        }),
    }
}

fn as_object<'a>(j: &'a Json, where_: &str) -> Result<&'a serde_json::Map<String, Json>, ApiError> {
    j.as_object().ok_or_else(|| {
        bad(format!(
            "{where_} must be an object, \"included\" or \"excluded\""
        ))
    })
}

fn bad(message: String) -> ApiError {
    ApiError::bad_request("InvalidSelection", message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(j: Json) -> serde_json::Map<String, Json> {
        j.as_object().cloned().expect("object")
    }

    #[test]
    fn legacy_forms() {
        let s = Selection::from_args(&args(json!({"tableName": "messages"}))).expect("ok");
        assert!(s.includes_table("messages") && !s.includes_table("users"));
        let s = Selection::from_args(&args(json!({"table_name": "users"}))).expect("ok");
        assert!(s.includes_table("users") && !s.includes_table("messages"));
        let s = Selection::from_args(&args(json!({}))).expect("ok");
        assert!(s.includes_table("anything"));
        let s = Selection::from_args(&args(json!({"component": "other"}))).expect("ok");
        assert!(!s.includes_table("messages"));
    }

    #[test]
    fn fivetran_selection() {
        let s = Selection::parse(&json!({
            "_other": "excluded",
            "": {"_other": "excluded",
                 "posts": {"_other": "included"},
                 "users": {"_other": "incl", "ssn": "excl"},
                 "logs": "excluded"}
        }))
        .expect("ok");
        assert!(s.includes_table("posts") && s.includes_table("users"));
        assert!(!s.includes_table("logs") && !s.includes_table("other"));
        assert!(s.includes_column("users", "name"));
        assert!(!s.includes_column("users", "ssn"));
        assert!(s.filters_columns("users") && !s.filters_columns("posts"));
        assert!(Selection::parse(
            &json!({"_other": "excluded", "": {"_other": "excluded", "t": 3}})
        )
        .is_err());
        assert!(Selection::parse(&json!([1])).is_err());
    }

    #[test]
    fn other_is_required_at_every_level() {
        let missing = [
            json!({"": "included"}),
            json!({"_other": "excluded", "": {"t": "included"}}),
            json!({"_other": "excluded", "": {"_other": "excluded", "t": {"ssn": "excluded"}}}),
        ];
        for selection in missing {
            let err = Selection::parse(&selection).expect_err("missing _other");
            assert!(err.to_string().contains("_other is required"), "{err}");
        }
    }
}
