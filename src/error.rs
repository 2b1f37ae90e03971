//! The one HTTP-level error type. Every failure that is not a function's own
//! error (those are HTTP 200 `status:"error"` bodies, see `api::response`)
//! becomes an `ApiError`, and this file alone decides its HTTP status and its
//! `{"code": …, "message": …}` JSON body (convex-protocol.md §1.5).

use std::borrow::Cow;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Short machine-readable error code, e.g. `BadConvexFunctionIdentifier`.
pub type Code = Cow<'static, str>;

/// The message Convex sends for every error that carries no metadata.
pub const INTERNAL_ERROR_MESSAGE: &str = "Your request couldn't be completed. Try again later.";

/// An error answered with an HTTP error status and a `{code, message}` body.
///
/// Each variant fixes the status; `code` and `message` are what the client sees.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed (bad JSON, bad path, bad format, ...).
    #[error("{code}: {message}")]
    BadRequest { code: Code, message: String },
    /// 401: credentials are missing or cannot be read.
    #[error("{code}: {message}")]
    Unauthenticated { code: Code, message: String },
    /// 403: credentials were read but do not allow this request.
    #[error("{code}: {message}")]
    Forbidden { code: Code, message: String },
    /// 404: no such route or object.
    #[error("{code}: {message}")]
    NotFound { code: Code, message: String },
    /// 405: the route exists but not for this method.
    #[error("{code}: {message}")]
    MethodNotAllowed { code: Code, message: String },
    /// 409: the request conflicts with the current state.
    #[error("{code}: {message}")]
    Conflict { code: Code, message: String },
    /// 413: the request body is larger than the configured limit.
    #[error("{code}: {message}")]
    PayloadTooLarge { code: Code, message: String },
    /// 415: the request body is not JSON.
    #[error("{code}: {message}")]
    UnsupportedMediaType { code: Code, message: String },
    /// 429: the client sends too much; retry later.
    #[error("{code}: {message}")]
    RateLimited { code: Code, message: String },
    /// 501: a route this server knows of but does not implement yet.
    #[error("{code}: {message}")]
    NotImplemented { code: Code, message: String },
    /// 503: the server is overloaded; retry later.
    #[error("{code}: {message}")]
    Overloaded { code: Code, message: String },
    /// 503: a mutation kept conflicting with concurrent writes (OCC) after
    /// all its retries.
    #[error("{code}: {message}")]
    OccRetriesExhausted { code: Code, message: String },
    /// 500: a bug or an unexpected failure. The cause is logged, never sent:
    /// the client gets Convex's generic message.
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: &'a str,
}

