//! The size a protected asset is shown at, and the grid of square tiles
//! the scrambler permutes.
//!
//! `segmentCount` counts tiles along the *longer* side of the view; the
//! tile edge is the multiple of [`TILE_ALIGN`] nearest to
//! `longer_side / segment_count` (at least 16), so tile edges fall on JPEG's
//! 8x8 and 16x16 block edges and a tile's blocks do not bleed into its
//! neighbours when the scrambled image is compressed. The shorter side gets
//! as many tiles of that edge as it needs. Tiles on the right and bottom
//! edges may hang over the view: the scrambled image is
//! [`Grid::padded_size`], and the overhang is padding.

use serde::{Deserialize, Serialize};

use crate::pixel::Rect;

/// Tile edges are multiples of this many pixels.
pub const TILE_ALIGN: u32 = 16;

/// The longest side a protected view has.
pub const MAX_VIEW_SIDE: u32 = 2048;

/// The size a `width` x `height` original is shown at: scaled down (never
/// up) so that its longer side is at most [`MAX_VIEW_SIDE`], aspect ratio
/// kept, each side rounded to nearest and at least 1.
pub fn view_size(width: u32, height: u32) -> (u32, u32) {
    let longer = width.max(height);
    if longer <= MAX_VIEW_SIDE {
        return (width.max(1), height.max(1));
    }
    let scale = |side: u32| -> u32 {
        let v = (u64::from(side) * u64::from(MAX_VIEW_SIDE) + u64::from(longer) / 2) / u64::from(longer);
        // v <= MAX_VIEW_SIDE, so the conversion cannot fail.
        u32::try_from(v).unwrap_or(MAX_VIEW_SIDE).max(1)
    };
    (scale(width), scale(height))
}

/// A grid of square tiles over a `width` x `height` view (in JSON as the
/// view-ticket API sends it: `{"width","height","tile","cols","rows"}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grid {
    /// The view's width.
    pub width: u32,
    /// The view's height.
    pub height: u32,
    /// The tile edge, a multiple of [`TILE_ALIGN`].
    pub tile: u32,
    /// Tiles across: `ceil(width / tile)`.
    pub cols: u32,
    /// Tiles down: `ceil(height / tile)`.
    pub rows: u32,
}

impl Grid {
    /// The grid for a `width` x `height` view with `segment_count` tiles
    /// along its longer side (`segmentCount` counts tiles along the longer
    /// side): the tile edge is the multiple of 16 nearest to
    /// `longer / segment_count` (halves round up), at least 16. A
    /// `segment_count` of 0 counts as 1.
    pub fn new(width: u32, height: u32, segment_count: u32) -> Grid {
        let longer = u64::from(width.max(height));
        let seg = u64::from(segment_count.max(1));
        let align = u64::from(TILE_ALIGN);
        // round(longer / (seg * 16)) * 16, in integers.
        let multiples = (2 * longer + seg * align) / (2 * seg * align);
        let tile = u32::try_from(multiples * align).unwrap_or(u32::MAX - u32::MAX % TILE_ALIGN).max(TILE_ALIGN);
        Grid { width, height, tile, cols: width.div_ceil(tile), rows: height.div_ceil(tile) }
    }

    /// The number of tiles, `cols * rows`.
    pub fn len(&self) -> usize {
        self.cols as usize * self.rows as usize
    }

    /// Whether the grid has no tile (an empty view).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The scrambled image's size: `(cols * tile, rows * tile)`.
    pub fn padded_size(&self) -> (u32, u32) {
        (self.cols.saturating_mul(self.tile), self.rows.saturating_mul(self.tile))
    }

    /// Tile `index` (row-major) in padded coordinates. An index past
    /// [`Grid::len`] gives a rectangle outside the padded image.
    pub fn tile_rect(&self, index: usize) -> Rect {
        let cols = self.cols.max(1) as usize;
        let coord = |v: usize| u32::try_from(v).unwrap_or(u32::MAX).saturating_mul(self.tile);
        Rect { x: coord(index % cols), y: coord(index / cols), w: self.tile, h: self.tile }
    }

    /// The part of tile `index` inside the view (without padding).
    pub fn visible_rect(&self, index: usize) -> Rect {
        self.tile_rect(index).clamp_to(self.width, self.height)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_size_scales_down_only_and_keeps_aspect() {
        assert_eq!(view_size(800, 600), (800, 600));
        assert_eq!(view_size(2048, 100), (2048, 100));
        assert_eq!(view_size(4096, 3072), (2048, 1536));
        assert_eq!(view_size(3000, 4000), (1536, 2048));
        assert_eq!(view_size(6000, 4000), (2048, 1365));
        assert_eq!(view_size(100_000, 1), (2048, 1));
        assert_eq!(view_size(0, 0), (1, 1));
        assert_eq!(view_size(u32::MAX, u32::MAX), (2048, 2048));
    }

    #[test]
    fn tile_is_nearest_multiple_of_16_along_the_longer_side() {
        let g = Grid::new(2048, 1536, 32);
        assert_eq!((g.tile, g.cols, g.rows), (64, 32, 24));
        assert_eq!(g.padded_size(), (2048, 1536));
        // 1000 / 32 = 31.25 -> 32; height is the longer side here.
        let g = Grid::new(700, 1000, 32);
        assert_eq!((g.tile, g.cols, g.rows), (32, 22, 32));
        assert_eq!(g.padded_size(), (704, 1024));
        // 1000 / 16 = 62.5 -> 64; 1000 / 64 = 15.6 -> 16.
        assert_eq!(Grid::new(1000, 10, 16).tile, 64);
        assert_eq!(Grid::new(1000, 10, 64).tile, 16);
        // Small views get the minimum tile.
        let g = Grid::new(15, 17, 64);
        assert_eq!((g.tile, g.cols, g.rows, g.len()), (16, 1, 2, 2));
        assert_eq!(Grid::new(1, 1, 0).tile, 16);
    }

    #[test]
    fn tiles_are_row_major_and_aligned() {
        for (w, h, s) in [(100, 37, 16), (333, 500, 20), (2048, 1365, 64), (1920, 1080, 33)] {
            let g = Grid::new(w, h, s);
            assert_eq!(g.tile % TILE_ALIGN, 0);
            let (pw, ph) = g.padded_size();
            assert!(pw >= w && ph >= h && pw - w < g.tile && ph - h < g.tile);
            for i in 0..g.len() {
                let r = g.tile_rect(i);
                assert_eq!((r.x % 16, r.y % 16, r.w, r.h), (0, 0, g.tile, g.tile));
                assert!(r.x + r.w <= pw && r.y + r.h <= ph);
                assert!(!g.visible_rect(i).is_empty());
            }
            assert_eq!(g.tile_rect(1), Rect { x: g.tile, y: 0, w: g.tile, h: g.tile });
            assert_eq!(g.tile_rect(g.cols as usize), Rect { x: 0, y: g.tile, w: g.tile, h: g.tile });
        }
        let empty = Grid::new(0, 0, 32);
        assert!(empty.is_empty());
        assert_eq!(empty.tile_rect(5).w, 16);
    }
}
