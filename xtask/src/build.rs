//! Building the tiers.
//!
//! - `worker`: `worker-build --release` in `edge/`, with our pinned
//!   wasm-bindgen and npm binaryen's wasm-opt (it would download both
//!   otherwise); skipped when its inputs have not changed. The templates
//!   and the OpenAPI document it reads go to `build/site/templates/`.
//! - `client`: the browser module through wasm-bindgen (`--target web`) and
//!   `wasm-opt -Oz` into `build/site/pkg/`, with `r2-assets/public/`.
//! - `game`: the game runtime the same way into `build/site/game/`.
//! - `detect`: the browser's detector module (`detect-client/`, tract) into
//!   `build/site/detect/` (wasm-opt only with `EDGEPIX_WASM_OPT=1`: minutes
//!   for under a tenth of its gzip size), and NudeNet's `320n.onnx` from the
//!   models cache into `build/site/models/`, for private mode
//!   (`/studio/local`).
//! - `edge`: the four above; what `wrangler.toml`'s `[build]` runs.
//! - `pool`: the native pool server; `spin`: the pool as a WASI component.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::{Result, cmd, project, setup};

/// `cargo xtask build [worker|client|game|edge|pool|spin|all]...`.
pub fn run(args: &[String]) -> Result {
    let targets: Vec<&str> = if args.is_empty() { vec!["all"] } else { args.iter().map(String::as_str).collect() };
    for t in targets {
        match t {
            "worker" => worker()?,
            "client" => client()?,
            "game" => game()?,
            "detect" => detect()?,
            "edge" => {
                worker()?;
                client()?;
                game()?;
                detect()?;
            }
            "pool" => pool()?,
            "spin" => spin()?,
            "all" => all()?,
            other => return Err(format!("unknown build target {other:?} (worker, client, game, detect, edge, pool, spin, all)")),
        }
    }
    Ok(())
}

/// Every tier.
pub fn all() -> Result {
    worker()?;
    client()?;
    game()?;
    detect()?;
    pool()?;
    spin()
}

/// The Worker's wasm as worker-build leaves it.
pub fn worker_wasm() -> PathBuf {
    project::root().join("edge/build/index_bg.wasm")
}

/// The browser module's wasm after wasm-bindgen and wasm-opt.
pub fn client_wasm() -> PathBuf {
    project::build_dir().join("site/pkg/edgepix_client_bg.wasm")
}

/// The game runtime's wasm after wasm-bindgen and wasm-opt.
pub fn game_wasm() -> PathBuf {
    project::build_dir().join("site/game/edgepix_game_bg.wasm")
}

/// The detector module's wasm after wasm-bindgen (and wasm-opt when asked).
pub fn detect_wasm() -> PathBuf {
    project::build_dir().join("site/detect/edgepix_detect_bg.wasm")
}

/// Where the site serves NudeNet's detector for private mode.
pub fn site_detector() -> PathBuf {
    project::build_dir().join("site/models/320n.onnx")
}

/// The shared crate's pipeline as a bare wasm module, for the transform
/// benchmark (`xtask/render-wasm`).
pub fn render_wasm() -> PathBuf {
    target_dir().join("wasm32-unknown-unknown/release/edgepix_render_wasm.wasm")
}

/// The pool server binary.
pub fn pool_bin() -> PathBuf {
    target_dir().join("release/edgepix-pool")
}

/// The Spin component.
pub fn spin_wasm() -> PathBuf {
    target_dir().join("wasm32-wasip2/release/edgepix_spin.wasm")
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| project::root().join("target"), PathBuf::from)
}

/// Builds the Worker unless nothing it is built from changed.
pub fn worker() -> Result {
    let root = project::root();
    let stamp = root.join("edge/build/.xtask-stamp");
    templates()?;
    let inputs = ["edge/src", "edge/Cargo.toml", "core", "vendor", "Cargo.toml", "Cargo.lock", ".cargo/config.toml"];
    if is_fresh(&stamp, &inputs) {
        eprintln!("xtask: worker is up to date");
        return Ok(());
    }
    let _ = std::fs::remove_file(&stamp);
    cmd::timed("build: worker", || {
        cmd::run(
            cmd::new(project::tools_bin().join("worker-build"))
                .arg("--release")
                .current_dir(root.join("edge"))
                .env("WASM_BINDGEN_BIN", project::tools_bin().join("wasm-bindgen"))
                .env("WASM_OPT_BIN", project::node_bin("wasm-opt"))
                .env("ESBUILD_BIN", project::node_bin("esbuild")),
        )
    })?;
    report_size("worker wasm", &worker_wasm());
    std::fs::write(&stamp, b"").map_err(|e| format!("cannot write {}: {e}", stamp.display()))
}

