//! Push-time analysis (`convex-protocol.md` §3.6): evaluates every module
//! once and lists its registered functions (type, visibility, validators,
//! source position), the HTTP routes of `http.js`, the cron specs of
//! `crons.js`, the schema of `schema.js` and the `auth.config.js` providers.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rquickjs::{Ctx, Function, Object, Value};
use serde::Serialize;
use serde_json::Value as JsonValue;

use crate::engine::context::{hook, JsContext};
use crate::error::JsError;
use crate::host::UdfType;
use crate::module_set::ModuleSet;
use crate::runtime::Runtime;

/// How long module evaluation may run during analysis.
const ANALYZE_TIMEOUT: Duration = Duration::from_secs(10);

/// `{kind: "public" | "internal"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Visibility {
    Public,
    Internal,
}

/// Where a function's handler is defined (source-mapped when possible).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourcePosition {
    pub path: String,
    pub line: u32,
    pub column: u32,
}

/// One registered function.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalyzedFunction {
    pub name: String,
    #[serde(serialize_with = "ser_udf_type")]
    pub udf_type: UdfType,
    pub visibility: Option<Visibility>,
    /// `exportArgs()` JSON text.
    pub args: String,
    /// `exportReturns()` JSON text.
    pub returns: String,
    pub pos: Option<SourcePosition>,
}

fn ser_udf_type<S: serde::Serializer>(t: &UdfType, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(t.as_str())
}

/// One route of the `http.js` router.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HttpRoute {
    /// Exact path, or a prefix ending in `*`.
    pub path: String,
    pub method: String,
}

/// What one module registers.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnalyzedModule {
    pub functions: Vec<AnalyzedFunction>,
    pub http_routes: Option<Vec<HttpRoute>>,
    /// `crons.export()` parsed: `{identifier: {name, args, schedule}}`.
    pub cron_specs: Option<JsonValue>,
}

/// The analysis of a whole push.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Analysis {
    /// Per module path (`messages.js`), excluding `_deps/`, `schema.js` and
    /// `auth.config.js`.
    pub modules: BTreeMap<String, AnalyzedModule>,
    /// `schema.js` `default.export()` parsed (§4.5).
    pub schema: Option<JsonValue>,
    /// `auth.config.js` default export (`{providers: […]}`).
    pub auth_config: Option<JsonValue>,
}

/// Why analysis failed: the module and its error.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("Failed to analyze {path}: {error}")]
pub struct AnalyzeError {
    pub path: String,
    pub error: JsError,
}

/// The start of the error `auth.config.js` throws when it reads an
/// environment variable that is not set (see `basalt:setup`).
const MISSING_AUTH_ENV: &str = "Uncaught Error: Environment variable ";

impl AnalyzeError {
    /// For `auth.config.js` reading an unset environment variable: Convex's
    /// message, `Environment variable X is used in auth config file but its
    /// value was not set`.
    pub fn missing_auth_environment_variable(&self) -> Option<&str> {
        if self.path != AUTH_CONFIG || !self.error.message.starts_with(MISSING_AUTH_ENV) {
            return None;
        }
        self.error.message.strip_prefix("Uncaught Error: ")
    }
}

