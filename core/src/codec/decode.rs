//! Decoding to RGBA, with JPEG shrink-on-load.

use std::io::Cursor;

use super::{CodecError, Limits, Probe, SourceFormat};
use crate::pixel::RgbaImage;

/// Decodes `bytes` (already probed) to RGBA in stored orientation.
///
/// `at_least` is the smallest size, in stored orientation, the decoded image
/// should have: JPEGs are decoded at the smallest DCT scale (1/1, 1/2, 1/4,
/// 1/8) that still covers it, or, when that decode would not fit its
/// memory (see `JpegFrame::footprint`), at the largest scale that fits,
/// which is smaller. `None` decodes at full size. The decoded buffer must
/// fit `limits.decode_budget`, and what the decoder holds besides, with
/// the source, 2.25 times that (`peak_budget`).
pub fn decode(bytes: &[u8], probe: &Probe, at_least: Option<(u32, u32)>, limits: &Limits) -> Result<RgbaImage, CodecError> {
    let corrupt = |reason: String| CodecError::Corrupt { format: probe.format.as_str(), reason };
    let check_budget = |w: u32, h: u32| {
        let needed = u64::from(w) * u64::from(h) * 4;
        if needed > limits.decode_budget { Err(CodecError::OverBudget { needed, budget: limits.decode_budget }) } else { Ok(()) }
    };
    match probe.format {
        SourceFormat::Jpeg => {
            let mut d = jpeg_at_scale(bytes, probe, at_least, limits)?;
            let pixels = d.decode().map_err(|e| corrupt(e.to_string()))?;
            let info = d.info().ok_or_else(|| corrupt("no frame header".to_owned()))?;
            let (w, h) = (u32::from(info.width), u32::from(info.height));
            let rgba = match info.pixel_format {
                jpeg_decoder::PixelFormat::RGB24 => rgb_to_rgba(pixels),
                jpeg_decoder::PixelFormat::L8 => expand(pixels, 1, |p| [p[0], p[0], p[0], 255]),
                jpeg_decoder::PixelFormat::L16 => expand(pixels, 2, |p| [p[0], p[0], p[0], 255]),
                jpeg_decoder::PixelFormat::CMYK32 => expand(pixels, 4, cmyk_to_rgba),
            };
            RgbaImage::from_vec(w, h, rgba).map_err(|e| corrupt(e.to_string()))
        }
        SourceFormat::Png => {
            check_budget(probe.width, probe.height)?;
            let mut d = png::Decoder::new(Cursor::new(bytes));
            d.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16 | png::Transformations::ALPHA);
            d.set_limits(png::Limits { bytes: usize::try_from(limits.decode_budget).unwrap_or(usize::MAX) });
            let mut reader = d.read_info().map_err(|e| corrupt(e.to_string()))?;
            whole_palette(&reader).map_err(corrupt)?;
            let rows = reader.output_buffer_size().ok_or_else(|| corrupt("image too large".to_owned()))?;
            // The decoder writes at the front of a buffer the size of the
            // RGBA image, which `expand` then fills in place: no second
            // full-size buffer is ever alive.
            let mut buf = Vec::with_capacity(rows.max(probe.width as usize * probe.height as usize * 4));
            buf.resize(rows, 0);
            let frame = reader.next_frame(&mut buf).map_err(|e| corrupt(e.to_string()))?;
            buf.truncate(frame.buffer_size());
            let rgba = match frame.color_type {
                png::ColorType::Rgba => buf,
                png::ColorType::Rgb => rgb_to_rgba(buf),
                png::ColorType::GrayscaleAlpha => expand(buf, 2, |p| [p[0], p[0], p[0], p[1]]),
                png::ColorType::Grayscale => expand(buf, 1, |p| [p[0], p[0], p[0], 255]),
                png::ColorType::Indexed => return Err(corrupt("palette not expanded".to_owned())),
            };
            RgbaImage::from_vec(frame.width, frame.height, rgba).map_err(|e| corrupt(e.to_string()))
        }
        SourceFormat::Gif => {
            check_budget(probe.width, probe.height)?;
            let mut opts = gif::DecodeOptions::new();
            opts.set_color_output(gif::ColorOutput::RGBA);
            let mut d = opts.read_info(Cursor::new(bytes)).map_err(|e| corrupt(e.to_string()))?;
            let (sw, sh) = (u32::from(d.width()), u32::from(d.height()));
            let frame = d.next_frame_info().map_err(|e| corrupt(e.to_string()))?.ok_or_else(|| corrupt("no frame".to_owned()))?;
            let (left, top, fw, fh) = (u32::from(frame.left), u32::from(frame.top), u32::from(frame.width), u32::from(frame.height));
            // Sized by us, not by the decoder: a frame may claim more than
            // its canvas.
            check_budget(fw, fh)?;
            let frame_bytes = fw as usize * fh as usize * 4;
            if (left, top, fw, fh) == (0, 0, sw, sh) {
                // The usual case: the first frame is the canvas, decoded
                // straight into the image (no second full-size buffer).
                let mut canvas = vec![0; frame_bytes];
                d.read_into_buffer(&mut canvas).map_err(|e| corrupt(e.to_string()))?;
                return RgbaImage::from_vec(sw, sh, canvas).map_err(|e| corrupt(e.to_string()));
            }
            let mut canvas = RgbaImage::filled(sw, sh, [0, 0, 0, 0]);
            let mut pixels = vec![0; frame_bytes];
            d.read_into_buffer(&mut pixels).map_err(|e| corrupt(e.to_string()))?;
            blit(&mut canvas, &pixels, left, top, fw, fh);
            Ok(canvas)
        }
        SourceFormat::Webp => {
            check_budget(probe.width, probe.height)?;
            let (what, needed) = webp_footprint(bytes, probe.width, probe.height);
            let needed = needed + bytes.len() as u64;
            if needed > peak_budget(limits) {
                return Err(CodecError::DecoderOverBudget { what, hint: "", needed, budget: peak_budget(limits) });
            }
            let mut d = image_webp::WebPDecoder::new(Cursor::new(bytes)).map_err(|e| corrupt(e.to_string()))?;
            let (w, h) = d.dimensions();
            let size = d.output_buffer_size().ok_or_else(|| corrupt("image too large".to_owned()))?;
            // Room for RGBA, so that `expand` works in place.
            let mut buf = Vec::with_capacity(size.max(w as usize * h as usize * 4));
            buf.resize(size, 0);
            if d.is_animated() {
                d.read_frame(&mut buf).map_err(|e| corrupt(e.to_string()))?;
            } else {
                d.read_image(&mut buf).map_err(|e| corrupt(e.to_string()))?;
            }
            let rgba = if d.has_alpha() { buf } else { rgb_to_rgba(buf) };
            RgbaImage::from_vec(w, h, rgba).map_err(|e| corrupt(e.to_string()))
        }
    }
}

