//! Palettes by k-means in Oklab, and mapping pixels to them.

use super::dither;
use super::oklab::{self, Lab};
use crate::pixel::RgbaImage;

/// The k-means++ seed: fixed, so a palette depends on the pixels only.
const SEED: u64 = 0x5EED_0F_ED6E_91C5;
/// Lloyd iterations at most (it usually settles well before).
const MAX_ITERATIONS: usize = 64;

/// A quantised image and its palette.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quantized {
    /// Every opaque pixel in a palette colour, alpha untouched.
    pub image: RgbaImage,
    /// The palette, darkest first.
    pub palette: Vec<[u8; 3]>,
}

/// Quantises the opaque pixels of `img` to at most `colours` colours:
/// [`palette`], then [`remap`] or, with `dither`, [`dither::remap`].
pub fn quantize(img: &RgbaImage, colours: u8, dither: bool) -> Quantized {
    let palette = palette(img, usize::from(colours));
    let image = if dither { dither::remap(img, &palette) } else { remap(img, &palette) };
    Quantized { image, palette }
}

/// SplitMix64: a tiny deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The distinct colours of the pixels with alpha != 0, in ascending RGB
/// order, with their pixel counts.
fn histogram(img: &RgbaImage) -> Vec<([u8; 3], f64)> {
    let mut keys: Vec<u32> = img.data().chunks_exact(4).filter(|p| p[3] != 0).map(|p| u32::from_be_bytes([0, p[0], p[1], p[2]])).collect();
    keys.sort_unstable();
    let mut out: Vec<([u8; 3], f64)> = Vec::new();
    for k in keys {
        let [_, r, g, b] = k.to_be_bytes();
        match out.last_mut() {
            Some((c, n)) if *c == [r, g, b] => *n += 1.0,
            _ => out.push(([r, g, b], 1.0)),
        }
    }
    out
}

/// The index of the entry of `palette` nearest `c` (the first among equals).
pub fn nearest(c: Lab, palette: &[Lab]) -> usize {
    let mut best = (0, f64::INFINITY);
    for (i, &p) in palette.iter().enumerate() {
        let d = oklab::distance2(c, p);
        if d < best.1 {
            best = (i, d);
        }
    }
    best.0
}

/// Picks `k` starting centres by k-means++ (each next one drawn with
/// probability proportional to weight times squared distance to the
/// nearest centre so far) from the fixed seed; fewer if the points run out.
fn seed_centres(points: &[(Lab, f64)], k: usize) -> Vec<Lab> {
    let mut rng = Rng(SEED);
    let pick = |rng: &mut Rng, w: &dyn Fn(usize) -> f64, total: f64| {
        let mut target = rng.unit() * total;
        for i in 0..points.len() {
            target -= w(i);
            if target < 0.0 {
                return i;
            }
        }
        // Rounding left a sliver: the last point with any weight.
        (0..points.len()).rev().find(|&i| w(i) > 0.0).unwrap_or(0)
    };
    let total: f64 = points.iter().map(|p| p.1).sum();
    let mut centres = vec![points[pick(&mut rng, &|i| points[i].1, total)].0];
    let mut d2: Vec<f64> = points.iter().map(|p| oklab::distance2(p.0, centres[0])).collect();
    while centres.len() < k {
        let total: f64 = points.iter().zip(&d2).map(|(p, d)| p.1 * d).sum();
        if total <= 0.0 {
            break;
        }
        let c = points[pick(&mut rng, &|i| points[i].1 * d2[i], total)].0;
        for (d, p) in d2.iter_mut().zip(points) {
            *d = d.min(oklab::distance2(p.0, c));
        }
        centres.push(c);
    }
    centres
}

/// A palette of at most `k` colours for the pixels of `img` with alpha !=
/// 0: weighted k-means (Lloyd) in Oklab over the distinct colours, started
/// by k-means++ from a fixed seed. The distinct colours themselves when
/// there are at most `k`. Sorted darkest first (Oklab lightness, then RGB),
/// no duplicates; empty for an image without opaque pixels.
pub fn palette(img: &RgbaImage, k: usize) -> Vec<[u8; 3]> {
    let hist = histogram(img);
    let mut out: Vec<[u8; 3]> = if hist.len() <= k {
        hist.iter().map(|h| h.0).collect()
    } else {
        let points: Vec<(Lab, f64)> = hist.iter().map(|&(c, n)| (oklab::from_srgb(c), n)).collect();
        kmeans(&points, k).into_iter().map(oklab::to_srgb).collect()
    };
    out.sort_by(|a, b| oklab::from_srgb(*a)[0].total_cmp(&oklab::from_srgb(*b)[0]).then(a.cmp(b)));
    out.dedup();
    out
}

