//! Module resolution and loading for `convex:/<path>` specifiers: relative
//! imports (`./_deps/X.js`, `../a.js`) resolve against the importing module;
//! modules load from the bytecode of the module set being executed.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use rquickjs::loader::{ImportAttributes, Loader, Resolver};
use rquickjs::{Ctx, Error, Module, Result};

use crate::globals::{builtin_bytecode, BUILTIN_SCHEME};
use crate::module_set::{ModuleSet, MODULE_SCHEME};

/// The module set whose modules the loader serves; set by the engine each
/// time it enters a context.
pub(crate) type CurrentModules = Rc<RefCell<Option<Arc<ModuleSet>>>>;

/// Joins `name` onto the directory of `base` and normalises `.`/`..`.
pub(crate) fn resolve_specifier(base: &str, name: &str) -> Option<String> {
    if name.starts_with(BUILTIN_SCHEME) {
        return Some(name.to_string());
    }
    let path = if let Some(absolute) = name.strip_prefix(MODULE_SCHEME) {
        absolute.to_string()
    } else if name.starts_with("./") || name.starts_with("../") {
        let base_path = base.strip_prefix(MODULE_SCHEME).unwrap_or("");
        let dir = match base_path.rfind('/') {
            Some(i) => &base_path[..i],
            None => "",
        };
        format!("{dir}/{name}")
    } else {
        return None;
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return None;
    }
    Some(format!("{MODULE_SCHEME}{}", parts.join("/")))
}

pub(crate) struct ConvexResolver;

impl Resolver for ConvexResolver {
    fn resolve<'js>(
        &mut self,
        _ctx: &Ctx<'js>,
        base: &str,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> Result<String> {
        resolve_specifier(base, name).ok_or_else(|| Error::new_resolving(base, name))
    }
}

pub(crate) struct ConvexLoader {
    pub(crate) current: CurrentModules,
}

impl Loader for ConvexLoader {
    fn load<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> Result<Module<'js>> {
        if name.starts_with(BUILTIN_SCHEME) {
            let bytecode =
                builtin_bytecode(name).map_err(|e| Error::new_loading_message(name, e))?;
            // SAFETY: produced by `Module::write` of this QuickJS build.
            return unsafe { Module::load(ctx.clone(), bytecode) };
        }
        let set = self.current.borrow().clone();
        let set = set.ok_or_else(|| Error::new_loading_message(name, "no module set"))?;
        let path = name
            .strip_prefix(MODULE_SCHEME)
            .ok_or_else(|| Error::new_loading(name))?;
        let bytecode = set
            .bytecode(path)
            .ok_or_else(|| Error::new_loading_message(name, "module not found"))?;
        // SAFETY: the bytes were produced by `Module::write` of this same
        // QuickJS build in `ModuleSet::compile`, and are never modified.
        unsafe { Module::load(ctx.clone(), bytecode) }
    }
}

/// Loader used while compiling: QuickJS resolves (loads) every import when a
/// module is compiled, but bytecode only records import names, so each
/// dependency is satisfied by an empty placeholder module.
pub(crate) struct PlaceholderLoader;

impl Loader for PlaceholderLoader {
    fn load<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> Result<Module<'js>> {
        Module::declare(ctx.clone(), name, "")
    }
}

/// Compiles ES module source to bytecode on `runtime` (which must use
/// [`PlaceholderLoader`]), in a fresh context so placeholders never collide
/// with real modules.
/// `strip_source` drops the source text (so `Function.prototype.toString`
/// shows no code): used for Basalt's own modules, never for user code.
pub(crate) fn compile_module(
    runtime: &rquickjs::Runtime,
    specifier: &str,
    source: &str,
    strip_source: bool,
) -> std::result::Result<Vec<u8>, String> {
    let context = rquickjs::Context::full(runtime).map_err(|e| e.to_string())?;
    context.with(|ctx| {
        Module::declare(ctx.clone(), specifier, source)
            .and_then(|m| {
                m.write(rquickjs::WriteOptions {
                    strip_source,
                    ..Default::default()
                })
            })
            .map_err(|e| super::exception_text(&ctx, e))
    })
}

/// A runtime for [`compile_module`].
pub(crate) fn compile_runtime() -> std::result::Result<rquickjs::Runtime, String> {
    let runtime = rquickjs::Runtime::new().map_err(|e| e.to_string())?;
    runtime.set_loader(ConvexResolver, PlaceholderLoader);
    Ok(runtime)
}

#[cfg(test)]
mod tests {
    use super::resolve_specifier;

    #[test]
    fn resolves_relative_and_absolute() {
        let r = |b, n| resolve_specifier(b, n);
        assert_eq!(
            r("convex:/messages.js", "./_deps/A.js").as_deref(),
            Some("convex:/_deps/A.js")
        );
        assert_eq!(
            r("convex:/dir/m.js", "../_deps/A.js").as_deref(),
            Some("convex:/_deps/A.js")
        );
        assert_eq!(
            r("convex:/_deps/A.js", "./B.js").as_deref(),
            Some("convex:/_deps/B.js")
        );
        assert_eq!(r("", "convex:/a/./b.js").as_deref(), Some("convex:/a/b.js"));
        assert_eq!(r("convex:/m.js", "../../x.js"), None);
        assert_eq!(r("convex:/m.js", "react"), None);
    }
}
