//! The function log tail: `GET /api/stream_function_logs` as the real
//! `npx convex logs` uses it (history, then a long poll that wakes on the
//! next execution), and its errors.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::app::{call, deploy, require_node_modules, scratch_app};
use common::Server;
use serde_json::{json, Value};

fn logs(server: &Server, cursor: &str) -> (u16, Value) {
    let reply = common::send(
        common::agent()
            .get(&format!(
                "{}/api/stream_function_logs?cursor={cursor}",
                server.url
            ))
            .set("Authorization", &server.admin_auth()),
        None,
    );
    (reply.status, reply.json())
}

#[test]
fn executions_reach_the_log_tail() {
    require_node_modules();
    let server = Server::start();
    let app = scratch_app();
    deploy(&server, app.path());
    call(
        &server,
        "action",
        "actions:sendAndCount",
        json!({"author": "ada", "body": "hi"}),
    );
    let failed = server.post_json("/api/query", r#"{"path": "messages:boom", "args": {}}"#);
    assert_eq!(failed.json()["status"], "error");

    // History from cursor 0: the action, its nested calls are not separate
    // entries, and the failed query with its log line and error.
    let (status, body) = logs(&server, "0");
    assert_eq!(status, 200, "{body}");
    let entries = body["entries"].as_array().expect("entries");
    let action = entries
        .iter()
        .find(|e| e["identifier"] == "actions:sendAndCount")
        .expect("the action is logged");
    assert_eq!(action["udfType"], "Action");
    assert_eq!(action["kind"], "Completion");
    assert!(
        action["logLines"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|l| l
                .as_str()
                .is_some_and(|l| l.starts_with("[LOG] 'author' 'ada'"))),
        "{action}"
    );
    assert_eq!(action["error"], Value::Null);
    let boom = entries
        .iter()
        .find(|e| e["identifier"] == "messages:boom")
        .expect("boom");
    assert!(
        boom["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("Uncaught Error: boom")),
        "{boom}"
    );
    assert!(
        boom["timestamp"].as_f64().is_some_and(|t| t > 1.6e9),
        "{boom}"
    );
    let cursor = body["newCursor"].as_u64().expect("cursor");

    // A poll at the newest cursor waits, and wakes on the next execution.
    let url = server.url.clone();
    let auth = server.admin_auth();
    let started = Instant::now();
    let poll = std::thread::spawn(move || {
        common::send(
            common::agent()
                .get(&format!("{url}/api/stream_function_logs?cursor={cursor}"))
                .set("Authorization", &auth),
            None,
        )
        .json()
    });
    std::thread::sleep(Duration::from_millis(300));
    call(&server, "query", "messages:list", json!({"author": "ada"}));
    let woke = poll.join().expect("poll thread");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "the poll should wake at once"
    );
    assert_eq!(woke["entries"][0]["identifier"], "messages:list", "{woke}");
    assert!(woke["newCursor"].as_u64() > Some(cursor));

    // Errors: no admin key, a bad cursor.
    let anonymous = server.get("/api/stream_function_logs?cursor=0");
    anonymous.assert_error(403, "BadDeployKey");
    let (status, body) = logs(&server, "soon");
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("InvalidCursor")),
        "{body}"
    );

    // The real CLI prints the history. It is run directly rather than
    // through `npx`, whose child would outlive the kill below.
    let mut cli = Command::new("node")
        .args(["node_modules/.bin/convex", "logs", "--history", "20"])
        .current_dir(app.path())
        .env("CI", "1")
        .env("CONVEX_SELF_HOSTED_URL", &server.url)
        .env("CONVEX_SELF_HOSTED_ADMIN_KEY", &server.admin_key)
        .env_remove("CONVEX_DEPLOYMENT")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run npx convex logs");
    let mut stdout = cli.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let mut buf = [0u8; 4096];
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            match stdout.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => text.push_str(&String::from_utf8_lossy(&buf[..n])),
            }
            if text.contains("Uncaught Error: boom") {
                break;
            }
        }
        text
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while !reader.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = cli.kill();
    let _ = cli.wait();
    let text = reader.join().expect("reader");
    assert!(
        text.contains("[CONVEX A(actions:sendAndCount)] [LOG] 'author' 'ada'"),
        "{text}"
    );
    assert!(text.contains("[CONVEX Q(messages:boom)]"), "{text}");
    assert!(text.contains("Uncaught Error: boom"), "{text}");
}
