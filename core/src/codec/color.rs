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
    let Some(transform) = transform_to_srgb(icc) else { return false };
    if !moves_colours(&transform) {
        return true;
    }
    transform.apply(img.data_mut());
    true
}

/// Whether `icc` describes sRGB itself, as far as 8-bit pixels go: its
/// conversion to sRGB moves no colour of a 6x6x6 grid and the greys by
/// more than one level. Pixels of such a file are left as decoded, which
/// also lets a JPEG with the common sRGB profile stay in YCbCr.
pub fn is_srgb(icc: &[u8]) -> bool {
    transform_to_srgb(icc).is_some_and(|t| !moves_colours(&t))
}

/// The conversion from `icc` to sRGB (perceptual intent), when `icc`
/// parses and is an RGB profile.
fn transform_to_srgb(icc: &[u8]) -> Option<qcms::Transform> {
    let input = qcms::Profile::new_from_slice(icc, false)?;
    let mut srgb = qcms::Profile::new_sRGB();
    srgb.precache_output_transform();
    qcms::Transform::new(&input, &srgb, qcms::DataType::RGBA8, qcms::Intent::Perceptual)
}

/// Whether `transform` moves any colour of a 6x6x6 grid, or any grey, by
/// more than one level.
fn moves_colours(transform: &qcms::Transform) -> bool {
    let level = |i: u32| (i % 6 * 51) as u8;
    let mut probe: Vec<u8> = (0..216u32).flat_map(|i| [level(i / 36), level(i / 6), level(i), 255]).collect();
    probe.extend((0..=255u8).flat_map(|v| [v, v, v, 255]));
    let before = probe.clone();
    transform.apply(&mut probe);
    probe.iter().zip(&before).any(|(a, b)| a.abs_diff(*b) > 1)
}

#[cfg(test)]
/// A display profile (ICC v4) with these colorants (D50 XYZ of R, G
/// and B) and sRGB's tone curve, for tests.
pub(crate) fn test_profile(colorants: [[f64; 3]; 3]) -> Vec<u8> {
    let fixed = |v: f64| ((v * 65536.0).round() as i32).to_be_bytes();
    let xyz = |c: [f64; 3]| -> Vec<u8> { [&b"XYZ \0\0\0\0"[..], &fixed(c[0]), &fixed(c[1]), &fixed(c[2])].concat() };
    // Parametric curve type 3: sRGB's, g 2.4, a 1/1.055, b 0.055/1.055,
    // c 1/12.92, d 0.04045.
    let curve: Vec<u8> = [&b"para\0\0\0\0\0\x03\0\0"[..], &fixed(2.4), &fixed(1.0 / 1.055), &fixed(0.055 / 1.055), &fixed(1.0 / 12.92), &fixed(0.04045)].concat();
    let tags: [(&[u8; 4], Vec<u8>); 7] = [
        (b"rXYZ", xyz(colorants[0])),
        (b"gXYZ", xyz(colorants[1])),
        (b"bXYZ", xyz(colorants[2])),
        (b"wtpt", xyz([0.9642, 1.0, 0.8249])),
        (b"rTRC", curve.clone()),
        (b"gTRC", curve.clone()),
        (b"bTRC", curve),
    ];
    let mut table = (tags.len() as u32).to_be_bytes().to_vec();
    let mut data = Vec::new();
    let start = 128 + 4 + 12 * tags.len();
    for (sig, body) in &tags {
        table.extend_from_slice(&sig[..]);
        table.extend_from_slice(&((start + data.len()) as u32).to_be_bytes());
        table.extend_from_slice(&(body.len() as u32).to_be_bytes());
        data.extend_from_slice(body);
        data.resize(data.len().next_multiple_of(4), 0);
    }
    let mut header = vec![0u8; 128];
    header[0..4].copy_from_slice(&((128 + table.len() + data.len()) as u32).to_be_bytes());
    header[8..12].copy_from_slice(&[4, 0x30, 0, 0]);
    header[12..16].copy_from_slice(b"mntr");
    header[16..20].copy_from_slice(b"RGB ");
    header[20..24].copy_from_slice(b"XYZ ");
    header[36..40].copy_from_slice(b"acsp");
    for (i, v) in [0.9642, 1.0, 0.8249].into_iter().enumerate() {
        header[68 + 4 * i..72 + 4 * i].copy_from_slice(&fixed(v));
    }
    [header, table, data].concat()
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
        assert!(!is_srgb(b"not a profile"));
    }

    #[test]
    fn srgb_profiles_leave_pixels_as_they_are_and_others_convert() {
        // sRGB's and Display P3's primaries, adapted to D50.
        let srgb = test_profile([[0.4361, 0.2225, 0.0139], [0.3851, 0.7169, 0.0971], [0.1431, 0.0606, 0.7141]]);
        let p3 = test_profile([[0.5151, 0.2412, -0.0011], [0.2920, 0.6922, 0.0419], [0.1571, 0.0666, 0.7841]]);
        assert!(is_srgb(&srgb));
        assert!(!is_srgb(&p3));
        let img = RgbaImage::filled(4, 4, [200, 30, 60, 255]);
        let mut same = img.clone();
        assert!(to_srgb(&mut same, &srgb));
        assert_eq!(same, img, "an sRGB file's pixels are left as decoded");
        let mut wide = img.clone();
        assert!(to_srgb(&mut wide, &p3));
        // Display P3 red is outside sRGB: it clips to full red there.
        assert!(wide.data()[0] > 200 && wide.data()[1] < 30, "{:?}", &wide.data()[..4]);
    }
}
