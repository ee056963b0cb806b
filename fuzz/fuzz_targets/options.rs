//! Options parser: never panics, and the canonical form parses back to the
//! same options.
#![no_main]

use edgepix_core::transform::options::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(o) = parse(s) {
        let canonical = o.canonical();
        assert_eq!(parse(&canonical), Ok(o.clone()), "round trip failed: input {s:?}, canonical {canonical:?}");
        // Canonical is a fixed point.
        assert_eq!(parse(&canonical).map(|p| p.canonical()), Ok(canonical));
    }
});
