//! `fetch()` in actions against a loopback HTTP server: request method,
//! headers and body arrive; JSON responses come back; redirects are followed
//! (303-style method change for a redirected POST, `redirected` and `url`
//! set); concurrent fetches each get their answer, a refused connection is a
//! catchable error; queries cannot fetch.

mod common;

use common::app::{call, call_raw, deploy, require_node_modules, scratch_app};
use common::loopback::echo_server;
use common::Server;
use serde_json::{json, Value};

#[test]
fn actions_fetch_over_http() {
    require_node_modules();
    let echo = echo_server();
    let server = Server::start();
    let app = scratch_app();
    deploy(&server, app.path());

    let direct = call(
        &server,
        "action",
        "actions:fetchJson",
        json!({"url": format!("{echo}/echo?q=1")}),
    );
    assert_eq!(
        direct,
        json!({
            "status": 200.0, "ok": true, "redirected": false,
            "url": format!("{echo}/echo?q=1"), "contentType": "application/json",
            "body": {"method": "POST", "path": "/echo", "query": "q=1",
                     "contentType": "application/json", "xApp": "basalt-example",
                     "authorization": null, "body": "{\"hello\":\"world\"}"},
        })
    );

    // 302 after a POST: the redirected request is a GET without the body.
    let moved = call(
        &server,
        "action",
        "actions:fetchJson",
        json!({"url": format!("{echo}/redirect/302")}),
    );
    assert_eq!(moved["redirected"], true, "{moved}");
    assert_eq!(
        moved["url"],
        format!("{echo}/echo?from=redirect"),
        "{moved}"
    );
    assert_eq!(moved["body"]["method"], "GET", "{moved}");
    assert_eq!(moved["body"]["body"], "", "{moved}");
    assert_eq!(moved["body"]["contentType"], Value::Null, "{moved}");
    // 307 keeps the method and the body.
    let kept = call(
        &server,
        "action",
        "actions:fetchJson",
        json!({"url": format!("{echo}/redirect/307")}),
    );
    assert_eq!(kept["body"]["method"], "POST", "{kept}");
    assert_eq!(kept["body"]["body"], "{\"hello\":\"world\"}", "{kept}");

    // Several fetches at once; a closed port fails only its own request.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        format!("http://127.0.0.1:{port}/")
    };
    let all = call(
        &server,
        "action",
        "actions:fetchAll",
        json!({"urls": [format!("{echo}/text/one"), closed, format!("{echo}/text/two"), "ftp://example.com/x"]}),
    );
    let all = all.as_array().expect("array");
    assert_eq!(all[0], "200 one");
    assert!(
        all[1]
            .as_str()
            .is_some_and(|s| s.starts_with("error: fetch to http://127.0.0.1:")),
        "{all:?}"
    );
    assert_eq!(all[2], "200 two");
    assert!(
        all[3]
            .as_str()
            .is_some_and(|s| s.contains("unsupported URL scheme")),
        "{all:?}"
    );

    // Queries may not fetch: a function error, and the server keeps serving.
    let refused = call_raw(&server, "query", "messages:fetchInQuery", json!({}));
    assert_eq!(refused["status"], "error", "{refused}");
    assert!(
        refused["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("Can't use fetch() in queries and mutations")),
        "{refused}"
    );
    let again = call(
        &server,
        "action",
        "actions:fetchAll",
        json!({"urls": [format!("{echo}/text/ok")]}),
    );
    assert_eq!(again, json!(["200 ok"]));
}
