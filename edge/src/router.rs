//! Every route of the Worker, in one place.
//!
//! Handlers return `ApiResult<Response>`; [`api`] and [`sync`] turn their
//! errors into JSON responses through [`ApiError::into_response`]. After
//! routing, every response gets a `Server-Timing` header and, in
//! development, the wasm memory peak. `cargo xtask test` checks that the
//! routes listed here are exactly those in `edge/openapi.json`.

use std::future::Future;

use edgepix_core::timing::ServerTiming;
use worker::{Date, Env, Request, Response, Result, RouteContext, Router};

use crate::bindings;
use crate::error::{ApiError, ApiResult};
use crate::handlers::{admin, assets, auth, batches, dev, docs, forensics, games, health, images, jobs, keys, pages, policies, protection, regions, tickets};
use crate::{limits, memory};
use edgepix_core::ratelimit::Rule;

/// Routes the request and decorates the response.
pub async fn handle(req: Request, env: Env) -> Result<Response> {
    let started = Date::now().as_millis();
    let method = req.method().to_string();
    let path = req.path();
    let dev = is_dev(&env);
    let embeddable = path.starts_with("/g/");
    // Every API request counts against its IP's limit before any work.
    let limited = if path.starts_with("/api/") { limits::hit(&env, Rule::ApiIp, &crate::auth::client_ip(&req)).await.err() } else { None };
    let routed = match limited {
        Some(refused) => Ok(refused.into_response()),
        None => routes().run(req, env).await,
    };
    let mut resp = match routed {
        // The router's own 405 is plain text; answer ours.
        Ok(r) if r.status_code() == 405 && !is_json(&r) => ApiError::MethodNotAllowed { method, path }.into_response(),
        Ok(r) => r,
        Err(e) => ApiError::Runtime(e).into_response(),
    };
    let mut timing = ServerTiming::new();
    timing.add("total", (Date::now().as_millis() - started) as f64, None);
    let headers = resp.headers_mut();
    headers.append("server-timing", &timing.header_value())?;
    // Game pages are made to be embedded anywhere; nothing else is.
    if !headers.has("content-security-policy")? {
        let ancestors = if embeddable { "frame-ancestors *" } else { "frame-ancestors 'self'" };
        headers.set("content-security-policy", ancestors)?;
    }
    if dev {
        headers.set("x-edgepix-wasm-memory-peak", &memory::peak_bytes().to_string())?;
    }
    Ok(resp)
}

