//! Watching the page for behaviour signals (`edgepix_core::protect::signals`):
//! listeners on the window and document that record samples until the
//! viewer asks for a ticket. Nothing is sent but the samples, counts and a
//! salted device hash.

use std::cell::RefCell;
use std::rc::Rc;

use edgepix_core::protect::signals::{MAX_POINTER, MAX_SAMPLES, Signals};
use sha2::{Digest, Sha256};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Event, EventTarget, MouseEvent, Window};

/// Window properties that browser automation leaves behind.
const AUTOMATION_GLOBALS: [&str; 8] = ["callPhantom", "_phantom", "__nightmare", "domAutomation", "domAutomationController", "_selenium", "__webdriver_evaluate", "__driver_evaluate"];

#[derive(Default)]
struct State {
    signals: Signals,
    last_pointer: Option<(f64, f64, f64)>,
    last_scroll: Option<(f64, f64)>,
}

type Listener = (EventTarget, &'static str, Closure<dyn FnMut(Event)>);

/// Listens from construction until dropped.
pub struct Collector {
    state: Rc<RefCell<State>>,
    started: f64,
    listeners: Vec<Listener>,
}

fn now(window: &Window) -> f64 {
    window.performance().map_or(0.0, |p| p.now())
}

impl Collector {
    /// Starts listening on `window` and its document.
    pub fn start(window: &Window) -> Result<Collector, JsValue> {
        let state = Rc::new(RefCell::new(State::default()));
        let mut c = Collector { state, started: now(window), listeners: Vec::new() };
        let w = window.clone();
        c.listen(window.as_ref(), "pointermove", move |s, e| {
            let Some(m) = e.dyn_ref::<MouseEvent>() else { return };
            let (x, y, t) = (f64::from(m.client_x()), f64::from(m.client_y()), now(&w));
            if let Some((px, py, pt)) = s.last_pointer {
                if s.signals.pointer.len() < MAX_POINTER {
                    s.signals.pointer.push([x - px, y - py, t - pt]);
                }
            }
            s.last_pointer = Some((x, y, t));
        })?;
        let w = window.clone();
        c.listen(window.as_ref(), "scroll", move |s, _| {
            let (y, t) = (w.scroll_y().unwrap_or(0.0), now(&w));
            if let Some((py, pt)) = s.last_scroll {
                if s.signals.scroll.len() < MAX_SAMPLES {
                    s.signals.scroll.push([y - py, t - pt]);
                }
            }
            s.last_scroll = Some((y, t));
        })?;
        for name in ["pointerdown", "keydown", "touchstart", "wheel"] {
            c.listen(window.as_ref(), name, |s, _| s.signals.interactions += 1)?;
        }
        for name in ["focus", "blur"] {
            c.listen(window.as_ref(), name, |s, _| s.signals.focus_events += 1)?;
        }
        if let Some(doc) = window.document() {
            c.listen(doc.as_ref(), "visibilitychange", |s, _| s.signals.visibility_changes += 1)?;
        }
        Ok(c)
    }

    fn listen(&mut self, target: &EventTarget, name: &'static str, mut f: impl FnMut(&mut State, &Event) + 'static) -> Result<(), JsValue> {
        let state = Rc::clone(&self.state);
        let closure = Closure::<dyn FnMut(Event)>::new(move |e: Event| {
            if let Ok(mut s) = state.try_borrow_mut() {
                f(&mut s, &e);
            }
        });
        target.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref())?;
        self.listeners.push((target.clone(), name, closure));
        Ok(())
    }

    /// Records one measured timer interval, in milliseconds.
    pub fn timer(&self, interval_ms: f64) {
        let mut s = self.state.borrow_mut();
        if s.signals.timer_intervals.len() < MAX_SAMPLES {
            s.signals.timer_intervals.push(interval_ms);
        }
    }

    /// How long the collector has been watching, in milliseconds.
    pub fn watched_ms(&self, window: &Window) -> f64 {
        now(window) - self.started
    }

    /// The signals so far, with what the page reads at this moment.
    pub fn snapshot(&self, window: &Window) -> Signals {
        let mut s = self.state.borrow().signals.clone();
        s.duration_ms = self.watched_ms(window);
        let nav = window.navigator();
        s.webdriver = js_sys::Reflect::get(&nav, &JsValue::from_str("webdriver")).is_ok_and(|v| v.is_truthy());
        let doc = window.document();
        s.focused = doc.as_ref().is_some_and(|d| d.has_focus().unwrap_or(false) && d.visibility_state() == web_sys::VisibilityState::Visible);
        s.automation = AUTOMATION_GLOBALS.iter().filter(|g| js_sys::Reflect::has(window, &JsValue::from_str(g)).unwrap_or(false)).map(|g| (*g).to_owned()).collect();
        if doc.and_then(|d| d.document_element()).is_some_and(|e| e.has_attribute("webdriver")) {
            s.automation.push("webdriver attribute".to_owned());
        }
        s.fingerprint = fingerprint(window);
        s
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        for (target, name, closure) in &self.listeners {
            let _ = target.remove_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
        }
    }
}

/// A device hash salted with the page's origin, so it cannot link a
/// device across sites, and never the properties themselves.
fn fingerprint(window: &Window) -> String {
    let nav = window.navigator();
    let screen = window.screen().ok();
    let parts = [
        window.location().origin().unwrap_or_default(),
        nav.user_agent().unwrap_or_default(),
        nav.language().unwrap_or_default(),
        nav.platform().unwrap_or_default(),
        nav.hardware_concurrency().to_string(),
        screen.as_ref().map(|s| format!("{}x{}x{}", s.width().unwrap_or(0), s.height().unwrap_or(0), s.color_depth().unwrap_or(0))).unwrap_or_default(),
        js_sys::Date::new_0().get_timezone_offset().to_string(),
    ];
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    edgepix_core::signing::hex(&h.finalize())
}
