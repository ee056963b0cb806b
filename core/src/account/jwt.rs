//! Access tokens: compact JWTs signed with Ed25519 (`alg: EdDSA`).
//!
//! A [`Keyring`] holds every key that may verify, newest first; the first
//! signs. Seeds are written in base64url or hex. Verification accepts nothing but `EdDSA` from a known `kid`, the
//! configured issuer and audience, and a time inside `nbf..exp`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::Role;

/// How long an access token lives, in seconds.
pub const ACCESS_TTL_SECS: u64 = 3600;
/// Clock difference tolerated between signer and verifier, in seconds.
pub const LEEWAY_SECS: u64 = 60;
const ALG: &str = "EdDSA";

/// One signing key and its id.
#[derive(Clone)]
pub struct Key {
    kid: String,
    signing: SigningKey,
}

impl Key {
    /// A key from its id and 32-byte seed.
    pub fn from_seed(kid: &str, seed: [u8; 32]) -> Key {
        Key { kid: kid.to_owned(), signing: SigningKey::from_bytes(&seed) }
    }

    /// The key's id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key, 32 bytes.
    pub fn public(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    /// The Ed25519 signature of `message` by this key.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }

    /// The key as an entry of `JWT_KEYS` (`kid:seed`): a secret.
    pub fn to_config(&self) -> String {
        format!("{}:{}", self.kid, B64URL.encode(self.signing.to_bytes()))
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key").field("kid", &self.kid).finish_non_exhaustive()
    }
}

/// The keys of a deployment: the first signs, all verify.
#[derive(Clone, Debug)]
pub struct Keyring {
    keys: Vec<Key>,
}

/// A `JWT_KEYS` value that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyringError {
    /// No key at all.
    #[error("JWT_KEYS holds no key (expected kid:seed,... with 32-byte base64url seeds)")]
    Empty,
    /// An entry that is not `kid:seed` with a 32-byte base64url seed.
    #[error("JWT_KEYS entry {0} is not kid:seed with a 32-byte base64url seed")]
    Entry(usize),
    /// Two keys with one id.
    #[error("JWT_KEYS lists the key id {0:?} twice")]
    DuplicateKid(String),
}

impl Keyring {
    /// Parses `kid:seed,kid:seed,...`.
    pub fn parse(config: &str) -> Result<Keyring, KeyringError> {
        let mut keys: Vec<Key> = Vec::new();
        for (i, entry) in config.split(',').map(str::trim).filter(|e| !e.is_empty()).enumerate() {
            let (kid, seed) = entry.split_once(':').ok_or(KeyringError::Entry(i + 1))?;
            let kid_ok = !kid.is_empty() && kid.len() <= 64 && kid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            let seed: [u8; 32] = decode_seed(seed).filter(|_| kid_ok).ok_or(KeyringError::Entry(i + 1))?;
            if keys.iter().any(|k| k.kid == kid) {
                return Err(KeyringError::DuplicateKid(kid.to_owned()));
            }
            keys.push(Key::from_seed(kid, seed));
        }
        if keys.is_empty() {
            return Err(KeyringError::Empty);
        }
        Ok(Keyring { keys })
    }

    /// A ring of the given keys, the first signing.
    ///
    pub fn new(keys: Vec<Key>) -> Result<Keyring, KeyringError> {
        if keys.is_empty() { Err(KeyringError::Empty) } else { Ok(Keyring { keys }) }
    }

    /// The key that signs.
    pub fn signer(&self) -> &Key {
        &self.keys[0]
    }

    /// Every key, signer first.
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// The public keys as a JWK Set (`/.well-known/jwks.json`).
    pub fn jwks(&self) -> serde_json::Value {
        let keys: Vec<_> = self
            .keys
            .iter()
            .map(|k| serde_json::json!({"kty": "OKP", "crv": "Ed25519", "alg": ALG, "use": "sig", "kid": k.kid, "x": B64URL.encode(k.public())}))
            .collect();
        serde_json::json!({ "keys": keys })
    }
}

/// What an access token says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// The account id.
    pub sub: String,
    /// The session (refresh-token family) the token was issued in.
    pub sid: String,
    /// The account's role when issued (requests re-read the current one).
    pub role: Role,
    /// Issued at, Unix seconds.
    pub iat: u64,
    /// Not before, Unix seconds.
    pub nbf: u64,
    /// Expires at, Unix seconds.
    pub exp: u64,
    /// A unique id.
    pub jti: String,
}

#[derive(Serialize, Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    kid: Option<String>,
}

