//! Runs every function of the example app (bundled by the real `convex`
//! CLI) against the in-memory host: results, errors and log lines.

mod common;

use common::App;
use serde_json::json;
use udf_runtime::UdfType::{Action, Mutation, Query};

#[test]
fn mutation_then_query_by_index() {
    let mut app = App::new();
    let id = app.ok(
        Mutation,
        "messages:send",
        json!({"author": "ada", "body": "hello"}),
    );
    let id = id.as_str().expect("id string").to_string();
    app.ok(
        Mutation,
        "messages:send",
        json!({"author": "ada", "body": "second"}),
    );
    app.ok(
        Mutation,
        "messages:send",
        json!({"author": "bob", "body": "other"}),
    );
    let rows = app.ok(Query, "messages:list", json!({"author": "ada"}));
    let bodies: Vec<_> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["body"].clone())
        .collect();
    assert_eq!(bodies, vec![json!("second"), json!("hello")]);
    assert_eq!(rows[1]["_id"], json!(id));
    let all = app.ok(Query, "messages:listAll", json!({}));
    assert_eq!(all.as_array().unwrap().len(), 3);
}

#[test]
fn send_logs_like_convex() {
    let mut app = App::new();
    let outcome = app.run(
        Mutation,
        "messages:send",
        json!({"author": "ada", "body": "hi"}),
    );
    assert!(outcome.result.is_ok(), "{:?}", outcome.result);
    assert_eq!(
        outcome.log_lines,
        vec!["[LOG] 'sent' 'hi' 'by' 'ada'".to_string()]
    );
}

#[test]
fn action_runs_nested_mutation_and_query() {
    let mut app = App::new();
    app.ok(
        Mutation,
        "messages:send",
        json!({"author": "ada", "body": "one"}),
    );
    let outcome = app.run(
        Action,
        "actions:sendAndCount",
        json!({"author": "ada", "body": "two"}),
    );
    let value = outcome.result.expect("action result");
    assert_eq!(value["count"], json!(2));
    assert_eq!(
        outcome.log_lines,
        vec![
            "[LOG] 'sent' 'two' 'by' 'ada'".to_string(),
            "[LOG] 'author' 'ada' 'has' 2".to_string()
        ]
    );
}

fn seed(app: &mut App) -> Vec<String> {
    let mut ids = Vec::new();
    for (author, body, channel) in [
        ("ada", "a1", Some("general")),
        ("bob", "b1", Some("general")),
        ("ada", "a2", None),
        ("cyd", "c1", Some("random")),
        ("bob", "b2", Some("general")),
    ] {
        let mut args = json!({"author": author, "body": body});
        if let Some(c) = channel {
            args["channel"] = json!(c);
        }
        let id = app.ok(Mutation, "messages:send", args);
        ids.push(id.as_str().unwrap().to_string());
    }
    ids
}

