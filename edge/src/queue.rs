//! The jobs queue's consumer.
//!
//! Messages are JSON text (`edgepix_core::jobs::QueueMessage`). A message
//! that cannot be read is logged and acknowledged: retrying it would fail the
//! same way forever.

use edgepix_core::jobs::{ProbeReceipt, QueueMessage};
use worker::{Context, Date, Env, MessageBatch, MessageExt, QueueRetryOptionsBuilder, Result, event};

use crate::analysis::{self, Outcome};
use crate::{bindings, game_maker};

/// KV key where the consumer records the latest health probe.
pub const PROBE_KEY: &str = "healthz/queue-probe";

/// Handles a batch from the jobs queue.
#[event(queue)]
async fn consume(batch: MessageBatch<String>, env: Env, _ctx: Context) -> Result<()> {
    for raw in batch.raw_iter() {
        let text = raw.body().as_string().unwrap_or_default();
        match QueueMessage::parse(&text) {
            Ok(QueueMessage::Analyze { job, owner, asset }) => match analysis::run(&env, &job, &owner, &asset).await {
                Outcome::Ack => raw.ack(),
                Outcome::RetryAfter(secs) => raw.retry_with_options(&QueueRetryOptionsBuilder::new().with_delay_seconds(secs).build()),
            },
            Ok(QueueMessage::Game { job, owner, code }) => match game_maker::run(&env, &job, &owner, &code).await {
                Outcome::Ack => raw.ack(),
                Outcome::RetryAfter(secs) => raw.retry_with_options(&QueueRetryOptionsBuilder::new().with_delay_seconds(secs).build()),
            },
            Ok(message) => match handle(&message, &env).await {
                Ok(()) => raw.ack(),
                Err(e) => {
                    worker::console_error!("queue message {text} failed, will retry: {e}");
                    raw.retry();
                }
            },
            Err(e) => {
                worker::console_error!("{e}: {text}");
                raw.ack();
            }
        }
    }
    Ok(())
}

async fn handle(message: &QueueMessage, env: &Env) -> Result<()> {
    match message {
        QueueMessage::Probe { sent_ms } => {
            let receipt = ProbeReceipt { sent_ms: *sent_ms, received_ms: Date::now().as_millis() };
            let kv_error = |e: worker::kv::KvError| worker::Error::RustError(format!("KV: {e}"));
            let json = serde_json::to_string(&receipt)?;
            env.kv(bindings::CACHE)?.put(PROBE_KEY, json).map_err(kv_error)?.expiration_ttl(3600).execute().await.map_err(kv_error)
        }
        other => Err(worker::Error::RustError(format!("no handler for {other:?}"))),
    }
}
