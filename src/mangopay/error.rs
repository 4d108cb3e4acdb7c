//! Mangopay's error body (MANGOPAY.md §7): `Message`, `Type`, `Id`, `Date` and an `errors` key
//! that is always there (an object of field -> reason, or null).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::core::UploadError;
use crate::store::{Refusal, StoreError};

/// The message every `param_error` carries.
const PARAM_MESSAGE: &str = "One or several required parameters are missing or incorrect. \
     An incorrect resource ID also raises this kind of error.";

#[derive(Debug)]
pub struct MpError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub message: String,
    pub errors: Option<Map<String, Value>>,
    /// The cause of a 5xx, logged once, never shown.
    pub cause: Option<anyhow::Error>,
    /// Seconds to wait before trying again (`Retry-After`), for a 429.
    pub retry_after: Option<u64>,
}

pub type MpResult<T> = Result<T, MpError>;

impl MpError {
    fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> MpError {
        MpError {
            status,
            kind,
            message: message.into(),
            errors: None,
            cause: None,
            retry_after: None,
        }
    }

    fn with(mut self, field: &str, reason: impl Into<String>) -> MpError {
        self.errors
            .get_or_insert_with(Map::new)
            .insert(field.to_owned(), Value::String(reason.into()));
        self
    }

    /// 400 `param_error` naming the field at fault.
    pub fn param(field: &str, reason: impl Into<String>) -> MpError {
        MpError::new(StatusCode::BAD_REQUEST, "param_error", PARAM_MESSAGE).with(field, reason)
    }

    pub fn credentials() -> MpError {
        MpError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "The authorization credentials are not valid",
        )
    }

    /// 404 for an unknown object of `what` (Dispute, DisputeDocument, …).
    pub fn not_found(what: &str, id: &str) -> MpError {
        MpError::new(
            StatusCode::NOT_FOUND,
            "ressource_not_found",
            "Cannot found the ressource",
        )
        .with(
            "RessourceNotFound",
            format!("Cannot found the ressource {what} with the id={id} "),
        )
    }

    pub fn no_route() -> MpError {
        MpError::new(
            StatusCode::NOT_FOUND,
            "ressource_not_found",
            "The ressource does not exist",
        )
    }

    pub fn method() -> MpError {
        MpError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "The method is not allowed on this ressource",
        )
    }

    pub fn too_large() -> MpError {
        MpError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "The file is too large",
        )
        .with(
            "File",
            "The file is larger than 7 MB (about 10 MB when base64 encoded)",
        )
    }

    pub fn media_type() -> MpError {
        MpError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "The file format is not accepted",
        )
        .with("File", "The file must be a PDF, JPEG, GIF or PNG")
    }

    /// 429: the API key spent its budget (`RATE_LIMIT`); `Retry-After` says when to go on.
    pub fn too_many_requests(retry_after: u64) -> MpError {
        MpError {
            retry_after: Some(retry_after),
            ..MpError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                format!("Too many requests: retry in {retry_after} seconds"),
            )
        }
    }

    pub fn idempotency_conflict() -> MpError {
        MpError::new(
            StatusCode::CONFLICT,
            "idempotent_creation_conflict",
            "This Idempotency-Key was already used within the last 24 hours",
        )
    }

    pub fn unavailable(cause: anyhow::Error) -> MpError {
        MpError {
            cause: Some(cause),
            ..MpError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "service_unavailable",
                "The service is temporarily unavailable, please retry",
            )
        }
    }

    pub fn internal(cause: anyhow::Error) -> MpError {
        MpError {
            cause: Some(cause),
            ..MpError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "An internal error occurred",
            )
        }
    }

    /// A refused change: unknown objects are 404, wrong states 400 on `Status`.
    pub fn from_refusal(refusal: Refusal, dispute: &str, document: Option<&str>) -> MpError {
        match refusal {
            Refusal::DisputeNotFound => MpError::not_found("Dispute", dispute),
            Refusal::DocumentNotFound => {
                MpError::not_found("DisputeDocument", document.unwrap_or_default())
            }
            Refusal::Transition(e) => MpError::param("Status", e.to_string()),
            Refusal::Guard(e) => MpError::param("Status", e.to_string()),
            Refusal::Document(e) => MpError::param("Status", e.to_string()),
            Refusal::Store(e) => e.into(),
        }
    }

    pub fn from_upload(e: UploadError, dispute: &str, document: &str) -> MpError {
        match e {
            UploadError::InvalidFileType => MpError::media_type(),
            UploadError::TooLarge => MpError::too_large(),
            UploadError::TooSmall => MpError::param("File", "The file is too small to be readable"),
            UploadError::Body(detail) => MpError::param("File", detail),
            UploadError::Blob(e) => MpError::internal(e.into()),
            UploadError::Refused(r) => MpError::from_refusal(r, dispute, Some(document)),
            UploadError::Malware(_) => MpError::param("File", e.to_string()),
            UploadError::TooLargeToScan => MpError {
                errors: None,
                ..MpError::too_large()
            }
            .with("File", e.to_string()),
            UploadError::ScannerUnavailable(cause) => MpError::unavailable(cause.into()),
            UploadError::Unacceptable(reason) => MpError::param("File", sentence(&reason)),
        }
    }
}

/// A checks' reason as Mangopay words its `errors`: a sentence.
fn sentence(reason: &crate::files::Refusal) -> String {
    let text = reason.to_string();
    let mut chars = text.chars();
    chars.next().map_or(String::new(), |c| {
        c.to_uppercase().collect::<String>() + chars.as_str()
    })
}

impl From<StoreError> for MpError {
    fn from(e: StoreError) -> MpError {
        match e {
            StoreError::Unavailable(_) => MpError::unavailable(e.into()),
            StoreError::Conflict(_) => MpError::param("Id", "The object exists already"),
            other => MpError::internal(other.into()),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Body<'a> {
    message: &'a str,
    #[serde(rename = "Type")]
    kind: &'a str,
    id: String,
    date: i64,
    #[serde(rename = "errors")]
    errors: &'a Option<Map<String, Value>>,
}

impl IntoResponse for MpError {
    fn into_response(self) -> Response {
        if let Some(cause) = &self.cause {
            tracing::error!(error = ?cause, kind = self.kind, "request failed");
        }
        let now = chrono::Utc::now().timestamp();
        let body = Body {
            message: &self.message,
            kind: self.kind,
            id: format!("{}#{now}", uuid::Uuid::new_v4()),
            date: now,
            errors: &self.errors,
        };
        let mut response = (self.status, crate::http::json(&body)).into_response();
        // The database or the scanner is away: worth a retry in a moment.
        let retry_after = self
            .retry_after
            .or((self.status == StatusCode::SERVICE_UNAVAILABLE).then_some(1));
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(seconds),
            );
        }
        response
    }
}
