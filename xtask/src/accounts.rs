//! Accounts for local runs: the Worker's signing keys, and creators made
//! through the real API (sign up, sign in, create an API key), so that
//! tests, benchmarks and `cargo xtask dev` act as real users do.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::{Value, json};

use crate::Result;
use crate::dev::random_hex;

/// A fresh `JWT_KEYS` entry: `kid:seed` with a 32-byte hex seed.
pub fn new_jwt_key() -> Result<String> {
    Ok(format!("k{}:{}", random_hex(4)?, random_hex(32)?))
}

/// `cargo xtask keygen`: prints a key for `wrangler secret put JWT_KEYS`.
pub fn keygen() -> Result {
    println!("{}", new_jwt_key()?);
    eprintln!("xtask: put it first in JWT_KEYS (`npx wrangler secret put JWT_KEYS`), keep the old key after it for an hour, then drop the old one");
    Ok(())
}

/// Signs up `email` (a no-op when it exists), signs in, and creates an API
/// key named `key_name` with every scope, which it returns. `ip` is sent as the client IP, so
/// that set-up does not spend the loopback address's rate limits.
pub fn creator(worker: &str, email: &str, password: &str, key_name: &str, ip: &str) -> Result<String> {
    let (status, body) = post(worker, "/api/v1/auth/signup", None, ip, &json!({"email": email, "password": password}))?;
    if status != 202 {
        return Err(format!("sign-up of {email} answered {status}: {body}"));
    }
    let (status, body) = post(worker, "/api/v1/auth/login", None, ip, &json!({"email": email, "password": password}))?;
    let access = body["access_token"].as_str().filter(|_| status == 200).ok_or_else(|| format!("sign-in of {email} answered {status}: {body}"))?.to_owned();
    let scopes = ["assets:read", "assets:write", "policies:read", "policies:write", "games:write"];
    let (status, body) = post(worker, "/api/v1/me/keys", Some(&access), ip, &json!({"name": key_name, "scopes": scopes}))?;
    let key = body["key"].as_str().filter(|_| status == 201).ok_or_else(|| format!("key creation for {email} answered {status}: {body}"))?;
    Ok(key.to_owned())
}

/// Whether `key` still authenticates (`GET /api/v1/me` answers 200).
pub fn key_works(worker: &str, key: &str, ip: &str) -> bool {
    request(worker, "GET", "/api/v1/me", Some(key), ip, None).is_ok_and(|(s, _)| s == 200)
}

/// Median wall times (ms) of the auth benchmark's requests, each row named;
/// the first is the baseline (see `bench auth`).
pub fn time_auth(worker: &str, runs: usize) -> Result<Vec<(&'static str, f64)>> {
    let password = format!("pw-{}", random_hex(16)?);
    let mut rows: Vec<(&'static str, Vec<f64>)> = vec![
        ("login, malformed email (400, no account work)", vec![]),
        ("login, unknown email (401, KDF spent)", vec![]),
        ("login (200: KDF, session row, signed token)", vec![]),
        ("sign-up (202: KDF, account row)", vec![]),
        ("GET /api/v1/me with the access token (verify, D1)", vec![]),
    ];
    for i in 0..runs {
        let ip = format!("198.18.{}.{}", i / 200, i % 200 + 1);
        let email = format!("bench-{i}-{}@edgepix.test", random_hex(4)?);
        let mut time = |row: usize, f: &mut dyn FnMut() -> Result<(u16, Value)>, want: u16| -> Result<Value> {
            let t = std::time::Instant::now();
            let (status, body) = f()?;
            rows[row].1.push(t.elapsed().as_secs_f64() * 1000.0);
            if status == want { Ok(body) } else { Err(format!("{}: {status} {body}", rows[row].0)) }
        };
        time(0, &mut || post(worker, "/api/v1/auth/login", None, &ip, &json!({"email": "not an email", "password": password})), 400)?;
        time(1, &mut || post(worker, "/api/v1/auth/login", None, &ip, &json!({"email": format!("x{email}"), "password": password})), 401)?;
        time(3, &mut || post(worker, "/api/v1/auth/signup", None, &ip, &json!({"email": email, "password": password})), 202)?;
        let body = time(2, &mut || post(worker, "/api/v1/auth/login", None, &ip, &json!({"email": email, "password": password})), 200)?;
        let access = body["access_token"].as_str().unwrap_or_default().to_owned();
        time(4, &mut || request(worker, "GET", "/api/v1/me", Some(&access), &ip, None), 200)?;
    }
    Ok(rows
        .into_iter()
        .map(|(name, mut v)| {
            v.sort_by(f64::total_cmp);
            (name, v.get(v.len() / 2).copied().unwrap_or(f64::NAN))
        })
        .collect())
}

fn post(worker: &str, path: &str, bearer: Option<&str>, ip: &str, body: &Value) -> Result<(u16, Value)> {
    request(worker, "POST", path, bearer, ip, Some(&body.to_string()))
}

/// A plain HTTP/1.1 request over loopback with a JSON body.
fn request(worker: &str, method: &str, path: &str, bearer: Option<&str>, ip: &str, body: Option<&str>) -> Result<(u16, Value)> {
    let host = worker.strip_prefix("http://").ok_or("only http:// URLs")?.trim_end_matches('/');
    let mut s = TcpStream::connect(host).map_err(|e| format!("connect {host}: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(30))).map_err(|e| e.to_string())?;
    let body = body.unwrap_or("");
    let auth = bearer.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/json\r\nCF-Connecting-IP: {ip}\r\n{auth}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| e.to_string())?;
    // Read until the body is complete: the server may keep the connection
    // open for a while despite `Connection: close`.
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    while !complete(&buf) {
        let n = s.read(&mut chunk).map_err(|e| format!("read {path}: {e}"))?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&buf);
    let status = text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).ok_or_else(|| format!("no status line from {path}"))?;
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let rest = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") { dechunk(rest) } else { rest.to_owned() };
    Ok((status, serde_json::from_str(&rest).unwrap_or(Value::Null)))
}

/// Whether `buf` holds a whole response (by Content-Length, or a chunked
/// body's last chunk).
fn complete(buf: &[u8]) -> bool {
    let text = String::from_utf8_lossy(buf);
    let Some((head, body)) = text.split_once("\r\n\r\n") else { return false };
    let head = head.to_ascii_lowercase();
    if let Some(len) = head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse::<usize>().ok()) {
        return body.len() >= len;
    }
    if head.contains("transfer-encoding: chunked") {
        return body.ends_with("0\r\n\r\n");
    }
    false
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else { break };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].strip_prefix("\r\n").unwrap_or(&rest[n..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_when_a_response_is_whole() {
        assert!(!complete(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab"));
        assert!(complete(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd"));
        assert!(complete(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"));
        assert!(!complete(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"));
        assert!(complete(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"));
    }

    #[test]
    fn dechunks_http_bodies() {
        assert_eq!(dechunk("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"), "hello world");
    }

    #[test]
    fn jwt_keys_have_the_worker_s_shape() {
        let k = new_jwt_key().unwrap();
        let (kid, seed) = k.split_once(':').unwrap();
        assert!(kid.starts_with('k') && kid.len() == 9);
        assert_eq!(seed.len(), 64);
    }
}
