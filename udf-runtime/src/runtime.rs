//! [`Runtime`]: the per-worker-thread entry point. Owns one QuickJS engine
//! and a pool of warm contexts per module set, and runs executions in warm
//! or strict mode.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use crate::config::RuntimeConfig;
use crate::driver;
use crate::engine::context::JsContext;
use crate::engine::Engine;
use crate::error::{ExecuteError, JsError};
use crate::host::Host;
use crate::module_set::ModuleSet;
use crate::path::FunctionPath;
use crate::request::{ContextMode, ExecuteOutcome, ExecuteRequest};

/// Runs Convex functions. Not `Send`: create one per worker thread (the
/// [`ModuleSet`]s it runs are shared between threads).
///
/// [`Runtime::execute`] may be re-entered from [`Host::run_function`] (for
/// nested calls); other host methods must not re-enter it.
pub struct Runtime {
    config: RuntimeConfig,
    pool: RefCell<HashMap<u64, Vec<JsContext>>>,
    // Declared last: contexts (in `pool`) are dropped before the engine.
    engine: Engine,
}

impl Runtime {
    /// Creates a runtime (one QuickJS runtime) with the given limits.
    pub fn new(config: RuntimeConfig) -> Result<Runtime, String> {
        let engine = Engine::new(&config)?;
        Ok(Runtime {
            config,
            pool: RefCell::new(HashMap::new()),
            engine,
        })
    }

    pub fn config(&self) -> &RuntimeConfig {
        &self.config
    }

    /// Bytes the QuickJS heap of this runtime currently holds.
    pub fn heap_size(&self) -> usize {
        self.engine.alloc.used()
    }

    /// Number of warm contexts pooled for a module set.
    pub fn warm_contexts(&self, module_set: &ModuleSet) -> usize {
        self.pool.borrow().get(&module_set.id()).map_or(0, Vec::len)
    }

    /// Drops the warm contexts of a module set (e.g. after a new push).
    pub fn evict(&self, module_set: &ModuleSet) {
        let removed = self.pool.borrow_mut().remove(&module_set.id());
        drop(removed);
    }

    /// A fresh context with Basalt's globals for `module_set` (no module
    /// imported yet).
    pub(crate) fn new_context(
        &self,
        module_set: &Arc<ModuleSet>,
    ) -> Result<JsContext, ExecuteError> {
        let created = self.with_memory_budget(|| JsContext::create(&self.engine, module_set));
        created.map_err(|e| ExecuteError::System(format!("creating a JavaScript context: {e}")))
    }

    /// Runs `f` with the heap allowed to grow by the configured memory limit
    /// over what it holds now (nested executions get their own budget on
    /// top), then restores the previous limit.
    fn with_memory_budget<R>(&self, f: impl FnOnce() -> R) -> R {
        let alloc = &self.engine.alloc;
        let previous = alloc.limit();
        alloc.set_limit(alloc.used().saturating_add(self.config.memory_limit));
        let result = f();
        alloc.set_limit(previous);
        result
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    fn take_pooled(&self, module_set: &ModuleSet) -> Option<JsContext> {
        self.pool.borrow_mut().get_mut(&module_set.id())?.pop()
    }

    fn give_back(&self, context: JsContext) {
        let mut pool = self.pool.borrow_mut();
        let list = pool.entry(context.module_set.id()).or_default();
        if list.len() < self.config.warm_contexts_per_module_set {
            list.push(context);
        }
    }

    /// Creates a context, evaluates `modules` in it (with the push's
    /// import-phase clock) and pools it, so later warm executions skip
    /// module loading. Returns the module's error if one fails to load.
    pub fn prewarm(
        &self,
        module_set: &Arc<ModuleSet>,
        modules: &[&str],
    ) -> Result<(), ExecuteError> {
        let mut context = self.new_context(module_set)?;
        let loaded = self.with_memory_budget(|| {
            let deadline = std::time::Instant::now() + self.config.query_timeout;
            let _entered = self.engine.enter(module_set, Some(deadline));
            let js = context.context.clone();
            js.with(|ctx| {
                let phase = module_set.import_phase();
                driver::reset_clock(
                    &ctx,
                    &context,
                    &phase.rng_seed,
                    phase.unix_timestamp_ms,
                    true,
                )
                .map_err(|e| driver::caught_error(&ctx, &context, e))?;
                for module in modules {
                    if let Err(e) = context.namespace(&ctx, module) {
                        return Err(driver::caught_error(&ctx, &context, e));
                    }
                }
                Ok(())
            })
        });
        if self.engine.take_interrupted() {
            return Err(ExecuteError::Js(JsError::from_message(
                "Function execution timed out while loading modules",
            )));
        }
        loaded.map_err(ExecuteError::Js)?;
        self.give_back(context);
        Ok(())
    }

    /// Runs one function. Never panics on bad input: every failure is in the
    /// outcome's `result`.
    pub fn execute(
        &self,
        module_set: &Arc<ModuleSet>,
        request: &ExecuteRequest,
        host: &mut dyn Host,
    ) -> ExecuteOutcome {
        let fail = |e: ExecuteError| ExecuteOutcome {
            result: Err(e),
            log_lines: Vec::new(),
        };
        let path = match FunctionPath::parse(&request.path) {
            Ok(p) => p,
            Err(message) => return fail(ExecuteError::Js(JsError::from_message(message))),
        };
        if !module_set.contains(&path.module) || path.module.starts_with("_deps/") {
            return fail(ExecuteError::Js(JsError::from_message(format!(
                "Could not find public function for '{}'. Did you forget to run `npx convex dev` or `npx convex deploy`?",
                path.stripped()
            ))));
        }
        let pooled = match request.mode {
            ContextMode::Warm => true,
            ContextMode::Strict => module_set.reuse_context(&path.module) == Some(true),
        };
        let context = if pooled {
            self.take_pooled(module_set)
        } else {
            None
        };
        let mut context = match context {
            Some(c) => c,
            None => match self.new_context(module_set) {
                Ok(c) => c,
                Err(e) => return fail(e),
            },
        };

        let heap_before = self.engine.alloc.used();
        let outcome = self.with_memory_budget(|| {
            driver::run(
                &self.engine,
                &self.config,
                &mut context,
                request,
                &path,
                host,
            )
        });
        let log_lines = context.shared.logs.borrow_mut().take();

        let keep = outcome.reusable
            && context.executions < self.config.max_executions_per_context
            && self.engine.alloc.used()
                < heap_before.saturating_add(self.config.max_context_heap_growth)
            && match request.mode {
                ContextMode::Warm => true,
                ContextMode::Strict => module_set.reuse_context(&path.module) == Some(true),
            };
        if keep {
            self.give_back(context);
        }
        ExecuteOutcome {
            result: outcome.result,
            log_lines,
        }
    }
}
