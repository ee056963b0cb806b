//! Protected viewing, the creator's side and the public proofs:
//! `/api/v1/assets/{id}/protection`, `/api/v1/assets/{id}/proof`,
//! `/api/v1/assets/{id}/proof/tiles/{n}` and
//! `/.well-known/edgepix-keys.json`. The rules live in
//! `edgepix_core::protect`.

use edgepix_core::account::Scope;
use edgepix_core::account::jwt::Keyring;
use edgepix_core::assets::AssetId;
use edgepix_core::codec::Limits;
use edgepix_core::protect::config::{self, ProtectionConfig};
use edgepix_core::protect::grid::Grid;
use edgepix_core::protect::proof::{self, Hash, SignedRoot};
use edgepix_core::protect::view;
use serde::Serialize;
use worker::{Env, Request, Response, RouteContext};

use crate::error::{ApiError, ApiResult};
use crate::handlers::assets::id_param;
use crate::protections::{self, Protection};
use crate::{auth, bindings, db, store};

/// The largest config document accepted, in bytes.
const MAX_CONFIG: usize = 4 * 1024;

/// The content-proof keys (`PROOF_KEYS`).
pub fn proof_keys(env: &Env) -> ApiResult<Keyring> {
    let text = env.secret(bindings::PROOF_KEYS).map(|s| s.to_string()).or_else(|_| env.var(bindings::PROOF_KEYS).map(|v| v.to_string())).unwrap_or_default();
    Keyring::parse(&text).map_err(|e| ApiError::Config(format!("PROOF_KEYS: {e}")))
}

fn r2(e: worker::Error) -> ApiError {
    ApiError::Binding { name: bindings::MEDIA, source: e }
}

fn leaves_key(owner: &str, asset: &AssetId) -> String {
    format!("proofs/{owner}/{asset}")
}

/// The grid a stored protection cut.
pub fn grid_of(p: &Protection) -> Grid {
    Grid { width: p.view_width, height: p.view_height, tile: p.tile, cols: p.view_width.div_ceil(p.tile), rows: p.view_height.div_ceil(p.tile) }
}

/// The config a stored protection holds.
pub fn config_of(p: &Protection) -> ApiResult<ProtectionConfig> {
    config::parse(p.config.as_bytes()).map_err(|e| ApiError::Corrupt(format!("stored protection of {}: {e}", p.asset)))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProtectionView {
    asset: String,
    protection: serde_json::Value,
    view: Grid,
    proof: SignedRoot,
    updated_at: u64,
    urls: ProtectionUrls,
}


#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProtectionUrls {
    view: String,
    view_tickets: String,
    proof: String,
}

fn signed_root(p: &Protection) -> SignedRoot {
    let grid = grid_of(p);
    let statement = proof::unhex(&p.root).map(|r| String::from_utf8_lossy(&proof::statement(&p.asset, &grid, &r)).into_owned()).unwrap_or_default();
    SignedRoot {
        asset: p.asset.clone(),
        root: p.root.clone(),
        tiles: grid.len(),
        width: grid.width,
        height: grid.height,
        tile: grid.tile,
        statement,
        signature: p.signature.clone(),
        kid: p.kid.clone(),
        alg: proof::ALGORITHM.to_owned(),
    }
}

fn respond(p: &Protection) -> ApiResult<Response> {
    let grid = grid_of(p);
    let id = &p.asset;
    Ok(Response::from_json(&ProtectionView {
        asset: id.clone(),
        protection: config_of(p)?.to_json(),
        view: grid,
        proof: signed_root(p),
        updated_at: p.updated_at as u64,
        urls: ProtectionUrls { view: format!("/view/{id}"), view_tickets: format!("/api/v1/assets/{id}/view-tickets"), proof: format!("/api/v1/assets/{id}/proof") },
    })?)
}

