//! The JSON forms of values (§2.2–2.3) over `serde_json::Value`:
//!
//! * encoded JSON (lossless; function args/results, the sync protocol):
//!   `{"$integer": b64}`, `{"$float": b64}` for NaN/±Inf/−0, `{"$bytes": b64}`;
//!   JSON numbers decode to Float64;
//! * clean JSON (lossy, output only): Int64 as a decimal string, non-finite
//!   floats as strings, bytes as a bare base64 string;
//! * export JSON (snapshot export): Int64 as a number, and read back with
//!   integer literals becoming Int64.
//!
//! Decoding validates everything [`Value::check_value`] checks (field names,
//! array/object lengths, nesting ≤ 64, size ≤ 32 MiB), and stops at the
//! nesting limit so hostile input cannot exhaust the stack.

use std::collections::BTreeMap;

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use serde_json::{Map, Number, Value as Json};

use super::names::check_field_name_at;
use super::{
    Object, Path, Value, ValueError, MAX_ARRAY_LEN, MAX_OBJECT_FIELDS, MAX_VALUE_NESTING,
    MAX_VALUE_SIZE,
};

const INTEGER: &str = "$integer";
const FLOAT: &str = "$float";
const BYTES: &str = "$bytes";
const UNDEFINED: &str = "$undefined";

/// Standard alphabet, padding optional, non-zero trailing bits rejected.
const STANDARD_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

#[derive(Clone, Copy, PartialEq)]
enum Out {
    Encoded,
    Clean,
    Export,
}

#[derive(Clone, Copy, PartialEq)]
enum In {
    Encoded,
    Export,
}

impl Value {
    /// Decodes encoded JSON (§2.2). Numbers become Float64.
    pub fn from_encoded_json(j: &Json) -> Result<Value, ValueError> {
        decode_top(j, In::Encoded)
    }

    /// Decodes export JSON (`from_clean_lossless`, end of §2.3): integer
    /// literals that fit i64 become Int64, other numbers Float64, and
    /// `$integer` / `$float` / `$bytes` objects are read as in encoded JSON.
    pub fn from_export_json(j: &Json) -> Result<Value, ValueError> {
        decode_top(j, In::Export)
    }

    /// The lossless encoded JSON (§2.2).
    pub fn to_encoded_json(&self) -> Json {
        encode(self, Out::Encoded)
    }

    /// Clean JSON (§2.3): lossy, for display and most clients.
    pub fn to_clean_json(&self) -> Json {
        encode(self, Out::Clean)
    }

    /// Export JSON (§2.3): like encoded JSON but Int64 as a plain number and
    /// finite floats (−0 included) as numbers.
    pub fn to_export_json(&self) -> Json {
        encode(self, Out::Export)
    }
}

/// Decodes the encoded JSON of a `db.patch` argument: an object whose fields
/// are values, or `{"$undefined": null}` meaning "remove this field" (`None`).
pub fn patch_from_encoded_json(j: &Json) -> Result<BTreeMap<String, Option<Value>>, ValueError> {
    let Json::Object(m) = j else {
        return Err(ValueError::PatchNotObject);
    };
    if m.len() > MAX_OBJECT_FIELDS {
        return Err(ValueError::TooManyFields {
            count: m.len(),
            path: String::new(),
        });
    }
    let mut size = 2;
    let mut fields = Vec::with_capacity(m.len());
    for (k, v) in m {
        check_field_name_at(k, &Path::Root)?;
        let value = if is_undefined(v) {
            None
        } else {
            let mut d = Decoder {
                mode: In::Encoded,
                size: 0,
            };
            let value = d.value(v, 1, &Path::Field(&Path::Root, k))?;
            size += k.len() + 1 + d.size;
            Some(value)
        };
        fields.push((k.clone(), value));
    }
    if size > MAX_VALUE_SIZE {
        return Err(ValueError::ValueTooLarge { size });
    }
    Ok(fields.into_iter().collect())
}

fn is_undefined(j: &Json) -> bool {
    match j {
        Json::Object(m) if m.len() == 1 => {
            matches!(m.iter().next(), Some((k, Json::Null)) if k == UNDEFINED)
        }
        _ => false,
    }
}

