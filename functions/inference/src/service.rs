//! The pool's routes, as a function from request to response.
//!
//! | route | what |
//! |---|---|
//! | `GET /healthz` | version, runtime, backends, each model's state |
//! | `GET /metrics` | Prometheus (OpenMetrics) text |
//! | `POST /v1/detect[?backend=]` | image body -> NudeNet detections (JSON) |
//! | `POST /v1/segment[?output=mask\|cutout][&backend=]` | image body -> PNG |
//!
//! The two `POST` routes need the Worker's signature (`x-edgepix-signature`,
//! see `edgepix_core::signing`) and go through the bounded queue.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use edgepix_core::api::PoolHealth;
use edgepix_core::codec::{self, Limits};
use edgepix_core::pixel::RgbaImage;
use edgepix_core::signing::SIGNATURE_HEADER;
use edgepix_core::timing::ServerTiming;
use edgepix_core::transform::orient::Orientation;
use http::{Method, Request, Response, StatusCode, header};

use crate::auth::Verifier;
use crate::error::PoolError;
use crate::gate::Gate;
use crate::metrics::{self, Metrics};
use crate::models::{ModelKind, Models, Slot};
use crate::{detect, segment};

/// Which host runs the service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    /// The native server binary.
    Native,
    /// The Spin (WASI HTTP) component.
    Spin,
}

impl Runtime {
    fn as_str(self) -> &'static str {
        match self {
            Runtime::Native => "native",
            Runtime::Spin => "spin",
        }
    }
}

/// How the service admits and bounds work.
#[derive(Clone, Debug)]
pub struct Config {
    /// The secret shared with the Worker; empty refuses every signed route.
    pub secret: Vec<u8>,
    /// Inference requests running at once (the pool's cores by default).
    pub concurrency: usize,
    /// Inference requests waiting for a slot before 503.
    pub queue: usize,
    /// How long a request may wait in the queue before 503.
    pub queue_wait: Duration,
    /// Limits on the image, checked from its header before decoding.
    pub limits: Limits,
}

impl Config {
    /// The defaults for `secret`: as many slots as cores, a queue of four
    /// per slot, 10 s of waiting, 25 MB and 100 MP images decoded into at
    /// most 256 MiB.
    pub fn new(secret: Vec<u8>) -> Config {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Config {
            secret,
            concurrency: cores,
            queue: 4 * cores,
            queue_wait: Duration::from_secs(10),
            limits: Limits { decode_budget: 256 * 1024 * 1024, output_budget: 256 * 1024 * 1024, ..Limits::default() },
        }
    }
}

/// The pool's request handlers over its loaded models.
#[derive(Debug)]
pub struct Service {
    models: Models,
    runtime: Runtime,
    verifier: Verifier,
    gate: Gate,
    metrics: Metrics,
    limits: Limits,
}

impl Service {
    /// A service over `models`, hosted by `runtime`.
    pub fn new(models: Models, runtime: Runtime, config: Config) -> Service {
        let metrics = Metrics::new(&models);
        Service {
            models,
            runtime,
            verifier: Verifier::new(config.secret),
            gate: Gate::new(config.concurrency, config.queue, config.queue_wait),
            metrics,
            limits: config.limits,
        }
    }

    /// Answers one request.
    pub fn handle(&self, req: &Request<Vec<u8>>) -> Response<Vec<u8>> {
        let started = Instant::now();
        let route = route_label(req.uri().path());
        let resp = self.route(req).unwrap_or_else(PoolError::into_response);
        self.metrics.request(route, resp.status().as_u16(), started.elapsed().as_secs_f64());
        resp
    }

    fn route(&self, req: &Request<Vec<u8>>) -> Result<Response<Vec<u8>>, PoolError> {
        let path = req.uri().path();
        let wrong_method = || PoolError::MethodNotAllowed { method: req.method().to_string(), path: path.to_owned() };
        match (path, req.method()) {
            ("/healthz", &Method::GET) => Ok(json(StatusCode::OK, &self.health())),
            ("/metrics", &Method::GET) => {
                let (running, waiting) = self.gate.depth();
                self.metrics.queue(running, waiting);
                Ok(respond(StatusCode::OK, metrics::CONTENT_TYPE, self.metrics.render().into_bytes()))
            }
            ("/v1/detect", &Method::POST) => self.detect(req),
            ("/v1/segment", &Method::POST) => self.segment(req),
            ("/healthz" | "/metrics" | "/v1/detect" | "/v1/segment", _) => Err(wrong_method()),
            _ => Err(PoolError::NotFound { method: req.method().to_string(), path: path.to_owned() }),
        }
    }

