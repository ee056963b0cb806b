//! `cargo xtask test`: set up, then every test, then one summary line
//! `N passed, N failed` (non-zero exit on any failure).
//!
//! Order: repository invariants, unit tests of every native crate, the
//! shared crate's and the vendored JPEG decoder's unit tests again as wasm
//! under wasmtime, the browser module's wasm-bindgen tests in headless Chromium, the build of
//! every tier and a `wrangler deploy --dry-run`, then the system started on
//! free loopback ports for the end-to-end tests (`tests/`, reqwest) and the
//! page tests (`tests/pages/`, playwright-core driving Debian chromium).

use std::path::PathBuf;
use std::time::Instant;

use crate::system::{self, Options};
use crate::{Result, accounts, build, cmd, dev, parity, project, setup, tidy};

/// Counts of tests across every runner.
#[derive(Debug, Default)]
struct Tally {
    passed: u64,
    failed: u64,
    failures: Vec<String>,
}

impl Tally {
    /// Reads one line of cargo-test or TAP output; returns failures counted.
    fn read(&mut self, line: &str) -> u64 {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("test result: ") {
            let n = |word: &str| rest.split(';').find_map(|p| p.trim().strip_suffix(word)?.trim().rsplit(' ').next()?.parse::<u64>().ok()).unwrap_or(0);
            self.passed += n("passed");
            let failed = n("failed");
            self.failed += failed;
            return failed;
        }
        if let Some(n) = line.strip_prefix("# pass ").and_then(|n| n.parse::<u64>().ok()) {
            self.passed += n;
        }
        if let Some(n) = line.strip_prefix("# fail ").and_then(|n| n.parse::<u64>().ok()) {
            self.failed += n;
            return n;
        }
        0
    }

    /// Runs a test command; a failure its output did not count is counted
    /// as one failed step.
    fn command(&mut self, step: &str, c: &mut std::process::Command) {
        let mut counted = 0;
        let ok = cmd::run_lines(c, |l| counted += self.read(l));
        match ok {
            Ok(true) => {}
            Ok(false) if counted > 0 => self.failures.push(step.to_owned()),
            Ok(false) => self.fail(step, "exited with failure and no test counted it"),
            Err(e) => self.fail(step, &e),
        }
    }

    fn check(&mut self, step: &str, result: Result) {
        match result {
            Ok(()) => self.passed += 1,
            Err(e) => self.fail(step, &e),
        }
    }

    fn fail(&mut self, step: &str, why: &str) {
        eprintln!("xtask: FAILED {step}: {why}");
        self.failed += 1;
        self.failures.push(step.to_owned());
    }
}

/// The issues' size goals as budgets: the Worker script's compressed size
/// as Cloudflare counts it (wrangler's `Total Upload: ... / gzip: N KiB`
/// from the dry run's output `deploy`), and the browser module's, which
/// every protected view downloads first.
fn size_budgets(deploy: &str) -> Result {
    let worker = upload_gzip_kib(deploy).ok_or("wrangler's dry run printed no `Total Upload: ... / gzip: N KiB` line")?;
    if worker > 1024.0 {
        return Err(format!("Worker script: {worker} KiB gzip, over the 1024 KiB budget"));
    }
    let path = build::client_wasm();
    let client = build::gzip_size(&path).ok_or_else(|| format!("cannot gzip {}", path.display()))?;
    if client > 150 * 1024 {
        return Err(format!("browser module: {client} B gzip, over the {} B budget", 150 * 1024));
    }
    println!("xtask: size budgets: Worker script {worker} KiB gzip (budget 1024), browser module {:.1} KiB gzip (budget 150)", client as f64 / 1024.0);
    Ok(())
}

/// The gzip size in wrangler's `Total Upload: 2532.39 KiB / gzip: 978.55 KiB`.
fn upload_gzip_kib(deploy: &str) -> Option<f64> {
    deploy.lines().find_map(|l| l.split_once("Total Upload:")?.1.split_once("gzip:")?.1.trim().strip_suffix("KiB")?.trim().parse().ok())
}

