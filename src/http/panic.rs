//! Turns a panicking handler into a logged 500 with the usual JSON body, so a
//! bug in one request never drops the connection without an answer.

use std::any::Any;

use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

pub fn panic_response(payload: Box<dyn Any + Send + 'static>) -> Response {
    let detail = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_string());
    ApiError::internal(format!("request handler panicked: {detail}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;

    #[tokio::test]
    async fn panics_become_generic_500_json() {
        let response = panic_response(Box::new("secret detail"));
        assert_eq!(response.status().as_u16(), 500);
        let body = to_bytes(response.into_body(), 1024).await.expect("body");
        let body: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(body["code"], "InternalServerError");
        assert_eq!(body["message"], crate::error::INTERNAL_ERROR_MESSAGE);
    }
}
