//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 description of every route.
//!
//! The document is `edge/openapi.json`; `cargo xtask test` checks that it
//! lists exactly the routes in `router.rs`.

use worker::{Response, RouteContext};

use crate::error::ApiResult;

const OPENAPI: &str = include_str!("../../openapi.json");

/// Serves the OpenAPI document.
pub fn openapi(_req: worker::Request, _ctx: RouteContext<()>) -> ApiResult<Response> {
    let mut resp = Response::ok(OPENAPI)?;
    resp.headers_mut().set("content-type", "application/json; charset=utf-8")?;
    resp.headers_mut().set("access-control-allow-origin", "*")?;
    Ok(resp)
}
