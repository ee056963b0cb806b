//! `GET /img/{options}/{id}`: Cloudflare-compatible transformations of
//! stored originals, and `POST /api/v1/transform` of posted images.
//!
//! Lookups go Cache API, then the R2 derivative cache
//! (`derived/{id}/{engine version}/{canonical}.{format}`), then the
//! engine; both caches are keyed by the engine version, so a new engine
//! never serves an old engine's bytes. The response
//! says which (`x-edgepix-cache: HIT-EDGE | HIT-R2 | MISS`, and in
//! `Server-Timing`).

use edgepix_core::assets::AssetId;
use edgepix_core::codec::{self, Limits, OutputFormat};
use edgepix_core::signing::hex;
use edgepix_core::timing::ServerTiming;
use edgepix_core::transform::options::{self, Format, Options};
use edgepix_core::transform::pipeline::{self, Output};
use sha2::{Digest, Sha256};
use std::time::Duration;

use worker::{Cache, Date, Delay, Headers, HttpMetadata, Request, Response, RouteContext};

use crate::error::{ApiError, ApiResult};
use crate::handlers::policies;
use crate::{auth, bindings, db, protections, store};

fn r2(e: worker::Error) -> ApiError {
    ApiError::Binding { name: bindings::MEDIA, source: e }
}

/// Serves a derivative of a stored original.
pub async fn get(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let started = Date::now().as_millis();
    let mut opts = options::parse(ctx.param("options").map(String::as_str).unwrap_or_default())?;
    let id = AssetId::parse(ctx.param("id").map(String::as_str).unwrap_or_default()).map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let db = db::open(&ctx.env)?;
    // Both lookups at once, on the nearest replica: one D1 round trip's
    // wait on every request, cache hits included, instead of two, and a
    // short one wherever the database is replicated.
    let nearest = db::nearest(&db)?;
    let (record, protection) = match protections::asset_and_protection(&nearest, &id).await? {
        (Some(record), protection) => (record, protection),
        // A replica may not have an asset uploaded a moment ago (its URLs
        // come back with the upload): the primary decides a 404.
        (None, _) => match protections::asset_and_protection(&db, &id).await? {
            (Some(record), protection) => (record, protection),
            (None, _) => return Err(ApiError::AssetNotFound(id.to_string())),
        },
    };
    let lookup_ms = Date::now().as_millis().saturating_sub(started);
    // A protected asset's pixels go to its owners only, never through a
    // shared cache; everyone else views it through `/view/{id}`.
    let protected = protection.is_some();
    if protected {
        let owner = match auth::authenticate(&req, &ctx.env).await {
            Ok(who) => db::find_asset(&db, &who.owner, &id).await?.is_some(),
            Err(_) => false,
        };
        if !owner {
            return Err(ApiError::ProtectedAsset(id.to_string()));
        }
    }
    // A policy is the asset owner's; its redactions depend on the latest
    // analysis (its version), the regions the creator switched off and the
    // policy's content, all in the key.
    let (redactions, policy_key) = match opts.policy.clone() {
        None => (Vec::new(), String::new()),
        Some(name) => {
            let policy = policies::resolve(&db, &record.owner, &name).await?;
            let analysis = match db::find_analysis(&db, &record.owner, &id).await? {
                Some(a) => a,
                None if opts.policy_wait => wait_for_analysis(&db, &record.owner, &id).await?,
                None => return Err(ApiError::AnalysisRequired(id.to_string())),
            };
            // `reveal=N`: region N alone, unredacted (other regions in it
            // stay redacted), if the policy allows it.
            let revealed = match opts.reveal {
                None => None,
                Some(n) => {
                    let region = policy.reveal_region(&analysis, n as usize)?;
                    opts.trim = region_trim(region.rect, analysis.width, analysis.height);
                    Some(region.index)
                }
            };
            let digest = hex(&Sha256::digest(format!("{}\n{:?}", policy.to_json(), analysis.off).as_bytes()));
            (policy.plan_analysis(&analysis, revealed), format!("~{}~{}", analysis.version, &digest[..16]))
        }
    };
    let accept = req.headers().get("accept").ok().flatten();
    let format = pipeline::output_format(&opts, accept.as_deref(), record.format != "jpeg");
    let variant = format.map_or("json", OutputFormat::as_str);
    let canonical = format!("{}{policy_key}", opts.canonical());
    let etag = etag(&id, &canonical, variant);
    let vary = matches!(opts.format, None | Some(Format::Auto));
    // A policy's image changes under the same URL when the creator edits
    // the policy or the regions: browsers revalidate (the ETag makes that
    // a 304); our own caches are keyed by all of it and keep it for good.
    let browser_cache = if opts.policy.is_some() { "public, no-cache" } else { IMMUTABLE };
    if req.headers().get("if-none-match").ok().flatten().is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*")) {
        let resp = Response::empty()?.with_status(304);
        let mut resp = finish(resp, &etag, vary, "HIT-ETAG", (started, lookup_ms), &[])?;
        resp.headers_mut().set("cache-control", browser_cache)?;
        return Ok(resp);
    }

    // Development only: `x-edgepix-bypass-cache: 1` measures the engine
    // itself (benchmarks), skipping both caches.
    let bypass = crate::router::is_dev(&ctx.env) && req.headers().get("x-edgepix-bypass-cache").ok().flatten().is_some_and(|v| v == "1");
    let engine = edgepix_core::ENGINE_VERSION;
    let cache_url = format!("https://edgepix.cache/img/{engine}/{canonical}/{variant}/{id}");
    let cache = Cache::default();
    if bypass || protected {
        let (bytes, ct, stages) = render(&ctx, &id, &opts, format, &redactions).await?;
        let headers = Headers::new();
        headers.set("content-type", &ct)?;
        let resp = Response::builder().with_headers(headers).fixed(bytes);
        let mut resp = finish(resp, &etag, vary, "BYPASS", (started, lookup_ms), &stages)?;
        resp.headers_mut().set("x-edgepix-cache", "BYPASS")?;
        resp.headers_mut().set("cache-control", browser_cache)?;
        if protected {
            resp.headers_mut().set("cache-control", "private, no-store")?;
        }
        return Ok(resp);
    }
    if let Some(mut hit) = cache.get(cache_url.as_str(), true).await? {
        // A cached response's headers are immutable: copy them.
        let headers = Headers::new();
        for (k, v) in hit.headers().entries() {
            headers.set(&k, &v)?;
        }
        headers.set("x-edgepix-cache", "HIT-EDGE")?;
        headers.set("cache-control", browser_cache)?;
        let mut timing = ServerTiming::new();
        timing.add("lookup", lookup_ms as f64, None);
        timing.add("image", (Date::now().as_millis() - started) as f64, Some("hit-edge"));
        headers.append("server-timing", &timing.header_value())?;
        let body = hit.bytes().await?;
        return Ok(Response::builder().with_headers(headers).fixed(body));
    }

    let bucket = ctx.env.bucket(bindings::MEDIA).map_err(r2)?;
    let derived_key = format!("{}{engine}/{canonical}.{variant}", id.derived_prefix());
    let (bytes, content_type, source, stages) = match bucket.get(derived_key.clone()).execute().await.map_err(r2)? {
        Some(obj) => {
            let ct = obj.http_metadata().content_type.unwrap_or_else(|| "application/octet-stream".to_owned());
            let body = obj.body().ok_or_else(|| ApiError::Corrupt(format!("{derived_key} has no body")))?;
            (body.bytes().await.map_err(r2)?, ct, "HIT-R2", Vec::new())
        }
        None => {
            let (bytes, ct, stages) = render(&ctx, &id, &opts, format, &redactions).await?;
            let meta = HttpMetadata { content_type: Some(ct.clone()), ..HttpMetadata::default() };
            bucket.put(derived_key, bytes.clone()).http_metadata(meta).execute().await.map_err(r2)?;
            (bytes, ct, "MISS", stages.to_vec())
        }
    };
    let headers = Headers::new();
    headers.set("content-type", &content_type)?;
    let resp = Response::builder().with_headers(headers).fixed(bytes);
    let mut resp = finish(resp, &etag, vary, source, (started, lookup_ms), &stages)?;
    let mut for_cache = resp.cloned()?;
    for_cache.headers_mut().delete("server-timing")?;
    cache.put(cache_url.as_str(), for_cache).await?;
    resp.headers_mut().set("x-edgepix-cache", source)?;
    resp.headers_mut().set("cache-control", browser_cache)?;
    Ok(resp)
}

