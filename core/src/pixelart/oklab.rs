//! sRGB to and from Oklab, with the same bits on every target.
//!
//! Only IEEE basic operations are used (no `powf`, `cbrt`: their results
//! differ in the last bit between a native libm and the wasm one): the
//! sRGB transfer curve is a table built at compile time and cube roots are
//! a fixed number of Newton steps. A palette is therefore the same on the
//! Worker, in the browser and in the pool.

/// A colour in Oklab: `[L, a, b]`, `L` in 0..=1.
pub type Lab = [f64; 3];

/// `x^(1/n)` for `x >= 0` by Newton's method from an exponent-dividing
/// guess (at most 12 steps, fewer once a step changes nothing); 0 for
/// `x <= 0`.
const fn root(x: f64, n: u64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    // Dividing the bits divides the exponent; the bias keeps it centred.
    let mut y = f64::from_bits(x.to_bits() / n + ((1023 * (n - 1) / n) << 52));
    let nf = n as f64;
    let mut i = 0;
    while i < 12 {
        let mut p = 1.0;
        let mut k = 1;
        while k < n {
            p *= y;
            k += 1;
        }
        let next = ((nf - 1.0) * y + x / p) / nf;
        if next == y {
            break;
        }
        y = next;
        i += 1;
    }
    y
}

/// The sRGB transfer curve decoded: channel byte to linear light.
const fn decode(c: u8) -> f64 {
    let v = c as f64 / 255.0;
    if v <= 0.04045 {
        v / 12.92
    } else {
        let x = (v + 0.055) / 1.055;
        // x^2.4 = x^2 * (x^2)^(1/5)
        let x2 = x * x;
        x2 * root(x2, 5)
    }
}

const fn table() -> [f64; 256] {
    let mut t = [0.0; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = decode(i as u8);
        i += 1;
    }
    t
}

/// Linear light of each sRGB byte.
const LINEAR: [f64; 256] = table();

/// The sRGB byte whose linear light is nearest `v` (clamped to 0..=1).
fn encode(v: f64) -> u8 {
    let v = v.clamp(0.0, 1.0);
    // First index whose value is >= v; the answer is it or the one before.
    let i = LINEAR.partition_point(|&l| l < v);
    if i == 0 {
        return 0;
    }
    if i >= 256 {
        return 255;
    }
    if v - LINEAR[i - 1] <= LINEAR[i] - v { (i - 1) as u8 } else { i as u8 }
}

/// An sRGB colour in Oklab.
pub fn from_srgb(c: [u8; 3]) -> Lab {
    let [r, g, b] = c.map(|v| LINEAR[v as usize]);
    let l = root(0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b, 3);
    let m = root(0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b, 3);
    let s = root(0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b, 3);
    [
        0.2104542553 * l + 0.7936177850 * m - 0.0040720468 * s,
        1.9779984951 * l - 2.4285922050 * m + 0.4505937099 * s,
        0.0259040371 * l + 0.7827717662 * m - 0.8086757660 * s,
    ]
}

/// An Oklab colour in sRGB, clipped to the gamut channel by channel.
pub fn to_srgb(c: Lab) -> [u8; 3] {
    let [ll, a, b] = c;
    let l = ll + 0.3963377774 * a + 0.2158037573 * b;
    let m = ll - 0.1055613458 * a - 0.0638541728 * b;
    let s = ll - 0.0894841775 * a - 1.2914855480 * b;
    let (l, m, s) = (l * l * l, m * m * m, s * s * s);
    [
        encode(4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s),
        encode(-1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s),
        encode(-0.0041960863 * l - 0.7034186147 * m + 1.7076147010 * s),
    ]
}

/// Squared Euclidean distance in Oklab.
pub fn distance2(p: Lab, q: Lab) -> f64 {
    let (d0, d1, d2) = (p[0] - q[0], p[1] - q[1], p[2] - q[2]);
    d0 * d0 + d1 * d1 + d2 * d2
}

/// ΔE in Oklab: the Euclidean distance (a just-noticeable difference is
/// about 0.02).
pub fn delta_e(p: Lab, q: Lab) -> f64 {
    distance2(p, q).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_and_curve_match_the_libm_ones() {
        for x in [1e-9, 0.001, 0.2, 0.5, 1.0, 3.0] {
            assert!((root(x, 3) - f64::cbrt(x)).abs() <= 1e-15 * x.max(1.0), "{x}");
            assert!((root(x, 5) - x.powf(0.2)).abs() <= 1e-15 * x.max(1.0), "{x}");
        }
        for c in 0..=255u8 {
            let v = f64::from(c) / 255.0;
            let want = if v <= 0.04045 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) };
            assert!((LINEAR[c as usize] - want).abs() < 1e-12, "{c}");
        }
    }

    #[test]
    fn known_values() {
        let white = from_srgb([255, 255, 255]);
        assert!((white[0] - 1.0).abs() < 1e-4 && white[1].abs() < 1e-4 && white[2].abs() < 1e-4, "{white:?}");
        assert_eq!(from_srgb([0, 0, 0]), [0.0, 0.0, 0.0]);
        let red = from_srgb([255, 0, 0]);
        assert!((red[0] - 0.62796).abs() < 1e-4 && (red[1] - 0.22486).abs() < 1e-4 && (red[2] - 0.12585).abs() < 1e-4, "{red:?}");
    }

    #[test]
    fn round_trips_every_grey_and_a_grid_of_colours() {
        for v in 0..=255u8 {
            assert_eq!(to_srgb(from_srgb([v, v, v])), [v, v, v]);
        }
        for r in (0..=255u8).step_by(15) {
            for g in (0..=255u8).step_by(17) {
                for b in (0..=255u8).step_by(51) {
                    assert_eq!(to_srgb(from_srgb([r, g, b])), [r, g, b]);
                }
            }
        }
    }
}
