use super::*;
use crate::codec::{Limits, OutputFormat, decode, encode, probe};
use crate::pixel::Rect;
use crate::transform::resample::{extract as crop, resize};

/// A textured test image: sums of sinusoids, smooth random blobs, hard
/// edges and a flat area, different for each seed.
fn synthetic(w: u32, h: u32, seed: u64) -> RgbaImage {
    let mut rng = Prng::derive("test/watermark", &seed.to_le_bytes());
    let mut unit = || f64::from(rng.next_u32()) / f64::from(u32::MAX);
    let waves: Vec<[f64; 4]> = (0..6)
        .map(|_| {
            [
                unit() * 0.08,
                unit() * 0.08,
                unit() * 6.3,
                10.0 + unit() * 25.0,
            ]
        })
        .collect();
    let blobs: Vec<[f64; 5]> = (0..12)
        .map(|_| {
            [
                unit() * f64::from(w),
                unit() * f64::from(h),
                15.0 + unit() * 60.0,
                unit() * 120.0 - 60.0,
                unit() * 2.0,
            ]
        })
        .collect();
    let rects: Vec<[f64; 5]> = (0..5)
        .map(|_| {
            [
                unit() * f64::from(w),
                unit() * f64::from(h),
                30.0 + unit() * 120.0,
                30.0 + unit() * 120.0,
                unit() * 80.0 - 40.0,
            ]
        })
        .collect();
    let mut data = Vec::with_capacity((w * h * 4) as usize);
    for y in 0..h {
        for x in 0..w {
            let (fx, fy) = (f64::from(x), f64::from(y));
            let flat = fx > f64::from(w) * 0.8 && fy > f64::from(h) * 0.75;
            let mut v = 128.0;
            if !flat {
                for [a, b, ph, amp] in &waves {
                    v += amp * (a * fx + b * fy + ph).sin();
                }
                for [cx, cy, r, amp, _] in &blobs {
                    let d2 = ((fx - cx).powi(2) + (fy - cy).powi(2)) / (r * r);
                    v += amp * (-d2).exp();
                }
                for [rx, ry, rw, rh, amp] in &rects {
                    if fx >= *rx && fx < rx + rw && fy >= *ry && fy < ry + rh {
                        v += amp;
                    }
                }
            }
            let c = |k: f64| (v * k).round().clamp(0.0, 255.0) as u8;
            data.extend_from_slice(&[c(1.0), c(0.9), c(1.1), 255]);
        }
    }
    RgbaImage::from_vec(w, h, data).unwrap()
}

fn watermarked(img: &RgbaImage, payload: u64) -> RgbaImage {
    let mut out = img.clone();
    let (w, h) = (out.width(), out.height());
    embed(out.data_mut(), w, h, payload, DEFAULT_STRENGTH).unwrap();
    out
}

fn jpeg(img: &RgbaImage, q: u8) -> RgbaImage {
    let bytes = encode(img, OutputFormat::Jpeg, q, [0, 0, 0]).unwrap().bytes;
    let limits = Limits::default();
    let p = probe(&bytes, &limits).unwrap();
    decode(&bytes, &p, None, &limits).unwrap()
}

fn noisy(img: &RgbaImage, amp: i32, seed: &[u8]) -> RgbaImage {
    let mut rng = Prng::derive("test/noise", seed);
    let mut out = img.clone();
    for px in out.data_mut().chunks_exact_mut(4) {
        for c in &mut px[..3] {
            let d = rng.below((2 * amp + 1) as u32) as i32 - amp;
            *c = (i32::from(*c) + d).clamp(0, 255) as u8;
        }
    }
    out
}

const PAYLOAD: u64 = 0x9d3c_51a7_0e84_b2f6;

fn assert_recovers(leak: &RgbaImage, reference: &RgbaImage, what: &str) -> Extraction {
    let ex = extract(leak, reference).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(
        (ex.bits ^ PAYLOAD).count_ones(),
        0,
        "{what}: bits {:016x} soft {:?} reg {:?}",
        ex.bits,
        ex.soft,
        ex.registration
    );
    ex
}