/// Why a token is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not three base64url parts with JSON inside.
    #[error("the access token is malformed")]
    Malformed,
    /// An algorithm other than EdDSA (`none` included).
    #[error("the access token's algorithm is not EdDSA")]
    Algorithm,
    /// No key with the token's `kid`.
    #[error("the access token was signed with an unknown key")]
    UnknownKey,
    /// The signature does not verify.
    #[error("the access token's signature is not valid")]
    Signature,
    /// Past `exp`.
    #[error("the access token has expired; refresh it")]
    Expired,
    /// Before `nbf`.
    #[error("the access token is not valid yet")]
    NotYetValid,
    /// Another issuer.
    #[error("the access token was issued by someone else")]
    Issuer,
    /// Another audience.
    #[error("the access token is for another audience")]
    Audience,
}

/// Where tokens come from and whom they are for.
#[derive(Clone, Debug)]
pub struct Verifier<'a> {
    /// The keys.
    pub keys: &'a Keyring,
    /// The expected `iss`.
    pub issuer: &'a str,
    /// The expected `aud`.
    pub audience: &'a str,
}

/// Signs `claims` with the ring's first key.
pub fn sign(keys: &Keyring, claims: &Claims) -> String {
    let key = keys.signer();
    let header = Header { alg: ALG.into(), typ: Some("JWT".into()), kid: Some(key.kid.clone()) };
    // Serialising these plain structs cannot fail.
    let h = B64URL.encode(serde_json::to_vec(&header).unwrap_or_default());
    let c = B64URL.encode(serde_json::to_vec(claims).unwrap_or_default());
    let input = format!("{h}.{c}");
    let sig = key.signing.sign(input.as_bytes());
    format!("{input}.{}", B64URL.encode(sig.to_bytes()))
}

impl Verifier<'_> {
    /// The claims of `token` if it is valid at `now` (Unix seconds).
    pub fn verify(&self, token: &str, now: u64) -> Result<Claims, TokenError> {
        if token.len() > 4096 {
            return Err(TokenError::Malformed);
        }
        let mut parts = token.split('.');
        let (Some(h), Some(c), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(TokenError::Malformed);
        };
        let header: Header = decode_json(h)?;
        if header.alg != ALG {
            return Err(TokenError::Algorithm);
        }
        let kid = header.kid.ok_or(TokenError::UnknownKey)?;
        let key = self.keys.keys.iter().find(|k| k.kid == kid).ok_or(TokenError::UnknownKey)?;
        let sig: [u8; 64] = B64URL.decode(s).ok().and_then(|b| b.try_into().ok()).ok_or(TokenError::Signature)?;
        let public: VerifyingKey = key.signing.verifying_key();
        public.verify_strict(format!("{h}.{c}").as_bytes(), &Signature::from_bytes(&sig)).map_err(|_| TokenError::Signature)?;
        let claims: Claims = decode_json(c)?;
        if claims.iss != self.issuer {
            return Err(TokenError::Issuer);
        }
        if claims.aud != self.audience {
            return Err(TokenError::Audience);
        }
        if now >= claims.exp.saturating_add(LEEWAY_SECS) {
            return Err(TokenError::Expired);
        }
        if now.saturating_add(LEEWAY_SECS) < claims.nbf {
            return Err(TokenError::NotYetValid);
        }
        Ok(claims)
    }
}

/// A 32-byte seed written as 64 hex digits or 43 base64url characters.
fn decode_seed(s: &str) -> Option<[u8; 32]> {
    let s = s.trim();
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        let mut out = [0u8; 32];
        for (i, pair) in s.as_bytes().chunks(2).enumerate() {
            out[i] = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
        }
        return Some(out);
    }
    B64URL.decode(s.trim_end_matches('=')).ok()?.try_into().ok()
}

