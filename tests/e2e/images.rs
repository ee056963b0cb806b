//! `/img/{options}/{id}` and `/api/v1/transform` against the running Worker.

use edgepix_core::codec::{self, Chroma, Limits, OutputFormat};
use edgepix_core::pixel::{Rect, RgbaImage};
use edgepix_core::transform::resample;
use edgepix_e2e::{client, photo, token_a, upload, worker};
use serde_json::Value;

async fn uploaded(name: &str) -> String {
    let (status, body) = upload(&token_a(), photo(name), "image/*").await;
    assert!(status == 201 || status == 200, "{name}: {status} {body}");
    body["id"].as_str().unwrap().to_owned()
}

async fn img(options: &str, id: &str, accept: Option<&str>) -> reqwest::Response {
    let mut req = client().get(format!("{}/img/{options}/{id}", worker()));
    if let Some(a) = accept {
        req = req.header("accept", a);
    }
    req.send().await.unwrap()
}

/// Status, content type, and decoded size of an image response.
async fn fetch_dims(options: &str, id: &str) -> (u16, String, (u32, u32)) {
    let resp = img(options, id, None).await;
    let status = resp.status().as_u16();
    let ct = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let bytes = resp.bytes().await.unwrap();
    assert_eq!(status, 200, "{options}: {}", String::from_utf8_lossy(&bytes[..bytes.len().min(300)]));
    let p = codec::probe(&bytes, &Limits::default()).unwrap();
    (status, ct, (p.width, p.height))
}

#[tokio::test]
async fn fit_modes_give_cloudflares_dimensions() {
    let id = uploaded("rocket.jpg").await; // 640x427
    let cases: &[(&str, (u32, u32))] = &[
        ("width=8000", (640, 427)),                           // scale-down never enlarges
        ("width=2000,fit=contain", (2000, 1334)),             // contain may enlarge
        ("w=100", (100, 67)),
        ("height=320", (480, 320)),
        ("width=200,height=200,fit=contain", (200, 133)),
        ("width=200,height=200,fit=cover", (200, 200)),
        ("width=200,height=200,fit=pad,background=red", (200, 200)),
        ("width=100,height=300,fit=squeeze", (100, 300)),
        ("width=1000,height=1000,fit=crop", (640, 427)),      // crop never enlarges
        ("width=200,height=100,fit=crop,gravity=top", (200, 100)),
        ("width=100,dpr=2", (200, 133)),
        ("rotate=90,width=64", (64, 96)),
    ];
    for (options, want) in cases {
        let (_, ct, dims) = fetch_dims(&format!("{options},format=jpeg"), &id).await;
        assert_eq!(ct, "image/jpeg");
        // Cloudflare rounds to whole pixels; allow one pixel of rounding.
        assert!(dims.0.abs_diff(want.0) <= 1 && dims.1.abs_diff(want.1) <= 1, "{options}: got {dims:?}, want {want:?}");
    }
}

#[tokio::test]
async fn formats_negotiate_and_json_describes() {
    let id = uploaded("grace_hopper.jpg").await; // 512x600 JPEG
    let (_, ct, _) = fetch_dims("width=64", &id).await;
    assert_eq!(ct, "image/jpeg", "auto without webp in Accept keeps JPEG");
    let resp = img("width=64", &id, Some("image/avif,image/webp,*/*")).await;
    assert_eq!(resp.headers()["content-type"], "image/webp");
    assert_eq!(resp.headers()["vary"], "Accept");
    // AVIF is best effort, as at Cloudflare: WebP, named by Content-Type.
    let resp = img("width=64,format=avif", &id, None).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/webp");
    assert!(resp.headers().get("vary").is_none(), "format=avif does not vary");
    assert_eq!(&resp.bytes().await.unwrap()[8..12], b"WEBP");
    let resp = img("width=64,format=png", &id, Some("image/webp")).await;
    assert_eq!(resp.headers()["content-type"], "image/png");
    assert!(resp.headers().get("vary").is_none(), "an explicit format does not vary");
    let info: Value = img("width=100,format=json", &id, None).await.json().await.unwrap();
    assert_eq!(info["width"], 100);
    assert_eq!(info["original"]["width"], 512);
    assert_eq!(info["original"]["height"], 600);
    assert_eq!(info["original"]["format"], "image/jpeg");
}

