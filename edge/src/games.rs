//! Pet games in D1 (records, plays) and R2 (sprite sheet, atlas, still
//! sprite, levels), each query bound (never formatted).

use edgepix_core::game::record::StageTime;
use edgepix_core::game::{Difficulty, GameRecord, GameStatus, ShortCode, Theme};
use edgepix_core::jobs::Job;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{D1Database, Env, HttpMetadata};

use crate::bindings;
use crate::db;
use crate::error::{ApiError, ApiResult};

fn d1(e: worker::Error) -> ApiError {
    ApiError::Binding { name: bindings::DB, source: e }
}

fn r2(e: worker::Error) -> ApiError {
    ApiError::Binding { name: bindings::MEDIA, source: e }
}

/// The files a ready game keeps in R2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum File {
    /// The sprite sheet (PNG).
    Sheet,
    /// The sheet's atlas (TexturePacker JSON Hash).
    Atlas,
    /// The still sprite (PNG): start screen, gallery, oEmbed thumbnail.
    Still,
    /// The levels with their solutions (JSON).
    Levels,
}

impl File {
    /// The object's key for game `code`.
    pub fn key(self, code: &ShortCode) -> String {
        let name = match self {
            File::Sheet => "sheet.png",
            File::Atlas => "atlas.json",
            File::Still => "sprite.png",
            File::Levels => "levels.json",
        };
        format!("games/{code}/{name}")
    }

    /// The object's media type.
    pub fn mime(self) -> &'static str {
        match self {
            File::Sheet | File::Still => "image/png",
            File::Atlas | File::Levels => "application/json",
        }
    }
}

/// A game row with its owner and seed, which the API does not show.
#[derive(Clone, Debug)]
pub struct Stored {
    /// What the API shows.
    pub record: GameRecord,
    /// The creator.
    pub owner: String,
    /// The level generator's seed.
    pub seed: u64,
}

#[derive(Deserialize)]
struct Row {
    code: String,
    owner: String,
    name: String,
    theme: String,
    difficulty: String,
    level_count: f64,
    seed: String,
    asset_id: String,
    job_id: String,
    status: String,
    stages: String,
    plays: f64,
    created_at: f64,
    ready_at: Option<f64>,
}

const COLUMNS: &str = "code, owner, name, theme, difficulty, level_count, seed, asset_id, job_id, status, stages, plays, created_at, ready_at";

impl Row {
    fn into_stored(self) -> ApiResult<Stored> {
        let bad = |what: &str| ApiError::Corrupt(format!("game {} has a bad {what}", self.code));
        let record = GameRecord {
            code: ShortCode::parse(&self.code).ok_or_else(|| bad("code"))?,
            name: self.name.clone(),
            theme: Theme::parse(&self.theme).ok_or_else(|| bad("theme"))?,
            difficulty: Difficulty::parse(&self.difficulty).ok_or_else(|| bad("difficulty"))?,
            level_count: self.level_count as u8,
            status: GameStatus::parse(&self.status).ok_or_else(|| bad("status"))?,
            plays: self.plays as u64,
            created_at: self.created_at as u64,
            ready_at: self.ready_at.map(|t| t as u64),
            job: self.job_id.clone(),
            asset: self.asset_id.clone(),
            stages: serde_json::from_str::<Vec<StageTime>>(&self.stages).map_err(|_| bad("stages"))?,
        };
        Ok(Stored { seed: self.seed.parse().map_err(|_| bad("seed"))?, owner: self.owner, record })
    }
}

/// Stores a new game and the job that makes it, in one D1 batch. `false`
/// when the code is taken (the caller draws another).
pub async fn insert(db: &D1Database, owner: &str, game: &GameRecord, seed: u64, job: &Job) -> ApiResult<bool> {
    if find(db, &game.code).await?.is_some() {
        return Ok(false);
    }
    let args: [JsValue; 12] = [
        game.code.as_str().into(),
        owner.into(),
        game.name.as_str().into(),
        game.theme.as_str().into(),
        game.difficulty.as_str().into(),
        game.level_count.into(),
        seed.to_string().into(),
        game.asset.as_str().into(),
        game.job.as_str().into(),
        game.status.as_str().into(),
        (game.created_at as f64).into(),
        "[]".into(),
    ];
    let insert_game = db
        .prepare("INSERT INTO games (code, owner, name, theme, difficulty, level_count, seed, asset_id, job_id, status, created_at, stages) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)")
        .bind(&args)
        .map_err(d1)?;
    db.batch(vec![insert_game, db::job_insert(db, owner, job, None)?]).await.map_err(d1)?;
    Ok(true)
}

/// Game `code`, whoever made it.
pub async fn find(db: &impl db::Reader, code: &ShortCode) -> ApiResult<Option<Stored>> {
    let row = db.statement(format!("SELECT {COLUMNS} FROM games WHERE code = ?1")).bind(&[code.as_str().into()]).map_err(d1)?.first::<Row>(None).await.map_err(d1)?;
    row.map(Row::into_stored).transpose()
}

/// `owner`'s games, newest first, created before `before` (Unix seconds).
pub async fn list(db: &D1Database, owner: &str, before: Option<u64>, limit: u32) -> ApiResult<Vec<GameRecord>> {
    let before = before.map_or(f64::MAX, |b| b as f64);
    let rows = db
        .prepare(format!("SELECT {COLUMNS} FROM games WHERE owner = ?1 AND created_at < ?2 ORDER BY created_at DESC, code DESC LIMIT ?3"))
        .bind(&[owner.into(), before.into(), limit.into()])
        .map_err(d1)?
        .all()
        .await
        .map_err(d1)?
        .results::<Row>()
        .map_err(d1)?;
    rows.into_iter().map(|r| r.into_stored().map(|s| s.record)).collect()
}

