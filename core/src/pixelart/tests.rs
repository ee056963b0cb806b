//! Tests of the whole pipeline, and the synthetic pets the other tests use.

use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;

/// A `w` x `h` crisp "pet": an elliptical body in a brown gradient with a
/// lighter belly and a dark eye, on transparency.
pub(super) fn pet(w: u32, h: u32) -> RgbaImage {
    let data = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .flat_map(|(x, y)| {
            let (u, v) = ((f64::from(x) + 0.5) / f64::from(w) * 2.0 - 1.0, (f64::from(y) + 0.5) / f64::from(h) * 2.0 - 1.0);
            if u * u + v * v > 0.95 {
                return [0; 4];
            }
            if ((u - 0.35).powi(2) + (v + 0.4).powi(2)) < 0.01 {
                return [30, 20, 15, 255];
            }
            if (u * u) / 0.2 + ((v - 0.35).powi(2)) / 0.15 < 1.0 {
                return [230, (200.0 + 20.0 * v) as u8, 170, 255];
            }
            [(150.0 + 60.0 * u) as u8, (90.0 + 40.0 * v) as u8, (40.0 + 20.0 * (u * v)) as u8, 255]
        })
        .collect();
    RgbaImage::from_vec(w, h, data).unwrap()
}

/// The distinct colours of the pixels with alpha != 0.
pub(super) fn distinct_opaque(img: &RgbaImage) -> BTreeSet<[u8; 3]> {
    img.data().chunks_exact(4).filter(|p| p[3] != 0).map(|p| [p[0], p[1], p[2]]).collect()
}

/// A segmenter-like cut-out: a big pet with soft mask edges, legs, and a
/// stray speck of mask away from it, on a colourful "background" that the
/// mask hides.
fn photo_cutout(w: u32, h: u32) -> RgbaImage {
    let body = pet(w * 3 / 4, h * 2 / 3);
    let (bx, by) = (w / 8, h / 8);
    let mut data = Vec::with_capacity((w * h * 4) as usize);
    for y in 0..h {
        for x in 0..w {
            let mut p = [(x % 256) as u8, (y % 256) as u8, 200, 0];
            if (bx..bx + body.width()).contains(&x) && (by..by + body.height()).contains(&y) {
                let i = (((y - by) * body.width() + (x - bx)) * 4) as usize;
                if body.data()[i + 3] != 0 {
                    p = [body.data()[i], body.data()[i + 1], body.data()[i + 2], 255];
                }
            }
            // Four legs under the body.
            let leg = (0..4).any(|k| {
                let lx = bx + body.width() / 5 + k * body.width() / 6;
                (lx..lx + w / 20).contains(&x) && (by + body.height() * 4 / 5..by + body.height() + h / 8).contains(&y)
            });
            if leg {
                p = [110, 60, 30, 255];
            }
            if p[3] == 255 && (x + y) % 7 == 0 {
                // Soft (but foreground) mask values here and there.
                p[3] = 180;
            }
            if x < 5 && y < 5 {
                p = [0, 255, 0, 255];
            }
            data.extend_from_slice(&p);
        }
    }
    RgbaImage::from_vec(w, h, data).unwrap()
}

fn decode_png(bytes: &[u8]) -> RgbaImage {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgba);
    buf.truncate(info.buffer_size());
    RgbaImage::from_vec(info.width, info.height, buf).unwrap()
}

/// Checks every invariant of a sheet made with `opts`.
fn check(s: &SpriteSheet, opts: &SpriteOptions) {
    let n = usize::from(opts.colours);
    assert!(!s.palette.is_empty() && s.palette.len() <= n);
    // The PNGs hold exactly the images.
    assert_eq!(decode_png(&s.sheet_png), s.sheet);
    assert_eq!(decode_png(&s.sprite_png), s.sprite);
    // Crisp, at most N + 1 colours, a closed outline.
    for img in [&s.sheet, &s.sprite] {
        assert!(img.data().chunks_exact(4).all(|p| p[3] == 0 || p[3] == 255));
        assert!(img.data().chunks_exact(4).all(|p| p[3] == 255 || p == [0; 4]));
        let colours = distinct_opaque(img);
        assert!(colours.len() <= n + 1, "{} colours", colours.len());
        assert!(colours.iter().all(|c| *c == s.outline || s.palette.contains(c)));
    }
    assert!(super::outline::tests::closed(&s.sprite, s.outline));
    assert!(s.sprite.height() <= opts.height + 2 && s.sprite.width() <= 2 * opts.height + 2);
    // The atlas: 14 frames of one size inside the sheet, each closed.
    assert_eq!(s.atlas.meta.size, AtlasSize { w: s.sheet.width(), h: s.sheet.height() });
    assert_eq!(s.atlas.frames.len(), 14);
    let lens: Vec<(&str, usize)> = s.atlas.animations.iter().map(|(k, v)| (k.as_str(), v.len())).collect();
    assert_eq!(lens, vec![("idle", 4), ("jump", 4), ("walk", 6)]);
    let first = s.atlas.frames["idle_0"].frame;
    for (name, f) in &s.atlas.frames {
        assert!(s.atlas.animations[name.split('_').next().unwrap()].contains(name));
        assert_eq!((f.frame.w, f.frame.h), (first.w, first.h));
        assert_eq!(f.source_size, AtlasSize { w: first.w, h: first.h });
        assert!(f.frame.x + f.frame.w <= s.sheet.width() && f.frame.y + f.frame.h <= s.sheet.height());
        let cell: Vec<u8> = (f.frame.y..f.frame.y + f.frame.h)
            .flat_map(|y| {
                let i = ((y * s.sheet.width() + f.frame.x) * 4) as usize;
                s.sheet.data()[i..i + (f.frame.w * 4) as usize].to_vec()
            })
            .collect();
        let cell = RgbaImage::from_vec(f.frame.w, f.frame.h, cell).unwrap();
        assert!(super::outline::tests::closed(&cell, s.outline), "{name}");
        assert!(cell.data().chunks_exact(4).any(|p| p[3] != 0), "{name} is empty");
    }
}

