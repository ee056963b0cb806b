//! Telling the host page what happens: `postMessage` to the parent window,
//! data attributes and an aria-live region on the root element, and the
//! one play record.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::{HtmlElement, RequestInit, Window};

/// The `source` of every message the game posts.
pub const SOURCE: &str = "edgepix-game";

/// The `source` of a message the host page posts to the game.
pub const HOST_SOURCE: &str = "edgepix-host";

/// Whether `data` is `{source: "edgepix-host", type: "status"}`: a host page
/// that started listening late asks where the game is (the game answers with
/// a `status` message).
pub fn is_status_request(data: &JsValue) -> bool {
    let field = |k: &str| Reflect::get(data, &JsValue::from_str(k)).ok().and_then(|v| v.as_string());
    data.is_object() && field("source").as_deref() == Some(HOST_SOURCE) && field("type").as_deref() == Some("status")
}

/// One message's fields beyond `source`, `type`, `code`, `level` and `levels`.
pub type Fields<'a> = &'a [(&'a str, JsValue)];

/// The page side of the game.
pub struct Host {
    window: Window,
    root: HtmlElement,
    live: HtmlElement,
    code: String,
}

impl Host {
    /// A host around `root`, announcing through `live`.
    pub fn new(window: Window, root: HtmlElement, live: HtmlElement, code: String) -> Host {
        Host { window, root, live, code }
    }

    /// Posts `{source, type, code, level, levels, ...fields}` to the parent
    /// window (the page itself when not framed).
    pub fn post(&self, kind: &str, level: usize, levels: usize, fields: Fields) {
        let msg = Object::new();
        let base = [
            ("source", JsValue::from_str(SOURCE)),
            ("type", JsValue::from_str(kind)),
            ("code", JsValue::from_str(&self.code)),
            ("level", JsValue::from(level as u32)),
            ("levels", JsValue::from(levels as u32)),
        ];
        for (k, v) in base.iter().chain(fields) {
            let _ = Reflect::set(&msg, &JsValue::from_str(k), v);
        }
        let target = self.window.parent().ok().flatten().unwrap_or_else(|| self.window.clone());
        let _ = target.post_message(&msg, "*");
    }

    /// Mirrors a value on the root as `data-{name}`.
    pub fn attr(&self, name: &str, value: &str) {
        let _ = self.root.set_attribute(&format!("data-{name}"), value);
    }

    /// Announces `text` to screen readers.
    pub fn announce(&self, text: &str) {
        self.live.set_text_content(Some(text));
    }

    /// Records a play: a keepalive POST to `url`, its outcome ignored.
    pub fn record_play(&self, url: &str) {
        let init = RequestInit::new();
        init.set_method("POST");
        let _ = Reflect::set(&init, &JsValue::from_str("keepalive"), &JsValue::TRUE);
        let promise = self.window.fetch_with_str_and_init(url, &init);
        // One small closure leaked per game: the play is recorded once.
        let ignore = Closure::<dyn FnMut(JsValue)>::new(|_: JsValue| {});
        let _ = promise.catch(&ignore);
        ignore.forget();
    }
}
