//! Per-viewer tile scrambling: the Worker sends the view with its tiles
//! permuted (and turned) by a ticket's seed; the browser puts them back.
//!
//! Destination tile `i` of the scrambled image (row-major in the padded
//! grid) holds source tile [`Layout::source`]`(i)` of the view turned
//! [`Layout::rotation`]`(i)` quarter turns clockwise. The source is the view
//! extended to [`Grid::padded_size`] by repeating its last column and last
//! row (edge extension), so the overhanging parts of edge tiles continue the
//! picture instead of showing flat bands that would give away which tiles
//! came from the right and bottom edges.

use super::grid::Grid;
use super::prng::Prng;
use crate::pixel::{PixelError, RgbaImage};

/// Where each scrambled tile comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    sources: Vec<u32>,
    rotations: Vec<u8>,
}

impl Layout {
    /// The layout for `grid` under `seed`: from `Prng::derive(
    /// "edgepix/scramble", seed)`, the identity permutation of the tiles is
    /// shuffled ([`Prng::shuffle`]), then, if `rotation`, one `below(4)` is
    /// drawn per tile in destination order (otherwise every rotation is 0).
    pub fn new(grid: &Grid, seed: &[u8], rotation: bool) -> Layout {
        let n = u32::try_from(grid.len()).unwrap_or(u32::MAX);
        let mut prng = Prng::derive("edgepix/scramble", seed);
        let mut sources: Vec<u32> = (0..n).collect();
        prng.shuffle(&mut sources);
        let rotations = if rotation { sources.iter().map(|_| prng.below(4) as u8).collect() } else { vec![0; sources.len()] };
        Layout { sources, rotations }
    }

    /// The number of tiles.
    pub fn len(&self) -> usize {
        self.sources.len()
    }

    /// Whether the layout has no tile.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// The source tile that destination tile `i` holds.
    pub fn source(&self, i: usize) -> Option<u32> {
        self.sources.get(i).copied()
    }

    /// Quarter turns clockwise (0-3) applied to destination tile `i`.
    pub fn rotation(&self, i: usize) -> Option<u8> {
        self.rotations.get(i).copied()
    }

    /// Every destination tile's source, in destination order.
    pub fn sources(&self) -> &[u32] {
        &self.sources
    }

    /// Every destination tile's rotation, in destination order.
    pub fn rotations(&self) -> &[u8] {
        &self.rotations
    }
}

/// Where, in a `t` x `t` source tile, the pixel at `(dx, dy)` of a tile
/// turned `rot` quarter turns clockwise comes from.
#[inline]
fn unrotate(rot: u8, dx: usize, dy: usize, t: usize) -> (usize, usize) {
    match rot & 3 {
        0 => (dx, dy),
        1 => (dy, t - 1 - dx),
        2 => (t - 1 - dx, t - 1 - dy),
        _ => (t - 1 - dy, dx),
    }
}

/// Scrambles `view` (which should be `grid.width` x `grid.height`) into an
/// image of [`Grid::padded_size`]. Pixels beyond the view's right and
/// bottom edges repeat its last column and row (edge extension). Tiles a
/// layout for another grid does not cover are left transparent black.
pub fn scramble(view: &RgbaImage, grid: &Grid, layout: &Layout) -> RgbaImage {
    let (pw, ph) = grid.padded_size();
    let (vw, vh) = (view.width() as usize, view.height() as usize);
    let mut out = vec![0u8; pw as usize * ph as usize * 4];
    if vw == 0 || vh == 0 {
        return RgbaImage::from_vec(pw, ph, out).unwrap_or_else(|_| RgbaImage::filled(0, 0, [0; 4]));
    }
    let src = view.data();
    let t = grid.tile as usize;
    let (pw, ph) = (pw as usize, ph as usize);
    let cols = grid.cols as usize;
    for (i, (&s, &rot)) in layout.sources.iter().zip(&layout.rotations).enumerate().take(grid.len()) {
        let s = s as usize;
        if s >= grid.len() {
            continue;
        }
        let (dx0, dy0) = ((i % cols) * t, (i / cols) * t);
        let (sx0, sy0) = ((s % cols) * t, (s / cols) * t);
        if dx0 + t > pw || dy0 + t > ph {
            continue;
        }
        for dy in 0..t {
            let row = ((dy0 + dy) * pw + dx0) * 4;
            for (dx, px) in out[row..row + t * 4].chunks_exact_mut(4).enumerate() {
                let (sx, sy) = unrotate(rot, dx, dy, t);
                let x = (sx0 + sx).min(vw - 1);
                let y = (sy0 + sy).min(vh - 1);
                let at = (y * vw + x) * 4;
                px.copy_from_slice(&src[at..at + 4]);
            }
        }
    }
    RgbaImage::from_vec(pw as u32, ph as u32, out).unwrap_or_else(|_| RgbaImage::filled(0, 0, [0; 4]))
}

