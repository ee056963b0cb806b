//! Accounts and access through the Worker (docs/accounts.md): sign-up,
//! login, access tokens and their forgeries, refresh rotation and reuse,
//! cookies and CSRF, API keys, roles, rate limits and hostile input.
//!
//! Each test makes its own accounts (unique emails) and sends from client
//! addresses of its own, so that rate limits of one test never reach
//! another.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use ed25519_dalek::{Signer, SigningKey};
use edgepix_e2e::{client, jwt_audience, jwt_issuer, jwt_keys, new_account, nonce, photo, upload, worker};
use reqwest::Client;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

// ---------- requests and answers ----------

/// A response read whole: status, headers, body text and (if JSON) value.
struct Answer {
    status: u16,
    headers: HeaderMap,
    text: String,
    json: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `Set-Cookie` line that sets `edgepix_refresh`.
    fn refresh_cookie(&self) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.trim_start().starts_with("edgepix_refresh="))
            .map(str::to_owned)
    }
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.text)
    }
}

async fn send(req: reqwest::RequestBuilder) -> Answer {
    let resp = req.send().await.expect("worker answers");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("a readable body");
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer { status, headers, text, json }
}

fn url(path: &str) -> String {
    format!("{}{path}", worker())
}

async fn post(c: &Client, path: &str, body: Value) -> Answer {
    send(c.post(url(path)).json(&body)).await
}

async fn get(c: &Client, path: &str, bearer: &str) -> Answer {
    send(c.get(url(path)).bearer_auth(bearer)).await
}

async fn post_bearer(c: &Client, path: &str, bearer: &str, body: Value) -> Answer {
    send(c.post(url(path)).bearer_auth(bearer).json(&body)).await
}

async fn signup(c: &Client, email: &str, password: &str) -> Answer {
    post(c, "/api/v1/auth/signup", json!({"email": email, "password": password})).await
}

async fn login(c: &Client, email: &str, password: &str) -> Answer {
    post(c, "/api/v1/auth/login", json!({"email": email, "password": password, "session": "token"})).await
}

async fn refresh(c: &Client, refresh_token: &str) -> Answer {
    post(c, "/api/v1/auth/refresh", json!({"refresh_token": refresh_token})).await
}

async fn me(c: &Client, bearer: &str) -> Answer {
    get(c, "/api/v1/me", bearer).await
}

/// A cookie-authenticated POST (`cookie` is `edgepix_refresh=...`) with
/// optional `Origin` and `Referer`.
async fn with_cookie(c: &Client, path: &str, cookie: &str, origin: Option<&str>, referer: Option<&str>) -> Answer {
    let mut req = c.post(url(path)).header("cookie", cookie).json(&json!({}));
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    if let Some(r) = referer {
        req = req.header("referer", r);
    }
    send(req).await
}

// ---------- checks ----------

fn expect(a: &Answer, status: u16, what: &str) {
    assert_eq!(a.status, status, "{what}: {a}");
}

fn expect_error(a: &Answer, status: u16, code: &str, what: &str) {
    assert_eq!(a.status, status, "{what}: {a}");
    assert_eq!(a.json["error"]["code"], code, "{what}: {a}");
    assert!(a.json["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{what}: {a}");
}

fn expect_unauthorized(a: &Answer, what: &str) {
    expect_error(a, 401, "unauthorized", what);
    assert_eq!(a.header("www-authenticate"), Some("Bearer"), "{what}: {a}");
}

fn expect_rate_limited(a: &Answer, limit: &str, what: &str) {
    expect_error(a, 429, "rate_limited", what);
    let h = &a.headers;
    let retry = a.header("retry-after").and_then(|v| v.trim().parse::<u64>().ok());
    assert!(retry.is_some_and(|s| s > 0), "{what}: Retry-After is a positive number of seconds: {h:?} {a}");
    assert_eq!(a.header("ratelimit-limit"), Some(limit), "{what}: {h:?} {a}");
    assert_eq!(a.header("ratelimit-remaining"), Some("0"), "{what}: {h:?} {a}");
    assert!(a.header("ratelimit-reset").is_some(), "{what}: {h:?} {a}");
    assert!(a.header("ratelimit-policy").is_some(), "{what}: {h:?} {a}");
}

/// The account in a `/me` or admin answer, which may wrap it in `user`.
fn user(v: &Value) -> &Value {
    if v["user"].is_object() { &v["user"] } else { v }
}

fn str_of<'a>(a: &'a Answer, v: &'a Value, what: &str) -> &'a str {
    v.as_str().unwrap_or_else(|| panic!("no {what} in {a}"))
}

/// Checks a tokens answer (docs/accounts.md, "Tokens answer") and returns
/// its access and refresh tokens.
fn check_tokens(a: &Answer, email: &str, role: &str) -> (String, String) {
    expect(a, 200, "tokens");
    let v = &a.json;
    assert_eq!(v["token_type"], "Bearer", "{a}");
    assert_eq!(v["expires_in"], 3600, "{a}");
    assert_eq!(v["refresh_expires_in"], 604800, "{a}");
    assert_eq!(v["user"]["email"], email, "{a}");
    assert_eq!(v["user"]["role"], role, "{a}");
    assert_eq!(v["user"]["plan"], "free", "{a}");
    assert!(v["user"]["id"].as_str().is_some_and(|id| id.starts_with("usr_")), "{a}");
    let access = str_of(a, &v["access_token"], "access_token");
    assert_eq!(access.split('.').count(), 3, "a JWT has three parts: {a}");
    let refresh = str_of(a, &v["refresh_token"], "refresh_token");
    assert!(refresh.starts_with("ert_"), "{a}");
    (access.to_owned(), refresh.to_owned())
}

// ---------- values ----------

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// 16 random hex digits.
fn unique() -> String {
    hex(&nonce()[..8])
}

fn unique_email(prefix: &str) -> String {
    format!("{prefix}-{}@example.com", unique())
}

fn strong_password() -> String {
    format!("Quartz-{}-kettle!", unique())
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_secs()
}

// ---------- JWTs, made here without edgepix-core ----------

fn b64json(part: &str) -> Value {
    let bytes = B64URL.decode(part).unwrap_or_else(|e| panic!("{part:?} is not base64url: {e}"));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{part:?} is not JSON: {e}"))
}

fn enc(v: &Value) -> String {
    B64URL.encode(serde_json::to_vec(v).expect("JSON"))
}

/// A JWT's header, claims and signature part.
fn jwt_parts(token: &str) -> (Value, Value, String) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT has three parts: {token}");
    (b64json(parts[0]), b64json(parts[1]), parts[2].to_owned())
}

