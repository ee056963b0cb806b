//! The pool's errors and the one place they become HTTP responses.

use edgepix_core::api::ErrorBody;
use edgepix_core::error::ErrorCode;
use thiserror::Error;

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
    /// The request body is over the limit.
    #[error("the body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
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
            PoolError::PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge,
            PoolError::Internal => ErrorCode::Internal,
            PoolError::Overloaded { .. } => ErrorCode::Overloaded,
        }
    }

    /// The HTTP status for this error.
    pub fn status(&self) -> http::StatusCode {
        match self {
            PoolError::NotFound { .. } => http::StatusCode::NOT_FOUND,
            PoolError::MethodNotAllowed { .. } => http::StatusCode::METHOD_NOT_ALLOWED,
            PoolError::PayloadTooLarge { .. } => http::StatusCode::PAYLOAD_TOO_LARGE,
            PoolError::Internal => http::StatusCode::INTERNAL_SERVER_ERROR,
            PoolError::Overloaded { .. } => http::StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The JSON response, in the Worker's error shape.
    pub fn into_response(self) -> http::Response<Vec<u8>> {
        let mut builder = http::Response::builder().status(self.status()).header(http::header::CONTENT_TYPE, "application/json");
        if let PoolError::Overloaded { retry_after_secs } = self {
            builder = builder.header(http::header::RETRY_AFTER, retry_after_secs);
        }
        let body = ErrorBody::new(self.code(), self.to_string()).to_json().into_bytes();
        // Status and header values above are valid by construction.
        builder.body(body).unwrap_or_default()
    }
}
