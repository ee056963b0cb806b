//! Pre-processing: NudeNet's `_read_image` on a decoded pixel buffer.
//!
//! NudeNet pads the image with black at the bottom and right to a
//! `side x side` square (`side = max(width, height)`), then
//! `cv2.dnn.blobFromImage` resizes that square to 320x320 with
//! `cv2.resize(..., INTER_LINEAR)` on 8-bit data and scales by 1/255. We do
//! the same without building the padded square: samples past the image's
//! right or bottom edge read as 0. The resize reproduces OpenCV's 8-bit
//! `INTER_LINEAR` arithmetic (half-pixel centres, weights rounded to 1/2048,
//! the vertical pass as OpenCV's SIMD code computes it, result rounded to
//! 8 bits), so the tensor matches NudeNet's bit for bit in the common case.

use serde::{Deserialize, Serialize};

use super::post::RectF;
use super::{DetectError, INPUT_LEN, INPUT_SIZE};

/// Side of the model input as a `usize`.
const N: usize = INPUT_SIZE as usize;
/// OpenCV's `INTER_RESIZE_COEF_SCALE`: interpolation weights are in 1/2048.
const COEF_SCALE: f32 = 2048.0;

/// How a decoded image maps onto the model input and back: the original
/// size; the image sits at the top-left of a `side x side` square (black
/// padding at the right and bottom) scaled to 320x320.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Letterbox {
    /// Width of the original image, in pixels.
    pub width: u32,
    /// Height of the original image, in pixels.
    pub height: u32,
}

impl Letterbox {
    /// The letterbox for a `width x height` image.
    pub fn new(width: u32, height: u32) -> Result<Letterbox, DetectError> {
        if width == 0 || height == 0 {
            return Err(DetectError::EmptyImage { width, height });
        }
        Ok(Letterbox { width, height })
    }

    /// Side of the padded square: `max(width, height)`.
    pub fn side(&self) -> u32 {
        self.width.max(self.height)
    }

    /// Black columns added at the right (NudeNet's `x_pad`).
    pub fn pad_right(&self) -> u32 {
        self.side() - self.width
    }

    /// Black rows added at the bottom (NudeNet's `y_pad`).
    pub fn pad_bottom(&self) -> u32 {
        self.side() - self.height
    }

    /// Original pixels per model-input pixel: `side / 320`.
    pub fn scale(&self) -> f32 {
        self.side() as f32 / INPUT_SIZE as f32
    }

    /// Maps a model box (centre `cx, cy`, size `w, h`, in 320-space) to
    /// original pixels exactly as NudeNet does, in `f32` like its numpy
    /// code: top-left corner `(cx - w/2, cy - h/2)`, every value times
    /// `side / 320`; then `x` and `y` are clipped into `[0, width]` and
    /// `[0, height]`, and `w`, `h` capped at `width - x`, `height - y`
    /// (a box sticking out on the left keeps its width: NudeNet's quirk).
    pub fn map_box(&self, cx: f32, cy: f32, w: f32, h: f32) -> RectF {
        let side = self.side() as f32;
        let input = INPUT_SIZE as f32;
        let (width, height) = (self.width as f32, self.height as f32);
        let x = (cx - w / 2.0) * side / input;
        let y = (cy - h / 2.0) * side / input;
        let w = w * side / input;
        let h = h * side / input;
        // Python's `max(0, min(x, W))`, with its tie and NaN behaviour.
        let x = py_max(0.0, py_min(x, width));
        let y = py_max(0.0, py_min(y, height));
        let w = py_min(w, width - x);
        let h = py_min(h, height - y);
        RectF { x, y, w, h }
    }
}

/// Python's `min(a, b)`: `a` unless `b < a`.
fn py_min(a: f32, b: f32) -> f32 {
    if b < a { b } else { a }
}

/// Python's `max(a, b)`: `a` unless `b > a`.
fn py_max(a: f32, b: f32) -> f32 {
    if b > a { b } else { a }
}

/// The layout of a pixel buffer given to [`preprocess_into`]: rows top to
/// bottom, no padding between rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PixelFormat {
    /// 3 bytes a pixel: R, G, B.
    Rgb8,
    /// 4 bytes a pixel: R, G, B, A. Alpha is ignored, as NudeNet's
    /// `cvtColor(COLOR_RGBA2BGR)` drops it (no compositing).
    Rgba8,
}

impl PixelFormat {
    /// Bytes per pixel.
    pub fn bytes_per_pixel(self) -> usize {
        match self {
            PixelFormat::Rgb8 => 3,
            PixelFormat::Rgba8 => 4,
        }
    }
}

