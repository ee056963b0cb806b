//! Password hashing in the runtime's WebCrypto.
//!
//! `crypto.subtle.deriveBits` runs PBKDF2-SHA256 natively in workerd,
//! several times faster than the same KDF compiled to wasm, so a login
//! spends far less of the request's CPU budget. The format, the parameters
//! and the constant-time comparison stay in `edgepix_core::account::password`;
//! only the derivation is here. workerd refuses more than
//! [`WEBCRYPTO_MAX_ITERATIONS`]; a hash with more iterations (a raised
//! `PASSWORD_ITERATIONS`) is derived by the core's Rust PBKDF2 instead.

use edgepix_core::account::password::{self, HASH_BYTES, PasswordHash, SALT_BYTES};
use wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, Pbkdf2Params, SubtleCrypto, WorkerGlobalScope};

use crate::error::{ApiError, ApiResult};

/// The most PBKDF2 iterations workerd's WebCrypto accepts.
pub const WEBCRYPTO_MAX_ITERATIONS: u32 = 100_000;

/// PBKDF2-HMAC-SHA256 of `password` with `salt`, 32 bytes.
pub async fn derive(password: &str, salt: &[u8], iterations: u32) -> ApiResult<[u8; HASH_BYTES]> {
    if iterations > WEBCRYPTO_MAX_ITERATIONS {
        return Ok(password::derive(password, salt, iterations));
    }
    let subtle = subtle()?;
    let raw = js_sys::Uint8Array::from(password.as_bytes());
    let usages = js_sys::Array::of1(&JsValue::from_str("deriveBits"));
    let key: CryptoKey = JsFuture::from(subtle.import_key_with_str("raw", &raw, "PBKDF2", false, &usages).map_err(js)?).await.map_err(js)?.unchecked_into();
    let params = Pbkdf2Params::new_with_str("PBKDF2", "SHA-256", iterations, &js_sys::Uint8Array::from(salt));
    let bits = JsFuture::from(subtle.derive_bits_with_object(&params, &key, (HASH_BYTES * 8) as u32).map_err(js)?).await.map_err(js)?;
    let bytes = js_sys::Uint8Array::new(&bits).to_vec();
    bytes.try_into().map_err(|b: Vec<u8>| ApiError::Runtime(worker::Error::RustError(format!("deriveBits gave {} bytes, not {HASH_BYTES}", b.len()))))
}

/// A new hash of `password` with `salt` and (at least the floor of)
/// `iterations`.
pub async fn hash(password: &str, salt: [u8; SALT_BYTES], iterations: u32) -> ApiResult<PasswordHash> {
    let iterations = password::effective_iterations(iterations);
    Ok(PasswordHash::from_derived(salt, iterations, derive(password, &salt, iterations).await?))
}

/// Whether `password` is the one `stored` hashes.
pub async fn verify(stored: &PasswordHash, password: &str) -> ApiResult<bool> {
    Ok(stored.matches(&derive(password, stored.salt(), stored.iterations()).await?))
}

/// Spends one verification's work without an account (an unknown email
/// costs what a wrong password does).
pub async fn burn(password: &str, iterations: u32) -> ApiResult<()> {
    derive(password, password::BURN_SALT, password::effective_iterations(iterations)).await.map(|_| ())
}

fn subtle() -> ApiResult<SubtleCrypto> {
    let scope: WorkerGlobalScope = js_sys::global().unchecked_into();
    Ok(scope.crypto().map_err(js)?.subtle())
}

fn js(e: JsValue) -> ApiError {
    ApiError::Runtime(worker::Error::RustError(format!("WebCrypto PBKDF2 failed: {e:?}")))
}
