//! Command-line interface: `basalt serve`, `basalt admin-key` and the admin
//! commands that talk to a running server (`pushes`, `rollback`), with every
//! flag documented for `basalt --help` / `basalt serve --help`.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Default request body limit of the public functions API: 16 MiB + 2000
/// bytes, as Convex's `MAX_BACKEND_PUBLIC_API_REQUEST_SIZE`.
pub const DEFAULT_REQUEST_BODY_LIMIT: usize = 16 * 1024 * 1024 + 2000;

/// Basalt: a self-hosted, Convex-compatible backend in one binary.
#[derive(Debug, Parser)]
#[command(name = "basalt", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server. On first start, creates the data directory and an admin
    /// key and prints the two lines to paste into `.env.local` for the
    /// `convex` CLI.
    Serve(ServeArgs),
    /// Print the admin key stored in the data directory.
    AdminKey(AdminKeyArgs),
    /// List the pushes a running server has stored, newest first.
    Pushes(RemoteArgs),
    /// Make a running server serve an earlier push again. Its schema is
    /// re-applied first (documents validated, its indexes backfilled); if
    /// that fails, the current push keeps serving.
    Rollback(RollbackArgs),
}

#[derive(Debug, Args)]
pub struct RemoteArgs {
    /// URL of the running server.
    #[arg(
        long,
        env = "CONVEX_SELF_HOSTED_URL",
        default_value = "http://127.0.0.1:3210"
    )]
    pub url: String,

    /// The server's admin key. Without it, the key stored in `--data-dir`
    /// is used.
    #[arg(long, env = "CONVEX_SELF_HOSTED_ADMIN_KEY", hide_env_values = true)]
    pub admin_key: Option<String>,

    #[command(flatten)]
    pub data: DataDirArg,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The push to restore (`basalt pushes` lists them).
    pub push_id: u64,

    #[command(flatten)]
    pub remote: RemoteArgs,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub data: DataDirArg,

    /// Address to listen on. Use 0.0.0.0 (or ::) to accept connections from
    /// other machines.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,

    /// TCP port to listen on (0 picks a free port; the printed URL shows it).
    #[arg(long, env = "BASALT_PORT", default_value_t = 3210)]
    pub port: u16,

    /// Name of this instance. It is the first part of the admin key
    /// (`<name>|<secret>`) and is answered by `GET /instance_name`. Letters,
    /// digits, `-` and `_` only. Fixed when the data directory is created.
    #[arg(long, default_value = "basalt", value_parser = parse_instance_name)]
    pub instance_name: String,

    /// How many functions (queries, mutations, actions) may run at once;
    /// further calls wait for a free slot.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_concurrent_functions: u32,

    /// How functions get their JavaScript context. `warm` (default): a
    /// pooled context that already holds the modules, reset before each
    /// call; module-level state may persist between calls. `strict`: a fresh
    /// context per call, as Convex does (modules exporting
    /// `experimental_reuseContext = true` still reuse one).
    #[arg(long, env = "BASALT_CONTEXT_MODE", default_value = "warm", value_enum)]
    pub context_mode: ContextModeArg,

    /// Memory for cached query results, in MiB (0 turns the cache off). A
    /// query called again with the same arguments and identity is answered
    /// from the cache while nothing it read has been written since, as on
    /// Convex.
    #[arg(long, env = "BASALT_QUERY_CACHE_MIB", default_value_t = 64)]
    pub query_cache_mib: usize,

    /// Largest accepted request body of the functions API, in bytes. Larger
    /// bodies are refused with HTTP 413 `PayloadTooLarge`.
    #[arg(long, default_value_t = DEFAULT_REQUEST_BODY_LIMIT)]
    pub request_body_limit: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ContextModeArg {
    Warm,
    Strict,
}

#[derive(Debug, Args)]
pub struct AdminKeyArgs {
    #[command(flatten)]
    pub data: DataDirArg,
}

#[derive(Debug, Args)]
pub struct DataDirArg {
    /// Directory holding all of the server's state (database, admin key).
    /// Created on first start.
    #[arg(long, env = "BASALT_DATA_DIR", default_value = "./basalt-data")]
    pub data_dir: PathBuf,
}

/// Instance names end up in admin keys (`<name>|<secret>`), in which `|` and
/// `:` have meaning, so only a conservative character set is allowed.
pub fn parse_instance_name(name: &str) -> Result<String, String> {
    if name.is_empty() || name.len() > 64 {
        return Err("must be 1 to 64 characters long".to_string());
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err("may contain only ASCII letters, digits, '-' and '_'".to_string());
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_defaults() {
        let cli = Cli::try_parse_from(["basalt", "serve"]).expect("parses");
        let Command::Serve(args) = cli.command else {
            panic!("expected serve");
        };
        assert_eq!(args.host.to_string(), "127.0.0.1");
        assert_eq!(args.instance_name, "basalt");
        assert_eq!(args.request_body_limit, 16 * 1024 * 1024 + 2000);
    }

    #[test]
    fn instance_names() {
        assert!(parse_instance_name("my-app_1").is_ok());
        assert!(parse_instance_name("").is_err());
        assert!(parse_instance_name("a:b").is_err());
        assert!(parse_instance_name("a|b").is_err());
        assert!(parse_instance_name(&"a".repeat(65)).is_err());
    }
}
