//! Robustness of the forensic watermark on real photos.
//!
//! `cargo run --release -p edgepix-core --example watermark_robustness -- DIR`
//! (or `EDGEPIX_PHOTOS=DIR`): each photo is resized to a 1024 px view,
//! watermarked with a random payload and attacked; the table gives the bit
//! error rate, the z-score of the true payload, the best of 1000 random
//! decoys and whether `identify` names the true payload among them. Then
//! it times `embed` and `extract` at 1920x1080.

use std::time::Instant;

use edgepix_core::codec::{Limits, OutputFormat, decode, encode, probe};
use edgepix_core::pixel::{Rect, RgbaImage};
use edgepix_core::protect::prng::Prng;
use edgepix_core::protect::watermark::{DEFAULT_STRENGTH, embed, extract, identify, z_threshold};
use edgepix_core::transform::resample::{extract as crop, resize};

fn load(path: &std::path::Path) -> Option<RgbaImage> {
    let bytes = std::fs::read(path).ok()?;
    let limits = Limits::default();
    let p = probe(&bytes, &limits).ok()?;
    decode(&bytes, &p, None, &limits).ok()
}

fn jpeg(img: &RgbaImage, q: u8) -> RgbaImage {
    let bytes = encode(img, OutputFormat::Jpeg, q, [0, 0, 0])
        .map(|e| e.bytes)
        .unwrap_or_default();
    let limits = Limits::default();
    probe(&bytes, &limits)
        .and_then(|p| decode(&bytes, &p, None, &limits))
        .unwrap_or_else(|_| RgbaImage::filled(1, 1, [0, 0, 0, 255]))
}

fn full(img: &RgbaImage) -> Rect {
    Rect {
        x: 0,
        y: 0,
        w: img.width(),
        h: img.height(),
    }
}

fn scale(img: &RgbaImage, f: f64) -> RgbaImage {
    let to = (
        (f64::from(img.width()) * f).round() as u32,
        (f64::from(img.height()) * f).round() as u32,
    );
    resize(img.clone(), full(img), to)
}

/// Per-viewer noise: ±3 levels per channel.
fn noisy(img: &RgbaImage, seed: &[u8]) -> RgbaImage {
    let mut rng = Prng::derive("example/noise", seed);
    let mut out = img.clone();
    for px in out.data_mut().chunks_exact_mut(4) {
        for c in &mut px[..3] {
            *c = (i32::from(*c) + rng.below(7) as i32 - 3).clamp(0, 255) as u8;
        }
    }
    out
}