/// `header.claims.signature`, signed with `key` over `header_b64.claims_b64`.
fn sign_jwt(header: &Value, claims: &Value, key: &SigningKey) -> String {
    let input = format!("{}.{}", enc(header), enc(claims));
    let sig = key.sign(input.as_bytes());
    format!("{input}.{}", B64URL.encode(sig.to_bytes()))
}

/// The Worker's signing key: the first of `JWT_KEYS`.
fn real_key() -> (String, SigningKey) {
    let keys = jwt_keys();
    let first = keys.split(',').next().unwrap_or_default().trim();
    let (kid, seed) = first.split_once(':').unwrap_or_else(|| panic!("EDGEPIX_JWT_KEYS is kid:seed,...: {first:?}"));
    // The Worker reads 64 hex digits or 43 base64url characters.
    let seed = seed.trim();
    let seed = if seed.len() == 64 && seed.bytes().all(|b| b.is_ascii_hexdigit()) {
        (0..32).map(|i| u8::from_str_radix(&seed[2 * i..2 * i + 2], 16).expect("hex")).collect::<Vec<u8>>()
    } else {
        B64URL.decode(seed.trim_end_matches('=')).expect("the seed is base64url")
    };
    let seed: [u8; 32] = seed.try_into().expect("the seed has 32 bytes");
    (kid.trim().to_owned(), SigningKey::from_bytes(&seed))
}

/// `claims` made valid from now for ten minutes, with a new `jti`.
fn fresh(claims: &Value) -> Value {
    let mut c = claims.clone();
    let t = now();
    c["iat"] = t.into();
    c["nbf"] = t.into();
    c["exp"] = (t + 600).into();
    c["jti"] = unique().into();
    c
}

// ---------- sign-up, login, tokens ----------