fn routes() -> Router<'static, ()> {
    Router::new()
        .get_async("/", |req, ctx| api(pages::landing(req, ctx)))
        .get_async("/playground", |req, ctx| api(pages::playground(req, ctx)))
        .get_async("/signup", |req, ctx| api(pages::signup(req, ctx)))
        .get_async("/signin", |req, ctx| api(pages::signin(req, ctx)))
        .get_async("/account", |req, ctx| api(pages::account(req, ctx)))
        .get_async("/view/:id", |req, ctx| api(pages::view(req, ctx)))
        .get_async("/studio/local", |req, ctx| api(pages::studio_local(req, ctx)))
        .get_async("/studio/:id", |req, ctx| api(pages::studio(req, ctx)))
        .get_async("/safe/:id", |req, ctx| api(pages::safe(req, ctx)))
        .get_async("/games", |req, ctx| api(games::gallery(req, ctx)))
        .get_async("/g/:code", |req, ctx| api(games::page(req, ctx)))
        .get_async("/g/:code/:file", |req, ctx| api(games::file(req, ctx)))
        .get_async("/oembed", |req, ctx| api(games::oembed(req, ctx)))
        .get("/.well-known/jwks.json", |req, ctx| sync(auth::jwks(req, ctx)))
        .get("/.well-known/edgepix-keys.json", |req, ctx| sync(protection::keys(req, ctx)))
        .get_async("/healthz", |req, ctx| api(health::get(req, ctx)))
        .get_async("/api/v1/openapi.json", |req, ctx| api(docs::openapi(req, ctx)))
        .post_async("/api/v1/auth/signup", |req, ctx| api(auth::signup(req, ctx)))
        .post_async("/api/v1/auth/login", |req, ctx| api(auth::login(req, ctx)))
        .post_async("/api/v1/auth/refresh", |req, ctx| api(auth::refresh(req, ctx)))
        .post_async("/api/v1/auth/logout", |req, ctx| api(auth::logout(req, ctx)))
        .get_async("/api/v1/me", |req, ctx| api(auth::me(req, ctx)))
        .get_async("/api/v1/me/sessions", |req, ctx| api(auth::sessions(req, ctx)))
        .delete_async("/api/v1/me/sessions", |req, ctx| api(auth::sign_out_everywhere(req, ctx)))
        .post_async("/api/v1/me/keys", |req, ctx| api(keys::create(req, ctx)))
        .get_async("/api/v1/me/keys", |req, ctx| api(keys::list(req, ctx)))
        .delete_async("/api/v1/me/keys/:id", |req, ctx| api(keys::revoke(req, ctx)))
        .get_async("/api/v1/admin/users", |req, ctx| api(admin::list(req, ctx)))
        .patch_async("/api/v1/admin/users/:id", |req, ctx| api(admin::update(req, ctx)))
        .post_async("/api/v1/assets", |req, ctx| api(assets::create(req, ctx)))
        .get_async("/api/v1/assets", |req, ctx| api(assets::list(req, ctx)))
        .get_async("/api/v1/assets/:id", |req, ctx| api(assets::get(req, ctx)))
        .delete_async("/api/v1/assets/:id", |req, ctx| api(assets::delete(req, ctx)))
        .post_async("/api/v1/assets/:id/analyze", |req, ctx| api(jobs::analyze(req, ctx)))
        .get_async("/api/v1/assets/:id/detections", |req, ctx| api(jobs::detections(req, ctx)))
        .put_async("/api/v1/assets/:id/regions", |req, ctx| api(regions::put(req, ctx)))
        .get_async("/api/v1/assets/:id/reveals", |req, ctx| api(regions::reveals(req, ctx)))
        .get_async("/api/v1/jobs/:id", |req, ctx| api(jobs::get(req, ctx)))
        .post_async("/api/v1/batches", |req, ctx| api(batches::create(req, ctx)))
        .get_async("/api/v1/batches/:id", |req, ctx| api(batches::get(req, ctx)))
        .put_async("/api/v1/assets/:id/protection", |req, ctx| api(protection::put(req, ctx)))
        .get_async("/api/v1/assets/:id/protection", |req, ctx| api(protection::get(req, ctx)))
        .delete_async("/api/v1/assets/:id/protection", |req, ctx| api(protection::delete(req, ctx)))
        .get_async("/api/v1/assets/:id/proof", |req, ctx| api(protection::proof(req, ctx)))
        .get_async("/api/v1/assets/:id/proof/tiles/:n", |req, ctx| api(protection::tile(req, ctx)))
        .post_async("/api/v1/assets/:id/view-tickets", |req, ctx| api(tickets::create(req, ctx)))
        .get_async("/api/v1/tickets/:ticket/image", |req, ctx| api(tickets::image(req, ctx)))
        .post_async("/api/v1/forensics/identify", |req, ctx| api(forensics::identify(req, ctx)))
        .get_async("/api/v1/policies", |req, ctx| api(policies::list(req, ctx)))
        .put_async("/api/v1/policies/:name", |req, ctx| api(policies::put(req, ctx)))
        .get_async("/api/v1/policies/:name", |req, ctx| api(policies::get(req, ctx)))
        .delete_async("/api/v1/policies/:name", |req, ctx| api(policies::delete(req, ctx)))
        .post_async("/api/v1/games", |req, ctx| api(games::create(req, ctx)))
        .get_async("/api/v1/games", |req, ctx| api(games::list(req, ctx)))
        .get_async("/api/v1/games/:code", |req, ctx| api(games::get(req, ctx)))
        .delete_async("/api/v1/games/:code", |req, ctx| api(games::delete(req, ctx)))
        .get_async("/api/v1/games/:code/levels", |req, ctx| api(games::levels(req, ctx)))
        .get_async("/api/v1/games/:code/embed", |req, ctx| api(games::embed(req, ctx)))
        .post_async("/api/v1/games/:code/plays", |req, ctx| api(games::play(req, ctx)))
        .post_async("/api/v1/transform", |req, ctx| api(images::transform(req, ctx)))
        .get_async("/img/:options/:id", |req, ctx| api(images::get(req, ctx)))
        .get("/__dev/memory", |req, ctx| sync(dev::memory(req, ctx)))
        .get_async("/__dev/objects", |req, ctx| api(dev::objects(req, ctx)))
        .post_async("/__dev/jobs/:id/redeliver", |req, ctx| api(jobs::redeliver(req, ctx)))
        .or_else_any_method("/*path", not_found)
}

/// Whether development-only routes and headers are on.
pub fn is_dev(env: &Env) -> bool {
    env.var(bindings::DEV).is_ok_and(|v| v.to_string() == "1")
}

fn is_json(resp: &Response) -> bool {
    resp.headers().get("content-type").ok().flatten().is_some_and(|ct| ct.contains("json"))
}

async fn api(handler: impl Future<Output = ApiResult<Response>>) -> Result<Response> {
    sync(handler.await)
}

fn sync(result: ApiResult<Response>) -> Result<Response> {
    Ok(result.unwrap_or_else(ApiError::into_response))
}

fn not_found(req: Request, _ctx: RouteContext<()>) -> Result<Response> {
    sync(Err(ApiError::NotFound { method: req.method().to_string(), path: req.path() }))
}
