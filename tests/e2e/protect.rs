//! Protected viewing end to end: protection config, originals kept from
//! everyone but their owners, view tickets (bot refused, person accepted,
//! expiry, forgery, another viewer, a ticket never issued), the scrambled
//! image (unrecognisable, reassembled without seams), the viewer's canvas
//! (SSIM in the seed's band), leak identification (with a robustness
//! table through the real Worker) and content proofs.

use edgepix_core::codec::{self, Chroma, Limits, OutputFormat};
use edgepix_core::pixel::{Rect, RgbaImage};
use edgepix_core::protect::config::ProtectionConfig;
use edgepix_core::protect::grid::Grid;
use edgepix_core::protect::proof::{self, SignedRoot};
use edgepix_core::protect::scramble::{self, Layout};
use edgepix_core::protect::ticket::{self, Claims};
use edgepix_core::protect::{ssim, view};
use edgepix_core::transform::resample;
use edgepix_e2e::{client, nonce, photo, token_a, token_b, upload, worker};
use serde_json::{Value, json};

const CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";

fn decode(bytes: &[u8]) -> RgbaImage {
    let limits = Limits::default();
    let probe = codec::probe(bytes, &limits).expect("probe");
    codec::decode(bytes, &probe, None, &limits).expect("decode")
}

/// A real photo, enlarged to 1024 px wide and made unique (one pixel
/// changed at random), as PNG: every test protects bytes of its own.
fn unique_photo(name: &str) -> Vec<u8> {
    unique_photo_at(name, Some(1024))
}

/// [`unique_photo`] at `width` (`None`: the photo's own size).
fn unique_photo_at(name: &str, width: Option<u32>) -> Vec<u8> {
    let img = decode(&photo(name));
    let (w, h) = (img.width(), img.height());
    let to = width.map_or((w, h), |tw| (tw, (tw * h + w / 2) / w));
    let mut img = resample::resize(img, Rect { x: 0, y: 0, w, h }, to);
    let n = nonce();
    img.data_mut()[..3].copy_from_slice(&n[..3]);
    codec::encode(&img, OutputFormat::Png, 100, [0, 0, 0]).expect("png").bytes
}

async fn protected(token: &str, name: &str, config: Value) -> (String, Value) {
    protected_at(token, name, Some(1024), config).await
}

async fn protected_at(token: &str, name: &str, width: Option<u32>, config: Value) -> (String, Value) {
    let (status, asset) = upload(token, unique_photo_at(name, width), "image/png").await;
    assert_eq!(status, 201, "{asset}");
    let id = asset["id"].as_str().expect("id").to_owned();
    let resp = client().put(format!("{}/api/v1/assets/{id}/protection", worker())).bearer_auth(token).json(&config).send().await.expect("worker");
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.expect("json");
    assert_eq!(status, 200, "{body}");
    (id, body)
}

/// A person's signals: a wandering pointer, jittery timers, focus.
fn person() -> Value {
    let pointer: Vec<Value> = (0..40).map(|i| {
        let a = f64::from(i) * 0.7;
        json!([a.cos() * (3.0 + f64::from(i % 5)), a.sin() * (2.0 + f64::from(i % 3)), 16.0 + f64::from(i % 4)])
    }).collect();
    let timers: Vec<f64> = (0..20).map(|i| 16.0 + f64::from(i % 7) * 0.3).collect();
    json!({"durationMs": 620, "pointer": pointer, "timerIntervals": timers, "focused": true, "fingerprint": "ab".repeat(32)})
}

struct Viewer {
    http: reqwest::Client,
    cookie: String,
}

async fn ask_ticket(http: &reqwest::Client, id: &str, signals: &Value, cookie: Option<&str>) -> (u16, Value, Option<String>) {
    let mut req = http.post(format!("{}/api/v1/assets/{id}/view-tickets", worker())).header("user-agent", CHROME).json(signals);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let resp = req.send().await.expect("worker");
    let status = resp.status().as_u16();
    let cookie = resp.headers().get("set-cookie").map(|v| v.to_str().expect("ascii").split(';').next().expect("pair").to_owned());
    (status, resp.json().await.unwrap_or(Value::Null), cookie)
}

