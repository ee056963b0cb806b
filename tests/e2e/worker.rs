//! The Worker under wrangler dev, over HTTP.

use edgepix_e2e::{client, worker};
use serde_json::Value;

async fn get(path: &str) -> reqwest::Response {
    client().get(format!("{}{path}", worker())).send().await.expect("worker answers")
}

fn assert_json_error(status: u16, body: &Value, code: &str) {
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    assert_eq!(body["error"]["code"], code, "status {status}: {body}");
    assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{body}");
}

#[tokio::test]
async fn health_shows_worker_pool_and_every_binding_up() {
    let resp = get("/healthz").await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("server-timing").is_some_and(|v| v.to_str().unwrap().contains("total;dur=")));
    let h: Value = resp.json().await.unwrap();
    assert_eq!(h["status"], "ok", "{h}");
    assert_eq!(h["worker"]["engine"], edgepix_core::ENGINE_VERSION);
    assert_eq!(h["pool"]["up"], true, "{h}");
    assert_eq!(h["pool"]["runtime"], "native");
    assert!(h["pool"]["version"].as_str().is_some_and(|v| !v.is_empty()));
    let bindings = h["bindings"].as_array().unwrap();
    let kinds: Vec<&str> = bindings.iter().map(|b| b["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["d1", "r2", "kv", "durable_object", "queue"]);
    for b in bindings {
        assert_eq!(b["ok"], true, "{b}");
    }
    let d1 = bindings.iter().find(|b| b["kind"] == "d1").unwrap();
    let mut migrations: Vec<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    migrations.sort();
    let latest = migrations.last().unwrap();
    assert_eq!(d1["detail"].as_str().unwrap(), format!("latest migration {latest}"), "every migration applied");
}

/// The number after `word` in `text`.
fn number_after(text: &str, word: &str) -> Option<u64> {
    text.split(word).nth(1)?.split(|c: char| !c.is_ascii_digit()).find(|s| !s.is_empty())?.parse().ok()
}

#[tokio::test]
async fn the_jobs_queue_delivers_a_probe_to_its_consumer() {
    let queue_detail = |h: &Value| h["bindings"].as_array().unwrap().iter().find(|b| b["kind"] == "queue").unwrap()["detail"].as_str().unwrap().to_owned();
    let first: Value = get("/healthz").await.json().await.unwrap();
    let sent = number_after(&queue_detail(&first), "sent probe ").expect("a probe was sent");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let h: Value = get("/healthz").await.json().await.unwrap();
        let detail = queue_detail(&h);
        if number_after(&detail, "last delivered probe ").is_some_and(|d| d >= sent) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "probe {sent} not delivered: {detail}");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_the_error_shape() {
    let resp = get("/no/such/route").await;
    assert_eq!(resp.status(), 404);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    assert!(resp.headers().get("server-timing").is_some());
    assert_json_error(404, &resp.json().await.unwrap(), "not_found");

    let resp = client().post(format!("{}/healthz", worker())).send().await.unwrap();
    assert_eq!(resp.status(), 405);
    assert_json_error(405, &resp.json().await.unwrap(), "method_not_allowed");

    let resp = client().delete(format!("{}/api/v1/openapi.json", worker())).send().await.unwrap();
    assert_eq!(resp.status(), 405);
}

#[tokio::test]
async fn openapi_is_3_1_and_every_documented_route_is_served() {
    let resp = get("/api/v1/openapi.json").await;
    assert_eq!(resp.status(), 200);
    let doc: Value = resp.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let codes: Vec<&str> = doc["components"]["schemas"]["ErrorCode"]["enum"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    for code in edgepix_core::error::ErrorCode::ALL {
        assert!(codes.contains(&code.as_str()), "ErrorCode schema lacks {code}");
    }
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{method} {path} has no summary");
            if method != "get" || path.contains('{') {
                continue;
            }
            let resp = get(path).await;
            let status = resp.status().as_u16();
            let documented: Vec<u16> = op["responses"].as_object().unwrap().keys().filter_map(|k| k.parse().ok()).collect();
            assert!(documented.contains(&status), "GET {path} answered {status}, documented {documented:?}");
        }
    }
}

#[tokio::test]
async fn landing_page_is_html_about_the_product() {
    let resp = get("/").await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = resp.text().await.unwrap();
    for line in ["Protected viewing", "Safe-blur", "Pet pixel games", "Performers", "Community feed", "/api/v1/openapi.json"] {
        assert!(html.contains(line), "landing page lacks {line:?}");
    }
}

#[tokio::test]
async fn wasm_memory_is_reported_and_within_budget() {
    // Exercise a few routes first: the peak only grows.
    for path in ["/healthz", "/", "/api/v1/openapi.json"] {
        get(path).await;
    }
    let resp = get("/__dev/memory").await;
    assert_eq!(resp.status(), 200);
    let header: u64 = resp.headers()["x-edgepix-wasm-memory-peak"].to_str().unwrap().parse().unwrap();
    let m: Value = resp.json().await.unwrap();
    let peak = m["wasm_memory_peak_bytes"].as_u64().unwrap();
    let budget = m["budget_bytes"].as_u64().unwrap();
    assert_eq!(budget, 112 * 1024 * 1024);
    assert!(peak > 0 && peak % 65_536 == 0, "peak {peak} is whole wasm pages");
    assert!(peak <= budget, "wasm memory peak {peak} over budget {budget}");
    assert!(header >= peak.min(header) && header <= budget);
}

#[tokio::test]
async fn the_browser_module_is_served_beside_the_worker() {
    let resp = get("/pkg/edgepix_client_bg.wasm").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/wasm");
    let bytes = resp.bytes().await.unwrap();
    assert_eq!(&bytes[..4], b"\0asm");
    let js = get("/pkg/edgepix_client.js").await;
    assert_eq!(js.status(), 200);
    assert!(js.text().await.unwrap().contains("pixelateCanvas"));
}
