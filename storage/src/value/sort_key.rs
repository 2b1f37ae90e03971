//! The order-preserving, self-delimiting byte encoding of values (§2.8): index
//! keys are concatenations of these, and the same bytes are the on-disk
//! document format, so decoding is exact (float bits, NaN payloads, −0).
//!
//! Layout (tag byte, then payload):
//!
//! | value | bytes |
//! |---|---|
//! | undefined (missing field) | `01` |
//! | null | `03` |
//! | int64 0 | `08` |
//! | int64 ≠ 0 | `08 ± k`, then the big-endian two's complement bytes of the narrowest signed width (k = 1, 2, 3, 4 for 1, 2, 4, 8 bytes; `+` if positive) |
//! | float64 | `0D`, then the 8 big-endian bytes of the bits, all flipped if negative, else with the sign bit set |
//! | false / true | `0E` / `0F` |
//! | string / bytes | `10` / `11`, then the bytes with `00` escaped as `00 FF`, then `00` |
//! | array | `12`, the elements, `00` |
//! | object | `15`, for each field in name order: the name escaped and `00`-terminated (the empty name as `00 FE`), then the value; then `00` |
//!
//! The empty field name is `00 FE` rather than the `00 FF` of the protocol
//! notes: `00 FF` is also how a name starting with a NUL byte begins, and `FE`
//! keeps `""` below such names. (NUL is not valid in field names, but the order
//! must be right for every `Value`.) The order argument relies on the byte
//! after a complete key being either absent, `00`, or the first byte of
//! another key (a tag ≤ `15`, or a name byte, which is never `FE`/`FF` in
//! UTF-8): all below `FE`.

use super::{Object, Value, ValueError, MAX_VALUE_NESTING};

const UNDEFINED: u8 = 0x01;
const NULL: u8 = 0x03;
const INT_MIN_TAG: u8 = 0x04;
const INT_ZERO: u8 = 0x08;
const INT_MAX_TAG: u8 = 0x0C;
const FLOAT: u8 = 0x0D;
const FALSE: u8 = 0x0E;
const TRUE: u8 = 0x0F;
const STRING: u8 = 0x10;
const BYTES: u8 = 0x11;
const ARRAY: u8 = 0x12;
const OBJECT: u8 = 0x15;

const TERMINATOR: u8 = 0x00;
const ESCAPED_NUL: u8 = 0xFF;
const EMPTY_NAME: u8 = 0xFE;

const SIGN_BIT: u64 = 1 << 63;

/// Appends the sort key of `v` to `out`.
pub fn write_sort_key(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.push(NULL),
        Value::Int64(i) => write_int(*i, out),
        Value::Float64(f) => {
            let bits = f.to_bits();
            let key = if bits & SIGN_BIT != 0 {
                !bits
            } else {
                bits | SIGN_BIT
            };
            out.push(FLOAT);
            out.extend_from_slice(&key.to_be_bytes());
        }
        Value::Boolean(false) => out.push(FALSE),
        Value::Boolean(true) => out.push(TRUE),
        Value::String(s) => {
            out.push(STRING);
            write_escaped(s.as_bytes(), out);
        }
        Value::Bytes(b) => {
            out.push(BYTES);
            write_escaped(b, out);
        }
        Value::Array(a) => {
            out.push(ARRAY);
            for e in a {
                write_sort_key(e, out);
            }
            out.push(TERMINATOR);
        }
        Value::Object(o) => write_object_sort_key(o, out),
    }
}

/// Appends the sort key of `Value::Object(o)` without building that value
/// (e.g. to encode a stored document from its fields).
pub fn write_object_sort_key(o: &Object, out: &mut Vec<u8>) {
    out.push(OBJECT);
    for (name, value) in o {
        if name.is_empty() {
            out.extend_from_slice(&[TERMINATOR, EMPTY_NAME]);
        } else {
            write_escaped(name.as_bytes(), out);
        }
        write_sort_key(value, out);
    }
    out.push(TERMINATOR);
}

/// Appends the key of a missing field (`undefined`): the single byte `0x01`,
/// below every value.
pub fn write_undefined(out: &mut Vec<u8>) {
    out.push(UNDEFINED);
}

/// The sort key of `v`.
pub fn sort_key(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_sort_key(v, &mut out);
    out
}

