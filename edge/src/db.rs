//! D1 queries, each bound (never formatted).

use edgepix_core::assets::{AssetId, AssetRecord, Cursor};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, Env};

use crate::bindings;
use crate::error::{ApiError, ApiResult};

fn d1(e: worker::Error) -> ApiError {
    ApiError::Binding { name: bindings::DB, source: e }
}

#[derive(Deserialize)]
struct AssetRow {
    id: String,
    owner: String,
    width: u32,
    height: u32,
    format: String,
    bytes: f64,
    orientation: u8,
    created_at: f64,
}

impl AssetRow {
    fn into_record(self) -> ApiResult<AssetRecord> {
        let id = AssetId::parse(&self.id).map_err(|e| ApiError::Corrupt(e.to_string()))?;
        Ok(AssetRecord {
            id,
            owner: self.owner,
            width: self.width,
            height: self.height,
            format: self.format,
            bytes: self.bytes as u64,
            orientation: self.orientation,
            created_at: self.created_at as u64,
        })
    }
}

/// The D1 database binding.
pub fn open(env: &Env) -> ApiResult<D1Database> {
    env.d1(bindings::DB).map_err(d1)
}

const COLUMNS: &str = "id, owner, width, height, format, bytes, orientation, created_at";

/// The caller's row for `id`.
pub async fn find_asset(db: &D1Database, owner: &str, id: &AssetId) -> ApiResult<Option<AssetRecord>> {
    let row = db
        .prepare(format!("SELECT {COLUMNS} FROM assets WHERE owner = ?1 AND id = ?2"))
        .bind(&[owner.into(), id.as_str().into()])
        .map_err(d1)?
        .first::<AssetRow>(None)
        .await
        .map_err(d1)?;
    row.map(AssetRow::into_record).transpose()
}

/// Any row for `id` (the oldest), whoever owns it.
pub async fn find_any(db: &D1Database, id: &AssetId) -> ApiResult<Option<AssetRecord>> {
    let row = db
        .prepare(format!("SELECT {COLUMNS} FROM assets WHERE id = ?1 ORDER BY created_at LIMIT 1"))
        .bind(&[id.as_str().into()])
        .map_err(d1)?
        .first::<AssetRow>(None)
        .await
        .map_err(d1)?;
    row.map(AssetRow::into_record).transpose()
}

/// How many owners hold `id`.
pub async fn owner_count(db: &D1Database, id: &AssetId) -> ApiResult<u32> {
    #[derive(Deserialize)]
    struct N {
        n: u32,
    }
    let n = db.prepare("SELECT COUNT(*) AS n FROM assets WHERE id = ?1").bind(&[id.as_str().into()]).map_err(d1)?.first::<N>(None).await.map_err(d1)?;
    Ok(n.map_or(0, |n| n.n))
}

/// Inserts a row (the caller checked it is new).
pub async fn insert_asset(db: &D1Database, r: &AssetRecord) -> ApiResult<()> {
    let args: [JsValue; 8] = [
        r.id.as_str().into(),
        r.owner.as_str().into(),
        r.width.into(),
        r.height.into(),
        r.format.as_str().into(),
        (r.bytes as f64).into(),
        r.orientation.into(),
        (r.created_at as f64).into(),
    ];
    db.prepare(format!("INSERT INTO assets ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")).bind(&args).map_err(d1)?.run().await.map_err(d1)?;
    Ok(())
}

/// Deletes the caller's row for `id`.
pub async fn delete_asset(db: &D1Database, owner: &str, id: &AssetId) -> ApiResult<()> {
    db.prepare("DELETE FROM assets WHERE owner = ?1 AND id = ?2").bind(&[owner.into(), id.as_str().into()]).map_err(d1)?.run().await.map_err(d1)?;
    Ok(())
}

/// The caller's assets, newest first, after `cursor`.
pub async fn list_assets(db: &D1Database, owner: &str, cursor: Option<&Cursor>, limit: u32) -> ApiResult<Vec<AssetRecord>> {
    let stmt = match cursor {
        Some(c) => db
            .prepare(format!("SELECT {COLUMNS} FROM assets WHERE owner = ?1 AND (created_at < ?2 OR (created_at = ?2 AND id < ?3)) ORDER BY created_at DESC, id DESC LIMIT ?4"))
            .bind(&[owner.into(), (c.created_at as f64).into(), c.id.as_str().into(), limit.into()]),
        None => db.prepare(format!("SELECT {COLUMNS} FROM assets WHERE owner = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2")).bind(&[owner.into(), limit.into()]),
    };
    let rows = stmt.map_err(d1)?.all().await.map_err(d1)?.results::<AssetRow>().map_err(d1)?;
    rows.into_iter().map(AssetRow::into_record).collect()
}
