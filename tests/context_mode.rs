//! `basalt serve --context-mode strict`: every call gets a fresh context, so
//! module-level state never carries over, except in modules that export
//! `experimental_reuseContext = true`, as on Convex.

mod common;

use common::app::{call_admin, deploy, require_node_modules, scratch_app};
use common::Server;
use serde_json::json;

#[test]
fn strict_mode_gives_each_call_a_fresh_context() {
    require_node_modules();
    // The query cache would answer repeats without running them.
    let server = Server::start_with(&["--context-mode", "strict", "--query-cache-mib", "0"]);
    let app = scratch_app();
    deploy(&server, app.path());
    let count = |path: &str| {
        call_admin(&server, "query", path, json!({}))
            .as_f64()
            .expect("a count")
    };
    let fresh: Vec<f64> = (0..5).map(|_| count("diagnostics:moduleCalls")).collect();
    assert_eq!(fresh, vec![1.0; 5], "module state leaked between calls");
    let reused: Vec<f64> = (0..5).map(|_| count("reused:count")).collect();
    assert!(
        reused.iter().any(|&m| m >= 2.0),
        "experimental_reuseContext modules keep their context: {reused:?}"
    );
}

#[test]
fn an_unknown_context_mode_is_refused() {
    let (status, _out, err) = common::run_binary(&["serve", "--context-mode", "sometimes"]);
    assert!(!status.success());
    assert!(err.contains("sometimes"), "{err}");
}
