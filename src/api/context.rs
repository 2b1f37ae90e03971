//! `CallContext`: the header-derived facts every functions API request needs
//! (request id, `Convex-Client`, caller identity), extracted and validated
//! before the body is read. A user token is verified here, against the
//! active push's auth providers.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::api::auth::Identity;
use crate::api::client_version::ClientVersion;
use crate::auth::ProviderSet;
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
        let identity = match Identity::from_request(&parts.headers, &parts.uri, &state.admin_key)? {
            Identity::UnverifiedUserToken(token) => verify_user(state, &token).await?,
            other => other,
        };
        Ok(Self {
            request_id,
            client,
            identity,
        })
    }
}

/// Verifies a `Bearer` token against the active push's providers.
pub(crate) async fn verify_user(state: &AppState, token: &str) -> Result<Identity, ApiError> {
    let active = state.deployment.active();
    let (version, providers) = match &active {
        Some(push) => (push.auth_version, push.auth_providers.as_slice()),
        None => (0, &[][..]),
    };
    let identity = state
        .deployment
        .auth
        .verify(token, ProviderSet { version, providers })
        .await?;
    match identity {
        serde_json::Value::Object(attributes) => Ok(Identity::User(attributes)),
        _ => Err(ApiError::internal("a verified identity is not an object")),
    }
}
