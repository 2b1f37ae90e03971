//! Running user functions: the storage-backed [`udf_runtime::Host`], the
//! worker threads that own the JavaScript runtimes, and the
//! [`crate::api::executor::FunctionExecutor`] the HTTP layer calls.

pub mod document_validators;
pub mod executor;
mod http_action;
pub mod logs;
pub mod outbound;
pub mod query_cache;
pub mod run;
pub mod schema_gate;
pub mod storage_host;
pub mod workers;
