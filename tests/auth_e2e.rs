//! User authentication end to end: an app whose `auth.config.ts` trusts an
//! OIDC provider (a loopback identity provider with discovery and JWKS) and
//! two custom JWT issuers (JWKS by URL and by `data:` URI) is deployed with
//! the real CLI; the real `ConvexHttpClient` then calls it with `setAuth`
//! tokens, and bad tokens get Convex's 401 errors while the server keeps
//! serving.

mod common;

use std::path::Path;
use std::process::Command;

use common::app::{deploy, require_node_modules, scratch_app};
use common::jwt::{jwks, jwks_data_uri, now_secs, Provider, SigningKey};
use common::Server;
use serde_json::{json, Value};

const APP_ID: &str = "basalt-example";
const CUSTOM_ISSUER: &str = "https://auth.custom.example.com";

fn write_auth_config(app: &Path, oidc: &str, custom_jwks_url: &str, data_uri: &str) {
    let config = format!(
        r#"export default {{
  providers: [
    {{ domain: "{oidc}", applicationID: "{APP_ID}" }},
    {{ type: "customJwt", issuer: "{oidc}/custom", jwks: "{custom_jwks_url}", algorithm: "RS256", applicationID: "custom-app" }},
    {{ type: "customJwt", issuer: "{CUSTOM_ISSUER}", jwks: "{data_uri}", algorithm: "ES256" }},
  ],
}};
"#
    );
    std::fs::write(app.join("convex/auth.config.ts"), config).expect("write auth.config.ts");
}

/// Runs the real ConvexHttpClient with `setAuth(token)`.
fn as_user(server: &Server, token: &str) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/auth_client.mjs");
    let out = Command::new("node")
        .arg(script)
        .arg(&server.url)
        .arg(token)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "node failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// `users:me` with `Authorization: Bearer <token>`: (status, body).
fn me(server: &Server, token: &str) -> (u16, Value) {
    let reply = server.post(
        "/api/query",
        &[
            ("Content-Type", "application/json"),
            ("Authorization", &format!("Bearer {token}")),
        ],
        br#"{"path": "users:me", "args": {}, "format": "json"}"#,
    );
    (reply.status, reply.json())
}

fn oidc_claims(issuer: &str, exp_offset: i64) -> Value {
    let now = now_secs() as i64;
    json!({
        "iss": issuer, "sub": "user_2a", "aud": APP_ID,
        "iat": now - 10, "exp": now + exp_offset, "nbf": now - 10, "jti": "abc",
        "name": "Ada Lovelace", "given_name": "Ada", "email": "ada@example.com",
        "email_verified": true, "org_role": "admin",
    })
}