/// A JPEG decoder for `bytes`, set to decode at `at_least` (see [`decode`]):
/// the smallest DCT scale that covers it, halved while the decoder's peak
/// memory would be over the budget; refused when even that is over it.
pub(super) fn jpeg_at_scale<'a>(bytes: &'a [u8], probe: &Probe, at_least: Option<(u32, u32)>, limits: &Limits) -> Result<jpeg_decoder::Decoder<Cursor<&'a [u8]>>, CodecError> {
    let corrupt = |reason: String| CodecError::Corrupt { format: probe.format.as_str(), reason };
    let mut d = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    d.read_info().map_err(|e| corrupt(e.to_string()))?;
    let frame = JpegFrame::parse(bytes).ok_or_else(|| corrupt("no frame header".to_owned()))?;
    let peak_budget = peak_budget(limits);
    let footprint = |eighths: u32| frame.footprint(probe.width, probe.height, eighths) + bytes.len() as u64;
    // A progressive JPEG's coefficients alone may be over the
    // budget, whatever the scale.
    if footprint(1) > peak_budget {
        let hint = ", or as a baseline (not progressive) JPEG";
        return Err(CodecError::DecoderOverBudget { what: "progressive JPEG", hint, needed: footprint(1), budget: peak_budget });
    }
    // The scale, in eighths: the smallest that covers `at_least`,
    // halved while its decode would not fit.
    let eighths = match at_least {
        Some((w, h)) => {
            let covers = |n: u32| (probe.width * n).div_ceil(8) >= w && (probe.height * n).div_ceil(8) >= h;
            let mut n = [1, 2, 4].into_iter().find(|&n| covers(n)).unwrap_or(8);
            while n > 1 && footprint(n) > peak_budget {
                n /= 2;
            }
            n
        }
        None => 8,
    };
    let (w, h) = if eighths == 8 {
        (probe.width, probe.height)
    } else {
        let req = |v: u32| u16::try_from(v.div_ceil(8)).unwrap_or(u16::MAX);
        let (w, h) = d.scale(req(probe.width * eighths), req(probe.height * eighths)).map_err(|e| corrupt(e.to_string()))?;
        (u32::from(w), u32::from(h))
    };
    let needed = u64::from(w) * u64::from(h) * 4;
    if needed > limits.decode_budget {
        return Err(CodecError::OverBudget { needed, budget: limits.decode_budget });
    }
    if footprint(eighths) > peak_budget {
        return Err(CodecError::OverBudget { needed: footprint(eighths), budget: peak_budget });
    }
    Ok(d)
}

