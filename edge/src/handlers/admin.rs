//! `/api/v1/admin/*`: moderation of accounts (admins only): list them, set
//! role and plan, suspend.

use edgepix_core::account::{Plan, QuotaOverride, Role};
use serde::{Deserialize, Serialize};
use worker::{Request, Response, RouteContext};

use super::json::{self, MAX_JSON};
use crate::auth::{self, now};
use crate::error::{ApiError, ApiResult};
use crate::users::{self, User};
use crate::db;

#[derive(Serialize)]
struct Page {
    items: Vec<User>,
    next_cursor: Option<String>,
}

/// `GET /api/v1/admin/users?limit=N&cursor=C`: accounts, newest first.
pub async fn list(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    auth::require_admin(&req, &ctx.env).await?;
    let mut limit = 50;
    let mut cursor: Option<(u64, String)> = None;
    for (k, v) in req.url()?.query_pairs() {
        match &*k {
            "limit" => limit = v.parse::<u32>().ok().filter(|n| (1..=200).contains(n)).ok_or_else(|| ApiError::InvalidRequest(format!("limit must be 1-200, not {v:?}")))?,
            "cursor" => {
                let bad = || ApiError::InvalidRequest("cursor is not one this API gave".to_owned());
                let (t, id) = v.split_once('.').ok_or_else(bad)?;
                cursor = Some((t.parse().map_err(|_| bad())?, id.to_owned()));
            }
            other => return Err(ApiError::InvalidRequest(format!("unknown query parameter {other:?} (limit, cursor)"))),
        }
    }
    let items = users::list_users(&db::open(&ctx.env)?, cursor.as_ref().map(|(t, id)| (*t, id.as_str())), limit).await?;
    let next_cursor = (items.len() == limit as usize).then(|| items.last().map(|u| format!("{}.{}", u.created_at, u.id))).flatten();
    Ok(Response::from_json(&Page { items, next_cursor })?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Patch {
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    plan: Option<String>,
    #[serde(default)]
    suspended: Option<bool>,
    /// Replaces the account's quota override; `{}` goes back to the plan's.
    #[serde(default)]
    quota: Option<QuotaOverride>,
}

/// `PATCH /api/v1/admin/users/{id}`: sets role, plan, suspension or a
/// quota override. Suspending ends every session; the account's keys stop
/// working.
pub async fn update(mut req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let admin = auth::require_admin(&req, &ctx.env).await?;
    let id = ctx.param("id").cloned().unwrap_or_default();
    let patch: Patch = json::read(&mut req, MAX_JSON).await?;
    let invalid = |e: edgepix_core::account::UnknownName| ApiError::InvalidRequest(e.to_string());
    let role = patch.role.as_deref().map(str::parse::<Role>).transpose().map_err(invalid)?;
    let plan = patch.plan.as_deref().map(str::parse::<Plan>).transpose().map_err(invalid)?;
    if id == admin.owner && (patch.suspended == Some(true) || role.is_some_and(|r| r != Role::Admin)) {
        return Err(ApiError::InvalidRequest("an admin cannot suspend or demote themself".to_owned()));
    }
    let db = db::open(&ctx.env)?;
    users::find_user(&db, &id).await?.ok_or_else(|| ApiError::UserNotFound(id.clone()))?;
    let change = users::UserChange { role, plan, suspended: patch.suspended, quota: patch.quota };
    users::update_user(&db, &id, &change, now()).await?;
    let user = users::find_user(&db, &id).await?.ok_or_else(|| ApiError::UserNotFound(id.clone()))?;
    Ok(Response::from_json(&user)?)
}
