//! Runs one function call in a prepared context: imports the module, finds
//! and checks the export, validates arguments, invokes it, then drives its
//! promise — draining microtasks, answering queued async syscalls in FIFO
//! order with no JavaScript on the stack, firing timers — and validates the
//! result.

use std::rc::Rc;
use std::time::{Duration, Instant};

mod js;
mod prepare;

use rquickjs::{Ctx, Persistent, Promise};
use serde_json::Value as JsonValue;

use crate::config::RuntimeConfig;
use crate::engine::context::{hook, JsContext};
use crate::engine::{exception_text, Engine};
use crate::error::{ExecuteError, JsError};
use crate::host::{Host, HostError, UdfType};
use crate::path::FunctionPath;
use crate::request::ExecuteRequest;
use crate::state::{ExecInfo, ExecShared, Phase};
use crate::syscalls;
use crate::validator::FunctionValidators;
use js::{caught, drain, poll, State};
pub(crate) use js::{caught_error, reset_clock};
use prepare::{invoke, prepare};

/// Largest return value accepted (Convex: 16 MiB).
const MAX_RESULT_BYTES: usize = 16 << 20;

/// How the execution ended, for the pool.
pub(crate) struct RunOutcome {
    pub(crate) result: Result<JsonValue, ExecuteError>,
    /// Whether the context may be reused.
    pub(crate) reusable: bool,
}

/// CPU time left to JavaScript.
struct Budget {
    remaining: Duration,
}

