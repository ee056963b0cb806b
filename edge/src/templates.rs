//! Page templates and the OpenAPI document, read from the Worker's static
//! assets (the `ASSETS` binding) instead of being embedded in its wasm:
//! Cloudflare counts the script's compressed size, and these files are
//! about 40 KB of gzip. `cargo xtask build edge` lays them out in
//! `build/site/templates/` from `r2-assets/templates/` and
//! `edge/openapi.json`, and `wrangler deploy` uploads them with the rest.

use worker::Env;

use crate::bindings;
use crate::error::{ApiError, ApiResult};

/// A file the Worker reads from `build/site/templates/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Template {
    /// `/`.
    Landing,
    /// `/playground`.
    Playground,
    /// `/signup`.
    Signup,
    /// `/signin`.
    Signin,
    /// `/account`.
    Account,
    /// `/view/{id}`.
    View,
    /// `/studio/{id}`.
    Studio,
    /// `/studio/local`.
    StudioLocal,
    /// `/safe/{id}`.
    Safe,
    /// `/g/{code}`, with `{{TITLE}}`, `{{CODE}}` and `{{CONFIG_JSON}}`.
    Game,
    /// `/games`, with `{{GAMES}}`.
    Games,
    /// `/api/v1/openapi.json`.
    OpenApi,
}

impl Template {
    /// The file's name in `templates/`.
    pub fn file(self) -> &'static str {
        match self {
            Template::Landing => "landing.html",
            Template::Playground => "playground.html",
            Template::Signup => "signup.html",
            Template::Signin => "signin.html",
            Template::Account => "account.html",
            Template::View => "view.html",
            Template::Studio => "studio.html",
            Template::StudioLocal => "studio-local.html",
            Template::Safe => "safe.html",
            Template::Game => "game.html",
            Template::Games => "games.html",
            Template::OpenApi => "openapi.json",
        }
    }
}

/// The text of `template`. A deployment without the file (the static site
/// not laid out) is a 500 that names it.
pub async fn load(env: &Env, template: Template) -> ApiResult<String> {
    let binding = |source| ApiError::Binding { name: bindings::ASSETS, source };
    let assets = env.assets(bindings::ASSETS).map_err(binding)?;
    // The binding serves by path; the host is not looked at.
    let mut resp = assets.fetch(format!("https://assets.invalid/templates/{}", template.file()), None).await.map_err(binding)?;
    if resp.status_code() != 200 {
        return Err(ApiError::Config(format!("templates/{} is not in the static assets ({}): run `cargo xtask build edge`", template.file(), resp.status_code())));
    }
    resp.text().await.map_err(binding)
}
