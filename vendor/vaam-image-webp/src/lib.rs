//! Decoding and Encoding of WebP Images

#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Increase recursion limit for the `quick_error!` macro.
#![recursion_limit = "256"]
// Enable nightly benchmark functionality if "_benchmarks" feature is enabled.
#![cfg_attr(all(test, feature = "_benchmarks"), feature(test))]
#[cfg(all(test, feature = "_benchmarks"))]
extern crate test;

pub use decoder::{DecodingError, LoopCount, UpsamplingMethod, WebPDecodeOptions, WebPDecoder};
pub use encoder::{encode_vp8_yuv420, ColorType, EncodingError, WebPEncoder};
pub use lossless::EncoderParams;

mod alpha_blending;
mod decoder;
mod encoder;
mod extended;
mod lossless;
mod lossy;

/// An implementation of the VP8 Video Codec
///
/// This module contains a partial implementation of the
/// VP8 video format as defined in RFC-6386.
///
/// It decodes Keyframes only.
/// VP8 is the underpinning of the WebP image format
///
/// # Related Links
/// * [rfc-6386](http://tools.ietf.org/html/rfc6386) - The VP8 Data Format and Decoding Guide
/// * [VP8.pdf](http://static.googleusercontent.com/media/research.google.com/en//pubs/archive/37073.pdf) - An overview of of the VP8 format
pub mod vp8 {
    pub use crate::lossy::{Frame, Vp8Decoder};
}
