//! `/api/v1/assets`: upload, read, list and delete originals.

use edgepix_core::assets::{AssetId, AssetRecord, Cursor};
use edgepix_core::codec::{self, Limits};
use serde::Serialize;
use worker::{Date, FormEntry, Request, Response, RouteContext};

use crate::error::{ApiError, ApiResult};
use edgepix_core::account::Scope;
use edgepix_core::ratelimit::Rule;

use crate::{auth, db, limits, store, users};

/// An asset with ready-made URLs.
#[derive(Serialize)]
struct AssetView<'a> {
    #[serde(flatten)]
    record: &'a AssetRecord,
    urls: Urls,
}

#[derive(Serialize)]
struct Urls {
    this: String,
    original: String,
    thumbnail: String,
    json: String,
}

fn view(record: &AssetRecord) -> AssetView<'_> {
    let id = &record.id;
    AssetView {
        record,
        urls: Urls {
            this: format!("/api/v1/assets/{id}"),
            original: format!("/img/format=auto/{id}"),
            thumbnail: format!("/img/width=320,height=320,fit=cover,format=auto/{id}"),
            json: format!("/img/format=json/{id}"),
        },
    }
}

/// `POST /api/v1/assets`: the body is the image (raw, or the first file of
/// a `multipart/form-data` form). Limits are checked before decoding; the
/// id is the SHA-256 of the bytes, so a second upload of the same bytes by
/// the same creator answers 200 with the existing record.
pub async fn create(mut req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let who = auth::require(&req, &ctx.env, Scope::AssetsWrite).await?;
    limits::hit(&ctx.env, Rule::Upload, &who.owner).await?;
    let limits = Limits::default();
    let bytes = read_image(&mut req, limits.max_bytes).await?;
    let probe = check_image(&bytes)?;
    let (record, created) = store_upload(&ctx.env, &who, bytes, &probe, fault(&req, &ctx)).await?;
    let resp = Response::from_json(&view(&record))?;
    Ok(if created { resp.with_status(201) } else { resp })
}

/// Checks uploaded bytes against the limits, before any work: their
/// format, size and whether they decode.
pub(crate) fn check_image(bytes: &[u8]) -> ApiResult<codec::Probe> {
    let limits = Limits::default();
    let probe = codec::probe(bytes, &limits)?;
    codec::validate(bytes, &probe, &limits)?;
    Ok(probe)
}

/// Stores checked image bytes ([`check_image`]) as `who`'s asset after
/// checking the account's storage quota: the record, and whether it is new
/// (the same bytes uploaded again give the existing record).
pub(crate) async fn store_upload(env: &worker::Env, who: &auth::Identity, bytes: Vec<u8>, probe: &codec::Probe, fault: Option<String>) -> ApiResult<(AssetRecord, bool)> {
    let id = AssetId::of(&bytes);
    let db = db::open(env)?;
    if let Some(existing) = db::find_asset(&db, &who.owner, &id).await? {
        return Ok((existing, false));
    }
    let (usage, quota) = users::allowance(&db, &who.owner, who.principal.plan, auth::now()).await?;
    let used = usage.bytes;
    if used + bytes.len() as u64 > quota.bytes {
        return Err(ApiError::QuotaExceeded(format!(
            "storing {} more bytes would pass the account's {} bytes ({} plan; {} used); delete assets or change plans",
            bytes.len(),
            quota.bytes,
            who.principal.plan,
            used
        )));
    }
    let (width, height) = probe.display_size();
    let record = AssetRecord {
        id,
        owner: who.owner.clone(),
        width,
        height,
        format: probe.format.as_str().to_owned(),
        bytes: bytes.len() as u64,
        orientation: probe.orientation,
        created_at: Date::now().as_millis() / 1000,
    };
    store::put_asset(env, &db, &record, bytes, probe.format.mime(), fault).await?;
    Ok((record, true))
}

/// `GET /api/v1/assets/{id}`: the caller's record.
pub async fn get(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let who = auth::require(&req, &ctx.env, Scope::AssetsRead).await?;
    let id = id_param(&ctx)?;
    let db = db::open(&ctx.env)?;
    let record = db::find_asset(&db, &who.owner, &id).await?.ok_or_else(|| ApiError::AssetNotFound(id.to_string()))?;
    Ok(Response::from_json(&view(&record))?)
}