/// Lloyd's iterations from k-means++ centres until no point changes
/// cluster; an emptied cluster keeps its centre.
fn kmeans(points: &[(Lab, f64)], k: usize) -> Vec<Lab> {
    let mut centres = seed_centres(points, k);
    let mut assign = vec![usize::MAX; points.len()];
    for _ in 0..MAX_ITERATIONS {
        let mut changed = false;
        for (a, p) in assign.iter_mut().zip(points) {
            let n = nearest(p.0, &centres);
            changed |= *a != n;
            *a = n;
        }
        if !changed {
            break;
        }
        let mut sums = vec![([0.0f64; 3], 0.0f64); centres.len()];
        for (&a, &(c, w)) in assign.iter().zip(points) {
            let s = &mut sums[a];
            for i in 0..3 {
                s.0[i] += c[i] * w;
            }
            s.1 += w;
        }
        for (centre, (sum, w)) in centres.iter_mut().zip(sums) {
            if w > 0.0 {
                *centre = sum.map(|v| v / w);
            }
        }
    }
    centres
}

/// `img` with every pixel of alpha != 0 replaced by its nearest `palette`
/// colour in Oklab (alpha untouched); unchanged if the palette is empty.
pub fn remap(img: &RgbaImage, palette: &[[u8; 3]]) -> RgbaImage {
    let labs: Vec<Lab> = palette.iter().map(|&c| oklab::from_srgb(c)).collect();
    let mut out = img.clone();
    if labs.is_empty() {
        return out;
    }
    for p in out.data_mut().chunks_exact_mut(4).filter(|p| p[3] != 0) {
        let c = palette[nearest(oklab::from_srgb([p[0], p[1], p[2]]), &labs)];
        p[..3].copy_from_slice(&c);
    }
    out
}

/// The mean ΔE in Oklab between `a` and `b` over the pixels with alpha !=
/// 0 in both (0 if there are none, or the sizes differ).
pub fn mean_delta_e(a: &RgbaImage, b: &RgbaImage) -> f64 {
    if (a.width(), a.height()) != (b.width(), b.height()) {
        return 0.0;
    }
    let (mut sum, mut n) = (0.0, 0usize);
    for (p, q) in a.data().chunks_exact(4).zip(b.data().chunks_exact(4)) {
        if p[3] != 0 && q[3] != 0 {
            sum += oklab::delta_e(oklab::from_srgb([p[0], p[1], p[2]]), oklab::from_srgb([q[0], q[1], q[2]]));
            n += 1;
        }
    }
    if n == 0 { 0.0 } else { sum / n as f64 }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{distinct_opaque, pet};
    use super::*;

    #[test]
    fn palette_size_holds_and_pixels_use_it() {
        let img = pet(40, 48);
        for k in [8u8, 12, 16] {
            let q = quantize(&img, k, false);
            assert!(q.palette.len() <= usize::from(k) && q.palette.len() >= usize::from(k) - 2, "{k}: {}", q.palette.len());
            let used = distinct_opaque(&q.image);
            assert!(used.len() <= usize::from(k));
            assert!(used.iter().all(|c| q.palette.contains(c)));
            // Alpha untouched.
            assert!(q.image.data().chunks_exact(4).zip(img.data().chunks_exact(4)).all(|(a, b)| a[3] == b[3]));
        }
    }

    #[test]
    fn few_colours_are_kept_exactly() {
        let img = RgbaImage::from_vec(3, 1, vec![10, 200, 30, 255, 250, 250, 250, 255, 1, 2, 3, 0]).unwrap();
        let q = quantize(&img, 8, false);
        assert_eq!(q.palette, vec![[10, 200, 30], [250, 250, 250]]);
        assert_eq!(q.image, img);
        assert_eq!(mean_delta_e(&img, &q.image), 0.0);
        assert!(palette(&RgbaImage::filled(4, 4, [0; 4]), 8).is_empty());
    }

    #[test]
    fn is_deterministic_and_darkest_first() {
        let img = pet(33, 41);
        let a = quantize(&img, 12, false);
        assert_eq!(a, quantize(&img, 12, false));
        let l: Vec<f64> = a.palette.iter().map(|&c| oklab::from_srgb(c)[0]).collect();
        assert!(l.windows(2).all(|w| w[0] <= w[1]), "{l:?}");
    }

    #[test]
    fn more_colours_lower_the_error() {
        let img = pet(40, 48);
        let e: Vec<f64> = [8u8, 12, 16].iter().map(|&k| mean_delta_e(&img, &quantize(&img, k, false).image)).collect();
        assert!(e[0] > 0.0 && e[0] >= e[1] && e[1] >= e[2], "{e:?}");
        // Well under a visible step on a smooth two-tone pet.
        assert!(e[2] < 0.03, "{e:?}");
    }

    #[test]
    fn finds_well_separated_clusters() {
        // Four colours with small noise: k = 4 must find the four means.
        let base = [[200u8, 30, 30], [30, 200, 30], [30, 30, 200], [240, 240, 240]];
        let data: Vec<u8> = (0..400).flat_map(|i: usize| {
            let c = base[i % 4];
            let n = ((i / 4) % 5) as u8;
            [c[0] + n, c[1] + n, c[2] + n, 255]
        }).collect();
        let img = RgbaImage::from_vec(20, 20, data).unwrap();
        let mut p = palette(&img, 4);
        p.sort();
        let mut want: Vec<[u8; 3]> = base.iter().map(|c| c.map(|v| v + 2)).collect();
        want.sort();
        for (g, w) in p.iter().zip(&want) {
            assert!(g.iter().zip(w).all(|(a, b)| a.abs_diff(*b) <= 1), "{p:?} vs {want:?}");
        }
    }
}