/// Decodes just enough to prove the whole file is readable, in bounded
/// memory: JPEGs at 1/8 scale, PNGs row by row, GIF and WebP their first
/// frame (within the decode budget). Truncated or damaged files fail here.
pub fn validate(bytes: &[u8], probe: &Probe, limits: &Limits) -> Result<(), CodecError> {
    match probe.format {
        SourceFormat::Png => {
            let corrupt = |reason: String| CodecError::Corrupt { format: "png", reason };
            let mut d = png::Decoder::new(Cursor::new(bytes));
            d.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
            let mut reader = d.read_info().map_err(|e| corrupt(e.to_string()))?;
            whole_palette(&reader).map_err(corrupt)?;
            while reader.next_row().map_err(|e| corrupt(e.to_string()))?.is_some() {}
            reader.finish().map_err(|e| corrupt(e.to_string()))
        }
        _ => decode(bytes, probe, Some((1, 1)), limits).map(drop),
    }
}

/// Refuses a palette that is not whole RGB entries: png 0.18.1 reads past
/// the end of such a PLTE chunk, and panics, when it expands the first row
/// (image-rs/image-png#694; fixed upstream, not yet released). Found by the
/// `transform` fuzzer.
fn whole_palette<R: std::io::BufRead + std::io::Seek>(reader: &png::Reader<R>) -> Result<(), String> {
    match reader.info().palette.as_deref() {
        Some(palette) if palette.len() % 3 != 0 => Err(format!("a PLTE chunk of {} bytes is not whole RGB entries", palette.len())),
        _ => Ok(()),
    }
}

/// What a decoder may hold besides the decoded image, with the source:
/// 2.25 decode budgets (108 MiB by default, for the Worker's 112 MiB).
fn peak_budget(limits: &Limits) -> u64 {
    limits.decode_budget / 4 * 9
}

/// The bytes image-webp holds at its peak for a `width` x `height` WebP,
/// the source aside, and what kind of WebP it is. Measured natively with
/// a counting allocator on 4096x3050 WebPs, per pixel: lossy 5.7 (our
/// RGBA, the YUV planes), lossless 8.0 (its ARGB words and our RGBA),
/// lossy with alpha 10.5 (also the alpha plane, decoded as a lossless
/// image of ARGB words), counted as 11: a 3780x2835 one at 10.5 took the
/// Worker to 118.1 MB of wasm memory, over its 112 MiB. The first frame of
/// an animation composes onto a canvas besides: 15. Nothing frees them
/// sooner and there is no scaling while decoding, so a WebP over the
/// budget is refused, whatever the request: about 10 MP with alpha, 13.5
/// MP lossless, the 12.5 MP decode budget otherwise.
fn webp_footprint(bytes: &[u8], width: u32, height: u32) -> (&'static str, u64) {
    let (mut lossless, mut alpha, mut animated) = (false, false, false);
    let mut at = 12usize;
    while let (Some(id), Some(len)) = (bytes.get(at..at + 4), bytes.get(at + 4..at + 8)) {
        match id {
            b"VP8L" => lossless = true,
            b"ALPH" => alpha = true,
            b"ANIM" | b"ANMF" => animated = true,
            _ => {}
        }
        let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
        let Some(next) = (at + 8).checked_add(len).and_then(|n| n.checked_add(len & 1)) else { break };
        at = next;
    }
    let (what, tenths) = match (animated, lossless, alpha) {
        (true, _, _) => ("animated WebP", 150),
        (false, _, true) => ("WebP with alpha", 110),
        (false, true, false) => ("lossless WebP", 80),
        (false, false, false) => ("WebP", 57),
    };
    (what, u64::from(width) * u64::from(height) * tenths / 10)
}

/// What a JPEG's frame header (SOFn) says about the memory its decoding
/// takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct JpegFrame {
    /// Each component's sampling factors (horizontal, vertical; 1-4).
    pub(super) sampling: Vec<(u8, u8)>,
    /// Progressive (SOF2, 6, 10, 14): every coefficient is kept until the
    /// last scan.
    progressive: bool,
}

