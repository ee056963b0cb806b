//! Output geometry of each fit mode.
//!
//! [`plan`] turns source dimensions and [`Options`] into a [`Geometry`]: what
//! to cut from the stored pixels, what size to resample that to, how to
//! orient the result and where to place it on the output canvas. It follows
//! Cloudflare's order and documented semantics:
//!
//! 1. The source is made upright (its EXIF orientation, [`plan_oriented`]).
//! 2. `trim` cuts its sides, in upright source pixels multiplied by `dpr`
//!    (Cloudflare: "performed before resizing or rotation", "takes dpr into
//!    account").
//! 3. `flip` then `rotate` turn it; `width` and `height` refer to the axes
//!    after rotation.
//! 4. `width` and `height`, each multiplied by `dpr`, are fitted:
//!    - only one given: the other follows the aspect ratio, for every mode;
//!      `scale-down`, `crop` and `aspect-crop` never enlarge (a larger
//!      request keeps the source size);
//!    - `scale-down`: the largest size inside the box, never enlarged;
//!    - `contain`: the largest size inside the box, enlarged if needed;
//!    - `cover`: the source's largest window of the box's aspect ratio,
//!      placed by gravity, scaled to exactly the box;
//!    - `crop`: `cover` when the source is larger than the box on both
//!      axes; otherwise no scaling, and each axis cut to the box where the
//!      source is longer;
//!    - `aspect-crop`: `cover` when the source is larger on both axes;
//!      otherwise the window of the box's aspect ratio, unscaled;
//!    - `pad`: `contain`, centred on a canvas of exactly the box;
//!    - `squeeze`: exactly the box, aspect ignored.
//!
//! Rounding: every derived length is rounded to the nearest pixel, halves
//! up, and is at least 1. Crop windows are placed around the gravity's
//! focal point (the centre for `auto` and `face`: edgepix does no saliency
//! or face detection), rounded to the nearest pixel and clamped inside the
//! source; `pad` centres, rounding the offset down.
//!
//! The output canvas and the resampled size are capped at
//! [`MAX_OUTPUT_SIDE`] pixels a side.

use thiserror::Error;

use super::options::{Fit, Gravity, Options};
use super::orient::Orientation;
use crate::pixel::Rect;

/// The longest side an output (or a resampled image) may have.
pub const MAX_OUTPUT_SIDE: u32 = 12_000;

/// Why no geometry could be planned.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GeometryError {
    /// The source has a side of zero.
    #[error("the source image is {width}x{height}: it has no pixels")]
    EmptySource {
        /// Source width.
        width: u32,
        /// Source height.
        height: u32,
    },
    /// `trim` (times `dpr`) leaves no pixel.
    #[error("option `trim` cuts {top};{right};{bottom};{left} px (after dpr) from a {width}x{height} image, leaving nothing")]
    TrimTooLarge {
        /// Upright source width.
        width: u32,
        /// Upright source height.
        height: u32,
        /// Pixels cut from the top.
        top: u32,
        /// Pixels cut from the right.
        right: u32,
        /// Pixels cut from the bottom.
        bottom: u32,
        /// Pixels cut from the left.
        left: u32,
    },
    /// The output would have a side longer than [`MAX_OUTPUT_SIDE`].
    #[error("the output would be {width}x{height}, a side over the limit of {max} px: ask for a smaller width, height or dpr")]
    TooLarge {
        /// Output width.
        width: u32,
        /// Output height.
        height: u32,
        /// The limit.
        max: u32,
    },
}

/// How to produce the output from the stored source pixels, in order:
/// cut `crop`, resample to `resize_to`, apply `orientation`, place at
/// `offset` on a `canvas` (filled with the background where the image does
/// not cover it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    /// The stored pixels to keep (`None`: all), in stored (not EXIF-rotated)
    /// coordinates; never empty, always inside the source.
    pub crop: Option<Rect>,
    /// The size to resample the kept pixels to, in stored axes (before
    /// `orientation`).
    pub resize_to: (u32, u32),
    /// EXIF orientation, then `flip`, then `rotate`: applied after
    /// resampling, on the small image.
    pub orientation: Orientation,
    /// The output size.
    pub canvas: (u32, u32),
    /// Where the oriented image's top-left corner sits on the canvas.
    pub offset: (u32, u32),
}

