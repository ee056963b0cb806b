//! Encoding RGBA to JPEG, PNG or WebP.

use super::{CodecError, Plane, YccImage};
use crate::pixel::RgbaImage;

/// An output format the encoder writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    /// JPEG at a quality of 1-100 (alpha flattened onto a background).
    Jpeg,
    /// PNG, lossless.
    Png,
    /// WebP, lossy (VP8) at a quality of 1-100; images with transparency
    /// get their alpha plane alongside, losslessly compressed (`ALPH`), as
    /// libwebp writes them.
    Webp,
}

impl OutputFormat {
    /// The media type.
    pub fn mime(self) -> &'static str {
        match self {
            OutputFormat::Jpeg => "image/jpeg",
            OutputFormat::Png => "image/png",
            OutputFormat::Webp => "image/webp",
        }
    }

    /// The short name.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputFormat::Jpeg => "jpeg",
            OutputFormat::Png => "png",
            OutputFormat::Webp => "webp",
        }
    }
}

/// An encoded image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoded {
    /// The file bytes.
    pub bytes: Vec<u8>,
    /// Its format.
    pub format: OutputFormat,
    /// Its width.
    pub width: u32,
    /// Its height.
    pub height: u32,
}

/// Encodes `img` as `format`. `quality` (1-100) applies to JPEG and WebP;
/// `background` is what transparent pixels become in a JPEG.
pub fn encode(img: &RgbaImage, format: OutputFormat, quality: u8, background: [u8; 3]) -> Result<Encoded, CodecError> {
    let err = |reason: String| CodecError::Encode { format: format.as_str(), reason };
    let (w, h) = (img.width(), img.height());
    let mut bytes = Vec::new();
    match format {
        OutputFormat::Jpeg => return encode_jpeg(img, quality, background, Chroma::Subsampled),
        OutputFormat::Png => {
            let opaque = !img.has_transparency();
            let mut enc = png::Encoder::new(&mut bytes, w, h);
            enc.set_color(if opaque { png::ColorType::Rgb } else { png::ColorType::Rgba });
            enc.set_depth(png::BitDepth::Eight);
            enc.set_compression(png::Compression::Fast);
            let mut writer = enc.write_header().map_err(|e| err(e.to_string()))?;
            if opaque {
                writer.write_image_data(&flatten(img.data(), [0, 0, 0])).map_err(|e| err(e.to_string()))?;
            } else {
                writer.write_image_data(img.data()).map_err(|e| err(e.to_string()))?;
            }
            writer.finish().map_err(|e| err(e.to_string()))?;
        }
        OutputFormat::Webp => bytes = encode_webp(img, quality).map_err(err)?,
    }
    Ok(Encoded { bytes, format, width: w, height: h })
}

/// Encodes `img` as a lossy WebP at `quality` (1-100): a plain `VP8 `
/// frame when it is opaque; otherwise the extended format (RIFF `VP8X`,
/// then `ALPH`, then `VP8 `), as libwebp writes it: the colour lossy, the
/// alpha plane lossless, so edges and transparency stay exact.
fn encode_webp(img: &RgbaImage, quality: u8) -> Result<Vec<u8>, String> {
    let (w, h) = (img.width(), img.height());
    if w == 0 || h == 0 || w >= 1 << 14 || h >= 1 << 14 {
        return Err(format!("{w}x{h} is outside WebP's 1-16383 px a side"));
    }
    let frame = vp8_frame(img, quality)?;
    if !img.has_transparency() {
        return Ok(riff(&[(b"VP8 ", &frame)]));
    }
    // VP8X: flags (alpha), three reserved bytes, canvas width - 1 and
    // height - 1 as 24-bit little-endian numbers.
    let mut vp8x = vec![0x10, 0, 0, 0];
    vp8x.extend_from_slice(&(w - 1).to_le_bytes()[..3]);
    vp8x.extend_from_slice(&(h - 1).to_le_bytes()[..3]);
    Ok(riff(&[(b"VP8X", &vp8x), (b"ALPH", &alpha_plane(img)?), (b"VP8 ", &frame)]))
}

