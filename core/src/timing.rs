//! `Server-Timing` header values (W3C Server Timing).
//!
//! Each tier records named phases and renders them as one header so that a
//! developer sees in the browser's network panel where a request spent its
//! time.

use std::fmt::Write as _;

/// An ordered list of timed phases, rendered as a `Server-Timing` value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServerTiming {
    entries: Vec<(String, f64, Option<String>)>,
}

impl ServerTiming {
    /// An empty list.
    pub fn new() -> ServerTiming {
        ServerTiming::default()
    }

    /// Adds a phase of `millis` milliseconds. Names that are not HTTP tokens
    /// are rewritten (`_` for every offending byte) so the header stays valid.
    pub fn add(&mut self, name: &str, millis: f64, desc: Option<&str>) -> &mut ServerTiming {
        let name: String = name.chars().map(|c| if is_tchar(c) { c } else { '_' }).collect();
        let millis = if millis.is_finite() && millis >= 0.0 { millis } else { 0.0 };
        self.entries.push((name, millis, desc.map(str::to_owned)));
        self
    }

    /// Whether no phase was added.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The header value: `name;dur=1.2;desc="..."`, comma-separated.
    pub fn header_value(&self) -> String {
        let mut out = String::new();
        for (i, (name, dur, desc)) in self.entries.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{name};dur={dur:.1}");
            if let Some(desc) = desc {
                out.push_str(";desc=\"");
                for c in desc.chars().filter(|c| !c.is_control()) {
                    if c == '"' || c == '\\' {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out.push('"');
            }
        }
        out
    }
}

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_entries_in_order() {
        let mut t = ServerTiming::new();
        t.add("total", 12.345, None).add("pool fetch", 3.0, Some("GET \"/healthz\""));
        assert_eq!(t.header_value(), "total;dur=12.3, pool_fetch;dur=3.0;desc=\"GET \\\"/healthz\\\"\"");
    }

    #[test]
    fn bad_durations_become_zero() {
        let mut t = ServerTiming::new();
        t.add("a", f64::NAN, None).add("b", -1.0, None);
        assert_eq!(t.header_value(), "a;dur=0.0, b;dur=0.0");
    }
}
