//! Rate limits: one `RateLimiter` Durable Object per key counts exactly.
//! The rules and the window arithmetic are `edgepix_core::ratelimit`.

use edgepix_core::ratelimit::{Decision, Rule};
use worker::Env;

use crate::auth;
use crate::bindings;
use crate::error::{ApiError, ApiResult};

/// Counts one hit of `rule` for `subject`; over the limit is a 429 error
/// that carries the decision (for `Retry-After` and `RateLimit-*`).
pub async fn hit(env: &Env, rule: Rule, subject: &str) -> ApiResult<Decision> {
    let limit = auth::rules(env)?.get(rule);
    let key = rule.key(subject);
    let binding = |source| ApiError::Binding { name: bindings::RATE_LIMITER, source };
    let namespace = env.durable_object(bindings::RATE_LIMITER).map_err(binding)?;
    let stub = namespace.id_from_name(&key).and_then(|id| id.get_stub()).map_err(binding)?;
    let url = format!("https://rate-limiter/hit?limit={}&window={}", limit.limit, limit.window_secs);
    let mut resp = stub.fetch_with_request(worker::Request::new(&url, worker::Method::Post).map_err(binding)?).await.map_err(binding)?;
    let decision: Decision = resp.json().await.map_err(binding)?;
    if decision.allowed { Ok(decision) } else { Err(ApiError::RateLimited { rule, decision, limit }) }
}