impl JpegFrame {
    /// The frame header of `bytes` (it comes before the first scan).
    pub(super) fn parse(bytes: &[u8]) -> Option<JpegFrame> {
        let mut at = 2; // after SOI
        loop {
            // Fill bytes (0xFF) may precede a marker.
            while *bytes.get(at)? == 0xFF && *bytes.get(at + 1)? == 0xFF {
                at += 1;
            }
            if *bytes.get(at)? != 0xFF {
                return None;
            }
            let marker = *bytes.get(at + 1)?;
            match marker {
                // Markers without a length.
                0x01 | 0xD0..=0xD7 => at += 2,
                // SOF0-SOF15, except DHT (C4), JPG (C8) and DAC (CC).
                0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                    let count = usize::from(*bytes.get(at + 9)?);
                    let components = bytes.get(at + 10..at + 10 + 3 * count)?;
                    let sampling: Vec<(u8, u8)> = components.chunks_exact(3).map(|c| (c[1] >> 4, c[1] & 0x0F)).collect();
                    let valid = !sampling.is_empty() && sampling.iter().all(|&(h, v)| (1..=4).contains(&h) && (1..=4).contains(&v));
                    return valid.then_some(JpegFrame { sampling, progressive: matches!(marker, 0xC2 | 0xC6 | 0xCA | 0xCE) });
                }
                // A scan or the end before any frame header.
                0xDA | 0xD9 => return None,
                _ => {
                    let len = usize::from(u16::from_be_bytes([*bytes.get(at + 2)?, *bytes.get(at + 3)?]));
                    at += 2 + len;
                }
            }
        }
    }

    /// The bytes a decode at `eighths`/8 of `width` x `height` holds at
    /// its peak, the source aside: jpeg-decoder's coefficients when
    /// progressive (two bytes each, all of them at any scale), its
    /// component planes (sized by the sampling factors), its interleaved
    /// output (a byte per component and pixel), and the RGBA buffer that
    /// output is widened into. On wasm none of them can be reused for
    /// another (each is a fresh block of linear memory, which never
    /// shrinks), so they add up. [`decode`] holds this plus the source to
    /// 2.25 times the decode budget (108 MiB by default). Measured in the
    /// Worker on 4096x3072 JPEGs decoded whole: 4:2:0 (102 MiB of planes,
    /// output and RGBA, and a 1.2 MB source) peaked at 105 MiB of wasm
    /// memory; 4:4:4 (120 MiB and a 6.6 MB source) at 128 MiB, and the
    /// progressive 4:2:0 one (138 MiB) at 125 MiB: over the isolate's
    /// limit, so those are now decoded at 1/2. An 8000x6000 progressive
    /// JPEG (137 MiB of coefficients; 148 MiB of wasm memory to check it
    /// at 1/8) is refused.
    fn footprint(&self, width: u32, height: u32, eighths: u32) -> u64 {
        let (w, h) = (u64::from((width * eighths).div_ceil(8)), u64::from((height * eighths).div_ceil(8)));
        let (hmax, vmax) = self.sampling.iter().fold((1, 1), |(a, b), &(h, v)| (a.max(u64::from(h)), b.max(u64::from(v))));
        let coefficients: u64 = if self.progressive {
            // Blocks of 64 two-byte coefficients, whole MCUs of them.
            let (mcu_x, mcu_y) = (u64::from(width).div_ceil(8 * hmax), u64::from(height).div_ceil(8 * vmax));
            self.sampling.iter().map(|&(hs, vs)| mcu_x * u64::from(hs) * mcu_y * u64::from(vs) * 128).sum()
        } else {
            0
        };
        let planes: u64 = self.sampling.iter().map(|&(hs, vs)| (w * u64::from(hs)).div_ceil(hmax).next_multiple_of(8) * (h * u64::from(vs)).div_ceil(vmax).next_multiple_of(8)).sum();
        let output = w * h * self.sampling.len() as u64;
        coefficients + planes + output + w * h * 4
    }
}

/// Turns `buf`, pixels of `n` bytes (1-4), into RGBA in place: the buffer
/// grows (within its capacity when the caller reserved it) and pixels are
/// rewritten from the last to the first, so each is read before a wider
/// one overwrites it (pixel `i` is read at `n * i` and written at `4 * i`).
fn expand(mut buf: Vec<u8>, n: usize, f: impl Fn(&[u8]) -> [u8; 4]) -> Vec<u8> {
    let px = buf.len() / n;
    // Exactly: `resize` alone grows a full buffer by doubling, which for
    // a decoder's RGB (jpeg-decoder hands over an exact-capacity `Vec`)
    // is 6 bytes a pixel where RGBA needs 4.
    buf.reserve_exact((px * 4).saturating_sub(buf.len()));
    buf.resize(px * 4, 0);
    for i in (0..px).rev() {
        let mut p = [0; 4];
        p[..n].copy_from_slice(&buf[i * n..i * n + n]);
        buf[i * 4..i * 4 + 4].copy_from_slice(&f(&p[..n]));
    }
    buf
}

/// Opaque RGB to RGBA in place: [`expand`], with four pixels per lane
/// shuffle on wasm.
fn rgb_to_rgba(buf: Vec<u8>) -> Vec<u8> {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    if buf.len() >= 24 {
        return rgb_to_rgba_simd(buf);
    }
    expand(buf, 3, |p| [p[0], p[1], p[2], 255])
}

