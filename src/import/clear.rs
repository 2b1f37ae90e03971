//! Emptying a table in bounded transactions: a large table never becomes
//! one huge transaction, and a concurrent writer only ever conflicts with one
//! small batch, which is then retried.

use storage::{Database, KeyRange, Order, StorageError};

/// Documents deleted per transaction.
const BATCH: usize = 1000;

/// Deletes every document of `table` (none if it does not exist); returns
/// how many.
pub fn clear_table(db: &Database, table: &str) -> Result<u64, StorageError> {
    let mut deleted = 0;
    loop {
        let mut tx = db.begin();
        let Some(by_id) = tx.index(table, storage::index::BY_ID)? else {
            return Ok(deleted);
        };
        let page = tx.scan(&by_id, &KeyRange::all(), Order::Asc, None, BATCH)?;
        if page.documents.is_empty() {
            return Ok(deleted);
        }
        let n = page.documents.len() as u64;
        for doc in &page.documents {
            tx.delete(&doc.id)?;
        }
        match tx.commit() {
            Ok(_) => deleted += n,
            Err(e) if e.is_retryable() => continue,
            Err(e) => return Err(e),
        }
    }
}
