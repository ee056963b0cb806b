//! The transformation pipeline: bytes and options in, encoded image out.
//!
//! Steps, each on the smallest buffer that will do:
//! 1. probe the header and check limits (no pixel decoded yet);
//! 2. compose EXIF orientation, `flip` and `rotate` into one
//!    [`Orientation`]; plan the geometry in the upright frame;
//! 3. decode, shrinking JPEGs during the DCT to the smallest scale that
//!    still covers the crop at its output size;
//! 4. apply source regions (blur/pixelate), crop and resample (Lanczos3)
//!    in the stored frame, then move pixels into the upright frame once,
//!    on the small result;
//! 5. pad, effects (pixelate, blur, sharpen, colour), encode.
//!
//! A JPEG into a JPEG or a WebP that is only cropped, resampled and
//! oriented (the usual CDN request) stays in YCbCr instead: the decoder's
//! planes are resampled one channel at a time and go into the encoder as
//! they are (see [`codec::decode_ycc`]).
//!
//! At most the decoded buffer and one output-sized buffer are alive at once.

use serde::Serialize;
use thiserror::Error;

use super::effects;
use super::geometry::{self, GeometryError};
use super::options::{Format, Options, RegionEffect, Sharpen, negotiate};
use super::orient::Orientation;
use super::resample;
use crate::codec::{self, CodecError, Limits, OutputFormat, Probe};
use crate::pixel::{Rect, RgbaImage};
use crate::policy::Redaction;

/// Why a transformation failed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransformError {
    /// Reading or writing the image failed.
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// The requested geometry is impossible or too large.
    #[error(transparent)]
    Geometry(#[from] GeometryError),
}

/// What `format=json` answers, as Cloudflare's does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImageInfo {
    /// Output width.
    pub width: u32,
    /// Output height.
    pub height: u32,
    /// The source.
    pub original: OriginalInfo,
}

/// The source as `format=json` describes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OriginalInfo {
    /// Bytes of the source file.
    pub file_size: usize,
    /// Upright width.
    pub width: u32,
    /// Upright height.
    pub height: u32,
    /// Source media type.
    pub format: &'static str,
}

/// A transformation's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// An encoded image.
    Image(codec::Encoded),
    /// `format=json`.
    Json(ImageInfo),
}

/// The output formats this engine writes for `format=auto`.
pub const AUTO_FORMATS: [Format; 1] = [Format::Webp];

/// The output format `opts` asks for, given the request's `Accept` header
/// and whether the source may have alpha. `None` for `format=json`.
///
/// `format=avif` gives WebP. Cloudflare serves the requested format on a
/// best-effort basis and falls back when encoding would take too long;
/// every AVIF encoder measured is far beyond a request's CPU time here
/// (docs/images.md), so a URL written for Cloudflare keeps working, with
/// the next-best format its `Content-Type` names.
pub fn output_format(opts: &Options, accept: Option<&str>, has_alpha: bool) -> Option<OutputFormat> {
    let requested = opts.format.unwrap_or(Format::Auto);
    let format = if requested == Format::Auto { negotiate(accept, &AUTO_FORMATS, has_alpha) } else { requested };
    match format {
        Format::Json => None,
        Format::Jpeg | Format::BaselineJpeg => Some(OutputFormat::Jpeg),
        Format::Png => Some(OutputFormat::Png),
        Format::Webp | Format::Avif => Some(OutputFormat::Webp),
        Format::Auto => Some(if has_alpha { OutputFormat::Png } else { OutputFormat::Jpeg }),
    }
}

/// Runs `opts` on `source`, writing `format` (`None`: `format=json`; the
/// caller resolves it with [`output_format`], since it is part of the
/// cache key).
pub fn run(source: &[u8], opts: &Options, format: Option<OutputFormat>, limits: &Limits) -> Result<Output, TransformError> {
    run_with(source, opts, format, limits, &[])
}