fn decode_top(j: &Json, mode: In) -> Result<Value, ValueError> {
    let mut d = Decoder { mode, size: 0 };
    let v = d.value(j, 0, &Path::Root)?;
    if d.size > MAX_VALUE_SIZE {
        return Err(ValueError::ValueTooLarge { size: d.size });
    }
    Ok(v)
}

struct Decoder {
    mode: In,
    /// Running [`Value::size`] of everything decoded so far.
    size: usize,
}

impl Decoder {
    /// Decodes `j`, found at `path` inside `depth` arrays/objects.
    fn value(&mut self, j: &Json, depth: usize, path: &Path) -> Result<Value, ValueError> {
        let v = match j {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Boolean(*b),
            Json::Number(n) => self.number(n)?,
            Json::String(s) => {
                self.size += s.len() + 1; // + 1 below
                Value::String(s.clone())
            }
            Json::Array(a) => {
                if depth >= MAX_VALUE_NESTING {
                    return Err(ValueError::ValueTooNested {
                        path: path.render(),
                    });
                }
                if a.len() > MAX_ARRAY_LEN {
                    return Err(ValueError::ArrayTooLong {
                        len: a.len(),
                        path: path.render(),
                    });
                }
                let mut out = Vec::with_capacity(a.len());
                for (i, e) in a.iter().enumerate() {
                    out.push(self.value(e, depth + 1, &Path::Index(path, i))?);
                }
                self.size += 1; // + 1 below
                Value::Array(out)
            }
            Json::Object(m) => {
                if m.len() == 1 {
                    if let Some((k, v)) = m.iter().next() {
                        if let Some(special) = self.special(k, v)? {
                            return Ok(special);
                        }
                    }
                }
                if depth >= MAX_VALUE_NESTING {
                    return Err(ValueError::ValueTooNested {
                        path: path.render(),
                    });
                }
                if m.len() > MAX_OBJECT_FIELDS {
                    return Err(ValueError::TooManyFields {
                        count: m.len(),
                        path: path.render(),
                    });
                }
                let mut fields = Vec::with_capacity(m.len());
                for (k, v) in m {
                    check_field_name_at(k, path)?;
                    let value = self.value(v, depth + 1, &Path::Field(path, k))?;
                    self.size += k.len() + 1;
                    fields.push((k.clone(), value));
                }
                self.size += 1; // + 1 below
                                // serde_json's map is usually sorted already; `collect` then
                                // builds the BTreeMap in linear time, and sorts otherwise.
                Value::Object(fields.into_iter().collect::<Object>())
            }
        };
        self.size += 1;
        Ok(v)
    }

    fn number(&mut self, n: &Number) -> Result<Value, ValueError> {
        self.size += 8; // + 1 in `value`
        if self.mode == In::Export {
            if let Some(i) = n.as_i64() {
                return Ok(Value::Int64(i));
            }
        }
        n.as_f64()
            .map(Value::Float64)
            .ok_or_else(|| ValueError::InvalidNumber {
                number: n.to_string(),
            })
    }

    /// The value of a one-field object `{k: v}` if it is a special encoding.
    fn special(&mut self, k: &str, v: &Json) -> Result<Option<Value>, ValueError> {
        let tag = match k {
            INTEGER => INTEGER,
            FLOAT => FLOAT,
            BYTES => BYTES,
            UNDEFINED => return Err(ValueError::UndefinedNotAllowed),
            _ => return Ok(None),
        };
        let Json::String(s) = v else {
            return Err(ValueError::SpecialValueNotString { tag });
        };
        let value = match tag {
            INTEGER => {
                let b = decode_8(s, INTEGER, ValueError::Int64WrongLength)?;
                Value::Int64(i64::from_le_bytes(b))
            }
            FLOAT => {
                let b = decode_8(s, FLOAT, ValueError::Float64WrongLength)?;
                let f = f64::from_le_bytes(b);
                if f.is_normal() || f.is_subnormal() {
                    return Err(ValueError::FloatShouldBeNumber { value: f });
                }
                Value::Float64(f)
            }
            _ => {
                let bytes = STANDARD_ANY_PADDING
                    .decode(s)
                    .map_err(|e| invalid_base64(BYTES, e))?;
                self.size += bytes.len() + 2;
                return Ok(Some(Value::Bytes(bytes)));
            }
        };
        self.size += 9;
        Ok(Some(value))
    }
}

