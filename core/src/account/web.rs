//! The browser side of sessions: the refresh cookie and the CSRF check.
//!
//! The refresh token travels in an `HttpOnly; Secure; SameSite=Lax` cookie
//! scoped to the auth routes. Requests authenticated by that cookie must
//! also come from our own origin ([`same_origin`]), so a cross-site form or
//! fetch cannot use the ambient cookie even where `SameSite` is not honoured.

use super::token::REFRESH_TTL_SECS;

/// The refresh cookie's name.
pub const REFRESH_COOKIE: &str = "edgepix_refresh";
/// The path the refresh cookie is sent to.
pub const COOKIE_PATH: &str = "/api/v1/auth";

/// The `Set-Cookie` value that stores `token`.
pub fn set_refresh_cookie(token: &str) -> String {
    format!("{REFRESH_COOKIE}={token}; HttpOnly; Secure; SameSite=Lax; Path={COOKIE_PATH}; Max-Age={REFRESH_TTL_SECS}")
}

/// The `Set-Cookie` value that deletes the refresh cookie.
pub fn clear_refresh_cookie() -> String {
    format!("{REFRESH_COOKIE}=; HttpOnly; Secure; SameSite=Lax; Path={COOKIE_PATH}; Max-Age=0")
}

/// The refresh cookie's value in a `Cookie` header, if present.
pub fn refresh_from_cookie(header: &str) -> Option<&str> {
    header.split(';').filter_map(|p| p.trim().split_once('=')).find(|(k, _)| *k == REFRESH_COOKIE).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
}

/// Whether a request with these `Origin` and `Referer` headers comes from
/// `own_origin` (`scheme://host[:port]`). Without either header the answer
/// is no: browsers send `Origin` on every cross-origin and every POST
/// request, so its absence on a cookie-authenticated POST is suspicious.
pub fn same_origin(origin: Option<&str>, referer: Option<&str>, own_origin: &str) -> bool {
    let own = own_origin.trim_end_matches('/');
    match (origin.map(str::trim), referer) {
        (Some(o), _) if !o.is_empty() && o != "null" => o.eq_ignore_ascii_case(own),
        (Some(_), _) => false,
        (None, Some(r)) => origin_of(r).is_some_and(|o| o.eq_ignore_ascii_case(own)),
        (None, None) => false,
    }
}

/// `scheme://authority` of an absolute URL.
fn origin_of(url: &str) -> Option<&str> {
    let scheme_end = url.find("://")?;
    let rest = &url[scheme_end + 3..];
    let end = rest.find(['/', '?', '#']).map_or(url.len(), |i| scheme_end + 3 + i);
    Some(&url[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_attributes_and_parsing() {
        let c = set_refresh_cookie("ert_abc");
        for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/api/v1/auth", "Max-Age=604800"] {
            assert!(c.contains(attr), "{c}");
        }
        assert!(clear_refresh_cookie().contains("Max-Age=0"));
        assert_eq!(refresh_from_cookie("a=1; edgepix_refresh=ert_x ; b=2"), Some("ert_x"));
        assert_eq!(refresh_from_cookie("edgepix_refresh="), None);
        assert_eq!(refresh_from_cookie("xedgepix_refresh=1"), None);
    }

    #[test]
    fn only_our_origin_passes() {
        let own = "https://edgepix.example";
        assert!(same_origin(Some("https://edgepix.example"), None, own));
        assert!(same_origin(None, Some("https://edgepix.example/account?x=1"), own));
        assert!(!same_origin(Some("https://evil.example"), Some("https://edgepix.example/"), own), "Origin wins over Referer");
        assert!(!same_origin(Some("null"), None, own));
        assert!(!same_origin(None, None, own));
        assert!(!same_origin(None, Some("https://edgepix.example.evil.example/"), own));
        assert!(!same_origin(Some("http://edgepix.example"), None, own), "scheme matters");
        assert!(!same_origin(Some("https://edgepix.example:8443"), None, own), "port matters");
    }
}