    fn detect(&self, req: &Request<Vec<u8>>) -> Result<Response<Vec<u8>>, PoolError> {
        self.authenticate(req)?;
        let query = Query::parse(req.uri().query(), &["backend"])?;
        let slot = self.slot(ModelKind::Detector, query.get("backend"))?;
        let work = self.admit(req.body())?;
        let _permit = self.gate.enter().map_err(|b| PoolError::Overloaded { retry_after_secs: b.retry_after_secs })?;
        let (img, decode_ms) = work.decode()?;
        let result = detect::run(slot, &img, decode_ms, |secs| self.metrics.inference(slot.kind().as_str(), slot.backend(), secs))?;
        let mut timing = ServerTiming::new();
        timing.add("decode", result.timing.decode_ms, None).add("inference", result.timing.inference_ms, None);
        let mut resp = json(StatusCode::OK, &result);
        insert(&mut resp, "server-timing", &timing.header_value());
        Ok(resp)
    }

    fn segment(&self, req: &Request<Vec<u8>>) -> Result<Response<Vec<u8>>, PoolError> {
        self.authenticate(req)?;
        let query = Query::parse(req.uri().query(), &["backend", "output"])?;
        let output = query.get("output").map(str::parse::<segment::Output>).transpose()?.unwrap_or_default();
        let slot = self.slot(ModelKind::Segmenter, query.get("backend"))?;
        let work = self.admit(req.body())?;
        let _permit = self.gate.enter().map_err(|b| PoolError::Overloaded { retry_after_secs: b.retry_after_secs })?;
        let (img, decode_ms) = work.decode()?;
        let (w, h) = (img.width(), img.height());
        let mut inference_ms = 0.0;
        let png = segment::run(slot, img, output, |secs| {
            inference_ms = secs * 1000.0;
            self.metrics.inference(slot.kind().as_str(), slot.backend(), secs);
        })?;
        let mut resp = respond(StatusCode::OK, "image/png", png);
        let mut timing = ServerTiming::new();
        timing.add("decode", decode_ms, None).add("inference", inference_ms, None);
        insert(&mut resp, "server-timing", &timing.header_value());
        insert(&mut resp, "x-edgepix-backend", slot.backend());
        insert(&mut resp, "x-edgepix-size", &format!("{w}x{h}"));
        Ok(resp)
    }

    fn authenticate(&self, req: &Request<Vec<u8>>) -> Result<(), PoolError> {
        let header = req.headers().get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
        let target = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        self.verifier.accept(header, req.method().as_str(), target, req.body(), now).map_err(PoolError::Unauthorized)
    }

    fn slot(&self, kind: ModelKind, backend: Option<&str>) -> Result<&Slot, PoolError> {
        match self.models.slot(kind, backend) {
            Some(slot) => Ok(slot),
            None => match backend {
                Some(b) => Err(PoolError::InvalidRequest(format!("backend={b:?} is not one of: {}", self.models.backends().join(", ")))),
                None => Err(PoolError::ModelUnavailable { model: kind.as_str(), backend: "any".to_owned(), reason: "no backend is configured".to_owned() }),
            },
        }
        .and_then(|slot| slot.session().map(|_| slot))
    }

    /// Checks the image's header against the limits before it queues.
    fn admit<'a>(&'a self, body: &'a [u8]) -> Result<Admitted<'a>, PoolError> {
        let probe = codec::probe(body, &self.limits)?;
        Ok(Admitted { body, probe, limits: &self.limits })
    }

    /// What `GET /healthz` answers.
    pub fn health(&self) -> PoolHealth {
        PoolHealth {
            status: "ok".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            runtime: self.runtime.as_str().to_owned(),
            backends: self.models.backends().iter().map(|b| (*b).to_owned()).collect(),
            models: self.models.status(),
        }
    }
}

/// An image whose header passed the limits.
struct Admitted<'a> {
    body: &'a [u8],
    probe: codec::Probe,
    limits: &'a Limits,
}

impl Admitted<'_> {
    /// Decodes at full size and applies EXIF orientation, so that boxes
    /// and masks are in the pixels a viewer sees.
    fn decode(&self) -> Result<(RgbaImage, f64), PoolError> {
        let started = Instant::now();
        let img = codec::decode(self.body, &self.probe, None, self.limits)?;
        let img = Orientation::from_exif(self.probe.orientation).apply(img);
        Ok((img, started.elapsed().as_secs_f64() * 1000.0))
    }
}

/// A query string with only known keys, each at most once.
struct Query<'a>(Vec<(&'a str, &'a str)>);

impl<'a> Query<'a> {
    fn parse(query: Option<&'a str>, known: &[&str]) -> Result<Query<'a>, PoolError> {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        for pair in query.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            if !known.contains(&k) {
                return Err(PoolError::InvalidRequest(format!("unknown query parameter {k:?}; this route takes: {}", known.join(", "))));
            }
            if pairs.iter().any(|(seen, _)| *seen == k) {
                return Err(PoolError::InvalidRequest(format!("query parameter {k:?} is given twice")));
            }
            pairs.push((k, v));
        }
        Ok(Query(pairs))
    }

    fn get(&self, key: &str) -> Option<&'a str> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

/// A fixed label for metrics: never the raw path, whose values are unbounded.
fn route_label(path: &str) -> &'static str {
    match path {
        "/healthz" => "/healthz",
        "/metrics" => "/metrics",
        "/v1/detect" => "/v1/detect",
        "/v1/segment" => "/v1/segment",
        _ => "other",
    }
}

