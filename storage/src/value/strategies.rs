//! proptest strategies for arbitrary Convex values (test-only).

use super::{Object, Value};
use proptest::prelude::*;

pub fn arb_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        any::<u64>().prop_map(f64::from_bits),
        Just(f64::NAN),
        Just(-f64::NAN),
        Just(f64::from_bits(0x7ff0_0000_0000_0001)),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(0.0),
        Just(-0.0),
        Just(1.0),
        Just(-1.5),
        Just(f64::MIN_POSITIVE),
        Just(f64::from_bits(1)),
        Just(f64::MAX),
        Just(f64::MIN),
    ]
}

pub fn arb_i64() -> impl Strategy<Value = i64> {
    prop_oneof![
        any::<i64>(),
        -300i64..300,
        -70_000i64..70_000,
        Just(i64::MIN),
        Just(i64::MAX),
        Just(i32::MIN as i64),
        Just(i32::MAX as i64),
        Just(i32::MIN as i64 - 1),
        Just(i32::MAX as i64 + 1),
        Just(-129),
        Just(-128),
        Just(127),
        Just(128),
    ]
}

/// Strings over a small alphabet (so prefixes and ties are common),
/// including '\0', plus arbitrary Unicode.
pub fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[ab\u{0}\u{7f}é]{0,4}",
        1 => any::<String>(),
    ]
}

pub fn arb_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => prop::collection::vec(prop_oneof![Just(0u8), Just(1), Just(0xfe), Just(0xff), Just(b'a')], 0..5),
        1 => prop::collection::vec(any::<u8>(), 0..16),
    ]
}

/// Any field name, valid or not (the order and sort keys must handle them all).
pub fn arb_any_key() -> BoxedStrategy<String> {
    prop_oneof![
        Just(String::new()),
        Just("\0".to_owned()),
        Just("a".to_owned()),
        "[ab\u{0}]{0,3}",
        any::<String>(),
    ]
    .boxed()
}

/// Valid field names (§2.5), including "".
pub fn arb_valid_key() -> BoxedStrategy<String> {
    prop_oneof![Just(String::new()), "[a-c_ ~]{0,3}", "[ -#%-~][ -~]{0,8}",].boxed()
}

pub fn arb_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        arb_i64().prop_map(Value::Int64),
        arb_f64().prop_map(Value::Float64),
        any::<bool>().prop_map(Value::Boolean),
        arb_string().prop_map(Value::String),
        arb_bytes().prop_map(Value::Bytes),
    ]
}

fn arb_value_with<K: Strategy<Value = String> + Clone + 'static>(
    key: K,
) -> impl Strategy<Value = Value> {
    arb_leaf().prop_recursive(4, 48, 5, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..5)
                .prop_map(|m: Object| Value::Object(m)),
        ]
    })
}

/// Arbitrary values, field names unrestricted.
pub fn arb_value() -> impl Strategy<Value = Value> {
    arb_value_with(arb_any_key())
}

/// Arbitrary values whose field names are all valid.
pub fn arb_valid_value() -> impl Strategy<Value = Value> {
    arb_value_with(arb_valid_key())
}