/// The model input for an RGB8 image (3 bytes a pixel, rows top to bottom):
/// `1 x 3 x 320 x 320` floats in NCHW order with the planes **B, G, R** and
/// values in `[0, 1]`, exactly as NudeNet feeds its model, plus the
/// [`Letterbox`] that maps detections back.
pub fn preprocess(rgb: &[u8], width: u32, height: u32) -> Result<(Vec<f32>, Letterbox), DetectError> {
    let mut out = vec![0.0; INPUT_LEN];
    let letterbox = preprocess_into(rgb, PixelFormat::Rgb8, width, height, &mut out)?;
    Ok((out, letterbox))
}

/// [`preprocess`] for an RGBA8 buffer (the layout of [`crate::pixel`]);
/// alpha is ignored.
pub fn preprocess_rgba(rgba: &[u8], width: u32, height: u32) -> Result<(Vec<f32>, Letterbox), DetectError> {
    let mut out = vec![0.0; INPUT_LEN];
    let letterbox = preprocess_into(rgba, PixelFormat::Rgba8, width, height, &mut out)?;
    Ok((out, letterbox))
}

/// [`preprocess`] into a caller's buffer of exactly [`INPUT_LEN`] floats
/// (so a long-lived tensor can be reused), for either pixel format.
pub fn preprocess_into(pixels: &[u8], format: PixelFormat, width: u32, height: u32, out: &mut [f32]) -> Result<Letterbox, DetectError> {
    let letterbox = Letterbox::new(width, height)?;
    let bpp = format.bytes_per_pixel();
    let expected = (width as usize).checked_mul(height as usize).and_then(|n| n.checked_mul(bpp)).unwrap_or(usize::MAX);
    if pixels.len() != expected {
        return Err(DetectError::BufferSize { width, height, expected, actual: pixels.len() });
    }
    if out.len() != INPUT_LEN {
        return Err(DetectError::TensorSize { actual: out.len() });
    }
    resize_into(pixels, bpp, &letterbox, out);
    Ok(letterbox)
}

/// One output column's horizontal taps: source column and weights (1/2048).
#[derive(Clone, Copy, Default)]
struct XTap {
    sx: usize,
    a0: i32,
    a1: i32,
}

/// One output row's vertical taps: two source rows and weights (1/2048).
#[derive(Clone, Copy, Default)]
struct YTap {
    r0: usize,
    r1: usize,
    b0: i32,
    b1: i32,
}

/// `saturate_cast<short>(v)` for a float: round half to even, then clamp.
fn coef(v: f32) -> i32 {
    (v.round_ties_even() as i32).clamp(i16::MIN as i32, i16::MAX as i32)
}

/// OpenCV's source coordinate for destination index `d`:
/// `(float)((d + 0.5) * scale - 0.5)`, split into `cvFloor` and fraction.
fn source_coord(d: usize, scale: f64) -> (i64, f32) {
    let f = ((d as f64 + 0.5) * scale - 0.5) as f32;
    let s = f.floor();
    (s as i64, f - s)
}

