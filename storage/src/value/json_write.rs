//! Writes a value's JSON form straight into a byte buffer, without building a
//! `serde_json::Value` tree first: the streaming export emits millions of
//! documents and this is its inner loop. The bytes are exactly what
//! `serde_json::to_vec(&v.to_encoded_json())` (or clean / export) produces;
//! a property test holds the two together.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::{Object, Value};

/// Which of the three JSON forms (§2.2–2.3) to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonFormat {
    /// `convex_encoded_json`: lossless.
    Encoded,
    /// `json`: clean and lossy.
    Clean,
    /// `export_json`: Int64 as a number.
    Export,
}

/// Appends the JSON form of `v` to `out`.
pub fn write_json(v: &Value, format: JsonFormat, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Boolean(true) => out.extend_from_slice(b"true"),
        Value::Boolean(false) => out.extend_from_slice(b"false"),
        Value::String(s) => write_json_str(s, out),
        Value::Int64(i) => match format {
            JsonFormat::Encoded => write_special("$integer", &i.to_le_bytes(), out),
            JsonFormat::Clean => {
                out.push(b'"');
                out.extend_from_slice(itoa::Buffer::new().format(*i).as_bytes());
                out.push(b'"');
            }
            JsonFormat::Export => out.extend_from_slice(itoa::Buffer::new().format(*i).as_bytes()),
        },
        Value::Float64(f) => write_float(*f, format, out),
        Value::Bytes(b) => match format {
            JsonFormat::Clean => {
                out.push(b'"');
                out.extend_from_slice(STANDARD.encode(b).as_bytes());
                out.push(b'"');
            }
            JsonFormat::Encoded | JsonFormat::Export => write_special("$bytes", b, out),
        },
        Value::Array(a) => {
            out.push(b'[');
            for (i, e) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json(e, format, out);
            }
            out.push(b']');
        }
        Value::Object(o) => {
            out.push(b'{');
            write_object_fields(o, format, out);
            out.push(b'}');
        }
    }
}

/// Appends `"k":v` pairs of an object, comma separated, without the braces
/// (so callers can add fields of their own). Returns how many were written.
pub fn write_object_fields(o: &Object, format: JsonFormat, out: &mut Vec<u8>) -> usize {
    write_object_fields_where(o, format, out, |_| true)
}

/// Like [`write_object_fields`], for the fields `keep` accepts.
pub fn write_object_fields_where(
    o: &Object,
    format: JsonFormat,
    out: &mut Vec<u8>,
    keep: impl Fn(&str) -> bool,
) -> usize {
    let mut n = 0;
    for (k, v) in o {
        if !keep(k) {
            continue;
        }
        if n > 0 {
            out.push(b',');
        }
        write_json_str(k, out);
        out.push(b':');
        write_json(v, format, out);
        n += 1;
    }
    n
}

/// Appends a JSON string literal.
pub fn write_json_str(s: &str, out: &mut Vec<u8>) {
    // Plain ASCII without quotes, backslashes or control characters (ids,
    // most field names) needs no escaping.
    if s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        return;
    }
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn write_special(tag: &str, payload: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"");
    out.extend_from_slice(tag.as_bytes());
    out.extend_from_slice(b"\":\"");
    out.extend_from_slice(STANDARD.encode(payload).as_bytes());
    out.extend_from_slice(b"\"}");
}

fn write_float(f: f64, format: JsonFormat, out: &mut Vec<u8>) {
    let negative_zero = f == 0.0 && f.is_sign_negative();
    if f.is_finite() && !(format == JsonFormat::Encoded && negative_zero) {
        // serde_json prints finite floats with a decimal point or exponent.
        let _ = serde_json::to_writer(&mut *out, &f);
        return;
    }
    match format {
        JsonFormat::Clean => out.extend_from_slice(if f.is_nan() {
            b"\"NaN\""
        } else if f > 0.0 {
            b"\"Infinity\""
        } else {
            b"\"-Infinity\""
        }),
        JsonFormat::Encoded | JsonFormat::Export => write_special("$float", &f.to_le_bytes(), out),
    }
}

#[cfg(test)]
mod tests {
    use super::super::strategies::*;
    use super::*;
    use proptest::prelude::*;

    fn via_tree(v: &Value, format: JsonFormat) -> Vec<u8> {
        let tree = match format {
            JsonFormat::Encoded => v.to_encoded_json(),
            JsonFormat::Clean => v.to_clean_json(),
            JsonFormat::Export => v.to_export_json(),
        };
        serde_json::to_vec(&tree).expect("serialize")
    }

    fn direct(v: &Value, format: JsonFormat) -> Vec<u8> {
        let mut out = Vec::new();
        write_json(v, format, &mut out);
        out
    }

    #[test]
    fn special_values() {
        for v in [
            Value::Float64(f64::NAN),
            Value::Float64(f64::INFINITY),
            Value::Float64(f64::NEG_INFINITY),
            Value::Float64(-0.0),
            Value::Float64(1.0),
            Value::Int64(i64::MIN),
            Value::Bytes(vec![0, 255]),
            Value::String("quote \" \u{1} é".into()),
        ] {
            for format in [JsonFormat::Encoded, JsonFormat::Clean, JsonFormat::Export] {
                assert_eq!(
                    String::from_utf8(direct(&v, format)),
                    String::from_utf8(via_tree(&v, format)),
                    "{v:?} {format:?}"
                );
            }
        }
        assert_eq!(direct(&Value::Float64(1.0), JsonFormat::Clean), b"1.0");
    }

    proptest! {
        #[test]
        fn same_bytes_as_the_tree_encoders(v in arb_valid_value()) {
            for format in [JsonFormat::Encoded, JsonFormat::Clean, JsonFormat::Export] {
                prop_assert_eq!(direct(&v, format), via_tree(&v, format));
            }
        }
    }
}
