//! Reading small JSON bodies with a byte limit checked first.

use serde::de::DeserializeOwned;
use worker::Request;

use crate::error::{ApiError, ApiResult};

/// The largest JSON body the account routes accept, in bytes.
pub const MAX_JSON: usize = 16 * 1024;

/// Reads a body of at most `limit` bytes (the declared length is checked
/// before reading).
pub async fn read_bytes(req: &mut Request, limit: usize) -> ApiResult<Vec<u8>> {
    let declared = req.headers().get("content-length").ok().flatten().and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let body = req.bytes().await?;
    if body.len() > limit {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    Ok(body)
}

/// Reads a JSON body of at most `limit` bytes; an empty body reads as `{}`.
pub async fn read<T: DeserializeOwned>(req: &mut Request, limit: usize) -> ApiResult<T> {
    let body = read_bytes(req, limit).await?;
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) { b"{}" } else { &body };
    serde_json::from_slice(body).map_err(|e| ApiError::InvalidRequest(format!("the body is not the JSON this route takes: {e}")))
}
