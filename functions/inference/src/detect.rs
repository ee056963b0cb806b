//! `POST /v1/detect`: NudeNet detection, pre- and post-processing from
//! `edgepix_core::detect`, the model on a backend.

use std::time::Instant;

use edgepix_core::api::{DetectResponse, DetectTiming};
use edgepix_core::detect;
use edgepix_core::pixel::RgbaImage;

use crate::backend::BackendError;
use crate::error::PoolError;
use crate::models::Slot;

/// The detector's name in responses.
pub const MODEL_NAME: &str = "nudenet-320n";

/// Runs the detector of `slot` on a decoded (and oriented) image.
/// `decode_ms` is reported as given.
pub fn run(slot: &Slot, img: &RgbaImage, decode_ms: f64, mut on_inference: impl FnMut(f64)) -> Result<DetectResponse, PoolError> {
    let session = slot.session()?;
    let ms = |t: Instant| t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    let (input, letterbox) = detect::preprocess_rgba(img.data(), img.width(), img.height()).map_err(|e| PoolError::InvalidRequest(e.to_string()))?;
    let preprocess_ms = ms(t);
    let t = Instant::now();
    let output = session.run(input, slot.kind().input())?;
    let inference_ms = ms(t);
    on_inference(inference_ms / 1000.0);
    let t = Instant::now();
    let shape: [usize; 3] = output.shape.as_slice().try_into().map_err(|_| BackendError::Run(format!("the detector gave shape {:?}, expected [1, 22, N]", output.shape)))?;
    let detections = detect::postprocess(&output.data, shape, &letterbox).map_err(|e| BackendError::Run(e.to_string()))?;
    let postprocess_ms = ms(t);
    Ok(DetectResponse {
        model: MODEL_NAME.to_owned(),
        backend: slot.backend().to_owned(),
        width: img.width(),
        height: img.height(),
        detections,
        timing: DetectTiming { decode_ms, preprocess_ms, inference_ms, postprocess_ms },
    })
}
