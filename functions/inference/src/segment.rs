//! `POST /v1/segment`: ISNet background removal, pre- and post-processing
//! from `edgepix_core::segment`, the model on a backend.

use std::str::FromStr;

use edgepix_core::codec::{OutputFormat, encode, encode_gray_png};
use edgepix_core::pixel::RgbaImage;
use edgepix_core::segment;

use crate::backend::BackendError;
use crate::error::PoolError;
use crate::models::Slot;

/// What `/v1/segment` returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Output {
    /// The alpha mask, an 8-bit grayscale PNG at the input's size.
    Mask,
    /// The input with the mask as its alpha channel, an RGBA PNG.
    #[default]
    Cutout,
}

impl FromStr for Output {
    type Err = PoolError;

    fn from_str(s: &str) -> Result<Output, PoolError> {
        match s {
            "mask" => Ok(Output::Mask),
            "cutout" => Ok(Output::Cutout),
            other => Err(PoolError::InvalidRequest(format!("output={other:?} is not one of: mask, cutout"))),
        }
    }
}

/// Runs the segmenter of `slot` on a decoded (and oriented) image and
/// encodes the result as PNG.
pub fn run(slot: &Slot, mut img: RgbaImage, output: Output, mut on_inference: impl FnMut(f64)) -> Result<Vec<u8>, PoolError> {
    let session = slot.session()?;
    let input = segment::preprocess(&img);
    let started = std::time::Instant::now();
    let out = session.run(input, slot.kind().input())?;
    on_inference(started.elapsed().as_secs_f64());
    let mask = segment::mask_from_output(&out.data, img.width(), img.height());
    if mask.is_empty() {
        return Err(BackendError::Run(format!("the segmenter gave shape {:?}, expected [1, 1, 1024, 1024]", out.shape)).into());
    }
    match output {
        Output::Mask => Ok(encode_gray_png(img.width(), img.height(), &mask)?),
        Output::Cutout => {
            segment::apply_mask(&mut img, &mask);
            Ok(encode(&img, OutputFormat::Png, 100, [0, 0, 0])?.bytes)
        }
    }
}