/// Runs everything.
pub fn run(args: &[String]) -> Result {
    if let Some(a) = args.first() {
        return Err(format!("unknown option {a:?}"));
    }
    let started = Instant::now();
    let mut t = Tally::default();
    if let Err(e) = setup::ensure(setup::Needs { browser: true }) {
        t.fail("setup", &e);
        return finish(&t, started);
    }

    for (name, result) in tidy::checks() {
        t.check(&format!("tidy: {name}"), result);
    }

    // Release, and the packages `build::pool` selects, so that the pool's
    // build reuses every artifact (xtask's `ctrlc` alone turns on a `libc`
    // feature that would make it compile tract again: 6 minutes on CI).
    let mut unit = cmd::cargo();
    unit.args(["test", "--release", "--no-fail-fast", "--workspace"]);
    for e in build::UNIT_EXCLUDED {
        unit.args(["--exclude", e]);
    }
    t.command("unit tests", &mut unit);
    t.command("xtask unit tests", cmd::cargo().args(["test", "--no-fail-fast", "-p", "xtask"]));
    // The shared crate and the vendored codecs again as wasm with SIMD, as
    // the Worker runs them: their `simd128` paths (the RGB widening, the
    // opacity scan, the 4x4 IDCT, the chroma upsampling, the encoder's DCT) are compiled only
    // there, and each is tested against its scalar twin. The vendored
    // crates are not workspace members, so this is where their tests run.
    t.command(
        "unit tests as wasm (wasm32-wasip2 with SIMD, wasmtime)",
        cmd::cargo()
            .args(["test", "--release", "--no-fail-fast", "--target", "wasm32-wasip2", "--lib", "-p", "edgepix-core", "-p", "jpeg-decoder", "-p", "jpeg-encoder", "-p", "vaam-image-webp"])
            .env("CARGO_TARGET_WASM32_WASIP2_RUNNER", format!("{} run -W simd=y", setup::wasmtime_path().display())),
    );

    t.command(
        "browser module tests (wasm-bindgen-test, Chromium)",
        cmd::cargo()
            .args(["test", "-p", "edgepix-client", "--target", "wasm32-unknown-unknown"])
            .current_dir(project::root().join("wasm-client"))
            .env("CHROMEDRIVER", "/usr/bin/chromedriver")
            .env("WASM_BINDGEN_TEST_TIMEOUT", "120"),
    );

    let built = cmd::timed("build all tiers", build::all);
    let built_ok = built.is_ok();
    t.check("build all tiers", built);
    if !built_ok {
        return finish(&t, started);
    }
    let dry_run = project::root().join("target/deploy-dry-run");
    let deploy = cmd::output(cmd::new(project::node_bin("wrangler")).args(["deploy", "--dry-run", "--outdir"]).arg(&dry_run).env("CI", "true"));
    print!("{}", deploy.as_deref().unwrap_or_default());
    t.check("size budgets: Worker script <= 1 MiB gzip, browser module <= 150 KiB gzip", deploy.as_deref().map_err(|e| e.clone()).and_then(size_budgets));
    t.check("wrangler deploy --dry-run", deploy.map(drop));

    t.check("parity: reference outputs (NudeNet, ISNet on onnxruntime, Python)", parity::reference());

    let pool_secret = dev::random_hex(32)?;
    let jwt_keys = accounts::new_jwt_key()?;
    let view_secret = dev::random_hex(32)?;
    let admin_email = "admin@edgepix.test";
    let admin_password = format!("pw-{}", dev::random_hex(16)?);
    let creators = |sys: &system::System| -> Result<(String, String)> {
        let a = accounts::creator(&sys.worker_url, "creator-a@edgepix.test", &format!("pw-{}", dev::random_hex(16)?), "e2e", "198.51.100.1")?;
        let b = accounts::creator(&sys.worker_url, "creator-b@edgepix.test", &format!("pw-{}", dev::random_hex(16)?), "e2e", "198.51.100.2")?;
        Ok((a, b))
    };
    match start_system(&jwt_keys, &view_secret, admin_email, &pool_secret).and_then(|sys| creators(&sys).map(|tokens| (sys, tokens))) {
        Ok((mut sys, (token_a, token_b))) => {
            let url = |u: &Option<String>| u.clone().unwrap_or_default();
            let envs = [
                ("EDGEPIX_URL", sys.worker_url.clone()),
                ("EDGEPIX_POOL_URL", sys.pool_url.clone()),
                ("EDGEPIX_SPIN_URL", url(&sys.spin_url)),
                ("CHROMIUM", "/usr/bin/chromium".to_owned()),
                ("EDGEPIX_PHOTOS", setup::photos_dir().display().to_string()),
                ("EDGEPIX_TOKEN_A", token_a.clone()),
                ("EDGEPIX_TOKEN_B", token_b.clone()),
                ("EDGEPIX_POOL_SECRET", pool_secret.clone()),
                ("EDGEPIX_JWT_KEYS", jwt_keys.clone()),
                ("EDGEPIX_VIEW_SECRET", view_secret.clone()),
                ("EDGEPIX_ADMIN_EMAIL", admin_email.to_owned()),
                ("EDGEPIX_ADMIN_PASSWORD", admin_password.clone()),
                ("EDGEPIX_POOL_BIN", build::pool_bin().display().to_string()),
                ("EDGEPIX_STATE", state_dir().display().to_string()),
                ("EDGEPIX_WRANGLER", project::node_bin("wrangler").display().to_string()),
                ("EDGEPIX_MODELS", project::models().display().to_string()),
                ("EDGEPIX_ONNXRUNTIME", setup::onnxruntime_path().display().to_string()),
                (parity::test_env().0, parity::test_env().1),
            ];
            t.command("end-to-end tests", cmd::cargo().args(["test", "--release", "--no-fail-fast", "-p", "edgepix-e2e"]).envs(envs.clone()));
            t.command("page and quality tests (playwright-core + Chromium, sharp)", cmd::new("node").args(["--test", "--test-reporter=tap", "tests/pages/", "tests/quality/"]).envs(envs));
            if let Err(e) = sys.check_alive() {
                t.fail("system stayed up during the tests", &e);
            }
            sys.stop();
        }
        Err(e) => t.fail("start the system", &e),
    }
    finish(&t, started)
}