/// [`run`], with `redactions` (a safe-blur policy's plan, in upright source
/// pixels) applied to the source before anything else changes it.
pub fn run_with(source: &[u8], opts: &Options, format: Option<OutputFormat>, limits: &Limits, redactions: &[Redaction]) -> Result<Output, TransformError> {
    let probe = codec::probe(source, limits)?;
    let exif = Orientation::from_exif(probe.orientation);
    let (uw, uh) = exif.output_size(probe.width, probe.height);
    let plan = geometry::plan_oriented(probe.width, probe.height, exif, opts)?;
    let Some(format) = format else {
        return Ok(Output::Json(ImageInfo {
            width: plan.canvas.0,
            height: plan.canvas.1,
            original: OriginalInfo { file_size: source.len(), width: uw, height: uh, format: probe.format.mime() },
        }));
    };
    for (w, h) in [plan.canvas, plan.resize_to] {
        let needed = u64::from(w) * u64::from(h) * 4;
        if needed > limits.output_budget {
            return Err(CodecError::OverBudget { needed, budget: limits.output_budget }.into());
        }
    }
    // A JPEG into a JPEG or a WebP, only cropped, resampled and oriented:
    // in YCbCr.
    if matches!(format, OutputFormat::Jpeg | OutputFormat::Webp)
        && redactions.is_empty()
        && only_resamples(opts, &plan)
        && let Some(encoded) = render_ycc(source, &probe, opts, &plan, format, limits)?
    {
        return Ok(Output::Image(encoded));
    }
    let img = render(source, &probe, exif, opts, &plan, limits, redactions)?;
    let background = opts.background.map_or([255, 255, 255], |c| [c.r, c.g, c.b]);
    Ok(Output::Image(codec::encode(&img, format, opts.quality.value(), background)?))
}

/// Runs `opts` on `source` up to the pixels, without encoding (for callers
/// that keep working on them, as protected viewing does).
pub fn run_pixels(source: &[u8], opts: &Options, limits: &Limits) -> Result<RgbaImage, TransformError> {
    let probe = codec::probe(source, limits)?;
    let exif = Orientation::from_exif(probe.orientation);
    let plan = geometry::plan_oriented(probe.width, probe.height, exif, opts)?;
    for (w, h) in [plan.canvas, plan.resize_to] {
        let needed = u64::from(w) * u64::from(h) * 4;
        if needed > limits.output_budget {
            return Err(CodecError::OverBudget { needed, budget: limits.output_budget }.into());
        }
    }
    render(source, &probe, exif, opts, &plan, limits, &[])
}

