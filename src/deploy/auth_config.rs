//! The providers of a push's `auth.config.js` depend on the environment
//! variables it reads, so the module is evaluated again, as on Convex,
//! whenever the variables change or an earlier push is restored. A change
//! that breaks it (an unset variable, an invalid provider) is refused and
//! nothing changes.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value as JsonValue;
use udf_runtime::{AnalyzeError, ModuleSet};

use crate::error::ApiError;
use crate::state::AppState;

/// Evaluates `modules`' `auth.config.js` (if any) with `env` on a function
/// worker and checks the providers it declares.
pub async fn evaluate(
    state: &AppState,
    modules: Arc<ModuleSet>,
    env: Arc<BTreeMap<String, String>>,
) -> Result<Option<JsonValue>, ApiError> {
    let evaluated = state
        .deployment
        .workers
        .run(move |runtime| runtime.evaluate_auth_config(&modules, &env))
        .await
        .map_err(|e| ApiError::overloaded("Overloaded", e.to_string()))?;
    let config = evaluated.map_err(|e| error(&e))?;
    check_providers(config.as_ref())?;
    Ok(config)
}

/// Refuses an evaluated auth config whose providers are invalid.
pub fn check_providers(config: Option<&JsonValue>) -> Result<(), ApiError> {
    crate::auth::AuthProvider::parse_config(config)
        .map(drop)
        .map_err(|e| ApiError::bad_request(e.code(), format!("Invalid auth.config.js: {e}")))
}

/// Convex's error for an `auth.config.js` that failed to evaluate.
fn error(e: &AnalyzeError) -> ApiError {
    missing_variable(e).unwrap_or_else(|| {
        ApiError::bad_request("InvalidAuthConfig", format!("Invalid auth.config.js: {e}"))
    })
}

/// `AuthConfigMissingEnvironmentVariable`, if that is why analysis failed.
pub fn missing_variable(e: &AnalyzeError) -> Option<ApiError> {
    e.missing_auth_environment_variable()
        .map(|message| ApiError::bad_request("AuthConfigMissingEnvironmentVariable", message))
}
