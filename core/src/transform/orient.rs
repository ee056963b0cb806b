//! The eight orientations of an image (EXIF tags 1-8, `rotate`, `flip`).
//!
//! An orientation maps each output pixel to the input pixel it shows:
//! optionally swap the axes (transpose), then mirror x and/or y. Every
//! combination of EXIF orientation, rotation and flip is one of these eight,
//! so the pipeline composes them first and moves pixels once, after
//! resizing, on the small image.

use crate::codec::Plane;
use crate::pixel::{Rect, RgbaImage};

/// One of the eight axis-aligned orientations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Orientation {
    swap: bool,
    flip_x: bool,
    flip_y: bool,
}

impl Orientation {
    /// Leaves the image as it is.
    pub const IDENTITY: Orientation = Orientation { swap: false, flip_x: false, flip_y: false };

    const ALL: [Orientation; 8] = {
        let mut all = [Orientation::IDENTITY; 8];
        let mut i = 0;
        while i < 8 {
            all[i] = Orientation { swap: i & 4 != 0, flip_x: i & 2 != 0, flip_y: i & 1 != 0 };
            i += 1;
        }
        all
    };

    /// What displays an image stored with EXIF orientation `tag` (1-8;
    /// anything else is 1).
    pub fn from_exif(tag: u8) -> Orientation {
        let (swap, flip_x, flip_y) = match tag {
            2 => (false, true, false),
            3 => (false, true, true),
            4 => (false, false, true),
            5 => (true, false, false),
            6 => (true, false, true),
            7 => (true, true, true),
            8 => (true, true, false),
            _ => (false, false, false),
        };
        Orientation { swap, flip_x, flip_y }
    }

    /// A clockwise rotation by `quarter_turns` x 90 degrees.
    pub fn rotate_cw(quarter_turns: u8) -> Orientation {
        match quarter_turns % 4 {
            1 => Orientation::from_exif(6),
            2 => Orientation::from_exif(3),
            3 => Orientation::from_exif(8),
            _ => Orientation::IDENTITY,
        }
    }

    /// A mirror: `horizontal` swaps left and right, `vertical` top and bottom.
    pub fn flip(horizontal: bool, vertical: bool) -> Orientation {
        Orientation { swap: false, flip_x: horizontal, flip_y: vertical }
    }

    /// Whether width and height trade places.
    pub fn swaps_axes(self) -> bool {
        self.swap
    }

    /// The output size for an input of `w` x `h`.
    pub fn output_size(self, w: u32, h: u32) -> (u32, u32) {
        if self.swap { (h, w) } else { (w, h) }
    }

    /// The input pixel shown at output pixel (`x`, `y`), for an input of
    /// `w` x `h`.
    fn source_of(self, x: u32, y: u32, w: u32, h: u32) -> (u32, u32) {
        let (a, b) = if self.swap { (y, x) } else { (x, y) };
        (if self.flip_x { w - 1 - a } else { a }, if self.flip_y { h - 1 - b } else { b })
    }

    /// `self` first, then `next`.
    pub fn then(self, next: Orientation) -> Orientation {
        let (w, h) = (3, 2);
        let (mw, mh) = self.output_size(w, h);
        let (ow, oh) = next.output_size(mw, mh);
        let composed = |x, y| {
            let (mx, my) = next.source_of(x, y, mw, mh);
            self.source_of(mx, my, w, h)
        };
        Orientation::ALL
            .into_iter()
            .find(|c| c.output_size(w, h) == (ow, oh) && (0..oh).all(|y| (0..ow).all(|x| c.source_of(x, y, w, h) == composed(x, y))))
            .unwrap_or(Orientation::IDENTITY)
    }

    /// The input rectangle that `r` (in output coordinates) shows, for an
    /// input of `w` x `h`. `r` must be inside the output and not empty.
    pub fn rect_to_source(self, r: Rect, w: u32, h: u32) -> Rect {
        let (x0, y0) = self.source_of(r.x, r.y, w, h);
        let (x1, y1) = self.source_of(r.x + r.w.max(1) - 1, r.y + r.h.max(1) - 1, w, h);
        Rect { x: x0.min(x1), y: y0.min(y1), w: x0.abs_diff(x1) + 1, h: y0.abs_diff(y1) + 1 }
    }

    /// Whether the stored x and y axes run backwards in the output (before
    /// any swap): a grid anchored at the stored image's left or top edge
    /// lands on the output's far edge.
    pub fn reverses(self) -> (bool, bool) {
        (self.flip_x, self.flip_y)
    }

