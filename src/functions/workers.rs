//! A fixed pool of worker threads, each owning one JavaScript [`Runtime`]
//! (QuickJS runtimes are single-threaded). Async handlers submit closures and
//! await their result; a full queue is reported as overload, never a hang.

use std::thread::JoinHandle;

use crossbeam_channel::{Sender, TrySendError};
use udf_runtime::{Runtime, RuntimeConfig};

type Job = Box<dyn FnOnce(&Runtime) + Send>;

/// Why a job could not run.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("Too many function executions are queued; try again shortly")]
    Overloaded,
    #[error("The function workers have stopped")]
    Stopped,
}

pub struct Workers {
    sender: Option<Sender<Job>>,
    threads: Vec<JoinHandle<()>>,
}

/// Stack of each worker thread: larger than QuickJS's own stack limit.
const WORKER_STACK: usize = 8 << 20;

impl Workers {
    /// Starts `count` workers; at most `queue` jobs wait for a free worker.
    pub fn start(count: usize, queue: usize, config: RuntimeConfig) -> std::io::Result<Self> {
        let (sender, receiver) = crossbeam_channel::bounded::<Job>(queue.max(1));
        let mut threads = Vec::with_capacity(count);
        for n in 0..count.max(1) {
            let receiver = receiver.clone();
            let config = config.clone();
            let handle = std::thread::Builder::new()
                .name(format!("basalt-js-{n}"))
                .stack_size(WORKER_STACK)
                .spawn(move || {
                    let runtime = match Runtime::new(config) {
                        Ok(r) => r,
                        Err(e) => {
                            tracing::error!(error = %e, "cannot start a JavaScript runtime");
                            return;
                        }
                    };
                    for job in receiver {
                        job(&runtime);
                    }
                })?;
            threads.push(handle);
        }
        Ok(Self {
            sender: Some(sender),
            threads,
        })
    }

    /// Runs `f` on a worker and returns its result.
    pub async fn run<T, F>(&self, f: F) -> Result<T, WorkerError>
    where
        T: Send + 'static,
        F: FnOnce(&Runtime) -> T + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |runtime| {
            let _ = tx.send(f(runtime));
        });
        let sender = self.sender.as_ref().ok_or(WorkerError::Stopped)?;
        match sender.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(WorkerError::Overloaded),
            Err(TrySendError::Disconnected(_)) => return Err(WorkerError::Stopped),
        }
        rx.await.map_err(|_| WorkerError::Stopped)
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.sender.take();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