fn render(source: &[u8], probe: &Probe, exif: Orientation, opts: &Options, plan: &geometry::Geometry, limits: &Limits, redactions: &[Redaction]) -> Result<RgbaImage, TransformError> {
    let (sw, sh) = (probe.width, probe.height);
    let crop = kept(probe, plan);
    let (rw, rh) = plan.resize_to;
    let need = decode_size(probe, plan, limits);
    let mut img = codec::decode(source, probe, Some(need), limits)?;
    if let Some(icc) = codec::icc_profile(source, probe) {
        codec::to_srgb(&mut img, &icc);
    }
    let (kx, ky) = (f64::from(img.width()) / f64::from(sw), f64::from(img.height()) / f64::from(sh));

    // Redactions and regions are in upright source pixels: map them to the
    // decoded frame, scaling their sizes with it.
    let (uw, uh) = exif.output_size(sw, sh);
    let oriented: Vec<Redaction> = redactions.iter().map(|r| Redaction { rect: exif.rect_to_source(r.rect.clamp_to(uw, uh), sw, sh), ..*r }).collect();
    crate::policy::apply(&mut img, &oriented, (sw, sh));
    for region in &opts.regions {
        let r = region.rect().clamp_to(exif.output_size(sw, sh).0, exif.output_size(sw, sh).1);
        if r.is_empty() {
            continue;
        }
        let stored = exif.rect_to_source(r, sw, sh).scaled(kx, ky);
        match region.effect() {
            RegionEffect::Blur(radius) => effects::blur(&mut img, stored, radius.get() as f32 * kx as f32 / 2.0),
            RegionEffect::Pixelate(cell) => {
                let cell = ((f64::from(cell.get()) * kx).round() as u32).max(1);
                let _ = img.view_mut().pixelate(stored, cell);
            }
        }
    }

    let img = resample::resize(img, crop.scaled(kx, ky), (rw, rh));
    let img = plan.orientation.apply(img);
    let background = opts.background.map_or([0, 0, 0, 0], |c| c.to_array());
    let mut img = resample::pad(img, plan.canvas, plan.offset, background);

    let whole = Rect { x: 0, y: 0, w: img.width(), h: img.height() };
    if let Some(cell) = opts.pixelate {
        let _ = img.view_mut().pixelate(whole, cell.get());
    }
    if let Some(radius) = opts.blur {
        // Cloudflare's blur takes a radius; a gaussian's reach is about 2 sigma.
        effects::blur(&mut img, whole, radius.get() as f32 / 2.0);
    }
    // Cloudflare's sharpen runs 0-10; as an unsharp-mask amount, 10 is 5x.
    effects::sharpen(&mut img, opts.sharpen.get() as f32 / 2.0, 1.0);
    effects::adjust(&mut img, opts.brightness.get() as f32, opts.contrast.get() as f32, opts.gamma.get() as f32, opts.saturation.get() as f32);
    Ok(img)
}

/// The stored pixels a render keeps: the plan's crop, or all.
fn kept(probe: &Probe, plan: &geometry::Geometry) -> Rect {
    let (sw, sh) = (probe.width, probe.height);
    plan.crop.unwrap_or(Rect { x: 0, y: 0, w: sw, h: sh }).clamp_to(sw, sh)
}

/// The size to decode at (a JPEG's DCT scaling picks the smallest scale
/// that covers it). Shrink-on-load leaves at least 2x for Lanczos when
/// the decoded image stays small (DCT scaling alone is blockier than a
/// resampling filter; "small" is half the budget, since JPEG's RGB and our
/// RGBA copy are alive together), else only what the output needs.
fn decode_size(probe: &Probe, plan: &geometry::Geometry, limits: &Limits) -> (u32, u32) {
    let (sw, sh) = (probe.width, probe.height);
    let crop = kept(probe, plan);
    let (rw, rh) = plan.resize_to;
    let need = (scale_up(sw, rw, crop.w), scale_up(sh, rh, crop.h));
    let roomy = ((need.0 * 2).min(sw), (need.1 * 2).min(sh));
    let (dw, dh) = dct_scaled(sw, sh, roomy);
    if u64::from(dw) * u64::from(dh) * 4 <= limits.decode_budget / 2 { roomy } else { need }
}

/// Whether `opts` and `plan` ask for no more than a crop, a resample and
/// an orientation: every other step of [`render`] (regions, padding,
/// effects) leaves the pixels as they are.
fn only_resamples(opts: &Options, plan: &geometry::Geometry) -> bool {
    plan.canvas == plan.placed()
        && plan.offset == (0, 0)
        && opts.regions.is_empty()
        && opts.pixelate.is_none()
        && opts.blur.is_none()
        && opts.sharpen == Sharpen::ZERO
        && effects::is_identity(opts.brightness.get() as f32, opts.contrast.get() as f32, opts.gamma.get() as f32, opts.saturation.get() as f32)
}

