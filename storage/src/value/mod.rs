//! Convex values (§2.1 of the protocol notes): the [`Value`] type, its size and
//! nesting metrics, its total order (identical to the sort-key byte order of
//! [`sort_key`]), and the limits every stored value and user document obeys.
//!
//! Submodules: [`json`] (the encoded / clean / export JSON forms), [`sort_key`]
//! (the order-preserving byte encoding, also the on-disk document format) and
//! [`names`] (field names and identifiers).

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};

pub mod json;
pub mod json_write;
pub mod names;
pub mod sort_key;

pub use json::patch_from_encoded_json;
pub use json_write::{write_json, write_json_str, JsonFormat};
pub use names::{check_field_name, check_identifier, check_index_name, check_user_table_name};
pub use sort_key::{
    read_sort_key, sort_key, value_from_sort_key, write_object_sort_key, write_sort_key,
    write_undefined,
};

/// An object's fields, sorted by name (bytewise, which is `String`'s order).
pub type Object = BTreeMap<String, Value>;

/// Maximum [`Value::size`] of any value (32 MiB).
pub const MAX_VALUE_SIZE: usize = 1 << 25;
/// Maximum [`Value::nesting`] of any value.
pub const MAX_VALUE_NESTING: usize = 64;
/// Maximum [`Value::size`] of a user document, system fields included (1 MiB).
pub const MAX_DOCUMENT_SIZE: usize = 1 << 20;
/// Maximum [`Value::nesting`] of a user document (the document object counts).
pub const MAX_DOCUMENT_NESTING: usize = 16;
/// Maximum number of elements of an array.
pub const MAX_ARRAY_LEN: usize = 8192;
/// Maximum number of fields of an object.
pub const MAX_OBJECT_FIELDS: usize = 1024;
/// Maximum length of a field name, in bytes.
pub const MAX_FIELD_NAME_LENGTH: usize = 1024;
/// Maximum length of an identifier (table, index, function name).
pub const MAX_IDENTIFIER_LEN: usize = 64;

/// A Convex value. `undefined` is not a value (it is `Option::None` where it
/// can occur: missing index fields, patch removals).
#[derive(Clone, Debug)]
pub enum Value {
    Null,
    Int64(i64),
    Float64(f64),
    Boolean(bool),
    String(String),
    Bytes(Vec<u8>),
    Array(Vec<Value>),
    Object(Object),
}

