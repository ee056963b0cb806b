//! The pet pixel game runtime: `edgepix-core`'s game rules on a canvas.
//!
//! [`start`] builds the game inside a root element: a canvas at a fixed
//! logical resolution shown at whole-pixel scales ([`scale`]), on-screen
//! buttons and an aria-live region. A `requestAnimationFrame` loop steps the
//! pure state machine in [`session`] at 60 steps a second and draws it
//! ([`render`]); keys and taps become commands ([`input`]); what happens is
//! posted to the host page ([`host`]) and beeped ([`audio`]).
#![deny(missing_docs)]

pub mod audio;
pub mod config;
pub mod host;
pub mod input;
pub mod render;
pub mod scale;
pub mod session;

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::{CanvasRenderingContext2d, Document, Event, EventTarget, HtmlCanvasElement, HtmlElement, HtmlImageElement, KeyboardEvent, MessageEvent, Window};

use crate::audio::Audio;
use crate::config::{Config, Frames};
use crate::config::parse as parse_config;
use crate::host::Host;
use crate::render::Renderer;
use crate::scale::{HEIGHT, WIDTH};
use crate::session::{Command, Event as GameEvent, STEP_MS, Screen, Session};

/// Milliseconds an on-screen button is held before it repeats its move.
const HOLD_REPEAT_MS: f64 = 300.0;

/// Longest frame gap the loop catches up on; longer gaps (a hidden tab)
/// pause the game instead.
const MAX_FRAME_MS: f64 = 250.0;

/// Starts the game inside `root` from the page's config JSON (see
/// [`config::Config`]). Errors are a bad config or a missing browser API.
#[wasm_bindgen]
pub fn start(root: HtmlElement, config_json: &str) -> Result<(), JsValue> {
    let config = parse_config(config_json).map_err(|e| JsValue::from(js_sys::Error::new(&e)))?;
    let window = web_sys::window().ok_or_else(|| js_err("no window"))?;
    let document = window.document().ok_or_else(|| js_err("no document"))?;

    let stage = element(&document, "div", "edgepix-stage")?;
    let canvas: HtmlCanvasElement = element(&document, "canvas", "edgepix-canvas")?.dyn_into()?;
    canvas.set_width(WIDTH);
    canvas.set_height(HEIGHT);
    canvas.set_tab_index(0);
    canvas.set_attribute("role", "img")?;
    canvas.set_attribute("aria-label", &format!("{}: a pet pixel game. Arrow keys move, up jumps, down waits, Enter starts.", config.name))?;
    let style = canvas.style();
    style.set_property("image-rendering", "pixelated")?;
    style.set_property("display", "block")?;
    style.set_property("touch-action", "none")?;
    stage.append_child(&canvas)?;
    root.append_child(&stage)?;

    let pad = element(&document, "div", "edgepix-pad")?;
    let mut sound_button = None;
    for (name, label, aria) in input::BUTTONS {
        let b = element(&document, "button", "edgepix-button")?;
        b.set_attribute("type", "button")?;
        b.set_attribute("data-cmd", name)?;
        b.set_attribute("aria-label", aria)?;
        b.set_tab_index(-1);
        b.set_text_content(Some(label));
        if name == "sound" {
            b.set_attribute("aria-pressed", "false")?;
            sound_button = Some(b.clone());
        }
        if let Some(cmd) = input::command_for_button(name) {
            listen_button(&b, cmd, &window)?;
        }
        pad.append_child(&b)?;
    }
    root.append_child(&pad)?;

    let live = element(&document, "div", "edgepix-live")?;
    live.set_attribute("aria-live", "polite")?;
    live.set_attribute("role", "status")?;
    let ls = live.style();
    for (k, v) in [("position", "absolute"), ("width", "1px"), ("height", "1px"), ("overflow", "hidden"), ("clip-path", "inset(50%)"), ("white-space", "nowrap")] {
        ls.set_property(k, v)?;
    }
    root.append_child(&live)?;

    let ctx: CanvasRenderingContext2d = canvas.get_context("2d")?.ok_or_else(|| js_err("no 2d canvas context"))?.dyn_into()?;
    let sheet = HtmlImageElement::new()?;
    let still = HtmlImageElement::new()?;
    let renderer = Renderer::new(ctx, config.theme, config.name.clone(), sheet.clone(), still.clone(), Frames::from_atlas(&config.atlas))?;
    let host = Host::new(window.clone(), root.clone(), live, config.code.to_string());
    let session = Session::new(config.levels.clone());

    let app = Rc::new(RefCell::new(App {
        session,
        renderer,
        host,
        audio: Audio::default(),
        config,
        window: window.clone(),
        stage,
        canvas: canvas.clone(),
        sound_button,
        acc: 0.0,
        last: None,
        held: None,
        shown_moves: None,
        pending_assets: 2,
    }));
    APP.with(|a| *a.borrow_mut() = Some(app.clone()));
    {
        let a = app.borrow();
        a.host.attr("screen", Screen::Start.as_str());
        a.host.attr("level", "1");
        a.host.attr("moves", "0");
        a.fit();
    }

    for img in [&sheet, &still] {
        for kind in ["load", "error"] {
            on(img, kind, |_| with_app(App::asset_settled))?;
        }
    }
    let (sheet_url, still_url) = {
        let a = app.borrow();
        (a.config.sheet_url.clone(), a.config.still_url.clone())
    };
    sheet.set_src(&sheet_url);
    still.set_src(&still_url);

    on(&window, "keydown", |e| {
        let Some(k) = e.dyn_ref::<KeyboardEvent>() else { return };
        if k.ctrl_key() || k.meta_key() || k.alt_key() {
            return;
        }
        if let Some(cmd) = input::command_for_key(&k.key()) {
            e.prevent_default();
            let repeat = k.repeat();
            with_app(|a| a.press(cmd, repeat));
        }
    })?;
    on(&window, "message", |e| {
        if e.dyn_ref::<MessageEvent>().is_some_and(|m| host::is_status_request(&m.data())) {
            with_app(|a| a.post_status());
        }
    })?;
    on(&window, "resize", |_| with_app(|a| a.fit()))?;
    let focus = canvas.clone();
    on(&canvas, "pointerdown", move |e| {
        e.prevent_default();
        let _ = focus.focus();
        with_app(|a| a.press(Command::Confirm, false));
    })?;
    run_frames(&window)
}

