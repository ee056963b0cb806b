//! The 1 px dark outline around a sprite.

use super::oklab;
use crate::pixel::RgbaImage;

/// The outline colour for `palette`: its darkest entry (by Oklab
/// lightness) at 55 % of its lightness and 60 % of its chroma; near black
/// for an empty palette.
pub fn outline_colour(palette: &[[u8; 3]]) -> [u8; 3] {
    let darkest = palette.iter().map(|&c| oklab::from_srgb(c)).min_by(|a, b| a[0].total_cmp(&b[0])).unwrap_or([0.2, 0.0, 0.0]);
    oklab::to_srgb([darkest[0] * 0.55, darkest[1] * 0.6, darkest[2] * 0.6])
}

/// `img` padded by 1 px on each side and [`outline_in_place`]d.
pub fn add_outline(img: &RgbaImage, colour: [u8; 3]) -> RgbaImage {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut data = vec![0u8; (w + 2) * (h + 2) * 4];
    for y in 0..h {
        let o = ((y + 1) * (w + 2) + 1) * 4;
        data[o..o + w * 4].copy_from_slice(&img.data()[y * w * 4..(y + 1) * w * 4]);
    }
    let mut out = RgbaImage::from_vec(w as u32 + 2, h as u32 + 2, data).unwrap_or_else(|_| RgbaImage::filled(0, 0, [0; 4]));
    outline_in_place(&mut out, colour);
    out
}

/// Makes every transparent pixel 4-adjacent to an opaque one (alpha != 0)
/// fully opaque `colour`. Opaque pixels on the image border get no outline
/// beyond it: leave a 1 px transparent margin for a closed outline.
pub fn outline_in_place(img: &mut RgbaImage, colour: [u8; 3]) {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let opaque: Vec<bool> = img.data().chunks_exact(4).map(|p| p[3] != 0).collect();
    let data = img.data_mut();
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            if opaque[i] {
                continue;
            }
            let touches = (x > 0 && opaque[i - 1]) || (x + 1 < w && opaque[i + 1]) || (y > 0 && opaque[i - w]) || (y + 1 < h && opaque[i + w]);
            if touches {
                data[i * 4..i * 4 + 4].copy_from_slice(&[colour[0], colour[1], colour[2], 255]);
            }
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::tests::{distinct_opaque, pet};
    use super::super::quantize::quantize;
    use super::*;

    /// Whether every opaque pixel not of `colour` has 4 opaque neighbours
    /// (pixels on the border have transparent ones beyond it).
    pub(in super::super) fn closed(img: &RgbaImage, colour: [u8; 3]) -> bool {
        let (w, h) = (img.width() as i64, img.height() as i64);
        let at = |x: i64, y: i64| if x < 0 || y < 0 || x >= w || y >= h { [0u8; 4] } else { let i = ((y * w + x) * 4) as usize; [img.data()[i], img.data()[i + 1], img.data()[i + 2], img.data()[i + 3]] };
        (0..h).all(|y| (0..w).all(|x| {
            let p = at(x, y);
            p[3] == 0 || p[..3] == colour || [(1, 0), (-1, 0), (0, 1), (0, -1)].iter().all(|(dx, dy)| at(x + dx, y + dy)[3] != 0)
        }))
    }

    #[test]
    fn outline_is_closed_and_one_colour_more() {
        let q = quantize(&pet(40, 48), 12, false);
        let c = outline_colour(&q.palette);
        assert!(!q.palette.contains(&c), "{c:?} in {:?}", q.palette);
        let out = add_outline(&q.image, c);
        assert_eq!((out.width(), out.height()), (42, 50));
        assert!(closed(&out, c));
        assert!(!closed(&q.image, c) || q.image.data().chunks_exact(4).all(|p| p[3] == 0));
        let colours = distinct_opaque(&out);
        assert!(colours.len() <= q.palette.len() + 1 && colours.contains(&c));
        assert!(out.data().chunks_exact(4).all(|p| p[3] == 0 || p[3] == 255));
    }

    #[test]
    fn a_single_pixel_gets_a_plus() {
        let img = RgbaImage::filled(1, 1, [9, 9, 9, 255]);
        let out = add_outline(&img, [1, 2, 3]);
        let a: Vec<u8> = out.data().chunks_exact(4).map(|p| p[3]).collect();
        assert_eq!(a, vec![0, 255, 0, 255, 255, 255, 0, 255, 0]);
        assert_eq!(&out.data()[4..8], &[1, 2, 3, 255]);
    }

    #[test]
    fn outline_is_darker_than_the_palette() {
        let palette = [[120, 80, 40], [200, 180, 160], [60, 40, 20]];
        let c = outline_colour(&palette);
        let l = oklab::from_srgb(c)[0];
        assert!(palette.iter().all(|&p| oklab::from_srgb(p)[0] > l), "{c:?}");
        assert_eq!(outline_colour(&[]), oklab::to_srgb([0.2 * 0.55, 0.0, 0.0]));
    }
}
