//! Push-time analysis of the example app's real bundle.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::app_modules;
use serde_json::json;
use udf_runtime::{analyze, ModuleSet, ModuleSource, UdfType, Visibility};

#[test]
fn lists_functions_with_types_visibility_and_validators() {
    let analysis = analyze(&app_modules(), &Arc::new(BTreeMap::new())).expect("analysis");
    let messages = &analysis.modules["messages.js"];
    let names: Vec<_> = messages.functions.iter().map(|f| f.name.as_str()).collect();
    for expected in ["list", "send", "fail", "count", "clearAuthor", "page"] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    let list = messages
        .functions
        .iter()
        .find(|f| f.name == "list")
        .unwrap();
    assert_eq!(list.udf_type, UdfType::Query);
    assert_eq!(list.visibility, Some(Visibility::Public));
    let args: serde_json::Value = serde_json::from_str(&list.args).unwrap();
    assert_eq!(
        args["value"]["author"],
        json!({"fieldType": {"type": "string"}, "optional": false})
    );
    let returns: serde_json::Value = serde_json::from_str(&list.returns).unwrap();
    assert_eq!(returns["type"], json!("array"));
    let pos = list.pos.as_ref().expect("position");
    assert_eq!(pos.path, "../convex/messages.ts");
    assert!(pos.line > 10, "{pos:?}");
    let count = messages
        .functions
        .iter()
        .find(|f| f.name == "count")
        .unwrap();
    assert_eq!(count.visibility, Some(Visibility::Internal));
    let send = messages
        .functions
        .iter()
        .find(|f| f.name == "send")
        .unwrap();
    assert_eq!(
        (
            send.udf_type,
            serde_json::from_str::<serde_json::Value>(&send.returns).unwrap()
        ),
        (
            UdfType::Mutation,
            json!({"type": "id", "tableName": "messages"})
        )
    );
    let actions = &analysis.modules["actions.js"];
    assert!(actions
        .functions
        .iter()
        .any(|f| f.name == "sendAndCount" && f.udf_type == UdfType::Action));
    assert!(!analysis.modules.keys().any(|k| k.starts_with("_deps/")));
    let json = serde_json::to_value(&analysis).unwrap();
    assert_eq!(
        json["modules"]["messages.js"]["functions"][0]["udfType"]
            .as_str()
            .map(|s| ["Query", "Mutation", "Action"].contains(&s)),
        Some(true)
    );
}

#[test]
fn http_routes_crons_and_schema() {
    let analysis = analyze(&app_modules(), &Arc::new(BTreeMap::new())).expect("analysis");
    let http = &analysis.modules["http.js"];
    let routes: Vec<_> = http
        .http_routes
        .as_ref()
        .unwrap()
        .iter()
        .map(|r| (r.path.as_str(), r.method.as_str()))
        .collect();
    assert_eq!(routes, vec![("/messages", "GET"), ("/messages", "POST")]);
    let crons = analysis.modules["crons.js"].cron_specs.as_ref().unwrap();
    let spec = &crons["clear bot messages"];
    assert_eq!(spec["name"], json!("messages:clearAuthor"));
    assert_eq!(
        spec["schedule"],
        json!({"type": "daily", "hourUTC": 3, "minuteUTC": 0})
    );
    let schema = analysis.schema.as_ref().expect("schema");
    assert_eq!(schema["schemaValidation"], json!(true));
    let tables = schema["tables"].as_array().unwrap();
    let messages = tables
        .iter()
        .find(|t| t["tableName"] == "messages")
        .unwrap();
    assert_eq!(
        messages["indexes"],
        json!([{"indexDescriptor": "by_author", "fields": ["author"]}, {"indexDescriptor": "by_channel_author", "fields": ["channel", "author"]}])
    );
    assert_eq!(messages["searchIndexes"][0]["searchField"], json!("body"));
    assert_eq!(
        messages["documentType"]["value"]["channel"]["optional"],
        json!(true)
    );
}

#[test]
fn module_errors_are_reported_with_the_module() {
    let modules = ModuleSet::compile(vec![ModuleSource {
        path: "bad.js".into(),
        source: "throw new Error('top level');".into(),
        source_map: None,
    }])
    .unwrap();
    let err = analyze(&modules, &Arc::new(BTreeMap::new())).unwrap_err();
    assert_eq!(err.path, "bad.js");
    assert_eq!(err.error.message, "Uncaught Error: top level");
    let err = ModuleSet::compile(vec![ModuleSource {
        path: "syntax.js".into(),
        source: "let = ;".into(),
        source_map: None,
    }])
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Failed to compile syntax.js: SyntaxError"),
        "{err}"
    );
}

#[test]
fn auth_config_sees_env_vars() {
    let modules = ModuleSet::compile(vec![ModuleSource {
        path: "auth.config.js".into(),
        source: "export default { providers: [{ domain: process.env.AUTH_DOMAIN, applicationID: 'convex' }] };".into(),
        source_map: None,
    }])
    .unwrap();
    let env = Arc::new(BTreeMap::from([(
        "AUTH_DOMAIN".to_string(),
        "https://auth.example".to_string(),
    )]));
    let analysis = analyze(&modules, &env).unwrap();
    assert_eq!(
        analysis.auth_config,
        Some(json!({"providers": [{"domain": "https://auth.example", "applicationID": "convex"}]}))
    );
}
