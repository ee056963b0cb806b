//! The view image of a protected asset and what the Worker derives from it:
//! the scrambled JPEG a ticket gets, and the reference a leak is compared
//! with.

use crate::codec::{self, Chroma, CodecError, Encoded, Limits};
use crate::pixel::{PixelError, RgbaImage};
use crate::protect::config::ProtectionConfig;
use crate::protect::grid::{Grid, MAX_VIEW_SIDE};
use crate::protect::{noise, overlay, watermark};
use crate::protect::scramble::{self, Layout};
use crate::transform::options::{self, OptionError, Options};
use crate::transform::pipeline::{self, TransformError};

/// JPEG quality of scrambled images: high, so that what the viewer sees
/// stays close to the view image before noise is added (at 92 the JPEG
/// alone costs up to 0.04 of SSIM on some photos, and the canvas left the
/// 0.95-0.98 band; at 97 every test photo keeps 0.956 or more at the
/// strongest noise).
pub const SCRAMBLED_QUALITY: u8 = 97;

/// The transformation that makes the view image: the upright original,
/// scaled down (never up) to fit `MAX_VIEW_SIDE` both ways.
pub fn options() -> Result<Options, OptionError> {
    options::parse(&format!("width={MAX_VIEW_SIDE},height={MAX_VIEW_SIDE},fit=scale-down"))
}

/// The view image of `source` (EXIF orientation applied).
pub fn render(source: &[u8], options: &Options, limits: &Limits) -> Result<RgbaImage, TransformError> {
    pipeline::run_pixels(source, options, limits)
}

/// The grid that cuts `view` for `config`.
pub fn grid(view: &RgbaImage, config: &ProtectionConfig) -> Grid {
    Grid::new(view.width(), view.height(), config.segment_count)
}

/// The scrambled image a ticket with `seed` gets, as a 4:4:4 JPEG (so that
/// no colour bleeds across tile edges), and its layout.
pub fn scrambled_jpeg(view: &RgbaImage, config: &ProtectionConfig, seed: &[u8]) -> Result<Encoded, CodecError> {
    let grid = grid(view, config);
    let layout = Layout::new(&grid, seed, config.rotation);
    let scrambled = scramble::scramble(view, &grid, &layout);
    codec::encode_jpeg(&scrambled, SCRAMBLED_QUALITY, [0, 0, 0], Chroma::Full)
}

/// What a viewer's canvas held before its watermark: the view image with
/// the config's overlay. Identification compares leaks with this.
pub fn reference(mut view: RgbaImage, config: &ProtectionConfig) -> RgbaImage {
    let (w, h) = (view.width(), view.height());
    // The buffer matches its own dimensions, so drawing cannot fail.
    let _ = overlay::draw(view.data_mut(), w, h, config.overlay_complexity);
    view
}

/// What a viewer's canvas shows for a ticket: `scrambled` (the ticket's
/// image decoded, padded-size RGBA) put back in order, then the viewer's
/// noise at the config's level from `seed`, the overlay, and, when the
/// config asks for it, the watermark carrying `payload`. The browser module
/// draws exactly these bytes.
///
/// The result is exactly [`scramble::descramble`], then [`noise::apply`],
/// [`overlay::draw`] and [`watermark::embed`] one after the other (each
/// clamping to 0..=255 before the next adds), but after the descramble it
/// makes one pass over the image instead of three, on each row's pixels
/// as words in place: each row gets its
/// noise and watermark offsets and the list of pixels the overlay covers;
/// uncovered pixels take noise and watermark in one clamped add
/// ([`noise::shift2_px`], the same bytes), and covered ones go through the
/// three stages in turn. This is the browser's
/// per-frame work, so it matters.
pub fn compose(scrambled: &[u8], grid: &Grid, config: &ProtectionConfig, seed: &[u8], payload: u64) -> Result<Vec<u8>, PixelError> {
    let mut out = vec![0u8; grid.width as usize * grid.height as usize * 4];
    compose_into(scrambled, grid, config, seed, payload, &mut out)?;
    Ok(out)
}

/// [`compose`] into `out` (`grid.width` x `grid.height` RGBA, whatever it
/// held before), so that a caller drawing frame after frame can keep one
/// buffer instead of allocating (and zeroing) 8 MB a frame.
pub fn compose_into(scrambled: &[u8], grid: &Grid, config: &ProtectionConfig, seed: &[u8], payload: u64, out: &mut [u8]) -> Result<(), PixelError> {
    let (w, h) = (grid.width, grid.height);
    let layout = Layout::new(grid, seed, config.rotation);
    scramble::descramble(scrambled, grid, &layout, out)?;
    if w == 0 || h == 0 {
        return Ok(());
    }
    let mut rows = Rows {
        noise: noise::Noise::new(out, w, h, config.noise_level, seed),
        overlay: overlay::Overlay::new(w, h, config.overlay_complexity),
        embedder: config.watermark.then(|| watermark::Embedder::new(w, h, payload, watermark::DEFAULT_STRENGTH)),
        noise_d: vec![0; w as usize],
        cover: vec![0; w as usize],
        hits: Vec::new(),
        mark_d: vec![0; w as usize],
        words: vec![0; w as usize],
        done: vec![0; w as usize],
    };
    for y in 0..h as usize {
        rows.compose(y, out);
    }
    Ok(())
}

