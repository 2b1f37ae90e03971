//! `basalt serve` and `basalt admin-key` as a user runs them: the first start
//! prints the two `.env.local` lines and creates the key, a restart reuses
//! it, and SIGTERM/SIGINT stop the server cleanly after in-flight requests.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::thread;
use std::time::Duration;

use common::{run_binary, Server};

#[test]
fn first_start_prints_env_lines_and_creates_the_key() {
    let mut server = Server::start();
    let stdout = server.stdout_lines(2);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        vec![
            format!("CONVEX_SELF_HOSTED_URL={}", server.url).as_str(),
            format!("CONVEX_SELF_HOSTED_ADMIN_KEY={}", server.admin_key).as_str(),
        ],
        "stdout: {stdout}"
    );
    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "{}",
        server.url
    );

    let (name, secret) = server.admin_key.split_once('|').expect("<name>|<secret>");
    assert_eq!(name, "basalt");
    assert_eq!(secret.len(), 64);
    assert!(secret.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(!server.admin_key.contains(':'));

    let key_file = server.data_dir.join("admin_key");
    let mode = std::fs::metadata(&key_file)
        .expect("key file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    let data_dir = server.data_dir.to_str().expect("utf-8 path").to_string();
    let (status, out, err) = run_binary(&["admin-key", "--data-dir", &data_dir]);
    assert!(status.success(), "{err}");
    assert_eq!(out.trim(), server.admin_key);

    // The printed key works.
    assert_admin_key_accepted(&server);
    server.assert_serving();
}

/// `/api/function` checks the admin key before the function path, so a bad
/// path answered with 400 (not 403) shows the key was accepted.
fn assert_admin_key_accepted(server: &Server) {
    let auth = server.admin_auth();
    let body = br#"{"path":"not a path","args":{}}"#;
    server
        .post("/api/function", &[("Authorization", &auth)], body)
        .assert_error(400, "BadConvexFunctionIdentifier");
    let wrong = format!("Convex basalt|{}", "0".repeat(64));
    server
        .post("/api/function", &[("Authorization", &wrong)], body)
        .assert_error(403, "BadDeployKey");
}

#[test]
fn restart_reuses_the_key() {
    let temp = tempfile::tempdir().expect("temp dir");
    let data_dir = temp.path().join("data");
    let mut first = Server::start_in(&data_dir);
    let key = first.admin_key.clone();
    assert!(first.terminate().success());

    let mut second = Server::start_in(&data_dir);
    assert_eq!(second.admin_key, key);
    let stdout = second.stdout_lines(2);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(lines[0], format!("CONVEX_SELF_HOSTED_URL={}", second.url));
    assert!(
        lines[1].starts_with("# CONVEX_SELF_HOSTED_ADMIN_KEY is stored in "),
        "{stdout}"
    );
    assert!(lines[1].contains("admin_key"), "{stdout}");
    assert!(
        !stdout.contains(&key),
        "the key is printed only on first start"
    );

    assert_admin_key_accepted(&second);
    assert!(second.terminate().success());
}

#[test]
fn restart_with_another_instance_name_is_refused() {
    let temp = tempfile::tempdir().expect("temp dir");
    let data_dir = temp.path().join("data");
    let mut first = Server::start_in(&data_dir);
    assert!(first.terminate().success());
    let dir = data_dir.to_str().expect("utf-8 path");
    let (status, _, err) = run_binary(&[
        "serve",
        "--data-dir",
        dir,
        "--port",
        "0",
        "--instance-name",
        "other",
    ]);
    assert!(!status.success());
    assert!(err.contains("--instance-name basalt"), "{err}");
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let mut server = Server::start();
    assert!(server.is_running());
    let status = server.terminate();
    assert!(status.success(), "exit status {status}");
    assert!(server.stderr().contains("SIGTERM"), "{}", server.stderr());
}

#[test]
fn sigint_stops_the_server_cleanly() {
    let mut server = Server::start();
    server.signal("INT");
    let status = server.wait_for_exit(Duration::from_secs(20));
    assert!(status.success(), "exit status {status}");
}

#[test]
fn sigterm_lets_in_flight_requests_finish() {
    let mut server = Server::start();
    let address = server.url.trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(&address).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let body = "first half, second half";
    let (first, second) = body.split_at(12);
    // Headers and the first half of the body; the rest follows the signal.
    write!(
        stream,
        "POST /echo HTTP/1.1\r\nHost: {address}\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{first}",
        body.len()
    )
    .expect("send the first half");
    stream.flush().expect("flush");
    thread::sleep(Duration::from_millis(300));
    server.signal("TERM");
    thread::sleep(Duration::from_millis(500));
    assert!(server.is_running(), "exited with a request in flight");
    stream
        .write_all(second.as_bytes())
        .expect("send the second half");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("read the response");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with(body), "{response}");
    let status = server.wait_for_exit(Duration::from_secs(20));
    assert!(status.success(), "exit status {status}");
}

#[test]
fn help_documents_every_flag() {
    let (status, out, _) = run_binary(&["--help"]);
    assert!(status.success());
    assert!(out.contains("serve") && out.contains("admin-key"), "{out}");
    let (status, out, _) = run_binary(&["serve", "--help"]);
    assert!(status.success());
    for flag in [
        "--data-dir",
        "BASALT_DATA_DIR",
        "./basalt-data",
        "--host",
        "127.0.0.1",
        "--port",
        "BASALT_PORT",
        "3210",
        "--instance-name",
        "--max-concurrent-functions",
        "--request-body-limit",
        "16779216",
    ] {
        assert!(
            out.contains(flag),
            "`basalt serve --help` lacks {flag}:\n{out}"
        );
    }
}

#[test]
fn admin_key_without_a_data_dir_fails_clearly() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("none");
    let (status, out, err) = run_binary(&["admin-key", "--data-dir", dir.to_str().expect("utf-8")]);
    assert!(!status.success());
    assert!(out.is_empty());
    assert!(err.contains("basalt serve"), "{err}");
}

#[test]
fn a_start_that_cannot_bind_creates_no_key() {
    let server = Server::start();
    let port = server.url.rsplit(':').next().expect("port").to_string();
    let temp = tempfile::tempdir().expect("temp dir");
    let data_dir = temp.path().join("data");
    let dir = data_dir.to_str().expect("utf-8 path");
    let (status, _, err) = run_binary(&["serve", "--data-dir", dir, "--port", &port]);
    assert!(!status.success());
    assert!(err.contains("cannot listen on"), "{err}");
    assert!(!data_dir.join("admin_key").exists());
}

/// At the default level a failed request gets one line carrying its span
/// (method, path, request id) and status; a successful one gets none.
#[test]
fn failed_requests_are_logged_with_their_request_span() {
    let server = Server::start();
    let version = server.get("/version");
    assert_eq!(version.status, 200, "{version:?}");
    server
        .post_json("/api/query", "{not json")
        .assert_error(400, "BadJsonBody");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let line = loop {
        let stderr = server.stderr();
        if let Some(line) = stderr
            .lines()
            .find(|l| l.contains("request finished") && l.contains("status=400"))
        {
            break line.to_string();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no line for the failed request:\n{stderr}"
        );
        thread::sleep(Duration::from_millis(20));
    };
    assert!(line.contains("method=POST"), "{line}");
    assert!(line.contains("path=/api/query"), "{line}");
    assert!(line.contains("request_id="), "{line}");
    assert!(
        !server.stderr().contains("path=/version"),
        "{}",
        server.stderr()
    );
}
