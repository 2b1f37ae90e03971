//! `AppState`: everything a request handler can reach, cloned cheaply into
//! each request. This is the seam where the storage engine and the function
//! runtime plug in.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::admin_key::AdminKey;
use crate::api::executor::FunctionExecutor;
use crate::config::Config;
use crate::deploy::PushSessions;
use crate::deployment::Deployment;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub admin_key: Arc<AdminKey>,
    /// Runs functions (`functions::executor::RuntimeExecutor`).
    pub functions: Arc<dyn FunctionExecutor>,
    /// Bounds how many functions run at once (`--max-concurrent-functions`).
    pub function_slots: Arc<Semaphore>,
    /// The deployment this server hosts: database, workers, active push.
    pub deployment: Arc<Deployment>,
    /// Pushes between `start_push` and `finish_push`.
    pub pushes: Arc<PushSessions>,
}

impl AppState {
    pub fn new(
        config: Config,
        admin_key: AdminKey,
        deployment: Arc<Deployment>,
        functions: Arc<dyn FunctionExecutor>,
    ) -> Self {
        let slots = config.max_concurrent_functions.max(1);
        Self {
            config: Arc::new(config),
            admin_key: Arc::new(admin_key),
            functions,
            function_slots: Arc::new(Semaphore::new(slots)),
            deployment,
            pushes: Arc::new(PushSessions::default()),
        }
    }
}