impl Geometry {
    /// The oriented image's size: `resize_to` after `orientation`. It fits
    /// the canvas at `offset`.
    pub fn placed(&self) -> (u32, u32) {
        self.orientation.output_size(self.resize_to.0, self.resize_to.1)
    }
}

/// Plans the geometry for a source of `src_w` x `src_h` that needs no EXIF
/// rotation.
pub fn plan(src_w: u32, src_h: u32, opts: &Options) -> Result<Geometry, GeometryError> {
    plan_oriented(src_w, src_h, Orientation::IDENTITY, opts)
}

/// Plans the geometry for a source stored as `src_w` x `src_h` and
/// displayed with orientation `exif` ([`Orientation::from_exif`]).
pub fn plan_oriented(src_w: u32, src_h: u32, exif: Orientation, opts: &Options) -> Result<Geometry, GeometryError> {
    if src_w == 0 || src_h == 0 {
        return Err(GeometryError::EmptySource { width: src_w, height: src_h });
    }
    let dpr = u64::from(opts.dpr.milli());
    let by_dpr = |v: u32| saturate((u64::from(v) * dpr + 500) / 1000);

    // Upright, then trimmed.
    let (uw, uh) = exif.output_size(src_w, src_h);
    let [top, right, bottom, left] = opts.trim.map_or([0; 4], |t| [t.top(), t.right(), t.bottom(), t.left()].map(by_dpr));
    let too_much = u64::from(left) + u64::from(right) >= u64::from(uw) || u64::from(top) + u64::from(bottom) >= u64::from(uh);
    if too_much {
        return Err(GeometryError::TrimTooLarge { width: uw, height: uh, top, right, bottom, left });
    }
    let trimmed = Rect { x: left, y: top, w: uw - left - right, h: uh - top - bottom };

    // Flipped and rotated: the frame `width` and `height` refer to.
    let user = opts.orientation();
    let (sw, sh) = user.output_size(trimmed.w, trimmed.h);
    let target = |d: Option<super::options::Dimension>| d.map(|d| by_dpr(d.get()).max(1));
    let fitted = fit(sw, sh, target(opts.width), target(opts.height), opts.fit, opts.gravity);
    for (width, height) in [fitted.canvas, fitted.size] {
        if width > MAX_OUTPUT_SIDE || height > MAX_OUTPUT_SIDE {
            return Err(GeometryError::TooLarge { width, height, max: MAX_OUTPUT_SIDE });
        }
    }

    // The window back in stored pixels.
    let in_trimmed = user.rect_to_source(fitted.window, trimmed.w, trimmed.h);
    let upright = Rect { x: in_trimmed.x + trimmed.x, y: in_trimmed.y + trimmed.y, ..in_trimmed };
    let stored = exif.rect_to_source(upright, src_w, src_h);
    let crop = (stored != Rect { x: 0, y: 0, w: src_w, h: src_h }).then_some(stored);

    let orientation = exif.then(user);
    let (rw, rh) = fitted.size;
    let resize_to = if orientation.swaps_axes() { (rh, rw) } else { (rw, rh) };
    Ok(Geometry { crop, resize_to, orientation, canvas: fitted.canvas, offset: fitted.offset })
}

/// A fit in the oriented frame.
struct Fitted {
    /// The part of the oriented, trimmed source kept.
    window: Rect,
    /// Its size after resampling.
    size: (u32, u32),
    /// The output size.
    canvas: (u32, u32),
    /// Where the resampled window sits on the canvas.
    offset: (u32, u32),
}