/// A RIFF WebP file of `chunks` (FourCC and payload), each payload padded
/// to an even length.
fn riff(chunks: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
    let body: usize = chunks.iter().map(|(_, data)| 8 + data.len() + data.len() % 2).sum();
    let mut out = Vec::with_capacity(12 + body);
    out.extend_from_slice(b"RIFF");
    // WebP files are under 4 GiB: 16383 px a side, compressed.
    out.extend_from_slice(&u32::try_from(4 + body).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(b"WEBP");
    for (fourcc, data) in chunks {
        out.extend_from_slice(&fourcc[..]);
        out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(u32::MAX).to_le_bytes());
        out.extend_from_slice(data);
        if data.len() % 2 == 1 {
            out.push(0);
        }
    }
    out
}

/// The payload of the single chunk `fourcc` of a simple-format WebP file
/// the encoder wrote.
fn only_chunk<'a>(file: &'a [u8], fourcc: &[u8; 4]) -> Result<&'a [u8], String> {
    let size = file.get(16..20).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
    match (file.get(12..16), size) {
        (Some(f), Some(n)) if f == fourcc => file.get(20..20 + n).ok_or_else(|| "the encoder wrote a truncated chunk".to_owned()),
        _ => Err("the encoder wrote an unexpected container".to_owned()),
    }
}

/// The `VP8 ` frame (the chunk's payload) of `img`'s colour at `quality`;
/// alpha is left out.
///
/// The encoder converts to YUV two rows and two columns at a time and drops
/// an odd last column or row (vaam-image-webp 0.1.0). So an odd side is
/// padded by repeating its edge pixels, and the frame header is then given
/// the true size: the macroblock count is the same either way (an odd
/// side and the even one above it round up to the same multiple of 16),
/// and a decoder crops the macroblocks to the header's size (RFC 6386,
/// section 9.1).
fn vp8_frame(img: &RgbaImage, quality: u8) -> Result<Vec<u8>, String> {
    let (w, h) = (img.width(), img.height());
    let (pw, ph) = (w + (w & 1), h + (h & 1));
    // Straight from RGBA: one RGB copy, not two, for the 128 MiB isolate.
    let row = w as usize * 4;
    let mut padded = Vec::with_capacity(pw as usize * ph as usize * 3);
    for y in 0..ph {
        let line = &img.data()[y.min(h - 1) as usize * row..][..row];
        for px in line.chunks_exact(4) {
            padded.extend_from_slice(&px[..3]);
        }
        if pw > w {
            padded.extend_from_slice(&line[row - 4..row - 1]);
        }
    }
    let mut file = Vec::new();
    let mut enc = image_webp::WebPEncoder::new(&mut file);
    let mut params = image_webp::EncoderParams::default();
    params.use_lossy = true;
    params.lossy_quality = webp_quality(quality);
    enc.set_params(params);
    enc.encode(&padded, pw, ph, image_webp::ColorType::Rgb8).map_err(|e| e.to_string())?;
    drop(padded);
    let mut frame = only_chunk(&file, b"VP8 ")?.to_vec();
    set_vp8_size(&mut frame, w, h)?;
    Ok(frame)
}

/// Writes the true `w` x `h` into a VP8 frame header the encoder wrote
/// for the even size above it (see [`vp8_frame`]).
fn set_vp8_size(frame: &mut [u8], w: u32, h: u32) -> Result<(), String> {
    // Frame tag (3 bytes), start code (3), then width and height as 14
    // bits each with a 2-bit scale (0).
    if frame.get(3..6) != Some(&[0x9d, 0x01, 0x2a]) {
        return Err("the encoder wrote an unexpected frame header".to_owned());
    }
    // Both sides are under 2^14 (checked by the callers).
    frame[6..8].copy_from_slice(&(w as u16).to_le_bytes());
    frame[8..10].copy_from_slice(&(h as u16).to_le_bytes());
    Ok(())
}

