//! JSON types of the public API that more than one tier reads or writes.

use serde::{Deserialize, Serialize};

use crate::error::ErrorCode;

/// The one error body every tier answers with:
/// `{"error":{"code":"...","message":"..."}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error itself.
    pub error: ErrorDetail,
}

/// The inside of an [`ErrorBody`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// A stable code from [`ErrorCode`].
    pub code: String,
    /// A sentence for a person; wording may change between versions.
    pub message: String,
}

impl ErrorBody {
    /// Builds the body for `code` with a human message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ErrorBody {
        ErrorBody { error: ErrorDetail { code: code.as_str().to_owned(), message: message.into() } }
    }

    /// The body as JSON text.
    pub fn to_json(&self) -> String {
        // Serializing two strings cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }
}

/// What the function pool answers on `GET /healthz`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PoolHealth {
    /// Always `"ok"` when the pool answers at all.
    pub status: String,
    /// The pool's crate version.
    pub version: String,
    /// Which runtime serves the pool: `native` or `spin`.
    pub runtime: String,
    /// The inference backends compiled in (`tract`, `ort`).
    pub backends: Vec<String>,
    /// The models the pool has loaded.
    pub models: Vec<ModelStatus>,
}

/// One model as the pool reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelStatus {
    /// The model's name (`detector`, `segmenter`).
    pub name: String,
    /// The backend that runs it (`tract`, `onnxruntime`), and its device.
    #[serde(default)]
    pub backend: String,
    /// Whether it is loaded and ready.
    pub loaded: bool,
    /// Time to load and optimise it, in milliseconds.
    pub load_ms: Option<f64>,
    /// Why it is not loaded, when it is not.
    pub error: Option<String>,
}

/// What the function pool answers on `POST /v1/detect`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DetectResponse {
    /// The model that ran (`nudenet-320n`).
    pub model: String,
    /// The backend that ran it.
    pub backend: String,
    /// The image's width as displayed (after EXIF orientation).
    pub width: u32,
    /// The image's height as displayed.
    pub height: u32,
    /// What was found, NudeNet's shape, best score first.
    pub detections: Vec<crate::detect::Detection>,
    /// Where the time went, in milliseconds.
    pub timing: DetectTiming,
}

/// Time spent on one detection, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DetectTiming {
    /// Decoding the image.
    pub decode_ms: f64,
    /// Letterboxing and normalising it.
    pub preprocess_ms: f64,
    /// Running the model.
    pub inference_ms: f64,
    /// Anchors to boxes (threshold, NMS, mapping back).
    pub postprocess_ms: f64,
}

/// What the Worker answers on `GET /healthz`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EdgeHealth {
    /// `"ok"` when every check passed, `"degraded"` otherwise.
    pub status: String,
    /// The Worker's own version and engine version.
    pub worker: ComponentVersion,
    /// The function pool as seen from the Worker.
    pub pool: PoolCheck,
    /// The storage bindings, each checked by a real call.
    pub bindings: Vec<BindingCheck>,
}

/// A component's versions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComponentVersion {
    /// The crate version.
    pub version: String,
    /// [`crate::ENGINE_VERSION`] as that component was built with.
    pub engine: String,
}

/// The pool as the Worker sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PoolCheck {
    /// The configured pool URL.
    pub url: String,
    /// Whether `GET {url}/healthz` answered 200 with a valid body.
    pub up: bool,
    /// The pool's version when it answered.
    pub version: Option<String>,
    /// The pool's runtime when it answered.
    pub runtime: Option<String>,
    /// Why the pool is counted down.
    pub error: Option<String>,
}

/// One binding (R2, D1, KV, Durable Object) checked by a real call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BindingCheck {
    /// The binding's name in `wrangler.toml`.
    pub name: String,
    /// What kind of binding it is.
    pub kind: String,
    /// Whether the call succeeded.
    pub ok: bool,
    /// A short fact the call returned (schema version, object count) or the error.
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_has_the_documented_shape() {
        let body = ErrorBody::new(ErrorCode::NotFound, "no route for GET /x");
        let v: serde_json::Value = serde_json::from_str(&body.to_json()).unwrap();
        assert_eq!(v["error"]["code"], "not_found");
        assert_eq!(v["error"]["message"], "no route for GET /x");
        assert_eq!(v.as_object().unwrap().len(), 1);
    }
}
