//! HTTP actions through the real server: `npx convex deploy` of the example
//! app, then its `convex/http.ts` routes called under `/http` with a plain
//! HTTP client, as a webhook sender or a browser would.

mod common;

use common::app::{call_with_auth, deploy, require_node_modules, scratch_app};
use common::{agent, send, Server};

fn request(server: &Server, method: &str, path: &str, body: Option<&str>) -> common::Reply {
    let request = agent().request(method, &format!("{}{path}", server.url));
    send(request, body.map(str::as_bytes))
}

#[test]
fn http_routes_run_with_the_request_and_answer_its_response() {
    require_node_modules();
    let server = Server::start();

    // Before any push there is no router.
    let none = request(&server, "GET", "/http/messages", None);
    none.assert_error(404, "NoHttpRouter");

    let app = scratch_app();
    deploy(&server, app.path());

    // A POST route reading the JSON body and running a mutation.
    let created = request(
        &server,
        "POST",
        "/http/messages",
        Some(r#"{"author":"webhook","body":"from http"}"#),
    );
    assert_eq!(created.status, 201, "{created:?}");
    assert_eq!(created.content_type, "text/plain");
    assert_eq!(created.body.len(), 32, "a document id: {created:?}");

    // Authorization headers are the handler's business: an API key, Basic
    // credentials or a token that is not a JWT do not refuse the request.
    for auth in [
        "Basic dXNlcjpwYXNz",
        "Bearer sk_live_not_a_jwt",
        "Token abc",
    ] {
        let reply = send(
            agent()
                .post(&format!("{}/http/messages", server.url))
                .set("Authorization", auth),
            Some(br#"{"author":"keyed","body":"with a key"}"#),
        );
        assert_eq!(reply.status, 201, "{auth}: {reply:?}");
    }

    // A GET route reading the query string and running a query.
    let listed = request(&server, "GET", "/http/messages?author=webhook", None);
    assert_eq!(listed.status, 200, "{listed:?}");
    assert_eq!(listed.content_type, "application/json");
    assert_eq!(listed.json(), serde_json::json!(["from http"]));

    // HEAD answers the GET route's status and headers, without the body.
    let head = request(&server, "HEAD", "/http/messages?author=webhook", None);
    assert_eq!((head.status, head.body.as_str()), (200, ""));

    // No route: the router's own 404.
    let missing = request(&server, "GET", "/http/nowhere", None);
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body, "No HttpAction routed for /nowhere");

    // A handler that throws: 500 with Convex's body.
    let failed = request(&server, "POST", "/http/messages", Some("not json"));
    assert_eq!(failed.status, 500, "{failed:?}");
    let body = failed.json();
    let code = body["code"].as_str().expect("code");
    assert!(code.starts_with("[Request ID: "), "{body}");
    assert!(
        code.contains("] Server Error: Uncaught SyntaxError"),
        "{body}"
    );
    assert!(body["trace"].as_str().is_some(), "{body}");

    // Each request is in the function logs (`npx convex logs`).
    let logs = send(
        agent()
            .get(&format!("{}/api/stream_function_logs?cursor=0", server.url))
            .set("Authorization", &server.admin_auth()),
        None,
    );
    let entries = logs.json()["entries"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let posts: Vec<_> = entries
        .iter()
        .filter(|e| e["udfType"] == "HttpAction" && e["identifier"] == "POST /messages")
        .collect();
    assert_eq!(posts.len(), 5, "{entries:?}");
    assert!(posts.iter().any(|e| e["error"].is_string()), "{posts:?}");

    // The CLI is told where HTTP actions are served, and functions see it
    // as process.env.CONVEX_SITE_URL (Convex Auth's config reads it).
    let site = serde_json::json!(format!("{}/http", server.url));
    let urls = request(&server, "GET", "/api/v1/get_canonical_urls", None);
    assert_eq!(urls.json()["convexSiteUrl"], site);
    let env = |name: &str| {
        call_with_auth(
            &server,
            &server.admin_auth(),
            "query",
            "diagnostics:env",
            serde_json::json!({ "name": name }),
        )
    };
    assert_eq!(env("CONVEX_SITE_URL"), site);
    assert_eq!(env("CONVEX_CLOUD_URL"), serde_json::json!(server.url));
}
