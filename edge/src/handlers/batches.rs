//! Safe-blur batches: `POST /api/v1/batches` analyses up to 100 of the
//! caller's assets at once (one queued job each, the same jobs as
//! `POST /api/v1/assets/{id}/analyze`); `GET /api/v1/batches/{id}` gives
//! their aggregate progress (`edgepix_core::jobs::BatchProgress`).

use edgepix_core::account::Scope;
use edgepix_core::jobs::{BatchProgress, BatchRequest};
use serde::Serialize;
use worker::{Date, Request, Response, RouteContext};

use crate::error::{ApiError, ApiResult};
use crate::handlers::jobs::{check_quota, enqueue, job_json, job_param, new_job};
use crate::{auth, db};

/// The largest batch request accepted, in bytes (100 ids and some room).
const MAX_BODY: usize = 16 * 1024;

#[derive(Serialize)]
struct BatchView {
    id: String,
    created_at: u64,
    #[serde(flatten)]
    progress: BatchProgress,
    jobs: Vec<serde_json::Value>,
    url: String,
}

async fn respond(db: &worker::D1Database, owner: &str, id: &str, created_at: u64, status: u16) -> ApiResult<Response> {
    let jobs = db::batch_jobs(db, owner, id).await?;
    let progress = BatchProgress::of(jobs.iter().map(|j| (j.status, j.progress)));
    let view = BatchView { id: id.to_owned(), created_at, progress, jobs: jobs.iter().map(job_json).collect::<ApiResult<_>>()?, url: format!("/api/v1/batches/{id}") };
    let mut resp = Response::from_json(&view)?.with_status(status);
    if status == 202 {
        resp.headers_mut().set("location", &view.url)?;
    }
    Ok(resp)
}

/// `POST /api/v1/batches` `{"assets": [ids]}`: every asset must be the
/// caller's, and the whole batch must fit the job quota; then all its jobs
/// are stored at once and queued. Answers 202 with the batch.
pub async fn create(mut req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let who = auth::require(&req, &ctx.env, Scope::AssetsWrite).await?;
    let body: BatchRequest = crate::handlers::json::read(&mut req, MAX_BODY).await?;
    let ids = body.ids().map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let db = db::open(&ctx.env)?;
    for id in &ids {
        db::find_asset(&db, &who.owner, id).await?.ok_or_else(|| ApiError::AssetNotFound(id.to_string()))?;
    }
    let now = Date::now().as_millis() / 1000;
    check_quota(&db, &who, ids.len() as u64, now).await?;
    let jobs = ids.iter().map(|id| new_job(id, now)).collect::<ApiResult<Vec<_>>>()?;
    let batch_id = edgepix_core::signing::hex(&auth::random::<16>()?);
    db::insert_batch(&db, &who.owner, &batch_id, &jobs, now).await?;
    for job in &jobs {
        enqueue(&ctx.env, job, &who.owner).await?;
    }
    respond(&db, &who.owner, &batch_id, now, 202).await
}

/// `GET /api/v1/batches/{id}` (owner): the batch's jobs and their
/// aggregate progress.
pub async fn get(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let who = auth::require(&req, &ctx.env, Scope::AssetsRead).await?;
    let id = job_param(&ctx)?;
    let db = db::open(&ctx.env)?;
    let created_at = db::find_batch(&db, &who.owner, &id).await?.ok_or_else(|| ApiError::BatchNotFound(id.clone()))?;
    respond(&db, &who.owner, &id, created_at, 200).await
}
