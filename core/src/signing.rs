//! Request signatures from the Worker to the function pool.
//!
//! The Worker signs each pool request with HMAC-SHA256 over a canonical
//! string of method, path, body hash, timestamp and a random nonce, keyed by
//! a secret both share. The nonce makes two identical requests in the same
//! second distinct, so the pool's replay cache refuses only true replays. The pool checks the signature and the clock skew here; it keeps
//! the replay cache itself, since that is state.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use thiserror::Error;

/// The header carrying the signature, `t=<unix seconds>,n=<32 hex>,s=<64 hex>`.
pub const SIGNATURE_HEADER: &str = "x-edgepix-signature";

/// How far the signer's clock may be from the verifier's, in seconds.
pub const MAX_SKEW_SECS: u64 = 300;

/// Why a signature was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureError {
    /// The header is absent.
    #[error("the request is not signed")]
    Missing,
    /// The header is not `t=<secs>,n=<32 hex digits>,s=<64 hex digits>`.
    #[error("the signature header is malformed")]
    Malformed,
    /// The timestamp is outside the skew window.
    #[error("the signature is {0} s away from the server's clock (at most {MAX_SKEW_SECS} s allowed)")]
    Skew(u64),
    /// The MAC does not match.
    #[error("the signature does not match")]
    Mismatch,
}

/// A parsed signature header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature {
    /// Unix seconds when the request was signed.
    pub timestamp: u64,
    /// Random bytes chosen by the signer, once per request.
    pub nonce: [u8; 16],
    /// The HMAC-SHA256 tag.
    pub mac: [u8; 32],
}

impl Signature {
    /// Renders the header value.
    pub fn header_value(&self) -> String {
        format!("t={},n={},s={}", self.timestamp, hex(&self.nonce), hex(&self.mac))
    }

    /// Parses a header value.
    pub fn parse(value: &str) -> Result<Signature, SignatureError> {
        let mut parts = value.split(',');
        let mut field = |prefix: &str| parts.next().and_then(|p| p.strip_prefix(prefix)).ok_or(SignatureError::Malformed);
        let (t, n, s) = (field("t=")?, field("n=")?, field("s=")?);
        if parts.next().is_some() {
            return Err(SignatureError::Malformed);
        }
        let timestamp = t.parse::<u64>().map_err(|_| SignatureError::Malformed)?;
        Ok(Signature { timestamp, nonce: unhex(n)?, mac: unhex(s)? })
    }
}

/// Exactly `N` bytes from `2 * N` hex digits.
fn unhex<const N: usize>(s: &str) -> Result<[u8; N], SignatureError> {
    if s.len() != 2 * N {
        return Err(SignatureError::Malformed);
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(s.get(2 * i..2 * i + 2).ok_or(SignatureError::Malformed)?, 16).map_err(|_| SignatureError::Malformed)?;
    }
    Ok(out)
}

fn mac_for(secret: &[u8], method: &str, path: &str, body: &[u8], timestamp: u64, nonce: &[u8; 16]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    let body_hash = Sha256::digest(body);
    mac.update(method.to_ascii_uppercase().as_bytes());
    mac.update(b"\n");
    mac.update(path.as_bytes());
    mac.update(b"\n");
    mac.update(hex(&body_hash).as_bytes());
    mac.update(b"\n");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b"\n");
    mac.update(hex(nonce).as_bytes());
    mac
}

/// Signs a request made at `timestamp` (Unix seconds) with a fresh random
/// `nonce` (the caller draws it: this crate does no I/O). `path` is the
/// request target as sent: the path and, when there is one, `?` and the
/// query, so that a query cannot be changed under a valid signature.
pub fn sign(secret: &[u8], method: &str, path: &str, body: &[u8], timestamp: u64, nonce: [u8; 16]) -> Signature {
    let tag = mac_for(secret, method, path, body, timestamp, &nonce).finalize().into_bytes();
    Signature { timestamp, nonce, mac: tag.into() }
}

