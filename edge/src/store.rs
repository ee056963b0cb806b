//! Originals and derivatives in R2 kept consistent with their D1 rows.
//!
//! Upload: original to R2 (unless those bytes are already there), then the
//! row; if the row fails, a newly written original is removed again.
//! Delete: derivatives and original first (when no other owner holds the
//! bytes), then the row; a failure leaves the row, so a retry finishes.

use edgepix_core::assets::{AssetId, AssetRecord};
use worker::{D1Database, Env, HttpMetadata};

use crate::bindings;
use crate::db;
use crate::error::{ApiError, ApiResult};

fn r2(e: worker::Error) -> ApiError {
    ApiError::Binding { name: bindings::MEDIA, source: e }
}

/// Stores a new asset. `fault` (development only) fails on purpose after
/// the R2 write, to test the clean-up.
pub async fn put_asset(env: &Env, db: &D1Database, record: &AssetRecord, bytes: Vec<u8>, mime: &str, fault: Option<String>) -> ApiResult<()> {
    let bucket = env.bucket(bindings::MEDIA).map_err(r2)?;
    let key = record.id.original_key();
    let existed = bucket.head(key.clone()).await.map_err(r2)?.is_some();
    if !existed {
        let meta = HttpMetadata { content_type: Some(mime.to_owned()), ..HttpMetadata::default() };
        bucket.put(key.clone(), bytes).http_metadata(meta).execute().await.map_err(r2)?;
    }
    let inserted = match fault.as_deref() {
        Some("after-r2-put") => Err(ApiError::Binding { name: bindings::DB, source: worker::Error::RustError("injected fault after the R2 write".to_owned()) }),
        _ => db::insert_asset(db, record).await,
    };
    if let Err(e) = inserted {
        if !existed {
            if let Err(cleanup) = bucket.delete(key).await {
                worker::console_error!("could not remove {} after a failed insert: {cleanup}", record.id);
            }
        }
        return Err(e);
    }
    Ok(())
}

/// The bytes of `id`'s original.
pub async fn read_original(env: &Env, id: &AssetId) -> ApiResult<Vec<u8>> {
    find_original(env, id).await?.ok_or_else(|| ApiError::Corrupt(format!("the original of {id} is missing")))
}

/// The bytes of `id`'s original, or `None` when R2 has none (a delete
/// removes the objects before the row).
pub async fn find_original(env: &Env, id: &AssetId) -> ApiResult<Option<Vec<u8>>> {
    let bucket = env.bucket(bindings::MEDIA).map_err(r2)?;
    let Some(object) = bucket.get(id.original_key()).execute().await.map_err(r2)? else { return Ok(None) };
    let body = object.body().ok_or_else(|| ApiError::Corrupt(format!("the original of {id} has no body")))?;
    body.bytes().await.map(Some).map_err(r2)
}

/// Deletes `owner`'s asset and, if no one else holds it, its objects.
pub async fn delete_asset(env: &Env, db: &D1Database, owner: &str, id: &AssetId) -> ApiResult<()> {
    if db::owner_count(db, id).await? <= 1 {
        let bucket = env.bucket(bindings::MEDIA).map_err(r2)?;
        delete_derivatives(&bucket, id).await?;
        bucket.delete(id.original_key()).await.map_err(r2)?;
    }
    db::delete_asset(db, owner, id).await
}

/// Deletes every derivative of `id`.
pub async fn delete_derivatives(bucket: &worker::Bucket, id: &AssetId) -> ApiResult<()> {
    let mut cursor = None;
    loop {
        let mut list = bucket.list().prefix(id.derived_prefix()).limit(1000);
        if let Some(c) = cursor {
            list = list.cursor(c);
        }
        let page = list.execute().await.map_err(r2)?;
        let keys: Vec<String> = page.objects().iter().map(|o| o.key()).collect();
        if !keys.is_empty() {
            bucket.delete_multiple(keys).await.map_err(r2)?;
        }
        match page.cursor() {
            Some(c) if page.truncated() => cursor = Some(c),
            _ => return Ok(()),
        }
    }
}