/// Lays out the files the Worker reads from its static assets
/// (`edge/src/templates.rs`): the page templates and the OpenAPI document,
/// in `build/site/templates/`.
fn templates() -> Result {
    let root = project::root();
    let out = project::build_dir().join("site/templates");
    copy_dir(&root.join("r2-assets/templates"), &out)?;
    link_or_copy(&root.join("edge/openapi.json"), &out.join("openapi.json"))
}

/// The wasm features rustc emits for our wasm32 targets (SIMD included, see
/// `.cargo/config.toml`); wasm-opt may use these and no others, so the
/// output runs wherever the input did.
const WASM_FEATURES: [&str; 7] = [
    "--enable-simd",
    "--enable-bulk-memory",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// Builds the browser module and the static site around it.
pub fn client() -> Result {
    let root = project::root();
    let site = project::build_dir().join("site");
    copy_dir(&root.join("r2-assets/public"), &site)?;
    let stamp = site.join("pkg/.xtask-stamp");
    if is_fresh(&stamp, &["wasm-client", "core", "vendor", "Cargo.toml", "Cargo.lock", ".cargo/config.toml"]) {
        eprintln!("xtask: client is up to date");
        return Ok(());
    }
    let _ = std::fs::remove_file(&stamp);
    cmd::timed("build: client", || {
        let pkg = site.join("pkg");
        browser_module("edgepix-client", &pkg, Typings::Emit, true)?;
        // The npm package around it (package.json, README).
        copy_dir(&root.join("wasm-client/npm"), &pkg)
    })?;
    report_size("client wasm", &client_wasm());
    std::fs::write(&stamp, b"").map_err(|e| format!("cannot write {}: {e}", stamp.display()))
}

/// Builds the game runtime into `build/site/game/` (served at `/game/`).
pub fn game() -> Result {
    let out = project::build_dir().join("site/game");
    let stamp = out.join(".xtask-stamp");
    if is_fresh(&stamp, &["game-client", "core", "vendor", "Cargo.toml", "Cargo.lock", ".cargo/config.toml"]) {
        eprintln!("xtask: game is up to date");
        return Ok(());
    }
    let _ = std::fs::remove_file(&stamp);
    cmd::timed("build: game", || {
        browser_module("edgepix-game", &out, Typings::Skip, true)
    })?;
    report_size("game wasm", &game_wasm());
    std::fs::write(&stamp, b"").map_err(|e| format!("cannot write {}: {e}", stamp.display()))
}

/// Builds the detector module into `build/site/detect/` (served at
/// `/detect/`) and puts the detector model beside it at
/// `/models/320n.onnx`. wasm-opt runs only with `EDGEPIX_WASM_OPT=1`: on
/// this 17 MB module it takes minutes and saves under a tenth of the gzip
/// size, too slow for every `dev` and `test` build.
pub fn detect() -> Result {
    let models = project::build_dir().join("site/models");
    std::fs::create_dir_all(&models).map_err(|e| format!("cannot create {}: {e}", models.display()))?;
    let detector = setup::detector_path();
    if !detector.exists() {
        return Err(format!("{} is missing: run `cargo xtask setup`", detector.display()));
    }
    link_or_copy(&detector, &site_detector())?;
    let out = project::build_dir().join("site/detect");
    let stamp = out.join(".xtask-stamp");
    let optimize = std::env::var("EDGEPIX_WASM_OPT").is_ok_and(|v| v == "1");
    let stamped = std::fs::read_to_string(&stamp).unwrap_or_default();
    let inputs = ["detect-client", "functions/inference", "core", "vendor", "Cargo.toml", "Cargo.lock", ".cargo/config.toml"];
    if is_fresh(&stamp, &inputs) && (stamped == "optimized" || !optimize) {
        eprintln!("xtask: detect is up to date");
        return Ok(());
    }
    let _ = std::fs::remove_file(&stamp);
    cmd::timed("build: detect", || {
        browser_module("edgepix-detect", &out, Typings::Skip, optimize)
    })?;
    report_size("detect wasm", &detect_wasm());
    std::fs::write(&stamp, if optimize { "optimized" } else { "" }).map_err(|e| format!("cannot write {}: {e}", stamp.display()))
}

/// Whether wasm-bindgen writes TypeScript declarations beside the module.
#[derive(PartialEq)]
enum Typings {
    Emit,
    Skip,
}

/// Builds workspace `package` for the browser: cargo for
/// `wasm32-unknown-unknown`, wasm-bindgen (`--target web`) into `out`,
/// then, when `optimize`, wasm-opt `-Oz` on the module in place.
fn browser_module(package: &str, out: &Path, typings: Typings, optimize: bool) -> Result {
    cmd::run(cmd::cargo().args(["build", "--release", "--target", "wasm32-unknown-unknown", "-p", package]))?;
    let stem = package.replace('-', "_");
    let raw = target_dir().join(format!("wasm32-unknown-unknown/release/{stem}.wasm"));
    let mut bindgen = cmd::new(project::tools_bin().join("wasm-bindgen"));
    bindgen.args(["--target", "web"]);
    if typings == Typings::Skip {
        bindgen.arg("--no-typescript");
    }
    cmd::run(bindgen.args(["--remove-name-section", "--remove-producers-section", "--out-dir"]).arg(out).arg(&raw))?;
    if optimize {
        let wasm = out.join(format!("{stem}_bg.wasm"));
        cmd::run(cmd::new(project::node_bin("wasm-opt")).arg("-Oz").args(WASM_FEATURES).arg("-o").arg(&wasm).arg(&wasm))?;
    }
    Ok(())
}

/// The workspace members outside `cargo xtask test`'s unit step (the wasm
/// crates, the end-to-end tests, xtask); [`pool`] leaves them out too, so
/// that both commands select the same packages.
pub const UNIT_EXCLUDED: [&str; 6] = ["edgepix-edge", "edgepix-client", "edgepix-detect", "edgepix-spin", "edgepix-e2e", "xtask"];

/// Builds the native pool server, in release, with the same package
/// selection as the unit tests' `cargo test --release`: cargo unifies
/// features over the packages a command selects, and `-p edgepix-pool`
/// alone leaves some off (syn's `visit`, futures' `std`), which changes
/// every crate above them and made this build compile tract a second time
/// (5 minutes on 2 cores) after the unit tests had.
pub fn pool() -> Result {
    cmd::timed("build: pool", || {
        let mut c = cmd::cargo();
        c.args(["build", "--release", "--workspace"]);
        for p in UNIT_EXCLUDED {
            c.args(["--exclude", p]);
        }
        cmd::run(&mut c)
    })
}

/// Builds the Spin component and lays out the files `spin.toml` maps.
pub fn spin() -> Result {
    cmd::timed("build: spin component", || cmd::run(cmd::cargo().args(["build", "--release", "--target", "wasm32-wasip2", "-p", "edgepix-spin"])))?;
    report_size("spin component", &spin_wasm());
    let models = project::build_dir().join("models");
    std::fs::create_dir_all(&models).map_err(|e| format!("cannot create {}: {e}", models.display()))?;
    let detector = setup::detector_path();
    if detector.exists() {
        link_or_copy(&detector, &models.join("nudenet-320n.onnx"))?;
    }
    Ok(())
}

/// Gzip size of a file, as `gzip -9` gives it.
pub fn gzip_size(path: &Path) -> Option<u64> {
    let out = std::process::Command::new("gzip").arg("-9c").arg(path).output().ok()?;
    out.status.success().then_some(out.stdout.len() as u64)
}

fn report_size(what: &str, path: &Path) {
    let raw = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let gz = gzip_size(path).unwrap_or(0);
    eprintln!("xtask: {what}: {:.0} KiB raw, {:.0} KiB gzip ({})", raw as f64 / 1024.0, gz as f64 / 1024.0, path.display());
}

/// Whether `stamp` is newer than every file under `inputs` (paths relative
/// to the repository root).
fn is_fresh(stamp: &Path, inputs: &[&str]) -> bool {
    let Ok(stamped) = std::fs::metadata(stamp).and_then(|m| m.modified()) else { return false };
    let root = project::root();
    inputs.iter().all(|i| newest(&root.join(i)).is_none_or(|t| t <= stamped))
}

fn newest(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_dir() {
        return meta.modified().ok();
    }
    std::fs::read_dir(path).ok()?.filter_map(|e| e.ok()).filter_map(|e| newest(&e.path())).max()
}

fn copy_dir(from: &Path, to: &Path) -> Result {
    std::fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    let entries = std::fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    for entry in entries.filter_map(|e| e.ok()) {
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dst)?;
        } else if !setup::is_newer(&dst, &src) {
            std::fs::copy(&src, &dst).map_err(|e| format!("cannot copy {}: {e}", src.display()))?;
        }
    }
    Ok(())
}

fn link_or_copy(from: &Path, to: &Path) -> Result {
    if to.exists() && setup::is_newer(to, from) {
        return Ok(());
    }
    let _ = std::fs::remove_file(to);
    std::fs::hard_link(from, to).or_else(|_| std::fs::copy(from, to).map(|_| ())).map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}
