//! Runtime properties: deterministic time and randomness, warm vs strict
//! contexts, CPU and memory limits, timers, env vars and log formatting.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::App;
use serde_json::json;
use udf_runtime::UdfType::{Action, Mutation, Query};
use udf_runtime::{ContextMode, ExecuteError, RuntimeConfig, UdfType};

fn internal(
    app: &mut App,
    udf_type: UdfType,
    path: &str,
    args: serde_json::Value,
    seed: u8,
) -> udf_runtime::ExecuteOutcome {
    let mut req = app.request(udf_type, path, args);
    req.allow_internal = true;
    req.rng_seed = [seed; 32];
    app.execute(&req)
}

#[test]
fn same_seed_same_random_and_frozen_date() {
    let mut app = App::new();
    let a = internal(&mut app, Query, "diagnostics:entropy", json!({}), 7)
        .result
        .unwrap();
    let b = internal(&mut app, Query, "diagnostics:entropy", json!({}), 7)
        .result
        .unwrap();
    let c = internal(&mut app, Query, "diagnostics:entropy", json!({}), 8)
        .result
        .unwrap();
    assert_eq!(a, b);
    assert_ne!(a["random"], c["random"]);
    assert_ne!(a["uuid"], c["uuid"]);
    assert_eq!(a["now"].as_f64(), Some(1_750_000_000_000.0));
    assert_eq!(a["date"], json!("2025-06-15T15:06:40.000Z"));
    let r = a["random"][0].as_f64().unwrap();
    assert!((0.0..1.0).contains(&r));
    let uuid = a["uuid"].as_str().unwrap();
    assert_eq!(&uuid[14..15], "4");
    // Module top level runs with the push's import-phase clock, not the request's.
    assert_eq!(
        a["loadedAt"].as_f64(),
        Some(app.modules.import_phase().unix_timestamp_ms.floor())
    );
    // A fresh runtime (another worker) gives the same answer.
    let mut other = App::new();
    let d = internal(&mut other, Query, "diagnostics:entropy", json!({}), 7)
        .result
        .unwrap();
    assert_eq!(a, d);
}

#[test]
fn warm_contexts_keep_module_state_strict_does_not() {
    let mut app = App::new();
    let counts: Vec<_> = (0..3)
        .map(|_| {
            internal(&mut app, Query, "diagnostics:moduleCalls", json!({}), 1)
                .result
                .unwrap()
        })
        .collect();
    assert_eq!(counts, vec![json!(1), json!(2), json!(3)]);
    assert_eq!(app.runtime.warm_contexts(&app.modules), 1);

    let mut strict = App::new();
    strict.mode = ContextMode::Strict;
    let counts: Vec<_> = (0..3)
        .map(|_| {
            internal(&mut strict, Query, "diagnostics:moduleCalls", json!({}), 1)
                .result
                .unwrap()
        })
        .collect();
    assert_eq!(counts, vec![json!(1), json!(1), json!(1)]);
    assert_eq!(strict.runtime.warm_contexts(&strict.modules), 0);
    // …except for modules exporting experimental_reuseContext = true.
    let counts: Vec<_> = (0..3)
        .map(|_| {
            internal(&mut strict, Query, "reused:count", json!({}), 1)
                .result
                .unwrap()
        })
        .collect();
    assert_eq!(counts, vec![json!(1), json!(2), json!(3)]);
}

