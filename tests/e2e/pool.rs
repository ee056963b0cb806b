//! The function pool, native and as a Spin component under wasmtime, over
//! HTTP with the real models.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use edgepix_core::codec::{Limits, decode, probe};
use edgepix_core::pixel::RgbaImage;
use edgepix_e2e::{client, photo, pool, pool_post, pool_secret, spin};
use serde_json::Value;

async fn health(base: &str) -> Value {
    let resp = client().get(format!("{base}/healthz")).send().await.expect("pool answers");
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

fn model<'a>(h: &'a Value, name: &str, backend: &str) -> &'a Value {
    h["models"].as_array().unwrap().iter().find(|m| m["name"] == name && m["backend"] == backend).unwrap_or_else(|| panic!("{name} on {backend} listed: {h}"))
}

fn assert_loaded(m: &Value) {
    assert_eq!(m["loaded"], true, "{m}");
    assert!(m["load_ms"].as_f64().is_some_and(|ms| ms > 0.0), "{m}");
}

async fn detect(base: &str, target: &str, body: Vec<u8>) -> Value {
    let resp = pool_post(base, target, body, &pool_secret(), 0).await;
    assert_eq!(resp.status(), 200, "{target}");
    assert!(resp.headers().get("server-timing").is_some());
    resp.json().await.unwrap()
}

fn png_color_type(png: &[u8]) -> u8 {
    // IHDR: 8 signature + 4 length + 4 type + 4 width + 4 height + 1 depth.
    png[25]
}

fn decode_png(png: &[u8]) -> RgbaImage {
    let p = probe(png, &Limits::default()).unwrap();
    decode(png, &p, None, &Limits::default()).unwrap()
}

