//! The Worker's client for the function pool: the only module that talks to it.
//!
//! Every request is signed (`edgepix_core::signing`) with the `POOL_SECRET`
//! secret and bounded by a timeout.

use std::time::Duration;

use edgepix_core::api::{DetectResponse, ErrorBody, PoolHealth};
use edgepix_core::signing;
use futures_util::future::{Either, select};
use thiserror::Error;
use worker::{AbortController, Date, Delay, Env, Fetch, Headers, Method, Request, RequestInit, Response};

use crate::bindings;

/// Why a pool call failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PoolError {
    /// The request could not be sent or the connection failed.
    #[error("the pool at {url} is unreachable: {reason}")]
    Unreachable {
        /// The URL called.
        url: String,
        /// What the runtime said.
        reason: String,
    },
    /// No answer within the timeout.
    #[error("the pool did not answer within {0} ms")]
    Timeout(u64),
    /// The pool answered with an unexpected status.
    #[error("the pool answered {0}")]
    Status(u16),
    /// The pool refused the request with a JSON error.
    #[error("the pool answered {status} {code}: {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The error code.
        code: String,
        /// Its message.
        message: String,
    },
    /// The pool's body was not what its API documents.
    #[error("the pool's answer is malformed: {0}")]
    Malformed(String),
}

impl PoolError {
    /// Whether trying again later may succeed (the pool is down, busy or
    /// slow), as opposed to a request it will always refuse.
    pub fn is_transient(&self) -> bool {
        match self {
            PoolError::Unreachable { .. } | PoolError::Timeout(_) | PoolError::Malformed(_) => true,
            PoolError::Status(s) | PoolError::Refused { status: s, .. } => *s >= 500 || *s == 429,
        }
    }
}

/// A configured pool client.
#[derive(Clone, Debug)]
pub struct PoolClient {
    base: String,
    secret: Vec<u8>,
}

impl PoolClient {
    /// The client for the pool configured in the environment (`POOL_URL`
    /// var, `POOL_SECRET` secret; an unset secret signs with an empty key,
    /// which a pool configured with a real secret refuses).
    pub fn from_env(env: &Env) -> PoolClient {
        let base = env.var(bindings::POOL_URL).map(|v| v.to_string()).unwrap_or_default();
        let secret = env.secret(bindings::POOL_SECRET).map(|s| s.to_string().into_bytes()).unwrap_or_default();
        PoolClient { base: base.trim_end_matches('/').to_owned(), secret }
    }

    /// The pool's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `GET /healthz`.
    pub async fn health(&self) -> Result<PoolHealth, PoolError> {
        let mut resp = self.send(Method::Get, "/healthz", None, 3_000).await?;
        if resp.status_code() != 200 {
            return Err(PoolError::Status(resp.status_code()));
        }
        resp.json::<PoolHealth>().await.map_err(|e| PoolError::Malformed(e.to_string()))
    }

    /// `POST /v1/detect`: NudeNet detections for an image.
    pub async fn detect(&self, image: Vec<u8>) -> Result<DetectResponse, PoolError> {
        let mut resp = self.send(Method::Post, "/v1/detect", Some(image), 30_000).await?;
        let status = resp.status_code();
        if status != 200 {
            let body = resp.json::<ErrorBody>().await.map_err(|_| PoolError::Status(status))?;
            return Err(PoolError::Refused { status, code: body.error.code, message: body.error.message });
        }
        resp.json::<DetectResponse>().await.map_err(|e| PoolError::Malformed(e.to_string()))
    }

    /// `POST /v1/segment?output=cutout`: the image with the background
    /// removed (its alpha the ISNet mask), as PNG.
    pub async fn cutout(&self, image: Vec<u8>) -> Result<Vec<u8>, PoolError> {
        let mut resp = self.send(Method::Post, "/v1/segment?output=cutout", Some(image), 60_000).await?;
        let status = resp.status_code();
        if status != 200 {
            let body = resp.json::<ErrorBody>().await.map_err(|_| PoolError::Status(status))?;
            return Err(PoolError::Refused { status, code: body.error.code, message: body.error.message });
        }
        resp.bytes().await.map_err(|e| PoolError::Malformed(e.to_string()))
    }

    async fn send(&self, method: Method, path: &str, body: Option<Vec<u8>>, timeout_ms: u64) -> Result<Response, PoolError> {
        let url = format!("{}{}", self.base, path);
        let unreachable = |e: worker::Error| PoolError::Unreachable { url: url.clone(), reason: e.to_string() };
        let now_secs = Date::now().as_millis() / 1000;
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce).map_err(|e| PoolError::Unreachable { url: url.clone(), reason: format!("no random bytes for the signature nonce: {e}") })?;
        let sig = signing::sign(&self.secret, method.as_ref(), path, body.as_deref().unwrap_or_default(), now_secs, nonce);
        let headers = Headers::new();
        headers.set(signing::SIGNATURE_HEADER, &sig.header_value()).map_err(unreachable)?;
        let mut init = RequestInit::new();
        init.with_method(method).with_headers(headers);
        if let Some(body) = body {
            init.with_body(Some(js_sys::Uint8Array::from(body.as_slice()).into()));
        }
        let request = Request::new_with_init(&url, &init).map_err(unreachable)?;
        let abort = AbortController::default();
        let signal = abort.signal();
        let fetch = Fetch::Request(request);
        let call = fetch.send_with_signal(&signal);
        let timer = Delay::from(Duration::from_millis(timeout_ms));
        futures_util::pin_mut!(call);
        match select(call, timer).await {
            Either::Left((resp, _)) => resp.map_err(unreachable),
            Either::Right(((), _)) => {
                abort.abort();
                Err(PoolError::Timeout(timeout_ms))
            }
        }
    }
}
