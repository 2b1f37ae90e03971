//! A deployment: its database, its function workers, the active push (the
//! compiled modules and their analysis) and its environment variables.
//!
//! Pushes are kept on disk as `<data>/pushes/<n>.json` with `CURRENT` naming
//! the active one (written by atomic rename), so a restart serves the same
//! code and a deployment can be rolled back to an earlier push.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use serde_json::Value as JsonValue;
use storage::{Database, DatabaseOptions};
use udf_runtime::{ImportPhase, ModuleSet, ModuleSource, RuntimeConfig};

use crate::auth::{AuthProvider, Authenticator};
use crate::export::table_shapes::TableShapes;
use crate::functions::document_validators::DocumentValidators;
use crate::functions::logs::FunctionLogs;
use crate::functions::query_cache::QueryCache;
use crate::functions::schema_gate::{ClosedGate, SchemaGate};
use crate::functions::workers::Workers;
use crate::import::primary_key::PrimaryKeyBuilds;

/// One module as pushed by the CLI.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StoredModule {
    pub path: String,
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_map: Option<String>,
    pub environment: String,
}

impl StoredModule {
    /// `sha256(source ‖ sourceMap)` hex: the CLI's notion of "unchanged".
    pub fn hash(&self) -> String {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(self.source.as_bytes());
        if let Some(m) = &self.source_map {
            h.update(m.as_bytes());
        }
        hex::encode(h.finalize())
    }
}

/// Everything a push installs, as persisted.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushRecord {
    pub id: u64,
    pub modules: Vec<StoredModule>,
    /// The bundled `schema.js`, if the app has a schema.
    pub schema_module: Option<StoredModule>,
    /// `default.export()` of the schema, parsed.
    pub schema: Option<JsonValue>,
    pub udf_server_version: Option<String>,
    pub import_seed: [u8; 32],
    pub import_unix_ms: f64,
    pub auth_config: Option<JsonValue>,
    /// `module.js:function` → `Query` / `Mutation` / `Action`, from analysis.
    #[serde(default)]
    pub functions: BTreeMap<String, String>,
    /// Set when this push re-installed an earlier push (a rollback).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restored_from: Option<u64>,
}

impl PushRecord {
    /// The type of a deployed function, if it exists.
    pub fn function_type(&self, module: &str, function: &str) -> Option<udf_runtime::UdfType> {
        let name = self.functions.get(&format!("{module}:{function}"))?;
        udf_runtime::UdfType::from_name(name).filter(|t| *t != udf_runtime::UdfType::HttpAction)
    }

    /// The modules the runtime loads (isolate modules and the schema).
    pub fn module_sources(&self) -> Vec<ModuleSource> {
        self.modules
            .iter()
            .chain(self.schema_module.iter())
            .filter(|m| m.environment != "node")
            .map(|m| ModuleSource {
                path: m.path.clone(),
                source: m.source.clone(),
                source_map: m.source_map.clone(),
            })
            .collect()
    }

    pub fn import_phase(&self) -> ImportPhase {
        ImportPhase {
            rng_seed: self.import_seed,
            unix_timestamp_ms: self.import_unix_ms,
        }
    }
}

/// Numbers every installation of auth providers (see `ActivePush::auth_version`).
static AUTH_VERSIONS: AtomicU64 = AtomicU64::new(1);

/// The push currently serving requests.
pub struct ActivePush {
    pub record: PushRecord,
    pub modules: Arc<ModuleSet>,
    /// The providers of its `auth.config.js` (checked at push time).
    pub auth_providers: Vec<AuthProvider>,
    /// Unique to this set of providers (a push, a rollback or an environment
    /// change installs a new one): token verifications are cached per version.
    pub auth_version: u64,
}

impl ActivePush {
    pub fn new(record: PushRecord, modules: Arc<ModuleSet>) -> Self {
        let auth_providers = AuthProvider::parse_config(record.auth_config.as_ref())
            .unwrap_or_else(|e| {
                tracing::warn!(push = record.id, error = %e, "stored auth config is invalid: no user tokens are accepted");
                Vec::new()
            });
        Self {
            record,
            modules,
            auth_providers,
            auth_version: AUTH_VERSIONS.fetch_add(1, Ordering::Relaxed),
        }
    }
}

/// The document validators of a stored push's schema.
fn stored_validators(record: &PushRecord) -> DocumentValidators {
    DocumentValidators::from_schema(record.schema.as_ref()).unwrap_or_else(|e| {
        tracing::warn!(push = record.id, error = %e, "stored schema is invalid: writes are not validated");
        DocumentValidators::default()
    })
}

