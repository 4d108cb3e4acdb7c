//! The Omise error object and every way a request can fail, with its status.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::core::UploadError;
use crate::core::disputes::OpenError;
use crate::domain::{GuardError, TransitionError};
use crate::store::{Refusal, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: a malformed parameter, body or id.
    #[error("{0}")]
    BadRequest(String),
    /// 400: a search's scope is missing or not one this server serves.
    #[error("{0}")]
    InvalidScope(String),
    /// 400: a search's filter is unknown, or its value cannot be read.
    #[error("{0}")]
    InvalidFilter(String),
    /// 400: a search's page or per_page is not a valid number.
    #[error("{0}")]
    InvalidPage(String),
    /// 400: the uploaded bytes are not PNG, JPEG or PDF, or not a file to keep (malware); why.
    #[error("{0}")]
    InvalidFileType(String),
    /// 413: the upload passed the size limit while streaming, or the scanner's; which.
    #[error("{0}")]
    FileTooLarge(String),
    /// 400 `invalid_file_type` too: a PNG, JPEG or PDF a card network would refuse (FILES.md
    /// §2), with the reason.
    #[error("{0}")]
    UnacceptableFile(String),
    /// 401, with a `WWW-Authenticate` challenge.
    #[error("{0}")]
    Authentication(&'static str),
    /// 404: unknown, foreign or deleted, all alike.
    #[error("{0}")]
    NotFound(String),
    /// 405: a known path with another method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 422: the dispute has left `open`.
    #[error("{0}")]
    DisputeNotOpen(String),
    /// 422: an operator decision on a dispute that is not `pending`.
    #[error("{0}")]
    DisputeNotPending(String),
    /// 422: the document went to the bank already.
    #[error("{0}")]
    DocumentAlreadySubmitted(String),
    /// 422: the evidence packet does not fit its profile's budget (or a file cannot go in it);
    /// the budget, what the packet would be, and what weighs most.
    #[error("{0}")]
    EvidenceOverBudget(String),
    /// 409: a request with this idempotency key is still running.
    #[error("a request with this Idempotency-Key is still in progress; retry it later")]
    IdempotencyKeyInUse,
    /// 422: the idempotency key was used with another request.
    #[error("this Idempotency-Key was used with another request")]
    IdempotencyKeyReused,
    /// 429: the key spent its per-minute budget; retry after the given seconds.
    #[error("too many requests: retry in {0} seconds")]
    TooManyRequests(u64),
    /// 503: the database cannot be reached.
    #[error("service is temporarily unavailable, please retry")]
    Unavailable(#[source] anyhow::Error),
    /// 500: a bug or a broken dependency; logged, never shown.
    #[error("an internal error occurred")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    /// Every code an error can carry.
    pub const CODES: [&'static str; 18] = [
        "bad_request",
        "invalid_scope",
        "invalid_filter",
        "invalid_page",
        "invalid_file_type",
        "file_too_large",
        "authentication_failure",
        "not_found",
        "method_not_allowed",
        "dispute_not_open",
        "dispute_not_pending",
        "document_already_submitted",
        "evidence_over_budget",
        "idempotency_key_in_use",
        "idempotency_key_reused",
        "too_many_requests",
        "internal_error",
        "service_unavailable",
    ];

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::InvalidScope(_) => "invalid_scope",
            ApiError::InvalidFilter(_) => "invalid_filter",
            ApiError::InvalidPage(_) => "invalid_page",
            ApiError::InvalidFileType(_) | ApiError::UnacceptableFile(_) => "invalid_file_type",
            ApiError::FileTooLarge(_) => "file_too_large",
            ApiError::Authentication(_) => "authentication_failure",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::DisputeNotOpen(_) => "dispute_not_open",
            ApiError::DisputeNotPending(_) => "dispute_not_pending",
            ApiError::DocumentAlreadySubmitted(_) => "document_already_submitted",
            ApiError::EvidenceOverBudget(_) => "evidence_over_budget",
            ApiError::IdempotencyKeyInUse => "idempotency_key_in_use",
            ApiError::IdempotencyKeyReused => "idempotency_key_reused",
            ApiError::TooManyRequests(_) => "too_many_requests",
            ApiError::Unavailable(_) => "service_unavailable",
            ApiError::Internal(_) => "internal_error",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_)
            | ApiError::InvalidScope(_)
            | ApiError::InvalidFilter(_)
            | ApiError::InvalidPage(_)
            | ApiError::InvalidFileType(_)
            | ApiError::UnacceptableFile(_) => StatusCode::BAD_REQUEST,
            ApiError::FileTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Authentication(_) => StatusCode::UNAUTHORIZED,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::DisputeNotOpen(_)
            | ApiError::DisputeNotPending(_)
            | ApiError::DocumentAlreadySubmitted(_)
            | ApiError::EvidenceOverBudget(_)
            | ApiError::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::IdempotencyKeyInUse => StatusCode::CONFLICT,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::BadRequest(message.into())
    }

    pub fn dispute_not_found(id: &str) -> ApiError {
        ApiError::NotFound(format!("dispute {id} was not found"))
    }

    pub fn document_not_found(id: &str) -> ApiError {
        ApiError::NotFound(format!("document {id} was not found"))
    }

    /// A refused change to dispute `dispute` (and document `document`, where one is named).
    pub fn from_refusal(refusal: Refusal, dispute: &str, document: Option<&str>) -> ApiError {
        match refusal {
            Refusal::DisputeNotFound => ApiError::dispute_not_found(dispute),
            Refusal::DocumentNotFound => ApiError::document_not_found(document.unwrap_or_default()),
            Refusal::Transition(TransitionError::NotAwaitingEvidence)
            | Refusal::Guard(GuardError::DisputeClosedToEvidence) => {
                ApiError::DisputeNotOpen(format!("dispute {dispute} is not open"))
            }
            Refusal::Transition(TransitionError::NotUnderReview) => {
                ApiError::DisputeNotPending(format!("dispute {dispute} is not pending"))
            }
            Refusal::Guard(GuardError::DocumentFrozen) => {
                ApiError::DocumentAlreadySubmitted(format!(
                    "document {} was already submitted and cannot be deleted",
                    document.unwrap_or_default()
                ))
            }
            Refusal::Document(e) => ApiError::bad_request(e.to_string()),
            Refusal::Store(e) => e.into(),
        }
    }

    pub fn from_upload(e: UploadError, dispute: &str) -> ApiError {
        match e {
            UploadError::InvalidFileType => {
                ApiError::InvalidFileType("invalid content-type".into())
            }
            UploadError::TooLarge => {
                ApiError::FileTooLarge("file is too large (the limit is 10485760 bytes)".into())
            }
            UploadError::Malware(_) => ApiError::InvalidFileType(e.to_string()),
            UploadError::TooLargeToScan => ApiError::FileTooLarge(e.to_string()),
            UploadError::ScannerUnavailable(cause) => ApiError::Unavailable(cause.into()),
            UploadError::TooSmall => ApiError::bad_request("the file is empty"),
            UploadError::Body(detail) => {
                ApiError::BadRequest(format!("malformed multipart body: {detail}"))
            }
            UploadError::Blob(e) => ApiError::Internal(e.into()),
            UploadError::Refused(r) => ApiError::from_refusal(r, dispute, None),
            UploadError::Unacceptable(reason) => ApiError::UnacceptableFile(reason.to_string()),
        }
    }
}