fn random_u64(rng: &mut Prng) -> u64 {
    u64::from(rng.next_u32()) << 32 | u64::from(rng.next_u32())
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("EDGEPIX_PHOTOS").ok())
        .unwrap_or_else(|| {
            eprintln!("usage: watermark_robustness PHOTO_DIR (or EDGEPIX_PHOTOS)");
            std::process::exit(2)
        });
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    paths.sort();
    let mut rng = Prng::derive("example/watermark", b"payloads");
    let decoys: Vec<u64> = (0..1000).map(|_| random_u64(&mut rng)).collect();
    println!(
        "strength {DEFAULT_STRENGTH}/16 levels; identify threshold for 1001 candidates: z >= {:.2}\n",
        z_threshold(decoys.len() + 1)
    );
    println!("| photo | view | attack | BER | z true | best decoy z | identified | extract ms |");
    println!("|---|---|---|---|---|---|---|---|");
    let mut tally = std::collections::BTreeMap::<&str, (u32, u32)>::new();
    for path in &paths {
        let Some(img) = load(path) else { continue };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let f = 1024.0 / f64::from(img.width().max(img.height()));
        let view = scale(&img, f);
        let (w, h) = (view.width(), view.height());
        let payload = random_u64(&mut rng);
        let mut marked = view.clone();
        if embed(marked.data_mut(), w, h, payload, DEFAULT_STRENGTH).is_err() {
            continue;
        }
        let canvas = noisy(&marked, name.as_bytes());
        let (cw, ch) = (w / 20, h / 20);
        let attacks: Vec<(&str, RgbaImage)> = vec![
            ("none", canvas.clone()),
            ("JPEG q90", jpeg(&canvas, 90)),
            ("JPEG q75", jpeg(&canvas, 75)),
            ("JPEG q50", jpeg(&canvas, 50)),
            ("scale 75 %", scale(&canvas, 0.75)),
            (
                "crop 10 % centre",
                crop(
                    &canvas,
                    Rect {
                        x: cw,
                        y: ch,
                        w: w - 2 * cw,
                        h: h - 2 * ch,
                    },
                ),
            ),
            (
                "crop 10 % corner",
                crop(
                    &canvas,
                    Rect {
                        x: 2 * cw,
                        y: 2 * ch,
                        w: w - 2 * cw,
                        h: h - 2 * ch,
                    },
                ),
            ),
            ("scale 75 % + JPEG q75", jpeg(&scale(&canvas, 0.75), 75)),
            ("scale 50 % + JPEG q75", jpeg(&scale(&canvas, 0.5), 75)),
            (
                "crop 25 % + scale 140 % + q75",
                jpeg(
                    &resize(
                        canvas.clone(),
                        Rect {
                            x: w / 8,
                            y: h / 8,
                            w: w * 3 / 4,
                            h: h * 3 / 4,
                        },
                        (w * 21 / 20, h * 21 / 20),
                    ),
                    75,
                ),
            ),
        ];
        for (attack, leak) in attacks {
            let t = Instant::now();
            let result = extract(&leak, &view);
            let ms = t.elapsed().as_secs_f64() * 1e3;
            let entry = tally.entry(attack).or_default();
            entry.1 += 1;
            match result {
                Ok(ex) => {
                    let mut candidates = decoys.clone();
                    candidates.push(payload);
                    let m = identify(&ex, &candidates);
                    let ok = m.is_some_and(|m| m.index == decoys.len());
                    let best_decoy = decoys
                        .iter()
                        .map(|&d| ex.z(d))
                        .fold(f64::NEG_INFINITY, f64::max);
                    if ok {
                        entry.0 += 1;
                    }
                    println!(
                        "| {name} | {w}x{h} | {attack} | {:.3} | {:.2} | {:.2} | {} | {ms:.0} |",
                        ex.bit_error_rate(payload),
                        ex.z(payload),
                        best_decoy,
                        if ok { "yes" } else { "no" }
                    );
                }
                Err(e) => {
                    println!("| {name} | {w}x{h} | {attack} | - | - | - | no ({e}) | {ms:.0} |")
                }
            }
        }
    }
    println!("\n| attack | identified |\n|---|---|");
    for (attack, (ok, n)) in &tally {
        println!("| {attack} | {ok}/{n} |");
    }
    // Timings at 1920x1080.
    let Some(img) = paths.iter().find_map(|p| load(p)) else {
        return;
    };
    let view = resize(img.clone(), full(&img), (1920, 1080));
    let mut marked = view.clone();
    let t = Instant::now();
    let runs = 5;
    for i in 0..runs {
        marked = view.clone();
        let _ = embed(marked.data_mut(), 1920, 1080, i, DEFAULT_STRENGTH);
    }
    let embed_ms = t.elapsed().as_secs_f64() * 1e3 / runs as f64;
    let leak = jpeg(&noisy(&marked, b"timing"), 75);
    let t = Instant::now();
    let mut ok = false;
    for _ in 0..runs {
        ok = extract(&leak, &view).is_ok_and(|ex| ex.bits == runs - 1);
    }
    let extract_ms = t.elapsed().as_secs_f64() * 1e3 / runs as f64;
    let small = scale(&leak, 0.75);
    let t = Instant::now();
    let ok2 = extract(&small, &view).is_ok_and(|ex| ex.bits == runs - 1);
    let extract_scaled_ms = t.elapsed().as_secs_f64() * 1e3;
    println!(
        "\n1920x1080: embed {embed_ms:.1} ms; extract (canvas + JPEG q75) {extract_ms:.0} ms (all bits: {ok}); extract (75 % + q75) {extract_scaled_ms:.0} ms (all bits: {ok2})"
    );
}
