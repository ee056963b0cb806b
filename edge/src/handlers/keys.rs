//! `/api/v1/me/keys`: API keys for developers' servers. The secret is shown
//! once, stored as its SHA-256, scoped, revocable, with a last-used time.

use edgepix_core::account::token::{self, Kind};
use edgepix_core::account::{Denied, Scope};
use serde::{Deserialize, Serialize};
use worker::{Request, Response, RouteContext};

use super::json::{self, MAX_JSON};
use crate::auth::{self, now, random};
use crate::error::{ApiError, ApiResult};
use crate::users::{self, ApiKey};
use crate::db;

/// Live keys one account may hold.
const MAX_KEYS: u32 = 50;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewKey {
    name: String,
    scopes: Vec<String>,
}

#[derive(Serialize)]
struct Created<'a> {
    #[serde(flatten)]
    key: &'a ApiKey,
    /// The secret, shown this once.
    key_secret_note: &'static str,
    #[serde(rename = "key")]
    secret: &'a str,
}

/// `POST /api/v1/me/keys`: creates a key with the given scopes, which the
/// caller's role must allow. Needs a signed-in session.
pub async fn create(mut req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let (who, _) = auth::require_session(&req, &ctx.env).await?;
    let body: NewKey = json::read(&mut req, MAX_JSON).await?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(ApiError::InvalidRequest("name must be 1 to 64 characters".to_owned()));
    }
    let mut scopes = body.scopes.iter().map(|s| s.parse::<Scope>()).collect::<Result<Vec<_>, _>>().map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    scopes.sort();
    scopes.dedup();
    if scopes.is_empty() {
        return Err(ApiError::InvalidRequest(format!("scopes must name at least one of {}", Scope::join(&Scope::ALL))));
    }
    if let Some(&scope) = scopes.iter().find(|&&s| !who.principal.role.permits(s)) {
        return Err(Denied::Role { role: who.principal.role, scope }.into());
    }
    let db = db::open(&ctx.env)?;
    if users::count_keys(&db, &who.owner).await? >= MAX_KEYS {
        return Err(ApiError::InvalidRequest(format!("an account holds at most {MAX_KEYS} live keys; revoke one first")));
    }
    let secret = token::new(Kind::ApiKey, random()?);
    let key = ApiKey { id: token::new_id("key", random()?), name: name.to_owned(), prefix: token::display_prefix(&secret), scopes, created_at: now(), last_used_at: None };
    users::insert_key(&db, &who.owner, &key, &token::hash(&secret)).await?;
    let created = Created { key: &key, key_secret_note: "copy the key now: it is not shown again", secret: &secret };
    let mut resp = Response::from_json(&created)?.with_status(201);
    resp.headers_mut().set("cache-control", "no-store")?;
    Ok(resp)
}

#[derive(Serialize)]
struct Keys {
    keys: Vec<ApiKey>,
}

/// `GET /api/v1/me/keys`: the live keys, without their secrets.
pub async fn list(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let (who, _) = auth::require_session(&req, &ctx.env).await?;
    Ok(Response::from_json(&Keys { keys: users::list_keys(&db::open(&ctx.env)?, &who.owner).await? })?)
}

/// `DELETE /api/v1/me/keys/{id}`: revokes a key; idempotent.
pub async fn revoke(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let (who, _) = auth::require_session(&req, &ctx.env).await?;
    let id = ctx.param("id").map(String::as_str).unwrap_or_default();
    users::revoke_key(&db::open(&ctx.env)?, &who.owner, id, now()).await?;
    Ok(Response::empty()?.with_status(204))
}