impl From<crate::wire::omise::version::UnknownVersion> for ApiError {
    fn from(e: crate::wire::omise::version::UnknownVersion) -> ApiError {
        ApiError::bad_request(e.0)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::Unavailable(_) => ApiError::Unavailable(e.into()),
            StoreError::Conflict(_) => ApiError::bad_request("the object exists already"),
            other => ApiError::Internal(other.into()),
        }
    }
}

impl From<OpenError> for ApiError {
    fn from(e: OpenError) -> ApiError {
        match e {
            OpenError::ChargeDisputed(charge) => {
                ApiError::bad_request(format!("charge {charge} is already disputed"))
            }
            OpenError::UnknownAccount(account) => {
                ApiError::NotFound(format!("account {account} was not found"))
            }
            OpenError::Exists(_) => ApiError::bad_request("that dispute id exists already"),
            OpenError::Store(e) => e.into(),
        }
    }
}

pub use crate::wire::omise::error::error_object;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            ApiError::Internal(cause) | ApiError::Unavailable(cause) => {
                tracing::error!(error = ?cause, code = self.code(), "request failed");
            }
            _ => {}
        }
        let mut response = error_object(self.status(), self.code(), &self.to_string());
        match self {
            ApiError::TooManyRequests(seconds) => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            // The database is away or every connection is busy (a request waits at most
            // DATABASE_ACQUIRE_TIMEOUT for one): worth a retry in a moment.
            ApiError::Unavailable(_) => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(1));
            }
            _ => {}
        }
        if matches!(self, ApiError::Authentication(_)) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"dispute-docs\""),
            );
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_listed_code_and_a_non_200_status() {
        let all = [
            ApiError::bad_request("x"),
            ApiError::InvalidScope("x".into()),
            ApiError::InvalidFilter("x".into()),
            ApiError::InvalidPage("x".into()),
            ApiError::InvalidFileType("x".into()),
            ApiError::FileTooLarge("x".into()),
            ApiError::Authentication("x"),
            ApiError::NotFound("x".into()),
            ApiError::MethodNotAllowed,
            ApiError::DisputeNotOpen("x".into()),
            ApiError::DisputeNotPending("x".into()),
            ApiError::DocumentAlreadySubmitted("x".into()),
            ApiError::EvidenceOverBudget("x".into()),
            ApiError::IdempotencyKeyInUse,
            ApiError::IdempotencyKeyReused,
            ApiError::TooManyRequests(1),
            ApiError::Internal(anyhow::anyhow!("secret detail")),
            ApiError::Unavailable(anyhow::anyhow!("secret detail")),
        ];
        let codes: Vec<&str> = all.iter().map(ApiError::code).collect();
        assert_eq!(codes, ApiError::CODES);
        assert!(all.iter().all(|e| e.status() != StatusCode::OK));
        // 5xx messages are fixed: the cause stays in the log.
        assert!(all.iter().all(|e| !e.to_string().contains("secret detail")));
    }
}
