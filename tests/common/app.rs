//! The example app and the real clients around it: a scratch copy of
//! `examples/app`, `npx convex deploy` against a running server, function
//! calls over HTTP, and the Python venvs `.ci/run` prepares.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::Server;

pub fn app_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/app")
}

pub fn require_node_modules() {
    let convex = app_dir().join("node_modules/convex/package.json");
    assert!(
        convex.exists(),
        "examples/app/node_modules is missing: run `npm ci --prefix examples/app` (.ci/run does)"
    );
}

/// Copies the app (without node_modules) so the CLI's codegen writes into a
/// scratch directory, with node_modules linked in.
pub fn scratch_app() -> tempfile::TempDir {
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
pub fn python_with_convex() -> PathBuf {
    venv_program(
        "BASALT_CONVEX_PYTHON",
        "basalt-venv-convexpy/bin/python",
        "create a venv with `pip install convex==0.8.1`",
    )
}

pub fn deploy(server: &Server, app: &Path) -> String {
    let (ok, text) = try_deploy(server, app);
    assert!(ok, "npx convex deploy failed:\n{text}");
    text
}

pub fn try_deploy(server: &Server, app: &Path) -> (bool, String) {
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

/// Calls a function through `/api/<kind>` (`query`, `mutation`, `action`)
/// with clean JSON output; returns the whole response body (success or
/// function error).
pub fn call_raw(
    server: &Server,
    kind: &str,
    path: &str,
    args: serde_json::Value,
) -> serde_json::Value {
    ureq::post(&format!("{}/api/{kind}", server.url))
        .send_json(serde_json::json!({"path": path, "args": args, "format": "json"}))
        .unwrap_or_else(|e| panic!("{kind} {path}: {e}"))
        .into_json()
        .expect("json")
}

/// [`call_raw`], asserting success; returns `value`.
pub fn call(server: &Server, kind: &str, path: &str, args: serde_json::Value) -> serde_json::Value {
    let body = call_raw(server, kind, path, args);
    assert_eq!(body["status"], "success", "{kind} {path}: {body}");
    body["value"].clone()
}

/// [`call`] with an `Authorization` header (`Convex <admin key>`, acting
/// as a user, or a `Bearer` token); asserts success and returns `value`.
pub fn call_with_auth(
    server: &Server,
    auth: &str,
    kind: &str,
    path: &str,
    args: serde_json::Value,
) -> serde_json::Value {
    let reply = server.post(
        &format!("/api/{kind}"),
        &[
            ("Content-Type", "application/json"),
            ("Authorization", auth),
        ],
        serde_json::json!({"path": path, "args": args, "format": "json"})
            .to_string()
            .as_bytes(),
    );
    let body = reply.json();
    assert_eq!(body["status"], "success", "{kind} {path}: {body}");
    body["value"].clone()
}

/// [`call`] with the admin key (internal functions allowed).
pub fn call_admin(
    server: &Server,
    kind: &str,
    path: &str,
    args: serde_json::Value,
) -> serde_json::Value {
    call_with_auth(server, &server.admin_auth(), kind, path, args)
}

/// A program in a venv under `~/.cache` that `.ci/run` creates, or the
/// path in the environment variable `var`.
pub fn venv_program(var: &str, relative: &str, what: &str) -> PathBuf {
    let path = std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default();
        home.join(".cache").join(relative)
    });
    assert!(
        path.exists(),
        "{} is missing: {what} (.ci/run does)",
        path.display()
    );
    path
}
