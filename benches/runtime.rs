//! Benchmarks of the JavaScript runtime on the example app's real bundle:
//! executions per second of a trivial query, a one-insert mutation and a
//! 100-document read, in warm and strict mode, plus the cost of a fresh
//! context with the app loaded. Run: `cargo bench -p udf-runtime --bench runtime`.
//!
//! Times are the benchmark thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), so
//! figures stay meaningful on a machine shared with other work.

#[path = "../udf-runtime/tests/common/mod.rs"]
mod common;

use std::time::Duration;

use common::App;
use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::json;
use udf_runtime::{ContextMode, UdfType};

// The server's allocator (src/main.rs), so figures match what it runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// CPU time of the current thread, in nanoseconds.
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Criterion measurement of thread CPU time.
struct CpuTime;

struct NanosFormatter;

impl ValueFormatter for NanosFormatter {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if typical < 1e3 {
            (1.0, "ns")
        } else if typical < 1e6 {
            (1e-3, "µs")
        } else {
            (1e-6, "ms")
        };
        values.iter_mut().for_each(|v| *v *= factor);
        unit
    }

    fn scale_throughputs(
        &self,
        _typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let n = match throughput {
            Throughput::Elements(n) | Throughput::Bytes(n) | Throughput::BytesDecimal(n) => {
                *n as f64
            }
        };
        values.iter_mut().for_each(|v| *v = n * 1e9 / *v);
        "elem/s"
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

impl Measurement for CpuTime {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        thread_cpu_ns()
    }
    fn end(&self, start: u64) -> u64 {
        thread_cpu_ns().saturating_sub(start)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, value: &u64) -> f64 {
        *value as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &NanosFormatter
    }
}

fn run_ok(app: &mut App, req: &udf_runtime::ExecuteRequest) {
    let outcome = app.execute(req);
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
}

/// Runs `iters` inserts and returns their CPU time. The fake host keeps
/// every document it is given, so it is replaced (untimed) every
/// `INSERTS_PER_HOST` inserts: its growing heap would otherwise show in the
/// figure as page faults the runtime does not cause.
fn inserts_on_fresh_hosts(app: &mut App, send: &udf_runtime::ExecuteRequest, iters: u64) -> u64 {
    const INSERTS_PER_HOST: u64 = 1000;
    let mut spent = 0;
    let mut left = iters;
    while left > 0 {
        let n = left.min(INSERTS_PER_HOST);
        app.reset_host();
        let start = thread_cpu_ns();
        for _ in 0..n {
            run_ok(app, send);
        }
        spent += thread_cpu_ns() - start;
        left -= n;
    }
    spent
}

fn runtime(c: &mut Criterion<CpuTime>) {
    let mut group = c.benchmark_group("runtime");
    group.measurement_time(Duration::from_secs(4));
    group.warm_up_time(Duration::from_secs(1));

    let mut warm = App::new();
    let ping = warm.request(UdfType::Query, "messages:ping", json!({}));
    group.bench_function("warm trivial query", |b| {
        b.iter(|| run_ok(&mut warm, &ping))
    });

    let send = warm.request(
        UdfType::Mutation,
        "messages:send",
        json!({"author": "ada", "body": "hi"}),
    );
    group.bench_function("warm one-insert mutation", |b| {
        b.iter_custom(|iters| inserts_on_fresh_hosts(&mut warm, &send, iters))
    });

    let mut reader = App::new();
    let empty = reader.request(UdfType::Query, "messages:listAll", json!({}));
    group.bench_function("warm query reading 0 documents", |b| {
        b.iter(|| run_ok(&mut reader, &empty))
    });
    for i in 0..100 {
        let req = reader.request(
            UdfType::Mutation,
            "messages:send",
            json!({"author": "ada", "body": format!("m{i}")}),
        );
        run_ok(&mut reader, &req);
    }
    group.bench_function("warm query reading 100 documents", |b| {
        b.iter(|| run_ok(&mut reader, &empty))
    });

    // Convex's own conversions of one document's wire text (parse,
    // jsonToConvex, convexToJson, stringify), which every document read and
    // returned goes through: the part of a streamed document's cost that is
    // the bundle's JavaScript rather than Basalt's.
    let document = r#"{"_id":"k57a2b3c4d5e6f7g8h9j0k1m2n3p4q5r","_creationTime":1733000000000.5,"author":"ada","body":"message 12"}"#;
    for times in [0, 100] {
        let mut convert = reader.request(
            UdfType::Query,
            "diagnostics:convertValues",
            json!({ "text": document, "times": times }),
        );
        convert.allow_internal = true;
        group.bench_function(
            format!("warm query converting a document {times} times"),
            |b| b.iter(|| run_ok(&mut reader, &convert)),
        );
    }

    let mut strict = App::new();
    strict.mode = ContextMode::Strict;
    let ping_strict = strict.request(UdfType::Query, "messages:ping", json!({}));
    group.bench_function("strict trivial query", |b| {
        b.iter(|| run_ok(&mut strict, &ping_strict))
    });
    let send_strict = strict.request(
        UdfType::Mutation,
        "messages:send",
        json!({"author": "ada", "body": "hi"}),
    );
    group.bench_function("strict one-insert mutation", |b| {
        b.iter(|| run_ok(&mut strict, &send_strict))
    });

    let fresh = App::new();
    group.bench_function("fresh context with globals only", |b| {
        b.iter(|| fresh.runtime.prewarm(&fresh.modules, &[]).expect("context"))
    });
    group.bench_function("fresh context with app loaded", |b| {
        b.iter(|| {
            fresh
                .runtime
                .prewarm(&fresh.modules, &["messages.js"])
                .expect("context")
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(CpuTime);
    targets = runtime
}
criterion_main!(benches);
