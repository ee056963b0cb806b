//! `/api/v1/policies`: a creator's safe-blur policies
//! (`edgepix_core::policy`). `default` is built in (the seed's defaults)
//! until the creator stores their own under that name.

use edgepix_core::policy::Policy;
use edgepix_core::transform::options::PolicyName;
use serde::Serialize;
use worker::{Date, Request, Response, RouteContext};

use edgepix_core::account::Scope;

use crate::error::{ApiError, ApiResult};
use crate::{auth, db};

/// The built-in policy's name.
pub const DEFAULT: &str = "default";

/// The largest policy document accepted, in bytes.
const MAX_BODY: usize = 16 * 1024;

#[derive(Serialize)]
struct PolicyView<'a> {
    name: &'a str,
    builtin: bool,
    updated_at: Option<u64>,
    policy: serde_json::Value,
}

fn view(name: &str, body: &str, builtin: bool, updated_at: Option<u64>) -> ApiResult<Response> {
    let policy = serde_json::from_str(body).map_err(|e| ApiError::Corrupt(e.to_string()))?;
    Ok(Response::from_json(&PolicyView { name, builtin, updated_at, policy })?)
}

fn name_param(ctx: &RouteContext<()>) -> ApiResult<PolicyName> {
    let raw = ctx.param("name").map(String::as_str).unwrap_or_default();
    PolicyName::new(raw).ok_or_else(|| ApiError::InvalidRequest(format!("policy name {raw:?} is not 1 to 32 characters from a-z, 0-9 and -")))
}

/// `PUT /api/v1/policies/{name}`: creates or replaces a policy.
pub async fn put(mut req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let who = auth::require(&req, &ctx.env, Scope::PoliciesWrite).await?;
    let name = name_param(&ctx)?;
    let body = req.bytes().await?;
    if body.len() > MAX_BODY {
        return Err(ApiError::PayloadTooLarge { limit: MAX_BODY });
    }
    let text = std::str::from_utf8(&body).map_err(|_| ApiError::InvalidRequest("the policy is not UTF-8 JSON".to_owned()))?;
    let policy = Policy::from_json(text).map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let canonical = policy.to_json();
    let now = Date::now().as_millis() / 1000;
    db::put_policy(&db::open(&ctx.env)?, &who.owner, name.as_str(), &canonical, now).await?;
    view(name.as_str(), &canonical, false, Some(now))
}

/// `GET /api/v1/policies/{name}`.
pub async fn get(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let who = auth::require(&req, &ctx.env, Scope::PoliciesRead).await?;
    let name = name_param(&ctx)?;
    match db::find_policy(&db::open(&ctx.env)?, &who.owner, name.as_str()).await? {
        Some(p) => view(&p.name, &p.body, false, Some(p.updated_at)),
        None if name.as_str() == DEFAULT => view(DEFAULT, &Policy::default().to_json(), true, None),
        None => Err(ApiError::PolicyNotFound(name.to_string())),
    }
}

#[derive(Serialize)]
struct Listing<'a> {
    policies: Vec<ListEntry<'a>>,
}

#[derive(Serialize)]
struct ListEntry<'a> {
    name: &'a str,
    builtin: bool,
    updated_at: Option<u64>,
}

/// `GET /api/v1/policies`: the caller's policies (and the built-in one).
pub async fn list(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let who = auth::require(&req, &ctx.env, Scope::PoliciesRead).await?;
    let stored = db::list_policies(&db::open(&ctx.env)?, &who.owner).await?;
    let mut policies: Vec<ListEntry<'_>> = stored.iter().map(|p| ListEntry { name: &p.name, builtin: false, updated_at: Some(p.updated_at) }).collect();
    if !stored.iter().any(|p| p.name == DEFAULT) {
        policies.insert(0, ListEntry { name: DEFAULT, builtin: true, updated_at: None });
    }
    Ok(Response::from_json(&Listing { policies })?)
}

/// `DELETE /api/v1/policies/{name}`: idempotent; 204.
pub async fn delete(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let who = auth::require(&req, &ctx.env, Scope::PoliciesWrite).await?;
    let name = name_param(&ctx)?;
    db::delete_policy(&db::open(&ctx.env)?, &who.owner, name.as_str()).await?;
    Ok(Response::empty()?.with_status(204))
}

/// The policy an image request names, in the asset owner's namespace.
pub async fn resolve(db: &worker::D1Database, owner: &str, name: &PolicyName) -> ApiResult<Policy> {
    match db::find_policy(db, owner, name.as_str()).await? {
        Some(p) => Policy::from_json(&p.body).map_err(|e| ApiError::Corrupt(format!("stored policy {}: {e}", p.name))),
        None if name.as_str() == DEFAULT => Ok(Policy::default()),
        None => Err(ApiError::PolicyNotFound(name.to_string())),
    }
}
