//! The globals a Convex bundle and user code expect: Basalt's runtime
//! JavaScript (embedded `basalt:*` modules, compiled to bytecode once per
//! process) plus the Rust functions it calls (syscalls, logging, UTF-8,
//! digests; `crypto.subtle`'s in `crypto_host`). [`install`] sets up a
//! fresh context and returns the [`Hooks`] the driver calls.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::OnceLock;

use rquickjs::{
    ArrayBuffer, Ctx, Exception, Function, Module, Object, Persistent, TypedArray, Value,
};
use sha2::Digest;

mod crypto_host;
mod webcrypto;

use crate::host::HostError;
use crate::state::ExecShared;
use crate::syscalls;

/// The embedded runtime modules: (specifier, source).
const BUILTIN_SOURCES: &[(&str, &str)] = &[
    ("basalt:setup", include_str!("js/setup.js")),
    ("basalt:inspect", include_str!("js/inspect.js")),
    ("basalt:console", include_str!("js/console.js")),
    ("basalt:determinism", include_str!("js/determinism.js")),
    ("basalt:encoding", include_str!("js/encoding.js")),
    ("basalt:crypto", include_str!("js/crypto.js")),
    ("basalt:clone", include_str!("js/clone.js")),
    ("basalt:events", include_str!("js/events.js")),
    ("basalt:streams", include_str!("js/streams.js")),
    ("basalt:url", include_str!("js/url.js")),
    ("basalt:fetch", include_str!("js/fetch.js")),
    ("basalt:timers", include_str!("js/timers.js")),
    ("basalt:web", include_str!("js/web.js")),
];

pub(crate) const BUILTIN_SCHEME: &str = "basalt:";

static BUILTINS: OnceLock<Result<HashMap<&'static str, Vec<u8>>, String>> = OnceLock::new();

fn compile_builtins() -> Result<HashMap<&'static str, Vec<u8>>, String> {
    let runtime = crate::engine::compile_runtime()?;
    let mut out = HashMap::new();
    for (name, source) in BUILTIN_SOURCES {
        let bytecode = crate::engine::compile_module(&runtime, name, source, true)
            .map_err(|e| format!("{name}: {e}"))?;
        out.insert(*name, bytecode);
    }
    Ok(out)
}

/// Bytecode of a `basalt:*` module.
pub(crate) fn builtin_bytecode(name: &str) -> Result<&'static [u8], String> {
    let builtins = BUILTINS
        .get_or_init(compile_builtins)
        .as_ref()
        .map_err(Clone::clone)?;
    builtins
        .get(name)
        .map(Vec::as_slice)
        .ok_or_else(|| format!("unknown builtin module {name}"))
}

/// JavaScript functions exported by `basalt:setup`, kept across executions.
pub(crate) struct Hooks {
    pub(crate) reset: Persistent<Function<'static>>,
    pub(crate) set_env: Persistent<Function<'static>>,
    /// `setStrictEnv(on)`: reading an unset variable throws while on.
    pub(crate) set_strict_env: Persistent<Function<'static>>,
    pub(crate) settle: Persistent<Function<'static>>,
    pub(crate) clear_pending: Persistent<Function<'static>>,
    pub(crate) describe_error: Persistent<Function<'static>>,
    pub(crate) next_timer_delay: Persistent<Function<'static>>,
    pub(crate) run_next_timers: Persistent<Function<'static>>,
    pub(crate) clear_timers: Persistent<Function<'static>>,
}

/// Turns a host error inside a callback into a JavaScript exception; a
/// system error is also recorded so the execution fails as a whole.
fn throw_host_error(ctx: &Ctx<'_>, shared: &ExecShared, error: HostError) -> rquickjs::Error {
    match error {
        HostError::User { message, .. } => Exception::throw_message(ctx, &message),
        HostError::System(message) => {
            shared.record_system_error(message);
            Exception::throw_internal(ctx, "Internal error")
        }
    }
}

fn no_host(ctx: &Ctx<'_>) -> rquickjs::Error {
    Exception::throw_message(ctx, "Syscalls are only available while a function runs")
}

