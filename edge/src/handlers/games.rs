//! Pet pixel games: `/api/v1/games` (create, list, read, delete, levels,
//! embed snippet, plays), the game page `/g/{code}` and its files, the
//! gallery `/games` and `/oembed`. The making runs in the queue consumer
//! (`crate::game_maker`).

use edgepix_core::account::Scope;
use edgepix_core::codec::Limits;
use edgepix_core::game::record::{self, OEmbed, html_escape, script_json};
use edgepix_core::game::spec::RawSpec;
use edgepix_core::game::{GameRecord, GameSpec, GameStatus, PageConfig, ShortCode};
use edgepix_core::jobs::QueueMessage;
use edgepix_core::ratelimit::Rule;
use serde::Serialize;
use worker::{Date, FormEntry, Request, Response, RouteContext};

use crate::error::{ApiError, ApiResult};
use crate::games::{self, File, Stored};
use crate::handlers::assets;
use crate::templates::{self, Template};
use crate::{auth, bindings, db, limits};

/// The game page's Content-Security-Policy: embeddable anywhere, loading
/// only from this origin.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors *";

/// Most bytes of a JSON game request.
const MAX_JSON: usize = 16 * 1024;

/// A game with its URLs, as its owner sees it.
#[derive(Serialize)]
struct OwnerView<'a> {
    #[serde(flatten)]
    game: &'a GameRecord,
    urls: Urls,
}

/// A game as anyone sees it (no job, asset or stage times).
#[derive(Serialize)]
struct PublicView<'a> {
    code: &'a ShortCode,
    name: &'a str,
    theme: &'a str,
    difficulty: &'a str,
    level_count: u8,
    status: GameStatus,
    plays: u64,
    created_at: u64,
    urls: Urls,
}

#[derive(Serialize)]
struct Urls {
    this: String,
    job: Option<String>,
    play: String,
    embed: String,
    levels: String,
    sheet: String,
    atlas: String,
    sprite: String,
}

fn urls(game: &GameRecord, owner: bool) -> Urls {
    let c = &game.code;
    Urls {
        this: format!("/api/v1/games/{c}"),
        job: owner.then(|| format!("/api/v1/jobs/{}", game.job)),
        play: format!("/g/{c}"),
        embed: format!("/api/v1/games/{c}/embed"),
        levels: format!("/api/v1/games/{c}/levels"),
        sheet: format!("/g/{c}/sheet.png"),
        atlas: format!("/g/{c}/atlas.json"),
        sprite: format!("/g/{c}/sprite.png"),
    }
}

fn owner_json(game: &GameRecord) -> ApiResult<Response> {
    Ok(Response::from_json(&OwnerView { game, urls: urls(game, true) })?)
}

fn public_json(game: &GameRecord) -> ApiResult<Response> {
    Ok(Response::from_json(&PublicView {
        code: &game.code,
        name: &game.name,
        theme: game.theme.as_str(),
        difficulty: game.difficulty.as_str(),
        level_count: game.level_count,
        status: game.status,
        plays: game.plays,
        created_at: game.created_at,
        urls: urls(game, false),
    })?)
}

