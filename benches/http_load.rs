//! HTTP load driver: the real `basalt` binary (release) with `examples/app`
//! deployed by the real CLI, driven at concurrency 16 over loopback, next to
//! an axum hello-world baseline measured in the same run, once before and
//! once after the Basalt phases (ratios are against their mean, so a change
//! in the machine's load during the run shows and is split). Reports
//! requests/s and p50/p99 for an insert mutation and a get-by-id query,
//! once with every call reading another document (no query-cache hits) and
//! once with repeated calls (mostly hits), and for a query that does no
//! work and never hits the cache (the fixed cost of an uncached call).
//!
//! Run: `cargo bench --bench http_load` (needs `npm ci --prefix examples/app`).
//! Every loop is bounded by a request count and a deadline.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CONCURRENCY: usize = 16;
const REQUESTS_PER_WORKER: usize = 1500;
const DEADLINE: Duration = Duration::from_secs(60);

struct Stats {
    rps: f64,
    /// Server CPU time (user + system) per request, when the server is ours.
    cpu_per_request: Option<Duration>,
    p50: Duration,
    p99: Duration,
}

/// Runs `CONCURRENCY` workers, each sending up to `REQUESTS_PER_WORKER`
/// requests built by `body(worker, n)` to `url`.
fn drive(
    url: &str,
    server: Option<u32>,
    body: Arc<dyn Fn(usize, usize) -> Option<String> + Send + Sync>,
) -> Stats {
    let cpu_before = server.and_then(process_cpu);
    let start = Instant::now();
    let handles: Vec<_> = (0..CONCURRENCY)
        .map(|w| {
            let url = url.to_string();
            let body = body.clone();
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new().build();
                let mut latencies = Vec::with_capacity(REQUESTS_PER_WORKER);
                for n in 0..REQUESTS_PER_WORKER {
                    if start.elapsed() > DEADLINE {
                        break;
                    }
                    let t = Instant::now();
                    let resp = match body(w, n) {
                        Some(b) => agent
                            .post(&url)
                            .set("Content-Type", "application/json")
                            .send_string(&b),
                        None => agent.get(&url).call(),
                    };
                    let text = resp.expect("request").into_string().expect("body");
                    assert!(!text.contains("\"status\":\"error\""), "{text}");
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut all: Vec<Duration> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("worker"))
        .collect();
    let elapsed = start.elapsed();
    let cpu = cpu_before.zip(server.and_then(process_cpu));
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    Stats {
        rps: all.len() as f64 / elapsed.as_secs_f64(),
        cpu_per_request: cpu.map(|(before, after)| (after - before) / all.len() as u32),
        p50: pct(0.50),
        p99: pct(0.99),
    }
}

/// User + system CPU time of process `pid` so far (Linux `/proc`).
fn process_cpu(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are the
    // 12th and 13th of them, in clock ticks (100 per second on Linux).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("temp dir");
    let basalt = support::start_basalt(dir.path());
    let (url, key) = (basalt.url.clone(), basalt.admin_key.clone());
    let status = Command::new("npx")
        .args(["convex", "deploy", "--yes", "--typecheck", "disable"])
        .current_dir(root.join("examples/app"))
        .env("CI", "1")
        .env("CONVEX_SELF_HOSTED_URL", &url)
        .env("CONVEX_SELF_HOSTED_ADMIN_KEY", &key)
        .stdout(Stdio::null())
        .status()
        .expect("npx convex deploy");
    assert!(status.success(), "deploy failed");

    let hello = support::serve_static("Hello, World!".to_string(), "text/plain");
    std::thread::sleep(Duration::from_millis(200));
    let before = drive(&hello, None, Arc::new(|_, _| None));
    let pid = Some(basalt.child.id());

    let insert = drive(
        &format!("{url}/api/mutation"),
        pid,
        Arc::new(|w, n| {
            Some(format!(
                r#"{{"path":"messages:send","args":{{"author":"w{w}","body":"message {n}"}},"format":"json"}}"#
            ))
        }),
    );
    let ids = Arc::new(all_message_ids(&url));
    assert!(
        ids.len() >= CONCURRENCY * REQUESTS_PER_WORKER / 2,
        "{}",
        ids.len()
    );
    // Every call reads another document: no query-cache hits.
    let distinct = ids.clone();
    let get_miss = drive(
        &format!("{url}/api/query"),
        pid,
        Arc::new(move |w, n| {
            let id = &distinct[(w * REQUESTS_PER_WORKER + n) % distinct.len()];
            Some(get_body(id))
        }),
    );
    // 24 calls per document on average: mostly query-cache hits.
    let repeated = ids.clone();
    let get_hit = drive(
        &format!("{url}/api/query"),
        pid,
        Arc::new(move |w, n| {
            let id = &repeated[(w * 7919 + n) % 1000.min(repeated.len())];
            Some(get_body(id))
        }),
    );
    // A query that does no work and never hits the cache: what every
    // uncached call costs before the function's own JavaScript.
    let echo = drive(
        &format!("{url}/api/query"),
        pid,
        Arc::new(move |w, n| {
            Some(format!(
                r#"{{"path":"messages:echo","args":{{"n":{}}},"format":"json"}}"#,
                w * REQUESTS_PER_WORKER + n
            ))
        }),
    );
    drop(basalt);
    let after = drive(&hello, None, Arc::new(|_, _| None));
    let baseline_rps = (before.rps + after.rps) / 2.0;

    let row = |name: &str, s: &Stats| {
        println!(
            "{name:<28} {:>9.0} req/s  ({:.3}x hello)  p50 {:>7.2?}  p99 {:>7.2?}{}",
            s.rps,
            s.rps / baseline_rps,
            s.p50,
            s.p99,
            s.cpu_per_request
                .map(|c| format!("  server CPU {c:.0?}/request"))
                .unwrap_or_default()
        )
    };
    println!("concurrency {CONCURRENCY}, loopback, client and server on the same cores");
    row("axum hello-world, before", &before);
    row("axum hello-world, after", &after);
    row("insert mutation", &insert);
    row("get-by-id query (uncached)", &get_miss);
    row("get-by-id query (repeated)", &get_hit);
    row("echo query (uncached)", &echo);
}

fn get_body(id: &str) -> String {
    format!(r#"{{"path":"messages:get","args":{{"id":"{id}"}},"format":"json"}}"#)
}

/// The ids of every message, paging through `messages:page`.
fn all_message_ids(url: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor = serde_json::Value::Null;
    for _ in 0..1000 {
        let body: serde_json::Value = ureq::post(&format!("{url}/api/query"))
            .send_json(serde_json::json!({
                "path": "messages:page",
                "args": {"paginationOpts": {"numItems": 1000, "cursor": cursor}},
                "format": "json"
            }))
            .expect("page")
            .into_json()
            .expect("json");
        let value = &body["value"];
        ids.extend(
            value["page"]
                .as_array()
                .expect("array")
                .iter()
                .filter_map(|d| d["_id"].as_str().map(str::to_string)),
        );
        if value["isDone"].as_bool() != Some(false) {
            break;
        }
        cursor = value["continueCursor"].clone();
    }
    ids
}
