//! The storage crate's error type: every way a database operation can fail,
//! each variant carrying what a user needs to understand the failure.

use crate::id::IdError;
use crate::value::ValueError;

/// Errors from the document store. The server maps these to HTTP statuses in
/// one place; here they only say what went wrong.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// Invalid value or document (a client mistake).
    #[error(transparent)]
    Value(#[from] ValueError),
    /// Malformed document ID (a client mistake).
    #[error(transparent)]
    Id(#[from] IdError),
    /// An OCC conflict: another transaction committed an overlapping write.
    #[error("Documents read from or written to the \"{table}\" table changed while this mutation was being run (conflicting document: {document})")]
    Conflict { table: String, document: String },
    /// The transaction began too long ago for its conflicts to be checked.
    #[error(
        "Transaction began at {begin_ts} which is older than the conflict-check window; retry it"
    )]
    TransactionTooOld { begin_ts: u64 },
    /// A read or cursor asked for a timestamp outside the retention window.
    #[error(
        "Timestamp {ts} is outside the retention window (oldest readable timestamp is {min_ts})"
    )]
    OutOfRetention { ts: u64, min_ts: u64 },
    /// A read asked for a timestamp that has not happened yet.
    #[error("Timestamp {ts} is in the future (latest readable timestamp is {max_ts})")]
    TimestampInFuture { ts: u64, max_ts: u64 },
    #[error("Table \"{0}\" does not exist")]
    TableNotFound(String),
    #[error("Index \"{0}\" not found")]
    IndexNotFound(String),
    #[error("Index \"{0}\" is still being backfilled and cannot be read yet")]
    IndexNotReady(String),
    #[error("Index \"{name}\" was created at {created_ts}, after the read timestamp {read_ts}")]
    IndexTooNew {
        name: String,
        created_ts: u64,
        read_ts: u64,
    },
    #[error("Index \"{0}\" already exists")]
    IndexExists(String),
    #[error("Invalid index definition: {0}")]
    InvalidIndex(String),
    #[error("Invalid table name \"{name}\": {reason}")]
    InvalidTableName { name: String, reason: String },
    #[error("Update on nonexistent document ID {0}")]
    NonexistentDocument(String),
    #[error("Document ID {id} is for table \"{actual}\", not \"{expected}\"")]
    WrongTable {
        id: String,
        expected: String,
        actual: String,
    },
    #[error("System field {field} may not be modified (document {id})")]
    SystemFieldChanged { field: &'static str, id: String },
    /// A per-transaction limit (§2.4) was exceeded.
    #[error("{0}")]
    LimitExceeded(#[from] crate::limits::LimitError),
    #[error("Invalid cursor: {0}")]
    InvalidCursor(String),
    /// The transaction was already committed or aborted.
    #[error("Transaction is no longer active")]
    TransactionFinished,
    /// The database is shutting down or the committer thread has stopped.
    #[error("The database is shut down")]
    ShutDown,
    /// Stored bytes could not be decoded: corruption or a bug, never a client mistake.
    #[error("Corrupt data in storage: {0}")]
    Corrupt(String),
    /// The persistence layer failed (I/O, RocksDB).
    #[error("Persistence error: {0}")]
    Persistence(String),
}

impl StorageError {
    /// True when the error is a client mistake (bad input), so the caller should
    /// surface it to user code rather than treat it as a system failure.
    pub fn is_user_error(&self) -> bool {
        !matches!(
            self,
            StorageError::Corrupt(_)
                | StorageError::Persistence(_)
                | StorageError::ShutDown
                | StorageError::Conflict { .. }
                | StorageError::TransactionTooOld { .. }
        )
    }

    /// True when re-running the transaction may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            StorageError::Conflict { .. } | StorageError::TransactionTooOld { .. }
        )
    }
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;
