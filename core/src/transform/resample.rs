//! Cropping and resampling (Lanczos3, alpha-aware) and padding.

use fast_image_resize::images::TypedImage;
use fast_image_resize::pixels::{U8, U8x4};
use fast_image_resize::{Filter, FilterType, MulDiv, PixelTrait, ResizeAlg, ResizeOptions, Resizer};

use crate::codec::Plane;
use crate::pixel::{Rect, RgbaImage};

/// Crops `src` to `crop` and resamples the result to `to` (width, height).
///
/// Like libvips' extract-then-resize, pixels outside `crop` never bleed
/// into the result: the region is moved out first (in place).
pub fn resize(src: RgbaImage, crop: Rect, to: (u32, u32)) -> RgbaImage {
    let (w, h) = (to.0.max(1), to.1.max(1));
    let crop = crop.clamp_to(src.width(), src.height());
    let src = if crop == (Rect { x: 0, y: 0, w: src.width(), h: src.height() }) || crop.is_empty() { src } else { extract_in_place(src, crop) };
    if (w, h) == (src.width(), src.height()) {
        return src;
    }
    // Alpha-aware: colours are premultiplied for the filter and divided
    // back, as fast_image_resize does with `use_alpha`, but in place (it
    // would premultiply into a copy as large as the source). For an opaque
    // image both steps are the identity and are skipped.
    let alpha = src.has_transparency();
    let (sw, sh) = (src.width(), src.height());
    let mut src = src.into_vec();
    let mut out = vec![0; w as usize * h as usize * 4];
    let resized = lanczos3::<U8x4>(&mut src, (sw, sh), [0.0, 0.0, f64::from(sw), f64::from(sh)], &mut out, (w, h), alpha);
    drop(src);
    match resized {
        Some(()) => RgbaImage::from_vec(w, h, out).unwrap_or_else(|_| RgbaImage::filled(w, h, [0, 0, 0, 0])),
        None => RgbaImage::filled(w, h, [0, 0, 0, 0]),
    }
}

/// Resamples `window` (left, top, width, height, in pixels, fractions
/// allowed) of the `from`-sized image `src` into `out` (`to`) with
/// Lanczos3, premultiplying `src` in place first when `alpha`. Typed, so
/// that only the pixel types we use are built (the untyped
/// `Resizer::resize` carries all thirteen into the Worker). `None` when a
/// buffer does not match its size.
fn lanczos3<P: PixelTrait>(src: &mut [u8], from: (u32, u32), window: [f64; 4], out: &mut [u8], to: (u32, u32), alpha: bool) -> Option<()> {
    let px = P::size();
    let mul_div = MulDiv::default();
    let mut view = TypedImage::<P>::from_buffer(from.0, from.1, src).ok()?;
    if alpha {
        mul_div.multiply_alpha_inplace_typed(&mut view).ok()?;
    }
    // fast_image_resize filters columns first, into a buffer as wide as
    // the source and as tall as the output: for a 12 MP source and a large
    // output that is tens of megabytes more. Bands of output rows, each
    // from the source rows under it (the filter still reads across the
    // band's edges), keep that buffer to a band's height.
    let [left, top, width, height] = window;
    let band = (BAND_BYTES / (u64::from(from.0) * px as u64)).clamp(1, u64::from(to.1)) as u32;
    let scale = height / f64::from(to.1);
    let mut resizer = Resizer::new();
    for (i, rows) in out.chunks_mut(band as usize * to.0 as usize * px).enumerate() {
        let y0 = i as u32 * band;
        let n = (rows.len() / (to.0 as usize * px)) as u32;
        let mut dst = TypedImage::<P>::from_buffer(to.0, n, rows).ok()?;
        let band_top = top + f64::from(y0) * scale;
        let options = ResizeOptions::new()
            .resize_alg(ResizeAlg::Convolution(lanczos3_filter()))
            .use_alpha(false)
            .crop(left, band_top, width, (f64::from(n) * scale).min(top + height - band_top));
        resizer.resize_typed(&view, &mut dst, &options).ok()?;
        if alpha {
            mul_div.divide_alpha_inplace_typed(&mut dst).ok()?;
        }
    }
    Some(())
}

