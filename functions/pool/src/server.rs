//! The HTTP server: every request goes to `edgepix_inference::Service`.

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::response::Response;
use edgepix_inference::{Config as ServiceConfig, ModelPaths, Models, PoolError, Runtime, Service};

use crate::config::Config;

/// The longest a request may take, queueing included.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Request bodies above this are refused before they are read whole.
const MAX_BODY_BYTES: usize = 25 * 1024 * 1024;

/// Loads the models, listens, and serves until Ctrl-C or SIGTERM.
pub async fn serve(config: Config) -> Result<(), String> {
    let backends = crate::backends::start(&config)?;
    let models = Models::load(&ModelPaths::in_dir(&config.models), &backends);
    for m in models.status() {
        match (&m.error, m.load_ms) {
            (None, Some(ms)) => eprintln!("edgepix-pool: model {} loaded on {} in {ms:.0} ms", m.name, m.backend),
            (Some(e), _) => eprintln!("edgepix-pool: model {} not loaded on {}: {e}", m.name, m.backend),
            _ => {}
        }
    }
    let mut service_config = ServiceConfig::new(config.secret.clone());
    service_config.concurrency = config.concurrency;
    service_config.queue = config.queue;
    service_config.queue_wait = config.queue_wait;
    let service = Arc::new(Service::new(models, Runtime::Native, service_config));
    let app = axum::Router::new().fallback(handle).with_state(service);
    let listener = tokio::net::TcpListener::bind(config.addr).await.map_err(|e| format!("cannot listen on {}: {e}", config.addr))?;
    eprintln!("edgepix-pool: listening on http://{}", config.addr);
    axum::serve(listener, app).with_graceful_shutdown(shutdown()).await.map_err(|e| format!("server failed: {e}"))
}

async fn handle(State(service): State<Arc<Service>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = match to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => b.to_vec(),
        Err(_) => return PoolError::PayloadTooLarge { limit: MAX_BODY_BYTES }.into_response().map(Body::from),
    };
    let req = http::Request::from_parts(parts, body);
    // Inference is CPU-bound: keep it off the I/O threads. The answer is
    // bounded in time; work already running finishes in the background.
    let work = tokio::task::spawn_blocking(move || service.handle(&req));
    match tokio::time::timeout(REQUEST_TIMEOUT, work).await {
        Ok(Ok(resp)) => resp.map(Body::from),
        Ok(Err(_)) => PoolError::Internal.into_response().map(Body::from),
        Err(_) => PoolError::Timeout { secs: REQUEST_TIMEOUT.as_secs() }.into_response().map(Body::from),
    }
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    eprintln!("edgepix-pool: shutting down");
}
