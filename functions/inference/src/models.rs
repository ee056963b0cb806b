//! The pool's models, loaded once at start on each configured backend.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use edgepix_core::api::ModelStatus;
use edgepix_core::{detect, segment};

use crate::backend::{Backend, ModelSpec, Session};
use crate::error::PoolError;

/// The models the pool serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ModelKind {
    /// NudeNet 3.4.2's `320n.onnx` body-part detector.
    Detector,
    /// @imgly's ISNet background remover (`medium`, fp32).
    Segmenter,
}

impl ModelKind {
    /// The name reported by `/healthz` and `/metrics`.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Detector => "detector",
            ModelKind::Segmenter => "segmenter",
        }
    }

    /// The model's fixed input shape.
    pub fn input(self) -> [usize; 4] {
        match self {
            ModelKind::Detector => [1, 3, detect::INPUT_SIZE as usize, detect::INPUT_SIZE as usize],
            ModelKind::Segmenter => [1, 3, segment::INPUT_SIZE as usize, segment::INPUT_SIZE as usize],
        }
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the model files are.
#[derive(Clone, Debug)]
pub struct ModelPaths {
    /// NudeNet's detector.
    pub detector: PathBuf,
    /// ISNet.
    pub segmenter: PathBuf,
}

impl ModelPaths {
    /// The standard file names inside `dir` (the models cache that
    /// `cargo xtask` fills, or `/models` inside the Spin component).
    pub fn in_dir(dir: &Path) -> ModelPaths {
        ModelPaths { detector: dir.join("nudenet-320n.onnx"), segmenter: dir.join("isnet-medium.onnx") }
    }

    fn of(&self, kind: ModelKind) -> &Path {
        match kind {
            ModelKind::Detector => &self.detector,
            ModelKind::Segmenter => &self.segmenter,
        }
    }
}

/// One model on one backend: loaded, or the reason it is not.
#[derive(Debug)]
pub struct Slot {
    kind: ModelKind,
    backend: &'static str,
    session: Result<Box<dyn Session>, String>,
    load_ms: Option<f64>,
}

impl Slot {
    /// Which model.
    pub fn kind(&self) -> ModelKind {
        self.kind
    }

    /// The backend it runs on.
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// The session, or the 503 that says why there is none.
    pub fn session(&self) -> Result<&dyn Session, PoolError> {
        self.session.as_deref().map_err(|reason| PoolError::ModelUnavailable {
            model: self.kind.as_str(),
            backend: self.backend.to_owned(),
            reason: reason.clone(),
        })
    }

    /// Milliseconds it took to load, when it loaded.
    pub fn load_ms(&self) -> Option<f64> {
        self.load_ms
    }

    fn status(&self) -> ModelStatus {
        ModelStatus {
            name: self.kind.as_str().to_owned(),
            backend: self.backend.to_owned(),
            loaded: self.session.is_ok(),
            load_ms: self.load_ms,
            error: self.session.as_ref().err().cloned(),
        }
    }
}

/// Every loaded model, per backend, in the order the backends were given
/// (the first is the default).
#[derive(Debug)]
pub struct Models {
    slots: Vec<Slot>,
    backends: Vec<&'static str>,
    /// Kept alive as long as their sessions (ONNX Runtime's environment).
    _runtimes: Vec<Arc<dyn Backend>>,
}

impl Models {
    /// Loads the detector on every backend, and the segmenter on the first
    /// backend that runs large models; every other backend gets an unloaded
    /// segmenter slot that says why. A missing or broken file leaves that
    /// slot unloaded with its reason (reported by `/healthz`) rather than
    /// failing the whole pool.
    pub fn load(paths: &ModelPaths, backends: &[Arc<dyn Backend>]) -> Models {
        let mut slots = Vec::new();
        for backend in backends {
            slots.push(load_one(backend.as_ref(), ModelKind::Detector, paths));
        }
        let large = backends.iter().position(|b| b.runs_large_models());
        for (i, backend) in backends.iter().enumerate() {
            slots.push(if Some(i) == large {
                load_one(backend.as_ref(), ModelKind::Segmenter, paths)
            } else {
                Slot {
                    kind: ModelKind::Segmenter,
                    backend: backend.name(),
                    session: Err("ISNet needs the onnxruntime backend: on tract one 1024x1024 inference takes minutes".to_owned()),
                    load_ms: None,
                }
            });
        }
        Models { slots, backends: backends.iter().map(|b| b.name()).collect(), _runtimes: backends.to_vec() }
    }

    /// Each model's state.
    pub fn status(&self) -> Vec<ModelStatus> {
        self.slots.iter().map(Slot::status).collect()
    }

    /// The backends' names, the default first.
    pub fn backends(&self) -> &[&'static str] {
        &self.backends
    }

    /// Every slot.
    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }

    /// The slot for `kind` on `backend` (the first loaded one when `None`).
    pub fn slot(&self, kind: ModelKind, backend: Option<&str>) -> Option<&Slot> {
        let mut candidates = self.slots.iter().filter(|s| s.kind == kind);
        match backend {
            Some(name) => candidates.find(|s| s.backend == name),
            None => {
                let all: Vec<&Slot> = candidates.collect();
                all.iter().find(|s| s.session.is_ok()).or(all.first()).copied()
            }
        }
    }
}

fn load_one(backend: &dyn Backend, kind: ModelKind, paths: &ModelPaths) -> Slot {
    let started = Instant::now();
    let spec = ModelSpec { path: paths.of(kind).to_owned(), input: kind.input() };
    let session = backend.load(&spec).map_err(|e| e.to_string());
    let load_ms = session.is_ok().then(|| started.elapsed().as_secs_f64() * 1000.0);
    Slot { kind, backend: backend.name(), session, load_ms }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Tract;

    #[test]
    fn missing_models_are_reported_not_fatal() {
        let models = Models::load(&ModelPaths::in_dir(Path::new("/nonexistent")), &[Arc::new(Tract)]);
        let status = models.status();
        assert_eq!(status.len(), 2);
        assert!(!status[0].loaded);
        assert_eq!(status[0].backend, "tract");
        assert!(status[0].error.as_deref().unwrap_or_default().contains("nudenet-320n.onnx"));
        assert!(status[1].error.as_deref().unwrap_or_default().contains("onnxruntime"));
        assert!(models.slot(ModelKind::Detector, None).is_some_and(|s| s.session().is_err()));
        assert!(models.slot(ModelKind::Detector, Some("onnxruntime")).is_none());
    }
}
