//! The view image of a protected asset and what the Worker derives from it:
//! the scrambled JPEG a ticket gets, and the reference a leak is compared
//! with.

use crate::codec::{self, Chroma, CodecError, Encoded, Limits};
use crate::pixel::{PixelError, RgbaImage};
use crate::protect::config::ProtectionConfig;
use crate::protect::grid::{Grid, MAX_VIEW_SIDE};
use crate::protect::{noise, overlay, watermark};
use crate::protect::scramble::{self, Layout};
use crate::transform::options::{self, OptionError, Options};
use crate::transform::pipeline::{self, TransformError};

/// JPEG quality of scrambled images: high, so that what the viewer sees
/// stays close to the view image before noise is added (at 92 the JPEG
/// alone costs up to 0.04 of SSIM on some photos, and the canvas left the
/// 0.95-0.98 band; at 97 every test photo keeps 0.956 or more at the
/// strongest noise).
pub const SCRAMBLED_QUALITY: u8 = 97;

/// The transformation that makes the view image: the upright original,
/// scaled down (never up) to fit `MAX_VIEW_SIDE` both ways.
pub fn options() -> Result<Options, OptionError> {
    options::parse(&format!("width={MAX_VIEW_SIDE},height={MAX_VIEW_SIDE},fit=scale-down"))
}

/// The view image of `source` (EXIF orientation applied).
pub fn render(source: &[u8], options: &Options, limits: &Limits) -> Result<RgbaImage, TransformError> {
    pipeline::run_pixels(source, options, limits)
}

/// The grid that cuts `view` for `config`.
pub fn grid(view: &RgbaImage, config: &ProtectionConfig) -> Grid {
    Grid::new(view.width(), view.height(), config.segment_count)
}

/// The scrambled image a ticket with `seed` gets, as a 4:4:4 JPEG (so that
/// no colour bleeds across tile edges), and its layout.
pub fn scrambled_jpeg(view: &RgbaImage, config: &ProtectionConfig, seed: &[u8]) -> Result<Encoded, CodecError> {
    let grid = grid(view, config);
    let layout = Layout::new(&grid, seed, config.rotation);
    let scrambled = scramble::scramble(view, &grid, &layout);
    codec::encode_jpeg(&scrambled, SCRAMBLED_QUALITY, [0, 0, 0], Chroma::Full)
}

/// What a viewer's canvas held before its watermark: the view image with
/// the config's overlay. Identification compares leaks with this.
pub fn reference(mut view: RgbaImage, config: &ProtectionConfig) -> RgbaImage {
    let (w, h) = (view.width(), view.height());
    // The buffer matches its own dimensions, so drawing cannot fail.
    let _ = overlay::draw(view.data_mut(), w, h, config.overlay_complexity);
    view
}

/// What a viewer's canvas shows for a ticket: `scrambled` (the ticket's
/// image decoded, padded-size RGBA) put back in order, then the viewer's
/// noise at the config's level from `seed`, the overlay, and, when the
/// config asks for it, the watermark carrying `payload`. The browser module
/// draws exactly these bytes.
pub fn compose(scrambled: &[u8], grid: &Grid, config: &ProtectionConfig, seed: &[u8], payload: u64) -> Result<Vec<u8>, PixelError> {
    let (w, h) = (grid.width, grid.height);
    let layout = Layout::new(grid, seed, config.rotation);
    let mut out = vec![0u8; w as usize * h as usize * 4];
    scramble::descramble(scrambled, grid, &layout, &mut out)?;
    noise::apply(&mut out, w, h, config.noise_level, seed)?;
    overlay::draw(&mut out, w, h, config.overlay_complexity)?;
    if config.watermark {
        watermark::embed(&mut out, w, h, payload, watermark::DEFAULT_STRENGTH)?;
    }
    Ok(out)
}
