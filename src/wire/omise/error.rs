//! The Omise error object, as the Omise edge answers with it and the operator edge borrows its
//! shape.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Serialize)]
struct ErrorBody<'a> {
    object: &'static str,
    location: String,
    code: &'a str,
    message: &'a str,
}

/// An Omise error object with `status`: `code`, its documentation anchor, and `message`.
pub fn error_object(status: StatusCode, code: &str, message: &str) -> Response {
    let body = ErrorBody {
        object: "error",
        location: format!("https://www.omise.co/api-errors#{}", code.replace('_', "-")),
        code,
        message,
    };
    (status, crate::http::json(&body)).into_response()
}