/// `PUT /api/v1/assets/{id}/protection`: protects the caller's asset with
/// the config in the body (every field optional), computing and signing
/// the Merkle root over its view tiles.
pub async fn put(mut req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let who = auth::require(&req, &ctx.env, Scope::AssetsWrite).await?;
    let id = id_param(&ctx)?;
    let body = crate::handlers::json::read_bytes(&mut req, MAX_CONFIG).await?;
    let config = config::parse(if body.iter().all(u8::is_ascii_whitespace) { b"{}" } else { &body }).map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let db = db::open(&ctx.env)?;
    db::find_asset(&db, &who.owner, &id).await?.ok_or_else(|| ApiError::AssetNotFound(id.to_string()))?;
    let keys = proof_keys(&ctx.env)?;
    let source = store::read_original(&ctx.env, &id).await?;
    let view = view::render(&source, &view::options()?, &Limits::default())?;
    drop(source);
    let grid = view::grid(&view, &config);
    let leaves = proof::tile_leaves(&view, &grid);
    let signed = proof::sign(keys.signer(), id.as_str(), &grid, &leaves);
    let bucket = ctx.env.bucket(bindings::MEDIA).map_err(r2)?;
    bucket.put(leaves_key(&who.owner, &id), leaves.concat()).execute().await.map_err(r2)?;
    let p = Protection {
        owner: who.owner,
        asset: id.to_string(),
        config: config.to_json().to_string(),
        view_width: grid.width,
        view_height: grid.height,
        tile: grid.tile,
        root: signed.root,
        signature: signed.signature,
        kid: signed.kid,
        updated_at: auth::now() as f64,
    };
    protections::put(&db, &p).await?;
    respond(&p)
}

/// `GET /api/v1/assets/{id}/protection`: the caller's protection.
pub async fn get(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let who = auth::require(&req, &ctx.env, Scope::AssetsRead).await?;
    let id = id_param(&ctx)?;
    let db = db::open(&ctx.env)?;
    let p = protections::find(&db, &who.owner, &id).await?.ok_or_else(|| ApiError::NotProtected(id.to_string()))?;
    respond(&p)
}

/// `DELETE /api/v1/assets/{id}/protection`: makes the asset public again
/// (idempotent).
pub async fn delete(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let who = auth::require(&req, &ctx.env, Scope::AssetsWrite).await?;
    let id = id_param(&ctx)?;
    let db = db::open(&ctx.env)?;
    db::find_asset(&db, &who.owner, &id).await?.ok_or_else(|| ApiError::AssetNotFound(id.to_string()))?;
    protections::delete(&db, &who.owner, &id).await?;
    ctx.env.bucket(bindings::MEDIA).map_err(r2)?.delete(leaves_key(&who.owner, &id)).await.map_err(r2)?;
    Ok(Response::empty()?.with_status(204))
}

/// `GET /api/v1/assets/{id}/proof`: the signed root (public: anyone may
/// verify it against `/.well-known/edgepix-keys.json`).
pub async fn proof(_req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let id = id_param(&ctx)?;
    let p = protections::find_any(&db::open(&ctx.env)?, &id).await?.ok_or_else(|| ApiError::NotProtected(id.to_string()))?;
    Ok(Response::from_json(&signed_root(&p))?)
}

#[derive(Serialize)]
struct TileProof {
    index: usize,
    tiles: usize,
    leaf: String,
    path: Vec<String>,
    root: String,
}

/// `GET /api/v1/assets/{id}/proof/tiles/{n}`: tile `n`'s leaf hash and
/// inclusion path.
pub async fn tile(_req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let id = id_param(&ctx)?;
    let raw = ctx.param("n").map(String::as_str).unwrap_or_default();
    let n: usize = raw.parse().map_err(|_| ApiError::InvalidRequest(format!("tile index {raw:?} is not a number")))?;
    let p = protections::find_any(&db::open(&ctx.env)?, &id).await?.ok_or_else(|| ApiError::NotProtected(id.to_string()))?;
    let bucket = ctx.env.bucket(bindings::MEDIA).map_err(r2)?;
    let key = leaves_key(&p.owner, &id);
    let object = bucket.get(key.clone()).execute().await.map_err(r2)?.ok_or_else(|| ApiError::Corrupt(format!("{key} is missing")))?;
    let bytes = object.body().ok_or_else(|| ApiError::Corrupt(format!("{key} has no body")))?.bytes().await.map_err(r2)?;
    let leaves: Vec<Hash> = bytes.chunks_exact(32).filter_map(|c| c.try_into().ok()).collect();
    if n >= leaves.len() {
        return Err(ApiError::TileNotFound { index: n, tiles: leaves.len() });
    }
    let path = proof::inclusion_path(&leaves, n).map_err(|e| ApiError::Corrupt(e.to_string()))?;
    Ok(Response::from_json(&TileProof { index: n, tiles: leaves.len(), leaf: proof::hex(&leaves[n]), path: path.iter().map(proof::hex).collect(), root: p.root })?)
}

/// `GET /.well-known/edgepix-keys.json`: the public keys of content proofs.
pub fn keys(_req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let mut resp = Response::from_json(&proof_keys(&ctx.env)?.jwks())?;
    resp.headers_mut().set("cache-control", "public, max-age=300")?;
    Ok(resp)
}