#[derive(Serialize)]
struct Page<'a> {
    items: Vec<AssetView<'a>>,
    next_cursor: Option<String>,
}

/// `GET /api/v1/assets?limit=N&cursor=C`: the caller's assets, newest
/// first (limit 1-100, default 20).
pub async fn list(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let who = auth::require(&req, &ctx.env, Scope::AssetsRead).await?;
    let url = req.url()?;
    let mut limit = 20;
    let mut cursor = None;
    for (k, v) in url.query_pairs() {
        match &*k {
            "limit" => limit = v.parse::<u32>().ok().filter(|n| (1..=100).contains(n)).ok_or_else(|| ApiError::InvalidRequest(format!("limit must be 1-100, not {v:?}")))?,
            "cursor" => cursor = Some(Cursor::decode(&v).ok_or_else(|| ApiError::InvalidRequest("cursor is not one this API gave".to_owned()))?),
            other => return Err(ApiError::InvalidRequest(format!("unknown query parameter {other:?} (limit, cursor)"))),
        }
    }
    let db = db::open(&ctx.env)?;
    let records = db::list_assets(&db, &who.owner, cursor.as_ref(), limit).await?;
    let next_cursor = (records.len() == limit as usize).then(|| records.last().map(|r| Cursor { created_at: r.created_at, id: r.id.clone() }.encode())).flatten();
    Ok(Response::from_json(&Page { items: records.iter().map(view).collect(), next_cursor })?)
}

/// `DELETE /api/v1/assets/{id}`: removes the caller's row and, when no one
/// else holds the same bytes, the original and every derivative. Deleting
/// what is already gone answers 204 too; someone else's asset is 403.
pub async fn delete(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let who = auth::require(&req, &ctx.env, Scope::AssetsWrite).await?;
    let id = id_param(&ctx)?;
    let db = db::open(&ctx.env)?;
    if db::find_asset(&db, &who.owner, &id).await?.is_none() {
        if db::owner_count(&db, &id).await? > 0 {
            return Err(ApiError::Forbidden(format!("asset {id} belongs to someone else")));
        }
        return Ok(Response::empty()?.with_status(204));
    }
    store::delete_asset(&ctx.env, &db, &who.owner, &id).await?;
    Ok(Response::empty()?.with_status(204))
}

pub(crate) fn id_param(ctx: &RouteContext<()>) -> ApiResult<AssetId> {
    let raw = ctx.param("id").map(String::as_str).unwrap_or_default();
    AssetId::parse(raw).map_err(|e| ApiError::InvalidRequest(e.to_string()))
}

/// Development-only fault injection (`x-edgepix-fault: after-r2-put`), so
/// the tests can show that a failure part-way leaves nothing behind.
fn fault(req: &Request, ctx: &RouteContext<()>) -> Option<String> {
    crate::router::is_dev(&ctx.env).then(|| req.headers().get("x-edgepix-fault").ok().flatten()).flatten()
}

/// Reads an image body up to `limit` bytes: raw, or the first file field
/// of a multipart form.
pub(crate) async fn read_image(req: &mut Request, limit: usize) -> ApiResult<Vec<u8>> {
    let declared = req.headers().get("content-length").ok().flatten().and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit + 64 * 1024) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let content_type = req.headers().get("content-type").ok().flatten().unwrap_or_default();
    let bytes = if content_type.starts_with("multipart/form-data") {
        let form = req.form_data().await.map_err(|e| ApiError::InvalidRequest(format!("unreadable multipart body: {e}")))?;
        let mut file = None;
        for name in ["file", "image"] {
            if let Some(FormEntry::File(f)) = form.get(name) {
                file = Some(f);
                break;
            }
        }
        let file = file.ok_or_else(|| ApiError::InvalidRequest("the form has no `file` field with an image".to_owned()))?;
        file.bytes().await?
    } else {
        req.bytes().await?
    };
    if bytes.len() > limit {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    Ok(bytes)
}
