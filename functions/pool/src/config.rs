//! Command-line configuration of the pool server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

const USAGE: &str = "\
usage: edgepix-pool [options]

  --addr ADDR          listen address            [EDGEPIX_POOL_ADDR, 127.0.0.1:8790]
  --models DIR         model files               [EDGEPIX_MODELS, models]
  --backends LIST      auto | tract | onnxruntime | onnxruntime,tract
                       (the first is the default per request; auto is
                       onnxruntime,tract when the library is found, else tract)
                                                 [EDGEPIX_BACKENDS, auto]
  --onnxruntime FILE   libonnxruntime.so         [ORT_DYLIB_PATH]
  --device DEV         cpu | cuda | cuda:N, for onnxruntime [EDGEPIX_DEVICE, cpu]
  --threads N          ONNX Runtime intra-op threads [cores]
  --concurrency N      inference requests at once [cores]
  --queue N            requests waiting before 503 [4 x concurrency]
  --queue-wait SECS    longest wait in the queue [10]

The secret shared with the Worker comes from POOL_SECRET (required).";

/// Which backends to start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Backends {
    /// ONNX Runtime first when its library is found, tract always.
    Auto,
    /// Exactly these, in this order.
    Listed(Vec<BackendName>),
}

/// A backend named on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendName {
    /// tract.
    Tract,
    /// ONNX Runtime.
    OnnxRuntime,
}

/// How the server runs.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address to listen on.
    pub addr: SocketAddr,
    /// Directory holding the model files.
    pub models: PathBuf,
    /// Backends to start.
    pub backends: Backends,
    /// `libonnxruntime.so`, when given.
    pub onnxruntime: Option<PathBuf>,
    /// CUDA device for ONNX Runtime, `None` for the CPU.
    pub cuda_device: Option<i32>,
    /// ONNX Runtime intra-op threads.
    pub threads: usize,
    /// The shared secret.
    pub secret: Vec<u8>,
    /// Inference requests at once.
    pub concurrency: usize,
    /// Requests waiting before 503.
    pub queue: usize,
    /// Longest wait in the queue.
    pub queue_wait: Duration,
}

impl Config {
    /// Parses the arguments over the environment's defaults.
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Result<Config, String> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let mut addr = env("EDGEPIX_POOL_ADDR").unwrap_or_else(|| "127.0.0.1:8790".to_owned());
        let mut models = env("EDGEPIX_MODELS").unwrap_or_else(|| "models".to_owned());
        let mut backends = env("EDGEPIX_BACKENDS").unwrap_or_else(|| "auto".to_owned());
        let mut onnxruntime = env("ORT_DYLIB_PATH");
        let mut device = env("EDGEPIX_DEVICE").unwrap_or_else(|| "cpu".to_owned());
        let (mut threads, mut concurrency, mut queue, mut queue_wait) = (None, None, None, None);
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
            match arg.as_str() {
                "--addr" => addr = value("--addr")?,
                "--models" => models = value("--models")?,
                "--backends" => backends = value("--backends")?,
                "--onnxruntime" => onnxruntime = Some(value("--onnxruntime")?),
                "--device" => device = value("--device")?,
                "--threads" => threads = Some(number("--threads", &value("--threads")?)?),
                "--concurrency" => concurrency = Some(number("--concurrency", &value("--concurrency")?)?),
                "--queue" => queue = Some(number("--queue", &value("--queue")?)?),
                "--queue-wait" => queue_wait = Some(number("--queue-wait", &value("--queue-wait")?)?),
                "-h" | "--help" => return Err(USAGE.to_owned()),
                other => return Err(format!("unknown argument {other:?} (see --help)")),
            }
        }
        let concurrency = concurrency.unwrap_or(cores).max(1);
        let secret = env("POOL_SECRET").ok_or("POOL_SECRET is not set: the pool only serves requests signed by the Worker")?;
        Ok(Config {
            addr: addr.parse().map_err(|e| format!("--addr {addr:?}: {e}"))?,
            models: PathBuf::from(models),
            backends: parse_backends(&backends)?,
            onnxruntime: onnxruntime.map(PathBuf::from),
            cuda_device: parse_device(&device)?,
            threads: threads.unwrap_or(cores).max(1),
            secret: secret.into_bytes(),
            concurrency,
            queue: queue.unwrap_or(4 * concurrency),
            queue_wait: Duration::from_secs(queue_wait.unwrap_or(10) as u64),
        })
    }
}

fn number(name: &str, v: &str) -> Result<usize, String> {
    v.parse().map_err(|_| format!("{name} {v:?} is not a whole number"))
}

fn parse_backends(s: &str) -> Result<Backends, String> {
    if s == "auto" {
        return Ok(Backends::Auto);
    }
    let mut list = Vec::new();
    for name in s.split(',') {
        let b = match name.trim() {
            "tract" => BackendName::Tract,
            "onnxruntime" | "ort" => BackendName::OnnxRuntime,
            other => return Err(format!("--backends: {other:?} is not one of: auto, tract, onnxruntime")),
        };
        if list.contains(&b) {
            return Err(format!("--backends: {name:?} is listed twice"));
        }
        list.push(b);
    }
    Ok(Backends::Listed(list))
}

fn parse_device(s: &str) -> Result<Option<i32>, String> {
    match s {
        "cpu" => Ok(None),
        "cuda" => Ok(Some(0)),
        _ => s
            .strip_prefix("cuda:")
            .and_then(|n| n.parse().ok())
            .map(Some)
            .ok_or_else(|| format!("--device {s:?} is not one of: cpu, cuda, cuda:N")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_and_devices_parse() {
        assert_eq!(parse_backends("auto"), Ok(Backends::Auto));
        assert_eq!(parse_backends("ort,tract"), Ok(Backends::Listed(vec![BackendName::OnnxRuntime, BackendName::Tract])));
        assert!(parse_backends("tract,tract").is_err());
        assert!(parse_backends("gpu").is_err());
        assert_eq!(parse_device("cpu"), Ok(None));
        assert_eq!(parse_device("cuda:1"), Ok(Some(1)));
        assert!(parse_device("cuda:x").is_err());
    }
}
