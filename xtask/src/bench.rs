//! `cargo xtask bench transform`: the edge image engine against sharp.
//! `cargo xtask bench inference`: the function pool against NudeNet-Python.
//! `cargo xtask bench auth`: sign-up, sign-in and token checks in the local
//! Worker against a request that does no account work, and the KDF natively.
//! `cargo xtask bench client`: a 1920x1080 protected-view frame in headless
//! Chromium through the browser module and through plain JavaScript.
//! `cargo xtask bench game`: a pet photo to a playable game on the local
//! system, by stage; the game page's wasm size and frame time in Chromium.
//! `cargo xtask bench blur`: the safe-blur's CPU time on a 12 MP photo in
//! the local Worker, in wasm on the whole frame, and natively.
//! `cargo xtask bench studio`: private mode's in-browser detection of a
//! 12 MP photo in headless Chromium, by stage, against the native pool on
//! tract and on ONNX Runtime.
//!
//! In one run: a 12 MP JPEG (a real photo upscaled) to 1024 px wide, JPEG
//! q80 and WebP, through the local Worker over HTTP (caches bypassed),
//! through the native shared crate, the pipeline alone as wasm in node and
//! in workerd, and through npm `sharp` (libvips, one thread), a Worker
//! request and a sharp call in turn so that both see the same load;
//! medians and the Worker/sharp ratio; the 48 MP case with the Worker's
//! wasm memory peak; the Worker's gzip size. Timings are printed, never
//! asserted.

use std::path::Path;

use serde_json::Value;

use crate::system::{self, Options};
use crate::{Result, accounts, build, cmd, dev, project, setup};

const RUNS: &str = "15";

/// Dispatches `cargo xtask bench <what>`.
pub fn run(args: &[String]) -> Result {
    match args.first().map(String::as_str) {
        Some("transform") => transform(),
        Some("inference") => inference(),
        Some("auth") => auth(),
        Some("client") => client(),
        Some("game") => game(),
        Some("blur") => blur(),
        Some("studio") => studio(),
        _ => Err("usage: cargo xtask bench transform|inference|auth|client|game|blur|studio".to_owned()),
    }
}

/// Games made per photo in the game benchmark (the creation limit is 10 an
/// hour per creator, so two photos times this stays under it).
const GAME_RUNS: &str = "3";

/// In one run on the local system (Worker, queue, pool on ONNX Runtime):
/// for the cat photo and one more, the time from `POST /api/v1/games` to a
/// ready game and to the game page's `ready` event in Chromium, with the
/// Worker's stage times; then the game page's wasm gzip size and its time
/// per frame (update and draw). Timings are printed, never asserted.
fn game() -> Result {
    setup::ensure(setup::Needs { browser: true })?;
    build::worker()?;
    build::client()?;
    build::game()?;
    build::pool()?;
    let out = project::root().join("target/bench-game");
    let mut sys = start(&out)?;
    let token = accounts::creator(&sys.worker_url, "bench-game@edgepix.test", &format!("pw-{}", dev::random_hex(16)?), "bench", "198.51.100.8")?;
    let report = cmd::output(
        cmd::new("node")
            .arg("xtask/bench/game.mjs")
            .arg(setup::photos_dir().join("chelsea.png"))
            .arg(setup::photos_dir().join("astronaut.png"))
            .arg(GAME_RUNS)
            .env("EDGEPIX_URL", &sys.worker_url)
            .env("EDGEPIX_TOKEN", &token)
            .env("CHROMIUM", "/usr/bin/chromium"),
    );
    sys.stop();
    let r: Value = serde_json::from_str(report?.trim()).map_err(|e| format!("bench output: {e}"))?;
    let f = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    println!("game benchmark: photo -> playable game on the local system (wrangler dev, queue, pool on ONNX Runtime, 2 CPU cores), median of {GAME_RUNS} games per photo (ms)");
    let stages = ["photo", "cutout", "pixel_art", "levels", "store"];
    print!("{:<16} {:>9} {:>9}", "photo", "to ready", "to page");
    for s in stages {
        print!(" {s:>10}");
    }
    println!(" {:>8}", "queue+D1");
    for p in r["photos"].as_array().into_iter().flatten() {
        print!("{:<16} {:>9.0} {:>9.0}", p["name"].as_str().unwrap_or("?"), f(&p["ready_ms"]), f(&p["page_ms"]));
        let mut staged = 0.0;
        for s in stages {
            let ms = f(&p["stages"][s]);
            staged += ms;
            print!(" {ms:>10.0}");
        }
        println!(" {:>8.0}", f(&p["ready_ms"]) - staged);
    }
    println!("goal: under 10 000 ms from photo to playable game");
    println!("game page: wasm {:.1} KiB gzip; frame time (update + draw) median {:.2} ms, p95 {:.2} ms over {} frames in headless Chromium", build::gzip_size(&build::game_wasm()).unwrap_or(0) as f64 / 1024.0, f(&r["frame"]["median_ms"]), f(&r["frame"]["p95_ms"]), r["frame"]["frames"]);
    Ok(())
}

