//! The server's settled configuration, built once from the command line and
//! shared read-only by every request through `AppState`.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use udf_runtime::ContextMode;

use crate::cli::{ContextModeArg, ServeArgs};

#[derive(Debug, Clone)]
pub struct Config {
    /// Directory holding all state (database, admin key).
    pub data_dir: PathBuf,
    /// Address to bind.
    pub listen: SocketAddr,
    /// Answered by `/instance_name`; the first part of the admin key.
    pub instance_name: String,
    /// How many functions may run at once.
    pub max_concurrent_functions: usize,
    /// Largest accepted body for the functions API and `/echo`.
    pub request_body_limit: usize,
    /// Warm (pooled) or strict (fresh per call) function contexts.
    pub context_mode: ContextMode,
    /// Byte budget of the query cache (0: off).
    pub query_cache_bytes: usize,
}

impl Config {
    pub fn from_args(args: &ServeArgs) -> Self {
        Self {
            data_dir: args.data.data_dir.clone(),
            listen: SocketAddr::new(args.host, args.port),
            instance_name: args.instance_name.clone(),
            max_concurrent_functions: args.max_concurrent_functions as usize,
            request_body_limit: args.request_body_limit,
            context_mode: match args.context_mode {
                ContextModeArg::Warm => ContextMode::Warm,
                ContextModeArg::Strict => ContextMode::Strict,
            },
            query_cache_bytes: args.query_cache_mib.saturating_mul(1024 * 1024),
        }
    }
}

/// The URL clients should use for a server bound to `addr`: an unspecified
/// address (0.0.0.0, ::) is shown as loopback.
pub fn client_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let url = |s: &str| client_url(s.parse().expect("addr"));
        assert_eq!(url("127.0.0.1:3210"), "http://127.0.0.1:3210");
        assert_eq!(url("0.0.0.0:3210"), "http://127.0.0.1:3210");
        assert_eq!(url("[::]:80"), "http://[::1]:80");
        assert_eq!(url("[::1]:80"), "http://[::1]:80");
    }
}
