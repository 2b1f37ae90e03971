//! End-to-end test harness: starts the real `basalt` binary on a free
//! loopback port (`--port 0`, the port read back from the printed URL) with
//! a temporary data directory, waits until `/version` answers, exposes the
//! admin key, and kills the process when dropped.

#![allow(dead_code)] // each test file uses a different part of the harness

pub mod app;
pub mod jwt;
pub mod loopback;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub const BINARY: &str = env!("CARGO_BIN_EXE_basalt");
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running `basalt serve`.
pub struct Server {
    child: Child,
    pub url: String,
    pub admin_key: String,
    pub data_dir: PathBuf,
    /// Keeps a temporary data directory alive as long as the server.
    _temp_dir: Option<tempfile::TempDir>,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    /// The threads copying stdout and stderr; they end at the process's exit.
    readers: Vec<thread::JoinHandle<()>>,
}

impl Server {
    /// Starts a server with a fresh temporary data directory.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts a server with a fresh temporary data directory and extra flags.
    pub fn start_with(extra_args: &[&str]) -> Self {
        let temp_dir = tempfile::tempdir().expect("create temp dir");
        let data_dir = temp_dir.path().join("data");
        let mut server = Self::spawn(&data_dir, extra_args);
        server._temp_dir = Some(temp_dir);
        server
    }

    /// Starts a server on an existing (or to be created) data directory.
    pub fn start_in(data_dir: &Path) -> Self {
        Self::spawn(data_dir, &[])
    }

    fn spawn(data_dir: &Path, extra_args: &[&str]) -> Self {
        let mut child = Command::new(BINARY)
            .arg("serve")
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--host", "127.0.0.1", "--port", "0"])
            .args(extra_args)
            .env_remove("BASALT_PORT")
            .env_remove("BASALT_DATA_DIR")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the basalt binary");
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let (url_tx, url_rx) = mpsc::channel::<String>();
        let mut readers = Vec::new();
        {
            let pipe = child.stdout.take().expect("stdout is piped");
            let buffer = Arc::clone(&stdout);
            readers.push(thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    if let Some(url) = line.strip_prefix("CONVEX_SELF_HOSTED_URL=") {
                        let _ = url_tx.send(url.to_string());
                    }
                    let mut buffer = buffer.lock().expect("stdout buffer");
                    buffer.push_str(&line);
                    buffer.push('\n');
                }
            }));
        }
        {
            let mut pipe = child.stderr.take().expect("stderr is piped");
            let buffer = Arc::clone(&stderr);
            readers.push(thread::spawn(move || {
                let mut chunk = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    let text = String::from_utf8_lossy(&chunk[..n]).into_owned();
                    buffer.lock().expect("stderr buffer").push_str(&text);
                }
            }));
        }
        let mut server = Server {
            child,
            url: String::new(),
            admin_key: String::new(),
            data_dir: data_dir.to_path_buf(),
            _temp_dir: None,
            stdout,
            stderr,
            readers,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        server.url = loop {
            match url_rx.recv_timeout(Duration::from_millis(100)) {
                Ok(url) => break url,
                Err(_) => {
                    if let Ok(Some(status)) = server.child.try_wait() {
                        panic!(
                            "basalt exited ({status}) before printing its URL\nstderr:\n{}",
                            server.stderr()
                        );
                    }
                    assert!(
                        Instant::now() < deadline,
                        "basalt printed no URL within {START_TIMEOUT:?}\nstderr:\n{}",
                        server.stderr()
                    );
                }
            }
        };
        server.wait_until_ready(deadline);
        server.admin_key = std::fs::read_to_string(data_dir.join("admin_key"))
            .expect("read the admin key file")
            .trim()
            .to_string();
        server
    }

    fn wait_until_ready(&mut self, deadline: Instant) {
        loop {
            if let Ok(response) = agent().get(&format!("{}/version", self.url)).call() {
                if response.status() == 200 {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "/version did not answer\nstderr:\n{}",
                self.stderr()
            );
            thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn stdout(&self) -> String {
        self.stdout.lock().expect("stdout buffer").clone()
    }

    /// Stdout once it holds at least `count` lines (or after 10 s).
    pub fn stdout_lines(&self, count: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let stdout = self.stdout();
            if stdout.lines().count() >= count || Instant::now() > deadline {
                return stdout;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().expect("stderr buffer").clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends a signal (`TERM`, `INT`, ...) with `kill(1)`.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Waits for the process to exit, up to `timeout`, and for all of its
    /// output to be collected.
    pub fn wait_for_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("poll child") {
                for reader in self.readers.drain(..) {
                    let _ = reader.join();
                }
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "basalt did not exit within {timeout:?}\nstderr:\n{}",
                self.stderr()
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, then the exit status.
    pub fn terminate(&mut self) -> ExitStatus {
        self.signal("TERM");
        self.wait_for_exit(Duration::from_secs(20))
    }

    pub fn get(&self, path: &str) -> Reply {
        send(agent().get(&format!("{}{path}", self.url)), None)
    }

    /// POST with `Content-Type: application/json` and the given body text.
    pub fn post_json(&self, path: &str, body: &str) -> Reply {
        self.post(
            path,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
    }

    pub fn post(&self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        let mut request = agent().post(&format!("{}{path}", self.url));
        for (name, value) in headers {
            request = request.set(name, value);
        }
        send(request, Some(body))
    }

    /// The `Authorization` header value of the admin key.
    pub fn admin_auth(&self) -> String {
        format!("Convex {}", self.admin_key)
    }

    /// Asserts the server still answers.
    pub fn assert_serving(&mut self) {
        assert!(
            self.is_running(),
            "basalt exited\nstderr:\n{}",
            self.stderr()
        );
        let reply = self.get("/version");
        assert_eq!(reply.status, 200, "{reply:?}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        if thread::panicking() {
            eprintln!("--- basalt stderr ---\n{}", self.stderr());
        }
    }
}

/// An HTTP answer of any status.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {self:?}"))
    }

    /// Asserts an error answer: the status, `Content-Type: application/json`
    /// and a `{code, message}` body with this code and a non-empty message.
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{self:?}");
        assert!(
            self.content_type.starts_with("application/json"),
            "error is not JSON: {self:?}"
        );
        let body = self.json();
        let object = body
            .as_object()
            .unwrap_or_else(|| panic!("not an object: {self:?}"));
        assert_eq!(object.len(), 2, "exactly code and message: {self:?}");
        assert_eq!(body["code"], code, "{self:?}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{self:?}"
        );
    }

    pub fn message(&self) -> String {
        self.json()["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(60))
        .build()
}

/// Sends a request and returns the answer whatever its status.
pub fn send(request: ureq::Request, body: Option<&[u8]>) -> Reply {
    let result = match body {
        Some(body) => request.send_bytes(body),
        None => request.call(),
    };
    let response = match result {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(error) => panic!("request failed: {error}"),
    };
    Reply {
        status: response.status(),
        content_type: response.content_type().to_string(),
        body: response.into_string().expect("read body"),
    }
}

/// Runs the binary with arguments and returns (status, stdout, stderr).
pub fn run_binary(args: &[&str]) -> (ExitStatus, String, String) {
    let output = Command::new(BINARY)
        .args(args)
        .env_remove("BASALT_PORT")
        .env_remove("BASALT_DATA_DIR")
        .output()
        .expect("run basalt");
    (
        output.status,
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