/// `POST /api/v1/games`: a photo (raw image body with the fields in the
/// query, or a `multipart/form-data` form with a `photo` file and the
/// fields), or a JSON body naming an uploaded `asset`, plus `name`,
/// `theme`, `difficulty` and `level_count`. Checks the fields, then the
/// creator's rate limit (10 an hour) and job quota, before any work;
/// answers 202 with the game and its job (`Location`: the job).
pub async fn create(mut req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let who = auth::require(&req, &ctx.env, Scope::AssetsWrite).await?;
    let (raw, photo) = read_request(&mut req).await?;
    let spec = GameSpec::from_raw(&raw)?;
    if photo.is_some() == raw.asset.is_some() {
        return Err(ApiError::InvalidRequest("send exactly one of a photo (the body, or a `photo` form file) and `asset` (an uploaded asset's id)".to_owned()));
    }
    let probe = photo.as_deref().map(assets::check_image).transpose()?;
    let asset_id = raw.asset.as_deref().map(|id| edgepix_core::assets::AssetId::parse(id).map_err(|e| ApiError::InvalidRequest(format!("asset: {e}")))).transpose()?;
    limits::hit(&ctx.env, Rule::Game, &who.owner).await?;
    let db = db::open(&ctx.env)?;
    let now = Date::now().as_millis() / 1000;
    crate::handlers::jobs::check_quota(&db, &who, 1, now).await?;
    let asset = match (photo, probe, asset_id) {
        (Some(bytes), Some(probe), _) => assets::store_upload(&ctx.env, &who, bytes, &probe, None).await?.0.id,
        (None, _, Some(id)) => {
            db::find_asset(&db, &who.owner, &id).await?.ok_or_else(|| ApiError::AssetNotFound(id.to_string()))?.id
        }
        _ => return Err(ApiError::InvalidRequest("a photo or an asset is needed".to_owned())),
    };
    let job = crate::handlers::jobs::new_job_of("game", &asset, now)?;
    let job_id = job.id.clone();
    let seed = u64::from_le_bytes(auth::random::<8>()?);
    // 71 random bits: a clash is all but impossible, but a taken code is
    // never overwritten.
    let mut game = None;
    for _ in 0..3 {
        let code = ShortCode::from_random(&auth::random::<32>()?).ok_or_else(|| ApiError::Corrupt("not enough random bytes for a game code".to_owned()))?;
        let candidate = GameRecord {
            code,
            name: spec.name.clone(),
            theme: spec.theme,
            difficulty: spec.difficulty,
            level_count: spec.level_count,
            status: GameStatus::Queued,
            plays: 0,
            created_at: now,
            ready_at: None,
            job: job_id.clone(),
            asset: asset.to_string(),
            stages: Vec::new(),
        };
        if games::insert(&db, &who.owner, &candidate, seed, &job).await? {
            game = Some(candidate);
            break;
        }
    }
    let game = game.ok_or_else(|| ApiError::Corrupt("three game codes in a row were taken".to_owned()))?;
    let message = QueueMessage::Game { job: job_id.clone(), owner: who.owner.clone(), code: game.code.to_string() };
    let binding = |source| ApiError::Binding { name: bindings::JOBS, source };
    ctx.env.queue(bindings::JOBS).map_err(binding)?.send(message.to_json()).await.map_err(binding)?;
    let mut resp = owner_json(&game)?.with_status(202);
    resp.headers_mut().set("location", &format!("/api/v1/jobs/{job_id}"))?;
    Ok(resp)
}

/// The request's fields and photo, whichever form it came in.
async fn read_request(req: &mut Request) -> ApiResult<(RawSpec, Option<Vec<u8>>)> {
    let content_type = req.headers().get("content-type").ok().flatten().unwrap_or_default().to_ascii_lowercase();
    let max = Limits::default().max_bytes;
    if content_type.starts_with("application/json") {
        let body = req.bytes().await?;
        if body.len() > MAX_JSON {
            return Err(ApiError::PayloadTooLarge { limit: MAX_JSON });
        }
        let raw: RawSpec = serde_json::from_slice(&body).map_err(|e| ApiError::InvalidRequest(format!("the JSON body is not a game request: {e}")))?;
        return Ok((raw, None));
    }
    if content_type.starts_with("multipart/form-data") {
        let declared = req.headers().get("content-length").ok().flatten().and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > max + 64 * 1024) {
            return Err(ApiError::PayloadTooLarge { limit: max });
        }
        let form = req.form_data().await.map_err(|e| ApiError::InvalidRequest(format!("unreadable multipart body: {e}")))?;
        let field = |name: &str| match form.get(name) {
            Some(FormEntry::Field(v)) => Some(v),
            _ => None,
        };
        let raw = RawSpec {
            name: field("name"),
            theme: field("theme"),
            difficulty: field("difficulty"),
            level_count: field("level_count").map(serde_json::Value::String),
            asset: field("asset").filter(|a| !a.is_empty()),
        };
        let photo = match form.get("photo") {
            Some(FormEntry::File(f)) => Some(f.bytes().await?),
            _ => None,
        };
        if photo.as_ref().is_some_and(|p| p.len() > max) {
            return Err(ApiError::PayloadTooLarge { limit: max });
        }
        return Ok((raw, photo));
    }
    // A raw image body, the fields in the query.
    let mut raw = RawSpec::default();
    for (k, v) in req.url()?.query_pairs() {
        let v = v.into_owned();
        match &*k {
            "name" => raw.name = Some(v),
            "theme" => raw.theme = Some(v),
            "difficulty" => raw.difficulty = Some(v),
            "level_count" => raw.level_count = Some(serde_json::Value::String(v)),
            other => return Err(ApiError::InvalidRequest(format!("unknown query parameter {other:?} (name, theme, difficulty, level_count)"))),
        }
    }
    let photo = assets::read_image(req, max).await?;
    if photo.is_empty() {
        return Err(ApiError::InvalidRequest("the body is empty: send the photo, a multipart form, or JSON naming an asset".to_owned()));
    }
    Ok((raw, Some(photo)))
}

