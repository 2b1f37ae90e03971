//! Inferred shapes: the type that covers every document a table has held,
//! grown one document at a time. `json_schemas` and `get_table_column_names`
//! are rendered from them.
//!
//! Invariant: a shape only ever widens. A document that is later deleted may
//! leave a field behind (optional, since other documents lack it), so the
//! shape covers the table's documents but may be wider than today's.

use std::collections::BTreeMap;

use storage::{DocumentId, Object, Value};

/// Above this many members a union is widened to [`Shape::Unknown`].
const MAX_UNION: usize = 8;
/// Above this many distinct fields a nested object is treated as a map of
/// unknown keys (`{"type": "object"}`); top-level documents are never cut.
const MAX_NESTED_FIELDS: usize = 256;

#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    /// No value seen yet.
    Never,
    Null,
    Boolean,
    Int64,
    /// `special` once a NaN, ±Infinity or −0 was seen.
    Float64 {
        special: bool,
    },
    String,
    /// A string that is an ID of the named table.
    Id(String),
    Bytes,
    Array(Box<Shape>),
    Object(BTreeMap<String, Field>),
    /// An object with too many distinct keys to list.
    Map,
    /// Two or more shapes of different kinds (never nested, never `Never`).
    Union(Vec<Shape>),
    /// Anything.
    Unknown,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub shape: Shape,
    /// Some document lacked this field.
    pub optional: bool,
}

/// Resolves the table of an ID-like string, if the ID's table exists.
pub type TableNames<'a> = dyn Fn(&DocumentId) -> Option<String> + 'a;

impl Shape {
    /// The shape of one value.
    pub fn of(v: &Value, names: &TableNames) -> Shape {
        Self::of_at(v, names, false)
    }

    fn of_at(v: &Value, names: &TableNames, top: bool) -> Shape {
        match v {
            Value::Null => Shape::Null,
            Value::Boolean(_) => Shape::Boolean,
            Value::Int64(_) => Shape::Int64,
            Value::Float64(f) => Shape::Float64 {
                special: !f.is_finite() || (*f == 0.0 && f.is_sign_negative()),
            },
            Value::String(s) => match id_table(s, names) {
                Some(table) => Shape::Id(table),
                None => Shape::String,
            },
            Value::Bytes(_) => Shape::Bytes,
            Value::Array(a) => Shape::Array(Box::new(
                a.iter()
                    .fold(Shape::Never, |acc, e| acc.join(Shape::of(e, names))),
            )),
            Value::Object(o) => Self::of_object(o, names, top),
        }
    }

    /// The shape of a document (never cut to [`Shape::Map`]).
    pub fn of_document(fields: &Object, names: &TableNames) -> Shape {
        Self::of_object(fields, names, true)
    }

    fn of_object(o: &Object, names: &TableNames, top: bool) -> Shape {
        if !top && o.len() > MAX_NESTED_FIELDS {
            return Shape::Map;
        }
        Shape::Object(
            o.iter()
                .map(|(k, v)| {
                    let field = Field {
                        shape: Self::of_at(v, names, false),
                        optional: false,
                    };
                    (k.clone(), field)
                })
                .collect(),
        )
    }

    /// The smallest shape covering both.
    pub fn join(self, other: Shape) -> Shape {
        self.join_at(other, false)
    }

    /// Joins document shapes (objects are never cut to [`Shape::Map`]).
    pub fn join_document(self, other: Shape) -> Shape {
        self.join_at(other, true)
    }

    fn join_at(self, other: Shape, top: bool) -> Shape {
        use Shape::*;
        match (self, other) {
            (Never, s) | (s, Never) => s,
            (Unknown, _) | (_, Unknown) => Unknown,
            (Float64 { special: a }, Float64 { special: b }) => Float64 { special: a || b },
            (Id(a), Id(b)) if a == b => Id(a),
            (Id(_), String) | (String, Id(_)) => String,
            (Array(a), Array(b)) => Array(Box::new(a.join(*b))),
            (Object(a), Object(b)) => join_objects(a, b, top),
            (Map, Object(_)) | (Object(_), Map) | (Map, Map) => Map,
            (Union(members), s) | (s, Union(members)) => {
                let mut out = members;
                match s {
                    Union(more) => {
                        for m in more {
                            out = union_add(out, m);
                        }
                    }
                    s => out = union_add(out, s),
                }
                finish_union(out)
            }
            (a, b) if a == b => a,
            (a, b) => finish_union(union_add(vec![a], b)),
        }
    }