thread_local! {
    /// The running game (one per page).
    static APP: RefCell<Option<Rc<RefCell<App>>>> = const { RefCell::new(None) };
}

/// Runs `f` on the game unless it is busy (an event inside a frame).
fn with_app(f: impl FnOnce(&mut App)) {
    let app = APP.with(|a| a.borrow().clone());
    if let Some(app) = app
        && let Ok(mut a) = app.try_borrow_mut()
    {
        f(&mut a);
    }
}

fn js_err(msg: &str) -> JsValue {
    js_sys::Error::new(msg).into()
}

fn element(document: &Document, tag: &str, class: &str) -> Result<HtmlElement, JsValue> {
    let e: HtmlElement = document.create_element(tag)?.dyn_into()?;
    e.set_class_name(class);
    Ok(e)
}

/// Adds a listener that lives as long as the page.
fn on(target: &EventTarget, kind: &str, f: impl FnMut(Event) + 'static) -> Result<(), JsValue> {
    let cb = Closure::<dyn FnMut(Event)>::new(f);
    target.add_event_listener_with_callback(kind, cb.as_ref().unchecked_ref())?;
    cb.forget();
    Ok(())
}

/// A button acts on pointer down; a held move button repeats.
fn listen_button(b: &HtmlElement, cmd: Command, window: &Window) -> Result<(), JsValue> {
    let w = window.clone();
    on(b, "pointerdown", move |e| {
        e.prevent_default();
        let now = w.performance().map_or(0.0, |p| p.now());
        with_app(|a| {
            a.press(cmd, false);
            if matches!(cmd, Command::Move(_)) {
                a.held = Some((cmd, now));
            }
        });
    })?;
    for kind in ["pointerup", "pointercancel", "pointerleave"] {
        on(b, kind, |_| with_app(|a| a.held = None))?;
    }
    Ok(())
}

/// The `requestAnimationFrame` loop.
fn run_frames(window: &Window) -> Result<(), JsValue> {
    type FrameSlot = Rc<RefCell<Option<Closure<dyn FnMut(f64)>>>>;
    let slot: FrameSlot = Rc::new(RefCell::new(None));
    let again = slot.clone();
    let w = window.clone();
    *slot.borrow_mut() = Some(Closure::new(move |t: f64| {
        with_app(|a| a.frame(t));
        if let Some(cb) = again.borrow().as_ref() {
            let _ = w.request_animation_frame(cb.as_ref().unchecked_ref());
        }
    }));
    let first = slot.borrow();
    let cb = first.as_ref().ok_or_else(|| js_err("no frame callback"))?;
    window.request_animation_frame(cb.as_ref().unchecked_ref())?;
    Ok(())
}

/// The game and the page parts it drives.
struct App {
    session: Session,
    renderer: Renderer,
    host: Host,
    audio: Audio,
    config: Config,
    window: Window,
    stage: HtmlElement,
    canvas: HtmlCanvasElement,
    sound_button: Option<HtmlElement>,
    /// Unstepped time, in milliseconds.
    acc: f64,
    /// The last frame's timestamp.
    last: Option<f64>,
    /// An on-screen move button held down, and since when.
    held: Option<(Command, f64)>,
    /// The moves last written to `data-moves`.
    shown_moves: Option<u32>,
    /// Images not yet loaded or failed.
    pending_assets: u8,
}

