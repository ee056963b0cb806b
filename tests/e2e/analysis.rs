//! Safe-blur analysis jobs through the Worker: the queue, the consumer, the
//! pool's detector, D1.

use std::time::{Duration, Instant};

use edgepix_core::codec::{Limits, OutputFormat, decode, encode, probe};
use edgepix_e2e::{client, photo, token_a, token_b, upload, worker};
use serde_json::Value;

/// `name` with one corner pixel set at random: the same picture, an asset
/// no other test holds.
fn unique(name: &str) -> Vec<u8> {
    let bytes = photo(name);
    let p = probe(&bytes, &Limits::default()).unwrap();
    let mut img = decode(&bytes, &p, None, &Limits::default()).unwrap();
    img.data_mut()[..3].copy_from_slice(&edgepix_e2e::nonce()[..3]);
    encode(&img, OutputFormat::Png, 100, [0, 0, 0]).unwrap().bytes
}

async fn call(method: reqwest::Method, path: &str, token: &str) -> (u16, Value, reqwest::header::HeaderMap) {
    let resp = client().request(method, format!("{}{path}", worker())).bearer_auth(token).send().await.expect("worker answers");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, resp.json().await.unwrap_or(Value::Null), headers)
}

async fn analyze(token: &str, asset: &str) -> Value {
    let (status, job, headers) = call(reqwest::Method::POST, &format!("/api/v1/assets/{asset}/analyze"), token).await;
    assert_eq!(status, 202, "{job}");
    assert_eq!(job["status"], "queued");
    assert_eq!(headers["location"].to_str().unwrap(), format!("/api/v1/jobs/{}", job["id"].as_str().unwrap()));
    job
}

