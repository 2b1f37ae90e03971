//! Function paths (`messages:list`, `dir/file.js:fn`, `messages`): parsing,
//! validation and canonicalisation exactly as convex-protocol.md §1.7.
//! A `CanonicalPath` always has a `.js` module and an explicit function name.

use std::fmt;

use crate::error::ApiError;

/// Longest path component or function name, in bytes.
const MAX_IDENTIFIER_LEN: usize = 64;

/// Error code Convex uses for a malformed function path.
pub const BAD_PATH_CODE: &str = "BadConvexFunctionIdentifier";

/// A validated, canonical function path: `<module>.js:<function>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CanonicalPath {
    /// Module path relative to the functions directory, `/`-separated, always
    /// ending in `.js`, e.g. `dir/file.js`.
    module: String,
    /// Function (export) name, e.g. `list` or `default`.
    function: String,
}

/// Why a path was refused. Rendered as the 400 message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid function path {path:?}: {reason}")]
pub struct FunctionPathError {
    path: String,
    reason: String,
}

impl From<FunctionPathError> for ApiError {
    fn from(error: FunctionPathError) -> Self {
        ApiError::bad_request(BAD_PATH_CODE, error.to_string())
    }
}

impl CanonicalPath {
    /// Parses a path as clients send it (§1.7 steps 1–4).
    pub fn parse(path: &str) -> Result<Self, FunctionPathError> {
        let fail = |reason: String| FunctionPathError {
            path: path.to_string(),
            reason,
        };
        // 1. Split at the last ':'; without one the function is `default`.
        let (module, function) = match path.rsplit_once(':') {
            Some((module, function)) => (module, function),
            None => (path, "default"),
        };
        let module = canonical_module(module).map_err(fail)?;
        check_identifier(function).map_err(|reason| fail(format!("function name: {reason}")))?;
        Ok(Self {
            module,
            function: function.to_string(),
        })
    }

    /// Module path with `.js`, e.g. `dir/file.js`.
    pub fn module(&self) -> &str {
        &self.module
    }

    /// Function name, e.g. `list` or `default`.
    pub fn function(&self) -> &str {
        &self.function
    }

    /// The display form: `.js` and `:default` dropped (`messages:list`,
    /// `messages`), as used in error messages like "Could not find public
    /// function for 'messages:list'".
    pub fn stripped(&self) -> String {
        let module = self.module.strip_suffix(".js").unwrap_or(&self.module);
        if self.function == "default" {
            module.to_string()
        } else {
            format!("{module}:{}", self.function)
        }
    }

    /// `_system/…`: system functions, callable by admins only.
    pub fn is_system(&self) -> bool {
        self.module.starts_with("_system/")
    }

    /// `_deps/…` and `actions/_deps/…`: bundler chunks, never runnable.
    pub fn is_dependency_chunk(&self) -> bool {
        self.module.starts_with("_deps/") || self.module.starts_with("actions/_deps/")
    }

    /// `http.js`: the HTTP router module.
    pub fn is_http_router(&self) -> bool {
        self.module == "http.js"
    }

    /// `crons.js`: the cron definitions module.
    pub fn is_cron_definitions(&self) -> bool {
        self.module == "crons.js"
    }
}

impl fmt::Display for CanonicalPath {
    /// The canonical form, `messages.js:list`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.module, self.function)
    }
}

/// §1.7 step 2–3: a relative path of normal components whose file has no
/// extension (then `.js` is added) or the extension `js`; every component at
/// most 64 bytes of `[A-Za-z0-9_.]` with at least one alphanumeric.
fn canonical_module(module: &str) -> Result<String, String> {
    if module.is_empty() {
        return Err("the module path is empty".to_string());
    }
    if module.starts_with('/') {
        return Err("the module path must be relative (no leading '/')".to_string());
    }
    let mut components: Vec<String> = Vec::new();
    for component in module.split('/') {
        match component {
            "" => {
                return Err(
                    "the module path has an empty component ('//' or a trailing '/')".to_string(),
                )
            }
            "." | ".." => {
                return Err(format!(
                    "the module path may not contain {component:?} components"
                ))
            }
            _ => components.push(component.to_string()),
        }
    }
    // `split` yields at least one item and none was empty, so a last one exists.
    let Some(file_name) = components.last_mut() else {
        return Err("the module path is empty".to_string());
    };
    match extension(file_name) {
        None => file_name.push_str(".js"),
        Some("js") => {}
        Some(other) => {
            return Err(format!(
                "the module {module:?} has the extension {other:?}; function modules are .js files (the extension may be left out)"
            ))
        }
    }
    for component in &components {
        check_path_component(component)?;
    }
    Ok(components.join("/"))
}

