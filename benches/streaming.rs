//! Streaming import and export through the real `basalt` binary over
//! loopback: `import_airbyte_records` in 1000-record batches (records/s),
//! then a full `list_snapshot` walk and a `document_deltas` walk of the same
//! documents (documents/s), with the server's resident memory before and
//! after. The client reads each page and checks it is valid JSON, counting
//! its rows without building them into objects, so the figures measure the
//! server rather than a JSON tree builder on the same two cores. The
//! baseline, from the same run and with the same client, is an axum server
//! handing out one pre-encoded page of the same size: HTTP and client-side
//! parsing with no database behind it.
//!
//! Run: `cargo bench --bench streaming` (`BASALT_BENCH_DOCS` sets the count,
//! default 100000). Every loop is bounded by its count and a deadline.

mod support;

use std::time::{Duration, Instant};

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::{json, Value as Json};

const BATCH: usize = 1000;
const DEADLINE: Duration = Duration::from_secs(600);

/// Resident memory of a process, in MiB.
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// A ~200-byte document as an Airbyte record.
fn record(n: usize) -> Json {
    json!({"tableName": "docs", "data": {
        "n": n,
        "name": format!("user number {n}"),
        "email": format!("user{n}@example.com"),
        "body": "lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor",
        "score": (n % 1000) as f64 / 7.0,
    }})
}

/// A page of `list_snapshot` or `document_deltas`: every row is parsed
/// (validated) and counted, but not kept.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    values: Vec<IgnoredAny>,
    #[serde(default)]
    snapshot: Option<u64>,
    #[serde(default)]
    cursor: Json,
    has_more: bool,
}

/// GETs `url` and parses the page.
fn get_page(agent: &ureq::Agent, url: &str, auth: &str) -> (Page, usize) {
    let mut body = Vec::with_capacity(1 << 19);
    std::io::Read::read_to_end(
        &mut agent
            .get(url)
            .set("Authorization", auth)
            .call()
            .expect("request")
            .into_reader(),
        &mut body,
    )
    .expect("body");
    (serde_json::from_slice(&body).expect("a page"), body.len())
}

fn main() {
    let docs: usize = std::env::var("BASALT_BENCH_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let basalt = support::start_basalt(dir.path());
    let (url, pid) = (basalt.url.clone(), basalt.child.id());
    let auth = format!("Convex {}", basalt.admin_key);
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(120))
        .build();
    let deadline = Instant::now() + DEADLINE;

    let (before, _) = get_page(&agent, &format!("{url}/api/list_snapshot"), &auth);
    let start_ts = before.snapshot.expect("snapshot");

    // Import.
    let tables = json!({"docs": {"primaryKey": null, "jsonSchema": {}}});
    let bodies: Vec<String> = (0..docs.div_ceil(BATCH))
        .map(|b| {
            let messages: Vec<Json> = (b * BATCH..((b + 1) * BATCH).min(docs))
                .map(record)
                .collect();
            json!({"tables": tables, "messages": messages}).to_string()
        })
        .collect();
    let t = Instant::now();
    let mut imported = 0;
    for body in &bodies {
        if Instant::now() > deadline {
            break;
        }
        agent
            .post(&format!(
                "{url}/api/streaming_import/import_airbyte_records"
            ))
            .set("Authorization", &auth)
            .set("Content-Type", "application/json")
            .send_string(body)
            .expect("import");
        imported += BATCH.min(docs - imported);
    }
    let import_rate = imported as f64 / t.elapsed().as_secs_f64();
    let rss_loaded = rss_mib(pid);

    // Snapshot walk.
    let t = Instant::now();
    let mut walked = 0;
    let mut page_text_len = 0;
    let mut query = format!("{url}/api/list_snapshot?tableName=docs&format=json");
    let mut pages = 0;
    while Instant::now() < deadline {
        let (page, len) = get_page(&agent, &query, &auth);
        if pages == 1 {
            page_text_len = len;
        }
        pages += 1;
        walked += page.values.len();
        let snapshot = page.snapshot.unwrap_or(0);
        if !page.has_more {
            break;
        }
        let cursor = page.cursor.as_str().expect("cursor");
        let encoded =
            percent_encoding::utf8_percent_encode(cursor, percent_encoding::NON_ALPHANUMERIC);
        query = format!("{url}/api/list_snapshot?tableName=docs&format=json&cursor={encoded}&snapshot={snapshot}");
    }
    let snapshot_rate = walked as f64 / t.elapsed().as_secs_f64();
    let rss_after_snapshot = rss_mib(pid);

    // Delta walk over the same documents.
    let t = Instant::now();
    let mut deltas = 0;
    let mut cursor = start_ts;
    while Instant::now() < deadline {
        let (page, _) = get_page(
            &agent,
            &format!("{url}/api/document_deltas?tableName=docs&format=json&cursor={cursor}"),
            &auth,
        );
        deltas += page.values.len();
        cursor = page.cursor.as_u64().expect("cursor");
        if !page.has_more {
            break;
        }
    }
    let delta_rate = deltas as f64 / t.elapsed().as_secs_f64();
    let rss_after_deltas = rss_mib(pid);
    drop(basalt);

    // Baseline: the same page size served from memory.
    let sample_page = {
        let values: Vec<Json> = (0..1024)
            .map(|n| {
                let mut v = record(n)["data"].clone();
                v["_id"] = json!("k57aaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
                v["_creationTime"] = json!(1.7e12);
                v["_table"] = json!("docs");
                v["_component"] = json!("");
                v["_ts"] = json!(1_700_000_000_000_000_000u64);
                v
            })
            .collect();
        json!({"values": values, "snapshot": 1, "cursor": "x", "hasMore": true}).to_string()
    };
    let baseline_url = support::serve_static(sample_page, "application/json");
    std::thread::sleep(Duration::from_millis(200));
    let t = Instant::now();
    let mut baseline_docs = 0;
    for _ in 0..pages.max(20) {
        let (page, _) = get_page(&agent, &baseline_url, "");
        baseline_docs += page.values.len();
    }
    let baseline_rate = baseline_docs as f64 / t.elapsed().as_secs_f64();

    println!("{imported} documents of ~200 bytes (snapshot page ≈ {page_text_len} bytes), loopback, client and server on the same cores");
    println!("baseline: axum serving a pre-encoded 1024-row page   {baseline_rate:>10.0} docs/s");
    println!(
        "import_airbyte_records, {BATCH}-record batches          {import_rate:>10.0} records/s"
    );
    println!("list_snapshot walk                                  {snapshot_rate:>10.0} docs/s ({:.2}x baseline)", snapshot_rate / baseline_rate);
    println!("document_deltas walk ({deltas} rows)               {delta_rate:>10.0} docs/s ({:.2}x baseline)", delta_rate / baseline_rate);
    println!("server RSS: {rss_loaded:.0} MiB after import, {rss_after_snapshot:.0} MiB after the snapshot walk, {rss_after_deltas:.0} MiB after the delta walk");
    assert_eq!(walked, imported, "the snapshot walk saw every document");
    assert_eq!(deltas, imported, "the delta walk saw every insert");
}
