//! Pet-game jobs: the queue consumer's side. One delivery takes the photo,
//! has the pool cut the pet out, turns the cut-out into pixel-art sprites,
//! generates the levels, stores everything in R2 and marks the game ready,
//! recording each stage's time and the job's progress on the way.
//!
//! Idempotent like the analysis jobs: a finished job is acknowledged
//! without work; every stored object is derived from the request alone, so
//! a retried delivery writes the same bytes.

use edgepix_core::assets::AssetId;
use edgepix_core::codec::{self, Limits, OutputFormat};
use edgepix_core::game::record::StageTime;
use edgepix_core::game::{ShortCode, generate};
use edgepix_core::jobs;
use edgepix_core::pixelart::{self, SpriteOptions};
use edgepix_core::transform::{options, pipeline};
use worker::{D1Database, Date, Env};

use crate::analysis::{Failure, Outcome};
use crate::games::{self, File};
use crate::pool::PoolClient;
use crate::{db, store};

/// The longest side of the photo sent to the segmenter (ISNet works at
/// 1024x1024, so more pixels only cost transfer time).
const SEGMENT_SIDE: u32 = 1024;

/// The sprites: one cell of the game (32 px) tall, 12 colours.
const SPRITE: SpriteOptions = SpriteOptions { height: 32, colours: 12, dither: false };

/// Handles one delivery of a `game` message.
pub async fn run(env: &Env, job: &str, owner: &str, code: &str) -> Outcome {
    let now = || Date::now().as_millis() / 1000;
    let db = match db::open(env) {
        Ok(db) => db,
        Err(e) => {
            worker::console_error!("game {code}: {e}");
            return Outcome::RetryAfter(jobs::retry_delay_secs(1));
        }
    };
    let Some(code) = ShortCode::parse(code) else {
        worker::console_error!("game job {job}: {code:?} is not a game code");
        return Outcome::Ack;
    };
    let started = match db::start_job(&db, owner, job, now()).await {
        Ok(Some(j)) => j,
        Ok(None) => return Outcome::Ack,
        Err(e) => {
            worker::console_error!("game {code}: {e}");
            return Outcome::RetryAfter(jobs::retry_delay_secs(1));
        }
    };
    match make(env, &db, job, owner, &code).await {
        Ok(()) => Outcome::Ack,
        Err(Failure { message, transient }) => {
            let last = !transient || started.attempts >= jobs::MAX_ATTEMPTS;
            if let Err(e) = db::fail_job(&db, owner, job, &message, last, now()).await {
                worker::console_error!("game {code}: cannot record the failure: {e}");
            }
            if last {
                if let Err(e) = games::fail(&db, &code).await {
                    worker::console_error!("game {code}: cannot mark it failed: {e}");
                }
                Outcome::Ack
            } else {
                Outcome::RetryAfter(jobs::retry_delay_secs(started.attempts))
            }
        }
    }
}

/// Wall time of the stages so far.
struct Stages {
    mark: f64,
    done: Vec<StageTime>,
}

impl Stages {
    fn new() -> Stages {
        Stages { mark: Date::now().as_millis() as f64, done: Vec::new() }
    }

    fn end(&mut self, stage: &str) {
        let now = Date::now().as_millis() as f64;
        self.done.push(StageTime { stage: stage.to_owned(), ms: now - self.mark });
        self.mark = now;
    }
}

async fn make(env: &Env, db: &D1Database, job: &str, owner: &str, code: &ShortCode) -> Result<(), Failure> {
    let now = || Date::now().as_millis() / 1000;
    let stored = games::find(db, code).await.map_err(Failure::transient)?.ok_or_else(|| Failure::permanent(format!("game {code} no longer exists")))?;
    let game = &stored.record;
    let asset = AssetId::parse(&game.asset).map_err(Failure::permanent)?;
    let mut stages = Stages::new();

    // The photo, upright and at most 1024 px on its longer side.
    let original = store::read_original(env, &asset).await.map_err(Failure::transient)?;
    let limits = Limits::default();
    let opts = options::parse(&format!("width={SEGMENT_SIDE},height={SEGMENT_SIDE},fit=scale-down,quality=90")).map_err(Failure::permanent)?;
    let photo = match pipeline::run(&original, &opts, Some(OutputFormat::Jpeg), &limits).map_err(Failure::permanent)? {
        pipeline::Output::Image(encoded) => encoded.bytes,
        pipeline::Output::Json(_) => return Err(Failure::permanent("the photo did not render")),
    };
    drop(original);
    stages.end("photo");
    games::progress(db, owner, code, job, 0.2, now()).await.map_err(Failure::transient)?;

    // The pet, cut out by the pool.
    let cutout_png = PoolClient::from_env(env).cutout(photo).await.map_err(|e| Failure { transient: e.is_transient(), message: e.to_string() })?;
    stages.end("cutout");
    games::progress(db, owner, code, job, 0.6, now()).await.map_err(Failure::transient)?;

    // Pixel art, animation frames and the sheet.
    let probe = codec::probe(&cutout_png, &limits).map_err(Failure::permanent)?;
    let cutout = codec::decode(&cutout_png, &probe, None, &limits).map_err(Failure::permanent)?;
    drop(cutout_png);
    let sheet = pixelart::sprite_sheet(&cutout, &SPRITE).map_err(Failure::permanent)?;
    drop(cutout);
    stages.end("pixel_art");
    games::progress(db, owner, code, job, 0.8, now()).await.map_err(Failure::transient)?;

    // Levels, each proven solvable.
    let levels = generate::levels(stored.seed, game.theme, game.difficulty, game.level_count);
    let levels_json = serde_json::to_vec(&levels).map_err(Failure::permanent)?;
    stages.end("levels");

    let atlas = serde_json::to_vec(&sheet.atlas).map_err(Failure::permanent)?;
    games::put_file(env, code, File::Sheet, sheet.sheet_png).await.map_err(Failure::transient)?;
    games::put_file(env, code, File::Atlas, atlas).await.map_err(Failure::transient)?;
    games::put_file(env, code, File::Still, sheet.sprite_png).await.map_err(Failure::transient)?;
    games::put_file(env, code, File::Levels, levels_json).await.map_err(Failure::transient)?;
    stages.end("store");
    games::finish(db, owner, code, job, &stages.done, now()).await.map_err(Failure::transient)
}
