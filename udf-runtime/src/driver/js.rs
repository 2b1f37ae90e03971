//! Helpers that run inside a context: resetting the clock and RNG, turning
//! thrown values into [`JsError`]s, draining microtasks, polling the
//! function's promise.

use rquickjs::promise::PromiseState;
use rquickjs::{Ctx, Persistent, Promise, Value};
use serde_json::Value as JsonValue;

use crate::engine::context::{hook, JsContext};
use crate::engine::Engine;
use crate::error::{map_frames, parse_stack, JsError};

/// Where the function's promise stands.
pub(crate) enum State {
    Pending,
    Resolved(String),
    Rejected(JsError),
}

fn seed_words(seed: &[u8; 32]) -> (f64, f64, f64, f64) {
    let w = |i: usize| u32::from_le_bytes([seed[i], seed[i + 1], seed[i + 2], seed[i + 3]]) as f64;
    (w(0), w(4), w(8), w(12))
}

/// Reseeds the RNG and sets the clock of `jsctx`.
pub(crate) fn reset_clock(
    ctx: &Ctx<'_>,
    jsctx: &JsContext,
    seed: &[u8; 32],
    now_ms: f64,
    frozen: bool,
) -> rquickjs::Result<()> {
    let (a, b, c, d) = seed_words(seed);
    hook(ctx, &jsctx.hooks.reset)?.call::<_, ()>((a, b, c, d, now_ms, frozen))
}

/// Turns a thrown value into a JsError with source-mapped frames.
fn describe<'js>(ctx: &Ctx<'js>, jsctx: &JsContext, thrown: Value<'js>) -> JsError {
    let described =
        hook(ctx, &jsctx.hooks.describe_error).and_then(|f| f.call::<_, String>((thrown.clone(),)));
    let parsed: Option<JsonValue> = described
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok());
    let Some(parsed) = parsed else {
        return JsError::from_message(format!("Uncaught {}", crate::engine::value_text(&thrown)));
    };
    let message = parsed["message"]
        .as_str()
        .unwrap_or("Uncaught Error")
        .to_string();
    let stack = parsed["stack"].as_str().unwrap_or("");
    let frames = map_frames(&parse_stack(stack), |spec| {
        jsctx.module_set.source_map_for_specifier(spec)
    });
    let custom_data = parsed["data"]
        .as_str()
        .map(|data| serde_json::from_str(data).unwrap_or(JsonValue::String(data.to_string())));
    let mut error = JsError::from_message(message);
    error.frames = frames;
    error.custom_data = custom_data;
    error
}

/// The exception pending after `error`, described.
pub(crate) fn caught_error(ctx: &Ctx<'_>, jsctx: &JsContext, error: rquickjs::Error) -> JsError {
    caught(ctx, jsctx, error)
}

pub(crate) fn caught(ctx: &Ctx<'_>, jsctx: &JsContext, error: rquickjs::Error) -> JsError {
    if error.is_exception() {
        describe(ctx, jsctx, ctx.catch())
    } else {
        JsError::from_message(format!("Uncaught Error: {error}"))
    }
}

pub(crate) fn drain(ctx: &Ctx<'_>, engine: &Engine) {
    while !engine.is_interrupted() && ctx.execute_pending_job() {}
}

pub(crate) fn poll(
    ctx: &Ctx<'_>,
    jsctx: &JsContext,
    promise: &Persistent<Promise<'static>>,
) -> State {
    let promise = match promise.clone().restore(ctx) {
        Ok(p) => p,
        Err(e) => return State::Rejected(caught(ctx, jsctx, e)),
    };
    match promise.state() {
        PromiseState::Pending => State::Pending,
        PromiseState::Resolved => match promise.result::<Value>() {
            Some(Ok(v)) => match v.as_string().map(|s| s.to_string()) {
                Some(Ok(text)) => State::Resolved(text),
                _ => State::Rejected(JsError::from_message(
                    "Function did not return a JSON string",
                )),
            },
            Some(Err(e)) => State::Rejected(caught(ctx, jsctx, e)),
            None => State::Pending,
        },
        PromiseState::Rejected => match promise.result::<Value>() {
            Some(Err(e)) => State::Rejected(caught(ctx, jsctx, e)),
            _ => State::Rejected(JsError::from_message("Uncaught Error")),
        },
    }
}
