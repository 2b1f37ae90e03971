//! Collapses repeated slashes in request paths before routing, so that a
//! client configured with a trailing slash in its base URL (`…//api/x`, as the
//! Airbyte source builds it) reaches the same route.

use axum::extract::Request;
use axum::http::uri::{PathAndQuery, Uri};

pub fn collapse_slashes(mut request: Request) -> Request {
    if !request.uri().path().contains("//") {
        return request;
    }
    let mut path = String::with_capacity(request.uri().path().len());
    for c in request.uri().path().chars() {
        if !(c == '/' && path.ends_with('/')) {
            path.push(c);
        }
    }
    let path_and_query = match request.uri().query() {
        Some(query) => format!("{path}?{query}"),
        None => path,
    };
    let mut parts = request.uri().clone().into_parts();
    // Removing characters from a valid path keeps it valid; if it somehow did
    // not, route the original URI.
    if let Ok(pq) = PathAndQuery::try_from(path_and_query) {
        parts.path_and_query = Some(pq);
        if let Ok(uri) = Uri::from_parts(parts) {
            *request.uri_mut() = uri;
        }
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn collapse(uri: &str) -> String {
        let request = Request::builder()
            .uri(uri)
            .body(Body::empty())
            .expect("request");
        collapse_slashes(request).uri().to_string()
    }

    #[test]
    fn collapses_only_the_path() {
        assert_eq!(
            collapse("//api/json_schemas?x=a//b"),
            "/api/json_schemas?x=a//b"
        );
        assert_eq!(collapse("/api///query"), "/api/query");
        assert_eq!(collapse("/api/query"), "/api/query");
    }
}
