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

/// A real photo from the test set (scikit-image's and matplotlib's sample
/// data, fetched by `cargo xtask setup` into `EDGEPIX_PHOTOS`).
pub fn photo(name: &str) -> Vec<u8> {
    let dir = url("EDGEPIX_PHOTOS");
    std::fs::read(format!("{dir}/{name}")).unwrap_or_else(|e| panic!("photo {name}: {e}"))
}

/// The first test creator's bearer token.
pub fn token_a() -> String {
    url("EDGEPIX_TOKEN_A")
}

/// The second test creator's bearer token.
pub fn token_b() -> String {
    url("EDGEPIX_TOKEN_B")
}

/// SHA-256 of `bytes` in hex (an asset's id).
pub fn sha256_hex(bytes: &[u8]) -> String {
    edgepix_core::assets::AssetId::of(bytes).to_string()
}

/// Uploads `bytes` as creator `token`, returning status and JSON body.
pub async fn upload(token: &str, bytes: Vec<u8>, content_type: &str) -> (u16, serde_json::Value) {
    let resp = client()
        .post(format!("{}/api/v1/assets", worker()))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(bytes)
        .send()
        .await
        .expect("worker answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(serde_json::Value::Null))
}
