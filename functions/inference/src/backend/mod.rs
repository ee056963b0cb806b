//! Inference backends behind one trait.
//!
//! A [`Backend`] loads a model file into a [`Session`]; a session runs one
//! `f32` NCHW input and gives its first output. Two implementations:
//! - [`Tract`]: pure Rust, everywhere (the native pool, the Spin component);
//! - `OnnxRuntime` (feature `onnxruntime`): ONNX Runtime through `ort`,
//!   loading `libonnxruntime.so` at run time (the PyPI wheel's), on the CPU
//!   or with the CUDA execution provider.

#[cfg(feature = "onnxruntime")]
mod onnxruntime;
mod tract;

use std::fmt;
use std::path::PathBuf;

use thiserror::Error;

#[cfg(feature = "onnxruntime")]
pub use onnxruntime::{Device, OnnxRuntime};
pub use tract::Tract;

/// Why a backend could not load or run a model.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BackendError {
    /// The runtime itself could not start (library missing or unusable).
    #[error("cannot start {backend}: {reason}")]
    Init {
        /// The backend.
        backend: &'static str,
        /// What failed.
        reason: String,
    },
    /// The model file could not be read or compiled.
    #[error("cannot load {path}: {reason}")]
    Load {
        /// The model file.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
    /// Running the model failed.
    #[error("inference failed: {0}")]
    Run(String),
}

/// A model's first output.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    /// Its dimensions.
    pub shape: Vec<usize>,
    /// Its values, row-major.
    pub data: Vec<f32>,
}

/// What a backend needs to know to load a model.
#[derive(Clone, Debug)]
pub struct ModelSpec {
    /// The `.onnx` file.
    pub path: PathBuf,
    /// The fixed input shape, NCHW.
    pub input: [usize; 4],
}

/// A loaded model, ready to run; safe to share between threads.
pub trait Session: Send + Sync + fmt::Debug {
    /// Runs `input` (of `shape`, NCHW) and returns the first output.
    fn run(&self, input: Vec<f32>, shape: [usize; 4]) -> Result<Tensor, BackendError>;
}

/// An inference runtime that loads models into sessions.
pub trait Backend: Send + Sync + fmt::Debug {
    /// The backend's name as reported (`tract`, `onnxruntime`,
    /// `onnxruntime-cuda`).
    fn name(&self) -> &'static str;

    /// Whether large convolutional models (ISNet at 1024x1024) run in
    /// seconds on it. tract takes minutes for ISNet (see `ARCHITECTURE.md`),
    /// so the pool does not load the segmenter on it.
    fn runs_large_models(&self) -> bool;

    /// Loads and optimises a model.
    fn load(&self, spec: &ModelSpec) -> Result<Box<dyn Session>, BackendError>;
}
