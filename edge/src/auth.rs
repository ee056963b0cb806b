//! Who is asking: the one place a request becomes a [`Principal`].
//!
//! `Authorization: Bearer` carries an access token (an Ed25519 JWT, whose
//! session is then looked up in D1) or an API key (`epk_...`, looked up by
//! its hash). Either way the account's current role, plan and suspension
//! are read for this request, so revocations take effect at once. The rules
//! themselves (scopes, roles, token formats) live in
//! `edgepix_core::account`.

use edgepix_core::account::jwt::{Keyring, Verifier};
use edgepix_core::account::{Credential, Plan, Principal, Role, Scope, token};
use edgepix_core::ratelimit::Rules;
use worker::{Date, Env, Request};

use crate::bindings;
use crate::error::{ApiError, ApiResult};
use crate::{db, users};

/// An authenticated caller.
#[derive(Clone, Debug)]
pub struct Identity {
    /// The account id, the owner stored with everything the caller creates.
    pub owner: String,
    /// Role, plan and credential.
    pub principal: Principal,
}

/// The account settings of this deployment, from vars and secrets.
pub struct Settings {
    /// The access-token keys (`JWT_KEYS`).
    pub keys: Keyring,
    /// `iss` of access tokens (`JWT_ISSUER`).
    pub issuer: String,
    /// `aud` of access tokens (`JWT_AUDIENCE`).
    pub audience: String,
    /// PBKDF2 iterations of new hashes (`PASSWORD_ITERATIONS`).
    pub iterations: u32,
    /// Emails that become admins at sign-up (`ADMIN_EMAILS`).
    pub admin_emails: Vec<String>,
}

impl Settings {
    /// Reads the settings; a missing or bad `JWT_KEYS` is a deployment error.
    pub fn read(env: &Env) -> ApiResult<Settings> {
        let var = |name: &str| env.var(name).map(|v| v.to_string()).ok().filter(|v| !v.trim().is_empty());
        let keys_text = env.secret(bindings::JWT_KEYS).map(|s| s.to_string()).ok().or_else(|| var(bindings::JWT_KEYS)).unwrap_or_default();
        let keys = Keyring::parse(&keys_text).map_err(|e| ApiError::Config(e.to_string()))?;
        let iterations = match var(bindings::PASSWORD_ITERATIONS) {
            Some(v) => v.trim().parse::<u32>().map_err(|_| ApiError::Config(format!("PASSWORD_ITERATIONS is not a number: {v:?}")))?,
            None => edgepix_core::account::password::DEFAULT_ITERATIONS,
        };
        let admin_emails = var(bindings::ADMIN_EMAILS).unwrap_or_default().split(',').map(|e| e.trim().to_lowercase()).filter(|e| !e.is_empty()).collect();
        Ok(Settings {
            keys,
            issuer: var(bindings::JWT_ISSUER).unwrap_or_else(|| "edgepix".to_owned()),
            audience: var(bindings::JWT_AUDIENCE).unwrap_or_else(|| "edgepix-api".to_owned()),
            iterations,
            admin_emails,
        })
    }

    /// The verifier of access tokens.
    pub fn verifier(&self) -> Verifier<'_> {
        Verifier { keys: &self.keys, issuer: &self.issuer, audience: &self.audience }
    }
}

/// The rate limits in force (`RATE_LIMITS` over the defaults).
pub fn rules(env: &Env) -> ApiResult<Rules> {
    let text = env.var(bindings::RATE_LIMITS).map(|v| v.to_string()).unwrap_or_default();
    Rules::parse(&text).map_err(|e| ApiError::Config(e.to_string()))
}

/// Unix seconds now.
pub fn now() -> u64 {
    Date::now().as_millis() / 1000
}

/// The caller, with any credential, or 401.
pub async fn authenticate(req: &Request, env: &Env) -> ApiResult<Identity> {
    let header = req.headers().get("authorization").ok().flatten().ok_or(ApiError::Unauthorized("this route needs `Authorization: Bearer <access token or API key>`"))?;
    let credential = header.strip_prefix("Bearer ").map(str::trim).filter(|t| !t.is_empty()).ok_or(ApiError::Unauthorized("the Authorization header is not a bearer token"))?;
    let db = db::open(env)?;
    let now = now();
    let principal = if token::is(token::Kind::ApiKey, credential) {
        let owner = users::use_key(&db, &token::hash(credential), now).await?.ok_or(ApiError::Unauthorized("the API key is not valid or was revoked"))?;
        if owner.suspended_at.is_some() {
            return Err(ApiError::Unauthorized("the account is suspended"));
        }
        let scopes = Scope::parse_list(&owner.scopes).map_err(|e| ApiError::Corrupt(e.to_string()))?;
        principal(owner.user_id, &owner.role, &owner.plan, Credential::ApiKey { id: owner.id, scopes })?
    } else {
        let settings = Settings::read(env)?;
        let claims = settings.verifier().verify(credential, now)?;
        let session = users::find_session(&db, &claims.sid, &claims.sub).await?.ok_or(ApiError::Unauthorized("the access token's session does not exist"))?;
        if session.revoked_at.is_some() || (session.expires_at as u64) <= now {
            return Err(ApiError::Unauthorized("the access token's session has ended; sign in again"));
        }
        if session.suspended_at.is_some() {
            return Err(ApiError::Unauthorized("the account is suspended"));
        }
        principal(claims.sub, &session.role, &session.plan, Credential::Session { id: claims.sid })?
    };
    Ok(Identity { owner: principal.user_id.clone(), principal })
}

fn principal(user_id: String, role: &str, plan: &str, credential: Credential) -> ApiResult<Principal> {
    let role: Role = role.parse().map_err(|e: edgepix_core::account::UnknownName| ApiError::Corrupt(e.to_string()))?;
    let plan: Plan = plan.parse().map_err(|e: edgepix_core::account::UnknownName| ApiError::Corrupt(e.to_string()))?;
    Ok(Principal { user_id, role, plan, credential })
}

/// The caller if it may use `scope`: 401 without credentials, 403 without
/// the permission.
pub async fn require(req: &Request, env: &Env, scope: Scope) -> ApiResult<Identity> {
    let who = authenticate(req, env).await?;
    who.principal.allows(scope)?;
    Ok(who)
}

/// The caller if it signed in (an access token, not an API key).
pub async fn require_session(req: &Request, env: &Env) -> ApiResult<(Identity, String)> {
    let who = authenticate(req, env).await?;
    let sid = who.principal.session()?.to_owned();
    Ok((who, sid))
}

/// The caller if it is an admin.
pub async fn require_admin(req: &Request, env: &Env) -> ApiResult<Identity> {
    let who = authenticate(req, env).await?;
    who.principal.admin()?;
    Ok(who)
}

/// The client's IP as Cloudflare reports it.
pub fn client_ip(req: &Request) -> String {
    req.headers().get("cf-connecting-ip").ok().flatten().map(|ip| ip.trim().chars().take(64).collect()).filter(|ip: &String| !ip.is_empty()).unwrap_or_else(|| "unknown".to_owned())
}

/// `n` random bytes from `crypto.getRandomValues`.
pub fn random<const N: usize>() -> ApiResult<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| ApiError::Corrupt(format!("no random bytes: {e}")))?;
    Ok(b)
}
