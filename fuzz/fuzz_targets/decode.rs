//! Probe, validate and decode arbitrary bytes under small limits: never a
//! panic, never an image over the budgets, and never more heap than a
//! small multiple of the decode budget (decoders need working memory
//! beside the RGBA buffer: PNG's RGB row buffer, JPEG's coefficients).
//!
//! `EDGEPIX_FUZZ_PEAK_MB` sets the heap ceiling (default 48 MiB, 3x the
//! decode budget). `EDGEPIX_FUZZ_SKIP_KNOWN=1` stops known, reported
//! findings from ending a run: WebP files whose VP8 frame header disagrees
//! with the VP8X canvas are skipped, and GIFs get a 64 MiB ceiling (see
//! README.md).
#![no_main]

use std::sync::OnceLock;

use edgepix_core::codec::{Limits, SourceFormat, decode, probe, validate};
use edgepix_fuzz::{Counting, peak_limit_mb, start, usage};
use libfuzzer_sys::fuzz_target;

#[global_allocator]
static ALLOC: Counting = Counting;

const LIMITS: Limits = Limits {
    max_bytes: 1 << 20,
    max_pixels: 4_000_000,
    max_side: 16_384,
    decode_budget: 16 << 20,
    output_budget: 16 << 20,
};

/// Heap ceiling for one input: 3x the decode budget unless
/// `EDGEPIX_FUZZ_PEAK_MB` says otherwise.
fn ceiling() -> usize {
    static C: OnceLock<usize> = OnceLock::new();
    *C.get_or_init(|| peak_limit_mb(3 * 16) << 20)
}

fn skip_known() -> bool {
    static S: OnceLock<bool> = OnceLock::new();
    *S.get_or_init(|| std::env::var_os("EDGEPIX_FUZZ_SKIP_KNOWN").is_some_and(|v| v == "1"))
}

/// The size in the first top-level `VP8 ` chunk's frame header, if any.
fn vp8_frame_size(data: &[u8]) -> Option<(u32, u32)> {
    let mut at = 12;
    while let Some(head) = data.get(at..at + 8) {
        let size = u32::from_le_bytes(head[4..8].try_into().ok()?) as usize;
        if &head[..4] == b"VP8 " {
            let f = data.get(at + 8..at + 18)?;
            let dim = |i: usize| u32::from(u16::from_le_bytes([f[i], f[i + 1]]) & 0x3FFF);
            return Some((dim(6), dim(8)));
        }
        at = at.checked_add(8)?.checked_add(size)?.checked_add(size & 1)?;
    }
    None
}

/// Returns the format probed, if any.
fn check(data: &[u8]) -> Option<SourceFormat> {
    let p = probe(data, &LIMITS).ok()?;
    if skip_known() && p.format == SourceFormat::Webp && vp8_frame_size(data).is_some_and(|s| s != (p.width, p.height)) {
        return None;
    }
    assert!(p.width > 0 && p.height > 0);
    assert!(u64::from(p.width) * u64::from(p.height) <= LIMITS.max_pixels);
    assert!(p.width <= LIMITS.max_side && p.height <= LIMITS.max_side);
    if validate(data, &p, &LIMITS).is_err() {
        return Some(p.format);
    }
    if let Ok(img) = decode(data, &p, Some((64, 64)), &LIMITS) {
        let bytes = u64::from(img.width()) * u64::from(img.height()) * 4;
        assert!(bytes <= LIMITS.decode_budget, "decoded {}x{} over the budget", img.width(), img.height());
        assert!(
            img.width() <= p.width && img.height() <= p.height,
            "decoded {}x{} larger than the header's {}x{}",
            img.width(),
            img.height(),
            p.width,
            p.height
        );
    }
    Some(p.format)
}

fuzz_target!(|data: &[u8]| {
    let base = start();
    let format = check(data);
    let u = usage(base);
    let ceiling = if skip_known() && format == Some(SourceFormat::Gif) { ceiling().max(64 << 20) } else { ceiling() };
    assert!(
        u.peak <= ceiling,
        "heap peak {} bytes (largest allocation {}) over the ceiling of {} for a {}-byte input",
        u.peak,
        u.largest,
        ceiling,
        data.len()
    );
});
