//! Parity with the reference implementations, over HTTP against the
//! running pool: NudeNet 3.4.2's own `NudeDetector.detect` and @imgly's
//! ISNet preprocessing on ONNX Runtime, whose outputs `cargo xtask parity`
//! (or `cargo xtask test`) writes to `EDGEPIX_PARITY_DIR` from a Python
//! virtual environment (`xtask/parity/reference.py`).
//!
//! Each test also writes its table (`*.md`) next to the reference outputs.

use std::fmt::Write as _;
use std::path::PathBuf;

use edgepix_core::codec::{Limits, decode, probe};
use edgepix_core::detect::RectF;
use edgepix_core::segment::mask_iou;
use edgepix_e2e::{client, photo, pool, pool_post, pool_secret};
use serde_json::Value;

fn dir() -> PathBuf {
    match std::env::var("EDGEPIX_PARITY_DIR") {
        Ok(d) if !d.is_empty() => PathBuf::from(d),
        _ => panic!("EDGEPIX_PARITY_DIR is not set: run through `cargo xtask parity` or `cargo xtask test`"),
    }
}

fn read(name: &str) -> Vec<u8> {
    let path = dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (did the reference step run?)", path.display()))
}

fn rect(d: &Value) -> RectF {
    let b: Vec<f32> = d["box"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect();
    RectF { x: b[0], y: b[1], w: b[2], h: b[3] }
}

/// IoU of plain boxes (not OpenCV's NMS variant).
fn box_iou(a: &RectF, b: &RectF) -> f32 {
    let w = (a.x + a.w).min(b.x + b.w) - a.x.max(b.x);
    let h = (a.y + a.h).min(b.y + b.h) - a.y.max(b.y);
    let inter = w.max(0.0) * h.max(0.0);
    let union = a.w * a.h + b.w * b.h - inter;
    if union <= 0.0 { 1.0 } else { inter / union }
}

#[tokio::test]
async fn detections_match_nudenet_on_every_backend() {
    let reference: Value = serde_json::from_slice(&read("nudenet.json")).unwrap();
    // Every backend the pool runs, as it names them (`onnxruntime-cuda` on
    // a GPU); ONNX Runtime and tract must both be there.
    let health: Value = client().get(format!("{}/healthz", pool())).send().await.unwrap().json().await.unwrap();
    let backends: Vec<String> = health["backends"].as_array().unwrap().iter().map(|b| b.as_str().unwrap().to_owned()).collect();
    assert!(backends.iter().any(|b| b.starts_with("onnxruntime")) && backends.iter().any(|b| b == "tract"), "the pool runs {backends:?}");
    let mut table = String::from("| photo | backend | NudeNet | ours | matched | min IoU | max score diff |\n|---|---|---|---|---|---|---|\n");
    let mut failures = Vec::new();
    for (name, expected) in reference.as_object().unwrap() {
        let expected = expected.as_array().unwrap();
        for backend in &backends {
            let input = read(&format!("inputs/{name}"));
            let resp = pool_post(&pool(), &format!("/v1/detect?backend={backend}"), input, &pool_secret(), 0).await;
            assert_eq!(resp.status(), 200, "{name} on {backend}");
            let ours: Value = resp.json().await.unwrap();
            let ours = ours["detections"].as_array().unwrap().clone();
            let mut unmatched: Vec<&Value> = ours.iter().collect();
            let (mut matched, mut min_iou, mut max_diff) = (0, 1.0f32, 0.0f64);
            for e in expected {
                let best = unmatched
                    .iter()
                    .enumerate()
                    .filter(|(_, o)| o["class"] == e["class"])
                    .map(|(i, o)| (i, box_iou(&rect(e), &rect(o))))
                    .max_by(|a, b| a.1.total_cmp(&b.1));
                match best {
                    Some((i, iou)) => {
                        let o = unmatched.remove(i);
                        let diff = (o["score"].as_f64().unwrap() - e["score"].as_f64().unwrap()).abs();
                        min_iou = min_iou.min(iou);
                        max_diff = max_diff.max(diff);
                        matched += 1;
                        if iou < 0.9 || diff > 0.02 {
                            failures.push(format!("{name} {backend}: {e} vs {o}: IoU {iou:.3}, score diff {diff:.4}"));
                        }
                    }
                    None => failures.push(format!("{name} {backend}: missing {e}")),
                }
            }
            for extra in unmatched {
                failures.push(format!("{name} {backend}: extra {extra}"));
            }
            let _ = writeln!(table, "| {name} | {backend} | {} | {} | {matched} | {min_iou:.3} | {max_diff:.4} |", expected.len(), ours.len());
        }
    }
    std::fs::write(dir().join("detect-table.md"), &table).unwrap();
    eprintln!("{table}");
    assert!(failures.is_empty(), "differences from NudeNet:\n{}", failures.join("\n"));
}

#[tokio::test]
async fn masks_match_imgly_isnet_on_onnxruntime() {
    let sizes: Value = serde_json::from_slice(&read("masks.json")).unwrap();
    let mut table = String::from("| photo | size | mask IoU (>= 128) | mean abs diff |\n|---|---|---|---|\n");
    let mut failures = Vec::new();
    for (name, size) in sizes.as_object().unwrap() {
        let (w, h) = (size[0].as_u64().unwrap() as u32, size[1].as_u64().unwrap() as u32);
        let expected = read(&format!("{name}.mask"));
        let resp = pool_post(&pool(), "/v1/segment?output=mask", photo(name), &pool_secret(), 0).await;
        assert_eq!(resp.status(), 200, "{name}");
        let png = resp.bytes().await.unwrap();
        let p = probe(&png, &Limits::default()).unwrap();
        assert_eq!((p.width, p.height), (w, h), "{name}");
        let ours: Vec<u8> = decode(&png, &p, None, &Limits::default()).unwrap().data().chunks_exact(4).map(|px| px[0]).collect();
        let iou = mask_iou(&ours, &expected);
        let mad = ours.iter().zip(&expected).map(|(a, b)| f64::from(a.abs_diff(*b))).sum::<f64>() / ours.len() as f64;
        let _ = writeln!(table, "| {name} | {w}x{h} | {iou:.4} | {mad:.2} |");
        if iou < 0.95 {
            failures.push(format!("{name}: mask IoU {iou:.4} < 0.95"));
        }
    }
    std::fs::write(dir().join("segment-table.md"), &table).unwrap();
    eprintln!("{table}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
