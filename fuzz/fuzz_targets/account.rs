//! Account parsers on hostile input: access tokens, emails, stored password
//! hashes, key rings, cookies, origins, scope lists and rate-limit rules
//! never panic, and no input verifies as a token it was not signed as.
#![no_main]

use edgepix_core::account::email::Email;
use edgepix_core::account::jwt::{Key, Keyring, Verifier};
use edgepix_core::account::password::PasswordHash;
use edgepix_core::account::{Scope, web};
use edgepix_core::ratelimit::Rules;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let keys = Keyring::new(vec![Key::from_seed("k1", [1; 32])]).expect("one key");
    let verifier = Verifier { keys: &keys, issuer: "edgepix", audience: "edgepix-api" };
    assert!(verifier.verify(s, 1_800_000_000).is_err(), "an unsigned input verified: {s:?}");
    if let Ok(e) = Email::parse(s) {
        assert_eq!(Email::parse(e.as_str()).as_ref(), Ok(&e), "normalising is idempotent");
    }
    if let Ok(h) = PasswordHash::parse(s) {
        assert_eq!(PasswordHash::parse(&h.to_phc()), Ok(h.clone()));
    }
    let _ = Keyring::parse(s);
    let _ = web::refresh_from_cookie(s);
    let mid = (0..=s.len() / 2).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0);
    let (a, b) = s.split_at(mid);
    let _ = web::same_origin(Some(a), Some(b), "https://edgepix.example");
    let _ = web::same_origin(None, Some(s), "https://edgepix.example");
    if let Ok(scopes) = Scope::parse_list(s) {
        assert_eq!(Scope::parse_list(&Scope::join(&scopes)), Ok(scopes));
    }
    let _ = Rules::parse(s);
});