#[tokio::test]
async fn signup_login_me_refresh_and_logout() {
    let c = client();
    let tag = unique();
    let typed = format!("  MiXed-{}@Example.COM ", tag.to_uppercase());
    let email = format!("mixed-{tag}@example.com");
    let password = strong_password();

    let a = signup(&c, &typed, &password).await;
    expect(&a, 202, "sign-up");
    assert_eq!((&a.json["status"], &a.json["login"]), (&json!("accepted"), &json!("/api/v1/auth/login")), "{a}");

    // Login normalises the email too.
    let a = login(&c, &email.to_uppercase(), &password).await;
    let (access, r1) = check_tokens(&a, &email, "creator");
    let user_id = a.json["user"]["id"].as_str().unwrap().to_owned();
    let (header, claims, _) = jwt_parts(&access);
    assert_eq!(header["alg"], "EdDSA", "{header}");
    assert_eq!(header["typ"], "JWT", "{header}");
    let kid = header["kid"].as_str().filter(|k| !k.is_empty()).unwrap_or_else(|| panic!("no kid: {header}")).to_owned();
    assert_eq!(claims["iss"], jwt_issuer(), "{claims}");
    assert_eq!(claims["aud"], jwt_audience(), "{claims}");
    assert_eq!(claims["sub"], user_id.as_str(), "{claims}");
    assert_eq!(claims["role"], "creator", "{claims}");
    assert!(claims["sid"].as_str().is_some_and(|s| !s.is_empty()), "{claims}");
    assert!(claims["jti"].as_str().is_some_and(|s| !s.is_empty()), "{claims}");
    assert_eq!(claims["exp"].as_u64().zip(claims["iat"].as_u64()).map(|(e, i)| e - i), Some(3600), "{claims}");

    let jwks = send(c.get(url("/.well-known/jwks.json"))).await;
    expect(&jwks, 200, "jwks");
    let listed = jwks.json["keys"].as_array().unwrap_or_else(|| panic!("{jwks}")).iter().find(|k| k["kid"] == kid.as_str()).cloned();
    let listed = listed.unwrap_or_else(|| panic!("the signing kid {kid} is published: {jwks}"));
    assert_eq!((&listed["kty"], &listed["crv"], &listed["alg"]), (&json!("OKP"), &json!("Ed25519"), &json!("EdDSA")), "{jwks}");

    let a = me(&c, &access).await;
    expect(&a, 200, "/me");
    let u = user(&a.json);
    assert_eq!(u["email"], email.as_str(), "{a}");
    assert_eq!(u["id"], user_id.as_str(), "{a}");
    assert_eq!(u["role"], "creator", "{a}");
    assert_eq!(u["plan"], "free", "{a}");

    let a = get(&c, "/api/v1/me/sessions", &access).await;
    expect(&a, 200, "sessions");
    let sessions = a.json["sessions"].as_array().unwrap_or_else(|| panic!("{a}"));
    assert_eq!(sessions.len(), 1, "one login, one session: {a}");
    assert_eq!(sessions[0]["current"], true, "{a}");

    let a = refresh(&c, &r1).await;
    let (access2, r2) = check_tokens(&a, &email, "creator");
    assert_ne!(r2, r1, "the refresh token rotates");
    assert_ne!(access2, access);
    assert_eq!(jwt_parts(&access2).1["sid"], claims["sid"], "a refresh stays in its session");
    expect(&me(&c, &access2).await, 200, "/me with the refreshed access token");

    let a = send(c.post(url("/api/v1/auth/logout")).bearer_auth(&access2)).await;
    expect(&a, 204, "logout");
    expect(&refresh(&c, &r2).await, 401, "the logged-out session's refresh token");
    expect_unauthorized(&me(&c, &access2).await, "the logged-out session's access token");
    expect_unauthorized(&me(&c, &access).await, "the logged-out session's first access token");
}

#[tokio::test]
async fn signup_of_a_taken_email_answers_like_a_new_one() {
    let acct = new_account("creator").await;
    let c = acct.client();
    let other_password = strong_password();
    let new = signup(&c, &unique_email("e2e-new"), &strong_password()).await;
    let taken = signup(&c, &acct.email, &other_password).await;
    expect(&new, 202, "a new email");
    expect(&taken, 202, "a taken email");
    assert_eq!(taken.json, new.json, "same body: {taken} / {new}");
    assert_eq!(taken.text, new.text, "same bytes");

    let wrong = login(&c, &acct.email, &other_password).await;
    expect_error(&wrong, 401, "invalid_credentials", "the second sign-up's password");
    let unknown = login(&c, &unique_email("e2e-nobody"), &other_password).await;
    expect_error(&unknown, 401, "invalid_credentials", "an unknown email");
    assert_eq!(wrong.json["error"]["message"], unknown.json["error"]["message"], "{wrong} / {unknown}");

    // The second sign-up changed nothing.
    check_tokens(&login(&c, &acct.email, &acct.password).await, &acct.email, "creator");
}

#[tokio::test]
async fn weak_passwords_and_bad_emails_are_refused() {
    let email = unique_email("e2e-weak");
    let local = email.split('@').next().unwrap().to_owned();
    for (why, password) in [
        ("too short", "Qz7!kettl"),
        ("well known", "password1234"),
        ("the email's local part", local.as_str()),
        ("one repeated character", "zzzzzzzzzzzz"),
    ] {
        let a = signup(&client(), &email, password).await;
        expect_error(&a, 400, "weak_password", why);
    }
    let long = format!("{}@example.com", "a".repeat(250));
    for bad in ["", "   ", "nobody", "@example.com", "a@b@example.com", "a b@example.com", "a@localhost", "a@exa..mple.com", long.as_str()] {
        let a = signup(&client(), bad, &strong_password()).await;
        expect_error(&a, 400, "invalid_request", &format!("email {bad:?}"));
    }
}

