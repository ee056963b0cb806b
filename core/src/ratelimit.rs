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

impl Decision {
    /// The response headers that describe this decision: `RateLimit-*`
    /// (IETF httpapi draft) and, when refused, `Retry-After`.
    pub fn headers(&self, limit: Limit) -> Vec<(&'static str, String)> {
        let mut h = vec![
            ("ratelimit-limit", self.limit.to_string()),
            ("ratelimit-remaining", self.remaining.to_string()),
            ("ratelimit-reset", self.reset_secs.to_string()),
            ("ratelimit-policy", format!("{};w={}", limit.limit, limit.window_secs)),
        ];
        if !self.allowed {
            h.push(("retry-after", self.reset_secs.to_string()));
        }
        h
    }
}

/// A limit the Worker enforces, by name in the `RATE_LIMITS` var.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    /// Login attempts per account (normalised email).
    LoginAccount,
    /// Login attempts per client IP.
    LoginIp,
    /// Sign-ups per client IP.
    SignupIp,
    /// Uploads per account.
    Upload,
    /// Game creations per account.
    Game,
    /// Requests to `/api/` per client IP.
    ApiIp,
}

impl Rule {
    /// Every rule.
    pub const ALL: [Rule; 6] = [Rule::LoginAccount, Rule::LoginIp, Rule::SignupIp, Rule::Upload, Rule::Game, Rule::ApiIp];

    /// The rule's name in `RATE_LIMITS` and in Durable Object keys.
    pub const fn name(self) -> &'static str {
        match self {
            Rule::LoginAccount => "login_account",
            Rule::LoginIp => "login_ip",
            Rule::SignupIp => "signup_ip",
            Rule::Upload => "upload",
            Rule::Game => "game",
            Rule::ApiIp => "api_ip",
        }
    }

    /// The limit when `RATE_LIMITS` does not set one.
    pub const fn default_limit(self) -> Limit {
        match self {
            Rule::LoginAccount | Rule::LoginIp => Limit { limit: 5, window_secs: 900 },
            Rule::SignupIp => Limit { limit: 10, window_secs: 3600 },
            Rule::Upload => Limit { limit: 100, window_secs: 3600 },
            Rule::Game => Limit { limit: 10, window_secs: 3600 },
            Rule::ApiIp => Limit { limit: 100, window_secs: 60 },
        }
    }

    /// The Durable Object key of this rule for `subject` (an IP, an email,
    /// an account id).
    pub fn key(self, subject: &str) -> String {
        format!("{}:{subject}", self.name())
    }
}

/// The limits in force: the defaults, overridden by `RATE_LIMITS`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rules {
    limits: Vec<(Rule, Limit)>,
}

/// A `RATE_LIMITS` entry that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("RATE_LIMITS entry {0:?} is not name=N/SECONDS with a known name (login_account, login_ip, signup_ip, upload, game, api_ip)")]
pub struct RulesError(pub String);

impl Default for Rules {
    fn default() -> Rules {
        Rules { limits: Rule::ALL.iter().map(|&r| (r, r.default_limit())).collect() }
    }
}

impl Rules {
    /// Parses `name=N/S,name=N/S` over the defaults.
    pub fn parse(config: &str) -> Result<Rules, RulesError> {
        let mut rules = Rules::default();
        for entry in config.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let bad = || RulesError(entry.to_owned());
            let (name, limit) = entry.split_once('=').ok_or_else(bad)?;
            let rule = Rule::ALL.into_iter().find(|r| r.name() == name.trim()).ok_or_else(bad)?;
            let limit = Limit::parse(limit).ok_or_else(bad)?;
            for slot in rules.limits.iter_mut().filter(|(r, _)| *r == rule) {
                slot.1 = limit;
            }
        }
        Ok(rules)
    }

    /// The limit of `rule`.
    pub fn get(&self, rule: Rule) -> Limit {
        self.limits.iter().find(|(r, _)| *r == rule).map_or(rule.default_limit(), |(_, l)| *l)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_default_and_override_by_name() {
        let r = Rules::default();
        assert_eq!(r.get(Rule::LoginAccount), Limit { limit: 5, window_secs: 900 });
        assert_eq!(r.get(Rule::ApiIp), Limit { limit: 100, window_secs: 60 });
        let r = Rules::parse("api_ip=1000/60, game=3/3600").unwrap();
        assert_eq!(r.get(Rule::ApiIp), Limit { limit: 1000, window_secs: 60 });
        assert_eq!(r.get(Rule::Game), Limit { limit: 3, window_secs: 3600 });
        assert_eq!(r.get(Rule::Upload), Rule::Upload.default_limit());
        assert!(Rules::parse("nope=1/1").is_err());
        assert!(Rules::parse("upload=0/60").is_err());
        assert_eq!(Rule::LoginIp.key("10.0.0.1"), "login_ip:10.0.0.1");
    }

    #[test]
    fn refused_decisions_carry_retry_after() {
        let limit = Limit::new(1, 60);
        let mut w = Window::default();
        let ok = w.hit(0, limit);
        assert!(!ok.headers(limit).iter().any(|(k, _)| *k == "retry-after"));
        let refused = w.hit(1_000, limit);
        let h = refused.headers(limit);
        assert!(h.contains(&("retry-after", "59".to_owned())), "{h:?}");
        assert!(h.contains(&("ratelimit-remaining", "0".to_owned())));
        assert!(h.contains(&("ratelimit-policy", "1;w=60".to_owned())));
    }

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
