//! The query cache, seen from a client: a repeated query is answered from
//! the cache (the log tail says `cachedResult: true`) while nothing it read
//! has been written; a write inside what it read, a push or an environment
//! change makes the next call run again; callers with different identities
//! never share a result.

mod common;

use base64::Engine;
use common::app::{call, call_with_auth, deploy, require_node_modules, scratch_app};
use common::Server;
use serde_json::{json, Value};

/// The newest log entry of `identifier`.
fn last_execution(server: &Server, identifier: &str) -> Value {
    let reply = common::send(
        common::agent()
            .get(&format!("{}/api/stream_function_logs?cursor=0", server.url))
            .set("Authorization", &server.admin_auth()),
        None,
    );
    let body = reply.json();
    body["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .rev()
        .find(|e| e["identifier"] == identifier)
        .cloned()
        .unwrap_or_else(|| panic!("no execution of {identifier} in {body}"))
}

fn was_cached(server: &Server, identifier: &str) -> bool {
    last_execution(server, identifier)["cachedResult"]
        .as_bool()
        .expect("cachedResult is a boolean")
}

fn bodies(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|m| m["body"].as_str().expect("body").to_string())
        .collect()
}

#[test]
fn repeated_queries_hit_until_what_they_read_changes() {
    require_node_modules();
    let server = Server::start();
    let app = scratch_app();
    deploy(&server, app.path());
    let list = |author: &str| call(&server, "query", "messages:list", json!({"author": author}));
    let send = |author: &str, body: &str| {
        call(
            &server,
            "mutation",
            "messages:send",
            json!({"author": author, "body": body}),
        )
    };

    send("ann", "one");
    assert_eq!(bodies(&list("ann")), ["one"]);
    assert!(!was_cached(&server, "messages:list"), "a first call runs");
    assert_eq!(bodies(&list("ann")), ["one"]);
    assert!(was_cached(&server, "messages:list"), "a repeat is a hit");

    // Bob's message is outside the index range ann's list read.
    send("bob", "elsewhere");
    assert_eq!(bodies(&list("ann")), ["one"]);
    assert!(
        was_cached(&server, "messages:list"),
        "unrelated writes keep it"
    );

    // Other arguments are another entry.
    assert_eq!(bodies(&list("bob")), ["elsewhere"]);
    assert!(!was_cached(&server, "messages:list"));

    // A write inside the range: the next call runs and sees it.
    send("ann", "two");
    assert_eq!(bodies(&list("ann")), ["two", "one"]);
    assert!(!was_cached(&server, "messages:list"));

    // Updates and deletes of a document read by id invalidate too.
    let id = list("ann")[0]["_id"].as_str().expect("id").to_string();
    let get = || call(&server, "query", "messages:get", json!({"id": id}));
    assert_eq!(get()["body"], "two");
    assert_eq!(get()["body"], "two");
    assert!(was_cached(&server, "messages:get"));
    call(
        &server,
        "mutation",
        "messages:edit",
        json!({"id": id, "body": "edited"}),
    );
    assert_eq!(get()["body"], "edited");
    assert!(!was_cached(&server, "messages:get"));
    call(&server, "mutation", "messages:remove", json!({"id": id}));
    assert_eq!(get(), Value::Null);

    // A query over a table that does not exist yet sees its first insert.
    let counter = || call(&server, "query", "counters:get", json!({"name": "c"}));
    assert_eq!(counter(), Value::Null);
    assert_eq!(counter(), Value::Null);
    assert!(was_cached(&server, "counters:get"));
    call(&server, "mutation", "counters:bump", json!({"name": "c"}));
    assert_eq!(counter()["name"], "c");
}

#[test]
fn identities_environment_and_pushes_are_part_of_the_key() {
    require_node_modules();
    let server = Server::start();
    let app = scratch_app();
    deploy(&server, app.path());

    let acting_as = |subject: &str| {
        let identity = json!({"subject": subject, "issuer": "https://issuer.test"});
        let encoded = base64::engine::general_purpose::STANDARD.encode(identity.to_string());
        format!("Convex {}:{encoded}", server.admin_key)
    };
    for _ in 0..2 {
        for subject in ["alice", "bob"] {
            let me = call_with_auth(&server, &acting_as(subject), "query", "users:me", json!({}));
            assert_eq!(me["subject"], subject, "{me}");
        }
    }
    assert_eq!(
        call(&server, "query", "users:me", json!({})),
        Value::Null,
        "an anonymous caller never gets a user's cached identity"
    );

    let admin = server.admin_auth();
    let env = || {
        call_with_auth(
            &server,
            &admin,
            "query",
            "diagnostics:env",
            json!({"name": "GREETING"}),
        )
    };
    assert_eq!(env(), Value::Null);
    assert_eq!(env(), Value::Null);
    assert!(was_cached(&server, "diagnostics:env"));
    let reply = server.post(
        "/api/update_environment_variables",
        &[
            ("Content-Type", "application/json"),
            ("Authorization", &admin),
        ],
        json!({"changes": [{"name": "GREETING", "value": "hello"}]})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(reply.status, 200, "{}", reply.message());
    assert_eq!(env(), "hello", "an environment change clears the cache");

    // A push clears it too: the same call runs on the new code.
    let ping = || call(&server, "query", "messages:ping", json!({}));
    assert_eq!(ping(), "pong");
    assert_eq!(ping(), "pong");
    assert!(was_cached(&server, "messages:ping"));
    let source = app.path().join("convex/messages.ts");
    let code = std::fs::read_to_string(&source).expect("read messages.ts");
    std::fs::write(&source, code.replace("\"pong\"", "\"pong again\"")).expect("edit");
    deploy(&server, app.path());
    assert_eq!(ping(), "pong again");
}

#[test]
fn a_zero_budget_turns_the_cache_off() {
    require_node_modules();
    let server = Server::start_with(&["--query-cache-mib", "0"]);
    let app = scratch_app();
    deploy(&server, app.path());
    for _ in 0..3 {
        assert_eq!(call(&server, "query", "messages:ping", json!({})), "pong");
        assert!(!was_cached(&server, "messages:ping"));
    }
}