#[tokio::test]
async fn forged_tampered_and_expired_tokens_are_refused() {
    let acct = new_account("creator").await;
    let c = acct.client();
    let (header, claims, _) = jwt_parts(&acct.access_token);
    let (kid, key) = real_key();
    assert_eq!(header["kid"], kid.as_str(), "the first key of EDGEPIX_JWT_KEYS signs the Worker's tokens: {header}");
    let good_header = json!({"alg": "EdDSA", "typ": "JWT", "kid": kid});

    // The control: a token signed here as the Worker signs is accepted, so
    // each refusal below is for the reason it tests.
    let a = me(&c, &sign_jwt(&good_header, &fresh(&claims), &key)).await;
    expect(&a, 200, "a token made here with the real key and claims");
    assert_eq!(user(&a.json)["email"], acct.email.as_str(), "{a}");

    let parts: Vec<&str> = acct.access_token.split('.').collect();
    let mut sig: Vec<char> = parts[2].chars().collect();
    sig[10] = if sig[10] == 'A' { 'B' } else { 'A' };
    let flipped = format!("{}.{}.{}", parts[0], parts[1], sig.into_iter().collect::<String>());

    let mut admin = claims.clone();
    admin["role"] = "admin".into();
    let tampered = format!("{}.{}.{}", parts[0], enc(&admin), parts[2]);

    let none = format!("{}.{}.", enc(&json!({"alg": "none", "typ": "JWT"})), parts[1]);

    let mut seed = [0u8; 32];
    seed[..16].copy_from_slice(&nonce());
    seed[16..].copy_from_slice(&nonce());
    let stranger = SigningKey::from_bytes(&seed);

    let t = now();
    let mut expired = claims.clone();
    expired["iat"] = (t - 3 * 3600).into();
    expired["nbf"] = (t - 3 * 3600).into();
    expired["exp"] = (t - 2 * 3600).into();
    let mut early = fresh(&claims);
    early["nbf"] = (t + 3600).into();
    early["exp"] = (t + 7200).into();
    let mut other_aud = fresh(&claims);
    other_aud["aud"] = "other-api".into();
    let mut other_iss = fresh(&claims);
    other_iss["iss"] = "someone-else".into();

    let cases = [
        ("a flipped signature character", flipped),
        ("claims changed under the real signature", tampered),
        ("alg none", none),
        ("another algorithm", sign_jwt(&json!({"alg": "HS256", "typ": "JWT", "kid": kid}), &fresh(&claims), &key)),
        ("an unknown key under the real kid", sign_jwt(&good_header, &fresh(&claims), &stranger)),
        ("an unknown kid", sign_jwt(&json!({"alg": "EdDSA", "typ": "JWT", "kid": "nope"}), &fresh(&claims), &key)),
        ("expired two hours ago", sign_jwt(&good_header, &expired, &key)),
        ("valid only in an hour", sign_jwt(&good_header, &early, &key)),
        ("another audience", sign_jwt(&good_header, &other_aud, &key)),
        ("another issuer", sign_jwt(&good_header, &other_iss, &key)),
        ("not a JWT", "eyJhbGciOiJFZERTQSJ9.e30".to_owned()),
    ];
    for (what, token) in cases {
        expect_unauthorized(&me(&c, &token).await, what);
    }
    expect(&me(&c, &acct.access_token).await, 200, "the real token still works");
}

#[tokio::test]
async fn a_reused_refresh_token_revokes_its_whole_session() {
    let acct = new_account("creator").await;
    let c = acct.client();
    let a = refresh(&c, &acct.refresh_token).await;
    let (access2, r2) = check_tokens(&a, &acct.email, "creator");
    expect(&me(&c, &access2).await, 200, "the refreshed access token");

    expect(&refresh(&c, &acct.refresh_token).await, 401, "the spent refresh token, presented again");
    expect(&refresh(&c, &r2).await, 401, "the family's current refresh token, never used, after the reuse");
    expect_unauthorized(&me(&c, &access2).await, "the family's access token");
    expect_unauthorized(&me(&c, &acct.access_token).await, "the family's first access token");

    // The account itself is fine: a new login is a new session.
    let (access3, _) = check_tokens(&login(&c, &acct.email, &acct.password).await, &acct.email, "creator");
    expect(&me(&c, &access3).await, 200, "a new session");
}

// ---------- rate limits ----------

#[tokio::test]
async fn five_wrong_passwords_lock_an_account_out() {
    let c = client();
    let email = unique_email("e2e-brute");
    let password = strong_password();
    expect(&signup(&c, &email, &password).await, 202, "sign-up");
    for i in 1..=5 {
        let a = login(&c, &email, &format!("Wrong-{i}-{}", unique())).await;
        expect_error(&a, 401, "invalid_credentials", &format!("wrong password {i}"));
    }
    expect_rate_limited(&login(&c, &email, &password).await, "5", "the 6th attempt, with the right password");
    // The account's own limit holds from any address, however it is spelled.
    expect_rate_limited(&login(&client(), &email.to_uppercase(), &password).await, "5", "the right password from another address");
}

