//! The tract backend: pure Rust, optimised plans, shared between threads.

use std::path::PathBuf;
use std::sync::Arc;

use tract_onnx::prelude::*;

use super::{Backend, BackendError, ModelSpec, Session, Tensor as Output};

/// tract-onnx, loading models into optimised plans.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tract;

impl Backend for Tract {
    fn name(&self) -> &'static str {
        "tract"
    }

    fn runs_large_models(&self) -> bool {
        false
    }

    fn load(&self, spec: &ModelSpec) -> Result<Box<dyn Session>, BackendError> {
        let err = |e: TractError| BackendError::Load { path: spec.path.clone(), reason: format!("{e:#}") };
        let model = onnx().model_for_path(&spec.path).map_err(err)?;
        Ok(Box::new(TractSession(optimize(model, spec.input).map_err(err)?)))
    }
}

impl Tract {
    /// [`Backend::load`] from the `.onnx` file's bytes rather than a path:
    /// where there is no file system (the browser's detector module).
    pub fn load_bytes(&self, model: &[u8], input: [usize; 4]) -> Result<Box<dyn Session>, BackendError> {
        let err = |e: TractError| BackendError::Load { path: PathBuf::from("(model bytes)"), reason: format!("{e:#}") };
        let model = onnx().model_for_read(&mut std::io::Cursor::new(model)).map_err(err)?;
        Ok(Box::new(TractSession(optimize(model, input).map_err(err)?)))
    }
}

/// The ONNX importer as our models need it: models exported with a symbolic
/// batch (NudeNet's `320n.onnx`) store intermediate shapes that clash with a
/// fixed input, so those are ignored and tract infers from the input fact.
fn onnx() -> tract_onnx::Onnx {
    tract_onnx::onnx().with_ignore_output_shapes(true).with_ignore_value_info(true)
}

/// Fixes the input shape, optimises, and makes the runnable plan.
fn optimize(model: InferenceModel, input: [usize; 4]) -> TractResult<Arc<TypedSimplePlan>> {
    model.with_input_fact(0, f32::fact(input).into())?.into_optimized()?.into_runnable()
}

#[derive(Debug)]
struct TractSession(Arc<TypedSimplePlan>);

impl Session for TractSession {
    fn run(&self, input: Vec<f32>, shape: [usize; 4]) -> Result<Output, BackendError> {
        let run = |e: TractError| BackendError::Run(format!("{e:#}"));
        let input = tract_ndarray::Array4::from_shape_vec(shape, input).map_err(|e| BackendError::Run(e.to_string()))?;
        let outputs = self.0.run(tvec!(Tensor::from(input).into())).map_err(run)?;
        let first = outputs.first().ok_or_else(|| BackendError::Run("the model has no output".to_owned()))?;
        let view = first.to_plain_array_view::<f32>().map_err(run)?;
        Ok(Output { shape: view.shape().to_vec(), data: view.iter().copied().collect() })
    }
}
