//! Reading and writing image files with limits checked before any pixel is
//! decoded.
//!
//! [`probe`] sniffs the format from the bytes (never a name or a content
//! type), reads the header only, and checks byte, pixel and dimension
//! limits; [`decode`] then produces RGBA, shrinking JPEGs during the DCT
//! when a smaller size will do (the memory trick that keeps 48-megapixel
//! photos inside a Worker's 128 MiB); [`encode`] writes JPEG, PNG or WebP.

mod color;
mod decode;
mod encode;
mod probe;
mod ycc;

pub use color::{icc_profile, is_srgb, to_srgb};
#[cfg(test)]
pub(crate) use color::test_profile;
pub use decode::{decode, validate};
pub use encode::{Chroma, Encoded, OutputFormat, encode, encode_gray_png, encode_jpeg, encode_jpeg_ycc, encode_webp_ycc};
pub use probe::{Limits, Probe, SourceFormat, probe};
pub use ycc::{Plane, YccImage, decode_ycc};

use crate::error::ErrorCode;
use thiserror::Error;

/// Why an image could not be read or written.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodecError {
    /// The body is empty.
    #[error("the body is empty")]
    Empty,
    /// The bytes are not a format we read.
    #[error("unsupported image format{}: we read JPEG, PNG, GIF and WebP", .0.map(|f| format!(" ({f})")).unwrap_or_default())]
    UnsupportedFormat(Option<&'static str>),
    /// More bytes than allowed.
    #[error("the image is {actual} bytes, over the limit of {limit}")]
    TooManyBytes {
        /// Bytes given.
        actual: usize,
        /// The limit.
        limit: usize,
    },
    /// More pixels than allowed (from the header, before decoding).
    #[error("the image is {width}x{height} ({} MP), over the limit of {} MP", megapixels(*.width, *.height), *.limit as f64 / 1e6)]
    TooManyPixels {
        /// Width from the header.
        width: u32,
        /// Height from the header.
        height: u32,
        /// Pixel limit.
        limit: u64,
    },
    /// A side longer than allowed.
    #[error("the image is {width}x{height}, a side is over the limit of {limit} px")]
    TooLarge {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
        /// The limit per side.
        limit: u32,
    },
    /// The decoded buffer would not fit the memory budget.
    #[error("decoding would need {needed} bytes of pixels, over the budget of {budget}; ask for a smaller size")]
    OverBudget {
        /// Bytes needed.
        needed: u64,
        /// The budget.
        budget: u64,
    },
    /// The decoder itself would hold more than the memory budget allows:
    /// a progressive JPEG's coefficients at any scale, or a WebP's
    /// intermediate planes (see `decode::webp_footprint`).
    #[error("decoding this {what} takes {needed} bytes, over the budget of {budget}; upload it with fewer pixels{hint}")]
    DecoderOverBudget {
        /// What kind of file, such as "progressive JPEG".
        what: &'static str,
        /// What else would do, starting with ", " (or empty).
        hint: &'static str,
        /// Bytes needed at the smallest scale.
        needed: u64,
        /// The budget.
        budget: u64,
    },
    /// The file is damaged or truncated.
    #[error("the {format} data is damaged or truncated: {reason}")]
    Corrupt {
        /// The format being read.
        format: &'static str,
        /// What the decoder said.
        reason: String,
    },
    /// The encoder refused the image.
    #[error("cannot encode {format}: {reason}")]
    Encode {
        /// The output format.
        format: &'static str,
        /// Why.
        reason: String,
    },
}

impl CodecError {
    /// The stable code every tier answers this error with.
    pub fn code(&self) -> ErrorCode {
        match self {
            CodecError::Empty => ErrorCode::InvalidRequest,
            CodecError::TooManyBytes { .. } => ErrorCode::PayloadTooLarge,
            CodecError::UnsupportedFormat(_) => ErrorCode::UnsupportedMediaType,
            CodecError::TooManyPixels { .. } | CodecError::TooLarge { .. } | CodecError::OverBudget { .. } | CodecError::DecoderOverBudget { .. } => ErrorCode::ImageTooLarge,
            CodecError::Corrupt { .. } => ErrorCode::CorruptImage,
            CodecError::Encode { .. } => ErrorCode::Internal,
        }
    }
}

fn megapixels(w: u32, h: u32) -> f64 {
    (f64::from(w) * f64::from(h) / 1e5).round() / 10.0
}