async fn ticket_for(id: &str) -> (Viewer, Value) {
    let http = client();
    let (status, body, cookie) = ask_ticket(&http, id, &person(), None).await;
    assert_eq!(status, 201, "{body}");
    (Viewer { http, cookie: cookie.expect("a viewer cookie") }, body)
}

async fn image(v: &Viewer, url: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut req = v.http.get(format!("{}{url}", worker()));
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    req.send().await.expect("worker")
}

/// The view image as the owner gets it (lossless).
async fn view_of(token: &str, id: &str) -> RgbaImage {
    let resp = client().get(format!("{}/img/width=2048,height=2048,fit=scale-down,format=png/{id}", worker())).bearer_auth(token).send().await.expect("worker");
    assert_eq!(resp.status(), 200);
    decode(&resp.bytes().await.expect("body"))
}

fn psnr(a: &[u8], b: &[u8]) -> f64 {
    let (mut se, mut n) = (0f64, 0f64);
    for (pa, pb) in a.chunks_exact(4).zip(b.chunks_exact(4)) {
        for c in 0..3 {
            let d = f64::from(pa[c]) - f64::from(pb[c]);
            se += d * d;
            n += 1.0;
        }
    }
    10.0 * (255.0 * 255.0 / (se / n)).log10()
}

fn grid_of(v: &Value) -> Grid {
    let n = |k: &str| u32::try_from(v[k].as_u64().expect(k)).expect("u32");
    Grid { width: n("width"), height: n("height"), tile: n("tile"), cols: n("cols"), rows: n("rows") }
}

#[tokio::test]
async fn protection_config_is_validated_and_owned() {
    let (id, body) = protected(&token_a(), "coffee.png", json!({"noiseLevel": 0.25, "segmentCount": 40})).await;
    assert_eq!(body["protection"]["noiseLevel"], 0.25);
    assert_eq!(body["protection"]["segmentCount"], 40);
    assert_eq!(body["protection"]["rotation"], true, "defaults fill the rest: {body}");
    assert_eq!(body["urls"]["view"], format!("/view/{id}"));
    let grid = grid_of(&body["view"]);
    assert_eq!(grid.tile % 16, 0);
    assert_eq!(grid, Grid::new(grid.width, grid.height, 40));
    let url = format!("{}/api/v1/assets/{id}/protection", worker());
    for (bad, field) in [(json!({"noiseLevel": 0.5}), "noiseLevel"), (json!({"segmentCount": 8}), "segmentCount"), (json!({"overlayComplexity": 9}), "overlayComplexity"), (json!({"colour": 1}), "colour")] {
        let resp = client().put(&url).bearer_auth(token_a()).json(&bad).send().await.expect("worker");
        assert_eq!(resp.status(), 400, "{bad}");
        let e: Value = resp.json().await.expect("json");
        assert_eq!(e["error"]["code"], "invalid_request");
        assert!(e["error"]["message"].as_str().expect("message").contains(field), "{e}");
    }
    let got: Value = client().get(&url).bearer_auth(token_a()).send().await.expect("worker").json().await.expect("json");
    assert_eq!(got["protection"], body["protection"]);
    // Another creator neither reads nor sets it.
    assert_eq!(client().get(&url).bearer_auth(token_b()).send().await.expect("worker").status(), 404);
    assert_eq!(client().put(&url).bearer_auth(token_b()).json(&json!({})).send().await.expect("worker").status(), 404);
    assert_eq!(client().put(&url).json(&json!({})).send().await.expect("worker").status(), 401);
}

