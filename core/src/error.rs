//! Stable error codes.
//!
//! Every failure any tier reports carries one of these codes in the body
//! `{"error":{"code":"...","message":"..."}}`. Codes are part of the API:
//! a code once published keeps its meaning. Mapping a code to an HTTP status
//! happens in each transport (the Worker's `edge/src/error.rs`, the pool's
//! `error.rs`), never here, because the browser module uses the same codes
//! without HTTP.

use std::fmt;

/// A stable, machine-readable error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// No route matches the path.
    NotFound,
    /// The route exists but not for this method.
    MethodNotAllowed,
    /// The request is malformed (bad JSON, bad query, bad header).
    InvalidRequest,
    /// The request body is larger than the route allows.
    PayloadTooLarge,
    /// The body's format is not one we read (by its bytes, not its name).
    UnsupportedMediaType,
    /// The image has more pixels or a longer side than allowed, or its
    /// decoding would not fit the memory budget.
    ImageTooLarge,
    /// The image data is damaged or truncated.
    CorruptImage,
    /// A transformation option is unknown or has a bad value.
    InvalidOption,
    /// The request carries no valid credentials or signature.
    Unauthorized,
    /// The caller is known but may not do this.
    Forbidden,
    /// The caller sent too many requests; retry after the given time.
    RateLimited,
    /// A dependency (the function pool, a binding) does not answer.
    Unavailable,
    /// The server is busy (queue full); retry after the given time.
    Overloaded,
    /// The asset has not been analysed yet (`POST .../analyze` first).
    AnalysisRequired,
    /// The email or password is wrong (never says which, nor whether the
    /// email has an account).
    InvalidCredentials,
    /// A new password breaks a rule (the message names it).
    WeakPassword,
    /// A cookie-authenticated request did not come from our own origin.
    CsrfRejected,
    /// The account's plan does not allow more (storage, jobs).
    QuotaExceeded,
    /// The asset is protected: only its owner gets its pixels; others view
    /// it through `/view/{id}` and a view ticket.
    ProtectedAsset,
    /// The behaviour signals look automated; a person can interact with
    /// the page and retry.
    BotSuspected,
    /// The request asks for something this API does not offer (an
    /// oEmbed format other than JSON).
    NotImplemented,
    /// The request is based on a state that changed since (for example,
    /// region choices for an analysis that was redone).
    Conflict,
    /// The creator's policy does not let viewers reveal this region.
    RevealNotAllowed,
    /// A bug or an unexpected failure on our side.
    Internal,
}

impl ErrorCode {
    /// Every code, in documentation order.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::InvalidRequest,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::ImageTooLarge,
        ErrorCode::CorruptImage,
        ErrorCode::InvalidOption,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::RateLimited,
        ErrorCode::Unavailable,
        ErrorCode::Overloaded,
        ErrorCode::AnalysisRequired,
        ErrorCode::InvalidCredentials,
        ErrorCode::WeakPassword,
        ErrorCode::CsrfRejected,
        ErrorCode::QuotaExceeded,
        ErrorCode::ProtectedAsset,
        ErrorCode::BotSuspected,
        ErrorCode::NotImplemented,
        ErrorCode::Conflict,
        ErrorCode::RevealNotAllowed,
        ErrorCode::Internal,
    ];

    /// The code as it appears on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::ImageTooLarge => "image_too_large",
            ErrorCode::CorruptImage => "corrupt_image",
            ErrorCode::InvalidOption => "invalid_option",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Overloaded => "overloaded",
            ErrorCode::AnalysisRequired => "analysis_required",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::WeakPassword => "weak_password",
            ErrorCode::CsrfRejected => "csrf_rejected",
            ErrorCode::QuotaExceeded => "quota_exceeded",
            ErrorCode::ProtectedAsset => "protected_asset",
            ErrorCode::BotSuspected => "bot_suspected",
            ErrorCode::NotImplemented => "not_implemented",
            ErrorCode::Conflict => "conflict",
            ErrorCode::RevealNotAllowed => "reveal_not_allowed",
            ErrorCode::Internal => "internal",
        }
    }

    /// The HTTP status every tier answers this code with.
    pub const fn status(self) -> u16 {
        match self {
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::InvalidRequest | ErrorCode::InvalidOption | ErrorCode::WeakPassword => 400,
            ErrorCode::Unauthorized | ErrorCode::InvalidCredentials => 401,
            ErrorCode::Forbidden | ErrorCode::CsrfRejected | ErrorCode::QuotaExceeded | ErrorCode::ProtectedAsset | ErrorCode::BotSuspected | ErrorCode::RevealNotAllowed => 403,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::ImageTooLarge | ErrorCode::CorruptImage => 422,
            ErrorCode::AnalysisRequired | ErrorCode::Conflict => 409,
            ErrorCode::RateLimited => 429,
            ErrorCode::Unavailable | ErrorCode::Overloaded => 503,
            ErrorCode::NotImplemented => 501,
            ErrorCode::Internal => 500,
        }
    }

    /// Parses a wire code back; `None` for a code this version does not know.
    pub fn from_wire(s: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_codes_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for &code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "duplicate {code}");
            assert_eq!(ErrorCode::from_wire(code.as_str()), Some(code));
            assert!(code.as_str().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
        }
        assert_eq!(ErrorCode::from_wire("nope"), None);
    }
}
