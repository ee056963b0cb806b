//! The edgepix browser module.
//!
//! Canvas `ImageData` goes in, `edgepix-core` does the pixel work, the
//! result goes back onto the canvas: the same code, and so the same bytes,
//! as the Worker and the pool. [`EdgepixViewer`] is protected viewing on a
//! page; the free functions expose the same core steps to pages, tests and
//! the benchmark (`cargo xtask bench client`).
#![deny(missing_docs)]

mod signals;
mod viewer;

pub use viewer::EdgepixViewer;

use edgepix_core::detect::Detection;
use edgepix_core::jobs::Analysis;
use edgepix_core::pixel::{Rect, RgbaImage, RgbaMut};
use edgepix_core::policy::{self, Policy};
use edgepix_core::protect::config::ProtectionConfig;
use edgepix_core::protect::grid::Grid;
use edgepix_core::protect::proof::{self, SignedRoot};
use edgepix_core::protect::{ssim, view};
use wasm_bindgen::prelude::*;
use web_sys::{CanvasRenderingContext2d, ImageData};

/// The engine version this module was built with; pages compare it with the
/// Worker's `/healthz` to detect a stale cached module.
#[wasm_bindgen(js_name = engineVersion)]
pub fn engine_version() -> String {
    edgepix_core::ENGINE_VERSION.to_owned()
}

/// Pixelates the `w` x `h` region at (`x`, `y`) of the canvas behind `ctx`
/// with square cells of `block` pixels (the region is clipped to the canvas).
#[wasm_bindgen(js_name = pixelateCanvas)]
pub fn pixelate_canvas(ctx: &CanvasRenderingContext2d, x: u32, y: u32, w: u32, h: u32, block: u32) -> Result<(), JsError> {
    let canvas = ctx.canvas().ok_or_else(|| JsError::new("the context has no canvas"))?;
    let region = Rect { x, y, w, h }.clamp_to(canvas.width(), canvas.height());
    if region.is_empty() {
        return Ok(());
    }
    let image = ctx
        .get_image_data(f64::from(region.x), f64::from(region.y), f64::from(region.w), f64::from(region.h))
        .map_err(|e| JsError::new(&format!("getImageData failed: {e:?}")))?;
    let mut pixels = image.data().0;
    RgbaMut::new(region.w, region.h, &mut pixels)?.pixelate(Rect { x: 0, y: 0, w: region.w, h: region.h }, block)?;
    let out = ImageData::new_with_u8_clamped_array_and_sh(wasm_bindgen::Clamped(&pixels), region.w, region.h)
        .map_err(|e| JsError::new(&format!("ImageData failed: {e:?}")))?;
    ctx.put_image_data(&out, f64::from(region.x), f64::from(region.y))
        .map_err(|e| JsError::new(&format!("putImageData failed: {e:?}")))
}

/// What [`apply_policy`] takes: detections (NudeNet's shape, as
/// `GET /api/v1/assets/{id}/detections` or the in-browser detector give
/// them) in the pixels of a `width` x `height` image, the policy's JSON,
/// and the indices switched off.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyPlan {
    detections: Vec<Detection>,
    width: u32,
    height: u32,
    policy: serde_json::Value,
    #[serde(default)]
    off: Vec<u32>,
}

/// Safe-blur on RGBA pixels, as the Worker does it: `plan` is
/// `{"detections": [...], "width": W, "height": H, "policy": {...}, "off": [i, ...]}`
/// with the detections in the pixels of a `W` x `H` analysis of the same
/// picture; `rgba` is `width` x `height` (any size: rects and kernels
/// scale). Returns the redacted RGBA. With the Worker's decoded pixels at
/// the analysis size the bytes equal `/img/...,policy=.../{id}`'s.
#[wasm_bindgen(js_name = applyPolicy)]
pub fn apply_policy(rgba: Vec<u8>, width: u32, height: u32, plan: JsValue) -> Result<Vec<u8>, JsError> {
    let plan: PolicyPlan = from_js(plan, "plan")?;
    let policy = Policy::from_json(&plan.policy.to_string())?;
    let analysis = Analysis {
        asset: String::new(),
        version: String::new(),
        model: String::new(),
        width: plan.width,
        height: plan.height,
        analyzed_at: 0,
        detections: plan.detections,
        off: plan.off,
    };
    let mut img = RgbaImage::from_vec(width, height, rgba)?;
    policy::apply(&mut img, &policy.plan_analysis(&analysis, None), (plan.width, plan.height));
    Ok(img.into_vec())
}

