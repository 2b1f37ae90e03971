//! `basalt serve --context-mode strict`: every call gets a fresh context, so
//! module-level state never carries over, except in modules that export
//! `experimental_reuseContext = true`, as on Convex.

mod common;

use common::app::{deploy, require_node_modules, scratch_app};
use common::Server;
use serde_json::{json, Value};

fn admin_query(server: &Server, path: &str) -> Value {
    let reply = server.post(
        "/api/query",
        &[
            ("Content-Type", "application/json"),
            ("Authorization", &server.admin_auth()),
        ],
        json!({"path": path, "args": {}, "format": "json"})
            .to_string()
            .as_bytes(),
    );
    let body = reply.json();
    assert_eq!(body["status"], "success", "{path}: {body}");
    body["value"].clone()
}

#[test]
fn strict_mode_gives_each_call_a_fresh_context() {
    require_node_modules();
    let server = Server::start_with(&["--context-mode", "strict"]);
    let app = scratch_app();
    deploy(&server, app.path());
    let fresh: Vec<Value> = (0..5)
        .map(|_| admin_query(&server, "diagnostics:moduleCalls"))
        .collect();
    assert_eq!(
        fresh,
        vec![json!(1); 5],
        "module state leaked between calls"
    );
    let reused: Vec<i64> = (0..5)
        .map(|_| {
            admin_query(&server, "reused:count")
                .as_i64()
                .expect("count")
        })
        .collect();
    assert!(
        reused.iter().max().is_some_and(|&m| m >= 2),
        "experimental_reuseContext modules keep their context: {reused:?}"
    );
}

#[test]
fn an_unknown_context_mode_is_refused() {
    let (status, _out, err) = common::run_binary(&["serve", "--context-mode", "sometimes"]);
    assert!(!status.success());
    assert!(err.contains("sometimes"), "{err}");
}
