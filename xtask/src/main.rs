//! `cargo xtask`: the two commands of the README and their parts.
//!
//! ```text
//! cargo xtask dev   [--port 8787] [--pool-port 8790]   set up, build, run everything locally
//! cargo xtask test                                     set up, build, run every test
//! cargo xtask setup [--browser]                        install what is missing
//! cargo xtask build [worker|client|game|detect|edge|pool|spin|all] build tiers (wrangler's [build] runs `build edge`)
//! cargo xtask tidy                                     repository invariants (routes vs OpenAPI, ...)
//! cargo xtask parity                                   the pool against NudeNet and @imgly's ISNet (a test)
//! cargo xtask bench transform|inference|auth|client|game|studio   engines against their peers (timings printed)
//! cargo xtask keygen                                   a new access-token key for JWT_KEYS
//! ```
//! `main` only turns a task's result into an exit code.

mod accounts;
mod bench;
mod build;
mod cmd;
mod dev;
mod parity;
mod project;
mod setup;
mod system;
mod test;
mod tidy;

use std::process::ExitCode;

type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let task = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    let result = match task.as_str() {
        "dev" => dev::run(&rest),
        "test" => test::run(&rest),
        "setup" => setup::run(&rest),
        "build" => build::run(&rest),
        "tidy" => tidy::run(),
        "bench" => bench::run(&rest),
        "parity" => parity::run(&rest),
        "keygen" => accounts::keygen(),
        _ => Err(format!("unknown task {task:?}\n\n{}", usage())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage() -> &'static str {
    "usage: cargo xtask <dev|test|setup|build|tidy|parity|bench|keygen> [options]\n\
     \n  dev    set up, build and run the Worker and the function pool locally\n\
     \n  test   set up, build and run every test; ends with 'N passed, N failed'\n\
     \n  setup  install what is missing (--browser adds Chromium)\n\
     \n  build  build tiers: worker, client, game, detect, edge (worker+client+game+detect), pool, spin, all\n\
     \n  tidy   check repository invariants\
     \n  parity the pool's detections and masks against NudeNet's and @imgly's\
     \n  bench  transform: the image engine against sharp; inference: the pool against NudeNet; auth: logins in the Worker; studio: private-mode detection in Chromium against the pool\
     \n  keygen print a new access-token key (kid:seed) for the JWT_KEYS secret"
}
