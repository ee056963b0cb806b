/*!
The function pool's inference layer and its request handlers, free of any
transport.

[`Service::handle`] takes an `http::Request` and gives an `http::Response`:
the native server (`edgepix-pool`) and the Spin component (`edgepix-spin`)
are thin adapters over it, so both answer the same routes the same way.

- [`backend`]: the [`backend::Backend`] trait and its implementations, tract
  and (feature `onnxruntime`) ONNX Runtime.
- [`models`]: the detector and the segmenter, loaded once at start on each
  backend.
- [`detect`]: NudeNet on decoded pixels around `edgepix_core`'s pre- and
  post-processing, shared by the pool and the browser's detector module
  (`edgepix-detect`, which uses [`backend::Tract`] and [`detect`] only).
- `segment`: one request's work for ISNet.
- [`auth`]: the Worker's signature and the replay cache.
- [`gate`]: the bounded queue (503 when full).
- [`metrics`]: Prometheus counters and histograms.
*/
#![deny(missing_docs)]

pub mod auth;
pub mod backend;
pub mod detect;
mod error;
pub mod gate;
pub mod metrics;
pub mod models;
mod segment;
mod service;

pub use error::PoolError;
pub use models::{ModelKind, ModelPaths, Models};
pub use segment::Output as SegmentOutput;
pub use service::{Config, Runtime, Service};