#[test]
fn tokens_from_configured_providers_reach_functions() {
    require_node_modules();
    let rsa = SigningKey::rsa("rsa-1");
    let ec = SigningKey::ec("ec-1");
    let provider = Provider::start(jwks(&[&rsa]));
    let server = Server::start();

    // Before any auth config: no provider matches.
    let early = rsa.sign(&oidc_claims(&provider.url, 600));
    let (status, body) = me(&server, &early);
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("NoAuthProvider")),
        "{body}"
    );

    let app = scratch_app();
    write_auth_config(
        app.path(),
        &provider.url,
        &format!("{}/custom/jwks", provider.url),
        &jwks_data_uri(&[&ec]),
    );
    let out = deploy(&server, app.path());
    assert!(out.contains("Deployed Convex functions"), "{out}");

    // OIDC (RS256, keys by discovery) through the real client.
    let token = rsa.sign(&oidc_claims(&provider.url, 600));
    let reply = as_user(&server, &token);
    let identity = &reply["me"];
    assert_eq!(
        identity,
        &json!({
            "tokenIdentifier": format!("{}|user_2a", provider.url),
            "subject": "user_2a", "issuer": provider.url,
            "name": "Ada Lovelace", "givenName": "Ada", "email": "ada@example.com",
            "emailVerified": true, "org_role": "admin",
        }),
        "{reply}"
    );
    assert!(
        reply["note"].is_string(),
        "a mutation sees the user too: {reply}"
    );
    let notes = common::app::call(
        &server,
        "query",
        "messages:list",
        json!({"author": format!("{}|user_2a", provider.url)}),
    );
    assert_eq!(notes.as_array().map(Vec::len), Some(1), "{notes}");

    // Custom JWT, RS256, JWKS by URL (served as application/jwk-set+json),
    // with an audience check.
    let now = now_secs();
    let custom = json!({"iss": format!("{}/custom", provider.url), "sub": "svc", "aud": "custom-app",
        "exp": now + 600, "iat": now, "tenant": "t1"});
    let reply = as_user(&server, &rsa.sign(&custom));
    assert_eq!(reply["me"]["subject"], "svc", "{reply}");
    assert_eq!(reply["me"]["tenant"], "t1", "{reply}");

    // Custom JWT, ES256, JWKS in a data: URI, no applicationID (any audience).
    let es =
        json!({"iss": CUSTOM_ISSUER, "sub": "u-9", "exp": now + 600, "email": "nine@example.com"});
    let reply = as_user(&server, &ec.sign(&es));
    assert_eq!(
        reply["me"],
        json!({"tokenIdentifier": format!("{CUSTOM_ISSUER}|u-9"), "subject": "u-9",
               "issuer": CUSTOM_ISSUER, "email": "nine@example.com"}),
        "{reply}"
    );

    // Refused tokens: the real client sees the error, and raw calls get
    // Convex's codes with 401.
    let expired = rsa.sign(&oidc_claims(&provider.url, -3600));
    let reply = as_user(&server, &expired);
    assert!(
        reply["error"]
            .as_str()
            .is_some_and(|e| e.contains("Unauthenticated")),
        "{reply}"
    );
    let cases: Vec<(&str, String, &str)> = vec![
        ("expired OIDC token", expired.clone(), "Unauthenticated"),
        ("wrong audience", rsa.sign(&json!({"iss": provider.url, "sub": "x", "aud": "other", "exp": now + 600, "iat": now})), "NoAuthProvider"),
        ("unknown issuer", rsa.sign(&json!({"iss": "https://evil.example.com", "sub": "x", "aud": APP_ID, "exp": now + 600, "iat": now})), "NoAuthProvider"),
        ("an ES256 token naming the RSA kid", ec.sign_as("rsa-1", &oidc_claims(&provider.url, 600)), "Unauthenticated"),
        ("custom JWT with an unknown kid", ec.sign_as("ec-2", &es), "InvalidAuthHeader"),
        ("custom JWT signed by the wrong key", SigningKey::ec("ec-1").sign(&es), "InvalidAuthHeader"),
        ("expired custom JWT", ec.sign(&json!({"iss": CUSTOM_ISSUER, "sub": "u", "exp": now - 3600})), "InvalidAuthHeader"),
        ("custom JWT without exp", ec.sign(&json!({"iss": CUSTOM_ISSUER, "sub": "u"})), "InvalidAuthHeader"),
        ("custom JWT with the wrong audience", rsa.sign(&json!({"iss": format!("{}/custom", provider.url), "sub": "s", "aud": "nope", "exp": now + 600})), "NoAuthProvider"),
        ("not a JWT", "abc.def".to_string(), "InvalidAuthHeader"),
        ("payload not JSON", "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln".to_string(), "InvalidAuthHeader"),
        ("no issuer", ec.sign(&json!({"sub": "u", "exp": now + 600})), "InvalidAuthHeader"),
    ];
    for (what, token, code) in cases {
        let (status, body) = me(&server, &token);
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some(code)),
            "{what}: {body}"
        );
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{what}: {body}"
        );
    }

    // A rotated key: a token with a kid the cached JWKS lacks makes the
    // server refetch it (at most once per refetch interval, 5 s).
    provider.set_keys(jwks(&[&rsa, &SigningKey::rsa("rsa-2")]));
    std::thread::sleep(std::time::Duration::from_secs(6));
    let (status, body) = me(
        &server,
        &SigningKey::rsa("rsa-2").sign(&oidc_claims(&provider.url, 600)),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["value"]["subject"], "user_2a", "{body}");

    // Anonymous callers still work, and the server is healthy.
    let anonymous = common::app::call(&server, "query", "users:me", json!({}));
    assert_eq!(anonymous, Value::Null);
}

