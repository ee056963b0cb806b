//! What each step of protected viewing costs in SSIM against the view
//! image, on real photos: the scrambled JPEG (reassembled), then per-viewer
//! noise, overlay and watermark, as `protect::view::compose` stacks them.
//!
//! `cargo run --release -p edgepix-core --example protect_ssim -- PHOTOS_DIR [WIDTH]`
//! (WIDTH: scale each photo to this width first; default its own size).

use edgepix_core::codec::{self, Chroma, Limits};
use edgepix_core::pixel::{Rect, RgbaImage};
use edgepix_core::protect::config::ProtectionConfig;
use edgepix_core::protect::grid::Grid;
use edgepix_core::protect::scramble::{self, Layout};
use edgepix_core::protect::{noise, overlay, ssim, view, watermark};
use edgepix_core::transform::resample;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let dir = args.get(1).ok_or("usage: protect_ssim PHOTOS_DIR [WIDTH]")?;
    let width: Option<u32> = args.get(2).and_then(|w| w.parse().ok());
    let mut names: Vec<_> = std::fs::read_dir(dir)?.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    names.sort();
    println!("| photo | size | JPEG q{} (reassembled) | + noise 0.1 / 0.2 / 0.3 | + overlay 1 + watermark, 0.1 / 0.2 / 0.3 |", view::SCRAMBLED_QUALITY);
    println!("|---|---|---|---|---|");
    let limits = Limits::default();
    for path in names {
        let bytes = std::fs::read(&path)?;
        let probe = codec::probe(&bytes, &limits)?;
        let mut img = codec::decode(&bytes, &probe, None, &limits)?;
        if let Some(tw) = width {
            let (w, h) = (img.width(), img.height());
            img = resample::resize(img, Rect { x: 0, y: 0, w, h }, (tw, (tw * h + w / 2) / w));
        }
        let (w, h) = (img.width(), img.height());
        let grid = Grid::new(w, h, 32);
        let layout = Layout::new(&grid, b"seed", true);
        let jpeg = codec::encode_jpeg(&scramble::scramble(&img, &grid, &layout), view::SCRAMBLED_QUALITY, [0, 0, 0], Chroma::Full)?;
        let probe = codec::probe(&jpeg.bytes, &limits)?;
        let scrambled = codec::decode(&jpeg.bytes, &probe, None, &limits)?;
        let mut base = vec![0u8; w as usize * h as usize * 4];
        scramble::descramble(scrambled.data(), &grid, &layout, &mut base)?;
        let s = |buf: &[u8]| ssim::ssim(buf, img.data(), w, h).unwrap_or(f64::NAN);
        let mut alone = Vec::new();
        let mut all = Vec::new();
        for level in [0.1f32, 0.2, 0.3] {
            let mut b = base.clone();
            noise::apply(&mut b, w, h, level, b"seed")?;
            alone.push(format!("{:.4}", s(&b)));
            let config = ProtectionConfig { noise_level: level, ..ProtectionConfig::default() };
            overlay::draw(&mut b, w, h, config.overlay_complexity)?;
            watermark::embed(&mut b, w, h, 0x1234_5678_9abc_def0, watermark::DEFAULT_STRENGTH)?;
            all.push(format!("{:.4}", s(&b)));
        }
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        println!("| {name} | {w}x{h} | {:.4} | {} | {} |", s(&base), alone.join(" / "), all.join(" / "));
        let _ = RgbaImage::filled(1, 1, [0; 4]);
    }
    Ok(())
}
