//! D1 queries, each bound (never formatted).

use edgepix_core::assets::{AssetId, AssetRecord, Cursor};
use edgepix_core::detect::{BoxXywh, Class, Detection};
use edgepix_core::jobs::{Analysis, Job, JobStatus};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1DatabaseSession, D1PreparedStatement, D1Result, D1SessionConstraint, Env};

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

/// What a read is prepared on: the database (its primary), or a session
/// of it that may read from a replica ([`nearest`]).
pub trait Reader {
    /// A statement for `sql`.
    fn statement(&self, sql: String) -> D1PreparedStatement;
    /// Runs `statements` in one round trip.
    fn batch(&self, statements: Vec<D1PreparedStatement>) -> impl Future<Output = worker::Result<Vec<D1Result>>>;
}

impl Reader for D1Database {
    fn statement(&self, sql: String) -> D1PreparedStatement {
        self.prepare(sql)
    }

    fn batch(&self, statements: Vec<D1PreparedStatement>) -> impl Future<Output = worker::Result<Vec<D1Result>>> {
        D1Database::batch(self, statements)
    }
}

impl Reader for D1DatabaseSession {
    fn statement(&self, sql: String) -> D1PreparedStatement {
        self.prepare(sql)
    }

    fn batch(&self, statements: Vec<D1PreparedStatement>) -> impl Future<Output = worker::Result<Vec<D1Result>>> {
        D1DatabaseSession::batch(self, statements)
    }
}

