//! Where things are: the repository, the tool and model caches, versions.

use std::path::{Path, PathBuf};

use crate::Result;

/// The repository root (the workspace holding `xtask/`).
pub fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map_or(manifest.clone(), Path::to_path_buf)
}

/// The cache outside the checkout that survives fresh clones: installed
/// tools, downloaded wheels, assembled models. `EDGEPIX_CACHE` overrides
/// `$XDG_CACHE_HOME/edgepix` (or `~/.cache/edgepix`).
pub fn cache() -> PathBuf {
    if let Some(dir) = std::env::var_os("EDGEPIX_CACHE") {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| root().join("target"));
    base.join("edgepix")
}

/// Where `cargo install` puts our pinned tools.
pub fn tools_root() -> PathBuf {
    cache().join("tools")
}

/// The binaries directory of [`tools_root`].
pub fn tools_bin() -> PathBuf {
    tools_root().join("bin")
}

/// Assembled, verified model files.
pub fn models() -> PathBuf {
    cache().join("models")
}

/// The ignored build output folder of the checkout.
pub fn build_dir() -> PathBuf {
    root().join("build")
}

/// The ignored local state folder (wrangler's R2, D1, KV, DO persistence).
pub fn state_dir() -> PathBuf {
    root().join(".state")
}

/// `node_modules/.bin/NAME`.
pub fn node_bin(name: &str) -> PathBuf {
    root().join("node_modules").join(".bin").join(name)
}

/// The version of `package` that `Cargo.lock` pins (the first entry).
pub fn locked_version(package: &str) -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let needle = format!("name = \"{package}\"\n");
    let at = lock.find(&needle).ok_or_else(|| format!("{package} is not in Cargo.lock"))?;
    let version_line = lock[at + needle.len()..].lines().next().unwrap_or_default();
    version_line
        .strip_prefix("version = \"")
        .and_then(|v| v.strip_suffix('"'))
        .map(str::to_owned)
        .ok_or_else(|| format!("no version for {package} in Cargo.lock"))
}

/// PATH with the tools directory first, for child processes.
pub fn path_with_tools() -> std::ffi::OsString {
    let mut paths = vec![tools_bin(), root().join("node_modules").join(".bin")];
    if let Some(p) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&p));
    }
    std::env::join_paths(paths).unwrap_or_default()
}