    /// Moves the pixels of `img`.
    pub fn apply(self, img: RgbaImage) -> RgbaImage {
        if self == Orientation::IDENTITY {
            return img;
        }
        let (w, h) = (img.width(), img.height());
        let (ow, oh) = self.output_size(w, h);
        let out = self.moved(img.data(), w, h, 4);
        RgbaImage::from_vec(ow, oh, out).unwrap_or(img)
    }

    /// Moves the samples of a plane (one channel).
    pub fn apply_plane(self, plane: Plane) -> Plane {
        if self == Orientation::IDENTITY {
            return plane;
        }
        let (w, h) = (plane.width(), plane.height());
        let (ow, oh) = self.output_size(w, h);
        let out = self.moved(plane.data(), w, h, 1);
        Plane::new(ow, oh, out).unwrap_or(plane)
    }

    /// The pixels of `src` (`w` x `h`, `bytes` each) in output order.
    fn moved(self, src: &[u8], w: u32, h: u32, bytes: usize) -> Vec<u8> {
        let (ow, oh) = self.output_size(w, h);
        let mut out = Vec::with_capacity(src.len());
        for y in 0..oh {
            for x in 0..ow {
                let (sx, sy) = self.source_of(x, y, w, h);
                let i = (sy as usize * w as usize + sx as usize) * bytes;
                out.extend_from_slice(&src[i..i + bytes]);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3x2 image whose red channel numbers the pixels 0..6.
    fn numbered() -> RgbaImage {
        RgbaImage::from_vec(3, 2, (0..6).flat_map(|i| [i, 0, 0, 255]).collect()).unwrap()
    }

    fn reds(img: &RgbaImage) -> Vec<u8> {
        img.data().chunks(4).map(|p| p[0]).collect()
    }

    #[test]
    fn exif_orientations_display_as_specified() {
        // Stored:  0 1 2
        //          3 4 5
        let cases: [(u8, (u32, u32), [u8; 6]); 8] = [
            (1, (3, 2), [0, 1, 2, 3, 4, 5]),
            (2, (3, 2), [2, 1, 0, 5, 4, 3]),
            (3, (3, 2), [5, 4, 3, 2, 1, 0]),
            (4, (3, 2), [3, 4, 5, 0, 1, 2]),
            (5, (2, 3), [0, 3, 1, 4, 2, 5]),
            (6, (2, 3), [3, 0, 4, 1, 5, 2]),
            (7, (2, 3), [5, 2, 4, 1, 3, 0]),
            (8, (2, 3), [2, 5, 1, 4, 0, 3]),
        ];
        for (tag, size, want) in cases {
            let out = Orientation::from_exif(tag).apply(numbered());
            assert_eq!((out.width(), out.height()), size, "tag {tag}");
            assert_eq!(reds(&out), want, "tag {tag}");
        }
    }

    #[test]
    fn planes_move_as_pixels_do() {
        for o in Orientation::ALL {
            let plane = o.apply_plane(Plane::new(3, 2, (0..6).collect()).unwrap());
            let img = o.apply(numbered());
            assert_eq!((plane.width(), plane.height()), (img.width(), img.height()), "{o:?}");
            assert_eq!(plane.data(), &reds(&img)[..], "{o:?}");
        }
    }

    #[test]
    fn composition_matches_applying_in_turn() {
        for a in Orientation::ALL {
            for b in Orientation::ALL {
                assert_eq!(a.then(b).apply(numbered()), b.apply(a.apply(numbered())), "{a:?} then {b:?}");
            }
        }
        assert_eq!(Orientation::rotate_cw(1).then(Orientation::rotate_cw(3)), Orientation::IDENTITY);
        assert_eq!(Orientation::flip(true, true), Orientation::rotate_cw(2));
    }

    #[test]
    fn rectangles_map_back_to_the_pixels_they_show() {
        let img = numbered();
        for o in Orientation::ALL {
            let shown = o.apply(img.clone());
            // The output's top-left 1x2 column, wherever it came from.
            let r = Rect { x: 0, y: 0, w: 1, h: 2 };
            let src = o.rect_to_source(r, 3, 2);
            let mut from_src: Vec<u8> = Vec::new();
            for y in src.y..src.y + src.h {
                for x in src.x..src.x + src.w {
                    from_src.push(img.data()[((y * 3 + x) * 4) as usize]);
                }
            }
            let mut got = vec![reds(&shown)[0], reds(&shown)[shown.width() as usize]];
            got.sort();
            from_src.sort();
            assert_eq!(got, from_src, "{o:?}");
        }
    }
}
