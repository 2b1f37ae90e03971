//! Argument and return validators: parses the JSON that `exportArgs()` /
//! `exportReturns()` produce (`convex-protocol.md` §3.3) and checks
//! encoded-JSON values against it, with Convex's error texts
//! (`ArgumentValidationError: …`, `ReturnsValidationError: …`).

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use serde_json::Value as JsonValue;

/// A value validator.
#[derive(Clone, Debug, PartialEq)]
pub enum Validator {
    Id(String),
    Null,
    Float64,
    Int64,
    Boolean,
    String,
    Bytes,
    /// An encoded-JSON literal (string, number, boolean or `$integer`).
    Literal(JsonValue),
    Array(Box<Validator>),
    Record(Box<Validator>, Box<Validator>),
    Object(BTreeMap<String, FieldValidator>),
    Union(Vec<Validator>),
    Any,
}

/// A field of an object validator.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldValidator {
    pub validator: Validator,
    pub optional: bool,
}

/// The validators of one function.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct FunctionValidators {
    /// `None`: unvalidated (`v.any()` or no `args`).
    pub args: Option<BTreeMap<String, FieldValidator>>,
    /// `None`: no `returns` validator.
    pub returns: Option<Validator>,
}

fn field(json: &JsonValue) -> Result<FieldValidator, String> {
    Ok(FieldValidator {
        validator: Validator::from_json(json.get("fieldType").ok_or("missing fieldType")?)?,
        optional: json
            .get("optional")
            .and_then(JsonValue::as_bool)
            .unwrap_or(false),
    })
}

impl Validator {
    /// Parses validator JSON.
    pub fn from_json(json: &JsonValue) -> Result<Validator, String> {
        let kind = json
            .get("type")
            .and_then(JsonValue::as_str)
            .ok_or("validator without a type")?;
        Ok(match kind {
            "null" => Validator::Null,
            "number" | "float64" => Validator::Float64,
            "bigint" | "int64" => Validator::Int64,
            "boolean" => Validator::Boolean,
            "string" => Validator::String,
            "bytes" => Validator::Bytes,
            "any" => Validator::Any,
            "literal" => {
                Validator::Literal(json.get("value").cloned().ok_or("literal without value")?)
            }
            "id" => Validator::Id(
                json.get("tableName")
                    .and_then(JsonValue::as_str)
                    .ok_or("id validator without tableName")?
                    .to_string(),
            ),
            "array" => Validator::Array(Box::new(Validator::from_json(
                json.get("value").ok_or("array without value")?,
            )?)),
            "record" => {
                let keys = Validator::from_json(json.get("keys").ok_or("record without keys")?)?;
                let values = field(json.get("values").ok_or("record without values")?)?;
                if values.optional {
                    return Err("record values cannot be optional".into());
                }
                Validator::Record(Box::new(keys), Box::new(values.validator))
            }
            "object" => {
                let fields = json
                    .get("value")
                    .and_then(JsonValue::as_object)
                    .ok_or("object without value")?;
                let mut out = BTreeMap::new();
                for (name, f) in fields {
                    out.insert(name.clone(), field(f)?);
                }
                Validator::Object(out)
            }
            "union" => Validator::Union(
                json.get("value")
                    .and_then(JsonValue::as_array)
                    .ok_or("union without value")?
                    .iter()
                    .map(Validator::from_json)
                    .collect::<Result<_, _>>()?,
            ),
            other => return Err(format!("unknown validator type {other:?}")),
        })
    }
}

impl FunctionValidators {
    /// Parses the JSON texts returned by `exportArgs()` and `exportReturns()`.
    pub fn parse(args_json: &str, returns_json: &str) -> Result<FunctionValidators, String> {
        let args: JsonValue = serde_json::from_str(args_json).map_err(|e| e.to_string())?;
        let args = match Validator::from_json(&args)
            .map_err(|e| format!("Error in args validator: {e}"))?
        {
            Validator::Any => None,
            Validator::Object(fields) => Some(fields),
            _ => return Err("Args validator must be an object or any".into()),
        };
        let returns: JsonValue = serde_json::from_str(returns_json).map_err(|e| e.to_string())?;
        let returns = if returns.is_null() {
            None
        } else {
            Some(
                Validator::from_json(&returns)
                    .map_err(|e| format!("Error in returns validator: {e}"))?,
            )
        };
        Ok(FunctionValidators { args, returns })
    }

