//! The edgepix browser module.
//!
//! Canvas `ImageData` goes in, `edgepix-core` does the pixel work, the
//! result goes back onto the canvas: the same code, and so the same bytes,
//! as the Worker and the pool. Nothing else lives here.
#![deny(missing_docs)]

use edgepix_core::pixel::{Rect, RgbaMut};
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
