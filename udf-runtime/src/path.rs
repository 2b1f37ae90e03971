//! Function paths (`convex-protocol.md` §1.7): `messages:list`,
//! `messages.js:list`, `dir/file:fn`, `messages` (= `messages.js:default`).

/// A parsed, canonical function path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionPath {
    /// Module path with `.js`: `messages.js`.
    pub module: String,
    /// Export name: `list`, `default`.
    pub function: String,
}

fn valid_component(part: &str) -> bool {
    !part.is_empty()
        && part.len() <= 64
        && part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        && part.bytes().any(|b| b.is_ascii_alphanumeric())
}

fn valid_identifier(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && name.len() <= 64
        && !name.bytes().all(|b| b == b'_')
}

impl FunctionPath {
    /// Parses a path; the error is a user-facing message.
    pub fn parse(path: &str) -> Result<FunctionPath, String> {
        let (module, function) = match path.rsplit_once(':') {
            Some((m, f)) => (m, f),
            None => (path, "default"),
        };
        let bad = || format!("Invalid function path: {path:?}");
        if module.starts_with('/') || module.is_empty() {
            return Err(bad());
        }
        let mut module = module.to_string();
        let last = module.rsplit('/').next().unwrap_or("");
        match last.rsplit_once('.') {
            Some((_, "js")) => {}
            Some((_, ext)) if !module.ends_with("auth.config") => {
                return Err(format!(
                    "Invalid function path {path:?}: module extension must be .js, not .{ext}"
                ))
            }
            _ => module.push_str(".js"),
        }
        if !module
            .split('/')
            .all(|p| p != "." && p != ".." && valid_component(p))
        {
            return Err(bad());
        }
        if !valid_identifier(function) {
            return Err(bad());
        }
        Ok(FunctionPath {
            module,
            function: function.to_string(),
        })
    }

    /// `messages.js:list`.
    pub fn canonical(&self) -> String {
        format!("{}:{}", self.module, self.function)
    }

    /// `messages:list` (no `.js`, no `:default`).
    pub fn stripped(&self) -> String {
        let module = self.module.strip_suffix(".js").unwrap_or(&self.module);
        if self.function == "default" {
            module.to_string()
        } else {
            format!("{module}:{}", self.function)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FunctionPath;

    #[test]
    fn parses_like_convex() {
        let p = FunctionPath::parse("messages:list").expect("test input is valid");
        assert_eq!(p.canonical(), "messages.js:list");
        assert_eq!(p.stripped(), "messages:list");
        assert_eq!(
            FunctionPath::parse("messages.js:list").expect("test input is valid"),
            p
        );
        let d = FunctionPath::parse("dir/file").expect("test input is valid");
        assert_eq!(d.canonical(), "dir/file.js:default");
        assert_eq!(d.stripped(), "dir/file");
        assert!(FunctionPath::parse("messages.ts:list").is_err());
        assert!(FunctionPath::parse("../x:list").is_err());
        assert!(FunctionPath::parse("m:1bad").is_err());
        assert!(FunctionPath::parse("m:___").is_err());
    }
}
