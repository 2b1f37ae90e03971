//! Running blocking storage work (RocksDB walks and commits) from a handler:
//! on tokio's blocking pool, with a panic or cancellation of that task
//! answered as an internal error.

use crate::error::ApiError;

pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
}