/// [`render`] and encode, for a JPEG into a JPEG or a WebP (`format`)
/// that [`only_resamples`] (and orients), in the source's YCbCr planes (see
/// [`codec::decode_ycc`]): luma cropped and resampled as `render` does
/// RGBA, chroma to the output's 4:2:0 resolution, which both formats
/// store (see below). `None` when the source is not such a JPEG, or carries a
/// colour profile other than sRGB's (applied in RGB).
fn render_ycc(source: &[u8], probe: &Probe, opts: &Options, plan: &geometry::Geometry, format: OutputFormat, limits: &Limits) -> Result<Option<codec::Encoded>, TransformError> {
    if codec::icc_profile(source, probe).is_some_and(|icc| !codec::is_srgb(&icc)) {
        return Ok(None);
    }
    let Some(img) = codec::decode_ycc(source, probe, Some(decode_size(probe, plan, limits)), limits)? else { return Ok(None) };
    let (sw, sh) = (probe.width, probe.height);
    let (kx, ky) = (f64::from(img.y.width()) / f64::from(sw), f64::from(img.y.height()) / f64::from(sh));
    let luma = kept(probe, plan).scaled(kx, ky);
    let (rw, rh) = plan.resize_to;
    // Chroma, for JPEG, straight to the output's 4:2:0 size, which the
    // encoder takes as it is: an output chroma sample covers 2x2 output
    // pixels (the last ones half outside when a side is odd). For WebP, to
    // the output's full size, which `encode_webp_ycc` averages 2x2 as the
    // VP8 encoder averages RGB: VP8 quantizing Lanczos-sharp 4:2:0 chroma
    // lost up to 0.5 dB on small outputs against the RGBA path, where this
    // loses nothing. A source chroma sample covers `bx` x `by` luma ones.
    // A 4:2:0 grid anchored at the stored image's top left edge lands on
    // the output's far edge along a reversed axis: off by a pixel when that
    // side is odd. Full-size chroma then, for JPEG too (its encoder
    // averages it on the output's own grid).
    let (rx, ry) = plan.orientation.reverses();
    let misaligned = (rx && rw % 2 == 1) || (ry && rh % 2 == 1);
    let block = if format == OutputFormat::Webp || misaligned { 1 } else { 2 };
    let (cw, ch) = (rw.div_ceil(block), rh.div_ceil(block));
    let (bx, by) = img.chroma_block();
    let (bx, by) = (f64::from(bx), f64::from(by));
    let chroma = [
        f64::from(luma.x) / bx,
        f64::from(luma.y) / by,
        f64::from(luma.w) * f64::from(block * cw) / f64::from(rw) / bx,
        f64::from(luma.h) * f64::from(block * ch) / f64::from(rh) / by,
    ];
    let codec::YccImage { y, cb, cr, .. } = img;
    let failed = |what: &str| CodecError::Encode { format: format.as_str(), reason: format!("resampling the {what} plane failed") };
    let y = resample::resize_plane(y, [f64::from(luma.x), f64::from(luma.y), f64::from(luma.w), f64::from(luma.h)], (rw, rh)).ok_or_else(|| failed("luma"))?;
    let cb = resample::resize_plane(cb, chroma, (cw, ch)).ok_or_else(|| failed("Cb"))?;
    let cr = resample::resize_plane(cr, chroma, (cw, ch)).ok_or_else(|| failed("Cr"))?;
    let [y, cb, cr] = [y, cb, cr].map(|p| plan.orientation.apply_plane(p));
    let out = codec::YccImage::new(y, cb, cr, (block as u8, block as u8)).ok_or_else(|| CodecError::Encode { format: format.as_str(), reason: "chroma planes of an unexpected size".to_owned() })?;
    Ok(Some(match format {
        OutputFormat::Webp => codec::encode_webp_ycc(&out, opts.quality.value())?,
        _ => codec::encode_jpeg_ycc(&out, opts.quality.value(), codec::Chroma::Subsampled)?,
    }))
}

/// The full-image size along one axis that makes `crop` pixels of it at
/// least `out` pixels: `ceil(full * out / crop)`, at most `full`.
fn scale_up(full: u32, out: u32, crop: u32) -> u32 {
    let v = (u64::from(full) * u64::from(out)).div_ceil(u64::from(crop.max(1)));
    u32::try_from(v).unwrap_or(u32::MAX).min(full).max(1)
}

