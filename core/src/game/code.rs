//! A game's public short code: 12 base62 characters (about 71 bits) drawn
//! from a CSPRNG's bytes by the caller, so that codes cannot be guessed or
//! enumerated.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Characters in a code.
pub const LEN: usize = 12;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A game's short code.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ShortCode(String);

impl ShortCode {
    /// A code from random bytes, without modulo bias: bytes of 248 and
    /// above are skipped. `None` when fewer than 12 usable bytes remain
    /// (give 32 bytes and it practically never happens).
    pub fn from_random(bytes: &[u8]) -> Option<ShortCode> {
        let code: String = bytes.iter().filter(|&&b| b < 248).take(LEN).map(|&b| char::from(ALPHABET[usize::from(b % 62)])).collect();
        (code.len() == LEN).then_some(ShortCode(code))
    }

    /// Parses a code as it appears in a URL.
    pub fn parse(s: &str) -> Option<ShortCode> {
        (s.len() == LEN && s.bytes().all(|b| b.is_ascii_alphanumeric())).then(|| ShortCode(s.to_owned()))
    }

    /// The code's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ShortCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ShortCode {
    type Error = String;

    fn try_from(s: String) -> Result<ShortCode, String> {
        ShortCode::parse(&s).ok_or_else(|| format!("{s:?} is not a 12-character game code"))
    }
}

impl From<ShortCode> for String {
    fn from(c: ShortCode) -> String {
        c.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_twelve_base62_characters() {
        let bytes: Vec<u8> = (0..32u8).map(|i| i.wrapping_mul(37)).collect();
        let c = ShortCode::from_random(&bytes).unwrap();
        assert_eq!(c.as_str().len(), LEN);
        assert_eq!(ShortCode::parse(c.as_str()), Some(c));
        assert_eq!(ShortCode::from_random(&[255; 32]), None);
        assert_eq!(ShortCode::parse("abc"), None);
        assert_eq!(ShortCode::parse("abcdefghijk/"), None);
        assert_eq!(ShortCode::parse("abcdefghijké"), None);
    }

    #[test]
    fn every_character_is_equally_likely() {
        // Each byte below 248 maps to 62 characters exactly 4 times.
        let mut seen = [0u32; 62];
        for b in 0..=255u8 {
            if let Some(c) = ShortCode::from_random(&[b; 12]) {
                seen[ALPHABET.iter().position(|&a| a == c.0.as_bytes()[0]).unwrap()] += 1;
            }
        }
        assert!(seen.iter().all(|&n| n == 4));
    }
}