/// The stages of [`compose_into`] after the descramble, row by row, with
/// their scratch rows.
struct Rows {
    noise: noise::Noise,
    overlay: overlay::Overlay,
    embedder: Option<watermark::Embedder>,
    noise_d: Vec<i32>,
    cover: Vec<u8>,
    hits: Vec<u32>,
    mark_d: Vec<i32>,
    words: Vec<u32>,
    done: Vec<u32>,
}

impl Rows {
    /// Row `y` of `out` (descrambled, `width` x `height` RGBA) gets its
    /// noise, overlay and watermark; rows must come in order.
    ///
    /// Kept out of line: wasm engines run a function in their baseline
    /// tier until it has run a while and its optimised code is ready, and
    /// use that code from its next call on. [`compose_into`] is called once
    /// a frame, this once a row, so it runs optimised from early in the
    /// first frame instead of from the second.
    #[inline(never)]
    fn compose(&mut self, y: usize, out: &mut [u8]) {
        let w = self.noise_d.len();
        self.noise.deltas(y, &mut self.noise_d);
        self.overlay.cover_row(y, &mut self.cover, &mut self.hits);
        match &self.embedder {
            Some(e) => e.deltas(y, &mut self.mark_d),
            None => self.mark_d.fill(0),
        }
        let Some(row) = out.get_mut(y * w * 4..(y + 1) * w * 4) else { return };
        match noise::as_words_mut(row) {
            Some(words) => self.shift(words),
            None => {
                let mut words = std::mem::take(&mut self.words);
                noise::load_row(row, &mut words);
                self.shift(&mut words);
                noise::store_row(&words, row);
                self.words = words;
            }
        }
        self.noise.advance(out, y);
    }

