//! The whole pipeline: the input is `OPTIONS\nIMAGE` (everything before
//! the first newline is the options string; with no newline, `width=32`
//! and the whole input as the image). Output formats cycle by the first
//! image byte. Never a panic.
#![no_main]

use edgepix_core::codec::{Limits, OutputFormat};
use edgepix_core::transform::options::parse;
use edgepix_core::transform::pipeline::{output_format, run};
use libfuzzer_sys::fuzz_target;

const LIMITS: Limits = Limits {
    max_bytes: 1 << 20,
    max_pixels: 1_000_000,
    max_side: 4096,
    decode_budget: 4 << 20,
    output_budget: 1 << 20,
};

fuzz_target!(|data: &[u8]| {
    let (opts, image) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b"width=32"[..], data),
    };
    let Ok(opts) = std::str::from_utf8(opts) else { return };
    let Ok(opts) = parse(opts) else { return };
    let has_alpha = image.first().is_some_and(|b| b & 1 == 1);
    let format: Option<OutputFormat> = output_format(&opts, Some("image/webp,image/avif"), has_alpha);
    let _ = run(image, &opts, format, &LIMITS);
});