fn invalid_base64(tag: &'static str, e: impl std::fmt::Display) -> ValueError {
    ValueError::InvalidBase64 {
        tag,
        message: e.to_string(),
    }
}

/// Decodes base64 that must hold exactly eight bytes, without allocating.
fn decode_8(s: &str, tag: &'static str, wrong_len: ValueError) -> Result<[u8; 8], ValueError> {
    // Eight bytes are 11 characters unpadded, 12 padded.
    if s.len() > 12 {
        return Err(wrong_len);
    }
    let mut buf = [0u8; 12];
    let n = STANDARD_ANY_PADDING
        .decode_slice(s, &mut buf)
        .map_err(|e| invalid_base64(tag, e))?;
    if n != 8 {
        return Err(wrong_len);
    }
    let mut out = [0u8; 8];
    out.copy_from_slice(&buf[..8]);
    Ok(out)
}

fn special(tag: &str, payload: &[u8]) -> Json {
    let mut m = Map::new();
    m.insert(tag.to_owned(), Json::String(STANDARD.encode(payload)));
    Json::Object(m)
}

fn encode(v: &Value, mode: Out) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Boolean(b) => Json::Bool(*b),
        Value::String(s) => Json::String(s.clone()),
        Value::Int64(i) => match mode {
            Out::Encoded => special(INTEGER, &i.to_le_bytes()),
            Out::Clean => Json::String(i.to_string()),
            Out::Export => Json::Number(Number::from(*i)),
        },
        Value::Float64(f) => encode_float(*f, mode),
        Value::Bytes(b) => match mode {
            Out::Clean => Json::String(STANDARD.encode(b)),
            Out::Encoded | Out::Export => special(BYTES, b),
        },
        Value::Array(a) => Json::Array(a.iter().map(|e| encode(e, mode)).collect()),
        Value::Object(o) => Json::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), encode(v, mode)))
                .collect(),
        ),
    }
}

