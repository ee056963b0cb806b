//! View tickets: short-lived, signed permissions to see one asset once.
//!
//! A ticket is `base64url(JSON claims) "." base64url(HMAC-SHA256)`, keyed by
//! the Worker's `VIEW_SECRET`. It names the asset, the viewer session it is
//! bound to, a fresh random seed (scramble layout and noise) and the
//! watermark payload that identifies it in a leak. The Worker records each
//! ticket in D1 too, so a ticket must also be found there to be honoured.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use thiserror::Error;

/// How long a ticket lives by default, in seconds.
pub const TTL_SECS: u64 = 300;
/// The longest ticket string accepted (checked before any work).
pub const MAX_LEN: usize = 1024;
const DOMAIN: &[u8] = b"edgepix-ticket.v1.";

/// What a ticket says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claims {
    /// The ticket id (`tkt_` and 32 hex digits).
    pub id: String,
    /// The asset it shows.
    pub asset: String,
    /// The viewer session it is bound to (the `edgepix_viewer` cookie).
    pub viewer: String,
    /// The scramble and noise seed, 64 hex digits.
    pub seed: String,
    /// The watermark payload, 16 hex digits.
    pub payload: String,
    /// Issued at, Unix seconds.
    pub iat: u64,
    /// Expires at, Unix seconds.
    pub exp: u64,
}

impl Claims {
    /// The seed's bytes (empty when malformed, which signing prevents).
    pub fn seed_bytes(&self) -> Vec<u8> {
        unhex(&self.seed).unwrap_or_default()
    }

    /// The watermark payload as a number.
    pub fn payload_value(&self) -> Option<u64> {
        u64::from_str_radix(&self.payload, 16).ok()
    }
}

/// Why a ticket is refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TicketError {
    /// Not a ticket at all.
    #[error("the ticket is malformed")]
    Malformed,
    /// The signature does not match: forged or altered.
    #[error("the ticket's signature does not match")]
    BadSignature,
    /// Past its expiry.
    #[error("the ticket expired {0} s ago; ask for a new one")]
    Expired(u64),
}

fn mac(secret: &[u8], body: &str) -> [u8; 32] {
    // HMAC accepts keys of any length.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    m.update(DOMAIN);
    m.update(body.as_bytes());
    m.finalize().into_bytes().into()
}

/// The signed ticket string for `claims`.
pub fn sign(secret: &[u8], claims: &Claims) -> String {
    let body = B64URL.encode(serde_json::to_vec(claims).unwrap_or_default());
    let tag = B64URL.encode(mac(secret, &body));
    format!("{body}.{tag}")
}

/// The claims of `token` if its signature matches and it has not expired
/// at `now`.
pub fn verify(secret: &[u8], token: &str, now: u64) -> Result<Claims, TicketError> {
    if token.len() > MAX_LEN {
        return Err(TicketError::Malformed);
    }
    let (body, tag) = token.split_once('.').ok_or(TicketError::Malformed)?;
    let tag = B64URL.decode(tag).map_err(|_| TicketError::Malformed)?;
    if !crate::signing::secrets_equal(&tag, &mac(secret, body)) {
        return Err(TicketError::BadSignature);
    }
    let json = B64URL.decode(body).map_err(|_| TicketError::Malformed)?;
    let claims: Claims = serde_json::from_slice(&json).map_err(|_| TicketError::Malformed)?;
    if now > claims.exp {
        return Err(TicketError::Expired(now - claims.exp));
    }
    Ok(claims)
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    crate::signing::hex(bytes)
}

/// Bytes from hex (None when malformed).
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            id: format!("tkt_{}", "1".repeat(32)),
            asset: "a".repeat(64),
            viewer: "v".repeat(32),
            seed: hex(&[9; 32]),
            payload: format!("{:016x}", 0xdead_beef_u64),
            iat: 1000,
            exp: 1300,
        }
    }

    #[test]
    fn round_trips_and_expires() {
        let t = sign(b"secret", &claims());
        assert_eq!(verify(b"secret", &t, 1200), Ok(claims()));
        assert_eq!(verify(b"secret", &t, 1300), Ok(claims()));
        assert_eq!(verify(b"secret", &t, 1310), Err(TicketError::Expired(10)));
        assert_eq!(claims().payload_value(), Some(0xdead_beef));
        assert_eq!(claims().seed_bytes(), vec![9; 32]);
    }

    #[test]
    fn forgeries_fail() {
        let t = sign(b"secret", &claims());
        assert_eq!(verify(b"other", &t, 1200), Err(TicketError::BadSignature));
        // Claims changed under the real tag.
        let mut c = claims();
        c.exp = 99_999;
        let forged = format!("{}.{}", sign(b"x", &c).split_once('.').unwrap().0, t.split_once('.').unwrap().1);
        assert_eq!(verify(b"secret", &forged, 1200), Err(TicketError::BadSignature));
        for junk in ["", ".", "abc", "a.b.c", "!!.!!", &"a".repeat(2000)] {
            assert!(verify(b"secret", junk, 0).is_err(), "{junk}");
        }
    }
}