fn decode_json<T: for<'de> Deserialize<'de>>(part: &str) -> Result<T, TokenError> {
    let bytes = B64URL.decode(part).map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> Keyring {
        Keyring::new(vec![Key::from_seed("k2", [2; 32]), Key::from_seed("k1", [1; 32])]).unwrap()
    }

    fn claims(now: u64) -> Claims {
        Claims { iss: "edgepix".into(), aud: "edgepix-api".into(), sub: "usr_a".into(), sid: "ses_a".into(), role: Role::Creator, iat: now, nbf: now, exp: now + ACCESS_TTL_SECS, jti: "j".into() }
    }

    fn verifier(keys: &Keyring) -> Verifier<'_> {
        Verifier { keys, issuer: "edgepix", audience: "edgepix-api" }
    }

    fn part(token: &str, i: usize) -> String {
        token.split('.').nth(i).unwrap().to_owned()
    }

    #[test]
    fn signs_and_verifies_with_the_first_key_and_rotated_keys_still_verify() {
        let keys = ring();
        let now = 1_800_000_000;
        let t = sign(&keys, &claims(now));
        let header: serde_json::Value = serde_json::from_slice(&B64URL.decode(part(&t, 0)).unwrap()).unwrap();
        assert_eq!(header, serde_json::json!({"alg": "EdDSA", "typ": "JWT", "kid": "k2"}));
        assert_eq!(verifier(&keys).verify(&t, now + 10), Ok(claims(now)));
        // A token of the retiring key k1 verifies while k1 is listed...
        let old = Keyring::new(vec![Key::from_seed("k1", [1; 32])]).unwrap();
        let t1 = sign(&old, &claims(now));
        assert!(verifier(&keys).verify(&t1, now).is_ok());
        // ...and not once it is removed.
        let retired = Keyring::new(vec![Key::from_seed("k2", [2; 32])]).unwrap();
        assert_eq!(verifier(&retired).verify(&t1, now), Err(TokenError::UnknownKey));
    }

    #[test]
    fn refuses_every_forgery() {
        let keys = ring();
        let now = 1_800_000_000;
        let t = sign(&keys, &claims(now));
        let v = verifier(&keys);
        // A flipped signature.
        let mut bad = t.clone();
        let last = bad.pop().unwrap();
        bad.push(if last == 'A' { 'B' } else { 'A' });
        assert_eq!(v.verify(&bad, now), Err(TokenError::Signature));
        // alg: none with no signature.
        let none = format!("{}.{}.", B64URL.encode(br#"{"alg":"none","typ":"JWT"}"#), part(&t, 1));
        assert_eq!(v.verify(&none, now), Err(TokenError::Algorithm));
        // HS256 (a verifier that used the public key as an HMAC secret).
        let hs = format!("{}.{}.{}", B64URL.encode(br#"{"alg":"HS256","kid":"k2"}"#), part(&t, 1), part(&t, 2));
        assert_eq!(v.verify(&hs, now), Err(TokenError::Algorithm));
        // The right kid, another key.
        let stranger = Keyring::new(vec![Key::from_seed("k2", [9; 32])]).unwrap();
        assert_eq!(v.verify(&sign(&stranger, &claims(now)), now), Err(TokenError::Signature));
        // An unknown kid.
        let unknown = Keyring::new(vec![Key::from_seed("nope", [2; 32])]).unwrap();
        assert_eq!(v.verify(&sign(&unknown, &claims(now)), now), Err(TokenError::UnknownKey));
        // Changed claims under the old signature.
        let mut c = claims(now);
        c.role = Role::Admin;
        let swapped = format!("{}.{}.{}", part(&t, 0), B64URL.encode(serde_json::to_vec(&c).unwrap()), part(&t, 2));
        assert_eq!(v.verify(&swapped, now), Err(TokenError::Signature));
        for junk in ["", "a.b", "a.b.c.d", "!!.!!.!!"] {
            assert_eq!(v.verify(junk, now), Err(TokenError::Malformed), "{junk:?}");
        }
    }

    #[test]
    fn checks_time_issuer_and_audience() {
        let keys = ring();
        let now = 1_800_000_000;
        let v = verifier(&keys);
        let t = sign(&keys, &claims(now));
        assert_eq!(v.verify(&t, now + ACCESS_TTL_SECS + LEEWAY_SECS), Err(TokenError::Expired));
        assert!(v.verify(&t, now + ACCESS_TTL_SECS + LEEWAY_SECS - 1).is_ok());
        assert_eq!(v.verify(&t, now - LEEWAY_SECS - 1), Err(TokenError::NotYetValid));
        let mut c = claims(now);
        c.aud = "other-api".into();
        assert_eq!(v.verify(&sign(&keys, &c), now), Err(TokenError::Audience));
        let mut c = claims(now);
        c.iss = "evil".into();
        assert_eq!(v.verify(&sign(&keys, &c), now), Err(TokenError::Issuer));
    }

    #[test]
    fn keyring_config_round_trips_and_refuses_bad_entries() {
        let keys = ring();
        let config = keys.keys().iter().map(Key::to_config).collect::<Vec<_>>().join(",");
        let back = Keyring::parse(&config).unwrap();
        assert_eq!(back.signer().public(), keys.signer().public());
        assert_eq!(Keyring::parse("").unwrap_err(), KeyringError::Empty);
        assert_eq!(Keyring::parse("k1").unwrap_err(), KeyringError::Entry(1));
        assert_eq!(Keyring::parse("k1:c2hvcnQ").unwrap_err(), KeyringError::Entry(1));
        let hex = Keyring::parse(&format!("h:{}", "02".repeat(32))).unwrap();
        assert_eq!(hex.signer().public(), Key::from_seed("h", [2; 32]).public());
        let one = Key::from_seed("a", [3; 32]).to_config();
        assert_eq!(Keyring::parse(&format!("{one},{one}")).unwrap_err(), KeyringError::DuplicateKid("a".into()));
        let jwks = keys.jwks();
        assert_eq!(jwks["keys"][0]["kid"], "k2");
        assert_eq!(jwks["keys"][0]["crv"], "Ed25519");
        assert!(!jwks.to_string().contains(&B64URL.encode([2u8; 32])), "no seed in the JWKS");
    }
}