/// Reassembles the view: `scrambled` is RGBA of [`Grid::padded_size`],
/// `out` is `grid.width` x `grid.height` RGBA and receives the view (the
/// padding is cropped). Runs in the browser for every view, so it copies
/// whole row slices for unturned tiles, runs a tight loop for turned ones,
/// and allocates nothing. A layout made for another grid gives a wrong
/// picture, never a panic (tiles it does not cover are left as they were).
pub fn descramble(scrambled: &[u8], grid: &Grid, layout: &Layout, out: &mut [u8]) -> Result<(), PixelError> {
    let (pw, ph) = grid.padded_size();
    check_len(scrambled, pw, ph)?;
    check_len(out, grid.width, grid.height)?;
    let (w, h) = (grid.width as usize, grid.height as usize);
    let t = grid.tile as usize;
    let pw = pw as usize;
    let cols = grid.cols as usize;
    let n = grid.len();
    let ps = pw * 4;
    let os = w * 4;
    for (i, (&s, &rot)) in layout.sources.iter().zip(&layout.rotations).enumerate().take(n) {
        let s = s as usize;
        if s >= n {
            continue;
        }
        // Destination tile i in the scrambled image, source tile s in the view.
        let (dx0, dy0) = ((i % cols) * t, (i / cols) * t);
        let (ox, oy) = ((s % cols) * t, (s / cols) * t);
        let vis_w = t.min(w.saturating_sub(ox));
        let vis_h = t.min(h.saturating_sub(oy));
        if vis_w == 0 || vis_h == 0 {
            continue;
        }
        place_tile(&scrambled[dy0 * ps + dx0 * 4..], ps, t, rot, &mut out[oy * os + ox * 4..], os, vis_w, vis_h);
    }
    Ok(())
}

/// Puts one `t` x `t` tile back for [`descramble`]: `src` starts at the
/// tile in the scrambled image (rows `ps` bytes apart), `dst` at its place
/// in the view (rows `os` bytes apart), of which `vis_w` x `vis_h` pixels
/// are visible; `rot` is the tile's turn.
///
/// Kept out of line: wasm engines run a function in their baseline tier
/// until it has run a while and its optimised code is ready, and use that
/// code from its next call on; called once a tile, this runs optimised
/// from early in the first frame.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn place_tile(src: &[u8], ps: usize, t: usize, rot: u8, dst: &mut [u8], os: usize, vis_w: usize, vis_h: usize) {
    match rot & 3 {
        0 => {
            for sy in 0..vis_h {
                let (from, to) = (sy * ps, sy * os);
                dst[to..to + vis_w * 4].copy_from_slice(&src[from..from + vis_w * 4]);
            }
        }
        2 => {
            // Source row sy is destination row t-1-sy, read right to left.
            for sy in 0..vis_h {
                let from = (t - 1 - sy) * ps;
                let src_row = &src[from..from + t * 4];
                let dst_row = &mut dst[sy * os..sy * os + vis_w * 4];
                for (px, sp) in dst_row.chunks_exact_mut(4).zip(src_row.chunks_exact(4).rev()) {
                    px.copy_from_slice(sp);
                }
            }
        }
        rot => {
            // One turn: source (sx, sy) sits at destination (t-1-sy, sx);
            // three turns: at (sy, t-1-sx). Source row sy is a column.
            let (bw, bh) = turn_blocks(src, ps, t, rot, dst, os, vis_w, vis_h);
            // What the 4 x 4 blocks left: the last columns of their rows,
            // then the last rows.
            if bw == vis_w && bh == vis_h {
                return;
            }
            for sy in 0..vis_h {
                let skip = if sy < bh { bw } else { 0 };
                let dst_row = &mut dst[sy * os + skip * 4..sy * os + vis_w * 4];
                if rot == 1 {
                    let mut from = (t - 1 - sy) * 4 + skip * ps;
                    for px in dst_row.chunks_exact_mut(4) {
                        px.copy_from_slice(&src[from..from + 4]);
                        from += ps;
                    }
                } else {
                    let mut from = (t - 1 - skip) * ps + sy * 4;
                    for px in dst_row.chunks_exact_mut(4) {
                        px.copy_from_slice(&src[from..from + 4]);
                        from = from.wrapping_sub(ps);
                    }
                }
            }
        }
    }
}

