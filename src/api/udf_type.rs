//! The kinds of user function (`UdfType`) and how their names are written in
//! messages and push analysis (`Query`, `Mutation`, `Action`, `HttpAction`).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UdfType {
    Query,
    Mutation,
    Action,
    HttpAction,
}

impl UdfType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Query => "Query",
            Self::Mutation => "Mutation",
            Self::Action => "Action",
            Self::HttpAction => "HttpAction",
        }
    }

    /// Lower-case form used in logs and in "not implemented" messages.
    pub fn lowercase(self) -> &'static str {
        match self {
            Self::Query => "query",
            Self::Mutation => "mutation",
            Self::Action => "action",
            Self::HttpAction => "HTTP action",
        }
    }
}

impl fmt::Display for UdfType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