/// Everything that can be wrong with a value, a name, or one of their encodings.
#[derive(thiserror::Error, Debug, Clone, PartialEq)]
pub enum ValueError {
    #[error("Field name {} starts with a '$', which is reserved.{}", show(.name), at(.path))]
    FieldNameReserved { name: String, path: String },
    #[error(
        "Field name {} has invalid character {:?}: field names can only contain non-control ASCII characters.{}",
        show(.name), .ch, at(.path)
    )]
    FieldNameInvalidCharacter {
        name: String,
        ch: char,
        path: String,
    },
    #[error(
        "Field name {} is {len} bytes long, which exceeds the maximum field name length {MAX_FIELD_NAME_LENGTH}.{}",
        show(.name), at(.path)
    )]
    FieldNameTooLong {
        name: String,
        len: usize,
        path: String,
    },
    #[error(
        "Field '{}' starts with an underscore, which is only allowed for system fields like '_id'",
        show_raw(.name)
    )]
    ReservedSystemField { name: String },
    #[error("Array length {len} is too long (max length {MAX_ARRAY_LEN}).{}", at(.path))]
    ArrayTooLong { len: usize, path: String },
    #[error("Object has too many fields ({count} fields, max {MAX_OBJECT_FIELDS}).{}", at(.path))]
    TooManyFields { count: usize, path: String },
    #[error("Value is too large ({}, max 32 MiB)", human_size(*.size))]
    ValueTooLarge { size: usize },
    #[error("Document is too large ({}, max 1 MiB)", human_size(*.size))]
    DocumentTooLarge { size: usize },
    #[error(
        "Value is too nested (more than {MAX_VALUE_NESTING} levels of arrays and objects).{}",
        at(.path)
    )]
    ValueTooNested { path: String },
    #[error(
        "Document is too nested (more than {MAX_DOCUMENT_NESTING} levels of arrays and objects).{}",
        at(.path)
    )]
    DocumentTooNested { path: String },

    #[error("Invalid {kind} {}: {reason}", show(.name))]
    InvalidIdentifier {
        kind: &'static str,
        name: String,
        reason: &'static str,
    },
    #[error("Table name {} is reserved: names starting with '_' are for system tables", show(.name))]
    ReservedTableName { name: String },
    #[error(
        "Index name {} is reserved: names starting with '_', \"by_id\" and \"by_creation_time\" are reserved",
        show(.name)
    )]
    ReservedIndexName { name: String },

    #[error("Int64 must be exactly eight bytes")]
    Int64WrongLength,
    #[error("Float64 must be exactly eight bytes")]
    Float64WrongLength,
    #[error("Float64 {value:?} should be encoded as a number")]
    FloatShouldBeNumber { value: f64 },
    #[error("Invalid base64 in {tag}: {message}")]
    InvalidBase64 { tag: &'static str, message: String },
    #[error("The value of {tag} must be a string")]
    SpecialValueNotString { tag: &'static str },
    #[error("undefined is not a valid Convex value (it may only appear as a top-level field value of a patch)")]
    UndefinedNotAllowed,
    #[error("A patch must be a JSON object")]
    PatchNotObject,
    #[error("JSON number {number} cannot be represented as a Float64")]
    InvalidNumber { number: String },

    #[error("Invalid sort key at byte {offset}: {reason}")]
    InvalidSortKey { offset: usize, reason: &'static str },
}

/// A field name as shown in messages: quoted, escaped, and cut if very long.
fn show(name: &str) -> String {
    format!("\"{}\"", show_raw(name))
}

fn show_raw(name: &str) -> String {
    const MAX_SHOWN: usize = 64;
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if i == MAX_SHOWN {
            out.push_str("...");
            break;
        }
        out.extend(c.escape_debug());
    }
    out
}

fn at(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" (at path {path})")
    }
}

fn human_size(size: usize) -> String {
    const KIB: f64 = 1024.0;
    const MIB: f64 = 1024.0 * 1024.0;
    let s = size as f64;
    if s >= MIB {
        format!("{:.2} MiB = {size} bytes", s / MIB)
    } else if s >= KIB {
        format!("{:.2} KiB = {size} bytes", s / KIB)
    } else {
        format!("{size} bytes")
    }
}

/// Where in a value we are, as a stack-allocated linked list; only turned into
/// a string when an error is reported.
#[derive(Clone, Copy)]
pub(crate) enum Path<'a> {
    Root,
    Field(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }

    fn render_into(&self, out: &mut String) {
        match self {
            Path::Root => {}
            Path::Field(parent, name) => {
                parent.render_into(out);
                out.push('.');
                out.push_str(&show_raw(name));
            }
            Path::Index(parent, i) => {
                parent.render_into(out);
                let _ = write!(out, "[{i}]");
            }
        }
    }
}

impl Value {
    /// Size by Convex's metric (§2.4): null/bool 1, int64/float64 9,
    /// string/bytes `len + 2`, array `2 + Σ elements`, object
    /// `2 + Σ (name.len + 1 + value.size)`.
    pub fn size(&self) -> usize {
        match self {
            Value::Null | Value::Boolean(_) => 1,
            Value::Int64(_) | Value::Float64(_) => 9,
            Value::String(s) => s.len() + 2,
            Value::Bytes(b) => b.len() + 2,
            Value::Array(a) => 2 + a.iter().map(Value::size).sum::<usize>(),
            Value::Object(o) => object_size(o),
        }
    }

