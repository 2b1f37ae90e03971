//! Shared test support: the example app's real bundle and an in-memory host.

#![allow(dead_code)]

pub mod bundle;
pub mod fake_host;

use std::rc::Rc;
use std::sync::{Arc, OnceLock};

use serde_json::Value as JsonValue;
use udf_runtime::{
    ContextMode, ExecuteOutcome, ExecuteRequest, ModuleSet, Runtime, RuntimeConfig, UdfType,
};

pub use fake_host::FakeHost;

/// The example app compiled once per test binary.
pub fn app_modules() -> Arc<ModuleSet> {
    static MODULES: OnceLock<Arc<ModuleSet>> = OnceLock::new();
    MODULES
        .get_or_init(|| {
            ModuleSet::compile(bundle::app_bundle().modules.clone()).expect("compile the app")
        })
        .clone()
}

fn fresh_host(runtime: &Rc<Runtime>, modules: &Arc<ModuleSet>) -> FakeHost {
    let mut host = FakeHost::for_example_app();
    host.nested = Some((runtime.clone(), modules.clone()));
    host
}

/// A runtime plus a fake host wired for nested calls.
pub struct App {
    pub runtime: Rc<Runtime>,
    pub modules: Arc<ModuleSet>,
    pub host: FakeHost,
    pub mode: ContextMode,
}

impl App {
    pub fn new() -> App {
        App::with_config(RuntimeConfig::default())
    }

    pub fn with_config(config: RuntimeConfig) -> App {
        let runtime = Rc::new(Runtime::new(config).expect("runtime"));
        let modules = app_modules();
        let host = fresh_host(&runtime, &modules);
        App {
            runtime,
            modules,
            host,
            mode: ContextMode::Warm,
        }
    }

    /// Replaces the host with an empty one (the runtime and its warm
    /// contexts stay).
    pub fn reset_host(&mut self) {
        self.host = fresh_host(&self.runtime, &self.modules);
    }

    pub fn request(&self, udf_type: UdfType, path: &str, args: JsonValue) -> ExecuteRequest {
        let mut req = ExecuteRequest::new(udf_type, path, format!("[{args}]"));
        req.now_ms = 1_750_000_000_000.0;
        req.mode = self.mode;
        req
    }

    pub fn execute(&mut self, req: &ExecuteRequest) -> ExecuteOutcome {
        let runtime = self.runtime.clone();
        runtime.execute(&self.modules, req, &mut self.host)
    }

    pub fn run(&mut self, udf_type: UdfType, path: &str, args: JsonValue) -> ExecuteOutcome {
        let req = self.request(udf_type, path, args);
        self.execute(&req)
    }

    /// Runs and expects success.
    pub fn ok(&mut self, udf_type: UdfType, path: &str, args: JsonValue) -> JsonValue {
        let outcome = self.run(udf_type, path, args);
        match outcome.result {
            Ok(v) => v,
            Err(e) => panic!("{path} failed: {e}\nlogs: {:?}", outcome.log_lines),
        }
    }

    /// Runs and expects a user-visible error; returns its rendering.
    pub fn err(&mut self, udf_type: UdfType, path: &str, args: JsonValue) -> udf_runtime::JsError {
        let outcome = self.run(udf_type, path, args);
        match outcome.result {
            Ok(v) => panic!("{path} unexpectedly returned {v}"),
            Err(udf_runtime::ExecuteError::Js(e)) => e,
            Err(e) => panic!("{path}: expected a JS error, got {e}"),
        }
    }
}
