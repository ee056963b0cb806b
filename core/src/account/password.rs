//! Passwords: the rules a new one must meet, and the stored hash.
//!
//! Hashes are PBKDF2-HMAC-SHA256 with a per-account salt, written with their
//! parameters (`$pbkdf2-sha256$i=N$salt$hash`, base64 without padding) so
//! that the iteration count can be raised later: [`PasswordHash::needs_rehash`]
//! says when a stored hash is weaker than the current setting.

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::email::Email;

/// Shortest password accepted, in characters.
pub const MIN_CHARS: usize = 10;
/// Longest password accepted, in characters (bounds the KDF's input).
pub const MAX_CHARS: usize = 256;
/// The iteration count of new hashes unless configured otherwise.
pub const DEFAULT_ITERATIONS: u32 = 100_000;
/// The fewest iterations a configuration may ask for.
pub const MIN_ITERATIONS: u32 = 10_000;
/// Bytes of salt per hash.
pub const SALT_BYTES: usize = 16;
/// Bytes of a derived hash (SHA-256 output).
pub const HASH_BYTES: usize = 32;
const PREFIX: &str = "$pbkdf2-sha256$i=";

/// Why a new password is refused; each names its rule.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Fewer than [`MIN_CHARS`] characters.
    #[error("the password must have at least {MIN_CHARS} characters")]
    TooShort,
    /// More than [`MAX_CHARS`] characters.
    #[error("the password must have at most {MAX_CHARS} characters")]
    TooLong,
    /// A well-known password, a common word with digits around it, or only
    /// digits and symbols.
    #[error("the password is a well-known one; choose a less guessable one")]
    Common,
    /// One character repeated, or a run such as `0123456789`.
    #[error("the password is one repeated character or a simple sequence")]
    Trivial,
    /// It contains the email's local part.
    #[error("the password must not contain the email address")]
    ContainsEmail,
}

/// Words that, with only digits and symbols around them, make a guessable
/// password (from the lists that password-cracking dictionaries start with).
const COMMON_WORDS: &[&str] = &[
    "password", "passw0rd", "p@ssw0rd", "qwerty", "qwertyuiop", "asdfghjkl", "zxcvbnm", "letmein", "welcome", "admin", "administrator",
    "iloveyou", "monkey", "dragon", "football", "baseball", "sunshine", "princess", "master", "shadow", "superman", "trustno1", "abc",
    "abcdef", "abcdefghij", "changeme", "secret", "login", "edgepix", "qazwsx", "1q2w3e4r5t", "1qaz2wsx", "starwars", "whatever",
];

/// Checks a new password against the rules.
pub fn check_new(password: &str, email: &Email) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(PasswordError::TooShort);
    }
    if chars > MAX_CHARS {
        return Err(PasswordError::TooLong);
    }
    let lower = password.to_lowercase();
    let core = lower.trim_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation() || c == ' ');
    // Digits and symbols alone are what guessing starts with.
    if core.is_empty() || COMMON_WORDS.contains(&core) {
        return Err(PasswordError::Common);
    }
    if is_sequence(&lower) {
        return Err(PasswordError::Trivial);
    }
    let local = email.local_part();
    if local.chars().count() >= 3 && lower.contains(local) {
        return Err(PasswordError::ContainsEmail);
    }
    Ok(())
}

/// One character repeated, or each character one more (or less) than the
/// one before.
fn is_sequence(s: &str) -> bool {
    let cs: Vec<u32> = s.chars().map(u32::from).collect();
    let steps: Vec<i64> = cs.windows(2).map(|w| i64::from(w[1]) - i64::from(w[0])).collect();
    steps.iter().all(|&d| d == 0) || steps.iter().all(|&d| d == 1) || steps.iter().all(|&d| d == -1)
}

/// A stored password hash and its parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordHash {
    iterations: u32,
    salt: Vec<u8>,
    hash: [u8; HASH_BYTES],
}

/// A stored hash that is not in the format we write.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the stored password hash is not a $pbkdf2-sha256$ string")]
pub struct MalformedHash;

impl PasswordHash {
    /// Hashes `password` with `salt` and `iterations`.
    pub fn new(password: &str, salt: [u8; SALT_BYTES], iterations: u32) -> PasswordHash {
        let iterations = effective_iterations(iterations);
        PasswordHash { iterations, salt: salt.to_vec(), hash: derive(password, &salt, iterations) }
    }

    /// A hash derived elsewhere (the Worker derives with WebCrypto) from
    /// `salt` and `iterations`, as [`derive`] would.
    pub fn from_derived(salt: [u8; SALT_BYTES], iterations: u32, hash: [u8; HASH_BYTES]) -> PasswordHash {
        PasswordHash { iterations, salt: salt.to_vec(), hash }
    }

