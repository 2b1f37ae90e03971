//! Basalt's JavaScript runtime: runs the ES-module bundles the `convex` CLI
//! produces, unchanged, in QuickJS (through `rquickjs`), speaking Convex's
//! syscall ABI to a [`Host`] that stands for the database.
//!
//! Entry points: [`ModuleSet::compile`] once per push, a [`Runtime`] per
//! worker thread, [`Runtime::execute`] per call, [`analyze`] at push time.

mod analyze;
mod config;
mod driver;
mod engine;
mod error;
mod globals;
mod host;
mod module_set;
mod path;
mod request;
mod runtime;
mod sourcemap;
mod state;
mod syscalls;
mod validator;

pub use analyze::{
    analyze, Analysis, AnalyzeError, AnalyzedFunction, AnalyzedModule, HttpRoute, SourcePosition,
    Visibility,
};
pub use config::{DeploymentMetadata, RuntimeConfig};
pub use error::{ExecuteError, Frame, JsError};
pub use host::{
    FetchRequest, FetchResponse, FunctionAddress, Host, HostError, HostResult, NestedCall,
    NestedOutcome, PageRequest, UdfType,
};
pub use module_set::{CompileError, ImportPhase, ModuleSet, ModuleSource};
pub use path::FunctionPath;
pub use request::{ContextMode, ExecuteOutcome, ExecuteRequest};
pub use runtime::Runtime;
pub use state::{MAX_LOG_LINES, MAX_LOG_LINE_LENGTH};
pub use validator::{FieldValidator, FunctionValidators, Validator};
