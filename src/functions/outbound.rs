//! Outbound HTTP for `fetch()` in actions. The runtime hands over every
//! fetch pending at once; they run concurrently on the server's tokio
//! runtime while the action's worker thread waits. Redirects are not
//! followed here (the JavaScript `fetch` follows them, as the Fetch standard
//! says), and response bodies are read in full up to
//! [`MAX_RESPONSE_BYTES`].

use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};
use tokio::runtime::Handle;
use udf_runtime::{FetchRequest, FetchResponse, HostError, HostResult};

/// Largest response body an action may fetch (it lives in the JS heap).
pub const MAX_RESPONSE_BYTES: usize = 16 << 20;

pub struct Outbound {
    client: reqwest::Client,
    runtime: Handle,
}

impl Outbound {
    /// A client on `runtime` (the server's), which must outlive it.
    pub fn new(runtime: Handle) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("basalt/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self { client, runtime })
    }

    /// Performs `requests` concurrently; blocks the calling (non-async)
    /// thread until all have answered or `timeout` passed.
    pub fn fetch_all(
        &self,
        requests: Vec<FetchRequest>,
        timeout: Duration,
    ) -> Vec<HostResult<FetchResponse>> {
        let tasks: Vec<_> = requests
            .into_iter()
            .map(|request| {
                self.runtime
                    .spawn(fetch_one(self.client.clone(), request, timeout))
            })
            .collect();
        self.runtime.block_on(async move {
            let mut results = Vec::with_capacity(tasks.len());
            for task in tasks {
                results.push(
                    task.await.unwrap_or_else(|e| {
                        Err(HostError::system(format!("fetch task failed: {e}")))
                    }),
                );
            }
            results
        })
    }
}

async fn fetch_one(
    client: reqwest::Client,
    request: FetchRequest,
    timeout: Duration,
) -> HostResult<FetchResponse> {
    let url = reqwest::Url::parse(&request.url)
        .map_err(|e| HostError::user(format!("fetch(): invalid URL {}: {e}", request.url)))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(HostError::user(format!(
            "fetch(): unsupported URL scheme \"{}\" (use http or https)",
            url.scheme()
        )));
    }
    let method = reqwest::Method::from_bytes(request.method.as_bytes())
        .map_err(|_| HostError::user(format!("fetch(): invalid method {}", request.method)))?;
    let mut builder = client.request(method, url.clone()).timeout(timeout);
    for (name, value) in &request.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| HostError::user(format!("fetch(): invalid header name {name}")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| HostError::user(format!("fetch(): invalid value for header {name}")))?;
        builder = builder.header(name, value);
    }
    if let Some(body) = request.body {
        builder = builder.body(body);
    }
    let failed = |e: reqwest::Error| {
        HostError::user(format!(
            "fetch to {} failed: {}",
            url.origin().ascii_serialization(),
            error_chain(&e)
        ))
    };
    let mut response = builder.send().await.map_err(failed)?;
    let status = response.status();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(failed)? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(HostError::user(format!(
                "fetch(): the response body from {} is larger than {} MiB",
                url.origin().ascii_serialization(),
                MAX_RESPONSE_BYTES >> 20
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(FetchResponse {
        status: status.as_u16(),
        status_text: status.canonical_reason().unwrap_or("").to_string(),
        headers,
        body,
    })
}

/// `error: cause: cause…`, as one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