    /// Checks the positional argument array; the error is the full message.
    pub fn check_args(
        &self,
        args: &JsonValue,
        table_for_id: &mut dyn FnMut(&str) -> Option<String>,
    ) -> Result<(), String> {
        let Some(fields) = &self.args else {
            return Ok(());
        };
        let items = args.as_array().map(Vec::as_slice).unwrap_or_default();
        let [single] = items else {
            return Err(format!(
                "Expected to receive a single object as the function's argument. Instead \
                 received {} arguments: {}",
                items.len(),
                Shown(args)
            ));
        };
        if !is_plain_object(single) {
            return Err(format!(
                "Expected to receive an object as the function's argument. Instead received: {}",
                Shown(single)
            ));
        }
        check(&Validator::Object(fields.clone()), single, table_for_id, "")
            .map_err(|e| format!("ArgumentValidationError: {e}"))
    }

    /// Checks a return value.
    pub fn check_returns(
        &self,
        value: &JsonValue,
        table_for_id: &mut dyn FnMut(&str) -> Option<String>,
    ) -> Result<(), String> {
        match &self.returns {
            None => Ok(()),
            Some(v) => check(v, value, table_for_id, "")
                .map_err(|e| format!("ReturnsValidationError: {e}")),
        }
    }
}

/// The Convex type of an encoded-JSON value.
fn special(value: &JsonValue) -> Option<&str> {
    let map = value.as_object()?;
    if map.len() != 1 {
        return None;
    }
    let key = map.keys().next()?;
    matches!(key.as_str(), "$integer" | "$float" | "$bytes").then_some(key.as_str())
}

fn is_plain_object(value: &JsonValue) -> bool {
    value.is_object() && special(value).is_none()
}

fn context_suffix(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("Path: {path}")
    }
}

