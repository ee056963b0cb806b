//! Behaviour signals and the score that decides who gets a view ticket.
//!
//! The browser module watches a page for a few hundred milliseconds and
//! sends [`Signals`]: samples of pointer movement, scrolls and timer
//! intervals, counts of interaction and focus events, automation
//! giveaways, and a hash of the device (never the raw properties). The
//! Worker scores them with [`score`], a fixed, documented function of the
//! samples (the client's own summaries are never trusted), plus what the
//! Worker sees itself (the `User-Agent`).
//!
//! Points (0-100):
//! - **pointer** (up to 35): Shannon entropy of the direction of pointer
//!   moves over 16 sectors, full marks at 3 bits, when at least 8 moves
//!   were seen; counted at half when every step has the same length (a
//!   script moving in straight, even steps);
//! - **interaction** (up to 20): 10 per pointer-down, key-down, touch or
//!   wheel event, at most 2;
//! - **scroll** (up to 10): at least 3 scroll samples whose speeds vary;
//! - **timing** (up to 15): the standard deviation of timer intervals is
//!   between 0.02 ms and 50 ms (real event loops jitter; replayed or
//!   synthetic timings are exact or absurd), with at least 8 samples;
//! - **focus** (10): the page had focus and was visible;
//! - **fingerprint** (10): a well-formed device hash (64 hex digits);
//! - **duration** (10): the page watched for at least 300 ms.
//!
//! Any automation giveaway (`navigator.webdriver`, a headless or scripted
//! user agent, an empty user agent, or a flag the page raised) scores 0.
//! [`THRESHOLD`] is 50: a person who moves a pointer passes with room to
//! spare; a person who only reads (no pointer, e.g. on a phone) scores 45
//! and is asked to tap or scroll and retry, which adds 20.

use serde::{Deserialize, Serialize};

/// The least score that gets a ticket.
pub const THRESHOLD: u8 = 50;
/// Most pointer samples read.
pub const MAX_POINTER: usize = 512;
/// Most scroll or timer samples read.
pub const MAX_SAMPLES: usize = 128;

/// What a page observed, as the browser module sends it (camelCase JSON).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Signals {
    /// How long the page watched, in milliseconds.
    pub duration_ms: f64,
    /// Pointer moves as `[dx, dy, dt_ms]` between consecutive events.
    pub pointer: Vec<[f64; 3]>,
    /// Scrolls as `[dy, dt_ms]`.
    pub scroll: Vec<[f64; 2]>,
    /// Intervals measured between timer callbacks, in milliseconds.
    pub timer_intervals: Vec<f64>,
    /// Pointer-down, key-down, touch and wheel events.
    pub interactions: u32,
    /// Focus and blur events.
    pub focus_events: u32,
    /// Visibility changes.
    pub visibility_changes: u32,
    /// Whether the document had focus and was visible at the end.
    pub focused: bool,
    /// `navigator.webdriver`.
    pub webdriver: bool,
    /// Other automation giveaways the page noticed (names, for the record).
    pub automation: Vec<String>,
    /// A hash of the device's properties, 64 hex digits (the page never
    /// sends the properties themselves).
    pub fingerprint: String,
}

/// The verdict with its reasons, recorded with each ticket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Score {
    /// 0-100.
    pub score: u8,
    /// Whether `score >= THRESHOLD`.
    pub human: bool,
    /// What counted, for the record and for the refusal message.
    pub reasons: Vec<String>,
}

/// Scores `s`, seen with the request's `user_agent`.
pub fn score(s: &Signals, user_agent: &str) -> Score {
    let mut reasons = Vec::new();
    if let Some(giveaway) = automation(s, user_agent) {
        reasons.push(format!("automation: {giveaway}"));
        return Score { score: 0, human: false, reasons };
    }
    let mut points = 0u32;
    let mut add = |name: &str, p: u32, reasons: &mut Vec<String>| {
        if p > 0 {
            reasons.push(format!("{name} +{p}"));
        }
        points += p;
    };
    add("pointer", pointer_points(&s.pointer), &mut reasons);
    add("interaction", s.interactions.min(2) * 10, &mut reasons);
    add("scroll", scroll_points(&s.scroll), &mut reasons);
    add("timing", timing_points(&s.timer_intervals), &mut reasons);
    add("focus", if s.focused { 10 } else { 0 }, &mut reasons);
    add("fingerprint", if is_hex64(&s.fingerprint) { 10 } else { 0 }, &mut reasons);
    add("duration", if s.duration_ms >= 300.0 { 10 } else { 0 }, &mut reasons);
    let score = points.min(100) as u8;
    Score { score, human: score >= THRESHOLD, reasons }
}

fn automation(s: &Signals, user_agent: &str) -> Option<String> {
    if s.webdriver {
        return Some("navigator.webdriver".into());
    }
    if let Some(flag) = s.automation.first() {
        return Some(flag.chars().take(64).collect());
    }
    let ua = user_agent.to_ascii_lowercase();
    if ua.trim().is_empty() {
        return Some("no user agent".into());
    }
    const SCRIPTED: [&str; 10] = ["headlesschrome", "phantomjs", "python-requests", "curl/", "wget/", "go-http-client", "okhttp", "node-fetch", "undici", "scrapy"];
    SCRIPTED.iter().find(|k| ua.contains(*k)).map(|k| format!("user agent ({k})"))
}

