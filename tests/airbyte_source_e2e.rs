//! Streaming export proven with the real connector: PyPI
//! `airbyte-source-convex` (in the venv `.ci/run` creates) runs `check`,
//! `discover`, a full-refresh `read`, an incremental `read`, and, after more
//! inserts, updates and deletes through mutations, an incremental `read` from
//! the saved state. Replaying the emitted records must reproduce the tables
//! exactly: every change, nothing twice, nothing missing.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::app::{call, deploy, require_node_modules, scratch_app, venv_program};
use common::Server;
use serde_json::{json, Value as Json};

fn source_convex() -> PathBuf {
    venv_program(
        "BASALT_AIRBYTE_SOURCE",
        "basalt-venv-airbyte/bin/source-convex",
        "create a Python 3.11 venv with `pip install airbyte-source-convex==0.4.51`",
    )
}

/// Runs `source-convex <args>` and returns its Airbyte messages.
fn run_source(dir: &Path, args: &[&str]) -> Vec<Json> {
    let out = Command::new(source_convex())
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run source-convex");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "source-convex {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let messages: Vec<Json> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    for m in &messages {
        if m["type"] == "TRACE" && m["trace"]["type"] == "ERROR" {
            panic!("source-convex {args:?} reported an error: {m}");
        }
    }
    messages
}

fn records(messages: &[Json], stream: &str) -> Vec<Json> {
    messages
        .iter()
        .filter(|m| m["type"] == "RECORD" && m["record"]["stream"] == stream)
        .map(|m| m["record"]["data"].clone())
        .collect()
}

/// The last per-stream state of a read, as the `--state` file wants it.
fn final_state(messages: &[Json]) -> Json {
    let mut by_stream = BTreeMap::new();
    for m in messages.iter().filter(|m| m["type"] == "STATE") {
        let state = &m["state"];
        let name = state["stream"]["stream_descriptor"]["name"]
            .as_str()
            .unwrap_or_else(|| panic!("per-stream state expected: {m}"))
            .to_string();
        by_stream.insert(name, state.clone());
    }
    Json::Array(by_stream.into_values().collect())
}

fn catalog(discovered: &Json, sync_mode: &str) -> Json {
    let streams: Vec<Json> = discovered["streams"]
        .as_array()
        .expect("streams")
        .iter()
        .map(|stream| {
            json!({
                "stream": stream,
                "sync_mode": sync_mode,
                "destination_sync_mode": if sync_mode == "incremental" { "append" } else { "overwrite" },
                "cursor_field": ["_ts"],
                "primary_key": [["_id"]],
            })
        })
        .collect();
    json!({ "streams": streams })
}

/// The user-visible document of a record: everything but the connector's
/// and the export's bookkeeping fields.
fn document(record: &Json) -> Json {
    let mut doc = record.as_object().expect("record is an object").clone();
    doc.retain(|k, _| {
        !k.starts_with("_ab_cdc")
            && !["_table", "_component", "_ts", "_deleted"].contains(&k.as_str())
    });
    Json::Object(doc)
}

/// Applies records in order to a replica keyed by `_id`.
fn replay(replica: &mut BTreeMap<String, Json>, records: &[Json]) {
    for r in records {
        let id = r["_id"].as_str().expect("_id").to_string();
        if r["_deleted"] == true {
            assert!(
                !r["_ab_cdc_deleted_at"].is_null(),
                "deleted row without _ab_cdc_deleted_at: {r}"
            );
            assert!(
                replica.remove(&id).is_some(),
                "delete of a document never seen: {r}"
            );
        } else {
            replica.insert(id, document(r));
        }
    }
}

fn table(server: &Server, list_query: &str) -> BTreeMap<String, Json> {
    call(server, "query", list_query, json!({}))
        .as_array()
        .expect("array")
        .iter()
        .map(|d| (d["_id"].as_str().expect("_id").to_string(), d.clone()))
        .collect()
}

#[test]
fn airbyte_source_reproduces_the_tables() {
    require_node_modules();
    let server = Server::start();
    let app = scratch_app();
    deploy(&server, app.path());

    // More than one list_snapshot page (1024) and more than one deltas page.
    let mut ids = Vec::new();
    for i in 0..1100 {
        let id = call(
            &server,
            "mutation",
            "messages:send",
            json!({"author": format!("a{}", i % 7), "body": format!("hello {i}")}),
        );
        ids.push(id.as_str().expect("id").to_string());
    }
    for (name, by) in [("apples", "5"), ("pears", "-3")] {
        ureq::post(&format!("{}/api/mutation", server.url))
            .send_json(json!({"path": "counters:bump", "args": {"name": name, "by": {"$integer": int64_b64(by.parse().expect("int"))}, "blob": {"$bytes": "AAEC"}}, "format": "json"}))
            .expect("bump");
    }

    let dir = tempfile::tempdir().expect("temp dir");
    let config = json!({"deployment_url": server.url, "access_key": server.admin_key});
    std::fs::write(dir.path().join("config.json"), config.to_string()).expect("config");

    let check = run_source(dir.path(), &["check", "--config", "config.json"]);
    assert!(
        check
            .iter()
            .any(|m| m["connectionStatus"]["status"] == "SUCCEEDED"),
        "check did not succeed: {check:?}"
    );

    let discover = run_source(dir.path(), &["discover", "--config", "config.json"]);
    let discovered = discover
        .iter()
        .find(|m| m["type"] == "CATALOG")
        .map(|m| m["catalog"].clone())
        .expect("a CATALOG message");
    let names: Vec<&str> = discovered["streams"]
        .as_array()
        .expect("streams")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(
        names.contains(&"messages") && names.contains(&"counters"),
        "{names:?}"
    );
    let messages_stream = discovered["streams"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["name"] == "messages"))
        .expect("messages stream");
    let properties = &messages_stream["json_schema"]["properties"];
    assert_eq!(properties["author"]["type"], "string", "{messages_stream}");
    assert_eq!(properties["_id"]["$description"], "Id(messages)");
    assert_eq!(properties["_ts"]["type"], "integer");

    std::fs::write(
        dir.path().join("full.json"),
        catalog(&discovered, "full_refresh").to_string(),
    )
    .expect("catalog");
    std::fs::write(
        dir.path().join("incr.json"),
        catalog(&discovered, "incremental").to_string(),
    )
    .expect("catalog");

    // Full refresh: exactly the current table, each document once.
    let full = run_source(
        dir.path(),
        &["read", "--config", "config.json", "--catalog", "full.json"],
    );
    let expected = table(&server, "messages:listAll");
    let full_messages = records(&full, "messages");
    assert_eq!(
        full_messages.len(),
        expected.len(),
        "every document exactly once"
    );
    let mut replica = BTreeMap::new();
    replay(&mut replica, &full_messages);
    assert_eq!(replica, expected);
    let counters = records(&full, "counters");
    assert_eq!(counters.len(), 2);
    let apples = counters
        .iter()
        .find(|c| c["name"] == "apples")
        .expect("apples");
    assert_eq!(
        apples["value"], "5",
        "int64 in clean JSON is a decimal string"
    );
    assert_eq!(apples["blob"], "AAEC", "bytes in clean JSON are base64");

    // Incremental from scratch: the snapshot, then the (empty) deltas.
    let first = run_source(
        dir.path(),
        &["read", "--config", "config.json", "--catalog", "incr.json"],
    );
    let first_messages = records(&first, "messages");
    assert_eq!(first_messages.len(), expected.len());
    let mut replica = BTreeMap::new();
    replay(&mut replica, &first_messages);
    assert_eq!(replica, expected);
    let state = final_state(&first);
    std::fs::write(dir.path().join("state.json"), state.to_string()).expect("state");

    // Inserts, updates (patch and replace), deletes, and one document both
    // inserted and deleted between the two syncs.
    for i in 0..150 {
        call(
            &server,
            "mutation",
            "messages:send",
            json!({"author": "late", "body": format!("later {i}")}),
        );
    }
    for id in ids.iter().take(40) {
        call(
            &server,
            "mutation",
            "messages:edit",
            json!({"id": id, "body": "edited", "channel": "general"}),
        );
    }
    for id in ids.iter().skip(40).take(10) {
        call(
            &server,
            "mutation",
            "messages:replaceBody",
            json!({"id": id, "body": "replaced"}),
        );
    }
    for id in ids.iter().skip(100).take(30) {
        call(&server, "mutation", "messages:remove", json!({"id": id}));
    }
    let ephemeral = call(
        &server,
        "mutation",
        "messages:send",
        json!({"author": "x", "body": "gone soon"}),
    );
    call(
        &server,
        "mutation",
        "messages:remove",
        json!({"id": ephemeral}),
    );
    call(
        &server,
        "mutation",
        "counters:bump",
        json!({"name": "apples"}),
    );

    let second = run_source(
        dir.path(),
        &[
            "read",
            "--config",
            "config.json",
            "--catalog",
            "incr.json",
            "--state",
            "state.json",
        ],
    );
    let second_messages = records(&second, "messages");
    // 150 inserts + 40 patches + 10 replaces + 30 deletes + insert and delete.
    assert_eq!(
        second_messages.len(),
        150 + 40 + 10 + 30 + 2,
        "each change exactly once"
    );
    let mut seen = std::collections::HashSet::new();
    for r in &second_messages {
        assert!(
            seen.insert((r["_id"].to_string(), r["_ts"].to_string())),
            "twice: {r}"
        );
    }
    let ts: Vec<u64> = second_messages
        .iter()
        .map(|r| r["_ts"].as_u64().expect("_ts"))
        .collect();
    assert!(
        ts.windows(2).all(|w| w[0] <= w[1]),
        "deltas in commit order"
    );
    replay(&mut replica, &second_messages);
    assert_eq!(
        replica,
        table(&server, "messages:listAll"),
        "replayed sync equals the table"
    );
    let counters = records(&second, "counters");
    assert_eq!(counters.len(), 1, "{counters:?}");
    assert_eq!(counters[0]["value"], "6");
}

fn int64_b64(n: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(n.to_le_bytes())
}