fn start_system(jwt_keys: &str, view_secret: &str, admin_email: &str, pool_secret: &str) -> Result<system::System> {
    let state = state_dir();
    let logs = project::root().join("target/xtask-logs");
    let _ = std::fs::remove_dir_all(&state);
    std::fs::create_dir_all(&logs).map_err(|e| format!("cannot create {}: {e}", logs.display()))?;
    let opts = Options {
        port: system::free_port()?,
        pool_port: system::free_port()?,
        spin_port: Some(system::free_port()?),
        state: PathBuf::from(&state),
        pool_secret: pool_secret.to_owned(),
        jwt_keys: jwt_keys.to_owned(),
        view_secret: view_secret.to_owned(),
        proof_keys: accounts::new_jwt_key()?,
        admin_emails: admin_email.to_owned(),
        logs: Some(logs),
    };
    cmd::timed("start the system", || system::start(&opts))
}

/// The test system's local state (D1, R2, KV, Durable Objects).
fn state_dir() -> PathBuf {
    project::root().join("target/xtask-test-state")
}

fn finish(t: &Tally, started: Instant) -> Result {
    eprintln!("xtask: tests took {:.0} s", started.elapsed().as_secs_f64());
    if !t.failures.is_empty() {
        eprintln!("xtask: failed steps: {}", t.failures.join("; "));
    }
    println!("{} passed, {} failed", t.passed, t.failed);
    if t.failed == 0 && t.failures.is_empty() { Ok(()) } else { Err("some tests failed".to_owned()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_upload_size_wrangler_prints() {
        let out = "Total Upload: 2532.39 KiB / gzip: 978.55 KiB\nYour Worker has access to the following bindings:\n";
        assert_eq!(upload_gzip_kib(out), Some(978.55));
        assert_eq!(upload_gzip_kib("Total Upload: 12 KiB"), None);
    }

    #[test]
    fn tally_reads_cargo_and_tap_summaries() {
        let mut t = Tally::default();
        assert_eq!(t.read("test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s"), 0);
        assert_eq!(t.read("test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out"), 2);
        assert_eq!(t.read("# pass 4"), 0);
        assert_eq!(t.read("# fail 1"), 1);
        assert_eq!(t.read("ok 1 - something # pass 9"), 0);
        assert_eq!((t.passed, t.failed), (19, 3));
    }
}