#[tokio::test]
async fn five_logins_from_one_address_then_429() {
    let c = client();
    for i in 1..=5 {
        let a = login(&c, &unique_email("e2e-unknown"), &strong_password()).await;
        expect_error(&a, 401, "invalid_credentials", &format!("unknown email {i}"));
    }
    let sixth = unique_email("e2e-unknown");
    expect_rate_limited(&login(&c, &sixth, &strong_password()).await, "5", "a 6th email from the same address");
    // The limit was the address's, not the email's.
    expect_error(&login(&client(), &sixth, &strong_password()).await, 401, "invalid_credentials", "that email from another address");
}

#[tokio::test]
async fn the_api_allows_100_requests_a_minute_per_address() {
    let c = client();
    let start = Instant::now();
    for i in 1..=100 {
        expect_unauthorized(&send(c.get(url("/api/v1/me"))).await, &format!("request {i}"));
    }
    let a = send(c.get(url("/api/v1/me"))).await;
    let took = start.elapsed();
    assert!(took < Duration::from_secs(60), "100 requests took {took:?}, longer than the window: {a}");
    expect_rate_limited(&a, "100", "request 101");
    let retry: u64 = a.header("retry-after").unwrap().trim().parse().unwrap();
    assert!(retry <= 60, "within the minute: {retry}");
    expect_unauthorized(&send(client().get(url("/api/v1/me"))).await, "another address");
}

// ---------- hostile input ----------

#[tokio::test]
async fn sql_metacharacters_are_only_data() {
    let c = client();
    let email = format!("o'brien+x\";--{}@example.com", unique());
    let password = format!("x' OR '1'='1 --{}", unique());
    expect(&signup(&c, &email, &password).await, 202, "sign-up");
    let (access, _) = check_tokens(&login(&c, &email, &password).await, &email, "creator");
    let a = me(&c, &access).await;
    expect(&a, 200, "/me");
    assert_eq!(user(&a.json)["email"], email.as_str(), "{a}");

    expect_error(&login(&c, &email, "' OR '1'='1").await, 401, "invalid_credentials", "an injected password");

    let name = "'); DROP TABLE users;--";
    let a = post_bearer(&c, "/api/v1/me/keys", &access, json!({"name": name, "scopes": ["assets:read"]})).await;
    expect(&a, 201, "a key with a hostile name");
    assert_eq!(a.json["name"], name, "{a}");
    let id = a.json["id"].clone();
    let a = get(&c, "/api/v1/me/keys", &access).await;
    expect(&a, 200, "keys");
    let keys = a.json["keys"].as_array().unwrap_or_else(|| panic!("{a}"));
    assert!(keys.iter().any(|k| k["id"] == id && k["name"] == name), "the name round-trips exactly: {a}");

    let a = login(&c, "' OR 1=1 --", &password).await;
    assert!(a.status == 400 || a.status == 401, "an injected email is refused, not a server error: {a}");

    // The tables are intact.
    let (access, _) = check_tokens(&login(&c, &email, &password).await, &email, "creator");
    assert_eq!(user(&me(&c, &access).await.json)["email"], email.as_str());
}

