//! Basalt's database: Convex values and document IDs, and the timestamped MVCC
//! document store (transactions serializable by OCC, indexes, the commit log)
//! over an ordered key-value persistence layer (RocksDB by default). Knows
//! nothing of HTTP or JavaScript.

pub mod catalog;
pub mod commit_log;
mod committer;
pub mod database;
pub mod document;
pub mod error;
pub mod id;
pub mod index;
mod index_builder;
pub mod keys;
pub mod limits;
mod mvcc;
mod pending_commit;
pub mod persistence;
pub mod query;
pub mod range;
mod read_set;
mod retention;
pub mod transaction;
pub mod value;
mod write_log;

/// A commit timestamp: nanoseconds since the Unix epoch.
pub type Timestamp = u64;

pub use commit_log::{DeltaPage, DeltaRow, SnapshotCursor, SnapshotPage, SnapshotRow};
pub use database::{Database, DatabaseOptions};
pub use document::Document;
pub use error::StorageError;
pub use id::{DocumentId, InternalId, TableNumber};
pub use pending_commit::PendingCommit;
pub use range::{Bound, IndexBounds};
pub use read_set::ReadSet;
pub use transaction::{KeyRange, Order, ScanPage, Transaction};
pub use value::{JsonFormat, Object, Value};