/// `POST /api/v1/transform?options=...`: transforms the posted image
/// without storing it (same engine, same limits).
pub async fn transform(mut req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    auth::require(&req, &ctx.env, edgepix_core::account::Scope::AssetsWrite).await?;
    let url = req.url()?;
    let raw = url.query_pairs().find(|(k, _)| k == "options").map(|(_, v)| v.into_owned()).unwrap_or_default();
    let opts: Options = options::parse(if raw.is_empty() { options::ORIGINAL } else { &raw })?;
    if let Some(policy) = &opts.policy {
        return Err(ApiError::UnsupportedOption(format!("policy={policy}: policies apply to stored, analysed assets (GET /img/...), not to posted images")));
    }
    let limits = Limits::default();
    if req.headers().get("content-length").ok().flatten().and_then(|v| v.parse::<usize>().ok()).is_some_and(|n| n > limits.max_bytes) {
        return Err(ApiError::PayloadTooLarge { limit: limits.max_bytes });
    }
    let source = req.bytes().await?;
    let probe = codec::probe(&source, &limits)?;
    let accept = req.headers().get("accept").ok().flatten();
    let format = pipeline::output_format(&opts, accept.as_deref(), probe.has_alpha);
    let (bytes, ct) = encode_output(pipeline::run(&source, &opts, format, &limits)?)?;
    let headers = Headers::new();
    headers.set("content-type", &ct)?;
    headers.set("cache-control", "no-store")?;
    Ok(Response::builder().with_headers(headers).fixed(bytes))
}