/// [`rgb_to_rgba`] on wasm: whole groups of four pixels from the last down
/// to the second, each a 16-byte read at `12g` (which ends before the
/// write of the group after it, at `16g + 16`) and a 16-byte write at
/// `16g`; the pixels past the last group and the first group go one by one.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn rgb_to_rgba_simd(mut buf: Vec<u8>) -> Vec<u8> {
    use core::arch::wasm32::{i8x16_swizzle, u32x4_splat, v128, v128_or};
    let px = buf.len() / 3;
    buf.reserve_exact((px * 4).saturating_sub(buf.len()));
    buf.resize(px * 4, 0);
    let one = |buf: &mut [u8], i: usize| {
        let p = [buf[i * 3], buf[i * 3 + 1], buf[i * 3 + 2], 255];
        buf[i * 4..i * 4 + 4].copy_from_slice(&p);
    };
    let groups = px / 4;
    for i in (groups * 4..px).rev() {
        one(&mut buf, i);
    }
    // Lane indices past 15 read as 0; alpha is ORed in after.
    let spread: v128 = bytemuck::cast([0u8, 1, 2, 0x80, 3, 4, 5, 0x80, 6, 7, 8, 0x80, 9, 10, 11, 0x80]);
    let alpha = u32x4_splat(0xFF00_0000);
    for g in (1..groups).rev() {
        let src: [u8; 16] = buf[g * 12..g * 12 + 16].try_into().unwrap_or([0; 16]);
        let out = v128_or(i8x16_swizzle(bytemuck::cast(src), spread), alpha);
        buf[g * 16..g * 16 + 16].copy_from_slice(&bytemuck::cast::<v128, [u8; 16]>(out));
    }
    for i in (0..4.min(px)).rev() {
        one(&mut buf, i);
    }
    buf
}

/// jpeg-decoder takes Adobe CMYK as stored inverted and hands it over
/// un-inverted (0 is no ink), so each channel is covered by black.
fn cmyk_to_rgba(p: &[u8]) -> [u8; 4] {
    let k = 255 - u16::from(p[3]);
    let c = |v: u8| ((u16::from(255 - v) * k + 127) / 255) as u8;
    [c(p[0]), c(p[1]), c(p[2]), 255]
}

