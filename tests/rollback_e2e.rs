//! Push history and rollback, end to end: pushes made by the real
//! `npx convex deploy` are listed by `basalt pushes`, and `basalt rollback`
//! makes an earlier one serve again — its functions, its indexes (added ones
//! dropped, so the next deploy backfills them again), and its schema, which
//! the current documents must satisfy or the rollback is refused.

mod common;

use std::path::Path;

use common::app::{call, call_raw, deploy, require_node_modules, scratch_app};
use common::{run_binary, Server};
use serde_json::json;

const EXTRA_MODULE: &str = r#"
import { query } from "./_generated/server";
import { v } from "convex/values";

export const byBody = query({
  args: { body: v.string() },
  handler: async (ctx, { body }) => {
    return await ctx.db
      .query("messages")
      .withIndex("by_body", (q) => q.eq("body", body))
      .collect();
  },
});
"#;

fn edit(app: &Path, file: &str, from: &str, to: &str) {
    let path = app.join("convex").join(file);
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains(from), "{file} no longer contains {from:?}");
    std::fs::write(&path, text.replace(from, to)).expect("write");
}

/// Runs `basalt <command> ...` against the server; returns (success, stdout+stderr).
fn admin(server: &Server, args: &[&str]) -> (bool, String) {
    let mut all = args.to_vec();
    all.extend(["--url", &server.url, "--admin-key", &server.admin_key]);
    let (status, out, err) = run_binary(&all);
    (status.success(), format!("{out}{err}"))
}

#[test]
fn roll_back_to_an_earlier_push_and_refuse_one_the_data_violates() {
    require_node_modules();
    let server = Server::start();
    let app = scratch_app();

    // Push 1: the example app.
    deploy(&server, app.path());
    call(
        &server,
        "mutation",
        "messages:send",
        json!({"author": "ada", "body": "hi"}),
    );

    // Push 2: a new module and a new index it reads.
    std::fs::write(app.path().join("convex/extra.ts"), EXTRA_MODULE).expect("write extra.ts");
    edit(
        app.path(),
        "schema.ts",
        ".index(\"by_author\", [\"author\"])",
        ".index(\"by_author\", [\"author\"])\n    .index(\"by_body\", [\"body\"])",
    );
    let second = deploy(&server, app.path());
    assert!(second.contains("messages.by_body"), "{second}");
    assert_eq!(
        call(&server, "query", "extra:byBody", json!({"body": "hi"}))
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    let (ok, listing) = admin(&server, &["pushes"]);
    assert!(ok, "{listing}");
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(lines.len(), 2, "{listing}");
    assert!(
        lines[0].starts_with("*    2") && lines[1].starts_with("     1"),
        "{listing}"
    );

    // Back to push 1: extra.ts is gone, the data and the old functions stay.
    let (ok, out) = admin(&server, &["rollback", "1"]);
    assert!(ok, "{out}");
    assert!(out.contains("push 1 is serving again, as push 3"), "{out}");
    let gone = call_raw(&server, "query", "extra:byBody", json!({"body": "hi"}));
    assert_eq!(gone["status"], "error", "{gone}");
    assert!(
        gone["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("Could not find public function")),
        "{gone}"
    );
    let listed = call(&server, "query", "messages:list", json!({"author": "ada"}));
    assert_eq!(listed[0]["body"], "hi", "{listed}");

    let (ok, listing) = admin(&server, &["pushes"]);
    assert!(ok, "{listing}");
    assert!(
        listing
            .lines()
            .next()
            .is_some_and(|l| l.starts_with("*    3") && l.contains("(restored from push 1)")),
        "{listing}"
    );
    let (ok, out) = admin(&server, &["rollback", "3"]);
    assert!(ok && out.contains("already serving"), "{out}");

    // The rollback dropped by_body: deploying push 2's code adds it again.
    let again = deploy(&server, app.path());
    assert!(
        again.contains("messages.by_body"),
        "the dropped index is added again:\n{again}"
    );
    assert_eq!(
        call(&server, "query", "extra:byBody", json!({"body": "hi"}))
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // Push 5 allows a field push 1's schema does not know; once a document
    // uses it, rolling back to push 1 is refused and push 5 keeps serving.
    edit(
        app.path(),
        "schema.ts",
        "channel: v.optional(v.string()),",
        "channel: v.optional(v.string()),\n    mood: v.optional(v.string()),",
    );
    deploy(&server, app.path());
    call(
        &server,
        "mutation",
        "messages:insertUnchecked",
        json!({"doc": {"author": "bob", "body": "yo", "mood": "sunny"}}),
    );
    let (ok, out) = admin(&server, &["rollback", "1"]);
    assert!(!ok, "a rollback the data violates succeeded: {out}");
    assert!(
        out.contains("SchemaValidationFailed") && out.contains("\"messages\""),
        "{out}"
    );
    assert_eq!(
        call(&server, "query", "extra:byBody", json!({"body": "yo"}))
            .as_array()
            .map(Vec::len),
        Some(1),
        "the current push still serves, with its index"
    );

    // Unknown pushes and callers without the admin key are refused.
    let (ok, out) = admin(&server, &["rollback", "99"]);
    assert!(!ok && out.contains("PushNotFound"), "{out}");
    server
        .post(
            "/api/basalt/rollback",
            &[("Content-Type", "application/json")],
            br#"{"pushId": 1}"#,
        )
        .assert_error(403, "BadDeployKey");
    server
        .post(
            "/api/basalt/rollback",
            &[
                ("Content-Type", "application/json"),
                ("Authorization", &server.admin_auth()),
            ],
            br#"{"push": 1}"#,
        )
        .assert_error(400, "BadRollbackRequest");
}
