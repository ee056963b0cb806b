//! The browser module in a real browser (headless Chromium, through
//! `wasm-bindgen-test-runner`).

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

wasm_bindgen_test_configure!(run_in_browser);

fn canvas(w: u32, h: u32) -> CanvasRenderingContext2d {
    let doc = web_sys::window().unwrap().document().unwrap();
    let canvas: HtmlCanvasElement = doc.create_element("canvas").unwrap().dyn_into().unwrap();
    canvas.set_width(w);
    canvas.set_height(h);
    canvas.get_context("2d").unwrap().unwrap().dyn_into().unwrap()
}

fn pixel(ctx: &CanvasRenderingContext2d, x: u32, y: u32) -> Vec<u8> {
    ctx.get_image_data(f64::from(x), f64::from(y), 1.0, 1.0).unwrap().data().0
}

#[wasm_bindgen_test]
fn pixelate_averages_cells_on_a_real_canvas() {
    let ctx = canvas(8, 8);
    ctx.set_fill_style_str("rgb(0, 0, 0)");
    ctx.fill_rect(0.0, 0.0, 8.0, 8.0);
    ctx.set_fill_style_str("rgb(200, 100, 40)");
    ctx.fill_rect(0.0, 0.0, 2.0, 4.0); // left half of the first 4x4 cell
    edgepix_client::pixelate_canvas(&ctx, 0, 0, 8, 8, 4).unwrap();
    assert_eq!(pixel(&ctx, 3, 3), vec![100, 50, 20, 255]);
    assert_eq!(pixel(&ctx, 0, 0), vec![100, 50, 20, 255]);
    assert_eq!(pixel(&ctx, 5, 5), vec![0, 0, 0, 255]);
}

#[wasm_bindgen_test]
fn pixelate_outside_the_canvas_is_a_no_op_and_block_zero_is_an_error() {
    let ctx = canvas(4, 4);
    ctx.set_fill_style_str("rgb(10, 20, 30)");
    ctx.fill_rect(0.0, 0.0, 4.0, 4.0);
    edgepix_client::pixelate_canvas(&ctx, 10, 10, 5, 5, 2).unwrap();
    assert_eq!(pixel(&ctx, 3, 3), vec![10, 20, 30, 255]);
    assert!(edgepix_client::pixelate_canvas(&ctx, 0, 0, 4, 4, 0).is_err());
}

#[wasm_bindgen_test]
fn reports_the_engine_version() {
    assert_eq!(edgepix_client::engine_version(), edgepix_core::ENGINE_VERSION);
}
