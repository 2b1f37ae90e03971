//! Malformed and unsupported requests against the real binary: each gets the
//! documented status and a `{code, message}` JSON body, and the server keeps
//! serving afterwards.

mod common;

use common::Server;

const QUERY: &str = r#"{"path":"messages:list","format":"convex_encoded_json","args":[{}]}"#;

#[test]
fn health_routes() {
    let mut server = Server::start();
    let reply = server.get("/version");
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, env!("CARGO_PKG_VERSION"))
    );
    assert!(reply.content_type.starts_with("text/plain"), "{reply:?}");
    let reply = server.get("/instance_version");
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, env!("CARGO_PKG_VERSION"))
    );
    let reply = server.get("/instance_name");
    assert_eq!((reply.status, reply.body.as_str()), (200, "basalt"));
    assert_eq!(server.get("/").status, 200);
    let reply = server.post("/echo", &[("Content-Type", "text/plain")], b"hello there");
    assert_eq!((reply.status, reply.body.as_str()), (200, "hello there"));
    // A doubled slash (a base URL with a trailing '/') reaches the same route.
    assert_eq!(server.get("//version").status, 200);
    server.assert_serving();
}

#[test]
fn instance_name_flag() {
    let mut server = Server::start_with(&["--instance-name", "my-app"]);
    assert_eq!(server.get("/instance_name").body, "my-app");
    assert!(server.admin_key.starts_with("my-app|"));
    server.assert_serving();
}