fn flag(obj: &Object<'_>, name: &str) -> bool {
    obj.get::<_, Value>(name)
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

fn call_string(obj: &Object<'_>, name: &str) -> rquickjs::Result<String> {
    let f: Function = obj.get(name)?;
    f.call((rquickjs::function::This(obj.clone()),))
}

fn position(module_set: &ModuleSet, handler: &Object<'_>) -> Option<SourcePosition> {
    let file: String = handler.get("fileName").ok()?;
    let line: u32 = handler.get("lineNumber").ok()?;
    let column: u32 = handler.get("columnNumber").ok()?;
    match module_set
        .source_map_for_specifier(&file)
        .and_then(|sm| sm.lookup(line, column))
    {
        Some(pos) => Some(SourcePosition {
            path: pos.source,
            line: pos.line,
            column: pos.column,
        }),
        None => Some(SourcePosition {
            path: file,
            line,
            column,
        }),
    }
}

fn analyze_export(
    module_set: &ModuleSet,
    name: &str,
    export: &Object<'_>,
) -> rquickjs::Result<Option<AnalyzedFunction>> {
    let udf_type = if flag(export, "isQuery") {
        UdfType::Query
    } else if flag(export, "isMutation") {
        UdfType::Mutation
    } else if flag(export, "isAction") {
        UdfType::Action
    } else {
        return Ok(None);
    };
    let visibility = if flag(export, "isPublic") {
        Some(Visibility::Public)
    } else if flag(export, "isInternal") {
        Some(Visibility::Internal)
    } else {
        None
    };
    let pos = export
        .get::<_, Object>("_handler")
        .ok()
        .and_then(|h| position(module_set, &h));
    Ok(Some(AnalyzedFunction {
        name: name.to_string(),
        udf_type,
        visibility,
        args: call_string(export, "exportArgs")?,
        returns: call_string(export, "exportReturns")?,
        pos,
    }))
}

fn analyze_module(
    ctx: &Ctx<'_>,
    jsctx: &mut JsContext,
    path: &str,
) -> rquickjs::Result<AnalyzedModule> {
    let namespace = jsctx.namespace(ctx, path)?;
    let mut module = AnalyzedModule::default();
    let names: Vec<String> = namespace
        .keys::<String>()
        .collect::<rquickjs::Result<_>>()?;
    for name in names {
        let value: Value = namespace.get(name.as_str())?;
        let Some(export) = value.as_object() else {
            continue;
        };
        if let Some(function) = analyze_export(&jsctx.module_set, &name, export)? {
            module.functions.push(function);
        }
        if name == "default" && path == "http.js" && flag(export, "isRouter") {
            let routes: Vec<Value> = export.get::<_, Function>("getRoutes")?.call(())?;
            let mut out = Vec::new();
            for route in routes {
                if let Some(items) = route.as_array() {
                    out.push(HttpRoute {
                        path: items.get(0)?,
                        method: items.get(1)?,
                    });
                }
            }
            module.http_routes = Some(out);
        }
        if name == "default" && path == "crons.js" && flag(export, "isCrons") {
            let text = call_string(export, "export")?;
            module.cron_specs = serde_json::from_str(&text).ok();
        }
    }
    Ok(module)
}

fn default_json(
    ctx: &Ctx<'_>,
    jsctx: &mut JsContext,
    path: &str,
    export_method: bool,
) -> rquickjs::Result<Option<JsonValue>> {
    let namespace = jsctx.namespace(ctx, path)?;
    let value: Value = namespace.get("default")?;
    let text: Option<String> = if export_method {
        match value.as_object() {
            Some(obj) => Some(call_string(obj, "export")?),
            None => None,
        }
    } else {
        ctx.json_stringify(value)?
            .map(|s| s.to_string())
            .transpose()?
    };
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

/// Builds the error of a module that failed in the import phase.
type Fail<'a> = &'a dyn Fn(&str, &JsContext, rquickjs::Error) -> AnalyzeError;

/// Evaluates `auth.config.js` and returns its default export; reading an
/// environment variable that is not set throws instead of giving undefined.
fn auth_config_json(
    ctx: &Ctx<'_>,
    jsctx: &mut JsContext,
    fail: Fail<'_>,
) -> Result<Option<JsonValue>, AnalyzeError> {
    let path = AUTH_CONFIG;
    let strict = hook(ctx, &jsctx.hooks.set_strict_env).and_then(|f| f.call::<_, ()>((true,)));
    let evaluated = strict
        .and_then(|()| default_json(ctx, jsctx, path, false))
        .map_err(|e| fail(path, jsctx, e));
    hook(ctx, &jsctx.hooks.set_strict_env)
        .and_then(|f| f.call::<_, ()>((false,)))
        .map_err(|e| fail(path, jsctx, e))?;
    evaluated
}

/// The module holding the deployment's auth providers.
const AUTH_CONFIG: &str = "auth.config.js";

impl Runtime {
    /// Evaluates every module of `module_set` (with `env` as `process.env`)
    /// and describes what it registers.
    pub fn analyze(
        &self,
        module_set: &Arc<ModuleSet>,
        env: &Arc<BTreeMap<String, String>>,
    ) -> Result<Analysis, AnalyzeError> {
        let paths: BTreeSet<String> = module_set.paths().map(str::to_string).collect();
        self.in_import_phase(module_set, env, |ctx, jsctx, fail| {
            let mut analysis = Analysis::default();
            for path in &paths {
                match path.as_str() {
                    p if p.starts_with("_deps/") => {}
                    "schema.js" => {
                        analysis.schema = default_json(ctx, jsctx, path, true)
                            .map_err(|e| fail(path, jsctx, e))?;
                    }
                    AUTH_CONFIG => analysis.auth_config = auth_config_json(ctx, jsctx, fail)?,
                    _ => {
                        let module =
                            analyze_module(ctx, jsctx, path).map_err(|e| fail(path, jsctx, e))?;
                        analysis.modules.insert(path.clone(), module);
                    }
                }
            }
            Ok(analysis)
        })
    }

    /// Evaluates only `auth.config.js` (`None` without one) with `env` as
    /// `process.env`: what a change of environment variables does to the
    /// auth providers.
    pub fn evaluate_auth_config(
        &self,
        module_set: &Arc<ModuleSet>,
        env: &Arc<BTreeMap<String, String>>,
    ) -> Result<Option<JsonValue>, AnalyzeError> {
        if !module_set.contains(AUTH_CONFIG) {
            return Ok(None);
        }
        self.in_import_phase(module_set, env, |ctx, jsctx, fail| {
            auth_config_json(ctx, jsctx, fail)
        })
    }

    /// Runs `f` in a fresh context set up as for a push: `env` installed,
    /// the push's seeded randomness and clock, the analysis time limit.
    fn in_import_phase<T>(
        &self,
        module_set: &Arc<ModuleSet>,
        env: &Arc<BTreeMap<String, String>>,
        f: impl FnOnce(&Ctx<'_>, &mut JsContext, Fail<'_>) -> Result<T, AnalyzeError>,
    ) -> Result<T, AnalyzeError> {
        let engine_error = |message: String| AnalyzeError {
            path: String::new(),
            error: JsError::from_message(message),
        };
        let mut jsctx = self
            .new_context(module_set)
            .map_err(|e| engine_error(e.to_string()))?;
        let engine = self.engine();
        let limit = engine.alloc.limit();
        engine.alloc.set_limit(
            engine
                .alloc
                .used()
                .saturating_add(self.config().memory_limit),
        );
        let _entered = engine.enter(module_set, Some(Instant::now() + ANALYZE_TIMEOUT));
        let context = jsctx.context.clone();
        let result = context.with(|ctx| {
            let fail = |path: &str, jsctx: &JsContext, e: rquickjs::Error| AnalyzeError {
                path: path.to_string(),
                error: crate::driver::caught_error(&ctx, jsctx, e),
            };
            jsctx.set_env(&ctx, env).map_err(|e| fail("", &jsctx, e))?;
            let phase = module_set.import_phase();
            crate::driver::reset_clock(
                &ctx,
                &jsctx,
                &phase.rng_seed,
                phase.unix_timestamp_ms,
                true,
            )
            .map_err(|e| fail("", &jsctx, e))?;
            let result = f(&ctx, &mut jsctx, &fail);
            let _ = hook(&ctx, &jsctx.hooks.clear_timers).and_then(|f| f.call::<_, ()>(()));
            result
        });
        engine.alloc.set_limit(limit);
        if engine.take_interrupted() {
            return Err(engine_error(
                "Module evaluation timed out during analysis".into(),
            ));
        }
        result
    }
}

/// Analyzes a module set on a temporary runtime with default limits.
pub fn analyze(
    module_set: &Arc<ModuleSet>,
    env: &Arc<BTreeMap<String, String>>,
) -> Result<Analysis, AnalyzeError> {
    let runtime =
        Runtime::new(crate::config::RuntimeConfig::default()).map_err(|e| AnalyzeError {
            path: String::new(),
            error: JsError::from_message(e),
        })?;
    runtime.analyze(module_set, env)
}
