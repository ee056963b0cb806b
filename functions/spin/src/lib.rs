//! The function pool as a WASI HTTP component (`spin.toml`).
//!
//! Only an adapter: the request body is collected, handed to
//! `edgepix_inference::Service` (the same handlers as the native server),
//! and the answer returned. Models are read from `/models`, mapped from the
//! host by `spin.toml`'s `files` (or `wasmtime serve --dir HOST::/models`).

use std::path::Path;
use std::sync::OnceLock;

use edgepix_inference::{ModelPaths, Models, Runtime, Service};
use bytes::Bytes;
use http_body_util::Full;
use spin_sdk::http::body::IncomingBodyExt;
use spin_sdk::http::{IntoResponse, Request};

/// The service, built on the first request an instance handles.
static SERVICE: OnceLock<Service> = OnceLock::new();

#[spin_sdk::http_service]
async fn handle(req: Request) -> spin_sdk::http::Result<impl IntoResponse> {
    let service = SERVICE.get_or_init(|| Service::new(Models::load(&ModelPaths::in_dir(Path::new("/models"))), Runtime::Spin));
    let (parts, body) = req.into_parts();
    let body = body.bytes().await?.to_vec();
    let response = service.handle(&http::Request::from_parts(parts, body));
    Ok(response.map(|b| Full::new(Bytes::from(b))))
}
