//! The pages' own refusals and failures. A refusal carries the status and the code the API
//! gives the same refusal (the page's script reads the code, people read the sentence); a
//! failure is an error page. Nothing here is the Omise dialect's: the words are the page's.

use axum::http::StatusCode;
use axum::response::Response;

use super::pages;
use crate::core::UploadError;
use crate::domain::{GuardError, TransitionError};
use crate::store::{Refusal, StoreError};

#[derive(Debug)]
pub enum WebError {
    /// What the merchant can put right: the status, the API's code for it, and a sentence.
    Refused {
        status: StatusCode,
        code: &'static str,
        sentence: String,
    },
    /// The database cannot be reached: try again.
    Unavailable(anyhow::Error),
    /// A bug or a broken dependency: logged, never shown.
    Internal(anyhow::Error),
}

/// `text` with its first letter in upper case.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or(String::new(), |c| {
        c.to_uppercase().collect::<String>() + chars.as_str()
    })
}

impl WebError {
    fn refused(status: StatusCode, code: &'static str, text: &str) -> WebError {
        WebError::Refused {
            status,
            code,
            sentence: sentence(text),
        }
    }

    pub fn bad_request(text: &str) -> WebError {
        WebError::refused(StatusCode::BAD_REQUEST, "bad_request", text)
    }

    pub fn dispute_not_open() -> WebError {
        WebError::refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "dispute_not_open",
            "The dispute was already answered: its evidence can no longer change",
        )
    }

    pub fn document_not_found(id: &str) -> WebError {
        WebError::refused(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("document {id} was not found"),
        )
    }

    /// A refused change to dispute `dispute` (and document `document`, where one is named).
    pub fn from_refusal(refusal: Refusal, dispute: &str, document: Option<&str>) -> WebError {
        match refusal {
            Refusal::DisputeNotFound => WebError::refused(
                StatusCode::NOT_FOUND,
                "not_found",
                &format!("dispute {dispute} was not found"),
            ),
            Refusal::DocumentNotFound => WebError::document_not_found(document.unwrap_or_default()),
            Refusal::Transition(TransitionError::NotAwaitingEvidence)
            | Refusal::Guard(GuardError::DisputeClosedToEvidence) => WebError::dispute_not_open(),
            Refusal::Transition(TransitionError::NotUnderReview) => WebError::refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                "dispute_not_pending",
                &format!("dispute {dispute} is not pending"),
            ),
            Refusal::Guard(GuardError::DocumentFrozen) => WebError::refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                "document_already_submitted",
                "The document was submitted already and cannot be deleted",
            ),
            Refusal::Document(e) => WebError::bad_request(&e.to_string()),
            Refusal::Store(e) => e.into(),
        }
    }

    pub fn from_upload(e: UploadError, dispute: &str) -> WebError {
        match e {
            UploadError::InvalidFileType => WebError::refused(
                StatusCode::BAD_REQUEST,
                "invalid_file_type",
                "The file is not a PNG, JPEG or PDF file",
            ),
            UploadError::TooLarge => WebError::refused(
                StatusCode::PAYLOAD_TOO_LARGE,
                "file_too_large",
                "The file is larger than 10 MB",
            ),
            UploadError::TooSmall => WebError::bad_request("the file is empty"),
            UploadError::Body(detail) => {
                WebError::bad_request(&format!("malformed multipart body: {detail}"))
            }
            UploadError::Blob(e) => WebError::Internal(e.into()),
            UploadError::Refused(r) => WebError::from_refusal(r, dispute, None),
            UploadError::Malware(signature) => WebError::refused(
                StatusCode::BAD_REQUEST,
                "invalid_file_type",
                &format!("The file contains malware ({signature}) and was not stored"),
            ),
            UploadError::TooLargeToScan => WebError::refused(
                StatusCode::PAYLOAD_TOO_LARGE,
                "file_too_large",
                "The file is too large to be scanned for malware",
            ),
            UploadError::ScannerUnavailable(cause) => {
                tracing::warn!(error = %cause, "an upload on the page was refused unscanned");
                WebError::refused(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "service_unavailable",
                    "The malware scanner is not answering just now, so the file was not \
                     stored. Please try again in a moment",
                )
            }
            UploadError::Unacceptable(reason) => WebError::refused(
                StatusCode::BAD_REQUEST,
                "invalid_file_type",
                &reason.to_string(),
            ),
        }
    }

    /// The error page of a failure (a refusal that reaches here is a bug: shown as one).
    pub fn failure_page(self) -> Response {
        match self {
            WebError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "a page could not reach the database");
                pages::error_page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Try again",
                    "The server cannot reach its database just now. Please try again in a moment.",
                )
            }
            WebError::Internal(cause) => {
                tracing::error!(error = ?cause, "a page failed");
                pages::error_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The server could not answer. Please try again later.",
                )
            }
            refused @ WebError::Refused { .. } => {
                tracing::error!(error = ?refused, "a page failed");
                pages::error_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The server could not answer. Please try again later.",
                )
            }
        }
    }
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> WebError {
        match e {
            StoreError::Unavailable(_) => WebError::Unavailable(e.into()),
            StoreError::Conflict(_) => WebError::bad_request("the object exists already"),
            other => WebError::Internal(other.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_read_as_sentences_with_the_api_codes() {
        let e = WebError::from_refusal(Refusal::DisputeNotFound, "dspt_x", None);
        let WebError::Refused {
            status,
            code,
            sentence,
        } = e
        else {
            panic!("a refusal")
        };
        assert_eq!(
            (status, code, sentence.as_str()),
            (
                StatusCode::NOT_FOUND,
                "not_found",
                "Dispute dspt_x was not found"
            )
        );
    }
}