/// The turned tile of [`place_tile`] (`rot` 1 or 3) in whole 4 x 4 blocks
/// of the destination, each four source rows of four pixels transposed in
/// SIMD registers; returns the width and height it covered (multiples of
/// 4, the caller does the rest). Covers nothing off wasm.
#[allow(clippy::too_many_arguments)]
fn turn_blocks(src: &[u8], ps: usize, t: usize, rot: u8, dst: &mut [u8], os: usize, vis_w: usize, vis_h: usize) -> (usize, usize) {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        use core::arch::wasm32::{i32x4_shuffle, v128};
        let load = |at: usize| src.get(at..at + 16).map_or([0u8; 16], |b| <[u8; 16]>::try_from(b).unwrap_or_default());
        let (bw, bh) = (vis_w / 4 * 4, vis_h / 4 * 4);
        for dy in (0..bh).step_by(4) {
            for dx in (0..bw).step_by(4) {
                // Source rows j = 0..4 and their first pixel: destination
                // pixel (dx+j, dy+i) is, for one turn, lane 3-i of source
                // row dx+j read from column t-4-dy; for three turns, lane i
                // of source row t-1-dx-j read from column dy.
                let at = |j: usize| if rot == 1 { (dx + j) * ps + (t - 4 - dy) * 4 } else { (t - 1 - dx - j) * ps + dy * 4 };
                let [a, b, c, d] = [0, 1, 2, 3].map(|j| bytemuck::cast::<[u8; 16], v128>(load(at(j))));
                let (ab_lo, ab_hi) = (i32x4_shuffle::<0, 4, 1, 5>(a, b), i32x4_shuffle::<2, 6, 3, 7>(a, b));
                let (cd_lo, cd_hi) = (i32x4_shuffle::<0, 4, 1, 5>(c, d), i32x4_shuffle::<2, 6, 3, 7>(c, d));
                // Lane i of every source row, for i = 0..4.
                let lanes = [
                    i32x4_shuffle::<0, 1, 4, 5>(ab_lo, cd_lo),
                    i32x4_shuffle::<2, 3, 6, 7>(ab_lo, cd_lo),
                    i32x4_shuffle::<0, 1, 4, 5>(ab_hi, cd_hi),
                    i32x4_shuffle::<2, 3, 6, 7>(ab_hi, cd_hi),
                ];
                for i in 0..4 {
                    let lane = if rot == 1 { lanes[3 - i] } else { lanes[i] };
                    let to = (dy + i) * os + dx * 4;
                    if let Some(out) = dst.get_mut(to..to + 16) {
                        out.copy_from_slice(&bytemuck::cast::<v128, [u8; 16]>(lane));
                    }
                }
            }
        }
        (bw, bh)
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        let _ = (src, ps, t, rot, dst, os, vis_w, vis_h);
        (0, 0)
    }
}

