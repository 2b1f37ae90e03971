//! A snapshot + deltas sync taken while mutations keep inserting, editing and
//! deleting documents ends equal to the final table: the snapshot is
//! consistent at one timestamp and the deltas after it miss nothing.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

use common::app::{call, deploy, require_node_modules, scratch_app};
use common::{agent, send, Server};
use serde_json::{json, Value as Json};

fn post(server: &Server, path: &str, body: Json) -> Json {
    let reply = send(
        agent()
            .post(&format!("{}{path}", server.url))
            .set("Authorization", &server.admin_auth())
            .set("Content-Type", "application/json"),
        Some(body.to_string().as_bytes()),
    );
    assert_eq!(reply.status, 200, "{path}: {reply:?}");
    reply.json()
}

fn apply(replica: &mut BTreeMap<String, Json>, values: &[Json]) {
    for v in values {
        let id = v["_id"].as_str().expect("_id").to_string();
        if v["_deleted"] == true {
            replica.remove(&id);
        } else {
            let mut doc = v.as_object().expect("object").clone();
            doc.retain(|k, _| !["_table", "_component", "_ts", "_deleted"].contains(&k.as_str()));
            replica.insert(id, Json::Object(doc));
        }
    }
}

#[test]
fn sync_during_writes_equals_the_final_table() {
    require_node_modules();
    let server = Arc::new(Server::start());
    let app = scratch_app();
    deploy(&server, app.path());
    let mut ids = Vec::new();
    for i in 0..600 {
        let id = call(
            &server,
            "mutation",
            "messages:send",
            json!({"author": "seed", "body": format!("{i}")}),
        );
        ids.push(id.as_str().expect("id").to_string());
    }

    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let server = server.clone();
        let done = done.clone();
        thread::spawn(move || {
            for (i, id) in ids.iter().enumerate().take(300) {
                call(
                    &server,
                    "mutation",
                    "messages:send",
                    json!({"author": "w", "body": format!("new {i}")}),
                );
                if i % 2 == 0 {
                    call(
                        &server,
                        "mutation",
                        "messages:edit",
                        json!({"id": id, "body": "edited"}),
                    );
                } else {
                    call(&server, "mutation", "messages:remove", json!({"id": id}));
                }
            }
            done.store(true, Ordering::SeqCst);
        })
    };

    // The snapshot, small pages at a time (POST with a selection, as the
    // Fivetran source sends it), while the writer runs.
    let selection = json!({"_other": "excluded", "": {"_other": "excluded", "messages": {"_other": "included"}}});
    let mut replica = BTreeMap::new();
    let mut snapshot: Option<u64> = None;
    let mut cursor: Option<String> = None;
    loop {
        let page = post(
            &server,
            "/api/list_snapshot",
            json!({"snapshot": snapshot, "cursor": cursor, "selection": selection, "format": "convex_encoded_json"}),
        );
        let ts = page["snapshot"].as_u64().expect("snapshot");
        assert!(snapshot.is_none_or(|s| s == ts), "the snapshot stays fixed");
        snapshot = Some(ts);
        let values = page["values"].as_array().expect("values");
        assert!(values
            .iter()
            .all(|v| v["_ts"].as_u64().is_some_and(|t| t <= ts)));
        apply(&mut replica, values);
        if page["hasMore"] == false {
            break;
        }
        cursor = Some(page["cursor"].as_str().expect("cursor").to_string());
    }

    // Then the deltas until the writer is done and the feed has caught up.
    let mut delta_cursor = snapshot.expect("snapshot");
    loop {
        let finished = done.load(Ordering::SeqCst);
        let page = post(
            &server,
            "/api/document_deltas",
            json!({"cursor": delta_cursor, "selection": selection, "format": "convex_encoded_json"}),
        );
        let values = page["values"].as_array().expect("values");
        assert!(values
            .iter()
            .all(|v| v["_ts"].as_u64().is_some_and(|t| t > delta_cursor)));
        apply(&mut replica, values);
        let next = page["cursor"].as_u64().expect("cursor");
        assert!(next >= delta_cursor, "the cursor never goes back");
        delta_cursor = next;
        if finished && page["hasMore"] == false {
            break;
        }
    }
    writer.join().expect("writer");

    let table: BTreeMap<String, Json> = post(
        &server,
        "/api/query",
        json!({"path": "messages:listAll", "args": {}, "format": "convex_encoded_json"}),
    )["value"]
        .as_array()
        .expect("array")
        .iter()
        .map(|d| (d["_id"].as_str().expect("_id").to_string(), d.clone()))
        .collect();
    assert_eq!(table.len(), 600 + 300 - 150);
    assert_eq!(replica, table);
}
