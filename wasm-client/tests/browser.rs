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

mod protect {
    use edgepix_core::account::jwt::Key;
    use edgepix_core::pixel::RgbaImage;
    use edgepix_core::protect::config::ProtectionConfig;
    use edgepix_core::protect::grid::Grid;
    use edgepix_core::protect::proof;
    use edgepix_core::protect::scramble::{self, Layout};
    use edgepix_core::protect::view;
    use wasm_bindgen::JsValue;
    use wasm_bindgen_test::*;

    fn picture(w: u32, h: u32) -> RgbaImage {
        let data = (0..w * h).flat_map(|i| {
            let (x, y) = (i % w, i / w);
            [(x * 3 % 256) as u8, (y * 5 % 256) as u8, ((x ^ y) % 256) as u8, 255]
        });
        RgbaImage::from_vec(w, h, data.collect()).unwrap()
    }

    fn js(v: &impl serde::Serialize) -> JsValue {
        js_sys::JSON::parse(&serde_json::to_string(v).unwrap()).unwrap()
    }

    #[wasm_bindgen_test]
    fn compose_view_reassembles_the_scrambled_tiles_and_marks_them() {
        let (w, h) = (200, 120);
        let img = picture(w, h);
        let grid = Grid::new(w, h, 16);
        let seed = [7u8; 32];
        let config = ProtectionConfig::default();
        let scrambled = scramble::scramble(&img, &grid, &Layout::new(&grid, &seed, true));
        let seed_hex = edgepix_core::signing::hex(&seed);
        // A view into the module's memory: copied into a buffer allocated
        // before the call (an allocation after it may grow the memory and
        // detach the view).
        let mut out = vec![0u8; w as usize * h as usize * 4];
        edgepix_client::compose_view(scrambled.data(), js(&grid), js(&config.to_json()), &seed_hex, "0123456789abcdef").unwrap().copy_to(&mut out);
        assert_eq!(out, view::compose(scrambled.data(), &grid, &config, &seed, 0x0123_4567_89ab_cdef).unwrap());
        let s = edgepix_client::ssim(&out, img.data(), w, h).unwrap();
        assert!(s > 0.9 && s < 0.99, "the canvas is the picture, marked: SSIM {s}");
        // Bad input is an error, not a panic.
        assert!(edgepix_client::compose_view(&[1, 2, 3], js(&grid), js(&config.to_json()), &seed_hex, "00").is_err());
        assert!(edgepix_client::compose_view(scrambled.data(), js(&grid), js(&config.to_json()), "zz", "00").is_err());
    }

    #[wasm_bindgen_test]
    fn proofs_verify_in_the_browser_and_forgeries_fail() {
        let key = Key::from_seed("p1", [9; 32]);
        let img = picture(64, 48);
        let grid = Grid::new(64, 48, 16);
        let leaves = proof::tile_leaves(&img, &grid);
        let signed = proof::sign(&key, &"a".repeat(64), &grid, &leaves);
        let x = {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.public())
        };
        assert!(edgepix_client::verify_proof(js(&signed), &x).unwrap());
        let mut forged = signed.clone();
        forged.root = proof::hex(&[1; 32]);
        assert!(!edgepix_client::verify_proof(js(&forged), &x).unwrap());
        let path: Vec<String> = proof::inclusion_path(&leaves, 3).unwrap().iter().map(proof::hex).collect();
        assert!(edgepix_client::verify_tile(&proof::hex(&leaves[3]), 3, leaves.len(), path.clone(), &signed.root).unwrap());
        assert!(!edgepix_client::verify_tile(&proof::hex(&leaves[4]), 3, leaves.len(), path, &signed.root).unwrap());
    }

    #[wasm_bindgen_test]
    fn the_viewer_starts_listening_on_a_canvas() {
        use wasm_bindgen::JsCast;
        let doc = web_sys::window().unwrap().document().unwrap();
        let canvas: web_sys::HtmlCanvasElement = doc.create_element("canvas").unwrap().dyn_into().unwrap();
        let viewer = edgepix_client::EdgepixViewer::new(canvas, "/nowhere".to_owned(), Some(0.0));
        assert!(viewer.is_ok());
    }
}
