//! The tract backend: pure Rust, optimised plans, shared between threads.

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
        // Models exported with a symbolic batch (NudeNet's `320n.onnx`) store
        // intermediate shapes that clash with a fixed input: ignore them and
        // let tract infer from the input fact.
        let plan = tract_onnx::onnx()
            .with_ignore_output_shapes(true)
            .with_ignore_value_info(true)
            .model_for_path(&spec.path)
            .map_err(err)?
            .with_input_fact(0, f32::fact(spec.input).into())
            .map_err(err)?
            .into_optimized()
            .map_err(err)?
            .into_runnable()
            .map_err(err)?;
        Ok(Box::new(TractSession(plan)))
    }
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