/// The newest playable games, anyone's.
pub async fn recent(db: &D1Database, limit: u32) -> ApiResult<Vec<GameRecord>> {
    let rows = db
        .prepare(format!("SELECT {COLUMNS} FROM games WHERE status = 'ready' ORDER BY created_at DESC, code DESC LIMIT ?1"))
        .bind(&[limit.into()])
        .map_err(d1)?
        .all()
        .await
        .map_err(d1)?
        .results::<Row>()
        .map_err(d1)?;
    rows.into_iter().map(|r| r.into_stored().map(|s| s.record)).collect()
}

/// Marks the game `running` and its job's progress.
pub async fn progress(db: &D1Database, owner: &str, code: &ShortCode, job: &str, progress: f64, now: u64) -> ApiResult<()> {
    let game = db.prepare("UPDATE games SET status = 'running' WHERE code = ?1 AND status IN ('queued', 'running')").bind(&[code.as_str().into()]).map_err(d1)?;
    let job = db
        .prepare("UPDATE jobs SET progress = ?3, updated_at = ?4 WHERE owner = ?1 AND id = ?2 AND status = 'running'")
        .bind(&[owner.into(), job.into(), progress.into(), (now as f64).into()])
        .map_err(d1)?;
    db.batch(vec![game, job]).await.map_err(d1)?;
    Ok(())
}

/// Marks the game ready and its job done, in one D1 batch.
pub async fn finish(db: &D1Database, owner: &str, code: &ShortCode, job: &str, stages: &[StageTime], now: u64) -> ApiResult<()> {
    let stages = serde_json::to_string(stages).map_err(|e| ApiError::Corrupt(e.to_string()))?;
    let game = db
        .prepare("UPDATE games SET status = 'ready', stages = ?2, ready_at = ?3 WHERE code = ?1")
        .bind(&[code.as_str().into(), stages.into(), (now as f64).into()])
        .map_err(d1)?;
    let job = db
        .prepare("UPDATE jobs SET status = 'done', progress = 1, error = NULL, updated_at = ?3 WHERE owner = ?1 AND id = ?2")
        .bind(&[owner.into(), job.into(), (now as f64).into()])
        .map_err(d1)?;
    db.batch(vec![game, job]).await.map_err(d1)?;
    Ok(())
}

/// Marks the game failed (its job records why).
pub async fn fail(db: &D1Database, code: &ShortCode) -> ApiResult<()> {
    db.prepare("UPDATE games SET status = 'failed' WHERE code = ?1 AND status != 'ready'").bind(&[code.as_str().into()]).map_err(d1)?.run().await.map_err(d1)?;
    Ok(())
}

/// Counts one play of a ready game; `false` when there is no such game.
pub async fn add_play(db: &D1Database, code: &ShortCode) -> ApiResult<bool> {
    let result = db.prepare("UPDATE games SET plays = plays + 1 WHERE code = ?1 AND status = 'ready'").bind(&[code.as_str().into()]).map_err(d1)?.run().await.map_err(d1)?;
    Ok(result.meta().ok().flatten().and_then(|m| m.changes).is_some_and(|n| n > 0))
}

/// Writes one of game `code`'s files.
pub async fn put_file(env: &Env, code: &ShortCode, file: File, bytes: Vec<u8>) -> ApiResult<()> {
    let bucket = env.bucket(bindings::MEDIA).map_err(r2)?;
    let meta = HttpMetadata { content_type: Some(file.mime().to_owned()), ..HttpMetadata::default() };
    bucket.put(file.key(code), bytes).http_metadata(meta).execute().await.map_err(r2)?;
    Ok(())
}

/// Reads one of game `code`'s files, if it is there.
pub async fn get_file(env: &Env, code: &ShortCode, file: File) -> ApiResult<Option<Vec<u8>>> {
    let bucket = env.bucket(bindings::MEDIA).map_err(r2)?;
    let Some(object) = bucket.get(file.key(code)).execute().await.map_err(r2)? else { return Ok(None) };
    let body = object.body().ok_or_else(|| ApiError::Corrupt(format!("{} has no body", file.key(code))))?;
    Ok(Some(body.bytes().await.map_err(r2)?))
}

/// The code of the game job `job` makes.
pub async fn code_of_job(db: &D1Database, job: &str) -> ApiResult<Option<ShortCode>> {
    #[derive(Deserialize)]
    struct CodeRow {
        code: String,
    }
    let row = db.prepare("SELECT code FROM games WHERE job_id = ?1").bind(&[job.into()]).map_err(d1)?.first::<CodeRow>(None).await.map_err(d1)?;
    Ok(row.and_then(|r| ShortCode::parse(&r.code)))
}

/// Deletes game `code`: its files first, then its row (a failure leaves the
/// row, so a retry finishes).
pub async fn delete(env: &Env, db: &D1Database, code: &ShortCode) -> ApiResult<()> {
    let bucket = env.bucket(bindings::MEDIA).map_err(r2)?;
    for file in [File::Sheet, File::Atlas, File::Still, File::Levels] {
        bucket.delete(file.key(code)).await.map_err(r2)?;
    }
    db.prepare("DELETE FROM games WHERE code = ?1").bind(&[code.as_str().into()]).map_err(d1)?.run().await.map_err(d1)?;
    Ok(())
}