    /// The hash's iteration count.
    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// The hash's salt.
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }

    /// Whether `derived` (the KDF of a candidate password with this salt and
    /// iteration count, computed elsewhere) is this hash, in constant time.
    pub fn matches(&self, derived: &[u8; HASH_BYTES]) -> bool {
        derived.ct_eq(&self.hash).into()
    }

    /// Whether `password` is the one hashed, compared in constant time.
    pub fn verify(&self, password: &str) -> bool {
        derive(password, &self.salt, self.iterations).ct_eq(&self.hash).into()
    }

    /// Whether a hash made now with `iterations` would be stronger.
    pub fn needs_rehash(&self, iterations: u32) -> bool {
        self.iterations < iterations.max(MIN_ITERATIONS)
    }

    /// The stored form, parameters included.
    pub fn to_phc(&self) -> String {
        format!("{PREFIX}{}${}${}", self.iterations, B64.encode(&self.salt), B64.encode(self.hash))
    }

    /// Reads [`PasswordHash::to_phc`]'s form.
    pub fn parse(s: &str) -> Result<PasswordHash, MalformedHash> {
        let rest = s.strip_prefix(PREFIX).ok_or(MalformedHash)?;
        let mut parts = rest.split('$');
        let (Some(i), Some(salt), Some(hash), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(MalformedHash);
        };
        let iterations = i.parse::<u32>().map_err(|_| MalformedHash)?;
        let salt = B64.decode(salt).map_err(|_| MalformedHash)?;
        let hash = B64.decode(hash).map_err(|_| MalformedHash)?.try_into().map_err(|_| MalformedHash)?;
        if iterations < MIN_ITERATIONS || salt.len() < 8 {
            return Err(MalformedHash);
        }
        Ok(PasswordHash { iterations, salt, hash })
    }
}

/// Spends the work of one verification without an account, so that an
/// unknown email costs as much time as a wrong password.
pub fn burn(password: &str, iterations: u32) {
    let _ = derive(password, BURN_SALT, effective_iterations(iterations));
}

/// The iteration count a new hash made with `iterations` uses (never
/// below the floor).
pub fn effective_iterations(iterations: u32) -> u32 {
    iterations.max(MIN_ITERATIONS)
}

/// The salt [`burn`] spends its work with.
pub const BURN_SALT: &[u8] = b"edgepix-no-such-account";

/// PBKDF2-HMAC-SHA256 of `password`, 32 bytes: the reference the Worker's
/// WebCrypto derivation is checked against.
pub fn derive(password: &str, salt: &[u8], iterations: u32) -> [u8; HASH_BYTES] {
    let mut out = [0u8; HASH_BYTES];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, iterations, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> Email {
        Email::parse("someone@example.com").unwrap()
    }

    #[test]
    fn rules_name_what_is_wrong() {
        let cases: &[(&str, Result<(), PasswordError>)] = &[
            ("short", Err(PasswordError::TooShort)),
            ("password1234", Err(PasswordError::Common)),
            ("Password!!2024", Err(PasswordError::Common)),
            ("1234567890", Err(PasswordError::Common)),
            ("qwertyuiop", Err(PasswordError::Common)),
            ("aaaaaaaaaaaa", Err(PasswordError::Trivial)),
            ("abcdefghijklm", Err(PasswordError::Trivial)),
            ("my-someone-secret", Err(PasswordError::ContainsEmail)),
            ("correct horse battery", Ok(())),
            ("' OR '1'='1 -- x", Ok(())),
        ];
        for (pw, want) in cases {
            assert_eq!(&check_new(pw, &email()), want, "{pw:?}");
        }
        assert_eq!(check_new(&"x".repeat(MAX_CHARS + 1), &email()), Err(PasswordError::TooLong));
        assert_eq!(check_new(&"é".repeat(MIN_CHARS - 1), &email()), Err(PasswordError::TooShort), "characters, not bytes");
    }

    #[test]
    fn hashes_verify_round_trip_and_carry_their_parameters() {
        let h = PasswordHash::new("correct horse battery", [7; SALT_BYTES], MIN_ITERATIONS);
        assert!(h.verify("correct horse battery"));
        assert!(!h.verify("correct horse batterz"));
        assert!(!h.verify(""));
        let stored = h.to_phc();
        assert!(stored.starts_with("$pbkdf2-sha256$i=10000$"), "{stored}");
        let back = PasswordHash::parse(&stored).unwrap();
        assert_eq!(back, h);
        assert!(back.needs_rehash(DEFAULT_ITERATIONS));
        assert!(!back.needs_rehash(MIN_ITERATIONS));
        // Another salt gives another hash for the same password.
        assert_ne!(PasswordHash::new("correct horse battery", [8; SALT_BYTES], MIN_ITERATIONS).to_phc(), stored);
    }

    #[test]
    fn matches_the_rfc_7914_pbkdf2_sha256_vector() {
        // RFC 7914 section 11: P="passwd", S="salt", c=1, dkLen=64 (first 32 bytes).
        let mut out = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(b"passwd", b"salt", 1, &mut out);
        assert_eq!(out[..8], [0x55, 0xac, 0x04, 0x6e, 0x56, 0xe3, 0x08, 0x9f]);
    }

    #[test]
    fn malformed_stored_hashes_are_refused() {
        for bad in ["", "$pbkdf2-sha256$i=10$AAAAAAAAAAA$AAAA", "$argon2id$v=19$m=1,t=1,p=1$x$y", "$pbkdf2-sha256$i=x$a$b", "$pbkdf2-sha256$i=20000$!!$AAAA"] {
            assert_eq!(PasswordHash::parse(bad), Err(MalformedHash), "{bad}");
        }
    }
}
