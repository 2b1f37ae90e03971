//! Streaming import driven the way the Airbyte destination drives it
//! (`Convex-Client: streaming-import-0.1.0`, batches of 1000, empty batches,
//! a deduplicated stream with a primary key, deletes through
//! `_ab_cdc_deleted_at`, GET with a JSON body), then read back through
//! `list_snapshot`; plus the export and import error answers.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{agent, send, Reply, Server};
use serde_json::{json, Value as Json};

const CLIENT: &str = "streaming-import-0.1.0";

fn import(server: &Server, method: &str, route: &str, body: &Json) -> Reply {
    let request = agent()
        .request(
            method,
            &format!("{}/api/streaming_import/{route}", server.url),
        )
        .set("Authorization", &server.admin_auth())
        .set("Convex-Client", CLIENT)
        .set("Content-Type", "application/json")
        .set("Accept", "application/json");
    send(request, Some(body.to_string().as_bytes()))
}

fn export(server: &Server, path_and_query: &str) -> Reply {
    let request = agent()
        .get(&format!("{}{path_and_query}", server.url))
        .set("Authorization", &server.admin_auth());
    send(request, None)
}

/// Every document of `table` through `list_snapshot`, following cursors.
fn snapshot(server: &Server, table: &str) -> Vec<Json> {
    let mut out = Vec::new();
    let mut query = format!("/api/list_snapshot?tableName={table}&format=json");
    let first = export(server, &query);
    assert_eq!(first.status, 200, "{first:?}");
    let mut page = first.json();
    let snapshot = page["snapshot"].as_u64().expect("snapshot");
    loop {
        out.extend(page["values"].as_array().expect("values").iter().cloned());
        if page["hasMore"] == false {
            return out;
        }
        let cursor = page["cursor"].as_str().expect("cursor while hasMore");
        assert!(!cursor.is_empty());
        query = format!(
            "/api/list_snapshot?tableName={table}&format=json&cursor={}&snapshot={snapshot}",
            percent(cursor)
        );
        let reply = export(server, &query);
        assert_eq!(reply.status, 200, "{reply:?}");
        page = reply.json();
    }
}