/// The `full` safe-blur on a 12 MP photo, in one run: through the local
/// Worker (a real analysis, every class `blur:full` with padding 0.5, served
/// 2048 px wide, the most its 32 MiB decode budget gives a 12 MP photo,
/// against the same request without a policy; workerd runs one request on
/// one thread, so the wall-time difference is the blur's CPU time), in
/// wasm in V8 on the whole frame (the browser module's `applyPolicy`, the
/// same code), and natively on the whole frame. Printed, never asserted.
fn blur() -> Result {
    setup::ensure(setup::Needs::default())?;
    build::worker()?;
    build::client()?;
    build::pool()?;
    let out = project::root().join("target/bench-blur");
    let mut sys = start(&out)?;
    let token = accounts::creator(&sys.worker_url, "bench-blur@edgepix.test", &format!("pw-{}", dev::random_hex(16)?), "bench", "198.51.100.9")?;
    let report = cmd::output(
        cmd::new("node")
            .arg("xtask/bench/blur.mjs")
            .arg(&out)
            .arg(setup::photos_dir().join("astronaut.png"))
            .arg(project::build_dir().join("site/pkg"))
            .arg("7")
            .env("EDGEPIX_URL", &sys.worker_url)
            .env("EDGEPIX_TOKEN", &token),
    );
    sys.stop();
    let r: Value = serde_json::from_str(report?.trim()).map_err(|e| format!("bench output: {e}"))?;
    let native = cmd::output(cmd::cargo().args(["run", "--quiet", "--release", "-p", "edgepix-core", "--example", "blur", "--", "4000", "3000", "full", "7"]))?;
    let f = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    println!("safe-blur benchmark: `full` (kernel 99 / sigma 75 at 1024 px, scaled to 4000x3000: kernel 387, sigma 293), 12 MP, median of 7 runs");
    let found: Vec<&str> = r["detections"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    println!("local Worker, astronaut.png upscaled to 4000x3000 JPEG, analysed by the pool: {} detection(s) ({}), padded regions {:.1} % of the frame", found.len(), found.join(", "), f(&r["region_share"]) * 100.0);
    println!("{:<58} {:>10}", "", "median ms");
    println!("{:<58} {:>10.1}", "Worker: /img/width=2048,format=jpeg,quality=85", f(&r["worker_plain_ms"]));
    println!("{:<58} {:>10.1}", "Worker: the same with policy (all classes blur:full)", f(&r["worker_policy_ms"]));
    println!("{:<58} {:>10.1}", "Worker CPU of the blur (difference)", f(&r["worker_policy_ms"]) - f(&r["worker_plain_ms"]));
    println!("{:<58} {:>10.1}", "wasm in V8 (applyPolicy), whole 12 MP frame", f(&r["wasm_whole_frame_ms"]));
    println!("native (core example), whole frame: {}", native.trim());
    println!("Workers' CPU limit: 30 000 ms by default on paid plans (up to 300 000), 10 ms on the free plan");
    Ok(())
}

/// Runs per backend in the studio benchmark, after one warm-up.
const STUDIO_RUNS: &str = "10";

/// In one run on the local system: a 12 MP JPEG (astronaut.png upscaled)
/// chosen on `/studio/local` in headless Chromium (decode in the browser,
/// then preprocess, inference and postprocess in the detector module, tract
/// in wasm, in the page's Web Worker), and the same file through the
/// native pool on tract and on ONNX Runtime; medians by stage and the
/// ratios. Timings are printed, never asserted.
fn studio() -> Result {
    setup::ensure(setup::Needs { browser: true })?;
    build::worker()?;
    build::client()?;
    build::detect()?;
    build::pool()?;
    let out = project::root().join("target/bench-studio");
    let secret = dev::random_hex(32)?;
    let state = out.join("state");
    let _ = std::fs::remove_dir_all(&state);
    let mut sys = system::start(&Options {
        port: system::free_port()?,
        pool_port: system::free_port()?,
        spin_port: None,
        state,
        pool_secret: secret.clone(),
        jwt_keys: accounts::new_jwt_key()?,
        view_secret: dev::random_hex(32)?,
        proof_keys: accounts::new_jwt_key()?,
        admin_emails: String::new(),
        logs: Some(out.clone()),
    })?;
    let report = cmd::output(
        cmd::new("node")
            .arg("xtask/bench/studio.mjs")
            .arg(&out)
            .arg(setup::photos_dir().join("astronaut.png"))
            .arg(STUDIO_RUNS)
            .env("EDGEPIX_URL", &sys.worker_url)
            .env("EDGEPIX_POOL_URL", &sys.pool_url)
            .env("EDGEPIX_POOL_SECRET", &secret)
            .env("CHROMIUM", "/usr/bin/chromium"),
    );
    sys.stop();
    let r: Value = serde_json::from_str(report?.trim()).map_err(|e| format!("bench output: {e}"))?;
    let f = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    println!(
        "studio benchmark: NudeNet 320n on a {}x{} photo (astronaut.png upscaled, JPEG q90, {:.1} MiB), median of {STUDIO_RUNS} runs after a warm-up (ms)",
        r["size"][0],
        r["size"][1],
        f(&r["bytes"]) / 1048576.0
    );
    println!("{:<47} {:>8} {:>11} {:>10} {:>12} {:>8} {:>8}", "", "decode", "preprocess", "inference", "postprocess", "sum", "wall");
    let sum = |v: &Value| ["decode_ms", "preprocess_ms", "inference_ms", "postprocess_ms"].iter().map(|k| f(&v[k])).sum::<f64>();
    let rows = [
        ("browser: Chromium decode + tract wasm (Worker)", &r["browser"]),
        ("pool over HTTP: tract, native", &r["tract"]),
        ("pool over HTTP: ONNX Runtime, native", &r["onnxruntime"]),
    ];
    for (name, v) in rows {
        println!("{name:<47} {:>8.1} {:>11.1} {:>10.1} {:>12.1} {:>8.1} {:>8.1}", f(&v["decode_ms"]), f(&v["preprocess_ms"]), f(&v["inference_ms"]), f(&v["postprocess_ms"]), sum(v), f(&v["wall_ms"]));
    }
    let b = &r["browser"];
    println!(
        "ratio browser/native, sum of stages: {:.2} against tract, {:.2} against ONNX Runtime; inference alone: {:.2} and {:.2}",
        sum(b) / sum(&r["tract"]),
        sum(b) / sum(&r["onnxruntime"]),
        f(&b["inference_ms"]) / f(&r["tract"]["inference_ms"]),
        f(&b["inference_ms"]) / f(&r["onnxruntime"]["inference_ms"])
    );
    println!(
        "browser, first photo: {:.0} ms from choosing it to the detections, {:.0} ms of it loading the detector (module and model fetched, compiled, optimised); the page's applyPolicy round trip with the default policy {:.0} ms",
        f(&b["first_wall_ms"]),
        f(&b["load_ms"]),
        f(&b["blur_ms"])
    );
    let wasm = build::detect_wasm();
    let raw = std::fs::metadata(&wasm).map(|m| m.len()).unwrap_or(0) as f64 / 1048576.0;
    let model = std::fs::metadata(build::site_detector()).map(|m| m.len()).unwrap_or(0) as f64 / 1048576.0;
    println!(
        "detector module: {raw:.1} MiB raw, {:.1} MiB gzip; model {model:.1} MiB ({:.1} MiB gzip)",
        build::gzip_size(&wasm).unwrap_or(0) as f64 / 1048576.0,
        build::gzip_size(&build::site_detector()).unwrap_or(0) as f64 / 1048576.0
    );
    Ok(())
}

fn client() -> Result {
    setup::ensure(setup::Needs { browser: true })?;
    build::client()?;
    let out = cmd::output(
        cmd::new("node")
            .arg("xtask/bench/client.mjs")
            .arg(project::build_dir().join("site"))
            .arg(setup::photos_dir().join("coffee.png"))
            .arg(RUNS)
            .env("CHROMIUM", "/usr/bin/chromium"),
    )?;
    let v: Value = serde_json::from_str(out.trim()).map_err(|e| format!("bench output: {e}: {out}"))?;
    let ms = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    println!("client benchmark: one {}x{} protected-view frame (descramble {}x{} tiles of {} px, noise 0.2, overlay 1, watermark) in headless Chromium, median of {RUNS} runs", v["width"], v["height"], v["grid"]["cols"], v["grid"]["rows"], v["grid"]["tile"]);
    println!("{:<40} {:>10}", "", "median ms");
    println!("{:<40} {:>10.2}", "wasm module (composeView)", ms("wasm_ms"));
    println!("{:<40} {:>10.2}", "plain JavaScript, same algorithm", ms("js_ms"));
    println!("ratio JS/wasm: {:.2} (goal >= 3); wasm per frame {:.2} ms (goal <= 16)", ms("js_ms") / ms("wasm_ms"), ms("wasm_ms"));
    println!("outputs identical: {} ({} differing bytes)", v["identical"], v["differing_bytes"]);
    println!("browser module: {:.1} KiB gzip (goal <= 150)", build::gzip_size(&build::client_wasm()).unwrap_or(0) as f64 / 1024.0);
    if v["identical"] != true {
        return Err("the wasm and JavaScript outputs differ".to_owned());
    }
    Ok(())
}

fn transform() -> Result {
    setup::ensure(setup::Needs::default())?;
    build::worker()?;
    build::client()?;
    build::pool()?;
    let out = project::root().join("target/bench");
    let mut sys = start(&out)?;
    let token = accounts::creator(&sys.worker_url, "bench@edgepix.test", &format!("pw-{}", dev::random_hex(16)?), "bench", "198.51.100.7")?;
    let js = cmd::output(
        cmd::new("node")
            .arg("xtask/bench/transform.mjs")
            .arg(&out)
            .arg(setup::photos_dir().join("coffee.png"))
            .arg(RUNS)
            .env("EDGEPIX_URL", &sys.worker_url)
            .env("EDGEPIX_TOKEN", &token),
    );
    sys.stop();
    let js: Value = serde_json::from_str(js?.trim()).map_err(|e| format!("bench output: {e}"))?;
    let native_jpeg = native(&out.join("photo-12mp.jpg"), "width=1024,format=jpeg,quality=80")?;
    let native_webp = native(&out.join("photo-12mp.jpg"), "width=1024,format=webp,quality=80")?;
    let native_48 = native(&out.join("photo-48mp.jpg"), "width=1024,format=jpeg,quality=80")?;
    cmd::run(cmd::cargo().args(["build", "--quiet", "--release", "--target", "wasm32-unknown-unknown", "-p", "edgepix-render-wasm"]))?;
    let v8_jpeg = wasm_in_v8(&out.join("photo-12mp.jpg"), "width=1024,format=jpeg,quality=80")?;
    let v8_webp = wasm_in_v8(&out.join("photo-12mp.jpg"), "width=1024,format=webp,quality=80")?;
    let workerd_jpeg = wasm_in_workerd(&out.join("photo-12mp.jpg"), "width=1024,format=jpeg,quality=80")?;
    let workerd_webp = wasm_in_workerd(&out.join("photo-12mp.jpg"), "width=1024,format=webp,quality=80")?;

    let ms = |v: &Value| v["median_ms"].as_f64().unwrap_or(f64::NAN);
    let kb = |v: &Value| v["bytes"].as_f64().unwrap_or(0.0) / 1024.0;
    println!("transform benchmark: 12 MP JPEG (4000x3000, coffee.png upscaled) -> 1024 px wide, median of {RUNS} runs (a Worker request and a sharp call in turn)");
    println!("{:<44} {:>10} {:>10}", "", "median ms", "KiB");
    let rows = [
        ("Worker over HTTP, JPEG q80", &js["worker_jpeg"]),
        ("native edgepix-core, JPEG q80", &native_jpeg),
        ("edgepix-core as wasm in node (V8), JPEG q80", &v8_jpeg),
        ("edgepix-core as wasm in workerd, JPEG q80", &workerd_jpeg),
        ("sharp (libvips, 1 thread), JPEG q80", &js["sharp_jpeg"]),
        ("Worker over HTTP, WebP q80", &js["worker_webp"]),
        ("native edgepix-core, WebP q80", &native_webp),
        ("edgepix-core as wasm in node (V8), WebP q80", &v8_webp),
        ("edgepix-core as wasm in workerd, WebP q80", &workerd_webp),
        ("sharp, WebP q80", &js["sharp_webp"]),
        ("Worker over HTTP, 48 MP -> 1024 JPEG q80", &js["worker_48mp_jpeg"]),
        ("native edgepix-core, 48 MP -> 1024 JPEG", &native_48),
        ("sharp, 48 MP -> 1024 JPEG q80", &js["sharp_48mp_jpeg"]),
    ];
    for (name, v) in rows {
        println!("{name:<44} {:>10.1} {:>10.1}", ms(v), kb(v));
    }
    println!("ratio Worker/sharp, JPEG: {:.2}", ms(&js["worker_jpeg"]) / ms(&js["sharp_jpeg"]));
    println!("ratio Worker/sharp, WebP: {:.2}", ms(&js["worker_webp"]) / ms(&js["sharp_webp"]));
    println!("ratio Worker/sharp, 48 MP JPEG: {:.2}", ms(&js["worker_48mp_jpeg"]) / ms(&js["sharp_48mp_jpeg"]));
    println!("ratio native/sharp, JPEG: {:.2}", ms(&native_jpeg) / ms(&js["sharp_jpeg"]));
    // The render alone on the Worker's engine, without HTTP, D1 and R2 (and
    // timed after the Worker's runs, not in turn with sharp's).
    println!("ratio wasm in V8/sharp, JPEG: {:.2}, WebP: {:.2}", ms(&v8_jpeg) / ms(&js["sharp_jpeg"]), ms(&v8_webp) / ms(&js["sharp_webp"]));
    // The same module in workerd, which checks every wasm memory access
    // (its clock moves in whole milliseconds: the mean, not the median).
    let mean = |v: &Value| v["mean_ms"].as_f64().unwrap_or(f64::NAN);
    println!("ratio wasm in workerd/sharp (means), JPEG: {:.2}, WebP: {:.2}", mean(&workerd_jpeg) / ms(&js["sharp_jpeg"]), mean(&workerd_webp) / ms(&js["sharp_webp"]));
    // The Worker's own Server-Timing: reading the original from (local) R2,
    // and the render itself (decode, resize, encode), which is what sharp's
    // time covers.
    let stage = |v: &Value, k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    for (name, key, peer) in [("JPEG", "worker_jpeg", "sharp_jpeg"), ("WebP", "worker_webp", "sharp_webp"), ("48 MP JPEG", "worker_48mp_jpeg", "sharp_48mp_jpeg")] {
        let (original, render) = (stage(&js[key], "original_ms"), stage(&js[key], "render_ms"));
        println!("Worker {name}: original from R2 {original:.0} ms, render {render:.0} ms; render/sharp {:.2}", render / ms(&js[peer]));
    }
    let peak = js["worker_memory"]["wasm_memory_peak_bytes"].as_f64().unwrap_or(0.0) / 1048576.0;
    println!("Worker wasm memory peak after the runs (48 MP included): {peak:.1} MiB (budget 112 MiB)");
    let wasm = build::worker_wasm();
    println!("Worker wasm: {:.0} KiB gzip", build::gzip_size(&wasm).unwrap_or(0) as f64 / 1024.0);
    Ok(())
}

/// The system on free ports with fresh state under `out` (logs there too).
fn start(out: &Path) -> Result<system::System> {
    let state = out.join("state");
    let _ = std::fs::remove_dir_all(&state);
    system::start(&Options {
        port: system::free_port()?,
        pool_port: system::free_port()?,
        spin_port: None,
        state,
        pool_secret: dev::random_hex(32)?,
        jwt_keys: accounts::new_jwt_key()?,
        view_secret: dev::random_hex(32)?,
        proof_keys: accounts::new_jwt_key()?,
        admin_emails: String::new(),
        logs: Some(out.to_path_buf()),
    })
}

/// The shared crate's pipeline as wasm in node (V8): `xtask/render-wasm`.
fn wasm_in_v8(file: &Path, options: &str) -> Result<Value> {
    let out = cmd::output(cmd::new("node").arg("xtask/bench/render-v8.mjs").arg(build::render_wasm()).arg(file).arg(options).arg(RUNS))?;
    serde_json::from_str(out.trim()).map_err(|e| format!("V8 bench output: {e}"))
}

/// The same module in workerd itself, under `workerd serve`: the Worker's
/// runtime without a Worker request's HTTP, D1 and R2
/// (`xtask/bench/render-workerd.mjs`).
fn wasm_in_workerd(file: &Path, options: &str) -> Result<Value> {
    let out = cmd::output(cmd::new("node").arg("xtask/bench/render-workerd.mjs").arg(build::render_wasm()).arg(file).arg(options).arg(RUNS))?;
    serde_json::from_str(out.trim()).map_err(|e| format!("workerd bench output: {e}"))
}

fn native(file: &Path, options: &str) -> Result<Value> {
    let out = cmd::output(cmd::cargo().args(["run", "--quiet", "--release", "-p", "edgepix-core", "--example", "transform", "--"]).arg(file).arg(options).arg(RUNS))?;
    serde_json::from_str(out.trim()).map_err(|e| format!("native bench output: {e}"))
}

/// Requests per kind in the auth benchmark.
const AUTH_RUNS: usize = 15;

/// In one run against the local Worker: the median wall time of a login
/// that fails before any account work (a malformed email: the same rate
/// limit hits and routing), of a login of an unknown email (the KDF is
/// spent anyway), of a real login, of a sign-up, and of a request with an
/// access token; the ratio of each to the first; and the KDF natively.
/// Every login comes from its own client address and account, so no rate
/// limit is reached.
fn auth() -> Result {
    setup::ensure(setup::Needs::default())?;
    build::worker()?;
    build::client()?;
    build::pool()?;
    let out = project::root().join("target/bench-auth");
    let mut sys = start(&out)?;
    let timed = accounts::time_auth(&sys.worker_url, AUTH_RUNS);
    sys.stop();
    let rows = timed?;
    let iterations = "100000";
    let native = cmd::output(cmd::cargo().args(["run", "--quiet", "--release", "-p", "edgepix-core", "--example", "kdf", "--", iterations, "15"]))?;
    let native: Value = serde_json::from_str(native.trim()).map_err(|e| format!("kdf output: {e}"))?;
    println!("auth benchmark: local Worker over HTTP (wrangler dev), PBKDF2-SHA256 {iterations} iterations, median of {AUTH_RUNS} requests (ms)");
    let base = rows.first().map_or(f64::NAN, |r| r.1);
    for (name, ms) in &rows {
        println!("{name:<58} {ms:>8.1}   x{:.1}", ms / base);
    }
    println!("login CPU beyond routing and rate limits (real login - malformed login): {:.1} ms", rows.get(2).map_or(f64::NAN, |r| r.1) - base);
    println!("native PBKDF2 verification, same iterations: {:.1} ms", native["median_ms"].as_f64().unwrap_or(f64::NAN));
    Ok(())
}

/// Runs per photo for the inference benchmark.
const INFERENCE_RUNS: &str = "15";

/// In one run: per-photo median time, image bytes to JSON, of the pool on
/// each backend (over HTTP, warm) and of `NudeDetector.detect` (in
/// process, warm), with the ratios; throughput at the pool's full
/// concurrency; ISNet on a 1024 px photo; the Spin component under
/// wasmtime; the pool's memory with both models loaded.
fn inference() -> Result {
    setup::ensure(setup::Needs::default())?;
    system::handle_signals()?;
    build::pool()?;
    build::spin()?;
    let python = crate::parity::venv_python()?;
    let out = project::root().join("target/bench");
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let secret = dev::random_hex(32)?;
    let mut sys = system::start_pools(system::free_port()?, Some(system::free_port()?), &secret, Some(&out))?;
    let loaded = sys.pool_memory_mib();
    let report = cmd::output(
        std::process::Command::new(&python)
            .arg(project::root().join("xtask/bench/inference.py"))
            .arg(&sys.pool_url)
            .arg(sys.spin_url.clone().unwrap_or_else(|| "-".to_owned()))
            .arg(&secret)
            .arg(setup::photos_dir())
            .arg(setup::segmenter_path())
            .arg(INFERENCE_RUNS),
    );
    let after = sys.pool_memory_mib();
    sys.stop();
    let r: Value = serde_json::from_str(report?.trim()).map_err(|e| format!("bench output: {e}"))?;
    let f = |v: &Value| v.as_f64().unwrap_or(f64::NAN);
    println!("inference benchmark: NudeNet 320n detection, image bytes -> JSON, median of {INFERENCE_RUNS} warm runs (ms)");
    println!("{:<22} {:>10} {:>12} {:>8} {:>8} {:>10} {:>9} {:>9}", "photo", "size", "NudeNet-py", "ort", "tract", "spin", "ort/py", "tract/py");
    let (mut py_sum, mut ort_sum, mut tract_sum) = (0.0, 0.0, 0.0);
    for p in r["photos"].as_array().into_iter().flatten() {
        let size = format!("{}x{}", p["size"][0], p["size"][1]);
        let (py, o, t) = (f(&p["nudenet_python"]), f(&p["onnxruntime"]), f(&p["tract"]));
        (py_sum, ort_sum, tract_sum) = (py_sum + py, ort_sum + o, tract_sum + t);
        println!(
            "{:<22} {:>10} {:>12.1} {:>8.1} {:>8.1} {:>10.1} {:>9.2} {:>9.2}",
            p["photo"].as_str().unwrap_or("?"),
            size,
            py,
            o,
            t,
            f(&p["spin"]),
            o / py,
            t / py
        );
    }
    println!("ratio over all photos (sum of medians): onnxruntime/NudeNet-Python {:.2}, tract/NudeNet-Python {:.2}", ort_sum / py_sum, tract_sum / py_sum);
    println!(
        "throughput, 120 detections, {} concurrent clients: onnxruntime {:.0}/min, tract {:.0}/min; NudeNet-Python sequential {:.0}/min",
        2 * std::thread::available_parallelism().map_or(1, usize::from),
        f(&r["throughput_onnxruntime_per_min"]),
        f(&r["throughput_tract_per_min"]),
        f(&r["throughput_nudenet_python_per_min"])
    );
    println!(
        "segment (ISNet medium fp32, onnxruntime) of a {}x{} photo, bytes -> cut-out PNG: {:.0} ms; the model alone from Python: {:.0} ms",
        r["segment_size"][0],
        r["segment_size"][1],
        f(&r["segment_pool_ms"]),
        f(&r["segment_python_model_only_ms"])
    );
    if let (Some((rss, _)), Some((rss_after, peak))) = (loaded, after) {
        println!("pool memory: {rss:.0} MiB RSS with both models loaded; {rss_after:.0} MiB after the runs (peak {peak:.0} MiB)");
    }
    Ok(())
}