/// Encodes a YCbCr image as a lossy WebP at `quality` (1-100): its planes,
/// moved from JPEG's full range to VP8's (luma 16-235, chroma 16-240), go
/// to the encoder as they are, where [`encode_webp`] converts RGB to them;
/// full-size chroma is averaged 2x2 first, as the encoder averages RGB.
/// The even size the encoder needs repeats the last column and row, as
/// [`vp8_frame`] repeats pixels.
pub fn encode_webp_ycc(img: &YccImage, quality: u8) -> Result<Encoded, CodecError> {
    let err = |reason: String| CodecError::Encode { format: "webp", reason };
    let (w, h) = img.size();
    if w == 0 || h == 0 || w >= 1 << 14 || h >= 1 << 14 {
        return Err(err(format!("{w}x{h} is outside WebP's 1-16383 px a side")));
    }
    let luma: [u8; 256] = core::array::from_fn(|v| (16.0 + v as f32 * 219.0 / 255.0).round() as u8);
    let chroma: [u8; 256] = core::array::from_fn(|v| (128.0 + (v as f32 - 128.0) * 224.0 / 255.0).round() as u8);
    let (pw, ph) = (w + (w & 1), h + (h & 1));
    let map = |plane: &Plane| -> Vec<u8> {
        if img.chroma_block() == (2, 2) {
            return plane.data().iter().map(|&v| chroma[usize::from(v)]).collect();
        }
        // Full-size chroma: 2x2 averages, the last column and row repeated
        // where a side is odd.
        let mut out = Vec::with_capacity((pw / 2 * ph / 2) as usize);
        for cy in 0..ph / 2 {
            let (r0, r1) = (plane.row(2 * cy).unwrap_or_default(), plane.row((2 * cy + 1).min(h - 1)).unwrap_or_default());
            for cx in 0..(pw / 2) as usize {
                let (x0, x1) = (2 * cx, (2 * cx + 1).min(w as usize - 1));
                let sum = u32::from(r0[x0]) + u32::from(r0[x1]) + u32::from(r1[x0]) + u32::from(r1[x1]);
                out.push(chroma[((sum + 2) / 4) as usize]);
            }
        }
        out
    };
    let mut y = Vec::with_capacity(pw as usize * ph as usize);
    for row in 0..ph {
        let line = img.y.row(row.min(h - 1)).unwrap_or_default();
        y.extend(line.iter().map(|&v| luma[usize::from(v)]));
        if pw > w {
            y.push(luma[usize::from(line.last().copied().unwrap_or(0))]);
        }
    }
    let mut frame = Vec::new();
    image_webp::encode_vp8_yuv420(&mut frame, &y, &map(&img.cb), &map(&img.cr), pw, ph, webp_quality(quality)).map_err(|e| err(e.to_string()))?;
    set_vp8_size(&mut frame, w, h).map_err(err)?;
    Ok(Encoded { bytes: riff(&[(b"VP8 ", &frame)]), format: OutputFormat::Webp, width: w, height: h })
}

/// The `ALPH` chunk's payload for `img`'s alpha: a header byte (no
/// preprocessing, no filtering, compression 1 = WebP lossless), then the
/// alpha values as the green channel of a lossless image stream without
/// its 5-byte header (signature and size), which the frame implies.
fn alpha_plane(img: &RgbaImage) -> Result<Vec<u8>, String> {
    let alpha: Vec<u8> = img.data().chunks_exact(4).map(|p| p[3]).collect();
    let mut file = Vec::new();
    // Grey: the value goes to green (and to red and blue, which decoders
    // of the alpha plane ignore).
    image_webp::WebPEncoder::new(&mut file).encode(&alpha, img.width(), img.height(), image_webp::ColorType::L8).map_err(|e| e.to_string())?;
    let stream = only_chunk(&file, b"VP8L")?;
    if stream.first() != Some(&0x2f) || stream.len() < 5 {
        return Err("the encoder wrote an unexpected lossless header".to_owned());
    }
    let mut out = Vec::with_capacity(stream.len() - 4);
    out.push(0x01);
    out.extend_from_slice(&stream[5..]);
    Ok(out)
}

