//! Per-context state shared between the driver and the Rust functions that
//! JavaScript calls: the host of the running execution, the queue of async
//! syscalls, the log buffer and what the execution is.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::ptr::NonNull;

use serde_json::Value as JsonValue;

use crate::host::{Host, UdfType};

/// At most this many log lines per execution (Convex's limit).
pub const MAX_LOG_LINES: usize = 256;
/// Longest log line in bytes before truncation.
pub const MAX_LOG_LINE_LENGTH: usize = 32768;

/// Where the host of the running execution can be reached from JavaScript
/// callbacks. Installed by the driver only while JavaScript runs, and taken
/// out while a callback uses it, so no two `&mut` to the host exist at once.
#[derive(Default)]
pub(crate) struct HostSlot(Cell<Option<NonNull<dyn Host + 'static>>>);

/// Clears (restores) the slot when dropped.
pub(crate) struct HostGuard<'a> {
    slot: &'a HostSlot,
    previous: Option<NonNull<dyn Host + 'static>>,
}

impl HostSlot {
    /// Makes `host` reachable until the guard drops.
    pub(crate) fn install<'a>(&'a self, host: &'a mut dyn Host) -> HostGuard<'a> {
        let ptr: *mut (dyn Host + 'a) = host;
        // SAFETY: only the lifetime is erased. The pointer is used solely
        // through `with`, while the guard (which borrows `host` for 'a) lives;
        // the guard restores the previous value on drop.
        let ptr: *mut (dyn Host + 'static) = unsafe { std::mem::transmute(ptr) };
        let previous = self.0.replace(NonNull::new(ptr));
        HostGuard {
            slot: self,
            previous,
        }
    }

    /// Runs `f` with the installed host; `None` if none is installed (or it
    /// is already in use further up the stack).
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut dyn Host) -> R) -> Option<R> {
        let mut ptr = self.0.take()?;
        // SAFETY: the pointer came from a live `&mut dyn Host` (see
        // `install`), and taking it out of the slot makes this the only use.
        let result = f(unsafe { ptr.as_mut() });
        self.0.set(Some(ptr));
        Some(result)
    }
}

impl Drop for HostGuard<'_> {
    fn drop(&mut self) {
        self.slot.0.set(self.previous.take());
    }
}

/// An async syscall waiting for the driver.
#[derive(Debug)]
pub(crate) struct QueuedSyscall {
    pub(crate) id: u32,
    pub(crate) op: String,
    pub(crate) args: String,
}

/// Log lines of one execution, with Convex's limits.
#[derive(Default, Debug)]
pub(crate) struct LogBuffer {
    pub(crate) lines: Vec<String>,
    overflowed: bool,
}

impl LogBuffer {
    /// Whether the buffer is full; adds the overflow notice the first time.
    fn full(&mut self) -> bool {
        if self.lines.len() < MAX_LOG_LINES {
            return false;
        }
        if !self.overflowed {
            self.overflowed = true;
            self.lines.push(format!(
                "[ERROR] Log overflow (maximum {MAX_LOG_LINES}). Remaining log lines omitted."
            ));
        }
        true
    }

    pub(crate) fn push(&mut self, level: &str, message: &str) {
        if self.full() {
            return;
        }
        let mut line = format!("[{level}] {message}");
        if line.len() > MAX_LOG_LINE_LENGTH {
            let mut end = MAX_LOG_LINE_LENGTH;
            while !line.is_char_boundary(end) {
                end -= 1;
            }
            line.truncate(end);
            line.push_str(" (truncated due to length)");
        }
        self.lines.push(line);
    }

    pub(crate) fn extend(&mut self, lines: Vec<String>) {
        for line in lines {
            if self.full() {
                return;
            }
            self.lines.push(line);
        }
    }

    pub(crate) fn take(&mut self) -> Vec<String> {
        self.overflowed = false;
        std::mem::take(&mut self.lines)
    }
}

/// Module evaluation vs running a function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Import,
    Run,
}

/// What the running execution is, for syscalls answered by the runtime.
#[derive(Debug)]
pub(crate) struct ExecInfo {
    pub(crate) udf_type: UdfType,
    pub(crate) phase: Phase,
    /// `messages:list` form, for `getFunctionMetadata`.
    pub(crate) function_name: String,
    pub(crate) identity: Option<JsonValue>,
    pub(crate) request_id: String,
    pub(crate) request_metadata: Option<JsonValue>,
    pub(crate) deployment_metadata: JsonValue,
    pub(crate) paginated: bool,
}

impl Default for ExecInfo {
    fn default() -> Self {
        ExecInfo {
            udf_type: UdfType::Query,
            phase: Phase::Import,
            function_name: String::new(),
            identity: None,
            request_id: String::new(),
            request_metadata: None,
            deployment_metadata: JsonValue::Null,
            paginated: false,
        }
    }
}

/// Everything the JavaScript-facing Rust functions of one context share.
#[derive(Default)]
pub(crate) struct ExecShared {
    pub(crate) host: HostSlot,
    pub(crate) queue: RefCell<VecDeque<QueuedSyscall>>,
    pub(crate) next_id: Cell<u32>,
    pub(crate) logs: RefCell<LogBuffer>,
    pub(crate) info: RefCell<ExecInfo>,
    /// A host system error seen inside a callback: the execution must fail.
    pub(crate) system_error: RefCell<Option<String>>,
}

impl ExecShared {
    pub(crate) fn log(&self, level: &str, message: &str) {
        self.logs.borrow_mut().push(level, message);
    }

    pub(crate) fn enqueue(&self, op: String, args: String) -> u32 {
        let id = self.next_id.get().wrapping_add(1);
        self.next_id.set(id);
        self.queue
            .borrow_mut()
            .push_back(QueuedSyscall { id, op, args });
        id
    }

    pub(crate) fn record_system_error(&self, message: String) {
        let mut slot = self.system_error.borrow_mut();
        if slot.is_none() {
            *slot = Some(message);
        }
    }

    /// Clears per-execution state before reuse.
    pub(crate) fn reset(&self) {
        self.queue.borrow_mut().clear();
        self.logs.borrow_mut().take();
        *self.system_error.borrow_mut() = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_limits() {
        let mut logs = LogBuffer::default();
        logs.push("LOG", &"x".repeat(MAX_LOG_LINE_LENGTH + 10));
        assert!(logs.lines[0].ends_with(" (truncated due to length)"));
        for _ in 0..MAX_LOG_LINES + 5 {
            logs.push("LOG", "'hi'");
        }
        assert_eq!(logs.lines.len(), MAX_LOG_LINES + 1);
        assert!(logs
            .lines
            .last()
            .expect("test input is valid")
            .contains("Log overflow"));
    }
}
