//! The one place where errors become HTTP responses.
//!
//! Handlers return `Result<Response, ApiError>`; [`ApiError::into_response`]
//! holds the only match from error to status, and every body has the shape
//! `{"error":{"code":"...","message":"..."}}` with a stable code from
//! [`edgepix_core::error::ErrorCode`].

use edgepix_core::api::ErrorBody;
use edgepix_core::error::ErrorCode;
use thiserror::Error;
use worker::{Headers, Response};

/// Everything a request can fail with.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ApiError {
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
    /// The runtime failed outside any binding.
    #[error("runtime error: {0}")]
    Runtime(#[from] worker::Error),
}

impl ApiError {
    /// The stable code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::NotFound { .. } => ErrorCode::NotFound,
            ApiError::MethodNotAllowed { .. } => ErrorCode::MethodNotAllowed,
            ApiError::Runtime(_) => ErrorCode::Internal,
        }
    }

    /// The HTTP status for this error.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::NotFound { .. } => 404,
            ApiError::MethodNotAllowed { .. } => 405,
            ApiError::Runtime(_) => 500,
        }
    }

    /// The JSON response for this error. Internal details are logged, not sent.
    pub fn into_response(self) -> Response {
        let message = match self.code() {
            ErrorCode::Internal => {
                worker::console_error!("{self}");
                String::from("internal error; the details are in the Worker's log")
            }
            _ => self.to_string(),
        };
        json_error(self.status(), self.code(), &message)
    }
}

/// A JSON error response.
pub fn json_error(status: u16, code: ErrorCode, message: &str) -> Response {
    let headers = Headers::new();
    // A fresh header list accepts this valid name and value.
    let _ = headers.set("content-type", "application/json; charset=utf-8");
    Response::builder()
        .with_status(status)
        .with_headers(headers)
        .fixed(ErrorBody::new(code, message).to_json().into_bytes())
}

/// Result alias for handlers.
pub type ApiResult<T> = Result<T, ApiError>;