    /// The top-level field names of a document shape.
    pub fn field_names(&self) -> Vec<String> {
        match self {
            Shape::Object(fields) => fields.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }
}

fn join_objects(a: BTreeMap<String, Field>, mut b: BTreeMap<String, Field>, top: bool) -> Shape {
    let mut out = BTreeMap::new();
    for (k, fa) in a {
        let field = match b.remove(&k) {
            Some(fb) => Field {
                shape: fa.shape.join(fb.shape),
                optional: fa.optional || fb.optional,
            },
            None => Field {
                shape: fa.shape,
                optional: true,
            },
        };
        out.insert(k, field);
    }
    for (k, fb) in b {
        out.insert(
            k,
            Field {
                shape: fb.shape,
                optional: true,
            },
        );
    }
    if !top && out.len() > MAX_NESTED_FIELDS {
        return Shape::Map;
    }
    Shape::Object(out)
}

/// Adds `s` to a flat union, joining it into a member of the same kind.
fn union_add(mut members: Vec<Shape>, s: Shape) -> Vec<Shape> {
    if matches!(s, Shape::Never) {
        return members;
    }
    if let Some(i) = members.iter().position(|m| same_kind(m, &s)) {
        let m = members.swap_remove(i);
        members.push(m.join(s));
    } else {
        members.push(s);
    }
    members
}

fn finish_union(mut members: Vec<Shape>) -> Shape {
    if members.len() > MAX_UNION {
        return Shape::Unknown;
    }
    if members.len() == 1 {
        return members.pop().unwrap_or(Shape::Never);
    }
    members.sort_by_key(kind_rank);
    Shape::Union(members)
}

/// Shapes of one kind join into one (ids of different tables do not, but an
/// id joins a plain string).
fn same_kind(a: &Shape, b: &Shape) -> bool {
    use Shape::*;
    match (a, b) {
        (Id(x), Id(y)) => x == y,
        (Id(_), String) | (String, Id(_)) => true,
        (Object(_) | Map, Object(_) | Map) => true,
        _ => kind_rank(a) == kind_rank(b),
    }
}

fn kind_rank(s: &Shape) -> u8 {
    match s {
        Shape::Never => 0,
        Shape::Null => 1,
        Shape::Boolean => 2,
        Shape::Int64 => 3,
        Shape::Float64 { .. } => 4,
        Shape::String => 5,
        Shape::Id(_) => 6,
        Shape::Bytes => 7,
        Shape::Array(_) => 8,
        Shape::Object(_) | Shape::Map => 9,
        Shape::Union(_) => 10,
        Shape::Unknown => 11,
    }
}

/// The table of `s` when it is the ID of an existing table.
fn id_table(s: &str, names: &TableNames) -> Option<String> {
    // IDs are 31 to 37 characters; skip the decode for anything else.
    if !(31..=37).contains(&s.len()) {
        return None;
    }
    let id = DocumentId::decode(s).ok()?;
    names(&id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use storage::{InternalId, TableNumber};

    fn no_tables(_: &DocumentId) -> Option<String> {
        None
    }

    fn doc(pairs: &[(&str, Value)]) -> Object {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn fields_missing_somewhere_become_optional() {
        let a = Shape::of_document(
            &doc(&[("x", Value::Float64(1.0)), ("y", Value::Null)]),
            &no_tables,
        );
        let b = Shape::of_document(&doc(&[("x", Value::Int64(2))]), &no_tables);
        let Shape::Object(fields) = a.join_document(b) else {
            panic!("object expected");
        };
        assert!(!fields["x"].optional);
        assert!(fields["y"].optional);
        assert_eq!(
            fields["x"].shape,
            Shape::Union(vec![Shape::Int64, Shape::Float64 { special: false }])
        );
    }

    #[test]
    fn ids_of_existing_tables_are_recognised() {
        let id = DocumentId::new(TableNumber(10001), InternalId([3; 16]));
        let names = |i: &DocumentId| (i.table == TableNumber(10001)).then(|| "users".to_string());
        let s = Shape::of(&Value::String(id.encode()), &names);
        assert_eq!(s, Shape::Id("users".into()));
        assert_eq!(s.join(Shape::String), Shape::String);
        assert_eq!(
            Shape::of(&Value::String("plain".into()), &names),
            Shape::String
        );
    }

    #[test]
    fn unions_stay_flat_and_bounded() {
        let mut s = Shape::Never;
        for v in [
            Value::Null,
            Value::Boolean(true),
            Value::Float64(f64::NAN),
            Value::Null,
        ] {
            s = s.join(Shape::of(&v, &no_tables));
        }
        assert_eq!(
            s,
            Shape::Union(vec![
                Shape::Null,
                Shape::Boolean,
                Shape::Float64 { special: true }
            ])
        );
        let arrays = Shape::of(
            &Value::Array(vec![Value::Int64(1), Value::String("a".into())]),
            &no_tables,
        );
        assert_eq!(
            arrays,
            Shape::Array(Box::new(Shape::Union(vec![Shape::Int64, Shape::String])))
        );
    }
}
