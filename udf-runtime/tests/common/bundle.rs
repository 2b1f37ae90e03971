//! Gets the example app's real bundle: runs `node examples/bundle.mjs`
//! (the unmodified `convex` CLI against a capturing loopback server) once per
//! source change, caching the push body in the cargo target tmp dir.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value as JsonValue;
use sha2::{Digest, Sha256};
use udf_runtime::ModuleSource;

/// The captured `start_push` body, parsed.
pub struct Bundle {
    pub push: JsonValue,
    /// Function modules, `_deps` chunks and `schema.js`.
    pub modules: Vec<ModuleSource>,
}

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("examples")
}

fn hash_inputs(app: &Path) -> String {
    let mut hasher = Sha256::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(app.join("convex"))
        .expect("examples/app/convex exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.push(app.join("package-lock.json"));
    files.push(app.join("..").join("bundle.mjs"));
    files.sort();
    for f in files {
        hasher.update(f.to_string_lossy().as_bytes());
        hasher.update(std::fs::read(&f).unwrap_or_default());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn module(value: &JsonValue) -> ModuleSource {
    ModuleSource {
        path: value["path"].as_str().expect("module path").to_string(),
        source: value["source"].as_str().expect("module source").to_string(),
        source_map: value["sourceMap"].as_str().map(str::to_string),
    }
}

fn load() -> Bundle {
    let examples = examples_dir();
    let app = examples.join("app");
    if !app
        .join("node_modules")
        .join("convex")
        .join("package.json")
        .exists()
    {
        panic!(
            "The example app's npm dependencies are missing. Install them with:\n    (cd {} && npm ci)",
            app.display()
        );
    }
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("app-bundle-{}.json", hash_inputs(&app)));
    if !cache.exists() {
        let tmp = cache.with_extension(format!("tmp{}", std::process::id()));
        let output = Command::new("node")
            .arg(examples.join("bundle.mjs"))
            .arg(&tmp)
            .arg(&app)
            .output()
            .expect("running node (is Node.js installed?)");
        assert!(
            output.status.success(),
            "bundling the example app failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        std::fs::rename(&tmp, &cache).expect("caching the bundle");
    }
    let push: JsonValue =
        serde_json::from_slice(&std::fs::read(&cache).expect("reading the bundle"))
            .expect("bundle JSON");
    let app_def = &push["appDefinition"];
    let mut modules: Vec<ModuleSource> = app_def["changedModules"]
        .as_array()
        .expect("changedModules")
        .iter()
        .filter(|m| m["environment"] == "isolate")
        .map(module)
        .collect();
    if app_def["schema"].is_object() {
        modules.push(module(&app_def["schema"]));
    }
    Bundle { push, modules }
}

/// The example app's bundle (computed once per test binary).
pub fn app_bundle() -> &'static Bundle {
    static BUNDLE: OnceLock<Bundle> = OnceLock::new();
    BUNDLE.get_or_init(load)
}
