//! Basalt: a self-hosted, Convex-compatible backend in one binary. This crate
//! is the server: command line, HTTP routing, auth and the public APIs; the
//! `storage` and `udf-runtime` crates provide the database and the function
//! runtime.

pub mod admin_key;
pub mod api;
pub mod auth;
pub mod cli;
pub mod config;
pub mod deploy;
pub mod deployment;
pub mod error;
pub mod export;
pub mod functions;
pub mod http;
pub mod import;
pub mod remote;
pub mod server;
pub mod shutdown;
pub mod state;