#[tokio::test]
async fn derivatives_are_cached_with_strong_etags() {
    let id = uploaded("coffee.png").await;
    let options = "width=150,blur=5,format=webp";
    let first = img(options, &id, None).await;
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.len() > 20, "strong etag {etag}");
    assert_eq!(first.headers()["cache-control"], "public, max-age=31536000, immutable");
    // The engine ran: its steps are timed before the whole request.
    assert_eq!(first.headers()["x-edgepix-cache"], "MISS");
    let timing = first.headers()["server-timing"].to_str().unwrap().to_owned();
    let names: Vec<&str> = timing.split(", ").map(|e| e.split(';').next().unwrap_or_default()).collect();
    assert_eq!(names, ["lookup", "original", "render", "image"], "{timing}");
    assert!(timing.ends_with(";desc=\"miss\""), "{timing}");
    let first_bytes = first.bytes().await.unwrap();
    let second = img(options, &id, None).await;
    assert!(second.headers()["x-edgepix-cache"].to_str().unwrap().starts_with("HIT"), "{:?}", second.headers());
    assert!(!second.headers()["server-timing"].to_str().unwrap().contains("render"), "a hit renders nothing");
    assert_eq!(second.headers()["etag"].to_str().unwrap(), etag);
    assert_eq!(second.bytes().await.unwrap(), first_bytes);
    // The same options spelled differently share the entry.
    let alias = img("blur=5,w=150,f=webp", &id, None).await;
    assert_eq!(alias.headers()["etag"].to_str().unwrap(), etag);
    let not_modified = client().get(format!("{}/img/{options}/{id}", worker())).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(not_modified.status(), 304);
}