fn respond(status: StatusCode, content_type: &str, body: Vec<u8>) -> Response<Vec<u8>> {
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    insert(&mut resp, header::CONTENT_TYPE.as_str(), content_type);
    resp
}

fn insert(resp: &mut Response<Vec<u8>>, name: &'static str, value: &str) {
    if let Ok(v) = header::HeaderValue::from_str(value) {
        resp.headers_mut().insert(name, v);
    }
}

fn json<T: serde::Serialize>(status: StatusCode, value: &T) -> Response<Vec<u8>> {
    // Our response types serialise without failure.
    respond(status, "application/json", serde_json::to_vec(value).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use edgepix_core::signing;

    use super::*;
    use crate::auth::AuthError;
    use crate::auth::tests::nonce;
    use crate::backend::Tract;
    use crate::models::ModelPaths;

    const SECRET: &[u8] = b"test-secret";

    fn service() -> Service {
        let models = Models::load(&ModelPaths::in_dir(Path::new("/nonexistent")), &[Arc::new(Tract)]);
        Service::new(models, Runtime::Native, Config::new(SECRET.to_vec()))
    }

    fn call(s: &Service, method: Method, target: &str, body: &[u8], signed: bool) -> (StatusCode, serde_json::Value) {
        let mut req = Request::builder().method(method.clone()).uri(target);
        if signed {
            let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
            req = req.header(SIGNATURE_HEADER, signing::sign(SECRET, method.as_str(), target, body, now, nonce()).header_value());
        }
        let resp = s.handle(&req.body(body.to_vec()).unwrap());
        (resp.status(), serde_json::from_slice(resp.body()).unwrap_or_default())
    }

    #[test]
    fn health_reports_runtime_and_models() {
        let (status, body) = call(&service(), Method::GET, "/healthz", b"", false);
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["runtime"], "native");
        assert_eq!(body["backends"][0], "tract");
        assert_eq!(body["models"][0]["name"], "detector");
    }

    #[test]
    fn unknown_routes_and_methods_answer_json_errors() {
        let s = service();
        let (status, body) = call(&s, Method::GET, "/nope", b"", false);
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
        let (status, body) = call(&s, Method::POST, "/healthz", b"", false);
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed")));
        let (status, _) = call(&s, Method::GET, "/v1/detect", b"", false);
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    }

    #[test]
    fn inference_routes_need_a_signature_and_refuse_replays() {
        let s = service();
        let (status, body) = call(&s, Method::POST, "/v1/detect", b"x", false);
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
        // Signed, it gets past authentication to the missing model.
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let header = signing::sign(SECRET, "POST", "/v1/detect", b"x", now, nonce()).header_value();
        let req = || Request::builder().method("POST").uri("/v1/detect").header(SIGNATURE_HEADER, &header).body(b"x".to_vec()).unwrap();
        let first = s.handle(&req());
        assert_eq!(first.status(), StatusCode::SERVICE_UNAVAILABLE, "{:?}", String::from_utf8_lossy(first.body()));
        let again = s.handle(&req());
        assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
        assert!(String::from_utf8_lossy(again.body()).contains("replay"));
    }

    #[test]
    fn an_empty_secret_refuses_everything() {
        let models = Models::load(&ModelPaths::in_dir(Path::new("/nonexistent")), &[Arc::new(Tract)]);
        let s = Service::new(models, Runtime::Spin, Config::new(Vec::new()));
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let header = signing::sign(b"", "POST", "/v1/detect", b"x", now, nonce()).header_value();
        let req = Request::builder().method("POST").uri("/v1/detect").header(SIGNATURE_HEADER, header).body(b"x".to_vec()).unwrap();
        assert_eq!(s.handle(&req).status(), StatusCode::UNAUTHORIZED);
        assert!(matches!(s.verifier.accept(None, "POST", "/", b"", now), Err(AuthError::NoSecret)));
    }

    #[test]
    fn bad_queries_are_named() {
        let s = service();
        let (status, body) = call(&s, Method::POST, "/v1/segment?output=gif", b"x", true);
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body["error"]["message"].as_str().unwrap().contains("mask, cutout"));
        let (status, body) = call(&s, Method::POST, "/v1/detect?backend=gpu", b"x", true);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("tract"));
        let (status, _) = call(&s, Method::POST, "/v1/detect?colour=1", b"x", true);
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn metrics_count_requests_by_route() {
        let s = service();
        call(&s, Method::GET, "/healthz", b"", false);
        call(&s, Method::GET, "/nope/123", b"", false);
        let resp = s.handle(&Request::builder().uri("/metrics").body(Vec::new()).unwrap());
        let text = String::from_utf8(resp.body().clone()).unwrap();
        assert!(text.contains(r#"edgepix_pool_requests_total{route="/healthz",status="200"} 1"#), "{text}");
        assert!(text.contains(r#"route="other",status="404""#), "{text}");
        assert!(text.contains("edgepix_pool_queue_waiting 0"), "{text}");
        assert!(text.ends_with("# EOF\n"));
    }
}