#[test]
fn layout_gives_each_bit_sixteen_balanced_cells() {
    let l = layout();
    for b in 0..PAYLOAD_BITS as u8 {
        let cells: Vec<_> = l.iter().filter(|(bit, _)| *bit == b).collect();
        assert_eq!(cells.len(), GRID * GRID / PAYLOAD_BITS);
        assert_eq!(cells.iter().map(|(_, c)| i32::from(*c)).sum::<i32>(), 0);
    }
}

#[test]
fn embed_is_faint_deterministic_and_leaves_alpha() {
    let mut img = synthetic(640, 480, 1);
    for (i, px) in img.data_mut().chunks_exact_mut(4).enumerate() {
        px[3] = (i % 251) as u8;
    }
    let a = watermarked(&img, PAYLOAD);
    assert_eq!(a, watermarked(&img, PAYLOAD));
    assert_ne!(a, watermarked(&img, PAYLOAD ^ 1));
    let mut se = 0f64;
    let mut max = 0;
    for (p, q) in img.data().chunks_exact(4).zip(a.data().chunks_exact(4)) {
        assert_eq!(p[3], q[3]);
        for c in 0..3 {
            let d = i32::from(p[c]) - i32::from(q[c]);
            max = max.max(d.abs());
            se += f64::from(d * d);
        }
    }
    let mse = se / (640.0 * 480.0 * 3.0);
    let psnr = 10.0 * (255.0f64 * 255.0 / mse).log10();
    assert!(max <= 2, "max change {max}");
    assert!(psnr >= 42.0, "PSNR {psnr}");
}

#[test]
fn embed_rejects_wrong_buffers_and_survives_tiny_images() {
    let mut buf = vec![0u8; 15];
    assert!(matches!(
        embed(&mut buf, 2, 2, 1, 32),
        Err(PixelError::BufferSize { .. })
    ));
    for (w, h) in [(1u32, 1u32), (3, 200), (200, 3), (0, 0), (33, 31)] {
        let mut buf = vec![128u8; (w * h * 4) as usize];
        embed(&mut buf, w, h, u64::MAX, 255).unwrap();
        assert!(buf.iter().all(|&v| (128 - 16..=128 + 16).contains(&v)));
    }
    let mut black = vec![0u8; 64 * 64 * 4];
    embed(&mut black, 64, 64, PAYLOAD, DEFAULT_STRENGTH).unwrap();
}

#[test]
fn recovers_from_the_untouched_canvas() {
    let reference = synthetic(640, 480, 2);
    let ex = assert_recovers(&watermarked(&reference, PAYLOAD), &reference, "untouched");
    let r = ex.registration;
    assert_eq!(
        (r.scale, r.scale_y, r.offset_x, r.offset_y),
        (1.0, 1.0, 0.0, 0.0),
        "{r:?}"
    );
    assert!(ex.z(PAYLOAD) > 7.0, "z {}", ex.z(PAYLOAD));
    assert_eq!(ex.cells_used as usize, GRID * GRID);
}

#[test]
fn recovers_after_jpeg_q50_and_noise() {
    let reference = synthetic(640, 480, 3);
    let leak = jpeg(&noisy(&watermarked(&reference, PAYLOAD), 3, b"viewer"), 50);
    assert_recovers(&leak, &reference, "noise + jpeg q50");
    assert_recovers(
        &noisy(&watermarked(&reference, PAYLOAD), 3, b"n2"),
        &reference,
        "noise",
    );
}

#[test]
fn recovers_after_scaling_to_75_percent() {
    let reference = synthetic(640, 480, 4);
    let wm = watermarked(&reference, PAYLOAD);
    let leak = resize(
        wm,
        Rect {
            x: 0,
            y: 0,
            w: 640,
            h: 480,
        },
        (480, 360),
    );
    let ex = assert_recovers(&leak, &reference, "scale 75 %");
    assert!(
        (ex.registration.scale - 0.75).abs() < 1e-3,
        "{:?}",
        ex.registration
    );
    let leak = resize(
        watermarked(&reference, PAYLOAD),
        Rect {
            x: 0,
            y: 0,
            w: 640,
            h: 480,
        },
        (896, 672),
    );
    assert_recovers(&jpeg(&leak, 75), &reference, "scale 140 % + jpeg q75");
}

