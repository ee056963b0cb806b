//! `/api/v1/auth/*` and `/api/v1/me*`: sign-up, sign-in, token refresh,
//! sign-out, the account and its sessions. The rules are
//! `edgepix_core::account`; D1 access is `users.rs`.

use edgepix_core::account::email::Email;
use edgepix_core::account::jwt::{self, ACCESS_TTL_SECS, Claims};
use edgepix_core::account::password::{self, PasswordHash};
use edgepix_core::account::token::{self, Kind, REFRESH_TTL_SECS, Refresh, RefreshState};
use edgepix_core::account::{Plan, Role, web};
use edgepix_core::ratelimit::Rule;
use serde::{Deserialize, Serialize};
use worker::{Request, Response, RouteContext};

use super::json::{self, MAX_JSON};
use crate::auth::{self, Settings, now, random};
use crate::error::{ApiError, ApiResult};
use crate::users::{self, User};
use crate::{db, kdf, limits};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignupBody {
    email: String,
    password: String,
    #[serde(default)]
    role: Option<String>,
}

#[derive(Serialize)]
struct Accepted {
    status: &'static str,
    login: &'static str,
    message: &'static str,
}

/// `POST /api/v1/auth/signup`: creates an account unless the email has
/// one, and answers the same in both cases, so that sign-up never tells
/// whether an email is registered.
pub async fn signup(mut req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    limits::hit(&ctx.env, Rule::SignupIp, &auth::client_ip(&req)).await?;
    let body: SignupBody = json::read(&mut req, MAX_JSON).await?;
    let email = Email::parse(&body.email).map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    password::check_new(&body.password, &email)?;
    let settings = Settings::read(&ctx.env)?;
    let role = match body.role.as_deref() {
        None | Some("creator") => Role::Creator,
        Some("viewer") => Role::Viewer,
        Some(other) => return Err(ApiError::InvalidRequest(format!("role must be \"creator\" or \"viewer\", not {:?}", other.chars().take(32).collect::<String>()))),
    };
    let role = if settings.admin_emails.iter().any(|a| a == email.as_str()) { Role::Admin } else { role };
    let hash = kdf::hash(&body.password, random()?, settings.iterations).await?;
    let user = User {
        id: token::new_id("usr", random()?),
        email: email.as_str().to_owned(),
        role,
        plan: Plan::Free,
        suspended: false,
        quota_override: Default::default(),
        created_at: now(),
    };
    // Taken or not, the same work was done and the same answer goes back.
    let _created = users::insert_user(&db::open(&ctx.env)?, &user, &hash.to_phc()).await?;
    let accepted = Accepted { status: "accepted", login: "/api/v1/auth/login", message: "if this email had no account, it has one now: sign in with it" };
    Ok(Response::from_json(&accepted)?.with_status(202))
}

#[derive(Deserialize, Default, PartialEq, Eq, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum SessionMode {
    /// The refresh token in the body (servers, scripts).
    #[default]
    Token,
    /// The refresh token in an HttpOnly cookie (the pages).
    Cookie,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    email: String,
    password: String,
    #[serde(default)]
    session: SessionMode,
}

#[derive(Serialize)]
struct UserView<'a> {
    id: &'a str,
    email: &'a str,
    role: Role,
    plan: Plan,
}

#[derive(Serialize)]
struct Tokens<'a> {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    refresh_expires_in: u64,
    user: UserView<'a>,
}