/// A session of `db` whose reads may go to the nearest read replica, when
/// the database has read replication on (otherwise to its primary). For
/// the public read paths (`/img`, games): a visitor far from the primary
/// would otherwise wait on a round trip to it on every request. A
/// replica may lag the primary briefly: a row written a moment ago may not
/// be there yet (callers ask the primary before answering "not found"),
/// and one deleted a moment ago may still be.
pub fn nearest(db: &D1Database) -> ApiResult<D1DatabaseSession> {
    db.with_session_constraint(D1SessionConstraint::FirstUnconstrained).map_err(d1)
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
pub async fn find_any(db: &impl Reader, id: &AssetId) -> ApiResult<Option<AssetRecord>> {
    let row = find_any_statement(db, id)?.first::<AssetRow>(None).await.map_err(d1)?;
    row.map(AssetRow::into_record).transpose()
}

/// [`find_any`]'s statement, to batch with others; [`first_record`] reads
/// its result.
pub fn find_any_statement(db: &impl Reader, id: &AssetId) -> ApiResult<D1PreparedStatement> {
    db.statement(format!("SELECT {COLUMNS} FROM assets WHERE id = ?1 ORDER BY created_at LIMIT 1")).bind(&[id.as_str().into()]).map_err(d1)
}

/// The first asset row of a batched statement's result.
pub fn first_record(result: &D1Result) -> ApiResult<Option<AssetRecord>> {
    result.results::<AssetRow>().map_err(d1)?.into_iter().next().map(AssetRow::into_record).transpose()
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

#[derive(Deserialize)]
struct JobRow {
    id: String,
    kind: String,
    asset_id: String,
    status: String,
    progress: f64,
    error: Option<String>,
    attempts: f64,
    created_at: f64,
    updated_at: f64,
}

impl JobRow {
    fn into_job(self) -> ApiResult<Job> {
        let status = JobStatus::parse(&self.status).ok_or_else(|| ApiError::Corrupt(format!("job {} has status {:?}", self.id, self.status)))?;
        Ok(Job {
            id: self.id,
            kind: self.kind,
            asset: self.asset_id,
            status,
            progress: self.progress,
            error: self.error,
            attempts: self.attempts as u32,
            created_at: self.created_at as u64,
            updated_at: self.updated_at as u64,
        })
    }
}

const JOB_COLUMNS: &str = "id, kind, asset_id, status, progress, error, attempts, created_at, updated_at";

/// Inserts a new queued job.
pub async fn insert_job(db: &D1Database, owner: &str, job: &Job) -> ApiResult<()> {
    job_insert(db, owner, job, None)?.run().await.map_err(d1)?;
    Ok(())
}

/// The statement that inserts `job`, in `batch` if any.
pub(crate) fn job_insert(db: &D1Database, owner: &str, job: &Job, batch: Option<&str>) -> ApiResult<worker::D1PreparedStatement> {
    let args: [JsValue; 9] = [
        job.id.as_str().into(),
        owner.into(),
        job.kind.as_str().into(),
        job.asset.as_str().into(),
        job.status.as_str().into(),
        job.progress.into(),
        (job.created_at as f64).into(),
        (job.updated_at as f64).into(),
        batch.map_or(JsValue::NULL, JsValue::from),
    ];
    db.prepare("INSERT INTO jobs (id, owner, kind, asset_id, status, progress, created_at, updated_at, batch_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)").bind(&args).map_err(d1)
}

/// Stores a batch and its queued jobs in one D1 batch (all or nothing).
pub async fn insert_batch(db: &D1Database, owner: &str, batch_id: &str, jobs: &[Job], now: u64) -> ApiResult<()> {
    let mut stmts = vec![
        db.prepare("INSERT INTO batches (id, owner, size, created_at) VALUES (?1, ?2, ?3, ?4)")
            .bind(&[batch_id.into(), owner.into(), (jobs.len() as u32).into(), (now as f64).into()])
            .map_err(d1)?,
    ];
    for job in jobs {
        stmts.push(job_insert(db, owner, job, Some(batch_id))?);
    }
    db.batch(stmts).await.map_err(d1)?;
    Ok(())
}

/// `owner`'s batch `id`: its creation time, if it exists.
pub async fn find_batch(db: &D1Database, owner: &str, id: &str) -> ApiResult<Option<u64>> {
    #[derive(Deserialize)]
    struct Row {
        created_at: f64,
    }
    let row = db.prepare("SELECT created_at FROM batches WHERE owner = ?1 AND id = ?2").bind(&[owner.into(), id.into()]).map_err(d1)?.first::<Row>(None).await.map_err(d1)?;
    Ok(row.map(|r| r.created_at as u64))
}

/// The jobs of `owner`'s batch `id`, oldest first.
pub async fn batch_jobs(db: &D1Database, owner: &str, id: &str) -> ApiResult<Vec<Job>> {
    let rows = db
        .prepare(format!("SELECT {JOB_COLUMNS} FROM jobs WHERE owner = ?1 AND batch_id = ?2 ORDER BY created_at, id"))
        .bind(&[owner.into(), id.into()])
        .map_err(d1)?
        .all()
        .await
        .map_err(d1)?;
    rows.results::<JobRow>().map_err(d1)?.into_iter().map(JobRow::into_job).collect()
}

/// Whether an analysis of `owner`'s `asset` is queued or running.
pub async fn analysis_pending(db: &D1Database, owner: &str, asset: &AssetId) -> ApiResult<bool> {
    #[derive(Deserialize)]
    struct N {
        n: u32,
    }
    let n = db
        .prepare("SELECT COUNT(*) AS n FROM jobs WHERE owner = ?1 AND asset_id = ?2 AND kind = 'analyze' AND status IN ('queued', 'running')")
        .bind(&[owner.into(), asset.as_str().into()])
        .map_err(d1)?
        .first::<N>(None)
        .await
        .map_err(d1)?;
    Ok(n.is_some_and(|n| n.n > 0))
}

/// `owner`'s job `id`.
pub async fn find_job(db: &D1Database, owner: &str, id: &str) -> ApiResult<Option<Job>> {
    let row = db
        .prepare(format!("SELECT {JOB_COLUMNS} FROM jobs WHERE owner = ?1 AND id = ?2"))
        .bind(&[owner.into(), id.into()])
        .map_err(d1)?
        .first::<JobRow>(None)
        .await
        .map_err(d1)?;
    row.map(JobRow::into_job).transpose()
}

/// Marks a job as taken by a consumer: one more attempt, `running`. Gives
/// the job after the change, or `None` when it is missing or already final
/// (a second delivery of a finished job changes nothing).
pub async fn start_job(db: &D1Database, owner: &str, id: &str, now: u64) -> ApiResult<Option<Job>> {
    db.prepare("UPDATE jobs SET status = 'running', progress = 0.1, attempts = attempts + 1, updated_at = ?3 WHERE owner = ?1 AND id = ?2 AND status IN ('queued', 'running')")
        .bind(&[owner.into(), id.into(), (now as f64).into()])
        .map_err(d1)?
        .run()
        .await
        .map_err(d1)?;
    Ok(find_job(db, owner, id).await?.filter(|j| !j.status.is_final()))
}

/// Records why an attempt failed; `final_failure` marks the job failed.
pub async fn fail_job(db: &D1Database, owner: &str, id: &str, error: &str, final_failure: bool, now: u64) -> ApiResult<()> {
    let status = if final_failure { "failed" } else { "queued" };
    db.prepare("UPDATE jobs SET status = ?3, error = ?4, updated_at = ?5 WHERE owner = ?1 AND id = ?2 AND status IN ('queued', 'running')")
        .bind(&[owner.into(), id.into(), status.into(), error.into(), (now as f64).into()])
        .map_err(d1)?
        .run()
        .await
        .map_err(d1)?;
    Ok(())
}

/// Stores an analysis and finishes its job, in one D1 batch (a
/// transaction): the old detections go, the new ones and the analysis row
/// come, the job becomes `done`. Nothing is written twice: the job update
/// is guarded by its status, and a replayed batch writes the same rows.
pub async fn store_analysis(db: &D1Database, owner: &str, analysis: &Analysis, now: u64) -> ApiResult<()> {
    let (asset, job) = (analysis.asset.as_str(), analysis.version.as_str());
    let mut batch = vec![
        db.prepare("DELETE FROM detections WHERE owner = ?1 AND asset_id = ?2").bind(&[owner.into(), asset.into()]).map_err(d1)?,
        db.prepare("INSERT OR REPLACE INTO analyses (owner, asset_id, job_id, model, width, height, analyzed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
            .bind(&[owner.into(), asset.into(), job.into(), analysis.model.as_str().into(), analysis.width.into(), analysis.height.into(), (now as f64).into()])
            .map_err(d1)?,
    ];
    for (i, d) in analysis.detections.iter().enumerate() {
        let args: [JsValue; 11] = [
            owner.into(),
            asset.into(),
            (i as u32).into(),
            d.class.as_str().into(),
            f64::from(d.score).into(),
            d.bbox.x.into(),
            d.bbox.y.into(),
            d.bbox.w.into(),
            d.bbox.h.into(),
            analysis.model.as_str().into(),
            job.into(),
        ];
        batch.push(
            db.prepare("INSERT INTO detections (owner, asset_id, idx, class, score, x, y, w, h, model, job_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)").bind(&args).map_err(d1)?,
        );
    }
    batch.push(
        db.prepare("UPDATE jobs SET status = 'done', progress = 1, error = NULL, updated_at = ?3 WHERE owner = ?1 AND id = ?2")
            .bind(&[owner.into(), job.into(), (now as f64).into()])
            .map_err(d1)?,
    );
    db.batch(batch).await.map_err(d1)?;
    Ok(())
}

#[derive(Deserialize)]
struct AnalysisRow {
    job_id: String,
    model: String,
    width: u32,
    height: u32,
    analyzed_at: f64,
    off: String,
}

#[derive(Deserialize)]
struct DetectionRow {
    class: String,
    score: f64,
    x: i32,
    y: i32,
    w: i32,
    h: i32,
}

/// `owner`'s latest analysis of `asset`, when there is one.
pub async fn find_analysis(db: &D1Database, owner: &str, asset: &AssetId) -> ApiResult<Option<Analysis>> {
    let key = [owner.into(), asset.as_str().into()];
    let Some(a) = db
        .prepare("SELECT job_id, model, width, height, analyzed_at, off FROM analyses WHERE owner = ?1 AND asset_id = ?2")
        .bind(&key)
        .map_err(d1)?
        .first::<AnalysisRow>(None)
        .await
        .map_err(d1)?
    else {
        return Ok(None);
    };
    let rows = db
        .prepare("SELECT class, score, x, y, w, h FROM detections WHERE owner = ?1 AND asset_id = ?2 ORDER BY idx")
        .bind(&key)
        .map_err(d1)?
        .all()
        .await
        .map_err(d1)?
        .results::<DetectionRow>()
        .map_err(d1)?;
    let detections = rows
        .into_iter()
        .map(|r| {
            let class = Class::from_name(&r.class).ok_or_else(|| ApiError::Corrupt(format!("stored class {:?}", r.class)))?;
            Ok(Detection { class, score: r.score as f32, bbox: BoxXywh { x: r.x, y: r.y, w: r.w, h: r.h } })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let off = serde_json::from_str(&a.off).map_err(|e| ApiError::Corrupt(format!("analysis {} off {:?}: {e}", a.job_id, a.off)))?;
    Ok(Some(Analysis { asset: asset.to_string(), version: a.job_id, model: a.model, width: a.width, height: a.height, analyzed_at: a.analyzed_at as u64, detections, off }))
}

/// Stores which detections of analysis `version` are switched off; `false`
/// when that analysis is no longer the asset's (a re-analysis won a race).
pub async fn set_regions_off(db: &D1Database, owner: &str, asset: &AssetId, version: &str, off: &[u32]) -> ApiResult<bool> {
    let json = serde_json::to_string(off).map_err(|e| ApiError::Corrupt(e.to_string()))?;
    let result = db
        .prepare("UPDATE analyses SET off = ?4 WHERE owner = ?1 AND asset_id = ?2 AND job_id = ?3")
        .bind(&[owner.into(), asset.as_str().into(), version.into(), json.into()])
        .map_err(d1)?
        .run()
        .await
        .map_err(d1)?;
    Ok(result.meta().map_err(d1)?.and_then(|m| m.changes).unwrap_or(0) > 0)
}

#[derive(Deserialize)]
struct PolicyRow {
    name: String,
    body: String,
    updated_at: f64,
}

/// A stored policy: its name, canonical JSON and last change.
pub struct StoredPolicy {
    /// The name.
    pub name: String,
    /// Canonical JSON.
    pub body: String,
    /// Unix seconds.
    pub updated_at: u64,
}

impl From<PolicyRow> for StoredPolicy {
    fn from(r: PolicyRow) -> StoredPolicy {
        StoredPolicy { name: r.name, body: r.body, updated_at: r.updated_at as u64 }
    }
}

/// Creates or replaces `owner`'s policy `name`.
pub async fn put_policy(db: &D1Database, owner: &str, name: &str, body: &str, now: u64) -> ApiResult<()> {
    db.prepare("INSERT OR REPLACE INTO policies (owner, name, body, updated_at) VALUES (?1, ?2, ?3, ?4)")
        .bind(&[owner.into(), name.into(), body.into(), (now as f64).into()])
        .map_err(d1)?
        .run()
        .await
        .map_err(d1)?;
    Ok(())
}

/// `owner`'s policy `name`.
pub async fn find_policy(db: &D1Database, owner: &str, name: &str) -> ApiResult<Option<StoredPolicy>> {
    let row = db
        .prepare("SELECT name, body, updated_at FROM policies WHERE owner = ?1 AND name = ?2")
        .bind(&[owner.into(), name.into()])
        .map_err(d1)?
        .first::<PolicyRow>(None)
        .await
        .map_err(d1)?;
    Ok(row.map(StoredPolicy::from))
}

/// `owner`'s policies by name.
pub async fn list_policies(db: &D1Database, owner: &str) -> ApiResult<Vec<StoredPolicy>> {
    let rows = db
        .prepare("SELECT name, body, updated_at FROM policies WHERE owner = ?1 ORDER BY name LIMIT 1000")
        .bind(&[owner.into()])
        .map_err(d1)?
        .all()
        .await
        .map_err(d1)?
        .results::<PolicyRow>()
        .map_err(d1)?;
    Ok(rows.into_iter().map(StoredPolicy::from).collect())
}

/// Deletes `owner`'s policy `name` (idempotent).
pub async fn delete_policy(db: &D1Database, owner: &str, name: &str) -> ApiResult<()> {
    db.prepare("DELETE FROM policies WHERE owner = ?1 AND name = ?2").bind(&[owner.into(), name.into()]).map_err(d1)?.run().await.map_err(d1)?;
    Ok(())
}
