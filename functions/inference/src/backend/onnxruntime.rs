//! The ONNX Runtime backend, through `ort` with `load-dynamic`: the library
//! (`libonnxruntime.so`, shipped by the PyPI `onnxruntime` and
//! `onnxruntime-gpu` wheels) is opened at start, nothing is downloaded at
//! build time.

use std::fmt;
use std::path::Path;
use std::sync::Mutex;

use ort::environment::Environment;
use ort::session::Session as OrtSession;
use ort::session::builder::GraphOptimizationLevel;

use super::{Backend, BackendError, ModelSpec, Session, Tensor};

/// Where ONNX Runtime runs the models.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Device {
    /// The CPU execution provider.
    Cpu,
    /// The CUDA execution provider on this GPU (needs `onnxruntime-gpu`'s
    /// library and the CUDA/cuDNN libraries on the loader's path).
    Cuda(i32),
}

/// ONNX Runtime, one process-wide environment.
pub struct OnnxRuntime {
    env: Environment,
    threads: usize,
    device: Device,
}

impl fmt::Debug for OnnxRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnnxRuntime").field("threads", &self.threads).field("device", &self.device).finish_non_exhaustive()
    }
}

impl OnnxRuntime {
    /// Opens `library` (`libonnxruntime.so`) and creates the environment;
    /// each session will use `threads` intra-op threads on `device`. Only
    /// one may exist per process.
    pub fn new(library: &Path, threads: usize, device: Device) -> Result<OnnxRuntime, BackendError> {
        let init = |reason: String| BackendError::Init { backend: "onnxruntime", reason };
        let env = ort::init_from(library)
            .map_err(|e| init(format!("{}: {e}", library.display())))?
            .with_name("edgepix-pool")
            .build()
            .map_err(|e| init(e.to_string()))?;
        Ok(OnnxRuntime { env, threads: threads.max(1), device })
    }
}

impl Backend for OnnxRuntime {
    fn name(&self) -> &'static str {
        match self.device {
            Device::Cpu => "onnxruntime",
            Device::Cuda(_) => "onnxruntime-cuda",
        }
    }

    fn runs_large_models(&self) -> bool {
        true
    }

    fn load(&self, spec: &ModelSpec) -> Result<Box<dyn Session>, BackendError> {
        let err = |reason: String| BackendError::Load { path: spec.path.clone(), reason };
        let session = self.builder(&[]).and_then(|mut b| b.commit_from_file(&spec.path)).map_err(|e| err(e.to_string()))?;
        // The pool always runs a model at its spec's input shape, so
        // symbolic input dimensions (NudeNet's `batch`, `height`, `width`)
        // are fixed to it: ORT then plans every tensor statically
        // (measured: about 8 % less per detector run, the same outputs).
        let fixed = fixed_dimensions(&session, spec);
        if fixed.is_empty() {
            return Ok(Box::new(OrtModel(Mutex::new(session))));
        }
        let session = self.builder(&fixed).and_then(|mut b| b.commit_from_file(&spec.path)).map_err(|e| err(e.to_string()))?;
        Ok(Box::new(OrtModel(Mutex::new(session))))
    }
}

impl OnnxRuntime {
    /// A session builder for this backend's threads and device, with the
    /// symbolic input dimensions in `fixed` set to their sizes.
    fn builder(&self, fixed: &[(String, i64)]) -> ort::Result<ort::session::builder::SessionBuilder> {
        let mut builder = OrtSession::builder(&self.env)?.with_optimization_level(GraphOptimizationLevel::Level3)?.with_intra_threads(self.threads)?;
        for (name, size) in fixed {
            builder = builder.with_dimension_override(name, *size)?;
        }
        if self.device == Device::Cpu {
            // Without the arena, memory goes back after each run: ISNet at
            // 1024x1024 otherwise keeps about 1.6 GiB resident.
            let cpu = ort::ep::CPU::default().with_arena_allocator(false).build();
            builder = builder.with_execution_providers([cpu])?;
        }
        if let Device::Cuda(id) = self.device {
            // `error_on_failure`: a GPU pool that silently fell back to the
            // CPU would be a lie in every figure it reports.
            let cuda = ort::ep::CUDA::default().with_device_id(id).build().error_on_failure();
            builder = builder.with_execution_providers([cuda])?;
        }
        Ok(builder)
    }
}

/// The symbolic dimensions of `session`'s first input with the sizes
/// `spec.input` gives them.
fn fixed_dimensions(session: &OrtSession, spec: &ModelSpec) -> Vec<(String, i64)> {
    let Some(ort::value::ValueType::Tensor { shape, dimension_symbols, .. }) = session.inputs().first().map(|i| i.dtype()) else { return Vec::new() };
    shape
        .iter()
        .zip(dimension_symbols.iter())
        .zip(spec.input)
        .filter(|((dim, symbol), _)| **dim < 0 && !symbol.is_empty())
        .filter_map(|((_, symbol), size)| Some((symbol.clone(), i64::try_from(size).ok()?)))
        .collect()
}

/// `ort`'s `Session::run` takes `&mut self`: one run at a time per model,
/// each using the backend's intra-op threads.
struct OrtModel(Mutex<OrtSession>);

impl fmt::Debug for OrtModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OrtModel")
    }
}

impl Session for OrtModel {
    fn run(&self, input: Vec<f32>, shape: [usize; 4]) -> Result<Tensor, BackendError> {
        let run = |e: ort::Error| BackendError::Run(e.to_string());
        let input = ort::value::Tensor::from_array((shape, input)).map_err(run)?;
        let mut session = self.0.lock().map_err(|_| BackendError::Run("a previous run panicked".to_owned()))?;
        let outputs = session.run(ort::inputs![input]).map_err(run)?;
        let (shape, data) = outputs[0].try_extract_tensor::<f32>().map_err(run)?;
        Ok(Tensor { shape: shape.iter().map(|&d| usize::try_from(d).unwrap_or(0)).collect(), data: data.to_vec() })
    }
}
