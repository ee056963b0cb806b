//! Pet pixel games through the Worker: the request checks, the rate limit,
//! the job (queue, the pool's segmenter, pixel art, levels, R2, D1), the
//! public record, its files, the game page's headers, embeds and oEmbed.

use std::time::{Duration, Instant};

use edgepix_core::codec::{Limits, decode, probe};
use edgepix_core::game::rules::{Outcome, replay};
use edgepix_core::game::Level;
use edgepix_e2e::{client, new_account, photo, token_a, token_b, worker};
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

async fn call(method: Method, path: &str, token: Option<&str>) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut req = client().request(method, format!("{}{path}", worker()));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.expect("worker answers");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, resp.json().await.unwrap_or(Value::Null), headers)
}

async fn bytes(path: &str) -> (u16, Vec<u8>, reqwest::header::HeaderMap) {
    let resp = client().get(format!("{}{path}", worker())).send().await.expect("worker answers");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, resp.bytes().await.unwrap().to_vec(), headers)
}

fn form(name: &str, theme: &str, difficulty: &str, levels: u8, photo_bytes: Vec<u8>) -> Form {
    Form::new()
        .text("name", name.to_owned())
        .text("theme", theme.to_owned())
        .text("difficulty", difficulty.to_owned())
        .text("level_count", levels.to_string())
        .part("photo", Part::bytes(photo_bytes).file_name("pet.png").mime_str("image/png").unwrap())
}

