//! What the HTTP benchmarks share: the real `basalt` binary on a free
//! loopback port with a temporary data directory, and an axum server that
//! answers every GET with one fixed body (the baselines).

use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A running `basalt serve` and the two lines it printed.
pub struct Basalt {
    pub child: Child,
    pub url: String,
    pub admin_key: String,
}

impl Drop for Basalt {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary with its data in `dir`.
pub fn start_basalt(dir: &Path) -> Basalt {
    let binary = Path::new(env!("CARGO_BIN_EXE_basalt"));
    let mut child = Command::new(binary)
        .args(["serve", "--port", "0", "--data-dir"])
        .arg(dir.join("data"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start basalt");
    let mut first = String::new();
    let mut second = String::new();
    {
        use std::io::BufRead;
        let mut out = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        out.read_line(&mut first).expect("url line");
        out.read_line(&mut second).expect("key line");
    }
    let url = first
        .trim()
        .trim_start_matches("CONVEX_SELF_HOSTED_URL=")
        .to_string();
    let admin_key = second
        .trim()
        .trim_start_matches("CONVEX_SELF_HOSTED_ADMIN_KEY=")
        .to_string();
    Basalt {
        child,
        url,
        admin_key,
    }
}

/// Serves `body` with `content_type` at `/` on a free port; returns its URL.
pub fn serve_static(body: String, content_type: &'static str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    listener.set_nonblocking(true).expect("nonblocking");
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().expect("tokio");
        rt.block_on(async move {
            let app = axum::Router::new().route(
                "/",
                axum::routing::get(move || {
                    let body = body.clone();
                    async move { ([("content-type", content_type)], body) }
                }),
            );
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            axum::serve(listener, app).await.expect("serve");
        });
    });
    format!("http://{addr}/")
}
