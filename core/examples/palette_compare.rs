//! Compares our k-means palettes (`pixelart::quantize`) with `imagequant`
//! (libimagequant, pngquant's quantiser):
//! `cargo run --release -p edgepix-core --example palette_compare -- [IMAGE...]`
//!
//! Each image (JPEG, PNG, GIF or WebP; by default those in
//! `~/.cache/edgepix/photos`, or synthetic ones when that is empty) is
//! downscaled to 48 px tall with `pixelart::downscale` (the whole image as
//! the subject: opaque photos stay opaque), then quantised to 8, 12 and 16
//! colours by both, without dithering. Printed: the mean ΔE in Oklab over
//! opaque pixels (lower is better; about 0.02 is just noticeable), the
//! median milliseconds of 7 runs (palette and remapping), and the ratios
//! ours / imagequant. Timings are printed, never asserted.
//!
//! Licence: `imagequant` is GPL-3.0-or-later. It is a dev-dependency of
//! `edgepix-core` used by this example only; nothing that ships (the
//! Worker, the browser module, the pool) links it, and it must stay so.

use std::time::Instant;

use edgepix_core::codec::{Limits, decode, probe};
use edgepix_core::pixel::RgbaImage;
use edgepix_core::pixelart::{downscale, quantize};

const RUNS: usize = 7;

fn median_ms(mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..RUNS)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[RUNS / 2]
}

/// `img` quantised to `n` colours by imagequant (speed 4, its default;
/// no dithering).
fn imagequant(img: &RgbaImage, n: u32) -> Result<RgbaImage, String> {
    let e = |e: imagequant::Error| e.to_string();
    let mut liq = imagequant::new();
    liq.set_max_colors(n).map_err(e)?;
    let px: Vec<imagequant::RGBA> = img.data().chunks_exact(4).map(|p| imagequant::RGBA::new(p[0], p[1], p[2], p[3])).collect();
    let mut image = liq.new_image(px, img.width() as usize, img.height() as usize, 0.0).map_err(e)?;
    let mut res = liq.quantize(&mut image).map_err(e)?;
    res.set_dithering_level(0.0).map_err(e)?;
    let (pal, idx) = res.remapped(&mut image).map_err(e)?;
    let data = idx.iter().flat_map(|&i| pal.get(usize::from(i)).map_or([0; 4], |c| [c.r, c.g, c.b, c.a])).collect();
    RgbaImage::from_vec(img.width(), img.height(), data).map_err(|e| e.to_string())
}

/// Synthetic test images when no photo is at hand.
fn synthetic() -> Vec<(String, RgbaImage)> {
    let make = |w: u32, h: u32, f: &dyn Fn(f64, f64) -> [u8; 4]| {
        let data = (0..h).flat_map(|y| (0..w).map(move |x| (x, y))).flat_map(|(x, y)| f(f64::from(x) / f64::from(w), f64::from(y) / f64::from(h))).collect();
        RgbaImage::from_vec(w, h, data).unwrap_or_else(|_| RgbaImage::filled(1, 1, [0; 4]))
    };
    let c = |v: f64| (v.clamp(0.0, 1.0) * 255.0) as u8;
    vec![
        ("synthetic: two-tone pet".to_owned(), make(400, 480, &|u, v| {
            let (x, y) = (u * 2.0 - 1.0, v * 2.0 - 1.0);
            if x * x + y * y > 0.9 { [0; 4] } else if x * x / 0.2 + (y - 0.3).powi(2) / 0.1 < 1.0 { [235, c(0.8 + 0.1 * y), 175, 255] } else { [c(0.6 + 0.25 * x), c(0.35 + 0.15 * y), c(0.15 + 0.1 * x * y), 255] }
        })),
        ("synthetic: hue sweep".to_owned(), make(640, 480, &|u, v| {
            let h = u * 6.0;
            let (r, g, b) = (((h - 3.0).abs() - 1.0), (2.0 - (h - 2.0).abs()), (2.0 - (h - 4.0).abs()));
            [c(r * (1.0 - v) + v * 0.5), c(g * (1.0 - v) + v * 0.5), c(b * (1.0 - v) + v * 0.5), 255]
        })),
        ("synthetic: plasma".to_owned(), make(512, 512, &|u, v| {
            let s = |a: f64| 0.5 + 0.5 * a.sin();
            [c(s(u * 13.0 + v * 5.0)), c(s(v * 11.0 - u * 3.0 + 1.0)), c(s((u + v) * 7.0 + 2.0) * 0.8), 255]
        })),
    ]
}

fn load(path: &str) -> Result<RgbaImage, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let limits = Limits::default();
    let p = probe(&bytes, &limits).map_err(|e| format!("{path}: {e}"))?;
    decode(&bytes, &p, None, &limits).map_err(|e| format!("{path}: {e}"))
}

fn main() -> Result<(), String> {
    let mut paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        let dir = std::path::PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/edgepix/photos");
        if let Ok(rd) = std::fs::read_dir(&dir) {
            paths = rd.filter_map(|e| e.ok()).map(|e| e.path().display().to_string()).filter(|p| [".png", ".jpg", ".jpeg"].iter().any(|x| p.to_lowercase().ends_with(x))).collect();
            paths.sort();
        }
    }
    let mut images: Vec<(String, RgbaImage)> = Vec::new();
    for p in &paths {
        let name = std::path::Path::new(p).file_name().map_or(p.clone(), |n| n.to_string_lossy().into_owned());
        images.push((name, load(p)?));
    }
    if images.is_empty() {
        images = synthetic();
    }
    println!("{:<28} {:>8} {:>3} | {:>8} {:>8} {:>6} | {:>8} {:>8} {:>6}", "image", "size", "n", "dE ours", "dE liq", "ratio", "ms ours", "ms liq", "ratio");
    let mut sums = [[0.0f64; 4]; 3];
    for (name, img) in &images {
        let small = downscale::downscale(img, 48);
        for (k, n) in [8u8, 12, 16].into_iter().enumerate() {
            let ours = quantize::quantize(&small, n, false).image;
            let liq = imagequant(&small, u32::from(n))?;
            let (e_ours, e_liq) = (quantize::mean_delta_e(&small, &ours), quantize::mean_delta_e(&small, &liq));
            let t_ours = median_ms(|| drop(quantize::quantize(&small, n, false)));
            let t_liq = median_ms(|| drop(imagequant(&small, u32::from(n))));
            for (s, v) in sums[k].iter_mut().zip([e_ours, e_liq, t_ours, t_liq]) {
                *s += v;
            }
            let size = format!("{}x{}", small.width(), small.height());
            println!("{name:<28.28} {size:>8} {n:>3} | {e_ours:>8.4} {e_liq:>8.4} {:>6.2} | {t_ours:>8.2} {t_liq:>8.2} {:>6.2}", e_ours / e_liq, t_ours / t_liq);
        }
    }
    let m = images.len() as f64;
    for (k, n) in [8, 12, 16].into_iter().enumerate() {
        let [eo, el, to, tl] = sums[k].map(|v| v / m);
        println!("{:<28} {:>8} {n:>3} | {eo:>8.4} {el:>8.4} {:>6.2} | {to:>8.2} {tl:>8.2} {:>6.2}", "mean", "", eo / el, to / tl);
    }
    Ok(())
}