/// Resizes the (virtually padded) `side x side` image to 320x320 with
/// OpenCV's 8-bit `INTER_LINEAR` and writes the B, G, R planes scaled by
/// 1/255 into `out` (which holds [`INPUT_LEN`] floats).
fn resize_into(pixels: &[u8], bpp: usize, letterbox: &Letterbox, out: &mut [f32]) {
    let width = letterbox.width as usize;
    let height = letterbox.height as usize;
    let side = letterbox.side() as usize;
    let last = side as i64 - 1;
    // cv::resize: inv_scale = dsize / ssize, scale = 1 / inv_scale.
    let scale = 1.0 / (N as f64 / side as f64);

    let mut xtaps = [XTap::default(); N];
    for (d, tap) in xtaps.iter_mut().enumerate() {
        let (mut s, mut f) = source_coord(d, scale);
        if s < 0 {
            s = 0;
            f = 0.0;
        }
        if s >= last {
            s = last;
            f = 0.0;
        }
        *tap = XTap { sx: s as usize, a0: coef((1.0 - f) * COEF_SCALE), a1: coef(f * COEF_SCALE) };
    }
    let mut ytaps = [YTap::default(); N];
    for (d, tap) in ytaps.iter_mut().enumerate() {
        // Rows are clipped into the image, the weights are not reset.
        let (s, f) = source_coord(d, scale);
        *tap = YTap {
            r0: s.clamp(0, last) as usize,
            r1: (s + 1).clamp(0, last) as usize,
            b0: coef((1.0 - f) * COEF_SCALE),
            b1: coef(f * COEF_SCALE),
        };
    }

    // Horizontally resized source rows, planes B, G, R, with the source row
    // each holds; two suffice since output rows advance monotonically.
    let mut rows = [vec![0i32; 3 * N], vec![0i32; 3 * N]];
    let mut held = [usize::MAX; 2];
    // Columns whose two taps both fall inside the image (a prefix: taps
    // only move right) read without the padding test.
    let inside = xtaps.partition_point(|t| t.sx + 1 < width);
    let fill = |row: &mut [i32], r: usize| {
        if r >= height {
            row.fill(0); // the black padding at the bottom
            return;
        }
        let line = &pixels[r * width * bpp..(r + 1) * width * bpp];
        let (blue, rest) = row.split_at_mut(N);
        let (green, red) = rest.split_at_mut(N);
        let mut put = |dx: usize, p0: [i32; 3], p1: [i32; 3], tap: &XTap| {
            red[dx] = p0[0] * tap.a0 + p1[0] * tap.a1;
            green[dx] = p0[1] * tap.a0 + p1[1] * tap.a1;
            blue[dx] = p0[2] * tap.a0 + p1[2] * tap.a1;
        };
        let rgb = |p: &[u8]| [i32::from(p[0]), i32::from(p[1]), i32::from(p[2])];
        for (dx, tap) in xtaps[..inside].iter().enumerate() {
            let at = tap.sx * bpp;
            put(dx, rgb(&line[at..at + 3]), rgb(&line[at + bpp..at + bpp + 3]), tap);
        }
        // Past the right edge, samples are the black padding (0).
        let at = |x: usize| if x < width { rgb(&line[x * bpp..x * bpp + 3]) } else { [0; 3] };
        for (dx, tap) in xtaps.iter().enumerate().skip(inside) {
            put(dx, at(tap.sx), at(tap.sx + 1), tap);
        }
    };

    // blobFromImage multiplies the float image by (float)(1 / 255.0).
    let unit = (1.0f64 / 255.0) as f32;
    for (dy, tap) in ytaps.iter().enumerate() {
        let i0 = if held[0] == tap.r0 {
            0
        } else if held[1] == tap.r0 {
            1
        } else {
            let slot = if held[0] == tap.r1 { 1 } else { 0 };
            fill(&mut rows[slot], tap.r0);
            held[slot] = tap.r0;
            slot
        };
        let i1 = if held[i0] == tap.r1 {
            i0
        } else if held[1 - i0] == tap.r1 {
            1 - i0
        } else {
            fill(&mut rows[1 - i0], tap.r1);
            held[1 - i0] = tap.r1;
            1 - i0
        };
        let (row0, row1) = (&rows[i0], &rows[i1]);
        for plane in 0..3 {
            let dst = &mut out[plane * N * N + dy * N..plane * N * N + (dy + 1) * N];
            let src0 = &row0[plane * N..(plane + 1) * N];
            let src1 = &row1[plane * N..(plane + 1) * N];
            for ((d, &s0), &s1) in dst.iter_mut().zip(src0).zip(src1) {
                // VResizeLinearVec_32s8u: ((S >> 4) * beta) >> 16 per row,
                // summed, then a rounding shift by 2 and saturation to u8.
                let v = (((s0 >> 4) * tap.b0) >> 16) + (((s1 >> 4) * tap.b1) >> 16);
                let v = ((v + 2) >> 2).clamp(0, 255);
                *d = v as f32 * unit;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solid(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
        rgb.iter().copied().cycle().take((width * height * 3) as usize).collect()
    }

    fn at(t: &[f32], plane: usize, x: usize, y: usize) -> f32 {
        t[plane * N * N + y * N + x]
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(preprocess(&[], 0, 5), Err(DetectError::EmptyImage { width: 0, height: 5 }));
        assert_eq!(preprocess(&[0; 11], 2, 2), Err(DetectError::BufferSize { width: 2, height: 2, expected: 12, actual: 11 }));
        assert_eq!(preprocess_rgba(&[0; 12], 2, 2).map(|_| ()), Err(DetectError::BufferSize { width: 2, height: 2, expected: 16, actual: 12 }));
        let mut small = vec![0.0; 10];
        assert_eq!(preprocess_into(&[0; 12], PixelFormat::Rgb8, 2, 2, &mut small), Err(DetectError::TensorSize { actual: 10 }));
    }

    #[test]
    fn letterbox_geometry() {
        let lb = Letterbox::new(640, 480).unwrap();
        assert_eq!((lb.side(), lb.pad_right(), lb.pad_bottom()), (640, 0, 160));
        assert_eq!(lb.scale(), 2.0);
        let lb = Letterbox::new(300, 600).unwrap();
        assert_eq!((lb.side(), lb.pad_right(), lb.pad_bottom()), (600, 300, 0));
        let lb = Letterbox::new(320, 320).unwrap();
        assert_eq!((lb.side(), lb.pad_right(), lb.pad_bottom(), lb.scale()), (320, 0, 0, 1.0));
    }

    /// Maps an original-pixel box into 320-space (centre form) and back.
    fn round_trip(lb: Letterbox, r: RectF) -> RectF {
        let s = lb.scale();
        lb.map_box((r.x + r.w / 2.0) / s, (r.y + r.h / 2.0) / s, r.w / s, r.h / s)
    }

    fn close(a: RectF, b: RectF) -> bool {
        (a.x - b.x).abs() < 1e-3 && (a.y - b.y).abs() < 1e-3 && (a.w - b.w).abs() < 1e-3 && (a.h - b.h).abs() < 1e-3
    }

    #[test]
    fn map_box_round_trips_portrait_landscape_square() {
        for (w, h) in [(300, 600), (1000, 250), (320, 320), (100, 100), (4000, 3000)] {
            let lb = Letterbox::new(w, h).unwrap();
            let r = RectF { x: w as f32 * 0.1, y: h as f32 * 0.2, w: w as f32 * 0.5, h: h as f32 * 0.6 };
            let back = round_trip(lb, r);
            assert!(close(back, r), "{w}x{h}: {back:?} != {r:?}");
        }
    }

    #[test]
    fn map_box_uses_nudenet_formula() {
        // Portrait 300x600: side 600, x * 600 / 320; no offset (padding is
        // at the right).
        let lb = Letterbox::new(300, 600).unwrap();
        let r = lb.map_box(80.0, 160.0, 40.0, 64.0);
        assert_eq!(r, RectF { x: 112.5, y: 240.0, w: 75.0, h: 120.0 });
        // A box reaching into the right padding is cut at the image edge.
        let r = lb.map_box(150.0, 100.0, 40.0, 40.0);
        assert_eq!(r.x, 243.75);
        assert_eq!(r.w, 300.0 - 243.75);
        // A box starting in the padding collapses to the edge.
        let r = lb.map_box(200.0, 100.0, 20.0, 20.0);
        assert_eq!((r.x, r.w), (300.0, 0.0));
        // Sticking out at the left/top: x, y clipped to 0, size kept.
        let r = lb.map_box(5.0, 4.0, 20.0, 20.0);
        assert_eq!(r, RectF { x: 0.0, y: 0.0, w: 37.5, h: 37.5 });
    }

    #[test]
    fn uniform_red_is_blue_green_red_planes_with_black_padding() {
        // Landscape 640x320: side 640, a 2x downscale; the bottom half of
        // the square is padding.
        let (t, lb) = preprocess(&solid(640, 320, [255, 0, 0]), 640, 320).unwrap();
        assert_eq!(t.len(), INPUT_LEN);
        assert_eq!(lb, Letterbox { width: 640, height: 320 });
        for (x, y) in [(0, 0), (319, 0), (100, 79), (10, 159)] {
            assert_eq!([at(&t, 0, x, y), at(&t, 1, x, y), at(&t, 2, x, y)], [0.0, 0.0, 1.0], "({x},{y})");
        }
        for (x, y) in [(0, 160), (319, 319), (5, 200)] {
            assert_eq!([at(&t, 0, x, y), at(&t, 1, x, y), at(&t, 2, x, y)], [0.0, 0.0, 0.0], "({x},{y})");
        }
        // Portrait 100x200: padding on the right half, 1.6x upscale, the
        // edge row blends red into black.
        let (t, _) = preprocess(&solid(100, 200, [255, 128, 0]), 100, 200).unwrap();
        assert_eq!([at(&t, 0, 10, 10), at(&t, 1, 10, 10), at(&t, 2, 10, 10)], [0.0, 128.0 * (1.0f64 / 255.0) as f32, 1.0]);
        assert_eq!(at(&t, 2, 300, 10), 0.0);
        let edge = at(&t, 2, 160, 10);
        assert!(edge > 0.0 && edge < 1.0, "{edge}");
    }

    #[test]
    fn same_size_square_is_copied_exactly() {
        let pixels: Vec<u8> = (0..320 * 320 * 3).map(|i| (i * 7 % 251) as u8).collect();
        let (t, _) = preprocess(&pixels, 320, 320).unwrap();
        let unit = (1.0f64 / 255.0) as f32;
        for (x, y) in [(0usize, 0usize), (5, 9), (319, 319), (200, 17)] {
            let p = (y * 320 + x) * 3;
            assert_eq!(at(&t, 0, x, y), pixels[p + 2] as f32 * unit);
            assert_eq!(at(&t, 1, x, y), pixels[p + 1] as f32 * unit);
            assert_eq!(at(&t, 2, x, y), pixels[p] as f32 * unit);
        }
    }

    #[test]
    fn rgba_ignores_alpha() {
        let rgb: Vec<u8> = (0..37 * 23 * 3).map(|i| (i * 13 % 256) as u8).collect();
        let rgba: Vec<u8> = rgb.chunks(3).flat_map(|p| [p[0], p[1], p[2], 7]).collect();
        assert_eq!(preprocess(&rgb, 37, 23).unwrap(), preprocess_rgba(&rgba, 37, 23).unwrap());
    }
}
