//! The signals that stop the server: SIGINT (Ctrl-C) or SIGTERM. Handlers are
//! installed before the server announces itself, so a signal sent right after
//! start-up is never lost (nor kills the process with the default action).

use tokio::signal::unix::{signal, Signal, SignalKind};

pub struct ShutdownSignals {
    interrupt: Option<Signal>,
    terminate: Option<Signal>,
}

impl ShutdownSignals {
    /// Installs the handlers; must run inside the tokio runtime. A handler
    /// that cannot be installed is logged and left out.
    pub fn install() -> Self {
        let install = |kind: SignalKind, name: &str| match signal(kind) {
            Ok(stream) => Some(stream),
            Err(error) => {
                tracing::warn!(%error, "cannot listen for {name}");
                None
            }
        };
        Self {
            interrupt: install(SignalKind::interrupt(), "SIGINT"),
            terminate: install(SignalKind::terminate(), "SIGTERM"),
        }
    }

    /// Resolves with the signal's name when SIGINT or SIGTERM arrives.
    pub async fn recv(mut self) -> &'static str {
        async fn next(signal: &mut Option<Signal>) {
            match signal {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        if self.interrupt.is_none() && self.terminate.is_none() {
            tracing::error!("no signal handler installed; stop the server with SIGKILL");
        }
        tokio::select! {
            _ = next(&mut self.interrupt) => "SIGINT",
            _ = next(&mut self.terminate) => "SIGTERM",
        }
    }
}