#[tokio::test]
async fn a_protected_original_goes_to_its_owner_only_until_made_public() {
    let (status, asset) = upload(&token_a(), unique_photo("chelsea.png"), "image/png").await;
    assert_eq!(status, 201);
    let id = asset["id"].as_str().expect("id").to_owned();
    let img = format!("{}/img/width=200/{id}", worker());
    assert_eq!(client().get(&img).send().await.expect("worker").status(), 200, "public before");
    let prot = format!("{}/api/v1/assets/{id}/protection", worker());
    assert_eq!(client().put(&prot).bearer_auth(token_a()).json(&json!({})).send().await.expect("worker").status(), 200);
    for (who, req) in [("anonymous", client().get(&img)), ("another creator", client().get(&img).bearer_auth(token_b()))] {
        let resp = req.send().await.expect("worker");
        assert_eq!(resp.status(), 403, "{who}");
        let e: Value = resp.json().await.expect("json");
        assert_eq!(e["error"]["code"], "protected_asset", "{who}: {e}");
    }
    // The cached derivative from before is not served either, not even by ETag.
    let resp = client().get(&img).header("if-none-match", "*").send().await.expect("worker");
    assert_eq!(resp.status(), 403);
    let resp = client().get(&img).bearer_auth(token_a()).send().await.expect("worker");
    assert_eq!(resp.status(), 200, "the owner");
    assert_eq!(resp.headers()["cache-control"], "private, no-store");
    assert_eq!(client().delete(&prot).bearer_auth(token_a()).send().await.expect("worker").status(), 204);
    assert_eq!(client().delete(&prot).bearer_auth(token_a()).send().await.expect("worker").status(), 204, "idempotent");
    assert_eq!(client().get(&img).send().await.expect("worker").status(), 200, "public again");
    let resp = client().post(format!("{}/api/v1/assets/{id}/view-tickets", worker())).json(&person()).send().await.expect("worker");
    assert_eq!(resp.status(), 404, "no tickets for a public asset");
}

#[tokio::test]
async fn bots_are_refused_and_people_get_tickets() {
    let (id, _) = protected(&token_a(), "astronaut.png", json!({})).await;
    let http = client();
    let mut bot = person();
    bot["webdriver"] = true.into();
    let (status, body, cookie) = ask_ticket(&http, &id, &bot, None).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "bot_suspected");
    assert!(cookie.is_some(), "the refusal still names the session, so a retry keeps it");
    let headless = http.post(format!("{}/api/v1/assets/{id}/view-tickets", worker())).header("user-agent", CHROME.replace("Chrome/", "HeadlessChrome/")).json(&person()).send().await.expect("worker");
    assert_eq!(headless.status(), 403);
    // A person who only reads is refused, then accepted after tapping.
    let mut still = person();
    still["pointer"] = json!([]);
    let (status, body, _) = ask_ticket(&http, &id, &still, cookie.as_deref()).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"]["message"].as_str().expect("message").contains("tap"), "{body}");
    still["interactions"] = 2.into();
    let (status, body, again) = ask_ticket(&http, &id, &still, cookie.as_deref()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(again, cookie, "the same viewer session");
    assert!(body["ticket"].as_str().expect("ticket").len() > 100);
    assert_eq!(body["payload"].as_str().expect("payload").len(), 16);
    assert_eq!(body["seed"].as_str().expect("seed").len(), 64);
    // Garbage signals are a clear 400; a public asset has no tickets.
    let resp = http.post(format!("{}/api/v1/assets/{id}/view-tickets", worker())).header("content-type", "application/json").body("{\"pointer\": 5").send().await.expect("worker");
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn tickets_are_bound_signed_recorded_and_short_lived() {
    let (id, _) = protected(&token_a(), "motorcycle_left.png", json!({})).await;
    let (v, t) = ticket_for(&id).await;
    let url = t["imageUrl"].as_str().expect("imageUrl").to_owned();
    let ok = image(&v, &url, Some(&v.cookie)).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["content-type"], "image/jpeg");
    assert_eq!(ok.headers()["cache-control"], "private, no-store");
    let status = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(status(image(&v, &url, None).await), 403, "no viewer cookie");
    assert_eq!(status(image(&v, &url, Some("edgepix_viewer=00000000000000000000000000000000")).await), 403, "another viewer");
    let token = t["ticket"].as_str().expect("ticket");
    let (body, tag) = token.split_once('.').expect("two parts");
    let mut flipped = tag.as_bytes().to_vec();
    flipped[3] = if flipped[3] == b'A' { b'B' } else { b'A' };
    let forged = format!("/api/v1/tickets/{body}.{}/image", String::from_utf8(flipped).expect("ascii"));
    assert_eq!(status(image(&v, &forged, Some(&v.cookie)).await), 401, "forged");
    assert_eq!(status(image(&v, "/api/v1/tickets/not-a-ticket/image", Some(&v.cookie)).await), 401, "malformed");

    // Tickets signed with the real key, as only the Worker can: expired, and
    // never issued (not in D1), and issued for another asset.
    let secret = std::env::var("EDGEPIX_VIEW_SECRET").expect("EDGEPIX_VIEW_SECRET");
    let claims: Claims = {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs();
        let viewer = v.cookie.split_once('=').expect("pair").1.to_owned();
        Claims { id: t["id"].as_str().expect("id").to_owned(), asset: id.clone(), viewer, seed: t["seed"].as_str().expect("seed").to_owned(), payload: t["payload"].as_str().expect("payload").to_owned(), iat: now - 600, exp: now - 300 }
    };
    let expired = ticket::sign(secret.as_bytes(), &claims);
    let resp = image(&v, &format!("/api/v1/tickets/{expired}/image"), Some(&v.cookie)).await;
    assert_eq!(resp.status(), 401, "expired");
    assert!(resp.text().await.expect("body").contains("expired"));
    let mut unissued = claims.clone();
    unissued.id = format!("tkt_{}", "0".repeat(32));
    unissued.exp += 3600;
    assert_eq!(status(image(&v, &format!("/api/v1/tickets/{}/image", ticket::sign(secret.as_bytes(), &unissued)), Some(&v.cookie)).await), 403, "never issued");
    let (other, _) = protected(&token_b(), "coffee.png", json!({})).await;
    let mut moved = claims;
    moved.asset = other;
    moved.exp += 3600;
    assert_eq!(status(image(&v, &format!("/api/v1/tickets/{}/image", ticket::sign(secret.as_bytes(), &moved)), Some(&v.cookie)).await), 403, "issued for another asset");
}

