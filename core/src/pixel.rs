//! RGBA pixel buffers and the operations on them.
//!
//! Buffers are the layout a canvas `ImageData` has: rows top to bottom,
//! 4 bytes a pixel (R, G, B, A), no padding. The Worker, the browser module
//! and the pool all hand such buffers to these functions, so an operation
//! gives the same bytes on every tier.

use thiserror::Error;

/// Why a pixel operation refused its input.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PixelError {
    /// The buffer's length does not match `width * height * 4`.
    #[error("buffer holds {actual} bytes, but {width}x{height} RGBA needs {expected}")]
    BufferSize {
        /// The image width.
        width: u32,
        /// The image height.
        height: u32,
        /// The bytes needed.
        expected: usize,
        /// The bytes given.
        actual: usize,
    },
    /// A block or kernel size of zero.
    #[error("block size must be at least 1")]
    ZeroBlock,
}

/// A rectangle in pixel coordinates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub w: u32,
    /// Height.
    pub h: u32,
}

impl Rect {
    /// The part of this rectangle inside a `width` x `height` image
    /// (possibly empty).
    pub fn clamp_to(self, width: u32, height: u32) -> Rect {
        let x = self.x.min(width);
        let y = self.y.min(height);
        let w = self.w.min(width - x);
        let h = self.h.min(height - y);
        Rect { x, y, w, h }
    }

    /// Whether the rectangle covers no pixel.
    pub fn is_empty(self) -> bool {
        self.w == 0 || self.h == 0
    }

    /// The rectangle covering this one on the same picture scaled by `kx`
    /// horizontally and `ky` vertically (edges rounded outwards, at least
    /// 1 x 1).
    pub fn scaled(self, kx: f64, ky: f64) -> Rect {
        let x0 = (f64::from(self.x) * kx).floor() as u32;
        let y0 = (f64::from(self.y) * ky).floor() as u32;
        let x1 = (f64::from(self.x + self.w) * kx).ceil() as u32;
        let y1 = (f64::from(self.y + self.h) * ky).ceil() as u32;
        Rect { x: x0, y: y0, w: x1.saturating_sub(x0).max(1), h: y1.saturating_sub(y0).max(1) }
    }
}

/// An owned RGBA image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RgbaImage {
    width: u32,
    height: u32,
    data: Vec<u8>,
}

impl RgbaImage {
    /// Wraps `data` as a `width` x `height` RGBA image.
    pub fn from_vec(width: u32, height: u32, data: Vec<u8>) -> Result<RgbaImage, PixelError> {
        let expected = width as usize * height as usize * 4;
        if data.len() != expected {
            return Err(PixelError::BufferSize { width, height, expected, actual: data.len() });
        }
        Ok(RgbaImage { width, height, data })
    }

    /// A `width` x `height` image filled with `color`.
    pub fn filled(width: u32, height: u32, color: [u8; 4]) -> RgbaImage {
        let data = color.iter().copied().cycle().take(width as usize * height as usize * 4).collect();
        RgbaImage { width, height, data }
    }

    /// The width.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// The height.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The pixels, RGBA, row-major.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The pixels, mutable.
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.data
    }

    /// The buffer, consuming the image.
    pub fn into_vec(self) -> Vec<u8> {
        self.data
    }

    /// A mutable view for the in-place operations.
    pub fn view_mut(&mut self) -> RgbaMut<'_> {
        RgbaMut { width: self.width, height: self.height, data: &mut self.data }
    }

    /// Whether any pixel is not fully opaque.
    pub fn has_transparency(&self) -> bool {
        // Blocks of 16 pixels: an opaque photo is scanned at memory speed,
        // and the scan still stops at the first transparent block.
        self.data.chunks(64).any(|block| !all_opaque(block))
    }
}

/// Whether every pixel of the RGBA bytes `rgba` has alpha 255. Whole
/// pixels are ANDed as words (alpha is the top byte), a loop that
/// vectorizes; for short runs (a block of 16), so that callers can stop or
/// branch early.
pub fn all_opaque(rgba: &[u8]) -> bool {
    rgba.chunks_exact(4).fold(u32::MAX, |m, p| m & u32::from_le_bytes([p[0], p[1], p[2], p[3]])) >> 24 == 255
}

/// A mutable view of an RGBA buffer with its dimensions checked once.
#[derive(Debug)]
pub struct RgbaMut<'a> {
    width: u32,
    height: u32,
    data: &'a mut [u8],
}