fn blit(canvas: &mut RgbaImage, src: &[u8], left: u32, top: u32, w: u32, h: u32) {
    let cw = canvas.width();
    let ch = canvas.height();
    let data = canvas.data_mut();
    for y in 0..h.min(ch.saturating_sub(top)) {
        let n = w.min(cw.saturating_sub(left)) as usize * 4;
        let s = (y * w) as usize * 4;
        let d = (((top + y) * cw) + left) as usize * 4;
        if let (Some(from), Some(to)) = (src.get(s..s + n), data.get_mut(d..d + n)) {
            to.copy_from_slice(from);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{OutputFormat, encode, probe};

    /// A 64x48 Adobe CMYK JPEG (libvips wrote it, through its CMYK
    /// profile): red, green, blue and white quadrants.
    const CMYK: &[u8] = include_bytes!("testdata/cmyk-quadrants.jpg");

    /// The channel that leads at (x, y), or 3 for a light grey or white.
    fn leading(img: &RgbaImage, x: u32, y: u32) -> usize {
        let px = &img.data()[((y * img.width() + x) * 4) as usize..][..4];
        assert_eq!(px[3], 255);
        if px[..3].iter().all(|&v| v > 200) {
            return 3;
        }
        (0..3).max_by_key(|&c| px[c]).unwrap_or(0)
    }

    /// A 1x1 indexed PNG whose PLTE chunk is `palette`, CRC and all.
    fn indexed_png(palette: &[u8]) -> Vec<u8> {
        let mut png = Vec::new();
        let mut enc = png::Encoder::new(&mut png, 1, 1);
        enc.set_color(png::ColorType::Indexed);
        enc.set_palette(vec![10, 20, 30]);
        enc.write_header().unwrap().write_image_data(&[0]).unwrap();
        // Signature (8), IHDR (4 + 4 + 13 + 4), then the PLTE chunk.
        let at = 8 + 25;
        assert_eq!(&png[at + 4..at + 8], b"PLTE");
        let mut chunk = (palette.len() as u32).to_be_bytes().to_vec();
        chunk.extend_from_slice(b"PLTE");
        chunk.extend_from_slice(palette);
        chunk.extend_from_slice(&crc32fast::hash(&chunk[4..]).to_be_bytes());
        png.splice(at..at + 4 + 4 + 3 + 4, chunk);
        png
    }

    #[test]
    fn a_palette_of_partial_entries_is_corrupt_not_a_panic() {
        let limits = Limits::default();
        let whole = indexed_png(&[10, 20, 30]);
        let p = probe(&whole, &limits).unwrap();
        assert_eq!(decode(&whole, &p, None, &limits).unwrap().data(), &[10, 20, 30, 255]);
        for len in [4, 5, 7, 8, 10, 11] {
            let png = indexed_png(&[7; 11][..len]);
            let p = probe(&png, &limits).unwrap();
            assert!(matches!(decode(&png, &p, None, &limits), Err(CodecError::Corrupt { format: "png", .. })), "{len} bytes");
            assert!(matches!(validate(&png, &p, &limits), Err(CodecError::Corrupt { format: "png", .. })), "{len} bytes");
        }
    }

    #[test]
    fn rgb_widens_to_opaque_rgba_at_every_length() {
        for px in 0..40usize {
            let rgb: Vec<u8> = (0..px * 3).map(|i| (i * 7 + 1) as u8).collect();
            let want: Vec<u8> = rgb.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect();
            assert_eq!(rgb_to_rgba(rgb), want, "{px} pixels");
        }
    }

    #[test]
    fn cmyk_jpegs_keep_their_colours_at_full_and_shrunk_size() {
        // Without colour management the colours shift, but each quadrant
        // keeps its hue; read as stored (not inverted) they would not.
        let p = probe(CMYK, &Limits::default()).unwrap();
        for at_least in [None, Some((32, 24))] {
            let img = decode(CMYK, &p, at_least, &Limits::default()).unwrap();
            let (w, h) = (img.width(), img.height());
            let centres = [(w / 4, h / 4), (w * 3 / 4, h / 4), (w / 4, h * 3 / 4), (w * 3 / 4, h * 3 / 4)];
            let got: Vec<usize> = centres.iter().map(|&(x, y)| leading(&img, x, y)).collect();
            assert_eq!(got, [0, 1, 2, 3], "{at_least:?}: red, green, blue, white");
        }
    }

    /// YCCK (Adobe transform 2: CMY stored as YCbCr, K inverted) decodes to
    /// the colours of the same CMYK pixels stored as CMYK. The YCCK file is
    /// the CMYK fixture's pixels written by jpeg-encoder; libjpeg-turbo
    /// (through sharp) decodes both files to the same sRGB quadrants, within
    /// one level, as it does the fixture.
    #[test]
    fn ycck_jpegs_decode_like_their_cmyk() {
        let mut d = jpeg_decoder::Decoder::new(Cursor::new(CMYK));
        let cmyk = d.decode().unwrap();
        let info = d.info().unwrap();
        assert_eq!(info.pixel_format, jpeg_decoder::PixelFormat::CMYK32);
        let mut ycck = Vec::new();
        let mut enc = jpeg_encoder::Encoder::new(&mut ycck, 95);
        enc.set_sampling_factor(jpeg_encoder::SamplingFactor::F_1_1);
        enc.encode(&cmyk, info.width, info.height, jpeg_encoder::ColorType::CmykAsYcck).unwrap();
        // Adobe APP14 with transform 2.
        assert!(ycck.windows(12).any(|w| w == b"Adobe\0\0\0\0\0\0\x02"));
        let p = probe(&ycck, &Limits::default()).unwrap();
        let ours = decode(&ycck, &p, None, &Limits::default()).unwrap();
        let reference = decode(CMYK, &probe(CMYK, &Limits::default()).unwrap(), None, &Limits::default()).unwrap();
        let (w, h) = (ours.width(), ours.height());
        let centres = [(w / 4, h / 4), (w * 3 / 4, h / 4), (w / 4, h * 3 / 4), (w * 3 / 4, h * 3 / 4)];
        assert_eq!(centres.map(|(x, y)| leading(&ours, x, y)), [0, 1, 2, 3], "red, green, blue, white");
        for (x, y) in centres {
            let at = |img: &RgbaImage| img.data()[((y * w + x) * 4) as usize..][..3].to_vec();
            let worst = at(&ours).iter().zip(at(&reference)).map(|(a, b)| a.abs_diff(b)).max().unwrap();
            assert!(worst <= 6, "({x}, {y}): {:?} against {:?}", at(&ours), at(&reference));
        }
    }

    #[test]
    fn full_size_and_shrunk_jpeg_decodes_agree() {
        let data = (0..96 * 64u32).flat_map(|i| [(i % 96 * 2) as u8, (i / 96 * 3) as u8, 128, 255]).collect();
        let src = RgbaImage::from_vec(96, 64, data).unwrap();
        let jpeg = encode(&src, OutputFormat::Jpeg, 95, [0; 3]).unwrap().bytes;
        let p = probe(&jpeg, &Limits::default()).unwrap();
        let full = decode(&jpeg, &p, None, &Limits::default()).unwrap();
        // Asking for a size the full image is the smallest cover of gives
        // the full-size decode.
        assert_eq!(decode(&jpeg, &p, Some((90, 60)), &Limits::default()).unwrap(), full);
        let worst = full.data().iter().zip(src.data()).map(|(a, b)| a.abs_diff(*b)).max().unwrap();
        assert!(worst <= 12, "full-size decode off by {worst}");
        let half = decode(&jpeg, &p, Some((48, 32)), &Limits::default()).unwrap();
        assert_eq!((half.width(), half.height()), (48, 32));
        let worst = (0..48 * 32u32)
            .map(|i| {
                let (x, y) = (i % 48, i / 48);
                let a = &half.data()[(i * 4) as usize..][..3];
                let b = &full.data()[((y * 2 * 96 + x * 2) * 4) as usize..][..3];
                a.iter().zip(b).map(|(a, b)| a.abs_diff(*b)).max().unwrap_or(0)
            })
            .max()
            .unwrap();
        assert!(worst <= 12, "half-size decode off by {worst}");
    }

    /// A 256x192 JPEG with texture, its chroma subsampled or full.
    fn textured_jpeg(chroma: crate::codec::Chroma) -> Vec<u8> {
        let data = (0..256 * 192u32).flat_map(|i| [(i % 256) as u8, (i / 256) as u8, (i.wrapping_mul(2_654_435_761) >> 24) as u8, 255]).collect();
        crate::codec::encode_jpeg(&RgbaImage::from_vec(256, 192, data).unwrap(), 95, [0; 3], chroma).unwrap().bytes
    }

    #[test]
    fn jpeg_frame_headers_give_sampling_and_progression() {
        use crate::codec::Chroma;
        let frame = |jpeg: &[u8]| JpegFrame::parse(jpeg).map(|f| (f.sampling, f.progressive));
        assert_eq!(frame(&textured_jpeg(Chroma::Subsampled)), Some((vec![(2, 2), (1, 1), (1, 1)], false)));
        assert_eq!(frame(&textured_jpeg(Chroma::Full)), Some((vec![(1, 1), (1, 1), (1, 1)], false)));
        assert_eq!(frame(CMYK).map(|(s, _)| s.len()), Some(4));
        // Cut before the frame header's end, or a scan first: none.
        let jpeg = textured_jpeg(Chroma::Full);
        let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        assert_eq!(frame(&jpeg[..sof + 12]), None);
        assert_eq!(frame(&[0xFF, 0xD8, 0xFF, 0xDA, 0, 2]), None);
        assert_eq!(frame(&[0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, 0, 1, 0, 1, 1, 1, 0x50, 0]), None, "a sampling factor of 5");
        // SOF2 is progressive.
        let mut progressive = jpeg.clone();
        progressive[sof + 1] = 0xC2;
        assert_eq!(frame(&progressive), Some((vec![(1, 1); 3], true)));
    }

    #[test]
    fn jpeg_footprints_count_every_buffer() {
        let f = |sampling: Vec<(u8, u8)>, progressive| JpegFrame { sampling, progressive };
        // 4:2:0 at 256x192: Y 256x192, Cb and Cr 128x96, the output (3
        // bytes a pixel) and RGBA (4); progressive adds two bytes for
        // every sample of every plane at full size, at any scale.
        let sub = [(2, 2), (1, 1), (1, 1)];
        assert_eq!(f(sub.to_vec(), false).footprint(256, 192, 8), 256 * 192 * (1 + 3 + 4) + 2 * 128 * 96);
        assert_eq!(f(vec![(1, 1); 3], false).footprint(256, 192, 4), 128 * 96 * 10);
        assert_eq!(f(sub.to_vec(), true).footprint(256, 192, 1), (256 * 192 + 2 * 128 * 96) * 2 + 32 * 24 * (1 + 3 + 4) + 2 * 16 * 16);
    }

    /// Under a budget that a 4:2:0 decode fits and a 4:4:4 one of the same
    /// size does not, the 4:4:4 JPEG is decoded at the next scale down
    /// when a size is asked for, and refused when the whole image is.
    #[test]
    fn a_jpeg_decode_that_would_not_fit_takes_a_smaller_scale() {
        use crate::codec::Chroma;
        let (sub, full) = (textured_jpeg(Chroma::Subsampled), textured_jpeg(Chroma::Full));
        let fits = JpegFrame::parse(&sub).unwrap().footprint(256, 192, 8) + sub.len() as u64;
        let over = JpegFrame::parse(&full).unwrap().footprint(256, 192, 8) + full.len() as u64;
        assert!(fits + 100 < over, "{fits} {over}");
        let limits = Limits { decode_budget: (over - 1) / 9 * 4, ..Limits::default() };
        let size = |jpeg: &[u8], at_least| decode(jpeg, &probe(jpeg, &limits).unwrap(), at_least, &limits).map(|i| (i.width(), i.height()));
        assert_eq!(size(&sub, Some((200, 150))), Ok((256, 192)));
        assert_eq!(size(&full, Some((200, 150))), Ok((128, 96)));
        assert_eq!(size(&full, Some((100, 75))), Ok((128, 96)));
        assert!(matches!(size(&full, None), Err(CodecError::OverBudget { .. })));
        // With the default budget both decode whole.
        let whole = |jpeg: &[u8]| decode(jpeg, &probe(jpeg, &Limits::default()).unwrap(), Some((200, 150)), &Limits::default()).map(|i| i.width());
        assert_eq!((whole(&sub), whole(&full)), (Ok(256), Ok(256)));
        // A progressive JPEG whose coefficients alone are over is refused
        // at any scale (here: under a budget a baseline one fits at 1/8).
        let prog = include_bytes!("testdata/progressive-64x48.jpg");
        let frame = JpegFrame::parse(prog).unwrap();
        assert!(frame.progressive);
        let tight = Limits { decode_budget: (frame.footprint(64, 48, 1) + prog.len() as u64 - 1) / 9 * 4, ..Limits::default() };
        let p = probe(prog, &tight).unwrap();
        assert!(matches!(decode(prog, &p, Some((1, 1)), &tight), Err(CodecError::DecoderOverBudget { what: "progressive JPEG", .. })));
        let roomy = Limits { decode_budget: (frame.footprint(64, 48, 1) + prog.len() as u64) / 9 * 4 + 4, ..Limits::default() };
        assert_eq!(decode(prog, &p, Some((1, 1)), &roomy).map(|i| (i.width(), i.height())), Ok((8, 6)));
    }

    /// A GIF of a `canvas` with one indexed frame at `rect`, palette
    /// red, green, blue, white; index 3 transparent.
    fn gif(canvas: (u16, u16), rect: (u16, u16, u16, u16), indices: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let palette = [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255];
            let mut enc = gif::Encoder::new(&mut out, canvas.0, canvas.1, &palette).unwrap();
            let frame = gif::Frame { left: rect.0, top: rect.1, width: rect.2, height: rect.3, transparent: Some(3), buffer: indices.to_vec().into(), ..gif::Frame::default() };
            enc.write_frame(&frame).unwrap();
        }
        out
    }

    #[test]
    fn gif_first_frames_decode_whole_or_onto_their_canvas() {
        let rgba = |bytes: &[u8], limits: &Limits| decode(bytes, &probe(bytes, limits).unwrap(), None, limits).map(|i| (i.width(), i.height(), i.data().to_vec()));
        let (r, g, b) = ([255, 0, 0, 255], [0, 255, 0, 255], [0, 0, 255, 255]);
        // The frame is the canvas: decoded straight into the image.
        let whole = gif((3, 2), (0, 0, 3, 2), &[0, 1, 2, 2, 1, 0]);
        assert_eq!(rgba(&whole, &Limits::default()), Ok((3, 2, [r, g, b, b, g, r].concat())));
        // A 2x1 frame at (1, 1): the rest of the canvas is transparent, and
        // so is the frame's transparent index (with its palette colour).
        let part = gif((3, 2), (1, 1, 2, 1), &[2, 3]);
        let clear = [0, 0, 0, 0];
        assert_eq!(rgba(&part, &Limits::default()), Ok((3, 2, [clear, clear, clear, clear, b, [255, 255, 255, 0]].concat())));
        // A frame over the decode budget is refused before it is read.
        let tight = Limits { decode_budget: 3 * 2 * 4, ..Limits::default() };
        let big = gif((3, 2), (0, 0, 4, 2), &[0; 8]);
        assert!(matches!(rgba(&big, &tight), Err(CodecError::OverBudget { needed: 32, .. })));
    }

    #[test]
    fn webp_footprints_follow_the_kind_of_webp() {
        let lossless = include_bytes!("testdata/exif-orientation-6.webp");
        assert_eq!(webp_footprint(lossless, 6, 4), ("lossless WebP", 6 * 4 * 8));
        let px = |alpha: u8| RgbaImage::from_vec(64, 48, (0..64 * 48u32).flat_map(|i| [(i % 64 * 4) as u8, (i / 64 * 5) as u8, 90, alpha]).collect()).unwrap();
        let lossy = encode(&px(255), OutputFormat::Webp, 80, [0; 3]).unwrap().bytes;
        assert_eq!(webp_footprint(&lossy, 1000, 1000), ("WebP", 5_700_000));
        let with_alpha = encode(&px(128), OutputFormat::Webp, 80, [0; 3]).unwrap().bytes;
        assert_eq!(webp_footprint(&with_alpha, 1000, 1000), ("WebP with alpha", 11_000_000));
        // Over the budget: refused, at any requested size.
        let limits = Limits { decode_budget: 64 * 48 * 4, ..Limits::default() };
        let p = probe(&with_alpha, &limits).unwrap();
        assert!(matches!(decode(&with_alpha, &p, Some((1, 1)), &limits), Err(CodecError::DecoderOverBudget { what: "WebP with alpha", .. })));
        // A chunk length past the end stops the walk.
        assert_eq!(webp_footprint(&lossy[..30], 10, 10).0, "WebP");
    }

    #[test]
    fn truncated_jpegs_fail_at_full_size() {
        let data = (0..64 * 64u32).flat_map(|i| [(i % 64 * 4) as u8, (i / 64 * 4) as u8, (i % 7 * 30) as u8, 255]).collect();
        let jpeg = encode(&RgbaImage::from_vec(64, 64, data).unwrap(), OutputFormat::Jpeg, 90, [0; 3]).unwrap().bytes;
        let p = probe(&jpeg, &Limits::default()).unwrap();
        for cut in [jpeg.len() / 3, jpeg.len() / 2, jpeg.len() * 4 / 5] {
            let r = decode(&jpeg[..cut], &p, None, &Limits::default());
            assert!(matches!(r, Err(CodecError::Corrupt { .. })), "cut at {cut} of {}: {:?}", jpeg.len(), r.map(|i| i.width()));
        }
    }
}