#[test]
fn an_invalid_auth_config_fails_the_push_and_keeps_the_old_one() {
    require_node_modules();
    let server = Server::start();
    let app = scratch_app();
    std::fs::write(
        app.path().join("convex/auth.config.ts"),
        r#"export default { providers: [{ type: "customJwt", issuer: "https://a.example.com", jwks: "https://a.example.com/jwks", algorithm: "HS256" }] };"#,
    )
    .expect("write auth.config.ts");
    let (ok, out) = common::app::try_deploy(&server, app.path());
    assert!(!ok, "the push must fail:\n{out}");
    assert!(out.contains("only RS256 and ES256"), "{out}");
    let (ok, out) = common::app::try_deploy(&server, app.path());
    assert!(!ok, "{out}");
    std::fs::remove_file(app.path().join("convex/auth.config.ts")).expect("remove");
    deploy(&server, app.path());
    let anonymous = common::app::call(&server, "query", "users:me", json!({}));
    assert_eq!(anonymous, Value::Null);
}

/// The issuers a token from an unknown issuer is told are configured.
fn configured_issuers(server: &Server) -> String {
    let foreign = SigningKey::rsa("k").sign(&oidc_claims("https://elsewhere.example.com", 600));
    let (status, body) = me(server, &foreign);
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("NoAuthProvider")),
        "{body}"
    );
    body["message"].as_str().expect("message").to_string()
}

fn set_env(server: &Server, changes: Value) -> common::Reply {
    server.post(
        "/api/update_environment_variables",
        &[
            ("Content-Type", "application/json"),
            ("Authorization", &server.admin_auth()),
        ],
        json!({ "changes": changes }).to_string().as_bytes(),
    )
}

#[test]
fn auth_config_follows_the_environment_variables_it_reads() {
    require_node_modules();
    let data = tempfile::tempdir().expect("temp dir");
    let mut server = Server::start_in(data.path());
    let app = scratch_app();
    std::fs::write(
        app.path().join("convex/auth.config.ts"),
        r#"export default { providers: [{ domain: process.env.AUTH_ISSUER_URL!, applicationID: "convex" }] };"#,
    )
    .expect("write auth.config.ts");

    // Unset: the push fails with Convex's message, which the CLI prints.
    let (ok, out) = common::app::try_deploy(&server, app.path());
    assert!(!ok, "the push must fail:\n{out}");
    assert!(
        out.contains("Environment variable AUTH_ISSUER_URL is used in auth config file but its value was not set"),
        "{out}"
    );

    let reply = set_env(
        &server,
        json!([{"name": "AUTH_ISSUER_URL", "value": "https://one.example.com"}]),
    );
    assert_eq!(reply.status, 200, "{}", reply.message());
    deploy(&server, app.path());
    assert!(configured_issuers(&server).contains("https://one.example.com"));

    // A change of the variable re-evaluates auth.config.ts.
    let reply = set_env(
        &server,
        json!([{"name": "AUTH_ISSUER_URL", "value": "https://two.example.com"}]),
    );
    assert_eq!(reply.status, 200, "{}", reply.message());
    let now = configured_issuers(&server);
    assert!(
        now.contains("https://two.example.com") && !now.contains("one.example"),
        "{now}"
    );

    // Removing it would break the config: refused, and nothing changes.
    let reply = set_env(&server, json!([{"name": "AUTH_ISSUER_URL"}]));
    reply.assert_error(400, "AuthConfigMissingEnvironmentVariable");
    assert!(configured_issuers(&server).contains("https://two.example.com"));
    let value = common::app::call_admin(
        &server,
        "query",
        "diagnostics:env",
        json!({"name": "AUTH_ISSUER_URL"}),
    );
    assert_eq!(value, "https://two.example.com");

    // A restart serves the re-evaluated providers.
    server.terminate();
    let server = Server::start_in(data.path());
    assert!(configured_issuers(&server).contains("https://two.example.com"));
}
