//! The pool's routes, as a function from request to response.

use edgepix_core::api::PoolHealth;
use http::{Method, Request, Response, StatusCode, header};

use crate::error::PoolError;
use crate::models::Models;

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

/// The pool's request handlers over its loaded models.
#[derive(Debug)]
pub struct Service {
    models: Models,
    runtime: Runtime,
}

impl Service {
    /// A service over `models`, hosted by `runtime`.
    pub fn new(models: Models, runtime: Runtime) -> Service {
        Service { models, runtime }
    }

    /// Answers one request.
    pub fn handle(&self, req: &Request<Vec<u8>>) -> Response<Vec<u8>> {
        self.route(req).unwrap_or_else(PoolError::into_response)
    }

    fn route(&self, req: &Request<Vec<u8>>) -> Result<Response<Vec<u8>>, PoolError> {
        let path = req.uri().path();
        match (req.method(), path) {
            (&Method::GET, "/healthz") => Ok(json(StatusCode::OK, &self.health())),
            (_, "/healthz") => Err(PoolError::MethodNotAllowed { method: req.method().to_string(), path: path.to_owned() }),
            _ => Err(PoolError::NotFound { method: req.method().to_string(), path: path.to_owned() }),
        }
    }

    /// What `GET /healthz` answers.
    pub fn health(&self) -> PoolHealth {
        PoolHealth {
            status: "ok".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            runtime: self.runtime.as_str().to_owned(),
            backends: vec!["tract".to_owned()],
            models: self.models.status(),
        }
    }
}

fn json<T: serde::Serialize>(status: StatusCode, value: &T) -> Response<Vec<u8>> {
    let body = serde_json::to_vec(value).unwrap_or_default();
    Response::builder().status(status).header(header::CONTENT_TYPE, "application/json").body(body).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::ModelPaths;

    fn service() -> Service {
        Service::new(Models::load(&ModelPaths::in_dir(std::path::Path::new("/nonexistent"))), Runtime::Native)
    }

    fn call(method: Method, path: &str) -> (StatusCode, serde_json::Value) {
        let req = Request::builder().method(method).uri(path).body(Vec::new()).unwrap();
        let resp = service().handle(&req);
        (resp.status(), serde_json::from_slice(resp.body()).unwrap())
    }

    #[test]
    fn health_reports_runtime_and_models() {
        let (status, body) = call(Method::GET, "/healthz");
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["runtime"], "native");
        assert_eq!(body["models"][0]["name"], "detector");
    }

    #[test]
    fn unknown_routes_and_methods_answer_json_errors() {
        let (status, body) = call(Method::GET, "/nope");
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["error"]["code"], "not_found");
        let (status, body) = call(Method::POST, "/healthz");
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(body["error"]["code"], "method_not_allowed");
    }
}