/// The extension as `std::path::Path::extension` sees it: the text after the
/// last `.`, unless that `.` starts the name.
fn extension(file_name: &str) -> Option<&str> {
    match file_name.rfind('.') {
        Some(0) | None => None,
        Some(dot) => Some(&file_name[dot + 1..]),
    }
}

fn check_path_component(component: &str) -> Result<(), String> {
    if component.len() > MAX_IDENTIFIER_LEN {
        return Err(format!(
            "the path component {component:?} is longer than {MAX_IDENTIFIER_LEN} bytes"
        ));
    }
    if let Some(bad) = component
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '.'))
    {
        return Err(format!(
            "the path component {component:?} contains {bad:?}; only letters, digits, '_' and '.' are allowed"
        ));
    }
    if !component.chars().any(|c| c.is_ascii_alphanumeric()) {
        return Err(format!(
            "the path component {component:?} needs at least one letter or digit"
        ));
    }
    Ok(())
}

/// §1.7 step 4: first character a letter or `_`, then `[A-Za-z0-9_]`, at most
/// 64 bytes, not only underscores.
fn check_identifier(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return Err("it is empty".to_string());
    };
    if !(first.is_ascii_alphabetic() || first == '_') {
        return Err(format!("{name:?} must start with a letter or '_'"));
    }
    if let Some(bad) = chars.find(|c| !(c.is_ascii_alphanumeric() || *c == '_')) {
        return Err(format!(
            "{name:?} contains {bad:?}; only letters, digits and '_' are allowed"
        ));
    }
    if name.len() > MAX_IDENTIFIER_LEN {
        return Err(format!(
            "{name:?} is longer than {MAX_IDENTIFIER_LEN} bytes"
        ));
    }
    if name.chars().all(|c| c == '_') {
        return Err(format!("{name:?} may not consist only of underscores"));
    }
    Ok(())
}

