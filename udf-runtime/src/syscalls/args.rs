//! Reading the JSON arguments of a syscall, with Convex-style errors.

use serde_json::{Map, Value as JsonValue};

use crate::host::{FunctionAddress, HostError};

/// The parsed argument object of one syscall.
pub(crate) struct Args<'a> {
    pub(crate) op: &'a str,
    pub(crate) map: Map<String, JsonValue>,
}

impl<'a> Args<'a> {
    pub(crate) fn parse(op: &'a str, text: &str) -> Result<Self, HostError> {
        match serde_json::from_str(text) {
            Ok(JsonValue::Object(map)) => Ok(Args { op, map }),
            Ok(_) => Err(HostError::user(format!(
                "Invalid arguments for {op}: expected an object"
            ))),
            Err(e) => Err(HostError::user(format!("Invalid arguments for {op}: {e}"))),
        }
    }

    fn bad(&self, name: &str, expected: &str) -> HostError {
        HostError::user(format!(
            "Invalid argument `{name}` for `{}`: expected {expected}",
            self.op
        ))
    }

    pub(crate) fn take(&mut self, name: &str) -> Option<JsonValue> {
        self.map.remove(name).filter(|v| !v.is_null())
    }

    pub(crate) fn value(&mut self, name: &str) -> Result<JsonValue, HostError> {
        self.take(name).ok_or_else(|| self.bad(name, "a value"))
    }

    pub(crate) fn string(&mut self, name: &str) -> Result<String, HostError> {
        match self.take(name) {
            Some(JsonValue::String(s)) => Ok(s),
            _ => Err(self.bad(name, "a string")),
        }
    }

    pub(crate) fn opt_string(&mut self, name: &str) -> Result<Option<String>, HostError> {
        match self.take(name) {
            None => Ok(None),
            Some(JsonValue::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.bad(name, "a string")),
        }
    }

    pub(crate) fn bool(&mut self, name: &str) -> Result<bool, HostError> {
        match self.take(name) {
            None => Ok(false),
            Some(JsonValue::Bool(b)) => Ok(b),
            Some(_) => Err(self.bad(name, "a boolean")),
        }
    }

    pub(crate) fn f64(&mut self, name: &str) -> Result<f64, HostError> {
        match self.take(name) {
            Some(JsonValue::Number(n)) => n.as_f64().ok_or_else(|| self.bad(name, "a number")),
            _ => Err(self.bad(name, "a number")),
        }
    }

    pub(crate) fn u32(&mut self, name: &str) -> Result<u32, HostError> {
        let n = self.f64(name)?;
        if n >= 0.0 && n <= u32::MAX as f64 && n.fract() == 0.0 {
            Ok(n as u32)
        } else {
            Err(self.bad(name, "a non-negative integer"))
        }
    }

    pub(crate) fn opt_usize(&mut self, name: &str) -> Result<Option<usize>, HostError> {
        match self.take(name) {
            None => Ok(None),
            Some(JsonValue::Number(n)) => match n.as_f64() {
                Some(f) if f >= 0.0 && f.fract() == 0.0 => Ok(Some(f as usize)),
                _ => Err(self.bad(name, "a non-negative integer")),
            },
            Some(_) => Err(self.bad(name, "a number")),
        }
    }

    /// `{name?|reference?|functionHandle?}` (NPM `getFunctionAddress`).
    pub(crate) fn address(&mut self) -> Result<FunctionAddress, HostError> {
        if let Some(handle) = self.opt_string("functionHandle")? {
            return Ok(FunctionAddress::Handle(handle));
        }
        if let Some(reference) = self.opt_string("reference")? {
            return Ok(FunctionAddress::Reference(reference));
        }
        if let Some(name) = self.opt_string("name")? {
            return Ok(FunctionAddress::Name(name));
        }
        Err(HostError::user(format!(
            "Invalid arguments for {}: missing function name, reference or handle",
            self.op
        )))
    }
}
