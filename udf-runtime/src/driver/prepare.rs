//! Finding and checking the function to run (module import, export lookup,
//! type and visibility checks, validators read on first use) and invoking it.

use std::sync::Arc;

use rquickjs::{Ctx, Function, Object, Persistent, Promise, Value};

use super::js::{caught, drain, reset_clock};
use crate::engine::context::JsContext;
use crate::engine::Engine;
use crate::error::JsError;
use crate::host::UdfType;
use crate::module_set::FunctionFacts;
use crate::path::FunctionPath;
use crate::request::ExecuteRequest;
use crate::state::Phase;
use crate::validator::FunctionValidators;

fn not_found(path: &FunctionPath) -> JsError {
    JsError::from_message(format!(
        "Could not find public function for '{}'. Did you forget to run `npx convex dev` or `npx convex deploy`?",
        path.stripped()
    ))
}

fn flag(obj: &Object<'_>, name: &str) -> bool {
    obj.get::<_, Value>(name)
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

/// Imports the module and resolves the export; `Err` is a user-visible error
/// raised before any user function code ran (`bool`: whether JS was run).
pub(super) fn prepare(
    ctx: &Ctx<'_>,
    jsctx: &mut JsContext,
    req: &ExecuteRequest,
    path: &FunctionPath,
) -> Result<(Persistent<Object<'static>>, FunctionFacts), (JsError, bool)> {
    let shared = jsctx.shared.clone();
    jsctx
        .set_env(ctx, &req.env)
        .map_err(|e| (caught(ctx, jsctx, e), true))?;
    if !jsctx.has_module(&path.module) {
        let phase = jsctx.module_set.import_phase();
        shared.info.borrow_mut().phase = Phase::Import;
        reset_clock(ctx, jsctx, &phase.rng_seed, phase.unix_timestamp_ms, true)
            .map_err(|e| (caught(ctx, jsctx, e), true))?;
        let namespace = jsctx.namespace(ctx, &path.module);
        let namespace = namespace.map_err(|e| (caught(ctx, jsctx, e), true))?;
        if jsctx.module_set.reuse_context(&path.module).is_none() {
            let reuse = namespace
                .get::<_, Value>("experimental_reuseContext")
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            jsctx.module_set.remember_reuse_context(&path.module, reuse);
        }
    }
    let frozen = !matches!(req.udf_type, UdfType::Action | UdfType::HttpAction);
    reset_clock(ctx, jsctx, &req.rng_seed, req.now_ms, frozen)
        .map_err(|e| (caught(ctx, jsctx, e), true))?;
    shared.info.borrow_mut().phase = Phase::Run;
    let namespace = jsctx
        .namespace(ctx, &path.module)
        .map_err(|e| (caught(ctx, jsctx, e), true))?;
    let export: Value = namespace
        .get(path.function.as_str())
        .unwrap_or_else(|_| Value::new_undefined(ctx.clone()));
    let Some(function) = export.as_object().cloned() else {
        return Err((not_found(path), false));
    };
    if req.udf_type == UdfType::HttpAction {
        if !flag(&function, "isRouter") {
            return Err((
                JsError::from_message(format!(
                    "The default export of {} is not a Router. Use `httpRouter()` from `convex/server`.",
                    path.module
                )),
                false,
            ));
        }
        let facts = FunctionFacts {
            validators: Arc::new(FunctionValidators::default()),
        };
        return Ok((Persistent::save(ctx, function), facts));
    }
    let defined = if flag(&function, "isQuery") {
        UdfType::Query
    } else if flag(&function, "isMutation") {
        UdfType::Mutation
    } else if flag(&function, "isAction") {
        UdfType::Action
    } else if flag(&function, "isHttp") {
        UdfType::HttpAction
    } else {
        return Err((not_found(path), false));
    };
    if !req.allow_internal && flag(&function, "isInternal") {
        return Err((not_found(path), false));
    }
    if defined != req.udf_type {
        return Err((
            JsError::from_message(format!(
                "Trying to execute {} as {}, but it is defined as {}.",
                path.canonical(),
                req.udf_type,
                defined
            )),
            false,
        ));
    }
    let key = path.canonical();
    let facts = match jsctx.module_set.facts(&key) {
        Some(facts) => facts,
        None => {
            let read = |name: &str| -> Result<String, JsError> {
                let f: Function = function.get(name).map_err(|e| caught(ctx, jsctx, e))?;
                f.call(()).map_err(|e| caught(ctx, jsctx, e))
            };
            let (args, returns) = match (read("exportArgs"), read("exportReturns")) {
                (Ok(a), Ok(r)) => (a, r),
                (Err(e), _) | (_, Err(e)) => return Err((e, true)),
            };
            let validators = FunctionValidators::parse(&args, &returns)
                .map_err(|e| (JsError::from_message(e), false))?;
            let facts = FunctionFacts {
                validators: Arc::new(validators),
            };
            jsctx.module_set.remember_facts(&key, facts.clone());
            facts
        }
    };
    Ok((Persistent::save(ctx, function), facts))
}

pub(super) fn invoke(
    ctx: &Ctx<'_>,
    engine: &Engine,
    jsctx: &JsContext,
    function: &Persistent<Object<'static>>,
    req: &ExecuteRequest,
) -> Result<Persistent<Promise<'static>>, JsError> {
    let function = function
        .clone()
        .restore(ctx)
        .map_err(|e| caught(ctx, jsctx, e))?;
    let this = rquickjs::function::This(ctx.globals());
    let args = req.args_json.as_str();
    let returned: rquickjs::Result<Value> = match req.udf_type {
        UdfType::Query => function
            .get::<_, Function>("invokeQuery")
            .and_then(|f| f.call((this, args))),
        UdfType::Mutation => function
            .get::<_, Function>("invokeMutation")
            .and_then(|f| f.call((this, args))),
        UdfType::Action => function
            .get::<_, Function>("invokeAction")
            .and_then(|f| f.call((this, req.request_id.as_str(), args))),
        // `args_json` is the request (`{url, method, headers, body}`); the
        // router matches on the URL's path.
        UdfType::HttpAction => function
            .get::<_, Function>("runRequest")
            .and_then(|f| f.call((args, ""))),
    };
    let promise = returned
        .map_err(|e| caught(ctx, jsctx, e))?
        .into_promise()
        .ok_or_else(|| JsError::from_message("Function invocation did not return a promise"))?;
    drain(ctx, engine);
    Ok(Persistent::save(ctx, promise))
}
