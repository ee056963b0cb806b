//! Colour management: pixels of a file with an embedded ICC profile are
//! converted to sRGB, which is what browsers assume for untagged output
//! (and what sharp and Cloudflare serve).

use std::io::Cursor;

use super::{Probe, SourceFormat};
use crate::pixel::RgbaImage;

/// The ICC profile embedded in `bytes` (JPEG APP2, PNG iCCP, WebP ICCP),
/// read from the headers only; `None` without one or on a damaged header.
pub fn icc_profile(bytes: &[u8], probe: &Probe) -> Option<Vec<u8>> {
    match probe.format {
        SourceFormat::Jpeg => {
            let mut d = jpeg_decoder::Decoder::new(Cursor::new(bytes));
            d.read_info().ok()?;
            d.icc_profile()
        }
        SourceFormat::Png => {
            let reader = png::Decoder::new(Cursor::new(bytes)).read_info().ok()?;
            reader.info().icc_profile.as_ref().map(|p| p.to_vec())
        }
        SourceFormat::Webp => image_webp::WebPDecoder::new(Cursor::new(bytes)).ok()?.icc_profile().ok()?,
        SourceFormat::Gif => None,
    }
}

/// Converts `img` in place from the RGB colour space `icc` describes to
/// sRGB (perceptual intent; alpha untouched). Returns whether it did: a
/// profile that does not parse, or is not an RGB one (CMYK, grey), leaves
/// the pixels as decoded.
pub fn to_srgb(img: &mut RgbaImage, icc: &[u8]) -> bool {
    let Some(input) = qcms::Profile::new_from_slice(icc, false) else { return false };
    let mut srgb = qcms::Profile::new_sRGB();
    srgb.precache_output_transform();
    let Some(transform) = qcms::Transform::new(&input, &srgb, qcms::DataType::RGBA8, qcms::Intent::Perceptual) else { return false };
    transform.apply(img.data_mut());
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{Limits, OutputFormat, encode, probe};

    #[test]
    fn untagged_files_have_no_profile_and_junk_profiles_change_nothing() {
        let img = RgbaImage::filled(8, 8, [200, 100, 50, 255]);
        for format in [OutputFormat::Png, OutputFormat::Jpeg, OutputFormat::Webp] {
            let bytes = encode(&img, format, 90, [0; 3]).unwrap().bytes;
            assert_eq!(icc_profile(&bytes, &probe(&bytes, &Limits::default()).unwrap()), None, "{format:?}");
        }
        let mut copy = img.clone();
        assert!(!to_srgb(&mut copy, b"not a profile"));
        assert_eq!(copy, img);
    }
}
