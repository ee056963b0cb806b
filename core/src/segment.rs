//! Background-removal pre- and post-processing (@imgly's ISNet models).
//!
//! The model (`@imgly/background-removal-data` 1.4.5, ISNet, a fixed
//! `1x3x1024x1024` input) runs in the function pool; this module does what
//! `@imgly/background-removal-node` 1.4.5 does around it, step for step, so
//! that our masks match theirs:
//!
//! - [`preprocess`]: resize the RGBA image to 1024x1024 with @imgly's own
//!   bilinear filter ([`resize_bilinear`]: the sample for output `x` is
//!   source `x * src/dst`, corners aligned at the top left, no
//!   antialiasing, rounded to `u8`), then lay out the R, G and B planes as
//!   `(v - 128) / 256`.
//! - [`mask_from_output`]: the first output (`[1, 1, 1024, 1024]`, values in
//!   `0..=1`) times 255, truncated to `u8`, then resized back to the image's
//!   size with the same filter.
//! - [`apply_mask`]: the mask becomes the image's alpha channel (their
//!   `foreground` output), except that fully transparent pixels are
//!   cleared to transparent black: the cut-out does not carry the
//!   background it hides (theirs keeps it, recoverable by dropping alpha),
//!   and compresses better.
//!
//! One deliberate difference: @imgly stores `v * 255` in a `Uint8Array`,
//! which wraps values above 255 to 0; we saturate. The model ends in a
//! sigmoid, so the two agree on every value it produces.

use crate::pixel::RgbaImage;

/// The model's input side, in pixels.
pub const INPUT_SIZE: u32 = 1024;

/// Floats in one input tensor (`1 x 3 x 1024 x 1024`).
pub const INPUT_LEN: usize = 3 * (INPUT_SIZE as usize) * (INPUT_SIZE as usize);

/// Floats in the mask output (`1 x 1 x 1024 x 1024`).
pub const OUTPUT_LEN: usize = (INPUT_SIZE as usize) * (INPUT_SIZE as usize);

/// Resizes an interleaved `u8` image of `channels` channels as
/// `@imgly/background-removal`'s `tensorResizeBilinear` does.
///
/// Returns an empty buffer when `src` is shorter than `w * h * channels`
/// or a size is zero.
pub fn resize_bilinear(src: &[u8], w: u32, h: u32, channels: usize, new_w: u32, new_h: u32) -> Vec<u8> {
    let (w, h, new_w, new_h) = (w as usize, h as usize, new_w as usize, new_h as usize);
    if w == 0 || h == 0 || new_w == 0 || new_h == 0 || src.len() < w * h * channels {
        return Vec::new();
    }
    let scale_x = w as f64 / new_w as f64;
    let scale_y = h as f64 / new_h as f64;
    // Columns are the same for every row: compute them once.
    let cols: Vec<(usize, usize, f64)> = (0..new_w)
        .map(|x| {
            let sx = x as f64 * scale_x;
            let x1 = sx.floor() as usize;
            let x2 = (sx.ceil() as usize).min(w - 1);
            (x1.min(w - 1), x2, sx - x1 as f64)
        })
        .collect();
    let mut out = vec![0u8; new_w * new_h * channels];
    for (y, row) in out.chunks_exact_mut(new_w * channels).enumerate() {
        let sy = y as f64 * scale_y;
        let y1 = (sy.floor() as usize).min(h - 1);
        let y2 = (sy.ceil() as usize).min(h - 1);
        let dy = sy - sy.floor();
        let (r1, r2) = (&src[y1 * w * channels..], &src[y2 * w * channels..]);
        for (px, &(x1, x2, dx)) in row.chunks_exact_mut(channels).zip(&cols) {
            for (c, v) in px.iter_mut().enumerate() {
                let p1 = f64::from(r1[x1 * channels + c]);
                let p2 = f64::from(r1[x2 * channels + c]);
                let p3 = f64::from(r2[x1 * channels + c]);
                let p4 = f64::from(r2[x2 * channels + c]);
                let value = (1.0 - dx) * (1.0 - dy) * p1 + dx * (1.0 - dy) * p2 + (1.0 - dx) * dy * p3 + dx * dy * p4;
                // JavaScript's Math.round: halves go up.
                *v = (value + 0.5).floor() as u8;
            }
        }
    }
    out
}

/// The model input for `img`: `INPUT_LEN` floats, planes R, G, B.
pub fn preprocess(img: &RgbaImage) -> Vec<f32> {
    let resized = resize_bilinear(img.data(), img.width(), img.height(), 4, INPUT_SIZE, INPUT_SIZE);
    let plane = OUTPUT_LEN;
    let mut out = vec![0f32; INPUT_LEN];
    for (i, px) in resized.chunks_exact(4).enumerate() {
        for c in 0..3 {
            out[c * plane + i] = ((f64::from(px[c]) - 128.0) / 256.0) as f32;
        }
    }
    out
}