fn check_len(buf: &[u8], width: u32, height: u32) -> Result<(), PixelError> {
    let expected = width as usize * height as usize * 4;
    if buf.len() != expected {
        return Err(PixelError::BufferSize { width, height, expected, actual: buf.len() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protect::grid::TILE_ALIGN;
    use crate::protect::ssim::ssim;

    /// A picture with distinct pixels everywhere (so any misplacement shows).
    fn distinct(w: u32, h: u32) -> RgbaImage {
        let data = (0..w * h).flat_map(|i| [(i % 251) as u8, (i / 251 % 256) as u8, (i * 7 % 253) as u8, (i % 5) as u8 * 50]).collect();
        RgbaImage::from_vec(w, h, data).unwrap()
    }

    /// A synthetic "photo": soft blobs on a gradient with a fine texture
    /// (like foliage or fabric). SSIM hardly notices swapped tiles of a
    /// picture with no texture at all (its luminance term is lenient:
    /// about 0.5 for the blobs alone), so the texture matters.
    fn photo_like(w: u32, h: u32) -> RgbaImage {
        let blobs = [(0.3, 0.3, 0.15, [200.0, 60.0, 40.0]), (0.7, 0.4, 0.2, [30.0, 160.0, 220.0]), (0.5, 0.8, 0.25, [240.0, 230.0, 80.0])];
        let mut data = Vec::with_capacity(w as usize * h as usize * 4);
        for y in 0..h {
            for x in 0..w {
                let (u, v) = (f64::from(x) / f64::from(w), f64::from(y) / f64::from(h));
                let mut c = [40.0 + 100.0 * u, 50.0 + 80.0 * v, 90.0, 255.0];
                for (bx, by, r, col) in blobs {
                    let d2 = ((u - bx) * (u - bx) + (v - by) * (v - by)) / (r * r);
                    let a = (-d2).exp();
                    for k in 0..3 {
                        c[k] = c[k] * (1.0 - a) + col[k] * a;
                    }
                }
                let (fx, fy) = (f64::from(x), f64::from(y));
                let texture = 25.0 * (fx * 0.9 + (fy * 0.3).sin() * 3.0).sin() * (fy * 0.7 + fx * 0.2).cos();
                for v in &mut c[..3] {
                    *v += texture;
                }
                data.extend(c.map(|v: f64| v.round().clamp(0.0, 255.0) as u8));
            }
        }
        RgbaImage::from_vec(w, h, data).unwrap()
    }

    #[test]
    fn descramble_inverts_scramble_exactly() {
        for (w, h) in [(1, 1), (15, 17), (16, 16), (17, 16), (100, 37), (333, 500), (64, 1), (1, 300), (640, 480), (1024, 1024)] {
            for seg in [16, 33, 64] {
                for rotation in [false, true] {
                    let view = distinct(w, h);
                    let grid = Grid::new(w, h, seg);
                    let layout = Layout::new(&grid, format!("seed {w} {h} {seg}").as_bytes(), rotation);
                    assert_eq!(layout.len(), grid.len());
                    let s = scramble(&view, &grid, &layout);
                    assert_eq!((s.width(), s.height()), grid.padded_size());
                    assert_eq!(s.width() % TILE_ALIGN, 0);
                    assert_eq!(s.height() % TILE_ALIGN, 0);
                    let mut out = vec![0u8; view.data().len()];
                    descramble(s.data(), &grid, &layout, &mut out).unwrap();
                    assert!(out == view.data(), "{w}x{h} seg {seg} rotation {rotation}");
                }
            }
        }
    }

    #[test]
    fn layouts_are_permutations_and_depend_on_the_seed() {
        let grid = Grid::new(1000, 700, 32);
        let a = Layout::new(&grid, b"viewer one", true);
        let b = Layout::new(&grid, b"viewer two", true);
        assert_ne!(a, b);
        assert_eq!(a, Layout::new(&grid, b"viewer one", true));
        let mut sorted = a.sources().to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..grid.len() as u32).collect::<Vec<_>>());
        assert!(a.rotations().iter().all(|&r| r < 4));
        // All four turns occur, and the permutation is the same without them.
        assert!((0..4).all(|r| a.rotations().contains(&r)));
        let plain = Layout::new(&grid, b"viewer one", false);
        assert_eq!(plain.sources(), a.sources());
        assert!(plain.rotations().iter().all(|&r| r == 0));
        assert_eq!(a.source(grid.len()), None);
        assert_eq!(a.rotation(0), a.rotations().first().copied());
    }

    #[test]
    fn rotation_turns_tiles_clockwise() {
        // One 16x16 tile (a 16x16 view) with a marked top-left pixel.
        let grid = Grid::new(16, 16, 16);
        let mut view = RgbaImage::filled(16, 16, [0, 0, 0, 255]);
        view.data_mut()[..4].copy_from_slice(&[255, 0, 0, 255]);
        for (rot, (x, y)) in [(0u8, (0usize, 0usize)), (1, (15, 0)), (2, (15, 15)), (3, (0, 15))] {
            let layout = Layout { sources: vec![0], rotations: vec![rot] };
            let s = scramble(&view, &grid, &layout);
            let at = (y * 16 + x) * 4;
            assert_eq!(s.data()[at], 255, "rotation {rot}");
        }
    }

    #[test]
    fn padding_repeats_the_last_row_and_column() {
        let view = distinct(20, 10);
        let grid = Grid::new(20, 10, 64);
        let identity = Layout { sources: (0..grid.len() as u32).collect(), rotations: vec![0; grid.len()] };
        let s = scramble(&view, &grid, &identity);
        let (pw, _) = grid.padded_size();
        let px = |img: &[u8], stride: usize, x: usize, y: usize| img[(y * stride + x) * 4..(y * stride + x) * 4 + 4].to_vec();
        assert_eq!(px(s.data(), pw as usize, 25, 3), px(view.data(), 20, 19, 3));
        assert_eq!(px(s.data(), pw as usize, 5, 14), px(view.data(), 20, 5, 9));
        assert_eq!(px(s.data(), pw as usize, 31, 15), px(view.data(), 20, 19, 9));
    }

    #[test]
    fn scrambling_hides_the_picture() {
        let (w, h) = (512, 384);
        let view = photo_like(w, h);
        let grid = Grid::new(w, h, 32);
        let layout = Layout::new(&grid, b"ticket", true);
        let s = scramble(&view, &grid, &layout);
        let cropped = crate::transform::resample::extract(&s, crate::pixel::Rect { x: 0, y: 0, w, h });
        let v = ssim(cropped.data(), view.data(), w, h).unwrap();
        assert!(v < 0.3, "SSIM of scrambled vs original {v}");
    }

    #[test]
    fn rejects_wrong_sizes_and_survives_foreign_layouts() {
        let grid = Grid::new(40, 30, 16);
        let layout = Layout::new(&grid, b"k", true);
        let mut out = vec![0u8; 40 * 30 * 4];
        assert!(matches!(descramble(&[0u8; 10], &grid, &layout, &mut out), Err(PixelError::BufferSize { .. })));
        let (pw, ph) = grid.padded_size();
        let scr = vec![7u8; pw as usize * ph as usize * 4];
        assert!(descramble(&scr, &grid, &layout, &mut out[..8]).is_err());
        // A layout for a bigger grid: no panic.
        let big = Layout::new(&Grid::new(400, 300, 16), b"k", true);
        descramble(&scr, &grid, &big, &mut out).unwrap();
        let _ = scramble(&RgbaImage::filled(40, 30, [1, 2, 3, 4]), &grid, &big);
        // Empty views.
        let g0 = Grid::new(0, 0, 16);
        let l0 = Layout::new(&g0, b"k", true);
        assert!(l0.is_empty());
        descramble(&[], &g0, &l0, &mut []).unwrap();
        assert_eq!(scramble(&RgbaImage::filled(0, 0, [0; 4]), &g0, &l0).width(), 0);
        // A view smaller than the grid says: edge-extended, no panic.
        let _ = scramble(&RgbaImage::filled(3, 2, [9; 4]), &grid, &layout);
    }
}
