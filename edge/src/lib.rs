//! The edgepix Worker.
//!
//! This crate is the only one that names `worker::`: it turns requests into
//! calls of `edgepix-core` and binding operations, and results into
//! responses. `router.rs` lists every route; `handlers/` holds one module per
//! resource; `error.rs` is the one place an error becomes an HTTP response;
//! `queue.rs` consumes the jobs queue.
#![deny(missing_docs)]

mod analysis;
mod auth;
mod bindings;
mod db;
mod error;
mod game_maker;
mod games;
mod handlers;
mod kdf;
mod limits;
mod memory;
mod pool;
mod protections;
mod queue;
mod rate_limiter;
mod router;
mod store;
mod templates;
mod users;

use worker::{Context, Env, Request, Response, Result, event};


/// The Worker's entry point: route, then decorate (timing, dev memory).
#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    console_error_panic_hook_install();
    router::handle(req, env).await
}

fn console_error_panic_hook_install() {
    use std::sync::Once;
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| worker::console_error!("panic: {info}")));
    });
}