async fn error_code(resp: reqwest::Response) -> (u16, String, String) {
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    (status, body["error"]["code"].as_str().unwrap_or_default().to_owned(), body["error"]["message"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn native_pool_loads_both_models_on_onnxruntime_and_the_detector_on_tract() {
    let h = health(&pool()).await;
    assert_eq!(h["status"], "ok");
    assert_eq!(h["runtime"], "native");
    assert_eq!(h["backends"], serde_json::json!(["onnxruntime", "tract"]));
    assert_loaded(model(&h, "detector", "onnxruntime"));
    assert_loaded(model(&h, "detector", "tract"));
    assert_loaded(model(&h, "segmenter", "onnxruntime"));
}

#[tokio::test]
async fn spin_component_serves_the_same_handlers() {
    let Some(base) = spin() else { panic!("EDGEPIX_SPIN_URL is not set: cargo xtask test starts the component") };
    let h = health(&base).await;
    assert_eq!(h["runtime"], "spin");
    assert_eq!(h["version"], health(&pool()).await["version"]);
    assert_loaded(model(&h, "detector", "tract"));
    assert_eq!(model(&h, "segmenter", "tract")["loaded"], false);
}

#[tokio::test]
async fn both_runtimes_answer_unknown_routes_with_the_error_shape() {
    let mut bases = vec![pool()];
    bases.extend(spin());
    for base in bases {
        let resp = client().get(format!("{base}/v0/nothing")).send().await.unwrap();
        assert_eq!(error_code(resp).await.0, 404, "{base}");
        let resp = client().delete(format!("{base}/healthz")).send().await.unwrap();
        assert_eq!(error_code(resp).await, (405, "method_not_allowed".to_owned(), "DELETE is not allowed on /healthz".to_owned()), "{base}");
        let resp = client().get(format!("{base}/v1/detect")).send().await.unwrap();
        assert_eq!(error_code(resp).await.0, 405, "{base}");
    }
}

#[tokio::test]
async fn detect_finds_the_astronauts_face_on_every_backend_and_runtime() {
    let img = photo("astronaut.png");
    let mut runs = vec![
        detect(&pool(), "/v1/detect", img.clone()).await,
        detect(&pool(), "/v1/detect?backend=tract", img.clone()).await,
    ];
    if let Some(base) = spin() {
        runs.push(detect(&base, "/v1/detect", img.clone()).await);
    }
    assert_eq!(runs[0]["backend"], "onnxruntime");
    assert_eq!(runs[1]["backend"], "tract");
    for r in &runs {
        assert_eq!((r["width"].as_u64(), r["height"].as_u64()), (Some(512), Some(512)), "{r}");
        assert_eq!(r["model"], "nudenet-320n");
        let dets = r["detections"].as_array().unwrap();
        let face = dets.iter().find(|d| d["class"] == "FACE_FEMALE").unwrap_or_else(|| panic!("a FACE_FEMALE in {r}"));
        let b: Vec<i64> = face["box"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
        // The face is in the upper middle of the 512x512 portrait.
        assert!(b[0] > 100 && b[0] + b[2] < 400 && b[1] > 20 && b[1] + b[3] < 300, "{b:?}");
        assert!(face["score"].as_f64().unwrap() > 0.5);
    }
    // Backends agree: same classes, boxes within a pixel, scores within 0.01.
    for other in &runs[1..] {
        let (a, b) = (runs[0]["detections"].as_array().unwrap(), other["detections"].as_array().unwrap());
        assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
        for (x, y) in a.iter().zip(b) {
            assert_eq!(x["class"], y["class"]);
            assert!((x["score"].as_f64().unwrap() - y["score"].as_f64().unwrap()).abs() < 0.01, "{x} vs {y}");
            for i in 0..4 {
                assert!((x["box"][i].as_i64().unwrap() - y["box"][i].as_i64().unwrap()).abs() <= 1, "{x} vs {y}");
            }
        }
    }
}

#[tokio::test]
async fn detect_maps_boxes_through_exif_orientation() {
    // The same photo stored rotated with orientation 6 must give the same
    // (displayed) boxes.
    let upright = detect(&pool(), "/v1/detect", photo("grace_hopper.jpg")).await;
    let rotated = detect(&pool(), "/v1/detect", edgepix_e2e::rotated_with_exif(&photo("grace_hopper.jpg"))).await;
    assert_eq!((rotated["width"].clone(), rotated["height"].clone()), (upright["width"].clone(), upright["height"].clone()));
    let faces = |r: &Value| r["detections"].as_array().unwrap().iter().filter(|d| d["class"] == "FACE_FEMALE").cloned().collect::<Vec<_>>();
    let (a, b) = (faces(&upright), faces(&rotated));
    assert_eq!(a.len(), 1, "{upright}");
    assert_eq!(b.len(), 1, "{rotated}");
    for i in 0..4 {
        // JPEG re-encoding moves pixels a little; boxes stay within 3%.
        let (x, y) = (a[0]["box"][i].as_i64().unwrap(), b[0]["box"][i].as_i64().unwrap());
        assert!((x - y).abs() <= 16, "{a:?} vs {b:?}");
    }
}

#[tokio::test]
async fn segment_gives_a_mask_and_a_cutout_at_the_input_size() {
    let img = photo("chelsea.png");
    let resp = pool_post(&pool(), "/v1/segment?output=mask", img.clone(), &pool_secret(), 0).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/png");
    assert_eq!(resp.headers()["x-edgepix-size"], "451x300");
    let mask_png = resp.bytes().await.unwrap().to_vec();
    assert_eq!(png_color_type(&mask_png), 0, "an 8-bit grayscale PNG");
    let mask = decode_png(&mask_png);
    assert_eq!((mask.width(), mask.height()), (451, 300));
    let grey: Vec<u8> = mask.data().chunks_exact(4).map(|p| p[0]).collect();
    let share = |f: &dyn Fn(u8) -> bool| grey.iter().filter(|&&v| f(v)).count() as f64 / grey.len() as f64;
    // The cat fills most of the frame; the dark corners are background.
    assert!(share(&|v| v > 240) > 0.5, "foreground {}", share(&|v| v > 240));
    assert!(share(&|v| v < 16) > 0.05, "background {}", share(&|v| v < 16));
    assert!(grey[0] < 16, "the top-left corner is background");

    let resp = pool_post(&pool(), "/v1/segment?output=cutout", img.clone(), &pool_secret(), 0).await;
    assert_eq!(resp.status(), 200);
    let cut_png = resp.bytes().await.unwrap().to_vec();
    assert_eq!(png_color_type(&cut_png), 6, "an RGBA PNG");
    let cut = decode_png(&cut_png);
    let source = decode_png(&img);
    for ((c, s), m) in cut.data().chunks_exact(4).zip(source.data().chunks_exact(4)).zip(&grey) {
        assert_eq!(c[3], *m, "alpha is the mask");
        // The photo's colours where the cut-out shows anything; the hidden
        // background is not carried.
        let expected = if *m == 0 { [0; 3] } else { [s[0], s[1], s[2]] };
        assert_eq!(c[..3], expected, "colours");
    }
}

#[tokio::test]
async fn segment_is_not_offered_on_tract_or_spin() {
    let (status, code, message) = error_code(pool_post(&pool(), "/v1/segment?backend=tract", photo("chelsea.png"), &pool_secret(), 0).await).await;
    assert_eq!((status, code.as_str()), (503, "unavailable"), "{message}");
    assert!(message.contains("onnxruntime"), "{message}");
    if let Some(base) = spin() {
        let (status, code, _) = error_code(pool_post(&base, "/v1/segment", photo("chelsea.png"), &pool_secret(), 0).await).await;
        assert_eq!((status, code.as_str()), (503, "unavailable"));
    }
}

#[tokio::test]
async fn unsigned_wrong_replayed_expired_and_tampered_requests_get_401() {
    let base = pool();
    let body = photo("coffee.png");
    let unsigned = client().post(format!("{base}/v1/detect")).body(body.clone()).send().await.unwrap();
    assert_eq!(unsigned.headers().get("www-authenticate").map(|v| v.to_str().unwrap()), Some("EdgepixSignature"));
    assert_eq!(error_code(unsigned).await.1, "unauthorized");
    let wrong = pool_post(&base, "/v1/detect", body.clone(), "not-the-secret", 0).await;
    assert_eq!(error_code(wrong).await.0, 401);
    let expired = pool_post(&base, "/v1/detect", body.clone(), &pool_secret(), -400).await;
    let (status, _, message) = error_code(expired).await;
    assert_eq!(status, 401);
    assert!(message.contains("300 s"), "{message}");
    let future = pool_post(&base, "/v1/detect", body.clone(), &pool_secret(), 400).await;
    assert_eq!(error_code(future).await.0, 401);

    // A replay: the exact same signed request twice.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let sig = edgepix_core::signing::sign(pool_secret().as_bytes(), "POST", "/v1/detect", &body, now, edgepix_e2e::nonce()).header_value();
    let send = |target: &str, b: Vec<u8>| client().post(format!("{base}{target}")).header("x-edgepix-signature", sig.clone()).body(b).send();
    assert_eq!(send("/v1/detect", body.clone()).await.unwrap().status(), 200);
    let (status, _, message) = error_code(send("/v1/detect", body.clone()).await.unwrap()).await;
    assert_eq!(status, 401);
    assert!(message.contains("replay"), "{message}");
    // Tampering: another body, or another query, under that signature.
    let mut other = body.clone();
    other.push(0);
    assert_eq!(send("/v1/detect", other).await.unwrap().status(), 401);
    assert_eq!(send("/v1/detect?backend=tract", body.clone()).await.unwrap().status(), 401);
    if let Some(spin) = spin() {
        let resp = client().post(format!("{spin}/v1/detect")).body(body.clone()).send().await.unwrap();
        assert_eq!(resp.status(), 401, "the Spin component checks signatures too");
    }
}

#[tokio::test]
async fn bad_images_get_clear_4xx_errors_fast() {
    let base = pool();
    let secret = pool_secret();
    let mut bomb = photo("chelsea.png")[..33].to_vec();
    // Rewrite IHDR to claim 100000x100000 (the CRC no longer matters: the
    // header is refused before anything is decoded).
    bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let truncated = photo("coffee.png")[..5000].to_vec();
    let cases: [(&str, Vec<u8>, u16, &str); 4] = [
        ("empty", Vec::new(), 400, "invalid_request"),
        ("text", b"hello, this is not an image".to_vec(), 415, "unsupported_media_type"),
        ("bomb", bomb, 422, "image_too_large"),
        ("truncated", truncated, 422, "corrupt_image"),
    ];
    for (name, body, status, code) in cases {
        let started = Instant::now();
        let (s, c, m) = error_code(pool_post(&base, "/v1/detect", body.clone(), &secret, 0).await).await;
        assert_eq!((s, c.as_str()), (status, code), "{name}: {m}");
        assert!(started.elapsed() < Duration::from_secs(5), "{name} took {:?}", started.elapsed());
        let (s, c, _) = error_code(pool_post(&base, "/v1/segment", body, &secret, 0).await).await;
        assert_eq!((s, c.as_str()), (status, code), "{name} on /v1/segment");
    }
    let (s, _, m) = error_code(pool_post(&base, "/v1/segment?output=svg", photo("coffee.png"), &secret, 0).await).await;
    assert_eq!(s, 400);
    assert!(m.contains("mask, cutout"), "{m}");
}

#[tokio::test]
async fn metrics_report_requests_latency_queue_and_model_load_times() {
    detect(&pool(), "/v1/detect", photo("coffee.png")).await;
    let resp = client().get(format!("{}/metrics", pool())).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
    let text = resp.text().await.unwrap();
    for needle in [
        r#"edgepix_pool_requests_total{route="/v1/detect",status="200"}"#,
        r#"edgepix_pool_request_duration_seconds_bucket{le="+Inf",route="/v1/detect"}"#,
        r#"edgepix_pool_inference_duration_seconds_count{model="detector",backend="onnxruntime"}"#,
        "edgepix_pool_queue_waiting ",
        "edgepix_pool_queue_running ",
        r#"edgepix_pool_model_load_seconds{model="segmenter",backend="onnxruntime"}"#,
        "# EOF",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
}

/// A pool of our own with one slot and no queue, to see it refuse.
struct SmallPool {
    child: Child,
    base: String,
}

impl Drop for SmallPool {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn small_pool() -> SmallPool {
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set: run through cargo xtask test"));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(var("EDGEPIX_POOL_BIN"))
        .args(["--addr", &format!("127.0.0.1:{port}"), "--models", &var("EDGEPIX_MODELS"), "--onnxruntime", &var("EDGEPIX_ONNXRUNTIME")])
        .args(["--concurrency", "1", "--queue", "0"])
        .env("POOL_SECRET", pool_secret())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start edgepix-pool");
    let pool = SmallPool { child, base: format!("http://127.0.0.1:{port}") };
    let deadline = Instant::now() + Duration::from_secs(30);
    while client().get(format!("{}/healthz", pool.base)).send().await.is_err() {
        assert!(Instant::now() < deadline, "the small pool did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    pool
}

#[tokio::test]
async fn a_full_queue_answers_503_with_retry_after() {
    let pool = small_pool().await;
    let base = pool.base.clone();
    // A segmentation holds the only slot for about a second.
    let busy = tokio::spawn({
        let base = base.clone();
        async move { pool_post(&base, "/v1/segment?output=mask", photo("coffee.png"), &pool_secret(), 0).await.status().as_u16() }
    });
    let mut refused = None;
    let deadline = Instant::now() + Duration::from_secs(20);
    while refused.is_none() && Instant::now() < deadline && !busy.is_finished() {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let resp = pool_post(&base, "/v1/detect", photo("astronaut.png"), &pool_secret(), 0).await;
        if resp.status() == 503 {
            refused = Some((resp.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned()), error_code(resp).await.1));
        }
    }
    let (retry_after, code) = refused.expect("a request was refused while the only slot was busy");
    assert_eq!(code, "overloaded");
    assert!(retry_after.and_then(|v| v.parse::<u32>().ok()).is_some_and(|s| s >= 1));
    assert_eq!(busy.await.unwrap(), 200, "the running request still completes");
    // Once free, the pool serves again.
    assert_eq!(pool_post(&base, "/v1/detect", photo("astronaut.png"), &pool_secret(), 0).await.status(), 200);
}