/// Runs `f` inside the context with the host reachable and the deadline armed.
fn in_js<R>(
    engine: &Engine,
    jsctx: &mut JsContext,
    host: &mut dyn Host,
    budget: &mut Budget,
    f: impl FnOnce(&Ctx<'_>, &mut JsContext) -> R,
) -> R {
    let context = jsctx.context.clone();
    let modules = jsctx.module_set.clone();
    let shared: Rc<ExecShared> = jsctx.shared.clone();
    let _host = shared.host.install(host);
    let start = Instant::now();
    let _entered = engine.enter(&modules, Some(start + budget.remaining));
    let result = context.with(|ctx| f(&ctx, jsctx));
    budget.remaining = budget.remaining.saturating_sub(start.elapsed());
    result
}

/// Answers the queued async syscalls with no JavaScript on the stack. The
/// fetches among them go to the host as one batch (bounded by the time left
/// before `wall_deadline`) and are answered first.
fn answer_queue(
    shared: &ExecShared,
    host: &mut dyn Host,
    wall_deadline: Instant,
) -> Vec<(u32, Result<String, HostError>)> {
    let (fetches, batch): (Vec<_>, Vec<_>) = shared
        .queue
        .borrow_mut()
        .drain(..)
        .partition(|item| item.op == syscalls::fetch::OP);
    let mut results = Vec::with_capacity(batch.len() + fetches.len());
    if !fetches.is_empty() {
        let timeout = wall_deadline.saturating_duration_since(Instant::now());
        let fetches = fetches
            .into_iter()
            .map(|item| (item.id, item.args))
            .collect();
        for (id, result) in syscalls::fetch::run_batch(host, fetches, timeout) {
            if let Err(HostError::System(message)) = &result {
                shared.record_system_error(message.clone());
                return results;
            }
            results.push((id, result));
        }
    }
    for item in batch {
        let result = {
            let mut info = shared.info.borrow_mut();
            let mut logs = shared.logs.borrow_mut();
            syscalls::async_syscall(&mut info, &mut logs, host, &item.op, &item.args)
        };
        if let Err(HostError::System(message)) = &result {
            shared.record_system_error(message.clone());
            break;
        }
        results.push((item.id, result));
    }
    results
}

fn settle(
    ctx: &Ctx<'_>,
    jsctx: &JsContext,
    results: Vec<(u32, Result<String, HostError>)>,
) -> rquickjs::Result<()> {
    let settle = hook(ctx, &jsctx.hooks.settle)?;
    for (id, result) in results {
        match result {
            Ok(text) => settle.call::<_, ()>((id, true, text))?,
            Err(error) => {
                let (message, data) = match error {
                    HostError::User { message, data } => (message, data.map(|d| d.to_string())),
                    HostError::System(message) => (message, None),
                };
                match data {
                    Some(data) => settle.call::<_, ()>((id, false, message, data))?,
                    None => settle.call::<_, ()>((id, false, message))?,
                }
            }
        }
    }
    Ok(())
}

/// Forgets unsettled syscalls and timers so the context can be reused.
fn cleanup(ctx: &Ctx<'_>, jsctx: &mut JsContext) -> bool {
    let clear = |f| hook(ctx, f).and_then(|f| f.call::<_, ()>(()));
    jsctx.clean =
        clear(&jsctx.hooks.clear_pending).is_ok() && clear(&jsctx.hooks.clear_timers).is_ok();
    jsctx.clean
}

/// Polls the promise and, once it has settled, cleans up in the same visit.
fn poll_and_clean(
    ctx: &Ctx<'_>,
    jsctx: &mut JsContext,
    promise: &Persistent<Promise<'static>>,
) -> State {
    let state = poll(ctx, jsctx, promise);
    if !matches!(state, State::Pending) {
        cleanup(ctx, jsctx);
    }
    state
}

fn exec_info(req: &ExecuteRequest, path: &FunctionPath, config: &RuntimeConfig) -> ExecInfo {
    ExecInfo {
        udf_type: req.udf_type,
        phase: Phase::Import,
        function_name: path.stripped(),
        identity: req.identity.clone(),
        request_id: req.request_id.clone(),
        request_metadata: req.request_metadata.clone(),
        deployment_metadata: config.deployment.to_json(),
        paginated: false,
    }
}

/// Runs the call described by `req` in `jsctx`.
pub(crate) fn run(
    engine: &Engine,
    config: &RuntimeConfig,
    jsctx: &mut JsContext,
    req: &ExecuteRequest,
    path: &FunctionPath,
    host: &mut dyn Host,
) -> RunOutcome {
    let shared = jsctx.shared.clone();
    shared.reset();
    jsctx.clean = false;
    *shared.info.borrow_mut() = exec_info(req, path, config);
    jsctx.executions += 1;
    let timeout = match req.udf_type {
        UdfType::Query | UdfType::Mutation => config.query_timeout,
        UdfType::Action | UdfType::HttpAction => config.action_timeout,
    };
    let wall_deadline = Instant::now() + timeout.max(Duration::from_secs(1)) * 2;
    let mut budget = Budget { remaining: timeout };
    engine.take_interrupted();
    engine.alloc.clear_exceeded();

    let outcome = run_inner(engine, jsctx, req, path, host, &mut budget, wall_deadline);

    // Whatever happened, leave no queued work behind.
    shared.queue.borrow_mut().clear();
    let interrupted = engine.take_interrupted();
    let out_of_memory = engine.alloc.exceeded();
    engine.alloc.clear_exceeded();
    let system = shared.system_error.borrow_mut().take();
    let (result, mut reusable) = if let Some(message) = system {
        (Err(ExecuteError::System(message)), false)
    } else if interrupted {
        let secs = timeout.as_secs_f64();
        (
            Err(ExecuteError::Js(JsError::from_message(format!(
                "Function execution timed out (maximum duration: {secs}s)"
            )))),
            false,
        )
    } else if out_of_memory {
        (
            Err(ExecuteError::Js(JsError::from_message(format!(
                "JavaScript execution ran out of memory (maximum memory usage: {} MB)",
                config.memory_limit >> 20
            )))),
            false,
        )
    } else {
        outcome
    };
    if reusable && !jsctx.clean {
        let context = jsctx.context.clone();
        reusable = context.with(|ctx| cleanup(&ctx, jsctx));
    }
    RunOutcome { result, reusable }
}

type Inner = (Result<JsonValue, ExecuteError>, bool);

fn run_inner(
    engine: &Engine,
    jsctx: &mut JsContext,
    req: &ExecuteRequest,
    path: &FunctionPath,
    host: &mut dyn Host,
    budget: &mut Budget,
    wall_deadline: Instant,
) -> Inner {
    let shared = jsctx.shared.clone();
    // Lookup, argument validation, invocation and the first microtask drain
    // happen in one visit to the context.
    let started = in_js(engine, jsctx, host, budget, |ctx, jsctx| {
        let (function, facts) = prepare(ctx, jsctx, req, path)?;
        if req.udf_type != UdfType::HttpAction {
            let args: JsonValue = serde_json::from_str(&req.args_json).map_err(|e| {
                (
                    JsError::from_message(format!("Invalid arguments JSON: {e}")),
                    false,
                )
            })?;
            let checked = jsctx.shared.host.with(|host| {
                facts
                    .validators
                    .check_args(&args, &mut |id| host.table_for_id(id))
            });
            if let Some(Err(message)) = checked {
                return Err((JsError::from_message(message), false));
            }
        }
        let promise = invoke(ctx, engine, jsctx, &function, req).map_err(|e| (e, true))?;
        let state = poll_and_clean(ctx, jsctx, &promise);
        Ok((state, promise, facts))
    });
    let (mut state, promise, facts) = match started {
        Ok(x) => x,
        Err((error, ran_js)) => return (Err(ExecuteError::Js(error)), !ran_js),
    };
    let is_action = matches!(req.udf_type, UdfType::Action | UdfType::HttpAction);
    loop {
        if engine.is_interrupted()
            || shared.system_error.borrow().is_some()
            || engine.alloc.exceeded()
        {
            return (Err(ExecuteError::System("execution aborted".into())), false);
        }
        match state {
            State::Resolved(text) => return finish(text, &facts.validators, host),
            State::Rejected(error) => return (Err(ExecuteError::Js(error)), false),
            State::Pending => {}
        }
        let results = answer_queue(&shared, host, wall_deadline);
        if results.is_empty() && shared.system_error.borrow().is_none() {
            // Nothing queued: a timer is the only way forward.
            let delay: f64 = in_js(engine, jsctx, host, budget, |ctx, jsctx| {
                hook(ctx, &jsctx.hooks.next_timer_delay)
                    .and_then(|f| f.call(()))
                    .unwrap_or(-1.0)
            });
            if delay < 0.0 {
                return (
                    Err(ExecuteError::Js(JsError::from_message(
                        "Uncaught Error: Returned promise will never resolve",
                    ))),
                    false,
                );
            }
            if is_action && delay > 0.0 {
                let wait = Duration::from_secs_f64(delay / 1000.0);
                if Instant::now() + wait > wall_deadline {
                    return (
                        Err(ExecuteError::Js(JsError::from_message(
                            "Function execution timed out waiting for a timer",
                        ))),
                        false,
                    );
                }
                std::thread::sleep(wait);
            }
            state = in_js(engine, jsctx, host, budget, |ctx, jsctx| {
                let fired =
                    hook(ctx, &jsctx.hooks.run_next_timers).and_then(|f| f.call::<_, ()>(()));
                if let Err(e) = fired {
                    return State::Rejected(caught(ctx, jsctx, e));
                }
                drain(ctx, engine);
                poll_and_clean(ctx, jsctx, &promise)
            });
            continue;
        }
        state = in_js(engine, jsctx, host, budget, |ctx, jsctx| {
            if let Err(e) = settle(ctx, jsctx, results) {
                return State::Rejected(JsError::from_message(exception_text(ctx, e)));
            }
            drain(ctx, engine);
            poll_and_clean(ctx, jsctx, &promise)
        });
    }
}

fn finish(text: String, validators: &FunctionValidators, host: &mut dyn Host) -> Inner {
    if text.len() > MAX_RESULT_BYTES {
        return (
            Err(ExecuteError::Js(JsError::from_message(format!(
                "Function return value is too large (actual: {} bytes, limit: {MAX_RESULT_BYTES} bytes)",
                text.len()
            )))),
            true,
        );
    }
    let value: JsonValue = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            return (
                Err(ExecuteError::System(format!("invalid result JSON: {e}"))),
                false,
            )
        }
    };
    let mut table_for_id = |id: &str| host.table_for_id(id);
    match validators.check_returns(&value, &mut table_for_id) {
        Ok(()) => (Ok(value), true),
        Err(message) => (Err(ExecuteError::Js(JsError::from_message(message))), true),
    }
}