/// What a viewer's canvas shows for a ticket (see
/// `edgepix_core::protect::view::compose`): `scrambled` is the ticket's
/// image as RGBA, `grid` and `protection` the ticket's JSON objects, `seed`
/// and `payload` its hex strings. Returns the view's RGBA as a view into
/// the module's memory, valid until the next call into the module (draw
/// it, or `slice()` it to keep it): each call reuses one buffer, so a frame
/// costs no 8 MB allocation and no copy out.
#[wasm_bindgen(js_name = composeView)]
pub fn compose_view(scrambled: &[u8], grid: JsValue, protection: JsValue, seed: &str, payload: &str) -> Result<js_sys::Uint8ClampedArray, JsError> {
    thread_local!(static CANVAS: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) });
    let grid: Grid = from_js(grid, "grid")?;
    let config: ProtectionConfig = from_js(protection, "protection")?;
    let seed = edgepix_core::protect::ticket::unhex(seed).ok_or_else(|| JsError::new("seed is not hex"))?;
    let payload = u64::from_str_radix(payload, 16).map_err(|_| JsError::new("payload is not 16 hex digits"))?;
    CANVAS.with_borrow_mut(|out| {
        out.resize(grid.width as usize * grid.height as usize * 4, 0);
        view::compose_into(scrambled, &grid, &config, &seed, payload, out)?;
        // SAFETY: the view aliases `out`, which only this function touches,
        // and nothing allocates between here and the return to JavaScript,
        // so wasm memory cannot grow (which would detach the view) before
        // the caller has it; the doc comment above gives its lifetime.
        Ok(unsafe { js_sys::Uint8ClampedArray::view(out) })
    })
}

/// Mean SSIM of two RGBA buffers of `width` x `height` (luma, 11x11
/// Gaussian window), as the shared crate computes it.
#[wasm_bindgen]
pub fn ssim(a: &[u8], b: &[u8], width: u32, height: u32) -> Result<f64, JsError> {
    Ok(ssim::ssim(a, b, width, height)?)
}

/// Whether a signed root (`GET /api/v1/assets/{id}/proof`'s JSON) verifies
/// under the Ed25519 public key `x` (base64url, from
/// `/.well-known/edgepix-keys.json`).
#[wasm_bindgen(js_name = verifyProof)]
pub fn verify_proof(signed: JsValue, x: &str) -> Result<bool, JsError> {
    let signed: SignedRoot = from_js(signed, "signed root")?;
    let key = proof::public_key(x).ok_or_else(|| JsError::new("the key is not 32 bytes of base64url"))?;
    Ok(proof::verify_statement(&signed, &key).is_ok())
}

/// Whether tile `index`'s `leaf` (hex) with its inclusion `path` (hex
/// strings) leads to `root` in a tree of `tiles` leaves.
#[wasm_bindgen(js_name = verifyTile)]
pub fn verify_tile(leaf: &str, index: usize, tiles: usize, path: Vec<String>, root: &str) -> Result<bool, JsError> {
    let hash = |s: &str| proof::unhex(s).ok_or_else(|| JsError::new(&format!("{s:?} is not a SHA-256 in hex")));
    let path = path.iter().map(|p| hash(p)).collect::<Result<Vec<_>, _>>()?;
    Ok(proof::verify_inclusion(&hash(leaf)?, index, tiles, &path, &hash(root)?).is_ok())
}

fn from_js<T: serde::de::DeserializeOwned>(v: JsValue, what: &str) -> Result<T, JsError> {
    let text = js_sys::JSON::stringify(&v).map_err(|_| JsError::new(&format!("{what} is not JSON")))?;
    serde_json::from_str(&String::from(text)).map_err(|e| JsError::new(&format!("{what}: {e}")))
}