/// `GET /api/v1/games?limit=N&before=T`: the caller's games, newest first
/// (limit 1-100, default 20; `before`: Unix seconds, for the next page).
pub async fn list(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let who = auth::require(&req, &ctx.env, Scope::AssetsRead).await?;
    let mut limit = 20;
    let mut before = None;
    for (k, v) in req.url()?.query_pairs() {
        match &*k {
            "limit" => limit = v.parse::<u32>().ok().filter(|n| (1..=100).contains(n)).ok_or_else(|| ApiError::InvalidRequest(format!("limit must be 1-100, not {v:?}")))?,
            "before" => before = Some(v.parse::<u64>().map_err(|_| ApiError::InvalidRequest(format!("before must be Unix seconds, not {v:?}")))?),
            other => return Err(ApiError::InvalidRequest(format!("unknown query parameter {other:?} (limit, before)"))),
        }
    }
    let found = games::list(&db::open(&ctx.env)?, &who.owner, before, limit).await?;
    #[derive(Serialize)]
    struct Page<'a> {
        items: Vec<OwnerView<'a>>,
        next_before: Option<u64>,
    }
    let next_before = (found.len() == limit as usize).then(|| found.last().map(|g| g.created_at)).flatten();
    Ok(Response::from_json(&Page { items: found.iter().map(|game| OwnerView { game, urls: urls(game, true) }).collect(), next_before })?)
}

/// The game in the path: its owner sees it in every state, others only
/// once it is ready.
async fn visible(req: &Request, ctx: &RouteContext<()>) -> ApiResult<(Stored, bool)> {
    let code = code_param(ctx)?;
    let stored = find_public(ctx, &code).await?.ok_or_else(|| ApiError::GameNotFound(code.to_string()))?;
    let owner = match auth::authenticate(req, &ctx.env).await {
        Ok(who) => who.owner == stored.owner,
        Err(_) => false,
    };
    if !owner && stored.record.status != GameStatus::Ready {
        return Err(ApiError::GameNotFound(code.to_string()));
    }
    Ok((stored, owner))
}

/// `GET /api/v1/games/{code}`: a game (with its job and stage times for its
/// owner).
pub async fn get(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let (stored, owner) = visible(&req, &ctx).await?;
    if owner { owner_json(&stored.record) } else { public_json(&stored.record) }
}

/// `DELETE /api/v1/games/{code}` (owner): the game and its files.
pub async fn delete(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let who = auth::require(&req, &ctx.env, Scope::AssetsWrite).await?;
    let code = code_param(&ctx)?;
    let db = db::open(&ctx.env)?;
    match games::find(&db, &code).await? {
        None => Ok(Response::empty()?.with_status(204)),
        Some(s) if s.owner != who.owner => Err(ApiError::GameNotFound(code.to_string())),
        Some(_) => {
            games::delete(&ctx.env, &db, &code).await?;
            Ok(Response::empty()?.with_status(204))
        }
    }
}

/// `GET /api/v1/games/{code}/levels`: a ready game's levels, each with its
/// tiles, enemies, clock and shortest solution.
pub async fn levels(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let (stored, _) = visible(&req, &ctx).await?;
    let code = &stored.record.code;
    let bytes = ready_file(&ctx, &stored, File::Levels).await?;
    let mut resp = Response::from_bytes(bytes)?;
    resp.headers_mut().set("content-type", "application/json")?;
    resp.headers_mut().set("cache-control", "public, max-age=31536000, immutable")?;
    resp.headers_mut().set("access-control-allow-origin", "*")?;
    let _ = code;
    Ok(resp)
}

/// `GET /api/v1/games/{code}/embed`: the `<iframe>` snippet.
pub async fn embed(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let (stored, _) = visible(&req, &ctx).await?;
    let origin = origin(&req)?;
    let g = &stored.record;
    #[derive(Serialize)]
    struct Embed {
        html: String,
        url: String,
        width: u32,
        height: u32,
    }
    Ok(Response::from_json(&Embed {
        html: record::embed_html(&origin, &g.code, &g.name),
        url: record::play_url(&origin, &g.code),
        width: record::FRAME_WIDTH,
        height: record::FRAME_HEIGHT,
    })?)
}

/// `POST /api/v1/games/{code}/plays`: counts one play (the game page calls
/// it when a player starts); 204.
pub async fn play(_req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let code = code_param(&ctx)?;
    if !games::add_play(&db::open(&ctx.env)?, &code).await? {
        return Err(ApiError::GameNotFound(code.to_string()));
    }
    Ok(Response::empty()?.with_status(204))
}

