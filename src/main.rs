//! The `basalt` binary: parses the command line, sets up logging to stderr
//! (`RUST_LOG` filters it, default `info`) and runs the chosen command.

use std::io::IsTerminal;
use std::process::ExitCode;

use basalt::admin_key::AdminKey;
use basalt::cli::{Cli, Command};
use clap::Parser;
use tracing_subscriber::EnvFilter;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            init_tracing();
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => return fail(&format!("cannot start the async runtime: {error}")),
            };
            match runtime.block_on(basalt::server::run(args)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => fail(&error.to_string()),
            }
        }
        Command::AdminKey(args) => match AdminKey::load(&args.data.data_dir) {
            Ok(key) => {
                println!("{}", key.as_str());
                ExitCode::SUCCESS
            }
            Err(error) => fail(&error.to_string()),
        },
        Command::Pushes(args) => print(basalt::remote::pushes(&args)),
        Command::Rollback(args) => print(basalt::remote::rollback(&args.remote, args.push_id)),
    }
}

fn print(result: Result<String, basalt::remote::RemoteError>) -> ExitCode {
    match result {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(error) => fail(&error.to_string()),
    }
}

fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

fn fail(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::FAILURE
}
