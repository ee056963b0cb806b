//! Starting the configured inference backends.

use std::path::Path;
use std::sync::Arc;

use edgepix_inference::backend::{Backend, Device, OnnxRuntime, Tract};

use crate::config::{BackendName, Backends, Config};

/// The backends to serve with, the default first. `auto` uses ONNX Runtime
/// when its library is found (and says why not when it is not).
pub fn start(config: &Config) -> Result<Vec<Arc<dyn Backend>>, String> {
    let device = config.cuda_device.map_or(Device::Cpu, Device::Cuda);
    let ort = || -> Result<Arc<dyn Backend>, String> {
        let lib = config.onnxruntime.as_deref().ok_or("no libonnxruntime.so given (--onnxruntime or ORT_DYLIB_PATH)")?;
        if !Path::new(lib).is_file() {
            return Err(format!("{} does not exist", lib.display()));
        }
        Ok(Arc::new(OnnxRuntime::new(lib, config.threads, device).map_err(|e| e.to_string())?))
    };
    match &config.backends {
        Backends::Auto => match ort() {
            Ok(ort) => Ok(vec![ort, Arc::new(Tract)]),
            Err(why) => {
                eprintln!("edgepix-pool: ONNX Runtime not used ({why}); serving with tract only");
                Ok(vec![Arc::new(Tract)])
            }
        },
        Backends::Listed(names) => names
            .iter()
            .map(|name| match name {
                BackendName::Tract => Ok(Arc::new(Tract) as Arc<dyn Backend>),
                BackendName::OnnxRuntime => ort(),
            })
            .collect(),
    }
}
