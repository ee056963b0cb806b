//! `edgepix-pool`: serves the function pool on a local address.
//!
//! ```text
//! POOL_SECRET=... edgepix-pool [--addr 127.0.0.1:8790] [--models DIR] [--backends auto] ...
//! ```
//! `main` only turns [`run`]'s result into an exit code; `--help` lists
//! every option.

mod backends;
mod config;
mod server;

use std::process::ExitCode;

fn main() -> ExitCode {
    match config::Config::from_args(std::env::args().skip(1)).and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("edgepix-pool: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(config: config::Config) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| format!("cannot start tokio: {e}"))?;
    runtime.block_on(server::serve(config))
}