async fn wait_done(token: &str, job: &Value) -> Value {
    let url = job["urls"]["this"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, j, _) = call(reqwest::Method::GET, &url, token).await;
        assert_eq!(status, 200, "{j}");
        match j["status"].as_str() {
            Some("done") => return j,
            Some("failed") => panic!("the job failed: {j}"),
            _ => {}
        }
        assert!(Instant::now() < deadline, "the job did not finish in 60 s: {j}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn uploaded(token: &str, bytes: Vec<u8>) -> String {
    let (status, body) = upload(token, bytes, "image/png").await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_analysis_runs_through_the_queue_and_stores_the_detections() {
    let token = token_a();
    let asset = uploaded(&token, unique("astronaut.png")).await;
    let (status, body, _) = call(reqwest::Method::GET, &format!("/api/v1/assets/{asset}/detections"), &token).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("analysis_required")), "{body}");

    let job = analyze(&token, &asset).await;
    let done = wait_done(&token, &job).await;
    assert_eq!(done["progress"], 1.0);
    assert!(done["attempts"].as_u64().unwrap() >= 1);
    let (status, analysis, _) = call(reqwest::Method::GET, &format!("/api/v1/assets/{asset}/detections"), &token).await;
    assert_eq!(status, 200, "{analysis}");
    assert_eq!(analysis["version"], job["id"]);
    assert_eq!(analysis["model"], "nudenet-320n");
    assert_eq!((analysis["width"].as_u64(), analysis["height"].as_u64()), (Some(512), Some(512)));
    let face = analysis["detections"].as_array().unwrap().iter().find(|d| d["class"] == "FACE_FEMALE").unwrap_or_else(|| panic!("a face in {analysis}"));
    let b: Vec<i64> = face["box"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
    assert!(b[0] > 100 && b[0] + b[2] < 400 && b[1] > 20 && b[1] + b[3] < 300, "{b:?}");

    // A re-analysis is a new version.
    let again = analyze(&token, &asset).await;
    wait_done(&token, &again).await;
    let (_, second, _) = call(reqwest::Method::GET, &format!("/api/v1/assets/{asset}/detections"), &token).await;
    assert_eq!(second["version"], again["id"]);
    assert_eq!(second["detections"], analysis["detections"]);
}

#[tokio::test]
async fn a_second_delivery_of_a_finished_job_stores_nothing_twice() {
    let token = token_a();
    let asset = uploaded(&token, unique("grace_hopper.jpg")).await;
    let job = analyze(&token, &asset).await;
    let done = wait_done(&token, &job).await;
    let (_, before, _) = call(reqwest::Method::GET, &format!("/api/v1/assets/{asset}/detections"), &token).await;
    let (status, _, _) = call(reqwest::Method::POST, &format!("/__dev/jobs/{}/redeliver", job["id"].as_str().unwrap()), &token).await;
    assert_eq!(status, 202);
    // Give the consumer time to take the second delivery.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let (_, after_job, _) = call(reqwest::Method::GET, job["urls"]["this"].as_str().unwrap(), &token).await;
    assert_eq!(after_job["status"], "done");
    assert_eq!(after_job["attempts"], done["attempts"], "the second delivery did no work");
    assert_eq!(after_job["updated_at"], done["updated_at"]);
    let (_, after, _) = call(reqwest::Method::GET, &format!("/api/v1/assets/{asset}/detections"), &token).await;
    assert_eq!(after, before);
}

#[tokio::test]
async fn jobs_and_detections_belong_to_their_owner() {
    let asset = uploaded(&token_a(), unique("coffee.png")).await;
    let job = analyze(&token_a(), &asset).await;
    let id = job["id"].as_str().unwrap();
    let (status, body, _) = call(reqwest::Method::GET, &format!("/api/v1/jobs/{id}"), &token_b()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")));
    let (status, _, _) = call(reqwest::Method::POST, &format!("/api/v1/assets/{asset}/analyze"), &token_b()).await;
    assert_eq!(status, 404, "creator-b does not hold the asset");
    let (status, _, _) = call(reqwest::Method::GET, &format!("/api/v1/assets/{asset}/detections"), &token_b()).await;
    assert_eq!(status, 404);
    let (status, _, _) = call(reqwest::Method::GET, &format!("/api/v1/jobs/{id}"), "not-a-token").await;
    assert_eq!(status, 401);
    let (status, body, _) = call(reqwest::Method::GET, "/api/v1/jobs/not-a-job", &token_a()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_request")));
    wait_done(&token_a(), &job).await;
}

async fn img(options: &str, asset: &str) -> reqwest::Response {
    client().get(format!("{}/img/{options}/{asset}", worker())).send().await.expect("worker answers")
}

async fn pixels(options: &str, asset: &str) -> edgepix_core::pixel::RgbaImage {
    let resp = img(options, asset).await;
    assert_eq!(resp.status(), 200, "{options}");
    let bytes = resp.bytes().await.unwrap();
    let p = probe(&bytes, &Limits::default()).unwrap();
    decode(&bytes, &p, None, &Limits::default()).unwrap()
}

async fn put_policy(token: &str, name: &str, body: &str) -> (u16, Value) {
    let resp = client().put(format!("{}/api/v1/policies/{name}", worker())).bearer_auth(token).body(body.to_owned()).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_policy_changes_the_pixels_inside_each_detected_box_and_nowhere_else() {
    let token = token_a();
    let asset = uploaded(&token, unique("astronaut.png")).await;
    let resp = img("format=png,policy=default", &asset).await;
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap();
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("analysis_required")), "{body}");
    let job = analyze(&token, &asset).await;
    wait_done(&token, &job).await;
    let (_, analysis, _) = call(reqwest::Method::GET, &format!("/api/v1/assets/{asset}/detections"), &token).await;
    let face = analysis["detections"].as_array().unwrap().iter().find(|d| d["class"] == "FACE_FEMALE").cloned().expect("a face");
    let b: Vec<u32> = face["box"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u32).collect();

    let (status, stored) = put_policy(&token, "faces", r#"{"classes": {"FACE_FEMALE": "blur:full"}, "padding": 0}"#).await;
    assert_eq!(status, 200, "{stored}");
    assert_eq!(stored["policy"]["classes"]["FACE_FEMALE"], "blur:full");
    let plain = pixels("format=png", &asset).await;
    let blurred = pixels("format=png,policy=faces", &asset).await;
    assert_eq!((blurred.width(), blurred.height()), (plain.width(), plain.height()));
    let inside = |x: u32, y: u32| x >= b[0] && x < b[0] + b[2] && y >= b[1] && y < b[1] + b[3];
    let (mut diff_in, mut n_in) = (0u64, 0u64);
    for y in 0..plain.height() {
        for x in 0..plain.width() {
            let i = ((y * plain.width() + x) * 4) as usize;
            let (p, q) = (&plain.data()[i..i + 3], &blurred.data()[i..i + 3]);
            if inside(x, y) {
                diff_in += p.iter().zip(q).map(|(a, b)| u64::from(a.abs_diff(*b))).sum::<u64>();
                n_in += 3;
            } else {
                assert_eq!(p, q, "({x},{y}) outside the box changed");
            }
        }
    }
    let mean_in = diff_in as f64 / n_in as f64;
    assert!(mean_in > 8.0, "inside the face box the mean change is only {mean_in:.1}");

    // A box policy paints the region black.
    put_policy(&token, "boxes", r#"{"classes": {"FACE_FEMALE": "box"}, "padding": 0}"#).await;
    let boxed = pixels("format=png,policy=boxes", &asset).await;
    let centre = (((b[1] + b[3] / 2) * boxed.width() + b[0] + b[2] / 2) * 4) as usize;
    assert_eq!(&boxed.data()[centre..centre + 3], &[0, 0, 0]);

    // A re-analysis is a new version: a new ETag for the same URL.
    let etag = |r: &reqwest::Response| r.headers()["etag"].to_str().unwrap().to_owned();
    let before = etag(&img("format=png,policy=faces", &asset).await);
    let again = analyze(&token, &asset).await;
    wait_done(&token, &again).await;
    assert_ne!(etag(&img("format=png,policy=faces", &asset).await), before);
    // So does a change of the policy.
    let before = etag(&img("format=png,policy=faces", &asset).await);
    put_policy(&token, "faces", r#"{"classes": {"FACE_FEMALE": "pixelate"}}"#).await;
    assert_ne!(etag(&img("format=png,policy=faces", &asset).await), before);
    // An unknown policy is named.
    let resp = img("format=png,policy=nope", &asset).await;
    assert_eq!(resp.status(), 404);
    assert!(resp.text().await.unwrap().contains("nope"));
}

#[tokio::test]
async fn policies_are_validated_listed_and_deleted() {
    let token = token_b();
    let (status, body) = put_policy(&token, "strict", r#"{"classes": {"FACE_MALE": "smudge"}}"#).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_request")));
    assert!(body["error"]["message"].as_str().unwrap().contains("smudge"));
    let (status, _) = put_policy(&token, "strict", r#"{"classes": {"NOSE": "box"}}"#).await;
    assert_eq!(status, 400);
    let (status, _) = put_policy(&token, "Bad_Name", "{}").await;
    assert_eq!(status, 400);
    let (status, body) = put_policy(&token, "strict", r#"{"classes": {"FACE_MALE": "box", "FACE_FEMALE": "blur"}, "padding": 0.2}"#).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["policy"]["classes"]["FACE_FEMALE"], "blur:enhanced");
    assert_eq!(body["policy"]["classes"]["BELLY_EXPOSED"], "blur:enhanced", "unlisted classes keep the defaults");
    let (status, list, _) = call(reqwest::Method::GET, "/api/v1/policies", &token).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = list["policies"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"default") && names.contains(&"strict"), "{list}");
    let (status, default, _) = call(reqwest::Method::GET, "/api/v1/policies/default", &token).await;
    assert_eq!((status, default["builtin"].as_bool()), (200, Some(true)));
    assert_eq!(default["policy"]["classes"]["FACE_FEMALE"], "none");
    let (status, _, _) = call(reqwest::Method::DELETE, "/api/v1/policies/strict", &token).await;
    assert_eq!(status, 204);
    let (status, body, _) = call(reqwest::Method::GET, "/api/v1/policies/strict", &token).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")));
    let (status, _, _) = call(reqwest::Method::DELETE, "/api/v1/policies/strict", &token).await;
    assert_eq!(status, 204, "idempotent");
}

#[tokio::test]
async fn a_batch_of_twenty_analyses_reports_aggregate_progress_until_done() {
    // A fresh creator: twenty uploads of its own budget.
    let account = edgepix_e2e::new_account("creator").await;
    let token = account.access_token.clone();
    let names = ["astronaut.png", "chelsea.png", "coffee.png", "grace_hopper.jpg", "motorcycle_left.png"];
    let mut assets = Vec::new();
    for i in 0..20 {
        assets.push(uploaded(&token, unique(names[i % names.len()])).await);
    }
    let post = |body: Value| {
        let token = token.clone();
        async move {
            let resp = client().post(format!("{}/api/v1/batches", worker())).bearer_auth(&token).json(&body).send().await.expect("worker answers");
            let status = resp.status().as_u16();
            let location = resp.headers().get("location").map(|v| v.to_str().unwrap_or_default().to_owned());
            (status, resp.json::<Value>().await.unwrap_or(Value::Null), location)
        }
    };
    let started = Instant::now();
    let (status, batch, location) = post(serde_json::json!({ "assets": assets })).await;
    assert_eq!(status, 202, "{batch}");
    assert_eq!(batch["total"], 20);
    assert_eq!(batch["jobs"].as_array().unwrap().len(), 20);
    let url = batch["url"].as_str().unwrap().to_owned();
    assert_eq!(location.as_deref(), Some(url.as_str()));
    let deadline = Instant::now() + Duration::from_secs(120);
    let done = loop {
        let (status, b, _) = call(reqwest::Method::GET, &url, &token).await;
        assert_eq!(status, 200, "{b}");
        let p = b["progress"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p));
        if b["finished"] == true {
            break b;
        }
        assert!(Instant::now() < deadline, "the batch did not finish in 120 s: {b}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let secs = started.elapsed().as_secs_f64();
    eprintln!("batch of 20: finished in {secs:.1} s ({:.0} images/min, end to end through the queue)", 20.0 * 60.0 / secs);
    assert_eq!(done["done"], 20, "{done}");
    assert_eq!(done["failed"], 0);
    assert_eq!(done["progress"], 1.0);
    // Every asset has its detections now.
    for a in &assets {
        let (status, d, _) = call(reqwest::Method::GET, &format!("/api/v1/assets/{a}/detections"), &token).await;
        assert_eq!(status, 200, "{d}");
    }
    // Another creator sees no such batch; bad requests are clear 4xx.
    let (status, _, _) = call(reqwest::Method::GET, &url, &token_b()).await;
    assert_eq!(status, 404);
    let (status, e, _) = post(serde_json::json!({ "assets": [] })).await;
    assert_eq!((status, e["error"]["code"].as_str()), (400, Some("invalid_request")));
    let (status, _, _) = post(serde_json::json!({ "assets": [assets[0], assets[0]] })).await;
    assert_eq!(status, 400);
    let too_many: Vec<String> = (0..101).map(|i| format!("{i:064x}")).collect();
    let (status, e, _) = post(serde_json::json!({ "assets": too_many })).await;
    assert_eq!(status, 400, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("100"));
    let foreign = uploaded(&token_b(), unique("rocket.jpg")).await;
    let (status, _, _) = post(serde_json::json!({ "assets": [assets[1], foreign] })).await;
    assert_eq!(status, 404, "another creator's asset");
}

#[tokio::test]
async fn policy_wait_waits_for_an_analysis_in_progress_and_only_then() {
    let token = token_a();
    let asset = uploaded(&token, unique("grace_hopper.jpg")).await;
    let img = |opts: &str| format!("{}/img/{opts}/{asset}", worker());
    // Nothing analysing: no waiting, a clear 409 at once.
    let started = Instant::now();
    let resp = client().get(img("width=300,policy=default,policy-wait=true")).send().await.expect("worker answers");
    assert_eq!(resp.status(), 409);
    assert!(started.elapsed() < Duration::from_secs(10));
    // Without `policy` the option means nothing: 400 naming both.
    let resp = client().get(img("width=300,policy-wait=true")).send().await.expect("worker answers");
    assert_eq!(resp.status(), 400);
    let e: Value = resp.json().await.unwrap();
    assert!(e["error"]["message"].as_str().unwrap().contains("policy-wait"), "{e}");
    // Queued: the request waits for the job and answers the blurred image.
    analyze(&token, &asset).await;
    let resp = client().get(img("width=300,policy=default,policy-wait=true")).send().await.expect("worker answers");
    assert_eq!(resp.status(), 200, "{:?}", resp.text().await);
    let resp = client().get(img("width=300,policy=default")).send().await.expect("worker answers");
    assert_eq!(resp.status(), 200, "analysed now");
}

async fn put_regions(token: &str, asset: &str, body: &str) -> (u16, Value) {
    let resp = client().put(format!("{}/api/v1/assets/{asset}/regions", worker())).bearer_auth(token).body(body.to_owned()).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// The pixels of `img` inside `r` (`[x, y, w, h]`), as RGB rows.
fn crop_rgb(img: &edgepix_core::pixel::RgbaImage, r: [u32; 4]) -> Vec<u8> {
    let mut out = Vec::new();
    for y in r[1]..r[1] + r[3] {
        for x in r[0]..r[0] + r[2] {
            let i = ((y * img.width() + x) * 4) as usize;
            out.extend_from_slice(&img.data()[i..i + 3]);
        }
    }
    out
}

#[tokio::test]
async fn switched_off_regions_are_served_unredacted_and_allowed_regions_can_be_revealed() {
    // A fresh creator, so that its policy names are its own.
    let token = edgepix_e2e::new_account("creator").await.access_token;
    let other = token_b();
    let asset = uploaded(&token, unique("astronaut.png")).await;
    let (status, body, _) = call(reqwest::Method::GET, &format!("/api/v1/assets/{asset}/reveals"), "").await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("analysis_required")), "{body}");
    let (status, body) = put_regions(&token, &asset, r#"{"version": "x", "off": []}"#).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("analysis_required")), "{body}");
    let job = analyze(&token, &asset).await;
    wait_done(&token, &job).await;
    let (_, analysis, _) = call(reqwest::Method::GET, &format!("/api/v1/assets/{asset}/detections"), &token).await;
    assert_eq!(analysis["off"], serde_json::json!([]));
    let version = analysis["version"].as_str().unwrap().to_owned();
    let face_index = analysis["detections"].as_array().unwrap().iter().position(|d| d["class"] == "FACE_FEMALE").expect("a face");
    let b: Vec<u32> = analysis["detections"][face_index]["box"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u32).collect();
    let face = [b[0], b[1], b[2], b[3]];

    // Faces boxed, revealable; padding 0 so the region is the box.
    let (status, body) = put_policy(&token, "veil", r#"{"classes": {"FACE_FEMALE": "box"}, "padding": 0, "reveal": ["FACE_FEMALE"]}"#).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["policy"]["reveal"], serde_json::json!(["FACE_FEMALE"]));
    let (status, body) = put_policy(&token, "shut", r#"{"classes": {"FACE_FEMALE": "box"}, "padding": 0}"#).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = put_policy(&token, "bad", r#"{"reveal": ["FACE_FEMALE"]}"#).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_request")), "faces are not redacted by default: {body}");

    let plain = pixels("format=png", &asset).await;
    let veiled = pixels("format=png,policy=veil", &asset).await;
    assert_ne!(crop_rgb(&veiled, face), crop_rgb(&plain, face), "the face is boxed");
    let resp = img("format=png,policy=veil", &asset).await;
    assert_eq!(resp.headers()["cache-control"], "public, no-cache", "policy images revalidate");

    // Public: the revealable regions, and the region itself, unredacted.
    let (status, reveals, _) = call(reqwest::Method::GET, &format!("/api/v1/assets/{asset}/reveals?policy=veil"), "").await;
    assert_eq!(status, 200, "{reveals}");
    assert_eq!(reveals["version"], version.as_str());
    let regions = reveals["regions"].as_array().unwrap();
    let region = regions.iter().find(|r| r["index"] == face_index).unwrap_or_else(|| panic!("the face in {reveals}"));
    assert_eq!(region["class"], "FACE_FEMALE");
    assert_eq!(region["rect"], serde_json::json!({"x": face[0], "y": face[1], "w": face[2], "h": face[3]}));
    assert!(regions.iter().all(|r| r["class"] == "FACE_FEMALE"), "only revealable classes are listed: {reveals}");
    let (_, shut, _) = call(reqwest::Method::GET, &format!("/api/v1/assets/{asset}/reveals?policy=shut"), "").await;
    assert_eq!(shut["regions"], serde_json::json!([]));

    let revealed = pixels(&format!("format=png,policy=veil,reveal={face_index}"), &asset).await;
    assert_eq!((revealed.width(), revealed.height()), (face[2], face[3]), "the reveal is the region alone");
    let whole = [0, 0, face[2], face[3]];
    assert_eq!(crop_rgb(&revealed, whole), crop_rgb(&plain, face), "the reveal is the unredacted original");
    for (options, status, code) in [
        (format!("format=png,policy=shut,reveal={face_index}"), 403, "reveal_not_allowed"),
        ("format=png,policy=veil,reveal=99".to_owned(), 404, "not_found"),
        (format!("format=png,reveal={face_index}"), 400, "invalid_option"),
        (format!("format=png,policy=veil,reveal={face_index},trim=1;1;1;1"), 400, "invalid_option"),
    ] {
        let resp = img(&options, &asset).await;
        assert_eq!(resp.status(), status, "{options}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{options}: {body}");
    }

    // Switching the face off: served as it is, nothing left to reveal.
    for (body, status, code) in [
        (r#"{"version": "stale", "off": [0]}"#.to_owned(), 409, Some("conflict")),
        (format!(r#"{{"version": "{version}", "off": [99]}}"#), 400, Some("invalid_request")),
        (r#"{"off": [0]}"#.to_owned(), 400, Some("invalid_request")),
    ] {
        let (got, answer) = put_regions(&token, &asset, &body).await;
        assert_eq!((got, answer["error"]["code"].as_str()), (status, code), "{body}: {answer}");
    }
    let (status, _) = put_regions(&other, &asset, &format!(r#"{{"version": "{version}", "off": [{face_index}]}}"#)).await;
    assert_eq!(status, 404, "only the owner chooses");
    let (status, after) = put_regions(&token, &asset, &format!(r#"{{"version": "{version}", "off": [{face_index}, {face_index}]}}"#)).await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["off"], serde_json::json!([face_index]));
    let unveiled = pixels("format=png,policy=veil", &asset).await;
    assert_eq!(crop_rgb(&unveiled, face), crop_rgb(&plain, face), "a switched-off region is left as it is");
    let resp = img(&format!("format=png,policy=veil,reveal={face_index}"), &asset).await;
    assert_eq!(resp.status(), 403);
    let (_, reveals, _) = call(reqwest::Method::GET, &format!("/api/v1/assets/{asset}/reveals?policy=veil"), "").await;
    assert!(reveals["regions"].as_array().unwrap().iter().all(|r| r["index"] != face_index), "{reveals}");

    // A re-analysis starts with every region on again.
    let again = analyze(&token, &asset).await;
    wait_done(&token, &again).await;
    let (_, fresh, _) = call(reqwest::Method::GET, &format!("/api/v1/assets/{asset}/detections"), &token).await;
    assert_eq!(fresh["off"], serde_json::json!([]));
    let (status, _) = put_regions(&token, &asset, &format!(r#"{{"version": "{version}", "off": []}}"#)).await;
    assert_eq!(status, 409, "choices for the old analysis are refused");
}
