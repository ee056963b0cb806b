//! Opaque secrets: refresh tokens and API keys.
//!
//! Both are a prefix and 32 random bytes in base64url. Only their SHA-256
//! is stored, so a leaked database holds no usable token. The random bytes
//! come from the caller (the Worker's `crypto.getRandomValues`): this crate
//! does no I/O.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use sha2::{Digest, Sha256};

/// How long a refresh token lives, in seconds (7 days).
pub const REFRESH_TTL_SECS: u64 = 7 * 24 * 3600;
/// Random bytes in a token.
pub const TOKEN_BYTES: usize = 32;

/// What an opaque secret is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A refresh token (`ert_`).
    Refresh,
    /// An API key (`epk_`).
    ApiKey,
}

impl Kind {
    /// The prefix that tells the kinds apart.
    pub const fn prefix(self) -> &'static str {
        match self {
            Kind::Refresh => "ert_",
            Kind::ApiKey => "epk_",
        }
    }
}

/// A new secret of `kind` from `random` bytes.
pub fn new(kind: Kind, random: [u8; TOKEN_BYTES]) -> String {
    format!("{}{}", kind.prefix(), B64URL.encode(random))
}

/// Whether `s` has the shape of a secret of `kind` (prefix, 43 base64url
/// characters): cheap to check before any lookup.
pub fn is(kind: Kind, s: &str) -> bool {
    s.strip_prefix(kind.prefix()).is_some_and(|rest| rest.len() == 43 && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

/// The stored form of a secret: SHA-256, hex.
pub fn hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// What may be shown of a secret after its creation: the prefix and the
/// first 8 random characters.
pub fn display_prefix(secret: &str) -> String {
    secret.chars().take(12).collect()
}

/// A new record id: `prefix_` and 16 random bytes in base64url.
pub fn new_id(prefix: &str, random: [u8; 16]) -> String {
    format!("{prefix}_{}", B64URL.encode(random))
}

/// A stored refresh token as D1 holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefreshState {
    /// When it expires, Unix seconds.
    pub expires_at: u64,
    /// Whether it was already exchanged.
    pub used: bool,
    /// Whether its session is revoked (logout, reuse, suspension).
    pub session_revoked: bool,
}

/// What presenting a refresh token leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refresh {
    /// Valid: spend it and issue the next one in the same session.
    Rotate,
    /// Already spent: someone holds a copy; revoke the whole session.
    Reused,
    /// The session is over.
    Revoked,
    /// Past its lifetime.
    Expired,
}

impl RefreshState {
    /// Decides what presenting this token at `now` does. Reuse wins over
    /// everything: a spent token is a theft signal even after logout.
    pub fn present(self, now: u64) -> Refresh {
        if self.used {
            Refresh::Reused
        } else if self.session_revoked {
            Refresh::Revoked
        } else if now >= self.expires_at {
            Refresh::Expired
        } else {
            Refresh::Rotate
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_have_their_shape_and_are_stored_hashed() {
        let r = new(Kind::Refresh, [0xAB; TOKEN_BYTES]);
        let k = new(Kind::ApiKey, [0x01; TOKEN_BYTES]);
        assert!(is(Kind::Refresh, &r) && !is(Kind::ApiKey, &r));
        assert!(is(Kind::ApiKey, &k) && !is(Kind::Refresh, &k));
        assert!(!is(Kind::ApiKey, "epk_short"));
        assert!(!is(Kind::ApiKey, &format!("{k}x")));
        assert_eq!(hash(&k).len(), 64);
        assert_ne!(hash(&k), hash(&r));
        assert!(!hash(&k).contains(&k[4..]));
        assert_eq!(display_prefix(&k), k[..12]);
        assert!(new_id("usr", [5; 16]).starts_with("usr_"));
    }

    #[test]
    fn refresh_rotation_and_reuse_detection() {
        let live = RefreshState { expires_at: 100, used: false, session_revoked: false };
        assert_eq!(live.present(99), Refresh::Rotate);
        assert_eq!(live.present(100), Refresh::Expired);
        assert_eq!(RefreshState { used: true, ..live }.present(10), Refresh::Reused);
        assert_eq!(RefreshState { used: true, session_revoked: true, ..live }.present(10), Refresh::Reused);
        assert_eq!(RefreshState { session_revoked: true, ..live }.present(10), Refresh::Revoked);
    }
}