fn encode_float(f: f64, mode: Out) -> Json {
    let negative_zero = f == 0.0 && f.is_sign_negative();
    if !(mode == Out::Encoded && negative_zero) {
        if let Some(n) = Number::from_f64(f) {
            return Json::Number(n);
        }
    }
    // Non-finite (or −0 in encoded JSON).
    match mode {
        Out::Clean => Json::String(
            if f.is_nan() {
                "NaN"
            } else if f > 0.0 {
                "Infinity"
            } else {
                "-Infinity"
            }
            .to_owned(),
        ),
        Out::Encoded | Out::Export => special(FLOAT, &f.to_le_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::strategies::*;
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn enc(v: &Value) -> String {
        serde_json::to_string(&v.to_encoded_json()).expect("test input is valid")
    }

    fn dec(s: &str) -> Result<Value, ValueError> {
        Value::from_encoded_json(&serde_json::from_str(s).expect("test input is valid"))
    }

    #[test]
    fn spec_vectors() {
        let vectors: &[(Value, &str)] = &[
            (Value::Int64(1), r#"{"$integer":"AQAAAAAAAAA="}"#),
            (Value::Int64(-1), r#"{"$integer":"//////////8="}"#),
            (Value::Float64(f64::NAN), r#"{"$float":"AAAAAAAA+H8="}"#),
            (
                Value::Float64(f64::INFINITY),
                r#"{"$float":"AAAAAAAA8H8="}"#,
            ),
            (
                Value::Float64(f64::NEG_INFINITY),
                r#"{"$float":"AAAAAAAA8P8="}"#,
            ),
            (Value::Float64(-0.0), r#"{"$float":"AAAAAAAAAIA="}"#),
            (
                Value::Int64(0x0102030405060708),
                r#"{"$integer":"CAcGBQQDAgE="}"#,
            ),
            (
                Value::Bytes(vec![1, 2, 3, 0xfa]),
                r#"{"$bytes":"AQID+g=="}"#,
            ),
        ];
        for (v, s) in vectors {
            assert_eq!(enc(v), *s);
            assert_eq!(dec(s).expect("test input is valid"), *v, "{s}");
        }
    }

    #[test]
    fn plain_values() {
        assert_eq!(enc(&Value::Float64(1.0)), "1.0");
        assert_eq!(enc(&Value::Float64(0.0)), "0.0");
        assert_eq!(enc(&Value::Float64(-2.5)), "-2.5");
        assert_eq!(enc(&Value::Null), "null");
        assert_eq!(enc(&Value::Boolean(true)), "true");
        assert_eq!(enc(&Value::from("a\"b")), r#""a\"b""#);
        let v = Value::Object(
            [
                ("b".to_owned(), Value::Array(vec![Value::Int64(1)])),
                ("a".to_owned(), Value::Null),
            ]
            .into_iter()
            .collect(),
        );
        assert_eq!(enc(&v), r#"{"a":null,"b":[{"$integer":"AQAAAAAAAAA="}]}"#);
        assert_eq!(dec("5").expect("test input is valid"), Value::Float64(5.0));
        assert_eq!(
            dec("-0.0").expect("test input is valid"),
            Value::Float64(-0.0)
        );
        assert_eq!(
            dec(r#"{"":1}"#)
                .expect("test input is valid")
                .to_encoded_json(),
            json!({"": 1.0})
        );
    }

    #[test]
    fn base64_leniency() {
        // Unpadded input is accepted; padded is emitted.
        assert_eq!(
            dec(r#"{"$integer":"AQAAAAAAAAA"}"#).expect("test input is valid"),
            Value::Int64(1)
        );
        assert_eq!(
            dec(r#"{"$bytes":"AQID+g"}"#).expect("test input is valid"),
            Value::Bytes(vec![1, 2, 3, 0xfa])
        );
        assert_eq!(
            dec(r#"{"$bytes":""}"#).expect("test input is valid"),
            Value::Bytes(vec![])
        );
        // URL-safe alphabet and non-zero trailing bits are rejected.
        assert!(matches!(
            dec(r#"{"$bytes":"AQID-g=="}"#),
            Err(ValueError::InvalidBase64 { tag: "$bytes", .. })
        ));
        assert!(matches!(
            dec(r#"{"$bytes":"AQID+h=="}"#),
            Err(ValueError::InvalidBase64 { .. })
        ));
        assert!(matches!(
            dec(r#"{"$integer":"//////////_="}"#),
            Err(ValueError::InvalidBase64 {
                tag: "$integer",
                ..
            })
        ));
    }

    #[test]
    fn special_errors() {
        assert_eq!(
            dec(r#"{"$integer":"AQAAAAAAAA=="}"#),
            Err(ValueError::Int64WrongLength)
        );
        assert_eq!(
            dec(r#"{"$integer":"AQAAAAAAAAAA"}"#),
            Err(ValueError::Int64WrongLength)
        );
        assert_eq!(
            dec(r#"{"$integer":"AQAAAAAAAAAAAAAA"}"#),
            Err(ValueError::Int64WrongLength)
        );
        assert_eq!(
            ValueError::Int64WrongLength.to_string(),
            "Int64 must be exactly eight bytes"
        );
        assert_eq!(
            dec(r#"{"$float":"AAAA"}"#),
            Err(ValueError::Float64WrongLength)
        );
        // 1.0 must be a number; +0 is accepted (as the backend does).
        let err = dec(r#"{"$float":"AAAAAAAA8D8="}"#).unwrap_err();
        assert_eq!(err, ValueError::FloatShouldBeNumber { value: 1.0 });
        assert_eq!(err.to_string(), "Float64 1.0 should be encoded as a number");
        assert!(matches!(
            dec(r#"{"$float":"AQAAAAAAAAA="}"#), // subnormal
            Err(ValueError::FloatShouldBeNumber { .. })
        ));
        assert_eq!(
            dec(r#"{"$float":"AAAAAAAAAAA="}"#).expect("test input is valid"),
            Value::Float64(0.0)
        );
        assert_eq!(
            dec(r#"{"$integer":1}"#),
            Err(ValueError::SpecialValueNotString { tag: "$integer" })
        );
        assert!(matches!(
            dec(r#"{"$foo":"x"}"#),
            Err(ValueError::FieldNameReserved { .. })
        ));
        assert!(matches!(
            dec(r#"{"$integer":"AQAAAAAAAAA=","a":1}"#),
            Err(ValueError::FieldNameReserved { .. })
        ));
        assert_eq!(
            dec(r#"{"$undefined":null}"#),
            Err(ValueError::UndefinedNotAllowed)
        );
        assert_eq!(
            dec(r#"[{"$undefined":null}]"#),
            Err(ValueError::UndefinedNotAllowed)
        );
        let err = dec(r#"{"a":{"b\n":1}}"#).unwrap_err();
        assert_eq!(
            err,
            ValueError::FieldNameInvalidCharacter {
                name: "b\n".into(),
                ch: '\n',
                path: ".a".into()
            }
        );
    }

    #[test]
    fn limits_while_decoding() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(dec(&deep(64)).is_ok());
        assert!(matches!(
            dec(&deep(65)),
            Err(ValueError::ValueTooNested { .. })
        ));
        // Special objects are scalars, not levels.
        let s = format!(
            "{}{{\"$integer\":\"AQAAAAAAAAA=\"}}{}",
            "[".repeat(64),
            "]".repeat(64)
        );
        assert!(dec(&s).is_ok());

        // Much deeper than serde_json's own parser allows: build it directly.
        let mut j = Json::Null;
        for _ in 0..10_000 {
            j = Json::Array(vec![j]);
        }
        assert!(matches!(
            Value::from_encoded_json(&j),
            Err(ValueError::ValueTooNested { .. })
        ));
        // Tear down without deep recursion.
        while let Json::Array(mut a) = j {
            j = a.pop().unwrap_or(Json::Null);
        }

        let long = Json::Array(vec![Json::Null; 8193]);
        assert!(matches!(
            Value::from_encoded_json(&long),
            Err(ValueError::ArrayTooLong { len: 8193, .. })
        ));
        let big = Json::Array(vec![Json::String("x".repeat(5000)); 8000]);
        assert!(matches!(
            Value::from_encoded_json(&big),
            Err(ValueError::ValueTooLarge { .. })
        ));
    }

    #[test]
    fn clean_json() {
        let c = |v: Value| serde_json::to_string(&v.to_clean_json()).expect("test input is valid");
        assert_eq!(c(Value::Int64(123)), r#""123""#);
        assert_eq!(c(Value::Int64(i64::MIN)), r#""-9223372036854775808""#);
        assert_eq!(c(Value::Float64(1.5)), "1.5");
        assert_eq!(c(Value::Float64(-0.0)), "-0.0");
        assert_eq!(c(Value::Float64(f64::NAN)), r#""NaN""#);
        assert_eq!(c(Value::Float64(-f64::NAN)), r#""NaN""#);
        assert_eq!(c(Value::Float64(f64::INFINITY)), r#""Infinity""#);
        assert_eq!(c(Value::Float64(f64::NEG_INFINITY)), r#""-Infinity""#);
        assert_eq!(c(Value::Bytes(vec![1, 2, 3, 0xfa])), r#""AQID+g==""#);
        assert_eq!(
            c(Value::Array(vec![Value::Null, Value::from("s")])),
            r#"[null,"s"]"#
        );
    }

    #[test]
    fn export_json() {
        let x = |v: Value| serde_json::to_string(&v.to_export_json()).expect("test input is valid");
        assert_eq!(x(Value::Int64(5)), "5");
        assert_eq!(x(Value::Float64(5.0)), "5.0");
        assert_eq!(x(Value::Float64(-0.0)), "-0.0");
        assert_eq!(x(Value::Float64(f64::NAN)), r#"{"$float":"AAAAAAAA+H8="}"#);
        assert_eq!(
            x(Value::Bytes(vec![1, 2, 3, 0xfa])),
            r#"{"$bytes":"AQID+g=="}"#
        );

        let r = |s: &str| {
            Value::from_export_json(&serde_json::from_str(s).expect("test input is valid"))
        };
        assert_eq!(r("5").expect("test input is valid"), Value::Int64(5));
        assert_eq!(r("-5").expect("test input is valid"), Value::Int64(-5));
        assert_eq!(r("5.0").expect("test input is valid"), Value::Float64(5.0));
        assert_eq!(r("5e0").expect("test input is valid"), Value::Float64(5.0));
        assert_eq!(
            r("-0.0").expect("test input is valid"),
            Value::Float64(-0.0)
        );
        assert_eq!(
            r("9223372036854775807").expect("test input is valid"),
            Value::Int64(i64::MAX)
        );
        assert_eq!(
            r("9223372036854775808").expect("test input is valid"),
            Value::Float64(9223372036854775808.0)
        );
        assert_eq!(
            r(r#"{"$integer":"AQAAAAAAAAA="}"#).expect("test input is valid"),
            Value::Int64(1)
        );
        assert_eq!(
            r(r#"{"a":[1,{"$bytes":"AQID+g=="}]}"#).expect("test input is valid"),
            Value::Object(
                [(
                    "a".to_owned(),
                    Value::Array(vec![Value::Int64(1), Value::Bytes(vec![1, 2, 3, 0xfa])])
                )]
                .into_iter()
                .collect()
            )
        );
        assert!(r(r#"{"$x":1}"#).is_err());
    }

    #[test]
    fn patches() {
        let p = patch_from_encoded_json(&json!({
            "a": {"$undefined": null},
            "b": {"$integer": "AQAAAAAAAAA="},
            "c": {"d": 1},
        }))
        .expect("test input is valid");
        assert_eq!(p.len(), 3);
        assert_eq!(p["a"], None);
        assert_eq!(p["b"], Some(Value::Int64(1)));
        assert_eq!(
            p["c"],
            Some(Value::Object(
                [("d".to_owned(), Value::Float64(1.0))]
                    .into_iter()
                    .collect()
            ))
        );
        assert_eq!(
            patch_from_encoded_json(&json!([])),
            Err(ValueError::PatchNotObject)
        );
        assert_eq!(
            patch_from_encoded_json(&json!({"a": {"b": {"$undefined": null}}})),
            Err(ValueError::UndefinedNotAllowed)
        );
        assert!(matches!(
            patch_from_encoded_json(&json!({"$a": 1})),
            Err(ValueError::FieldNameReserved { .. })
        ));
        assert!(patch_from_encoded_json(&json!({"a": {"$undefined": 1}})).is_err());
    }

    proptest! {
        #[test]
        fn encoded_roundtrip(v in arb_valid_value()) {
            let j = v.to_encoded_json();
            prop_assert_eq!(&Value::from_encoded_json(&j).expect("test input is valid"), &v);
            // Through text too: float printing must round-trip exactly.
            let text = serde_json::to_string(&j).expect("test input is valid");
            let back: Json = serde_json::from_str(&text).expect("test input is valid");
            prop_assert_eq!(Value::from_encoded_json(&back).expect("test input is valid"), v);
        }

        #[test]
        fn export_roundtrip(v in arb_valid_value()) {
            let text = serde_json::to_string(&v.to_export_json()).expect("test input is valid");
            let back: Json = serde_json::from_str(&text).expect("test input is valid");
            prop_assert_eq!(Value::from_export_json(&back).expect("test input is valid"), v);
        }

        #[test]
        fn finite_floats_print_with_point_or_exponent(f in any::<f64>()) {
            prop_assume!(f.is_finite());
            let text = enc(&Value::Float64(f));
            if f == 0.0 && f.is_sign_negative() {
                prop_assert_eq!(text, r#"{"$float":"AAAAAAAAAIA="}"#);
            } else {
                prop_assert!(text.contains('.') || text.contains('e'), "{}", text);
            }
        }

        #[test]
        fn decoded_values_pass_check_value(v in arb_value()) {
            // Whatever decodes is valid; whatever is valid decodes.
            let j = v.to_encoded_json();
            match Value::from_encoded_json(&j) {
                Ok(d) => {
                    prop_assert_eq!(d.check_value(), Ok(()));
                    // (`{"$integer": "..."}` with an invalid key may decode
                    // to something else.)
                    if v.check_value().is_ok() {
                        prop_assert_eq!(d, v);
                    }
                }
                Err(_) => prop_assert!(v.check_value().is_err()),
            }
        }
    }
}