#[test]
fn infinite_loop_times_out_and_runtime_recovers() {
    let config = RuntimeConfig {
        query_timeout: Duration::from_millis(200),
        ..RuntimeConfig::default()
    };
    let mut app = App::with_config(config);
    let start = Instant::now();
    let outcome = internal(&mut app, Query, "diagnostics:spin", json!({}), 1);
    let elapsed = start.elapsed();
    match outcome.result {
        Err(ExecuteError::Js(e)) => assert_eq!(
            e.message,
            "Function execution timed out (maximum duration: 0.2s)"
        ),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(
        elapsed >= Duration::from_millis(200) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
    assert_eq!(
        app.runtime.warm_contexts(&app.modules),
        0,
        "the interrupted context is discarded"
    );
    let id = app.ok(
        Mutation,
        "messages:send",
        json!({"author": "a", "body": "after"}),
    );
    assert!(id.is_string());
}

#[test]
fn runaway_allocation_runs_out_of_memory() {
    let config = RuntimeConfig {
        memory_limit: 16 << 20,
        ..RuntimeConfig::default()
    };
    let mut app = App::with_config(config);
    let heap_before = app.runtime.heap_size();
    let outcome = internal(&mut app, Query, "diagnostics:hog", json!({}), 1);
    match outcome.result {
        Err(ExecuteError::Js(e)) => assert_eq!(
            e.message,
            "JavaScript execution ran out of memory (maximum memory usage: 16 MB)"
        ),
        other => panic!("expected out of memory, got {other:?}"),
    }
    assert_eq!(app.runtime.warm_contexts(&app.modules), 0);
    assert!(
        app.runtime.heap_size() < heap_before + (4 << 20),
        "memory released after discarding the context"
    );
    assert_eq!(app.ok(Query, "messages:listAll", json!({})), json!([]));
}

#[test]
fn deep_recursion_is_a_catchable_range_error() {
    let mut app = App::new();
    assert_eq!(
        internal(
            &mut app,
            Query,
            "diagnostics:recurse",
            json!({"depth": 100}),
            1
        )
        .result
        .unwrap(),
        json!(100)
    );
    let outcome = internal(
        &mut app,
        Query,
        "diagnostics:recurse",
        json!({"depth": 10_000_000}),
        1,
    );
    let e = outcome.result.unwrap_err();
    assert_eq!(
        e.as_js().unwrap().message,
        "Uncaught RangeError: Maximum call stack size exceeded"
    );
    assert_eq!(
        internal(
            &mut app,
            Query,
            "diagnostics:recurse",
            json!({"depth": 3}),
            1
        )
        .result
        .unwrap(),
        json!(3)
    );
}

#[test]
fn timers_in_actions() {
    let mut app = App::new();
    let start = Instant::now();
    assert_eq!(
        internal(&mut app, Action, "diagnostics:sleep", json!({"ms": 50}), 1)
            .result
            .unwrap(),
        json!(true)
    );
    assert!(start.elapsed() >= Duration::from_millis(50));
}

#[test]
fn env_vars_and_metadata() {
    let mut app = App::new();
    let mut req = app.request(Query, "diagnostics:env", json!({"name": "GREETING"}));
    req.allow_internal = true;
    req.env = Arc::new(BTreeMap::from([(
        "GREETING".to_string(),
        "hello".to_string(),
    )]));
    assert_eq!(app.execute(&req).result.unwrap(), json!("hello"));
    req.env = Arc::new(BTreeMap::new());
    assert_eq!(app.execute(&req).result.unwrap(), json!(null));
    let meta = internal(&mut app, Mutation, "diagnostics:metadata", json!({}), 1)
        .result
        .unwrap();
    assert_eq!(
        meta,
        json!({"name": "diagnostics:metadata", "type": "mutation", "deployment": "local"})
    );
}

#[test]
fn console_formats_like_convex() {
    let mut app = App::new();
    let outcome = internal(&mut app, Query, "diagnostics:inspect", json!({}), 1);
    assert!(outcome.result.is_ok());
    assert_eq!(
        outcome.log_lines[0],
        "[LOG] {\n  a: 1,\n  nested: {\n    list: [ 1, 'two' ]\n  }\n} [ 1, 2 ] 5n null undefined"
    );
    assert_eq!(outcome.log_lines[1], "[ERROR] [Error: shown]");
}

#[test]
fn convex_value_conversions_round_trip_every_type() {
    let mut app = App::new();
    // Keys out of order, an int64, bytes, special floats, nesting.
    let text = r#"{"z":{"$integer":"AQAAAAAAAAA="},"b":{"$bytes":"AAEC"},"nan":{"$float":"AAAAAAAA+H8="},"neg0":{"$float":"AAAAAAAAAIA="},"a":[1.5,"s",null,true,{"y":{"x":[]}}]}"#;
    let out = internal(
        &mut app,
        Query,
        "diagnostics:convertValues",
        json!({ "text": text, "times": 3 }),
        1,
    )
    .result
    .unwrap();
    let out: serde_json::Value = serde_json::from_str(out.as_str().unwrap()).unwrap();
    // convexToJson writes keys in sorted order; every value survives.
    assert_eq!(
        serde_json::to_string(&out).unwrap(),
        r#"{"a":[1.5,"s",null,true,{"y":{"x":[]}}],"b":{"$bytes":"AAEC"},"nan":{"$float":"AAAAAAAA+H8="},"neg0":{"$float":"AAAAAAAAAIA="},"z":{"$integer":"AQAAAAAAAAA="}}"#
    );
}