/// `POST /api/v1/auth/login`: checks the password and starts a session.
/// Every attempt counts against the account's and the IP's limits before
/// any work; an unknown email costs the same KDF work as a wrong password
/// and answers the same.
pub async fn login(mut req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    limits::hit(&ctx.env, Rule::LoginIp, &auth::client_ip(&req)).await?;
    let body: LoginBody = json::read(&mut req, MAX_JSON).await?;
    let email = Email::parse(&body.email).map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    limits::hit(&ctx.env, Rule::LoginAccount, email.as_str()).await?;
    if body.password.chars().count() > password::MAX_CHARS {
        return Err(ApiError::InvalidCredentials);
    }
    let settings = Settings::read(&ctx.env)?;
    let db = db::open(&ctx.env)?;
    let Some((user, stored)) = users::find_by_email(&db, email.as_str()).await? else {
        kdf::burn(&body.password, settings.iterations).await?;
        return Err(ApiError::InvalidCredentials);
    };
    let hash = PasswordHash::parse(&stored).map_err(|e| ApiError::Corrupt(e.to_string()))?;
    if !kdf::verify(&hash, &body.password).await? || user.suspended {
        return Err(ApiError::InvalidCredentials);
    }
    if hash.needs_rehash(settings.iterations) {
        users::set_password(&db, &user.id, &kdf::hash(&body.password, random()?, settings.iterations).await?.to_phc()).await?;
    }
    let now = now();
    let sid = token::new_id("ses", random()?);
    let refresh = token::new(Kind::Refresh, random()?);
    let agent: String = req.headers().get("user-agent").ok().flatten().unwrap_or_default().chars().take(200).collect();
    users::insert_session(&db, &sid, &user.id, &agent, &token::hash(&refresh), now, now + REFRESH_TTL_SECS).await?;
    tokens(&settings, &user, &sid, refresh, body.session, now)
}

fn tokens(settings: &Settings, user: &User, sid: &str, refresh: String, mode: SessionMode, now: u64) -> ApiResult<Response> {
    let claims = Claims {
        iss: settings.issuer.clone(),
        aud: settings.audience.clone(),
        sub: user.id.clone(),
        sid: sid.to_owned(),
        role: user.role,
        iat: now,
        nbf: now,
        exp: now + ACCESS_TTL_SECS,
        jti: token::new_id("jti", random()?),
    };
    let body = Tokens {
        access_token: jwt::sign(&settings.keys, &claims),
        token_type: "Bearer",
        expires_in: ACCESS_TTL_SECS,
        refresh_token: (mode == SessionMode::Token).then(|| refresh.clone()),
        refresh_expires_in: REFRESH_TTL_SECS,
        user: UserView { id: &user.id, email: &user.email, role: user.role, plan: user.plan },
    };
    let mut resp = Response::from_json(&body)?;
    let headers = resp.headers_mut();
    headers.set("cache-control", "no-store")?;
    if mode == SessionMode::Cookie {
        headers.set("set-cookie", &web::set_refresh_cookie(&refresh))?;
    }
    Ok(resp)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RefreshBody {
    #[serde(default)]
    refresh_token: Option<String>,
}

/// The refresh token of a request, from the body or the cookie, and how it
/// came. A cookie must come with our own origin (CSRF).
fn presented(req: &Request, body: RefreshBody) -> ApiResult<Option<(String, SessionMode)>> {
    if let Some(t) = body.refresh_token {
        return Ok(Some((t, SessionMode::Token)));
    }
    let cookie = req.headers().get("cookie").ok().flatten().unwrap_or_default();
    let Some(t) = web::refresh_from_cookie(&cookie) else { return Ok(None) };
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let own = req.url()?.origin().ascii_serialization();
    if !web::same_origin(header("origin").as_deref(), header("referer").as_deref(), &own) {
        return Err(ApiError::CsrfRejected);
    }
    Ok(Some((t.to_owned(), SessionMode::Cookie)))
}

/// `POST /api/v1/auth/refresh`: exchanges a refresh token for a new pair.
/// A token presented twice revokes its whole session.
pub async fn refresh(mut req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let body: RefreshBody = json::read(&mut req, MAX_JSON).await?;
    let (presented, mode) = presented(&req, body)?.ok_or(ApiError::Unauthorized("send {\"refresh_token\": ...} or the session cookie"))?;
    if !token::is(Kind::Refresh, &presented) {
        return Err(ApiError::Unauthorized("the refresh token is not valid"));
    }
    let db = db::open(&ctx.env)?;
    let now = now();
    let old = token::hash(&presented);
    let row = users::find_refresh(&db, &old).await?.ok_or(ApiError::Unauthorized("the refresh token is not valid"))?;
    let state = RefreshState { expires_at: row.expires_at as u64, used: row.used_at.is_some(), session_revoked: row.revoked_at.is_some() || row.suspended_at.is_some() };
    match state.present(now) {
        Refresh::Rotate => {}
        Refresh::Reused => {
            users::revoke_session(&db, &row.session_id, now).await?;
            return Err(ApiError::Unauthorized("this refresh token was already used, so its session has been revoked; sign in again"));
        }
        Refresh::Revoked => return Err(ApiError::Unauthorized("the session has ended; sign in again")),
        Refresh::Expired => return Err(ApiError::Unauthorized("the refresh token has expired; sign in again")),
    }
    let next = token::new(Kind::Refresh, random()?);
    if !users::rotate_refresh(&db, &old, &token::hash(&next), &row.session_id, now, now + REFRESH_TTL_SECS).await? {
        // Spent by a concurrent request between our read and write: reuse.
        users::revoke_session(&db, &row.session_id, now).await?;
        return Err(ApiError::Unauthorized("this refresh token was already used, so its session has been revoked; sign in again"));
    }
    let user = users::find_user(&db, &row.user_id).await?.ok_or_else(|| ApiError::Corrupt(format!("session of missing account {}", row.user_id)))?;
    tokens(&Settings::read(&ctx.env)?, &user, &row.session_id, next, mode, now)
}

/// `POST /api/v1/auth/logout`: ends the session of the bearer access token,
/// or of the refresh token in the body or cookie, and clears the cookie.
/// Signing out of nothing is not an error.
pub async fn logout(mut req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let db = db::open(&ctx.env)?;
    let now = now();
    if req.headers().has("authorization")? {
        let (_, sid) = auth::require_session(&req, &ctx.env).await?;
        users::revoke_session(&db, &sid, now).await?;
    } else {
        let body: RefreshBody = json::read(&mut req, MAX_JSON).await?;
        if let Some((t, _)) = presented(&req, body)? {
            if let Some(row) = users::find_refresh(&db, &token::hash(&t)).await? {
                users::revoke_session(&db, &row.session_id, now).await?;
            }
        }
    }
    let mut resp = Response::empty()?.with_status(204);
    resp.headers_mut().set("set-cookie", &web::clear_refresh_cookie())?;
    Ok(resp)
}

#[derive(Serialize)]
struct Me<'a> {
    #[serde(flatten)]
    user: &'a User,
    usage: users::Usage,
    quota: edgepix_core::account::Quota,
    credential: &'static str,
}

