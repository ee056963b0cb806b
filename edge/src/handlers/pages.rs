//! HTML pages. Templates live in `r2-assets/templates/` and reach the
//! Worker through its static assets (`crate::templates`).

use worker::{Request, Response, RouteContext};

use crate::error::ApiResult;
use crate::templates::{self, Template};

/// `template` as an HTML page.
async fn page(ctx: &RouteContext<()>, template: Template) -> ApiResult<Response> {
    Ok(Response::from_html(templates::load(&ctx.env, template).await?)?)
}

/// Private mode's policy: scripts, the two wasm modules and the Web Worker
/// from this site only, and no request to any other origin, so the page
/// itself cannot send the photo elsewhere.
pub const STUDIO_LOCAL_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; img-src 'self' data: blob:; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/// `GET /`: what edgepix is, with live status and links to the API docs.
pub async fn landing(_req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    page(&ctx, Template::Landing).await
}

/// `GET /playground`: upload an image, move sliders for the options, see
/// the URL and the result update.
pub async fn playground(_req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    page(&ctx, Template::Playground).await
}

/// `GET /signup`: create an account, then sign in to it.
pub async fn signup(_req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    page(&ctx, Template::Signup).await
}

/// `GET /signin`: sign in with email and password (refresh cookie).
pub async fn signin(_req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    page(&ctx, Template::Signin).await
}

/// `GET /account`: the account, its API keys and its sessions.
pub async fn account(_req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    page(&ctx, Template::Account).await
}

/// `GET /view/{id}`: a protected asset, drawn for this viewer by the
/// browser module from a view ticket.
pub async fn view(_req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let mut resp = page(&ctx, Template::View).await?;
    resp.headers_mut().set("cache-control", "no-store")?;
    Ok(resp)
}

/// `GET /studio/{id}`: the creator's safe-blur studio for an asset:
/// detected regions outlined and labelled, each switchable, the policy
/// editable, a live preview through the browser module's blur, saving both.
pub async fn studio(_req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let mut resp = page(&ctx, Template::Studio).await?;
    resp.headers_mut().set("cache-control", "no-store")?;
    Ok(resp)
}

/// `GET /safe/{id}?policy=NAME`: a safe image as the public sees it, with
/// "tap to reveal" on the regions the creator's policy allows.
pub async fn safe(_req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    page(&ctx, Template::Safe).await
}

/// `GET /studio/local`: private mode. Detection (the detector module and
/// model, loaded lazily) and the safe-blur run in the browser; only the
/// blurred result is uploaded, on request.
pub async fn studio_local(_req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let mut resp = page(&ctx, Template::StudioLocal).await?;
    resp.headers_mut().set("content-security-policy", STUDIO_LOCAL_CSP)?;
    Ok(resp)
}
