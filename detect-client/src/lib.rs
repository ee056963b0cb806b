//! The edgepix detector module: NudeNet's body-part detector in the
//! browser, for private mode (`/studio/local`), where the photo never
//! leaves the device.
//!
//! It is the function pool's detector, compiled for the browser: the model
//! is loaded by the pool's tract backend
//! ([`edgepix_inference::backend::Tract`]) and run by the pool's
//! [`edgepix_inference::detect::detect_rgba`], around the shared crate's
//! NudeNet pre- and post-processing, so it finds what `POST /v1/detect`
//! finds in the same pixels (up to tract-in-wasm against the pool's
//! floating point). The module is large (tract), so pages load it lazily,
//! in a Web Worker, only when a photo is chosen; the model file
//! (`320n.onnx`) comes from the site as a static file.
#![deny(missing_docs)]

use edgepix_core::api::{DetectResponse, DetectTiming};
use edgepix_inference::backend::{Session, Tract};
use edgepix_inference::detect::{self, DetectFailure, MODEL_NAME};
use edgepix_inference::models::ModelKind;
use wasm_bindgen::prelude::*;

/// The backend named in this module's results.
pub const BACKEND: &str = "tract-wasm";

#[wasm_bindgen]
extern "C" {
    /// `performance.now()`: the page's and a Web Worker's clock alike.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// NudeNet's detector, loaded once, run per image.
#[wasm_bindgen]
pub struct Detector {
    session: Box<dyn Session>,
    load_ms: f64,
}

#[wasm_bindgen]
impl Detector {
    /// Builds the optimised plan from the bytes of `320n.onnx` (about half
    /// a second); keep the detector for every later image.
    pub fn load(model: &[u8]) -> Result<Detector, JsError> {
        let started = performance_now();
        let session = Tract.load_bytes(model, ModelKind::Detector.input())?;
        Ok(Detector { session, load_ms: performance_now() - started })
    }

    /// Milliseconds [`Detector::load`] took.
    #[wasm_bindgen(getter, js_name = loadMs)]
    pub fn load_ms(&self) -> f64 {
        self.load_ms
    }

    /// Detects body parts in `width x height` RGBA pixels (canvas
    /// `ImageData.data`). Returns what the pool's `POST /v1/detect` returns:
    /// `{model, backend, width, height, detections: [{class, score, box: [x,
    /// y, w, h]}], timing: {decode_ms, preprocess_ms, inference_ms,
    /// postprocess_ms}}`, boxes in these pixels, best score first;
    /// `decode_ms` is 0 (the page decodes, and fills it in).
    pub fn detect(&self, rgba: &[u8], width: u32, height: u32) -> Result<JsValue, JsError> {
        let result = run(self.session.as_ref(), rgba, width, height, &performance_now)?;
        // Through JSON, so numbers read exactly as in the pool's answers.
        let json = serde_json::to_string(&result)?;
        js_sys::JSON::parse(&json).map_err(|_| JsError::new("the detections did not convert to a JavaScript value"))
    }
}

/// The built-in `default` safe-blur policy in its JSON form, every class
/// listed (`{"classes": {CLASS: ACTION, ...}, "padding": 0.05}`): what a
/// page shows before the person changes anything.
#[wasm_bindgen(js_name = defaultPolicy)]
pub fn default_policy() -> String {
    edgepix_core::policy::Policy::default().to_json()
}

/// [`Detector::detect`]'s work, on any target (natively tested).
pub fn run(session: &dyn Session, rgba: &[u8], width: u32, height: u32, now_ms: &dyn Fn() -> f64) -> Result<DetectResponse, DetectFailure> {
    let (detections, stages) = detect::detect_rgba(session, rgba, width, height, now_ms)?;
    Ok(DetectResponse {
        model: MODEL_NAME.to_owned(),
        backend: BACKEND.to_owned(),
        width,
        height,
        detections,
        timing: DetectTiming { decode_ms: 0.0, preprocess_ms: stages.preprocess_ms, inference_ms: stages.inference_ms, postprocess_ms: stages.postprocess_ms },
    })
}
