//! Protected viewing, the viewer's side: `POST
//! /api/v1/assets/{id}/view-tickets` scores the page's behaviour signals
//! and issues a signed, short-lived ticket bound to the viewer's session
//! cookie; `GET /api/v1/tickets/{ticket}/image` answers the ticket's
//! scrambled JPEG. The rules live in `edgepix_core::protect`.

use edgepix_core::codec::Limits;
use edgepix_core::protect::grid::Grid;
use edgepix_core::protect::signals::{self, Signals};
use edgepix_core::protect::ticket::{self, Claims};
use edgepix_core::protect::view;
use edgepix_core::signing::hex;
use edgepix_core::timing::ServerTiming;
use serde::Serialize;
use sha2::{Digest, Sha256};
use worker::{Date, Env, Headers, Request, Response, RouteContext};

use crate::error::{ApiError, ApiResult};
use crate::handlers::assets::id_param;
use crate::handlers::protection::{config_of, grid_of};
use crate::protections::{self, TicketRow};
use crate::{auth, bindings, db, store};

/// The cookie naming a viewer session.
const VIEWER_COOKIE: &str = "edgepix_viewer";
/// The largest signals document accepted, in bytes.
const MAX_SIGNALS: usize = 64 * 1024;

fn view_secret(env: &Env) -> ApiResult<Vec<u8>> {
    let s = env.secret(bindings::VIEW_SECRET).map(|s| s.to_string()).or_else(|_| env.var(bindings::VIEW_SECRET).map(|v| v.to_string())).unwrap_or_default();
    if s.len() < 32 {
        return Err(ApiError::Config("VIEW_SECRET must be set to at least 32 characters".to_owned()));
    }
    Ok(s.into_bytes())
}

fn ttl(env: &Env) -> ApiResult<u64> {
    match env.var(bindings::VIEW_TICKET_TTL).map(|v| v.to_string()).ok().filter(|v| !v.trim().is_empty()) {
        None => Ok(ticket::TTL_SECS),
        Some(v) => v.trim().parse::<u64>().ok().filter(|n| (1..=86_400).contains(n)).ok_or_else(|| ApiError::Config(format!("VIEW_TICKET_TTL must be 1-86400 seconds, not {v:?}"))),
    }
}

