//! The function pool as a WASI HTTP component (`spin.toml`).
//!
//! Only an adapter: the request body is collected, handed to
//! `edgepix_inference::Service` (the same handlers as the native server),
//! and the answer returned. Models are read from `/models`, mapped from the
//! host by `spin.toml`'s `files` (or `wasmtime serve --dir HOST::/models`);
//! the secret shared with the Worker comes from the `POOL_SECRET`
//! environment variable. The backend is tract: ONNX Runtime is a native
//! library, so the segmenter is not served here (503 `unavailable`).

use std::path::Path;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use edgepix_inference::backend::Tract;
use edgepix_inference::{Config, ModelPaths, Models, Runtime, Service};
use http_body_util::Full;
use spin_sdk::http::body::IncomingBodyExt;
use spin_sdk::http::{IntoResponse, Request};

/// The service, built on the first request an instance handles.
static SERVICE: OnceLock<Service> = OnceLock::new();

fn service() -> Service {
    let models = Models::load(&ModelPaths::in_dir(Path::new("/models")), &[Arc::new(Tract)]);
    let secret = std::env::var("POOL_SECRET").unwrap_or_default().into_bytes();
    // One request at a time per instance: the host scales by instances.
    let config = Config { concurrency: 1, queue: 0, ..Config::new(secret) };
    Service::new(models, Runtime::Spin, config)
}

#[spin_sdk::http_service]
async fn handle(req: Request) -> spin_sdk::http::Result<impl IntoResponse> {
    let service = SERVICE.get_or_init(service);
    let (parts, body) = req.into_parts();
    let body = body.bytes().await?.to_vec();
    let response = service.handle(&http::Request::from_parts(parts, body));
    Ok(response.map(|b| Full::new(Bytes::from(b))))
}
