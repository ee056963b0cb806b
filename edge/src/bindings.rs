//! Names of the bindings and variables declared in `wrangler.toml`.

/// D1: accounts, assets, jobs, tickets.
pub const DB: &str = "DB";
/// R2: originals and derivatives.
pub const MEDIA: &str = "MEDIA";
/// KV: hot keys (short codes, cached lookups).
pub const CACHE: &str = "CACHE";
/// Durable Object namespace of the `RateLimiter` class (`rate_limiter.rs`).
pub const RATE_LIMITER: &str = "RATE_LIMITER";
/// Static assets: the site, and the Worker's templates (`templates.rs`).
pub const ASSETS: &str = "ASSETS";
/// Queue producer for background jobs (its consumer is `queue.rs`).
pub const JOBS: &str = "JOBS";
/// Var: the function pool's base URL.
pub const POOL_URL: &str = "POOL_URL";
/// Secret: the key the Worker signs pool requests with.
pub const POOL_SECRET: &str = "POOL_SECRET";
/// Secret: access-token keys, `kid:seed,...` (the first signs).
pub const JWT_KEYS: &str = "JWT_KEYS";
/// Var: the `iss` of access tokens.
pub const JWT_ISSUER: &str = "JWT_ISSUER";
/// Var: the `aud` of access tokens.
pub const JWT_AUDIENCE: &str = "JWT_AUDIENCE";
/// Var: PBKDF2 iterations of new password hashes.
pub const PASSWORD_ITERATIONS: &str = "PASSWORD_ITERATIONS";
/// Var: emails that become admins at sign-up, comma-separated.
pub const ADMIN_EMAILS: &str = "ADMIN_EMAILS";
/// Var: rate limits, `name=N/SECONDS,...` over the defaults.
pub const RATE_LIMITS: &str = "RATE_LIMITS";
/// Secret: the HMAC key of view tickets (protected viewing).
pub const VIEW_SECRET: &str = "VIEW_SECRET";
/// Secret: content-proof signing keys, `kid:seed,...` (the first signs).
pub const PROOF_KEYS: &str = "PROOF_KEYS";
/// Var: how long a view ticket lives, in seconds (default 300).
pub const VIEW_TICKET_TTL: &str = "VIEW_TICKET_TTL";
/// Var: `"1"` turns on development-only routes and headers.
pub const DEV: &str = "EDGEPIX_DEV";
