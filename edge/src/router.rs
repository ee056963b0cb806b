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
use crate::handlers::{assets, dev, docs, health, images, jobs, pages, policies};
use crate::memory;

/// Routes the request and decorates the response.
pub async fn handle(req: Request, env: Env) -> Result<Response> {
    let started = Date::now().as_millis();
    let method = req.method().to_string();
    let path = req.path();
    let dev = is_dev(&env);
    let mut resp = match routes().run(req, env).await {
        // The router's own 405 is plain text; answer ours.
        Ok(r) if r.status_code() == 405 && !is_json(&r) => ApiError::MethodNotAllowed { method, path }.into_response(),
        Ok(r) => r,
        Err(e) => ApiError::Runtime(e).into_response(),
    };
    let mut timing = ServerTiming::new();
    timing.add("total", (Date::now().as_millis() - started) as f64, None);
    let headers = resp.headers_mut();
    headers.append("server-timing", &timing.header_value())?;
    if dev {
        headers.set("x-edgepix-wasm-memory-peak", &memory::peak_bytes().to_string())?;
    }
    Ok(resp)
}

fn routes() -> Router<'static, ()> {
    Router::new()
        .get("/", |req, ctx| sync(pages::landing(req, ctx)))
        .get("/playground", |req, ctx| sync(pages::playground(req, ctx)))
        .get_async("/healthz", |req, ctx| api(health::get(req, ctx)))
        .get("/api/v1/openapi.json", |req, ctx| sync(docs::openapi(req, ctx)))
        .post_async("/api/v1/assets", |req, ctx| api(assets::create(req, ctx)))
        .get_async("/api/v1/assets", |req, ctx| api(assets::list(req, ctx)))
        .get_async("/api/v1/assets/:id", |req, ctx| api(assets::get(req, ctx)))
        .delete_async("/api/v1/assets/:id", |req, ctx| api(assets::delete(req, ctx)))
        .post_async("/api/v1/assets/:id/analyze", |req, ctx| api(jobs::analyze(req, ctx)))
        .get_async("/api/v1/assets/:id/detections", |req, ctx| api(jobs::detections(req, ctx)))
        .get_async("/api/v1/jobs/:id", |req, ctx| api(jobs::get(req, ctx)))
        .get_async("/api/v1/policies", |req, ctx| api(policies::list(req, ctx)))
        .put_async("/api/v1/policies/:name", |req, ctx| api(policies::put(req, ctx)))
        .get_async("/api/v1/policies/:name", |req, ctx| api(policies::get(req, ctx)))
        .delete_async("/api/v1/policies/:name", |req, ctx| api(policies::delete(req, ctx)))
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
