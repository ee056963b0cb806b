//! JPEG pixels in the JPEG's own colour space, for renders that only
//! resample a JPEG into a JPEG (the usual CDN request): the decoder's
//! planes go through the resampler and into the encoder as they are, with
//! no chroma upsampling, no conversion to RGB and back, and a byte per
//! sample instead of RGBA's four for each of luma's pixels.
//!
//! Resampling commutes with the colour conversion (an affine map), so the
//! pixels are those of the RGBA path but for rounding: one rounding step
//! less each way, and no clamping of out-of-gamut YCbCr to RGB between.

use super::decode::{JpegFrame, jpeg_at_scale};
use super::{CodecError, Limits, Probe, SourceFormat};

/// One channel of an image: `width * height` samples, row after row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plane {
    width: u32,
    height: u32,
    data: Vec<u8>,
}

impl Plane {
    /// A plane of `width * height` samples; `None` when `data` is not that long.
    pub fn new(width: u32, height: u32, data: Vec<u8>) -> Option<Plane> {
        (data.len() as u64 == u64::from(width) * u64::from(height)).then_some(Plane { width, height, data })
    }

    /// Samples per row.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Rows.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The samples, row after row.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The samples, for resampling in place.
    pub fn into_vec(self) -> Vec<u8> {
        self.data
    }

    /// Row `y` (`None` below the last).
    pub fn row(&self, y: u32) -> Option<&[u8]> {
        let w = self.width as usize;
        self.data.get(y as usize * w..(y as usize + 1) * w)
    }
}

/// A YCbCr image (JPEG's full-range BT.601): luma and two chroma planes,
/// each chroma sample covering `chroma_block` luma samples (width, height).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YccImage {
    /// Luma.
    pub y: Plane,
    /// Blue-difference chroma.
    pub cb: Plane,
    /// Red-difference chroma.
    pub cr: Plane,
    chroma_block: (u8, u8),
}

impl YccImage {
    /// Three planes, chroma subsampled by `chroma_block` (1 or 2 each way):
    /// `None` when the chroma planes do not have the size that gives.
    pub fn new(y: Plane, cb: Plane, cr: Plane, chroma_block: (u8, u8)) -> Option<YccImage> {
        let (bx, by) = chroma_block;
        let fits = |p: &Plane| p.width == y.width.div_ceil(u32::from(bx)) && p.height == y.height.div_ceil(u32::from(by));
        ([1, 2].contains(&bx) && [1, 2].contains(&by) && fits(&cb) && fits(&cr)).then_some(YccImage { y, cb, cr, chroma_block })
    }

    /// Luma samples per chroma sample (width, height).
    pub fn chroma_block(&self) -> (u8, u8) {
        self.chroma_block
    }

    /// Width and height, in luma samples.
    pub fn size(&self) -> (u32, u32) {
        (self.y.width, self.y.height)
    }
}

