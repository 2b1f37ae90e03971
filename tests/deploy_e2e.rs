//! End to end with the real clients: `npx convex deploy` (the unmodified
//! `convex` CLI, bundling offline) pushes `examples/app` to a running
//! server, then the real `ConvexHttpClient` calls its functions. A second
//! deploy of the same code uploads nothing new and keeps serving.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::Server;

fn app_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/app")
}

fn require_node_modules() {
    let convex = app_dir().join("node_modules/convex/package.json");
    assert!(
        convex.exists(),
        "examples/app/node_modules is missing: run `npm ci --prefix examples/app` (.ci/run does)"
    );
}

/// Copies the app (without node_modules) so the CLI's codegen writes into a
/// scratch directory, with node_modules linked in.
fn scratch_app() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let status = Command::new("cp")
        .args(["-r"])
        .arg(app_dir().join("convex"))
        .arg(app_dir().join("package.json"))
        .arg(dir.path())
        .status()
        .expect("cp");
    assert!(status.success());
    std::os::unix::fs::symlink(
        app_dir().join("node_modules"),
        dir.path().join("node_modules"),
    )
    .expect("link node_modules");
    dir
}

/// The Python of the venv holding PyPI `convex` (`BASALT_CONVEX_PYTHON`, or
/// the one `.ci/run` creates).
fn python_with_convex() -> PathBuf {
    let python = std::env::var_os("BASALT_CONVEX_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_default();
            home.join(".cache/basalt-venv-convexpy/bin/python")
        });
    assert!(
        python.exists(),
        "{} is missing: create a venv with `pip install convex==0.8.1` (.ci/run does)",
        python.display()
    );
    python
}

fn deploy(server: &Server, app: &Path) -> String {
    let (ok, text) = try_deploy(server, app);
    assert!(ok, "npx convex deploy failed:\n{text}");
    text
}

fn try_deploy(server: &Server, app: &Path) -> (bool, String) {
    let out = Command::new("npx")
        .args(["convex", "deploy", "--yes", "--typecheck", "disable"])
        .current_dir(app)
        .env("CI", "1")
        .env("CONVEX_SELF_HOSTED_URL", &server.url)
        .env("CONVEX_SELF_HOSTED_ADMIN_KEY", &server.admin_key)
        .env_remove("CONVEX_DEPLOYMENT")
        .output()
        .expect("run npx convex deploy");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

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