#[tokio::test]
async fn bad_options_and_ids_get_clear_errors() {
    let id = uploaded("chelsea.png").await;
    for (options, names) in [("width=abc", "width"), ("fit=stretch", "fit"), ("colour=red", "colour"), ("quality=101", "quality"), ("width=10,width=20", "width")] {
        let resp = img(options, &id, None).await;
        assert_eq!(resp.status(), 400, "{options}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_option", "{options}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(names), "{options}: {body}");
    }
    // An output over the memory budget is refused before any decoding.
    let resp = img("width=8000,fit=contain", &id, None).await;
    assert_eq!(resp.status(), 422);
    assert_eq!(resp.json::<Value>().await.unwrap()["error"]["code"], "image_too_large");
    let many = vec!["w=1"; 10_000].join(",");
    let started = std::time::Instant::now();
    let resp = img(&many, &id, None).await;
    assert!(resp.status().is_client_error(), "{}", resp.status());
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let resp = img("width=10", &"0".repeat(64), None).await;
    assert_eq!(resp.status(), 404);
    let resp = img("width=10", "not-an-id", None).await;
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn transform_endpoint_stores_nothing() {
    let bytes = photo("chelsea.png");
    let resp = client()
        .post(format!("{}/api/v1/transform?options=width=100,format=jpeg", worker()))
        .bearer_auth(token_a())
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
    let out = resp.bytes().await.unwrap();
    let p = codec::probe(&out, &Limits::default()).unwrap();
    assert_eq!((p.width, p.height), (100, 67));
    let unauthenticated = client().post(format!("{}/api/v1/transform?options=width=100", worker())).body(photo("chelsea.png")).send().await.unwrap();
    assert_eq!(unauthenticated.status(), 401);
}

/// A real photo upscaled to `size` and encoded here as `format`, uploaded
/// (it must stay under the 25 MB body limit); its id.
async fn upload_upscaled(name: &str, size: (u32, u32), format: OutputFormat) -> String {
    let bytes = codec::encode(&upscaled(name, size), format, 85, [255, 255, 255]).unwrap().bytes;
    upload_large(bytes, format.mime()).await
}

/// Test photo `name` resized to `size`.
fn upscaled(name: &str, size: (u32, u32)) -> RgbaImage {
    let src = photo(name);
    let probe = codec::probe(&src, &Limits::default()).unwrap();
    let small = codec::decode(&src, &probe, None, &Limits::default()).unwrap();
    let whole = Rect { x: 0, y: 0, w: small.width(), h: small.height() };
    resample::resize(small, whole, size)
}

/// Uploads `bytes` (under the 25 MB limit) as creator A: the asset's id.
async fn upload_large(bytes: Vec<u8>, mime: &str) -> String {
    assert!(bytes.len() < 25_000_000, "{} bytes", bytes.len());
    let (status, body) = upload(&token_a(), bytes, mime).await;
    assert!(status == 201 || status == 200, "{status} {body}");
    body["id"].as_str().unwrap().to_owned()
}

/// Asks for `options` of asset `id` and checks the answer's content type
/// and size, and the Worker's memory peak.
async fn served_within_budget(id: &str, options: &str, content_type: &str, size: (u32, u32)) {
    let (_, ct, dims) = fetch_dims(options, id).await;
    assert_eq!((ct.as_str(), dims), (content_type, size), "{options}");
    assert_memory_within_budget().await;
}

/// The Worker's wasm memory peak so far, held to the 112 MiB budget.
async fn assert_memory_within_budget() {
    let m: Value = client().get(format!("{}/__dev/memory", worker())).send().await.unwrap().json().await.unwrap();
    let peak = m["wasm_memory_peak_bytes"].as_u64().unwrap();
    assert!(peak <= 112 * 1024 * 1024, "wasm memory peak {peak} over 112 MiB");
}

#[tokio::test]
async fn a_48_megapixel_jpeg_fits_the_memory_budget() {
    let id = upload_upscaled("chelsea.png", (8000, 6000), OutputFormat::Jpeg).await;
    served_within_budget(&id, "width=1024,format=jpeg", "image/jpeg", (1024, 768)).await;
}

#[tokio::test]
async fn a_full_chroma_jpeg_at_the_decode_budget_fits_the_memory_budget() {
    // 4096x3072 at q100 with chroma at full resolution (4:4:4, as photo
    // editors export at top quality) to 2100 px: no DCT scale covers it
    // but the whole image, and decoding that holds jpeg-decoder's three
    // full-size planes, its RGB output and our RGBA at once (128 MiB of
    // wasm memory, before the decoder's footprint was budgeted). It is
    // decoded at 1/2 instead, and resampled up by 2.5 %.
    let bytes = codec::encode_jpeg(&upscaled("coffee.png", (4096, 3072)), 100, [255; 3], Chroma::Full).unwrap().bytes;
    let id = upload_large(bytes, "image/jpeg").await;
    served_within_budget(&id, "width=2100,format=jpeg", "image/jpeg", (2100, 1575)).await;
}

/// `img` as a progressive JPEG at quality 85 (4:2:0).
fn progressive_jpeg(img: &RgbaImage) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, 85);
    enc.set_progressive(true);
    enc.encode(img.data(), img.width() as u16, img.height() as u16, jpeg_encoder::ColorType::Rgba).unwrap();
    out
}

#[tokio::test]
async fn progressive_jpegs_keep_to_the_memory_budget() {
    // A progressive JPEG keeps every coefficient (two bytes a sample) until
    // its last scan, at any DCT scale. 4096x3072 to 2100 px took 125 MiB
    // of wasm memory decoded whole; it is decoded at 1/2 now.
    let id = upload_large(progressive_jpeg(&upscaled("coffee.png", (4096, 3072))), "image/jpeg").await;
    served_within_budget(&id, "width=2100,format=jpeg", "image/jpeg", (2100, 1575)).await;
    // 8000x6000 holds 137 MiB of coefficients: refused at upload, before
    // anything is stored.
    refused_as_too_large(progressive_jpeg(&upscaled("chelsea.png", (8000, 6000))), "image/jpeg", "progressive").await;
}

/// Uploads `bytes` and checks that they are refused with 422
/// `image_too_large` (the message naming `what`) before anything is
/// stored, within the memory budget.
async fn refused_as_too_large(bytes: Vec<u8>, mime: &str, what: &str) {
    let id = edgepix_core::assets::AssetId::of(&bytes);
    let (status, body) = upload(&token_a(), bytes, mime).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("image_too_large")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains(what), "{body}");
    let resp = client().get(format!("{}/api/v1/assets/{id}", worker())).bearer_auth(token_a()).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    assert_memory_within_budget().await;
}