/// Lanczos3 as fast_image_resize's own, computed with one sine where it
/// takes two: the coefficients of a 12 MP source's four resamplings (two
/// axes of luma and chroma) are tens of thousands of them, 4 % of a
/// JPEG render as wasm.
fn lanczos3_filter() -> FilterType {
    match Filter::new("Lanczos3", lanczos3_weight, 3.0) {
        Ok(filter) => FilterType::Custom(filter),
        Err(_) => FilterType::Lanczos3,
    }
}

/// `sinc(x) sinc(x/3)` on `(-3, 3)`, zero outside. With `t = sin(pi x/3)`,
/// `sin(pi x) = 3t - 4t^3` (the triple-angle identity), so that
/// `sinc(x) sinc(x/3) = 3t^2 (3 - 4t^2) / (pi x)^2`.
fn lanczos3_weight(x: f64) -> f64 {
    if x == 0.0 {
        1.0
    } else if (-3.0..3.0).contains(&x) {
        let t = (std::f64::consts::FRAC_PI_3 * x).sin();
        let px = std::f64::consts::PI * x;
        3.0 * t * t * (3.0 - 4.0 * t * t) / (px * px)
    } else {
        0.0
    }
}

/// Resamples `window` (left, top, width, height, in samples, fractions
/// allowed) of a plane to `to`. The whole samples under the window move
/// out first, as [`resize`] moves its crop (nothing beyond them bleeds
/// in); a window with fractional edges, a chroma plane's under a luma
/// crop, is then read within them. `None` when the window is outside the
/// plane (or a buffer does not match its size).
pub fn resize_plane(src: Plane, window: [f64; 4], to: (u32, u32)) -> Option<Plane> {
    let (w, h) = (to.0.max(1), to.1.max(1));
    let [left, top, width, height] = window;
    let (x0, y0) = (left.max(0.0).floor() as u32, top.max(0.0).floor() as u32);
    let (x1, y1) = ((left + width).ceil() as u32, (top + height).ceil() as u32);
    let under = Rect { x: x0, y: y0, w: x1.saturating_sub(x0).max(1), h: y1.saturating_sub(y0).max(1) }.clamp_to(src.width(), src.height());
    if under.is_empty() {
        return None;
    }
    let (sw, sh) = (src.width(), src.height());
    let mut data = if under == (Rect { x: 0, y: 0, w: sw, h: sh }) { src.into_vec() } else { move_rows(src.into_vec(), sw, 1, under) };
    let (ux, uy, uw, uh) = (f64::from(under.x), f64::from(under.y), f64::from(under.w), f64::from(under.h));
    let (l, t) = ((left - ux).clamp(0.0, uw), (top - uy).clamp(0.0, uh));
    let window = [l, t, width.min(uw - l), height.min(uh - t)];
    if (w, h) == (under.w, under.h) && window == [0.0, 0.0, uw, uh] {
        return Plane::new(w, h, data);
    }
    let mut out = vec![0; w as usize * h as usize];
    lanczos3::<U8>(&mut data, (under.w, under.h), window, &mut out, (w, h), false)?;
    Plane::new(w, h, out)
}

/// The most bytes of the resampler's intermediate buffer (see [`lanczos3`]).
const BAND_BYTES: u64 = 4 << 20;

/// Copies the pixels of `r` (inside `src`) into a new image.
pub fn extract(src: &RgbaImage, r: Rect) -> RgbaImage {
    let stride = src.width() as usize * 4;
    let row = r.w as usize * 4;
    let mut out = Vec::with_capacity(row * r.h as usize);
    for y in r.y as usize..(r.y + r.h) as usize {
        let s = y * stride + r.x as usize * 4;
        out.extend_from_slice(&src.data()[s..s + row]);
    }
    RgbaImage::from_vec(r.w, r.h, out).unwrap_or_else(|_| RgbaImage::filled(r.w, r.h, [0, 0, 0, 0]))
}

