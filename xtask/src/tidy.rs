//! Repository invariants, checked by `cargo xtask tidy` and at the start of
//! `cargo xtask test` (each check counts as a test).

use std::collections::BTreeSet;
use std::path::Path;

use crate::{Result, project};

/// Every check, named.
pub fn checks() -> Vec<(&'static str, Result)> {
    vec![
        ("routes in edge/src/router.rs are exactly those of edge/openapi.json", routes_match_openapi()),
        ("core names no platform crate", core_is_platform_free()),
        ("no unwrap()/expect() outside tests in request-serving crates, the game runtime and the detector module", no_unwrap_in_request_paths()),
        (".ci/run runs the README's test command", ci_runs_the_readme_command()),
        ("Cargo.lock keeps idna_adapter 1.0 (no Unicode tables in the Worker)", idna_stub_is_locked()),
    ]
}

/// `cargo xtask tidy`.
pub fn run() -> Result {
    let mut failed = 0;
    for (name, result) in checks() {
        match result {
            Ok(()) => println!("ok   {name}"),
            Err(e) => {
                failed += 1;
                println!("FAIL {name}: {e}");
            }
        }
    }
    if failed == 0 { Ok(()) } else { Err(format!("{failed} tidy check(s) failed")) }
}

fn read(rel: &str) -> Result<String> {
    std::fs::read_to_string(project::root().join(rel)).map_err(|e| format!("cannot read {rel}: {e}"))
}

/// `(METHOD, /path/{param})` for every route the router registers.
fn router_routes(src: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for method in ["get", "post", "put", "patch", "delete", "head"] {
        for suffix in ["(\"", "_async(\""] {
            let needle = format!(".{method}{suffix}");
            let mut rest = src;
            while let Some(at) = rest.find(&needle) {
                rest = &rest[at + needle.len()..];
                // Route patterns are paths; `.get("content-type")` is not one.
                if let Some(pattern) = rest.find('"').map(|end| &rest[..end]).filter(|p| p.starts_with('/')) {
                    out.insert((method.to_uppercase(), to_openapi_path(pattern)));
                }
            }
        }
    }
    out
}

/// matchit's `:name` and `*name` segments in OpenAPI's `{name}` form.
fn to_openapi_path(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|seg| match seg.strip_prefix(':').or_else(|| seg.strip_prefix('*')) {
            Some(name) => format!("{{{name}}}"),
            None => seg.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn openapi_routes(doc: &serde_json::Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, ops) in paths {
            for method in ops.as_object().into_iter().flat_map(|o| o.keys()) {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

fn routes_match_openapi() -> Result {
    let router = router_routes(&read("edge/src/router.rs")?);
    let doc: serde_json::Value = serde_json::from_str(&read("edge/openapi.json")?).map_err(|e| format!("edge/openapi.json: {e}"))?;
    if doc["openapi"].as_str().is_none_or(|v| !v.starts_with("3.1")) {
        return Err("edge/openapi.json is not OpenAPI 3.1".to_owned());
    }
    let documented = openapi_routes(&doc);
    let undocumented: Vec<_> = router.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&router).collect();
    if router.is_empty() {
        return Err("found no route in router.rs".to_owned());
    }
    if undocumented.is_empty() && stale.is_empty() { Ok(()) } else { Err(format!("undocumented routes {undocumented:?}; documented but not routed {stale:?}")) }
}

fn core_is_platform_free() -> Result {
    let manifest = read("core/Cargo.toml")?;
    let deps = manifest.split("[dependencies]").nth(1).unwrap_or_default().split("\n[").next().unwrap_or_default();
    let banned = ["worker", "web-sys", "js-sys", "wasm-bindgen", "spin-sdk", "tract", "ort"];
    let found: Vec<&str> = deps.lines().filter_map(|l| l.split(['=', '.']).next().map(str::trim)).filter(|name| banned.iter().any(|b| name.starts_with(b))).collect();
    if found.is_empty() { Ok(()) } else { Err(format!("core/Cargo.toml depends on {found:?}")) }
}

fn no_unwrap_in_request_paths() -> Result {
    let mut offenders = Vec::new();
    for dir in ["edge/src", "detect-client/src", "functions/inference/src", "functions/pool/src", "functions/spin/src", "core/src", "game-client/src"] {
        scan(&project::root().join(dir), &mut offenders)?;
    }
    if offenders.is_empty() { Ok(()) } else { Err(offenders.join(", ")) }
}

fn scan(dir: &Path, offenders: &mut Vec<String>) -> Result {
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?.filter_map(|e| e.ok()) {
        let path = entry.path();
        if path.is_dir() {
            scan(&path, offenders)?;
            continue;
        }
        // A `tests.rs` is a unit-test module of its own (`#[cfg(test)] mod tests;`).
        if path.extension().is_none_or(|e| e != "rs") || path.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
        // Unit tests sit at the end of a file, after `#[cfg(test)]`.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (i, line) in code.lines().enumerate() {
            let l = line.trim_start();
            if l.starts_with("//") {
                continue;
            }
            if l.contains(".unwrap()") || l.contains(".expect(") {
                let rel = path.strip_prefix(project::root()).unwrap_or(&path);
                offenders.push(format!("{}:{}", rel.display(), i + 1));
            }
        }
    }
    Ok(())
}

fn ci_runs_the_readme_command() -> Result {
    let ci = read(".ci/run")?;
    let readme = read("README.md")?;
    let commands: Vec<&str> = ci.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    if !commands.iter().any(|l| l.ends_with("cargo xtask test")) {
        return Err(".ci/run does not run `cargo xtask test`".to_owned());
    }
    if !readme.contains("cargo xtask test") || !readme.contains("cargo xtask dev") {
        return Err("README.md does not give `cargo xtask dev` and `cargo xtask test`".to_owned());
    }
    Ok(())
}

/// The Worker parses only URLs the runtime hands it, already ASCII
/// (punycode), so `url`'s IDNA back end is the stub 1.0 release: ICU4X's
/// Unicode tables cost 50 KB of the script's gzip size. A `cargo update`
/// would move it back to 1.2; this check notices.
fn idna_stub_is_locked() -> Result {
    let lock = read("Cargo.lock")?;
    let versions: Vec<&str> = lock
        .split("[[package]]")
        .filter(|p| p.contains("name = \"idna_adapter\""))
        .filter_map(|p| p.lines().find_map(|l| l.strip_prefix("version = \"")?.strip_suffix('"')))
        .collect();
    match versions.as_slice() {
        [] => Ok(()),
        [v] if v.starts_with("1.0.") => Ok(()),
        _ => Err(format!("idna_adapter {versions:?} is locked; run `cargo update -p idna_adapter --precise 1.0.0`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_routes_from_router_source() {
        let src = r#"headers.get("content-type"); .get("/", a).get_async("/api/v1/assets/:id", b).post_async("/x", c).or_else_any_method("/*path", d)"#;
        let got = router_routes(src);
        let want: BTreeSet<_> = [("GET", "/"), ("GET", "/api/v1/assets/{id}"), ("POST", "/x")].iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
        assert_eq!(got, want);
    }
}
