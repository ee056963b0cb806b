//! Format sniffing and header-only probing with limits.

use std::io::Cursor;

use super::CodecError;

/// A source format we can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SourceFormat {
    /// JPEG (baseline or progressive).
    Jpeg,
    /// PNG.
    Png,
    /// GIF (the first frame).
    Gif,
    /// WebP (lossy or lossless; the first frame).
    Webp,
}

impl SourceFormat {
    /// The format's short name.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceFormat::Jpeg => "jpeg",
            SourceFormat::Png => "png",
            SourceFormat::Gif => "gif",
            SourceFormat::Webp => "webp",
        }
    }

    /// The format's media type.
    pub fn mime(self) -> &'static str {
        match self {
            SourceFormat::Jpeg => "image/jpeg",
            SourceFormat::Png => "image/png",
            SourceFormat::Gif => "image/gif",
            SourceFormat::Webp => "image/webp",
        }
    }
}

/// Limits checked before decoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted file, in bytes.
    pub max_bytes: usize,
    /// Largest accepted image, in pixels, from its header.
    pub max_pixels: u64,
    /// Longest accepted side, in pixels.
    pub max_side: u32,
    /// Largest decoded RGBA buffer, in bytes (JPEGs are shrunk during
    /// decoding to stay under it when the output allows).
    pub decode_budget: u64,
    /// Largest output RGBA buffer, in bytes.
    pub output_budget: u64,
}

impl Default for Limits {
    /// 25 MB, 100 MP, 65 535 px a side (JPEG's own limit); a 48 MiB decode
    /// buffer (12.5 MP) and a 32 MiB output (8.3 MP, a 3840x2160 frame).
    /// Worst case in a 128 MiB isolate: the decoded image and a crop of it
    /// (96 MiB) are never alive with the output, which lives beside its
    /// encoding (about 60 MiB).
    fn default() -> Limits {
        Limits {
            max_bytes: 25_000_000,
            max_pixels: 100_000_000,
            max_side: 65_535,
            decode_budget: 48 * 1024 * 1024,
            output_budget: 32 * 1024 * 1024,
        }
    }
}

/// What the header says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    /// The sniffed format.
    pub format: SourceFormat,
    /// Stored width (before EXIF orientation).
    pub width: u32,
    /// Stored height (before EXIF orientation).
    pub height: u32,
    /// EXIF orientation, 1-8 (1 when absent or unreadable).
    pub orientation: u8,
    /// Whether the image may carry transparency.
    pub has_alpha: bool,
}

impl Probe {
    /// Width and height as displayed (after EXIF orientation).
    pub fn display_size(&self) -> (u32, u32) {
        if self.orientation >= 5 { (self.height, self.width) } else { (self.width, self.height) }
    }
}

