//! The function pool, native and as a Spin component under wasmtime, over HTTP.

use edgepix_e2e::{client, pool, spin};
use serde_json::Value;

async fn health(base: &str) -> Value {
    let resp = client().get(format!("{base}/healthz")).send().await.expect("pool answers");
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

fn assert_detector_loaded(h: &Value) {
    let detector = h["models"].as_array().unwrap().iter().find(|m| m["name"] == "detector").expect("detector listed");
    assert_eq!(detector["loaded"], true, "{h}");
    assert!(detector["load_ms"].as_f64().is_some_and(|ms| ms > 0.0));
}

#[tokio::test]
async fn native_pool_is_healthy_with_the_detector_loaded() {
    let h = health(&pool()).await;
    assert_eq!(h["status"], "ok");
    assert_eq!(h["runtime"], "native");
    assert_detector_loaded(&h);
}

#[tokio::test]
async fn spin_component_serves_the_same_handlers() {
    let Some(base) = spin() else { panic!("EDGEPIX_SPIN_URL is not set: cargo xtask test starts the component") };
    let h = health(&base).await;
    assert_eq!(h["runtime"], "spin");
    assert_eq!(h["version"], health(&pool()).await["version"]);
    assert_detector_loaded(&h);
}

#[tokio::test]
async fn both_runtimes_answer_unknown_routes_with_the_error_shape() {
    let mut bases = vec![pool()];
    bases.extend(spin());
    for base in bases {
        let resp = client().get(format!("{base}/v0/nothing")).send().await.unwrap();
        assert_eq!(resp.status(), 404, "{base}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{base}: {body}");
        let resp = client().delete(format!("{base}/healthz")).send().await.unwrap();
        assert_eq!(resp.status(), 405, "{base}");
    }
}