/// Tag and payload width of an integer: the narrowest signed width.
fn int_tag(i: i64) -> (u8, usize) {
    if i == 0 {
        return (INT_ZERO, 0);
    }
    let (k, width) = if i8::try_from(i).is_ok() {
        (1, 1)
    } else if i16::try_from(i).is_ok() {
        (2, 2)
    } else if i32::try_from(i).is_ok() {
        (3, 4)
    } else {
        (4, 8)
    };
    (if i > 0 { INT_ZERO + k } else { INT_ZERO - k }, width)
}

fn write_int(i: i64, out: &mut Vec<u8>) {
    let (tag, width) = int_tag(i);
    out.push(tag);
    out.extend_from_slice(&i.to_be_bytes()[8 - width..]);
}

fn write_escaped(bytes: &[u8], out: &mut Vec<u8>) {
    out.reserve(bytes.len() + 1);
    let mut rest = bytes;
    while let Some(i) = rest.iter().position(|&b| b == 0) {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(&[TERMINATOR, ESCAPED_NUL]);
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
    out.push(TERMINATOR);
}

/// Decodes the key at the start of `bytes`: the value (`None` for undefined)
/// and the number of bytes it took. Only canonical encodings are accepted
/// (minimal integer widths, object fields strictly increasing), so re-encoding
/// the result gives back exactly those bytes. Nesting deeper than 64 is
/// rejected.
pub fn read_sort_key(bytes: &[u8]) -> Result<(Option<Value>, usize), ValueError> {
    if bytes.first() == Some(&UNDEFINED) {
        return Ok((None, 1));
    }
    let mut r = Reader { buf: bytes, pos: 0 };
    let v = r.value(0)?;
    Ok((Some(v), r.pos))
}

/// Decodes bytes holding exactly one value's key (e.g. a stored document).
pub fn value_from_sort_key(bytes: &[u8]) -> Result<Value, ValueError> {
    let mut r = Reader { buf: bytes, pos: 0 };
    let v = r.value(0)?;
    if r.pos != bytes.len() {
        return Err(r.err("trailing bytes after the value"));
    }
    Ok(v)
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn err(&self, reason: &'static str) -> ValueError {
        ValueError::InvalidSortKey {
            offset: self.pos,
            reason,
        }
    }

    fn next(&mut self) -> Result<u8, ValueError> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or_else(|| self.err("unexpected end of input"))?;
        self.pos += 1;
        Ok(b)
    }

    fn peek(&self) -> Result<u8, ValueError> {
        self.buf
            .get(self.pos)
            .copied()
            .ok_or_else(|| self.err("unexpected end of input"))
    }

    fn take<const N: usize>(&mut self) -> Result<[u8; N], ValueError> {
        let end = self.pos + N;
        let slice = self
            .buf
            .get(self.pos..end)
            .ok_or_else(|| self.err("unexpected end of input"))?;
        let mut out = [0u8; N];
        out.copy_from_slice(slice);
        self.pos = end;
        Ok(out)
    }

    fn value(&mut self, depth: usize) -> Result<Value, ValueError> {
        let start = self.pos;
        let tag = self.next()?;
        Ok(match tag {
            NULL => Value::Null,
            INT_ZERO => Value::Int64(0),
            INT_MIN_TAG..=INT_MAX_TAG => {
                let k = tag.abs_diff(INT_ZERO);
                let i = match k {
                    1 => i64::from(i8::from_be_bytes(self.take()?)),
                    2 => i64::from(i16::from_be_bytes(self.take()?)),
                    3 => i64::from(i32::from_be_bytes(self.take()?)),
                    _ => i64::from_be_bytes(self.take()?),
                };
                if int_tag(i).0 != tag {
                    self.pos = start;
                    return Err(self.err("non-minimal or mis-signed integer"));
                }
                Value::Int64(i)
            }
            FLOAT => {
                let key = u64::from_be_bytes(self.take()?);
                let bits = if key & SIGN_BIT != 0 {
                    key ^ SIGN_BIT
                } else {
                    !key
                };
                Value::Float64(f64::from_bits(bits))
            }
            FALSE => Value::Boolean(false),
            TRUE => Value::Boolean(true),
            STRING => Value::String(self.string()?),
            BYTES => Value::Bytes(self.escaped()?),
            ARRAY => {
                if depth >= MAX_VALUE_NESTING {
                    self.pos = start;
                    return Err(self.err("nested too deeply"));
                }
                let mut elements = Vec::new();
                while self.peek()? != TERMINATOR {
                    elements.push(self.value(depth + 1)?);
                }
                self.pos += 1;
                Value::Array(elements)
            }
            OBJECT => {
                if depth >= MAX_VALUE_NESTING {
                    self.pos = start;
                    return Err(self.err("nested too deeply"));
                }
                let mut fields: Vec<(String, Value)> = Vec::new();
                loop {
                    let name_start = self.pos;
                    let name = if self.peek()? == TERMINATOR {
                        match self.buf.get(self.pos + 1) {
                            Some(&EMPTY_NAME) => {
                                self.pos += 2;
                                String::new()
                            }
                            Some(&ESCAPED_NUL) => self.string()?,
                            _ => {
                                self.pos += 1;
                                break;
                            }
                        }
                    } else {
                        self.string()?
                    };
                    if let Some((last, _)) = fields.last() {
                        if *last >= name {
                            self.pos = name_start;
                            return Err(self.err("object fields out of order"));
                        }
                    }
                    let value = self.value(depth + 1)?;
                    fields.push((name, value));
                }
                // Sorted and unique: `collect` builds the map in linear time.
                Value::Object(fields.into_iter().collect())
            }
            _ => {
                self.pos = start;
                return Err(self.err("invalid type tag"));
            }
        })
    }

    fn string(&mut self) -> Result<String, ValueError> {
        let start = self.pos;
        let bytes = self.escaped()?;
        String::from_utf8(bytes).map_err(|_| ValueError::InvalidSortKey {
            offset: start,
            reason: "string is not valid UTF-8",
        })
    }

    /// Reads an escaped, terminated byte string.
    fn escaped(&mut self) -> Result<Vec<u8>, ValueError> {
        let rest = &self.buf[self.pos..];
        let Some(first_nul) = rest.iter().position(|&b| b == 0) else {
            self.pos = self.buf.len();
            return Err(self.err("unterminated string"));
        };
        if rest.get(first_nul + 1) != Some(&ESCAPED_NUL) {
            // No escapes: one copy.
            self.pos += first_nul + 1;
            return Ok(rest[..first_nul].to_vec());
        }
        let mut out = Vec::with_capacity(first_nul + 16);
        let mut i = 0;
        loop {
            let Some(nul) = rest[i..].iter().position(|&b| b == 0) else {
                self.pos = self.buf.len();
                return Err(self.err("unterminated string"));
            };
            out.extend_from_slice(&rest[i..i + nul]);
            i += nul;
            if rest.get(i + 1) == Some(&ESCAPED_NUL) {
                out.push(0);
                i += 2;
            } else {
                self.pos += i + 1;
                return Ok(out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::strategies::*;
    use super::*;
    use proptest::prelude::*;
    use std::cmp::Ordering;

    fn hex(v: &Value) -> Vec<u8> {
        sort_key(v)
    }

    fn roundtrip(v: &Value) {
        let key = sort_key(v);
        let (decoded, used) = read_sort_key(&key).expect("test input is valid");
        assert_eq!(used, key.len(), "{v:?}");
        let decoded = decoded.expect("test input is valid");
        assert_eq!(&decoded, v);
        assert_eq!(value_from_sort_key(&key).expect("test input is valid"), *v);
    }

    #[test]
    fn integer_examples() {
        assert_eq!(hex(&Value::Int64(0)), [0x08]);
        assert_eq!(hex(&Value::Int64(1)), [0x09, 0x01]);
        assert_eq!(hex(&Value::Int64(127)), [0x09, 0x7f]);
        assert_eq!(hex(&Value::Int64(128)), [0x0a, 0x00, 0x80]);
        assert_eq!(hex(&Value::Int64(-1)), [0x07, 0xff]);
        assert_eq!(hex(&Value::Int64(-128)), [0x07, 0x80]);
        assert_eq!(hex(&Value::Int64(-129)), [0x06, 0xff, 0x7f]);
        assert_eq!(hex(&Value::Int64(32768)), [0x0b, 0, 0, 0x80, 0]);
        assert_eq!(
            hex(&Value::Int64(i64::MAX)),
            [0x0c, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        );
        assert_eq!(
            hex(&Value::Int64(i64::MIN)),
            [0x04, 0x80, 0, 0, 0, 0, 0, 0, 0]
        );
        for i in [
            0,
            1,
            -1,
            127,
            128,
            -128,
            -129,
            32767,
            32768,
            -32769,
            i64::MIN,
            i64::MAX,
        ] {
            roundtrip(&Value::Int64(i));
        }
    }

    #[test]
    fn other_examples() {
        assert_eq!(hex(&Value::Null), [0x03]);
        assert_eq!(hex(&Value::Boolean(false)), [0x0e]);
        assert_eq!(hex(&Value::Boolean(true)), [0x0f]);
        assert_eq!(hex(&Value::Float64(0.0)), [0x0d, 0x80, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            hex(&Value::Float64(-0.0)),
            [0x0d, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        );
        assert_eq!(hex(&Value::from("a\0b")), [0x10, b'a', 0, 0xff, b'b', 0]);
        assert_eq!(hex(&Value::Bytes(vec![])), [0x11, 0]);
        assert_eq!(
            hex(&Value::Array(vec![Value::Null, Value::Int64(0)])),
            [0x12, 0x03, 0x08, 0]
        );
        let o: Object = [("".to_owned(), Value::Null), ("ab".to_owned(), Value::Null)]
            .into_iter()
            .collect();
        assert_eq!(
            hex(&Value::Object(o)),
            [0x15, 0, 0xfe, 0x03, b'a', b'b', 0, 0x03, 0]
        );
        let mut out = Vec::new();
        write_undefined(&mut out);
        assert_eq!(out, [0x01]);
        assert_eq!(
            read_sort_key(&[0x01, 0x03]).expect("test input is valid"),
            (None, 1)
        );
    }

    #[test]
    fn floats_are_bit_exact() {
        for bits in [
            0u64,
            SIGN_BIT,
            f64::NAN.to_bits(),
            (-f64::NAN).to_bits(),
            0x7ff0_0000_0000_0001,
            0xfff8_dead_beef_0001,
            f64::INFINITY.to_bits(),
            f64::NEG_INFINITY.to_bits(),
            1,
            u64::MAX,
        ] {
            let v = Value::Float64(f64::from_bits(bits));
            let (d, _) = read_sort_key(&sort_key(&v)).expect("test input is valid");
            match d {
                Some(Value::Float64(f)) => assert_eq!(f.to_bits(), bits),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn rejects_bad_input() {
        let bad: &[&[u8]] = &[
            &[],
            &[0x00],
            &[0x02],
            &[0x16],
            &[0x09, 0x00],       // 0 must be the bare tag
            &[0x09, 0x80],       // negative under a positive tag
            &[0x07, 0x01],       // positive under a negative tag
            &[0x0a, 0x00, 0x7f], // 127 fits one byte
            &[0x06, 0xff, 0x80], // -128 fits one byte
            &[0x0c, 0, 0, 0, 0, 0, 0, 0, 1],
            &[0x0a, 0x01],                            // truncated
            &[0x0d, 1, 2, 3],                         // truncated
            &[0x10, b'a'],                            // unterminated
            &[0x10, 0xff, 0x00],                      // not UTF-8
            &[0x12, 0x03],                            // unterminated array
            &[0x12, 0x01, 0x00],                      // undefined inside an array
            &[0x15, b'b', 0, 0x03, b'a', 0, 0x03, 0], // fields out of order
            &[0x15, b'a', 0, 0x03, b'a', 0, 0x03, 0], // duplicate field
            &[0x15, b'a', 0, 0x03, 0, 0xfe, 0x03, 0], // "" after "a"
        ];
        for b in bad {
            assert!(
                matches!(read_sort_key(b), Err(ValueError::InvalidSortKey { .. })),
                "{b:?} -> {:?}",
                read_sort_key(b)
            );
        }
        assert!(value_from_sort_key(&[0x03, 0x03]).is_err());
        assert!(value_from_sort_key(&[0x01]).is_err());
    }

    #[test]
    fn nesting_is_bounded() {
        let mut deep = vec![ARRAY; 100_000];
        deep.extend(std::iter::repeat_n(TERMINATOR, 100_000));
        assert!(matches!(
            read_sort_key(&deep),
            Err(ValueError::InvalidSortKey {
                reason: "nested too deeply",
                ..
            })
        ));
        let mut ok = vec![ARRAY; 64];
        ok.extend(std::iter::repeat_n(TERMINATOR, 64));
        assert!(read_sort_key(&ok).is_ok());
    }

    fn tuple_key(t: &[Option<Value>]) -> Vec<u8> {
        let mut out = Vec::new();
        for v in t {
            match v {
                Some(v) => write_sort_key(v, &mut out),
                None => write_undefined(&mut out),
            }
        }
        out
    }

    fn arb_tuple() -> impl Strategy<Value = Vec<Option<Value>>> {
        prop::collection::vec(
            prop_oneof![1 => Just(None), 4 => arb_value().prop_map(Some)],
            0..4,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn key_order_matches_value_order(a in arb_value(), b in arb_value()) {
            prop_assert_eq!(sort_key(&a).cmp(&sort_key(&b)), a.cmp(&b));
        }

        #[test]
        fn key_order_with_shared_prefix(
            prefix in prop::collection::vec(arb_value(), 0..3),
            a in arb_value(),
            b in arb_value(),
            name in arb_any_key(),
            other_name in arb_any_key(),
        ) {
            let mut xa = prefix.clone();
            xa.push(a.clone());
            let mut xb = prefix;
            xb.push(b.clone());
            let (xa, xb) = (Value::Array(xa), Value::Array(xb));
            prop_assert_eq!(sort_key(&xa).cmp(&sort_key(&xb)), xa.cmp(&xb));

            let oa = Value::Object([(name.clone(), a.clone())].into_iter().collect());
            let ob = Value::Object([(other_name, b.clone())].into_iter().collect());
            prop_assert_eq!(sort_key(&oa).cmp(&sort_key(&ob)), oa.cmp(&ob));
            let oc = Value::Object([(name, b)].into_iter().collect());
            prop_assert_eq!(sort_key(&oa).cmp(&sort_key(&oc)), oa.cmp(&oc));
        }

        #[test]
        fn decode_inverts_encode(v in arb_value()) {
            let key = sort_key(&v);
            let (d, used) = read_sort_key(&key).expect("test input is valid");
            prop_assert_eq!(used, key.len());
            let d = d.expect("test input is valid");
            // `==` on values compares floats bitwise; re-encoding checks it again.
            prop_assert_eq!(&sort_key(&d), &key);
            prop_assert_eq!(&d, &v);
            if let Value::Object(o) = &v {
                let mut direct = Vec::new();
                write_object_sort_key(o, &mut direct);
                prop_assert_eq!(direct, key);
            }
        }

        #[test]
        fn tuple_order_is_lexicographic(a in arb_tuple(), b in arb_tuple()) {
            let (ka, kb) = (tuple_key(&a), tuple_key(&b));
            prop_assert_eq!(ka.cmp(&kb), a.cmp(&b));
            // And each element decodes back in sequence.
            let mut pos = 0;
            for expected in &a {
                let (v, used) = read_sort_key(&ka[pos..]).expect("test input is valid");
                prop_assert_eq!(&v, expected);
                pos += used;
            }
            prop_assert_eq!(pos, ka.len());
        }

        #[test]
        fn decoding_garbage_is_canonical(bytes in prop::collection::vec(
            prop_oneof![
                Just(0u8), Just(1), Just(3), Just(8), Just(9), Just(0x0d), Just(0x10),
                Just(0x11), Just(0x12), Just(0x15), Just(0xfe), Just(0xff), Just(b'a'),
                any::<u8>(),
            ],
            0..24,
        )) {
            if let Ok((Some(v), used)) = read_sort_key(&bytes) {
                prop_assert_eq!(sort_key(&v), &bytes[..used]);
            }
        }
    }

    #[test]
    fn order_examples() {
        let key_cmp = |a: &Value, b: &Value| sort_key(a).cmp(&sort_key(b));
        let s = |x: &str| Value::from(x);
        assert_eq!(key_cmp(&s("a"), &s("a\0")), Ordering::Less);
        assert_eq!(key_cmp(&s(""), &s("\0")), Ordering::Less);
        let o = |k: &str| Value::Object([(k.to_owned(), Value::Null)].into_iter().collect());
        assert_eq!(key_cmp(&o(""), &o("\0")), Ordering::Less);
        assert_eq!(
            key_cmp(&Value::Object(Object::new()), &o("")),
            Ordering::Less
        );
        assert_eq!(key_cmp(&o("a"), &o("a\0")), Ordering::Less);
        assert_eq!(
            key_cmp(&Value::Int64(i64::MAX), &Value::Float64(f64::NEG_INFINITY)),
            Ordering::Less
        );
    }
}