/// `img` as a one-frame GIF, its colours cut to 3-3-2 bits.
fn gif_332(img: &RgbaImage) -> Vec<u8> {
    let palette: Vec<u8> = (0..=255u8).flat_map(|i| [(i >> 5) * 36, (i >> 2 & 7) * 36, (i & 3) * 85]).collect();
    let indices: Vec<u8> = img.data().chunks_exact(4).map(|p| (p[0] >> 5) << 5 | (p[1] >> 5) << 2 | p[2] >> 6).collect();
    let mut out = Vec::new();
    {
        let mut enc = gif::Encoder::new(&mut out, img.width() as u16, img.height() as u16, &palette).unwrap();
        let frame = gif::Frame { width: img.width() as u16, height: img.height() as u16, buffer: indices.into(), ..gif::Frame::default() };
        enc.write_frame(&frame).unwrap();
    }
    out
}

#[tokio::test]
async fn gifs_and_webps_at_the_decode_budget_keep_to_the_memory_budget() {
    // A 4096x3050 GIF (12.5 MP, the decode budget) to 3000 px: its first
    // frame decodes straight into the image (decoding it beside a canvas
    // took 130 MB of wasm memory at upload).
    let id = upload_large(gif_332(&upscaled("coffee.png", (4096, 3050))), "image/gif").await;
    served_within_budget(&id, "width=3000,format=png", "image/png", (3000, 2234)).await;
    // A lossy WebP with alpha keeps its alpha plane as a lossless image
    // besides: 4096x3050 took 142 MB at upload. Refused before it is
    // stored.
    let mut img = upscaled("coffee.png", (4096, 3050));
    img.data_mut().chunks_exact_mut(4).for_each(|p| p[3] = 200);
    let bytes = codec::encode(&img, OutputFormat::Webp, 80, [0; 3]).unwrap().bytes;
    refused_as_too_large(bytes, "image/webp", "WebP with alpha").await;
}

#[tokio::test]
async fn a_png_at_the_decode_budget_to_a_large_output_fits_the_memory_budget() {
    // The largest decode there is (no DCT scaling for PNG: 4096x3050 RGBA
    // is 47.7 MiB of the 48 MiB budget) to a 3000 px PNG: the source, the
    // decoded image and the output are alive together, so no step may add
    // another full-size buffer (it did: 144 MiB before decoding and
    // resampling worked in place and in bands).
    let id = upload_upscaled("coffee.png", (4096, 3050), OutputFormat::Png).await;
    served_within_budget(&id, "width=3000,format=png", "image/png", (3000, 2234)).await;
}

#[tokio::test]
async fn exif_orientation_is_applied() {
    let rotated = edgepix_e2e::with_exif_orientation(&photo("rocket.jpg"), 6); // stored 640x427
    let (status, body) = upload(&token_a(), rotated, "image/jpeg").await;
    assert!(status == 201 || status == 200, "{status} {body}");
    assert_eq!((body["width"].as_u64(), body["height"].as_u64(), body["orientation"].as_u64()), (Some(427), Some(640), Some(6)));
    let id = body["id"].as_str().unwrap();
    let (_, _, dims) = fetch_dims("width=100,format=jpeg", id).await;
    assert_eq!(dims, (100, 150), "displayed upright: portrait");
}

/// The mean absolute difference of two same-sized images' RGB bytes.
fn mean_abs_diff(a: &RgbaImage, b: &RgbaImage) -> f64 {
    assert_eq!((a.width(), a.height()), (b.width(), b.height()));
    let sum: u64 = a.data().chunks_exact(4).zip(b.data().chunks_exact(4)).map(|(p, q)| (0..3).map(|i| u64::from(p[i].abs_diff(q[i]))).sum::<u64>()).sum();
    sum as f64 / (f64::from(a.width()) * f64::from(a.height()) * 3.0)
}