impl ApiError {
    pub fn bad_request(code: impl Into<Code>, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn unauthenticated(code: impl Into<Code>, message: impl Into<String>) -> Self {
        Self::Unauthenticated {
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn forbidden(code: impl Into<Code>, message: impl Into<String>) -> Self {
        Self::Forbidden {
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn not_found(code: impl Into<Code>, message: impl Into<String>) -> Self {
        Self::NotFound {
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        Self::MethodNotAllowed {
            code: "MethodNotAllowed".into(),
            message: message.into(),
        }
    }

    pub fn conflict(code: impl Into<Code>, message: impl Into<String>) -> Self {
        Self::Conflict {
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn payload_too_large(message: impl Into<String>) -> Self {
        Self::PayloadTooLarge {
            code: "PayloadTooLarge".into(),
            message: message.into(),
        }
    }

    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        Self::UnsupportedMediaType {
            code: "UnsupportedMediaType".into(),
            message: message.into(),
        }
    }

    pub fn rate_limited(code: impl Into<Code>, message: impl Into<String>) -> Self {
        Self::RateLimited {
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn not_implemented(message: impl Into<String>) -> Self {
        Self::NotImplemented {
            code: "NotImplemented".into(),
            message: message.into(),
        }
    }

    pub fn overloaded(code: impl Into<Code>, message: impl Into<String>) -> Self {
        Self::Overloaded {
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn occ_retries_exhausted(message: impl Into<String>) -> Self {
        Self::OccRetriesExhausted {
            code: "OptimisticConcurrencyControlFailure".into(),
            message: message.into(),
        }
    }

    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(cause.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::NotImplemented { .. } => StatusCode::NOT_IMPLEMENTED,
            Self::Overloaded { .. } | Self::OccRetriesExhausted { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `code` field of the body.
    pub fn code(&self) -> &str {
        match self {
            Self::BadRequest { code, .. }
            | Self::Unauthenticated { code, .. }
            | Self::Forbidden { code, .. }
            | Self::NotFound { code, .. }
            | Self::MethodNotAllowed { code, .. }
            | Self::Conflict { code, .. }
            | Self::PayloadTooLarge { code, .. }
            | Self::UnsupportedMediaType { code, .. }
            | Self::RateLimited { code, .. }
            | Self::NotImplemented { code, .. }
            | Self::Overloaded { code, .. }
            | Self::OccRetriesExhausted { code, .. } => code,
            Self::Internal(_) => "InternalServerError",
        }
    }

    /// The `message` field of the body (never the cause of an internal error).
    pub fn message(&self) -> &str {
        match self {
            Self::BadRequest { message, .. }
            | Self::Unauthenticated { message, .. }
            | Self::Forbidden { message, .. }
            | Self::NotFound { message, .. }
            | Self::MethodNotAllowed { message, .. }
            | Self::Conflict { message, .. }
            | Self::PayloadTooLarge { message, .. }
            | Self::UnsupportedMediaType { message, .. }
            | Self::RateLimited { message, .. }
            | Self::NotImplemented { message, .. }
            | Self::Overloaded { message, .. }
            | Self::OccRetriesExhausted { message, .. } => message,
            Self::Internal(_) => INTERNAL_ERROR_MESSAGE,
        }
    }

    /// The JSON body text, `{"code": …, "message": …}`.
    pub fn body_json(&self) -> String {
        let body = ErrorBody {
            code: self.code(),
            message: self.message(),
        };
        // Serializing two strings cannot fail; keep a hand-written fallback
        // anyway rather than panicking on a response path.
        serde_json::to_string(&body).unwrap_or_else(|_| {
            format!(r#"{{"code":"InternalServerError","message":"{INTERNAL_ERROR_MESSAGE}"}}"#)
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        // The request span logs the status; only internal errors need their
        // cause logged here.
        if let Self::Internal(cause) = &self {
            tracing::error!(error = %cause, "internal error");
        } else {
            tracing::debug!(
                code = self.code(),
                message = self.message(),
                "request failed"
            );
        }
        (
            status,
            [(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/json"),
            )],
            self.body_json(),
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_convex() {
        let cases = [
            (ApiError::bad_request("BadFormat", "x"), 400),
            (ApiError::unauthenticated("Unauthenticated", "x"), 401),
            (ApiError::forbidden("BadDeployKey", "x"), 403),
            (ApiError::not_found("NotFound", "x"), 404),
            (ApiError::method_not_allowed("x"), 405),
            (ApiError::conflict("Conflict", "x"), 409),
            (ApiError::payload_too_large("x"), 413),
            (ApiError::unsupported_media_type("x"), 415),
            (ApiError::rate_limited("RateLimited", "x"), 429),
            (ApiError::internal("boom"), 500),
            (ApiError::not_implemented("x"), 501),
            (ApiError::overloaded("Overloaded", "x"), 503),
            (ApiError::occ_retries_exhausted("x"), 503),
        ];
        for (error, status) in cases {
            assert_eq!(error.status().as_u16(), status, "{error:?}");
        }
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let error = ApiError::internal("secret detail");
        let body: serde_json::Value =
            serde_json::from_str(&error.body_json()).expect("error body is JSON");
        assert_eq!(
            body,
            serde_json::json!({
                "code": "InternalServerError",
                "message": INTERNAL_ERROR_MESSAGE,
            })
        );
    }

    #[test]
    fn body_escapes_message() {
        let error = ApiError::bad_request("BadJsonBody", "quote \" and newline \n");
        let body: serde_json::Value =
            serde_json::from_str(&error.body_json()).expect("error body is JSON");
        assert_eq!(body["message"], "quote \" and newline \n");
        assert_eq!(body["code"], "BadJsonBody");
    }
}