/// Fits a `sw` x `sh` image to the requested `tw` x `th`.
fn fit(sw: u32, sh: u32, tw: Option<u32>, th: Option<u32>, mode: Fit, gravity: Gravity) -> Fitted {
    let full = Rect { x: 0, y: 0, w: sw, h: sh };
    let whole = |size: (u32, u32)| Fitted { window: full, size, canvas: size, offset: (0, 0) };
    let cut = |window: Rect, size: (u32, u32)| Fitted { window, size, canvas: size, offset: (0, 0) };
    let never_enlarge = matches!(mode, Fit::ScaleDown | Fit::Crop | Fit::AspectCrop);
    match (tw, th) {
        (None, None) => whole((sw, sh)),
        (Some(w), None) if never_enlarge && w > sw => whole((sw, sh)),
        (Some(w), None) => whole((w, scale(sh, w, sw))),
        (None, Some(h)) if never_enlarge && h > sh => whole((sw, sh)),
        (None, Some(h)) => whole((scale(sw, h, sh), h)),
        (Some(w), Some(h)) => match mode {
            Fit::ScaleDown if w >= sw && h >= sh => whole((sw, sh)),
            Fit::ScaleDown | Fit::Contain => whole(contain(sw, sh, w, h)),
            Fit::Pad => {
                let size = contain(sw, sh, w, h);
                Fitted { window: full, size, canvas: (w, h), offset: ((w - size.0) / 2, (h - size.1) / 2) }
            }
            Fit::Squeeze => whole((w, h)),
            Fit::Cover => cut(place(aspect_window(sw, sh, w, h), sw, sh, gravity), (w, h)),
            Fit::Crop | Fit::AspectCrop if w < sw && h < sh => cut(place(aspect_window(sw, sh, w, h), sw, sh, gravity), (w, h)),
            Fit::Crop => {
                let window = place((w.min(sw), h.min(sh)), sw, sh, gravity);
                cut(window, (window.w, window.h))
            }
            Fit::AspectCrop => {
                let window = place(aspect_window(sw, sh, w, h), sw, sh, gravity);
                cut(window, (window.w, window.h))
            }
        },
    }
}

/// `v * num / den`, rounded half up, at least 1.
fn scale(v: u32, num: u32, den: u32) -> u32 {
    let (v, num, den) = (u64::from(v), u64::from(num), u64::from(den.max(1)));
    saturate((2 * v * num + den) / (2 * den)).max(1)
}

