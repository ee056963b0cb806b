//! The transformation pipeline as a bare wasm module for a JavaScript
//! engine: `cargo xtask bench transform` builds it for
//! `wasm32-unknown-unknown` and times it in node, whose V8 is the engine
//! workerd runs the Worker on, without the Worker's HTTP, D1 and R2. Code
//! changes to the pipeline are measured here: wasmtime's compiler ranks
//! some of them the other way round (docs/images.md, "Speed").
//!
//! Exports `edgepix_alloc(len) -> ptr` and `edgepix_render(src, src_len,
//! opts, opts_len) -> i64`: the output's size in bytes (0 for
//! `format=json`), or -1 when the options or the image are refused.
//! Nothing else: no wasm-bindgen, so the module needs no JavaScript glue.

/// A buffer of `len` bytes that the caller owns for the module's lifetime.
#[unsafe(no_mangle)]
pub extern "C" fn edgepix_alloc(len: usize) -> *mut u8 {
    Box::leak(vec![0u8; len].into_boxed_slice()).as_mut_ptr()
}

/// Renders the image at `src` with the options at `opts` (Cloudflare's
/// syntax, as in `/img/{options}/{id}`).
///
/// # Safety
/// Both ranges must lie in buffers from [`edgepix_alloc`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn edgepix_render(src: *const u8, src_len: usize, opts: *const u8, opts_len: usize) -> i64 {
    use edgepix_core::codec::Limits;
    use edgepix_core::transform::{options, pipeline};

    // SAFETY: the caller passes ranges inside buffers it got from
    // `edgepix_alloc`, which live as long as the module.
    let (source, opts) = unsafe { (std::slice::from_raw_parts(src, src_len), std::slice::from_raw_parts(opts, opts_len)) };
    let Some(opts) = std::str::from_utf8(opts).ok().and_then(|o| options::parse(o).ok()) else { return -1 };
    let format = pipeline::output_format(&opts, None, false);
    match pipeline::run(source, &opts, format, &Limits::default()) {
        Ok(pipeline::Output::Image(img)) => img.bytes.len() as i64,
        Ok(pipeline::Output::Json(_)) => 0,
        Err(_) => -1,
    }
}
