//! `cargo xtask parity`: our pool against the reference implementations.
//!
//! A cached Python virtual environment (`nudenet==3.4.2`, `onnxruntime`)
//! runs `xtask/parity/reference.py` over the test photos: NudeNet's own
//! `NudeDetector.detect`, and ISNet with @imgly's preprocessing on ONNX
//! Runtime. The comparison itself is a Rust test (`tests/e2e/parity.rs`)
//! against the running pool; it writes its tables next to the reference.

use std::path::PathBuf;
use std::process::Command;

use crate::{Result, build, cmd, dev, project, setup, system};

/// The reference environment's packages, pinned.
const REQUIREMENTS: [&str; 4] = ["nudenet==3.4.2", "onnxruntime==1.32.0", "opencv-python-headless==5.0.0.93", "numpy==2.4.6"];

/// Where the reference outputs and the tables go.
pub fn out_dir() -> PathBuf {
    project::root().join("target/parity")
}

/// The virtual environment's Python, created (once) with the pinned
/// packages.
pub fn venv_python() -> Result<PathBuf> {
    let venv = project::cache().join("venv-reference");
    let python = venv.join("bin/python");
    let stamp = venv.join(".edgepix-requirements");
    let wanted = REQUIREMENTS.join("\n");
    if python.exists() && std::fs::read_to_string(&stamp).is_ok_and(|s| s == wanted) {
        return Ok(python);
    }
    cmd::run(Command::new("python3").args(["-m", "venv", "--clear"]).arg(&venv))?;
    cmd::run(Command::new(&python).args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"]).args(REQUIREMENTS))?;
    std::fs::write(&stamp, wanted).map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
    Ok(python)
}

/// Runs the reference implementations, writing their outputs to
/// [`out_dir`].
pub fn reference() -> Result {
    let python = cmd::timed("parity: reference environment", venv_python)?;
    let out = out_dir();
    let _ = std::fs::remove_dir_all(&out);
    cmd::timed("parity: reference outputs", || {
        cmd::run(Command::new(&python).arg(project::root().join("xtask/parity/reference.py")).arg(setup::photos_dir()).arg(setup::segmenter_path()).arg(&out))
    })
}

/// The environment the parity test reads.
pub fn test_env() -> (&'static str, String) {
    ("EDGEPIX_PARITY_DIR", out_dir().display().to_string())
}

/// `cargo xtask parity`: set up, build the pool, start it alone, run the
/// reference and the comparison, print the tables.
pub fn run(args: &[String]) -> Result {
    if let Some(a) = args.first() {
        return Err(format!("unknown option {a:?}"));
    }
    setup::ensure(setup::Needs::default())?;
    system::handle_signals()?;
    build::pool()?;
    reference()?;
    let secret = dev::random_hex(32)?;
    let mut pool = system::start_pools(system::free_port()?, None, &secret, None)?;
    let result = cmd::run(cmd::cargo().args(["test", "--release", "-p", "edgepix-e2e", "--test", "parity"]).envs([
        test_env(),
        ("EDGEPIX_POOL_URL", pool.pool_url.clone()),
        ("EDGEPIX_POOL_SECRET", secret),
        ("EDGEPIX_PHOTOS", setup::photos_dir().display().to_string()),
    ]));
    pool.stop();
    for table in ["detect-table.md", "segment-table.md"] {
        if let Ok(t) = std::fs::read_to_string(out_dir().join(table)) {
            println!("{t}");
        }
    }
    result
}
