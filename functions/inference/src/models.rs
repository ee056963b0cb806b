//! Loading the pool's models into optimised tract plans.

use std::path::{Path, PathBuf};
use std::time::Instant;

use edgepix_core::api::ModelStatus;
use tract_onnx::prelude::*;

/// Where the model files are.
#[derive(Clone, Debug)]
pub struct ModelPaths {
    /// NudeNet's 320n body-part detector (`320n.onnx`).
    pub detector: PathBuf,
}

impl ModelPaths {
    /// The standard file names inside `dir` (the models cache that
    /// `cargo xtask` fills, or `/models` inside the Spin component).
    pub fn in_dir(dir: &Path) -> ModelPaths {
        ModelPaths { detector: dir.join("nudenet-320n.onnx") }
    }
}

/// A runnable, optimised tract plan.
pub type Plan = std::sync::Arc<TypedSimplePlan>;

/// One model slot: loaded, or the reason it is not.
#[derive(Debug)]
struct Slot {
    name: &'static str,
    plan: Result<Plan, String>,
    load_ms: Option<f64>,
}

impl Slot {
    fn status(&self) -> ModelStatus {
        ModelStatus {
            name: self.name.to_owned(),
            loaded: self.plan.is_ok(),
            load_ms: self.load_ms,
            error: self.plan.as_ref().err().cloned(),
        }
    }
}

/// The pool's models, loaded once at start.
#[derive(Debug)]
pub struct Models {
    detector: Slot,
}

impl Models {
    /// Loads every model; a missing or broken file leaves that slot
    /// unloaded with its reason (reported by `/healthz`) rather than failing
    /// the whole pool.
    pub fn load(paths: &ModelPaths) -> Models {
        let started = Instant::now();
        let detector = load_detector(&paths.detector);
        let load_ms = detector.is_ok().then(|| started.elapsed().as_secs_f64() * 1000.0);
        Models { detector: Slot { name: "detector", plan: detector.map_err(|e| format!("{}: {e:#}", paths.detector.display())), load_ms } }
    }

    /// Each model's state.
    pub fn status(&self) -> Vec<ModelStatus> {
        vec![self.detector.status()]
    }

    /// The detector's plan, when loaded.
    pub fn detector(&self) -> Option<&Plan> {
        self.detector.plan.as_ref().ok()
    }
}

/// NudeNet's `320n.onnx` stores intermediate shapes with a symbolic batch
/// that clashes with the fixed 1x3x320x320 input; tract must ignore them.
fn load_detector(path: &Path) -> TractResult<Plan> {
    tract_onnx::onnx()
        .with_ignore_output_shapes(true)
        .with_ignore_value_info(true)
        .model_for_path(path)?
        .with_input_fact(0, f32::fact([1, 3, 320, 320]).into())?
        .into_optimized()?
        .into_runnable()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_model_is_reported_not_fatal() {
        let models = Models::load(&ModelPaths::in_dir(Path::new("/nonexistent")));
        let status = models.status();
        assert_eq!(status.len(), 1);
        assert!(!status[0].loaded);
        assert!(status[0].error.as_deref().unwrap_or_default().contains("nudenet-320n.onnx"));
        assert!(models.detector().is_none());
    }
}