/// Sniffs the format from magic bytes.
pub fn sniff(bytes: &[u8]) -> Result<SourceFormat, CodecError> {
    match bytes {
        [] => Err(CodecError::Empty),
        [0xFF, 0xD8, 0xFF, ..] => Ok(SourceFormat::Jpeg),
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Ok(SourceFormat::Png),
        [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => Ok(SourceFormat::Gif),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Ok(SourceFormat::Webp),
        [_, _, _, _, b'f', b't', b'y', b'p', b'a', b'v', b'i', b'f' | b's', ..] => Err(CodecError::UnsupportedFormat(Some("avif"))),
        [_, _, _, _, b'f', b't', b'y', b'p', b'h', b'e', b'i', b'c' | b'x', ..] => Err(CodecError::UnsupportedFormat(Some("heic"))),
        [b'B', b'M', ..] => Err(CodecError::UnsupportedFormat(Some("bmp"))),
        [b'I', b'I', 42, 0, ..] | [b'M', b'M', 0, 42, ..] => Err(CodecError::UnsupportedFormat(Some("tiff"))),
        _ => Err(CodecError::UnsupportedFormat(None)),
    }
}

/// Sniffs, reads the header and checks `limits`, without decoding pixels.
pub fn probe(bytes: &[u8], limits: &Limits) -> Result<Probe, CodecError> {
    if bytes.len() > limits.max_bytes {
        return Err(CodecError::TooManyBytes { actual: bytes.len(), limit: limits.max_bytes });
    }
    let format = sniff(bytes)?;
    let corrupt = |reason: String| CodecError::Corrupt { format: format.as_str(), reason };
    let (width, height, orientation, has_alpha) = match format {
        SourceFormat::Jpeg => {
            let mut d = jpeg_decoder::Decoder::new(Cursor::new(bytes));
            d.read_info().map_err(|e| corrupt(e.to_string()))?;
            let info = d.info().ok_or_else(|| corrupt("no frame header".to_owned()))?;
            let orientation = d.exif_data().map_or(1, exif_orientation);
            (u32::from(info.width), u32::from(info.height), orientation, false)
        }
        SourceFormat::Png => png_header(bytes).ok_or_else(|| corrupt("no IHDR chunk".to_owned()))?,
        SourceFormat::Gif => {
            let w = u16::from_le_bytes([bytes.get(6).copied().unwrap_or(0), bytes.get(7).copied().unwrap_or(0)]);
            let h = u16::from_le_bytes([bytes.get(8).copied().unwrap_or(0), bytes.get(9).copied().unwrap_or(0)]);
            if bytes.len() < 13 {
                return Err(corrupt("shorter than a GIF header".to_owned()));
            }
            (u32::from(w), u32::from(h), 1, true)
        }
        SourceFormat::Webp => {
            let d = image_webp::WebPDecoder::new(Cursor::new(bytes)).map_err(|e| corrupt(e.to_string()))?;
            let (w, h) = d.dimensions();
            // The decoder sizes its buffers from each frame's own header: a
            // small canvas must not hide a huge frame (found by fuzzing).
            for (fw, fh) in webp_frame_sizes(bytes) {
                if fw > w || fh > h {
                    return Err(corrupt(format!("a {fw}x{fh} frame does not fit the {w}x{h} canvas")));
                }
            }
            (w, h, webp_exif(bytes).map_or(1, exif_orientation), d.has_alpha())
        }
    };
    if width == 0 || height == 0 {
        return Err(corrupt(format!("the header says {width}x{height}")));
    }
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(CodecError::TooManyPixels { width, height, limit: limits.max_pixels });
    }
    if width > limits.max_side || height > limits.max_side {
        return Err(CodecError::TooLarge { width, height, limit: limits.max_side });
    }
    Ok(Probe { format, width, height, orientation, has_alpha })
}

/// Width, height, orientation and alpha from a PNG's IHDR (it must come
/// first, at a fixed offset) and its `eXIf` chunk.
fn png_header(bytes: &[u8]) -> Option<(u32, u32, u8, bool)> {
    if bytes.get(12..16)? != b"IHDR" {
        return None;
    }
    let be = |at: usize| Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
    let color_type = *bytes.get(25)?;
    // 4 = grey+alpha, 6 = RGBA, 3 = palette (may carry tRNS).
    let has_alpha = matches!(color_type, 3 | 4 | 6);
    Some((be(16)?, be(20)?, png_exif(bytes).map_or(1, exif_orientation), has_alpha))
}

/// The payload of a PNG's `eXIf` chunk, if one comes before the image
/// data: the PNG specification puts it there, and browsers read it only
/// there.
fn png_exif(bytes: &[u8]) -> Option<&[u8]> {
    let mut at = 8usize;
    loop {
        let len = u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?) as usize;
        let data = at + 8;
        match bytes.get(at + 4..data)? {
            b"eXIf" => return bytes.get(data..data.checked_add(len)?),
            b"IDAT" | b"IEND" => return None,
            // Length and type, the data, then its CRC.
            _ => at = data.checked_add(len)?.checked_add(4)?,
        }
    }
}

/// The payload of a WebP file's `EXIF` chunk. Only the extended format
/// (a `VP8X` chunk first) carries metadata chunks.
fn webp_exif(bytes: &[u8]) -> Option<&[u8]> {
    if bytes.get(12..16)? != b"VP8X" {
        return None;
    }
    let mut at = 12usize;
    loop {
        let len = u32::from_le_bytes(bytes.get(at + 4..at + 8)?.try_into().ok()?) as usize;
        let data = at + 8;
        if bytes.get(at..at + 4)? == b"EXIF" {
            return bytes.get(data..data.checked_add(len)?);
        }
        // Chunks are padded to an even length.
        at = data.checked_add(len)?.checked_add(len & 1)?;
    }
}

