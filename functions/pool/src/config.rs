//! Command-line configuration of the pool server.

use std::net::SocketAddr;
use std::path::PathBuf;

/// How the server runs.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address to listen on.
    pub addr: SocketAddr,
    /// Directory holding the model files.
    pub models: PathBuf,
}

impl Config {
    /// Parses `--addr ADDR` and `--models DIR`; `EDGEPIX_POOL_ADDR` and
    /// `EDGEPIX_MODELS` are the defaults.
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Result<Config, String> {
        let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
        let mut addr = env("EDGEPIX_POOL_ADDR", "127.0.0.1:8790");
        let mut models = env("EDGEPIX_MODELS", "models");
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
            match arg.as_str() {
                "--addr" => addr = value("--addr")?,
                "--models" => models = value("--models")?,
                "-h" | "--help" => return Err("usage: edgepix-pool [--addr 127.0.0.1:8790] [--models DIR]".to_owned()),
                other => return Err(format!("unknown argument {other:?} (see --help)")),
            }
        }
        let addr = addr.parse().map_err(|e| format!("--addr {addr:?}: {e}"))?;
        Ok(Config { addr, models: PathBuf::from(models) })
    }
}
