//! Names of the bindings and variables declared in `wrangler.toml`.

/// D1: accounts, assets, jobs, tickets.
pub const DB: &str = "DB";
/// R2: originals and derivatives.
pub const MEDIA: &str = "MEDIA";
/// KV: hot keys (short codes, cached lookups).
pub const CACHE: &str = "CACHE";
/// Durable Object namespace of the `RateLimiter` class (`rate_limiter.rs`).
pub const RATE_LIMITER: &str = "RATE_LIMITER";
/// Queue producer for background jobs (its consumer is `queue.rs`).
pub const JOBS: &str = "JOBS";
/// Var: the function pool's base URL.
pub const POOL_URL: &str = "POOL_URL";
/// Secret: the key the Worker signs pool requests with.
pub const POOL_SECRET: &str = "POOL_SECRET";
/// Secret: creators' bearer tokens, `name:token,name:token` (until accounts).
pub const API_TOKENS: &str = "API_TOKENS";
/// Var: `"1"` turns on development-only routes and headers.
pub const DEV: &str = "EDGEPIX_DEV";