fn bodies(rows: &serde_json::Value) -> Vec<String> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r["body"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn index_ranges_filters_and_order() {
    let mut app = App::new();
    seed(&mut app);
    let general = app.ok(Query, "messages:inChannel", json!({"channel": "general"}));
    assert_eq!(bodies(&general), ["a1", "b1", "b2"]);
    let from_b = app.ok(
        Query,
        "messages:inChannel",
        json!({"channel": "general", "authorFrom": "b"}),
    );
    assert_eq!(bodies(&from_b), ["b1", "b2"]);
    let filtered = app.ok(Query, "messages:withBody", json!({"body": "random"}));
    assert_eq!(bodies(&filtered), ["c1"]);
    let filtered = app.ok(Query, "messages:withBody", json!({"body": "a2"}));
    assert_eq!(bodies(&filtered), ["a2"]);
    let latest = app.ok(Query, "messages:latest", json!({}));
    assert_eq!(latest["body"], json!("b2"));
    let limited = app.ok(Query, "messages:list", json!({"author": "bob", "limit": 1}));
    assert_eq!(bodies(&limited), ["b2"]);
}

#[test]
fn unique_first_and_get() {
    let mut app = App::new();
    let ids = seed(&mut app);
    let cyd = app.ok(Query, "messages:onlyByAuthor", json!({"author": "cyd"}));
    assert_eq!(cyd["body"], json!("c1"));
    assert_eq!(
        app.ok(Query, "messages:onlyByAuthor", json!({"author": "zed"})),
        json!(null)
    );
    let e = app.err(Query, "messages:onlyByAuthor", json!({"author": "ada"}));
    assert!(
        e.message
            .starts_with("Uncaught Error: unique() query returned more than one result"),
        "{}",
        e.message
    );
    let got = app.ok(Query, "messages:get", json!({"id": ids[3]}));
    assert_eq!(got["_id"], json!(ids[3]));
    assert_eq!(got["author"], json!("cyd"));
}

#[test]
fn paginate_walks_all_pages() {
    let mut app = App::new();
    seed(&mut app);
    let mut cursor = serde_json::Value::Null;
    let mut seen = Vec::new();
    for _ in 0..5 {
        let page = app.ok(
            Query,
            "messages:page",
            json!({"paginationOpts": {"numItems": 2, "cursor": cursor}}),
        );
        seen.extend(bodies(&page["page"]));
        if page["isDone"] == json!(true) {
            break;
        }
        cursor = page["continueCursor"].clone();
    }
    assert_eq!(seen, ["a1", "b1", "a2", "c1", "b2"]);
}

#[test]
fn patch_replace_delete() {
    let mut app = App::new();
    let ids = seed(&mut app);
    let edit = json!({"id": ids[0], "body": "edited", "channel": "news"});
    assert_eq!(app.ok(Mutation, "messages:edit", edit), json!(null));
    let doc = app.ok(Query, "messages:get", json!({"id": ids[0]}));
    assert_eq!(
        (doc["body"].clone(), doc["channel"].clone()),
        (json!("edited"), json!("news"))
    );
    assert_eq!(doc["author"], json!("ada"));
    // `channel: undefined` in a patch removes the field; other fields stay.
    app.ok(
        Mutation,
        "messages:edit",
        json!({"id": ids[0], "body": "again"}),
    );
    let doc = app.ok(Query, "messages:get", json!({"id": ids[0]}));
    assert!(doc.get("channel").is_none(), "{doc}");
    assert_eq!(
        (doc["author"].clone(), doc["body"].clone()),
        (json!("ada"), json!("again"))
    );
    let replaced = app.ok(
        Mutation,
        "messages:replaceBody",
        json!({"id": ids[1], "body": "new"}),
    );
    assert_eq!(replaced["body"], json!("new"));
    assert!(replaced.get("channel").is_none());
    app.ok(Mutation, "messages:remove", json!({"id": ids[1]}));
    assert_eq!(
        app.ok(Query, "messages:get", json!({"id": ids[1]})),
        json!(null)
    );
    let e = app.err(
        Mutation,
        "messages:replaceBody",
        json!({"id": ids[1], "body": "x"}),
    );
    assert_eq!(
        e.custom_data,
        Some(json!({"code": 404, "message": "no such message"}))
    );
}

#[test]
fn int64_bytes_records_unions_literals() {
    let mut app = App::new();
    let one = app.ok(Mutation, "counters:bump", json!({"name": "hits"}));
    assert_eq!(one, json!({"$integer": "AQAAAAAAAAA="}));
    let args = json!({"name": "hits", "by": {"$integer": "CgAAAAAAAAA="}, "blob": {"$bytes": "AQID"}, "tags": {"x": 1}});
    assert_eq!(
        app.ok(Mutation, "counters:bump", args),
        json!({"$integer": "CwAAAAAAAAA="})
    );
    let got = app.ok(Query, "counters:get", json!({"name": "hits"}));
    assert_eq!(
        got,
        json!({"name": "hits", "value": {"$integer": "CwAAAAAAAAA="}, "blob": {"$bytes": "AQID"}})
    );
    assert_eq!(
        app.ok(Query, "counters:get", json!({"name": "none"})),
        json!(null)
    );
    assert_eq!(
        app.ok(Query, "counters:describe", json!({"kind": "long"})),
        json!("1 counters, total 11")
    );
    assert_eq!(
        app.ok(
            Query,
            "counters:describe",
            json!({"kind": "short", "extra": [1, {"a": null}]})
        ),
        json!("1")
    );
    let e = app.err(Query, "counters:describe", json!({"kind": "medium"}));
    assert!(
        e.message.starts_with("ArgumentValidationError: "),
        "{}",
        e.message
    );
    let e = app.err(
        Mutation,
        "counters:bump",
        json!({"name": "x", "tags": {"a": "not a number"}}),
    );
    assert!(e.message.contains("Path: .tags.values()"), "{}", e.message);
}

#[test]
fn actions_schedule_and_nested_errors() {
    let mut app = App::new();
    let failed = app.ok(Action, "actions:failNested", json!({}));
    assert_eq!(
        failed,
        json!({"name": "ConvexError", "data": {"code": 42, "message": "the answer"}})
    );
    let mut req = app.request(Mutation, "actions:later", json!({"author": "bot"}));
    req.allow_internal = true;
    let job = app.execute(&req).result.expect("schedule");
    let scheduled = &app.host.scheduled;
    assert_eq!(scheduled.len(), 1);
    assert_eq!(json!(scheduled[0].id), job);
    assert_eq!(scheduled[0].name, "messages:clearAuthor");
    assert_eq!(scheduled[0].args, json!({"author": "bot"}));
    assert_eq!(scheduled[0].ts, (1_750_000_000_000.0 + 1000.0) / 1000.0);
}

#[test]
fn web_globals_in_an_action() {
    let mut app = App::new();
    let out = app.ok(Action, "actions:webGlobals", json!({"text": "héllo"}));
    assert_eq!(out["decoded"], json!("héllo"));
    assert_eq!(out["length"], json!(6));
    // sha256("héllo") computed independently with `printf 'héllo' | sha256sum`.
    assert_eq!(
        out["sha256"],
        json!("3c48591d8d098a4538f5e013dfcf406e948eac4d3277b10bf614e295d6068179")
    );
    assert_eq!(
        out["url"],
        json!("https://example.com/a/b?x=1&text=h%C3%A9llo")
    );
    assert_eq!(out["b64"], json!("aOlsbG8="));
    assert_eq!(out["uuidLength"], json!(36));
    assert_eq!(out["cloned"], json!({"a": [1, 2, {"b": "héllo"}]}));
}

#[test]
fn abort_controllers_and_events_in_an_action() {
    let mut app = App::new();
    app.host
        .fetch_routes
        .insert("https://api.example.com/x".into(), canned(200, &[], "ok"));
    let outcome = app.run(
        Action,
        "actions:cancellation",
        json!({"url": "https://api.example.com/x"}),
    );
    let out = outcome.result.expect("cancellation");
    assert_eq!(
        out,
        json!({
            "status": 200,
            // Listeners in registration order (the handler where it was
            // first set), each once: a second abort fires nothing.
            "seen": ["listener:abort", "onabort", "once"],
            "aborted": true,
            // A fetch with an aborted signal rejects with its reason and
            // sends nothing.
            "rejected": "AbortError 20 true",
            // Aborted while queued: rejected with the given reason.
            "abortedInFlight": "changed my mind",
            "thrown": "AbortError",
            "anyReason": "why",
            "timedOut": "TimeoutError",
            // A throwing listener is logged; the next one still runs.
            "detail": 42,
            "notCancelled": true,
            "self": true,
        })
    );
    // The live fetch and the one aborted while queued reached the host.
    assert_eq!(app.host.fetch_batches.concat().len(), 2);
    assert!(
        outcome
            .log_lines
            .iter()
            .any(|l| l.starts_with("[ERROR]") && l.contains("listener failed")),
        "{:?}",
        outcome.log_lines
    );
}

#[test]
fn readable_streams_in_an_action() {
    let mut app = App::new();
    app.host.fetch_routes.insert(
        "https://api.example.com/events".into(),
        canned(
            200,
            &[("content-type", "text/event-stream")],
            "data: héllo\n\n",
        ),
    );
    let out = app.ok(
        Action,
        "actions:streams",
        json!({"url": "https://api.example.com/events"}),
    );
    assert_eq!(
        out,
        json!({
            // A fetched body read through its stream; reading it uses it.
            "fetched": "data: héllo\n\n",
            "used": true,
            // pull() runs until the source closes; the Response reads it all.
            "pulled": "1;2;3;",
            // TextDecoderStream keeps a character cut between chunks whole;
            // pipeThrough/pipeTo carry chunks through a TransformStream
            // subclass into a WritableStream.
            "written": ["H", "É!"],
            "encoded": "é!",
            // Both branches of a tee get every chunk.
            "iterated": ["x", "y", "z"],
            "second": ["x", "y", "z"],
            "first": "tick",
            "locked": "ReadableStream is locked",
            // cancel() reaches the source, and the stream then reads as done.
            "cancelledWith": "enough",
            "afterCancel": true,
            "failed": "broken source",
        })
    );
}

#[test]
fn subtle_crypto_signs_and_verifies_with_keys_from_other_tools() {
    let keys: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/webcrypto.json")).expect("fixture");
    let mut app = App::new();
    let args = json!({
        "message": keys["message"], "rsaPkcs8": keys["rsaPkcs8"], "rsaSpki": keys["rsaSpki"],
        "edPkcs8": keys["edPkcs8"], "edSpki": keys["edSpki"], "ecJwk": keys["ecJwk"],
    });
    let out = app.ok(Action, "actions:webCrypto", args);
    // RFC 4231 test case 2.
    assert_eq!(
        out["hmac"],
        json!("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    );
    assert_eq!(out["hmacVerifies"], json!(true));
    assert_eq!(
        out["hmacJwk"],
        json!({"kty": "oct", "k": "SmVmZQ", "alg": "HS256", "key_ops": ["sign", "verify"], "ext": true})
    );
    // RSA PKCS#1 v1.5 and Ed25519 are deterministic: the signatures are
    // OpenSSL's, byte for byte.
    assert_eq!(out["rsaSignature"], keys["rsaSignature"]);
    assert_eq!(out["edSignature"], keys["edSignature"]);
    assert_eq!(out["rsaVerifies"], json!(true));
    assert_eq!(out["rsaRejectsOther"], json!(false));
    assert_eq!(
        out["rsaAlgorithm"],
        json!({"name": "RSASSA-PKCS1-v1_5", "hash": {"name": "SHA-256"},
               "modulusLength": 2048, "publicExponent": "010001"})
    );
    assert_eq!(out["edVerifies"], json!(true));
    assert_eq!(out["ecVerifies"], json!(true));
    assert_eq!(out["ecSignatureLength"], json!(64));
    assert_eq!(
        out["sha1"],
        json!("a9993e364706816aba3e25717850c26c9cd0d89d")
    );
    // Node.js: crypto.pbkdf2Sync("password", "salt", 2, 32, "sha256").
    assert_eq!(
        out["pbkdf2"],
        json!("ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43")
    );
    assert_eq!(out["isCryptoKey"], json!(true));
    assert_eq!(
        out["signWithPublic"],
        json!("InvalidAccessError: The key does not allow sign")
    );
    assert_eq!(
        out["exportPrivate"],
        json!("InvalidAccessError: The key is not extractable")
    );
    assert_eq!(
        out["badKey"],
        json!("DataError: the key data is not valid DER")
    );
    assert_eq!(
        out["aes"],
        json!("NotSupportedError: Unrecognized algorithm name: AES-GCM")
    );
}

fn canned(status: u16, headers: &[(&str, &str)], body: &str) -> udf_runtime::FetchResponse {
    udf_runtime::FetchResponse {
        status,
        status_text: String::new(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.as_bytes().to_vec(),
    }
}

#[test]
fn fetch_in_actions_batches_requests_and_follows_redirects() {
    let mut app = App::new();
    app.host.fetch_routes.insert(
        "https://api.example.com/start".into(),
        canned(303, &[("location", "/done?x=1")], ""),
    );
    app.host.fetch_routes.insert(
        "https://api.example.com/done?x=1".into(),
        canned(
            200,
            &[("content-type", "application/json")],
            r#"{"ok":true}"#,
        ),
    );
    let out = app.ok(
        Action,
        "actions:fetchJson",
        json!({"url": "https://api.example.com/start"}),
    );
    assert_eq!(
        out,
        json!({"status": 200, "ok": true, "redirected": true,
               "url": "https://api.example.com/done?x=1",
               "contentType": "application/json", "body": {"ok": true}})
    );
    // The POST went out with its headers and body; the 303 made it a GET
    // without them.
    let first = &app.host.fetch_batches[0][0];
    assert_eq!(first.method, "POST");
    assert_eq!(first.body.as_deref(), Some(&br#"{"hello":"world"}"#[..]));
    assert!(first
        .headers
        .contains(&("x-app".into(), "basalt-example".into())));
    let second = &app.host.fetch_batches[1][0];
    assert_eq!(
        (second.method.as_str(), second.body.as_ref()),
        ("GET", None)
    );
    assert!(!second.headers.iter().any(|(k, _)| k == "content-type"));

    // Promise.all over three URLs: one batch of three; the failure is caught.
    app.host.fetch_batches.clear();
    app.host
        .fetch_routes
        .insert("https://a.example.com/".into(), canned(200, &[], "A"));
    app.host
        .fetch_routes
        .insert("https://b.example.com/".into(), canned(404, &[], "B"));
    let out = app.ok(
        Action,
        "actions:fetchAll",
        json!({"urls": ["https://a.example.com/", "https://down.example.com/", "https://b.example.com/"]}),
    );
    assert_eq!(
        out,
        json!([
            "200 A",
            "error: fetch to https://down.example.com/ failed: connection refused",
            "404 B"
        ])
    );
    assert_eq!(app.host.fetch_batches.len(), 1);
    assert_eq!(app.host.fetch_batches[0].len(), 3);

    // Queries cannot fetch.
    let e = app.err(Query, "messages:fetchInQuery", json!({}));
    assert!(
        e.message
            .contains("Can't use fetch() in queries and mutations"),
        "{e:?}"
    );
}

#[test]
fn http_actions_route_requests() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut app = App::new();
    let body = b64.encode(br#"{"author":"ada","body":"via http"}"#);
    let request = json!({"url": "https://site.example/messages", "method": "POST", "headers": [["content-type", "application/json"]], "body": body});
    let mut req = app.request(udf_runtime::UdfType::HttpAction, "http", json!(null));
    req.args_json = request.to_string();
    let created = app.execute(&req).result.expect("POST");
    assert_eq!(created["status"], json!(201));
    let id = String::from_utf8(b64.decode(created["body"].as_str().unwrap()).unwrap()).unwrap();
    assert_eq!(app.host.docs("messages")[0]["_id"], json!(id));

    req.args_json = json!({"url": "https://site.example/messages?author=ada", "method": "GET", "headers": [], "body": null}).to_string();
    let listed = app.execute(&req).result.expect("GET");
    assert_eq!(listed["status"], json!(200));
    assert!(listed["headers"]
        .as_array()
        .unwrap()
        .contains(&json!(["content-type", "application/json"])));
    let text = String::from_utf8(b64.decode(listed["body"].as_str().unwrap()).unwrap()).unwrap();
    assert_eq!(text, r#"["via http"]"#);

    req.args_json =
        json!({"url": "https://site.example/nope", "method": "GET", "headers": [], "body": null})
            .to_string();
    let missing = app.execute(&req).result.expect("404 response");
    assert_eq!(missing["status"], json!(404));
}
