//! Times the safe-blur gaussian natively:
//! `cargo run --release -p edgepix-core --example blur -- WIDTH HEIGHT STRENGTH RUNS`
//! blurs the whole of a WIDTHxHEIGHT image (the worst case: one region
//! covering everything) with a policy strength (`standard`, `enhanced`,
//! `full`) scaled to the image as policies scale it, and prints the median
//! milliseconds. Timings are printed, never asserted.

use std::time::Instant;

use edgepix_core::detect::{BoxXywh, Class, Detection};
use edgepix_core::pixel::RgbaImage;
use edgepix_core::policy::{Effect, Policy};
use edgepix_core::transform::effects;

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [w, h, strength, runs] = &args[..] else { return Err("usage: blur WIDTH HEIGHT STRENGTH RUNS".to_owned()) };
    let (w, h): (u32, u32) = (w.parse().map_err(|_| "WIDTH")?, h.parse().map_err(|_| "HEIGHT")?);
    let runs: usize = runs.parse().map_err(|_| "RUNS")?;
    let policy = Policy::from_json(&format!(r#"{{"classes": {{"FACE_FEMALE": "blur:{strength}"}}, "padding": 0}}"#)).map_err(|e| e.to_string())?;
    let whole = Detection { class: Class::FaceFemale, score: 1.0, bbox: BoxXywh { x: 0, y: 0, w: w as i32, h: h as i32 } };
    let plan = policy.plan(&[whole], w, h);
    let Some(r) = plan.first() else { return Err("nothing planned".to_owned()) };
    let Effect::Blur { kernel, sigma } = r.effect else { return Err("not a blur".to_owned()) };
    let data: Vec<u8> = (0..w * h).flat_map(|i| [(i % 251) as u8, (i % 241) as u8, (i % 239) as u8, 255]).collect();
    let src = RgbaImage::from_vec(w, h, data).map_err(|e| e.to_string())?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let mut img = src.clone();
        let started = Instant::now();
        effects::gaussian(&mut img, r.rect, kernel, sigma);
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!("{w}x{h} {strength} (kernel {kernel}, sigma {sigma:.1}): median {:.1} ms over {runs} runs", times[runs / 2]);
    Ok(())
}
