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