/// `GET /oembed?url=...&format=json[&maxwidth=W&maxheight=H]`: oEmbed for a
/// game page of this origin.
pub async fn oembed(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let origin = origin(&req)?;
    let (mut url, mut max_w, mut max_h) = (None, None, None);
    for (k, v) in req.url()?.query_pairs() {
        match &*k {
            "url" => url = Some(v.into_owned()),
            "format" if v == "json" => {}
            "format" => return Err(ApiError::NotImplemented(format!("format {v:?}: only json is offered"))),
            "maxwidth" => max_w = Some(v.parse::<u32>().map_err(|_| ApiError::InvalidRequest(format!("maxwidth must be a positive integer, not {v:?}")))?),
            "maxheight" => max_h = Some(v.parse::<u32>().map_err(|_| ApiError::InvalidRequest(format!("maxheight must be a positive integer, not {v:?}")))?),
            other => return Err(ApiError::InvalidRequest(format!("unknown query parameter {other:?} (url, format, maxwidth, maxheight)"))),
        }
    }
    let url = url.ok_or_else(|| ApiError::InvalidRequest("url is required".to_owned()))?;
    let code = record::code_from_url(&url, &origin).ok_or_else(|| ApiError::GameNotFound(url.clone()))?;
    let stored = find_public(&ctx, &code).await?.filter(|s| s.record.status == GameStatus::Ready).ok_or_else(|| ApiError::GameNotFound(code.to_string()))?;
    let mut answer = OEmbed::new(&origin, &code, &stored.record.name);
    // Keep the frame's aspect within maxwidth x maxheight.
    let scale = [max_w.map(|w| f64::from(w) / f64::from(answer.width)), max_h.map(|h| f64::from(h) / f64::from(answer.height))].into_iter().flatten().fold(1.0f64, f64::min);
    if scale < 1.0 {
        answer.width = ((f64::from(answer.width) * scale).floor() as u32).max(1);
        answer.height = ((f64::from(answer.height) * scale).floor() as u32).max(1);
        answer.html = answer.html.replace(&format!("width=\"{}\" height=\"{}\"", record::FRAME_WIDTH, record::FRAME_HEIGHT), &format!("width=\"{}\" height=\"{}\"", answer.width, answer.height));
    }
    let mut resp = Response::from_json(&answer)?;
    resp.headers_mut().set("access-control-allow-origin", "*")?;
    Ok(resp)
}

/// `GET /g/{code}`: the game page, made to be embedded anywhere.
pub async fn page(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let code = match code_param(&ctx) {
        Ok(c) => c,
        Err(_) => return html_status(404, "No such game", "This link does not name a game."),
    };
    let Some(stored) = find_public(&ctx, &code).await? else {
        return html_status(404, "No such game", "This link does not name a game (or it was deleted).");
    };
    let g = &stored.record;
    match g.status {
        GameStatus::Queued | GameStatus::Running => {
            let mut resp = html_status(202, "Almost ready", "This game is being made; the page reloads by itself in a few seconds.")?;
            resp.headers_mut().set("refresh", "3")?;
            return Ok(resp);
        }
        GameStatus::Failed => return html_status(404, "No such game", "This game could not be made."),
        GameStatus::Ready => {}
    }
    let levels: Vec<edgepix_core::game::Level> = serde_json::from_slice(&ready_file(&ctx, &stored, File::Levels).await?).map_err(|e| ApiError::Corrupt(format!("levels of {code}: {e}")))?;
    let atlas: edgepix_core::pixelart::Atlas = serde_json::from_slice(&ready_file(&ctx, &stored, File::Atlas).await?).map_err(|e| ApiError::Corrupt(format!("atlas of {code}: {e}")))?;
    let config = PageConfig {
        code: code.clone(),
        name: g.name.clone(),
        theme: g.theme,
        levels,
        sheet_url: format!("/g/{code}/sheet.png"),
        atlas,
        still_url: format!("/g/{code}/sprite.png"),
        plays_url: format!("/api/v1/games/{code}/plays"),
    };
    let config = serde_json::to_string(&config).map_err(|e| ApiError::Corrupt(e.to_string()))?;
    let _ = req;
    let html = templates::load(&ctx.env, Template::Game).await?.replace("{{TITLE}}", &html_escape(&g.name)).replace("{{CODE}}", code.as_str()).replace("{{CONFIG_JSON}}", &script_json(&config));
    let mut resp = Response::from_html(html)?;
    resp.headers_mut().set("content-security-policy", PAGE_CSP)?;
    resp.headers_mut().set("cache-control", "public, max-age=60")?;
    Ok(resp)
}

