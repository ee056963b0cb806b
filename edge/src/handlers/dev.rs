//! Development-only routes, answered only when `EDGEPIX_DEV` is `"1"`.

use serde::Serialize;
use worker::{Request, Response, RouteContext};

use crate::error::{ApiError, ApiResult};
use crate::{bindings, memory};

#[derive(Serialize)]
struct MemoryReport {
    wasm_memory_peak_bytes: u64,
    budget_bytes: u64,
}

/// `GET /__dev/memory`: the Worker's wasm linear memory peak and its budget.
pub fn memory(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    if !crate::router::is_dev(&ctx.env) {
        return Err(ApiError::NotFound { method: req.method().to_string(), path: req.path() });
    }
    Ok(Response::from_json(&MemoryReport { wasm_memory_peak_bytes: memory::peak_bytes(), budget_bytes: memory::BUDGET_BYTES })?)
}

#[derive(Serialize)]
struct ObjectList {
    keys: Vec<String>,
}

/// `GET /__dev/objects?prefix=P`: up to 1000 R2 keys under a prefix, so
/// tests can see that nothing was left behind.
pub async fn objects(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    if !crate::router::is_dev(&ctx.env) {
        return Err(ApiError::NotFound { method: req.method().to_string(), path: req.path() });
    }
    let prefix = req.url()?.query_pairs().find(|(k, _)| k == "prefix").map(|(_, v)| v.into_owned()).unwrap_or_default();
    let bucket = ctx.env.bucket(bindings::MEDIA).map_err(|e| ApiError::Binding { name: bindings::MEDIA, source: e })?;
    let page = bucket.list().prefix(prefix).limit(1000).execute().await.map_err(|e| ApiError::Binding { name: bindings::MEDIA, source: e })?;
    Ok(Response::from_json(&ObjectList { keys: page.objects().iter().map(|o| o.key()).collect() })?)
}
