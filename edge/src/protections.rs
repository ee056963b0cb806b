//! D1 queries of protected viewing: protections and view tickets, each
//! bound (never formatted).

use edgepix_core::assets::{AssetId, AssetRecord};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::D1Database;

use crate::bindings;
use crate::error::{ApiError, ApiResult};

fn d1(e: worker::Error) -> ApiError {
    ApiError::Binding { name: bindings::DB, source: e }
}

/// A stored protection.
#[derive(Clone, Debug, Deserialize)]
pub struct Protection {
    /// The owner who protects the asset.
    pub owner: String,
    /// The asset id.
    pub asset: String,
    /// The config, canonical JSON.
    pub config: String,
    /// The view width.
    pub view_width: u32,
    /// The view height.
    pub view_height: u32,
    /// The tile side.
    pub tile: u32,
    /// The Merkle root, hex.
    pub root: String,
    /// The root's signature, base64url.
    pub signature: String,
    /// The signing key's id.
    pub kid: String,
    /// When the config was last set, Unix seconds.
    pub updated_at: f64,
}

const COLUMNS: &str = "owner, asset, config, view_width, view_height, tile, root, signature, kid, updated_at";

/// Creates or replaces `p`.
pub async fn put(db: &D1Database, p: &Protection) -> ApiResult<()> {
    let args: [JsValue; 10] = [
        p.owner.as_str().into(),
        p.asset.as_str().into(),
        p.config.as_str().into(),
        p.view_width.into(),
        p.view_height.into(),
        p.tile.into(),
        p.root.as_str().into(),
        p.signature.as_str().into(),
        p.kid.as_str().into(),
        p.updated_at.into(),
    ];
    db.prepare(format!("INSERT OR REPLACE INTO protections ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")).bind(&args).map_err(d1)?.run().await.map_err(d1)?;
    Ok(())
}

/// `owner`'s protection of `asset`.
pub async fn find(db: &D1Database, owner: &str, asset: &AssetId) -> ApiResult<Option<Protection>> {
    db.prepare(format!("SELECT {COLUMNS} FROM protections WHERE owner = ?1 AND asset = ?2"))
        .bind(&[owner.into(), asset.as_str().into()])
        .map_err(d1)?
        .first::<Protection>(None)
        .await
        .map_err(d1)
}

/// The protection that governs `asset` for everyone: the oldest, if any
/// owner of these bytes protects them.
pub async fn find_any(db: &impl crate::db::Reader, asset: &AssetId) -> ApiResult<Option<Protection>> {
    find_any_statement(db, asset)?.first::<Protection>(None).await.map_err(d1)
}

fn find_any_statement(db: &impl crate::db::Reader, asset: &AssetId) -> ApiResult<worker::D1PreparedStatement> {
    db.statement(format!("SELECT {COLUMNS} FROM protections WHERE asset = ?1 ORDER BY updated_at LIMIT 1")).bind(&[asset.as_str().into()]).map_err(d1)
}

/// `asset`'s record (its oldest row, [`crate::db::find_any`]) and the
/// protection that governs it ([`find_any`]), both read in one round trip.
pub async fn asset_and_protection(db: &impl crate::db::Reader, asset: &AssetId) -> ApiResult<(Option<AssetRecord>, Option<Protection>)> {
    let results = db.batch(vec![crate::db::find_any_statement(db, asset)?, find_any_statement(db, asset)?]).await.map_err(d1)?;
    match &results[..] {
        [record, protection] => Ok((crate::db::first_record(record)?, protection.results::<Protection>().map_err(d1)?.into_iter().next())),
        _ => Err(ApiError::Corrupt(format!("a batch of 2 reads answered {} results", results.len()))),
    }
}

/// Removes `owner`'s protection of `asset` (idempotent).
pub async fn delete(db: &D1Database, owner: &str, asset: &AssetId) -> ApiResult<()> {
    db.prepare("DELETE FROM protections WHERE owner = ?1 AND asset = ?2").bind(&[owner.into(), asset.as_str().into()]).map_err(d1)?.run().await.map_err(d1)?;
    Ok(())
}

/// A recorded view ticket.
#[derive(Clone, Debug, Deserialize)]
pub struct TicketRow {
    /// The ticket id.
    pub id: String,
    /// The asset.
    pub asset: String,
    /// The protection's owner.
    pub owner: String,
    /// The viewer session.
    pub viewer: String,
    /// The viewer's account, if signed in.
    pub user_id: Option<String>,
    /// The bot score.
    pub score: u8,
    /// What the score counted (JSON list).
    pub reasons: String,
    /// The device hash the page sent.
    pub fingerprint: String,
    /// SHA-256 of the client IP, hex.
    pub ip_hash: String,
    /// The User-Agent.
    pub user_agent: String,
    /// The watermark payload, 16 hex digits.
    pub payload: String,
    /// Issued at, Unix seconds.
    pub created_at: f64,
    /// Expires at, Unix seconds.
    pub expires_at: f64,
}

const TICKET_COLUMNS: &str = "id, asset, owner, viewer, user_id, score, reasons, fingerprint, ip_hash, user_agent, payload, created_at, expires_at";

/// Records an issued ticket.
pub async fn insert_ticket(db: &D1Database, t: &TicketRow) -> ApiResult<()> {
    let args: [JsValue; 13] = [
        t.id.as_str().into(),
        t.asset.as_str().into(),
        t.owner.as_str().into(),
        t.viewer.as_str().into(),
        t.user_id.as_deref().map_or(JsValue::NULL, JsValue::from),
        t.score.into(),
        t.reasons.as_str().into(),
        t.fingerprint.as_str().into(),
        t.ip_hash.as_str().into(),
        t.user_agent.as_str().into(),
        t.payload.as_str().into(),
        t.created_at.into(),
        t.expires_at.into(),
    ];
    db.prepare(format!("INSERT INTO view_tickets ({TICKET_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)")).bind(&args).map_err(d1)?.run().await.map_err(d1)?;
    Ok(())
}

/// The ticket `id`.
pub async fn find_ticket(db: &D1Database, id: &str) -> ApiResult<Option<TicketRow>> {
    db.prepare(format!("SELECT {TICKET_COLUMNS} FROM view_tickets WHERE id = ?1")).bind(&[id.into()]).map_err(d1)?.first::<TicketRow>(None).await.map_err(d1)
}

/// Every ticket issued for `asset` (identification's candidates), oldest
/// first, at most `limit`.
pub async fn tickets_of(db: &D1Database, asset: &AssetId, limit: u32) -> ApiResult<Vec<TicketRow>> {
    let rows = db
        .prepare(format!("SELECT {TICKET_COLUMNS} FROM view_tickets WHERE asset = ?1 ORDER BY created_at LIMIT ?2"))
        .bind(&[asset.as_str().into(), limit.into()])
        .map_err(d1)?
        .all()
        .await
        .map_err(d1)?;
    rows.results::<TicketRow>().map_err(d1)
}
