//! Checking that a request comes from the Worker: its signature
//! (`edgepix_core::signing`) and that it was not seen before.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use edgepix_core::signing::{self, MAX_SKEW_SECS, SignatureError};
use thiserror::Error;

/// How many signatures the replay cache holds at most; beyond it requests
/// are refused as overload rather than remembered without bound.
pub const REPLAY_CAPACITY: usize = 1_000_000;

/// Why a request was not accepted as the Worker's.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// The signature is missing, malformed, stale or wrong.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// This exact signed request was already served.
    #[error("the request was already served (replay)")]
    Replayed,
    /// The pool has no secret, so no request can be the Worker's.
    #[error("the pool has no POOL_SECRET configured")]
    NoSecret,
    /// The replay cache is full.
    #[error("too many signed requests in the skew window")]
    CacheFull,
}

/// Verifies signatures with a shared secret and remembers each accepted
/// one for as long as its timestamp stays inside the skew window.
#[derive(Debug)]
pub struct Verifier {
    secret: Vec<u8>,
    seen: Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    macs: HashMap<[u8; 32], u64>,
    /// (forget after, mac), in insertion order.
    order: VecDeque<(u64, [u8; 32])>,
}

impl Verifier {
    /// A verifier for `secret`.
    pub fn new(secret: Vec<u8>) -> Verifier {
        Verifier { secret, seen: Mutex::new(Seen::default()) }
    }

    /// Accepts a request once: signature valid at `now` (Unix seconds) and
    /// never accepted before. `target` is the path and query as received.
    pub fn accept(&self, header: Option<&str>, method: &str, target: &str, body: &[u8], now: u64) -> Result<(), AuthError> {
        if self.secret.is_empty() {
            return Err(AuthError::NoSecret);
        }
        let sig = signing::verify(&self.secret, header, method, target, body, now)?;
        let mut seen = self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        while seen.order.front().is_some_and(|&(until, _)| until < now) {
            if let Some((_, mac)) = seen.order.pop_front() {
                seen.macs.remove(&mac);
            }
        }
        if seen.macs.contains_key(&sig.mac) {
            return Err(AuthError::Replayed);
        }
        if seen.macs.len() >= REPLAY_CAPACITY {
            return Err(AuthError::CacheFull);
        }
        // A signature verifies until its timestamp leaves the window.
        let until = sig.timestamp.max(now) + MAX_SKEW_SECS;
        seen.macs.insert(sig.mac, until);
        seen.order.push_back((until, sig.mac));
        Ok(())
    }

    /// Signatures currently remembered.
    pub fn remembered(&self) -> usize {
        self.seen.lock().map(|s| s.macs.len()).unwrap_or(0)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000;

    /// A different nonce per call (shared with the service's tests).
    pub(crate) fn nonce() -> [u8; 16] {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&N.fetch_add(1, std::sync::atomic::Ordering::Relaxed).to_le_bytes());
        out
    }

    fn header(secret: &[u8], body: &[u8], t: u64) -> String {
        signing::sign(secret, "POST", "/v1/detect", body, t, nonce()).header_value()
    }

    #[test]
    fn a_signed_request_passes_once() {
        let v = Verifier::new(b"s3cret".to_vec());
        let h = header(b"s3cret", b"img", NOW);
        assert_eq!(v.accept(Some(&h), "POST", "/v1/detect", b"img", NOW), Ok(()));
        assert_eq!(v.accept(Some(&h), "POST", "/v1/detect", b"img", NOW + 1), Err(AuthError::Replayed));
        // The same request signed again the same second has another nonce.
        let other = header(b"s3cret", b"img", NOW);
        assert_eq!(v.accept(Some(&other), "POST", "/v1/detect", b"img", NOW), Ok(()));
    }

    #[test]
    fn unsigned_wrong_and_expired_requests_fail() {
        let v = Verifier::new(b"s3cret".to_vec());
        assert_eq!(v.accept(None, "POST", "/v1/detect", b"", NOW), Err(AuthError::Signature(SignatureError::Missing)));
        let wrong = header(b"other", b"img", NOW);
        assert_eq!(v.accept(Some(&wrong), "POST", "/v1/detect", b"img", NOW), Err(AuthError::Signature(SignatureError::Mismatch)));
        let old = header(b"s3cret", b"img", NOW - 301);
        assert_eq!(v.accept(Some(&old), "POST", "/v1/detect", b"img", NOW), Err(AuthError::Signature(SignatureError::Skew(301))));
        let h = header(b"s3cret", b"img", NOW);
        assert!(v.accept(Some(&h), "POST", "/v1/detect?output=mask", b"img", NOW).is_err(), "the query is signed");
    }

    #[test]
    fn remembered_signatures_are_forgotten_after_the_window() {
        let v = Verifier::new(b"k".to_vec());
        for i in 0..10u8 {
            let h = header(b"k", &[i], NOW);
            v.accept(Some(&h), "POST", "/v1/detect", &[i], NOW).unwrap();
        }
        assert_eq!(v.remembered(), 10);
        let h = header(b"k", b"late", NOW + MAX_SKEW_SECS + 1);
        v.accept(Some(&h), "POST", "/v1/detect", b"late", NOW + MAX_SKEW_SECS + 1).unwrap();
        assert_eq!(v.remembered(), 1);
    }
}
