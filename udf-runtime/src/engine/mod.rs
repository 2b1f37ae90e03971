//! The QuickJS engine of one worker thread: the rquickjs runtime with its
//! module loader, CPU-time interrupt, memory accounting and stack limit, and
//! the contexts created on it.

mod alloc;
pub(crate) mod context;
mod loader;

pub(crate) use loader::{compile_module, compile_runtime};

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use rquickjs::{Ctx, Value};

use crate::config::RuntimeConfig;
use crate::module_set::ModuleSet;
use alloc::{AllocState, CountingAllocator};
use loader::{ConvexLoader, ConvexResolver, CurrentModules};

/// One QuickJS runtime plus the state its callbacks consult.
pub(crate) struct Engine {
    pub(crate) rt: rquickjs::Runtime,
    current: CurrentModules,
    pub(crate) alloc: Rc<AllocState>,
    deadline: Rc<Cell<Option<Instant>>>,
    interrupted: Rc<Cell<bool>>,
}

/// Restores the engine's module set and deadline when JavaScript is left.
pub(crate) struct EnterGuard<'a> {
    engine: &'a Engine,
    previous_modules: Option<Arc<ModuleSet>>,
    previous_deadline: Option<Instant>,
}

impl Drop for EnterGuard<'_> {
    fn drop(&mut self) {
        *self.engine.current.borrow_mut() = self.previous_modules.take();
        self.engine.deadline.set(self.previous_deadline);
    }
}

impl Engine {
    pub(crate) fn new(config: &RuntimeConfig) -> Result<Engine, String> {
        let alloc = AllocState::new();
        let rt = rquickjs::Runtime::new_with_alloc(CountingAllocator::new(alloc.clone()))
            .map_err(|e| e.to_string())?;
        rt.set_max_stack_size(config.max_stack_size);
        let current: CurrentModules = Rc::new(RefCell::new(None));
        rt.set_loader(
            ConvexResolver,
            ConvexLoader {
                current: current.clone(),
            },
        );
        let deadline: Rc<Cell<Option<Instant>>> = Rc::new(Cell::new(None));
        let interrupted = Rc::new(Cell::new(false));
        let (d, i) = (deadline.clone(), interrupted.clone());
        rt.set_interrupt_handler(Some(Box::new(move || match d.get() {
            Some(deadline) if Instant::now() >= deadline => {
                i.set(true);
                true
            }
            _ => false,
        })));
        Ok(Engine {
            rt,
            current,
            alloc,
            deadline,
            interrupted,
        })
    }

    /// Makes `modules` the loader's module set and arms the CPU deadline
    /// until the guard drops.
    pub(crate) fn enter(
        &self,
        modules: &Arc<ModuleSet>,
        deadline: Option<Instant>,
    ) -> EnterGuard<'_> {
        let previous_modules = self.current.borrow_mut().replace(modules.clone());
        let previous_deadline = self.deadline.replace(deadline);
        EnterGuard {
            engine: self,
            previous_modules,
            previous_deadline,
        }
    }

    /// Whether the interrupt handler has stopped JavaScript (not cleared).
    pub(crate) fn is_interrupted(&self) -> bool {
        self.interrupted.get()
    }

    /// Whether the interrupt handler stopped JavaScript since the last call.
    pub(crate) fn take_interrupted(&self) -> bool {
        self.interrupted.replace(false)
    }
}

/// Renders a caught exception (or an rquickjs error) as text.
pub(crate) fn exception_text(ctx: &Ctx<'_>, error: rquickjs::Error) -> String {
    if !error.is_exception() {
        return error.to_string();
    }
    value_text(&ctx.catch())
}

/// `name: message` plus stack for errors; a string form for other values.
pub(crate) fn value_text(value: &Value<'_>) -> String {
    if let Some(object) = value.as_object() {
        let message: Option<String> = object.get("message").ok();
        if let Some(message) = message {
            let name: String = object.get("name").unwrap_or_else(|_| "Error".to_string());
            let stack: String = object.get("stack").unwrap_or_default();
            return format!("{name}: {message}\n{stack}").trim_end().to_string();
        }
    }
    if let Some(s) = value.as_string() {
        return s.to_string().unwrap_or_default();
    }
    format!("{value:?}")
}