/// `GET /g/{code}/{file}`: a ready game's sprite sheet, atlas or still
/// sprite, open to any origin (Phaser and PixiJS load them directly).
pub async fn file(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let (stored, _) = visible(&req, &ctx).await?;
    let file = match ctx.param("file").map(String::as_str) {
        Some("sheet.png") => File::Sheet,
        Some("atlas.json") => File::Atlas,
        Some("sprite.png") => File::Still,
        other => return Err(ApiError::NotFound { method: "GET".to_owned(), path: format!("/g/{}/{}", stored.record.code, other.unwrap_or_default()) }),
    };
    let bytes = ready_file(&ctx, &stored, file).await?;
    let mut resp = Response::from_bytes(bytes)?;
    let h = resp.headers_mut();
    h.set("content-type", file.mime())?;
    h.set("cache-control", "public, max-age=31536000, immutable")?;
    h.set("access-control-allow-origin", "*")?;
    Ok(resp)
}

/// `GET /games`: the newest playable games.
pub async fn gallery(_req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let recent = games::recent(&db::open(&ctx.env)?, 48).await?;
    let cards: String = if recent.is_empty() {
        "<p class=\"empty\">No games yet. Make the first one with <code>POST /api/v1/games</code> (see the <a href=\"/api/v1/openapi.json\">API</a>).</p>".to_owned()
    } else {
        recent
            .iter()
            .map(|g| {
                format!(
                    "<li><a href=\"/g/{c}\"><img src=\"/g/{c}/sprite.png\" alt=\"\" width=\"96\" height=\"96\"><span class=\"name\">{n}</span><span class=\"meta\">{t}, {d}, {l} level{s} &middot; {p} play{ps}</span></a></li>",
                    c = g.code,
                    n = html_escape(&g.name),
                    t = g.theme.as_str(),
                    d = g.difficulty.as_str(),
                    l = g.level_count,
                    s = if g.level_count == 1 { "" } else { "s" },
                    p = g.plays,
                    ps = if g.plays == 1 { "" } else { "s" },
                )
            })
            .collect()
    };
    let mut resp = Response::from_html(templates::load(&ctx.env, Template::Games).await?.replace("{{GAMES}}", &cards))?;
    resp.headers_mut().set("cache-control", "public, max-age=30")?;
    Ok(resp)
}

/// Game `code` as the public paths read it: from the nearest D1 replica
/// when that has it ready (a game leaves `ready` only when deleted), else
/// from the primary, which a replica may lag for a game made or finished a
/// moment ago.
async fn find_public(ctx: &RouteContext<()>, code: &ShortCode) -> ApiResult<Option<Stored>> {
    let db = db::open(&ctx.env)?;
    match games::find(&db::nearest(&db)?, code).await? {
        Some(stored) if stored.record.status == GameStatus::Ready => Ok(Some(stored)),
        _ => games::find(&db, code).await,
    }
}

async fn ready_file(ctx: &RouteContext<()>, stored: &Stored, file: File) -> ApiResult<Vec<u8>> {
    let code = &stored.record.code;
    match games::get_file(&ctx.env, code, file).await? {
        Some(bytes) => Ok(bytes),
        // Deleted a moment ago (its files go before its row), which a
        // lagging replica did not show: the primary decides.
        None if games::find(&db::open(&ctx.env)?, code).await?.is_none() => Err(ApiError::GameNotFound(code.to_string())),
        None => Err(ApiError::Corrupt(format!("{} is missing", file.key(code)))),
    }
}

fn html_status(status: u16, title: &str, text: &str) -> ApiResult<Response> {
    let html = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{t} - edgepix</title><body style=\"font:16px system-ui,sans-serif;background:#111;color:#eee;display:grid;place-items:center;min-height:90vh;margin:0\"><main style=\"text-align:center\"><h1>{t}</h1><p>{x}</p><p><a style=\"color:#8cf\" href=\"/games\" target=\"_top\">All games</a></p></main></body></html>",
        t = html_escape(title),
        x = html_escape(text)
    );
    let mut resp = Response::from_html(html)?.with_status(status);
    resp.headers_mut().set("content-security-policy", PAGE_CSP)?;
    Ok(resp)
}

fn code_param(ctx: &RouteContext<()>) -> ApiResult<ShortCode> {
    let raw = ctx.param("code").map(String::as_str).unwrap_or_default();
    ShortCode::parse(raw).ok_or_else(|| ApiError::InvalidRequest(format!("{raw:?} is not a 12-character game code")))
}

/// This deployment's origin as the request saw it (`https://host`).
fn origin(req: &Request) -> ApiResult<String> {
    Ok(req.url()?.origin().ascii_serialization())
}
