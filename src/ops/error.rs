//! The operator surface's errors: its own type, answered as the same error object the merchant
//! API uses (`object`, `code`, `message`, `location`), so that one script parses both.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::core::accounts::KeyError;
use crate::core::disputes::OpenError;
use crate::domain::{GuardError, TransitionError};
use crate::store::{Refusal, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error("{0}")]
    BadRequest(String),
    /// 401 with a Bearer challenge.
    #[error("a valid operator token is required")]
    Unauthorized,
    #[error("{0}")]
    NotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A decision on a dispute that is not pending.
    #[error("{0}")]
    NotPending(String),
    /// A merchant-side change on a dispute that is not open.
    #[error("{0}")]
    NotOpen(String),
    /// A review of a document that is not submitted.
    #[error("{0}")]
    NotSubmitted(String),
    /// A request for something this server is not set up to do (a rescan without SCAN_URL).
    #[error("{0}")]
    NotConfigured(String),
    /// The evidence packet does not fit its profile's budget (or a file cannot go in it).
    #[error("{0}")]
    OverBudget(String),
    #[error("service is temporarily unavailable, please retry")]
    Unavailable(#[source] anyhow::Error),
    #[error("an internal error occurred")]
    Internal(#[source] anyhow::Error),
}

pub type OpsResult<T> = Result<T, OpsError>;

impl OpsError {
    pub fn bad_request(message: impl Into<String>) -> OpsError {
        OpsError::BadRequest(message.into())
    }

    pub fn code(&self) -> &'static str {
        match self {
            OpsError::BadRequest(_) => "bad_request",
            OpsError::Unauthorized => "authentication_failure",
            OpsError::NotFound(_) => "not_found",
            OpsError::MethodNotAllowed => "method_not_allowed",
            OpsError::NotPending(_) => "dispute_not_pending",
            OpsError::NotOpen(_) => "dispute_not_open",
            OpsError::NotSubmitted(_) => "document_not_submitted",
            OpsError::NotConfigured(_) => "not_configured",
            OpsError::OverBudget(_) => "evidence_over_budget",
            OpsError::Unavailable(_) => "service_unavailable",
            OpsError::Internal(_) => "internal_error",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            OpsError::BadRequest(_) => StatusCode::BAD_REQUEST,
            OpsError::Unauthorized => StatusCode::UNAUTHORIZED,
            OpsError::NotFound(_) => StatusCode::NOT_FOUND,
            OpsError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            OpsError::NotPending(_)
            | OpsError::NotOpen(_)
            | OpsError::NotSubmitted(_)
            | OpsError::OverBudget(_) => StatusCode::UNPROCESSABLE_ENTITY,
            OpsError::NotConfigured(_) => StatusCode::CONFLICT,
            OpsError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            OpsError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A refused change to dispute `dispute`.
    pub fn from_refusal(refusal: Refusal, dispute: &str) -> OpsError {
        match refusal {
            Refusal::DisputeNotFound => {
                OpsError::NotFound(format!("dispute {dispute} was not found"))
            }
            Refusal::DocumentNotFound => OpsError::NotFound("document was not found".into()),
            Refusal::Transition(TransitionError::NotUnderReview) => {
                OpsError::NotPending(format!("dispute {dispute} is not pending"))
            }
            Refusal::Transition(TransitionError::NotAwaitingEvidence)
            | Refusal::Guard(GuardError::DisputeClosedToEvidence) => {
                OpsError::NotOpen(format!("dispute {dispute} is not open"))
            }
            Refusal::Guard(e) => OpsError::bad_request(e.to_string()),
            Refusal::Document(e) => OpsError::bad_request(e.to_string()),
            Refusal::Store(e) => e.into(),
        }
    }
}

impl From<StoreError> for OpsError {
    fn from(e: StoreError) -> OpsError {
        match e {
            StoreError::Unavailable(_) => OpsError::Unavailable(e.into()),
            StoreError::Conflict(_) => OpsError::bad_request("the object exists already"),
            other => OpsError::Internal(other.into()),
        }
    }
}

impl From<KeyError> for OpsError {
    fn from(e: KeyError) -> OpsError {
        match e {
            KeyError::UnknownAccount(account) => {
                OpsError::NotFound(format!("account {account} was not found"))
            }
            KeyError::Store(e) => e.into(),
        }
    }
}

impl From<OpenError> for OpsError {
    fn from(e: OpenError) -> OpsError {
        match e {
            OpenError::ChargeDisputed(charge) => {
                OpsError::bad_request(format!("charge {charge} is already disputed"))
            }
            OpenError::UnknownAccount(account) => {
                OpsError::NotFound(format!("account {account} was not found"))
            }
            OpenError::Exists(_) => OpsError::bad_request("that dispute id exists already"),
            OpenError::Store(e) => e.into(),
        }
    }
}

impl IntoResponse for OpsError {
    fn into_response(self) -> Response {
        if let OpsError::Internal(cause) | OpsError::Unavailable(cause) = &self {
            tracing::error!(error = ?cause, code = self.code(), "operator request failed");
        }
        let mut response =
            crate::wire::omise::error::error_object(self.status(), self.code(), &self.to_string());
        if matches!(self, OpsError::Unauthorized) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"dispute-docs-ops\""),
            );
        }
        response
    }
}
