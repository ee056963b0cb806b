//! Shared helpers of the end-to-end tests: where the running system is.
//!
//! `cargo xtask test` starts the Worker (wrangler dev) and the pool on free
//! loopback ports and passes their URLs in `EDGEPIX_URL`, `EDGEPIX_POOL_URL`
//! and `EDGEPIX_SPIN_URL`. Run by hand against `cargo xtask dev`:
//! `EDGEPIX_URL=http://127.0.0.1:8787 EDGEPIX_POOL_URL=http://127.0.0.1:8790 cargo test -p edgepix-e2e`.

/// The Worker's base URL.
pub fn worker() -> String {
    url("EDGEPIX_URL")
}

/// The native pool's base URL.
pub fn pool() -> String {
    url("EDGEPIX_POOL_URL")
}

/// The Spin component's base URL, if one runs.
pub fn spin() -> Option<String> {
    std::env::var("EDGEPIX_SPIN_URL").ok().filter(|s| !s.is_empty())
}

fn url(var: &str) -> String {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => v.trim_end_matches('/').to_owned(),
        _ => panic!("{var} is not set: run these tests through `cargo xtask test` (or see tests/src/lib.rs)"),
    }
}

/// A client with a short timeout, sending as a client address of its own
/// (`CF-Connecting-IP: 10.a.b.c`, random), so that it has its own per-IP
/// rate-limit budgets (miniflare keeps a client-sent `CF-Connecting-IP`).
pub fn client() -> reqwest::Client {
    client_from(&random_ip())
}

/// A client with a short timeout that sends as client address `ip`.
pub fn client_from(ip: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("cf-connecting-ip", reqwest::header::HeaderValue::from_str(ip).expect("an IP address is a header value"));
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .default_headers(headers)
        .build()
        .expect("reqwest client")
}

/// A random private address, `10.a.b.c`.
pub fn random_ip() -> String {
    let b = nonce();
    format!("10.{}.{}.{}", b[0], b[1], b[2])
}

/// A real photo from the test set (scikit-image's and matplotlib's sample
/// data, fetched by `cargo xtask setup` into `EDGEPIX_PHOTOS`).
pub fn photo(name: &str) -> Vec<u8> {
    let dir = url("EDGEPIX_PHOTOS");
    std::fs::read(format!("{dir}/{name}")).unwrap_or_else(|e| panic!("photo {name}: {e}"))
}

/// The first test creator's bearer token.
pub fn token_a() -> String {
    url("EDGEPIX_TOKEN_A")
}

/// The second test creator's bearer token.
pub fn token_b() -> String {
    url("EDGEPIX_TOKEN_B")
}

/// SHA-256 of `bytes` in hex (an asset's id).
pub fn sha256_hex(bytes: &[u8]) -> String {
    edgepix_core::assets::AssetId::of(bytes).to_string()
}

/// Uploads `bytes` as creator `token`, returning status and JSON body.
pub async fn upload(token: &str, bytes: Vec<u8>, content_type: &str) -> (u16, serde_json::Value) {
    let resp = client()
        .post(format!("{}/api/v1/assets", worker()))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(bytes)
        .send()
        .await
        .expect("worker answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(serde_json::Value::Null))
}

/// The secret the pool shares with the Worker (`EDGEPIX_POOL_SECRET`).
pub fn pool_secret() -> String {
    url("EDGEPIX_POOL_SECRET")
}

/// Sends `body` to the pool at `base` + `target` (path and query), signed
/// as the Worker signs, with the signature made `skew_secs` from now.
pub async fn pool_post(base: &str, target: &str, body: Vec<u8>, secret: &str, skew_secs: i64) -> reqwest::Response {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs();
    let t = now.saturating_add_signed(skew_secs);
    let sig = edgepix_core::signing::sign(secret.as_bytes(), "POST", target, &body, t, nonce());
    client()
        .post(format!("{base}{target}"))
        .header(edgepix_core::signing::SIGNATURE_HEADER, sig.header_value())
        .body(body)
        .send()
        .await
        .expect("pool answers")
}

/// A minimal big-endian TIFF block (EXIF's layout): IFD0 with one entry,
/// the orientation tag (0x0112, SHORT) set to `orientation`.
fn exif_block(orientation: u16) -> Vec<u8> {
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend_from_slice(&0x0112u16.to_be_bytes());
    tiff.extend_from_slice(&3u16.to_be_bytes());
    tiff.extend_from_slice(&1u32.to_be_bytes());
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff
}

/// A JPEG with an EXIF APP1 segment carrying `orientation`, inserted after
/// SOI.
pub fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&exif_block(orientation));
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A PNG with an `eXIf` chunk carrying `orientation`, inserted after IHDR
/// (which is 8 + 25 bytes into every PNG).
pub fn png_with_exif_orientation(png: &[u8], orientation: u16) -> Vec<u8> {
    let tiff = exif_block(orientation);
    let mut typed = b"eXIf".to_vec();
    typed.extend_from_slice(&tiff);
    let mut out = png[..33].to_vec();
    out.extend_from_slice(&(tiff.len() as u32).to_be_bytes());
    out.extend_from_slice(&typed);
    out.extend_from_slice(&crc32(&typed).to_be_bytes());
    out.extend_from_slice(&png[33..]);
    out
}

