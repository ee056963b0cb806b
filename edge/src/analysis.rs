//! Safe-blur analysis jobs: the queue consumer's side. One delivery runs the
//! pool's detector on the asset's original and stores the detections.
//!
//! Idempotent: a job that is already `done` or `failed` is acknowledged
//! without work, so a message delivered twice never stores twice; the
//! storing itself is one D1 batch (all or nothing).

use edgepix_core::assets::AssetId;
use edgepix_core::jobs::{self, Analysis};
use worker::{Date, Env};

use crate::pool::PoolClient;
use crate::{db, store};

/// What the consumer does with the message after a delivery.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Done, or nothing to do: acknowledge.
    Ack,
    /// A transient failure: deliver again after this many seconds.
    RetryAfter(u32),
}

/// Handles one delivery of an `analyze` message.
pub async fn run(env: &Env, job: &str, owner: &str, asset: &str) -> Outcome {
    let now = || Date::now().as_millis() / 1000;
    let db = match db::open(env) {
        Ok(db) => db,
        Err(e) => {
            worker::console_error!("analyze {job}: {e}");
            return Outcome::RetryAfter(jobs::retry_delay_secs(1));
        }
    };
    let started = match db::start_job(&db, owner, job, now()).await {
        Ok(Some(j)) => j,
        Ok(None) => return Outcome::Ack,
        Err(e) => {
            worker::console_error!("analyze {job}: {e}");
            return Outcome::RetryAfter(jobs::retry_delay_secs(1));
        }
    };
    let result = analyze(env, &db, job, owner, asset, now()).await;
    match result {
        Ok(()) => Outcome::Ack,
        Err(Failure { message, transient }) => {
            let last = !transient || started.attempts >= jobs::MAX_ATTEMPTS;
            if let Err(e) = db::fail_job(&db, owner, job, &message, last, now()).await {
                worker::console_error!("analyze {job}: cannot record the failure: {e}");
            }
            if last { Outcome::Ack } else { Outcome::RetryAfter(jobs::retry_delay_secs(started.attempts)) }
        }
    }
}

/// Why a delivery failed, and whether a retry may succeed.
pub(crate) struct Failure {
    /// What is recorded on the job.
    pub(crate) message: String,
    /// Whether to deliver again.
    pub(crate) transient: bool,
}

impl Failure {
    /// A failure a retry would repeat.
    pub(crate) fn permanent(message: impl std::fmt::Display) -> Failure {
        Failure { message: message.to_string(), transient: false }
    }

    /// A failure a retry may not repeat.
    pub(crate) fn transient(e: impl std::fmt::Display) -> Failure {
        Failure { message: e.to_string(), transient: true }
    }
}

async fn analyze(env: &Env, db: &worker::D1Database, job: &str, owner: &str, asset: &str, now: u64) -> Result<(), Failure> {
    let id = AssetId::parse(asset).map_err(|e| Failure::permanent(e.to_string()))?;
    if db::find_asset(db, owner, &id).await.map_err(Failure::transient)?.is_none() {
        return Err(Failure::permanent(format!("asset {asset} no longer exists")));
    }
    let original = store::read_original(env, &id).await.map_err(Failure::transient)?;
    let found = PoolClient::from_env(env).detect(original).await.map_err(|e| Failure { transient: e.is_transient(), message: e.to_string() })?;
    let analysis = Analysis {
        asset: asset.to_owned(),
        version: job.to_owned(),
        model: found.model,
        width: found.width,
        height: found.height,
        analyzed_at: now,
        detections: found.detections,
        off: Vec::new(),
    };
    db::store_analysis(db, owner, &analysis, now).await.map_err(Failure::transient)
}
