//! End to end with the real clients: `npx convex deploy` (the unmodified
//! `convex` CLI, bundling offline) pushes `examples/app` to a running
//! server, then the real `ConvexHttpClient` calls its functions. A second
//! deploy of the same code uploads nothing new and keeps serving.

mod common;

use std::path::Path;
use std::process::Command;

use common::app::{deploy, python_with_convex, require_node_modules, scratch_app, try_deploy};
use common::Server;

/// Rewrites the scratch app's schema.
fn edit_schema(app: &Path, from: &str, to: &str) {
    let path = app.join("convex/schema.ts");
    let text = std::fs::read_to_string(&path).expect("read schema");
    assert!(text.contains(from), "schema.ts no longer contains {from:?}");
    std::fs::write(&path, text.replace(from, to)).expect("write schema");
}

fn query(server: &Server, path: &str, args: serde_json::Value) -> serde_json::Value {
    ureq::post(&format!("{}/api/query", server.url))
        .send_json(serde_json::json!({"path": path, "args": args, "format": "json"}))
        .expect("query")
        .into_json::<serde_json::Value>()
        .expect("json")
}

#[test]
fn deploy_with_the_real_cli_then_call_with_convex_http_client() {
    require_node_modules();
    let server = Server::start();
    let app = scratch_app();
    let first = deploy(&server, app.path());
    assert!(first.contains("Deployed Convex functions"), "{first}");
    assert!(
        first.contains("messages.by_author"),
        "the added index is reported:\n{first}"
    );

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/http_client.mjs");
    let out = Command::new("node")
        .arg(script)
        .arg(&server.url)
        .arg(&server.admin_key)
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "ConvexHttpClient assertions failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // The PyPI `convex` package's HTTP client (installed by .ci/run).
    let python = python_with_convex();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/python_http_client.py");
    let out = Command::new(&python)
        .arg(script)
        .arg(&server.url)
        .arg(&server.admin_key)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "PyPI convex ConvexHttpClient assertions failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // Unchanged code: nothing new to add, and the data is still served.
    let second = deploy(&server, app.path());
    assert!(
        !second.contains("[+]"),
        "a redeploy of unchanged code added something:\n{second}"
    );
    let body = query(
        &server,
        "messages:list",
        serde_json::json!({"author": "bob"}),
    );
    assert_eq!(body["status"], "success", "{body}");
    assert_eq!(body["value"].as_array().map(Vec::len), Some(1), "{body}");

    // A new index on a table with data is backfilled and reported.
    edit_schema(
        app.path(),
        ".index(\"by_author\", [\"author\"])",
        ".index(\"by_author\", [\"author\"])\n    .index(\"by_body\", [\"body\"])",
    );
    let third = deploy(&server, app.path());
    assert!(
        third.contains("messages.by_body"),
        "the backfilled index is reported:\n{third}"
    );

    // A schema the existing documents violate fails the push, naming the
    // table, and the previous push keeps serving.
    edit_schema(app.path(), "body: v.string(),", "body: v.number(),");
    let (ok, failed) = try_deploy(&server, app.path());
    assert!(!ok, "a push violating the schema succeeded:\n{failed}");
    assert!(
        failed.contains("Schema validation failed")
            && failed.contains("in table \"messages\" does not match the schema"),
        "the failing table is named:\n{failed}"
    );
    let body = query(
        &server,
        "messages:list",
        serde_json::json!({"author": "ada"}),
    );
    assert_eq!(body["status"], "success", "{body}");
    assert_eq!(body["value"].as_array().map(Vec::len), Some(2), "{body}");
}
