//! Animation frames made from the still sprite: idle, walk and jump.
//!
//! Each frame is a [`Pose`] of the (un-outlined) sprite: resized by nearest
//! neighbour, the bottom third of its rows (the legs) sheared sideways,
//! lifted off the ground. All frames of all animations share one size, big
//! enough for every pose with a 1 px margin, the sprite centred and its
//! bottom row on a common baseline (the frame's bottom row is its outline)
//! unless lifted. Each frame is then outlined, so every frame's outline is closed
//! and no frame has a colour beyond the palette and the outline.

use super::outline::outline_in_place;
use crate::pixel::RgbaImage;

/// One animation: its name and its frames in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Animation {
    /// `idle`, `walk` or `jump`.
    pub name: &'static str,
    /// The frames, all of one size.
    pub frames: Vec<RgbaImage>,
}

/// How one frame deforms the sprite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pose {
    /// Width after resizing.
    pub w: u32,
    /// Height after resizing.
    pub h: u32,
    /// Sideways shift of the bottom row in pixels (positive: right); the
    /// rows of the bottom third shift in proportion, the rest not at all.
    pub shear: i32,
    /// Rows between the sprite's bottom and the baseline.
    pub lift: u32,
}

/// `v * num / den`, rounded, at least 1.
fn scale(v: u32, num: u32, den: u32) -> u32 {
    ((u64::from(v) * u64::from(num) * 2 + u64::from(den)) / (2 * u64::from(den))).max(1) as u32
}

/// The poses of each animation for a `w` x `h` sprite.
pub fn poses(w: u32, h: u32) -> Vec<(&'static str, Vec<Pose>)> {
    let pose = |pw: u32, ph: u32, shear: i32, lift: u32| Pose { w: pw.max(1), h: ph.max(1), shear, lift };
    // Deformations grow with the sprite: 1 px at 16-47 px, 2 px at 48+.
    let d = (h / 24).clamp(1, 2);
    let di = d as i32;
    let idle = vec![pose(w, h, 0, 0), pose(w, h.saturating_sub(1), 0, 0), pose(w, h.saturating_sub(d), 0, 0), pose(w, h.saturating_sub(1), 0, 0)];
    // Contact (legs apart), down (squashed), passing (stretched), twice,
    // the legs swinging the other way the second time.
    let half = (di + 1) / 2;
    let walk = [(di, h), (half, h.saturating_sub(1)), (0, h + 1), (-di, h), (-half, h.saturating_sub(1)), (0, h + 1)];
    let walk = walk.iter().map(|&(s, ph)| pose(w, ph, s, 0)).collect();
    let jump = vec![
        // Crouch: squashed and wider.
        pose(scale(w, 9, 8), scale(h, 4, 5), 0, 0),
        // Take-off: stretched, thinner, leaving the ground.
        pose(scale(w, 9, 10), scale(h, 11, 10), 0, h / 8),
        // Airborne: at the top.
        pose(w, h, 0, h / 4),
        // Landing: squashed.
        pose(scale(w, 17, 16), scale(h, 7, 8), 0, 0),
    ];
    vec![("idle", idle), ("walk", walk), ("jump", jump)]
}

/// `img` resized to `w` x `h` by nearest neighbour (pixel centres).
pub fn resize_nearest(img: &RgbaImage, w: u32, h: u32) -> RgbaImage {
    let (sw, sh) = (u64::from(img.width()), u64::from(img.height()));
    let mut data = Vec::with_capacity(w as usize * h as usize * 4);
    for y in 0..u64::from(h) {
        let sy = ((2 * y + 1) * sh / (2 * u64::from(h))).min(sh.saturating_sub(1));
        for x in 0..u64::from(w) {
            let sx = ((2 * x + 1) * sw / (2 * u64::from(w))).min(sw.saturating_sub(1));
            let i = ((sy * sw + sx) * 4) as usize;
            data.extend_from_slice(img.data().get(i..i + 4).unwrap_or(&[0; 4]));
        }
    }
    RgbaImage::from_vec(w, h, data).unwrap_or_else(|_| RgbaImage::filled(w, h, [0; 4]))
}

/// The sideways shift of row `r` of `h` for a bottom-row shear of `shear`.
fn row_shift(r: u32, h: u32, shear: i32) -> i64 {
    let start = h - h / 3;
    if r < start || shear == 0 {
        return 0;
    }
    let (num, den) = (i64::from(shear) * i64::from(r - start + 1), i64::from(h - start));
    (2 * num + den).div_euclid(2 * den)
}

/// The frame size every pose fits in with a 1 px margin.
fn frame_size(poses: &[Pose]) -> (u32, u32) {
    let w = poses.iter().map(|p| p.w + 2 * p.shear.unsigned_abs()).max().unwrap_or(1) + 2;
    let h = poses.iter().map(|p| p.h + p.lift).max().unwrap_or(1) + 2;
    (w, h)
}