fn check(
    validator: &Validator,
    value: &JsonValue,
    table_for_id: &mut dyn FnMut(&str) -> Option<String>,
    path: &str,
) -> Result<(), String> {
    let no_match = || {
        format!(
            "Value does not match validator.\n{}\nValue: {}\nValidator: {}",
            context_suffix(path),
            Shown(value),
            validator
        )
    };
    match (validator, value) {
        (Validator::Any, _) => Ok(()),
        (Validator::Null, JsonValue::Null) => Ok(()),
        (Validator::Boolean, JsonValue::Bool(_)) => Ok(()),
        (Validator::String, JsonValue::String(_)) => Ok(()),
        (Validator::Float64, JsonValue::Number(_)) => Ok(()),
        (Validator::Float64, v) if special(v) == Some("$float") => Ok(()),
        (Validator::Int64, v) if special(v) == Some("$integer") => Ok(()),
        (Validator::Bytes, v) if special(v) == Some("$bytes") => Ok(()),
        (Validator::Id(table), JsonValue::String(s)) => match table_for_id(s) {
            Some(found) if &found == table => Ok(()),
            Some(found) if found.starts_with('_') => Err(format!(
                "Found ID \"{s}\" from a system table, which does not match the table name in \
                 validator `v.id(\"{table}\")`.{}",
                context_suffix(path)
            )),
            Some(found) => Err(format!(
                "Found ID \"{s}\" from table `{found}`, which does not match the table name in \
                 validator `v.id(\"{table}\")`.{}",
                context_suffix(path)
            )),
            None => Err(no_match()),
        },
        (Validator::Literal(literal), v) => {
            if literal_eq(literal, v) {
                Ok(())
            } else {
                Err(format!(
                    "`{}` does not match literal validator `v.literal({})`.{}",
                    Shown(v),
                    literal_text(literal),
                    context_suffix(path)
                ))
            }
        }
        (Validator::Array(element), JsonValue::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                check(element, item, table_for_id, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (Validator::Record(keys, values), JsonValue::Object(map)) if special(value).is_none() => {
            for (k, v) in map {
                check(
                    keys,
                    &JsonValue::String(k.clone()),
                    table_for_id,
                    &format!("{path}.keys()"),
                )?;
                check(values, v, table_for_id, &format!("{path}.values()"))?;
            }
            Ok(())
        }
        (Validator::Object(fields), JsonValue::Object(map)) if special(value).is_none() => {
            for (name, f) in fields {
                match map.get(name) {
                    Some(v) => check(&f.validator, v, table_for_id, &format!("{path}.{name}"))?,
                    None if f.optional => {}
                    None => {
                        return Err(format!(
                            "Object is missing the required field `{name}`. Consider wrapping \
                             the field validator in `v.optional(...)` if this is expected.\n{}\n\
                             Object: {}\nValidator: {}",
                            context_suffix(path),
                            Shown(value),
                            validator
                        ))
                    }
                }
            }
            if let Some(extra) = map.keys().find(|k| !fields.contains_key(*k)) {
                return Err(format!(
                    "Object contains extra field `{extra}` that is not in the validator.\n{}\n\
                     Object: {}\nValidator: {}",
                    context_suffix(path),
                    Shown(value),
                    validator
                ));
            }
            Ok(())
        }
        (Validator::Union(options), v) => {
            if options.len() == 1 {
                return check(&options[0], v, table_for_id, path);
            }
            if options
                .iter()
                .any(|o| check(o, v, table_for_id, path).is_ok())
            {
                Ok(())
            } else {
                Err(no_match())
            }
        }
        _ => Err(no_match()),
    }
}

fn literal_eq(literal: &JsonValue, value: &JsonValue) -> bool {
    match (literal, value) {
        (JsonValue::Number(a), JsonValue::Number(b)) => a.as_f64() == b.as_f64(),
        (a, b) => a == b,
    }
}

fn literal_text(literal: &JsonValue) -> String {
    match special(literal) {
        Some("$integer") => "<bigint>".to_string(),
        Some(_) => "<number>".to_string(),
        None => literal.to_string(),
    }
}

/// Displays an encoded-JSON value the way Convex displays values in
/// validation errors (`"text"`, `1.0`, `5`, `[1.0, 2.0]`, `{a: true}`).
struct Shown<'a>(&'a JsonValue);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b64 = base64::engine::general_purpose::STANDARD;
        match self.0 {
            JsonValue::Null => write!(f, "null"),
            JsonValue::Bool(b) => write!(f, "{b}"),
            JsonValue::String(s) => write!(f, "{s:?}"),
            JsonValue::Number(n) => write!(f, "{:?}", n.as_f64().unwrap_or(f64::NAN)),
            JsonValue::Array(items) => {
                write!(f, "[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{}", Shown(item))?;
                }
                write!(f, "]")
            }
            JsonValue::Object(map) => {
                let decoded = |key: &str| {
                    map.get(key)
                        .and_then(JsonValue::as_str)
                        .and_then(|s| b64.decode(s).ok())
                };
                match special(self.0) {
                    Some("$integer") => {
                        match decoded("$integer").and_then(|b| <[u8; 8]>::try_from(b).ok()) {
                            Some(bytes) => write!(f, "{}", i64::from_le_bytes(bytes)),
                            None => write!(f, "<int64>"),
                        }
                    }
                    Some("$float") => {
                        match decoded("$float").and_then(|b| <[u8; 8]>::try_from(b).ok()) {
                            Some(bytes) => write!(f, "{:?}", f64::from_le_bytes(bytes)),
                            None => write!(f, "<float64>"),
                        }
                    }
                    Some(_) => write!(
                        f,
                        "b\"{}\"",
                        map.get("$bytes").and_then(JsonValue::as_str).unwrap_or("")
                    ),
                    None => {
                        write!(f, "{{")?;
                        for (i, (k, v)) in map.iter().enumerate() {
                            if i > 0 {
                                write!(f, ", ")?;
                            }
                            write!(f, "{k}: {}", Shown(v))?;
                        }
                        write!(f, "}}")
                    }
                }
            }
        }
    }
}

