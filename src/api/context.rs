//! `CallContext`: the header-derived facts every functions API request needs
//! (request id, `Convex-Client`, caller identity), extracted and validated
//! before the body is read.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::api::auth::Identity;
use crate::api::client_version::ClientVersion;
use crate::error::ApiError;
use crate::http::request_id::RequestId;
use crate::state::AppState;

#[derive(Debug, Clone)]
pub struct CallContext {
    pub request_id: RequestId,
    pub client: Option<ClientVersion>,
    pub identity: Identity,
}

impl FromRequestParts<AppState> for CallContext {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let request_id = parts
            .extensions
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(|| RequestId::from_headers(&parts.headers));
        let client = ClientVersion::from_headers(&parts.headers)?;
        let identity = Identity::from_request(&parts.headers, &parts.uri, &state.admin_key)?;
        Ok(Self {
            request_id,
            client,
            identity,
        })
    }
}
