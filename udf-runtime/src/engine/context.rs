//! One JavaScript context: the globals installed, the hooks into Basalt's
//! runtime JavaScript, and the namespaces of the modules imported so far.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::sync::Arc;

use rquickjs::{Context, Ctx, Function, Module, Object, Persistent};

use super::{exception_text, Engine};
use crate::globals::{self, Hooks};
use crate::module_set::{ModuleSet, MODULE_SCHEME};
use crate::state::ExecShared;

/// A context with Basalt's globals, bound to one module set.
pub(crate) struct JsContext {
    pub(crate) shared: Rc<ExecShared>,
    pub(crate) hooks: Hooks,
    namespaces: HashMap<String, Persistent<Object<'static>>>,
    env: Option<Arc<BTreeMap<String, String>>>,
    /// Executions run in this context so far.
    pub(crate) executions: u32,
    /// Whether unsettled syscalls and timers were cleared after the last run.
    pub(crate) clean: bool,
    pub(crate) module_set: Arc<ModuleSet>,
    // Declared last: dropped after every `Persistent` above.
    pub(crate) context: Context,
}

impl JsContext {
    pub(crate) fn create(
        engine: &Engine,
        module_set: &Arc<ModuleSet>,
    ) -> Result<JsContext, String> {
        let context = Context::full(&engine.rt).map_err(|e| e.to_string())?;
        let shared = Rc::new(ExecShared::default());
        let _entered = engine.enter(module_set, None);
        let hooks = context
            .with(|ctx| globals::install(&ctx, &shared).map_err(|e| exception_text(&ctx, e)))?;
        Ok(JsContext {
            shared,
            hooks,
            namespaces: HashMap::new(),
            env: None,
            executions: 0,
            clean: true,
            module_set: module_set.clone(),
            context,
        })
    }

    /// Whether `module` was already imported (its top level evaluated).
    pub(crate) fn has_module(&self, module: &str) -> bool {
        self.namespaces.contains_key(module)
    }

    /// The namespace of `module`, importing (evaluating) it on first use.
    pub(crate) fn namespace<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        module: &str,
    ) -> rquickjs::Result<Object<'js>> {
        if let Some(ns) = self.namespaces.get(module) {
            return ns.clone().restore(ctx);
        }
        let namespace: Object =
            Module::import(ctx, format!("{MODULE_SCHEME}{module}"))?.finish()?;
        self.namespaces
            .insert(module.to_string(), Persistent::save(ctx, namespace.clone()));
        Ok(namespace)
    }

    /// Installs `env` as `process.env` unless it is already installed.
    pub(crate) fn set_env(
        &mut self,
        ctx: &Ctx<'_>,
        env: &Arc<BTreeMap<String, String>>,
    ) -> rquickjs::Result<()> {
        if self.env.as_ref().is_some_and(|e| Arc::ptr_eq(e, env)) {
            return Ok(());
        }
        let json = serde_json::to_string(env.as_ref()).unwrap_or_else(|_| "{}".to_string());
        hook(ctx, &self.hooks.set_env)?.call::<_, ()>((json,))?;
        self.env = Some(env.clone());
        Ok(())
    }
}

/// Restores a hook function in `ctx`.
pub(crate) fn hook<'js>(
    ctx: &Ctx<'js>,
    f: &Persistent<Function<'static>>,
) -> rquickjs::Result<Function<'js>> {
    f.clone().restore(ctx)
}