#[test]
fn recovers_after_crops() {
    let reference = synthetic(640, 480, 5);
    let wm = watermarked(&reference, PAYLOAD);
    let centre = crop(
        &wm,
        Rect {
            x: 32,
            y: 24,
            w: 576,
            h: 432,
        },
    );
    let ex = assert_recovers(&centre, &reference, "centre crop");
    assert!(
        (ex.registration.offset_x - 32.0).abs() < 0.05
            && (ex.registration.offset_y - 24.0).abs() < 0.05,
        "{:?}",
        ex.registration
    );
    let corner = crop(
        &wm,
        Rect {
            x: 64,
            y: 48,
            w: 576,
            h: 432,
        },
    );
    assert_recovers(&jpeg(&corner, 75), &reference, "corner crop + jpeg q75");
    let scaled = resize(
        wm,
        Rect {
            x: 100,
            y: 0,
            w: 440,
            h: 400,
        },
        (330, 300),
    );
    assert_recovers(&scaled, &reference, "crop + scale");
}

#[test]
fn identify_picks_the_payload_among_decoys_and_refuses_without_it() {
    let reference = synthetic(640, 480, 6);
    let leak = jpeg(
        &resize(
            watermarked(&reference, PAYLOAD),
            Rect {
                x: 0,
                y: 0,
                w: 640,
                h: 480,
            },
            (480, 360),
        ),
        75,
    );
    let ex = extract(&leak, &reference).unwrap();
    let mut rng = Prng::derive("test/decoys", b"1000");
    let mut candidates: Vec<u64> = (0..1000)
        .map(|_| u64::from(rng.next_u32()) << 32 | u64::from(rng.next_u32()))
        .collect();
    let absent = identify(&ex, &candidates);
    assert_eq!(absent, None);
    candidates.insert(417, PAYLOAD);
    let m = identify(&ex, &candidates).unwrap();
    assert_eq!(m.index, 417);
    assert!(m.z >= z_threshold(candidates.len()));
    // A duplicate is never a confident match.
    candidates.push(PAYLOAD);
    assert_eq!(identify(&ex, &candidates), None);
    assert_eq!(identify(&ex, &[]), None);
}

#[test]
fn unrelated_images_never_match_confidently() {
    let reference = synthetic(640, 480, 7);
    let mut rng = Prng::derive("test/decoys", b"unrelated");
    let candidates: Vec<u64> = (0..1000)
        .map(|_| u64::from(rng.next_u32()) << 32 | u64::from(rng.next_u32()))
        .chain([PAYLOAD])
        .collect();
    for seed in [8, 9, 10] {
        let other = watermarked(&synthetic(640, 480, seed), PAYLOAD);
        match extract(&other, &reference) {
            Err(_) => {}
            Ok(ex) => assert_eq!(
                identify(&ex, &candidates),
                None,
                "seed {seed}: {:?}",
                ex.registration
            ),
        }
    }
    // The watermark needs its own reference: a different payload's copy is
    // not named.
    let leak = watermarked(&reference, PAYLOAD ^ 0xffff_0000_ffff_0000);
    let ex = extract(&leak, &reference).unwrap();
    assert_eq!(identify(&ex, &[PAYLOAD]), None);
}

#[test]
fn never_panics_on_odd_inputs() {
    let reference = synthetic(640, 480, 11);
    let small = [
        RgbaImage::filled(1, 1, [0, 0, 0, 255]),
        RgbaImage::filled(3, 200, [9, 9, 9, 255]),
        RgbaImage::filled(200, 3, [9, 9, 9, 255]),
    ];
    for s in &small {
        assert_eq!(extract(s, &reference), Err(WatermarkError::TooSmall));
        assert_eq!(extract(&reference, s), Err(WatermarkError::TooSmall));
    }
    let black = RgbaImage::filled(640, 480, [0, 0, 0, 255]);
    assert!(extract(&black, &reference).is_err());
    assert!(extract(&reference, &black).is_err());
    assert!(extract(&black, &black).is_err());
    let wide = synthetic(900, 100, 12);
    assert!(extract(&wide, &reference).is_err());
    let odd = [
        synthetic(48, 48, 13),
        synthetic(640, 50, 14),
        synthetic(50, 480, 15),
        synthetic(333, 257, 16),
    ];
    for o in &odd {
        let _ = extract(o, &reference);
        let _ = extract(&reference, o);
        let _ = extract(o, o);
    }
}
