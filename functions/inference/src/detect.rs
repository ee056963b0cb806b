//! NudeNet detection on a decoded image: pre- and post-processing from
//! `edgepix_core::detect`, the model on a backend's [`Session`].
//!
//! [`detect_rgba`] is the one "run the detector on these pixels" of every
//! tier that runs the model itself: the pool's `POST /v1/detect` (through
//! [`run`]) and the browser's detector module (`edgepix-detect`), so both
//! give the same detections for the same pixels.

use std::time::Instant;

use edgepix_core::api::{DetectResponse, DetectTiming};
use edgepix_core::detect::{self, DetectError, Detection};
use edgepix_core::pixel::RgbaImage;
use thiserror::Error;

use crate::backend::{BackendError, Session};
use crate::error::PoolError;
use crate::models::{ModelKind, Slot};

/// The detector's name in responses.
pub const MODEL_NAME: &str = "nudenet-320n";

/// Where one detection's time went, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Stages {
    /// Letterboxing and normalising the image into the input tensor.
    pub preprocess_ms: f64,
    /// Running the model.
    pub inference_ms: f64,
    /// Anchors to boxes (threshold, NMS, mapping back).
    pub postprocess_ms: f64,
}

/// Why [`detect_rgba`] gave no detections.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DetectFailure {
    /// The pixels were refused (empty image, buffer of the wrong size).
    #[error(transparent)]
    Input(DetectError),
    /// The model failed, or its output was not the detector's.
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl From<DetectFailure> for PoolError {
    fn from(e: DetectFailure) -> PoolError {
        match e {
            DetectFailure::Input(e) => PoolError::InvalidRequest(e.to_string()),
            DetectFailure::Backend(e) => PoolError::Backend(e),
        }
    }
}

/// Runs NudeNet's detector (`session`, loaded with
/// [`ModelKind::Detector`]'s input shape) on `width x height` RGBA pixels:
/// the detections in those pixels' coordinates, best score first, and the
/// time of each stage. `now_ms` is the caller's clock in milliseconds
/// (`std::time::Instant` does not run in a browser).
pub fn detect_rgba(session: &dyn Session, rgba: &[u8], width: u32, height: u32, now_ms: &dyn Fn() -> f64) -> Result<(Vec<Detection>, Stages), DetectFailure> {
    let t = now_ms();
    let (input, letterbox) = detect::preprocess_rgba(rgba, width, height).map_err(DetectFailure::Input)?;
    let t1 = now_ms();
    let output = session.run(input, ModelKind::Detector.input())?;
    let t2 = now_ms();
    let shape: [usize; 3] = output.shape.as_slice().try_into().map_err(|_| BackendError::Run(format!("the detector gave shape {:?}, expected [1, 22, N]", output.shape)))?;
    let detections = detect::postprocess(&output.data, shape, &letterbox).map_err(|e| BackendError::Run(e.to_string()))?;
    let t3 = now_ms();
    Ok((detections, Stages { preprocess_ms: t1 - t, inference_ms: t2 - t1, postprocess_ms: t3 - t2 }))
}

/// Runs the detector of `slot` on a decoded (and oriented) image.
/// `decode_ms` is reported as given; `on_inference` gets the model's time
/// in seconds (for the metrics).
pub fn run(slot: &Slot, img: &RgbaImage, decode_ms: f64, mut on_inference: impl FnMut(f64)) -> Result<DetectResponse, PoolError> {
    let session = slot.session()?;
    let started = Instant::now();
    let now_ms = || started.elapsed().as_secs_f64() * 1000.0;
    let (detections, stages) = detect_rgba(session, img.data(), img.width(), img.height(), &now_ms)?;
    on_inference(stages.inference_ms / 1000.0);
    Ok(DetectResponse {
        model: MODEL_NAME.to_owned(),
        backend: slot.backend().to_owned(),
        width: img.width(),
        height: img.height(),
        detections,
        timing: DetectTiming { decode_ms, preprocess_ms: stages.preprocess_ms, inference_ms: stages.inference_ms, postprocess_ms: stages.postprocess_ms },
    })
}