/// The encoder's own quality for a requested one, on libwebp's scale (what
/// Cloudflare and sharp mean by `quality`): the encoder reaches a given
/// PSNR at a different setting than libwebp. Calibrated on seven photos
/// (scikit-image's and matplotlib's test photos, 300-1000 px), by mean
/// PSNR: libwebp's q1 (27.2 dB) is the encoder's 26, q25 (30.4 dB) its 57,
/// q50 (32.3 dB) its 71, q75 (33.7 dB) its 81, q80 (34.7 dB) its 86, q85
/// (35.8 dB) its 91, q90 (37.1 dB) its 96; its 100 (38.5 dB) is libwebp's
/// q95, so 95 and above ask for its best.
fn webp_quality(requested: u8) -> u8 {
    const POINTS: [(u8, u8); 10] = [(1, 26), (25, 57), (50, 71), (60, 76), (70, 80), (75, 81), (80, 86), (85, 91), (90, 96), (95, 100)];
    let q = requested.clamp(1, 100);
    let mut prev = POINTS[0];
    for &(from, to) in &POINTS[1..] {
        if q <= from {
            let (f0, t0) = (u16::from(prev.0), u16::from(prev.1));
            let span = u16::from(from) - f0;
            return (t0 + (u16::from(to) - t0) * (u16::from(q) - f0) / span) as u8;
        }
        prev = (from, to);
    }
    100
}

/// How a JPEG stores colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chroma {
    /// 4:2:0, half the colour resolution each way (smaller files; what
    /// `/img` writes).
    Subsampled,
    /// 4:4:4, full colour resolution: no colour bleeds between 8 px blocks,
    /// which scrambled tiles need (a neighbour's colour would smear over a
    /// tile's edge after reassembly).
    Full,
}

/// Encodes `img` as a baseline JPEG at `quality` (1-100) with `chroma`;
/// transparent pixels become `background`.
pub fn encode_jpeg(img: &RgbaImage, quality: u8, background: [u8; 3], chroma: Chroma) -> Result<Encoded, CodecError> {
    jpeg(JpegRows::Rgba { rgba: img.data(), background }, (img.width(), img.height()), quality, chroma)
}

/// Encodes a YCbCr image as a baseline JPEG at `quality` (1-100) with
/// `chroma`: its planes go to the encoder as they are (chroma planes at
/// half resolution are repeated for it, which its 2x2 averaging for
/// [`Chroma::Subsampled`] undoes exactly).
pub fn encode_jpeg_ycc(img: &YccImage, quality: u8, chroma: Chroma) -> Result<Encoded, CodecError> {
    jpeg(JpegRows::Ycc(img), img.size(), quality, chroma)
}

fn jpeg(rows: JpegRows<'_>, (w, h): (u32, u32), quality: u8, chroma: Chroma) -> Result<Encoded, CodecError> {
    let err = |reason: String| CodecError::Encode { format: "jpeg", reason };
    let (w16, h16) = (u16::try_from(w).map_err(|_| err("wider than 65535".to_owned()))?, u16::try_from(h).map_err(|_| err("taller than 65535".to_owned()))?);
    let mut bytes = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut bytes, quality.clamp(1, 100));
    enc.set_sampling_factor(match chroma {
        Chroma::Subsampled => jpeg_encoder::SamplingFactor::F_2_2,
        Chroma::Full => jpeg_encoder::SamplingFactor::F_1_1,
    });
    enc.set_progressive(false);
    enc.encode_image(JpegSource { rows, width: w16, height: h16 }).map_err(|e| err(e.to_string()))?;
    Ok(Encoded { bytes, format: OutputFormat::Jpeg, width: w, height: h })
}

/// Encodes a one-byte-per-pixel image (a mask) as an 8-bit grayscale PNG.
pub fn encode_gray_png(width: u32, height: u32, gray: &[u8]) -> Result<Vec<u8>, CodecError> {
    let err = |reason: String| CodecError::Encode { format: "png", reason };
    if gray.len() as u64 != u64::from(width) * u64::from(height) {
        return Err(err(format!("{} bytes for a {width}x{height} mask", gray.len())));
    }
    let mut bytes = Vec::new();
    let mut enc = png::Encoder::new(&mut bytes, width, height);
    enc.set_color(png::ColorType::Grayscale);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::Fast);
    let mut writer = enc.write_header().map_err(|e| err(e.to_string()))?;
    writer.write_image_data(gray).map_err(|e| err(e.to_string()))?;
    writer.finish().map_err(|e| err(e.to_string()))?;
    Ok(bytes)
}

