//! Who is asking: the interim bearer-token identity.
//!
//! Until accounts land, creators are configured in the `API_TOKENS` secret
//! as `name:token` pairs separated by commas; `Authorization: Bearer
//! <token>` identifies the creator `name`. Tokens are compared in constant
//! time (`edgepix_core::signing::secrets_equal`).

use edgepix_core::signing;
use worker::{Env, Request};

use crate::bindings;
use crate::error::{ApiError, ApiResult};

/// An authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The owner name stored with everything the caller creates.
    pub owner: String,
}

/// The caller's identity, or 401.
pub fn require(req: &Request, env: &Env) -> ApiResult<Identity> {
    let header = req.headers().get("authorization").ok().flatten().ok_or(ApiError::Unauthorized("this route needs `Authorization: Bearer <token>`"))?;
    let token = header.strip_prefix("Bearer ").map(str::trim).filter(|t| !t.is_empty()).ok_or(ApiError::Unauthorized("the Authorization header is not a bearer token"))?;
    let configured = env.secret(bindings::API_TOKENS).map(|s| s.to_string()).unwrap_or_default();
    let found = configured
        .split(',')
        .filter_map(|pair| pair.trim().split_once(':'))
        .filter(|(name, candidate)| !name.is_empty() && signing::secrets_equal(candidate.as_bytes(), token.as_bytes()))
        .map(|(name, _)| name.to_owned())
        .next();
    found.map(|owner| Identity { owner }).ok_or(ApiError::Unauthorized("the token is not valid"))
}
