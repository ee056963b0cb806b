//! `GET /healthz`: versions of the Worker and the pool, and a real call to
//! every binding.

use edgepix_core::api::{BindingCheck, ComponentVersion, EdgeHealth, PoolCheck};
use edgepix_core::jobs::{ProbeReceipt, QueueMessage};
use futures_util::future::join5;
use serde::Deserialize;
use worker::{Env, Request, Response, RouteContext};

use crate::bindings;
use crate::error::ApiResult;
use crate::pool::PoolClient;

/// Answers 200 with [`EdgeHealth`] when everything answers, 503 otherwise.
pub async fn get(_req: Request, ctx: RouteContext<()>) -> ApiResult<Response> {
    let env = &ctx.env;
    let pool = PoolClient::from_env(env);
    let (pool_check, bindings) = futures_util::join!(check_pool(&pool), check_bindings(env));
    let healthy = pool_check.up && bindings.iter().all(|b| b.ok);
    let body = EdgeHealth {
        status: if healthy { "ok" } else { "degraded" }.to_owned(),
        worker: ComponentVersion {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            engine: edgepix_core::ENGINE_VERSION.to_owned(),
        },
        pool: pool_check,
        bindings,
    };
    Ok(Response::from_json(&body)?.with_status(if healthy { 200 } else { 503 }))
}

async fn check_pool(pool: &PoolClient) -> PoolCheck {
    let mut check = PoolCheck { url: pool.base().to_owned(), up: false, version: None, runtime: None, error: None };
    match pool.health().await {
        Ok(h) => {
            check.up = h.status == "ok";
            check.version = Some(h.version);
            check.runtime = Some(h.runtime);
        }
        Err(e) => check.error = Some(e.to_string()),
    }
    check
}

#[derive(Deserialize)]
struct MigrationRow {
    name: String,
}

async fn check_bindings(env: &Env) -> Vec<BindingCheck> {
    let d1 = async {
        let db = env.d1(bindings::DB)?;
        let row = db.prepare("SELECT name FROM d1_migrations ORDER BY id DESC LIMIT 1").first::<MigrationRow>(None).await?;
        Ok::<_, worker::Error>(row.map_or_else(|| "no migration applied".to_owned(), |r| format!("latest migration {}", r.name)))
    };
    let r2 = async {
        let head = env.bucket(bindings::MEDIA)?.head("healthz/probe").await?;
        Ok::<_, worker::Error>(if head.is_some() { "probe object present" } else { "reachable" }.to_owned())
    };
    let kv = async {
        let v = env.kv(bindings::CACHE)?.get("healthz/probe").text().await.map_err(|e| worker::Error::RustError(e.to_string()))?;
        Ok::<_, worker::Error>(if v.is_some() { "probe key present" } else { "reachable" }.to_owned())
    };
    let durable = async {
        let stub = env.durable_object(bindings::RATE_LIMITER)?.id_from_name("healthz")?.get_stub()?;
        let mut resp = stub.fetch_with_str("https://rate-limiter/peek").await?;
        let window: edgepix_core::ratelimit::Window = resp.json().await?;
        Ok::<_, worker::Error>(format!("window count {}", window.count))
    };
    let queue = async {
        // Send a probe now; report the latest one the consumer handled.
        let sent_ms = worker::Date::now().as_millis();
        env.queue(bindings::JOBS)?.send(QueueMessage::Probe { sent_ms }.to_json()).await?;
        let last = env.kv(bindings::CACHE)?.get(crate::queue::PROBE_KEY).text().await.ok().flatten();
        let last = last.and_then(|t| serde_json::from_str::<ProbeReceipt>(&t).ok());
        Ok::<_, worker::Error>(match last {
            Some(r) => format!("sent probe {sent_ms}; last delivered probe {} after {} ms", r.sent_ms, r.received_ms.saturating_sub(r.sent_ms)),
            None => format!("sent probe {sent_ms}; none delivered yet"),
        })
    };
    let (d1, r2, kv, durable, queue) = join5(d1, r2, kv, durable, queue).await;
    [
        (bindings::DB, "d1", d1),
        (bindings::MEDIA, "r2", r2),
        (bindings::CACHE, "kv", kv),
        (bindings::RATE_LIMITER, "durable_object", durable),
        (bindings::JOBS, "queue", queue),
    ]
        .into_iter()
        .map(|(name, kind, result)| BindingCheck {
            name: name.to_owned(),
            kind: kind.to_owned(),
            ok: result.is_ok(),
            detail: result.unwrap_or_else(|e| e.to_string()),
        })
        .collect()
}
