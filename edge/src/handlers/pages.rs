//! HTML pages. Templates live in `r2-assets/templates/`.

use worker::{Request, Response, RouteContext};

use crate::error::ApiResult;

const LANDING: &str = include_str!("../../../r2-assets/templates/landing.html");
const PLAYGROUND: &str = include_str!("../../../r2-assets/templates/playground.html");

/// `GET /`: what edgepix is, with live status and links to the API docs.
pub fn landing(_req: Request, _ctx: RouteContext<()>) -> ApiResult<Response> {
    Ok(Response::from_html(LANDING)?)
}

/// `GET /playground`: upload an image, move sliders for the options, see
/// the URL and the result update.
pub fn playground(_req: Request, _ctx: RouteContext<()>) -> ApiResult<Response> {
    Ok(Response::from_html(PLAYGROUND)?)
}