/// RGBA to RGB, compositing onto `bg`.
fn flatten(rgba: &[u8], bg: [u8; 3]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rgba.len() / 4 * 3);
    for p in rgba.chunks_exact(4) {
        out.extend_from_slice(&flatten_px(p, bg));
    }
    out
}

/// One RGBA pixel composited onto `bg`.
#[inline(always)]
fn flatten_px(p: &[u8], bg: [u8; 3]) -> [u8; 3] {
    let a = u16::from(p[3]);
    let c = |i: usize| ((u16::from(p[i]) * a + u16::from(bg[i]) * (255 - a) + 127) / 255) as u8;
    [c(0), c(1), c(2)]
}

/// Pixels as the JPEG encoder reads them, a row at a time, in one type,
/// so that only one input layout of the encoder is built into the Worker
/// (`Encoder::encode` builds one per colour type).
struct JpegSource<'a> {
    rows: JpegRows<'a>,
    width: u16,
    height: u16,
}

/// Where [`JpegSource`]'s rows come from.
enum JpegRows<'a> {
    /// RGBA pixels, composited onto `background` and converted to YCbCr a
    /// row at a time (no flattened copy of the image is made).
    Rgba { rgba: &'a [u8], background: [u8; 3] },
    /// YCbCr planes, as they are.
    Ycc(&'a YccImage),
}

impl jpeg_encoder::ImageBuffer for JpegSource<'_> {
    fn get_jpeg_color_type(&self) -> jpeg_encoder::JpegColorType {
        jpeg_encoder::JpegColorType::Ycbcr
    }

    fn width(&self) -> u16 {
        self.width
    }

    fn height(&self) -> u16 {
        self.height
    }

    fn fill_buffers(&self, y: u16, buffers: &mut [Vec<u8>; 4]) {
        match self.rows {
            JpegRows::Rgba { rgba, background } => rgba_row(rgba, usize::from(self.width), y, background, buffers),
            JpegRows::Ycc(img) => ycc_row(img, usize::from(self.width), y, buffers),
        }
    }
}

/// Row `y` of `rgba` (`width` pixels a row) as YCbCr into `buffers`.
fn rgba_row(rgba: &[u8], width: usize, y: u16, background: [u8; 3], buffers: &mut [Vec<u8>; 4]) {
    let row = width * 4;
    // The encoder asks for rows below `height` only.
    let Some(line) = rgba.get(usize::from(y) * row..(usize::from(y) + 1) * row) else { return };
    // Sixteen pixels at a time into arrays, a loop that vectorises.
    const CHUNK: usize = 16;
    let mut chunks = line.chunks_exact(4 * CHUNK);
    let mut planes = [[0u8; CHUNK]; 3];
    for chunk in chunks.by_ref() {
        // Opaque pixels composite to themselves: skip the blend when
        // all sixteen are (the usual case, a photo). Two loops, not a
        // branch in one: LLVM keeps the branch inside, at about twice
        // the cost (wasm profile).
        if crate::pixel::all_opaque(chunk) {
            for (i, p) in chunk.chunks_exact(4).enumerate() {
                (planes[0][i], planes[1][i], planes[2][i]) = jpeg_encoder::rgb_to_ycbcr(p[0], p[1], p[2]);
            }
        } else {
            for (i, p) in chunk.chunks_exact(4).enumerate() {
                let [r, g, b] = flatten_px(p, background);
                (planes[0][i], planes[1][i], planes[2][i]) = jpeg_encoder::rgb_to_ycbcr(r, g, b);
            }
        }
        for (buffer, plane) in buffers.iter_mut().zip(&planes) {
            buffer.extend_from_slice(plane);
        }
    }
    for p in chunks.remainder().chunks_exact(4) {
        let [r, g, b] = flatten_px(p, background);
        let (y, cb, cr) = jpeg_encoder::rgb_to_ycbcr(r, g, b);
        buffers[0].push(y);
        buffers[1].push(cb);
        buffers[2].push(cr);
    }
}