fn finite(v: &[f64]) -> impl Iterator<Item = f64> + '_ {
    v.iter().copied().filter(|x| x.is_finite())
}

fn pointer_points(moves: &[[f64; 3]]) -> u32 {
    let moves: Vec<(f64, f64)> = moves.iter().take(MAX_POINTER).filter(|m| m.iter().all(|x| x.is_finite()) && (m[0] != 0.0 || m[1] != 0.0)).map(|m| (m[0], m[1])).collect();
    if moves.len() < 8 {
        return 0;
    }
    let mut bins = [0u32; 16];
    for &(dx, dy) in &moves {
        let a = dy.atan2(dx); // -pi..pi
        let b = (((a + std::f64::consts::PI) / (2.0 * std::f64::consts::PI)) * 16.0).floor() as usize;
        bins[b.min(15)] += 1;
    }
    let n = moves.len() as f64;
    let entropy: f64 = bins.iter().filter(|&&c| c > 0).map(|&c| {
        let p = f64::from(c) / n;
        -p * p.log2()
    }).sum();
    let mut p = (35.0 * (entropy / 3.0).min(1.0)).round() as u32;
    let lengths: Vec<f64> = moves.iter().map(|(dx, dy)| (dx * dx + dy * dy).sqrt()).collect();
    if std_dev(&lengths) < 1e-6 {
        p /= 2;
    }
    p
}

fn scroll_points(scroll: &[[f64; 2]]) -> u32 {
    let speeds: Vec<f64> = scroll.iter().take(MAX_SAMPLES).filter(|s| s[0].is_finite() && s[1].is_finite() && s[1] > 0.0).map(|s| s[0] / s[1]).collect();
    if speeds.len() >= 3 && std_dev(&speeds) > 1e-6 { 10 } else { 0 }
}

fn timing_points(intervals: &[f64]) -> u32 {
    let v: Vec<f64> = finite(&intervals[..intervals.len().min(MAX_SAMPLES)]).collect();
    if v.len() < 8 {
        return 0;
    }
    let sd = std_dev(&v);
    if (0.02..=50.0).contains(&sd) { 15 } else { 0 }
}

fn std_dev(v: &[f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n).sqrt()
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";

    fn person() -> Signals {
        // A wandering pointer, jittery timers, focus, a device hash.
        let pointer = (0..40).map(|i| {
            let a = f64::from(i) * 0.7;
            [a.cos() * (3.0 + f64::from(i % 5)), a.sin() * (2.0 + f64::from(i % 3)), 16.0 + f64::from(i % 4)]
        }).collect();
        Signals {
            duration_ms: 600.0,
            pointer,
            timer_intervals: (0..20).map(|i| 16.0 + f64::from(i % 7) * 0.3).collect(),
            focused: true,
            fingerprint: "ab".repeat(32),
            ..Signals::default()
        }
    }

    #[test]
    fn a_person_moving_a_pointer_passes() {
        let s = score(&person(), CHROME);
        assert!(s.human, "{s:?}");
        assert!(s.score >= 70, "{s:?}");
    }

    #[test]
    fn automation_giveaways_score_zero() {
        let mut s = person();
        s.webdriver = true;
        assert_eq!(score(&s, CHROME).score, 0);
        let ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36";
        assert_eq!(score(&person(), ua).score, 0);
        assert_eq!(score(&person(), "curl/8.5.0").score, 0);
        assert_eq!(score(&person(), "").score, 0);
        let mut flagged = person();
        flagged.automation = vec!["cdc_ property".into()];
        assert!(!score(&flagged, CHROME).human);
    }

    #[test]
    fn a_still_reader_is_refused_until_they_interact() {
        let mut s = person();
        s.pointer.clear();
        let still = score(&s, CHROME);
        assert_eq!(still.score, 45);
        assert!(!still.human);
        s.interactions = 2;
        assert!(score(&s, CHROME).human);
    }

    #[test]
    fn scripted_straight_even_moves_and_exact_timers_score_low() {
        let s = Signals {
            duration_ms: 500.0,
            pointer: vec![[5.0, 0.0, 16.0]; 50],
            timer_intervals: vec![16.0; 20],
            focused: true,
            fingerprint: "00".repeat(32),
            ..Signals::default()
        };
        let r = score(&s, CHROME);
        assert!(!r.human, "{r:?}");
    }

    #[test]
    fn garbage_never_panics_and_scores_low() {
        let s = Signals {
            duration_ms: f64::NAN,
            pointer: vec![[f64::INFINITY, f64::NAN, 0.0]; 3000],
            scroll: vec![[f64::NAN, 0.0]; 500],
            timer_intervals: vec![f64::NEG_INFINITY; 500],
            fingerprint: "zz".into(),
            ..Signals::default()
        };
        assert_eq!(score(&s, CHROME).score, 0);
        let parsed: Result<Signals, _> = serde_json::from_str(r#"{"pointer":[[1,2,3]],"durationMs":10,"unknownField":1}"#);
        assert!(parsed.is_ok());
    }
}
