//! `POST /api/v1/forensics/identify?asset={id}`: which view ticket a leaked
//! copy of a protected asset came from. The owner (or an admin) posts the
//! leaked image; the Worker rebuilds what the viewers' canvases held
//! before their watermarks, registers the leak onto it (scale, crop),
//! reads the watermark and matches it against every ticket of the asset.
//! The algorithm lives in `edgepix_core::protect::watermark`.

use edgepix_core::assets::AssetId;
use edgepix_core::codec::{self, Limits};
use edgepix_core::protect::view;
use edgepix_core::protect::watermark;
use serde::Serialize;
use worker::{Request, Response, RouteContext};

use crate::error::{ApiError, ApiResult};
use crate::handlers::protection::config_of;
use crate::protections::{self, TicketRow};
use crate::{auth, db, store};

/// The most tickets compared per identification.
const MAX_CANDIDATES: u32 = 100_000;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Identified {
    asset: String,
    candidates: usize,
    registration: Option<Registration>,
    bits: Option<String>,
    #[serde(rename = "match")]
    matched: Option<Matched>,
    reason: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Registration {
    scale: f64,
    scale_y: f64,
    offset_x: f64,
    offset_y: f64,
    score: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Matched {
    ticket: String,
    viewer: String,
    user_id: Option<String>,
    issued_at: u64,
    expires_at: u64,
    score: u8,
    ip_hash: String,
    user_agent: String,
    z: f64,
    bit_errors: u32,
}

/// Identifies the ticket behind the posted image.
pub async fn identify(mut req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let who = auth::require(&req, &ctx.env, edgepix_core::account::Scope::AssetsRead).await?;
    let url = req.url()?;
    let mut asset = None;
    for (k, v) in url.query_pairs() {
        match &*k {
            "asset" => asset = Some(AssetId::parse(&v).map_err(|e| ApiError::InvalidRequest(e.to_string()))?),
            other => return Err(ApiError::InvalidRequest(format!("unknown query parameter {other:?} (asset)"))),
        }
    }
    let id = asset.ok_or_else(|| ApiError::InvalidRequest("?asset={id} is required: the protected asset the leak shows".to_owned()))?;
    let db = db::open(&ctx.env)?;
    let p = if who.principal.admin().is_ok() { protections::find_any(&db, &id).await? } else { protections::find(&db, &who.owner, &id).await? };
    let p = p.ok_or_else(|| ApiError::NotProtected(id.to_string()))?;
    let config = config_of(&p)?;
    let limits = Limits::default();
    let leak = crate::handlers::json::read_bytes(&mut req, limits.max_bytes).await?;
    let probe = codec::probe(&leak, &limits)?;
    let leak = codec::decode(&leak, &probe, None, &limits)?;
    let source = store::read_original(&ctx.env, &id).await?;
    let reference = view::reference(view::render(&source, &view::options()?, &limits)?, &config);
    drop(source);
    let tickets: Vec<TicketRow> = protections::tickets_of(&db, &id, MAX_CANDIDATES).await?.into_iter().filter(|t| t.owner == p.owner).collect();
    let mut out = Identified { asset: id.to_string(), candidates: tickets.len(), registration: None, bits: None, matched: None, reason: None };
    match watermark::extract(&leak, &reference) {
        Err(e) => out.reason = Some(e.to_string()),
        Ok(x) => {
            out.registration = Some(Registration { scale: x.registration.scale, scale_y: x.registration.scale_y, offset_x: x.registration.offset_x, offset_y: x.registration.offset_y, score: x.registration.score });
            out.bits = Some(format!("{:016x}", x.bits));
            let payloads: Vec<u64> = tickets.iter().map(|t| u64::from_str_radix(&t.payload, 16).unwrap_or(0)).collect();
            match watermark::identify(&x, &payloads) {
                None => out.reason = Some("no ticket of this asset matches the watermark with confidence".to_owned()),
                Some(m) => {
                    let t = tickets.get(m.index).ok_or_else(|| ApiError::Corrupt(format!("identify chose candidate {} of {}", m.index, tickets.len())))?;
                    out.matched = Some(Matched {
                        ticket: t.id.clone(),
                        viewer: t.viewer.clone(),
                        user_id: t.user_id.clone(),
                        issued_at: t.created_at as u64,
                        expires_at: t.expires_at as u64,
                        score: t.score,
                        ip_hash: t.ip_hash.clone(),
                        user_agent: t.user_agent.clone(),
                        z: m.z,
                        bit_errors: m.bit_errors,
                    });
                }
            }
        }
    }
    Ok(Response::from_json(&out)?)
}
