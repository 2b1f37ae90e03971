//! The admin commands that talk to a running server over HTTP
//! (`basalt pushes`, `basalt rollback`), printing its answers for people.

use serde_json::Value as JsonValue;

use crate::admin_key::AdminKey;
use crate::cli::RemoteArgs;

#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("no admin key: pass --admin-key, set CONVEX_SELF_HOSTED_ADMIN_KEY, or point --data-dir at the server's data ({0})")]
    NoAdminKey(String),
    #[error("cannot reach {url}: {source}")]
    Http { url: String, source: reqwest::Error },
    #[error("the server refused: {code}: {message}")]
    Refused { code: String, message: String },
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[from] std::io::Error),
}

/// `basalt pushes`: one line per stored push.
pub fn pushes(args: &RemoteArgs) -> Result<String, RemoteError> {
    let answer = call(args, reqwest::Method::GET, "/api/basalt/push_history", None)?;
    let mut out = String::new();
    for p in answer
        .get("pushes")
        .and_then(JsonValue::as_array)
        .into_iter()
        .flatten()
    {
        let id = p.get("pushId").and_then(JsonValue::as_u64).unwrap_or(0);
        let marker = if p.get("active").and_then(JsonValue::as_bool) == Some(true) {
            "*"
        } else {
            " "
        };
        let at = p
            .get("pushedAt")
            .and_then(JsonValue::as_f64)
            .map(|ms| utc_timestamp(ms as i64))
            .unwrap_or_default();
        let functions = p.get("functions").and_then(JsonValue::as_u64).unwrap_or(0);
        let restored = p
            .get("restoredFrom")
            .and_then(JsonValue::as_u64)
            .map(|r| format!(" (restored from push {r})"))
            .unwrap_or_default();
        out.push_str(&format!(
            "{marker} {id:>4}  {at}  {functions} functions{restored}\n"
        ));
    }
    if out.is_empty() {
        out.push_str("no pushes yet\n");
    }
    Ok(out)
}

/// `basalt rollback <id>`.
pub fn rollback(args: &RemoteArgs, push_id: u64) -> Result<String, RemoteError> {
    let body = serde_json::json!({ "pushId": push_id });
    let answer = call(
        args,
        reqwest::Method::POST,
        "/api/basalt/rollback",
        Some(body),
    )?;
    if answer.get("changed").and_then(JsonValue::as_bool) == Some(false) {
        return Ok(format!("push {push_id} is already serving\n"));
    }
    let id = answer
        .get("pushId")
        .and_then(JsonValue::as_u64)
        .unwrap_or(0);
    Ok(format!("push {push_id} is serving again, as push {id}\n"))
}

fn call(
    args: &RemoteArgs,
    method: reqwest::Method,
    path: &str,
    body: Option<JsonValue>,
) -> Result<JsonValue, RemoteError> {
    let key = match &args.admin_key {
        Some(k) => k.clone(),
        None => AdminKey::load(&args.data.data_dir)
            .map_err(|e| RemoteError::NoAdminKey(e.to_string()))?
            .as_str()
            .to_string(),
    };
    let url = format!("{}{path}", args.url.trim_end_matches('/'));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let http = |source| RemoteError::Http {
            url: url.clone(),
            source,
        };
        let mut request = reqwest::Client::new()
            .request(method, &url)
            .header("Authorization", format!("Convex {key}"));
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.map_err(http)?;
        let ok = response.status().is_success();
        let bytes = response.bytes().await.map_err(http)?;
        let json: JsonValue = serde_json::from_slice(&bytes).map_err(|_| RemoteError::Refused {
            code: "NotJson".into(),
            message: String::from_utf8_lossy(&bytes).chars().take(500).collect(),
        })?;
        if ok {
            Ok(json)
        } else {
            let field = |f: &str| {
                json.get(f)
                    .and_then(JsonValue::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            Err(RemoteError::Refused {
                code: field("code"),
                message: field("message"),
            })
        }
    })
}

/// `YYYY-MM-DD HH:MM:SS UTC` from unix milliseconds (civil-from-days).
fn utc_timestamp(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_unix_milliseconds() {
        assert_eq!(super::utc_timestamp(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(
            super::utc_timestamp(1_796_169_600_000),
            "2026-12-02 00:00:00 UTC"
        );
        assert_eq!(
            super::utc_timestamp(951_782_400_000 + 3_723_000),
            "2000-02-29 01:02:03 UTC"
        );
    }
}
