//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 description of every route.
//!
//! The document is `edge/openapi.json`, read from the static assets
//! (`crate::templates`); `cargo xtask test` checks that it
//! lists exactly the routes in `router.rs`.

use worker::{Response, RouteContext};

use crate::error::ApiResult;
use crate::templates::{self, Template};

/// Serves the OpenAPI document.
pub async fn openapi(_req: worker::Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let mut resp = Response::ok(templates::load(&ctx.env, Template::OpenApi).await?)?;
    resp.headers_mut().set("content-type", "application/json; charset=utf-8")?;
    resp.headers_mut().set("access-control-allow-origin", "*")?;
    Ok(resp)
}