impl App {
    fn press(&mut self, cmd: Command, repeat: bool) {
        self.session.press(cmd, repeat);
        // Right away, inside the key press or tap: browsers only let audio
        // start from one.
        self.flush();
    }

    fn frame(&mut self, t: f64) {
        let dt = self.last.map_or(0.0, |l| t - l);
        self.last = Some(t);
        if dt > MAX_FRAME_MS {
            self.acc = 0.0;
        } else {
            self.acc += dt.max(0.0);
        }
        while self.acc >= STEP_MS {
            if let Some((cmd, since)) = self.held
                && t - since >= HOLD_REPEAT_MS
            {
                self.session.press(cmd, true);
            }
            self.session.step();
            self.acc -= STEP_MS;
        }
        self.flush();
        self.renderer.draw(&self.session);
    }

    /// Passes the session's events on to the page, the host and the audio.
    fn flush(&mut self) {
        let levels = self.session.level_count();
        for ev in self.session.drain_events() {
            match ev {
                GameEvent::FirstStart => {
                    if let Some(url) = Some(self.config.plays_url.as_str()).filter(|u| !u.is_empty()) {
                        self.host.record_play(url);
                    }
                }
                GameEvent::Screen(screen) => self.screen_changed(screen),
                GameEvent::LevelComplete { level, moves, time_ms } => {
                    self.host.post("level-complete", level, levels, &[("moves", JsValue::from(moves)), ("time_ms", JsValue::from(time_ms))]);
                }
                GameEvent::GameOver { won, level, reason } => {
                    let reason = reason.map_or(JsValue::NULL, |r| JsValue::from_str(r.as_str()));
                    self.host.post("game-over", level, levels, &[("won", JsValue::from_bool(won)), ("reason", reason)]);
                }
                GameEvent::Sound(sfx) => self.audio.play(sfx),
                GameEvent::SoundToggled(on) => {
                    self.audio.set(on);
                    if let Some(b) = &self.sound_button {
                        let _ = b.set_attribute("aria-pressed", if on { "true" } else { "false" });
                    }
                    self.host.attr("sound", if on { "on" } else { "off" });
                }
            }
        }
        let moves = self.session.moves();
        if self.shown_moves != Some(moves) {
            self.shown_moves = Some(moves);
            self.host.attr("moves", &moves.to_string());
        }
    }

    fn screen_changed(&mut self, screen: Screen) {
        let s = &self.session;
        let (n, count) = (s.level_number(), s.level_count());
        self.host.attr("screen", screen.as_str());
        self.host.attr("level", &n.to_string());
        let text = match screen {
            Screen::Start => String::new(),
            Screen::Playing => format!("Level {n} of {count}. Go!"),
            Screen::LevelComplete => format!("Level {n} complete in {} moves. Press Enter for the next level.", s.moves()),
            Screen::Lost(loss) => format!("{} Press Enter or R to try again.", render::loss_text(loss, self.renderer.style())),
            Screen::Won => format!("You won! All {count} levels done."),
        };
        self.host.announce(&text);
    }

    fn asset_settled(&mut self) {
        self.pending_assets = self.pending_assets.saturating_sub(1);
        if self.pending_assets == 0 {
            self.host.attr("ready", "true");
            let theme = JsValue::from_str(self.config.theme.as_str());
            let name = JsValue::from_str(&self.config.name);
            self.host.post("ready", self.session.level_number(), self.session.level_count(), &[("name", name), ("theme", theme)]);
        }
    }

    /// Posts `status`: whether the game is ready, its screen and moves.
    fn post_status(&self) {
        let s = &self.session;
        let fields = [
            ("ready", JsValue::from_bool(self.pending_assets == 0)),
            ("screen", JsValue::from_str(s.screen().as_str())),
            ("moves", JsValue::from(s.moves())),
        ];
        self.host.post("status", s.level_number(), s.level_count(), &fields);
    }

    /// Sizes the canvas to the largest whole-pixel scale that fits the stage.
    fn fit(&self) {
        let (mut w, mut h) = (f64::from(self.stage.client_width()), f64::from(self.stage.client_height()));
        if w <= 0.0 || h <= 0.0 {
            w = self.window.inner_width().ok().and_then(|v| v.as_f64()).unwrap_or(f64::from(WIDTH));
            h = self.window.inner_height().ok().and_then(|v| v.as_f64()).unwrap_or(f64::from(HEIGHT));
        }
        let s = scale::fit(w, h, self.window.device_pixel_ratio());
        let style = self.canvas.style();
        let _ = style.set_property("width", &format!("{}px", f64::from(WIDTH) * s));
        let _ = style.set_property("height", &format!("{}px", f64::from(HEIGHT) * s));
        let _ = self.canvas.set_attribute("data-scale", &s.to_string());
    }
}
