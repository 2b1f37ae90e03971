//! Small HTTP servers the tests stand up on loopback (identity providers,
//! the endpoints actions fetch), each on its own thread and tokio runtime,
//! living until the test process exits.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use serde_json::json;

/// Serves `app` on a free loopback port; returns `http://127.0.0.1:<port>`.
pub fn serve(app: axum::Router) -> String {
    let listener =
        std::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            axum::serve(listener, app).await.expect("serve");
        });
    });
    url
}

/// `/echo` answers what it received as JSON (`method`, `path`, `query`,
/// the `content-type`, `x-app` and `authorization` headers, `body`);
/// `/redirect/<status>` redirects to `/echo`; `/text/<s>` answers `s`.
pub fn echo_server() -> String {
    use axum::routing::{any, get};
    async fn echo(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> impl IntoResponse {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        axum::Json(json!({
            "method": method.as_str(),
            "path": uri.path(),
            "query": uri.query(),
            "contentType": header("content-type"),
            "xApp": header("x-app"),
            "authorization": header("authorization"),
            "body": String::from_utf8_lossy(&body),
        }))
    }
    async fn redirect(axum::extract::Path(status): axum::extract::Path<u16>) -> impl IntoResponse {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::FOUND);
        (status, [("location", "/echo?from=redirect")])
    }
    async fn text(axum::extract::Path(text): axum::extract::Path<String>) -> impl IntoResponse {
        ([("content-type", "text/plain")], text)
    }
    serve(
        axum::Router::new()
            .route("/echo", any(echo))
            .route("/redirect/{status}", any(redirect))
            .route("/text/{text}", get(text)),
    )
}
