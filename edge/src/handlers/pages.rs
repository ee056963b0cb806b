//! HTML pages. Templates live in `r2-assets/templates/`.

use worker::{Request, Response, RouteContext};

use crate::error::ApiResult;

const LANDING: &str = include_str!("../../../r2-assets/templates/landing.html");

/// `GET /`: what edgepix is, with live status and links to the API docs.
pub fn landing(_req: Request, _ctx: RouteContext<()>) -> ApiResult<Response> {
    Ok(Response::from_html(LANDING)?)
}