/// The trim that leaves only `rect` of a `width x height` upright image
/// (`None` when the rect is the whole image).
fn region_trim(rect: edgepix_core::pixel::Rect, width: u32, height: u32) -> Option<options::Trim> {
    let right = width.saturating_sub(rect.x + rect.w);
    let bottom = height.saturating_sub(rect.y + rect.h);
    options::Trim::new(rect.y, right, bottom, rect.x)
}

/// How long `policy-wait=true` waits for an analysis in progress.
const POLICY_WAIT: Duration = Duration::from_secs(20);

/// The analysis of `owner`'s `id`, waiting (up to [`POLICY_WAIT`]) while
/// one is queued or running; `409 analysis_required` when none is, or when
/// it does not finish in time.
async fn wait_for_analysis(db: &worker::D1Database, owner: &str, id: &AssetId) -> ApiResult<edgepix_core::jobs::Analysis> {
    let deadline = Date::now().as_millis() + POLICY_WAIT.as_millis() as u64;
    loop {
        if let Some(a) = db::find_analysis(db, owner, id).await? {
            return Ok(a);
        }
        if !db::analysis_pending(db, owner, id).await? {
            // The job may have finished between the two reads (it stores
            // the analysis and ends in one batch): look once more.
            return db::find_analysis(db, owner, id).await?.ok_or_else(|| ApiError::AnalysisRequired(id.to_string()));
        }
        if Date::now().as_millis() >= deadline {
            return Err(ApiError::AnalysisRequired(id.to_string()));
        }
        Delay::from(Duration::from_millis(250)).await;
    }
}

/// The steps of a render, timed in `Server-Timing`: `original` (reading it
/// from R2) and `render` (decode, transform, encode). A deployed Worker's
/// clock moves only across I/O, so there `render` reads 0; in local
/// workerd it is the wall time.
type Stages = [(&'static str, u64); 2];

/// Reads `id`'s original and renders `opts` from it: the bytes, their
/// content type, and the time of each step.
async fn render(ctx: &RouteContext<()>, id: &AssetId, opts: &Options, format: Option<OutputFormat>, redactions: &[edgepix_core::policy::Redaction]) -> ApiResult<(Vec<u8>, String, Stages)> {
    let t0 = Date::now().as_millis();
    let source = match store::find_original(&ctx.env, id).await? {
        Some(source) => source,
        // Deleted a moment ago (the objects go before the row), which a
        // lagging replica did not show: the primary decides.
        None if db::find_any(&db::open(&ctx.env)?, id).await?.is_none() => return Err(ApiError::AssetNotFound(id.to_string())),
        None => return Err(ApiError::Corrupt(format!("the original of {id} is missing"))),
    };
    let t1 = Date::now().as_millis();
    let (bytes, ct) = encode_output(pipeline::run_with(&source, opts, format, &Limits::default(), redactions)?)?;
    let t2 = Date::now().as_millis();
    Ok((bytes, ct, [("original", t1.saturating_sub(t0)), ("render", t2.saturating_sub(t1))]))
}

fn encode_output(out: Output) -> ApiResult<(Vec<u8>, String)> {
    Ok(match out {
        Output::Image(img) => (img.bytes, img.format.mime().to_owned()),
        Output::Json(info) => (serde_json::to_vec(&info).map_err(|e| ApiError::Corrupt(e.to_string()))?, "application/json".to_owned()),
    })
}

/// A strong ETag from what determines the bytes: asset, options, format,
/// engine version.
fn etag(id: &AssetId, canonical: &str, variant: &str) -> String {
    let digest = Sha256::digest(format!("{id}\n{canonical}\n{variant}\n{}", edgepix_core::ENGINE_VERSION).as_bytes());
    format!("\"{}\"", &hex(&digest)[..32])
}

/// How long anyone may keep a derivative whose URL fixes its bytes.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The headers every `/img` answer carries: `ETag`, `Cache-Control`,
/// `Vary` when negotiated, and `Server-Timing` (the lookup, `stages`, then
/// the whole answer since `started`).
fn finish(mut resp: Response, etag: &str, vary: bool, source: &str, (started, lookup_ms): (u64, u64), stages: &[(&str, u64)]) -> ApiResult<Response> {
    let h = resp.headers_mut();
    h.set("etag", etag)?;
    h.set("cache-control", IMMUTABLE)?;
    if vary {
        h.set("vary", "Accept")?;
    }
    let mut timing = ServerTiming::new();
    timing.add("lookup", lookup_ms as f64, None);
    for &(name, ms) in stages {
        timing.add(name, ms as f64, None);
    }
    timing.add("image", Date::now().as_millis().saturating_sub(started) as f64, Some(&source.to_ascii_lowercase()));
    h.append("server-timing", &timing.header_value())?;
    Ok(resp)
}
