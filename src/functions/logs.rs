//! The deployment's recent function executions, for
//! `GET /api/stream_function_logs` (`npx convex logs`, and the log tail of
//! `npx convex dev`). A bounded in-memory ring: the oldest entries are
//! dropped first, and nothing survives a restart.
//!
//! Cursors are milliseconds since the epoch, made unique and increasing
//! (an entry in the same millisecond as the previous one gets the next
//! millisecond), so a cursor handed out before a restart stays meaningful.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;
use serde_json::{json, Value as JsonValue};
use tokio::sync::Notify;

/// How many executions are kept.
pub const CAPACITY: usize = 10_000;
/// Most entries one poll returns.
const MAX_PAGE: usize = 1000;

/// One finished execution.
#[derive(Clone, Debug)]
pub struct Execution {
    /// `messages:list`.
    pub identifier: String,
    /// `Query`, `Mutation`, `Action`.
    pub udf_type: &'static str,
    pub request_id: String,
    pub log_lines: Vec<String>,
    /// The error message shown to the caller, if the function failed.
    pub error: Option<String>,
    pub execution_time: Duration,
    /// Answered from the query cache.
    pub cached: bool,
}

/// An execution as recorded; its JSON is built only when a client reads it
/// (most executions are never polled for).
struct Entry {
    cursor: u64,
    execution: Execution,
}

impl Entry {
    fn json(&self) -> JsonValue {
        let e = &self.execution;
        json!({
            "kind": "Completion",
            "identifier": e.identifier,
            "udfType": e.udf_type,
            "requestId": e.request_id,
            "logLines": e.log_lines,
            "error": e.error,
            "timestamp": self.cursor as f64 / 1000.0,
            "executionTime": e.execution_time.as_secs_f64(),
            "cachedResult": e.cached,
        })
    }
}

#[derive(Default)]
pub struct FunctionLogs {
    entries: Mutex<VecDeque<Entry>>,
    added: Notify,
}

impl FunctionLogs {
    pub fn record(&self, execution: Execution) {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let mut entries = self.entries.lock();
        let cursor = entries
            .back()
            .map_or(now_ms, |last| now_ms.max(last.cursor + 1));
        if entries.len() == CAPACITY {
            entries.pop_front();
        }
        entries.push_back(Entry { cursor, execution });
        drop(entries);
        self.added.notify_waiters();
    }

    /// Entries after `cursor` and the cursor to pass next; empty with the
    /// same cursor if none arrive within `wait`.
    pub async fn after(&self, cursor: u64, wait: Duration) -> (Vec<JsonValue>, u64) {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let notified = self.added.notified();
            tokio::pin!(notified);
            // Register before looking, so an entry added in between wakes us.
            notified.as_mut().enable();
            let page = self.page(cursor);
            if !page.0.is_empty() {
                return page;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return (Vec::new(), cursor);
            }
        }
    }

    fn page(&self, cursor: u64) -> (Vec<JsonValue>, u64) {
        let entries = self.entries.lock();
        let start = entries.partition_point(|e| e.cursor <= cursor);
        let page: Vec<&Entry> = entries.range(start..).take(MAX_PAGE).collect();
        let next = page.last().map_or(cursor, |e| e.cursor);
        (page.into_iter().map(Entry::json).collect(), next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn execution(name: &str) -> Execution {
        Execution {
            identifier: name.to_string(),
            udf_type: "Query",
            request_id: "r".into(),
            log_lines: vec!["[LOG] 'hi'".into()],
            error: None,
            execution_time: Duration::from_millis(2),
            cached: false,
        }
    }

    #[tokio::test]
    async fn cursors_are_unique_and_pages_resume() {
        let logs = FunctionLogs::default();
        for i in 0..5 {
            logs.record(execution(&format!("m:f{i}")));
        }
        let (all, cursor) = logs.after(0, Duration::ZERO).await;
        assert_eq!(all.len(), 5);
        assert_eq!(all[4]["identifier"], "m:f4");
        let (none, same) = logs.after(cursor, Duration::from_millis(10)).await;
        assert!(none.is_empty());
        assert_eq!(same, cursor);
        logs.record(execution("m:g"));
        let (next, later) = logs.after(cursor, Duration::ZERO).await;
        assert_eq!(next.len(), 1);
        assert!(later > cursor);
    }

    #[tokio::test]
    async fn a_poll_wakes_when_an_entry_arrives() {
        let logs = std::sync::Arc::new(FunctionLogs::default());
        let writer = logs.clone();
        let waiter = tokio::spawn(async move { logs.after(0, Duration::from_secs(10)).await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        writer.record(execution("m:late"));
        let (entries, _) = waiter.await.expect("join");
        assert_eq!(entries[0]["identifier"], "m:late");
    }

    #[test]
    fn the_ring_is_bounded() {
        let logs = FunctionLogs::default();
        for _ in 0..CAPACITY + 10 {
            logs.record(execution("m:f"));
        }
        assert_eq!(logs.entries.lock().len(), CAPACITY);
    }
}
