//! Writes are checked against the pushed schema (`schemaValidation`, on by
//! default): an insert, patch or replace whose document does not match is
//! refused with Convex's message, and a refused write that user code catches
//! is not committed.

mod common;

use common::app::{call, call_raw, deploy, require_node_modules, scratch_app};
use common::Server;
use serde_json::json;

#[test]
fn writes_that_do_not_match_the_schema_are_refused() {
    require_node_modules();
    let server = Server::start();
    let app = scratch_app();
    deploy(&server, app.path());

    let ok = call(
        &server,
        "mutation",
        "messages:insertUnchecked",
        json!({"doc": {"author": "ada", "body": "fine"}}),
    );
    let id = ok.as_str().expect("id").to_string();

    for (what, doc) in [
        ("a wrong type", json!({"author": 5, "body": "x"})),
        ("a missing field", json!({"author": "ada"})),
        (
            "an extra field",
            json!({"author": "ada", "body": "x", "mood": "happy"}),
        ),
    ] {
        let reply = call_raw(
            &server,
            "mutation",
            "messages:insertUnchecked",
            json!({"doc": doc}),
        );
        assert_eq!(reply["status"], "error", "{what}: {reply}");
        let message = reply["errorMessage"].as_str().unwrap_or_default();
        assert!(
            message.contains("Failed to insert or update a document in table \"messages\" because it does not match the schema"),
            "{what}: {message}"
        );
    }

    // A patch is checked on the document it produces.
    let bad_patch = call_raw(
        &server,
        "mutation",
        "messages:patchUnchecked",
        json!({"id": id, "patch": {"body": 7}}),
    );
    assert_eq!(bad_patch["status"], "error", "{bad_patch}");
    let removed = call_raw(
        &server,
        "mutation",
        "messages:patchUnchecked",
        json!({"id": id, "patch": {"body": {"$undefined": null}}}),
    );
    assert_eq!(
        removed["status"], "error",
        "removing a required field: {removed}"
    );
    let good = call(
        &server,
        "mutation",
        "messages:patchUnchecked",
        json!({"id": id, "patch": {"channel": "general"}}),
    );
    assert_eq!(good["channel"], "general");

    // Caught by user code: the mutation succeeds, the write does not happen.
    let caught = call(
        &server,
        "mutation",
        "messages:insertAndCatch",
        json!({"doc": {"author": "bob", "body": 1}}),
    );
    assert!(
        caught.as_str().is_some_and(|s| s.starts_with("refused: ")),
        "{caught}"
    );
    let bobs = call(&server, "query", "messages:list", json!({"author": "bob"}));
    assert_eq!(bobs, json!([]));
    let adas = call(&server, "query", "messages:list", json!({"author": "ada"}));
    assert_eq!(adas.as_array().map(Vec::len), Some(1), "{adas}");
    assert_eq!(adas[0]["body"], "fine");
}