impl<'a> RgbaMut<'a> {
    /// Wraps `data` as a `width` x `height` RGBA image.
    pub fn new(width: u32, height: u32, data: &'a mut [u8]) -> Result<RgbaMut<'a>, PixelError> {
        let expected = width as usize * height as usize * 4;
        if data.len() != expected {
            return Err(PixelError::BufferSize { width, height, expected, actual: data.len() });
        }
        Ok(RgbaMut { width, height, data })
    }

    /// The image width.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// The image height.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Replaces each `block` x `block` cell of `region` by its mean colour
    /// (alpha included), rounding to nearest. Cells at the region's right and
    /// bottom edges may be smaller. The region is clipped to the image.
    pub fn pixelate(&mut self, region: Rect, block: u32) -> Result<(), PixelError> {
        if block == 0 {
            return Err(PixelError::ZeroBlock);
        }
        let r = region.clamp_to(self.width, self.height);
        let stride = self.width as usize * 4;
        let mut cy = r.y;
        while cy < r.y + r.h {
            let ch = block.min(r.y + r.h - cy);
            let mut cx = r.x;
            while cx < r.x + r.w {
                let cw = block.min(r.x + r.w - cx);
                let mut sum = [0u64; 4];
                for yy in cy..cy + ch {
                    let row = yy as usize * stride;
                    for px in self.data[row + cx as usize * 4..row + (cx + cw) as usize * 4].chunks_exact(4) {
                        for c in 0..4 {
                            sum[c] += u64::from(px[c]);
                        }
                    }
                }
                let n = u64::from(cw) * u64::from(ch);
                let mean = sum.map(|s| ((s + n / 2) / n) as u8);
                for yy in cy..cy + ch {
                    let row = yy as usize * stride;
                    for px in self.data[row + cx as usize * 4..row + (cx + cw) as usize * 4].chunks_exact_mut(4) {
                        px.copy_from_slice(&mean);
                    }
                }
                cx += cw;
            }
            cy += ch;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(w: u32, h: u32) -> Vec<u8> {
        (0..w * h).flat_map(|i| [(i % 256) as u8, (i / 7 % 256) as u8, 200, 255]).collect()
    }

    #[test]
    fn transparency_is_found_at_any_pixel() {
        for (w, h) in [(1u32, 1u32), (17, 3), (64, 5)] {
            let opaque = RgbaImage::filled(w, h, [9, 9, 9, 255]);
            assert!(!opaque.has_transparency());
            for i in 0..(w * h) as usize {
                let mut data = opaque.data().to_vec();
                data[i * 4 + 3] = 254;
                assert!(RgbaImage::from_vec(w, h, data).unwrap().has_transparency(), "{w}x{h}, pixel {i}");
            }
        }
    }

    #[test]
    fn rejects_wrong_buffer_sizes() {
        let mut buf = vec![0u8; 15];
        assert!(matches!(RgbaMut::new(2, 2, &mut buf), Err(PixelError::BufferSize { expected: 16, actual: 15, .. })));
    }

    #[test]
    fn pixelate_makes_uniform_cells_with_mean_colour() {
        let mut buf = vec![0u8; 4 * 4 * 4];
        // Left column 0, the rest 100 in red: the first 2x2 cell averages 50.
        for y in 0..4 {
            for x in 1..4 {
                buf[(y * 4 + x) * 4] = 100;
            }
        }
        let mut img = RgbaMut::new(4, 4, &mut buf).unwrap();
        img.pixelate(Rect { x: 0, y: 0, w: 4, h: 4 }, 2).unwrap();
        assert_eq!(buf[0], 50);
        assert_eq!(buf[4], 50);
        assert_eq!(buf[(4 + 1) * 4], 50);
        assert_eq!(buf[2 * 4], 100);
    }

    #[test]
    fn pixelate_leaves_outside_the_region_alone_and_clips() {
        let orig = gradient(10, 8);
        let mut buf = orig.clone();
        let mut img = RgbaMut::new(10, 8, &mut buf).unwrap();
        img.pixelate(Rect { x: 6, y: 5, w: 100, h: 100 }, 3).unwrap();
        for y in 0..8usize {
            for x in 0..10usize {
                let i = (y * 10 + x) * 4;
                if x < 6 || y < 5 {
                    assert_eq!(buf[i..i + 4], orig[i..i + 4], "({x},{y}) changed");
                }
            }
        }
        assert_eq!(RgbaMut::new(10, 8, &mut buf).unwrap().pixelate(Rect { x: 0, y: 0, w: 1, h: 1 }, 0), Err(PixelError::ZeroBlock));
    }

    proptest::proptest! {
        #[test]
        fn pixelate_never_panics_and_block_one_is_identity(w in 1u32..40, h in 1u32..40, x in 0u32..60, y in 0u32..60, rw in 0u32..60, rh in 0u32..60, block in 1u32..20) {
            let orig = gradient(w, h);
            let mut buf = orig.clone();
            RgbaMut::new(w, h, &mut buf).unwrap().pixelate(Rect { x, y, w: rw, h: rh }, block).unwrap();
            let mut same = orig.clone();
            RgbaMut::new(w, h, &mut same).unwrap().pixelate(Rect { x, y, w: rw, h: rh }, 1).unwrap();
            proptest::prop_assert_eq!(same, orig);
        }
    }
}