fn saturate(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// The largest size of `sw` x `sh`'s aspect ratio inside `w` x `h`.
fn contain(sw: u32, sh: u32, w: u32, h: u32) -> (u32, u32) {
    if u64::from(w) * u64::from(sh) <= u64::from(h) * u64::from(sw) { (w, scale(sh, w, sw).min(h)) } else { (scale(sw, h, sh).min(w), h) }
}

/// The largest window of `w` x `h`'s aspect ratio inside `sw` x `sh`.
fn aspect_window(sw: u32, sh: u32, w: u32, h: u32) -> (u32, u32) {
    if u64::from(w) * u64::from(sh) >= u64::from(h) * u64::from(sw) { (sw, scale(sw, h, w).min(sh)) } else { (scale(sh, w, h).min(sw), sh) }
}

/// A `ww` x `wh` window inside `sw` x `sh`, centred on the gravity's focal
/// point as far as the edges allow.
fn place((ww, wh): (u32, u32), sw: u32, sh: u32, gravity: Gravity) -> Rect {
    let (fx, fy) = gravity.focus_milli();
    // round(f / 1000 * s - win / 2), in units of 1/2000 px, clamped.
    let start = |f: u32, s: u32, win: u32| {
        let twice = 2 * i64::from(f) * i64::from(s) - 1000 * i64::from(win);
        let at = (twice + 1000).div_euclid(2000);
        saturate(u64::try_from(at.clamp(0, i64::from(s - win))).unwrap_or(0))
    };
    Rect { x: start(fx, sw, ww), y: start(fy, sh, wh), w: ww, h: wh }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::options::{Coord, Dimension, Dpr, Flip, Rotate, Trim, parse};
    use proptest::prelude::*;

    fn geo(w: u32, h: u32, opts: &str) -> Geometry {
        let o = parse(opts).unwrap_or_else(|e| panic!("{opts}: {e}"));
        plan(w, h, &o).unwrap_or_else(|e| panic!("{w}x{h} {opts}: {e}"))
    }

    fn r(x: u32, y: u32, w: u32, h: u32) -> Option<Rect> {
        Some(Rect { x, y, w, h })
    }

    /// `fits!(name: w x h { "options" => crop, resize_to, canvas, offset; ... })`.
    macro_rules! fits {
        ($($name:ident: $w:literal x $h:literal { $($opts:literal => $crop:expr, $size:expr, $canvas:expr, $offset:expr;)+ })+) => {
            $(
                #[test]
                fn $name() {
                    $(
                        let g = geo($w, $h, $opts);
                        let want = Geometry { crop: $crop, resize_to: $size, orientation: Orientation::IDENTITY, canvas: $canvas, offset: $offset };
                        assert_eq!(g, want, "{}x{} {}", $w, $h, $opts);
                    )+
                }
            )+
        };
    }

    const N: Option<Rect> = None;

    fits! {
        large_width_only: 4000 x 3000 {
            "w=1000" => N, (1000, 750), (1000, 750), (0, 0);
            "w=1000,fit=contain" => N, (1000, 750), (1000, 750), (0, 0);
            "w=1000,fit=cover" => N, (1000, 750), (1000, 750), (0, 0);
            "w=1000,fit=crop" => N, (1000, 750), (1000, 750), (0, 0);
            "w=1000,fit=aspect-crop" => N, (1000, 750), (1000, 750), (0, 0);
            "w=1000,fit=pad" => N, (1000, 750), (1000, 750), (0, 0);
            "w=1000,fit=squeeze" => N, (1000, 750), (1000, 750), (0, 0);
            "w=8000" => N, (4000, 3000), (4000, 3000), (0, 0);
            "w=8000,fit=crop" => N, (4000, 3000), (4000, 3000), (0, 0);
            "w=8000,fit=aspect-crop" => N, (4000, 3000), (4000, 3000), (0, 0);
            "w=8000,fit=contain" => N, (8000, 6000), (8000, 6000), (0, 0);
            "w=8000,fit=cover" => N, (8000, 6000), (8000, 6000), (0, 0);
            "w=8000,fit=pad" => N, (8000, 6000), (8000, 6000), (0, 0);
            "w=8000,fit=squeeze" => N, (8000, 6000), (8000, 6000), (0, 0);
        }
        large_height_only: 4000 x 3000 {
            "h=1000" => N, (1333, 1000), (1333, 1000), (0, 0);
            "h=1000,fit=contain" => N, (1333, 1000), (1333, 1000), (0, 0);
            "h=1000,fit=cover" => N, (1333, 1000), (1333, 1000), (0, 0);
            "h=1000,fit=crop" => N, (1333, 1000), (1333, 1000), (0, 0);
            "h=1000,fit=aspect-crop" => N, (1333, 1000), (1333, 1000), (0, 0);
            "h=1000,fit=pad" => N, (1333, 1000), (1333, 1000), (0, 0);
            "h=1000,fit=squeeze" => N, (1333, 1000), (1333, 1000), (0, 0);
            "h=6000" => N, (4000, 3000), (4000, 3000), (0, 0);
            "h=6000,fit=contain" => N, (8000, 6000), (8000, 6000), (0, 0);
        }
        large_both_smaller: 4000 x 3000 {
            "w=1000,h=1000" => N, (1000, 750), (1000, 750), (0, 0);
            "w=1000,h=1000,fit=contain" => N, (1000, 750), (1000, 750), (0, 0);
            "w=1000,h=1000,fit=cover" => r(500, 0, 3000, 3000), (1000, 1000), (1000, 1000), (0, 0);
            "w=1000,h=1000,fit=crop" => r(500, 0, 3000, 3000), (1000, 1000), (1000, 1000), (0, 0);
            "w=1000,h=1000,fit=aspect-crop" => r(500, 0, 3000, 3000), (1000, 1000), (1000, 1000), (0, 0);
            "w=1000,h=1000,fit=pad" => N, (1000, 750), (1000, 1000), (0, 125);
            "w=1000,h=1000,fit=squeeze" => N, (1000, 1000), (1000, 1000), (0, 0);
            "w=2000,h=500" => N, (667, 500), (667, 500), (0, 0);
            "w=2000,h=500,fit=cover" => r(0, 1000, 4000, 1000), (2000, 500), (2000, 500), (0, 0);
            "w=2000,h=500,fit=pad" => N, (667, 500), (2000, 500), (666, 0);
        }
        large_both_larger: 4000 x 3000 {
            "w=8000,h=8000" => N, (4000, 3000), (4000, 3000), (0, 0);
            "w=8000,h=8000,fit=contain" => N, (8000, 6000), (8000, 6000), (0, 0);
            "w=8000,h=8000,fit=cover" => r(500, 0, 3000, 3000), (8000, 8000), (8000, 8000), (0, 0);
            "w=8000,h=8000,fit=crop" => N, (4000, 3000), (4000, 3000), (0, 0);
            "w=8000,h=8000,fit=aspect-crop" => r(500, 0, 3000, 3000), (3000, 3000), (3000, 3000), (0, 0);
            "w=8000,h=8000,fit=pad" => N, (8000, 6000), (8000, 8000), (0, 1000);
            "w=8000,h=8000,fit=squeeze" => N, (8000, 8000), (8000, 8000), (0, 0);
        }
        small_width_only: 300 x 200 {
            "w=100" => N, (100, 67), (100, 67), (0, 0);
            "w=100,fit=contain" => N, (100, 67), (100, 67), (0, 0);
            "w=100,fit=cover" => N, (100, 67), (100, 67), (0, 0);
            "w=100,fit=crop" => N, (100, 67), (100, 67), (0, 0);
            "w=100,fit=aspect-crop" => N, (100, 67), (100, 67), (0, 0);
            "w=100,fit=pad" => N, (100, 67), (100, 67), (0, 0);
            "w=100,fit=squeeze" => N, (100, 67), (100, 67), (0, 0);
            "w=600" => N, (300, 200), (300, 200), (0, 0);
            "w=600,fit=crop" => N, (300, 200), (300, 200), (0, 0);
            "w=600,fit=contain" => N, (600, 400), (600, 400), (0, 0);
            "w=600,fit=cover" => N, (600, 400), (600, 400), (0, 0);
            "w=600,fit=pad" => N, (600, 400), (600, 400), (0, 0);
            "w=600,fit=squeeze" => N, (600, 400), (600, 400), (0, 0);
        }
        small_height_only: 300 x 200 {
            "h=100" => N, (150, 100), (150, 100), (0, 0);
            "h=100,fit=contain" => N, (150, 100), (150, 100), (0, 0);
            "h=100,fit=cover" => N, (150, 100), (150, 100), (0, 0);
            "h=100,fit=crop" => N, (150, 100), (150, 100), (0, 0);
            "h=100,fit=pad" => N, (150, 100), (150, 100), (0, 0);
            "h=100,fit=squeeze" => N, (150, 100), (150, 100), (0, 0);
            "h=400" => N, (300, 200), (300, 200), (0, 0);
            "h=400,fit=aspect-crop" => N, (300, 200), (300, 200), (0, 0);
            "h=400,fit=contain" => N, (600, 400), (600, 400), (0, 0);
            "h=400,fit=squeeze" => N, (600, 400), (600, 400), (0, 0);
        }
        small_both: 300 x 200 {
            "w=100,h=100" => N, (100, 67), (100, 67), (0, 0);
            "w=100,h=100,fit=contain" => N, (100, 67), (100, 67), (0, 0);
            "w=100,h=100,fit=cover" => r(50, 0, 200, 200), (100, 100), (100, 100), (0, 0);
            "w=100,h=100,fit=crop" => r(50, 0, 200, 200), (100, 100), (100, 100), (0, 0);
            "w=100,h=100,fit=aspect-crop" => r(50, 0, 200, 200), (100, 100), (100, 100), (0, 0);
            "w=100,h=100,fit=pad" => N, (100, 67), (100, 100), (0, 16);
            "w=100,h=100,fit=squeeze" => N, (100, 100), (100, 100), (0, 0);
            "w=1000,h=1000" => N, (300, 200), (300, 200), (0, 0);
            "w=1000,h=1000,fit=contain" => N, (1000, 667), (1000, 667), (0, 0);
            "w=1000,h=1000,fit=cover" => r(50, 0, 200, 200), (1000, 1000), (1000, 1000), (0, 0);
            "w=1000,h=1000,fit=crop" => N, (300, 200), (300, 200), (0, 0);
            "w=1000,h=1000,fit=aspect-crop" => r(50, 0, 200, 200), (200, 200), (200, 200), (0, 0);
            "w=1000,h=1000,fit=pad" => N, (1000, 667), (1000, 1000), (0, 166);
            "w=1000,h=1000,fit=squeeze" => N, (1000, 1000), (1000, 1000), (0, 0);
            "w=250,h=250" => N, (250, 167), (250, 167), (0, 0);
            "w=250,h=250,fit=crop" => r(25, 0, 250, 200), (250, 200), (250, 200), (0, 0);
            "w=250,h=250,fit=cover" => r(50, 0, 200, 200), (250, 250), (250, 250), (0, 0);
            "w=250,h=250,fit=aspect-crop" => r(50, 0, 200, 200), (200, 200), (200, 200), (0, 0);
        }
        gravity_places_the_window: 4000 x 3000 {
            "w=1000,h=1000,fit=cover,g=auto" => r(500, 0, 3000, 3000), (1000, 1000), (1000, 1000), (0, 0);
            "w=1000,h=1000,fit=cover,g=face" => r(500, 0, 3000, 3000), (1000, 1000), (1000, 1000), (0, 0);
            "w=1000,h=1000,fit=cover,g=left" => r(0, 0, 3000, 3000), (1000, 1000), (1000, 1000), (0, 0);
            "w=1000,h=1000,fit=cover,g=right" => r(1000, 0, 3000, 3000), (1000, 1000), (1000, 1000), (0, 0);
            "w=1000,h=1000,fit=cover,g=top" => r(500, 0, 3000, 3000), (1000, 1000), (1000, 1000), (0, 0);
            "w=1000,h=1000,fit=cover,g=0x0" => r(0, 0, 3000, 3000), (1000, 1000), (1000, 1000), (0, 0);
            "w=1000,h=1000,fit=cover,g=0.6x0" => r(900, 0, 3000, 3000), (1000, 1000), (1000, 1000), (0, 0);
            "w=1000,h=1000,fit=cover,g=0.9x0" => r(1000, 0, 3000, 3000), (1000, 1000), (1000, 1000), (0, 0);
            "w=1000,h=250,fit=cover,g=top" => r(0, 0, 4000, 1000), (1000, 250), (1000, 250), (0, 0);
            "w=1000,h=250,fit=cover,g=bottom" => r(0, 2000, 4000, 1000), (1000, 250), (1000, 250), (0, 0);
            "w=1000,h=250,fit=cover,g=0.5x0.4" => r(0, 700, 4000, 1000), (1000, 250), (1000, 250), (0, 0);
            "w=1000,h=250,fit=crop,g=left" => r(0, 1000, 4000, 1000), (1000, 250), (1000, 250), (0, 0);
            "w=1000,h=1000,fit=pad,g=left" => N, (1000, 750), (1000, 1000), (0, 125);
        }
        dpr_multiplies: 4000 x 3000 {
            "w=500,dpr=2" => N, (1000, 750), (1000, 750), (0, 0);
            "w=333,dpr=1.5" => N, (500, 375), (500, 375), (0, 0);
            "w=500,h=500,dpr=2,fit=pad" => N, (1000, 750), (1000, 1000), (0, 125);
            "w=3000,dpr=2" => N, (4000, 3000), (4000, 3000), (0, 0);
            "dpr=2" => N, (4000, 3000), (4000, 3000), (0, 0);
        }
        trim_cuts_first: 4000 x 3000 {
            "trim=100;200;300;400" => r(400, 100, 3400, 2600), (3400, 2600), (3400, 2600), (0, 0);
            "trim=100;200;300;400,dpr=2" => r(800, 200, 2800, 2200), (2800, 2200), (2800, 2200), (0, 0);
            "trim=0;1000;0;0,w=1500,h=1500,fit=cover" => r(0, 0, 3000, 3000), (1500, 1500), (1500, 1500), (0, 0);
            "trim=500;0;0;0,w=1000,h=1000,fit=cover,g=top" => r(750, 500, 2500, 2500), (1000, 1000), (1000, 1000), (0, 0);
        }
    }

    #[test]
    fn rotation_swaps_axes_before_fitting() {
        let g = geo(4000, 3000, "rotate=90,w=300");
        assert_eq!((g.crop, g.resize_to, g.canvas, g.offset), (None, (400, 300), (300, 400), (0, 0)));
        assert_eq!(g.placed(), (300, 400));
        assert_eq!(g.orientation, Orientation::rotate_cw(1));

        // A landscape band of the rotated image is a portrait band of the source.
        let g = geo(4000, 3000, "rotate=90,w=1000,h=500,fit=cover");
        assert_eq!((g.crop, g.resize_to, g.canvas), (r(1250, 0, 1500, 3000), (500, 1000), (1000, 500)));

        let g = geo(4000, 3000, "rotate=180,flip=h,w=1000,h=1000,fit=cover,g=left");
        // flip=h then a half turn is a vertical flip: left stays left.
        assert_eq!((g.crop, g.resize_to, g.canvas), (r(0, 0, 3000, 3000), (1000, 1000), (1000, 1000)));
        assert_eq!(g.orientation, Orientation::flip(false, true));
    }

    #[test]
    fn exif_orientation_comes_first() {
        let o = parse("w=300").unwrap();
        let g = plan_oriented(4000, 3000, Orientation::from_exif(6), &o).unwrap();
        assert_eq!((g.crop, g.resize_to, g.canvas, g.placed()), (None, (400, 300), (300, 400), (300, 400)));
        // Trim counts in upright pixels: the top of the upright image is the
        // left of the stored one for EXIF 6 (stored pixel (y, h-1-x) shows at (x, y)).
        let o = parse("trim=100;0;0;0").unwrap();
        let g = plan_oriented(4000, 3000, Orientation::from_exif(6), &o).unwrap();
        assert_eq!(g.canvas, (3000, 3900));
        assert_eq!(g.crop, r(100, 0, 3900, 3000));
        assert_eq!(g.placed(), g.canvas);
    }

    #[test]
    fn errors() {
        let o = parse("w=100").unwrap();
        assert_eq!(plan(0, 10, &o), Err(GeometryError::EmptySource { width: 0, height: 10 }));
        let o = parse("trim=0;150;0;150").unwrap();
        let e = plan(300, 200, &o).unwrap_err();
        assert!(matches!(e, GeometryError::TrimTooLarge { .. }));
        assert!(e.to_string().contains("`trim`"), "{e}");
        assert!(plan(301, 200, &o).is_ok());
        let o = parse("trim=0;75;0;75,dpr=2").unwrap();
        assert!(matches!(plan(300, 200, &o), Err(GeometryError::TrimTooLarge { .. })));
        let o = parse("w=8000,h=8000,dpr=2,fit=cover").unwrap();
        assert_eq!(plan(4000, 3000, &o), Err(GeometryError::TooLarge { width: 16000, height: 16000, max: MAX_OUTPUT_SIDE }));
        // Scale-down never reaches the cap when the source is within it.
        assert!(plan(4000, 3000, &parse("w=12000,dpr=3").unwrap()).is_ok());
        assert!(matches!(plan(20_000, 100, &parse("anim=false").unwrap()), Err(GeometryError::TooLarge { .. })));
        // Enlarging a thin source: the free side is capped too.
        assert!(matches!(plan(1, 1000, &parse("w=100,fit=contain").unwrap()), Err(GeometryError::TooLarge { width: 100, height: 100_000, .. })));
    }

    #[test]
    fn extreme_sources_do_not_overflow() {
        let o = parse("w=12000,h=1,fit=cover").unwrap();
        let g = plan(u32::MAX, u32::MAX, &o).unwrap();
        let c = g.crop.unwrap();
        assert!(u64::from(c.x) + u64::from(c.w) <= u64::from(u32::MAX));
        let o = parse("h=1,fit=contain").unwrap();
        assert_eq!(plan(u32::MAX, 1, &o), Err(GeometryError::TooLarge { width: u32::MAX, height: 1, max: MAX_OUTPUT_SIDE }));
    }

    fn arb_case() -> impl Strategy<Value = (u32, u32, Options)> {
        let fit = proptest::sample::select(Fit::ALL);
        let dim = proptest::option::of((1u32..=4000).prop_map(|v| Dimension::new(v).unwrap()));
        let gravity = prop_oneof![
            Just(Gravity::Auto),
            Just(Gravity::Left),
            Just(Gravity::Right),
            Just(Gravity::Top),
            Just(Gravity::Bottom),
            (0u32..=1000, 0u32..=1000).prop_map(|(x, y)| Gravity::Point { x: Coord::from_milli(x).unwrap(), y: Coord::from_milli(y).unwrap() }),
        ];
        let trim = proptest::option::of((0u32..50, 0u32..50, 0u32..50, 1u32..50).prop_map(|(t, r, b, l)| Trim::new(t, r, b, l).unwrap()));
        let orient = (proptest::option::of(proptest::sample::select(Flip::ALL)), proptest::sample::select(Rotate::ALL));
        (1u32..5000, 1u32..5000, fit, dim.clone(), dim, 100u32..=3000, gravity, trim, orient).prop_map(|(w, h, fit, width, height, dpr, gravity, trim, (flip, rotate))| {
            let o = Options { fit, width, height, dpr: Dpr::from_milli(dpr).unwrap(), gravity, trim, flip, rotate, ..Options::default() };
            (w, h, o)
        })
    }

    proptest! {
        #[test]
        fn geometry_invariants((w, h, o) in arb_case(), exif in 1u8..=8) {
            let exif = Orientation::from_exif(exif);
            match plan_oriented(w, h, exif, &o) {
                Ok(g) => {
                    for (a, b) in [g.canvas, g.resize_to] {
                        prop_assert!(a >= 1 && b >= 1 && a <= MAX_OUTPUT_SIDE && b <= MAX_OUTPUT_SIDE, "{:?}", g);
                    }
                    if let Some(c) = g.crop {
                        prop_assert!(!c.is_empty() && c.x + c.w <= w && c.y + c.h <= h, "{:?} in {}x{}", c, w, h);
                        prop_assert_eq!(c.clamp_to(w, h), c);
                    }
                    let (pw, ph) = g.placed();
                    prop_assert!(g.offset.0 + pw <= g.canvas.0 && g.offset.1 + ph <= g.canvas.1, "{:?}", g);
                    let req = |d: Option<Dimension>| d.map(|d| ((u64::from(d.get()) * u64::from(o.dpr.milli()) + 500) / 1000).max(1) as u32);
                    if let (Some(rw), Some(rh)) = (req(o.width), req(o.height)) {
                        if matches!(o.fit, Fit::Pad | Fit::Cover | Fit::Squeeze) {
                            prop_assert_eq!(g.canvas, (rw, rh));
                        } else {
                            prop_assert!(g.canvas.0 <= rw && g.canvas.1 <= rh, "{:?}", g);
                        }
                    }
                    if !matches!(o.fit, Fit::Pad) || o.width.is_none() || o.height.is_none() {
                        prop_assert_eq!(g.placed(), g.canvas);
                        prop_assert_eq!(g.offset, (0, 0));
                    }
                    if matches!(o.fit, Fit::ScaleDown | Fit::Crop | Fit::AspectCrop) {
                        // Never enlarged: the kept window is at least the output.
                        let (cw, ch) = g.crop.map_or((w, h), |c| (c.w, c.h));
                        prop_assert!(g.resize_to.0 <= cw && g.resize_to.1 <= ch, "{:?} from {}x{}", g, cw, ch);
                    }
                }
                Err(GeometryError::TooLarge { width, height, max }) => prop_assert!(width > max || height > max),
                Err(GeometryError::TrimTooLarge { .. }) => prop_assert!(o.trim.is_some()),
                Err(e) => prop_assert!(false, "{}", e),
            }
        }
    }
}