#[tokio::test]
async fn the_scrambled_image_is_noise_and_reassembles_without_seams_into_a_canvas_in_the_ssim_band() {
    // The photos at their own size: upscaled ones are smooth inside a tile,
    // and SSIM hardly tells smooth tiles apart (docs/protection.md).
    for name in ["chelsea.png", "coffee.png", "astronaut.png", "motorcycle_left.png"] {
        let (id, prot) = protected_at(&token_a(), name, None, json!({"noiseLevel": 0.2})).await;
        let view_img = view_of(&token_a(), &id).await;
        let (v, t) = ticket_for(&id).await;
        let grid = grid_of(&t["view"]);
        assert_eq!((grid.width, grid.height), (view_img.width(), view_img.height()));
        assert_eq!(grid, grid_of(&prot["view"]));
        let resp = image(&v, t["imageUrl"].as_str().expect("url"), Some(&v.cookie)).await;
        let scrambled = decode(&resp.bytes().await.expect("body"));
        assert_eq!((scrambled.width(), scrambled.height()), grid.padded_size());
        let cropped = resample::extract(&scrambled, Rect { x: 0, y: 0, w: grid.width, h: grid.height });
        let s_scrambled = ssim::ssim_images(&cropped, &view_img).expect("ssim");
        assert!(s_scrambled < 0.3, "{name}: the scrambled image has SSIM {s_scrambled:.3} with the view");

        let seed = ticket::unhex(t["seed"].as_str().expect("seed")).expect("hex");
        let config: ProtectionConfig = serde_json::from_value(t["protection"].clone()).expect("config");
        let layout = Layout::new(&grid, &seed, config.rotation);
        let mut out = vec![0u8; grid.width as usize * grid.height as usize * 4];
        scramble::descramble(scrambled.data(), &grid, &layout, &mut out).expect("descramble");
        let p = psnr(&out, view_img.data());
        // The same view through one plain JPEG of the same quality and chroma, for scale.
        let plain = decode(&codec::encode_jpeg(&view_img, view::SCRAMBLED_QUALITY, [0, 0, 0], Chroma::Full).expect("jpeg").bytes);
        let p_plain = psnr(plain.data(), view_img.data());
        assert!(p >= 38.0, "{name}: reassembled PSNR {p:.2} dB (plain JPEG {p_plain:.2} dB)");

        let payload = u64::from_str_radix(t["payload"].as_str().expect("payload"), 16).expect("hex");
        let canvas = view::compose(scrambled.data(), &grid, &config, &seed, payload).expect("compose");
        let s = ssim::ssim(&canvas, view_img.data(), grid.width, grid.height).expect("ssim");
        eprintln!("{name}: scrambled SSIM {s_scrambled:.3}; reassembled PSNR {p:.2} dB (plain JPEG {p_plain:.2}); canvas SSIM {s:.4}");
        assert!((0.95..=0.98).contains(&s), "{name}: the canvas has SSIM {s:.4} with the view");
    }
}

