//! Uploading, reading, listing and deleting assets through the Worker.

use edgepix_e2e::{client, photo, sha256_hex, token_a, token_b, upload, worker};
use serde_json::Value;

fn assert_error(body: &Value, code: &str) {
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
}

async fn get_asset(token: &str, id: &str) -> (u16, Value) {
    let resp = client().get(format!("{}/api/v1/assets/{id}", worker())).bearer_auth(token).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn delete(token: &str, id: &str) -> u16 {
    client().delete(format!("{}/api/v1/assets/{id}", worker())).bearer_auth(token).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn uploads_need_a_valid_bearer_token() {
    let resp = client().post(format!("{}/api/v1/assets", worker())).body(photo("rocket.jpg")).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
    assert_error(&resp.json().await.unwrap(), "unauthorized");
    let (status, body) = upload("not-a-token", photo("rocket.jpg"), "image/jpeg").await;
    assert_eq!(status, 401);
    assert_error(&body, "unauthorized");
}

#[tokio::test]
async fn a_real_photo_is_stored_once_by_its_sha256() {
    let bytes = photo("chelsea.png");
    let id = sha256_hex(&bytes);
    // The content type lies: the format comes from the bytes.
    let (status, first) = upload(&token_a(), bytes.clone(), "image/jpeg").await;
    assert!(status == 201 || status == 200, "{status} {first}");
    assert_eq!(first["id"], id.as_str());
    assert_eq!((first["width"].as_u64(), first["height"].as_u64()), (Some(451), Some(300)));
    assert_eq!(first["format"], "png");
    assert_eq!(first["owner"], edgepix_e2e::account_id(&token_a()).await.as_str());
    assert_eq!(first["bytes"].as_u64(), Some(bytes.len() as u64));
    assert_eq!(first["urls"]["this"], format!("/api/v1/assets/{id}"));

    let (again, second) = upload(&token_a(), bytes, "application/octet-stream").await;
    assert_eq!(again, 200, "a re-upload is deduplicated");
    assert_eq!(second["created_at"], first["created_at"]);

    let (status, got) = get_asset(&token_a(), &id).await;
    assert_eq!(status, 200);
    assert_eq!(got["id"], id.as_str());
    let (status, body) = get_asset(&token_b(), &id).await;
    assert_eq!(status, 404, "another creator does not see it");
    assert_error(&body, "not_found");
}

#[tokio::test]
async fn multipart_uploads_work_too() {
    let bytes = photo("rocket.jpg");
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(bytes.clone()).file_name("rocket.png"));
    let resp = client().post(format!("{}/api/v1/assets", worker())).bearer_auth(token_b()).multipart(form).send().await.unwrap();
    assert!(resp.status() == 201 || resp.status() == 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["id"], sha256_hex(&bytes).as_str());
    assert_eq!(body["format"], "jpeg", "sniffed, not taken from the file name");
    assert_eq!((body["width"].as_u64(), body["height"].as_u64()), (Some(640), Some(427)));
}

#[tokio::test]
async fn lists_page_newest_first_without_repeats() {
    // A creator of its own so other tests do not interleave.
    let token = token_b();
    for name in ["astronaut.png", "coffee.png", "grace_hopper.jpg", "motorcycle_left.png"] {
        let (status, body) = upload(&token, photo(name), "image/*").await;
        assert!(status == 201 || status == 200, "{name}: {status} {body}");
    }
    let owner = edgepix_e2e::account_id(&token).await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{}/api/v1/assets?limit=2", worker());
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page: Value = client().get(url).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        for item in page["items"].as_array().unwrap() {
            assert_eq!(item["owner"], owner.as_str());
            seen.push((item["created_at"].as_u64().unwrap(), item["id"].as_str().unwrap().to_owned()));
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(seen.len() < 100, "paging does not end");
    }
    assert!(seen.len() >= 4);
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted, "newest first");
    sorted.dedup();
    assert_eq!(sorted.len(), seen.len(), "no repeats");

    for bad in ["limit=0", "limit=101", "cursor=junk", "colour=blue"] {
        let resp = client().get(format!("{}/api/v1/assets?{bad}", worker())).bearer_auth(&token).send().await.unwrap();
        assert_eq!(resp.status(), 400, "{bad}");
        assert_error(&resp.json().await.unwrap(), "invalid_request");
    }
}

#[tokio::test]
async fn delete_is_owner_only_and_idempotent() {
    let bytes = photo("hubble_deep_field.jpg");
    let id = sha256_hex(&bytes);
    let (status, _) = upload(&token_a(), bytes, "image/jpeg").await;
    assert!(status == 201 || status == 200);
    assert_eq!(delete(&token_b(), &id).await, 403, "not creator-b's");
    assert_eq!(get_asset(&token_a(), &id).await.0, 200, "still there");
    assert_eq!(delete(&token_a(), &id).await, 204);
    assert_eq!(get_asset(&token_a(), &id).await.0, 404);
    assert_eq!(delete(&token_a(), &id).await, 204, "idempotent");
    let objects: Value = client().get(format!("{}/__dev/objects?prefix=originals/{id}", worker())).send().await.unwrap().json().await.unwrap();
    assert_eq!(objects["keys"].as_array().unwrap().len(), 0, "the original is gone: {objects}");
}

#[tokio::test]
async fn a_failure_part_way_leaves_no_orphan_and_no_row() {
    // Bytes nobody has uploaded: a real photo with a unique trailer after
    // the JPEG end marker (decoders ignore it).
    let mut bytes = photo("grace_hopper.jpg");
    bytes.extend_from_slice(format!("orphan-test-{}", std::process::id()).as_bytes());
    let id = sha256_hex(&bytes);
    let resp = client()
        .post(format!("{}/api/v1/assets", worker()))
        .bearer_auth(token_a())
        .header("x-edgepix-fault", "after-r2-put")
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    assert_error(&resp.json().await.unwrap(), "unavailable");
    assert_eq!(get_asset(&token_a(), &id).await.0, 404, "no row");
    let objects: Value = client().get(format!("{}/__dev/objects?prefix=originals/{id}", worker())).send().await.unwrap().json().await.unwrap();
    assert_eq!(objects["keys"].as_array().unwrap().len(), 0, "no orphan: {objects}");
    let (status, _) = upload(&token_a(), bytes, "image/jpeg").await;
    assert_eq!(status, 201, "a retry succeeds");
}

#[tokio::test]
async fn bad_bodies_get_clear_errors() {
    let token = token_a();
    let (status, body) = upload(&token, Vec::new(), "image/png").await;
    assert_eq!(status, 400);
    assert_error(&body, "invalid_request");

    let (status, body) = upload(&token, b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(), "image/svg+xml").await;
    assert_eq!(status, 415);
    assert_error(&body, "unsupported_media_type");

    let mut truncated = photo("rocket.jpg");
    truncated.truncate(truncated.len() / 3);
    let (status, body) = upload(&token, truncated, "image/jpeg").await;
    assert_eq!(status, 422, "{body}");
    assert_error(&body, "corrupt_image");

    // A PNG header claiming 100000x100000 pixels: refused from the header.
    let mut bomb = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    bomb.extend(100_000u32.to_be_bytes());
    bomb.extend(100_000u32.to_be_bytes());
    bomb.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
    let (status, body) = upload(&token, bomb, "image/png").await;
    assert_eq!(status, 422);
    assert_error(&body, "image_too_large");

    let (status, body) = upload(&token, vec![0xFF; 26_000_000], "image/jpeg").await;
    assert_eq!(status, 413);
    assert_error(&body, "payload_too_large");
}