#[test]
fn bad_json_bodies() {
    let mut server = Server::start();
    server
        .post_json("/api/query", "{nope")
        .assert_error(400, "BadJsonBody");
    server
        .post_json("/api/mutation", "")
        .assert_error(400, "BadJsonBody");
    server
        .post_json("/api/action", "[1, 2")
        .assert_error(400, "BadJsonBody");
    // Valid JSON of the wrong shape.
    server
        .post_json("/api/query", r#"{"path": 5}"#)
        .assert_error(400, "BadJsonBody");
    server
        .post_json("/api/query", r#"{"args": {}}"#)
        .assert_error(400, "BadJsonBody");
    server
        .post_json("/api/query", "[]")
        .assert_error(400, "BadJsonBody");
    server
        .post_json("/api/query", r#"{"path":"m:q","format":7}"#)
        .assert_error(400, "BadJsonBody");
    server
        .post_json("/api/query", r#"{"path":"m:q","args":"text"}"#)
        .assert_error(400, "BadArgs");
    server
        .post_json("/api/query_batch", r#"{"queries": {}}"#)
        .assert_error(400, "BadJsonBody");
    server
        .get("/api/query?path=m:q&args=%7Bnope")
        .assert_error(400, "BadArgs");
    server
        .get("/api/query?args=%7B%7D")
        .assert_error(400, "BadQueryString");
    server.assert_serving();
}

#[test]
fn wrong_content_type_and_encoding() {
    let mut server = Server::start();
    server
        .post(
            "/api/query",
            &[("Content-Type", "text/plain")],
            QUERY.as_bytes(),
        )
        .assert_error(415, "UnsupportedMediaType");
    server
        .post(
            "/api/query",
            &[
                ("Content-Type", "application/json"),
                ("Content-Encoding", "br"),
            ],
            QUERY.as_bytes(),
        )
        .assert_error(415, "UnsupportedMediaType");
    // No Content-Type at all is read as JSON (curl users).
    assert_passes_validation(&server.post("/api/query", &[], QUERY.as_bytes()));
    server.assert_serving();
}

#[test]
fn unknown_routes_and_methods() {
    let mut server = Server::start();
    let reply = server.get("/api/no_such_route");
    reply.assert_error(404, "NotFound");
    assert!(
        reply
            .message()
            .contains("not implemented by this server yet"),
        "{reply:?}"
    );
    server.get("/no/such/page").assert_error(404, "NotFound");
    server
        .get("/api/mutation")
        .assert_error(405, "MethodNotAllowed");
    server
        .post_json("/version", "{}")
        .assert_error(405, "MethodNotAllowed");
    server
        .post_json("/api/run", "{}")
        .assert_error(404, "NotFound");
    server.assert_serving();
}

#[test]
fn unsupported_deploy_routes_fail_fast_with_501() {
    let mut server = Server::start();
    let auth = server.admin_auth();
    // Legacy push routes the modern CLI never needs.
    for route in ["/api/push_config", "/api/prepare_schema", "/api/get_config"] {
        server
            .post(
                route,
                &[
                    ("Content-Type", "application/json"),
                    ("Authorization", &auth),
                ],
                br#"{"version":"1.48.0"}"#,
            )
            .assert_error(501, "NotImplemented");
    }
    server.assert_serving();
}

#[test]
fn bad_function_paths() {
    let mut server = Server::start();
    for path in [
        "messages.ts:list",
        "/abs:list",
        "../up:list",
        "m:1bad",
        "m:",
        "a-b:c",
        "",
    ] {
        let body = serde_json::json!({"path": path, "args": {}}).to_string();
        let reply = server.post_json("/api/query", &body);
        reply.assert_error(400, "BadConvexFunctionIdentifier");
    }
    server
        .post_json("/api/run/messages", r#"{"args":{}}"#)
        .assert_error(400, "MissingIdentifier");
    server
        .post_json("/api/run/messages.ts/list", r#"{"args":{}}"#)
        .assert_error(400, "BadConvexFunctionIdentifier");
    server
        .get("/api/query?path=messages.ts:list")
        .assert_error(400, "BadConvexFunctionIdentifier");
    server.assert_serving();
}

#[test]
fn bad_format() {
    let mut server = Server::start();
    server
        .post_json("/api/query", r#"{"path":"m:q","args":{},"format":"xml"}"#)
        .assert_error(400, "BadFormat");
    server.assert_serving();
}

#[test]
fn huge_body_is_413() {
    let mut server = Server::start();
    // Default limit: 16 MiB + 2000 bytes.
    let limit = 16 * 1024 * 1024 + 2000;
    let mut body = br#"{"path":"m:q","args":{"pad":""#.to_vec();
    body.resize(limit + 10, b'x');
    body.extend_from_slice(br#""}}"#);
    server
        .post("/api/query", &[("Content-Type", "application/json")], &body)
        .assert_error(413, "PayloadTooLarge");
    server
        .post("/echo", &[("Content-Type", "text/plain")], &body)
        .assert_error(413, "PayloadTooLarge");
    server.assert_serving();
    // Exactly at the limit is accepted.
    let mut body = br#"{"path":"m:q","args":{"pad":""#.to_vec();
    body.resize(limit - 3, b'x');
    body.extend_from_slice(br#""}}"#);
    assert_eq!(body.len(), limit);
    assert_passes_validation(&server.post(
        "/api/query",
        &[("Content-Type", "application/json")],
        &body,
    ));
    server.assert_serving();
}

#[test]
fn request_body_limit_flag() {
    let mut server = Server::start_with(&["--request-body-limit", "100"]);
    let body = format!(r#"{{"path":"m:q","args":{{"pad":"{}"}}}}"#, "x".repeat(100));
    server
        .post_json("/api/query", &body)
        .assert_error(413, "PayloadTooLarge");
    assert_passes_validation(&server.post_json("/api/query", QUERY));
    server.assert_serving();
}

#[test]
fn bad_client_version_header() {
    let mut server = Server::start();
    for header in ["npm", "npm1.48.0"] {
        server
            .post(
                "/api/query",
                &[
                    ("Content-Type", "application/json"),
                    ("Convex-Client", header),
                ],
                QUERY.as_bytes(),
            )
            .assert_error(400, "InvalidClientVersion");
    }
    // Unknown clients are accepted.
    assert_passes_validation(&server.post(
        "/api/query",
        &[
            ("Content-Type", "application/json"),
            ("Convex-Client", "my-tool-0.1.0"),
        ],
        QUERY.as_bytes(),
    ));
    server.assert_serving();
}

#[test]
fn bad_credentials() {
    let mut server = Server::start();
    let wrong = format!("Convex basalt|{}", "0".repeat(64));
    let json = ("Content-Type", "application/json");
    let reply = server.post(
        "/api/query",
        &[json, ("Authorization", &wrong)],
        QUERY.as_bytes(),
    );
    reply.assert_error(403, "BadDeployKey");
    assert!(reply.message().contains("'basalt'"), "{reply:?}");
    server
        .post(
            "/api/query",
            &[json, ("Authorization", "Basic dXNlcjpwdw==")],
            QUERY.as_bytes(),
        )
        .assert_error(401, "InvalidAuthHeader");
    server
        .post(
            "/api/query",
            &[json, ("Authorization", "Bearer ")],
            QUERY.as_bytes(),
        )
        .assert_error(401, "InvalidAuthHeader");
    let acting = format!("Convex {}:%%%notbase64", server.admin_key);
    server
        .post(
            "/api/query",
            &[json, ("Authorization", &acting)],
            QUERY.as_bytes(),
        )
        .assert_error(400, "InvalidActingIdentity");
    server
        .get(&format!(
            "/api/query?path=m:q&adminKey=basalt%7C{}",
            "0".repeat(64)
        ))
        .assert_error(403, "BadDeployKey");
    // `/api/function` needs an admin key.
    server
        .post_json("/api/function", r#"{"path":"m:q","args":{}}"#)
        .assert_error(403, "BadDeployKey");
    server
        .post(
            "/api/function",
            &[json, ("Authorization", "Bearer some.jwt.token")],
            br#"{"path":"m:q","args":{}}"#,
        )
        // A user token is verified before anything else: this one is no JWT.
        .assert_error(401, "InvalidAuthHeader");
    server.assert_serving();
}

/// Asserts that a request passed validation: it got a function result
/// (HTTP 200) or, on a server without a runtime, 501 `NotImplemented`.
fn assert_passes_validation(reply: &common::Reply) {
    match reply.status {
        200 => {
            let body = reply.json();
            assert!(
                body.get("status").is_some()
                    || body.get("ts").is_some()
                    || body.get("results").is_some(),
                "{reply:?}"
            );
        }
        501 => reply.assert_error(501, "NotImplemented"),
        _ => panic!("request did not pass validation: {reply:?}"),
    }
}

/// Every well-formed functions API request passes validation and reaches the
/// executor, which answers (without a runtime: 501, never a fake result).
#[test]
fn valid_requests_pass_validation() {
    let mut server = Server::start();
    let auth = server.admin_auth();
    let json = ("Content-Type", "application/json");
    let client = ("Convex-Client", "npm-1.48.0");
    let cases: Vec<(&str, String)> = vec![
        ("/api/query", QUERY.to_string()),
        ("/api/mutation", r#"{"path":"messages:send","args":[{"body":"hi"}]}"#.to_string()),
        ("/api/action", r#"{"path":"dir/file:act","args":{}}"#.to_string()),
        ("/api/function", r#"{"componentPath":"","path":"messages:list","format":"convex_encoded_json","args":{}}"#.to_string()),
        ("/api/run/messages/list", r#"{"args":{}}"#.to_string()),
        ("/api/query_batch", r#"{"queries":[{"path":"messages:list","args":{}}]}"#.to_string()),
        ("/api/query_ts", String::new()),
    ];
    for (route, body) in cases {
        let reply = server.post(
            route,
            &[json, client, ("Authorization", &auth)],
            body.as_bytes(),
        );
        assert_passes_validation(&reply);
    }
    assert_passes_validation(&server.post("/api/query", &[json], QUERY.as_bytes()));
    assert_passes_validation(&server.get("/api/query?path=messages:list&args=%7B%7D&format=json"));
    // Admin acting as a user.
    let identity = "eyJzdWJqZWN0IjoidXNlcjEifQ=="; // {"subject":"user1"}
    let acting = format!("Convex {}:{identity}", server.admin_key);
    assert_passes_validation(&server.post(
        "/api/query",
        &[json, ("Authorization", &acting)],
        QUERY.as_bytes(),
    ));
    // A timestamp must be well-formed (whether it is in range is the
    // executor's business).
    server
        .post_json(
            "/api/query_at_ts",
            r#"{"path":"m:q","args":{},"ts":"nope"}"#,
        )
        .assert_error(400, "InvalidTimestamp");
    server.assert_serving();
}