/// `/api/run/a/b/c` → `a/b:c`: the segments after `/api/run/` (each already
/// percent-decoded); the last is the function name.
pub fn path_from_run_segments(segments: &[String]) -> Result<String, ApiError> {
    match segments {
        [module @ .., function] if !module.is_empty() => {
            Ok(format!("{}:{function}", module.join("/")))
        }
        _ => Err(ApiError::bad_request(
            "MissingIdentifier",
            "Expected /api/run/<module path>/<function name>, e.g. /api/run/messages/list for messages:list",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(path: &str) -> String {
        CanonicalPath::parse(path)
            .unwrap_or_else(|e| panic!("{path} should parse: {e}"))
            .to_string()
    }

    fn refused(path: &str) -> String {
        match CanonicalPath::parse(path) {
            Ok(parsed) => panic!("{path} should be refused, got {parsed}"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn examples_from_the_protocol_notes() {
        assert_eq!(canonical("messages:list"), "messages.js:list");
        assert_eq!(canonical("messages.js:list"), "messages.js:list");
        assert_eq!(canonical("messages"), "messages.js:default");
        assert_eq!(canonical("messages.js"), "messages.js:default");
        assert_eq!(canonical("dir/file:fn"), "dir/file.js:fn");
        assert_eq!(
            canonical("auth.config.js:default"),
            "auth.config.js:default"
        );
        assert_eq!(
            canonical("_system/cli/tableSize:default"),
            "_system/cli/tableSize.js:default"
        );
        // Splits at the last ':', so the module "a:b" is refused.
        assert!(refused("a:b:c").contains("':'"));
    }

    #[test]
    fn equivalent_spellings_are_equal() {
        let a = CanonicalPath::parse("messages:list").expect("parses");
        let b = CanonicalPath::parse("messages.js:list").expect("parses");
        assert_eq!(a, b);
        let c = CanonicalPath::parse("messages").expect("parses");
        let d = CanonicalPath::parse("messages.js:default").expect("parses");
        assert_eq!(c, d);
    }

    #[test]
    fn stripped_display_form() {
        let stripped = |p: &str| CanonicalPath::parse(p).expect("parses").stripped();
        assert_eq!(stripped("messages.js:list"), "messages:list");
        assert_eq!(stripped("messages.js:default"), "messages");
        assert_eq!(stripped("dir/file:fn"), "dir/file:fn");
    }

    #[test]
    fn wrong_extensions_are_refused() {
        assert!(refused("messages.ts:list").contains("\"ts\""));
        assert!(refused("messages.mjs:list").contains("extension"));
        assert!(refused("foo.bar").contains("extension"));
        assert!(refused("messages.:list").contains("extension"));
    }

    #[test]
    fn bad_module_paths_are_refused() {
        assert!(refused("/messages:list").contains("relative"));
        assert!(refused("../messages:list").contains("\"..\""));
        assert!(refused("./messages:list").contains("\".\""));
        assert!(refused("a//b:list").contains("empty component"));
        assert!(refused("dir/:list").contains("empty component"));
        assert!(refused(":list").contains("empty"));
        assert!(refused("").contains("empty"));
        assert!(refused("mes-sages:list").contains("'-'"));
        assert!(refused("mes sages:list").contains("' '"));
        assert!(refused("___/m:list").contains("letter or digit"));
        // Checked after canonicalisation: "___.js" has letters.
        assert!(CanonicalPath::parse("___:list").is_ok());
        assert!(refused(&format!("{}:list", "a".repeat(62))).contains("longer"));
        // 61 characters + ".js" = 64 bytes: allowed.
        assert!(CanonicalPath::parse(&format!("{}:list", "a".repeat(61))).is_ok());
    }

    #[test]
    fn bad_function_names_are_refused() {
        assert!(refused("messages:").contains("empty"));
        assert!(refused("messages:1list").contains("start with"));
        assert!(refused("messages:li-st").contains("'-'"));
        assert!(refused("messages:___").contains("underscores"));
        assert!(refused(&format!("messages:{}", "f".repeat(65))).contains("longer"));
        assert!(CanonicalPath::parse(&format!("messages:{}", "f".repeat(64))).is_ok());
        assert!(CanonicalPath::parse("messages:_private").is_ok());
    }

    #[test]
    fn errors_map_to_400_bad_identifier() {
        let error: ApiError = CanonicalPath::parse("messages.ts:list")
            .expect_err("refused")
            .into();
        assert_eq!(error.status().as_u16(), 400);
        assert_eq!(error.code(), BAD_PATH_CODE);
        assert!(error.message().contains("messages.ts:list"));
    }

    #[test]
    fn special_modules() {
        let p = |s: &str| CanonicalPath::parse(s).expect("parses");
        assert!(p("_system/cli/tables:default").is_system());
        assert!(p("_deps/ABC123:default").is_dependency_chunk());
        assert!(p("actions/_deps/ABC123:default").is_dependency_chunk());
        assert!(p("http").is_http_router());
        assert!(p("crons").is_cron_definitions());
        assert!(!p("messages:list").is_system());
    }

    #[test]
    fn run_segments() {
        let seg = |parts: &[&str]| {
            path_from_run_segments(&parts.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        };
        assert_eq!(seg(&["messages", "list"]).expect("ok"), "messages:list");
        assert_eq!(seg(&["a", "b", "c"]).expect("ok"), "a/b:c");
        let error = seg(&["messages"]).expect_err("too short");
        assert_eq!(error.code(), "MissingIdentifier");
        assert_eq!(error.status().as_u16(), 400);
        assert!(seg(&[]).is_err());
    }
}