/// A simple-format WebP (one `VP8 ` or `VP8L` chunk) of a `width` x
/// `height` opaque image rewritten in the extended format, with an `EXIF`
/// chunk carrying `orientation`.
pub fn webp_with_exif_orientation(webp: &[u8], width: u32, height: u32, orientation: u16) -> Vec<u8> {
    let mut vp8x = vec![0x08, 0, 0, 0]; // flags: EXIF
    vp8x.extend_from_slice(&(width - 1).to_le_bytes()[..3]);
    vp8x.extend_from_slice(&(height - 1).to_le_bytes()[..3]);
    let exif = exif_block(orientation);
    let mut body = b"WEBP".to_vec();
    for (id, data) in [(&b"VP8X"[..], &vp8x[..]), (&b"EXIF"[..], &exif[..])] {
        body.extend_from_slice(id);
        body.extend_from_slice(&(data.len() as u32).to_le_bytes());
        body.extend_from_slice(data);
        if id == b"VP8X" {
            body.extend_from_slice(&webp[12..]); // the image chunk
        }
    }
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// CRC-32 (ISO-HDLC, PNG's), bit by bit.
fn crc32(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 == 1 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
        }
    }
    !c
}

/// `jpeg`'s pixels turned a quarter counter-clockwise and stored with EXIF
/// orientation 6, so that it displays as the original.
pub fn rotated_with_exif(jpeg: &[u8]) -> Vec<u8> {
    use edgepix_core::codec::{Limits, OutputFormat, decode, encode, probe};
    use edgepix_core::transform::orient::Orientation;
    let p = probe(jpeg, &Limits::default()).expect("probe");
    let img = decode(jpeg, &p, None, &Limits::default()).expect("decode");
    let turned = Orientation::rotate_cw(3).apply(img);
    let enc = encode(&turned, OutputFormat::Jpeg, 95, [255, 255, 255]).expect("encode");
    with_exif_orientation(&enc.bytes, 6)
}

/// 16 random bytes for a request signature.
pub fn nonce() -> [u8; 16] {
    let mut n = [0u8; 16];
    getrandom::fill(&mut n).expect("the OS gives random bytes");
    n
}

/// The Worker's `JWT_KEYS` secret (`kid:seed_base64url,...`, the first key
/// signs), from `EDGEPIX_JWT_KEYS`.
pub fn jwt_keys() -> String {
    required("EDGEPIX_JWT_KEYS")
}

/// The issuer of the Worker's access tokens (`EDGEPIX_JWT_ISSUER`, default
/// `edgepix`).
pub fn jwt_issuer() -> String {
    env_or("EDGEPIX_JWT_ISSUER", "edgepix")
}

/// The audience of the Worker's access tokens (`EDGEPIX_JWT_AUDIENCE`,
/// default `edgepix-api`).
pub fn jwt_audience() -> String {
    env_or("EDGEPIX_JWT_AUDIENCE", "edgepix-api")
}

fn required(var: &str) -> String {
    std::env::var(var).ok().filter(|s| !s.is_empty()).unwrap_or_else(|| panic!("{var} is not set: run these tests through `cargo xtask test`"))
}

fn env_or(var: &str, default: &str) -> String {
    std::env::var(var).ok().filter(|s| !s.is_empty()).unwrap_or_else(|| default.to_owned())
}

/// A fresh account, signed up and logged in (session `"token"`) from a
/// client address of its own.
#[derive(Clone, Debug)]
pub struct Account {
    /// The normalised email.
    pub email: String,
    /// Its password.
    pub password: String,
    /// The account id (`usr_...`).
    pub id: String,
    /// The access token of its login.
    pub access_token: String,
    /// The refresh token of its login (unused).
    pub refresh_token: String,
    /// The client address it signed up and logged in from.
    pub ip: String,
}

impl Account {
    /// A client that sends as this account's address.
    pub fn client(&self) -> reqwest::Client {
        client_from(&self.ip)
    }
}

/// Signs up a unique `e2e-<hex>@example.com` with a strong password as
/// `role` (`"creator"` or `"viewer"`) and logs it in.
pub async fn new_account(role: &str) -> Account {
    let ip = random_ip();
    let c = client_from(&ip);
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let email = format!("e2e-{}@example.com", hex(&nonce()[..8]));
    let password = format!("Quartz-{}-kettle!", hex(&nonce()[..8]));
    let mut body = serde_json::json!({"email": email, "password": password});
    if role != "creator" {
        body["role"] = role.into();
    }
    let resp = c.post(format!("{}/api/v1/auth/signup", worker())).json(&body).send().await.expect("worker answers");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    assert_eq!(status, 202, "sign-up of {email}: {text}");
    let resp = c
        .post(format!("{}/api/v1/auth/login", worker()))
        .json(&serde_json::json!({"email": email, "password": password, "session": "token"}))
        .send()
        .await
        .expect("worker answers");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    assert_eq!(status, 200, "login of {email}: {text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("login answer of {email} is not JSON ({e}): {text}"));
    assert_eq!(v["user"]["role"], role, "{text}");
    let field = |f: &str, v: &serde_json::Value| v.as_str().unwrap_or_else(|| panic!("no {f} in {text}")).to_owned();
    Account {
        id: field("user.id", &v["user"]["id"]),
        access_token: field("access_token", &v["access_token"]),
        refresh_token: field("refresh_token", &v["refresh_token"]),
        email,
        password,
        ip,
    }
}

/// The account id behind `token` (an access token or API key), from
/// `GET /api/v1/me`: the `owner` of what it creates.
pub async fn account_id(token: &str) -> String {
    let me: serde_json::Value = client().get(format!("{}/api/v1/me", worker())).bearer_auth(token).send().await.expect("worker answers").json().await.expect("JSON");
    me["id"].as_str().unwrap_or_else(|| panic!("no account behind the token: {me}")).to_owned()
}
