//! Pixel-art sprite sheets from a background-removed pet photo.
//!
//! The input is the segmenter's cut-out: RGBA whose alpha is the ISNet
//! mask. [`sprite_sheet`] runs, in order:
//!
//! 1. [`cutout`]: keep the largest 8-connected region of alpha >= 128 and
//!    crop to it (stray specks of the mask go).
//! 2. [`downscale`]: area averaging with premultiplied alpha to the sprite
//!    height, then crisp alpha (each pixel fully opaque or fully
//!    transparent, at 50 % coverage).
//! 3. [`quantize`]: k-means in Oklab over the opaque pixels (k-means++
//!    seeded from a fixed seed) to 8-16 colours, then nearest-colour
//!    mapping, or [`dither`]ed mapping (4x4 Bayer in lightness) on request.
//! 4. [`frames`]: idle, walk and jump animations made by nearest-neighbour
//!    squash/stretch, leg shear and vertical offsets of the still sprite,
//!    feet on a common baseline, each frame then [`outline`]d (1 px, closed,
//!    a darker shade of the palette's darkest colour).
//! 5. [`sheet`]: the frames packed one animation a row into one PNG, with a
//!    TexturePacker "JSON Hash" atlas that Phaser and PixiJS load as is.
//!
//! Everything is integer arithmetic or IEEE basic operations (see
//! [`oklab`]): the same cut-out gives the same bytes on every tier.

pub mod cutout;
pub mod dither;
pub mod downscale;
pub mod frames;
pub mod oklab;
pub mod outline;
pub mod quantize;
pub mod sheet;

use thiserror::Error;

use crate::codec::CodecError;
use crate::error::ErrorCode;
use crate::pixel::RgbaImage;

pub use sheet::{Atlas, AtlasFrame, AtlasMeta, AtlasRect, AtlasSize};

/// Why no sprite sheet could be made.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PixelArtError {
    /// No pixel of the cut-out has alpha >= 128.
    #[error("the cut-out has no foreground (no pixel with alpha >= 128)")]
    NoForeground,
    /// The largest foreground region is too small to draw.
    #[error("the largest foreground region is {pixels} px, under the minimum of {min} px")]
    TooSmall {
        /// Pixels in the largest region.
        pixels: usize,
        /// The minimum.
        min: usize,
    },
    /// The subject is so thin that no pixel of the sprite is half covered.
    #[error("nothing of the subject is left at {height} px tall (it is too thin)")]
    TooThin {
        /// The sprite height asked for.
        height: u32,
    },
    /// The cut-out has more pixels than we process.
    #[error("the cut-out is {width}x{height}, over the limit of {limit} pixels")]
    TooLarge {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
        /// The pixel limit.
        limit: u64,
    },
    /// A sprite height outside [`SpriteOptions::HEIGHTS`].
    #[error("sprite height {0} is outside 16..=128")]
    Height(u32),
    /// A palette size outside [`SpriteOptions::COLOURS`].
    #[error("palette size {0} is outside 8..=16")]
    Colours(u8),
    /// The PNG encoder refused the sheet.
    #[error(transparent)]
    Encode(#[from] CodecError),
}

impl PixelArtError {
    /// The stable code every tier answers this error with.
    pub fn code(&self) -> ErrorCode {
        match self {
            PixelArtError::NoForeground | PixelArtError::TooSmall { .. } | PixelArtError::TooThin { .. } => ErrorCode::InvalidRequest,
            PixelArtError::TooLarge { .. } => ErrorCode::ImageTooLarge,
            PixelArtError::Height(_) | PixelArtError::Colours(_) => ErrorCode::InvalidOption,
            PixelArtError::Encode(e) => e.code(),
        }
    }
}

/// How the sprite is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpriteOptions {
    /// Sprite height in pixels before the outline (16..=128; the width keeps
    /// the aspect ratio, at most twice the height).
    pub height: u32,
    /// Palette size before the outline colour (8..=16).
    pub colours: u8,
    /// Ordered (Bayer) dithering in lightness.
    pub dither: bool,
}

impl SpriteOptions {
    /// Accepted sprite heights.
    pub const HEIGHTS: std::ops::RangeInclusive<u32> = 16..=128;
    /// Accepted palette sizes.
    pub const COLOURS: std::ops::RangeInclusive<u8> = 8..=16;

    /// Checks the ranges.
    pub fn validate(&self) -> Result<(), PixelArtError> {
        if !Self::HEIGHTS.contains(&self.height) {
            return Err(PixelArtError::Height(self.height));
        }
        if !Self::COLOURS.contains(&self.colours) {
            return Err(PixelArtError::Colours(self.colours));
        }
        Ok(())
    }
}

impl Default for SpriteOptions {
    /// 48 px tall, 12 colours, no dithering.
    fn default() -> Self {
        SpriteOptions { height: 48, colours: 12, dither: false }
    }
}

/// A sprite sheet and what it was made from.
#[derive(Clone, Debug, PartialEq)]
pub struct SpriteSheet {
    /// The sheet, PNG.
    pub sheet_png: Vec<u8>,
    /// The sheet's pixels.
    pub sheet: RgbaImage,
    /// The atlas naming each frame's rectangle in the sheet.
    pub atlas: Atlas,
    /// The still sprite, outlined (for a thumbnail or a start screen).
    pub sprite: RgbaImage,
    /// The still sprite, PNG.
    pub sprite_png: Vec<u8>,
    /// The palette, darkest first (without the outline colour).
    pub palette: Vec<[u8; 3]>,
    /// The outline colour.
    pub outline: [u8; 3],
}

/// Turns a background-removed cut-out into an animated pixel-art sprite
/// sheet (see the module documentation for the steps).
pub fn sprite_sheet(cutout: &RgbaImage, opts: &SpriteOptions) -> Result<SpriteSheet, PixelArtError> {
    opts.validate()?;
    let subject = cutout::largest_component(cutout)?;
    let small = downscale::downscale(&subject.image, opts.height);
    if small.width() == 0 {
        return Err(PixelArtError::TooThin { height: opts.height });
    }
    let q = quantize::quantize(&small, opts.colours, opts.dither);
    let outline = outline::outline_colour(&q.palette);
    let animations = frames::animate(&q.image, outline);
    let (sheet, atlas) = sheet::pack(&animations);
    let sprite = outline::add_outline(&q.image, outline);
    let png = |img: &RgbaImage| crate::codec::encode(img, crate::codec::OutputFormat::Png, 100, [0, 0, 0]).map(|e| e.bytes);
    Ok(SpriteSheet { sheet_png: png(&sheet)?, sheet, atlas, sprite_png: png(&sprite)?, sprite, palette: q.palette, outline })
}

#[cfg(test)]
mod tests;