/// The size a JPEG decoder's DCT scaling (1/8, 1/4, 1/2, 1) gives for a
/// `w` x `h` image when asked for at least `want`.
fn dct_scaled(w: u32, h: u32, want: (u32, u32)) -> (u32, u32) {
    for n in [1u32, 2, 4] {
        let (sw, sh) = ((w * n).div_ceil(8), (h * n).div_ceil(8));
        if sw >= want.0 && sh >= want.1 {
            return (sw, sh);
        }
    }
    (w, h)
}


#[cfg(test)]
mod tests {
    use super::*;

    fn format(opts: &str, accept: Option<&str>, has_alpha: bool) -> Option<OutputFormat> {
        output_format(&crate::transform::options::parse(opts).unwrap(), accept, has_alpha)
    }

    #[test]
    fn output_formats_follow_the_request_and_accept() {
        assert_eq!(format("format=json", None, false), None);
        assert_eq!(format("format=jpeg", Some("image/webp"), true), Some(OutputFormat::Jpeg));
        assert_eq!(format("format=avif", None, false), Some(OutputFormat::Webp), "AVIF falls back to WebP");
        assert_eq!(format("format=avif", None, true), Some(OutputFormat::Webp));
        assert_eq!(format("width=10", Some("image/avif,image/webp,*/*"), false), Some(OutputFormat::Webp));
        assert_eq!(format("width=10", Some("image/avif,*/*"), false), Some(OutputFormat::Jpeg), "AVIF alone in Accept is not WebP");
        assert_eq!(format("width=10", None, true), Some(OutputFormat::Png));
    }

    /// A JPEG of a smooth, colourful scene (no flat areas, no hard edges).
    fn scene(w: u32, h: u32) -> Vec<u8> {
        let data = (0..w * h).flat_map(|i| {
            let (x, y) = (f64::from(i % w), f64::from(i / w));
            let v = |a: f64, b: f64| (127.5 + 100.0 * (x / a + y / b).sin()) as u8;
            [v(37.0, 53.0), v(-61.0, 29.0), v(23.0, -71.0), 255]
        });
        let img = RgbaImage::from_vec(w, h, data.collect()).unwrap();
        codec::encode_jpeg(&img, 95, [255, 255, 255], codec::Chroma::Subsampled).unwrap().bytes
    }

    fn psnr(a: &RgbaImage, b: &RgbaImage) -> f64 {
        let se: f64 = a.data().iter().zip(b.data()).map(|(&p, &q)| (f64::from(p) - f64::from(q)).powi(2)).sum();
        10.0 * (255.0f64.powi(2) / (se / a.data().len() as f64)).log10()
    }

    #[test]
    fn jpeg_to_jpeg_or_webp_resamples_in_ycbcr_with_the_pixels_of_the_rgba_path() {
        let limits = Limits::default();
        let src = scene(803, 601);
        let decode = |bytes: &[u8]| codec::decode(bytes, &codec::probe(bytes, &limits).unwrap(), None, &limits).unwrap();
        let cases = [
            ("width=400", 1),
            ("width=401,height=299,fit=cover", 1),
            ("width=160,height=200,fit=crop,gravity=0.2x0.9", 1),
            ("width=803", 1),
            ("trim=11;23;31;7,width=333", 1),
            ("width=1600,fit=scale-down", 1),
            // Orientations, with odd sides along reversed axes.
            ("rotate=90,width=401", 1),
            ("flip=h,width=333", 1),
            ("flip=v,rotate=270,width=301,height=303,fit=cover", 1),
            ("width=333", 6),
            ("width=300,height=301,fit=cover", 8),
        ];
        for format in [OutputFormat::Jpeg, OutputFormat::Webp] {
            for (opts, exif) in cases {
                let opts = crate::transform::options::parse(&format!("{opts},format={},quality=100", format.as_str())).unwrap();
                let probe = codec::probe(&src, &limits).unwrap();
                let exif = Orientation::from_exif(exif);
                let plan = geometry::plan_oriented(probe.width, probe.height, exif, &opts).unwrap();
                assert!(only_resamples(&opts, &plan));
                let ycc = render_ycc(&src, &probe, &opts, &plan, format, &limits).unwrap().expect("a YCbCr JPEG");
                assert_eq!(ycc.format, format);
                let rgba = render(&src, &probe, exif, &opts, &plan, &limits, &[]).unwrap();
                if exif == Orientation::IDENTITY {
                    let Output::Image(out) = run(&src, &opts, Some(format), &limits).unwrap() else { panic!("an image") };
                    assert_eq!(out.bytes, ycc.bytes, "run takes the YCbCr path");
                }
                let ycc = decode(&ycc.bytes);
                assert_eq!((ycc.width(), ycc.height()), (rgba.width(), rgba.height()));
                // The same resampling, other rounding and chroma filtering:
                // as close to the RGBA path's pixels as its own output.
                let db = psnr(&ycc, &rgba);
                let theirs = psnr(&decode(&codec::encode(&rgba, format, 100, [255, 255, 255]).unwrap().bytes), &rgba);
                assert!(db > 36.0 && db > theirs - 0.5, "{format:?} {opts:?} {exif:?}: {db:.1} dB, RGBA path {theirs:.1} dB");
            }
        }
    }

