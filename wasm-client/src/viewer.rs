//! `EdgepixViewer`: protected viewing on a page. It watches the page for
//! behaviour signals, asks the Worker for a view ticket, fetches the
//! ticket's scrambled JPEG and draws it onto a canvas through
//! `edgepix_core::protect::view::compose` (descramble, noise, overlay,
//! watermark): the same code the Worker's tests and the benchmark run.

use std::cell::RefCell;
use std::rc::Rc;

use edgepix_core::protect::config::ProtectionConfig;
use edgepix_core::protect::grid::Grid;
use edgepix_core::protect::ticket::unhex;
use edgepix_core::protect::view;
use serde::Deserialize;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageBitmap, ImageData, Request, RequestCredentials, RequestInit, Response, Window};

use crate::signals::Collector;

/// How long the page is watched before the first ticket request, by default.
const DEFAULT_WATCH_MS: f64 = 400.0;

/// A protected image on a canvas.
#[wasm_bindgen]
pub struct EdgepixViewer {
    inner: Rc<Inner>,
}

struct Inner {
    window: Window,
    canvas: HtmlCanvasElement,
    ticket_url: String,
    watch_ms: f64,
    collector: Collector,
    shown: RefCell<Option<js_sys::Promise>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Issued {
    id: String,
    image_url: String,
    seed: String,
    payload: String,
    view: Grid,
    protection: ProtectionConfig,
}

fn js_err(message: &str) -> JsValue {
    js_sys::Error::new(message).into()
}

/// An `Error` with the API's `code` and `status` on it.
fn api_err(status: u16, code: &str, message: &str) -> JsValue {
    let e = js_sys::Error::new(message);
    let _ = js_sys::Reflect::set(&e, &"code".into(), &code.into());
    let _ = js_sys::Reflect::set(&e, &"status".into(), &status.into());
    e.into()
}

#[wasm_bindgen]
impl EdgepixViewer {
    /// Starts watching the page for `canvas`, whose image comes from the
    /// view-ticket URL `ticket_url` (`/api/v1/assets/{id}/view-tickets`).
    #[wasm_bindgen(constructor)]
    pub fn new(canvas: HtmlCanvasElement, ticket_url: String, watch_ms: Option<f64>) -> Result<EdgepixViewer, JsValue> {
        let window = web_sys::window().ok_or_else(|| js_err("no window"))?;
        let collector = Collector::start(&window)?;
        let inner = Inner { window, canvas, ticket_url, watch_ms: watch_ms.unwrap_or(DEFAULT_WATCH_MS).clamp(0.0, 10_000.0), collector, shown: RefCell::new(None) };
        Ok(EdgepixViewer { inner: Rc::new(inner) })
    }

    /// `new` and `show` at once: `EdgepixViewer.mount(canvas, ticketUrl)`;
    /// `viewer.shown()` is the promise of that first attempt.
    pub fn mount(canvas: HtmlCanvasElement, ticket_url: String, watch_ms: Option<f64>) -> Result<EdgepixViewer, JsValue> {
        let viewer = EdgepixViewer::new(canvas, ticket_url, watch_ms)?;
        let _first_attempt = viewer.show();
        Ok(viewer)
    }

    /// Asks for a ticket (after the watch time) and draws the image.
    /// Resolves to `{ticket, width, height, timings}`; rejects with an
    /// `Error` carrying the API's `code` (`bot_suspected`: let the person
    /// interact, then call `show` again: the signals keep accumulating).
    pub fn show(&self) -> js_sys::Promise {
        let inner = Rc::clone(&self.inner);
        let p = future_to_promise(async move { inner.show().await });
        *self.inner.shown.borrow_mut() = Some(p.clone());
        p
    }

    /// The promise of the latest `show`.
    pub fn shown(&self) -> js_sys::Promise {
        self.inner.shown.borrow().clone().unwrap_or_else(|| self.show())
    }
}

async fn sleep(window: &Window, ms: i32) -> Result<(), JsValue> {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    JsFuture::from(promise).await.map(|_| ())
}

async fn fetch(window: &Window, url: &str, init: &RequestInit) -> Result<Response, JsValue> {
    let req = Request::new_with_str_and_init(url, init)?;
    JsFuture::from(window.fetch_with_request(&req)).await?.dyn_into::<Response>()
}

async fn error_of(resp: &Response) -> JsValue {
    let status = resp.status();
    let text = match resp.text() {
        Ok(p) => JsFuture::from(p).await.ok().and_then(|t| t.as_string()).unwrap_or_default(),
        Err(_) => String::new(),
    };
    let body: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let code = body["error"]["code"].as_str().unwrap_or("http_error");
    let message = body["error"]["message"].as_str().unwrap_or("the request failed");
    api_err(status, code, message)
}

impl Inner {
    fn perf_now(&self) -> f64 {
        self.window.performance().map_or(0.0, |p| p.now())
    }