fn percent(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn tables_meta() -> Json {
    json!({
        "users": {"primaryKey": [["user_id"]], "jsonSchema": {"type": "object"}},
        "events": {"primaryKey": null, "jsonSchema": {"type": "object"}},
    })
}

fn batch(messages: Vec<Json>) -> Json {
    json!({"tables": tables_meta(), "messages": messages})
}

#[test]
fn airbyte_destination_flow() {
    let server = Server::start();

    // Dedup stream: the primary key index, polled until ready (GET + body).
    let reply = import(
        &server,
        "PUT",
        "add_primary_key_indexes",
        &json!({"indexes": {"users": [["user_id"]]}}),
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let reply = import(
            &server,
            "GET",
            "primary_key_indexes_ready",
            &json!({"tables": ["users"]}),
        );
        assert_eq!(reply.status, 200, "{reply:?}");
        if reply.json()["indexesReady"] == true {
            break;
        }
        assert!(Instant::now() < deadline, "index never became ready");
        std::thread::sleep(Duration::from_millis(50));
    }

    // Batches of 1000 append-only events, then an empty batch (a flush on
    // a STATE message).
    for b in 0..3 {
        let messages = (0..1000)
            .map(|i| json!({"tableName": "events", "data": {"n": b * 1000 + i, "kind": "click", "_ab_cdc_lsn": 5}}))
            .collect();
        let reply = import(&server, "POST", "import_airbyte_records", &batch(messages));
        assert_eq!(reply.status, 200, "{reply:?}");
    }
    let reply = import(&server, "POST", "import_airbyte_records", &batch(vec![]));
    assert_eq!(reply.status, 200, "empty batches are accepted: {reply:?}");

    // Users: inserts, an update by primary key, a delete via _ab_cdc_deleted_at,
    // an invalid field name, nested values.
    let users = vec![
        json!({"tableName": "users", "data": {"user_id": 1, "name": "ada", "tags": ["a"], "address": {"city": "x"}}}),
        json!({"tableName": "users", "data": {"user_id": 2, "name": "bob", "_ab_cdc_deleted_at": null}}),
        json!({"tableName": "users", "data": {"user_id": 3, "name": "cy", "$weird": true}}),
    ];
    assert_eq!(
        import(&server, "POST", "import_airbyte_records", &batch(users)).status,
        200
    );
    let changes = vec![
        json!({"tableName": "users", "data": {"user_id": 1, "name": "ada lovelace"}}),
        json!({"tableName": "users", "data": {"user_id": 2, "_ab_cdc_deleted_at": "2026-12-02T00:00:00Z"}}),
        json!({"tableName": "users", "data": {"user_id": 4, "name": "dee"}}),
    ];
    assert_eq!(
        import(&server, "POST", "import_airbyte_records", &batch(changes)).status,
        200
    );

    let events = snapshot(&server, "events");
    assert_eq!(events.len(), 3000, "appended, paged by list_snapshot");
    let ns: std::collections::BTreeSet<i64> = events
        .iter()
        .map(|e| e["n"].as_f64().expect("n") as i64)
        .collect();
    assert_eq!(ns.len(), 3000);
    assert!(
        events.iter().all(|e| e.get("_ab_cdc_lsn").is_none()),
        "_ab_cdc_* dropped"
    );
    assert!(events
        .iter()
        .all(|e| e["_table"] == "events" && e["_ts"].is_u64()));

    let users: BTreeMap<i64, Json> = snapshot(&server, "users")
        .into_iter()
        .map(|u| (u["user_id"].as_f64().expect("user_id") as i64, u))
        .collect();
    assert_eq!(
        users.keys().copied().collect::<Vec<_>>(),
        vec![1, 3, 4],
        "upserted and deleted by key"
    );
    assert_eq!(users[&1]["name"], "ada lovelace");
    assert!(
        users[&1].get("tags").is_none(),
        "an upsert replaces the document"
    );
    assert_eq!(
        users[&3]["source_weird"], true,
        "invalid field names are coerced"
    );
    assert_eq!(users[&1]["user_id"], 1.0, "JSON numbers import as float64");

    // clear_tables empties a table in bounded transactions.
    let reply = import(
        &server,
        "PUT",
        "clear_tables",
        &json!({"tableNames": ["events", "missing"]}),
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(snapshot(&server, "events").is_empty());

    // Overwrite syncs are refused with Convex's error.
    let reply = import(
        &server,
        "POST",
        "replace_tables",
        &json!({"tableNames": {"temp_1_users": "users"}}),
    );
    reply.assert_error(400, "OverwriteNotSupported");

    // A dedup batch for a table without a primary key index is refused, and
    // nothing of the batch is written.
    let bad = json!({
        "tables": {"orders": {"primaryKey": [["id"]], "jsonSchema": {}}},
        "messages": [{"tableName": "orders", "data": {"id": 1}}],
    });
    let reply = import(&server, "POST", "import_airbyte_records", &bad);
    reply.assert_error(400, "PrimaryKeyIndexNotReady");
    assert!(snapshot(&server, "orders").is_empty());

    // The Fivetran schema read: no push yet, so null.
    let reply = import(&server, "GET", "get_schema", &json!({}));
    assert_eq!(
        (reply.status, reply.body.trim()),
        (200, "null"),
        "{reply:?}"
    );
}

#[test]
fn fivetran_destination_flow() {
    let server = Server::start();
    let post = |route: &str, body: Json| import(&server, "POST", route, &body);
    let definition = json!({"tableDefinition": {
        "tableName": "orders",
        "indexes": [
            {"indexDescriptor": "_fivetran_by_primary_key", "fields": ["id", "_creationTime"]},
            {"indexDescriptor": "_fivetran_by_synced", "fields": ["fivetran.synced", "_creationTime"]},
        ],
    }});
    let reply = post("fivetran_create_table", definition);
    assert_eq!(reply.status, 200, "{reply:?}");

    let row = |id: f64, item: &str, synced: f64| json!({"id": id, "item": item, "fivetran": {"synced": synced, "deleted": false}});
    let ops = json!([
        {"table": "orders", "operation": "Upsert", "row": row(1.0, "book", 1000.0)},
        {"table": "orders", "operation": "Upsert", "row": row(2.0, "pen", 1000.0)},
        {"table": "orders", "operation": "Upsert", "row": row(3.0, "ink", 5000.0)},
        {"table": "orders", "operation": "Upsert", "row": row(1.0, "books", 2000.0)},
        {"table": "orders", "operation": "Update", "row": {"id": 2.0, "item": "pencil", "fivetran": {"synced": 3000.0}}},
        {"table": "orders", "operation": "HardDelete", "row": {"id": 9.0}},
    ]);
    let reply = post("apply_fivetran_operations", ops);
    assert_eq!(reply.status, 200, "{reply:?}");
    let rows: BTreeMap<i64, Json> = snapshot(&server, "orders")
        .into_iter()
        .map(|r| (r["id"].as_f64().expect("id") as i64, r))
        .collect();
    assert_eq!(rows.keys().copied().collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(rows[&1]["item"], "books", "upsert replaced by primary key");
    assert_eq!(rows[&2]["item"], "pencil");
    assert_eq!(
        rows[&2]["fivetran"]["deleted"], false,
        "update merges the fivetran object"
    );

    let reply = post(
        "apply_fivetran_operations",
        json!([{"table": "orders", "operation": "Update", "row": {"id": 7.0}}]),
    );
    reply.assert_error(404, "FivetranMissingUpdatedRow");

    // Soft-delete what was synced before 4 s, then hard-delete it.
    let reply = post(
        "fivetran_truncate_table",
        json!({"tableName": "orders", "deleteBefore": "1970-01-01T00:00:04Z", "deleteType": "SoftDelete"}),
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    let deleted: Vec<bool> = snapshot(&server, "orders")
        .iter()
        .map(|r| r["fivetran"]["deleted"] == true)
        .collect();
    assert_eq!(deleted.iter().filter(|d| **d).count(), 2, "{deleted:?}");
    let reply = post(
        "fivetran_truncate_table",
        json!({"tableName": "orders", "deleteBefore": "1970-01-01T00:00:04Z", "deleteType": "HardDelete"}),
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    let left = snapshot(&server, "orders");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["item"], "ink");
}

#[test]
fn export_and_import_errors_are_json() {
    let mut server = Server::start();
    let anonymous = send(
        agent().get(&format!("{}/api/list_snapshot", server.url)),
        None,
    );
    anonymous.assert_error(403, "BadDeployKey");
    let wrong_key = send(
        agent()
            .get(&format!("{}/api/json_schemas", server.url))
            .set("Authorization", "Convex not-the-key"),
        None,
    );
    wrong_key.assert_error(403, "BadDeployKey");
    let reply = send(
        agent()
            .post(&format!(
                "{}/api/streaming_import/import_airbyte_records",
                server.url
            ))
            .set("Authorization", "Convex not-the-key"),
        Some(b"{}"),
    );
    reply.assert_error(403, "BadDeployKey");

    export(&server, "/api/document_deltas").assert_error(400, "DocumentDeltasCursorRequired");
    // A cursor in the future reads nothing and comes back at the read bound.
    let future = export(&server, "/api/document_deltas?cursor=9000000000000000000").json();
    assert_eq!(future["hasMore"], false);
    assert!(future["cursor"].as_u64().expect("cursor") < 9_000_000_000_000_000_000);
    export(&server, "/api/list_snapshot?cursor=garbage")
        .assert_error(400, "InvalidListSnapshotCursor");
    export(&server, "/api/list_snapshot?snapshot=9000000000000000000")
        .assert_error(400, "SnapshotTooNew");
    export(&server, "/api/list_snapshot?snapshot=1").assert_error(400, "SnapshotTooOld");
    export(&server, "/api/list_snapshot?format=xml").assert_error(400, "BadFormat");

    let reply = import(
        &server,
        "POST",
        "import_airbyte_records",
        &json!({"messages": "nope"}),
    );
    reply.assert_error(400, "BadJsonBody");
    let huge = vec![b' '; 21 << 20];
    let reply = send(
        agent()
            .post(&format!(
                "{}/api/streaming_import/import_airbyte_records",
                server.url
            ))
            .set("Authorization", &server.admin_auth())
            .set("Content-Type", "application/json"),
        Some(&huge),
    );
    reply.assert_error(413, "PayloadTooLarge");

    // An idle feed still advances: the cursor moves up to the read bound.
    let reply = export(&server, "/api/test_streaming_export_connection");
    assert_eq!((reply.status, reply.body.trim()), (200, "null"));
    let page = export(&server, "/api/list_snapshot").json();
    assert_eq!(page["hasMore"], false);
    let start = page["snapshot"].as_u64().expect("snapshot");
    std::thread::sleep(Duration::from_millis(20));
    let deltas = export(&server, &format!("/api/document_deltas?cursor={start}")).json();
    assert_eq!(deltas["values"], json!([]));
    assert!(
        deltas["cursor"].as_u64().expect("cursor") > start,
        "{deltas}"
    );
    server.assert_serving();
}
