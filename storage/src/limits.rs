//! Per-transaction limits (convex-protocol.md §2.4): exceeding one is a
//! deterministic error, the same on every retry.

/// Limits for one transaction; the defaults are Convex's.
#[derive(Clone, Debug)]
pub struct TransactionLimits {
    pub max_documents_read: usize,
    pub max_bytes_read: usize,
    pub max_intervals: usize,
    pub max_documents_written: usize,
    pub max_bytes_written: usize,
}

impl Default for TransactionLimits {
    fn default() -> Self {
        Self {
            max_documents_read: 32_000,
            max_bytes_read: 16 << 20,
            max_intervals: 4096,
            max_documents_written: 16_000,
            max_bytes_written: 16 << 20,
        }
    }
}

impl TransactionLimits {
    /// No limits: for system work whose size is bounded elsewhere (a
    /// streaming import batch is bounded by its request body limit).
    pub fn unbounded() -> Self {
        Self {
            max_documents_read: usize::MAX,
            max_bytes_read: usize::MAX,
            max_intervals: usize::MAX,
            max_documents_written: usize::MAX,
            max_bytes_written: usize::MAX,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error("TooManyReads: Too many documents read in a single function execution (limit: {0})")]
    TooManyDocumentsRead(usize),
    #[error(
        "TooManyBytesRead: Too many bytes read in a single function execution (limit: {0} bytes)"
    )]
    TooManyBytesRead(usize),
    #[error(
        "TooManyReads: Too many reads in a single function execution (limit: {0} index ranges)"
    )]
    TooManyIntervals(usize),
    #[error(
        "TooManyWrites: Too many documents written in a single function execution (limit: {0})"
    )]
    TooManyDocumentsWritten(usize),
    #[error("TooManyBytesWritten: Too many bytes written in a single function execution (limit: {0} bytes)")]
    TooManyBytesWritten(usize),
}

/// Running totals checked against [`TransactionLimits`].
#[derive(Clone, Debug, Default)]
pub struct Usage {
    pub documents_read: usize,
    pub bytes_read: usize,
    pub documents_written: usize,
    pub bytes_written: usize,
}

impl Usage {
    pub fn add_read(&mut self, bytes: usize, limits: &TransactionLimits) -> Result<(), LimitError> {
        self.documents_read += 1;
        self.bytes_read += bytes;
        if self.documents_read > limits.max_documents_read {
            return Err(LimitError::TooManyDocumentsRead(limits.max_documents_read));
        }
        if self.bytes_read > limits.max_bytes_read {
            return Err(LimitError::TooManyBytesRead(limits.max_bytes_read));
        }
        Ok(())
    }

    pub fn add_write(
        &mut self,
        bytes: usize,
        limits: &TransactionLimits,
    ) -> Result<(), LimitError> {
        self.documents_written += 1;
        self.bytes_written += bytes;
        if self.documents_written > limits.max_documents_written {
            return Err(LimitError::TooManyDocumentsWritten(
                limits.max_documents_written,
            ));
        }
        if self.bytes_written > limits.max_bytes_written {
            return Err(LimitError::TooManyBytesWritten(limits.max_bytes_written));
        }
        Ok(())
    }
}