/// Creates a game from `photo_bytes` as `token` and waits until it is ready.
async fn make_game(token: &str, name: &str, theme: &str, difficulty: &str, levels: u8, photo_bytes: Vec<u8>) -> Value {
    let resp = client().post(format!("{}/api/v1/games", worker())).bearer_auth(token).multipart(form(name, theme, difficulty, levels, photo_bytes)).send().await.unwrap();
    let status = resp.status().as_u16();
    let location = resp.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
    let game: Value = resp.json().await.unwrap();
    assert_eq!(status, 202, "{game}");
    assert_eq!(game["status"], "queued");
    let job_url = game["urls"]["job"].as_str().unwrap().to_owned();
    assert_eq!(location.as_deref(), Some(job_url.as_str()));
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut seen_progress = Vec::new();
    loop {
        let (status, job, _) = call(Method::GET, &job_url, Some(token)).await;
        assert_eq!(status, 200, "{job}");
        assert_eq!(job["kind"], "game");
        seen_progress.push(job["progress"].as_f64().unwrap());
        match job["status"].as_str() {
            Some("done") => {
                assert_eq!(job["urls"]["game"], game["urls"]["this"], "{job}");
                break;
            }
            Some("failed") => panic!("the game job failed: {job}"),
            _ => {}
        }
        assert!(Instant::now() < deadline, "the game was not ready in 120 s: {job}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(seen_progress.windows(2).all(|w| w[0] <= w[1]), "progress went back: {seen_progress:?}");
    let (status, ready, _) = call(Method::GET, game["urls"]["this"].as_str().unwrap(), Some(token)).await;
    assert_eq!(status, 200, "{ready}");
    ready
}

#[tokio::test]
async fn a_game_is_made_from_the_cat_photo_and_served_to_anyone() {
    let token = token_a();
    let game = make_game(&token, "Chelsea <the cat>", "garden", "easy", 2, photo("chelsea.png")).await;
    let code = game["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 12);
    assert!(code.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(game["status"], "ready");
    assert_eq!(game["name"], "Chelsea <the cat>");
    let stages: Vec<&str> = game["stages"].as_array().unwrap().iter().map(|s| s["stage"].as_str().unwrap()).collect();
    assert_eq!(stages, ["photo", "cutout", "pixel_art", "levels", "store"]);

    // Levels: two, each won by its stored solution under the shared rules.
    let (status, body, headers) = bytes(&format!("/api/v1/games/{code}/levels")).await;
    assert_eq!(status, 200);
    assert_eq!(headers["access-control-allow-origin"], "*");
    let levels: Vec<Level> = serde_json::from_slice(&body).unwrap();
    assert_eq!(levels.len(), 2);
    for l in &levels {
        assert!(l.is_well_formed());
        assert_eq!(replay(l, &l.solution).1, Outcome::Won);
    }

    // The sprite sheet, its atlas and the still sprite: crisp alpha, a
    // small palette, every frame inside the sheet.
    let (status, sheet_png, headers) = bytes(&format!("/g/{code}/sheet.png")).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["access-control-allow-origin"], "*");
    let limits = Limits::default();
    let sheet = decode(&sheet_png, &probe(&sheet_png, &limits).unwrap(), None, &limits).unwrap();
    let (status, atlas, _) = bytes(&format!("/g/{code}/atlas.json")).await;
    assert_eq!(status, 200);
    let atlas: Value = serde_json::from_slice(&atlas).unwrap();
    assert_eq!(atlas["meta"]["size"]["w"], sheet.width());
    assert_eq!(atlas["meta"]["size"]["h"], sheet.height());
    for anim in ["idle", "walk", "jump"] {
        let frames = atlas["animations"][anim].as_array().unwrap();
        assert!((4..=8).contains(&frames.len()), "{anim}: {} frames", frames.len());
        for f in frames {
            let r = &atlas["frames"][f.as_str().unwrap()]["frame"];
            let (x, y, w, h) = (r["x"].as_u64().unwrap(), r["y"].as_u64().unwrap(), r["w"].as_u64().unwrap(), r["h"].as_u64().unwrap());
            assert!(w > 0 && h > 0 && x + w <= u64::from(sheet.width()) && y + h <= u64::from(sheet.height()), "{f}: {r}");
        }
    }
    let (status, still_png, _) = bytes(&format!("/g/{code}/sprite.png")).await;
    assert_eq!(status, 200);
    let still = decode(&still_png, &probe(&still_png, &limits).unwrap(), None, &limits).unwrap();
    assert!(still.height() >= 32 && still.height() <= 40, "{}x{}", still.width(), still.height());
    let mut colours = std::collections::HashSet::new();
    for px in still.data().chunks_exact(4) {
        assert!(px[3] == 0 || px[3] == 255, "a half-transparent pixel: {px:?}");
        if px[3] == 255 {
            colours.insert([px[0], px[1], px[2]]);
        }
    }
    assert!(colours.len() >= 4 && colours.len() <= 13, "{} colours", colours.len());
    let opaque = still.data().chunks_exact(4).filter(|p| p[3] == 255).count();
    assert!(opaque * 5 > (still.width() * still.height()) as usize, "the cat is mostly missing: {opaque} opaque pixels");

    // Anyone sees the ready game, without its job or asset.
    let (status, public, _) = call(Method::GET, &format!("/api/v1/games/{code}"), None).await;
    assert_eq!(status, 200, "{public}");
    assert_eq!(public["status"], "ready");
    assert!(public.get("job").is_none() && public.get("asset").is_none() && public["urls"]["job"].is_null(), "{public}");

    // The game page: embeddable anywhere, the config inline and escaped.
    let resp = client().get(format!("{}/g/{code}", worker())).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let csp = resp.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("frame-ancestors *"), "{csp}");
    assert!(resp.headers().get("x-frame-options").is_none());
    let html = resp.text().await.unwrap();
    assert!(html.contains("Chelsea &lt;the cat&gt;"));
    assert!(!html.contains("<the cat>"));
    assert!(html.contains(&code));
    // Everything else may be framed by this site only.
    let resp = client().get(format!("{}/", worker())).send().await.unwrap();
    assert_eq!(resp.headers()["content-security-policy"].to_str().unwrap(), "frame-ancestors 'self'");

    // Embed snippet and oEmbed.
    let (status, embed, _) = call(Method::GET, &format!("/api/v1/games/{code}/embed"), None).await;
    assert_eq!(status, 200, "{embed}");
    let page_url = format!("{}/g/{code}", worker());
    assert_eq!(embed["url"], page_url.as_str());
    assert!(embed["html"].as_str().unwrap().starts_with(&format!("<iframe src=\"{page_url}\"")), "{embed}");
    let (status, oembed, _) = call(Method::GET, &format!("/oembed?url={}&format=json&maxwidth=320", urlencode(&page_url)), None).await;
    assert_eq!(status, 200, "{oembed}");
    assert_eq!(oembed["type"], "rich");
    assert_eq!(oembed["version"], "1.0");
    assert_eq!((oembed["width"].as_u64(), oembed["height"].as_u64()), (Some(320), Some(200)));
    assert!(oembed["html"].as_str().unwrap().contains("width=\"320\" height=\"200\""));
    assert_eq!(oembed["thumbnail_url"], format!("{page_url}/sprite.png").as_str());

    // Plays count, the creator's list and the gallery show it.
    for _ in 0..2 {
        let (status, _, _) = call(Method::POST, &format!("/api/v1/games/{code}/plays"), None).await;
        assert_eq!(status, 204);
    }
    let (_, again, _) = call(Method::GET, &format!("/api/v1/games/{code}"), None).await;
    assert_eq!(again["plays"], 2);
    let (status, list, _) = call(Method::GET, "/api/v1/games?limit=100", Some(&token)).await;
    assert_eq!(status, 200);
    assert!(list["items"].as_array().unwrap().iter().any(|g| g["code"] == code.as_str()));
    let (status, others, _) = call(Method::GET, "/api/v1/games?limit=100", Some(&token_b())).await;
    assert_eq!(status, 200);
    assert!(!others["items"].as_array().unwrap().iter().any(|g| g["code"] == code.as_str()));
    let (status, gallery, _) = bytes("/games").await;
    assert_eq!(status, 200);
    assert!(String::from_utf8(gallery).unwrap().contains(&format!("/g/{code}")));

    // Only its creator deletes it; then it is gone everywhere.
    let (status, _, _) = call(Method::DELETE, &format!("/api/v1/games/{code}"), Some(&token_b())).await;
    assert_eq!(status, 404);
    let (status, _, _) = call(Method::DELETE, &format!("/api/v1/games/{code}"), Some(&token)).await;
    assert_eq!(status, 204);
    for path in [format!("/api/v1/games/{code}"), format!("/g/{code}/sheet.png"), format!("/api/v1/games/{code}/levels")] {
        let (status, _, _) = bytes(&path).await;
        assert_eq!(status, 404, "{path}");
    }
    let (status, _, _) = bytes(&format!("/g/{code}")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_game_from_an_uploaded_asset_in_json_follows_the_theme_and_difficulty() {
    let token = token_a();
    let (status, asset) = edgepix_e2e::upload(&token, photo("astronaut.png"), "image/png").await;
    assert!(status == 201 || status == 200, "{asset}");
    let resp = client()
        .post(format!("{}/api/v1/games", worker()))
        .bearer_auth(&token)
        .json(&json!({"name": "Eileen", "theme": "space", "difficulty": "hard", "level_count": 1, "asset": asset["id"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    let game: Value = resp.json().await.unwrap();
    assert_eq!((game["theme"].as_str(), game["difficulty"].as_str(), game["level_count"].as_u64()), (Some("space"), Some("hard"), Some(1)));
    assert_eq!(game["asset"], asset["id"]);
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[tokio::test]
async fn bad_game_requests_get_clear_errors_before_any_work() {
    let token = token_a();
    let post = |body: Value| {
        let token = token.clone();
        async move {
            let resp = client().post(format!("{}/api/v1/games", worker())).bearer_auth(token).json(&body).send().await.unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let asset = "0".repeat(64);
    for (body, needle) in [
        (json!({"theme": "garden", "asset": asset}), "name"),
        (json!({"name": "x", "theme": "moon", "asset": asset}), "theme"),
        (json!({"name": "x", "difficulty": "insane", "asset": asset}), "difficulty"),
        (json!({"name": "x", "level_count": 11, "asset": asset}), "level_count"),
        (json!({"name": "x", "level_count": 0, "asset": asset}), "level_count"),
        (json!({"name": "x"}), "photo"),
        (json!({"name": "x", "asset": "nope"}), "asset"),
        (json!({"name": "x", "asset": asset, "levels": 3}), "unknown field"),
    ] {
        let (status, err) = post(body.clone()).await;
        assert_eq!(status, 400, "{body}: {err}");
        assert_eq!(err["error"]["code"], "invalid_request", "{body}: {err}");
        assert!(err["error"]["message"].as_str().unwrap().contains(needle), "{body}: {err}");
    }
    let (status, err) = post(json!({"name": "x", "asset": asset})).await;
    assert_eq!((status, err["error"]["code"].as_str()), (404, Some("not_found")), "{err}");

    // A raw body: fields in the query, a damaged photo, an unknown field.
    let raw = |query: &str, body: Vec<u8>| {
        let url = format!("{}/api/v1/games?{query}", worker());
        let token = token.clone();
        async move {
            let resp = client().post(url).bearer_auth(token).header("content-type", "image/png").body(body).send().await.unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, err) = raw("name=x&colour=red", photo("chelsea.png")).await;
    assert_eq!(status, 400, "{err}");
    let mut damaged = photo("chelsea.png");
    damaged.truncate(2000);
    let (status, err) = raw("name=x", damaged).await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(err["error"]["code"], "corrupt_image");
    let (status, err) = raw("name=x", b"not an image at all".to_vec()).await;
    assert_eq!(status, 415, "{err}");
    // Both a photo and an asset.
    let both = form("x", "garden", "easy", 1, photo("chelsea.png")).text("asset", asset.clone());
    let resp = client().post(format!("{}/api/v1/games", worker())).bearer_auth(&token).multipart(both).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    // No credentials; a malformed JSON body.
    let resp = client().post(format!("{}/api/v1/games", worker())).json(&json!({"name": "x", "asset": asset})).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let resp = client().post(format!("{}/api/v1/games", worker())).bearer_auth(&token).header("content-type", "application/json").body("{").send().await.unwrap();
    assert_eq!(resp.status(), 400);

    // Reading: bad and unknown codes, foreign or malformed oEmbed URLs.
    let (status, err, _) = call(Method::GET, "/api/v1/games/short", None).await;
    assert_eq!((status, err["error"]["code"].as_str()), (400, Some("invalid_request")));
    let (status, _, _) = call(Method::GET, "/api/v1/games/AAAAAAAAAAAA", None).await;
    assert_eq!(status, 404);
    let (status, _, _) = call(Method::POST, "/api/v1/games/AAAAAAAAAAAA/plays", None).await;
    assert_eq!(status, 404);
    let (status, _, _) = call(Method::GET, "/oembed", None).await;
    assert_eq!(status, 400);
    let (status, _, _) = call(Method::GET, "/oembed?url=https%3A%2F%2Fexample.com%2Fg%2FAAAAAAAAAAAA", None).await;
    assert_eq!(status, 404);
    let page = urlencode(&format!("{}/g/AAAAAAAAAAAA", worker()));
    let (status, err, _) = call(Method::GET, &format!("/oembed?url={page}&format=xml"), None).await;
    assert_eq!((status, err["error"]["code"].as_str()), (501, Some("not_implemented")));
    let (status, html, headers) = bytes("/g/AAAAAAAAAAAA").await;
    assert_eq!(status, 404);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(String::from_utf8(html).unwrap().contains("No such game"));
}

#[tokio::test]
async fn game_creation_is_rate_limited_per_creator() {
    // A fresh creator: 10 creations an hour. The limit is checked before the
    // asset is even looked up, so these cheap requests (an asset that does
    // not exist) count, and the 11th is refused with Retry-After.
    let account = new_account("creator").await;
    let body = json!({"name": "Rex", "asset": "f".repeat(64)});
    for i in 0..10 {
        let resp = account.client().post(format!("{}/api/v1/games", worker())).bearer_auth(&account.access_token).json(&body).send().await.unwrap();
        assert_eq!(resp.status(), 404, "request {i}");
    }
    let resp = account.client().post(format!("{}/api/v1/games", worker())).bearer_auth(&account.access_token).json(&body).send().await.unwrap();
    assert_eq!(resp.status(), 429);
    let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 3600, "{retry}");
    let err: Value = resp.json().await.unwrap();
    assert_eq!(err["error"]["code"], "rate_limited");
    // A bad request is refused before it counts.
    let resp = account.client().post(format!("{}/api/v1/games", worker())).bearer_auth(&account.access_token).json(&json!({"name": ""})).send().await.unwrap();
    assert_eq!(resp.status(), 400);
}
