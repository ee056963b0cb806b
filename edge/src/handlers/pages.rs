//! HTML pages. Templates live in `r2-assets/templates/`.

use worker::{Request, Response, RouteContext};

use crate::error::ApiResult;

const LANDING: &str = include_str!("../../../r2-assets/templates/landing.html");
const PLAYGROUND: &str = include_str!("../../../r2-assets/templates/playground.html");
const SIGNUP: &str = include_str!("../../../r2-assets/templates/signup.html");
const SIGNIN: &str = include_str!("../../../r2-assets/templates/signin.html");
const ACCOUNT: &str = include_str!("../../../r2-assets/templates/account.html");
const VIEW: &str = include_str!("../../../r2-assets/templates/view.html");
const STUDIO: &str = include_str!("../../../r2-assets/templates/studio.html");
const SAFE: &str = include_str!("../../../r2-assets/templates/safe.html");
const STUDIO_LOCAL: &str = include_str!("../../../r2-assets/templates/studio-local.html");

/// Private mode's policy: scripts, the two wasm modules and the Web Worker
/// from this site only, and no request to any other origin, so the page
/// itself cannot send the photo elsewhere.
pub const STUDIO_LOCAL_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; img-src 'self' data: blob:; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/// `GET /`: what edgepix is, with live status and links to the API docs.
pub fn landing(_req: Request, _ctx: RouteContext<()>) -> ApiResult<Response> {
    Ok(Response::from_html(LANDING)?)
}

/// `GET /playground`: upload an image, move sliders for the options, see
/// the URL and the result update.
pub fn playground(_req: Request, _ctx: RouteContext<()>) -> ApiResult<Response> {
    Ok(Response::from_html(PLAYGROUND)?)
}

/// `GET /signup`: create an account, then sign in to it.
pub fn signup(_req: Request, _ctx: RouteContext<()>) -> ApiResult<Response> {
    Ok(Response::from_html(SIGNUP)?)
}

/// `GET /signin`: sign in with email and password (refresh cookie).
pub fn signin(_req: Request, _ctx: RouteContext<()>) -> ApiResult<Response> {
    Ok(Response::from_html(SIGNIN)?)
}

/// `GET /account`: the account, its API keys and its sessions.
pub fn account(_req: Request, _ctx: RouteContext<()>) -> ApiResult<Response> {
    Ok(Response::from_html(ACCOUNT)?)
}

/// `GET /view/{id}`: a protected asset, drawn for this viewer by the
/// browser module from a view ticket.
pub fn view(_req: Request, _ctx: RouteContext<()>) -> ApiResult<Response> {
    let mut resp = Response::from_html(VIEW)?;
    resp.headers_mut().set("cache-control", "no-store")?;
    Ok(resp)
}

/// `GET /studio/{id}`: the creator's safe-blur studio for an asset:
/// detected regions outlined and labelled, each switchable, the policy
/// editable, a live preview through the browser module's blur, saving both.
pub fn studio(_req: Request, _ctx: RouteContext<()>) -> ApiResult<Response> {
    let mut resp = Response::from_html(STUDIO)?;
    resp.headers_mut().set("cache-control", "no-store")?;
    Ok(resp)
}

/// `GET /safe/{id}?policy=NAME`: a safe image as the public sees it, with
/// "tap to reveal" on the regions the creator's policy allows.
pub fn safe(_req: Request, _ctx: RouteContext<()>) -> ApiResult<Response> {
    Ok(Response::from_html(SAFE)?)
}

/// `GET /studio/local`: private mode. Detection (the detector module and
/// model, loaded lazily) and the safe-blur run in the browser; only the
/// blurred result is uploaded, on request.
pub fn studio_local(_req: Request, _ctx: RouteContext<()>) -> ApiResult<Response> {
    let mut resp = Response::from_html(STUDIO_LOCAL)?;
    resp.headers_mut().set("content-security-policy", STUDIO_LOCAL_CSP)?;
    Ok(resp)
}
