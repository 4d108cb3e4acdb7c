//! Who is looking at a page: the holder of an evidence link (one dispute, acting for the key
//! that made the link) or a signed-in dashboard session (the key's account and mode). Sessions
//! are a random secret in an HttpOnly, SameSite=Strict cookie (Secure over https), found by its
//! hash; the key itself is never sent back to the browser. Forms of a session carry its CSRF
//! token; an evidence link's pages are reached only through the link's own secret path.

use axum::extract::{FromRequestParts, OriginalUri, RawPathParams};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use cookie::{Cookie, SameSite};
use subtle::ConstantTimeEq;

use super::WebState;
use super::pages;
use crate::domain::evidence_link::LinkClosed;
use crate::domain::{Actor, Id, IdKind, Scope};
use crate::store::Session;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "dd_session";

/// The dispute a page shows, and on whose behalf changes are made.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub scope: Scope,
    pub actor: Actor,
    pub dispute: Id,
    /// The page's own path; its forms post below it.
    pub base: String,
    /// The session's CSRF token (a dashboard viewer), which every form must send back.
    pub csrf: Option<String>,
}

impl Viewer {
    /// A file this viewer sends, as the core notes a refused one.
    pub fn arrival<'a>(&'a self, filename: &'a str) -> crate::core::scans::Arrival<'a> {
        crate::core::scans::Arrival {
            scope: Some(&self.scope),
            dispute: &self.dispute,
            document: None,
            filename,
            actor: &self.actor,
        }
    }

    /// Refuses a form of a session that does not carry the session's CSRF token.
    pub fn check_csrf(&self, given: Option<&str>) -> Result<(), CsrfRefused> {
        match &self.csrf {
            None => Ok(()),
            Some(expected) => check_csrf(expected, given),
        }
    }

    pub fn signed_in(&self) -> bool {
        self.csrf.is_some()
    }
}

/// A form refused for its missing or wrong CSRF token.
#[derive(Debug)]
pub struct CsrfRefused;

impl IntoResponse for CsrfRefused {
    fn into_response(self) -> Response {
        pages::error_page(
            StatusCode::FORBIDDEN,
            "Form expired",
            "This form was not sent from this dashboard's own page (its security token is missing or wrong). Reload the page and try again.",
        )
    }
}

pub fn check_csrf(expected: &str, given: Option<&str>) -> Result<(), CsrfRefused> {
    let given = given.unwrap_or_default();
    if bool::from(given.as_bytes().ct_eq(expected.as_bytes())) && !expected.is_empty() {
        Ok(())
    } else {
        Err(CsrfRefused)
    }
}

/// A signed-in dashboard session, from its cookie.
pub struct SignedIn {
    pub session: Session,
    pub token: String,
}

impl SignedIn {
    pub fn scope(&self) -> Scope {
        Scope {
            account: self.session.key.account.clone(),
            mode: self.session.key.mode,
        }
    }
}

fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == SESSION_COOKIE)
        .map(|c| c.value().to_owned())
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "a page failed");
    pages::error_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "The server could not answer. Please try again later.",
    )
}

pub fn to_login() -> Response {
    Redirect::to("/web/login").into_response()
}

impl FromRequestParts<WebState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<SignedIn, Response> {
        let token = session_token(&parts.headers).ok_or_else(to_login)?;
        let session = state
            .core
            .session(&token, state.session_idle)
            .await
            .map_err(internal)?
            .ok_or_else(|| {
                let mut response = to_login();
                clear_cookie(&mut response, false);
                response
            })?;
        Ok(SignedIn { session, token })
    }
}

impl FromRequestParts<WebState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Viewer, Response> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let key = params
            .iter()
            .find(|(name, _)| *name == "key")
            .map(|(_, value)| value.to_owned())
            .ok_or_else(|| internal("a dispute page without its key"))?;
        let path = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| parts.uri.path().to_owned(), |u| u.path().to_owned());
        if path.starts_with("/web/evidence/") {
            return link_viewer(state, &key).await;
        }
        let signed_in = SignedIn::from_request_parts(parts, state).await?;
        let scope = signed_in.scope();
        let dispute = Id::parse(IdKind::Dispute, &key)
            .ok()
            .filter(|id| id.marked_mode() == scope.mode)
            .ok_or_else(dispute_not_found)?;
        Ok(Viewer {
            scope,
            actor: Actor::Key(signed_in.session.key.key_id.clone()),
            base: format!("/web/disputes/{dispute}"),
            dispute,
            csrf: Some(signed_in.session.csrf_token),
        })
    }
}

pub fn dispute_not_found() -> Response {
    pages::error_page(
        StatusCode::NOT_FOUND,
        "Dispute not found",
        "There is no such dispute in this account.",
    )
}

async fn link_viewer(state: &WebState, token: &str) -> Result<Viewer, Response> {
    let opened = state
        .core
        .open_evidence_link(token)
        .await
        .map_err(internal)?;
    match opened {
        None => Err(pages::error_page(
            StatusCode::NOT_FOUND,
            "This link is not valid",
            "Check that the whole link was copied. If it still does not open, ask whoever sent it for a new one.",
        )),
        Some(Err(closed)) => {
            let why = match closed {
                LinkClosed::Expired => "This link has expired",
                LinkClosed::Revoked => "This link was withdrawn",
                LinkClosed::KeyRevoked => "This link is no longer valid",
            };
            Err(pages::error_page(
                StatusCode::GONE,
                why,
                "It no longer opens the dispute. Ask whoever sent it for a new link.",
            ))
        }
        Some(Ok(access)) => {
            super::limits::link(state, &access.link.id).await?;
            Ok(Viewer {
                scope: access.scope,
                actor: access.actor,
                base: format!("/web/evidence/{token}"),
                dispute: access.link.dispute,
                csrf: None,
            })
        }
    }
}

/// Sets the session cookie on a response.
pub fn set_cookie(response: &mut Response, token: &str, secure: bool) {
    let cookie = Cookie::build((SESSION_COOKIE, token.to_owned()))
        .path("/web")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .build();
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(SET_COOKIE, value);
    }
}

/// Removes the session cookie.
pub fn clear_cookie(response: &mut Response, secure: bool) {
    let mut cookie = Cookie::build((SESSION_COOKIE, ""))
        .path("/web")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .build();
    cookie.make_removal();
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(SET_COOKIE, value);
    }
}

/// Whether the request came over https: the public URL says so, or the proxy in front does.
pub fn over_https(state: &WebState, headers: &HeaderMap) -> bool {
    state.https
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}