/// `GET /api/v1/me`: the caller's account, usage and quota.
pub async fn me(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let who = auth::authenticate(&req, &ctx.env).await?;
    let db = db::open(&ctx.env)?;
    let user = users::find_user(&db, &who.owner).await?.ok_or(ApiError::Unauthorized("the account does not exist"))?;
    let (usage, quota) = users::allowance(&db, &who.owner, user.plan, now()).await?;
    let credential = match who.principal.credential {
        edgepix_core::account::Credential::Session { .. } => "session",
        edgepix_core::account::Credential::ApiKey { .. } => "api_key",
    };
    Ok(Response::from_json(&Me { user: &user, usage, quota, credential })?)
}

#[derive(Serialize)]
struct Sessions {
    sessions: Vec<users::SessionView>,
}

/// `GET /api/v1/me/sessions`: the live sessions, the caller's marked.
pub async fn sessions(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let (who, sid) = auth::require_session(&req, &ctx.env).await?;
    let mut sessions = users::list_sessions(&db::open(&ctx.env)?, &who.owner, now()).await?;
    for s in &mut sessions {
        s.current = s.id == sid;
    }
    Ok(Response::from_json(&Sessions { sessions })?)
}

/// `DELETE /api/v1/me/sessions`: signs out everywhere.
pub async fn sign_out_everywhere(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let (who, _) = auth::require_session(&req, &ctx.env).await?;
    users::revoke_all_sessions(&db::open(&ctx.env)?, &who.owner, now()).await?;
    let mut resp = Response::empty()?.with_status(204);
    resp.headers_mut().set("set-cookie", &web::clear_refresh_cookie())?;
    Ok(resp)
}

/// `GET /.well-known/jwks.json`: the public keys of access tokens.
pub fn jwks(_req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let settings = Settings::read(&ctx.env)?;
    let mut resp = Response::from_json(&settings.keys.jwks())?;
    resp.headers_mut().set("cache-control", "public, max-age=300")?;
    Ok(resp)
}