    /// Nesting depth: scalars 0, arrays and objects `1 + max(children)`.
    pub fn nesting(&self) -> usize {
        match self {
            Value::Array(a) => 1 + a.iter().map(Value::nesting).max().unwrap_or(0),
            Value::Object(o) => 1 + o.values().map(Value::nesting).max().unwrap_or(0),
            _ => 0,
        }
    }

    /// The type's name as used in messages: "null", "int64", "float64",
    /// "boolean", "string", "bytes", "array" or "object".
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Int64(_) => "int64",
            Value::Float64(_) => "float64",
            Value::Boolean(_) => "boolean",
            Value::String(_) => "string",
            Value::Bytes(_) => "bytes",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }

    /// Checks the limits every value obeys: array length, number of object
    /// fields, field names (§2.5), size ≤ 32 MiB and nesting ≤ 64.
    pub fn check_value(&self) -> Result<(), ValueError> {
        let size = walk(self, &Path::Root, 0, &VALUE_LIMITS)?;
        if size > MAX_VALUE_SIZE {
            return Err(ValueError::ValueTooLarge { size });
        }
        Ok(())
    }

    /// Rank of the type in the cross-type order (§2.8); booleans share one rank.
    fn type_rank(&self) -> u8 {
        match self {
            Value::Null => 0,
            Value::Int64(_) => 1,
            Value::Float64(_) => 2,
            Value::Boolean(_) => 3,
            Value::String(_) => 4,
            Value::Bytes(_) => 5,
            Value::Array(_) => 6,
            Value::Object(_) => 7,
        }
    }
}

/// [`Value::size`] of an object, without building a `Value::Object`.
pub fn object_size(o: &Object) -> usize {
    2 + o.iter().map(|(k, v)| k.len() + 1 + v.size()).sum::<usize>()
}

/// Checks a user document (the whole object, including `_id` and
/// `_creationTime` if present): top-level fields starting with `_` other than
/// `_id` / `_creationTime` are rejected, size ≤ 1 MiB, nesting ≤ 16 (the
/// document itself is one level), plus everything [`Value::check_value`] checks.
pub fn check_document(obj: &Object) -> Result<(), ValueError> {
    for name in obj.keys() {
        if name.starts_with('_') && name != "_id" && name != "_creationTime" {
            return Err(ValueError::ReservedSystemField { name: name.clone() });
        }
    }
    let size = walk_object(obj, &Path::Root, 0, &DOCUMENT_LIMITS)?;
    if size > MAX_DOCUMENT_SIZE {
        return Err(ValueError::DocumentTooLarge { size });
    }
    Ok(())
}

struct Limits {
    max_nesting: usize,
    document: bool,
}

const VALUE_LIMITS: Limits = Limits {
    max_nesting: MAX_VALUE_NESTING,
    document: false,
};
const DOCUMENT_LIMITS: Limits = Limits {
    max_nesting: MAX_DOCUMENT_NESTING,
    document: true,
};

impl Limits {
    fn too_nested(&self, path: &Path) -> ValueError {
        let path = path.render();
        if self.document {
            ValueError::DocumentTooNested { path }
        } else {
            ValueError::ValueTooNested { path }
        }
    }
}

/// Validates `v` (found at `path`, inside `depth` containers) and returns its
/// size. Recursion stops at the nesting limit, so hostile values cannot
/// overflow the stack here.
fn walk(v: &Value, path: &Path, depth: usize, lim: &Limits) -> Result<usize, ValueError> {
    match v {
        Value::Array(a) => {
            if depth + 1 > lim.max_nesting {
                return Err(lim.too_nested(path));
            }
            if a.len() > MAX_ARRAY_LEN {
                return Err(ValueError::ArrayTooLong {
                    len: a.len(),
                    path: path.render(),
                });
            }
            let mut size = 2;
            for (i, e) in a.iter().enumerate() {
                size += walk(e, &Path::Index(path, i), depth + 1, lim)?;
            }
            Ok(size)
        }
        Value::Object(o) => walk_object(o, path, depth, lim),
        scalar => Ok(scalar.size()),
    }
}