impl fmt::Display for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Validator::Id(t) => write!(f, "v.id(\"{t}\")"),
            Validator::Null => write!(f, "v.null()"),
            Validator::Float64 => write!(f, "v.float64()"),
            Validator::Int64 => write!(f, "v.int64()"),
            Validator::Boolean => write!(f, "v.boolean()"),
            Validator::String => write!(f, "v.string()"),
            Validator::Bytes => write!(f, "v.bytes()"),
            Validator::Any => write!(f, "v.any()"),
            Validator::Literal(l) => write!(f, "v.literal({})", literal_text(l)),
            Validator::Array(e) => write!(f, "v.array({e})"),
            Validator::Record(k, v) => write!(f, "v.record({k}, {v})"),
            Validator::Union(options) => {
                write!(f, "v.union(")?;
                for (i, o) in options.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{o}")?;
                }
                write!(f, ")")
            }
            Validator::Object(fields) => {
                write!(f, "v.object({{")?;
                for (i, (name, fv)) in fields.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    if fv.optional {
                        write!(f, "{name}: v.optional({})", fv.validator)?;
                    } else {
                        write!(f, "{name}: {}", fv.validator)?;
                    }
                }
                write!(f, "}})")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn no_ids(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn checks_args_with_convex_messages() {
        let v = FunctionValidators::parse(
            r#"{"type":"object","value":{"author":{"fieldType":{"type":"string"},"optional":false},"n":{"fieldType":{"type":"bigint"},"optional":true}}}"#,
            "null",
        )
        .expect("test input is valid");
        assert!(v
            .check_args(&json!([{"author": "ada"}]), &mut no_ids)
            .is_ok());
        assert!(v
            .check_args(
                &json!([{"author": "ada", "n": {"$integer": "AQAAAAAAAAA="}}]),
                &mut no_ids
            )
            .is_ok());
        let e = v
            .check_args(&json!([{"author": 5}]), &mut no_ids)
            .unwrap_err();
        assert_eq!(
            e,
            "ArgumentValidationError: Value does not match validator.\nPath: .author\nValue: 5.0\nValidator: v.string()"
        );
        let e = v.check_args(&json!([{}]), &mut no_ids).unwrap_err();
        assert!(
            e.starts_with(
                "ArgumentValidationError: Object is missing the required field `author`."
            ),
            "{e}"
        );
        let e = v
            .check_args(&json!([{"author": "a", "x": 1}]), &mut no_ids)
            .unwrap_err();
        assert!(e.contains("Object contains extra field `x`"), "{e}");
        let e = v.check_args(&json!([1, 2]), &mut no_ids).unwrap_err();
        assert!(e.starts_with("Expected to receive a single object"), "{e}");
    }

    #[test]
    fn checks_ids_literals_unions_records() {
        let mut ids = |s: &str| match s {
            "m1" => Some("messages".to_string()),
            "u1" => Some("users".to_string()),
            _ => None,
        };
        let id = Validator::Id("messages".into());
        assert!(check(&id, &json!("m1"), &mut ids, "").is_ok());
        assert!(check(&id, &json!("u1"), &mut ids, "")
            .unwrap_err()
            .contains("from table `users`"));
        assert!(check(&id, &json!("zz"), &mut ids, "").is_err());
        let lit = Validator::from_json(&json!({"type":"literal","value":"short"}))
            .expect("test input is valid");
        assert!(check(&lit, &json!("short"), &mut ids, "").is_ok());
        assert_eq!(
            check(&lit, &json!("long"), &mut ids, "").unwrap_err(),
            "`\"long\"` does not match literal validator `v.literal(\"short\")`."
        );
        let union = Validator::from_json(
            &json!({"type":"union","value":[{"type":"null"},{"type":"bytes"}]}),
        )
        .expect("test input is valid");
        assert!(check(&union, &json!({"$bytes": "AQI="}), &mut ids, "").is_ok());
        assert!(check(&union, &json!(1), &mut ids, "").is_err());
        let rec = Validator::from_json(&json!({"type":"record","keys":{"type":"string"},"values":{"fieldType":{"type":"number"},"optional":false}})).expect("test input is valid");
        assert!(check(&rec, &json!({"a": 1, "b": 2}), &mut ids, "").is_ok());
        let e = check(&rec, &json!({"a": "x"}), &mut ids, "").unwrap_err();
        assert!(e.contains("Path: .values()"), "{e}");
    }
}
