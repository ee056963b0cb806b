//! Analysis jobs: `POST /api/v1/assets/{id}/analyze`, `GET /api/v1/jobs/{id}`,
//! `GET /api/v1/assets/{id}/detections`. The work itself runs in the queue
//! consumer (`crate::analysis`).

use edgepix_core::jobs::{Job, JobStatus, QueueMessage};
use edgepix_core::signing::hex;
use serde::Serialize;
use worker::{Date, Request, Response, RouteContext};

use edgepix_core::account::Scope;
use crate::error::{ApiError, ApiResult};
use crate::handlers::assets::id_param;
use crate::{auth, bindings, db};

/// A job with its URLs.
#[derive(Serialize)]
struct JobView<'a> {
    #[serde(flatten)]
    job: &'a Job,
    urls: JobUrls,
}

#[derive(Serialize)]
struct JobUrls {
    this: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    detections: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    game: Option<String>,
}

fn view(job: &Job) -> JobView<'_> {
    let detections = (job.kind == "analyze").then(|| format!("/api/v1/assets/{}/detections", job.asset));
    JobView { job, urls: JobUrls { this: format!("/api/v1/jobs/{}", job.id), detections, game: None } }
}

/// `POST /api/v1/assets/{id}/analyze` (owner): queues a detection job and
/// answers 202 with it; poll its URL (also in `Location`).
pub async fn analyze(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let who = auth::require(&req, &ctx.env, Scope::AssetsWrite).await?;
    let id = id_param(&ctx)?;
    let db = db::open(&ctx.env)?;
    db::find_asset(&db, &who.owner, &id).await?.ok_or_else(|| ApiError::AssetNotFound(id.to_string()))?;
    let now = Date::now().as_millis() / 1000;
    check_quota(&db, &who, 1, now).await?;
    let job = new_job(&id, now)?;
    db::insert_job(&db, &who.owner, &job).await?;
    enqueue(&ctx.env, &job, &who.owner).await?;
    let mut resp = Response::from_json(&view(&job))?.with_status(202);
    resp.headers_mut().set("location", &format!("/api/v1/jobs/{}", job.id))?;
    Ok(resp)
}

/// `GET /api/v1/jobs/{id}` (owner): status and progress.
pub async fn get(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let who = auth::require(&req, &ctx.env, Scope::AssetsRead).await?;
    let id = job_param(&ctx)?;
    let db = db::open(&ctx.env)?;
    let job = db::find_job(&db, &who.owner, &id).await?.ok_or(ApiError::JobNotFound(id))?;
    let mut answer = view(&job);
    if job.kind == "game" {
        answer.urls.game = crate::games::code_of_job(&db, &job.id).await?.map(|c| format!("/api/v1/games/{c}"));
    }
    Ok(Response::from_json(&answer)?)
}

/// `GET /api/v1/assets/{id}/detections` (owner): the latest analysis; 409
/// `analysis_required` before the first one finished.
pub async fn detections(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let who = auth::require(&req, &ctx.env, Scope::AssetsRead).await?;
    let id = id_param(&ctx)?;
    let db = db::open(&ctx.env)?;
    db::find_asset(&db, &who.owner, &id).await?.ok_or_else(|| ApiError::AssetNotFound(id.to_string()))?;
    let analysis = db::find_analysis(&db, &who.owner, &id).await?.ok_or_else(|| ApiError::AnalysisRequired(id.to_string()))?;
    Ok(Response::from_json(&analysis)?)
}

/// `POST /__dev/jobs/{id}/redeliver` (development only, owner): sends the
/// job's message again, so tests can show a second delivery stores nothing
/// twice.
pub async fn redeliver(req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    if !crate::router::is_dev(&ctx.env) {
        return Err(ApiError::NotFound { method: req.method().to_string(), path: req.path() });
    }
    let who = auth::require(&req, &ctx.env, Scope::AssetsWrite).await?;
    let id = job_param(&ctx)?;
    let job = db::find_job(&db::open(&ctx.env)?, &who.owner, &id).await?.ok_or(ApiError::JobNotFound(id))?;
    enqueue(&ctx.env, &job, &who.owner).await?;
    Ok(Response::from_json(&view(&job))?.with_status(202))
}

/// Refuses `more` new jobs past the account's jobs-per-24-hours quota.
pub(crate) async fn check_quota(db: &worker::D1Database, who: &auth::Identity, more: u64, now: u64) -> ApiResult<()> {
    let (usage, quota) = crate::users::allowance(db, &who.owner, who.principal.plan, now).await?;
    let started = usage.jobs_24h;
    if started + more > u64::from(quota.jobs_per_day) {
        return Err(ApiError::QuotaExceeded(format!(
            "the account allows {} jobs in 24 hours ({} plan); {started} were started and this asks for {more} more",
            quota.jobs_per_day, who.principal.plan
        )));
    }
    Ok(())
}

/// A new queued analysis job for `asset`.
pub(crate) fn new_job(asset: &edgepix_core::assets::AssetId, now: u64) -> ApiResult<Job> {
    new_job_of("analyze", asset, now)
}

/// A new queued job of `kind` (`analyze`, `game`) on `asset`.
pub(crate) fn new_job_of(kind: &str, asset: &edgepix_core::assets::AssetId, now: u64) -> ApiResult<Job> {
    Ok(Job {
        id: new_job_id()?,
        kind: kind.to_owned(),
        asset: asset.to_string(),
        status: JobStatus::Queued,
        progress: 0.0,
        error: None,
        attempts: 0,
        created_at: now,
        updated_at: now,
    })
}

/// Puts `job`'s message on the jobs queue.
pub(crate) async fn enqueue(env: &worker::Env, job: &Job, owner: &str) -> ApiResult<()> {
    let message = QueueMessage::Analyze { job: job.id.clone(), owner: owner.to_owned(), asset: job.asset.clone() };
    let binding = |source| ApiError::Binding { name: bindings::JOBS, source };
    env.queue(bindings::JOBS).map_err(binding)?.send(message.to_json()).await.map_err(binding)
}

/// A job with its URLs, for other handlers' answers.
pub(crate) fn job_json(job: &Job) -> ApiResult<serde_json::Value> {
    serde_json::to_value(view(job)).map_err(|e| ApiError::Corrupt(e.to_string()))
}

pub(crate) fn job_param(ctx: &RouteContext<()>) -> ApiResult<String> {
    let raw = ctx.param("id").map(String::as_str).unwrap_or_default();
    if raw.len() == 32 && raw.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        Ok(raw.to_owned())
    } else {
        Err(ApiError::InvalidRequest(format!("job id {raw:?} is not 32 lower-case hex digits")))
    }
}

/// 128 random bits, hex.
fn new_job_id() -> ApiResult<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::Corrupt(format!("no random bytes: {e}")))?;
    Ok(hex(&bytes))
}
