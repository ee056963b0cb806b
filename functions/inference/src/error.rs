//! The pool's errors and the one place they become HTTP responses.

use edgepix_core::api::ErrorBody;
use edgepix_core::codec::CodecError;
use edgepix_core::error::ErrorCode;
use thiserror::Error;

use crate::auth::AuthError;
use crate::backend::BackendError;

/// Everything a pool request can fail with.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PoolError {
    /// No route matches.
    #[error("no route for {method} {path}")]
    NotFound {
        /// The request method.
        method: String,
        /// The request path.
        path: String,
    },
    /// The route exists but not for this method.
    #[error("{method} is not allowed on {path}")]
    MethodNotAllowed {
        /// The request method.
        method: String,
        /// The request path.
        path: String,
    },
    /// The request is not signed by the Worker, or is a replay.
    #[error("{0}")]
    Unauthorized(AuthError),
    /// A query parameter is wrong.
    #[error("{0}")]
    InvalidRequest(String),
    /// The request body is over the limit.
    #[error("the body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The image cannot be read within the limits.
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// The model this route needs is not loaded here.
    #[error("the {model} model is not available on {backend}: {reason}")]
    ModelUnavailable {
        /// Which model.
        model: &'static str,
        /// On which backend.
        backend: String,
        /// Why.
        reason: String,
    },
    /// The model ran but failed, or gave an output of the wrong shape.
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// The request took longer than the server allows.
    #[error("the request took longer than {secs} s")]
    Timeout {
        /// The limit.
        secs: u64,
    },
    /// The handler itself failed (a bug).
    #[error("the handler failed")]
    Internal,
    /// The work queue is full.
    #[error("the pool is busy; retry in {retry_after_secs} s")]
    Overloaded {
        /// Seconds to wait before retrying.
        retry_after_secs: u32,
    },
}

impl PoolError {
    /// The stable code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            PoolError::NotFound { .. } => ErrorCode::NotFound,
            PoolError::MethodNotAllowed { .. } => ErrorCode::MethodNotAllowed,
            PoolError::Unauthorized(AuthError::CacheFull) | PoolError::Overloaded { .. } => ErrorCode::Overloaded,
            PoolError::Unauthorized(_) => ErrorCode::Unauthorized,
            PoolError::InvalidRequest(_) => ErrorCode::InvalidRequest,
            PoolError::PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge,
            PoolError::Codec(c) => c.code(),
            PoolError::ModelUnavailable { .. } | PoolError::Timeout { .. } => ErrorCode::Unavailable,
            PoolError::Backend(_) | PoolError::Internal => ErrorCode::Internal,
        }
    }

    /// The HTTP status for this error.
    pub fn status(&self) -> http::StatusCode {
        http::StatusCode::from_u16(self.code().status()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The JSON response, in the Worker's error shape.
    pub fn into_response(self) -> http::Response<Vec<u8>> {
        let mut builder = http::Response::builder().status(self.status()).header(http::header::CONTENT_TYPE, "application/json");
        match &self {
            PoolError::Overloaded { retry_after_secs } => builder = builder.header(http::header::RETRY_AFTER, *retry_after_secs),
            PoolError::Unauthorized(AuthError::CacheFull) => builder = builder.header(http::header::RETRY_AFTER, 1),
            PoolError::Unauthorized(_) => builder = builder.header(http::header::WWW_AUTHENTICATE, "EdgepixSignature"),
            _ => {}
        }
        let body = ErrorBody::new(self.code(), self.to_string()).to_json().into_bytes();
        // Status and header values above are valid by construction.
        builder.body(body).unwrap_or_default()
    }
}
