//! Development-only routes, answered only when `EDGEPIX_DEV` is `"1"`.

use serde::Serialize;
use worker::{Request, Response, RouteContext};

use crate::error::{ApiError, ApiResult};
use crate::memory;

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