#[tokio::test]
async fn a_2_mib_body_is_payload_too_large() {
    let body = format!(r#"{{"email":"{}","password":"{}"}}"#, unique_email("e2e-big"), "x".repeat(2 << 20));
    let a = send(client().post(url("/api/v1/auth/signup")).header("content-type", "application/json").body(body)).await;
    expect_error(&a, 413, "payload_too_large", "a 2 MiB sign-up");
}

// ---------- cookies and CSRF ----------

#[tokio::test]
async fn cookie_sessions_refresh_only_from_our_own_origin() {
    let acct = new_account("creator").await;
    let c = acct.client();
    let own = worker();
    let a = post(&c, "/api/v1/auth/login", json!({"email": acct.email, "password": acct.password, "session": "cookie"})).await;
    expect(&a, 200, "cookie login");
    assert!(a.json.get("refresh_token").is_none_or(Value::is_null), "the refresh token is only in the cookie: {a}");
    let access = str_of(&a, &a.json["access_token"], "access_token").to_owned();
    expect(&me(&c, &access).await, 200, "the cookie login's access token");
    let set = a.refresh_cookie().unwrap_or_else(|| panic!("no edgepix_refresh cookie: {:?}", a.headers));
    let attrs: Vec<String> = set.split(';').map(|p| p.trim().to_ascii_lowercase()).collect();
    for want in ["httponly", "secure", "samesite=lax", "path=/api/v1/auth"] {
        assert!(attrs.iter().any(|p| p == want), "{want} in {set}");
    }
    let cookie = set.split(';').next().unwrap().trim().to_owned();
    assert!(cookie.starts_with("edgepix_refresh=ert_"), "{set}");

    let refresh_path = "/api/v1/auth/refresh";
    let our_page = format!("{own}/account");
    let refused: [(&str, Option<&str>, Option<&str>); 5] = [
        ("another origin", Some("https://evil.example"), None),
        ("no Origin and no Referer", None, None),
        ("Origin null", Some("null"), None),
        ("another site's Referer", None, Some("https://evil.example/page")),
        ("another origin with our Referer", Some("https://evil.example"), Some(&our_page)),
    ];
    for (what, origin, referer) in refused {
        let a = with_cookie(&c, refresh_path, &cookie, origin, referer).await;
        expect_error(&a, 403, "csrf_rejected", what);
    }

    let a = with_cookie(&c, refresh_path, &cookie, Some(&own), None).await;
    expect(&a, 200, "our own Origin");
    assert!(a.json["access_token"].as_str().is_some(), "{a}");
    let set2 = a.refresh_cookie().unwrap_or_else(|| panic!("a new cookie: {:?} {a}", a.headers));
    let cookie2 = set2.split(';').next().unwrap().trim().to_owned();
    assert_ne!(cookie2, cookie, "the cookie's token rotates");

    let a = with_cookie(&c, refresh_path, &cookie2, None, Some(&our_page)).await;
    expect(&a, 200, "our own Referer without an Origin");
    let cookie3 = a.refresh_cookie().unwrap_or_else(|| panic!("a new cookie: {:?} {a}", a.headers)).split(';').next().unwrap().trim().to_owned();

    let logout_path = "/api/v1/auth/logout";
    expect_error(&with_cookie(&c, logout_path, &cookie3, Some("https://evil.example"), None).await, 403, "csrf_rejected", "logout from another origin");
    let a = with_cookie(&c, logout_path, &cookie3, Some(&own), None).await;
    expect(&a, 204, "logout from our own origin");
    let cleared = a.refresh_cookie().unwrap_or_else(|| panic!("the cookie is cleared: {:?}", a.headers));
    assert!(cleared.to_ascii_lowercase().contains("max-age=0"), "{cleared}");
    expect(&with_cookie(&c, refresh_path, &cookie3, Some(&own), None).await, 401, "the logged-out cookie");
}

// ---------- API keys ----------

#[tokio::test]
async fn api_keys_carry_only_their_scopes_and_die_when_revoked() {
    let acct = new_account("creator").await;
    let c = acct.client();
    let keys_path = "/api/v1/me/keys";
    let a = post_bearer(&c, keys_path, &acct.access_token, json!({"name": "build server", "scopes": ["assets:read"]})).await;
    expect(&a, 201, "create a key");
    let key = str_of(&a, &a.json["key"], "key").to_owned();
    assert!(key.starts_with("epk_") && key.len() == 47, "epk_ and 43 base64url characters: {a}");
    assert!(key[4..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{a}");
    assert_eq!(a.json["scopes"], json!(["assets:read"]), "{a}");
    assert_eq!(a.json["name"], "build server", "{a}");
    let id = str_of(&a, &a.json["id"], "id").to_owned();

    let listed = |a: &Answer| -> Value {
        expect(a, 200, "list keys");
        assert!(!a.text.contains(&key) && !a.text.contains(&key[4..]), "the secret is shown only once: {a}");
        let keys = a.json["keys"].as_array().unwrap_or_else(|| panic!("{a}"));
        keys.iter().find(|k| k["id"] == id.as_str()).cloned().unwrap_or_else(|| panic!("key {id} listed: {a}"))
    };
    let entry = listed(&get(&c, keys_path, &acct.access_token).await);
    assert_eq!(entry["name"], "build server", "{entry}");
    assert_eq!(entry["scopes"], json!(["assets:read"]), "{entry}");
    assert!(entry["last_used_at"].is_null(), "not used yet: {entry}");

    expect(&get(&c, "/api/v1/assets", &key).await, 200, "assets:read lists assets");
    let (status, body) = upload(&key, photo("chelsea.png"), "image/png").await;
    assert_eq!(status, 403, "no assets:write: {body}");
    assert_eq!(body["error"]["code"], "forbidden", "{body}");
    let a = post_bearer(&c, keys_path, &key, json!({"name": "minted by a key", "scopes": ["assets:read"]})).await;
    expect_error(&a, 403, "forbidden", "a key minting a key");

    let entry = listed(&get(&c, keys_path, &acct.access_token).await);
    assert!(entry["last_used_at"].as_u64().is_some(), "used now: {entry}");

    let a = post_bearer(&c, keys_path, &acct.access_token, json!({"name": "bad", "scopes": ["assets:everything"]})).await;
    expect(&a, 400, "an unknown scope");

    let del = |c: &Client| send(c.delete(url(&format!("{keys_path}/{id}"))).bearer_auth(&acct.access_token));
    expect(&del(&c).await, 204, "revoke");
    expect(&del(&c).await, 204, "revoke again (idempotent)");
    expect_unauthorized(&get(&c, "/api/v1/assets", &key).await, "a revoked key");
}

// ---------- the KDF: WebCrypto in the Worker against the core's Rust ----------

/// Runs one SQL statement on the running system's local D1 with wrangler
/// (outside the Worker) and gives back the rows.
fn d1(sql: &str) -> Vec<Value> {
    let out = std::process::Command::new(env("EDGEPIX_WRANGLER"))
        .args(["d1", "execute", "DB", "--local", "--json", "--persist-to", &env("EDGEPIX_STATE"), "--command", sql])
        .env("CI", "true")
        .output()
        .expect("wrangler runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "wrangler d1 execute {sql:?}: {text} {}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("wrangler's JSON ({e}): {text}"));
    v[0]["results"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn the_workers_webcrypto_hashes_and_the_core_rust_kdf_agree_both_ways() {
    use edgepix_core::account::password::{DEFAULT_ITERATIONS, PasswordHash};
    let c = client();
    // A hash made natively by the core verifies in the Worker.
    let email = unique_email("kdf-native");
    let password = strong_password();
    let salt: [u8; 16] = nonce();
    let native = PasswordHash::new(&password, salt, DEFAULT_ITERATIONS).to_phc();
    let id = format!("usr_kdf{}", hex(&nonce()[..6]));
    d1(&format!("INSERT INTO users (id, email, password, role, plan, created_at) VALUES ('{id}', '{email}', '{native}', 'creator', 'free', {})", now()));
    let a = login(&c, &email, &password).await;
    expect(&a, 200, "a login against a natively made hash");
    expect_error(&login(&c, &email, &format!("{password}x")).await, 401, "invalid_credentials", "a wrong password against it");

    // A hash the Worker made with WebCrypto verifies natively.
    let email = unique_email("kdf-worker");
    expect(&signup(&c, &email, &password).await, 202, "sign-up");
    let rows = d1(&format!("SELECT password FROM users WHERE email = '{email}'"));
    let stored = rows.first().and_then(|r| r["password"].as_str()).unwrap_or_else(|| panic!("the new account's row: {rows:?}"));
    let hash = PasswordHash::parse(stored).unwrap_or_else(|e| panic!("{e}: {stored}"));
    assert_eq!(hash.iterations(), DEFAULT_ITERATIONS, "{stored}");
    assert!(hash.verify(&password), "the core verifies the Worker's hash {stored}");
    assert!(!hash.verify(&format!("{password}x")), "and refuses another password");
}

// ---------- roles and admin ----------

#[tokio::test]
async fn viewers_cannot_upload_and_creators_cannot_administer() {
    let viewer = new_account("viewer").await;
    let a = me(&viewer.client(), &viewer.access_token).await;
    expect(&a, 200, "a viewer reads its account");
    assert_eq!(user(&a.json)["role"], "viewer", "{a}");
    let (status, body) = upload(&viewer.access_token, photo("chelsea.png"), "image/png").await;
    assert_eq!(status, 403, "a viewer uploads: {body}");
    assert_eq!(body["error"]["code"], "forbidden", "{body}");

    let creator = new_account("creator").await;
    let c = creator.client();
    expect_error(&get(&c, "/api/v1/admin/users", &creator.access_token).await, 403, "forbidden", "a creator lists users");
    expect_unauthorized(&send(c.get(url("/api/v1/admin/users"))).await, "nobody lists users");
}

fn env(var: &str) -> String {
    std::env::var(var).ok().filter(|s| !s.is_empty()).unwrap_or_else(|| panic!("{var} is not set: run these tests through `cargo xtask test`"))
}

/// An admin's access token: the account named by `EDGEPIX_ADMIN_EMAIL`
/// (listed in the Worker's `ADMIN_EMAILS`), signed up on first use.
async fn admin_token(c: &Client) -> String {
    let (email, password) = (env("EDGEPIX_ADMIN_EMAIL"), env("EDGEPIX_ADMIN_PASSWORD"));
    let mut a = login(c, &email, &password).await;
    if a.status == 401 {
        expect(&signup(c, &email, &password).await, 202, "the admin's sign-up");
        a = login(c, &email, &password).await;
    }
    expect(&a, 200, "the admin's login");
    assert_eq!(a.json["user"]["role"], "admin", "{a}");
    str_of(&a, &a.json["access_token"], "access_token").to_owned()
}

#[tokio::test]
async fn admins_set_plans_suspend_accounts_and_refuse_unknown_roles() {
    let target = new_account("creator").await;
    let tc = target.client();
    let c = client();
    let admin = admin_token(&c).await;

    let a = get(&c, "/api/v1/admin/users?limit=100", &admin).await;
    expect(&a, 200, "list users");
    let users = a.json["users"].as_array().or_else(|| a.json["items"].as_array()).unwrap_or_else(|| panic!("a list of users: {a}"));
    assert!(users.iter().any(|u| u["id"] == target.id.as_str()), "the newest accounts come first: {a}");

    let patch = |body: Value| send(c.patch(url(&format!("/api/v1/admin/users/{}", target.id))).bearer_auth(&admin).json(&body));
    let a = patch(json!({"plan": "pro"})).await;
    expect(&a, 200, "set the plan");
    assert_eq!(user(&a.json)["plan"], "pro", "{a}");
    assert_eq!(user(&a.json)["id"], target.id.as_str(), "{a}");
    let a = me(&tc, &target.access_token).await;
    expect(&a, 200, "the user's /me");
    assert_eq!(user(&a.json)["plan"], "pro", "at once, with the same token: {a}");

    expect(&patch(json!({"role": "superuser"})).await, 400, "an unknown role");

    expect(&patch(json!({"suspended": true})).await, 200, "suspend");
    expect_unauthorized(&me(&tc, &target.access_token).await, "a suspended account's token");
    expect_error(&login(&tc, &target.email, &target.password).await, 401, "invalid_credentials", "a suspended account's login");
}

#[tokio::test]
async fn quotas_stop_uploads_and_analyses_and_an_admin_override_moves_them() {
    let target = new_account("creator").await;
    let tc = target.client();
    let c = client();
    let admin = admin_token(&c).await;
    let patch = |body: Value| send(c.patch(url(&format!("/api/v1/admin/users/{}", target.id))).bearer_auth(&admin).json(&body));
    let unique_photo = |tag: &str| {
        let mut bytes = photo("grace_hopper.jpg");
        bytes.extend_from_slice(format!("quota-{tag}-{}", unique()).as_bytes());
        bytes
    };

    // Storage: one photo fits in a quota just above its size, a second does not.
    let first = unique_photo("a");
    let a = patch(json!({"quota": {"bytes": first.len() + 100}})).await;
    expect(&a, 200, "set a storage override");
    assert_eq!(user(&a.json)["quota_override"]["bytes"], first.len() + 100, "{a}");
    let (status, body) = upload(&target.access_token, first, "image/jpeg").await;
    assert_eq!(status, 201, "an upload within the quota: {body}");
    let id = body["id"].as_str().unwrap_or_else(|| panic!("{body}")).to_owned();
    let (status, body) = upload(&target.access_token, unique_photo("b"), "image/jpeg").await;
    assert_eq!(status, 403, "an upload past the quota: {body}");
    assert_eq!(body["error"]["code"], "quota_exceeded", "{body}");
    let a = me(&tc, &target.access_token).await;
    expect(&a, 200, "/me");
    assert_eq!(a.json["quota"]["bytes"], a.json["usage"]["bytes"].as_u64().unwrap_or(0) + 100, "/me shows the override: {a}");

    // Jobs: none allowed, then the plan's again.
    expect(&patch(json!({"quota": {"jobs_per_day": 0}})).await, 200, "set a job override");
    let analyze = || send(tc.post(url(&format!("/api/v1/assets/{id}/analyze"))).bearer_auth(&target.access_token));
    expect_error(&analyze().await, 403, "quota_exceeded", "an analysis past the job quota");
    let a = patch(json!({"quota": {}})).await;
    expect(&a, 200, "clear the override");
    assert_eq!(user(&a.json)["quota_override"], json!({}), "{a}");
    expect(&analyze().await, 202, "an analysis on the plan's quota");
    let (status, body) = upload(&target.access_token, unique_photo("c"), "image/jpeg").await;
    assert_eq!(status, 201, "an upload on the plan's quota: {body}");

    expect(&patch(json!({"quota": {"bytes": -1}})).await, 400, "a negative quota");
    expect(&patch(json!({"quota": {"files": 3}})).await, 400, "an unknown quota field");
}

// ---------- ownership ----------

#[tokio::test]
async fn accounts_see_only_their_own_assets() {
    let a = new_account("creator").await;
    let b = new_account("creator").await;
    // Bytes nobody else has: a real photo with a unique trailer after the
    // JPEG end marker (decoders ignore it).
    let mut bytes = photo("grace_hopper.jpg");
    bytes.extend_from_slice(format!("owner-test-{}", unique()).as_bytes());
    let (status, body) = upload(&a.access_token, bytes, "image/jpeg").await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap_or_else(|| panic!("{body}")).to_owned();
    let path = format!("/api/v1/assets/{id}");

    expect(&get(&a.client(), &path, &a.access_token).await, 200, "the owner");
    expect_error(&get(&b.client(), &path, &b.access_token).await, 404, "not_found", "another account");
    expect_unauthorized(&send(client().get(url(&path))).await, "no credential");
    let list = get(&b.client(), "/api/v1/assets", &b.access_token).await;
    expect(&list, 200, "another account's list");
    assert!(!list.text.contains(&id), "{list}");
}