/// The sizes that the `VP8 ` and `VP8L` frame headers of a WebP file
/// declare (inside `ANMF` frames too).
fn webp_frame_sizes(bytes: &[u8]) -> Vec<(u32, u32)> {
    fn walk(mut data: &[u8], out: &mut Vec<(u32, u32)>, depth: u8) {
        while data.len() >= 8 && out.len() < 1024 {
            let id = &data[..4];
            let len = u32::from_le_bytes([data[4], data[5], data[6], data[7]]) as usize;
            let body = data.get(8..8 + len.min(data.len() - 8)).unwrap_or_default();
            match id {
                b"VP8 " if body.len() >= 10 => {
                    let w = u32::from(u16::from_le_bytes([body[6], body[7]]) & 0x3fff);
                    let h = u32::from(u16::from_le_bytes([body[8], body[9]]) & 0x3fff);
                    out.push((w, h));
                }
                b"VP8L" if body.len() >= 5 => {
                    let bits = u32::from_le_bytes([body[1], body[2], body[3], body[4]]);
                    out.push(((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1));
                }
                // An animation frame: 16 bytes of frame header, then chunks.
                b"ANMF" if body.len() > 16 && depth == 0 => walk(&body[16..], out, depth + 1),
                _ => {}
            }
            let step = 8 + len + (len & 1);
            if step > data.len() {
                break;
            }
            data = &data[step..];
        }
    }
    let mut out = Vec::new();
    if let Some(chunks) = bytes.get(12..) {
        walk(chunks, &mut out, 0);
    }
    out
}

/// The EXIF orientation tag (1-8) of a raw TIFF/EXIF block, 1 if absent.
/// The block may start with JPEG's `Exif\0\0` marker, as some PNG and
/// WebP writers (libvips among them) leave it in.
fn exif_orientation(raw: &[u8]) -> u8 {
    let raw = raw.strip_prefix(b"Exif\0\0").unwrap_or(raw);
    let Ok(exif) = exif::Reader::new().read_raw(raw.to_vec()) else { return 1 };
    exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .and_then(|v| u8::try_from(v).ok())
        .filter(|v| (1..=8).contains(v))
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_magic_not_by_name() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Ok(SourceFormat::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Ok(SourceFormat::Png));
        assert_eq!(sniff(b"GIF89a...."), Ok(SourceFormat::Gif));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Ok(SourceFormat::Webp));
        assert_eq!(sniff(b"\0\0\0\x1cftypavif"), Err(CodecError::UnsupportedFormat(Some("avif"))));
        assert_eq!(sniff(b"<svg>"), Err(CodecError::UnsupportedFormat(None)));
        assert_eq!(sniff(b""), Err(CodecError::Empty));
    }

    /// Written by libvips (sharp's `withMetadata({ orientation: 6 })`): a
    /// 6x4 image whose EXIF block starts with `Exif\0\0`, in a PNG `eXIf`
    /// chunk and in a lossless WebP's `EXIF` chunk (with `VP8X` and
    /// `ICCP`).
    #[test]
    fn png_and_webp_exif_orientation_is_read() {
        for file in [&include_bytes!("testdata/exif-orientation-6.png")[..], &include_bytes!("testdata/exif-orientation-6.webp")[..]] {
            let p = probe(file, &Limits::default()).unwrap();
            assert_eq!((p.width, p.height, p.orientation, p.display_size()), (6, 4, 6, (4, 6)), "{:?}", p.format);
        }
    }

    /// A PNG with `chunk` (type and data) inserted after IHDR, or after
    /// the first IDAT when `late`.
    fn png_with_chunk(kind: &[u8; 4], data: &[u8], late: bool) -> Vec<u8> {
        let png = include_bytes!("testdata/exif-orientation-6.png");
        let mut chunks = Vec::new();
        let mut at = 8;
        while at + 8 <= png.len() {
            let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
            chunks.push(&png[at..at + 12 + len]);
            at += 12 + len;
        }
        let mut out = png[..8].to_vec();
        let mut inserted = false;
        for c in chunks {
            let t = &c[4..8];
            if t == b"eXIf" {
                continue;
            }
            out.extend_from_slice(c);
            if !inserted && (t == b"IHDR" && !late || t == b"IDAT" && late) {
                out.extend((data.len() as u32).to_be_bytes());
                out.extend(kind);
                out.extend(data);
                out.extend([0; 4]); // The CRC: the probe does not read it.
                inserted = true;
            }
        }
        out
    }

    #[test]
    fn png_exif_counts_only_before_the_image_data() {
        let tiff = b"MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x08\0\0\0\0\0\0";
        let orientation = |png: &[u8]| probe(png, &Limits::default()).unwrap().orientation;
        assert_eq!(orientation(&png_with_chunk(b"eXIf", tiff, false)), 8, "bare TIFF block");
        assert_eq!(orientation(&png_with_chunk(b"eXIf", &[&b"Exif\0\0"[..], tiff].concat(), false)), 8, "with JPEG's marker");
        assert_eq!(orientation(&png_with_chunk(b"eXIf", tiff, true)), 1, "after IDAT");
        assert_eq!(orientation(&png_with_chunk(b"tEXt", b"k\0v", false)), 1, "no eXIf");
        // A chunk length past the end stops the walk.
        assert_eq!(orientation(&png_with_chunk(b"zzzz", &[], false)[..41]), 1);
    }

    #[test]
    fn webp_exif_is_read_only_in_the_extended_format() {
        let webp = include_bytes!("testdata/exif-orientation-6.webp");
        assert_eq!(webp_exif(webp).map(exif_orientation), Some(6));
        // The same chunks with the `VP8X` header renamed: not the extended
        // format, so no metadata.
        let mut simple = webp.to_vec();
        simple[12..16].copy_from_slice(b"VP8Y");
        assert_eq!(webp_exif(&simple), None);
        // Truncated inside the EXIF chunk: no payload, no panic.
        assert_eq!(webp_exif(&webp[..webp.len() - 10]), None);
        assert_eq!(webp_exif(&webp[..14]), None);
    }

    #[test]
    fn a_png_bomb_is_refused_from_its_header() {
        // A PNG header claiming 100000x100000, and nothing after it.
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend(100_000u32.to_be_bytes());
        png.extend(100_000u32.to_be_bytes());
        png.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
        assert!(matches!(probe(&png, &Limits::default()), Err(CodecError::TooManyPixels { width: 100_000, .. })));
    }

    #[test]
    fn byte_and_side_limits_apply() {
        let limits = Limits { max_bytes: 4, ..Limits::default() };
        assert!(matches!(probe(b"GIF89a", &limits), Err(CodecError::TooManyBytes { actual: 6, limit: 4 })));
        let mut gif = b"GIF89a".to_vec();
        gif.extend(60_000u16.to_le_bytes());
        gif.extend(2u16.to_le_bytes());
        gif.extend([0; 3]);
        let small = Limits { max_side: 1000, ..Limits::default() };
        assert!(matches!(probe(&gif, &small), Err(CodecError::TooLarge { width: 60_000, .. })));
    }

    #[test]
    fn a_webp_frame_larger_than_its_canvas_is_refused() {
        // VP8X canvas 15x7 (stored minus one), then a VP8 frame of 16383x16383.
        let mut webp = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0\x0e\0\0\x06\0\0".to_vec();
        webp.extend_from_slice(b"VP8 \x0a\0\0\0\0\0\0\x9d\x01\x2a\xff\x3f\xff\x3f");
        let len = (webp.len() - 8) as u32;
        webp[4..8].copy_from_slice(&len.to_le_bytes());
        assert_eq!(webp_frame_sizes(&webp), vec![(16383, 16383)]);
        match probe(&webp, &Limits::default()) {
            Err(CodecError::Corrupt { reason, .. }) => assert!(reason.contains("16383x16383"), "{reason}"),
            other => panic!("{other:?}"),
        }
        let crash = include_bytes!("testdata/webp-frame-larger-than-canvas.webp");
        assert!(matches!(probe(crash, &Limits::default()), Err(CodecError::Corrupt { .. })));
    }

    #[test]
    fn truncated_files_are_corrupt_not_panics() {
        for bytes in [&[0xFF, 0xD8, 0xFF][..], b"\x89PNG\r\n\x1a\n", b"GIF89a\x01", b"RIFF\0\0\0\0WEBP"] {
            assert!(matches!(probe(bytes, &Limits::default()), Err(CodecError::Corrupt { .. })), "{bytes:?}");
        }
    }
}