    /// The row's pixel words take the deltas and coverage computed for
    /// it. Covered pixels (a few percent) go through the three stages in
    /// turn, from their unchanged words, set aside in `done`; every pixel
    /// then takes noise and watermark in one clamped add, and the covered
    /// ones get their own results back.
    fn shift(&mut self, words: &mut [u32]) {
        for (o, &x) in self.done.iter_mut().zip(&self.hits) {
            let x = x as usize;
            if let (Some(&p), Some(&n), Some(c), Some(&m)) = (words.get(x), self.noise_d.get(x), self.cover.get_mut(x), self.mark_d.get(x)) {
                *o = noise::shift_px(overlay::shift_px(noise::shift_px(p, n), *c), m);
                *c = 0;
            }
        }
        noise::shift2_row(words, &self.noise_d, &self.mark_d);
        for (&o, &x) in self.done.iter().zip(&self.hits) {
            if let Some(p) = words.get_mut(x as usize) {
                *p = o;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protect::scramble;
    use sha2::{Digest, Sha256};

    /// A synthetic view that exercises every clamp and branch of compose:
    /// smooth gradients, flat white (the white boost) and flat black, a dark
    /// ramp (the dark-pixel limit), hard 0/255 edges and hashed texture
    /// (large window variances), with varying alpha.
    pub(crate) fn picture(w: u32, h: u32) -> RgbaImage {
        let mut data = Vec::with_capacity(w as usize * h as usize * 4);
        for y in 0..h {
            for x in 0..w {
                let hash = (x.wrapping_mul(0x9e37_79b1) ^ y.wrapping_mul(0x85eb_ca77)).wrapping_mul(0xc2b2_ae3d);
                let (u, v) = (x * 8 / w.max(1), y * 4 / h.max(1));
                let c = match (u + 8 * v) % 7 {
                    0 => [255, 255, 255],
                    1 => [0, 0, 0],
                    2 => [(x % 40) as u8, (y % 37) as u8, ((x + y) % 23) as u8],
                    3 => if (x / 3 + y / 5) % 2 == 0 { [0, 0, 0] } else { [255, 255, 255] },
                    4 => [(hash >> 24) as u8, (hash >> 16) as u8, (hash >> 8) as u8],
                    5 => [(x * 255 / w.max(1)) as u8, (y * 255 / h.max(1)) as u8, 250 + (hash >> 29) as u8],
                    _ => [253 + (hash >> 30) as u8, 128, 2 - (hash >> 31) as u8],
                };
                data.extend([c[0], c[1], c[2], (x ^ y) as u8 | 0x80]);
            }
        }
        RgbaImage::from_vec(w, h, data).unwrap()
    }

    fn compose_hash(w: u32, h: u32, config: &ProtectionConfig, seed: &[u8], payload: u64) -> String {
        let view = picture(w, h);
        let grid = grid(&view, config);
        let layout = Layout::new(&grid, seed, config.rotation);
        let scrambled = scramble::scramble(&view, &grid, &layout);
        let out = compose(scrambled.data(), &grid, config, seed, payload).unwrap();
        assert_eq!(out.len(), w as usize * h as usize * 4);
        Sha256::digest(&out).iter().take(12).map(|b| format!("{b:02x}")).collect()
    }

    /// Pins compose's exact bytes over sizes and every stage's options
    /// (the same bytes as the plain-JavaScript port's,
    /// `tests/quality/protect_port.test.mjs`).
    #[test]
    fn compose_known_answers() {
        let cfg = |noise_level: f32, segment_count: u32, rotation: bool, overlay_complexity: u8, watermark: bool| ProtectionConfig { noise_level, segment_count, rotation, overlay_complexity, watermark };
        let cases: Vec<(u32, u32, ProtectionConfig, u64, &str)> = vec![
            (1920, 1080, ProtectionConfig::default(), 0x0123_4567_89ab_cdef, "4002b98e9c1f5fbaa3c0e1f5"),
            (1920, 1080, cfg(0.3, 64, true, 4, true), 0xfedc_ba98_7654_3210, "d618cb00e37f572d0b9a50cd"),
            (1080, 1920, cfg(0.1, 16, false, 2, false), 7, "64777a9e9090c02060f5d1bf"),
            (97, 61, cfg(0.25, 16, true, 3, true), u64::MAX, "963c79eef2b7dea6d5d8045b"),
            (300, 7, cfg(0.2, 32, true, 4, true), 0, "92419d739c71101ac4e20225"),
            (7, 300, cfg(0.2, 32, false, 1, true), 1, "4cafec2de9200561abab2031"),
            (5, 3, cfg(0.3, 16, true, 4, true), 42, "c438192f53f55fca71900768"),
            (1, 1, cfg(0.3, 16, true, 4, true), 42, "5d18cbf9479510af68f2e532"),
            (64, 64, cfg(0.2, 16, true, 0, false), 42, "10a9644b99ec727fa458c5bc"),
        ];
        let mut got = Vec::new();
        for (w, h, config, payload, _) in &cases {
            got.push(compose_hash(*w, *h, config, b"compose known answer", *payload));
        }
        let wants: Vec<&str> = cases.iter().map(|c| c.4).collect();
        assert_eq!(got, wants);
    }

    /// Rows that cannot be seen as words in place (an unaligned buffer)
    /// take the copying path, with the same bytes.
    #[test]
    fn compose_into_an_unaligned_buffer() {
        let config = ProtectionConfig { noise_level: 0.3, segment_count: 16, rotation: true, overlay_complexity: 4, watermark: true };
        let view = picture(97, 61);
        let grid = grid(&view, &config);
        let layout = Layout::new(&grid, b"unaligned", config.rotation);
        let scrambled = scramble::scramble(&view, &grid, &layout);
        let aligned = compose(scrambled.data(), &grid, &config, b"unaligned", 9).unwrap();
        let mut buf = vec![0u8; aligned.len() + 1];
        let start = if buf.as_ptr() as usize % 4 == 0 { 1 } else { 0 };
        let out = &mut buf[start..start + aligned.len()];
        assert!(crate::protect::noise::as_words_mut(out).is_none());
        compose_into(scrambled.data(), &grid, &config, b"unaligned", 9, out).unwrap();
        assert!(out == &aligned[..]);
    }

    /// Per-stage and whole timings at 1920x1080, release build:
    /// `cargo test --release -p edgepix-core --lib protect::view::tests::timing -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn timing() {
        use std::time::Instant;
        let (w, h) = (1920, 1080);
        let view = crate::protect::noise::tests::pictures(w, h).swap_remove(7).1;
        let config = ProtectionConfig::default();
        let g = grid(&view, &config);
        let seed = b"timing";
        let layout = Layout::new(&g, seed, config.rotation);
        let scrambled = scramble::scramble(&view, &g, &layout);
        let med = |f: &mut dyn FnMut()| {
            let mut t: Vec<f64> = (0..21).map(|_| { let s = Instant::now(); f(); s.elapsed().as_secs_f64() * 1e3 }).collect();
            t.sort_by(f64::total_cmp);
            t[10]
        };
        let mut buf = view.data().to_vec();
        let de = med(&mut || scramble::descramble(scrambled.data(), &g, &layout, &mut buf).unwrap());
        let no = med(&mut || noise::apply(&mut buf, w, h, config.noise_level, seed).unwrap());
        let ov = med(&mut || overlay::draw(&mut buf, w, h, config.overlay_complexity).unwrap());
        let wm = med(&mut || watermark::embed(&mut buf, w, h, 0x0123_4567_89ab_cdef, watermark::DEFAULT_STRENGTH).unwrap());
        let all = med(&mut || { let _ = compose(scrambled.data(), &g, &config, seed, 0x0123_4567_89ab_cdef).unwrap(); });
        println!("1920x1080 median ms: descramble {de:.2}, noise {no:.2}, overlay(1) {ov:.2}, watermark {wm:.2}; compose {all:.2}");
    }
}
