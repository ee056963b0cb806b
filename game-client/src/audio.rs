//! Beeps through WebAudio oscillators; off until the player turns it on.

use web_sys::{AudioContext, AudioContextState, OscillatorType};

use crate::session::Sfx;

/// A sound effect's notes: (frequency in Hz, start and length in seconds).
pub fn notes(sfx: Sfx) -> &'static [(f32, f64, f64)] {
    match sfx {
        Sfx::Step => &[(330.0, 0.0, 0.05)],
        Sfx::Jump => &[(440.0, 0.0, 0.06), (660.0, 0.05, 0.08)],
        Sfx::Complete => &[(523.0, 0.0, 0.1), (659.0, 0.1, 0.1), (784.0, 0.2, 0.1), (1047.0, 0.3, 0.2)],
        Sfx::Lose => &[(392.0, 0.0, 0.12), (311.0, 0.12, 0.12), (233.0, 0.24, 0.25)],
        Sfx::Start => &[(523.0, 0.0, 0.06), (784.0, 0.07, 0.1)],
    }
}

/// The game's sound: an audio context made on first use (inside the key
/// press or tap that turned sound on, as browsers require).
#[derive(Default)]
pub struct Audio {
    ctx: Option<AudioContext>,
    on: bool,
}

impl Audio {
    /// Turns the sound on or off.
    pub fn set(&mut self, on: bool) {
        self.on = on;
        if on && self.ctx.is_none() {
            self.ctx = AudioContext::new().ok();
        }
        if let Some(ctx) = self.ctx.as_ref().filter(|c| on && c.state() == AudioContextState::Suspended) {
            let _ = ctx.resume();
        }
    }

    /// Plays `sfx` if the sound is on (errors are ignored: sound is optional).
    pub fn play(&self, sfx: Sfx) {
        if let (true, Some(ctx)) = (self.on, &self.ctx) {
            let _ = beep(ctx, notes(sfx));
        }
    }
}

fn beep(ctx: &AudioContext, notes: &[(f32, f64, f64)]) -> Result<(), wasm_bindgen::JsValue> {
    let t0 = ctx.current_time();
    for &(freq, start, len) in notes {
        let (at, end) = (t0 + start, t0 + start + len);
        let osc = ctx.create_oscillator()?;
        osc.set_type(OscillatorType::Square);
        osc.frequency().set_value_at_time(freq, at)?;
        let gain = ctx.create_gain()?;
        gain.gain().set_value_at_time(0.04, at)?;
        gain.gain().exponential_ramp_to_value_at_time(0.001, end)?;
        osc.connect_with_audio_node(&gain)?;
        gain.connect_with_audio_node(&ctx.destination())?;
        osc.start_with_when(at)?;
        osc.stop_with_when(end)?;
    }
    Ok(())
}
