//! Runtime configuration: limits, context pooling and deployment metadata.

use std::time::Duration;

use serde_json::{json, Value as JsonValue};

/// What `ctx.meta.getDeploymentMetadata()` returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeploymentMetadata {
    pub name: String,
    pub region: Option<String>,
    pub class: String,
}

impl DeploymentMetadata {
    pub(crate) fn to_json(&self) -> JsonValue {
        json!({ "name": self.name, "region": self.region, "class": self.class })
    }
}

/// Limits and tuning of a [`crate::Runtime`].
#[derive(Clone, Debug)]
pub struct RuntimeConfig {
    /// JavaScript CPU time allowed to a query or mutation (Convex: 1 s).
    pub query_timeout: Duration,
    /// JavaScript CPU time allowed to an action or HTTP action.
    pub action_timeout: Duration,
    /// Heap an execution may allocate on top of what the runtime already
    /// holds (Convex: 64 MiB).
    pub memory_limit: usize,
    /// QuickJS stack limit in bytes; the worker thread's stack must be larger.
    pub max_stack_size: usize,
    /// Warm contexts kept per module set on one runtime.
    pub warm_contexts_per_module_set: usize,
    /// A warm context is discarded after this many executions.
    pub max_executions_per_context: u32,
    /// …or once the runtime's heap grew this much while it was in use.
    pub max_context_heap_growth: usize,
    pub deployment: DeploymentMetadata,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            query_timeout: Duration::from_secs(1),
            action_timeout: Duration::from_secs(600),
            memory_limit: 64 << 20,
            max_stack_size: 512 << 10,
            warm_contexts_per_module_set: 4,
            max_executions_per_context: 10_000,
            max_context_heap_growth: 16 << 20,
            deployment: DeploymentMetadata {
                name: "local".to_string(),
                region: None,
                class: "s16".to_string(),
            },
        }
    }
}