/// [`extract`] without a second buffer: the pixels of `r` (clamped to
/// `src`) move to the front of `src`'s own buffer. Each row moves to an
/// offset no later than its own, so rows are moved first to last.
pub fn extract_in_place(src: RgbaImage, r: Rect) -> RgbaImage {
    let r = r.clamp_to(src.width(), src.height());
    let width = src.width();
    let data = move_rows(src.into_vec(), width, 4, r);
    RgbaImage::from_vec(r.w, r.h, data).unwrap_or_else(|_| RgbaImage::filled(r.w, r.h, [0, 0, 0, 0]))
}

/// The pixels of `r` (inside an image `width` pixels wide, of `bytes`
/// each) moved to the front of its buffer, which is cut after them.
fn move_rows(mut data: Vec<u8>, width: u32, bytes: usize, r: Rect) -> Vec<u8> {
    let stride = width as usize * bytes;
    let row = r.w as usize * bytes;
    for (i, y) in (r.y as usize..(r.y + r.h) as usize).enumerate() {
        let s = y * stride + r.x as usize * bytes;
        data.copy_within(s..s + row, i * row);
    }
    data.truncate(row * r.h as usize);
    data
}

/// Places `img` at `offset` on a `canvas` filled with `background`.
pub fn pad(img: RgbaImage, canvas: (u32, u32), offset: (u32, u32), background: [u8; 4]) -> RgbaImage {
    if canvas == (img.width(), img.height()) && offset == (0, 0) {
        return img;
    }
    let mut out = RgbaImage::filled(canvas.0, canvas.1, background);
    let r = Rect { x: offset.0, y: offset.1, w: img.width(), h: img.height() }.clamp_to(canvas.0, canvas.1);
    let stride = canvas.0 as usize * 4;
    let row = r.w as usize * 4;
    for y in 0..r.h as usize {
        let d = (r.y as usize + y) * stride + r.x as usize * 4;
        let s = y * img.width() as usize * 4;
        out.data_mut()[d..d + row].copy_from_slice(&img.data()[s..s + row]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resizes_uniform_images_to_the_same_colour() {
        let src = RgbaImage::filled(40, 30, [10, 200, 30, 255]);
        let out = resize(src, Rect { x: 0, y: 0, w: 40, h: 30 }, (13, 7));
        assert_eq!((out.width(), out.height()), (13, 7));
        assert!(out.data().chunks(4).all(|p| p == [10, 200, 30, 255]));
    }

    #[test]
    fn premultiplies_in_place_with_the_pixels_of_fast_image_resizes_own_path() {
        use fast_image_resize::images::TypedImageRef;
        let (w, h) = (97, 61);
        for alpha in [|_: u32| 255u8, |i: u32| (i * 5 % 256) as u8, |i: u32| if i % 7 == 0 { 0 } else { 200 }] {
            let data: Vec<u8> = (0..w * h).flat_map(|i| [(i * 7 % 251) as u8, (i * 13 % 241) as u8, (i / w * 3) as u8, alpha(i)]).collect();
            let src = RgbaImage::from_vec(w, h, data).unwrap();
            let ours = resize(src.clone(), Rect { x: 0, y: 0, w, h }, (40, 23));
            let mut theirs = vec![0; 40 * 23 * 4];
            let view = TypedImageRef::<U8x4>::from_buffer(w, h, src.data()).unwrap();
            let mut dst = TypedImage::<U8x4>::from_buffer(40, 23, &mut theirs).unwrap();
            let premultiplied = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(lanczos3_filter())).use_alpha(true);
            Resizer::new().resize_typed(&view, &mut dst, &premultiplied).unwrap();
            assert_eq!(ours.data(), &theirs[..], "alpha of pixel 1: {}", alpha(1));
        }
    }

    #[test]
    fn bands_give_the_pixels_of_one_pass() {
        use fast_image_resize::images::TypedImageRef;
        // Wide enough that a band is a few output rows.
        for (w, h, to) in [(9000u32, 700u32, (3000u32, 233u32)), (9000, 300, (4000, 600)), (4096, 3050, (3000, 2234)), (4000, 3000, (1024, 768))] {
            let data: Vec<u8> = (0..w * h).flat_map(|i| [(i * 7 % 251) as u8, (i * 13 % 241) as u8, (i / w * 3) as u8, 255]).collect();
            let src = RgbaImage::from_vec(w, h, data).unwrap();
            let ours = resize(src.clone(), Rect { x: 0, y: 0, w, h }, to);
            let mut theirs = vec![0; (to.0 * to.1 * 4) as usize];
            let view = TypedImageRef::<U8x4>::from_buffer(w, h, src.data()).unwrap();
            let mut dst = TypedImage::<U8x4>::from_buffer(to.0, to.1, &mut theirs).unwrap();
            let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(lanczos3_filter())).use_alpha(false);
            Resizer::new().resize_typed(&view, &mut dst, &options).unwrap();
            let off = ours.data().iter().zip(&theirs).filter(|(a, b)| a != b).count();
            let worst = ours.data().iter().zip(&theirs).map(|(a, b)| a.abs_diff(*b)).max().unwrap_or(0);
            assert_eq!((off, worst), (0, 0), "{w}x{h} -> {to:?}");
        }
    }

    /// The one-sine weight is fast_image_resize's two-sine Lanczos3, to
    /// rounding, and gives its pixels (a weight's last bit can move a
    /// fixed-point coefficient by one, so a pixel by at most one level).
    #[test]
    fn one_sine_lanczos3_is_the_two_sine_one() {
        let sinc = |x: f64| if x == 0.0 { 1.0 } else { (std::f64::consts::PI * x).sin() / (std::f64::consts::PI * x) };
        for i in -40_000..=40_000 {
            let x = f64::from(i) * 0.0001;
            let two = if (-3.0..3.0).contains(&x) { sinc(x) * sinc(x / 3.0) } else { 0.0 };
            assert!((lanczos3_weight(x) - two).abs() < 1e-14, "x = {x}: {} against {two}", lanczos3_weight(x));
        }
        use fast_image_resize::images::TypedImageRef;
        let (w, h) = (1013u32, 757u32);
        let data: Vec<u8> = (0..w * h).flat_map(|i| [(i * 7 % 251) as u8, (i * 13 % 241) as u8, (i / w * 3) as u8, 255]).collect();
        let src = RgbaImage::from_vec(w, h, data).unwrap();
        for to in [(512u32, 383u32), (300, 700), (1013, 200), (2000, 1500)] {
            let ours = resize(src.clone(), Rect { x: 0, y: 0, w, h }, to);
            let mut theirs = vec![0; (to.0 * to.1 * 4) as usize];
            let view = TypedImageRef::<U8x4>::from_buffer(w, h, src.data()).unwrap();
            let mut dst = TypedImage::<U8x4>::from_buffer(to.0, to.1, &mut theirs).unwrap();
            let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3)).use_alpha(false);
            Resizer::new().resize_typed(&view, &mut dst, &options).unwrap();
            let worst = ours.data().iter().zip(&theirs).map(|(a, b)| a.abs_diff(*b)).max().unwrap_or(0);
            let off = ours.data().iter().zip(&theirs).filter(|(a, b)| a != b).count();
            assert!(worst <= 1, "{to:?}: {off} differ, by up to {worst}");
            eprintln!("{to:?}: {off} of {} differ", theirs.len());
        }
    }

    #[test]
    fn planes_resample_as_the_channels_of_rgba_do() {
        let (w, h) = (211u32, 157u32);
        let grey: Vec<u8> = (0..w * h).map(|i| ((i % w) * 7 + (i / w) * 3 % 256) as u8).collect();
        let rgba = RgbaImage::from_vec(w, h, grey.iter().flat_map(|&v| [v, v, v, 255]).collect()).unwrap();
        for (crop, to) in [(Rect { x: 0, y: 0, w, h }, (90, 61)), (Rect { x: 17, y: 9, w: 120, h: 101 }, (50, 77)), (Rect { x: 0, y: 0, w, h }, (w, h))] {
            let plane = resize_plane(Plane::new(w, h, grey.clone()).unwrap(), [f64::from(crop.x), f64::from(crop.y), f64::from(crop.w), f64::from(crop.h)], to).unwrap();
            let expected: Vec<u8> = resize(rgba.clone(), crop, to).data().chunks(4).map(|p| p[0]).collect();
            assert_eq!((plane.width(), plane.height()), to);
            assert_eq!(plane.data(), &expected[..], "{crop:?} -> {to:?}");
        }
    }

    #[test]
    fn a_fractional_window_reads_between_samples() {
        // Columns 0-9 dark, 10-19 light: the window's left half, half a
        // sample further right, is dark but for its last output column.
        let data: Vec<u8> = (0..20 * 4).map(|i| if i % 20 < 10 { 0 } else { 200 }).collect();
        let out = resize_plane(Plane::new(20, 4, data.clone()).unwrap(), [0.5, 0.0, 19.5, 4.0], (39, 4)).unwrap();
        assert!(out.row(2).unwrap()[..17].iter().all(|&v| v < 10), "{:?}", out.row(2));
        assert!(out.row(2).unwrap()[21..].iter().all(|&v| v > 190), "{:?}", out.row(2));
        // The edge sits half a sample left of where the whole width puts it.
        let whole = resize_plane(Plane::new(20, 4, data).unwrap(), [0.0, 0.0, 20.0, 4.0], (40, 4)).unwrap();
        let edge = |r: &[u8]| r.iter().position(|&v| v >= 100).unwrap_or(0);
        assert_eq!(edge(out.row(0).unwrap()) + 1, edge(whole.row(0).unwrap()));
        assert_eq!(resize_plane(Plane::new(20, 4, vec![0; 80]).unwrap(), [30.0, 0.0, 5.0, 4.0], (5, 4)), None, "outside the plane");
    }

    #[test]
    fn crop_selects_the_region() {
        let mut src = RgbaImage::filled(20, 10, [0, 0, 0, 255]);
        for y in 0..10 {
            for x in 10..20 {
                let i = (y * 20 + x) * 4;
                src.data_mut()[i..i + 4].copy_from_slice(&[255, 255, 255, 255]);
            }
        }
        let right = resize(src, Rect { x: 10, y: 0, w: 10, h: 10 }, (5, 5));
        assert!(right.data().chunks(4).all(|p| p == [255, 255, 255, 255]));
    }

    #[test]
    fn extract_in_place_moves_the_region_and_matches_extract() {
        let (w, h) = (13u32, 9u32);
        let data: Vec<u8> = (0..w * h).flat_map(|i| [(i % w) as u8, (i / w) as u8, 7, 255]).collect();
        let src = RgbaImage::from_vec(w, h, data).unwrap();
        let copied = extract(&src, Rect { x: 3, y: 2, w: 8, h: 5 });
        let out = extract_in_place(src, Rect { x: 3, y: 2, w: 8, h: 5 });
        assert_eq!(out, copied);
        assert_eq!((out.width(), out.height()), (8, 5));
        for (i, p) in out.data().chunks(4).enumerate() {
            assert_eq!(p, [3 + (i % 8) as u8, 2 + (i / 8) as u8, 7, 255], "pixel {i}");
        }
        let clamped = extract_in_place(RgbaImage::filled(4, 4, [1, 2, 3, 4]), Rect { x: 2, y: 3, w: 9, h: 9 });
        assert_eq!((clamped.width(), clamped.height(), clamped.data()), (2, 1, &[1, 2, 3, 4, 1, 2, 3, 4][..]));
    }

    #[test]
    fn pad_centres_on_the_background() {
        let out = pad(RgbaImage::filled(2, 2, [1, 2, 3, 255]), (4, 6), (1, 2), [9, 9, 9, 255]);
        assert_eq!((out.width(), out.height()), (4, 6));
        assert_eq!(&out.data()[0..4], &[9, 9, 9, 255]);
        let at = |x: usize, y: usize| &out.data()[(y * 4 + x) * 4..(y * 4 + x) * 4 + 4];
        assert_eq!(at(1, 2), &[1, 2, 3, 255]);
        assert_eq!(at(2, 3), &[1, 2, 3, 255]);
        assert_eq!(at(3, 3), &[9, 9, 9, 255]);
    }
}