    async fn show(&self) -> Result<JsValue, JsValue> {
        // Watch, timing the event loop as we wait (a signal in itself).
        let mut ticks = 0;
        while self.collector.watched_ms(&self.window) < self.watch_ms || ticks < 8 {
            let t0 = self.perf_now();
            sleep(&self.window, 16).await?;
            self.collector.timer(self.perf_now() - t0);
            ticks += 1;
        }
        let signals = serde_json::to_string(&self.collector.snapshot(&self.window)).map_err(|e| js_err(&e.to_string()))?;
        let init = RequestInit::new();
        init.set_method("POST");
        init.set_credentials(RequestCredentials::SameOrigin);
        init.set_body(&JsValue::from_str(&signals));
        let headers = web_sys::Headers::new()?;
        headers.set("content-type", "application/json")?;
        init.set_headers(&headers);
        let t_ticket = self.perf_now();
        let resp = fetch(&self.window, &self.ticket_url, &init).await?;
        if !resp.ok() {
            return Err(error_of(&resp).await);
        }
        let text = JsFuture::from(resp.text()?).await?.as_string().unwrap_or_default();
        let issued: Issued = serde_json::from_str(&text).map_err(|e| js_err(&format!("unexpected ticket: {e}")))?;

        let t_image = self.perf_now();
        let init = RequestInit::new();
        init.set_credentials(RequestCredentials::SameOrigin);
        let resp = fetch(&self.window, &issued.image_url, &init).await?;
        if !resp.ok() {
            return Err(error_of(&resp).await);
        }
        let blob: web_sys::Blob = JsFuture::from(resp.blob()?).await?.dyn_into()?;
        let bitmap: ImageBitmap = JsFuture::from(self.window.create_image_bitmap_with_blob(&blob)?).await?.dyn_into()?;

        let t_draw = self.perf_now();
        let grid = issued.view;
        let (pw, ph) = grid.padded_size();
        if bitmap.width() != pw || bitmap.height() != ph {
            return Err(js_err(&format!("the scrambled image is {}x{}, the ticket says {pw}x{ph}", bitmap.width(), bitmap.height())));
        }
        let doc = self.window.document().ok_or_else(|| js_err("no document"))?;
        let scratch: HtmlCanvasElement = doc.create_element("canvas")?.dyn_into()?;
        scratch.set_width(pw);
        scratch.set_height(ph);
        let sctx: CanvasRenderingContext2d = context(&scratch, true)?;
        sctx.draw_image_with_image_bitmap(&bitmap, 0.0, 0.0)?;
        let scrambled = sctx.get_image_data(0.0, 0.0, f64::from(pw), f64::from(ph))?.data().0;
        bitmap.close();
        let seed = unhex(&issued.seed).ok_or_else(|| js_err("the ticket's seed is not hex"))?;
        let payload = u64::from_str_radix(&issued.payload, 16).map_err(|_| js_err("the ticket's payload is not hex"))?;
        let t_compose = self.perf_now();
        let pixels = view::compose(&scrambled, &grid, &issued.protection, &seed, payload).map_err(|e| js_err(&e.to_string()))?;
        let t_composed = self.perf_now();
        self.canvas.set_width(grid.width);
        self.canvas.set_height(grid.height);
        let ctx = context(&self.canvas, false)?;
        let image = ImageData::new_with_u8_clamped_array_and_sh(wasm_bindgen::Clamped(&pixels), grid.width, grid.height)?;
        ctx.put_image_data(&image, 0.0, 0.0)?;

        let info = js_sys::Object::new();
        let set = |k: &str, v: JsValue| js_sys::Reflect::set(&info, &k.into(), &v);
        set("ticket", issued.id.into())?;
        set("width", grid.width.into())?;
        set("height", grid.height.into())?;
        let timings = js_sys::Object::new();
        for (k, v) in [("ticketMs", t_image - t_ticket), ("imageMs", t_draw - t_image), ("decodeMs", t_compose - t_draw), ("composeMs", t_composed - t_compose), ("totalMs", self.perf_now() - t_ticket)] {
            js_sys::Reflect::set(&timings, &k.into(), &v.into())?;
        }
        set("timings", timings.into())?;
        Ok(info.into())
    }
}

/// The 2D context of `canvas` (`read_back`: it will be read with
/// `getImageData`, so keep it on the CPU).
fn context(canvas: &HtmlCanvasElement, read_back: bool) -> Result<CanvasRenderingContext2d, JsValue> {
    let opts = js_sys::Object::new();
    js_sys::Reflect::set(&opts, &"willReadFrequently".into(), &read_back.into())?;
    canvas.get_context_with_context_options("2d", &opts)?.ok_or_else(|| js_err("no 2d context"))?.dyn_into().map_err(|_| js_err("not a 2d context"))
}