/// Row `y` of `img`'s planes into `buffers`, chroma samples repeated to
/// luma's resolution.
fn ycc_row(img: &YccImage, width: usize, y: u16, buffers: &mut [Vec<u8>; 4]) {
    let y = u32::from(y);
    let (bx, by) = img.chroma_block();
    let [luma, cb, cr, _] = buffers;
    luma.extend_from_slice(img.y.row(y).unwrap_or_default());
    for (plane, out) in [(&img.cb, cb), (&img.cr, cr)] {
        let row = plane.row(y / u32::from(by)).unwrap_or_default();
        if bx == 1 {
            out.extend_from_slice(row);
        } else {
            let start = out.len();
            out.resize(start + width, 0);
            for (pair, &s) in out[start..].chunks_exact_mut(2).zip(row) {
                pair.copy_from_slice(&[s, s]);
            }
            if let (1, Some(last), Some(&s)) = (width % 2, out.last_mut(), row.get(width / 2)) {
                *last = s;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{Limits, decode, probe};

    fn gradient(w: u32, h: u32, alpha: bool) -> RgbaImage {
        let data = (0..w * h).flat_map(|i| [(i % w * 255 / w) as u8, (i / w * 255 / h) as u8, 90, if alpha { (i % 256) as u8 } else { 255 }]).collect();
        RgbaImage::from_vec(w, h, data).unwrap()
    }

    #[test]
    fn ycbcr_planes_encode_as_they_are_with_half_size_chroma_repeated() {
        // Odd sides: the last chroma column and row cover one luma sample.
        let (w, h) = (37u32, 21u32);
        let plane = |w: u32, h: u32, f: &dyn Fn(u32) -> u8| Plane::new(w, h, (0..w).cycle().take((w * h) as usize).map(f).collect()).unwrap();
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        // Blue-difference chroma low on the left, high on the right.
        let img = YccImage::new(plane(w, h, &|_| 120), plane(cw, ch, &|x| if x < cw / 2 { 60 } else { 200 }), plane(cw, ch, &|_| 128), (2, 2)).unwrap();
        let jpeg = encode_jpeg_ycc(&img, 100, Chroma::Subsampled).unwrap();
        let p = probe(&jpeg.bytes, &Limits::default()).unwrap();
        let back = decode(&jpeg.bytes, &p, None, &Limits::default()).unwrap();
        assert_eq!((back.width(), back.height()), (w, h));
        let px = |x: u32| &back.data()[(10 * w + x) as usize * 4..][..3];
        // Y 120, Cb 60, Cr 128: R 120, B 120 + 1.772 * -68 = 0; Cb 200: B 248.
        let (left, right) = (px(2), px(w - 2));
        assert!(left[0].abs_diff(120) <= 3 && left[2] <= 6, "{left:?}");
        assert!(right[0].abs_diff(120) <= 3 && right[2].abs_diff(248) <= 6, "{right:?}");
        // The edge lands where the chroma planes put it (chroma column 9 is
        // luma columns 18 and 19), give or take the filters' ringing.
        let edge = (0..w).position(|x| px(x)[2] > 124).unwrap() as u32;
        assert!((17..=19).contains(&edge), "edge at {edge}");
    }

    #[test]
    fn ycbcr_planes_encode_as_webp_with_full_or_half_size_chroma() {
        let (w, h) = (37u32, 21u32);
        let plane = |w: u32, h: u32, f: &dyn Fn(u32) -> u8| Plane::new(w, h, (0..w).cycle().take((w * h) as usize).map(f).collect()).unwrap();
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let full = YccImage::new(plane(w, h, &|_| 120), plane(w, h, &|x| if x < 18 { 60 } else { 200 }), plane(w, h, &|_| 128), (1, 1)).unwrap();
        let half = YccImage::new(plane(w, h, &|_| 120), plane(cw, ch, &|x| if x < 9 { 60 } else { 200 }), plane(cw, ch, &|_| 128), (2, 2)).unwrap();
        for img in [full, half] {
            let webp = encode_webp_ycc(&img, 100).unwrap();
            let p = probe(&webp.bytes, &Limits::default()).unwrap();
            let back = decode(&webp.bytes, &p, None, &Limits::default()).unwrap();
            assert_eq!((back.width(), back.height()), (w, h));
            let px = |x: u32| &back.data()[(10 * w + x) as usize * 4..][..3];
            // Y 120, Cb 60: R 120, B 0; Cb 200: B 248 (within VP8's loss).
            let (left, right) = (px(2), px(w - 2));
            assert!(left[0].abs_diff(120) <= 6 && left[2] <= 12, "{:?}: {left:?}", img.chroma_block());
            assert!(right[0].abs_diff(120) <= 6 && right[2].abs_diff(248) <= 12, "{:?}: {right:?}", img.chroma_block());
            let edge = (0..w).position(|x| px(x)[2] > 124).unwrap() as u32;
            assert!((16..=19).contains(&edge), "{:?}: edge at {edge}", img.chroma_block());
        }
    }

    #[test]
    fn gray_masks_encode_as_one_channel_pngs() {
        let png = encode_gray_png(3, 2, &[0, 50, 100, 150, 200, 255]).unwrap();
        let p = probe(&png, &Limits::default()).unwrap();
        assert_eq!((p.width, p.height), (3, 2));
        let back = decode(&png, &p, None, &Limits::default()).unwrap();
        assert_eq!(back.data()[4..8], [50, 50, 50, 255]);
        assert!(encode_gray_png(3, 3, &[0; 6]).is_err());
    }

    #[test]
    fn every_format_round_trips_through_our_decoder() {
        for (format, alpha, lossless) in [(OutputFormat::Png, true, true), (OutputFormat::Png, false, true), (OutputFormat::Webp, true, false), (OutputFormat::Webp, false, false), (OutputFormat::Jpeg, false, false)] {
            let img = gradient(37, 23, alpha);
            let enc = encode(&img, format, 90, [255, 255, 255]).unwrap();
            let p = probe(&enc.bytes, &Limits::default()).unwrap();
            assert_eq!((p.width, p.height), (37, 23), "{format:?}");
            let back = decode(&enc.bytes, &p, None, &Limits::default()).unwrap();
            if lossless {
                assert_eq!(back, img, "{format:?} alpha={alpha}");
            } else {
                let max_diff = back.data().iter().zip(img.data()).map(|(a, b)| a.abs_diff(*b)).max().unwrap();
                assert!(max_diff < 40, "{format:?} differs by {max_diff}");
                // Alpha is never lossy.
                assert!(back.data().iter().zip(img.data()).skip(3).step_by(4).all(|(a, b)| a == b), "{format:?} alpha={alpha}");
            }
        }
    }

    #[test]
    fn webp_quality_follows_the_calibration_and_never_falls() {
        assert_eq!([1, 25, 50, 75, 80, 85, 90, 95, 100].map(webp_quality), [26, 57, 71, 81, 86, 91, 96, 100, 100]);
        let all: Vec<u8> = (0..=100).map(webp_quality).collect();
        assert!(all.windows(2).all(|w| w[0] <= w[1]), "{all:?}");
        assert_eq!(webp_quality(0), 26);
    }

    #[test]
    fn opaque_webp_is_lossy_follows_quality_and_keeps_odd_edges() {
        let photo = |w: u32, h: u32| {
            let data = (0..w * h)
                .flat_map(|i| {
                    let (x, y) = (i % w, i / w);
                    let n = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) >> 28;
                    [(x * 200 / w + n) as u8, (y * 200 / h + n) as u8, 90, 255]
                })
                .collect();
            RgbaImage::from_vec(w, h, data).unwrap()
        };
        let size = |q: u8| encode(&photo(96, 64), OutputFormat::Webp, q, [0; 3]).unwrap().bytes.len();
        assert!(size(30) < size(90), "q30 {} B, q90 {} B", size(30), size(90));
        for (w, h) in [(96, 64), (37, 23), (17, 17), (31, 32), (32, 31), (1, 1), (3, 1)] {
            let img = photo(w, h);
            let enc = encode(&img, OutputFormat::Webp, 90, [0; 3]).unwrap();
            assert_eq!(&enc.bytes[12..16], b"VP8 ", "{w}x{h}: a plain lossy frame");
            let p = probe(&enc.bytes, &Limits::default()).unwrap();
            assert_eq!((p.width, p.height), (w, h));
            let back = decode(&enc.bytes, &p, None, &Limits::default()).unwrap();
            // The last column and the last row, where the encoder's odd-size
            // gap was, decode like the rest.
            let worst = (0..w * h)
                .filter(|i| i % w == w - 1 || i / w == h - 1)
                .flat_map(|i| (0..3).map(move |c| (i * 4 + c) as usize))
                .map(|k| back.data()[k].abs_diff(img.data()[k]))
                .max()
                .unwrap();
            assert!(worst < 40, "{w}x{h}: edge pixels off by {worst}");
        }
    }

    #[test]
    fn transparent_webp_is_lossy_colour_with_an_exact_alpha_plane() {
        for (w, h) in [(64, 48), (37, 23), (1, 1), (3, 1)] {
            let img = gradient(w, h, true);
            let enc = encode(&img, OutputFormat::Webp, 80, [0; 3]).unwrap();
            let b = &enc.bytes;
            // RIFF size, then VP8X (alpha flag, canvas size - 1), ALPH, VP8.
            assert_eq!(u32::from_le_bytes(b[4..8].try_into().unwrap()) as usize, b.len() - 8);
            assert_eq!((&b[12..16], b[20]), (&b"VP8X"[..], 0x10), "{w}x{h}");
            assert_eq!(b[24..30], [(w - 1) as u8, ((w - 1) >> 8) as u8, 0, (h - 1) as u8, ((h - 1) >> 8) as u8, 0]);
            assert_eq!(&b[30..34], b"ALPH");
            let alph = u32::from_le_bytes(b[34..38].try_into().unwrap()) as usize;
            assert_eq!(b[38], 0x01, "lossless, unfiltered");
            let vp8 = 38 + alph + alph % 2;
            assert_eq!(&b[vp8..vp8 + 4], b"VP8 ");
            let p = probe(b, &Limits::default()).unwrap();
            let back = decode(b, &p, None, &Limits::default()).unwrap();
            assert_eq!((back.width(), back.height()), (w, h));
            for (i, (a, o)) in back.data().chunks_exact(4).zip(img.data().chunks_exact(4)).enumerate() {
                assert_eq!(a[3], o[3], "{w}x{h}: alpha of pixel {i}");
                let worst = (0..3).map(|c| a[c].abs_diff(o[c])).max().unwrap();
                assert!(worst < 40, "{w}x{h}: pixel {i} off by {worst}");
            }
        }
        // A plane of one value compresses to almost nothing.
        let mut half = gradient(256, 256, false);
        half.data_mut().chunks_exact_mut(4).for_each(|p| p[3] = 128);
        let lossy = encode(&half, OutputFormat::Webp, 80, [0; 3]).unwrap().bytes.len();
        let opaque = encode(&gradient(256, 256, false), OutputFormat::Webp, 80, [0; 3]).unwrap().bytes.len();
        assert!(lossy < opaque + 200, "{lossy} B with a flat alpha plane, {opaque} B without");
    }

    #[test]
    fn jpeg_shrinks_on_load_to_the_smallest_covering_scale() {
        let img = gradient(400, 300, false);
        let enc = encode(&img, OutputFormat::Jpeg, 80, [0, 0, 0]).unwrap();
        let p = probe(&enc.bytes, &Limits::default()).unwrap();
        let half = decode(&enc.bytes, &p, Some((180, 120)), &Limits::default()).unwrap();
        assert_eq!((half.width(), half.height()), (200, 150));
        let eighth = decode(&enc.bytes, &p, Some((40, 30)), &Limits::default()).unwrap();
        assert_eq!((eighth.width(), eighth.height()), (50, 38));
        let tight = Limits { decode_budget: 100 * 100 * 4, ..Limits::default() };
        assert!(matches!(decode(&enc.bytes, &p, None, &tight), Err(CodecError::OverBudget { .. })));
    }

    #[test]
    fn transparent_pixels_take_the_background_in_jpeg() {
        let img = RgbaImage::filled(16, 16, [0, 0, 0, 0]);
        let enc = encode(&img, OutputFormat::Jpeg, 95, [255, 0, 0]).unwrap();
        let back = decode(&enc.bytes, &probe(&enc.bytes, &Limits::default()).unwrap(), None, &Limits::default()).unwrap();
        assert!(back.data()[0] > 240 && back.data()[1] < 15, "{:?}", &back.data()[..4]);
    }
}