/// Checks a signature header against the request and the verifier's clock
/// `now` (Unix seconds). Comparison is constant-time.
pub fn verify(secret: &[u8], header: Option<&str>, method: &str, path: &str, body: &[u8], now: u64) -> Result<Signature, SignatureError> {
    let sig = Signature::parse(header.ok_or(SignatureError::Missing)?)?;
    let skew = now.abs_diff(sig.timestamp);
    if skew > MAX_SKEW_SECS {
        return Err(SignatureError::Skew(skew));
    }
    mac_for(secret, method, path, body, sig.timestamp, &sig.nonce).verify_slice(&sig.mac).map_err(|_| SignatureError::Mismatch)?;
    Ok(sig)
}

/// Whether two secrets are equal, in time that does not depend on where
/// they differ (both are hashed first, so lengths leak nothing either).
pub fn secrets_equal(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    Sha256::digest(a).ct_eq(&Sha256::digest(b)).into()
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"shared secret";

    #[test]
    fn a_signature_verifies_and_round_trips_through_the_header() {
        let sig = sign(KEY, "post", "/v1/detect", b"body", 1_000, [7; 16]);
        let got = verify(KEY, Some(&sig.header_value()), "POST", "/v1/detect", b"body", 1_100).unwrap();
        assert_eq!(got, sig);
    }

    #[test]
    fn any_change_breaks_it() {
        let h = sign(KEY, "POST", "/v1/detect", b"body", 1_000, [7; 16]).header_value();
        let v = |k: &[u8], m: &str, p: &str, b: &[u8]| verify(k, Some(&h), m, p, b, 1_000);
        assert_eq!(v(b"other", "POST", "/v1/detect", b"body"), Err(SignatureError::Mismatch));
        assert_eq!(v(KEY, "GET", "/v1/detect", b"body"), Err(SignatureError::Mismatch));
        assert_eq!(v(KEY, "POST", "/v1/segment", b"body"), Err(SignatureError::Mismatch));
        assert_eq!(v(KEY, "POST", "/v1/detect", b"bodY"), Err(SignatureError::Mismatch));
        // The nonce is covered too.
        let other_nonce = h.replace(&format!("n={}", hex(&[7; 16])), &format!("n={}", hex(&[8; 16])));
        assert_eq!(verify(KEY, Some(&other_nonce), "POST", "/v1/detect", b"body", 1_000), Err(SignatureError::Mismatch));
    }

    #[test]
    fn nonces_make_identical_requests_distinct() {
        let a = sign(KEY, "POST", "/v1/detect", b"body", 1_000, [1; 16]);
        let b = sign(KEY, "POST", "/v1/detect", b"body", 1_000, [2; 16]);
        assert_ne!(a.mac, b.mac);
        assert!(verify(KEY, Some(&b.header_value()), "POST", "/v1/detect", b"body", 1_000).is_ok());
    }

    #[test]
    fn secrets_compare_by_value() {
        assert!(secrets_equal(b"token", b"token"));
        assert!(!secrets_equal(b"token", b"tokeN"));
        assert!(!secrets_equal(b"token", b"token "));
        assert!(!secrets_equal(b"", b"x"));
    }

    #[test]
    fn skew_missing_and_malformed_are_refused() {
        let h = sign(KEY, "GET", "/", b"", 1_000, [7; 16]).header_value();
        assert_eq!(verify(KEY, Some(&h), "GET", "/", b"", 1_301), Err(SignatureError::Skew(301)));
        assert_eq!(verify(KEY, Some(&h), "GET", "/", b"", 699), Err(SignatureError::Skew(301)));
        assert_eq!(verify(KEY, None, "GET", "/", b"", 1_000), Err(SignatureError::Missing));
        let (n, s) = ("0".repeat(32), "0".repeat(64));
        for bad in ["", "t=1", "t=x,s=00", "t=1,s=zz", &format!("t=1,n={n},s={}", "g".repeat(64)), "s=1,t=2", &format!("t=1,s={s}"), &format!("t=1,n={n},s={s},x=1"), &format!("t=1,n=00,s={s}")] {
            assert_eq!(verify(KEY, Some(bad), "GET", "/", b"", 1), Err(SignatureError::Malformed), "{bad:?}");
        }
    }
}