pub struct Deployment {
    pub name: String,
    pub db: Database,
    pub workers: Workers,
    /// Inferred table shapes for `json_schemas`.
    pub shapes: TableShapes,
    /// Primary-key index builds started by streaming import.
    pub primary_key_builds: Arc<PrimaryKeyBuilds>,
    /// Verifies user JWTs against the active push's auth providers.
    pub auth: Authenticator,
    /// Recent function executions (`stream_function_logs`).
    pub logs: FunctionLogs,
    /// Results of queries at the latest timestamp, with their read sets;
    /// cleared by a push and by environment changes.
    pub query_cache: QueryCache,
    /// The active schema's validators, which every write is checked
    /// against, and the gate a push closes to swap them.
    pub schema_gate: Arc<SchemaGate>,
    dir: PathBuf,
    active: RwLock<Option<Arc<ActivePush>>>,
    env: RwLock<Env>,
    /// `CONVEX_CLOUD_URL` and `CONVEX_SITE_URL`, which every function sees.
    system_env: BTreeMap<String, String>,
}

/// The environment variables, replaced together.
struct Env {
    /// Set with `npx convex env` (persisted).
    user: Arc<BTreeMap<String, String>>,
    /// What functions see: the system variables with `user` over them. Kept
    /// (not merged per call) so that each change is one `Arc`, which warm
    /// contexts compare to skip re-installing `process.env`.
    visible: Arc<BTreeMap<String, String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum DeploymentError {
    #[error("cannot open the database in {dir}: {source}")]
    Database {
        dir: String,
        source: storage::StorageError,
    },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("stored push is unreadable: {0}")]
    BadPush(String),
    #[error("cannot set up the HTTP client: {0}")]
    HttpClient(#[from] reqwest::Error),
}

const ENV_FILE: &str = "environment.json";
const CURRENT: &str = "CURRENT";

impl Deployment {
    /// Opens the deployment stored in `dir`, loading its active push.
    /// `system_env` holds the variables every function sees besides the
    /// user's (the deployment's URLs).
    pub fn open(
        name: &str,
        dir: &Path,
        workers: usize,
        queue: usize,
        query_cache_bytes: usize,
        system_env: BTreeMap<String, String>,
    ) -> Result<Self, DeploymentError> {
        std::fs::create_dir_all(dir.join("pushes"))?;
        let db = Database::open(&dir.join("db"), DatabaseOptions::default()).map_err(|source| {
            DeploymentError::Database {
                dir: dir.display().to_string(),
                source,
            }
        })?;
        let mut config = RuntimeConfig::default();
        config.deployment.name = name.to_string();
        let workers = Workers::start(workers, queue, config)?;
        let env: BTreeMap<String, String> = match std::fs::read(dir.join(ENV_FILE)) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| DeploymentError::BadPush(e.to_string()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(e.into()),
        };
        let http = reqwest::Client::builder()
            .user_agent(concat!("basalt/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let mut deployment = Self {
            name: name.to_string(),
            db,
            workers,
            shapes: TableShapes::default(),
            primary_key_builds: Arc::default(),
            auth: Authenticator::new(http),
            logs: FunctionLogs::default(),
            query_cache: QueryCache::new(query_cache_bytes),
            schema_gate: SchemaGate::new(DocumentValidators::default()),
            dir: dir.to_path_buf(),
            active: RwLock::new(None),
            env: RwLock::new(Env {
                visible: Arc::new(merge(&system_env, &env)),
                user: Arc::new(env),
            }),
            system_env,
        };
        if let Some(record) = deployment.load_current()? {
            let modules = ModuleSet::compile_with(record.module_sources(), record.import_phase())
                .map_err(|e| DeploymentError::BadPush(e.to_string()))?;
            deployment.schema_gate = SchemaGate::new(stored_validators(&record));
            *deployment.active.write() = Some(Arc::new(ActivePush::new(record, modules)));
        }
        Ok(deployment)
    }

    pub fn active(&self) -> Option<Arc<ActivePush>> {
        self.active.read().clone()
    }

    /// The environment functions see: the user's variables over the system's.
    pub fn env(&self) -> Arc<BTreeMap<String, String>> {
        self.env.read().visible.clone()
    }

    /// The variables set by the user only.
    pub fn user_env(&self) -> Arc<BTreeMap<String, String>> {
        self.env.read().user.clone()
    }

    /// What functions would see with the user's variables `user`.
    pub fn visible_with(&self, user: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        merge(&self.system_env, user)
    }

    /// The user's variables with `changes` applied (`None` removes).
    pub fn env_with(&self, changes: &[(String, Option<String>)]) -> BTreeMap<String, String> {
        let mut env = (*self.env.read().user).clone();
        for (k, v) in changes {
            match v {
                Some(v) => env.insert(k.clone(), v.clone()),
                None => env.remove(k),
            };
        }
        env
    }

    /// Replaces the environment variables and persists them.
    pub fn set_env(&self, env: BTreeMap<String, String>) -> Result<(), DeploymentError> {
        write_atomic(
            &self.dir.join(ENV_FILE),
            &serde_json::to_vec(&env).map_err(|e| DeploymentError::BadPush(e.to_string()))?,
        )?;
        *self.env.write() = Env {
            visible: Arc::new(merge(&self.system_env, &env)),
            user: Arc::new(env),
        };
        self.query_cache.clear();
        Ok(())
    }

    /// Installs `auth_config` (re-evaluated after an environment change) as
    /// the auth config of the active push, if push `push_id` is still the
    /// active one; the stored record is updated so a restart serves the same.
    pub fn set_auth_config(
        &self,
        push_id: u64,
        auth_config: Option<JsonValue>,
    ) -> Result<(), DeploymentError> {
        let mut active = self.active.write();
        let Some(current) = active.as_ref().filter(|a| a.record.id == push_id) else {
            return Ok(());
        };
        if current.record.auth_config == auth_config {
            return Ok(());
        }
        let mut record = current.record.clone();
        record.auth_config = auth_config;
        let bytes =
            serde_json::to_vec(&record).map_err(|e| DeploymentError::BadPush(e.to_string()))?;
        write_atomic(&self.push_path(record.id), &bytes)?;
        *active = Some(Arc::new(ActivePush::new(record, current.modules.clone())));
        Ok(())
    }

    fn load_current(&self) -> Result<Option<PushRecord>, DeploymentError> {
        let current = match std::fs::read_to_string(self.dir.join("pushes").join(CURRENT)) {
            Ok(s) => s,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let id: u64 = current
            .trim()
            .parse()
            .map_err(|_| DeploymentError::BadPush(format!("bad CURRENT {current:?}")))?;
        self.load_push(id).map(Some)
    }

    /// Reads a stored push by id.
    pub fn load_push(&self, id: u64) -> Result<PushRecord, DeploymentError> {
        let bytes = std::fs::read(self.push_path(id))?;
        serde_json::from_slice(&bytes).map_err(|e| DeploymentError::BadPush(e.to_string()))
    }

    fn push_path(&self, id: u64) -> PathBuf {
        self.dir.join("pushes").join(format!("{id}.json"))
    }

    /// The ids of all stored pushes, oldest first.
    pub fn push_history(&self) -> Result<Vec<u64>, DeploymentError> {
        let mut ids: Vec<u64> = std::fs::read_dir(self.dir.join("pushes"))?
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str()?.strip_suffix(".json")?.parse().ok())
            .collect();
        ids.sort_unstable();
        Ok(ids)
    }

    /// The next push id.
    pub fn next_push_id(&self) -> Result<u64, DeploymentError> {
        Ok(self.push_history()?.last().map_or(1, |l| l + 1))
    }

    /// Stores a push and makes it the active one, and `validators` (its
    /// schema's) the ones writes are checked against once `gate` (this
    /// deployment's, closed) reopens.
    /// The record is durable before `CURRENT` points at it, so a crash
    /// leaves either push serving.
    pub fn activate(
        &self,
        record: PushRecord,
        modules: Arc<ModuleSet>,
        gate: &ClosedGate,
        validators: Arc<DocumentValidators>,
    ) -> Result<(), DeploymentError> {
        let bytes =
            serde_json::to_vec(&record).map_err(|e| DeploymentError::BadPush(e.to_string()))?;
        write_atomic(&self.push_path(record.id), &bytes)?;
        write_atomic(
            &self.dir.join("pushes").join(CURRENT),
            record.id.to_string().as_bytes(),
        )?;
        gate.set_validators(validators);
        *self.active.write() = Some(Arc::new(ActivePush::new(record, modules)));
        self.query_cache.clear();
        Ok(())
    }
}

/// Writes a file by writing a temporary sibling, syncing it and renaming.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Some(parent) = path.parent() {
        std::fs::File::open(parent)?.sync_all()?;
    }
    Ok(())
}

fn merge(
    system: &BTreeMap<String, String>,
    user: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut env = system.clone();
    env.extend(user.iter().map(|(k, v)| (k.clone(), v.clone())));
    env
}
