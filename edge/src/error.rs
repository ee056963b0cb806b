//! The one place where errors become HTTP responses.
//!
//! Handlers return `Result<Response, ApiError>`; [`ApiError::into_response`]
//! holds the only match from error to status, and every body has the shape
//! `{"error":{"code":"...","message":"..."}}` with a stable code from
//! [`edgepix_core::error::ErrorCode`].

use edgepix_core::account::Denied;
use edgepix_core::account::jwt::TokenError;
use edgepix_core::account::password::PasswordError;
use edgepix_core::api::ErrorBody;
use edgepix_core::codec::CodecError;
use edgepix_core::error::ErrorCode;
use edgepix_core::game::SpecError;
use edgepix_core::protect::ticket::TicketError;
use edgepix_core::ratelimit::{Decision, Limit, Rule};
use edgepix_core::transform::geometry::GeometryError;
use edgepix_core::jobs::RegionChoiceError;
use edgepix_core::policy::RevealError;
use edgepix_core::transform::options::OptionError;
use edgepix_core::transform::pipeline::TransformError;
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
    /// No asset with this id for the caller.
    #[error("no asset {0}")]
    AssetNotFound(String),
    /// No policy with this name for the caller (or the asset's owner).
    #[error("no policy named {0:?} (the built-in one is \"default\")")]
    PolicyNotFound(String),
    /// No account with this id.
    #[error("no account {0}")]
    UserNotFound(String),
    /// No batch with this id for the caller.
    #[error("no batch {0}")]
    BatchNotFound(String),
    /// No job with this id for the caller.
    #[error("no job {0}")]
    JobNotFound(String),
    /// No game with this code (or not the caller's).
    #[error("no game {0}")]
    GameNotFound(String),
    /// A game request with a bad field.
    #[error(transparent)]
    InvalidGame(#[from] SpecError),
    /// The asset has no finished analysis yet.
    #[error("asset {0} has not been analysed yet: POST /api/v1/assets/{0}/analyze, then wait for the job")]
    AnalysisRequired(String),
    /// A region that cannot be revealed under the policy.
    #[error(transparent)]
    Reveal(#[from] edgepix_core::policy::RevealError),
    /// Region choices refused (stale analysis, unknown region).
    #[error(transparent)]
    RegionChoice(#[from] edgepix_core::jobs::RegionChoiceError),
    /// The asset is not protected (no protection, proof or ticket).
    #[error("asset {0} is not protected: PUT /api/v1/assets/{0}/protection first, or fetch it from /img/")]
    NotProtected(String),
    /// The asset is protected and the caller is not its owner.
    #[error("asset {0} is protected: only its owner gets its pixels; view it at /view/{0}")]
    ProtectedAsset(String),
    /// No tile with this index in the asset's proof.
    #[error("tile {index} is not one of the {tiles} tiles of this proof")]
    TileNotFound {
        /// The index asked for.
        index: usize,
        /// The number of tiles.
        tiles: usize,
    },
    /// The behaviour signals scored below the threshold.
    #[error("this looks automated (score {score} of 100, {threshold} needed: {reasons}); if you are a person, move the pointer, tap or scroll the page, then try again")]
    BotSuspected {
        /// The score.
        score: u8,
        /// The threshold.
        threshold: u8,
        /// What counted.
        reasons: String,
    },
    /// A view ticket that is forged, malformed or expired.
    #[error(transparent)]
    Ticket(#[from] TicketError),
    /// Missing or invalid credentials.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// An access token that does not verify.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The email or password is wrong (never which, nor whether the email
    /// has an account).
    #[error("the email or password is not right")]
    InvalidCredentials,
    /// A new password breaks a rule.
    #[error(transparent)]
    WeakPassword(#[from] PasswordError),
    /// A cookie-authenticated request from another origin, or none.
    #[error("this request authenticates with the session cookie, so it must come from this site (Origin or Referer); send the refresh token in the body instead if you are not a browser")]
    CsrfRejected,
    /// Known caller, not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// Known caller, not allowed by its role or key scopes.
    #[error(transparent)]
    Denied(#[from] Denied),
    /// The plan's quota would be passed.
    #[error("{0}")]
    QuotaExceeded(String),
    /// Over a rate limit.
    #[error("too many requests ({}: {} per {} s); retry in {} s", rule.name(), limit.limit, limit.window_secs, decision.reset_secs)]
    RateLimited {
        /// The rule hit.
        rule: Rule,
        /// The refusing decision.
        decision: Decision,
        /// The limit in force.
        limit: Limit,
    },
    /// The deployment is misconfigured (a var or secret).
    #[error("configuration: {0}")]
    Config(String),
    /// Something this API does not offer.
    #[error("{0}")]
    NotImplemented(String),
    /// A malformed request (query, header, body shape).
    #[error("{0}")]
    InvalidRequest(String),
    /// A body over the route's limit.
    #[error("the body is over the limit of {limit} bytes")]
    PayloadTooLarge {
        /// The limit.
        limit: usize,
    },
    /// The image could not be read or written.
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// A transformation option is unknown or bad.
    #[error(transparent)]
    InvalidOption(#[from] OptionError),
    /// A recognised option this deployment cannot honour yet.
    #[error("{0}")]
    UnsupportedOption(String),
    /// A transformation failed.
    #[error(transparent)]
    Transform(#[from] TransformError),
    /// A binding (R2, D1, KV, Durable Object, queue) failed.
    #[error("the {name} binding failed: {source}")]
    Binding {
        /// The binding's name.
        name: &'static str,
        /// What the runtime said.
        source: worker::Error,
    },
    /// Stored data is not what we wrote (a bug or a manual edit).
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    /// The runtime failed outside any binding.
    #[error("runtime error: {0}")]
    Runtime(#[from] worker::Error),
}

impl ApiError {
    /// The stable code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::NotFound { .. } | ApiError::NotProtected(_) | ApiError::TileNotFound { .. } | ApiError::UserNotFound(_) | ApiError::AssetNotFound(_) | ApiError::JobNotFound(_) | ApiError::GameNotFound(_) | ApiError::BatchNotFound(_) | ApiError::PolicyNotFound(_) => ErrorCode::NotFound,
            ApiError::AnalysisRequired(_) => ErrorCode::AnalysisRequired,
            ApiError::Reveal(RevealError::NoRegion { .. }) => ErrorCode::NotFound,
            ApiError::Reveal(_) => ErrorCode::RevealNotAllowed,
            ApiError::RegionChoice(RegionChoiceError::Stale { .. }) => ErrorCode::Conflict,
            ApiError::RegionChoice(_) => ErrorCode::InvalidRequest,
            ApiError::MethodNotAllowed { .. } => ErrorCode::MethodNotAllowed,
            ApiError::Unauthorized(_) | ApiError::Token(_) | ApiError::Ticket(_) => ErrorCode::Unauthorized,
            ApiError::ProtectedAsset(_) => ErrorCode::ProtectedAsset,
            ApiError::BotSuspected { .. } => ErrorCode::BotSuspected,
            ApiError::InvalidCredentials => ErrorCode::InvalidCredentials,
            ApiError::WeakPassword(_) => ErrorCode::WeakPassword,
            ApiError::CsrfRejected => ErrorCode::CsrfRejected,
            ApiError::Forbidden(_) | ApiError::Denied(_) => ErrorCode::Forbidden,
            ApiError::QuotaExceeded(_) => ErrorCode::QuotaExceeded,
            ApiError::RateLimited { .. } => ErrorCode::RateLimited,
            ApiError::InvalidRequest(_) | ApiError::InvalidGame(_) => ErrorCode::InvalidRequest,
            ApiError::NotImplemented(_) => ErrorCode::NotImplemented,
            ApiError::PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge,
            ApiError::Codec(c) | ApiError::Transform(TransformError::Codec(c)) => c.code(),
            ApiError::InvalidOption(_) | ApiError::UnsupportedOption(_) => ErrorCode::InvalidOption,
            ApiError::Transform(TransformError::Geometry(GeometryError::TooLarge { .. })) => ErrorCode::ImageTooLarge,
            ApiError::Transform(TransformError::Geometry(GeometryError::EmptySource { .. })) => ErrorCode::CorruptImage,
            ApiError::Transform(TransformError::Geometry(_)) => ErrorCode::InvalidOption,
            ApiError::Binding { .. } => ErrorCode::Unavailable,
            ApiError::Transform(_) | ApiError::Corrupt(_) | ApiError::Config(_) | ApiError::Runtime(_) => ErrorCode::Internal,
        }
    }

    /// The HTTP status for this error.
    pub fn status(&self) -> u16 {
        self.code().status()
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
        let mut resp = json_error(self.status(), self.code(), &message);
        let headers = resp.headers_mut();
        match &self {
            ApiError::Unauthorized(_) | ApiError::Token(_) => {
                let _ = headers.set("www-authenticate", "Bearer");
            }
            ApiError::RateLimited { decision, limit, .. } => {
                for (name, value) in decision.headers(*limit) {
                    let _ = headers.set(name, &value);
                }
            }
            _ => {}
        }
        resp
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
