//! Building the `start_push` response (`StartPushResponse`) and the
//! `finish_push` diff from a push's analysis.

use serde_json::{json, Value as JsonValue};
use udf_runtime::Analysis;

use super::schema::IndexDiff;
use crate::deployment::PushRecord;

fn analyzed_modules(analysis: &Analysis) -> JsonValue {
    let mut map = serde_json::Map::new();
    for (path, module) in &analysis.modules {
        let functions: Vec<JsonValue> = module
            .functions
            .iter()
            .map(|f| {
                json!({
                    "name": f.name,
                    "pos": f.pos,
                    "udfType": f.udf_type.as_str(),
                    "visibility": f.visibility,
                    "args": f.args,
                    "returns": f.returns,
                })
            })
            .collect();
        map.insert(
            path.clone(),
            json!({
                "functions": functions,
                "httpRoutes": module.http_routes,
                "cronSpecs": module.cron_specs,
                "sourceMapped": null,
            }),
        );
    }
    JsonValue::Object(map)
}

/// `appAuth`: the providers of `auth.config.js`.
pub fn app_auth(analysis: &Analysis) -> JsonValue {
    let providers = analysis
        .auth_config
        .as_ref()
        .and_then(|c| c.get("providers"))
        .and_then(JsonValue::as_array)
        .cloned()
        .unwrap_or_default();
    JsonValue::Array(
        providers
            .into_iter()
            .map(|mut p| {
                if p.get("type").and_then(JsonValue::as_str) == Some("customJwt") {
                    if let Some(o) = p.as_object_mut() {
                        o.entry("applicationID").or_insert(JsonValue::Null);
                    }
                }
                p
            })
            .collect(),
    )
}

/// The whole `StartPushResponse`.
pub fn start_push_response(
    record: &PushRecord,
    analysis: &Analysis,
    diff: &IndexDiff,
    env: &std::collections::BTreeMap<String, String>,
) -> JsonValue {
    let http_routes: Option<Vec<JsonValue>> = analysis.modules.get("http.js").and_then(|m| {
        m.http_routes.as_ref().map(|routes| {
            routes
                .iter()
                .map(|r| json!({"method": r.method, "path": r.path}))
                .collect()
        })
    });
    let udf_config = json!({
        "serverVersion": record.udf_server_version.clone().unwrap_or_else(|| "1.48.0".into()),
        "importPhaseRngSeed": storage::Value::Bytes(record.import_seed.to_vec()).to_encoded_json(),
        "importPhaseUnixTimestamp": storage::Value::Int64(record.import_unix_ms as i64).to_encoded_json(),
    });
    json!({
        "environmentVariables": env,
        "externalDepsId": null,
        "componentDefinitionPackages": {},
        "appAuth": app_auth(analysis),
        "analysis": {"": {
            "definition": {
                "path": "",
                "definitionType": {"type": "app"},
                "childComponents": [],
                "httpMounts": {},
                "exports": {"type": "branch", "branch": []},
            },
            "schema": record.schema,
            "functions": analyzed_modules(analysis),
            "udfConfig": udf_config,
        }},
        "app": {
            "definitionPath": "",
            "componentPath": "",
            "args": {},
            "childComponents": {},
            "httpRoutes": {"httpModuleRoutes": http_routes, "mounts": []},
            "exports": {},
        },
        "schemaChange": {
            "allocatedComponentIds": {},
            "schemaIds": {"": record.id.to_string()},
            "indexDiffs": {"": diff.to_json()},
        },
    })
}

/// The `finish_push` response.
pub fn finish_push_diff(
    previous: Option<&PushRecord>,
    next: &PushRecord,
    diff: &IndexDiff,
) -> JsonValue {
    let paths = |r: Option<&PushRecord>| -> Vec<String> {
        r.map(|r| r.modules.iter().map(|m| m.path.clone()).collect())
            .unwrap_or_default()
    };
    let (before, after) = (paths(previous), paths(Some(next)));
    let added: Vec<&String> = after.iter().filter(|p| !before.contains(p)).collect();
    let removed: Vec<&String> = before.iter().filter(|p| !after.contains(p)).collect();
    let schema_text =
        |r: Option<&PushRecord>| r.and_then(|r| r.schema.as_ref()).map(|s| s.to_string());
    let schema_diff = if schema_text(previous) == schema_text(Some(next)) {
        JsonValue::Null
    } else {
        json!({"previous_schema": schema_text(previous), "next_schema": schema_text(Some(next))})
    };
    let udf_config_diff = match previous.and_then(|p| p.udf_server_version.clone()) {
        Some(prev) if Some(&prev) != next.udf_server_version.as_ref() => {
            json!({"previous_version": prev, "next_version": next.udf_server_version})
        }
        _ => JsonValue::Null,
    };
    json!({
        "authDiff": {"added": [], "removed": []},
        "definitionDiffs": {},
        "componentDiffs": {"": {
            "diffType": {"type": if previous.is_some() { "modify" } else { "create" }},
            "moduleDiff": {"added": added, "removed": removed},
            "udfConfigDiff": udf_config_diff,
            "cronDiff": {"added": [], "updated": [], "deleted": []},
            "indexDiff": diff.to_json(),
            "schemaDiff": schema_diff,
        }},
    })
}