fn install_host_object<'js>(
    ctx: &Ctx<'js>,
    shared: &Rc<ExecShared>,
) -> rquickjs::Result<Object<'js>> {
    let host = Object::new(ctx.clone())?;

    let s = shared.clone();
    host.set(
        "syscall",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, op: String, args: String| {
                if s.system_error.borrow().is_some() {
                    return Err(Exception::throw_internal(&ctx, "Internal error"));
                }
                let info = s.info.borrow();
                match s
                    .host
                    .with(|host| syscalls::sync_syscall(&info, host, &op, &args))
                {
                    None => Err(no_host(&ctx)),
                    Some(Ok(text)) => Ok(text),
                    Some(Err(e)) => Err(throw_host_error(&ctx, &s, e)),
                }
            },
        )?,
    )?;

    let s = shared.clone();
    host.set(
        "asyncSyscall",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, op: String, args: String| {
                if s.system_error.borrow().is_some() {
                    return Err(Exception::throw_internal(&ctx, "Internal error"));
                }
                if op == syscalls::fetch::OP {
                    let allowed = syscalls::fetch::check_allowed(&s.info.borrow());
                    if let Err(e) = allowed {
                        return Err(throw_host_error(&ctx, &s, e));
                    }
                }
                if !syscalls::answer_immediately(&op) || !s.queue.borrow().is_empty() {
                    let id = s.enqueue(op, args);
                    return Ok(Value::new_number(ctx, id as f64));
                }
                let result = s.host.with(|host| {
                    let mut info = s.info.borrow_mut();
                    let mut logs = s.logs.borrow_mut();
                    syscalls::async_syscall(&mut info, &mut logs, host, &op, &args)
                });
                match result {
                    None => Err(no_host(&ctx)),
                    Some(Ok(text)) => Ok(rquickjs::String::from_str(ctx, &text)?.into_value()),
                    Some(Err(e)) => Err(throw_host_error(&ctx, &s, e)),
                }
            },
        )?,
    )?;

    let s = shared.clone();
    host.set(
        "log",
        Function::new(ctx.clone(), move |level: String, message: String| {
            s.log(&level, &message);
        })?,
    )?;

    host.set(
        "requireBuiltin",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, name: String| {
            let bytecode =
                builtin_bytecode(&name).map_err(|e| Exception::throw_message(&ctx, &e))?;
            // SAFETY: produced by `Module::write` of this QuickJS build.
            let module = unsafe { Module::load(ctx.clone(), bytecode)? };
            // Builtins have no top-level await: evaluation completes here.
            let (module, _evaluated) = module.eval()?;
            module.namespace()
        })?,
    )?;

    host.set(
        "utf8Encode",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, text: String| {
            ArrayBuffer::new(ctx, text.into_bytes())
        })?,
    )?;

    host.set(
        "utf8Decode",
        Function::new(
            ctx.clone(),
            |bytes: TypedArray<'js, u8>, fatal: bool, ignore_bom: bool| -> Option<String> {
                // SAFETY: the slice is copied before any JavaScript runs.
                let data = unsafe { bytes.as_bytes() }.unwrap_or(&[]);
                let data = match data {
                    [0xEF, 0xBB, 0xBF, rest @ ..] if !ignore_bom => rest,
                    _ => data,
                };
                if fatal {
                    std::str::from_utf8(data).ok().map(str::to_string)
                } else {
                    Some(String::from_utf8_lossy(data).into_owned())
                }
            },
        )?,
    )?;

    host.set(
        "digest",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, algorithm: String, bytes: TypedArray<'js, u8>| {
                // SAFETY: the slice is hashed before any JavaScript runs.
                let data = unsafe { bytes.as_bytes() }.unwrap_or(&[]);
                let digest: Option<Vec<u8>> = match algorithm.as_str() {
                    "SHA-1" => Some(
                        ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, data)
                            .as_ref()
                            .to_vec(),
                    ),
                    "SHA-256" => Some(sha2::Sha256::digest(data).to_vec()),
                    "SHA-384" => Some(sha2::Sha384::digest(data).to_vec()),
                    "SHA-512" => Some(sha2::Sha512::digest(data).to_vec()),
                    _ => None,
                };
                digest.map(|d| ArrayBuffer::new(ctx, d)).transpose()
            },
        )?,
    )?;

    crypto_host::install(ctx, &host)?;
    Ok(host)
}

/// Installs the globals into a fresh context and returns the driver hooks.
pub(crate) fn install(ctx: &Ctx<'_>, shared: &Rc<ExecShared>) -> rquickjs::Result<Hooks> {
    let host = install_host_object(ctx, shared)?;
    ctx.globals().set("__basaltHost", host)?;
    let namespace: Object = Module::import(ctx, "basalt:setup")?.finish()?;
    let hook = |name: &str| -> rquickjs::Result<Persistent<Function<'static>>> {
        let f: Function = namespace.get(name)?;
        Ok(Persistent::save(ctx, f))
    };
    Ok(Hooks {
        reset: hook("reset")?,
        set_env: hook("setEnv")?,
        set_strict_env: hook("setStrictEnv")?,
        settle: hook("settle")?,
        clear_pending: hook("clearPending")?,
        describe_error: hook("describeError")?,
        next_timer_delay: hook("nextTimerDelay")?,
        run_next_timers: hook("runNextTimers")?,
        clear_timers: hook("clearTimers")?,
    })
}
