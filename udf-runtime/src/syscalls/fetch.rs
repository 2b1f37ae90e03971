//! The `basalt/fetch` op behind the `fetch()` global: its JSON request
//! (`{url, method, headers: [[name, value]], body: base64 | null}`) and
//! response (`{status, statusText, headers, body: base64}`). Only actions may
//! fetch; queries and mutations get Convex's error. Every pending fetch is
//! handed to the host in one batch so they run concurrently.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;

use crate::host::{FetchRequest, FetchResponse, Host, HostError, HostResult, UdfType};
use crate::state::ExecInfo;

/// The op name the JavaScript side uses.
pub(crate) const OP: &str = "basalt/fetch";

#[derive(Deserialize)]
struct RequestJson {
    url: String,
    method: String,
    headers: Vec<(String, String)>,
    body: Option<String>,
}

/// Refuses `fetch()` outside actions (checked when user code calls it).
pub(crate) fn check_allowed(info: &ExecInfo) -> Result<(), HostError> {
    super::check_phase(info, "fetch()")?;
    match info.udf_type {
        UdfType::Action | UdfType::HttpAction => Ok(()),
        UdfType::Query | UdfType::Mutation => Err(HostError::user(
            "Can't use fetch() in queries and mutations. Please consider using an action. See https://docs.convex.dev/functions/actions for more details.",
        )),
    }
}

fn parse(args: &str) -> HostResult<FetchRequest> {
    let spec: RequestJson = serde_json::from_str(args)
        .map_err(|e| HostError::user(format!("fetch(): invalid request ({e})")))?;
    let body = match spec.body {
        Some(b64) => Some(
            STANDARD
                .decode(b64)
                .map_err(|e| HostError::user(format!("fetch(): invalid body ({e})")))?,
        ),
        None => None,
    };
    Ok(FetchRequest {
        url: spec.url,
        method: spec.method,
        headers: spec.headers,
        body,
    })
}

fn to_text(response: FetchResponse) -> String {
    json!({
        "status": response.status,
        "statusText": response.status_text,
        "headers": response.headers,
        "body": STANDARD.encode(&response.body),
    })
    .to_string()
}

/// Runs a batch of queued fetches: `(id, args)` in, `(id, result)` out, in
/// the same order.
pub(crate) fn run_batch(
    host: &mut dyn Host,
    batch: Vec<(u32, String)>,
    timeout: Duration,
) -> Vec<(u32, Result<String, HostError>)> {
    let mut out: Vec<(u32, Option<Result<String, HostError>>)> = Vec::with_capacity(batch.len());
    let mut requests = Vec::new();
    let mut slots = Vec::new();
    for (id, args) in batch {
        match parse(&args) {
            Ok(request) => {
                slots.push(out.len());
                requests.push(request);
                out.push((id, None));
            }
            Err(e) => out.push((id, Some(Err(e)))),
        }
    }
    if !requests.is_empty() {
        let count = requests.len();
        let mut responses = host.fetch(requests, timeout).into_iter();
        for slot in slots {
            let result = responses.next().unwrap_or_else(|| {
                Err(HostError::system(format!(
                    "the host answered fewer than {count} fetches"
                )))
            });
            out[slot].1 = Some(result.map(to_text));
        }
    }
    out.into_iter()
        .map(|(id, r)| {
            (
                id,
                r.unwrap_or_else(|| Err(HostError::system("fetch lost"))),
            )
        })
        .collect()
}
