//! Shared helpers of the end-to-end tests: where the running system is.
//!
//! `cargo xtask test` starts the Worker (wrangler dev) and the pool on free
//! loopback ports and passes their URLs in `EDGEPIX_URL`, `EDGEPIX_POOL_URL`
//! and `EDGEPIX_SPIN_URL`. Run by hand against `cargo xtask dev`:
//! `EDGEPIX_URL=http://127.0.0.1:8787 EDGEPIX_POOL_URL=http://127.0.0.1:8790 cargo test -p edgepix-e2e`.

/// The Worker's base URL.
pub fn worker() -> String {
    url("EDGEPIX_URL")
}

/// The native pool's base URL.
pub fn pool() -> String {
    url("EDGEPIX_POOL_URL")
}

/// The Spin component's base URL, if one runs.
pub fn spin() -> Option<String> {
    std::env::var("EDGEPIX_SPIN_URL").ok().filter(|s| !s.is_empty())
}

fn url(var: &str) -> String {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => v.trim_end_matches('/').to_owned(),
        _ => panic!("{var} is not set: run these tests through `cargo xtask test` (or see tests/src/lib.rs)"),
    }
}

/// A client with a short timeout.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(std::time::Duration::from_secs(30)).build().expect("reqwest client")
}