/// The viewer session named by the request's cookie, if well-formed.
fn viewer_cookie(req: &Request) -> Option<String> {
    let header = req.headers().get("cookie").ok().flatten()?;
    header.split(';').filter_map(|c| c.trim().split_once('=')).find(|(k, _)| *k == VIEWER_COOKIE).map(|(_, v)| v.to_owned()).filter(|v| v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn set_viewer_cookie(headers: &Headers, req: &Request, viewer: &str) -> ApiResult<()> {
    let secure = req.url().is_ok_and(|u| u.scheme() == "https");
    let attrs = if secure { "; Secure" } else { "" };
    headers.append("set-cookie", &format!("{VIEWER_COOKIE}={viewer}; Path=/api/v1/; HttpOnly; SameSite=Strict; Max-Age=86400{attrs}"))?;
    Ok(())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Issued {
    ticket: String,
    id: String,
    expires_at: u64,
    image_url: String,
    seed: String,
    payload: String,
    score: u8,
    view: Grid,
    protection: serde_json::Value,
}


/// `POST /api/v1/assets/{id}/view-tickets`: the body is the page's
/// [`Signals`]; a score under the threshold answers `403 bot_suspected`
/// (the page may retry after the person interacts), otherwise a ticket.
pub async fn create(mut req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let id = id_param(&ctx)?;
    let s: Signals = crate::handlers::json::read(&mut req, MAX_SIGNALS).await?;
    let db = db::open(&ctx.env)?;
    let p = protections::find_any(&db, &id).await?.ok_or_else(|| ApiError::NotProtected(id.to_string()))?;
    let secret = view_secret(&ctx.env)?;
    let user_agent: String = req.headers().get("user-agent").ok().flatten().unwrap_or_default().chars().take(256).collect();
    let score = signals::score(&s, &user_agent);
    let viewer = match viewer_cookie(&req) {
        Some(v) => v,
        None => hex(&auth::random::<16>()?),
    };
    let headers = Headers::new();
    set_viewer_cookie(&headers, &req, &viewer)?;
    if !score.human {
        let mut resp = ApiError::BotSuspected { score: score.score, threshold: signals::THRESHOLD, reasons: score.reasons.join(", ") }.into_response();
        set_viewer_cookie(resp.headers_mut(), &req, &viewer)?;
        return Ok(resp);
    }
    // A signed-in viewer is recorded by account too; a bad token is not an
    // error here, the ticket is for whoever holds the page.
    let user_id = match req.headers().get("authorization").ok().flatten() {
        Some(_) => auth::authenticate(&req, &ctx.env).await.ok().map(|who| who.owner),
        None => None,
    };
    let now = auth::now();
    let claims = Claims {
        id: format!("tkt_{}", hex(&auth::random::<16>()?)),
        asset: id.to_string(),
        viewer: viewer.clone(),
        seed: hex(&auth::random::<32>()?),
        payload: hex(&auth::random::<8>()?),
        iat: now,
        exp: now + ttl(&ctx.env)?,
    };
    let token = ticket::sign(&secret, &claims);
    protections::insert_ticket(
        &db,
        &TicketRow {
            id: claims.id.clone(),
            asset: claims.asset.clone(),
            owner: p.owner.clone(),
            viewer,
            user_id,
            score: score.score,
            reasons: serde_json::to_string(&score.reasons).unwrap_or_default(),
            fingerprint: s.fingerprint.chars().take(64).collect(),
            ip_hash: hex(&Sha256::digest(auth::client_ip(&req).as_bytes())),
            user_agent,
            payload: claims.payload.clone(),
            created_at: claims.iat as f64,
            expires_at: claims.exp as f64,
        },
    )
    .await?;
    let grid = grid_of(&p);
    let issued = Issued {
        image_url: format!("/api/v1/tickets/{token}/image"),
        ticket: token,
        id: claims.id,
        expires_at: claims.exp,
        seed: claims.seed,
        payload: claims.payload,
        score: score.score,
        view: grid,
        protection: config_of(&p)?.to_json(),
    };
    headers.set("content-type", "application/json; charset=utf-8")?;
    headers.set("cache-control", "no-store")?;
    let body = serde_json::to_vec(&issued).map_err(|e| ApiError::Corrupt(e.to_string()))?;
    Ok(Response::builder().with_status(201).with_headers(headers).fixed(body))
}

/// `GET /api/v1/tickets/{ticket}/image`: the view image scrambled by the
/// ticket's seed, as one JPEG. Forged, malformed or expired tickets get
/// 401; a ticket of another viewer session, or one the Worker did not
/// record, 403.
pub async fn image(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let started = Date::now().as_millis();
    let token = ctx.param("ticket").map(String::as_str).unwrap_or_default();
    let claims = ticket::verify(&view_secret(&ctx.env)?, token, auth::now())?;
    if viewer_cookie(&req).as_deref() != Some(claims.viewer.as_str()) {
        return Err(ApiError::Forbidden("this ticket belongs to another viewer session (its cookie did not come with the request)".to_owned()));
    }
    let db = db::open(&ctx.env)?;
    let recorded = protections::find_ticket(&db, &claims.id).await?;
    if recorded.is_none_or(|t| t.asset != claims.asset || t.viewer != claims.viewer) {
        return Err(ApiError::Forbidden("this ticket was not issued for this asset".to_owned()));
    }
    let id = edgepix_core::assets::AssetId::parse(&claims.asset).map_err(|e| ApiError::Corrupt(e.to_string()))?;
    let p = protections::find_any(&db, &id).await?.ok_or_else(|| ApiError::NotProtected(id.to_string()))?;
    let config = config_of(&p)?;
    let source = store::read_original(&ctx.env, &id).await?;
    let view = view::render(&source, &view::options()?, &Limits::default())?;
    drop(source);
    let grid = grid_of(&p);
    if (view.width(), view.height()) != (grid.width, grid.height) {
        return Err(ApiError::Corrupt(format!("the view of {id} is {}x{}, its protection says {}x{}", view.width(), view.height(), grid.width, grid.height)));
    }
    let jpeg = view::scrambled_jpeg(&view, &config, &claims.seed_bytes())?;
    let headers = Headers::new();
    headers.set("content-type", "image/jpeg")?;
    headers.set("cache-control", "private, no-store")?;
    let mut timing = ServerTiming::new();
    timing.add("scramble", (Date::now().as_millis() - started) as f64, None);
    headers.append("server-timing", &timing.header_value())?;
    Ok(Response::builder().with_headers(headers).fixed(jpeg.bytes))
}