async fn identify(token: &str, id: &str, leak: Vec<u8>) -> (u16, Value) {
    let resp = client().post(format!("{}/api/v1/forensics/identify?asset={id}", worker())).bearer_auth(token).header("content-type", "image/jpeg").body(leak).send().await.expect("worker");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_leaked_canvas_names_its_ticket_through_jpeg_scaling_and_crops() {
    let (id, _) = protected(&token_a(), "coffee.png", json!({})).await;
    // Three viewers; the second leaks.
    let mut tickets = Vec::new();
    for _ in 0..3 {
        tickets.push(ticket_for(&id).await);
    }
    let (v, t) = &tickets[1];
    let grid = grid_of(&t["view"]);
    let scrambled = decode(&image(v, t["imageUrl"].as_str().expect("url"), Some(&v.cookie)).await.bytes().await.expect("body"));
    let config: ProtectionConfig = serde_json::from_value(t["protection"].clone()).expect("config");
    let seed = ticket::unhex(t["seed"].as_str().expect("seed")).expect("hex");
    let payload = u64::from_str_radix(t["payload"].as_str().expect("payload"), 16).expect("hex");
    let canvas = RgbaImage::from_vec(grid.width, grid.height, view::compose(scrambled.data(), &grid, &config, &seed, payload).expect("compose")).expect("image");
    let (w, h) = (grid.width, grid.height);
    let jpeg = |img: &RgbaImage, q: u8| codec::encode(img, OutputFormat::Jpeg, q, [0, 0, 0]).expect("jpeg").bytes;
    let scaled = resample::resize(canvas.clone(), Rect { x: 0, y: 0, w, h }, ((w * 3).div_ceil(4), (h * 3).div_ceil(4)));
    let (cw, ch) = (w * 9 / 10, h * 9 / 10);
    let centre = resample::extract(&canvas, Rect { x: (w - cw) / 2, y: (h - ch) / 2, w: cw, h: ch });
    let corner = resample::extract(&canvas, Rect { x: 0, y: 0, w: cw, h: ch });
    let attacks: Vec<(&str, Vec<u8>)> = vec![
        ("JPEG q90", jpeg(&canvas, 90)),
        ("JPEG q75", jpeg(&canvas, 75)),
        ("JPEG q50", jpeg(&canvas, 50)),
        ("scaled to 75 %, JPEG q90", jpeg(&scaled, 90)),
        ("10 % cropped (centre), JPEG q90", jpeg(&centre, 90)),
        ("10 % cropped (corner), JPEG q75", jpeg(&corner, 75)),
    ];
    let want = t["id"].as_str().expect("id");
    let payload_bits = |hex: &str| u64::from_str_radix(hex, 16).unwrap_or(0);
    eprintln!("| attack | bit errors / 64 | BER | z | identified |\n|---|---|---|---|---|");
    for (attack, leak) in attacks {
        let (status, body) = identify(&token_a(), &id, leak).await;
        assert_eq!(status, 200, "{attack}: {body}");
        assert_eq!(body["candidates"], 3, "{body}");
        let errors = (payload_bits(body["bits"].as_str().unwrap_or("0")) ^ payload).count_ones();
        let got = body["match"]["ticket"].as_str().unwrap_or("none");
        eprintln!("| {attack} | {errors} | {:.3} | {:.1} | {} |", f64::from(errors) / 64.0, body["match"]["z"].as_f64().unwrap_or(0.0), got == want);
        assert_eq!(got, want, "{attack}: {body}");
        assert_eq!(body["match"]["viewer"].as_str(), v.cookie.split_once('=').map(|p| p.1), "{attack}");
    }
    // An unrelated photo names no one; another creator may not ask; an admin may.
    let (status, body) = identify(&token_a(), &id, jpeg(&decode(&photo("rocket.jpg")), 90)).await;
    assert_eq!(status, 200);
    assert!(body["match"].is_null(), "{body}");
    let (status, _) = identify(&token_b(), &id, jpeg(&canvas, 90)).await;
    assert_eq!(status, 404);
    let (status, body) = identify(&token_a(), &id, b"not an image".to_vec()).await;
    assert_eq!(status, 415, "{body}");
}

#[tokio::test]
async fn content_proofs_verify_and_a_changed_tile_or_forged_root_fails() {
    let (id, prot) = protected(&token_a(), "astronaut.png", json!({"segmentCount": 20})).await;
    let signed: SignedRoot = serde_json::from_value(client().get(format!("{}/api/v1/assets/{id}/proof", worker())).send().await.expect("worker").json().await.expect("json")).expect("signed root");
    assert_eq!(signed.root, prot["proof"]["root"].as_str().expect("root"));
    let keys: Value = client().get(format!("{}/.well-known/edgepix-keys.json", worker())).send().await.expect("worker").json().await.expect("json");
    let key = keys["keys"].as_array().expect("keys").iter().find(|k| k["kid"] == signed.kid.as_str()).expect("the signing key is published");
    let public = proof::public_key(key["x"].as_str().expect("x")).expect("32 bytes");
    proof::verify_statement(&signed, &public).expect("the root verifies");
    let mut forged = signed.clone();
    forged.root = proof::hex(&[7; 32]);
    assert!(proof::verify_statement(&forged, &public).is_err(), "a forged root fails");

    // Each tile's leaf is the hash of the owner's view pixels, and its path leads to the root.
    let view_img = view_of(&token_a(), &id).await;
    let grid = grid_of(&prot["view"]);
    let leaves = proof::tile_leaves(&view_img, &grid);
    let root = proof::unhex(&signed.root).expect("hex");
    for n in [0, 1, grid.len() / 2, grid.len() - 1] {
        let t: Value = client().get(format!("{}/api/v1/assets/{id}/proof/tiles/{n}", worker())).send().await.expect("worker").json().await.expect("json");
        assert_eq!(t["leaf"].as_str(), Some(proof::hex(&leaves[n]).as_str()), "tile {n}");
        let path: Vec<proof::Hash> = t["path"].as_array().expect("path").iter().map(|h| proof::unhex(h.as_str().expect("hex")).expect("hash")).collect();
        proof::verify_inclusion(&leaves[n], n, grid.len(), &path, &root).expect("included");
        let mut changed = view_img.clone();
        let r = grid.tile_rect(n).clamp_to(grid.width, grid.height);
        let i = (r.y as usize * grid.width as usize + r.x as usize) * 4;
        changed.data_mut()[i] ^= 1;
        let tampered = proof::tile_leaves(&changed, &grid)[n];
        assert!(proof::verify_inclusion(&tampered, n, grid.len(), &path, &root).is_err(), "a changed tile {n} fails");
    }
    let resp = client().get(format!("{}/api/v1/assets/{id}/proof/tiles/{}", worker(), grid.len())).send().await.expect("worker");
    assert_eq!(resp.status(), 404);
}
