//! Errors of an execution: [`JsError`] (what user code threw, with
//! source-mapped stack frames and optional ConvexError data, rendered the way
//! Convex renders it) and [`ExecuteError`] (user-visible vs system failures).

use std::fmt;

use serde_json::Value as JsonValue;

use crate::sourcemap::SourceMap;

/// Longest error message kept (Convex's `MAX_ERROR_MESSAGE_LENGTH`).
pub const MAX_ERROR_MESSAGE_LENGTH: usize = 64 * 1024;

/// One stack frame, already mapped back to the original source when the
/// module had a source map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The function name, when known.
    pub function: Option<String>,
    /// The file: an original source path such as `../convex/messages.ts`, or
    /// the module specifier (`convex:/messages.js`) when unmapped.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl fmt::Display for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.function {
            Some(name) => write!(f, "{name} ({}:{}:{})", self.file, self.line, self.column),
            None => write!(f, "{}:{}:{}", self.file, self.line, self.column),
        }
    }
}

/// An error raised by user code (or by the runtime on its behalf: validation,
/// function not found, timeouts). Displays as Convex's `JsError`: the message,
/// a newline, then one `    at …` line per frame.
#[derive(Clone, Debug, PartialEq)]
pub struct JsError {
    /// e.g. `Uncaught Error: boom`.
    pub message: String,
    pub frames: Vec<Frame>,
    /// Encoded-JSON data of a thrown `ConvexError`.
    pub custom_data: Option<JsonValue>,
}

impl JsError {
    /// An error with a message and no frames.
    pub fn from_message(message: impl Into<String>) -> Self {
        let mut message = message.into();
        truncate_message(&mut message);
        JsError {
            message,
            frames: Vec::new(),
            custom_data: None,
        }
    }
}

impl fmt::Display for JsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.message)?;
        for frame in &self.frames {
            writeln!(f, "    at {frame}")?;
        }
        Ok(())
    }
}

impl std::error::Error for JsError {}

/// Why an execution did not produce a value.
#[derive(Clone, Debug, PartialEq)]
pub enum ExecuteError {
    /// A user-visible failure: returned to the client as `errorMessage`
    /// (and `errorData` when `custom_data` is set).
    Js(JsError),
    /// A failure of the system (a host system error, an engine fault): the
    /// client sees a generic internal error.
    System(String),
}

impl ExecuteError {
    /// The JsError, if this is a user-visible failure.
    pub fn as_js(&self) -> Option<&JsError> {
        match self {
            ExecuteError::Js(e) => Some(e),
            ExecuteError::System(_) => None,
        }
    }
}

impl fmt::Display for ExecuteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecuteError::Js(e) => write!(f, "{e}"),
            ExecuteError::System(message) => write!(f, "system error: {message}"),
        }
    }
}

impl std::error::Error for ExecuteError {}

impl From<JsError> for ExecuteError {
    fn from(e: JsError) -> Self {
        ExecuteError::Js(e)
    }
}

/// Truncates a message to [`MAX_ERROR_MESSAGE_LENGTH`] on a char boundary.
pub fn truncate_message(message: &mut String) {
    if message.len() > MAX_ERROR_MESSAGE_LENGTH {
        let mut end = MAX_ERROR_MESSAGE_LENGTH;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
    }
}

/// A frame as QuickJS prints it in `error.stack`, before source mapping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawFrame {
    pub function: Option<String>,
    pub file: String,
    pub line: u32,
    pub column: u32,
}

/// Parses the `    at fn (file:line:col)` / `    at file:line:col` lines of a
/// QuickJS stack; frames without a position (`(native)`) are skipped.
pub fn parse_stack(stack: &str) -> Vec<RawFrame> {
    stack.lines().filter_map(parse_frame_line).collect()
}

fn parse_frame_line(line: &str) -> Option<RawFrame> {
    let rest = line.trim_start().strip_prefix("at ")?;
    let (function, location) = match rest.strip_suffix(')') {
        Some(inner) => {
            let open = inner.find(" (")?;
            (Some(inner[..open].to_string()), &inner[open + 2..])
        }
        None => (None, rest),
    };
    let (location, column) = location.rsplit_once(':')?;
    let (file, line_number) = location.rsplit_once(':')?;
    let function = function.filter(|f| !f.is_empty() && f != "<anonymous>");
    Some(RawFrame {
        function,
        file: file.to_string(),
        line: line_number.parse().ok()?,
        column: column.parse().ok()?,
    })
}

/// Source-maps raw frames. `source_map_for` returns the source map of a
/// module specifier (`convex:/messages.js`) when one was uploaded. Frames in
/// the runtime's own setup code are dropped, as are leading and trailing
/// frames inside the `convex/server` implementation (as Convex does).
pub fn map_frames<'a>(
    raw: &[RawFrame],
    source_map_for: impl Fn(&str) -> Option<&'a SourceMap>,
) -> Vec<Frame> {
    let mut frames: Vec<Frame> = raw
        .iter()
        .filter(|f| f.file.starts_with("convex:/"))
        .map(|f| {
            let mapped = source_map_for(&f.file).and_then(|sm| sm.lookup(f.line, f.column));
            match mapped {
                Some(pos) => Frame {
                    function: f.function.clone().or(pos.name),
                    file: pos.source,
                    line: pos.line,
                    column: pos.column,
                },
                None => Frame {
                    function: f.function.clone(),
                    file: f.file.clone(),
                    line: f.line,
                    column: f.column,
                },
            }
        })
        .collect();
    let internal = |f: &Frame| f.file.contains("convex/src/server/impl");
    while frames.first().is_some_and(internal) {
        frames.remove(0);
    }
    while frames.last().is_some_and(internal) {
        frames.pop();
    }
    frames
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quickjs_frames() {
        let stack = "Error: boom\n    at handler (convex:/messages.js:26:15)\n    at <anonymous> (convex:/_deps/A.js:3:1)\n    at convex:/x.js:1:2\n    at apply (native)\n";
        let frames = parse_stack(stack);
        assert_eq!(frames.len(), 3);
        assert_eq!(frames[0].function.as_deref(), Some("handler"));
        assert_eq!((frames[0].line, frames[0].column), (26, 15));
        assert_eq!(frames[1].function, None);
        assert_eq!(frames[2].file, "convex:/x.js");
    }

    #[test]
    fn renders_like_convex() {
        let e = JsError {
            message: "Uncaught Error: boom".into(),
            frames: vec![Frame {
                function: Some("handler".into()),
                file: "../convex/messages.ts".into(),
                line: 12,
                column: 9,
            }],
            custom_data: None,
        };
        assert_eq!(
            e.to_string(),
            "Uncaught Error: boom\n    at handler (../convex/messages.ts:12:9)\n"
        );
        assert_eq!(JsError::from_message("x").to_string(), "x\n");
    }
}