    #[test]
    fn srgb_tagged_jpegs_stay_in_ycbcr_and_other_profiles_take_the_rgba_path() {
        let limits = Limits::default();
        let data = (0..64 * 48).flat_map(|i: u32| [(i % 64 * 4) as u8, (i / 64 * 5) as u8, 90, 255]).collect();
        let img = RgbaImage::from_vec(64, 48, data).unwrap();
        let opts = crate::transform::options::parse("width=32,format=jpeg").unwrap();
        let plan = geometry::plan_oriented(64, 48, Orientation::IDENTITY, &opts).unwrap();
        let srgb = codec::test_profile([[0.4361, 0.2225, 0.0139], [0.3851, 0.7169, 0.0971], [0.1431, 0.0606, 0.7141]]);
        let p3 = codec::test_profile([[0.5151, 0.2412, -0.0011], [0.2920, 0.6922, 0.0419], [0.1571, 0.0666, 0.7841]]);
        for (icc, ycc) in [(srgb, true), (p3, false)] {
            let mut jpeg = Vec::new();
            let mut enc = jpeg_encoder::Encoder::new(&mut jpeg, 90);
            enc.add_icc_profile(&icc).unwrap();
            enc.encode(&img.data().chunks(4).flat_map(|p| [p[0], p[1], p[2]]).collect::<Vec<u8>>(), 64, 48, jpeg_encoder::ColorType::Rgb).unwrap();
            let probe = codec::probe(&jpeg, &limits).unwrap();
            assert_eq!(codec::icc_profile(&jpeg, &probe).as_deref(), Some(&icc[..]));
            assert_eq!(render_ycc(&jpeg, &probe, &opts, &plan, OutputFormat::Jpeg, &limits).unwrap().is_some(), ycc);
        }
    }

    #[test]
    fn anything_but_a_crop_a_resample_and_an_orientation_takes_the_rgba_path() {
        for opts in ["blur=5", "sharpen=1", "brightness=1.2", "saturation=0", "pixelate=4", "blur-region=0;0;5;5;3", "height=100,fit=pad"] {
            let opts = crate::transform::options::parse(&format!("{opts},width=100")).unwrap();
            let plan = geometry::plan_oriented(800, 600, Orientation::IDENTITY, &opts).unwrap();
            assert!(!only_resamples(&opts, &plan), "{opts:?}");
        }
        for opts in ["width=100", "width=100,rotate=90", "width=100,flip=hv", "width=100,height=100,fit=cover"] {
            let opts = crate::transform::options::parse(opts).unwrap();
            assert!(only_resamples(&opts, &geometry::plan_oriented(800, 600, Orientation::from_exif(6), &opts).unwrap()), "{opts:?}");
        }
    }
}
