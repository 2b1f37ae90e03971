//! A deployment's modules, compiled to QuickJS bytecode once per push and
//! shared (read-only) by every worker thread's runtime.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use sha2::Digest;

use crate::sourcemap::SourceMap;
use crate::validator::FunctionValidators;

/// The scheme under which modules are loaded: `convex:/messages.js`.
pub const MODULE_SCHEME: &str = "convex:/";

/// One bundled module as uploaded by the CLI (`ModuleConfig` of a push).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleSource {
    /// Path relative to the functions directory: `messages.js`,
    /// `_deps/ABCD1234.js`, `schema.js`, …
    pub path: String,
    /// ESM source text.
    pub source: String,
    /// The source map JSON text, if uploaded.
    pub source_map: Option<String>,
}

/// The clock and seed module top-level code sees (Convex's `udfConfig`
/// `importPhaseRngSeed` / `importPhaseUnixTimestamp`), fixed per push.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ImportPhase {
    pub rng_seed: [u8; 32],
    pub unix_timestamp_ms: f64,
}

impl ImportPhase {
    /// Seed derived from the module sources; timestamp = now.
    pub fn for_modules(modules: &[ModuleSource]) -> ImportPhase {
        let mut hasher = sha2::Sha256::new();
        for m in modules {
            hasher.update(m.path.as_bytes());
            hasher.update([0]);
            hasher.update(m.source.as_bytes());
            hasher.update([0]);
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as f64)
            .unwrap_or(0.0);
        ImportPhase {
            rng_seed: hasher.finalize().into(),
            unix_timestamp_ms: now,
        }
    }
}

/// Why a module set could not be compiled.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    #[error("Invalid module path {0:?}")]
    InvalidPath(String),
    #[error("Duplicate module path {0:?}")]
    Duplicate(String),
    #[error("Failed to compile {path}: {message}")]
    Syntax { path: String, message: String },
    #[error("JavaScript engine error: {0}")]
    Engine(String),
}

pub(crate) struct CompiledModule {
    pub(crate) bytecode: Vec<u8>,
    pub(crate) source_map: Option<SourceMap>,
}

/// What the runtime learns about a function the first time it runs it.
#[derive(Clone, Debug)]
pub(crate) struct FunctionFacts {
    pub(crate) validators: Arc<FunctionValidators>,
}

/// A compiled set of modules (one push of one deployment).
pub struct ModuleSet {
    id: u64,
    import_phase: ImportPhase,
    modules: HashMap<String, CompiledModule>,
    /// Per `module.js:function`: validators read from `exportArgs()` /
    /// `exportReturns()` on first use.
    facts: Mutex<HashMap<String, FunctionFacts>>,
    /// Per module: whether it exports `experimental_reuseContext = true`.
    reuse_context: Mutex<HashMap<String, bool>>,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn valid_path(path: &str) -> bool {
    !path.is_empty()
        && path.ends_with(".js")
        && !path.starts_with('/')
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
}

impl ModuleSet {
    /// Compiles every module to bytecode (syntax errors surface here) and
    /// parses the source maps.
    pub fn compile(modules: Vec<ModuleSource>) -> Result<Arc<ModuleSet>, CompileError> {
        let import_phase = ImportPhase::for_modules(&modules);
        Self::compile_with(modules, import_phase)
    }

    /// Like [`Self::compile`] with an explicit import-phase clock and seed.
    pub fn compile_with(
        modules: Vec<ModuleSource>,
        import_phase: ImportPhase,
    ) -> Result<Arc<ModuleSet>, CompileError> {
        let runtime = crate::engine::compile_runtime().map_err(CompileError::Engine)?;
        let mut compiled = HashMap::with_capacity(modules.len());
        for module in modules {
            if !valid_path(&module.path) {
                return Err(CompileError::InvalidPath(module.path));
            }
            if compiled.contains_key(&module.path) {
                return Err(CompileError::Duplicate(module.path));
            }
            let specifier = format!("{MODULE_SCHEME}{}", module.path);
            let bytecode =
                crate::engine::compile_module(&runtime, &specifier, &module.source, false)
                    .map_err(|message| CompileError::Syntax {
                        path: module.path.clone(),
                        message,
                    })?;
            // A malformed source map only loses frame mapping, never the module.
            let source_map = module
                .source_map
                .as_deref()
                .and_then(|text| SourceMap::parse(text).ok());
            compiled.insert(
                module.path,
                CompiledModule {
                    bytecode,
                    source_map,
                },
            );
        }
        Ok(Arc::new(ModuleSet {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            import_phase,
            modules: compiled,
            facts: Mutex::new(HashMap::new()),
            reuse_context: Mutex::new(HashMap::new()),
        }))
    }

    /// A process-unique id of this set (keys the warm-context pools).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The import-phase clock and seed.
    pub fn import_phase(&self) -> ImportPhase {
        self.import_phase
    }

    /// Module paths, unordered.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.modules.keys().map(String::as_str)
    }

    /// Whether a module with this path exists.
    pub fn contains(&self, path: &str) -> bool {
        self.modules.contains_key(path)
    }

    /// Total bytecode size, for diagnostics.
    pub fn bytecode_len(&self) -> usize {
        self.modules.values().map(|m| m.bytecode.len()).sum()
    }

    pub(crate) fn bytecode(&self, path: &str) -> Option<&[u8]> {
        self.modules.get(path).map(|m| m.bytecode.as_slice())
    }

    /// The source map of a module specifier (`convex:/messages.js`).
    pub(crate) fn source_map_for_specifier(&self, specifier: &str) -> Option<&SourceMap> {
        let path = specifier.strip_prefix(MODULE_SCHEME)?;
        self.modules.get(path)?.source_map.as_ref()
    }

    pub(crate) fn facts(&self, key: &str) -> Option<FunctionFacts> {
        self.facts.lock().ok()?.get(key).cloned()
    }

    pub(crate) fn remember_facts(&self, key: &str, facts: FunctionFacts) {
        if let Ok(mut map) = self.facts.lock() {
            map.insert(key.to_string(), facts);
        }
    }

    pub(crate) fn reuse_context(&self, module: &str) -> Option<bool> {
        self.reuse_context.lock().ok()?.get(module).copied()
    }

    pub(crate) fn remember_reuse_context(&self, module: &str, reuse: bool) {
        if let Ok(mut map) = self.reuse_context.lock() {
            map.insert(module.to_string(), reuse);
        }
    }
}

impl std::fmt::Debug for ModuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut paths: Vec<_> = self.modules.keys().collect();
        paths.sort();
        f.debug_struct("ModuleSet")
            .field("id", &self.id)
            .field("modules", &paths)
            .finish()
    }
}