#[test]
fn a_photo_cutout_becomes_a_sheet() {
    let img = photo_cutout(320, 240);
    for opts in [SpriteOptions::default(), SpriteOptions { height: 32, colours: 8, dither: true }, SpriteOptions { height: 16, colours: 16, dither: false }] {
        let s = sprite_sheet(&img, &opts).unwrap();
        check(&s, &opts);
        // The palette is the pet's: the green speck and the hidden
        // background are gone.
        assert!(!s.palette.iter().any(|c| c[1] > 200 && c[0] < 100), "{:?}", s.palette);
    }
    let s = sprite_sheet(&img, &SpriteOptions::default()).unwrap();
    // A 48 px tall pet (the legs reach below the body: the subject is
    // taller than it is wide at 240 x 205).
    assert_eq!(s.sprite.height(), 48 + 2);
    let v: serde_json::Value = serde_json::from_str(&s.atlas.to_json()).unwrap();
    assert_eq!(v["meta"]["image"], "sheet.png");
}

#[test]
fn same_input_same_bytes() {
    let img = photo_cutout(200, 160);
    for dither in [false, true] {
        let opts = SpriteOptions { dither, ..SpriteOptions::default() };
        let a = sprite_sheet(&img, &opts).unwrap();
        let b = sprite_sheet(&img.clone(), &opts).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.atlas.to_json(), b.atlas.to_json());
    }
}

#[test]
fn errors() {
    let opts = SpriteOptions::default();
    assert_eq!(sprite_sheet(&RgbaImage::filled(64, 64, [200, 100, 0, 0]), &opts), Err(PixelArtError::NoForeground));
    assert_eq!(sprite_sheet(&RgbaImage::filled(64, 64, [200, 100, 0, 127]), &opts), Err(PixelArtError::NoForeground));
    assert_eq!(sprite_sheet(&RgbaImage::filled(0, 0, [0; 4]), &opts), Err(PixelArtError::NoForeground));
    assert_eq!(sprite_sheet(&RgbaImage::filled(7, 7, [1, 2, 3, 255]), &opts), Err(PixelArtError::TooSmall { pixels: 49, min: 64 }));
    assert!(matches!(sprite_sheet(&RgbaImage::filled(8000, 7000, [0; 4]), &opts), Err(PixelArtError::TooLarge { .. })));
    let line = RgbaImage::from_vec(200, 200, (0..200 * 200).flat_map(|i| if i % 200 == i / 200 { [9, 9, 9, 255] } else { [0; 4] }).collect()).unwrap();
    assert_eq!(sprite_sheet(&line, &SpriteOptions { height: 16, ..opts }), Err(PixelArtError::TooThin { height: 16 }));
    let img = pet(40, 40);
    assert_eq!(sprite_sheet(&img, &SpriteOptions { height: 15, ..opts }), Err(PixelArtError::Height(15)));
    assert_eq!(sprite_sheet(&img, &SpriteOptions { height: 129, ..opts }), Err(PixelArtError::Height(129)));
    assert_eq!(sprite_sheet(&img, &SpriteOptions { colours: 7, ..opts }), Err(PixelArtError::Colours(7)));
    assert_eq!(sprite_sheet(&img, &SpriteOptions { colours: 17, ..opts }), Err(PixelArtError::Colours(17)));
    assert_eq!(PixelArtError::NoForeground.code(), ErrorCode::InvalidRequest);
    assert_eq!(PixelArtError::Colours(7).code(), ErrorCode::InvalidOption);
}

#[test]
fn a_small_pet_is_upscaled_crisply() {
    // 12 x 10 = 120 px subject, drawn 32 px tall.
    let opts = SpriteOptions { height: 32, colours: 8, dither: false };
    let s = sprite_sheet(&pet(12, 10), &opts).unwrap();
    check(&s, &opts);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Random masks and colours never panic; whatever succeeds holds every
    /// invariant.
    #[test]
    fn random_cutouts(w in 1u32..48, h in 1u32..48, density in 0u8..=255, seed in any::<u64>(), height in 16u32..=40, colours in 8u8..=16, dither in any::<bool>()) {
        let mut x = seed | 1;
        let data: Vec<u8> = (0..w * h).flat_map(|_| {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            let b = x.to_le_bytes();
            [b[0], b[1], b[2], if b[3] < density { b[4] | 0x80 } else { b[4] & 0x7f }]
        }).collect();
        let img = RgbaImage::from_vec(w, h, data).unwrap();
        let opts = SpriteOptions { height, colours, dither };
        match sprite_sheet(&img, &opts) {
            Ok(s) => check(&s, &opts),
            Err(e) => prop_assert!(matches!(e, PixelArtError::NoForeground | PixelArtError::TooSmall { .. } | PixelArtError::TooThin { .. }), "{e}"),
        }
    }
}
