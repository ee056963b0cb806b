//! Exact rate limiting with fixed windows.
//!
//! The Worker keeps one [`Window`] per key inside a Durable Object, so counts
//! are exact (a Durable Object handles one request at a time); this module
//! holds the arithmetic so that it is tested natively.

use serde::{Deserialize, Serialize};

/// A limit: at most `limit` hits per `window_secs` seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limit {
    /// Hits allowed per window (at least 1).
    pub limit: u32,
    /// The window's length in seconds (at least 1).
    pub window_secs: u32,
}

impl Limit {
    /// A limit of `limit` hits per `window_secs`, both raised to at least 1.
    pub fn new(limit: u32, window_secs: u32) -> Limit {
        Limit { limit: limit.max(1), window_secs: window_secs.max(1) }
    }

    /// Parses `"N/S"` (N hits per S seconds), as written in `wrangler.toml`.
    pub fn parse(s: &str) -> Option<Limit> {
        let (n, w) = s.trim().split_once('/')?;
        let (n, w) = (n.trim().parse().ok()?, w.trim().parse().ok()?);
        (n > 0 && w > 0).then_some(Limit { limit: n, window_secs: w })
    }
}

/// One key's state: when its window began and how many hits it has seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// Start of the current window, Unix milliseconds.
    pub start_ms: u64,
    /// Hits counted in the current window, refused ones excluded.
    pub count: u32,
}

/// The answer to one hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Whether the hit is allowed.
    pub allowed: bool,
    /// The limit in force.
    pub limit: u32,
    /// Hits left in this window after this one.
    pub remaining: u32,
    /// Seconds until the window resets (rounded up, at least 1).
    pub reset_secs: u32,
}

impl Window {
    /// Counts a hit at `now_ms` against `limit` and says whether it may pass.
    pub fn hit(&mut self, now_ms: u64, limit: Limit) -> Decision {
        let window_ms = u64::from(limit.window_secs) * 1000;
        if self.count == 0 || now_ms < self.start_ms || now_ms - self.start_ms >= window_ms {
            *self = Window { start_ms: now_ms, count: 0 };
        }
        let allowed = self.count < limit.limit;
        if allowed {
            self.count += 1;
        }
        let left_ms = window_ms - (now_ms - self.start_ms);
        Decision {
            allowed,
            limit: limit.limit,
            remaining: limit.limit - self.count,
            reset_secs: left_ms.div_ceil(1000).max(1) as u32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_exactly_the_limit_then_refuses_until_the_window_ends() {
        let limit = Limit::new(5, 900);
        let mut w = Window::default();
        for i in 0..5 {
            let d = w.hit(1_000 + i, limit);
            assert!(d.allowed);
            assert_eq!(d.remaining, 4 - i as u32);
        }
        let refused = w.hit(2_000, limit);
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 0);
        assert_eq!(refused.reset_secs, 899);
        assert!(w.hit(1_000 + 900_000, limit).allowed, "a new window starts");
    }

    #[test]
    fn a_clock_going_back_starts_a_new_window() {
        let limit = Limit::new(1, 60);
        let mut w = Window::default();
        assert!(w.hit(10_000, limit).allowed);
        assert!(!w.hit(10_001, limit).allowed);
        assert!(w.hit(5_000, limit).allowed);
    }

    #[test]
    fn parses_config_strings() {
        assert_eq!(Limit::parse("100/60"), Some(Limit { limit: 100, window_secs: 60 }));
        assert_eq!(Limit::parse(" 5 / 900 "), Some(Limit { limit: 5, window_secs: 900 }));
        for bad in ["", "5", "0/60", "5/0", "a/b", "-1/60"] {
            assert_eq!(Limit::parse(bad), None, "{bad}");
        }
    }
}