fn walk_object(o: &Object, path: &Path, depth: usize, lim: &Limits) -> Result<usize, ValueError> {
    if depth + 1 > lim.max_nesting {
        return Err(lim.too_nested(path));
    }
    if o.len() > MAX_OBJECT_FIELDS {
        return Err(ValueError::TooManyFields {
            count: o.len(),
            path: path.render(),
        });
    }
    let mut size = 2;
    for (k, v) in o {
        names::check_field_name_at(k, path)?;
        size += k.len() + 1 + walk(v, &Path::Field(path, k), depth + 1, lim)?;
    }
    Ok(size)
}

impl Ord for Value {
    /// The order of §2.8; agrees exactly with comparing [`sort_key`]s.
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Value::Null, Value::Null) => Ordering::Equal,
            (Value::Int64(a), Value::Int64(b)) => a.cmp(b),
            (Value::Float64(a), Value::Float64(b)) => a.total_cmp(b),
            (Value::Boolean(a), Value::Boolean(b)) => a.cmp(b),
            (Value::String(a), Value::String(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Value::Bytes(a), Value::Bytes(b)) => a.cmp(b),
            (Value::Array(a), Value::Array(b)) => a.cmp(b),
            (Value::Object(a), Value::Object(b)) => a.iter().cmp(b.iter()),
            _ => self.type_rank().cmp(&other.type_rank()),
        }
    }
}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Value {
    /// Equality of the total order: floats are equal iff their bits are.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Int64(a), Value::Int64(b)) => a == b,
            (Value::Float64(a), Value::Float64(b)) => a.to_bits() == b.to_bits(),
            (Value::Boolean(a), Value::Boolean(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Bytes(a), Value::Bytes(b)) => a == b,
            (Value::Array(a), Value::Array(b)) => a == b,
            (Value::Object(a), Value::Object(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Value {}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u8(self.type_rank());
        match self {
            Value::Null => {}
            Value::Int64(i) => i.hash(state),
            Value::Float64(f) => f.to_bits().hash(state),
            Value::Boolean(b) => b.hash(state),
            Value::String(s) => s.hash(state),
            Value::Bytes(b) => b.hash(state),
            Value::Array(a) => a.hash(state),
            Value::Object(o) => o.hash(state),
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int64(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float64(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Boolean(v)
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::String(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::String(v.to_owned())
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(v)
    }
}

impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::Array(v)
    }
}

impl From<Object> for Value {
    fn from(v: Object) -> Self {
        Value::Object(v)
    }
}

/// Proptest strategies shared by the tests of this module tree.
#[cfg(test)]
pub(crate) mod strategies;

#[cfg(test)]
mod tests {
    use super::strategies::*;
    use super::*;
    use proptest::prelude::*;
    use std::collections::hash_map::DefaultHasher;

    fn obj(fields: &[(&str, Value)]) -> Object {
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    fn nested_arrays(levels: usize) -> Value {
        let mut v = Value::Null;
        for _ in 0..levels {
            v = Value::Array(vec![v]);
        }
        v
    }

    #[test]
    fn sizes() {
        assert_eq!(Value::Null.size(), 1);
        assert_eq!(Value::Boolean(true).size(), 1);
        assert_eq!(Value::Int64(5).size(), 9);
        assert_eq!(Value::Float64(5.0).size(), 9);
        assert_eq!(Value::from("abc").size(), 5);
        assert_eq!(Value::Bytes(vec![1, 2]).size(), 4);
        assert_eq!(Value::Array(vec![]).size(), 2);
        assert_eq!(
            Value::Array(vec![Value::Null, Value::Int64(1)]).size(),
            2 + 1 + 9
        );
        let o = obj(&[("ab", Value::Null), ("", Value::from("x"))]);
        assert_eq!(Value::Object(o.clone()).size(), 2 + (2 + 1 + 1) + (1 + 3));
        assert_eq!(object_size(&o), Value::Object(o).size());
    }

    #[test]
    fn nesting() {
        assert_eq!(Value::Int64(1).nesting(), 0);
        assert_eq!(Value::Array(vec![]).nesting(), 1);
        assert_eq!(Value::Object(Object::new()).nesting(), 1);
        let v = Value::Object(obj(&[
            ("a", Value::Array(vec![Value::Array(vec![])])),
            ("b", Value::Null),
        ]));
        assert_eq!(v.nesting(), 3);
        assert_eq!(nested_arrays(7).nesting(), 7);
    }

    #[test]
    fn type_names() {
        assert_eq!(Value::Null.type_name(), "null");
        assert_eq!(Value::Int64(0).type_name(), "int64");
        assert_eq!(Value::Float64(0.0).type_name(), "float64");
        assert_eq!(Value::Boolean(false).type_name(), "boolean");
        assert_eq!(Value::from("").type_name(), "string");
        assert_eq!(Value::Bytes(vec![]).type_name(), "bytes");
        assert_eq!(Value::Array(vec![]).type_name(), "array");
        assert_eq!(Value::Object(Object::new()).type_name(), "object");
    }

    #[test]
    fn cross_type_order() {
        let ordered = [
            Value::Null,
            Value::Int64(i64::MIN),
            Value::Int64(i64::MAX),
            Value::Float64(f64::from_bits(u64::MAX)), // -NaN
            Value::Float64(f64::NEG_INFINITY),
            Value::Float64(-0.0),
            Value::Float64(0.0),
            Value::Float64(f64::INFINITY),
            Value::Float64(f64::NAN),
            Value::Boolean(false),
            Value::Boolean(true),
            Value::from(""),
            Value::from("\0"),
            Value::from("a"),
            Value::Bytes(vec![]),
            Value::Bytes(vec![0xff]),
            Value::Array(vec![]),
            Value::Array(vec![Value::Null]),
            Value::Object(Object::new()),
            Value::Object(obj(&[("", Value::Null)])),
            Value::Object(obj(&[("a", Value::Null)])),
        ];
        for (i, a) in ordered.iter().enumerate() {
            for (j, b) in ordered.iter().enumerate() {
                assert_eq!(a.cmp(b), i.cmp(&j), "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn float_equality_is_bitwise() {
        assert_eq!(Value::Float64(f64::NAN), Value::Float64(f64::NAN));
        assert_ne!(Value::Float64(0.0), Value::Float64(-0.0));
        assert_ne!(
            Value::Float64(f64::NAN),
            Value::Float64(f64::from_bits(f64::NAN.to_bits() | 1))
        );
    }

    #[test]
    fn check_value_accepts_limits() {
        assert_eq!(nested_arrays(64).check_value(), Ok(()));
        assert_eq!(
            Value::Array(vec![Value::Null; MAX_ARRAY_LEN]).check_value(),
            Ok(())
        );
        let o: Object = (0..MAX_OBJECT_FIELDS)
            .map(|i| (format!("f{i}"), Value::Null))
            .collect();
        assert_eq!(Value::Object(o).check_value(), Ok(()));
        let name = "a".repeat(MAX_FIELD_NAME_LENGTH);
        assert_eq!(
            Value::Object(obj(&[(&name, Value::Null), ("", Value::Null)])).check_value(),
            Ok(())
        );
    }

    #[test]
    fn check_value_rejects() {
        let err = nested_arrays(65).check_value().unwrap_err();
        assert!(matches!(err, ValueError::ValueTooNested { .. }), "{err}");

        let err = Value::Array(vec![Value::Null; 9000])
            .check_value()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Array length 9000 is too long (max length 8192)."
        );

        let o: Object = (0..=MAX_OBJECT_FIELDS)
            .map(|i| (format!("f{i}"), Value::Null))
            .collect();
        let err = Value::Object(o).check_value().unwrap_err();
        assert!(matches!(err, ValueError::TooManyFields { count: 1025, .. }));

        let v = Value::Object(obj(&[(
            "a",
            Value::Array(vec![
                Value::Null,
                Value::Object(obj(&[("$foo", Value::Null)])),
            ]),
        )]));
        let err = v.check_value().unwrap_err();
        assert_eq!(
            err.to_string(),
            "Field name \"$foo\" starts with a '$', which is reserved. (at path .a[1])"
        );

        let big = Value::Array(vec![Value::Bytes(vec![0; 8 << 10]); 4097]);
        let err = big.check_value().unwrap_err();
        assert!(matches!(err, ValueError::ValueTooLarge { .. }), "{err}");
        assert!(err.to_string().contains("max 32 MiB"));
    }

    #[test]
    fn check_document_rules() {
        let ok = obj(&[
            ("_id", Value::from("x")),
            ("_creationTime", Value::Float64(1.0)),
            ("a", Value::Object(obj(&[("_nested", Value::Null)]))),
        ]);
        assert_eq!(check_document(&ok), Ok(()));

        let err = check_document(&obj(&[("_x", Value::Null)])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Field '_x' starts with an underscore, which is only allowed for system fields like '_id'"
        );

        // Nesting: the document is level 1, so 15 more levels are fine.
        let doc = obj(&[("a", nested_arrays(15))]);
        assert_eq!(check_document(&doc), Ok(()));
        let doc = obj(&[("a", nested_arrays(16))]);
        let err = check_document(&doc).unwrap_err();
        assert!(matches!(err, ValueError::DocumentTooNested { .. }), "{err}");

        // Size: exactly 1 MiB is fine, one more byte is not.
        let overhead = object_size(&obj(&[("a", Value::from(""))]));
        let doc = obj(&[("a", Value::from("x".repeat(MAX_DOCUMENT_SIZE - overhead)))]);
        assert_eq!(object_size(&doc), MAX_DOCUMENT_SIZE);
        assert_eq!(check_document(&doc), Ok(()));
        let doc = obj(&[(
            "a",
            Value::from("x".repeat(MAX_DOCUMENT_SIZE - overhead + 1)),
        )]);
        let err = check_document(&doc).unwrap_err();
        assert_eq!(
            err,
            ValueError::DocumentTooLarge {
                size: MAX_DOCUMENT_SIZE + 1
            }
        );
        assert_eq!(
            err.to_string(),
            "Document is too large (1.00 MiB = 1048577 bytes, max 1 MiB)"
        );

        let err = check_document(&obj(&[("a b\n", Value::Null)])).unwrap_err();
        assert!(matches!(
            err,
            ValueError::FieldNameInvalidCharacter { ch: '\n', .. }
        ));
    }

    #[test]
    fn check_value_deep_value_does_not_overflow() {
        let v = nested_arrays(100_000);
        assert!(matches!(
            v.check_value(),
            Err(ValueError::ValueTooNested { .. })
        ));
        // Drop iteratively-ish: unwrap layer by layer to avoid recursive drop.
        let mut v = v;
        while let Value::Array(mut a) = v {
            v = a.pop().unwrap_or(Value::Null);
        }
    }

    fn hash_of(v: &Value) -> u64 {
        let mut h = DefaultHasher::new();
        v.hash(&mut h);
        h.finish()
    }

    proptest! {
        #[test]
        fn order_is_total_and_consistent(a in arb_value(), b in arb_value(), c in arb_value()) {
            prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
            prop_assert_eq!(a.cmp(&a), Ordering::Equal);
            prop_assert_eq!(a == b, a.cmp(&b) == Ordering::Equal);
            if a <= b && b <= c {
                prop_assert!(a <= c);
            }
            if a == b {
                prop_assert_eq!(hash_of(&a), hash_of(&b));
            }
        }

        #[test]
        fn check_value_size_matches_size(v in arb_valid_value()) {
            prop_assert_eq!(v.check_value(), Ok(()));
            prop_assert_eq!(walk(&v, &Path::Root, 0, &VALUE_LIMITS), Ok(v.size()));
        }
    }
}
