//! Safe-blur regions: the creator's choices in the studio
//! (`PUT /api/v1/assets/{id}/regions`) and what a public viewer may tap to
//! reveal (`GET /api/v1/assets/{id}/reveals?policy=NAME`).

use edgepix_core::account::Scope;
use edgepix_core::jobs::{RegionChoice, RegionChoiceError};
use edgepix_core::policy::Revealable;
use edgepix_core::transform::options::PolicyName;
use serde::Serialize;
use worker::{Request, Response, RouteContext};

use crate::error::{ApiError, ApiResult};
use crate::handlers::assets::id_param;
use crate::handlers::policies;
use crate::{auth, db, protections};

/// The largest region choice accepted, in bytes.
const MAX_BODY: usize = 16 * 1024;

/// `PUT /api/v1/assets/{id}/regions` (owner): `{"version": "...", "off": [i, ...]}`
/// switches detections of that analysis off (policies leave them as they
/// are); answers the analysis with its new `off`.
pub async fn put(mut req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let who = auth::require(&req, &ctx.env, Scope::AssetsWrite).await?;
    let id = id_param(&ctx)?;
    let body = req.bytes().await?;
    if body.len() > MAX_BODY {
        return Err(ApiError::PayloadTooLarge { limit: MAX_BODY });
    }
    let choice: RegionChoice = serde_json::from_slice(&body)
        .map_err(|e| ApiError::InvalidRequest(format!("the body is not {{\"version\": \"<analysis version>\", \"off\": [indices]}}: {e}")))?;
    let db = db::open(&ctx.env)?;
    db::find_asset(&db, &who.owner, &id).await?.ok_or_else(|| ApiError::AssetNotFound(id.to_string()))?;
    let mut analysis = db::find_analysis(&db, &who.owner, &id).await?.ok_or_else(|| ApiError::AnalysisRequired(id.to_string()))?;
    let off = choice.validate(&analysis)?;
    if !db::set_regions_off(&db, &who.owner, &id, &analysis.version, &off).await? {
        // A re-analysis finished between the read and the write.
        return Err(RegionChoiceError::Stale { given: choice.version, current: "a newer one".to_owned() }.into());
    }
    analysis.off = off;
    Ok(Response::from_json(&analysis)?)
}

#[derive(Serialize)]
struct Reveals<'a> {
    asset: &'a str,
    policy: &'a str,
    /// The analysis the regions come from.
    version: &'a str,
    /// The size the regions' pixels refer to (the upright original).
    width: u32,
    height: u32,
    regions: Vec<Revealable>,
}

/// `GET /api/v1/assets/{id}/reveals?policy=NAME` (public; `default` when
/// left out): the regions of a safe image a viewer may tap to reveal,
/// each then served by `/img/policy=NAME,reveal=N/{id}`.
pub async fn reveals(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let id = id_param(&ctx)?;
    let url = req.url()?;
    let raw = url.query_pairs().find(|(k, _)| k == "policy").map_or_else(|| policies::DEFAULT.to_owned(), |(_, v)| v.into_owned());
    let name = PolicyName::new(&raw).ok_or_else(|| ApiError::InvalidRequest(format!("policy name {raw:?} is not 1 to 32 characters from a-z, 0-9 and -")))?;
    let db = db::open(&ctx.env)?;
    let (record, protection) = protections::asset_and_protection(&db, &id).await?;
    let record = record.ok_or_else(|| ApiError::AssetNotFound(id.to_string()))?;
    if protection.is_some() {
        return Err(ApiError::ProtectedAsset(id.to_string()));
    }
    let policy = policies::resolve(&db, &record.owner, &name).await?;
    let analysis = db::find_analysis(&db, &record.owner, &id).await?.ok_or_else(|| ApiError::AnalysisRequired(id.to_string()))?;
    let answer = Reveals {
        asset: id.as_str(),
        policy: name.as_str(),
        version: &analysis.version,
        width: analysis.width,
        height: analysis.height,
        regions: policy.revealable(&analysis),
    };
    let mut resp = Response::from_json(&answer)?;
    resp.headers_mut().set("cache-control", "public, no-cache")?;
    Ok(resp)
}