#[tokio::test]
async fn png_and_webp_exif_orientation_is_applied() {
    // rocket.jpg (640x427) re-encoded, then given orientation 8 (turned a
    // quarter counter-clockwise to display): a PNG `eXIf` chunk, a WebP
    // `EXIF` chunk in the extended format.
    let jpeg = photo("rocket.jpg");
    let p = codec::probe(&jpeg, &Limits::default()).unwrap();
    let pixels = codec::decode(&jpeg, &p, None, &Limits::default()).unwrap();
    let png = codec::encode(&pixels, OutputFormat::Png, 90, [0; 3]).unwrap().bytes;
    let webp = codec::encode(&pixels, OutputFormat::Webp, 90, [0; 3]).unwrap().bytes;
    for (body, ct) in [
        (edgepix_e2e::png_with_exif_orientation(&png, 8), "image/png"),
        (edgepix_e2e::webp_with_exif_orientation(&webp, 640, 427, 8), "image/webp"),
    ] {
        let (status, rec) = upload(&token_a(), body, ct).await;
        assert!(status == 201 || status == 200, "{ct}: {status} {rec}");
        assert_eq!((rec["width"].as_u64(), rec["height"].as_u64(), rec["orientation"].as_u64()), (Some(427), Some(640), Some(8)), "{ct}");
        let id = rec["id"].as_str().unwrap();
        let resp = img("width=100,format=png", id, None).await;
        assert_eq!(resp.status(), 200, "{ct}");
        let out = resp.bytes().await.unwrap();
        let p = codec::probe(&out, &Limits::default()).unwrap();
        let shown = codec::decode(&out, &p, None, &Limits::default()).unwrap();
        assert_eq!((shown.width(), shown.height()), (100, 150), "{ct}: displayed upright, portrait");
        // Orientation 8 shows the stored top row as the left column: the
        // sky at the photo's top is on the left.
        let upright = resample::resize(pixels.clone(), Rect { x: 0, y: 0, w: 640, h: 427 }, (150, 100));
        let turned = |tag| edgepix_core::transform::orient::Orientation::from_exif(tag).apply(upright.clone());
        let (right, wrong) = (mean_abs_diff(&shown, &turned(8)), mean_abs_diff(&shown, &turned(6)));
        assert!(right < 4.0 && wrong > 4.0 * right, "{ct}: mean difference {right:.2} from orientation 8, {wrong:.2} from 6");
    }
}

#[tokio::test]
async fn every_option_is_applied() {
    let id = uploaded("coffee.png").await; // 600x400
    let base_opts = "width=120,format=png";
    let baseline = img(base_opts, &id, None).await.bytes().await.unwrap();
    let decode = |bytes: &[u8]| {
        let p = codec::probe(bytes, &Limits::default()).unwrap();
        codec::decode(bytes, &p, None, &Limits::default()).unwrap()
    };
    let base_img = decode(&baseline);
    assert_eq!((base_img.width(), base_img.height()), (120, 80));
    // Each option changes the pixels (or the size) of the same derivative.
    for extra in [
        "blur=3", "sharpen=5", "brightness=1.5", "contrast=0.5", "gamma=2", "saturation=0", "flip=h", "flip=v", "flip=hv",
        "rotate=180", "pixelate=8", "blur-region=0;0;300;200;20", "pixelate-region=300;200;300;200;30", "trim=20;20;20;20",
        "gravity=0x0,height=40,fit=cover", "gravity=right,height=40,fit=cover", "fit=pad,height=120,background=%23ff0000",
    ] {
        let resp = img(&format!("{base_opts},{extra}"), &id, None).await;
        assert_eq!(resp.status(), 200, "{extra}");
        let out = decode(&resp.bytes().await.unwrap());
        assert!(out != base_img, "{extra} changed nothing");
    }
    // Options that change the encoding, not the pixels.
    let q10 = img("width=120,format=jpeg,quality=10", &id, None).await.bytes().await.unwrap();
    let q95 = img("width=120,format=jpeg,quality=95", &id, None).await.bytes().await.unwrap();
    assert!(q10.len() < q95.len(), "quality: {} vs {}", q10.len(), q95.len());
    for accepted in ["metadata=none", "metadata=keep", "anim=false", "onerror=redirect", "dpr=1.5", "gravity=face"] {
        assert_eq!(img(&format!("{base_opts},{accepted}"), &id, None).await.status(), 200, "{accepted}");
    }
    // A policy needs an analysis of the asset first.
    let resp = img(&format!("{base_opts},policy=default"), &id, None).await;
    assert_eq!(resp.status(), 409);
    assert!(resp.text().await.unwrap().contains("analysis_required"));
    // The pad background really is the colour asked for.
    let padded = decode(&img("width=120,height=120,fit=pad,background=%23ff0000,format=png", &id, None).await.bytes().await.unwrap());
    assert_eq!(&padded.data()[..4], &[255, 0, 0, 255]);
}