/// The alpha mask at `width x height` from the model's first output
/// (`OUTPUT_LEN` floats); empty when `output` is too short.
pub fn mask_from_output(output: &[f32], width: u32, height: u32) -> Vec<u8> {
    let Some(output) = output.get(..OUTPUT_LEN) else { return Vec::new() };
    // `as u8` truncates and saturates (NaN becomes 0).
    let mask: Vec<u8> = output.iter().map(|&v| (f64::from(v) * 255.0) as u8).collect();
    resize_bilinear(&mask, INPUT_SIZE, INPUT_SIZE, 1, width, height)
}

/// Sets `img`'s alpha channel to `mask` (one byte per pixel, same size)
/// and clears the colour of the pixels it makes fully transparent; leaves
/// `img` as it is when the sizes differ.
pub fn apply_mask(img: &mut RgbaImage, mask: &[u8]) {
    if mask.len() != img.data().len() / 4 {
        return;
    }
    for (px, &a) in img.data_mut().chunks_exact_mut(4).zip(mask) {
        if a == 0 {
            px[..3].fill(0);
        }
        px[3] = a;
    }
}

/// Intersection over union of two masks thresholded at 128 (1 when both
/// are empty, 0 when the sizes differ).
pub fn mask_iou(a: &[u8], b: &[u8]) -> f64 {
    if a.len() != b.len() {
        return 0.0;
    }
    let (mut inter, mut union) = (0u64, 0u64);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (x >= 128, y >= 128);
        inter += u64::from(x && y);
        union += u64::from(x || y);
    }
    if union == 0 { 1.0 } else { inter as f64 / union as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resize_matches_imgly_on_a_hand_computed_case() {
        // 2x1 grey [0, 100] to 4x1: source x = 0, 0.5, 1, 1.5 -> x2 clamps
        // to 1: 0, 50, 100, 100.
        assert_eq!(resize_bilinear(&[0, 100], 2, 1, 1, 4, 1), vec![0, 50, 100, 100]);
        // Downscale 4x1 to 2x1 samples x = 0 and 2 (no averaging).
        assert_eq!(resize_bilinear(&[10, 20, 30, 40], 4, 1, 1, 2, 1), vec![10, 30]);
        // Halves round up, like Math.round.
        assert_eq!(resize_bilinear(&[0, 1], 2, 1, 1, 4, 1)[1], 1);
    }

    #[test]
    fn resize_refuses_short_buffers() {
        assert!(resize_bilinear(&[1, 2, 3], 2, 2, 1, 4, 4).is_empty());
        assert!(resize_bilinear(&[1, 2, 3, 4], 2, 2, 1, 0, 4).is_empty());
    }

    #[test]
    fn preprocess_normalises_planes_in_rgb_order() {
        let img = RgbaImage::filled(3, 2, [0, 128, 255, 255]);
        let input = preprocess(&img);
        assert_eq!(input.len(), INPUT_LEN);
        assert_eq!(input[0], -0.5);
        assert_eq!(input[OUTPUT_LEN], 0.0);
        assert_eq!(input[2 * OUTPUT_LEN + 12345], 127.0 / 256.0);
    }

    #[test]
    fn mask_saturates_and_maps_back_to_the_image_size() {
        let mut out = vec![1.0f32; OUTPUT_LEN];
        out[0] = -3.0;
        out[1] = 7.0;
        let mask = mask_from_output(&out, 10, 5);
        assert_eq!(mask.len(), 50);
        assert_eq!(mask[0], 0);
        assert!(mask[1..].iter().all(|&m| m == 255));
        assert!(mask_from_output(&out[..10], 10, 5).is_empty());
    }

    #[test]
    fn mask_becomes_alpha_and_iou_counts_overlap() {
        let mut img = RgbaImage::filled(2, 2, [9, 9, 9, 255]);
        apply_mask(&mut img, &[0, 255, 128, 3]);
        // Colour stays wherever a pixel shows at all.
        assert_eq!(img.data(), [0, 0, 0, 0, 9, 9, 9, 255, 9, 9, 9, 128, 9, 9, 9, 3]);
        assert_eq!(mask_iou(&[0, 255, 255, 0], &[0, 255, 0, 0]), 0.5);
        assert_eq!(mask_iou(&[0, 0], &[0, 0]), 1.0);
        assert_eq!(mask_iou(&[0], &[0, 0]), 0.0);
    }
}
