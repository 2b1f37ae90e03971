//! HTTP actions: `ANY /http/{*rest}` runs the deployment's HTTP router (the
//! default export of `convex/http.ts`) on the request, with the `/http`
//! prefix removed from the path its routes match (convex-protocol.md §1.1).
//! The function's Response becomes the HTTP response; a function that
//! throws answers 500 with Convex's `{code, trace, data?}` body.
//!
//! The `Authorization` header never refuses the request: these are the
//! app's own endpoints (webhooks, APIs with their own keys or Basic auth),
//! so a header that is not the admin key or a JWT that verifies leaves the
//! caller anonymous, and the handler sees it.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::api::auth::Identity;
use crate::api::context::verify_user;
use crate::error::ApiError;
use crate::http::body::LimitedBody;
use crate::http::request_id::RequestId;
use crate::http::trace::record_function;
use crate::state::AppState;

/// A request for the HTTP router, as the function sees it.
#[derive(Debug, Clone)]
pub struct HttpActionRequest {
    /// The `Host` the request was sent to.
    pub host: String,
    /// The path with the `/http` prefix removed: what the routes match.
    pub path: String,
    /// The query string, without `?`.
    pub query: Option<String>,
    pub method: String,
    pub headers: Vec<(String, String)>,
    /// `None` for a request without a body.
    pub body: Option<Vec<u8>>,
    pub identity: Identity,
    pub request_id: RequestId,
}

impl HttpActionRequest {
    /// The URL the function sees: `http://<host><path>[?<query>]`.
    pub fn url(&self) -> String {
        let query = self
            .query
            .as_ref()
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        format!("http://{}{}{query}", self.host, self.path)
    }
}

/// What the HTTP router answered.
#[derive(Debug, Clone)]
pub struct HttpActionResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl IntoResponse for HttpActionResponse {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut headers = HeaderMap::new();
        for (name, value) in &self.headers {
            // Headers the Fetch API accepted but HTTP cannot carry are dropped.
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                headers.append(name, value);
            }
        }
        (status, headers, self.body).into_response()
    }
}

/// `ANY /http` and `ANY /http/{*rest}`
pub async fn serve(
    State(state): State<AppState>,
    request_id: Option<axum::Extension<RequestId>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    LimitedBody(body): LimitedBody,
) -> Result<Response, ApiError> {
    record_function("http");
    let request_id = request_id.map_or_else(|| RequestId::from_headers(&headers), |id| id.0);
    let identity = match Identity::from_request(&headers, &uri, &state.admin_key) {
        Ok(Identity::UnverifiedUserToken(token)) => verify_user(&state, &token)
            .await
            .unwrap_or(Identity::Anonymous),
        Ok(identity) => identity,
        Err(_) => Identity::Anonymous,
    };
    let path = uri.path().strip_prefix("/http").unwrap_or("");
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let request = HttpActionRequest {
        host: host.to_string(),
        path: if path.is_empty() { "/" } else { path }.to_string(),
        query: uri.query().map(str::to_string),
        method: method.as_str().to_string(),
        headers: headers
            .iter()
            .filter_map(|(name, value)| {
                Some((name.as_str().to_string(), value.to_str().ok()?.to_string()))
            })
            .collect(),
        body: (!body.is_empty()).then(|| body.to_vec()),
        identity,
        request_id,
    };
    let _slot = crate::api::handlers::acquire_slot(&state).await?;
    let mut response = state.functions.execute_http(request).await?;
    if method == Method::HEAD {
        response.body.clear();
    }
    Ok(response.into_response())
}
