//! A commit handed to the committer and not yet acknowledged. A thread can
//! block on it ([`PendingCommit::wait`]); async code awaits it, so no thread
//! is parked per in-flight commit while the group's fsync runs.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::error::{Result, StorageError};
use crate::Timestamp;

/// The outcome of a commit: its timestamp once durable, or why it failed.
#[must_use = "a commit is only known durable once its outcome is read"]
pub struct PendingCommit(State);

enum State {
    /// Decided without the committer (read-only, or it could not be sent).
    /// Taken when polled to completion.
    Ready(Option<Result<Timestamp>>),
    Waiting(oneshot::Receiver<Result<Timestamp>>),
}

impl PendingCommit {
    pub(crate) fn ready(outcome: Result<Timestamp>) -> Self {
        Self(State::Ready(Some(outcome)))
    }

    pub(crate) fn waiting(reply: oneshot::Receiver<Result<Timestamp>>) -> Self {
        Self(State::Waiting(reply))
    }

    /// Blocks this thread until the committer answered.
    pub fn wait(self) -> Result<Timestamp> {
        match self.0 {
            State::Ready(outcome) => outcome.unwrap_or(Err(StorageError::ShutDown)),
            // A dropped reply means the committer stopped before answering.
            State::Waiting(reply) => reply.recv().unwrap_or(Err(StorageError::ShutDown)),
        }
    }
}

impl Future for PendingCommit {
    type Output = Result<Timestamp>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.0 {
            State::Ready(outcome) => {
                Poll::Ready(outcome.take().unwrap_or(Err(StorageError::ShutDown)))
            }
            State::Waiting(reply) => Pin::new(reply)
                .poll(cx)
                .map(|r| r.unwrap_or(Err(StorageError::ShutDown))),
        }
    }
}