/// Draws `sprite` in `pose` on a transparent `fw` x `fh` frame and
/// outlines it with `outline`.
pub fn render(sprite: &RgbaImage, pose: Pose, fw: u32, fh: u32, outline: [u8; 3]) -> RgbaImage {
    let body = resize_nearest(sprite, pose.w, pose.h);
    let mut frame = RgbaImage::filled(fw, fh, [0; 4]);
    let x0 = i64::from(fw.saturating_sub(pose.w) / 2);
    let y0 = i64::from(fh) - 1 - i64::from(pose.lift) - i64::from(pose.h);
    let (bw, fw, fh) = (pose.w as usize, i64::from(fw), i64::from(fh));
    let out = frame.data_mut();
    for r in 0..pose.h {
        let y = y0 + i64::from(r);
        let dx = x0 + row_shift(r, pose.h, pose.shear);
        for c in 0..bw {
            let x = dx + c as i64;
            let s = (r as usize * bw + c) * 4;
            let p = &body.data()[s..s + 4];
            if p[3] != 0 && (0..fw).contains(&x) && (0..fh).contains(&y) {
                let o = ((y * fw + x) * 4) as usize;
                out[o..o + 4].copy_from_slice(p);
            }
        }
    }
    outline_in_place(&mut frame, outline);
    frame
}

/// The idle (4 frames), walk (6) and jump (4) animations of `sprite` (crisp,
/// not outlined), outlined in `outline`, all frames of one size.
pub fn animate(sprite: &RgbaImage, outline: [u8; 3]) -> Vec<Animation> {
    let all = poses(sprite.width(), sprite.height());
    let flat: Vec<Pose> = all.iter().flat_map(|(_, p)| p.iter().copied()).collect();
    let (fw, fh) = frame_size(&flat);
    all.into_iter().map(|(name, poses)| Animation { name, frames: poses.into_iter().map(|p| render(sprite, p, fw, fh, outline)).collect() }).collect()
}

#[cfg(test)]
mod tests {
    use super::super::downscale::trim;
    use super::super::outline::{outline_colour, tests::closed};
    use super::super::quantize::quantize;
    use super::super::tests::{distinct_opaque, pet};
    use super::*;

    /// The lowest row with an opaque pixel.
    fn bottom(img: &RgbaImage) -> Option<u32> {
        (0..img.height()).rev().find(|&y| img.data()[(y * img.width() * 4) as usize..((y + 1) * img.width() * 4) as usize].chunks_exact(4).any(|p| p[3] != 0))
    }

    #[test]
    fn counts_sizes_baseline_and_crispness() {
        let q = quantize(&trim(&pet(30, 48)), 12, false);
        let c = outline_colour(&q.palette);
        let anims = animate(&q.image, c);
        let names: Vec<(&str, usize)> = anims.iter().map(|a| (a.name, a.frames.len())).collect();
        assert_eq!(names, vec![("idle", 4), ("walk", 6), ("jump", 4)]);
        let (fw, fh) = (anims[0].frames[0].width(), anims[0].frames[0].height());
        assert!(fw >= q.image.width() + 2 && fh >= q.image.height() + 2);
        for a in &anims {
            for (i, f) in a.frames.iter().enumerate() {
                assert_eq!((f.width(), f.height()), (fw, fh), "{} {i}", a.name);
                assert!(f.data().chunks_exact(4).all(|p| p[3] == 0 || p[3] == 255));
                assert!(closed(f, c), "{} {i}", a.name);
                let colours = distinct_opaque(f);
                assert!(colours.iter().all(|x| *x == c || q.palette.contains(x)), "{} {i}", a.name);
                // Feet (their outline) on the frame's bottom row, except in
                // the air. (`closed` also shows that no sprite pixel lies on
                // the frame's edge, so nothing was clipped.)
                let grounded = !(a.name == "jump" && (i == 1 || i == 2));
                assert_eq!(bottom(f) == Some(fh - 1), grounded, "{} {i}", a.name);
            }
        }
        // The poses differ from one another.
        assert_ne!(anims[0].frames[0], anims[0].frames[2]);
        assert_ne!(anims[1].frames[0], anims[1].frames[3]);
        assert_ne!(anims[2].frames[0], anims[2].frames[2]);
    }

    #[test]
    fn walk_shears_only_the_legs() {
        let ps = poses(30, 48);
        let walk = &ps[1].1;
        let shears: Vec<i32> = walk.iter().map(|p| p.shear).collect();
        assert_eq!(shears, vec![2, 1, 0, -2, -1, 0]);
        assert_eq!(row_shift(0, 48, 2), 0);
        assert_eq!(row_shift(31, 48, 2), 0);
        assert_eq!(row_shift(47, 48, 2), 2);
        assert_eq!(row_shift(47, 48, -2), -2);
        let small: Vec<i32> = poses(20, 20)[1].1.iter().map(|p| p.shear).collect();
        assert_eq!(small, vec![1, 1, 0, -1, -1, 0]);
    }

    #[test]
    fn nearest_neighbour_resizing() {
        let img = RgbaImage::from_vec(2, 1, vec![1, 1, 1, 255, 2, 2, 2, 255]).unwrap();
        assert_eq!(resize_nearest(&img, 4, 1).data(), &[1, 1, 1, 255, 1, 1, 1, 255, 2, 2, 2, 255, 2, 2, 2, 255]);
        assert_eq!(resize_nearest(&img, 1, 2).data(), &[2, 2, 2, 255, 2, 2, 2, 255]);
        assert_eq!(resize_nearest(&img, 2, 1), img);
    }

    #[test]
    fn tiny_sprites_still_animate() {
        let sprite = RgbaImage::filled(1, 1, [5, 5, 5, 255]);
        let anims = animate(&sprite, [0, 0, 0]);
        assert!(anims.iter().all(|a| a.frames.iter().all(|f| closed(f, [0, 0, 0]))));
    }
}