/// Decodes a JPEG to its YCbCr planes, at the scale [`super::decode`]
/// would choose for `at_least` and within the same limits: `None` (having
/// decoded nothing) for a JPEG that is not YCbCr with both chroma planes
/// at full, half-width or half-size resolution (grey, CMYK, RGB and the
/// rarer subsamplings take the RGBA path).
pub fn decode_ycc(bytes: &[u8], probe: &Probe, at_least: Option<(u32, u32)>, limits: &Limits) -> Result<Option<YccImage>, CodecError> {
    if probe.format != SourceFormat::Jpeg {
        return Ok(None);
    }
    let Some(frame) = JpegFrame::parse(bytes) else { return Ok(None) };
    let chroma_block = match frame.sampling[..] {
        [(h, v), (1, 1), (1, 1)] if (1..=2).contains(&h) && (1..=2).contains(&v) => (h, v),
        _ => return Ok(None),
    };
    let mut d = jpeg_at_scale(bytes, probe, at_least, limits)?;
    if d.output_color_transform() != Some(jpeg_decoder::ColorTransform::YCbCr) {
        return Ok(None);
    }
    let corrupt = |reason: String| CodecError::Corrupt { format: probe.format.as_str(), reason };
    let (planes, transform) = d.decode_components().map_err(|e| corrupt(e.to_string()))?;
    // A colour-transform marker after the frame header (very rare) only
    // shows now.
    if transform != jpeg_decoder::ColorTransform::YCbCr {
        return Ok(None);
    }
    let plane = |p: jpeg_decoder::ComponentPlane| {
        let (w, h) = (u32::try_from(p.width).ok(), u32::try_from(p.height).ok());
        w.zip(h).and_then(|(w, h)| Plane::new(w, h, p.data))
    };
    let mut planes = planes.into_iter().map(plane);
    let (Some(Some(y)), Some(Some(cb)), Some(Some(cr))) = (planes.next(), planes.next(), planes.next()) else {
        return Err(corrupt("the decoder gave no three component planes".to_owned()));
    };
    YccImage::new(y, cb, cr, chroma_block).map(Some).ok_or_else(|| corrupt("chroma planes of an unexpected size".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{self, Chroma};
    use crate::pixel::RgbaImage;

    fn photo(w: u32, h: u32) -> RgbaImage {
        let data = (0..w * h).flat_map(|i| {
            let (x, y) = (i % w, i / w);
            [(x * 255 / w) as u8, (y * 255 / h) as u8, ((x + y) * 255 / (w + h)) as u8, 255]
        });
        RgbaImage::from_vec(w, h, data.collect()).unwrap()
    }

    #[test]
    fn planes_convert_to_the_pixels_the_decoder_gives() {
        let src = photo(203, 97);
        for chroma in [Chroma::Subsampled, Chroma::Full] {
            let jpeg = codec::encode_jpeg(&src, 90, [255, 255, 255], chroma).unwrap().bytes;
            let limits = Limits::default();
            let probe = codec::probe(&jpeg, &limits).unwrap();
            for at_least in [None, Some((60, 30))] {
                let ycc = decode_ycc(&jpeg, &probe, at_least, &limits).unwrap().expect("a YCbCr JPEG");
                let rgba = codec::decode(&jpeg, &probe, at_least, &limits).unwrap();
                assert_eq!(ycc.size(), (rgba.width(), rgba.height()));
                let block = ycc.chroma_block();
                assert_eq!(block, if chroma == Chroma::Full { (1, 1) } else { (2, 2) });
                // Luma from the decoder's RGB is the plane.
                let worst = rgba.data().chunks_exact(4).zip(ycc.y.data()).map(|(p, &y)| {
                    let l = 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]);
                    (l - f64::from(y)).abs()
                });
                // Within rounding.
                let worst = worst.fold(0.0, f64::max);
                assert!(worst <= 1.5, "{chroma:?} {at_least:?}: {worst}");
            }
        }
    }

    #[test]
    fn cmyk_and_png_sources_take_the_rgba_path_and_progressive_ones_do_not() {
        let limits = Limits::default();
        let ycc = |bytes: &[u8]| decode_ycc(bytes, &codec::probe(bytes, &limits).unwrap(), None, &limits).unwrap();
        let png = codec::encode(&photo(20, 10), codec::OutputFormat::Png, 80, [0, 0, 0]).unwrap().bytes;
        assert_eq!(ycc(&png), None);
        assert_eq!(ycc(include_bytes!("testdata/cmyk-quadrants.jpg")), None);
        assert_eq!(ycc(include_bytes!("testdata/progressive-64x48.jpg")).map(|i| i.size()), Some((64, 48)));
    }

    #[test]
    fn chroma_planes_must_match_the_subsampling() {
        let p = |w, h| Plane::new(w, h, vec![0; (w * h) as usize]).unwrap();
        assert!(YccImage::new(p(5, 3), p(3, 2), p(3, 2), (2, 2)).is_some());
        assert!(YccImage::new(p(5, 3), p(3, 3), p(3, 2), (2, 2)).is_none());
        assert!(YccImage::new(p(5, 3), p(5, 3), p(5, 3), (1, 1)).is_some());
        assert!(YccImage::new(p(5, 3), p(2, 1), p(2, 1), (4, 4)).is_none());
        assert!(Plane::new(2, 2, vec![0; 3]).is_none());
    }
}
